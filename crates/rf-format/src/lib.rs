//! Flow records and flow files for rflow.
//!
//! This crate holds the in-memory [`FlowRecord`], rflow's native columnar flow-file format
//! ([`native`]), the reader for nfdump's nfcapd files ([`nfdump`]), and [`open`], which reads
//! either kind behind the [`FlowFile`] trait. It does no printing and knows nothing of the
//! command line.

#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod destination;
mod detect;
pub mod error;
pub mod file;
pub mod native;
pub mod nfdump;
pub mod protocols;
pub mod record;
pub mod stats;

pub use error::{Error, Result};
pub use file::{
    BlockSummary, Compression, ExporterInfo, FileInfo, FileKind, FlowFile, open, read_all,
};
pub use native::ColumnSet;
pub use record::{ExtSet, FlowRecord, ext_id};
pub use stats::FileStats;
