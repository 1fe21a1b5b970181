//! Differential tests against nfdump 1.7.1.
//!
//! `golden_*`: every expression of `fixtures/filter/expressions.txt` was run through the real
//! nfdump on two nfcapd files (softflowd v9 and IPFIX export of a synthetic pcap) by
//! `fixtures/filter/gen-expected.py`; `expected.txt` holds the match count and a hash of the
//! sorted record keys. Here the same files are read with `rf_format::read_all`, filtered with
//! rf-filter, and the selection must be identical.
//!
//! `live_nfdump`: runs the installed nfdump again on the same expressions and compares directly
//! (skipped with a note when nfdump is missing, unless RFLOW_REQUIRE_NFDUMP=1).

use std::path::{Path, PathBuf};
use std::process::Command;

use rf_filter::{Context, Filter};
use rf_format::FlowRecord;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/filter")
}

/// FNV-1a 64, as in gen-expected.py.
fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The record key as nfdump prints it with `-6 -N -o 'fmt:%tsr %sa %da %sp %dp %pr'`.
fn key(r: &FlowRecord) -> String {
    let dp = if r.is_icmp() {
        format!("{}.{}", r.icmp_type(), r.icmp_code())
    } else {
        r.dst_port.to_string()
    };
    format!(
        "{}.{:03} {} {} {} {} {}",
        r.first_ms / 1000,
        r.first_ms % 1000,
        r.src_addr,
        r.dst_addr,
        r.src_port,
        dp,
        r.proto
    )
}

fn hash_keys(mut keys: Vec<String>) -> (usize, u64) {
    keys.sort();
    let mut all = String::new();
    for k in &keys {
        all.push_str(k);
        all.push('\n');
    }
    (keys.len(), fnv1a(all.as_bytes()))
}

struct Loaded {
    records: Vec<FlowRecord>,
    ident: String,
}

fn load(name: &str) -> Loaded {
    let path = fixture_dir().join(name);
    let f = rf_format::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let ident = f.info().ident.clone();
    let records = rf_format::read_all(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Loaded { records, ident }
}

/// Our selection for an expression: (count, hash).
fn select(l: &Loaded, expr: &str) -> (usize, u64) {
    let f: Filter = expr
        .parse()
        .unwrap_or_else(|e| panic!("rflow rejects {expr:?}: {e}"));
    let keys = l
        .records
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            let ctx = Context {
                ident: Some(&l.ident),
                record_no: *i as u64 + 1,
            };
            f.matches_ctx(r, &ctx)
        })
        .map(|(_, r)| key(r))
        .collect();
    hash_keys(keys)
}

struct Golden {
    file: String,
    result: Option<(usize, u64)>,
    expr: String,
}

fn golden() -> Vec<Golden> {
    let text = std::fs::read_to_string(fixture_dir().join("expected.txt")).expect("expected.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut it = l.splitn(4, '\t');
            let file = it.next().unwrap_or_default().to_string();
            let count = it.next().unwrap_or_default();
            let hash = it.next().unwrap_or_default();
            let expr = it.next().unwrap_or_default().to_string();
            let result = (count != "ERROR").then(|| {
                (
                    count.parse().expect("count"),
                    u64::from_str_radix(hash, 16).expect("hash"),
                )
            });
            Golden { file, result, expr }
        })
        .collect()
}

fn check_file(name: &str) {
    let l = load(name);
    assert!(l.records.len() > 1000, "{name}: too few records read");
    let mut failures = Vec::new();
    let mut checked = 0;
    for g in golden().iter().filter(|g| g.file == name) {
        let ours = select(&l, &g.expr);
        // `None`: nfdump 1.7.1 rejects the expression (e.g. `egress acl > 0`); rflow accepts it.
        let Some(want) = g.result else { continue };
        checked += 1;
        if ours != want {
            failures.push(format!(
                "{:?}: nfdump {} records, rflow {} (hash {:016x} vs {:016x})",
                g.expr, want.0, ours.0, want.1, ours.1
            ));
        }
    }
    assert!(checked >= 150, "{name}: only {checked} golden expressions");
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

#[test]
fn golden_v9() {
    check_file("v9.nf");
}

#[test]
fn golden_ipfix() {
    check_file("ipfix.nf");
}

fn nfdump_present() -> bool {
    let ok = Command::new("nfdump")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("RFLOW_REQUIRE_NFDUMP").as_deref() != Ok("1"),
            "nfdump not installed but RFLOW_REQUIRE_NFDUMP=1"
        );
        eprintln!("note: nfdump not installed, live differential test skipped");
    }
    ok
}

/// Runs the installed nfdump on `path` with extra `args` and returns (count, hash) of its keys.
fn nfdump_keys(path: &Path, args: &[&std::ffi::OsStr]) -> (usize, u64) {
    let out = Command::new("nfdump")
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .arg("-r")
        .arg(path)
        .args(["-6", "-N", "-q", "-o", "fmt:%tsr %sa %da %sp %dp %pr"])
        .args(args)
        .output()
        .expect("run nfdump");
    assert!(
        out.status.success(),
        "nfdump {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    hash_keys(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect(),
    )
}

#[test]
fn live_nfdump() {
    if !nfdump_present() {
        return;
    }
    let name = "v9.nf";
    let l = load(name);
    let path = fixture_dir().join(name);
    let mut failures = Vec::new();
    let mut checked = 0;
    for g in golden()
        .iter()
        .filter(|g| g.file == name && g.result.is_some())
    {
        let want = nfdump_keys(&path, &[g.expr.as_ref()]);
        checked += 1;
        let ours = select(&l, &g.expr);
        if ours != want {
            failures.push(format!("{:?}: nfdump {} rflow {}", g.expr, want.0, ours.0));
        }
        assert_eq!(
            Some(want),
            g.result,
            "expected.txt out of date for {:?}",
            g.expr
        );
    }
    assert!(checked >= 150);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn live_include_and_filter_file() {
    if !nfdump_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("ports.txt");
    std::fs::write(&inc, "# service ports\nport in [53 123]\n").unwrap();
    let expr = format!("proto udp and @include {}", inc.display());
    let file = dir.path().join("filter.txt");
    std::fs::write(&file, format!("{expr}\n  or flags S # syn\n")).unwrap();
    let l = load("v9.nf");
    let path = fixture_dir().join("v9.nf");
    let want = nfdump_keys(&path, &[expr.as_ref()]);
    assert!(want.0 > 0);
    assert_eq!(select(&l, &expr), want);

    let want = nfdump_keys(&path, &["-f".as_ref(), file.as_os_str()]);
    let f = Filter::from_file(&file).unwrap();
    let keys = l.records.iter().filter(|r| f.matches(r)).map(key).collect();
    assert_eq!(hash_keys(keys), want);
}
