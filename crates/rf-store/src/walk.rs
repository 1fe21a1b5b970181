//! Sorted directory walks. nfdump walks trees with `fts` sorted by name, so files come out in
//! name order at every level; for slot-named files in any `-S` layout that is time order.
//! Two policies exist: reading follows symlinks like nfdump (with loop protection), expiry
//! never does so it cannot delete outside the flow directory.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file found by a walk: its path components below the walk root, and its metadata.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Components below the root (the last one is the file name).
    pub rel: Vec<OsString>,
    /// Metadata of the file (of the target when symlinks are followed).
    pub meta: fs::Metadata,
}

impl Entry {
    /// The full path of the entry below `root`.
    pub fn path(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        p.extend(&self.rel);
        p
    }
}

/// How a walk treats the tree.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WalkOptions {
    /// Follow symbolic links to files and directories (reading) or ignore them (expiry).
    pub follow_links: bool,
    /// Only descend this many directory levels (`Some(0)`: the root only).
    pub max_depth: Option<usize>,
}

/// Lists the regular files below `root` in name order, depth first. `keep_dir` decides
/// whether a sub-directory (by name) is entered; `keep_file` whether a file is listed.
pub(crate) fn files(
    root: &Path,
    opts: WalkOptions,
    keep_dir: &dyn Fn(&str) -> bool,
    keep_file: &dyn Fn(&str) -> bool,
) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut active = HashSet::new();
    let mut rel = Vec::new();
    walk_dir(
        root,
        opts,
        keep_dir,
        keep_file,
        &mut rel,
        &mut active,
        &mut out,
    )?;
    Ok(out)
}

fn walk_dir(
    dir: &Path,
    opts: WalkOptions,
    keep_dir: &dyn Fn(&str) -> bool,
    keep_file: &dyn Fn(&str) -> bool,
    rel: &mut Vec<OsString>,
    active: &mut HashSet<(u64, u64)>,
    out: &mut Vec<Entry>,
) -> Result<()> {
    let meta = fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    // A directory already on the current path means a symlink loop: stop there.
    if !active.insert((meta.dev(), meta.ino())) {
        return Ok(());
    }
    let mut names: Vec<OsString> = fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let meta = if opts.follow_links {
            fs::metadata(&path)
        } else {
            fs::symlink_metadata(&path)
        };
        // Entries that vanish or cannot be stat'ed (dangling links) are not flow files.
        let Ok(meta) = meta else { continue };
        let text = name.to_string_lossy();
        if meta.is_dir() {
            let deeper = opts.max_depth.is_none_or(|m| rel.len() < m);
            if deeper && keep_dir(&text) {
                rel.push(name);
                let r = walk_dir(&path, opts, keep_dir, keep_file, rel, active, out);
                rel.pop();
                r?;
            }
        } else if meta.is_file() && keep_file(&text) {
            let mut r = rel.clone();
            r.push(name);
            out.push(Entry { rel: r, meta });
        }
    }
    active.remove(&(meta.dev(), meta.ino()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_in_name_order_and_survives_symlink_loops() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        fs::create_dir_all(root.join("b/x")).unwrap();
        fs::create_dir_all(root.join("a")).unwrap();
        for f in ["b/x/2", "b/1", "a/3", "0"] {
            fs::write(root.join(f), b"x").unwrap();
        }
        std::os::unix::fs::symlink(root, root.join("b/loop")).unwrap();
        let opts = WalkOptions {
            follow_links: true,
            max_depth: None,
        };
        let got: Vec<PathBuf> = files(root, opts, &|_| true, &|_| true)
            .unwrap()
            .iter()
            .map(|e| e.path(Path::new("")))
            .collect();
        // b/loop leads back to the root, which is on the active path: not walked again.
        assert_eq!(got, ["0", "a/3", "b/1", "b/x/2"].map(PathBuf::from));
        let flat = WalkOptions {
            follow_links: false,
            max_depth: Some(0),
        };
        assert_eq!(files(root, flat, &|_| true, &|_| true).unwrap().len(), 1);
    }
}
