//! The streaming writer. It buffers one block of records, encodes it when full and keeps only
//! the small block index until [`Writer::finish`], so memory stays constant however many flows
//! a file gets. [`Writer::create`] writes to a hidden temporary file in the target directory
//! and renames it into place only when the file is complete and synced, so readers (rfdump on
//! a live collector directory, rfexpire) never see a half-written file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::block::BlockEncoder;
use super::columns::{ColumnSet, Presence};
use super::footer::{Footer, IndexEntry, trailer};
use super::layout::{CODEC_LZ4, CODEC_RAW, MAX_BLOCK_RECORDS, header_bytes};
use crate::error::{Error, Result};
use crate::file::{Compression, ExporterInfo};
use crate::record::FlowRecord;
use crate::stats::FileStats;

/// Records a writer gathers before staging their columns in the block encoder: few enough
/// that the records (720 bytes each) stay in cache while each column is read from them
/// (64 to 512 measured; 256 and 512 were fastest).
const CHUNK: usize = 512;

/// Options for [`Writer`].
#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// Block codec (LZ4 or none).
    pub compression: Compression,
    /// Records per block (clamped to 1..=[`MAX_BLOCK_RECORDS`](super::MAX_BLOCK_RECORDS)).
    pub block_records: usize,
    /// Identifier string stored in the footer.
    pub ident: String,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            compression: Compression::Lz4,
            // 4096 rather than 8192: files 0.9 % larger (LZ4), but a block's records and a
            // reader's decoded block or rendered text are half the size: the collector's
            // writer stays in cache (-20 % collector CPU at 200k flows/s) and `-o line`/csv
            // peak memory drops by 2-4 MiB, with the same read speed.
            block_records: 4096,
            ident: String::new(),
        }
    }
}

impl WriterOptions {
    /// Sets the identifier string.
    #[must_use]
    pub fn ident(mut self, ident: impl Into<String>) -> Self {
        self.ident = ident.into();
        self
    }
}

/// The output of [`Writer::create`]: a temporary file next to the final path, removed when
/// dropped unless [`Writer::finish`] renamed it into place; or, for a FIFO or device path,
/// that file itself (see [`crate::destination`]).
pub struct TempFile {
    file: BufWriter<Sink>,
    path: PathBuf,
}

/// What a [`TempFile`] writes into.
enum Sink {
    Temp(tempfile::NamedTempFile),
    Direct(File),
}

