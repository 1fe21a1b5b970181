//! Encoding and decoding of one data block: a small header, a column directory and the
//! individually compressed column payloads (docs/format.md §3).
//!
//! A block is self-contained: it decodes without any other block, so readers can hand blocks
//! to different threads. The writer also derives the block's [`BlockSummary`] here, from the
//! same records it encodes.

use std::net::IpAddr;

use super::bloom;
use super::codec::{self, ENC_ADDR, ENC_BYTES, ENC_INT};
use super::columns::{COLUMNS, ColumnSet, Kind, UNSPEC, by_id};
use super::layout::{
    BLOCK_HEADER_LEN, BLOCK_TAG, ByteReader, COLUMN_ENTRY_LEN, MAX_BLOCK_RECORDS, PutLe,
};
use crate::error::{Error, Result};
use crate::file::BlockSummary;
use crate::record::FlowRecord;

/// A column that is not in this build's table, for tests of the forward-compatibility rule.
#[cfg(test)]
pub struct ExtraColumn<'a> {
    pub id: u16,
    pub encoding: u8,
    pub raw: &'a [u8],
}

/// The values of one column for the records staged so far.
#[derive(Default)]
struct Staged {
    ints: Vec<u64>,
    /// Smallest and largest of `ints`.
    lo: u64,
    hi: u64,
    addrs: Vec<IpAddr>,
    bytes: Vec<u8>,
}

impl Staged {
    /// Whether every staged value is the default: a column staged because it was declared
    /// (see `Writer::write_in`) but never given a value is left out of the block. For a
    /// column some record set, the first non-default value ends the search.
    fn all_default(&self, kind: &Kind) -> bool {
        match kind {
            Kind::Int { .. } => self.hi == 0,
            Kind::Addr { .. } => self.addrs.iter().all(|a| *a == UNSPEC),
            Kind::Bytes { .. } => self.bytes.iter().all(|&b| b == 0),
        }
    }
}

/// Builds blocks: records are staged a few hundred at a time (their columns gathered into
/// per-column vectors), then the staged columns are encoded as one block. Gathering a
/// column walks the records with a 720-byte stride; over the few hundred records of a
/// chunk that stays in the core's cache, where a whole 4096-record block of records (3 MB)
/// did not, and the collector's decode-and-write loop took a tenth longer.
///
/// All buffers are reused from block to block, so the writer allocates once.
#[derive(Default)]
pub struct BlockEncoder {
    /// Records staged for the current block.
    records: usize,
    /// Columns staged (bit = column id); the others hold only defaults so far.
    staged: u128,
    /// Per entry of [`COLUMNS`], its staged values.
    cols: Vec<Staged>,
    /// The block's summary as far as staged (all but the address filter).
    summary: BlockSummary,
    /// Address hashes of the staged records, for the summary's filter.
    hashes: Vec<u64>,
    raw: Vec<u8>,
    dir: Vec<u8>,
    payload: Vec<u8>,
    bloom_table: Vec<u64>,
    addr_scratch: codec::AddrScratch,
    lz: Vec<u8>,
}

impl BlockEncoder {
    /// Number of records staged for the current block.
    pub fn staged(&self) -> usize {
        self.records
    }

