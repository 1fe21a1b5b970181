//! Recovery, at startup, of the files a killed collector left unfinished.
//!
//! A collector stopped by SIGKILL or a power loss leaves the current slot's file under its
//! hidden temporary name (`.nfcapd.YYYYMMDDhhmm.XXXXXX.tmp`), without the footer that makes
//! it readable. Its complete blocks are still on disk: before collecting, each flow directory
//! is searched for such files, their blocks are written to the slot's file, and the
//! temporary file is removed. The caller holds the directory's lock, so no other collector is
//! writing them.

use std::path::{Path, PathBuf};

use rf_format::native::{Writer, WriterOptions};

use crate::collector::{free_name, read_file};
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

/// Unfinished collector files below `dir`. A sub-directory with a lock file of its own
/// belongs to another collector (nested flow directories), whose files are in use.
fn leftovers(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        // Not following links: nothing outside the flow directory is touched.
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() && depth < MAX_DEPTH {
            if !path.join(crate::process::LOCK_FILE).exists() {
                leftovers(&path, depth + 1, out);
            }
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
            Ok((0, _)) => log.info(&format!(
                "Removed the unfinished {}: it holds no complete block",
                tmp.display()
            )),
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
/// (the killed collector had appended to it, as a restart within a slot does; its exporters
/// are kept); otherwise they go to `NAME.recovered` (or `.recovered.N`) beside it, so that
/// nothing is counted twice or lost. A slot name that is not a regular file (a link, a FIFO)
/// is not written through: the temporary file stays for the operator.
fn recover_one(tmp: &Path, opts: &WriterOptions) -> anyhow::Result<(u64, PathBuf)> {
    let name = tmp
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(slot_name)
        .ok_or_else(|| anyhow::anyhow!("not a collector file name"))?;
    let slot = tmp.with_file_name(name);
    let existing = match std::fs::symlink_metadata(&slot) {
        Ok(m) if !m.is_file() => {
            anyhow::bail!("{} is not a regular file; left as it is", slot.display())
        }
        Ok(_) => true,
        Err(_) => false,
    };
    let (records, _) = rf_format::native::salvage(tmp).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut exporters = Vec::new();
    let to = if !existing {
        slot
    } else {
        match read_file(&slot) {
            Ok((info, old)) if records.starts_with(&old) => {
                exporters = info.exporters;
                slot
            }
            _ => free_name(&slot, ".recovered")
                .ok_or_else(|| anyhow::anyhow!("no free name beside {}", slot.display()))?,
        }
    };
    if !records.is_empty() {
        let mut w = Writer::create(&to, opts.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
        for e in exporters {
            w.add_exporter(e);
        }
        for r in &records {
            w.write(r).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        w.finish().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    std::fs::remove_file(tmp)?;
    Ok((records.len() as u64, to))
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
    }

    /// Leftovers are searched below the flow directory, but not in a nested directory that
    /// another collector locks for itself; names already taken get a numbered suffix.
    #[test]
    fn leftovers_skip_other_collectors_and_names_stay_free() {
        let d = tempfile::tempdir().unwrap();
        let mine = d.path().join("2026/12/.nfcapd.202612080100.aaaaaa.tmp");
        let theirs = d.path().join("other/.nfcapd.202612080100.bbbbbb.tmp");
        for f in [&mine, &theirs] {
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, b"x").unwrap();
        }
        std::fs::write(d.path().join("other").join(crate::process::LOCK_FILE), b"").unwrap();
        let mut found = Vec::new();
        leftovers(d.path(), 0, &mut found);
        assert_eq!(found, vec![mine]);
        let slot = d.path().join("nfcapd.202612080100");
        assert_eq!(
            free_name(&slot, ".recovered").unwrap(),
            d.path().join("nfcapd.202612080100.recovered")
        );
        std::fs::write(d.path().join("nfcapd.202612080100.recovered"), b"").unwrap();
        assert_eq!(
            free_name(&slot, ".recovered").unwrap(),
            d.path().join("nfcapd.202612080100.recovered.1")
        );
        assert_eq!(slot_name("nfcapd.202612080135"), None);
        assert_eq!(slot_name(".other.202612080135.x.tmp"), None);
    }
}
