//! Bounds-checked big-endian reads from a datagram. Every read goes through these helpers so
//! that no length field taken from the wire can index past the buffer.

use crate::error::DecodeError;

/// Big-endian unsigned value of 0..=8 bytes; longer fields keep their low 8 bytes (the tail).
#[inline]
pub fn be_uint(b: &[u8]) -> u64 {
    let tail = if b.len() > 8 { &b[b.len() - 8..] } else { b };
    tail.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

/// `len` bytes at `off`, or a `Truncated` error naming `what`.
#[inline]
pub fn slice<'a>(
    buf: &'a [u8],
    off: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], DecodeError> {
    off.checked_add(len)
        .and_then(|end| buf.get(off..end))
        .ok_or(DecodeError::Truncated { what, offset: off })
}

/// Big-endian u16 at `off`.
#[inline]
pub fn u16_at(buf: &[u8], off: usize, what: &'static str) -> Result<u16, DecodeError> {
    let s = slice(buf, off, 2, what)?;
    Ok(u16::from_be_bytes([s[0], s[1]]))
}

/// Big-endian u32 at `off`.
#[inline]
pub fn u32_at(buf: &[u8], off: usize, what: &'static str) -> Result<u32, DecodeError> {
    let s = slice(buf, off, 4, what)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_bounds() {
        let b = [0x01, 0x02, 0x03, 0x04, 0x05];
        assert_eq!(u16_at(&b, 0, "x").unwrap(), 0x0102);
        assert_eq!(u32_at(&b, 1, "x").unwrap(), 0x02030405);
        assert!(u32_at(&b, 2, "x").is_err());
        assert!(slice(&b, usize::MAX, 2, "x").is_err());
        assert_eq!(be_uint(&b[..3]), 0x010203);
        assert_eq!(be_uint(&[]), 0);
        let long = [0xffu8, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(be_uint(&long), 1);
    }
}