    /// Adds `recs` to the current block. `present` is the `Presence` mask of every record
    /// staged so far and of `recs`: the columns left out of it must hold only defaults (a
    /// column first present in a later chunk starts with defaults for the earlier records).
    pub fn stage(&mut self, recs: &[FlowRecord], present: u128) {
        if recs.is_empty() {
            return;
        }
        if self.cols.is_empty() {
            self.cols.resize_with(COLUMNS.len(), Staged::default);
        }
        let before = self.records;
        for (c, st) in COLUMNS.iter().zip(&mut self.cols) {
            if present >> c.id & 1 == 0 {
                continue;
            }
            if self.staged >> c.id & 1 == 0 {
                // New in this chunk: the records before held the default.
                self.staged |= 1 << c.id;
                st.ints.clear();
                st.addrs.clear();
                st.bytes.clear();
                (st.lo, st.hi) = (u64::MAX, 0);
                match c.kind {
                    Kind::Int { .. } => {
                        st.ints.resize(before, 0);
                        if before > 0 {
                            st.lo = 0;
                        }
                    }
                    Kind::Addr { .. } => st.addrs.resize(before, UNSPEC),
                    Kind::Bytes { len, .. } => st.bytes.resize(before * len, 0),
                }
            }
            match c.kind {
                Kind::Int { get, .. } => {
                    let (lo, hi) = get(recs, &mut st.ints);
                    st.lo = st.lo.min(lo);
                    st.hi = st.hi.max(hi);
                }
                Kind::Addr { get, .. } => get(recs, &mut st.addrs),
                Kind::Bytes { get, .. } => {
                    for r in recs {
                        st.bytes.extend_from_slice(get(r));
                    }
                }
            }
        }
        let s = &mut self.summary;
        if before == 0 {
            *s = BlockSummary {
                min_first_ms: u64::MAX,
                ..BlockSummary::default()
            };
            self.hashes.clear();
        }
        for r in recs {
            s.min_first_ms = s.min_first_ms.min(r.first_ms);
            s.max_first_ms = s.max_first_ms.max(r.first_ms);
            s.max_last_ms = s.max_last_ms.max(r.last_ms);
            s.protocols[usize::from(r.proto >> 6)] |= 1u64 << (r.proto & 63);
            self.hashes.push(bloom::addr_hash(&r.src_addr));
            self.hashes.push(bloom::addr_hash(&r.dst_addr));
        }
        self.records += recs.len();
    }

    /// The staged records, rebuilt from their columns (what the block would decode to).
    pub fn staged_records(&self) -> Vec<FlowRecord> {
        let mut recs = vec![FlowRecord::default(); self.records];
        for (c, st) in COLUMNS.iter().zip(&self.cols) {
            if self.staged >> c.id & 1 == 0 {
                continue;
            }
            match c.kind {
                Kind::Int { set, .. } => {
                    // The values came from these very fields, so they fit.
                    set(&mut recs, &st.ints);
                }
                Kind::Addr { set, .. } => set(&mut recs, &st.addrs),
                Kind::Bytes { len, set, .. } => {
                    for (r, v) in recs.iter_mut().zip(st.bytes.chunks_exact(len)) {
                        set(r, v);
                    }
                }
            }
        }
        recs
    }

    fn add_column(&mut self, id: u16, encoding: u8, codec: u8) {
        let start = self.payload.len();
        let used = codec::compress_with(&self.raw, codec, &mut self.lz, &mut self.payload);
        self.dir.put_u16(id);
        self.dir.push(encoding);
        self.dir.push(used);
        self.dir.put_u32((self.payload.len() - start) as u32);
        self.dir.put_u32(self.raw.len() as u32);
    }

