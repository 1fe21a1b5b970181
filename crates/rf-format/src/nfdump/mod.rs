//! Reader for nfdump flow files: nfdump 1.7 (LAYOUT_VERSION_2, V3 records) and nfdump 1.6
//! (LAYOUT_VERSION_1, common records with extension maps), in every codec nfdump writes
//! (none, LZO, bzip2, LZ4, zstd). The byte layouts are in `reference/nffile-format.md`.
//!
//! Opening reads the header, the appendix (ident and stat record) and the 12-byte header of
//! every data block, so blocks can then be read independently, from several threads, with
//! positioned reads (no shared file cursor, no memory map). Exporter and sampler records live
//! in the data blocks next to the flows; they are collected by a scan at open of the first
//! and last block, where nfcapd writes them (every block for 1.6 files), and joined into each
//! record by sysid. The first block's decoded payload is kept for its first read, so a
//! single-block file is decompressed once. A record whose exporter was announced in another
//! block triggers a one-time scan of the whole file, so joins never depend on block order;
//! [`FileInfo::exporters`] lists what the first and last block (and such a scan) announce.
//!
//! Damage is reported, not guessed around: a block whose header, size or content is bad
//! yields [`Error::Corrupt`]/[`Error::Truncated`] with the file offset from `read_block` of
//! that block, and indexing stops there; earlier blocks read normally. A damaged appendix
//! becomes an extra failing block after the data blocks, so its error is seen after all good
//! records.

mod bytes;
mod codec;
mod exporters;
mod header;
mod legacy;
mod lzo;
mod v3;

use std::cell::RefCell;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use self::bytes::{u16_at, u32_at};
use self::codec::MAX_BLOCK;
use self::exporters::Tables;
use self::header::Header;
use crate::error::{Error, Result};
use crate::file::{Compression, FileInfo, FileKind, FlowFile};
use crate::record::FlowRecord;
use crate::stats::FileStats;

/// Whether the first bytes of a file are nfdump's magic (0xA50C little-endian).
pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 2 && head[0] == 0x0C && head[1] == 0xA5
}

/// Size of a data block header.
const BLOCK_HEADER: u64 = 12;
/// Block type of nfdump 1.6 blocks (common records, extension maps).
const BLOCK_V2: u16 = 2;
/// Block type of nfdump 1.7 blocks (self-describing records).
const BLOCK_V3: u16 = 3;
/// Block flag: this block's payload is stored uncompressed.
const BLOCK_FLAG_UNCOMPRESSED: u16 = 0x1;
/// Record types.
const TYPE_COMMON_V1: u16 = 10;
const TYPE_V3: u16 = 11;
/// Header field holding the appendix offset (named when that offset is impossible).
const OFF_APPENDIX_FIELD: u64 = 24;

/// One data block as indexed at open.
#[derive(Clone, Debug)]
struct Block {
    /// File offset of the block header.
    offset: u64,
    records: u32,
    /// Payload bytes on disk.
    size: u32,
    btype: u16,
    flags: u16,
    /// Why the block cannot be read: (truncated?, offset, message).
    damage: Option<(bool, u64, String)>,
}

impl Block {
    fn damaged(truncated: bool, offset: u64, what: impl Into<String>) -> Block {
        Block {
            offset,
            records: 0,
            size: 0,
            btype: 0,
            flags: 0,
            damage: Some((truncated, offset, what.into())),
        }
    }
}

/// An nfdump file opened for reading.
pub struct NfdumpFile {
    info: FileInfo,
    file: File,
    compression: Compression,
    blocks: Vec<Block>,
    /// Tables from the scan at open.
    tables: Tables,
    /// Whether `tables` came from every block.
    tables_complete: bool,
    /// Tables from every block, built on first need when `tables` is partial.
    full_tables: OnceLock<Tables>,
    /// Block 0's payload as decoded by the scan at open, handed to the first `read_block(0)`
    /// so the usual single-block file is decompressed once: (payload, offsets are file
    /// offsets).
    first_payload: Mutex<Option<(Vec<u8>, bool)>>,
    /// Why the appendix (ident and stat record) could not be read.
    appendix_damage: Option<(bool, u64, String)>,
}

