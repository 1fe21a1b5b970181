//! Column helpers of the printers on top of the shared field renderers in [`crate::fields`]:
//! fixed-width padding of scaled counters and addresses, `String`-returning conveniences,
//! address masking and per-second rates, so every printer and statistics table applies the
//! same rule the same way.

use std::net::IpAddr;

use crate::fields;

/// A scaled fixed-width counter right-aligned in 8 columns (`%8s`), as record columns print.
pub fn scaled_col(out: &mut String, v: u64, plain: bool) {
    if plain || v < 1_000_000 {
        // `-N`, or unscaled (`%4.0f` of an integral double): the integer, right-aligned.
        fields::push_uint_right(out, v, 8);
        return;
    }
    let mut s = fields::StackStr::<32>::default();
    let _ = fields::write_scaled(&mut s, v, true, plain);
    let _ = fields::pad_left(out, s.as_str(), 8);
}

/// `v` scaled as in the Summary footer: `%.0f` below one million, else `%.1f M/G/T`.
pub fn scaled_var(v: u64, plain: bool) -> String {
    let mut s = String::new();
    let _ = fields::write_scaled(&mut s, v, false, plain);
    s
}

/// Appends `ms` since the epoch as local `YYYY-MM-DD hh:mm:ss.mmm`.
pub fn time_ms(out: &mut String, ms: u64) {
    let _ = fields::write_time_ms(out, ms);
}

/// Appends `ms` as local `YYYY-MM-DDThh:mm:ss.mmm` (json).
pub fn time_ms_iso(out: &mut String, ms: u64) {
    let start = out.len();
    let _ = fields::write_time_ms(out, ms);
    // The rendered text is ASCII; the date/time separator is the 11th character.
    if let Some(sep) = out.get(start + 10..start + 11)
        && sep == " "
    {
        out.replace_range(start + 10..start + 11, "T");
    }
}

/// Local `YYYY-MM-DD hh:mm:ss` of `secs` since the epoch.
pub fn time_secs(secs: u64) -> String {
    let mut s = String::with_capacity(20);
    let _ = fields::write_time_s(&mut s, i64::try_from(secs).unwrap_or(i64::MAX));
    s
}

/// Appends nfdump's `%td` duration.
pub fn duration(out: &mut String, ms: u64, plain: bool) {
    let _ = fields::write_duration(out, ms, plain);
}

/// The address text nfdump prints in fixed columns: condensed IPv6 unless `long_v6`.
pub fn addr_text(a: IpAddr, long_v6: bool) -> fields::StackStr<48> {
    let mut s = fields::StackStr::<48>::default();
    let _ = if long_v6 {
        fields::write_addr(&mut s, a)
    } else {
        fields::write_addr_condensed(&mut s, a)
    };
    s
}

/// Appends an address right-aligned in 16 columns (39 with `long_v6`).
pub fn addr_col(out: &mut String, a: IpAddr, long_v6: bool) {
    let w = if long_v6 { 39 } else { 16 };
    fields::push_addr_right(out, a, w, !long_v6);
}

/// Protocol as `%pr` prints it before padding.
pub fn proto(p: u8, plain: bool) -> fields::StackStr<8> {
    let mut s = fields::StackStr::<8>::default();
    let _ = fields::write_proto(&mut s, p, plain);
    s
}

/// TCP flags as the 8-char `CEUAPRSF` string.
pub fn tcp_flags(f: u8) -> String {
    let mut s = String::with_capacity(8);
    let _ = fields::write_tcp_flags(&mut s, f);
    s
}

/// The network of `a` under a `mask`-bit prefix as nfdump's raw and json output print it
/// (`192.168.0.0`), or an empty string for mask 0 (no mask known).
pub fn network_text(a: IpAddr, mask: u8) -> String {
    match a {
        _ if mask == 0 => String::new(),
        IpAddr::V4(v) => {
            let keep = u32::MAX
                .checked_shl(32 - u32::from(mask.min(32)))
                .unwrap_or(0);
            std::net::Ipv4Addr::from(v.to_bits() & keep).to_string()
        }
        IpAddr::V6(v) => {
            let keep = u128::MAX
                .checked_shl(128 - u32::from(mask.min(128)))
                .unwrap_or(0);
            std::net::Ipv6Addr::from(v.to_bits() & keep).to_string()
        }
    }
}

/// A MAC as `xx:xx:xx:xx:xx:xx`.
pub fn mac(m: u64) -> String {
    let mut s = String::with_capacity(17);
    let _ = fields::write_mac(&mut s, m);
    s
}

/// An MPLS entry as `label-exp-eos`.
pub fn mpls(l: u32) -> String {
    let mut s = String::with_capacity(12);
    let _ = fields::write_mpls(&mut s, l);
    s
}

/// Masks `a` to its first `bits` bits as nfdump's `%sn`/`%dn` do. A mask of 0 is a shift by
/// the full word width in nfdump's C code, which x86 treats as a shift by 0: IPv4 stays
/// unmasked and IPv6 keeps its upper 64 bits. Reproduced as observed.
pub fn mask_addr(a: IpAddr, bits: u8) -> IpAddr {
    match a {
        IpAddr::V4(v) => {
            let b = u32::from(bits.min(32));
            let m = if b == 0 || b >= 32 {
                u32::MAX
            } else {
                !(u32::MAX >> b)
            };
            IpAddr::V4((u32::from(v) & m).into())
        }
        IpAddr::V6(v) => {
            let b = u32::from(bits.min(128));
            let m = if b == 0 {
                !(u128::MAX >> 64)
            } else if b >= 128 {
                u128::MAX
            } else {
                !(u128::MAX >> b)
            };
            IpAddr::V6((u128::from(v) & m).into())
        }
    }
}

/// Packets (or bits when `bits`) per second of a counter over `dur_ms`, truncated; 0 when the
/// duration is 0. nfdump computes this in double precision.
pub fn per_second(v: u64, dur_ms: u64, bits: bool) -> u64 {
    if dur_ms == 0 {
        return 0;
    }
    let secs = dur_ms as f64 / 1000.0;
    let v = if bits { v as f64 * 8.0 } else { v as f64 };
    (v / secs) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_matches_nfdump_examples() {
        let mut s = String::new();
        scaled_col(&mut s, 801, false);
        assert_eq!(s, "     801");
        s.clear();
        scaled_col(&mut s, 2_066_697, false);
        assert_eq!(s, "   2.1 M");
        assert_eq!(scaled_var(52_606_456, false), "52.6 M");
        assert_eq!(scaled_var(76_727, false), "76727");
        assert_eq!(scaled_var(52_606_456, true), "52606456");
        let a: IpAddr = "2001:db8:4a8a:1e0c:6fbe:ce5:ceab:ebb1".parse().unwrap();
        assert_eq!(addr_text(a, false).as_str(), "2001:db..ab:ebb1");
    }

    #[test]
    fn masks() {
        let a: IpAddr = "10.57.12.190".parse().unwrap();
        assert_eq!(mask_addr(a, 16).to_string(), "10.57.0.0");
        assert_eq!(mask_addr(a, 0), a);
        let b: IpAddr = "2001:db8::1:0:0:2".parse().unwrap();
        assert_eq!(mask_addr(b, 0).to_string(), "2001:db8::");
    }
}
