//! Finding the flow files expiry may touch, and removing them safely.
//!
//! A file qualifies only if all of these hold: it is a regular file (symbolic links are never
//! followed, to files or directories, so nothing outside the flow directory is reachable); its
//! name is `nfcapd.` + 12 or 14 digits (never `nfcapd.current.*` or temporary files); it lies
//! in the base directory or in sub-directories whose names start with a digit (the `-S`
//! layouts; hidden directories are skipped); and it starts with the magic of an nfdump or
//! rflow flow file. Files come out in name order at every level, which is slot-time order.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::naming;
use crate::walk::{self, WalkOptions};

/// One flow file found by [`scan`].
#[derive(Clone, Debug)]
pub struct FlowEntry {
    /// Path components below the flow directory (sub-directories and name).
    pub rel: Vec<OsString>,
    /// The time string of the name (`202511280325`), compared as text like nfexpire.
    pub digits: String,
    /// Slot start, UNIX seconds.
    pub secs: i64,
    /// Disk usage in bytes (512 × allocated blocks), as nfexpire counts it.
    pub size: u64,
    /// Device and inode, to make sure the file deleted is the file scanned.
    pub id: (u64, u64),
}

impl FlowEntry {
    /// The path of the file below `base`.
    pub fn path(&self, base: &Path) -> PathBuf {
        let mut p = base.to_path_buf();
        p.extend(&self.rel);
        p
    }
}

/// Whether the first bytes are those of an nfdump or rflow flow file.
fn has_flow_magic(path: &Path) -> bool {
    let mut head = [0u8; 16];
    let Ok(mut f) = fs::File::open(path) else {
        return false;
    };
    let mut n = 0;
    while n < head.len() {
        match f.read(head.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    let head = head.get(..n).unwrap_or_default();
    rf_format::nfdump::sniff(head) || rf_format::native::sniff(head)
}

/// Lists the flow files of the directory tree `base`, oldest first.
///
/// # Errors
/// I/O errors reading a directory.
pub fn scan(base: &Path) -> Result<Vec<FlowEntry>> {
    let opts = WalkOptions {
        follow_links: false,
        max_depth: None,
    };
    let keep_dir = |name: &str| name.as_bytes().first().is_some_and(u8::is_ascii_digit);
    let keep_file = |name: &str| naming::parse_name(name).is_some();
    let found = walk::files(base, opts, &keep_dir, &keep_file)?;
    let mut out = Vec::with_capacity(found.len());
    for e in found {
        let Some(name) = e.rel.last().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(slot) = naming::parse_name(name) else {
            continue;
        };
        if !has_flow_magic(&e.path(base)) {
            continue;
        }
        out.push(FlowEntry {
            digits: slot.digits.to_string(),
            secs: slot.secs,
            size: e.meta.blocks().saturating_mul(512),
            id: (e.meta.dev(), e.meta.ino()),
            rel: e.rel,
        });
    }
    Ok(out)
}

/// Removes one scanned flow file, after checking that no directory on its path has been
/// replaced by a symbolic link and that the name still refers to the scanned file. A file
/// that is already gone (another process removed it) counts as not removed, without error.
///
/// `checked` remembers the last directory whose path was verified, so a run over many files
/// of one directory checks the directories once, not once per file (every stat costs on
/// network and virtual file systems).
///
/// # Errors
/// The path changed since the scan, or the removal failed.
pub fn remove(base: &Path, entry: &FlowEntry, checked: &mut Option<PathBuf>) -> Result<bool> {
    let Some((name, subdirs)) = entry.rel.split_last() else {
        return Ok(false);
    };
    let mut dir = base.to_path_buf();
    dir.extend(subdirs);
    if checked.as_ref() != Some(&dir) {
        *checked = None;
        check_dirs(base, subdirs)?;
        *checked = Some(dir.clone());
    }
    let path = dir.join(name);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() && (m.dev(), m.ino()) == entry.id => {}
        Ok(_) => {
            return Err(Error::io(
                &path,
                io::Error::other("replaced since the scan; not removed"),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(&path, e)),
    }
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(&path, e)),
    }
}

/// Checks that every sub-directory on the way from `base` is still a real directory (a
/// missing one is fine: the file is gone too).
fn check_dirs(base: &Path, subdirs: &[OsString]) -> Result<()> {
    let mut dir = base.to_path_buf();
    for part in subdirs {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::io(
                    &dir,
                    io::Error::other("changed into a non-directory since the scan; not followed"),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&dir, e)),
        }
    }
    Ok(())
}

