//! rfexpire end to end: the same limits delete exactly what nfexpire 1.7.1 deletes on an
//! identical tree (differential, skipped with a note when nfexpire is not installed unless
//! RFLOW_REQUIRE_NFDUMP=1), files that are not flow files are never touched, the `.nfstat`
//! bookkeeping survives being deleted or corrupted, two concurrent runs never double-delete,
//! and bad arguments change nothing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{TimeZone, Utc};

use crate::util::{cmd, fixture, have, run, stderr, stdout};

/// A small real nfdump 1.7.1 file: every generated flow file starts with it.
fn sample() -> Vec<u8> {
    fs::read(fixture("nfdump/v171-nfcapd-v9-none.nf")).expect("fixture")
}

/// Seconds since the epoch, rounded down to the minute.
fn now_minute() -> i64 {
    let s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let s = i64::try_from(s).unwrap_or(0);
    s - s % 60
}

/// The relative path of a slot's file under a `-S` layout, in UTC (the tools run with TZ=UTC).
fn slot_path(pattern: Option<&str>, secs: i64) -> PathBuf {
    named_path(pattern, secs, "%Y%m%d%H%M")
}

/// Like [`slot_path`] with a seconds name (`nfcapd.YYYYMMDDhhmmss`, rotation below a minute).
fn seconds_path(pattern: Option<&str>, secs: i64) -> PathBuf {
    named_path(pattern, secs, "%Y%m%d%H%M%S")
}

fn named_path(pattern: Option<&str>, secs: i64, name_format: &str) -> PathBuf {
    let t = Utc.timestamp_opt(secs, 0).single().expect("time");
    let name = format!("nfcapd.{}", t.format(name_format));
    match pattern {
        Some(p) => PathBuf::from(t.format(p).to_string()).join(name),
        None => PathBuf::from(name),
    }
}

/// Writes a flow file padded with zeros to `len` bytes.
fn write_flow(path: &Path, len: usize) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut data = sample();
    if data.len() < len {
        data.resize(len, 0);
    }
    fs::write(path, data).expect("write");
}

/// Four days of files every three hours, 7 minutes off the hour so no limit computed from
/// "now" falls near a file between two runs; sizes vary from 1.4 KB to ~60 KB. Also files
/// neither tool may touch: stray text, a collector's current file, a hidden directory.
fn make_tree(base: &Path, pattern: Option<&str>, now: i64) {
    for k in 0..32i64 {
        let secs = now - k * 3 * 3600 - 7 * 60;
        let len = 1_400 + usize::try_from((k * 7_919) % 60_000).unwrap_or(0);
        write_flow(&base.join(slot_path(pattern, secs)), len);
    }
    fs::write(base.join("notes.txt"), b"operator notes").expect("write");
    write_flow(&base.join("nfcapd.current.4242"), 2_000);
    write_flow(
        &base
            .join(".snapshot")
            .join(slot_path(None, now - 30 * 86_400)),
        2_000,
    );
}

/// Seconds names between the minute names, and a minute name exactly in the minute of
/// `now - 10h`: with `-t 10H -w 100` nfexpire compares names with the seconds time string of
/// the limit, so this file is older than the limit (whichever second the run starts at).
fn add_boundary_files(base: &Path, pattern: Option<&str>, now: i64) {
    for k in 0..8i64 {
        write_flow(
            &base.join(seconds_path(pattern, now - k * 11 * 3600 - 390)),
            5_000,
        );
    }
    write_flow(&base.join(slot_path(pattern, now - 10 * 3600)), 5_000);
}

/// Every path below `base` (files and directories), relative, sorted; `.nfstat` excluded.
fn listing(base: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(base)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            if rel == ".nfstat" {
                continue;
            }
            out.push(rel);
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&p, base, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(base, base, &mut out);
    out.sort();
    out
}

