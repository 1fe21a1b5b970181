//! Recovery of a native file whose writer never finished (a collector killed by SIGKILL or a
//! power loss leaves its hidden `.NAME.XXXXXX.tmp` file without footer and trailer).
//!
//! Blocks are self-describing (tag, record count, body length, CRC) and follow each other
//! from the file header on, so the complete ones can be found by walking from the start; the
//! walk stops at the first block that is cut short or fails its checks. What the footer held
//! (ident, exporter list, statistics) is gone; the records are not.

use std::path::Path;

use super::block;
use super::columns::ColumnSet;
use super::layout::{BLOCK_HEADER_LEN, HEADER_LEN, check_header};
use crate::error::{Error, Result};
use crate::record::FlowRecord;

/// The records of every complete block of the unfinished native file at `path`, in file
/// order, and the offset where the walk stopped (the file length when every block was whole).
///
/// # Errors
/// The file cannot be read, or its header is not a native file header.
pub fn salvage(path: &Path) -> Result<(Vec<FlowRecord>, u64)> {
    let data = std::fs::read(path).map_err(|e| Error::Io(e).in_file(path))?;
    let head = data
        .get(..HEADER_LEN)
        .ok_or_else(|| Error::truncated(0, "file header").in_file(path))?;
    check_header(head).map_err(|e| e.in_file(path))?;
    let mut out = Vec::new();
    let mut pos = HEADER_LEN;
    while let Some(h) = data.get(pos..pos + BLOCK_HEADER_LEN) {
        let records = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        let body = u32::from_le_bytes([h[12], h[13], h[14], h[15]]) as usize;
        let Some(blk) = data.get(pos..pos + BLOCK_HEADER_LEN + body) else {
            break;
        };
        let before = out.len();
        if block::decode(blk, pos as u64, records, ColumnSet::ALL, &mut out).is_err() {
            // A block that fails its checks (a footer, or damage) ends the walk.
            out.truncate(before);
            break;
        }
        pos += blk.len();
    }
    Ok((out, pos as u64))
}
