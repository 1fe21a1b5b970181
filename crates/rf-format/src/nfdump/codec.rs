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

/// Decompresses `input` (the payload of the block whose header is at `offset`) into `out`,
/// replacing its contents.
pub(crate) fn decompress(
    codec: Compression,
    input: &[u8],
    offset: u64,
    out: &mut Vec<u8>,
) -> Result<()> {
    let bad = |what: String| Error::corrupt(offset, what);
    out.clear();
    match codec {
        Compression::None => out.extend_from_slice(input),
        Compression::Lz4 => {
            out.resize(MAX_BLOCK, 0);
            let n = lz4_flex::block::decompress_into(input, out)
                .map_err(|e| bad(format!("lz4 block: {e}")))?;
            out.truncate(n);
        }
        Compression::Lzo => super::lzo::decompress(input, MAX_BLOCK, out)
            .map_err(|e| bad(format!("lzo block: {e}")))?,
        Compression::Bzip2 => {
            let mut d = bzip2::read::BzDecoder::new(input).take(MAX_BLOCK as u64 + 1);
            d.read_to_end(out)
                .map_err(|e| bad(format!("bzip2 block: {e}")))?;
            if out.len() > MAX_BLOCK {
                return Err(bad("bzip2 block expands beyond 5 MiB".into()));
            }
        }
        Compression::Zstd => {
            out.resize(MAX_BLOCK, 0);
            let n = zstd::bulk::decompress_to_buffer(input, out.as_mut_slice())
                .map_err(|e| bad(format!("zstd block: {e}")))?;
            out.truncate(n);
        }
    }
    Ok(())
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
        decompress(Compression::Lz4, &lz4, 0, &mut out).unwrap();
        assert_eq!(out, data);
        let lzo = lzokay_native::compress(&data).unwrap();
        decompress(Compression::Lzo, &lzo, 0, &mut out).unwrap();
        assert_eq!(out, data);
        let z = zstd::bulk::compress(&data, 3).unwrap();
        decompress(Compression::Zstd, &z, 0, &mut out).unwrap();
        assert_eq!(out, data);
        let e = decompress(Compression::Zstd, b"garbage!", 77, &mut out).unwrap_err();
        assert!(matches!(e, Error::Corrupt { offset: 77, .. }));
        assert!(decompress(Compression::Bzip2, b"BZh9garbage", 0, &mut out).is_err());
    }
}
