//! rfdump against goldens produced by nfdump 1.7.1 (`scripts/make-query-goldens.sh`): every
//! case of `fixtures/expected/query-cases.txt` is run and compared byte for byte, except the
//! timing line and the `Bytes read` count (rfdump reports on-disk bytes; see docs/compat.md).
//! Cases whose name starts with `~` are compared as sorted lines (hash order / equal ranks).
//! A second test runs the installed nfdump live on the same cases when it is available.

use std::path::Path;

use crate::util::{cmd, have, run, stdout};

/// (name, unordered, arguments) of every golden case.
fn cases() -> Vec<(String, bool, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("fixtures/expected/query-cases.txt"))
        .expect("query-cases.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains('|'))
        .map(|l| {
            let (name, args) = l.split_once('|').expect("separator");
            let name = name.trim();
            let unordered = name.starts_with('~');
            let args = args.split_whitespace().map(str::to_string).collect();
            (name.trim_start_matches('~').to_string(), unordered, args)
        })
        .collect()
}

/// Drops what may legitimately differ: the timing line and the bytes-read count.
fn masked(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| {
            if l.starts_with("Sys: ") {
                "Sys: -\n".to_string()
            } else if let Some(i) = l.find("Bytes read: ") {
                format!("{}Bytes read: -\n", &l[..i])
            } else {
                l.to_string()
            }
        })
        .collect()
}

fn same(expected: &str, got: &str, unordered: bool) -> bool {
    let (e, g) = (masked(expected), masked(got));
    if unordered {
        let mut a: Vec<&str> = e.lines().collect();
        let mut b: Vec<&str> = g.lines().collect();
        a.sort_unstable();
        b.sort_unstable();
        a == b
    } else {
        e == g
    }
}

fn rfdump_output(args: &[String]) -> String {
    let out = run(cmd("rfdump")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args));
    assert!(
        out.status.success(),
        "rfdump {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

#[test]
fn matches_nfdump_goldens() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failed = Vec::new();
    let all = cases();
    assert!(all.len() > 60, "too few golden cases");
    for (name, unordered, args) in &all {
        let expected = std::fs::read_to_string(root.join(format!("fixtures/expected/{name}.out")))
            .unwrap_or_else(|e| panic!("golden {name}: {e}"));
        let got = rfdump_output(args);
        if !same(&expected, &got, *unordered) {
            failed.push(name.clone());
        }
    }
    assert!(
        failed.is_empty(),
        "outputs differ from nfdump goldens: {failed:?}"
    );
}

#[test]
fn live_nfdump_agrees() {
    if !have("nfdump") {
        assert!(
            std::env::var_os("RFLOW_REQUIRE_NFDUMP").is_none(),
            "nfdump is required (RFLOW_REQUIRE_NFDUMP is set) but not installed"
        );
        eprintln!("note: nfdump not installed, skipping the live differential test");
        return;
    }
    // A sample of cases keeps the test quick; the goldens cover the rest.
    for (name, unordered, args) in cases().iter().step_by(5) {
        let out = run(std::process::Command::new("nfdump")
            .env("TZ", "UTC")
            .env("LC_ALL", "C")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args));
        let expected = stdout(&out);
        let got = rfdump_output(args);
        assert!(
            same(&expected, &got, *unordered),
            "{name}: rfdump differs from the installed nfdump"
        );
    }
}
