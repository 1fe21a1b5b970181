//! Column value encodings and the per-column compression wrapper.
//!
//! The encodings are chosen to be cheap and to leave LZ4 long runs to find:
//! * integers: frame of reference (subtract the column minimum, so times become small deltas
//!   against the block minimum), the smallest byte width that holds the largest delta, and the
//!   bytes stored as planes (all low bytes, then all next bytes, ...) so the mostly-zero high
//!   bytes compress to almost nothing;
//! * addresses: IPv4-only columns as 4 byte planes, IPv6-only as 16, mixed columns with one
//!   family tag per value;
//! * fixed byte strings: stored as they are.
//!
//! Decoders check every length against the record count before touching the data.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::layout::{ByteReader, CODEC_LZ4, CODEC_RAW, PutLe};
use crate::error::{Error, Result};

/// Directory encoding id of an integer column.
pub const ENC_INT: u8 = 1;
/// Directory encoding id of an address column.
pub const ENC_ADDR: u8 = 2;
/// Directory encoding id of a fixed byte-string column.
pub const ENC_BYTES: u8 = 3;

const ADDR_ALL_V4: u8 = 0;
const ADDR_ALL_V6: u8 = 1;
const ADDR_MIXED: u8 = 2;

/// Encodes integers: base u64, width u8, then `width` byte planes of `value - base`.
#[cfg(test)]
pub fn encode_ints(values: &[u64], out: &mut Vec<u8>) {
    let (min, max) = values
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    encode_ints_in(values, min, max, out);
}

/// `encode_ints` for values whose minimum and maximum the caller already knows (found
/// while gathering them; ignored when `values` is empty).
pub fn encode_ints_in(values: &[u64], min: u64, max: u64, out: &mut Vec<u8>) {
    let (min, max) = if values.is_empty() {
        (0, 0)
    } else {
        (min, max)
    };
    let width = (64 - (max - min).leading_zeros() as usize).div_ceil(8);
    out.put_u64(min);
    out.push(width as u8);
    out.reserve(width * values.len());
    for k in 0..width {
        let shift = 8 * k;
        out.extend(values.iter().map(|&v| ((v - min) >> shift) as u8));
    }
}

/// Decodes `n` integers written by `encode_ints` into `out`; `off` is the column's offset
/// for error messages.
#[cfg(test)]
pub fn decode_ints(raw: &[u8], n: usize, off: u64, out: &mut Vec<u64>) -> Result<()> {
    let col = IntPlanes::parse(raw, n, off)?;
    out.clear();
    out.resize(n, 0);
    col.range(0, out);
    Ok(())
}

/// An integer column as stored (`encode_ints`): values are read from the byte planes a range
/// at a time, so a reader holds `width` bytes per value instead of eight.
#[derive(Clone, Copy, Debug)]
pub struct IntPlanes<'a> {
    /// Added to every stored value.
    pub base: u64,
    /// Bytes per value (0..=8).
    pub width: usize,
    /// Values in the column.
    pub n: usize,
    /// `width` planes of `n` bytes, low bytes first.
    pub planes: &'a [u8],
}

impl<'a> IntPlanes<'a> {
    /// Checks the column header and length of `n` values; `off` is the column's offset.
    pub fn parse(raw: &'a [u8], n: usize, off: u64) -> Result<IntPlanes<'a>> {
        let mut r = ByteReader::new(raw, off);
        let base = r.u64("integer column base")?;
        let width = usize::from(r.u8("integer column width")?);
        if width > 8 {
            return Err(Error::corrupt(
                off + 8,
                format!("integer width {width} > 8"),
            ));
        }
        if r.remaining() != n * width {
            return Err(Error::corrupt(
                off,
                format!(
                    "integer column of {} bytes for {n} values of width {width}",
                    raw.len()
                ),
            ));
        }
        Ok(IntPlanes {
            base,
            width,
            n,
            planes: &raw[9..],
        })
    }

    /// Values `first..first + out.len()` into `out` (the caller keeps the range in bounds).
    #[inline]
    pub fn range(&self, first: usize, out: &mut [u64]) {
        out.fill(self.base);
        for k in 0..self.width {
            let plane = self
                .planes
                .get(k * self.n + first..k * self.n + first + out.len())
                .unwrap_or_default();
            let shift = 8 * k;
            for (v, &b) in out.iter_mut().zip(plane) {
                *v = v.wrapping_add(u64::from(b) << shift);
            }
        }
    }

    /// The largest value `width` bytes above `base` can hold, if it does not overflow: no
    /// value of the column is larger.
    pub fn bound(&self) -> Option<u64> {
        let span = if self.width >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * self.width)) - 1
        };
        self.base.checked_add(span)
    }

    /// The largest value of the column (0 for none).
    pub fn max(&self) -> u64 {
        let mut chunk = [0u64; 256];
        let mut max = 0;
        let mut first = 0;
        while first < self.n {
            let len = chunk.len().min(self.n - first);
            let part = &mut chunk[..len];
            self.range(first, part);
            max = part.iter().copied().fold(max, u64::max);
            first += len;
        }
        max
    }
}

