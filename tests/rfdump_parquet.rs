//! `rfdump -w X.parquet` and `--export-dir`, read back by an independent Parquet reader
//! (DuckDB, through scripts/duckdb-query.py): the flow count, packet and byte sums and the top-10
//! talkers must equal those of `rfdump -s ip/bytes` and of the real nfdump on the same files, and
//! a re-run of a partitioned export must replace its parts, never duplicate them.
//!
//! Skips with a note when python3's `duckdb` module (or nfdump, for the nfdump half) is missing,
//! unless RFLOW_REQUIRE_NFDUMP=1, where a missing tool fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{cmd, fixture, have, run, stderr, stdout};

fn required() -> bool {
    std::env::var("RFLOW_REQUIRE_NFDUMP").is_ok_and(|v| v == "1")
}

fn missing(what: &str) {
    assert!(!required(), "RFLOW_REQUIRE_NFDUMP=1 but {what} is missing");
    eprintln!("note: {what} missing, skipping the Parquet check");
}

/// Runs `sql` in DuckDB; rows of tab-separated fields. `None` when DuckDB is not available.
fn duckdb(sql: &str) -> Option<Vec<Vec<String>>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/duckdb-query.py");
    let Ok(o) = Command::new("python3").arg(script).arg(sql).output() else {
        missing("python3");
        return None;
    };
    if o.status.code() == Some(3) {
        missing("the duckdb Python module");
        return None;
    }
    assert!(o.status.success(), "duckdb failed on {sql}: {}", stderr(&o));
    Some(
        stdout(&o)
            .lines()
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect(),
    )
}

/// (flows, bytes, packets) of the `-N` summary line printed by rfdump or nfdump.
fn summary(tool: &mut Command) -> (u64, u64, u64) {
    let o = run(tool.arg("-N"));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("Summary:"))
        .unwrap_or_else(|| panic!("no summary in {text}"));
    let num = |key: &str| -> u64 {
        let rest = &line[line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().unwrap()
    };
    (
        num("total flows: "),
        num("total bytes: "),
        num("total packets: "),
    )
}

/// Top-10 `(address, bytes)` of `-s ip/bytes -o csv`.
fn top_talkers(tool: &mut Command) -> Vec<(String, u64)> {
    let o = run(tool.args(["-N", "-q", "-6", "-s", "ip/bytes", "-n", "10", "-o", "csv"]));
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[4].to_string(), f[9].parse().unwrap())
        })
        .collect()
}

/// The same three totals from DuckDB.
fn parquet_totals(from: &str) -> Option<(u64, u64, u64)> {
    let rows = duckdb(&format!(
        "select count(*), coalesce(sum(in_bytes), 0), coalesce(sum(in_packets), 0) from {from}"
    ))?;
    let r = &rows[0];
    Some((
        r[0].parse().unwrap(),
        r[1].parse().unwrap(),
        r[2].parse().unwrap(),
    ))
}

/// Top talkers as nfdump's `ip` statistic counts them: each flow once for its source and once
/// for its destination address.
fn parquet_top(from: &str) -> Option<Vec<(String, u64)>> {
    let rows = duckdb(&format!(
        "select ip, sum(b) as s from (select src_addr as ip, in_bytes as b from {from} \
         union all select dst_addr, in_bytes from {from}) group by ip order by s desc, ip limit 10"
    ))?;
    Some(
        rows.into_iter()
            .map(|r| (r[0].clone(), r[1].parse().unwrap()))
            .collect(),
    )
}

fn dataset(dir: &Path) -> String {
    format!(
        "read_parquet('{}/**/*.parquet', hive_partitioning = true)",
        dir.display()
    )
}

