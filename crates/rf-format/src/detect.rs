//! Detection of the file kind by magic number, dispatching to the native or nfdump reader.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::file::FlowFile;

/// Opens `path` with the reader its magic calls for.
pub(crate) fn open_any(path: &Path) -> Result<Box<dyn FlowFile>> {
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(path)?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    let head = &head[..n];
    if crate::native::sniff(head) {
        Ok(Box::new(crate::native::NativeFile::open(path)?))
    } else if crate::nfdump::sniff(head) {
        Ok(Box::new(crate::nfdump::NfdumpFile::open(path)?))
    } else if n < 4 {
        Err(Error::truncated(0, "file too short for a flow file header"))
    } else {
        Err(Error::NotAFlowFile)
    }
}