/// Encodes addresses: a mode byte, family tags when mixed, then IPv4 values as 4 byte planes
/// and IPv6 values as 16 byte planes (each family in record order).
#[cfg(test)]
pub fn encode_addrs(values: &[IpAddr], out: &mut Vec<u8>) {
    encode_addrs_with(values, &mut AddrScratch::default(), out);
}

/// Buffers reused by [`encode_addrs_with`].
#[derive(Default)]
pub struct AddrScratch {
    v4: Vec<u32>,
    v6: Vec<u128>,
}

/// `encode_addrs` with reusable buffers.
pub fn encode_addrs_with(values: &[IpAddr], s: &mut AddrScratch, out: &mut Vec<u8>) {
    s.v4.clear();
    s.v6.clear();
    for a in values {
        match a {
            IpAddr::V4(v) => s.v4.push(v.to_bits()),
            IpAddr::V6(v) => s.v6.push(v.to_bits()),
        }
    }
    let mode = if s.v6.is_empty() {
        ADDR_ALL_V4
    } else if s.v4.is_empty() {
        ADDR_ALL_V6
    } else {
        ADDR_MIXED
    };
    out.push(mode);
    if mode == ADDR_MIXED {
        out.extend(values.iter().map(|a| u8::from(a.is_ipv6())));
    }
    out.reserve(4 * s.v4.len() + 16 * s.v6.len());
    // Byte planes, low bytes first.
    for k in 0..4 {
        out.extend(s.v4.iter().map(|&v| (v >> (8 * k)) as u8));
    }
    for k in 0..16 {
        out.extend(s.v6.iter().map(|&v| (v >> (8 * k)) as u8));
    }
}

/// Decodes `n` addresses written by `encode_addrs`.
pub fn decode_addrs(raw: &[u8], n: usize, off: u64, out: &mut Vec<IpAddr>) -> Result<()> {
    let mut r = ByteReader::new(raw, off);
    let mode = r.u8("address column mode")?;
    let tags: Option<&[u8]> = match mode {
        ADDR_ALL_V4 | ADDR_ALL_V6 => None,
        ADDR_MIXED => Some(r.bytes(n, "address family tags")?),
        m => {
            return Err(Error::corrupt(
                off,
                format!("unknown address column mode {m}"),
            ));
        }
    };
    let n6 = match (mode, tags) {
        (_, Some(t)) => {
            if let Some(p) = t.iter().position(|&b| b > 1) {
                return Err(Error::corrupt(off + 1 + p as u64, "bad address family tag"));
            }
            t.iter().filter(|&&b| b == 1).count()
        }
        (ADDR_ALL_V6, None) => n,
        _ => 0,
    };
    let n4 = n - n6;
    if r.remaining() != 4 * n4 + 16 * n6 {
        return Err(Error::corrupt(
            off,
            format!(
                "address column of {} bytes for {n4} IPv4 and {n6} IPv6 values",
                raw.len()
            ),
        ));
    }
    let planes4 = r.bytes(4 * n4, "IPv4 addresses")?;
    let planes6 = r.bytes(16 * n6, "IPv6 addresses")?;
    out.clear();
    if mode == ADDR_ALL_V4 {
        // The common case (IPv4-only columns): rebuild straight from the four planes.
        out.extend(v4_values(planes4, n4).map(|v| IpAddr::V4(Ipv4Addr::from_bits(v))));
        return Ok(());
    }
    // Each value gathered from its planes in one go: a shift-and-or pass per plane over
    // 128-bit values cost more than the rest of the column.
    let a4: Vec<u32> = v4_values(planes4, n4).collect();
    let a6: Vec<u128> = (0..n6)
        .map(|j| {
            let mut b = [0u8; 16];
            for (k, v) in b.iter_mut().enumerate() {
                *v = planes6.get(k * n6 + j).copied().unwrap_or(0);
            }
            u128::from_le_bytes(b)
        })
        .collect();
    // Merged by the family tags into a preset vector: indexing instead of pushing, and the
    // two cursors advance without a branch (a mixed column's tags are unpredictable).
    out.resize(n, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let all6 = mode == ADDR_ALL_V6;
    let (mut j4, mut j6) = (0usize, 0usize);
    for (i, slot) in out.iter_mut().enumerate() {
        let is6 = tags.map_or(all6, |t| t.get(i) == Some(&1));
        let v4 = a4.get(j4).copied().unwrap_or(0);
        let v6 = a6.get(j6).copied().unwrap_or(0);
        *slot = if is6 {
            IpAddr::V6(Ipv6Addr::from_bits(v6))
        } else {
            IpAddr::V4(Ipv4Addr::from_bits(v4))
        };
        j6 += usize::from(is6);
        j4 += usize::from(!is6);
    }
    Ok(())
}

/// The `n` IPv4 addresses stored as four byte planes (low bytes first) in `planes`.
fn v4_values(planes: &[u8], n: usize) -> impl Iterator<Item = u32> + '_ {
    let mut p = planes.chunks_exact(n.max(1));
    let (b0, b1, b2, b3) = (p.next(), p.next(), p.next(), p.next());
    let (b0, b1, b2, b3) = (
        b0.unwrap_or_default(),
        b1.unwrap_or_default(),
        b2.unwrap_or_default(),
        b3.unwrap_or_default(),
    );
    b0.iter()
        .zip(b1)
        .zip(b2)
        .zip(b3)
        .map(|(((&a, &b), &c), &d)| u32::from_le_bytes([a, b, c, d]))
}

