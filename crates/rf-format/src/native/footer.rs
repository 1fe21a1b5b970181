//! The footer (file summary, exporters, block index) and the fixed trailer that points at it
//! (docs/format.md §4 and §5).
//!
//! The footer is a list of sections, each `id u16, length u32, payload`, so later versions can
//! add sections that older readers skip. Within the exporter and index sections every entry
//! starts with a fixed part whose length is stated once, so fields can be appended to entries
//! the same way.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::layout::{
    BLOCK_HEADER_LEN, ByteReader, END_MAGIC, FOOTER_TAG, HEADER_LEN, MAX_BLOCK_RECORDS,
    MAX_BLOOM_WORDS, MAX_FOOTER_LEN, PutLe, TRAILER_LEN,
};
use crate::error::{Error, Result};
use crate::file::{BlockSummary, Compression, ExporterInfo};
use crate::stats::FileStats;

const SEC_IDENT: u16 = 1;
const SEC_META: u16 = 2;
const SEC_STATS: u16 = 3;
const SEC_EXPORTERS: u16 = 4;
const SEC_INDEX: u16 = 5;

/// Fixed part of an exporter entry in version 1.
const EXPORTER_LEN: u16 = 51;
/// Fixed part of an index entry in version 1 (before the Bloom words).
const INDEX_LEN: u16 = 74;

/// Where one block is and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// File offset of the block header.
    pub offset: u64,
    /// Length of the block (header and body).
    pub len: u32,
    /// Skipping summary.
    pub summary: BlockSummary,
}

/// Everything the footer holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Footer {
    /// Identifier string.
    pub ident: String,
    /// Creation time, seconds since the epoch.
    pub created: u64,
    /// Codec the writer was asked for.
    pub compression: Compression,
    /// File totals.
    pub stats: FileStats,
    /// Exporter table.
    pub exporters: Vec<ExporterInfo>,
    /// Block index, in file order.
    pub blocks: Vec<IndexEntry>,
}

fn compression_code(c: Compression) -> u8 {
    match c {
        Compression::None => 0,
        Compression::Lzo => 1,
        Compression::Bzip2 => 2,
        Compression::Lz4 => 3,
        Compression::Zstd => 4,
    }
}

fn compression_from(c: u8, off: u64) -> Result<Compression> {
    Ok(match c {
        0 => Compression::None,
        1 => Compression::Lzo,
        2 => Compression::Bzip2,
        3 => Compression::Lz4,
        4 => Compression::Zstd,
        _ => return Err(Error::corrupt(off, format!("unknown compression code {c}"))),
    })
}

fn stats_fields(s: &mut FileStats) -> [&mut u64; 18] {
    [
        &mut s.flows,
        &mut s.bytes,
        &mut s.packets,
        &mut s.flows_tcp,
        &mut s.flows_udp,
        &mut s.flows_icmp,
        &mut s.flows_other,
        &mut s.bytes_tcp,
        &mut s.bytes_udp,
        &mut s.bytes_icmp,
        &mut s.bytes_other,
        &mut s.packets_tcp,
        &mut s.packets_udp,
        &mut s.packets_icmp,
        &mut s.packets_other,
        &mut s.first_seen_ms,
        &mut s.last_seen_ms,
        &mut s.sequence_failures,
    ]
}

fn put_addr(out: &mut Vec<u8>, a: &IpAddr) {
    match a {
        IpAddr::V4(v) => {
            out.push(4);
            out.extend_from_slice(&v.octets());
            out.extend_from_slice(&[0; 12]);
        }
        IpAddr::V6(v) => {
            out.push(6);
            out.extend_from_slice(&v.octets());
        }
    }
}

