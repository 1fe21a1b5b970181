//! Reader for nfdump flow files (nfdump 1.6 layout 1 and 1.7 layout 2).
//!
//! STUB: the public API below is the contract other crates code against; the implementation is
//! being written.

use std::path::Path;

use crate::error::{Error, Result};
use crate::file::{FileInfo, FlowFile};
use crate::record::FlowRecord;

/// Whether the first bytes of a file are nfdump's magic (0xA50C little-endian).
pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 2 && head[0] == 0x0C && head[1] == 0xA5
}

/// An nfdump file opened for reading.
pub struct NfdumpFile {
    info: FileInfo,
}

impl NfdumpFile {
    /// Opens the file and reads its header and appendix.
    ///
    /// # Errors
    /// Bad magic, unsupported layout, corrupt header.
    pub fn open(path: &Path) -> Result<NfdumpFile> {
        let _ = path;
        Err(Error::Unsupported(
            "nfdump reader not implemented yet".into(),
        ))
    }
}

impl FlowFile for NfdumpFile {
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