/// Compresses `raw` with `codec` into `out`, falling back to storing it raw when compression
/// does not make it smaller. Returns the codec actually used.
#[cfg(test)]
pub fn compress(raw: &[u8], codec: u8, out: &mut Vec<u8>) -> u8 {
    compress_with(raw, codec, &mut Vec::new(), out)
}

/// `compress` with a reusable buffer for the compressor's output, which must be sized for
/// the worst case: growing `out` to that size for every column cost more than compressing.
pub fn compress_with(raw: &[u8], codec: u8, scratch: &mut Vec<u8>, out: &mut Vec<u8>) -> u8 {
    if codec == CODEC_LZ4 {
        let max = lz4_flex::block::get_maximum_output_size(raw.len());
        if scratch.len() < max {
            scratch.resize(max, 0);
        }
        if let Ok(n) = lz4_flex::block::compress_into(raw, scratch)
            && n < raw.len()
        {
            out.extend_from_slice(&scratch[..n]);
            return CODEC_LZ4;
        }
    }
    out.extend_from_slice(raw);
    CODEC_RAW
}

/// Undoes `compress`: `stored` must expand to exactly `raw_len` bytes. The caller has
/// already bounded `raw_len` by what the record count allows.
pub fn decompress<'a>(
    stored: &'a [u8],
    codec: u8,
    raw_len: usize,
    off: u64,
    buf: &'a mut Vec<u8>,
) -> Result<&'a [u8]> {
    match codec {
        CODEC_RAW if stored.len() == raw_len => Ok(stored),
        CODEC_RAW => Err(Error::corrupt(
            off,
            "raw column length differs from directory",
        )),
        CODEC_LZ4 => {
            buf.clear();
            buf.resize(raw_len, 0);
            match lz4_flex::block::decompress_into(stored, buf) {
                Ok(n) if n == raw_len => Ok(&buf[..]),
                Ok(n) => Err(Error::corrupt(
                    off,
                    format!("column decompressed to {n} bytes, directory says {raw_len}"),
                )),
                Err(e) => Err(Error::corrupt(off, format!("LZ4 column: {e}"))),
            }
        }
        c => Err(Error::Unsupported(format!(
            "column codec {c} at offset {off}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(values: &[u64]) -> Vec<u64> {
        let mut raw = Vec::new();
        encode_ints(values, &mut raw);
        let mut out = Vec::new();
        decode_ints(&raw, values.len(), 0, &mut out).unwrap();
        out
    }

    #[test]
    fn ints_round_trip_and_narrow() {
        for v in [
            vec![],
            vec![0],
            vec![7, 7, 7],
            vec![u64::MAX, 0, 1],
            vec![1_700_000_000_000, 1_700_000_000_500, 1_700_000_003_000],
        ] {
            assert_eq!(ints(&v), v);
        }
        let mut raw = Vec::new();
        encode_ints(&[1_700_000_000_000, 1_700_000_000_255], &mut raw);
        assert_eq!(raw.len(), 9 + 2, "a 255 ms spread needs one byte per time");
        raw.clear();
        encode_ints(&[5, 5, 5, 5], &mut raw);
        assert_eq!(raw.len(), 9, "a constant column has no payload");
    }

    proptest::proptest! {
        /// Ranges read straight from the planes equal the full decode, the maximum is the
        /// values' maximum, and the width's bound is never below it.
        #[test]
        fn int_planes_ranges_and_max(
            values in proptest::collection::vec(proptest::num::u64::ANY, 0..600),
            spread in 0u32..64,
            first in 0usize..600,
            len in 0usize..300,
        ) {
            // Values of every width: a random base plus a spread of `spread` bits.
            let base = values.first().copied().unwrap_or(0);
            let values: Vec<u64> = values
                .iter()
                .map(|v| base.wrapping_add(v.checked_shr(spread).unwrap_or(0)))
                .collect();
            let mut raw = Vec::new();
            encode_ints(&values, &mut raw);
            let col = IntPlanes::parse(&raw, values.len(), 0).unwrap();
            let first = first.min(values.len());
            let len = len.min(values.len() - first);
            let mut part = vec![0; len];
            col.range(first, &mut part);
            proptest::prop_assert_eq!(&part[..], &values[first..first + len]);
            let max = values.iter().copied().max().unwrap_or(0);
            proptest::prop_assert_eq!(col.max(), max);
            if let Some(b) = col.bound() {
                proptest::prop_assert!(b >= max);
            }
        }

        /// Address columns of any mix of families and values come back unchanged (each
        /// mixed-column value is gathered from its own byte planes).
        #[test]
        fn addrs_round_trip_any_mix(
            values in proptest::collection::vec(
                (proptest::bool::ANY, proptest::num::u128::ANY), 0..300),
        ) {
            let values: Vec<IpAddr> = values
                .iter()
                .map(|&(v6, bits)| {
                    if v6 {
                        IpAddr::V6(std::net::Ipv6Addr::from_bits(bits))
                    } else {
                        IpAddr::V4(Ipv4Addr::from_bits(bits as u32))
                    }
                })
                .collect();
            proptest::prop_assert_eq!(addrs(&values).1, values);
        }
    }

    #[test]
    fn ints_reject_bad_lengths() {
        let mut raw = Vec::new();
        encode_ints(&[1, 300], &mut raw);
        let mut out = Vec::new();
        assert!(decode_ints(&raw, 3, 0, &mut out).is_err());
        assert!(decode_ints(&raw[..5], 2, 0, &mut out).is_err());
        raw[8] = 9;
        assert!(decode_ints(&raw, 2, 0, &mut out).is_err());
    }

    fn addrs(values: &[IpAddr]) -> (usize, Vec<IpAddr>) {
        let mut raw = Vec::new();
        encode_addrs(values, &mut raw);
        let mut out = Vec::new();
        decode_addrs(&raw, values.len(), 0, &mut out).unwrap();
        (raw.len(), out)
    }

    #[test]
    fn addrs_round_trip_each_mode() {
        let v4: IpAddr = "10.1.2.3".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        let unspec6: IpAddr = "::".parse().unwrap();
        let (len, out) = addrs(&[v4, v4]);
        assert_eq!((len, out), (1 + 8, vec![v4, v4]));
        let (len, out) = addrs(&[v6, unspec6]);
        assert_eq!((len, out), (1 + 32, vec![v6, unspec6]));
        let mixed = vec![v6, v4, mapped, v4, unspec6];
        let (len, out) = addrs(&mixed);
        assert_eq!((len, out), (1 + 5 + 8 + 48, mixed));
    }

    #[test]
    fn addrs_reject_bad_input() {
        let mut out = Vec::new();
        assert!(decode_addrs(&[ADDR_MIXED, 0, 7], 2, 0, &mut out).is_err());
        assert!(decode_addrs(&[9], 0, 0, &mut out).is_err());
        assert!(decode_addrs(&[ADDR_ALL_V4, 1, 2, 3], 1, 0, &mut out).is_err());
        assert!(decode_addrs(&[], 1, 0, &mut out).is_err());
    }

    #[test]
    fn compression_round_trip_and_fallback() {
        let raw = vec![0u8; 4096];
        let mut stored = Vec::new();
        assert_eq!(compress(&raw, CODEC_LZ4, &mut stored), CODEC_LZ4);
        assert!(stored.len() < 100);
        let mut buf = Vec::new();
        assert_eq!(
            decompress(&stored, CODEC_LZ4, 4096, 0, &mut buf).unwrap(),
            &raw[..]
        );
        assert!(decompress(&stored, CODEC_LZ4, 4095, 0, &mut buf).is_err());
        assert!(decompress(&stored[..stored.len() - 1], CODEC_LZ4, 4096, 0, &mut buf).is_err());
        assert!(decompress(&stored, 9, 4096, 0, &mut buf).is_err());

        let noise: Vec<u8> = (0..64u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut stored = Vec::new();
        assert_eq!(compress(&noise, CODEC_LZ4, &mut stored), CODEC_RAW);
        assert_eq!(stored, noise);
        assert_eq!(
            decompress(&stored, CODEC_RAW, 64, 0, &mut buf).unwrap(),
            &noise[..]
        );
        assert!(decompress(&stored, CODEC_RAW, 63, 0, &mut buf).is_err());
    }
}
