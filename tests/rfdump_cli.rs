//! rfdump's command line: usage errors, the default format, ndjson, -w round trip, quiet
//! handling of a closed pipe.

use std::io::Read;
use std::process::Stdio;

use crate::util::{cmd, fixture, run, stderr, stdout};

const GEN: &str = "nfdump/gen-query/gen.nf";

#[test]
fn bad_values_are_one_line_usage_errors() {
    for args in [
        vec!["-r", "x", "-o", "bogus"],
        vec!["-c", "0", "-r", "x"],
        vec!["-s", "nothing", "-r", "x"],
        vec!["-A", "srcip4", "-r", "x"],
        vec!["--no-such-option"],
    ] {
        let mut c = cmd("rfdump");
        c.args(&args);
        if args.contains(&"x") {
            // A real file so the error is about the bad value.
            let pos = args.iter().position(|a| *a == "x").unwrap_or(0);
            let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            a[pos] = fixture(GEN).display().to_string();
            c = cmd("rfdump");
            c.args(&a);
        }
        let out = run(&mut c);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?} printed to stdout");
        let err = stderr(&out);
        assert!(
            err.starts_with("rfdump: ") && err.lines().count() == 1,
            "{args:?}: not one line: {err:?}"
        );
    }
    let out = run(cmd("rfdump").args(["-r", &fixture(GEN).display().to_string(), "-o", "bogus"]));
    assert_eq!(stderr(&out), "rfdump: Unknown output mode 'bogus'\n");
}

#[test]
fn default_format_is_line() {
    let f = fixture(GEN).display().to_string();
    let a = run(cmd("rfdump").args(["-r", &f, "-c", "5"]));
    let b = run(cmd("rfdump").args(["-r", &f, "-c", "5", "-o", "line"]));
    let first = |o: &std::process::Output| stdout(o).lines().take(6).collect::<Vec<_>>().join("\n");
    assert_eq!(first(&a), first(&b));
    assert!(stdout(&a).starts_with("Date first seen             Duration     Proto"));
}

#[test]
fn ndjson_is_one_object_per_record() {
    let f = fixture(GEN).display().to_string();
    let out = run(cmd("rfdump").args(["-r", &f, "-o", "ndjson", "-c", "50"]));
    assert!(out.status.success());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 50);
    for l in lines {
        assert!(
            l.starts_with("{\"first\":\"2026-12-30T") && l.ends_with('}'),
            "{l}"
        );
        assert!(
            l.contains("\"src_addr\":\"") && l.contains("\"in_bytes\":"),
            "{l}"
        );
    }
}

