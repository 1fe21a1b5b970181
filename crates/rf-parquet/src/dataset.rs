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

/// Writes records into a Hive-partitioned dataset.
pub struct Dataset {
    dir: PathBuf,
    key: String,
    opts: Options,
    open: HashMap<u64, Writer>,
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
            buffered: 0,
            budget,
            rows: 0,
        })
    }

    fn part_name(&self) -> String {
        format!("part-{}.parquet", self.key)
    }

    /// Appends one record to its hour's part.
    pub fn write(&mut self, r: &FlowRecord) -> Result<(), Error> {
        let hour = hour_of(r.first_ms);
        if !self.open.contains_key(&hour) {
            let d = self.dir.join(partition_dir(hour));
            std::fs::create_dir_all(&d).map_err(|e| Error::new(&d, e.to_string()))?;
            let w = Writer::create(&d.join(self.part_name()), self.opts.clone())?;
            self.open.insert(hour, w);
        }
        let Some(w) = self.open.get_mut(&hour) else {
            return Err(Error::new(&self.dir, "partition writer vanished".into()));
        };
        let before = w.buffered();
        w.write(r)?;
        // `write` may have flushed the partition's full group, so the count can also drop.
        self.buffered = self.buffered - before.min(self.buffered) + w.buffered();
        self.rows += 1;
        if self.buffered > self.budget {
            self.flush_fullest()?;
        }
        Ok(())
    }

    /// Writes the partition holding the most buffered rows as a row group.
    fn flush_fullest(&mut self) -> Result<(), Error> {
        if let Some(w) = self.open.values_mut().max_by_key(|w| w.buffered()) {
            let n = w.buffered();
            w.flush_group()?;
            self.buffered = self.buffered.saturating_sub(n);
        }
        Ok(())
    }

    /// Finishes every part (renaming it into place), then removes the parts of the same inputs
    /// that this run did not write.
    pub fn finish(mut self) -> Result<Report, Error> {
        let mut report = Report {
            rows: self.rows,
            ..Report::default()
        };
        let mut hours: Vec<u64> = self.open.keys().copied().collect();
        hours.sort_unstable();
        let mut written = HashSet::new();
        for h in hours {
            if let Some(w) = self.open.remove(&h) {
                let path = w.path().to_path_buf();
                w.finish()?;
                let rel = path.strip_prefix(&self.dir).unwrap_or(&path).to_path_buf();
                written.insert(path);
                report.parts.push(rel);
            }
        }
        let name = self.part_name();
        for part in self.existing_parts(&name)? {
            if !written.contains(&part) {
                std::fs::remove_file(&part).map_err(|e| Error::new(&part, e.to_string()))?;
                if let Some(hour_dir) = part.parent() {
                    // Only succeeds when the partition is now empty, which is what we want.
                    let _ = std::fs::remove_dir(hour_dir);
                    if let Some(date_dir) = hour_dir.parent() {
                        let _ = std::fs::remove_dir(date_dir);
                    }
                }
                report
                    .removed
                    .push(part.strip_prefix(&self.dir).unwrap_or(&part).to_path_buf());
            }
        }
        Ok(report)
    }

    /// Every `date=*/hour=*/NAME` below the dataset directory.
    fn existing_parts(&self, name: &str) -> Result<Vec<PathBuf>, Error> {
        let mut out = Vec::new();
        for date in subdirs(&self.dir, "date=")? {
            for hour in subdirs(&date, "hour=")? {
                let p = hour.join(name);
                if p.is_file() {
                    out.push(p);
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
            let sum: usize = ds.open.values().map(Writer::buffered).sum();
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
