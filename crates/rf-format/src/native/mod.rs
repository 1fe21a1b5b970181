//! rflow's native columnar flow-file format: writer and reader (byte layout in
//! docs/format.md).
//!
//! A file is a header, self-contained data blocks, a footer (file summary, exporters, block
//! index with per-block skipping summaries) and a fixed trailer pointing at the footer. Inside
//! a block every field is its own column, compressed on its own, so a query decodes only the
//! columns it needs ([`crate::FlowFile::read_block_columns`] with a [`ColumnSet`]). Every block
//! and the footer carry a CRC32: damage is reported with its offset, never decoded into wrong
//! flows.
//!
//! ```
//! use rf_format::native::{NativeFile, Writer, WriterOptions};
//! use rf_format::{FlowFile, FlowRecord};
//!
//! let mut w = Writer::new(Vec::new(), WriterOptions::default()).unwrap();
//! w.write(&FlowRecord { proto: 6, in_packets: 3, ..FlowRecord::default() }).unwrap();
//! let (stats, bytes) = w.finish_into_inner().unwrap();
//! assert_eq!(stats.flows_tcp, 1);
//! let f = NativeFile::from_bytes(bytes).unwrap();
//! let mut recs = Vec::new();
//! f.read_block(0, &mut recs).unwrap();
//! assert_eq!(recs[0].in_packets, 3);
//! ```

mod block;
pub(crate) mod bloom;
mod codec;
mod columns;
mod footer;
mod layout;
mod reader;
mod salvage;
mod writer;

#[cfg(test)]
mod tests;

pub use columns::{ColumnSet, column_names};
pub use layout::{MAX_BLOCK_RECORDS, VERSION};
pub use reader::NativeFile;
pub use salvage::salvage;
pub use writer::{TempFile, Writer, WriterOptions};

/// Whether the first bytes of a file are the native magic.
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(&layout::MAGIC)
}
