//! `-o csv` against nfdump 1.7.1, byte for byte, on every nfdump fixture.
//!
//! * `golden_*`: our csv of each file in `fixtures/nfdump/` and `fixtures/nfdump/gen/` equals
//!   the output nfdump wrote into `fixtures/expected/csv/` (`scripts/make-goldens.sh`), with
//!   and without `-q`. Needs no nfdump.
//! * `live_*`: runs the installed nfdump on the same files in other time zones and compares.
//!   Skipped with a note when nfdump is missing, unless `RFLOW_REQUIRE_NFDUMP=1`.
//!
//! Timestamps are local time, so each test re-runs itself in a child process with the `TZ`
//! it needs (setting the variable in-process would race with other tests).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use rf_query::output::csv::CsvWriter;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The nfdump files covered here: the samples and the generated files (not other suites'
/// directories).
fn inputs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["nfdump", "nfdump/gen"] {
        let d = fixtures().join(dir);
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "nf") {
                v.push(p);
            }
        }
    }
    // nfdump 1.7.1 cannot read zstd files (it prints "No matching flows"); rflow can, so
    // they have no 1.7.1 golden to match. rf-format's tests check them against their stat
    // record instead.
    v.retain(|p| !p.to_string_lossy().contains("zstd"));
    v.sort();
    assert!(
        v.len() >= 19,
        "expected the nfdump fixtures, found {}",
        v.len()
    );
    v
}

/// Our csv of `path`, framed like nfdump frames it (`No matching flows` when empty).
fn ours(path: &Path, quiet: bool) -> Vec<u8> {
    let recs = rf_format::read_all(path).unwrap_or_else(|e| panic!("{e}"));
    let mut w = CsvWriter::new(Vec::new(), quiet).unwrap();
    for r in &recs {
        w.write(r).unwrap();
    }
    if recs.is_empty() {
        w.get_mut().extend_from_slice(b"No matching flows\n");
    }
    let s = *w.summary();
    w.finish(&s).unwrap()
}

/// Runs the named test of this binary again with `TZ=tz` unless already in that zone.
/// Returns true when the caller is the child and should do the work.
fn in_tz(test: &str, tz: &str) -> bool {
    if std::env::var("TZ").as_deref() == Ok(tz) {
        return true;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .env("TZ", tz)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .output()
        .unwrap();
    std::io::stdout().write_all(&out.stdout).unwrap();
    std::io::stderr().write_all(&out.stderr).unwrap();
    assert!(out.status.success(), "{test} failed under TZ={tz}");
    false
}

/// First differing line, for a readable failure.
fn diff(name: &str, want: &[u8], got: &[u8]) -> Option<String> {
    if want == got {
        return None;
    }
    let (w, g) = (String::from_utf8_lossy(want), String::from_utf8_lossy(got));
    let (wl, gl): (Vec<_>, Vec<_>) = (w.split('\n').collect(), g.split('\n').collect());
    let i = wl
        .iter()
        .zip(&gl)
        .position(|(a, b)| a != b)
        .unwrap_or(wl.len().min(gl.len()));
    Some(format!(
        "{name}: line {}:\n  nfdump: {:?}\n  rflow:  {:?}",
        i + 1,
        wl.get(i).unwrap_or(&"<end>"),
        gl.get(i).unwrap_or(&"<end>")
    ))
}

fn golden(nf: &Path, quiet: bool) -> Vec<u8> {
    let rel = nf.strip_prefix(fixtures().join("nfdump")).unwrap();
    let base = fixtures().join("expected/csv").join(rel.with_extension(""));
    let q = if quiet { ".q" } else { "" };
    if let Ok(b) = std::fs::read(format!("{}{q}.csv", base.display())) {
        return b;
    }
    // gen/ goldens are zstd-compressed and exist only without -q: strip header and footer.
    let zst = PathBuf::from(format!("{}.csv.zst", base.display()));
    let full = zstd::decode_all(
        std::fs::File::open(&zst)
            .unwrap_or_else(|e| panic!("{}: {e} (run scripts/make-goldens.sh)", zst.display())),
    )
    .unwrap();
    if !quiet {
        return full;
    }
    let text = String::from_utf8(full).unwrap();
    let mut lines: Vec<&str> = text.lines().skip(1).collect();
    if let Some(i) = lines.iter().position(|l| *l == "Summary") {
        lines.truncate(i);
    }
    lines
        .iter()
        .flat_map(|l| [l.as_bytes(), b"\n"])
        .flatten()
        .copied()
        .collect()
}

#[test]
fn golden_csv_matches_nfdump() {
    if !in_tz("golden_csv_matches_nfdump", "UTC") {
        return;
    }
    let mut failures = Vec::new();
    for nf in inputs() {
        for quiet in [false, true] {
            let name = format!("{}{}", nf.display(), if quiet { " -q" } else { "" });
            if let Some(d) = diff(&name, &golden(&nf, quiet), &ours(&nf, quiet)) {
                failures.push(d);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn nfdump_required() -> bool {
    std::env::var("RFLOW_REQUIRE_NFDUMP").as_deref() == Ok("1")
}

fn live(tz: &str, test: &str) {
    if !in_tz(test, tz) {
        return;
    }
    if Command::new("nfdump").arg("-V").output().is_err() {
        assert!(
            !nfdump_required(),
            "nfdump not found and RFLOW_REQUIRE_NFDUMP=1"
        );
        println!("note: nfdump not installed, skipping the live csv comparison");
        return;
    }
    let mut failures = Vec::new();
    for nf in inputs() {
        let out = Command::new("nfdump")
            .arg("-r")
            .arg(&nf)
            .args(["-o", "csv"])
            .output()
            .unwrap();
        let name = format!("{} (TZ={tz})", nf.display());
        if let Some(d) = diff(&name, &out.stdout, &ours(&nf, false)) {
            failures.push(d);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn live_csv_berlin() {
    live("Europe/Berlin", "live_csv_berlin");
}

#[test]
fn live_csv_new_york() {
    live("America/New_York", "live_csv_new_york");
}

#[test]
fn local_time_honours_tz() {
    if !in_tz("local_time_honours_tz", "Europe/Berlin") {
        return;
    }
    // 2023-11-14 22:13:20.5 UTC is 23:13:20 in Berlin (CET, UTC+1); 2023-07-01 12:00 UTC is
    // 14:00 (CEST).
    let mut s = String::new();
    rf_query::fields::write_time_ms(&mut s, 1_700_000_000_500).unwrap();
    s.push('|');
    rf_query::fields::write_time_ms_secs(&mut s, 1_688_212_800_000).unwrap();
    assert_eq!(s, "2023-11-14 23:13:20.500|2023-07-01 14:00:00");
}