/// Removes the now empty sub-directories that held `entry`, deepest first, never `base`
/// itself. Stops at the first directory that is not empty.
pub fn remove_empty_parents(base: &Path, entry: &FlowEntry) {
    let Some((_, subdirs)) = entry.rel.split_last() else {
        return;
    };
    for depth in (1..=subdirs.len()).rev() {
        let mut dir = base.to_path_buf();
        dir.extend(subdirs.iter().take(depth));
        // rmdir refuses non-empty directories, and a symlink is not a directory to it:
        // failure just means the directory stays.
        let is_dir = fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
        if !is_dir || fs::remove_dir(&dir).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = [0x0c, 0xa5, 0x02, 0x00];

    #[test]
    fn only_real_flow_files_qualify() {
        let d = tempfile::tempdir().unwrap();
        let b = d.path();
        fs::create_dir_all(b.join("2025/11/27")).unwrap();
        fs::create_dir_all(b.join(".hidden")).unwrap();
        fs::create_dir_all(b.join("other")).unwrap();
        for f in [
            "2025/11/27/nfcapd.202511270000",
            "nfcapd.202511280000",
            "nfcapd.20251128000010",
            ".hidden/nfcapd.202511200000",
            "other/nfcapd.202511210000",
            "nfcapd.current.99",
            "nfcapd.2025112800",
        ] {
            fs::write(b.join(f), MAGIC).unwrap();
        }
        // Right name, wrong content: not ours to delete.
        fs::write(b.join("nfcapd.202511260000"), b"not flows").unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("nfcapd.202511250000"), MAGIC).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("nfcapd.202511250000"),
            b.join("nfcapd.202511250000"),
        )
        .unwrap();
        std::os::unix::fs::symlink(outside.path(), b.join("2024")).unwrap();
        let got: Vec<String> = scan(b)
            .unwrap()
            .iter()
            .map(|e| e.path(Path::new("")).to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            got,
            [
                "2025/11/27/nfcapd.202511270000",
                "nfcapd.202511280000",
                "nfcapd.20251128000010"
            ]
        );
    }

    #[test]
    fn removal_checks_identity_and_cleans_parents() {
        let d = tempfile::tempdir().unwrap();
        let b = d.path();
        fs::create_dir_all(b.join("2025/11/27")).unwrap();
        fs::write(b.join("2025/11/27/nfcapd.202511270000"), MAGIC).unwrap();
        fs::write(b.join("2025/keep"), b"x").unwrap();
        let entries = scan(b).unwrap();
        let e = &entries[0];
        assert!(remove(b, e, &mut None).unwrap());
        remove_empty_parents(b, e);
        assert!(!b.join("2025/11").exists());
        assert!(b.join("2025/keep").exists());
        // Already gone: not an error, not counted.
        assert!(!remove(b, e, &mut None).unwrap());
        // Replaced by another file of the same name: refused.
        fs::write(b.join("nfcapd.202511280000"), MAGIC).unwrap();
        let e = scan(b).unwrap().remove(0);
        fs::remove_file(b.join("nfcapd.202511280000")).unwrap();
        fs::write(b.join("other"), MAGIC).unwrap();
        fs::rename(b.join("other"), b.join("nfcapd.202511280000")).unwrap();
        let same_inode = fs::symlink_metadata(b.join("nfcapd.202511280000"))
            .map(|m| (m.dev(), m.ino()))
            .unwrap();
        if same_inode != e.id {
            assert!(remove(b, &e, &mut None).is_err());
            assert!(b.join("nfcapd.202511280000").exists());
        }
    }
}