thread_local! {
    /// Per-thread (raw, decompressed) block buffers, reused across blocks and files.
    static SCRATCH: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl NfdumpFile {
    /// Opens the file and reads its header and appendix.
    ///
    /// # Errors
    /// Bad magic, unsupported layout, corrupt header.
    pub fn open(path: &Path) -> Result<NfdumpFile> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut head = vec![0u8; header::HEADER_V1.min(usize::try_from(len).unwrap_or(0))];
        file.read_exact_at(&mut head, 0)?;
        if !sniff(&head) {
            return Err(Error::NotAFlowFile);
        }
        let h = header::parse(&head)?;
        let mut f = NfdumpFile {
            info: FileInfo {
                kind: if h.layout == 1 {
                    FileKind::NfdumpLayout1
                } else {
                    FileKind::NfdumpLayout2
                },
                compression: h.compression,
                ident: h.ident.clone(),
                stats: h.stats.unwrap_or_default(),
                exporters: Vec::new(),
                created: h.created,
                blocks: 0,
                version: u32::from(h.layout),
            },
            file,
            compression: h.compression,
            blocks: Vec::new(),
            tables: Tables::default(),
            tables_complete: false,
            full_tables: OnceLock::new(),
            first_payload: Mutex::new(None),
            appendix_damage: None,
        };
        let data_end = f.index_blocks(&h, len);
        if h.layout == 2 && h.appendix_blocks > 0 {
            let before = f.blocks.len();
            f.read_appendix(&h, len, data_end);
            f.appendix_damage = f.blocks[before..].iter().find_map(|b| b.damage.clone());
        }
        f.info.blocks = u32::try_from(f.blocks.len()).unwrap_or(u32::MAX);
        f.scan_at_open(h.layout == 1);
        f.info.exporters = f.tables.exporters.clone();
        Ok(f)
    }

    /// Reads the data block headers from the start of the data; returns where data ends.
    fn index_blocks(&mut self, h: &Header, len: u64) -> u64 {
        // Data may not run into the appendix (when there is one).
        let limit = if h.layout == 2 && h.appendix_blocks > 0 && h.off_appendix <= len {
            h.off_appendix
        } else {
            len
        };
        let mut pos = h.data_start;
        let cap = usize::try_from((len / BLOCK_HEADER).min(u64::from(h.num_blocks))).unwrap_or(0);
        self.blocks.reserve(cap);
        for _ in 0..h.num_blocks {
            let mut bh = [0u8; BLOCK_HEADER as usize];
            if pos + BLOCK_HEADER > limit || self.file.read_exact_at(&mut bh, pos).is_err() {
                self.blocks
                    .push(Block::damaged(true, pos, "data block header missing"));
                return pos;
            }
            let records = u32_at(&bh, 0).unwrap_or(0);
            let size = u32_at(&bh, 4).unwrap_or(0);
            let btype = u16_at(&bh, 8).unwrap_or(0);
            let flags = u16_at(&bh, 10).unwrap_or(0);
            if size == 0 || records == 0 || u64::from(size) > (MAX_BLOCK as u64 - BLOCK_HEADER) {
                self.blocks.push(Block::damaged(
                    false,
                    pos,
                    format!("bad data block header: {records} records, {size} bytes"),
                ));
                return pos;
            }
            let end = pos + BLOCK_HEADER + u64::from(size);
            if end > limit {
                let truncated = limit == len;
                self.blocks.push(Block::damaged(
                    truncated,
                    pos,
                    format!(
                        "data block of {size} bytes runs past {}",
                        if truncated {
                            "the end of the file"
                        } else {
                            "the appendix offset"
                        }
                    ),
                ));
                return pos;
            }
            self.blocks.push(Block {
                offset: pos,
                records,
                size,
                btype,
                flags,
                damage: None,
            });
            pos = end;
        }
        pos
    }

    /// Reads the layout 2 appendix: ident and stat record. Damage becomes a failing block.
    fn read_appendix(&mut self, h: &Header, len: u64, data_end: u64) {
        let mut pos = h.off_appendix;
        if pos >= len {
            // Typically a file cut short: name where it ends.
            self.blocks.push(Block::damaged(
                true,
                len,
                format!("file ends before its appendix at offset {pos}"),
            ));
            return;
        }
        if pos < data_end {
            self.blocks.push(Block::damaged(
                false,
                OFF_APPENDIX_FIELD,
                format!("appendix offset {pos} overlaps the data blocks (ending at {data_end})"),
            ));
            return;
        }
        let mut ident = String::new();
        let mut stats = FileStats::default();
        for _ in 0..h.appendix_blocks {
            let mut bh = [0u8; BLOCK_HEADER as usize];
            if pos + BLOCK_HEADER > len || self.file.read_exact_at(&mut bh, pos).is_err() {
                self.blocks
                    .push(Block::damaged(true, pos, "appendix block header missing"));
                return;
            }
            let block = Block {
                offset: pos,
                records: u32_at(&bh, 0).unwrap_or(0),
                size: u32_at(&bh, 4).unwrap_or(0),
                btype: u16_at(&bh, 8).unwrap_or(0),
                flags: u16_at(&bh, 10).unwrap_or(0),
                damage: None,
            };
            let res = self.with_payload(&block, |payload, file_offsets| {
                walk(&block, payload, file_offsets, |rtype, rec, _| {
                    header::appendix_record(rtype, rec, &mut ident, &mut stats);
                    Ok(())
                })
            });
            if let Err(e) = res {
                let (truncated, off, what) = match e {
                    Error::Truncated { offset, what } => (true, offset, what),
                    Error::Corrupt { offset, what } => (false, offset, what),
                    other => (false, pos, other.to_string()),
                };
                self.blocks
                    .push(Block::damaged(truncated, off, format!("appendix: {what}")));
                return;
            }
            pos = block.offset + BLOCK_HEADER + u64::from(block.size);
        }
        self.info.ident = ident;
        self.info.stats = stats;
    }

    /// Reads and decompresses the payload of `b`, then calls `f` with it. A second closure
    /// argument says whether payload offsets are file offsets (uncompressed blocks).
    fn with_payload<T>(&self, b: &Block, f: impl FnOnce(&[u8], bool) -> Result<T>) -> Result<T> {
        if let Some((truncated, off, what)) = &b.damage {
            return Err(if *truncated {
                Error::truncated(*off, what.clone())
            } else {
                Error::corrupt(*off, what.clone())
            });
        }
        let size = usize::try_from(b.size).unwrap_or(usize::MAX);
        if size > MAX_BLOCK {
            return Err(Error::corrupt(b.offset, "block larger than 5 MiB"));
        }
        let plain = self.compression == Compression::None || b.flags & BLOCK_FLAG_UNCOMPRESSED != 0;
        let scratch = SCRATCH.try_with(|s| s.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)));
        // Reentrant use (a scan from inside a read) gets fresh buffers.
        let (mut raw, mut dec) = match scratch {
            Ok(Ok(bufs)) => bufs,
            _ => (Vec::new(), Vec::new()),
        };
        raw.resize(size, 0);
        let result = match self.file.read_exact_at(&mut raw, b.offset + BLOCK_HEADER) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Err(Error::truncated(b.offset, "data block payload ends early"))
            }
            Err(e) => Err(Error::Io(e)),
            Ok(()) if plain => f(&raw, true),
            Ok(()) => codec::decompress(self.compression, &raw, b.offset, &mut dec)
                .and_then(|n| f(dec.get(..n).unwrap_or_default(), false)),
        };
        let _ = SCRATCH.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = (raw, dec);
            }
        });
        result
    }

    /// Builds the exporter/sampler tables at open. nfcapd writes every known exporter (and
    /// sampler) at the start of the first block and the exporter statistics into the last,
    /// so those two blocks are scanned; block 0's payload is kept for its first read.
    /// Exporters announced in other blocks are joined from their own block, or by a one-time
    /// scan of every block when another block refers to them; layout 1 files are scanned
    /// whole because their extension maps may be needed by any later block.
    fn scan_at_open(&mut self, whole: bool) {
        let n = self.blocks.len();
        let mut t = Tables::default();
        if let Some(b) = self.blocks.first().filter(|b| is_flow_block(b)) {
            let loaded = self.with_payload(b, |payload, file_offsets| {
                walk(b, payload, file_offsets, |rtype, rec, off| {
                    t.add_record(rtype, rec, off)
                })?;
                Ok((payload.to_vec(), file_offsets))
            });
            if let Ok(p) = loaded {
                self.first_payload = Mutex::new(Some(p));
            }
        }
        // The last block that holds records (a damaged appendix adds a failing entry after it).
        let last = self
            .blocks
            .iter()
            .rposition(is_flow_block)
            .filter(|&l| l > 0);
        let rest: Vec<usize> = if whole {
            (1..n).collect()
        } else {
            last.into_iter().collect()
        };
        self.scan_into(&mut t, &rest);
        self.tables = t;
        self.tables_complete =
            whole || self.blocks.iter().filter(|b| is_flow_block(b)).count() <= 2;
    }

    /// Collects exporter/sampler/map records of the given blocks. Damaged blocks are skipped
    /// here; reading them reports the damage.
    fn scan_tables(&self, picks: &[usize]) -> Tables {
        let mut t = Tables::default();
        self.scan_into(&mut t, picks);
        t
    }

    fn scan_into(&self, t: &mut Tables, picks: &[usize]) {
        for &i in picks {
            let Some(b) = self.blocks.get(i).filter(|b| is_flow_block(b)) else {
                continue;
            };
            let _ = self.with_payload(b, |payload, file_offsets| {
                walk(b, payload, file_offsets, |rtype, rec, off| {
                    t.add_record(rtype, rec, off)
                })
            });
        }
    }

    /// Tables from every block (scanning once if the open-time scan was partial).
    fn all_tables(&self) -> &Tables {
        if self.tables_complete {
            return &self.tables;
        }
        self.full_tables.get_or_init(|| {
            let all: Vec<usize> = (0..self.blocks.len()).collect();
            self.scan_tables(&all)
        })
    }

    fn decode_block(&self, i: usize, b: &Block, out: &mut Vec<FlowRecord>) -> Result<bool> {
        let start = out.len();
        let mut local: Option<Tables> = None;
        let mut decode = |payload: &[u8], file_offsets: bool| {
            // Reserve once: growing a vector of large records by doubling costs more than the
            // decoding. The count comes from the block header, so cap it by what the payload
            // can hold (a record is at least 12 bytes) to keep a corrupt header harmless.
            let records = usize::try_from(b.records).unwrap_or(0);
            out.reserve(records.min(payload.len() / 12));
            walk(b, payload, file_offsets, |rtype, rec, off| {
                match rtype {
                    TYPE_V3 => {
                        // Decoded in place: a record is 720 bytes, a copy per record costs
                        // as much as decoding it.
                        out.push(FlowRecord::default());
                        if let Some(r) = out.last_mut() {
                            v3::decode_into(rec, off, r)?;
                        }
                    }
                    TYPE_COMMON_V1 => {
                        let t = local.as_ref().unwrap_or(&self.tables);
                        out.push(legacy::decode(rec, off, t)?);
                    }
                    exporters::TYPE_EXTENSION_MAP
                    | exporters::TYPE_EXPORTER_INFO
                    | exporters::TYPE_EXPORTER_STAT
                    | exporters::TYPE_SAMPLER
                    | exporters::TYPE_SAMPLER_LEGACY => {
                        local
                            .get_or_insert_with(|| self.tables.clone())
                            .add_record(rtype, rec, off)?;
                    }
                    // Unknown, legacy and name records are skipped by size, as nfdump does.
                    _ => {}
                }
                Ok(())
            })
        };
        let cached = if i == 0 {
            self.first_payload.lock().ok().and_then(|mut c| c.take())
        } else {
            None
        };
        match cached {
            Some((payload, file_offsets)) => decode(&payload, file_offsets)?,
            None => self.with_payload(b, &mut decode)?,
        }
        let t = local.as_ref().unwrap_or(&self.tables);
        let mut missing = false;
        for r in &mut out[start..] {
            if !t.join(r) {
                missing = true;
            }
        }
        Ok(missing)
    }
}