    /// Encodes the staged records (at most [`MAX_BLOCK_RECORDS`]) as one block written to
    /// `out`, returns its summary and length, and starts a new block. Columns never staged
    /// (every value the default: sparse NSEL, MPLS or MAC fields) are left out and cost
    /// nothing; a reader fills in the default.
    ///
    /// # Errors
    /// Errors of `out`; a block over 4 GiB.
    pub fn finish<W: std::io::Write>(
        &mut self,
        codec: u8,
        #[cfg(test)] extra: &[ExtraColumn<'_>],
        #[cfg(not(test))] _extra: &[()],
        out: &mut W,
    ) -> Result<(BlockSummary, u32)> {
        self.dir.clear();
        self.payload.clear();
        let mut ncols = 0u16;
        // Taken out while `add_column` borrows the encoder; put back below.
        let cols = std::mem::take(&mut self.cols);
        for (c, st) in COLUMNS.iter().zip(&cols) {
            if self.staged >> c.id & 1 == 0 || st.all_default(&c.kind) {
                continue;
            }
            self.raw.clear();
            let encoding = match c.kind {
                Kind::Int { .. } => {
                    codec::encode_ints_in(&st.ints, st.lo, st.hi, &mut self.raw);
                    ENC_INT
                }
                Kind::Addr { .. } => {
                    codec::encode_addrs_with(&st.addrs, &mut self.addr_scratch, &mut self.raw);
                    ENC_ADDR
                }
                Kind::Bytes { .. } => {
                    self.raw.extend_from_slice(&st.bytes);
                    ENC_BYTES
                }
            };
            self.add_column(u16::from(c.id), encoding, codec);
            ncols += 1;
        }
        self.cols = cols;
        #[cfg(test)]
        for e in extra {
            self.raw.clear();
            self.raw.extend_from_slice(e.raw);
            self.add_column(e.id, e.encoding, codec);
            ncols += 1;
        }
        let records = self.records;
        let body_len = self.dir.len() + self.payload.len();
        let total = u32::try_from(BLOCK_HEADER_LEN + body_len)
            .map_err(|_| Error::Unsupported("block larger than 4 GiB".into()))?;
        let mut head = Vec::with_capacity(BLOCK_HEADER_LEN);
        head.extend_from_slice(&BLOCK_TAG);
        head.put_u32(records as u32);
        head.put_u16(ncols);
        head.put_u16(0);
        head.put_u32(body_len as u32);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&head);
        crc.update(&self.dir);
        crc.update(&self.payload);
        head.put_u32(crc.finalize());
        // On an error the records stay staged, for `staged_records`.
        out.write_all(&head)?;
        out.write_all(&self.dir)?;
        out.write_all(&self.payload)?;
        self.records = 0;
        self.staged = 0;
        let mut summary = std::mem::take(&mut self.summary);
        summary.records = records as u32;
        if records == 0 {
            summary.min_first_ms = 0;
        }
        summary.addr_bloom = Some(bloom::build_with(&mut self.hashes, &mut self.bloom_table));
        self.hashes.clear();
        Ok((summary, total))
    }
}

