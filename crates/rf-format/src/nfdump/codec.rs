//! Block payload decompression for the four nfdump codecs.
//!
//! nfdump does not store the uncompressed length of a block, so every decoder writes into a
//! buffer capped at nfdump's own 5 MiB block buffer (`BUFFSIZE`); a payload that would expand
//! beyond it is reported as corrupt instead of growing memory without bound.

use std::io::Read;

use crate::error::{Error, Result};
use crate::file::Compression;

/// nfdump's per-block buffer size: no valid block payload is larger once decompressed.
pub(crate) const MAX_BLOCK: usize = 5 * 1024 * 1024;

/// Decompresses `input` (the payload of the block whose header is at `offset`) into `out`
/// and returns the payload length: the payload is `out[..n]`. `out` is a reused buffer; for
/// the block codecs it is kept at 5 MiB, allocated (zeroed) only once per thread.
pub(crate) fn decompress(
    codec: Compression,
    input: &[u8],
    offset: u64,
    out: &mut Vec<u8>,
) -> Result<usize> {
    let bad = |what: String| Error::corrupt(offset, what);
    let full = |out: &mut Vec<u8>| {
        if out.len() < MAX_BLOCK {
            // A fresh zeroed allocation, not `resize`: the allocator maps zero pages, so only
            // the part a block really fills becomes resident (typically 1 MiB of the 5).
            *out = vec![0; MAX_BLOCK];
        }
    };
    match codec {
        Compression::None => {
            out.clear();
            out.extend_from_slice(input);
            Ok(out.len())
        }
        Compression::Lz4 => {
            full(out);
            lz4_flex::block::decompress_into(input, out).map_err(|e| bad(format!("lz4 block: {e}")))
        }
        Compression::Lzo => {
            super::lzo::decompress(input, MAX_BLOCK, out)
                .map_err(|e| bad(format!("lzo block: {e}")))?;
            Ok(out.len())
        }
        Compression::Bzip2 => {
            out.clear();
            let mut d = bzip2::read::BzDecoder::new(input).take(MAX_BLOCK as u64 + 1);
            d.read_to_end(out)
                .map_err(|e| bad(format!("bzip2 block: {e}")))?;
            if out.len() > MAX_BLOCK {
                return Err(bad("bzip2 block expands beyond 5 MiB".into()));
            }
            Ok(out.len())
        }
        Compression::Zstd => {
            full(out);
            zstd::bulk::decompress_to_buffer(input, out.as_mut_slice())
                .map_err(|e| bad(format!("zstd block: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips_and_rejects_garbage() {
        let data: Vec<u8> = (0..10_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        let mut out = Vec::new();
        let lz4 = lz4_flex::block::compress(&data);
        let n = decompress(Compression::Lz4, &lz4, 0, &mut out).unwrap();
        assert_eq!(out[..n], data);
        let lzo = lzokay_native::compress(&data).unwrap();
        let n = decompress(Compression::Lzo, &lzo, 0, &mut out).unwrap();
        assert_eq!(out[..n], data);
        let z = zstd::bulk::compress(&data, 3).unwrap();
        let n = decompress(Compression::Zstd, &z, 0, &mut out).unwrap();
        assert_eq!(out[..n], data);
        let e = decompress(Compression::Zstd, b"garbage!", 77, &mut out).unwrap_err();
        assert!(matches!(e, Error::Corrupt { offset: 77, .. }));
        assert!(decompress(Compression::Bzip2, b"BZh9garbage", 0, &mut out).is_err());
    }
}