impl NfdumpFile {
    /// Streams the records of a V3 block through one reused record: a first walk checks the
    /// structure of every record (so a damaged block delivers nothing, as with
    /// [`FlowFile::read_block`]) and collects exporter records; the second decodes. Returns
    /// `Ok(false)` without calling `f` when the block holds legacy records, which need the
    /// vector path.
    fn stream_block(&self, i: usize, b: &Block, f: &mut dyn FnMut(&FlowRecord)) -> Result<bool> {
        let mut run = |payload: &[u8], file_offsets: bool| -> Result<bool> {
            let mut local: Option<Tables> = None;
            let mut legacy = false;
            walk(b, payload, file_offsets, |rtype, rec, off| {
                match rtype {
                    TYPE_V3 => v3::check(rec, off)?,
                    TYPE_COMMON_V1 => legacy = true,
                    exporters::TYPE_EXTENSION_MAP
                    | exporters::TYPE_EXPORTER_INFO
                    | exporters::TYPE_EXPORTER_STAT
                    | exporters::TYPE_SAMPLER
                    | exporters::TYPE_SAMPLER_LEGACY => {
                        local
                            .get_or_insert_with(|| self.tables.clone())
                            .add_record(rtype, rec, off)?;
                    }
                    _ => {}
                }
                Ok(())
            })?;
            if legacy {
                return Ok(false);
            }
            let t = local.as_ref().unwrap_or(&self.tables);
            let mut r = FlowRecord::default();
            walk(b, payload, file_offsets, |rtype, rec, off| {
                if rtype == TYPE_V3 {
                    v3::decode_into(rec, off, &mut r)?;
                    // Exporters announced in a later block: the one-time full table scan.
                    if !t.join(&mut r) {
                        self.all_tables().join(&mut r);
                    }
                    f(&r);
                }
                Ok(())
            })?;
            Ok(true)
        };
        let cached = if i == 0 {
            self.first_payload.lock().ok().and_then(|mut c| c.take())
        } else {
            None
        };
        match cached {
            Some((payload, file_offsets)) => {
                let done = run(&payload, file_offsets);
                if let Ok(false) = done
                    && let Ok(mut c) = self.first_payload.lock()
                {
                    // The vector path reads it next.
                    *c = Some((payload, file_offsets));
                }
                done
            }
            None => self.with_payload(b, run),
        }
    }
}

