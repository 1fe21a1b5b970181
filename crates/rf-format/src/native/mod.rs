//! rflow native columnar flow-file format: writer and reader (see docs/format.md).
//!
//! STUB: the public API below is the contract other crates code against; the implementation is
//! being written.

use std::path::Path;

use crate::error::{Error, Result};
use crate::file::{Compression, ExporterInfo, FileInfo, FlowFile};
use crate::record::FlowRecord;
use crate::stats::FileStats;

/// Whether the first bytes of a file are the native magic.
pub fn sniff(head: &[u8]) -> bool {
    let _ = head;
    false
}

/// Options for [`Writer`].
#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// Block codec (LZ4 or none).
    pub compression: Compression,
    /// Records per block.
    pub block_records: usize,
    /// Identifier string stored in the footer.
    pub ident: String,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            compression: Compression::Lz4,
            block_records: 8192,
            ident: String::new(),
        }
    }
}

/// Streaming writer: constant memory, writes `PATH.tmp`-style temporary file and renames it to
/// the final name in [`Writer::finish`], so readers never see a half-written file.
pub struct Writer {
    _private: (),
}

impl Writer {
    /// Creates the temporary file next to `path`.
    ///
    /// # Errors
    /// I/O errors (unwritable directory, ...).
    pub fn create(path: &Path, opts: WriterOptions) -> Result<Writer> {
        let _ = (path, opts);
        Err(Error::Unsupported(
            "native writer not implemented yet".into(),
        ))
    }

    /// Registers an exporter so it is stored in the file.
    pub fn add_exporter(&mut self, exp: ExporterInfo) {
        let _ = exp;
    }

    /// Appends one record.
    ///
    /// # Errors
    /// I/O errors.
    pub fn write(&mut self, rec: &FlowRecord) -> Result<()> {
        let _ = rec;
        Ok(())
    }

    /// Flushes the last block, writes the footer, fsyncs and renames to the final name.
    ///
    /// # Errors
    /// I/O errors.
    pub fn finish(self) -> Result<FileStats> {
        Ok(FileStats::default())
    }
}

/// A native file opened for reading (memory-mapped).
pub struct NativeFile {
    info: FileInfo,
}

impl NativeFile {
    /// Opens and validates header and footer.
    ///
    /// # Errors
    /// Bad magic, truncated or corrupt footer.
    pub fn open(path: &Path) -> Result<NativeFile> {
        let _ = path;
        Err(Error::Unsupported(
            "native reader not implemented yet".into(),
        ))
    }
}

impl FlowFile for NativeFile {
    fn info(&self) -> &FileInfo {
        &self.info
    }
    fn block_count(&self) -> usize {
        0
    }
    fn read_block(&self, _i: usize, _out: &mut Vec<FlowRecord>) -> Result<()> {
        Ok(())
    }
}
