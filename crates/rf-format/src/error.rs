//! Errors of the flow-file crate. Every variant that concerns file content carries the byte
//! offset so a user can find the damage; the path is added by [`Error::in_file`].

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong reading or writing a flow file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The data ends before a structure it announces.
    #[error("truncated at offset {offset}: {what}")]
    Truncated {
        /// Byte offset in the file where the data ran out.
        offset: u64,
        /// What was being read.
        what: String,
    },
    /// The data is present but inconsistent (bad checksum, impossible length, ...).
    #[error("corrupt data at offset {offset}: {what}")]
    Corrupt {
        /// Byte offset in the file of the bad structure.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// Not a flow file rflow knows (bad magic).
    #[error("not an nfdump or rflow flow file")]
    NotAFlowFile,
    /// A known magic with a version this build cannot read.
    #[error("unsupported file version {0}")]
    UnsupportedVersion(u32),
    /// A feature of the file (compression, layout) this build does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The same error, in a named file. The message already contains the cause, so the cause is
    /// deliberately not exposed as `source()`: error chains (anyhow's `{:#}`) print it once.
    #[error("{}: {error}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: Box<Error>,
    },
}

impl Error {
    /// Shorthand for [`Error::Corrupt`].
    pub fn corrupt(offset: u64, what: impl Into<String>) -> Self {
        Error::Corrupt {
            offset,
            what: what.into(),
        }
    }

    /// Shorthand for [`Error::Truncated`].
    pub fn truncated(offset: u64, what: impl Into<String>) -> Self {
        Error::Truncated {
            offset,
            what: what.into(),
        }
    }

    /// The error without the file it happened in (for messages that name the file already).
    pub fn cause(&self) -> &Error {
        match self {
            Error::InFile { error, .. } => error.cause(),
            e => e,
        }
    }

    /// Attaches the file name (once) so the message names the file.
    #[must_use]
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        match self {
            e @ Error::InFile { .. } => e,
            e => Error::InFile {
                path: path.into(),
                error: Box::new(e),
            },
        }
    }
}
