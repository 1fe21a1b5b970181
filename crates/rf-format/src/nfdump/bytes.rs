//! Bounds-checked little-endian field access for nfdump's on-disk structs.
//!
//! nfdump writes C structs verbatim from little-endian hosts, and nothing on disk is aligned
//! (records follow each other at odd offsets), so every read goes through these helpers: they
//! return `None` instead of panicking when a field would run past the slice.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Reads `N` bytes at `off`.
#[inline]
pub(crate) fn arr<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    b.get(off..off.checked_add(N)?)?.try_into().ok()
}

#[inline]
pub(crate) fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}

#[inline]
pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    arr(b, off).map(u16::from_le_bytes)
}

#[inline]
pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    arr(b, off).map(u32::from_le_bytes)
}

#[inline]
pub(crate) fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    arr(b, off).map(u64::from_le_bytes)
}

/// An IPv4 address stored as a little-endian u32 holding the address as a number.
#[inline]
pub(crate) fn ipv4_at(b: &[u8], off: usize) -> Option<Ipv4Addr> {
    u32_at(b, off).map(Ipv4Addr::from)
}

/// An IPv6 address stored as two little-endian u64: high half first, then low half.
#[inline]
pub(crate) fn ipv6_at(b: &[u8], off: usize) -> Option<Ipv6Addr> {
    let hi = u64_at(b, off)?;
    let lo = u64_at(b, off.checked_add(8)?)?;
    Some(Ipv6Addr::from(u128::from(hi) << 64 | u128::from(lo)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_bounds() {
        let b = [0x01, 0x00, 0x00, 0x0a, 0xff];
        assert_eq!(ipv4_at(&b, 0), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(u16_at(&b, 3), Some(0xff0a));
        assert_eq!(u16_at(&b, 4), None);
        assert_eq!(u64_at(&b, usize::MAX), None);
        // 2001:db8::1 as nfdump stores it (§4.4).
        let v6 = [0, 0, 0, 0, 0xb8, 0x0d, 0x01, 0x20, 1, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(ipv6_at(&v6, 0), Some("2001:db8::1".parse().unwrap()));
    }
}