#[test]
fn closed_pipe_ends_quietly() {
    let f = fixture(GEN).display().to_string();
    let mut child = cmd("rfdump")
        .args(["-r", &f, "-o", "extended"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rfdump");
    let mut so = child.stdout.take().expect("stdout");
    let mut first = [0u8; 100];
    so.read_exact(&mut first).expect("some output");
    drop(so);
    let status = child.wait().expect("wait");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr text");
    assert!(status.success(), "exit {status:?}");
    assert!(err.is_empty(), "stderr: {err}");
}

#[test]
fn write_then_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = dir.path().join("subset.rf");
    let f = fixture(GEN).display().to_string();
    let out = run(cmd("rfdump").args(["-r", &f, "-w", &w.display().to_string(), "proto", "udp"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "-w prints nothing");
    let back = run(cmd("rfdump").args(["-r", &w.display().to_string(), "-o", "pipe"]));
    let orig = run(cmd("rfdump").args(["-r", &f, "-o", "pipe", "proto", "udp"]));
    assert!(back.status.success(), "{}", stderr(&back));
    assert_eq!(stdout(&back), stdout(&orig));
    assert_eq!(stdout(&back).lines().count(), 786);
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let range = fixture("nfdump/gen-query/r1").display().to_string();
    for args in [
        vec!["-R", range.as_str(), "-A", "srcip4/16,proto", "-o", "pipe"],
        vec!["-R", range.as_str(), "-a", "-o", "long"],
        vec![
            "-R",
            range.as_str(),
            "-s",
            "ip/bytes",
            "-s",
            "dstport",
            "-n",
            "0",
        ],
        vec!["-R", range.as_str(), "-O", "tstart", "-o", "csv"],
    ] {
        let once = |threads: &str| {
            let out = run(cmd("rfdump").env("RAYON_NUM_THREADS", threads).args(&args));
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
            stdout(&out)
                .lines()
                .filter(|l| !l.starts_with("Sys: "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(once("1"), once("3"), "{args:?}");
    }
}

#[test]
fn verify_and_info_describe_the_file() {
    let f = fixture(GEN).display().to_string();
    let out = run(cmd("rfdump").args(["-v", &f]));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Version    : 2 - lz4 compressed"), "{text}");
    assert!(text.ends_with("Records       : 3086\n"), "{text}");
    let out = run(cmd("rfdump").args(["-r", &f, "-I"]));
    assert!(stdout(&out).starts_with("Ident: genrouter\nFlows: 3086\n"));
}

#[test]
fn written_file_keeps_ident_and_exporters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = dir.path().join("all.rf").display().to_string();
    let f = fixture(GEN).display().to_string();
    assert!(
        run(cmd("rfdump").args(["-r", &f, "-w", &w, "-z=none"]))
            .status
            .success()
    );
    let info = stdout(&run(cmd("rfdump").args(["-r", &w, "-I"])));
    assert!(
        info.starts_with("Ident: genrouter\nFlows: 3086\n"),
        "{info}"
    );
    let a = stdout(&run(cmd("rfdump").args([
        "-r",
        &w,
        "-o",
        "fmt:%ra %sa %byt",
    ])));
    let b = stdout(&run(cmd("rfdump").args([
        "-r",
        &f,
        "-o",
        "fmt:%ra %sa %byt",
    ])));
    let body = |s: &str| s.lines().take(3087).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&a), body(&b));
}

#[test]
fn statistics_with_write_print_bare_tables_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = dir.path().join("never.rf");
    let f = fixture(GEN).display().to_string();
    let out = run(cmd("rfdump").args(["-r", &f, "-s", "proto", "-w", &w.display().to_string()]));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // As nfdump 1.7.1: rows only, the blank line after the table, no summary.
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(
        text.starts_with("2026-12-30 19:42:17.723     00:11:11.409 TCP "),
        "{text}"
    );
    assert!(!w.exists());
}

#[test]
fn syntax_check_and_exporter_list() {
    assert!(
        run(cmd("rfdump").args(["-Z", "proto", "tcp"]))
            .status
            .success()
    );
    let bad = run(cmd("rfdump").args(["-Z", "proto", "tcpx"]));
    assert_eq!(bad.status.code(), Some(2));
    let f = fixture(GEN).display().to_string();
    let out = run(cmd("rfdump").args(["-E", &f]));
    // Verified against `nfdump -E` on the same file.
    assert_eq!(
        stdout(&out),
        "Exporters:\n\nSysID: 1, IP:        127.0.0.1, version: 9, ID:  0, Sequence failures: 0, packets: 111, flows: 3086\n"
    );
}

/// nfdump's getopt accepts options after the filter (`nfdump -r F 'proto tcp' -o csv`);
/// scripts rely on it.
#[test]
fn options_may_follow_the_filter() {
    let f = crate::util::fixture("nfdump/gen-query/gen.nf");
    let before = crate::util::run(crate::util::cmd("rfdump").arg("-r").arg(&f).args([
        "-q",
        "-o",
        "csv",
        "proto tcp and bytes > 100k",
    ]));
    let after = crate::util::run(crate::util::cmd("rfdump").arg("-r").arg(&f).args([
        "proto tcp and bytes > 100k",
        "-o",
        "csv",
        "-q",
    ]));
    assert!(after.status.success(), "{}", crate::util::stderr(&after));
    assert!(!before.stdout.is_empty());
    assert_eq!(before.stdout, after.stdout);
}

/// A bad filter shows the expression with a caret under the offending token and what was
/// expected, exits 2 and reads nothing (issue 4).
#[test]
fn bad_filter_points_at_the_token() {
    let f = crate::util::fixture("nfdump/gen-query/gen.nf");
    let out = crate::util::run(
        crate::util::cmd("rfdump")
            .arg("-r")
            .arg(&f)
            .arg("proto tcp and port 70000"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = crate::util::stderr(&out);
    assert!(
        err.contains("proto tcp and port 70000\n                   ^^^^^ out of range 0..65535"),
        "{err}"
    );
}

/// Local time honours TZ across daylight-saving changes and in zones with 30/45-minute
/// offsets: every `%ts` printed equals what `date` (the C library's conversion) prints.
#[test]
fn local_time_matches_the_c_library_across_dst() {
    use rf_format::FlowRecord;
    use rf_format::native::{Writer, WriterOptions};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dst");
    // Every 7 minutes and 13 seconds around the 2026 European and 2026 Australian changes.
    let starts: [u64; 3] = [1_774_738_800, 1_792_882_800, 1_775_318_400];
    let mut secs = Vec::new();
    for s in starts {
        secs.extend((0..40).map(|k| s - 3 * 3600 + k * 433));
    }
    let mut w = Writer::create(&path, WriterOptions::default()).expect("create");
    for &s in &secs {
        let r = FlowRecord {
            first_ms: s * 1000 + 250,
            last_ms: s * 1000 + 250,
            proto: 17,
            in_packets: 1,
            in_bytes: 64,
            ..FlowRecord::default()
        };
        w.write(&r).expect("write");
    }
    w.finish().expect("finish");
    for tz in [
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "America/St_Johns",
    ] {
        if !std::path::Path::new("/usr/share/zoneinfo")
            .join(tz)
            .exists()
        {
            panic!("time zone data for {tz} is missing (install tzdata)");
        }
        let out = run(cmd("rfdump")
            .env("TZ", tz)
            .args(["-q", "-o", "fmt:%ts", "-r"])
            .arg(&path));
        assert!(out.status.success(), "{}", stderr(&out));
        let got: Vec<String> = stdout(&out).lines().map(|l| l.trim().to_string()).collect();
        let mut date = std::process::Command::new("date");
        date.env("TZ", tz)
            .arg("-f")
            .arg("-")
            .arg("+%Y-%m-%d %H:%M:%S.250");
        let input: String = secs.iter().map(|s| format!("@{s}\n")).collect();
        let want = {
            use std::io::Write as _;
            let mut child = date
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("date");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write");
            let o = child.wait_with_output().expect("date output");
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(got, want, "TZ={tz}");
    }
}

/// `-s record -o json` is one json array per table as nfdump 1.7.1 prints it: each table
/// opens with `[`, only the last closes; records are separated by `,`. Quiet, the tables run
/// on as one comma-separated list ending in a newline. No title line either way.
#[test]
fn record_tables_in_json_keep_nfdump_brackets() {
    let f = fixture(GEN).display().to_string();
    let skeleton = |quiet: bool| {
        let mut args = vec![
            "-r",
            &f,
            "-s",
            "record/bytes/packets",
            "-n",
            "2",
            "-o",
            "json",
        ];
        if quiet {
            args.push("-q");
        }
        let out = run(cmd("rfdump").args(&args));
        assert!(out.status.success(), "{}", stderr(&out));
        // Only the structure: field lines start with a tab.
        stdout(&out)
            .split_inclusive('\n')
            .filter(|l| !l.starts_with('\t'))
            .collect::<String>()
    };
    assert_eq!(skeleton(false), "[\n{\n},\n{\n}[\n{\n},\n{\n}]\n");
    assert_eq!(skeleton(true), "{\n},\n{\n},\n{\n},\n{\n}\n");
}

/// `-w` through a symbolic link replaces the link's target and keeps the link; `-w` into a
/// FIFO streams the file to its reader instead of replacing the FIFO; a written file gets the
/// usual mode for new files (0666 less the umask), not a temporary file's 0600.
#[test]
fn write_keeps_links_and_streams_into_fifos() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let f = fixture(GEN).display().to_string();
    let write = |to: &std::path::Path| {
        let out = run(cmd("rfdump").args(["-r", &f, "-w", &to.display().to_string()]));
        assert!(out.status.success(), "{}", stderr(&out));
    };
    let count = |p: &std::path::Path| {
        let out = run(cmd("rfdump").args(["-r", &p.display().to_string(), "-q", "-o", "csv"]));
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).lines().count()
    };
    let target = dir.path().join("target.rf");
    let link = dir.path().join("link.rf");
    std::os::unix::fs::symlink("target.rf", &link).unwrap();
    write(&link);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(count(&target), 3086);
    let umask = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("Umask:")
                .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
        })
        .unwrap();
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666 & !umask);

    let fifo = dir.path().join("fifo.rf");
    let made = run(std::process::Command::new("mkfifo").arg(&fifo));
    assert!(made.status.success());
    let copy = dir.path().join("from-fifo.rf");
    let reader = std::process::Command::new("cp")
        .arg(&fifo)
        .arg(&copy)
        .spawn()
        .unwrap();
    write(&fifo);
    assert!(reader.wait_with_output().unwrap().status.success());
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(
        std::os::unix::fs::FileTypeExt::is_fifo(&kind),
        "the FIFO is still one"
    );
    assert_eq!(count(&copy), 3086);
}

/// `-I` on an nfdump file cut before its appendix (where nfcapd keeps the statistics) says
/// so, naming the file and offset, and fails, instead of printing zeros as a success.
#[test]
fn info_on_a_file_without_its_appendix_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cut = dir.path().join("cut.nf");
    let whole = std::fs::read(fixture("nfdump/v171-nfcapd-v9-none.nf")).unwrap();
    std::fs::write(&cut, &whole[..600]).unwrap();
    let out = run(cmd("rfdump").args(["-r", &cut.display().to_string(), "-I"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "rfdump: {}: truncated at offset 600",
            cut.display()
        )),
        "{err}"
    );
}