/// Whether a block can hold flow records (nfdump 1.6 or 1.7 record blocks).
fn is_flow_block(b: &Block) -> bool {
    b.btype == BLOCK_V3 || b.btype == BLOCK_V2
}

/// Walks the `b.records` records of a block payload, calling `f(type, record, offset)` with
/// each record (header included) and its file offset. Inside a compressed payload there are
/// no file offsets, so the block's offset stands in (`file_offsets` false).
fn walk(
    b: &Block,
    payload: &[u8],
    file_offsets: bool,
    mut f: impl FnMut(u16, &[u8], u64) -> Result<()>,
) -> Result<()> {
    let base = b.offset + BLOCK_HEADER;
    let mut o = 0usize;
    for n in 0..b.records {
        let at = if file_offsets {
            base + o as u64
        } else {
            b.offset
        };
        let (Some(rtype), Some(size)) = (u16_at(payload, o), u16_at(payload, o + 2)) else {
            return Err(Error::corrupt(
                at,
                format!("block holds {} records, data ends after {n}", b.records),
            ));
        };
        let size = usize::from(size);
        let Some(rec) = payload.get(o..o + size).filter(|_| size >= 4) else {
            return Err(Error::corrupt(
                at,
                format!("record type {rtype} of size {size} at block byte {o} does not fit"),
            ));
        };
        f(rtype, rec, at)?;
        o += size;
    }
    if o != payload.len() {
        return Err(Error::corrupt(
            b.offset,
            format!(
                "block records end at byte {o} of {} decompressed bytes",
                payload.len()
            ),
        ));
    }
    Ok(())
}