/// Test hook: encodes a block with extra, unknown columns appended.
#[cfg(test)]
pub fn encode_with_extra(recs: &[FlowRecord], extra: &[ExtraColumn<'_>], out: &mut Vec<u8>) {
    let mut p = super::columns::Presence::default();
    recs.iter().for_each(|r| p.add(r));
    let mut enc = BlockEncoder::default();
    enc.stage(recs, p.mask());
    enc.finish(super::layout::CODEC_LZ4, extra, out)
        .expect("a Vec takes any block");
}

/// One parsed column directory entry.
struct Entry {
    id: u16,
    encoding: u8,
    codec: u8,
    raw_len: usize,
    /// Offset of the stored bytes within the block.
    start: usize,
    stored_len: usize,
}

/// Checks a block's header, checksum and column directory; returns the directory and the
/// record count.
fn parse(data: &[u8], off: u64, records: u32) -> Result<(Vec<Entry>, usize)> {
    let mut r = ByteReader::new(data, off);
    let tag: [u8; 4] = r.array("block header")?;
    if tag != BLOCK_TAG {
        return Err(Error::corrupt(off, "bad block tag"));
    }
    let n = r.u32("block header")?;
    let ncols = usize::from(r.u16("block header")?);
    let _reserved = r.u16("block header")?;
    let body_len = r.u32("block header")? as usize;
    let crc = r.u32("block header")?;
    if n != records {
        return Err(Error::corrupt(
            off + 4,
            format!("block holds {n} records, index says {records}"),
        ));
    }
    let n = n as usize;
    if n > MAX_BLOCK_RECORDS {
        return Err(Error::corrupt(off + 4, format!("{n} records in one block")));
    }
    if r.remaining() != body_len {
        return Err(Error::corrupt(
            off + 12,
            format!(
                "block body of {body_len} bytes, index leaves {}",
                r.remaining()
            ),
        ));
    }
    let mut h = crc32fast::Hasher::new();
    h.update(&data[..16]);
    h.update(&data[BLOCK_HEADER_LEN..]);
    if h.finalize() != crc {
        return Err(Error::corrupt(off, "block checksum mismatch"));
    }

    let dir_len = ncols
        .checked_mul(COLUMN_ENTRY_LEN)
        .filter(|&l| l <= body_len)
        .ok_or_else(|| Error::corrupt(off + 8, format!("{ncols} columns do not fit the block")))?;
    let mut entries = Vec::with_capacity(ncols);
    let mut start = BLOCK_HEADER_LEN + dir_len;
    for _ in 0..ncols {
        let id = r.u16("column directory")?;
        let encoding = r.u8("column directory")?;
        let codec = r.u8("column directory")?;
        let stored_len = r.u32("column directory")? as usize;
        let raw_len = r.u32("column directory")? as usize;
        entries.push(Entry {
            id,
            encoding,
            codec,
            raw_len,
            start,
            stored_len,
        });
        start = start.saturating_add(stored_len);
    }
    if start != data.len() {
        return Err(Error::corrupt(
            off + BLOCK_HEADER_LEN as u64,
            "column lengths do not add up",
        ));
    }

    Ok((entries, n))
}

/// Decodes the block `data` (exactly the block's bytes, which start at file offset `off`),
/// which the index says holds `records` records, appending them to `out`. Only the columns in
/// `cols` are decoded; other fields keep their defaults. On error `out` is left as it was.
pub fn decode(
    data: &[u8],
    off: u64,
    records: u32,
    cols: ColumnSet,
    out: &mut Vec<FlowRecord>,
) -> Result<()> {
    let (entries, n) = parse(data, off, records)?;
    let base = out.len();
    out.resize(base + n, FlowRecord::default());
    let res = decode_columns(data, off, &entries, n, cols, &mut out[base..]);
    if res.is_err() {
        out.truncate(base);
    }
    res
}

fn decode_columns(
    data: &[u8],
    off: u64,
    entries: &[Entry],
    n: usize,
    cols: ColumnSet,
    recs: &mut [FlowRecord],
) -> Result<()> {
    let values = decode_values(data, off, entries, n, cols, &mut Pool::default())?;
    apply(&values, n, 0, recs);
    Ok(())
}

/// Value buffers reused from block to block by a worker thread: fresh multi-page buffers per
/// column and block cost page faults that outweigh the decoding.
#[derive(Default)]
struct Pool {
    addrs: Vec<Vec<IpAddr>>,
    bytes: Vec<Vec<u8>>,
}

impl Pool {
    /// Takes the buffers of `values` back.
    fn recycle(&mut self, values: Vec<Values>) {
        for v in values {
            match v {
                Values::Int(_, _, _, b) => self.bytes.push(b),
                Values::Addr(_, b) => self.addrs.push(b),
                Values::Bytes(_, _, b) => self.bytes.push(b),
            }
        }
    }
}

thread_local! {
    static POOL: std::cell::RefCell<Pool> = std::cell::RefCell::new(Pool::default());
}

/// One column's decoded values, ready to be stored into records.
enum Values {
    /// Setter, base, width and byte planes of an integer column.
    Int(fn(&mut [FlowRecord], &[u64]) -> bool, u64, usize, Vec<u8>),
    Addr(fn(&mut [FlowRecord], &[IpAddr]), Vec<IpAddr>),
    Bytes(usize, fn(&mut FlowRecord, &[u8]), Vec<u8>),
}

/// Decompresses and decodes the columns of `cols` present in the block, checking every value
/// (so storing them afterwards cannot fail).
fn decode_values(
    data: &[u8],
    off: u64,
    entries: &[Entry],
    n: usize,
    cols: ColumnSet,
    pool: &mut Pool,
) -> Result<Vec<Values>> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for e in entries {
        // Unknown ids are columns added by a newer writer: skipping them is the
        // forward-compatibility rule of docs/format.md.
        let Some(def) = by_id(e.id) else { continue };
        if !cols.contains(e.id) {
            continue;
        }
        let at = off + e.start as u64;
        let (expected, max_raw) = match def.kind {
            Kind::Int { .. } => (ENC_INT, 9 + 8 * n),
            Kind::Addr { .. } => (ENC_ADDR, 1 + 17 * n),
            Kind::Bytes { len, .. } => (ENC_BYTES, len * n),
        };
        if e.encoding != expected {
            return Err(Error::corrupt(
                at,
                format!(
                    "column {} has encoding {}, expected {expected}",
                    def.name, e.encoding
                ),
            ));
        }
        if e.raw_len > max_raw {
            return Err(Error::corrupt(
                at,
                format!(
                    "column {} claims {} bytes for {n} records",
                    def.name, e.raw_len
                ),
            ));
        }
        let stored = data
            .get(e.start..e.start + e.stored_len)
            .ok_or_else(|| Error::truncated(at, "column payload"))?;
        let raw = codec::decompress(stored, e.codec, e.raw_len, at, &mut buf)?;
        match def.kind {
            Kind::Int { set, .. } => {
                let col = codec::IntPlanes::parse(raw, n, at)?;
                // The widest value decides whether every value fits the field; the largest
                // value the width allows settles it without a pass for most columns.
                let fits = |v: u64| set(&mut [FlowRecord::default()], &[v]);
                if !col.bound().is_some_and(fits) && !fits(col.max()) {
                    return Err(Error::corrupt(
                        at,
                        format!("value too large for column {}", def.name),
                    ));
                }
                // Kept as stored (`width` bytes a value, not eight) and read a chunk of rows
                // at a time by `apply`.
                let mut planes = pool.bytes.pop().unwrap_or_default();
                planes.clear();
                planes.extend_from_slice(col.planes);
                out.push(Values::Int(set, col.base, col.width, planes));
            }
            Kind::Addr { set, .. } => {
                let mut addrs = pool.addrs.pop().unwrap_or_default();
                codec::decode_addrs(raw, n, at, &mut addrs)?;
                out.push(Values::Addr(set, addrs));
            }
            Kind::Bytes { len, set, .. } => {
                if raw.len() != len * n {
                    return Err(Error::corrupt(at, format!("column {} length", def.name)));
                }
                let mut bytes = pool.bytes.pop().unwrap_or_default();
                bytes.clear();
                bytes.extend_from_slice(raw);
                out.push(Values::Bytes(len, set, bytes));
            }
        }
    }
    Ok(out)
}

