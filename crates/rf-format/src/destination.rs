//! Where a file written "to PATH" goes.
//!
//! Files are normally written under a temporary name and renamed onto PATH once complete, so
//! that readers never see half a file. That rename must not destroy what PATH is: a symbolic
//! link keeps pointing where it pointed (its target is replaced instead), and a FIFO or a
//! device (`/dev/stdout`, a named pipe another program reads) is written into directly, as
//! nfdump does, instead of being replaced by a regular file.

use std::path::{Path, PathBuf};

/// How to write a file named by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Write a temporary file in this path's directory and rename it onto this path (the
    /// named path, or the file a symbolic link there resolves to).
    Replace(PathBuf),
    /// Write straight into this existing file that is not a regular one (FIFO, character
    /// device, a descriptor under `/dev/fd` or `/proc/self/fd`).
    Direct(PathBuf),
}

/// Decides how to write `path`.
pub fn destination(path: &Path) -> Destination {
    // A descriptor path names an open file of this process (typically stdout redirected
    // by the shell, perhaps in append mode): renaming onto its target would discard it.
    let under_dev = path.starts_with("/dev") || path.starts_with("/proc");
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_dir()
        && (under_dev || !m.is_file())
    {
        return Destination::Direct(path.to_path_buf());
    }
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return Destination::Replace(path.to_path_buf());
    }
    match std::fs::canonicalize(path) {
        Ok(target) => Destination::Replace(target),
        // A dangling link: create its target, relative to the link's directory.
        Err(_) => match std::fs::read_link(path) {
            Ok(t) if t.is_absolute() => Destination::Replace(t),
            Ok(t) => Destination::Replace(path.parent().unwrap_or(Path::new("")).join(t)),
            Err(_) => Destination::Replace(path.to_path_buf()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_and_special_files_are_written_directly() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        assert_eq!(destination(&plain), Destination::Replace(plain.clone()));
        std::fs::write(&plain, b"x").unwrap();
        assert_eq!(destination(&plain), Destination::Replace(plain.clone()));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("plain", &link).unwrap();
        assert_eq!(
            destination(&link),
            Destination::Replace(std::fs::canonicalize(&plain).unwrap())
        );
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("later", &dangling).unwrap();
        assert_eq!(
            destination(&dangling),
            Destination::Replace(dir.path().join("later"))
        );
        let dev = Path::new("/dev/null");
        assert_eq!(destination(dev), Destination::Direct(dev.to_path_buf()));
    }
}
