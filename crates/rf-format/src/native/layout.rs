//! Fixed sizes, magic numbers and limits of the native format, plus a bounds-checked
//! little-endian reader that reports file offsets. Every structure in docs/format.md that has a
//! fixed size is described here once, so the writer and the reader cannot disagree.

use crate::error::{Error, Result};

/// File magic, the first 8 bytes of every native file.
pub const MAGIC: [u8; 8] = *b"RFLOWNAT";
/// Magic at the very end of the file, after the trailer fields.
pub const END_MAGIC: [u8; 8] = *b"RFLOWEND";
/// Block header tag.
pub const BLOCK_TAG: [u8; 4] = *b"RFBK";
/// Footer tag.
pub const FOOTER_TAG: [u8; 4] = *b"RFFT";

/// Format version this build writes and the highest it reads. Bumped only for changes old
/// readers cannot skip; new columns and new footer sections do not bump it.
pub const VERSION: u16 = 1;

/// Header: magic, version u16, header length u16, CRC32 of the preceding 12 bytes.
pub const HEADER_LEN: usize = 16;
/// Block header: tag, records u32, columns u16, reserved u16, body length u32, CRC32.
pub const BLOCK_HEADER_LEN: usize = 20;
/// Column directory entry: id u16, encoding u8, codec u8, stored length u32, raw length u32.
pub const COLUMN_ENTRY_LEN: usize = 12;
/// Trailer: footer offset u64, footer length u32, footer CRC32, end magic.
pub const TRAILER_LEN: usize = 24;

/// Most records a block may hold. Bounds every allocation a reader makes for one block
/// (65536 default records are about 40 MiB in memory, however small the block is on disk).
pub const MAX_BLOCK_RECORDS: usize = 1 << 16;
/// Most Bloom filter words (64-bit) one block may carry (64 Ki bits = 8 KiB).
pub const MAX_BLOOM_WORDS: usize = 1024;
/// Largest footer a reader accepts (the index of ~1M blocks); protects against absurd lengths.
pub const MAX_FOOTER_LEN: u64 = 1 << 30;

/// Column codec: stored as is.
pub const CODEC_RAW: u8 = 0;
/// Column codec: LZ4 block format (lz4_flex), raw length in the directory entry.
pub const CODEC_LZ4: u8 = 1;

/// A cursor over a byte slice that knows its absolute file offset, so every error names where
/// the data ran out.
pub struct ByteReader<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> ByteReader<'a> {
    /// Reads `data`, which starts at file offset `base`.
    pub fn new(data: &'a [u8], base: u64) -> Self {
        ByteReader { data, pos: 0, base }
    }

    /// Absolute file offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        match self.data.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) if self.pos.checked_add(n).is_some() => {
                self.pos += n;
                Ok(s)
            }
            _ => Err(Error::truncated(self.offset(), what)),
        }
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let s = self.bytes(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// A `u8`.
    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
}

/// Appends little-endian integers to a byte buffer (the writer's side of [`ByteReader`]).
pub trait PutLe {
    /// Appends a `u16`.
    fn put_u16(&mut self, v: u16);
    /// Appends a `u32`.
    fn put_u32(&mut self, v: u32);
    /// Appends a `u64`.
    fn put_u64(&mut self, v: u64);
}

impl PutLe for Vec<u8> {
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
}

/// The 16-byte file header.
pub fn header_bytes() -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(&MAGIC);
    h[8..10].copy_from_slice(&VERSION.to_le_bytes());
    h[10..12].copy_from_slice(&(HEADER_LEN as u16).to_le_bytes());
    let crc = crc32fast::hash(&h[..12]);
    h[12..16].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Validates the file header.
pub fn check_header(data: &[u8]) -> Result<()> {
    let mut r = ByteReader::new(data, 0);
    let magic: [u8; 8] = r.array("file header")?;
    if magic != MAGIC {
        return Err(Error::NotAFlowFile);
    }
    let version = r.u16("file header")?;
    let len = r.u16("file header")?;
    let crc = r.u32("file header")?;
    if crc != crc32fast::hash(&data[..12]) {
        return Err(Error::corrupt(12, "file header checksum mismatch"));
    }
    if version == 0 || version > VERSION {
        return Err(Error::UnsupportedVersion(u32::from(version)));
    }
    if usize::from(len) != HEADER_LEN {
        return Err(Error::corrupt(
            10,
            format!("header length {len}, expected {HEADER_LEN}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_offsets() {
        let data = [1u8, 0, 2, 0, 0, 0];
        let mut r = ByteReader::new(&data, 100);
        assert_eq!(r.u16("a").unwrap(), 1);
        assert_eq!(r.u32("b").unwrap(), 2);
        match r.u8("c") {
            Err(Error::Truncated { offset, .. }) => assert_eq!(offset, 106),
            other => panic!("{other:?}"),
        }
        assert!(r.bytes(usize::MAX, "huge").is_err());
    }

    #[test]
    fn header_round_trip_and_checks() {
        let h = header_bytes();
        check_header(&h).unwrap();
        let mut bad = h;
        bad[9] ^= 1;
        assert!(matches!(check_header(&bad), Err(Error::Corrupt { .. })));
        let mut other = h;
        other[0] = b'X';
        assert!(matches!(check_header(&other), Err(Error::NotAFlowFile)));
        assert!(matches!(
            check_header(&h[..5]),
            Err(Error::Truncated { .. })
        ));
    }
}
