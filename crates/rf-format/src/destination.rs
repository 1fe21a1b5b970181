//! Where a file written "to PATH" goes.
//!
//! Files are normally written under a temporary name and renamed onto PATH once complete, so
//! that readers never see half a file. That rename must not destroy what PATH is: a symbolic
//! link keeps pointing where it pointed (its target is replaced instead); a FIFO or a device
//! (a named pipe another program reads, `/dev/null`) is written into directly, as nfdump
//! does; and a descriptor path (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`) naming a
//! regular file (the shell's `> file` or `>> file`) is appended to, which writes the file
//! from its start after `>` and keeps what `>>` found.

use std::path::{Path, PathBuf};

/// How to write a file named by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Write a temporary file in this path's directory and rename it onto this path (the
    /// named path, or the file a symbolic link there resolves to).
    Replace(PathBuf),
    /// Write straight into this existing file that is not a regular one (FIFO, device).
    Direct(PathBuf),
    /// Append to the regular file this descriptor path names.
    Append(PathBuf),
}

/// Whether `path` names one of this process's open descriptors.
fn is_descriptor_path(path: &Path) -> bool {
    path == Path::new("/dev/stdout")
        || path == Path::new("/dev/stderr")
        || path.starts_with("/dev/fd")
        || (path.starts_with("/proc") && path.components().any(|c| c.as_os_str() == "fd"))
}

/// Decides how to write `path`.
pub fn destination(path: &Path) -> Destination {
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_dir()
    {
        if !m.is_file() {
            return Destination::Direct(path.to_path_buf());
        }
        if is_descriptor_path(path) {
            return Destination::Append(path.to_path_buf());
        }
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

/// Opens a [`Destination::Direct`] or [`Destination::Append`] target for writing.
///
/// # Errors
/// As [`std::fs::OpenOptions::open`].
pub fn open_in_place(d: &Destination) -> std::io::Result<std::fs::File> {
    match d {
        Destination::Append(p) => std::fs::OpenOptions::new().append(true).open(p),
        Destination::Direct(p) | Destination::Replace(p) => {
            std::fs::OpenOptions::new().write(true).open(p)
        }
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
        // A descriptor of a regular file is appended to; other paths below /dev and /proc
        // are what they are.
        let f = std::fs::File::open(&plain).unwrap();
        let fd = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&f));
        assert_eq!(destination(Path::new(&fd)), Destination::Append(fd.into()));
    }
}
