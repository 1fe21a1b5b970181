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

thread_local! {
    /// Block bytes read by the calling thread (see [`NativeFile::with_block`]).
    static BLOCK_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A native file opened for reading: header and footer through a memory map, blocks with
/// positioned reads.
pub struct NativeFile {
    data: Data,
    /// The open file, read block by block: pages read through a map stay in the process's
    /// resident set until the file is closed, so a scan over many files would look (and be
    /// accounted) as large as the files.
    file: Option<File>,
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
        let mut f = NativeFile::from_data(data)?;
        f.file = Some(file);
        Ok(f)
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
            file: None,
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
        self.with_block(i, |e, data| {
            block::decode(data, e.offset, e.summary.records, cols, out)
        })
        .map_err(|err| self.named(err))
    }

    fn for_each_record(
        &self,
        i: usize,
        cols: ColumnSet,
        f: &mut dyn FnMut(&FlowRecord),
    ) -> Result<()> {
        self.with_block(i, |e, data| {
            block::for_each(data, e.offset, e.summary.records, cols, f)
        })
        .map_err(|err| self.named(err))
    }
}

impl NativeFile {
    /// Calls `f` with the index entry and bytes of block `i`.
    fn with_block<T>(
        &self,
        i: usize,
        f: impl FnOnce(&IndexEntry, &[u8]) -> Result<T>,
    ) -> Result<T> {
        let e = self
            .blocks
            .get(i)
            .ok_or_else(|| Error::Unsupported(format!("block {i} of {}", self.blocks.len())))?;
        let Some(file) = &self.file else {
            // The footer parser checked that blocks tile the file up to the footer, so this
            // range is inside the data; `get` keeps it panic-free regardless.
            let start = e.offset as usize;
            let data = self
                .data
                .bytes()
                .get(start..start + e.len as usize)
                .ok_or_else(|| Error::truncated(e.offset, "block beyond end of file"))?;
            return f(e, data);
        };
        use std::os::unix::fs::FileExt;
        // One buffer per thread, reused; taken out so a nested read gets its own.
        let mut buf = BLOCK_BUF.with(|b| b.take());
        // The index was checked against the file's length at open.
        buf.resize(e.len as usize, 0);
        let res = match file.read_exact_at(&mut buf, e.offset) {
            Ok(()) => f(e, &buf),
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(Error::truncated(e.offset, "block beyond end of file"))
            }
            Err(err) => Err(Error::Io(err)),
        };
        BLOCK_BUF.with(|b| b.replace(buf));
        res
    }

    /// `err` with the file's name, when it has one.
    fn named(&self, err: Error) -> Error {
        match &self.path {
            Some(p) => err.in_file(p),
            None => err,
        }
    }
}