fn get_addr(r: &mut ByteReader<'_>) -> Result<IpAddr> {
    let at = r.offset();
    let family = r.u8("exporter address")?;
    let b: [u8; 16] = r.array("exporter address")?;
    match family {
        4 => Ok(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        6 => Ok(IpAddr::V6(Ipv6Addr::from(b))),
        f => Err(Error::corrupt(at, format!("address family {f}"))),
    }
}

fn section(out: &mut Vec<u8>, id: u16, body: &[u8]) {
    out.put_u16(id);
    out.put_u32(body.len() as u32);
    out.extend_from_slice(body);
}

impl Footer {
    /// Serialises the footer (tag and sections).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = FOOTER_TAG.to_vec();
        section(&mut out, SEC_IDENT, self.ident.as_bytes());

        let mut meta = Vec::new();
        meta.put_u64(self.created);
        meta.push(compression_code(self.compression));
        section(&mut out, SEC_META, &meta);

        let mut stats = Vec::new();
        let mut s = self.stats;
        for v in stats_fields(&mut s) {
            stats.put_u64(*v);
        }
        section(&mut out, SEC_STATS, &stats);

        let mut ex = Vec::new();
        ex.put_u32(self.exporters.len() as u32);
        ex.put_u16(EXPORTER_LEN);
        for e in &self.exporters {
            ex.put_u16(e.sysid);
            ex.put_u32(e.version);
            put_addr(&mut ex, &e.ip);
            ex.put_u32(e.id);
            ex.put_u32(e.sampling_interval);
            ex.put_u64(e.packets);
            ex.put_u64(e.flows);
            ex.put_u32(e.sequence_failures);
        }
        section(&mut out, SEC_EXPORTERS, &ex);

        let mut ix = Vec::new();
        ix.put_u32(self.blocks.len() as u32);
        ix.put_u16(INDEX_LEN);
        for b in &self.blocks {
            let s = &b.summary;
            ix.put_u64(b.offset);
            ix.put_u32(b.len);
            ix.put_u32(s.records);
            ix.put_u64(s.min_first_ms);
            ix.put_u64(s.max_first_ms);
            ix.put_u64(s.max_last_ms);
            for w in s.protocols {
                ix.put_u64(w);
            }
            let bloom = s.addr_bloom.as_deref().unwrap_or(&[]);
            ix.put_u16(bloom.len() as u16);
            for &w in bloom {
                ix.put_u64(w);
            }
        }
        section(&mut out, SEC_INDEX, &ix);
        out
    }

    /// Parses a footer that starts at file offset `off` and checks that its blocks tile the
    /// file between the header and `off` exactly.
    pub fn decode(data: &[u8], off: u64) -> Result<Footer> {
        let mut r = ByteReader::new(data, off);
        if r.array::<4>("footer tag")? != FOOTER_TAG {
            return Err(Error::corrupt(off, "bad footer tag"));
        }
        let mut f = Footer::default();
        let (mut meta, mut stats, mut index) = (false, false, false);
        while r.remaining() > 0 {
            let id = r.u16("footer section")?;
            let len = r.u32("footer section")? as usize;
            let at = r.offset();
            let mut s = ByteReader::new(r.bytes(len, "footer section")?, at);
            match id {
                SEC_IDENT => {
                    let b = s.bytes(len, "ident")?;
                    f.ident = String::from_utf8_lossy(b).into_owned();
                }
                SEC_META => {
                    f.created = s.u64("creation time")?;
                    f.compression = compression_from(s.u8("compression")?, at + 8)?;
                    meta = true;
                }
                SEC_STATS => {
                    for v in stats_fields(&mut f.stats) {
                        *v = s.u64("file statistics")?;
                    }
                    stats = true;
                }
                SEC_EXPORTERS => f.exporters = decode_exporters(&mut s)?,
                SEC_INDEX => {
                    f.blocks = decode_index(&mut s, off)?;
                    index = true;
                }
                // A section added by a newer writer.
                _ => {}
            }
        }
        if !(meta && stats && index) {
            return Err(Error::corrupt(off, "footer lacks a required section"));
        }
        Ok(f)
    }
}

/// Reads `count u32, entry length u16` and checks the entries can fit what remains.
fn entry_header(s: &mut ByteReader<'_>, min_len: u16, what: &str) -> Result<(usize, usize)> {
    let at = s.offset();
    let count = s.u32(what)? as usize;
    let len = s.u16(what)?;
    if len < min_len {
        return Err(Error::corrupt(
            at + 4,
            format!("{what} entries of {len} bytes"),
        ));
    }
    if count.saturating_mul(usize::from(len)) > s.remaining() {
        return Err(Error::truncated(at, format!("{count} {what} entries")));
    }
    Ok((count, usize::from(len)))
}