/// Whether the differential tests can run; prints why not, and fails under
/// RFLOW_REQUIRE_NFDUMP=1.
fn nfexpire_available() -> bool {
    if have("nfexpire") {
        return true;
    }
    assert!(
        std::env::var("RFLOW_REQUIRE_NFDUMP").as_deref() != Ok("1"),
        "nfexpire is required (RFLOW_REQUIRE_NFDUMP=1) but not installed"
    );
    eprintln!("note: nfexpire not installed, differential rfexpire test skipped");
    false
}

/// The stat file as key/value pairs.
fn stat_of(base: &Path) -> Vec<(String, String)> {
    fs::read_to_string(base.join(".nfstat"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// nfexpire's output with our extra `Removed ...` lines dropped and the directory neutral.
fn comparable(text: &str, dir: &Path) -> String {
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    text.lines()
        .filter(|l| !l.starts_with("Removed "))
        .map(|l| l.replace(&*dir.to_string_lossy(), "<dir>"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn limits_delete_exactly_what_nfexpire_deletes() {
    if !nfexpire_available() {
        return;
    }
    let now = now_minute();
    let layouts = [
        None,
        Some("%Y/%m/%d"),
        Some("%Y/%m/%d/%H"),
        Some("%Y-%m-%d"),
    ];
    let scenarios: [&[&str]; 5] = [
        &["-t", "2d", "-w", "90"],
        &["-s", "500K", "-w", "80"],
        &["-s", "700K", "-t", "3d"],
        &["-t", "10H", "-w", "100"],
        &["-t", "1w"],
    ];
    for pattern in layouts {
        for limits in scenarios {
            let root = tempfile::tempdir().expect("tempdir");
            let (theirs, ours) = (root.path().join("nf"), root.path().join("rf"));
            for base in [&theirs, &ours] {
                make_tree(base, pattern, now);
                add_boundary_files(base, pattern, now);
            }
            assert_eq!(listing(&theirs), listing(&ours));
            let before = listing(&ours).len();
            let nf = run(Command::new("nfexpire")
                .env("TZ", "UTC")
                .arg("-e")
                .arg(&theirs)
                .args(limits));
            assert!(nf.status.success(), "nfexpire {limits:?}: {}", stderr(&nf));
            let rf = run(cmd("rfexpire").arg("-e").arg(&ours).args(limits));
            assert!(rf.status.success(), "rfexpire {limits:?}: {}", stderr(&rf));
            let what = format!("layout {pattern:?}, limits {limits:?}");
            assert_eq!(listing(&theirs), listing(&ours), "{what}");
            assert!(
                listing(&ours).len() < before || limits == ["-t", "1w"],
                "{what}"
            );
            assert_eq!(stat_of(&theirs), stat_of(&ours), "{what}");
            assert_eq!(
                comparable(&stdout(&nf), &theirs),
                comparable(&stdout(&rf), &ours),
                "{what}"
            );
            // One `Removed` line per expired file.
            let removed = stdout(&rf)
                .lines()
                .filter(|l| l.starts_with("Removed "))
                .count();
            let expired = stdout(&rf)
                .lines()
                .find_map(|l| l.strip_prefix("Expired files:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            assert_eq!(Some(removed), expired, "{what}");
        }
    }
}

#[test]
fn rescan_books_match_nfexpire() {
    if !nfexpire_available() {
        return;
    }
    let now = now_minute();
    let root = tempfile::tempdir().expect("tempdir");
    let (theirs, ours) = (root.path().join("nf"), root.path().join("rf"));
    make_tree(&theirs, Some("%Y/%m/%d"), now);
    make_tree(&ours, Some("%Y/%m/%d"), now);
    let nf = run(Command::new("nfexpire")
        .env("TZ", "UTC")
        .arg("-r")
        .arg(&theirs));
    let rf = run(cmd("rfexpire").arg("-r").arg(&ours));
    assert!(nf.status.success() && rf.status.success());
    // nfexpire stores watermark 0 for a new directory (a 1.7.1 quirk); rfexpire stores 95.
    let neutral = |v: Vec<(String, String)>| -> Vec<(String, String)> {
        v.into_iter().filter(|(k, _)| k != "watermark").collect()
    };
    assert_eq!(neutral(stat_of(&theirs)), neutral(stat_of(&ours)));
}

#[test]
fn only_flow_files_inside_the_directory_are_touched() {
    let now = now_minute();
    let root = tempfile::tempdir().expect("tempdir");
    let base = root.path().join("flows");
    let outside = root.path().join("elsewhere");
    make_tree(&base, Some("%Y/%m/%d"), now);
    // An old outside file, reachable through a file link and a directory link.
    write_flow(&outside.join(slot_path(None, now - 20 * 86_400)), 3_000);
    std::os::unix::fs::symlink(
        outside.join(slot_path(None, now - 20 * 86_400)),
        base.join(slot_path(None, now - 21 * 86_400)),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(&outside, base.join("2000")).expect("symlink");
    // A file with a flow name but other content.
    let impostor = base.join(slot_path(None, now - 22 * 86_400));
    fs::write(&impostor, b"not a flow file").expect("write");
    let outside_before = listing(&outside);
    let out = run(cmd("rfexpire").arg("-e").arg(&base).args(["-t", "1H"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let left = listing(&base);
    let flow_files: Vec<&String> = left
        .iter()
        .filter(|p| {
            let name = Path::new(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| n.starts_with("nfcapd.2"))
                && !p.starts_with(".snapshot")
                && !p.starts_with("2000")
        })
        .collect();
    // Only the newest real flow file (7 minutes old) is younger than the hour; the other
    // names that stay are not ours to delete.
    assert_eq!(
        flow_files,
        [
            &slot_path(Some("%Y/%m/%d"), now - 7 * 60)
                .to_string_lossy()
                .into_owned(),
            &slot_path(None, now - 22 * 86_400)
                .to_string_lossy()
                .into_owned(),
            &slot_path(None, now - 21 * 86_400)
                .to_string_lossy()
                .into_owned(),
        ]
    );
    for keep in ["notes.txt", "nfcapd.current.4242", ".snapshot", "2000"] {
        assert!(
            left.iter().any(|p| p == keep),
            "{keep} must survive: {left:?}"
        );
    }
    assert!(impostor.exists());
    assert_eq!(
        listing(&outside),
        outside_before,
        "nothing outside was touched"
    );
    assert!(base.is_dir(), "the base directory stays");
    // Emptied day directories went; only the newest file's day is left below the year.
    let days = left
        .iter()
        .filter(|p| p.matches('/').count() == 2 && !p.contains("nfcapd") && !p.starts_with('.'))
        .count();
    assert_eq!(days, 1, "{left:?}");
}

#[test]
fn bookkeeping_survives_a_deleted_or_corrupt_stat_file() {
    let now = now_minute();
    let root = tempfile::tempdir().expect("tempdir");
    let base = root.path().join("flows");
    make_tree(&base, Some("%Y-%m-%d"), now);
    let first = run(cmd("rfexpire").arg("-r").arg(&base));
    assert!(first.status.success());
    let good = stat_of(&base);
    assert_eq!(
        good.iter()
            .find(|(k, _)| k == "numfiles")
            .map(|(_, v)| v.as_str()),
        Some("32")
    );
    let stat = base.join(".nfstat");
    let corruptions: [&[u8]; 4] = [b"garbage\n", b"first=1\n", b"\xff\xfe\x00binary", b""];
    for bad in corruptions {
        fs::write(&stat, bad).expect("write");
        let out = run(cmd("rfexpire").arg("-l").arg(&base));
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("Scanning files in "),
            "{}",
            stdout(&out)
        );
        assert_eq!(stat_of(&base), good, "after corruption {bad:?}");
    }
    fs::remove_file(&stat).expect("rm");
    let out = run(cmd("rfexpire").arg("-l").arg(&base));
    assert!(stdout(&out).starts_with("Force rebuild to create stat record in "));
    assert_eq!(stat_of(&base), good);
    // Limits survive a later rescan, and -e after a corruption still expires correctly.
    let upd = run(cmd("rfexpire")
        .arg("-u")
        .arg(&base)
        .args(["-t", "2d", "-w", "90"]));
    assert!(upd.status.success());
    fs::write(&stat, b"status=oops").expect("write");
    let out = run(cmd("rfexpire")
        .arg("-e")
        .arg(&base)
        .args(["-t", "2d", "-w", "90"]));
    assert!(out.status.success(), "{}", stderr(&out));
    // 2 days at 90%: files 3h apart, 7 min off the hour, newer than 43h12m: k = 0..=14.
    let left = listing(&base)
        .iter()
        .filter(|p| p.contains("nfcapd.2") && !p.starts_with(".snapshot"))
        .count();
    assert_eq!(left, 15);
}

#[test]
fn concurrent_runs_do_not_double_delete() {
    let now = now_minute();
    let root = tempfile::tempdir().expect("tempdir");
    let base = root.path().join("flows");
    // Many small files so the runs overlap in time.
    for k in 0..400i64 {
        write_flow(
            &base.join(slot_path(Some("%Y/%m/%d/%H"), now - k * 600 - 120)),
            1_400,
        );
    }
    let children: Vec<_> = (0..2)
        .map(|_| {
            cmd("rfexpire")
                .arg("-e")
                .arg(&base)
                .args(["-t", "1d", "-w", "100"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut expired = 0;
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).is_empty(), "{}", stderr(&out));
        expired += stdout(&out)
            .lines()
            .find_map(|l| l.strip_prefix("Expired files:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .expect("summary");
    }
    let left = listing(&base)
        .iter()
        .filter(|p| p.contains("nfcapd."))
        .count();
    // Files every 10 minutes, 2 min off: those younger than one day stay (k*600+120 < 86400).
    assert_eq!(left, 144);
    assert_eq!(
        expired,
        400 - 144,
        "each file was counted by exactly one run"
    );
    let stat = stat_of(&base);
    assert!(
        stat.contains(&("numfiles".to_string(), "144".to_string())),
        "{stat:?}"
    );
}

#[test]
fn bad_arguments_give_one_line_and_change_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let base = root.path().join("flows");
    make_tree(&base, None, now_minute());
    let before = listing(&base);
    let d = base.to_string_lossy().into_owned();
    let missing = root.path().join("missing").to_string_lossy().into_owned();
    let cases: [&[&str]; 10] = [
        &["-e", &d, "-s", "10X"],
        &["-e", &d, "-s", "-5"],
        &["-e", &d, "-t", "3y"],
        &["-e", &d, "-t", "-1d"],
        &["-e", &d, "-w", "101"],
        &["-e", &d, "-T", "99999"],
        &["-e", &missing, "-t", "1H"],
        &["-e", &d, "-l", &d],
        &["-s", "1G"],
        &["-e", &d, "--bogus"],
    ];
    for args in cases {
        let out = run(cmd("rfexpire").args(args));
        assert!(!out.status.success(), "{args:?} must fail");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("rfexpire: "), "{args:?}: {err}");
        assert_eq!(listing(&base), before, "{args:?} changed the tree");
        assert!(!base.join(".nfstat").exists(), "{args:?} wrote books");
    }
    // A dry run reports but removes and writes nothing.
    let out = run(cmd("rfexpire").args(["-n", "-e", &d, "-t", "1H"]));
    assert!(out.status.success());
    assert!(stdout(&out).contains("Would remove "));
    assert_eq!(listing(&base), before);
    assert!(!base.join(".nfstat").exists());
}
