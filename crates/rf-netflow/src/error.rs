//! Decoding errors. Every error names what was being read and the byte offset inside the
//! datagram, so a log line is enough to find the bad bytes in a capture.

use thiserror::Error;

/// Why a datagram (or part of it) could not be decoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The datagram ends before a structure it announces.
    #[error("truncated {what} at offset {offset}")]
    Truncated {
        /// Structure being read.
        what: &'static str,
        /// Byte offset inside the datagram.
        offset: usize,
    },
    /// The version field is none of 1, 5, 7, 9, 10.
    #[error("Unexpected netflow version {0}")]
    Version(u16),
    /// A structure holds a value that cannot be right (zero length, huge counts, ...).
    #[error("invalid {what} at offset {offset}")]
    Invalid {
        /// What was wrong.
        what: &'static str,
        /// Byte offset inside the datagram.
        offset: usize,
    },
    /// A resource limit (exporters, templates) was reached; the datagram was dropped.
    #[error("limit reached: {0}")]
    Limit(&'static str),
}
