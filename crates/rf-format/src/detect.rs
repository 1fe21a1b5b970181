//! Detection of the file kind by magic number, dispatching to the native or nfdump reader.

use std::path::Path;

use crate::error::Result;
use crate::file::FlowFile;

/// Opens `path` with the reader its magic calls for.
pub(crate) fn open_any(path: &Path) -> Result<Box<dyn FlowFile>> {
    let _ = path;
    Err(crate::error::Error::NotAFlowFile)
}