/// Stores the values of records `first..first + recs.len()` of a block of `n` into `recs`.
fn apply(values: &[Values], n: usize, first: usize, recs: &mut [FlowRecord]) {
    let end = first + recs.len();
    let mut ints = [0u64; CHUNK];
    for v in values {
        match v {
            Values::Int(set, base, width, planes) => {
                let col = codec::IntPlanes {
                    base: *base,
                    width: *width,
                    n,
                    planes,
                };
                for (i, part) in recs.chunks_mut(CHUNK).enumerate() {
                    let vals = ints.get_mut(..part.len()).unwrap_or_default();
                    col.range(first + i * CHUNK, vals);
                    set(part, vals);
                }
            }
            Values::Addr(set, addrs) => set(recs, addrs.get(first..end).unwrap_or_default()),
            Values::Bytes(len, set, raw) => {
                let len = (*len).max(1);
                let part = raw.get(first * len..end * len).unwrap_or_default();
                for (r, b) in recs.iter_mut().zip(part.chunks_exact(len)) {
                    set(r, b);
                }
            }
        }
    }
}

/// Rows assembled at a time by [`for_each`]: small enough to stay in the L2 cache.
const CHUNK: usize = 128;

/// Calls `f` with each record of the block `data` (see [`decode`]) in order, decoding only
/// `cols`. Records are assembled a few at a time into a small reused buffer, so a block costs
/// no allocation of whole records. Everything is checked before the first call: a damaged
/// block delivers no record.
///
/// # Errors
/// As [`decode`].
pub fn for_each(
    data: &[u8],
    off: u64,
    records: u32,
    cols: ColumnSet,
    f: &mut dyn FnMut(&FlowRecord),
) -> Result<()> {
    let (entries, n) = parse(data, off, records)?;
    let mut pool = POOL.with(|p| p.take());
    let values = match decode_values(data, off, &entries, n, cols, &mut pool) {
        Ok(v) => v,
        Err(e) => {
            POOL.with(|p| p.replace(pool));
            return Err(e);
        }
    };
    // Fresh per block: a block leaves out columns that are all default, so values of the
    // previous block must not survive.
    let mut rows = vec![FlowRecord::default(); CHUNK.min(n)];
    let mut first = 0;
    while first < n {
        let len = CHUNK.min(n - first);
        let chunk = rows.get_mut(..len).unwrap_or_default();
        apply(&values, n, first, chunk);
        chunk.iter().for_each(&mut *f);
        first += len;
    }
    pool.recycle(values);
    POOL.with(|p| p.replace(pool));
    Ok(())
}
