//! Apache Parquet export of flow records, for Spark, Trino, DuckDB and ClickHouse.
//!
//! [`Writer`] streams records into one Parquet file (`rfdump -w X.parquet`); [`Dataset`] writes
//! a Hive-partitioned dataset by flow start hour (`rfdump --export-dir DIR`). Both use the
//! versioned column layout of [`schema`] (documented in docs/parquet.md), whose names are the
//! `-o ndjson` keys. Only the parquet crate's low-level column writer is used (no arrow), which
//! keeps the added build small.

pub mod dataset;
mod encoder;
mod rowgroup;
pub mod schema;
pub mod writer;

use std::path::{Path, PathBuf};

pub use dataset::{Dataset, Report};
pub use schema::{SCHEMA_VERSION, SCHEMA_VERSION_KEY};
pub use writer::{Codec, DEFAULT_ROW_GROUP_ROWS, Options, Writer};

/// An export error, naming the file it concerns (and the offset where one is known).
#[derive(Debug)]
pub struct Error {
    /// The file or directory.
    pub path: PathBuf,
    /// What went wrong.
    pub msg: String,
}

impl Error {
    pub(crate) fn new(path: &Path, msg: String) -> Self {
        Self {
            path: path.to_path_buf(),
            msg,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.msg)
    }
}

impl std::error::Error for Error {}
