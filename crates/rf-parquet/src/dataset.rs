//! `--export-dir`: a Hive-partitioned Parquet dataset, `DIR/date=YYYY-MM-DD/hour=HH/part-K.parquet`.
//!
//! Each record goes to the partition of its flow start (`first`, UTC). `K` is a hash of the
//! input file paths, so the parts written for one set of inputs have stable names: a re-run for
//! the same inputs renames its new parts over the old ones and deletes the old parts it did not
//! rewrite (hours that no longer match), while parts of other inputs (other collectors, other
//! 5-minute files) stay untouched. Many exports of different inputs thus build up one table.
//!
//! Every open partition buffers at most one row group; when all of them together hold more than
//! the budget, the fullest is written out as a (smaller) row group, so memory stays bounded even
//! when the input spans many hours.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rf_format::FlowRecord;

use crate::Error;
use crate::writer::{Options, Writer};

/// Stable 64-bit FNV-1a: std's hashers may change between Rust releases, part names must not.
fn fnv1a(data: &[u8], mut h: u64) -> u64 {
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The part-name key of a set of input files: their absolute paths, sorted, hashed.
pub fn input_key(inputs: &[PathBuf]) -> String {
    let mut names: Vec<String> = inputs
        .iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names.dedup();
    let mut h = 0xcbf2_9ce4_8422_2325;
    for n in &names {
        h = fnv1a(n.as_bytes(), h);
        h = fnv1a(&[0], h);
    }
    format!("{h:016x}")
}

/// Hours since the epoch, the partition key.
fn hour_of(ms: u64) -> u64 {
    ms / 3_600_000
}

/// `date=YYYY-MM-DD/hour=HH` of an hour number.
fn partition_dir(hour: u64) -> PathBuf {
    let secs = i64::try_from(hour.saturating_mul(3600)).unwrap_or(0);
    let t = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    PathBuf::from(format!("date={}", t.format("%Y-%m-%d"))).join(t.format("hour=%H").to_string())
}

/// What [`Dataset::finish`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Rows written.
    pub rows: u64,
    /// Part files written (relative to the dataset directory).
    pub parts: Vec<PathBuf>,
    /// Stale parts of the same inputs removed.
    pub removed: Vec<PathBuf>,
}

/// Partitions open at once at most. Flows arrive roughly in time order, so an hour whose part
/// was least recently written to is normally complete; closing it keeps file handles and
/// memory bounded when a whole archive (thousands of hours) is exported in one run.
pub const MAX_OPEN_PARTITIONS: usize = 32;

/// One open part.
struct Part {
    w: Writer,
    /// Value of the record counter at its last write (for least-recently-used closing).
    last: u64,
}

/// Writes records into a Hive-partitioned dataset.
pub struct Dataset {
    dir: PathBuf,
    key: String,
    opts: Options,
    open: HashMap<u64, Part>,
    /// Parts started per hour: a closed hour that receives records again gets another part.
    started: HashMap<u64, u32>,
    written: Vec<PathBuf>,
    max_open: usize,
    buffered: usize,
    budget: usize,
    rows: u64,
}

