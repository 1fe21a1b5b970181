//! Errors of the flow-directory crate. Messages follow nfdump's wording where users may know
//! it, and every I/O error names the path it concerns.

use std::io;
use std::path::{Path, PathBuf};

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong selecting, naming or expiring flow files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a named path. The message already contains the cause, so the cause is
    /// not exposed as `source()`: error chains (anyhow's `{:#}`) would print it twice.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        cause: io::Error,
    },
    /// A bad argument (time window, layout number, size, range syntax ...): one line for the
    /// user, nothing was changed on disk.
    #[error("{0}")]
    Invalid(String),
    /// The file list could not be built (missing first file of a range, not a directory ...).
    #[error("{0}")]
    FileList(String),
}

impl Error {
    /// Shorthand for an I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            cause: source,
        }
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// Shorthand for [`Error::FileList`].
    pub fn file_list(msg: impl Into<String>) -> Self {
        Error::FileList(msg.into())
    }
}
