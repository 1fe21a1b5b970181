//! The reader: maps the file, checks header, trailer and footer on open, and decodes blocks
//! on demand. Blocks are independent, so [`NativeFile`] is `Sync` and callers may decode
//! several at once (rayon over [`FlowFile::read_block`]).

use std::fs::File;
use std::path::{Path, PathBuf};

use super::block;
use super::columns::ColumnSet;
use super::footer::{Footer, IndexEntry, locate};
use super::layout::{VERSION, check_header};
use crate::error::{Error, Result};
use crate::file::{BlockSummary, FileInfo, FileKind, FlowFile};
use crate::record::FlowRecord;

/// The bytes of an opened file.
enum Data {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Data {
    fn bytes(&self) -> &[u8] {
        match self {
            Data::Mapped(m) => m,
            Data::Owned(v) => v,
        }
    }
}

/// Maps `file` read-only.
///
/// # Safety
/// A mapping is only sound while no one modifies or truncates the file; a change would be seen
/// by code that already validated the bytes, and truncation raises SIGBUS. rflow writers never
/// change a finished file: they write a temporary file and rename it into place, so a file
/// reachable under its final name is immutable. Someone editing the file by hand while it is
/// being read is outside what this reader protects against.
#[allow(unsafe_code)]
fn map(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: see the function's `# Safety` section: finished native files are never modified
    // in place, only replaced by rename, which leaves this mapping's inode intact.
    unsafe { memmap2::Mmap::map(file) }
}

/// A native file opened for reading (memory-mapped).
pub struct NativeFile {
    data: Data,
    info: FileInfo,
    blocks: Vec<IndexEntry>,
    /// The file's name, added to every error (none for in-memory images).
    path: Option<PathBuf>,
}

impl NativeFile {
    /// Opens and validates header and footer.
    ///
    /// # Errors
    /// Bad magic, truncated or corrupt footer.
    pub fn open(path: &Path) -> Result<NativeFile> {
        let mut f = NativeFile::open_unnamed(path).map_err(|e| e.in_file(path))?;
        f.path = Some(path.to_path_buf());
        Ok(f)
    }

    fn open_unnamed(path: &Path) -> Result<NativeFile> {
        let file = File::open(path)?;
        // Mapping an empty file fails on some systems; it is not a flow file either way.
        let data = if file.metadata()?.len() == 0 {
            Data::Owned(Vec::new())
        } else {
            Data::Mapped(map(&file)?)
        };
        NativeFile::from_data(data)
    }

    /// Reads a native file image held in memory (for tests and for data that did not come
    /// from a file).
    ///
    /// # Errors
    /// As [`NativeFile::open`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<NativeFile> {
        NativeFile::from_data(Data::Owned(bytes))
    }

    fn from_data(data: Data) -> Result<NativeFile> {
        let bytes = data.bytes();
        check_header(bytes)?;
        let (offset, footer) = locate(bytes)?;
        let f = Footer::decode(footer, offset)?;
        let info = FileInfo {
            kind: FileKind::Native,
            compression: f.compression,
            ident: f.ident,
            stats: f.stats,
            exporters: f.exporters,
            created: f.created,
            blocks: f.blocks.len() as u32,
            version: u32::from(VERSION),
        };
        Ok(NativeFile {
            data,
            info,
            blocks: f.blocks,
            path: None,
        })
    }
}

impl FlowFile for NativeFile {
    fn info(&self) -> &FileInfo {
        &self.info
    }

    fn block_count(&self) -> usize {
        self.blocks.len()
    }

    fn block_summary(&self, i: usize) -> Option<&BlockSummary> {
        self.blocks.get(i).map(|e| &e.summary)
    }

    fn read_block(&self, i: usize, out: &mut Vec<FlowRecord>) -> Result<()> {
        self.read_block_columns(i, ColumnSet::ALL, out)
    }

    /// Decodes only the columns in `cols`; every other field of the appended records keeps
    /// its [`FlowRecord::default`] value. The `ext` presence bits are always decoded.
    fn read_block_columns(
        &self,
        i: usize,
        cols: ColumnSet,
        out: &mut Vec<FlowRecord>,
    ) -> Result<()> {
        let (e, data) = self.block_bytes(i)?;
        block::decode(data, e.offset, e.summary.records, cols, out).map_err(|err| self.named(err))
    }

    fn for_each_record(
        &self,
        i: usize,
        cols: ColumnSet,
        f: &mut dyn FnMut(&FlowRecord),
    ) -> Result<()> {
        let (e, data) = self.block_bytes(i)?;
        block::for_each(data, e.offset, e.summary.records, cols, f).map_err(|err| self.named(err))
    }
}

impl NativeFile {
    /// The index entry and bytes of block `i`.
    fn block_bytes(&self, i: usize) -> Result<(&IndexEntry, &[u8])> {
        let e = self
            .blocks
            .get(i)
            .ok_or_else(|| Error::Unsupported(format!("block {i} of {}", self.blocks.len())))?;
        // The footer parser checked that blocks tile the file up to the footer, so this range
        // is inside the data; `get` keeps it panic-free regardless.
        let start = e.offset as usize;
        let data = self
            .data
            .bytes()
            .get(start..start + e.len as usize)
            .ok_or_else(|| Error::truncated(e.offset, "block beyond end of file"))?;
        Ok((e, data))
    }

    /// `err` with the file's name, when it has one.
    fn named(&self, err: Error) -> Error {
        match &self.path {
            Some(p) => err.in_file(p),
            None => err,
        }
    }
}