impl Dataset {
    /// Prepares an export of `inputs` into `dir` (created when missing).
    pub fn create(dir: &Path, inputs: &[PathBuf], opts: Options) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::new(dir, e.to_string()))?;
        // One encoder thread per hour partition would keep up to two row groups per open
        // partition in memory, defeating the budget below: partitions encode inline.
        let opts = Options {
            threaded: false,
            ..opts
        };
        let budget = opts.row_group_rows.max(1).saturating_mul(2);
        Ok(Self {
            dir: dir.to_path_buf(),
            key: input_key(inputs),
            opts,
            open: HashMap::new(),
            started: HashMap::new(),
            written: Vec::new(),
            max_open: MAX_OPEN_PARTITIONS,
            buffered: 0,
            budget,
            rows: 0,
        })
    }

    /// `part-KEY.parquet` for an hour's first part, `part-KEY-N.parquet` for later ones.
    fn part_name(&self, n: u32) -> String {
        if n == 0 {
            format!("part-{}.parquet", self.key)
        } else {
            format!("part-{}-{n}.parquet", self.key)
        }
    }

    /// Whether `name` is a part name of this dataset's inputs.
    fn is_own_part(&self, name: &str) -> bool {
        let Some(rest) = name
            .strip_prefix("part-")
            .and_then(|r| r.strip_prefix(self.key.as_str()))
            .and_then(|r| r.strip_suffix(".parquet"))
        else {
            return false;
        };
        rest.is_empty()
            || rest
                .strip_prefix('-')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    /// Appends one record to its hour's part.
    pub fn write(&mut self, r: &FlowRecord) -> Result<(), Error> {
        let hour = hour_of(r.first_ms);
        if !self.open.contains_key(&hour) {
            if self.open.len() >= self.max_open.max(1) {
                self.close_least_recent()?;
            }
            let d = self.dir.join(partition_dir(hour));
            std::fs::create_dir_all(&d).map_err(|e| Error::new(&d, e.to_string()))?;
            let n = self.started.get(&hour).copied().unwrap_or(0);
            self.started.insert(hour, n + 1);
            let name = self.part_name(n);
            let w = Writer::create(&d.join(name), self.opts.clone())?;
            self.open.insert(hour, Part { w, last: 0 });
        }
        let Some(part) = self.open.get_mut(&hour) else {
            return Err(Error::new(&self.dir, "partition writer vanished".into()));
        };
        let before = part.w.buffered();
        part.w.write(r)?;
        part.last = self.rows;
        // `write` may have flushed the partition's full group, so the count can also drop.
        self.buffered = self.buffered - before.min(self.buffered) + part.w.buffered();
        self.rows += 1;
        if self.buffered > self.budget {
            self.flush_fullest()?;
        }
        Ok(())
    }

    /// Writes the partition holding the most buffered rows as a row group.
    fn flush_fullest(&mut self) -> Result<(), Error> {
        if let Some(p) = self.open.values_mut().max_by_key(|p| p.w.buffered()) {
            let n = p.w.buffered();
            p.w.flush_group()?;
            self.buffered = self.buffered.saturating_sub(n);
        }
        Ok(())
    }

    /// Finishes the part written to least recently.
    fn close_least_recent(&mut self) -> Result<(), Error> {
        let Some(hour) = self
            .open
            .iter()
            .min_by_key(|(_, p)| p.last)
            .map(|(h, _)| *h)
        else {
            return Ok(());
        };
        self.close(hour)
    }

    fn close(&mut self, hour: u64) -> Result<(), Error> {
        if let Some(p) = self.open.remove(&hour) {
            self.buffered = self.buffered.saturating_sub(p.w.buffered());
            let path = p.w.path().to_path_buf();
            p.w.finish()?;
            self.written.push(path);
        }
        Ok(())
    }

    /// Finishes every part (renaming it into place), then removes the parts of the same inputs
    /// that this run did not write.
    pub fn finish(mut self) -> Result<Report, Error> {
        let mut hours: Vec<u64> = self.open.keys().copied().collect();
        hours.sort_unstable();
        for h in hours {
            self.close(h)?;
        }
        let rel = |p: &Path| p.strip_prefix(&self.dir).unwrap_or(p).to_path_buf();
        let mut report = Report {
            rows: self.rows,
            parts: self.written.iter().map(|p| rel(p)).collect(),
            ..Report::default()
        };
        report.parts.sort();
        let written: HashSet<&PathBuf> = self.written.iter().collect();
        for part in self.existing_parts()? {
            if !written.contains(&part) {
                std::fs::remove_file(&part).map_err(|e| Error::new(&part, e.to_string()))?;
                if let Some(hour_dir) = part.parent() {
                    // Only succeeds when the partition is now empty, which is what we want.
                    let _ = std::fs::remove_dir(hour_dir);
                    if let Some(date_dir) = hour_dir.parent() {
                        let _ = std::fs::remove_dir(date_dir);
                    }
                }
                report.removed.push(rel(&part));
            }
        }
        Ok(report)
    }

    /// Every part of these inputs below `date=*/hour=*/`.
    fn existing_parts(&self) -> Result<Vec<PathBuf>, Error> {
        let mut out = Vec::new();
        for date in subdirs(&self.dir, "date=")? {
            for hour in subdirs(&date, "hour=")? {
                let rd = std::fs::read_dir(&hour).map_err(|e| Error::new(&hour, e.to_string()))?;
                for e in rd {
                    let e = e.map_err(|e| Error::new(&hour, e.to_string()))?;
                    if self.is_own_part(&e.file_name().to_string_lossy())
                        && e.file_type().is_ok_and(|t| t.is_file())
                    {
                        out.push(e.path());
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Subdirectories of `dir` whose names start with `prefix`.
fn subdirs(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| Error::new(dir, e.to_string()))?;
    for e in rd {
        let e = e.map_err(|e| Error::new(dir, e.to_string()))?;
        if e.file_name().to_string_lossy().starts_with(prefix)
            && e.file_type().is_ok_and(|t| t.is_dir())
        {
            out.push(e.path());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names() {
        // 2026-11-28 04:05 UTC.
        let ms = 1_795_838_700_000;
        assert_eq!(
            partition_dir(hour_of(ms)),
            Path::new("date=2026-11-28/hour=04")
        );
    }

    #[test]
    fn memory_budget_spans_partitions() {
        let dir = tempfile::tempdir().unwrap();
        let opts = Options {
            row_group_rows: 3,
            ..Options::default()
        };
        let mut ds = Dataset::create(dir.path(), &[PathBuf::from("/in/x")], opts).unwrap();
        // 4 rows in each of 5 hours, interleaved: every hour stays open all along.
        for i in 0..20u64 {
            let r = FlowRecord {
                first_ms: 1_795_838_700_000 + (i % 5) * 3_600_000,
                ..FlowRecord::default()
            };
            ds.write(&r).unwrap();
            assert!(ds.buffered <= ds.budget, "{} > {}", ds.buffered, ds.budget);
            let sum: usize = ds.open.values().map(|p| p.w.buffered()).sum();
            assert_eq!(ds.buffered, sum);
        }
        let report = ds.finish().unwrap();
        assert_eq!(report.rows, 20);
        assert_eq!(report.parts.len(), 5);
        assert_eq!(
            report.parts[0],
            Path::new("date=2026-11-28/hour=04").join(format!(
                "part-{}.parquet",
                input_key(&[PathBuf::from("/in/x")])
            ))
        );
        assert!(report.removed.is_empty());
    }

    #[test]
    fn closed_hours_get_further_parts_and_reruns_remove_them() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = [PathBuf::from("/in/y")];
        let at = |h: u64| FlowRecord {
            first_ms: 1_795_838_700_000 + h * 3_600_000,
            ..FlowRecord::default()
        };
        let mut ds = Dataset::create(dir.path(), &inputs, Options::default()).unwrap();
        ds.max_open = 2;
        // Hour 0 is closed when hour 2 opens, then receives a late record.
        for h in [0, 1, 2, 0] {
            ds.write(&at(h)).unwrap();
        }
        let report = ds.finish().unwrap();
        let key = input_key(&inputs);
        let names: Vec<String> = report
            .parts
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec![
                format!("date=2026-11-28/hour=04/part-{key}-1.parquet"),
                format!("date=2026-11-28/hour=04/part-{key}.parquet"),
                format!("date=2026-11-28/hour=05/part-{key}.parquet"),
                format!("date=2026-11-28/hour=06/part-{key}.parquet"),
            ]
        );
        // Another input's part in the same hour is not ours.
        let other = dir
            .path()
            .join("date=2026-11-28/hour=05/part-0123456789abcdef.parquet");
        std::fs::write(&other, b"x").unwrap();

        // A re-run that only has hour 1 replaces it and removes the rest of its parts.
        let mut ds = Dataset::create(dir.path(), &inputs, Options::default()).unwrap();
        ds.write(&at(1)).unwrap();
        let report = ds.finish().unwrap();
        assert_eq!(report.parts.len(), 1);
        assert_eq!(report.removed.len(), 3, "{:?}", report.removed);
        assert!(other.exists());
        assert!(!dir.path().join("date=2026-11-28/hour=04").exists());
    }

    #[test]
    fn key_ignores_order_and_duplicates() {
        let a = PathBuf::from("/nonexistent/a");
        let b = PathBuf::from("/nonexistent/b");
        assert_eq!(
            input_key(&[a.clone(), b.clone()]),
            input_key(&[b.clone(), a.clone(), b.clone()])
        );
        assert_ne!(input_key(&[a]), input_key(&[b]));
    }
}
