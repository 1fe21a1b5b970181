//! Recovery, at startup, of the files a killed collector left unfinished.
//!
//! A collector stopped by SIGKILL or a power loss leaves the current slot's file under its
//! hidden temporary name (`.nfcapd.YYYYMMDDhhmm.XXXXXX.tmp`), without the footer that makes
//! it readable. Its complete blocks are still on disk: before collecting, each flow directory
//! is searched for such files, their blocks are written to the slot's file, and the
//! temporary file is removed. The caller holds the directory's lock, so no other collector is
//! writing them.

use std::path::{Path, PathBuf};

use rf_format::FlowRecord;
use rf_format::native::{Writer, WriterOptions};

use crate::log::Log;

/// Directory levels searched below a flow directory: the deepest `-S` layout is 5, and `-M`
/// adds one per exporter.
const MAX_DEPTH: usize = 7;

/// The slot file name a collector's temporary file stands for: `.nfcapd.X.YYYYYY.tmp` gives
/// `nfcapd.X`.
fn slot_name(tmp: &str) -> Option<&str> {
    let inner = tmp.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (name, _random) = inner.rsplit_once('.')?;
    name.starts_with("nfcapd.").then_some(name)
}

/// Unfinished collector files below `dir`.
fn leftovers(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() && depth < MAX_DEPTH {
            leftovers(&path, depth + 1, out);
        } else if kind.is_file()
            && e.file_name()
                .to_str()
                .is_some_and(|n| slot_name(n).is_some())
        {
            out.push(path);
        }
    }
}

/// Recovers every unfinished file below `dir`; returns the number of flows recovered.
pub fn recover(dir: &Path, opts: &WriterOptions, log: &Log) -> u64 {
    let mut found = Vec::new();
    leftovers(dir, 0, &mut found);
    found.sort();
    let mut flows = 0;
    for tmp in found {
        match recover_one(&tmp, opts) {
            Ok((n, to)) => {
                flows += n;
                log.info(&format!(
                    "Recovered {n} flows of the unfinished {} into {}",
                    tmp.display(),
                    to.display()
                ));
            }
            Err(e) => log.error(&format!("cannot recover {}: {e}", tmp.display())),
        }
    }
    flows
}

/// Writes the complete blocks of `tmp` to its slot file and removes `tmp`. When the slot file
/// exists already, the recovered records replace it if they begin with all of its records
/// (the killed collector had appended to it, as a restart within a slot does); otherwise they
/// go to `NAME.recovered` beside it, so that nothing is counted twice or lost.
fn recover_one(tmp: &Path, opts: &WriterOptions) -> anyhow::Result<(u64, PathBuf)> {
    let name = tmp
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(slot_name)
        .ok_or_else(|| anyhow::anyhow!("not a collector file name"))?;
    let slot = tmp.with_file_name(name);
    let (records, _) = rf_format::native::salvage(tmp).map_err(|e| anyhow::anyhow!("{e}"))?;
    let to = if !slot.exists() || extends(&records, &slot) {
        slot
    } else {
        tmp.with_file_name(format!("{name}.recovered"))
    };
    if !records.is_empty() {
        let mut w = Writer::create(&to, opts.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
        for r in &records {
            w.write(r).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        w.finish().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    std::fs::remove_file(tmp)?;
    Ok((records.len() as u64, to))
}

/// Whether `records` start with every record of the readable file `path`.
fn extends(records: &[FlowRecord], path: &Path) -> bool {
    rf_format::read_all(path).is_ok_and(|old| records.starts_with(&old))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_names_of_temporary_files() {
        assert_eq!(
            slot_name(".nfcapd.202612080135.AbC123.tmp"),
            Some("nfcapd.202612080135")
        );
        // Without the random part the name is not a collector's temporary file.
        assert_eq!(slot_name(".nfcapd.202612080135.tmp"), None);
        assert_eq!(slot_name("nfcapd.202612080135"), None);
        assert_eq!(slot_name(".other.202612080135.x.tmp"), None);
    }
}