fn decode_exporters(s: &mut ByteReader<'_>) -> Result<Vec<ExporterInfo>> {
    let (count, len) = entry_header(s, EXPORTER_LEN, "exporter")?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let at = s.offset();
        let mut e = ByteReader::new(s.bytes(len, "exporter")?, at);
        out.push(ExporterInfo {
            sysid: e.u16("exporter")?,
            version: e.u32("exporter")?,
            ip: get_addr(&mut e)?,
            id: e.u32("exporter")?,
            sampling_interval: e.u32("exporter")?,
            packets: e.u64("exporter")?,
            flows: e.u64("exporter")?,
            sequence_failures: e.u32("exporter")?,
        });
    }
    Ok(out)
}

fn decode_index(s: &mut ByteReader<'_>, footer_off: u64) -> Result<Vec<IndexEntry>> {
    let (count, len) = entry_header(s, INDEX_LEN, "block index")?;
    let mut out: Vec<IndexEntry> = Vec::with_capacity(count);
    let mut next = HEADER_LEN as u64;
    for _ in 0..count {
        let at = s.offset();
        let mut e = ByteReader::new(s.bytes(len, "block index")?, at);
        let offset = e.u64("block index")?;
        let blen = e.u32("block index")?;
        let mut summary = BlockSummary {
            records: e.u32("block index")?,
            min_first_ms: e.u64("block index")?,
            max_first_ms: e.u64("block index")?,
            max_last_ms: e.u64("block index")?,
            ..BlockSummary::default()
        };
        for w in &mut summary.protocols {
            *w = e.u64("block index")?;
        }
        let words = usize::from(e.u16("block index")?);
        if offset != next || (blen as usize) < BLOCK_HEADER_LEN {
            return Err(Error::corrupt(
                at,
                "block index entry does not follow the previous block",
            ));
        }
        if summary.records as usize > MAX_BLOCK_RECORDS {
            return Err(Error::corrupt(
                at + 12,
                format!("{} records in a block", summary.records),
            ));
        }
        if words > MAX_BLOOM_WORDS || (words != 0 && !words.is_power_of_two()) {
            return Err(Error::corrupt(
                at + len as u64 - 2,
                format!("Bloom filter of {words} words"),
            ));
        }
        let bat = s.offset();
        let mut b = ByteReader::new(s.bytes(words * 8, "Bloom filter")?, bat);
        let mut bloom = Vec::with_capacity(words);
        for _ in 0..words {
            bloom.push(b.u64("Bloom filter")?);
        }
        summary.addr_bloom = (words > 0).then_some(bloom);
        next = offset + u64::from(blen);
        out.push(IndexEntry {
            offset,
            len: blen,
            summary,
        });
    }
    if next != footer_off {
        return Err(Error::corrupt(
            footer_off,
            "blocks do not end where the footer starts",
        ));
    }
    Ok(out)
}

/// The trailer for a footer of `len` bytes at `offset`.
pub fn trailer(offset: u64, footer: &[u8]) -> [u8; TRAILER_LEN] {
    let mut t = [0u8; TRAILER_LEN];
    t[..8].copy_from_slice(&offset.to_le_bytes());
    t[8..12].copy_from_slice(&(footer.len() as u32).to_le_bytes());
    t[12..16].copy_from_slice(&crc32fast::hash(footer).to_le_bytes());
    t[16..].copy_from_slice(&END_MAGIC);
    t
}

/// Locates and checks the footer of a whole file image; returns its offset and bytes.
pub fn locate(data: &[u8]) -> Result<(u64, &[u8])> {
    let len = data.len();
    let missing = || {
        Error::truncated(
            len as u64,
            "no trailer: file truncated or still being written",
        )
    };
    let tpos = len
        .checked_sub(TRAILER_LEN)
        .filter(|&p| p >= HEADER_LEN)
        .ok_or_else(missing)?;
    let mut t = ByteReader::new(&data[tpos..], tpos as u64);
    let offset = t.u64("trailer")?;
    let flen = u64::from(t.u32("trailer")?);
    let crc = t.u32("trailer")?;
    if t.array::<8>("trailer")? != END_MAGIC {
        return Err(missing());
    }
    if offset < HEADER_LEN as u64
        || flen > MAX_FOOTER_LEN
        || offset.checked_add(flen) != Some(tpos as u64)
    {
        return Err(Error::corrupt(
            tpos as u64,
            "trailer points outside the file",
        ));
    }
    let footer = &data[offset as usize..tpos];
    if crc32fast::hash(footer) != crc {
        return Err(Error::corrupt(offset, "footer checksum mismatch"));
    }
    Ok((offset, footer))
}