fn parts(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn parquet_file_matches_rfdump_and_nfdump() {
    let input = fixture("nfdump/gen-query");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("all.parquet");
    let o = run(cmd("rfdump").arg("-R").arg(&input).arg("-w").arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "-w prints nothing: {}", stdout(&o));
    let from = format!("'{}'", out.display());
    let Some(totals) = parquet_totals(&from) else {
        return;
    };
    let rf = summary(cmd("rfdump").arg("-R").arg(&input));
    assert_eq!(totals, rf);
    assert!(totals.0 > 1000, "fixture too small: {totals:?}");
    let top = parquet_top(&from).unwrap();
    assert_eq!(top.len(), 10);
    assert_eq!(top, top_talkers(cmd("rfdump").arg("-R").arg(&input)));

    // The schema version is recorded in the footer.
    let kv = duckdb(&format!(
        "select decode(value) from parquet_kv_metadata({from}) where decode(key) = 'rflow.schema_version'"
    ))
    .unwrap();
    assert_eq!(kv, vec![vec![rf_parquet::SCHEMA_VERSION.to_string()]]);

    if !have("nfdump") {
        missing("nfdump");
        return;
    }
    let mut nf = Command::new("nfdump");
    nf.env("TZ", "UTC").arg("-R").arg(&input);
    assert_eq!(totals, summary(&mut nf));
    let mut nf = Command::new("nfdump");
    nf.env("TZ", "UTC").arg("-R").arg(&input);
    assert_eq!(top, top_talkers(&mut nf));
}

#[test]
fn parquet_file_holds_aggregated_flows() {
    let input = fixture("nfdump/gen-query/r1");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("agg.parquet");
    let o = run(cmd("rfdump")
        .arg("-R")
        .arg(&input)
        .args(["-A", "srcip,proto", "-w"])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    let from = format!("'{}'", out.display());
    let Some(rows) = duckdb(&format!(
        "select count(*), sum(aggr_flows), sum(in_bytes), count(distinct (src_addr, proto)) from {from}"
    )) else {
        return;
    };
    let (flows, bytes, _) = summary(cmd("rfdump").arg("-R").arg(&input));
    let listed =
        run(cmd("rfdump")
            .arg("-R")
            .arg(&input)
            .args(["-A", "srcip,proto", "-q", "-o", "csv"]));
    // With -q the csv has no header line, as nfdump's.
    let groups = stdout(&listed).lines().filter(|l| !l.is_empty()).count();
    let r: Vec<u64> = rows[0].iter().map(|v| v.parse().unwrap()).collect();
    // One row per (srcip, proto) group, carrying the group's flow count and bytes.
    assert_eq!(r, vec![groups as u64, flows, bytes, groups as u64]);
}

#[test]
fn export_dir_partitions_and_replaces() {
    let r1 = fixture("nfdump/gen-query/r1");
    let r2 = fixture("nfdump/gen-query/r2");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ds");
    let export = |input: &Path, filter: &[&str]| {
        let o = run(cmd("rfdump")
            .arg("-R")
            .arg(input)
            .arg("--export-dir")
            .arg(&dir)
            .args(filter));
        assert!(o.status.success(), "{}", stderr(&o));
    };
    export(&r1, &[]);
    export(&r2, &[]);
    let from = dataset(&dir);
    let Some(both) = parquet_totals(&from) else {
        return;
    };
    let t1 = summary(cmd("rfdump").arg("-R").arg(&r1));
    let t2 = summary(cmd("rfdump").arg("-R").arg(&r2));
    assert_eq!(both, (t1.0 + t2.0, t1.1 + t2.1, t1.2 + t2.2));
    if have("nfdump") {
        let mut nf = Command::new("nfdump");
        nf.env("TZ", "UTC")
            .arg("-M")
            .arg(fixture("nfdump/gen-query").join("r1:r2"));
        // -M needs a file selection relative to each directory.
        nf.args(["-R", "."]);
        assert_eq!(both, summary(&mut nf));
    } else {
        missing("nfdump");
    }
    let files = parts(&dir);
    // Hive layout, one part per input set and hour, nothing temporary left.
    for f in &files {
        let rel = f.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
        assert!(
            rel.starts_with("date=2026-12-30/hour=19/part-") && rel.ends_with(".parquet"),
            "{rel}"
        );
    }
    assert_eq!(files.len(), 2, "{files:?}");
    // The partition columns are usable.
    let hours = duckdb(&format!("select distinct date, hour from {from}")).unwrap();
    assert_eq!(
        hours,
        vec![vec!["2026-12-30".to_string(), "19".to_string()]]
    );

    // Re-running replaces r1's part.
    export(&r1, &[]);
    assert_eq!(parquet_totals(&from).unwrap(), both);
    assert_eq!(parts(&dir), files);

    // A narrower re-run of r1 replaces its rows; r2's stay.
    export(&r1, &["proto", "udp"]);
    let udp1 = summary(cmd("rfdump").arg("-R").arg(&r1).args(["proto", "udp"]));
    assert!(udp1.0 < t1.0);
    assert_eq!(
        parquet_totals(&from).unwrap(),
        (udp1.0 + t2.0, udp1.1 + t2.1, udp1.2 + t2.2)
    );

    // A re-run that selects nothing removes r1's part altogether.
    export(&r1, &["proto", "255"]);
    assert_eq!(parquet_totals(&from).unwrap(), t2);
    assert_eq!(parts(&dir).len(), 1);
}

#[test]
fn write_and_export_dir_are_exclusive() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(cmd("rfdump")
        .arg("-R")
        .arg(fixture("nfdump/gen-query/r1"))
        .arg("-w")
        .arg(tmp.path().join("x.parquet"))
        .arg("--export-dir")
        .arg(tmp.path().join("d")));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
}