impl Sink {
    fn file(&mut self) -> &mut File {
        match self {
            Sink::Temp(t) => t.as_file_mut(),
            Sink::Direct(f) => f,
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl TempFile {
    fn create(path: &Path) -> Result<TempFile> {
        let path = match crate::destination::destination(path) {
            crate::destination::Destination::Replace(p) => p,
            d @ (crate::destination::Destination::Direct(_)
            | crate::destination::Destination::Append(_)) => {
                let f = crate::destination::open_in_place(&d)?;
                return Ok(TempFile {
                    file: BufWriter::with_capacity(1 << 20, Sink::Direct(f)),
                    path: path.to_path_buf(),
                });
            }
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        // tempfile creates 0600 files; a flow file is as readable as any file the user
        // creates (umask applies), as nfdump's are.
        set_default_mode(tmp.as_file())?;
        Ok(TempFile {
            file: BufWriter::with_capacity(1 << 20, Sink::Temp(tmp)),
            path,
        })
    }

    /// Syncs the data and renames the file to its final name, then syncs the directory so the
    /// rename itself survives a crash. A FIFO or device is only flushed.
    fn commit(self) -> Result<()> {
        let tmp = match self
            .file
            .into_inner()
            .map_err(|e| Error::Io(e.into_error()))?
        {
            Sink::Temp(t) => t,
            Sink::Direct(_) => return Ok(()),
        };
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| Error::Io(e.error))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Directories cannot be opened for syncing on every platform; the data is already
            // safe, so a failure here is not worth failing the write.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// Gives `f` the mode a newly created file gets (0666 less the umask).
#[cfg(unix)]
fn set_default_mode(f: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()))
}

#[cfg(not(unix))]
fn set_default_mode(_: &File) -> io::Result<()> {
    Ok(())
}

/// The process umask, read from /proc (setting it to read it back would race with other
/// threads creating files); the common 022 when it cannot be read.
#[cfg(unix)]
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Streaming writer of native files over any byte sink; see the module docs.
pub struct Writer<W: Write = TempFile> {
    out: W,
    pos: u64,
    codec: u8,
    block_records: usize,
    /// Records not yet staged in `enc` (fewer than [`CHUNK`] between calls).
    buf: Vec<FlowRecord>,
    /// The columns the records of the current block (staged and in `buf`) need, as far as
    /// scanned by [`Writer::write`]...
    present: Presence,
    /// ...and as declared to [`Writer::write_in`].
    declared: u128,
    enc: BlockEncoder,
    footer: Footer,
    /// Copies of the blocks written, for [`Writer::recover`] (see [`Writer::keep_blocks`]).
    kept: Option<Kept>,
}

/// Encoded blocks a writer keeps so that its records survive a failed file.
struct Kept {
    /// Most records to keep; past it the copies are given up.
    max_records: usize,
    records: usize,
    /// (records, block bytes) in file order.
    blocks: Vec<(u32, Vec<u8>)>,
    /// Whether `blocks` hold every block written.
    complete: bool,
}

impl Kept {
    fn add(&mut self, records: usize, block: Vec<u8>) {
        if !self.complete {
            return;
        }
        self.records += records;
        if self.records > self.max_records {
            self.blocks = Vec::new();
            self.complete = false;
        } else {
            self.blocks.push((records as u32, block));
        }
    }

    /// Every kept record followed by `tail`, or `None` when the copies were given up.
    fn records(self, tail: Vec<FlowRecord>) -> Option<Vec<FlowRecord>> {
        if !self.complete || self.records + tail.len() > self.max_records {
            return None;
        }
        let mut out = Vec::with_capacity(self.records + tail.len());
        for (n, block) in &self.blocks {
            // The writer encoded these bytes itself; failing to decode them would be a bug,
            // reported as "not recoverable" rather than a wrong answer.
            super::block::decode(block, 0, *n, ColumnSet::ALL, &mut out).ok()?;
        }
        out.extend(tail);
        Some(out)
    }
}

impl Writer<TempFile> {
    /// Creates the temporary file next to `path`.
    ///
    /// # Errors
    /// I/O errors (unwritable directory, ...); an unsupported codec.
    pub fn create(path: &Path, opts: WriterOptions) -> Result<Writer> {
        check_codec(opts.compression)?;
        let out = TempFile::create(path).map_err(|e| e.in_file(path))?;
        Writer::new(out, opts).map_err(|e| e.in_file(path))
    }

    /// Flushes the last block, writes the footer, fsyncs and renames to the final name.
    /// On error the temporary file is removed and no file appears under the final name.
    ///
    /// # Errors
    /// I/O errors, naming the final path.
    pub fn finish(self) -> Result<FileStats> {
        self.finish_or_recover().map_err(|(e, _)| e)
    }

    /// [`Writer::finish`]; on failure also every record written, as [`Writer::recover`]
    /// gives them.
    ///
    /// # Errors
    /// As [`Writer::finish`], with the records when they were kept.
    pub fn finish_or_recover(
        mut self,
    ) -> std::result::Result<FileStats, (Error, Option<Vec<FlowRecord>>)> {
        let path = self.out.path.clone();
        if let Err(e) = self.write_tail() {
            return Err((e.in_file(&path), self.recover()));
        }
        let Writer {
            out, footer, kept, ..
        } = self;
        match out.commit() {
            Ok(()) => Ok(footer.stats),
            Err(e) => Err((e.in_file(&path), kept.and_then(|k| k.records(Vec::new())))),
        }
    }
}

fn check_codec(c: Compression) -> Result<u8> {
    match c {
        Compression::Lz4 => Ok(CODEC_LZ4),
        Compression::None => Ok(CODEC_RAW),
        other => Err(Error::Unsupported(format!(
            "native files cannot use {}",
            other.name()
        ))),
    }
}

impl<W: Write> Writer<W> {
    /// Starts a native file on any writer (a file, a `Vec<u8>`, ...) and writes its header.
    ///
    /// # Errors
    /// I/O errors; an unsupported codec (only LZ4 and none are).
    pub fn new(mut out: W, opts: WriterOptions) -> Result<Writer<W>> {
        let codec = check_codec(opts.compression)?;
        let header = header_bytes();
        out.write_all(&header)?;
        let block_records = opts.block_records.clamp(1, MAX_BLOCK_RECORDS);
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(Writer {
            out,
            pos: header.len() as u64,
            codec,
            block_records,
            buf: Vec::with_capacity(block_records.min(CHUNK)),
            present: Presence::default(),
            declared: 0,
            enc: BlockEncoder::default(),
            kept: None,
            footer: Footer {
                ident: opts.ident,
                created,
                compression: opts.compression,
                ..Footer::default()
            },
        })
    }

    /// Registers an exporter so it is stored in the file (replacing one with the same sysid).
    pub fn add_exporter(&mut self, exp: ExporterInfo) {
        match self
            .footer
            .exporters
            .iter_mut()
            .find(|e| e.sysid == exp.sysid)
        {
            Some(e) => *e = exp,
            None => self.footer.exporters.push(exp),
        }
    }

    /// Sets the creation time stored in the footer (seconds since the epoch; default: now).
    pub fn set_created(&mut self, secs: u64) {
        self.footer.created = secs;
    }

    /// Sets the sequence-failure count of the file summary (the collector counts these).
    pub fn set_sequence_failures(&mut self, n: u64) {
        self.footer.stats.sequence_failures = n;
    }

    /// Totals of the records written so far.
    pub fn stats(&self) -> &FileStats {
        &self.footer.stats
    }

    /// Appends one record.
    ///
    /// # Errors
    /// I/O errors.
    pub fn write(&mut self, rec: &FlowRecord) -> Result<()> {
        self.present.add(rec);
        self.push(rec, 0)
    }

    /// Appends one record whose non-default values all lie in `cols`, which the caller
    /// knows from where the record came from (a collector: the fields its templates fill).
    /// The writer then skips looking at every field of the record for the columns the
    /// block needs (about 15 of the 200 ns a collector spends per flow). Columns of `cols`
    /// that hold only defaults in a block are still left out of it, so the file is the same
    /// as with [`Writer::write`]. A `cols` that misses a non-default field loses that field.
    ///
    /// # Errors
    /// I/O errors.
    pub fn write_in(&mut self, rec: &FlowRecord, cols: &ColumnSet) -> Result<()> {
        debug_assert!(
            ColumnSet::of_record(rec).is_subset(cols),
            "record holds values outside the declared columns"
        );
        let declared = cols.low_mask();
        self.declared |= declared;
        self.push(rec, declared)
    }

    /// Appends the records `fill` pushes onto the vector it is handed (which it must only
    /// add to): a decoder writes them there in place, saving a copy of every 720-byte
    /// record. `fill` returns the columns the new records may hold values in, as for
    /// [`Writer::write_in`], or `None` to have the writer look at every field.
    ///
    /// # Errors
    /// I/O errors.
    pub fn append_with(
        &mut self,
        fill: impl FnOnce(&mut Vec<FlowRecord>) -> Option<ColumnSet>,
    ) -> Result<()> {
        let start = self.buf.len();
        let cols = fill(&mut self.buf);
        let new = self.buf.get(start..).unwrap_or_default();
        for r in new {
            self.footer.stats.add(r);
        }
        let declared = match cols {
            Some(c) => {
                debug_assert!(
                    new.iter().all(|r| ColumnSet::of_record(r).is_subset(&c)),
                    "record holds values outside the declared columns"
                );
                c.low_mask()
            }
            None => {
                new.iter().for_each(|r| self.present.add(r));
                0
            }
        };
        self.declared |= declared;
        self.settle(declared)
    }

    fn push(&mut self, rec: &FlowRecord, declared: u128) -> Result<()> {
        self.footer.stats.add(rec);
        self.buf.push(rec.clone());
        self.settle(declared)
    }

    /// Writes the blocks `buf` completes (each exactly `block_records` long) and stages a
    /// full chunk. Records left in `buf` after a block are all from the last addition,
    /// whose columns are `declared` (or, when 0, found by looking at them).
    fn settle(&mut self, declared: u128) -> Result<()> {
        while self.enc.staged() + self.buf.len() >= self.block_records {
            // Staging stays below `block_records`, so the block takes 1..=buf.len().
            let k = self.block_records - self.enc.staged();
            self.enc.stage(&self.buf[..k], self.needed());
            self.buf.drain(..k);
            self.finish_block()?;
            self.declared = declared;
            if declared == 0 {
                self.buf.iter().for_each(|r| self.present.add(r));
            }
        }
        if self.buf.len() >= CHUNK {
            self.enc.stage(&self.buf, self.needed());
            self.buf.clear();
        }
        Ok(())
    }

    /// Columns that may hold values in the current block.
    fn needed(&self) -> u128 {
        self.present.mask() | self.declared
    }

    /// Keeps a copy of every block written from now on (the encoded bytes: about 25 bytes a
    /// flow, where the records themselves take 720), up to `max_records` records, so that
    /// [`Writer::recover`] can hand back every record after a write error. A collector
    /// uses it to rewrite a slot that a full disk interrupted. Call it before writing.
    pub fn keep_blocks(&mut self, max_records: usize) {
        self.kept = Some(Kept {
            max_records,
            records: 0,
            blocks: Vec::new(),
            complete: self.footer.blocks.is_empty(),
        });
    }

    /// Every record given to this writer, in order, when [`Writer::keep_blocks`] kept them
    /// all (and no more than its limit): what a failed file held, to write again elsewhere
    /// or later. `None` when they were not kept.
    pub fn recover(self) -> Option<Vec<FlowRecord>> {
        let mut tail = self.enc.staged_records();
        tail.extend(self.buf);
        self.kept?.records(tail)
    }

    /// Writes what is staged and in `buf` as a block.
    fn flush_block(&mut self) -> Result<()> {
        self.enc.stage(&self.buf, self.needed());
        self.buf.clear();
        self.finish_block()
    }

    /// Writes the staged records as a block.
    fn finish_block(&mut self) -> Result<()> {
        let records = self.enc.staged();
        if records == 0 {
            return Ok(());
        }
        let (summary, len) = match self.kept.as_mut() {
            Some(kept) if kept.complete => {
                // Encoded into a buffer of its own, which is then kept as it is.
                let mut block = Vec::new();
                let done = self.enc.finish(self.codec, &[], &mut block)?;
                // Kept even when writing it fails: its records are then recovered from it.
                let written = self.out.write_all(&block);
                kept.add(records, block);
                written?;
                done
            }
            _ => self.enc.finish(self.codec, &[], &mut self.out)?,
        };
        // Each complete block goes to the file at once, not into a buffer: a writer killed
        // later (SIGKILL) leaves every finished block on disk, where salvage finds it.
        self.out.flush()?;
        self.footer.blocks.push(IndexEntry {
            offset: self.pos,
            len,
            summary,
        });
        self.pos += u64::from(len);
        self.present = Presence::default();
        self.declared = 0;
        Ok(())
    }

    /// Writes the last block, the footer and the trailer and returns the totals and the
    /// underlying writer (flushed).
    ///
    /// # Errors
    /// I/O errors.
    pub fn finish_into_inner(mut self) -> Result<(FileStats, W)> {
        self.write_tail()?;
        Ok((self.footer.stats, self.out))
    }

    /// Writes the last block, the footer and the trailer, and flushes.
    fn write_tail(&mut self) -> Result<()> {
        self.flush_block()?;
        let footer = self.footer.encode();
        self.out.write_all(&footer)?;
        self.out.write_all(&trailer(self.pos, &footer))?;
        self.out.flush()?;
        Ok(())
    }
}