impl FlowFile for NfdumpFile {
    fn info(&self) -> &FileInfo {
        &self.info
    }

    fn block_count(&self) -> usize {
        self.blocks.len()
    }

    fn stats_damage(&self) -> Option<Error> {
        self.appendix_damage.as_ref().map(|(truncated, off, what)| {
            if *truncated {
                Error::truncated(*off, what.clone())
            } else {
                Error::corrupt(*off, what.clone())
            }
        })
    }

    fn for_each_record(
        &self,
        i: usize,
        _cols: crate::native::ColumnSet,
        f: &mut dyn FnMut(&FlowRecord),
    ) -> Result<()> {
        let Some(b) = self.blocks.get(i) else {
            return Ok(());
        };
        if b.damage.is_none() && !is_flow_block(b) {
            return Ok(());
        }
        if b.damage.is_none() && self.stream_block(i, b, f)? {
            return Ok(());
        }
        let mut v = Vec::new();
        self.read_block(i, &mut v)?;
        v.iter().for_each(f);
        Ok(())
    }

    fn read_block(&self, i: usize, out: &mut Vec<FlowRecord>) -> Result<()> {
        let Some(b) = self.blocks.get(i) else {
            return Ok(());
        };
        // Type 4 (array) blocks and 1.5 blocks hold no flows nfdump 1.7 reads.
        if b.damage.is_none() && !is_flow_block(b) {
            return Ok(());
        }
        let start = out.len();
        match self.decode_block(i, b, out) {
            Ok(false) => Ok(()),
            Ok(true) => {
                let t = self.all_tables();
                for r in &mut out[start..] {
                    if r.exporter_ip.is_unspecified() {
                        t.join(r);
                    }
                }
                Ok(())
            }
            Err(e) => {
                // All or nothing per block: no records of a damaged block.
                out.truncate(start);
                Err(e)
            }
        }
    }
}
