//! nfdump file headers (layout 2: 40 bytes; layout 1: 140 bytes plus a 136-byte stat record)
//! and the layout 2 appendix records (ident and stat), `nffile-format.md` §2, §6 and §7.

use super::bytes::{u8_at, u16_at, u32_at, u64_at};
use crate::error::{Error, Result};
use crate::file::Compression;
use crate::stats::FileStats;

/// Size of the layout 2 file header.
pub(crate) const HEADER_V2: usize = 40;
/// Size of the layout 1 header plus its stat record: where its data blocks start.
pub(crate) const HEADER_V1: usize = 276;
/// Appendix record holding the ident string.
pub(crate) const TYPE_IDENT: u16 = 0x8001;
/// Appendix record holding the stat record.
pub(crate) const TYPE_STAT: u16 = 0x8002;
/// nfdump accepts idents shorter than this (IDENTLEN).
const IDENT_MAX: usize = 128;

/// What the file header says.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    /// 1 (nfdump 1.6) or 2 (nfdump 1.7).
    pub(crate) layout: u16,
    pub(crate) compression: Compression,
    /// Seconds since the epoch (layout 2 only).
    pub(crate) created: u64,
    pub(crate) num_blocks: u32,
    pub(crate) appendix_blocks: u16,
    pub(crate) off_appendix: u64,
    /// Offset of the first data block.
    pub(crate) data_start: u64,
    /// Layout 1 keeps ident and stats in the header.
    pub(crate) ident: String,
    pub(crate) stats: Option<FileStats>,
}

/// Parses the header from the first bytes of the file (`head` holds up to 276 bytes).
pub(crate) fn parse(head: &[u8]) -> Result<Header> {
    let trunc = |what: &str| Error::truncated(head.len() as u64, what.to_string());
    let version = u16_at(head, 2).ok_or_else(|| trunc("file header"))?;
    match version {
        2 => {
            if head.len() < HEADER_V2 {
                return Err(trunc("file header"));
            }
            let codec = u8_at(head, 16).unwrap_or(0);
            let compression = match codec {
                0 => Compression::None,
                1 => Compression::Lzo,
                2 => Compression::Bzip2,
                3 => Compression::Lz4,
                4 => Compression::Zstd,
                n => return Err(Error::Unsupported(format!("nfdump compression id {n}"))),
            };
            if u8_at(head, 17) != Some(0) {
                return Err(Error::Unsupported("encrypted nfdump file".into()));
            }
            Ok(Header {
                layout: 2,
                compression,
                created: u64_at(head, 8).unwrap_or(0),
                appendix_blocks: u16_at(head, 18).unwrap_or(0),
                off_appendix: u64_at(head, 24).unwrap_or(0),
                num_blocks: u32_at(head, 36).unwrap_or(0),
                data_start: HEADER_V2 as u64,
                ident: String::new(),
                stats: None,
            })
        }
        1 => {
            if head.len() < HEADER_V1 {
                return Err(trunc("nfdump 1.6 file header"));
            }
            let flags = u32_at(head, 4).unwrap_or(0);
            let compression = match flags & 0x19 {
                0 => Compression::None,
                0x01 => Compression::Lzo,
                0x08 => Compression::Bzip2,
                0x10 => Compression::Lz4,
                _ => return Err(Error::corrupt(4, "several compression flags set")),
            };
            let ident_bytes = head.get(12..140).unwrap_or(&[]);
            Ok(Header {
                layout: 1,
                compression,
                created: 0,
                num_blocks: u32_at(head, 8).unwrap_or(0),
                appendix_blocks: 0,
                off_appendix: 0,
                data_start: HEADER_V1 as u64,
                ident: c_string(ident_bytes),
                stats: head.get(140..276).map(stats_v1),
            })
        }
        n => Err(Error::UnsupportedVersion(u32::from(n))),
    }
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// The 15 counters shared by both stat layouts, in file order.
fn counters(b: &[u8], s: &mut FileStats) {
    let v = |i: usize| u64_at(b, 8 * i).unwrap_or(0);
    s.flows = v(0);
    s.bytes = v(1);
    s.packets = v(2);
    s.flows_tcp = v(3);
    s.flows_udp = v(4);
    s.flows_icmp = v(5);
    s.flows_other = v(6);
    s.bytes_tcp = v(7);
    s.bytes_udp = v(8);
    s.bytes_icmp = v(9);
    s.bytes_other = v(10);
    s.packets_tcp = v(11);
    s.packets_udp = v(12);
    s.packets_icmp = v(13);
    s.packets_other = v(14);
}

/// Layout 1 stat record (136 bytes): times in seconds plus millisecond parts.
fn stats_v1(b: &[u8]) -> FileStats {
    let mut s = FileStats::default();
    counters(b, &mut s);
    let first = u64::from(u32_at(b, 120).unwrap_or(0));
    let last = u64::from(u32_at(b, 124).unwrap_or(0));
    s.first_seen_ms = first * 1000 + u64::from(u16_at(b, 128).unwrap_or(0));
    s.last_seen_ms = last * 1000 + u64::from(u16_at(b, 130).unwrap_or(0));
    s.sequence_failures = u64::from(u32_at(b, 132).unwrap_or(0));
    s
}

/// Applies one appendix record (`rec` includes its 4-byte header). Records of the wrong size
/// are ignored, as nfdump does (it logs them).
pub(crate) fn appendix_record(rtype: u16, rec: &[u8], ident: &mut String, stats: &mut FileStats) {
    match rtype {
        TYPE_IDENT if rec.len() < IDENT_MAX => *ident = c_string(rec.get(4..).unwrap_or(&[])),
        TYPE_STAT if rec.len() == 148 => {
            let b = rec.get(4..).unwrap_or(&[]);
            counters(b, stats);
            stats.first_seen_ms = u64_at(b, 120).unwrap_or(0);
            stats.last_seen_ms = u64_at(b, 128).unwrap_or(0);
            stats.sequence_failures = u64_at(b, 136).unwrap_or(0);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_layouts_and_codecs() {
        let mut h = [0u8; 40];
        h[0..2].copy_from_slice(&[0x0c, 0xa5]);
        h[2] = 3;
        assert!(matches!(parse(&h), Err(Error::UnsupportedVersion(3))));
        h[2] = 2;
        h[16] = 9;
        assert!(matches!(parse(&h), Err(Error::Unsupported(_))));
        h[16] = 3;
        let p = parse(&h).unwrap();
        assert_eq!((p.layout, p.compression), (2, Compression::Lz4));
        assert!(parse(&h[..20]).is_err());
    }
}
