//! Renderers for single flow fields as nfdump 1.7.1 prints them, shared by every output format:
//! timestamps in local time honouring `TZ`, protocol names, the `CEUAPRSF` TCP flag string,
//! MAC addresses, MPLS label stack entries, IPv6 condensing, 1000-based number scaling and
//! durations. Every function appends to a [`fmt::Write`] sink (usually a reused `String`) and
//! allocates nothing itself, so an output format can render millions of rows with one buffer.
//!
//! The exact texts (protocol table, widths, rounding) were checked against the installed
//! nfdump 1.7.1; see `reference/nfdump-cli.md` §3.4–3.6.

use std::fmt::{self, Write};
use std::net::{IpAddr, Ipv6Addr};

use chrono::{Datelike, Local, TimeZone, Timelike};

pub use rf_format::protocols::{proto_by_name, proto_name};

/// Writes the protocol as nfdump's `Proto_string` does: the name unpadded, or, when unknown
/// or `plain` (`-N`), the number left-justified in 5 (`%-5i`; csv shows `200  `).
/// Column formats pad names to 5 themselves with [`pad_right`].
pub fn write_proto<W: Write + ?Sized>(out: &mut W, p: u8, plain: bool) -> fmt::Result {
    match proto_name(p) {
        Some(n) if !plain => out.write_str(n),
        _ => write!(out, "{p:<5}"),
    }
}

/// The 8-character TCP flag string `CEUAPRSF` with `.` for unset bits (CWR first, FIN last).
pub fn tcp_flags_str(flags: u8) -> [u8; 8] {
    const NAMES: &[u8; 8] = b"CEUAPRSF";
    let mut s = [b'.'; 8];
    for (i, c) in NAMES.iter().enumerate() {
        if flags & (0x80 >> i) != 0 {
            s[i] = *c;
        }
    }
    s
}

/// Writes the TCP flag string (see [`tcp_flags_str`]).
pub fn write_tcp_flags<W: Write + ?Sized>(out: &mut W, flags: u8) -> fmt::Result {
    for c in tcp_flags_str(flags) {
        out.write_char(char::from(c))?;
    }
    Ok(())
}

/// Writes a MAC held as the low 48 bits of `mac` (big-endian number) as `aa:bb:cc:dd:ee:ff`.
pub fn write_mac<W: Write + ?Sized>(out: &mut W, mac: u64) -> fmt::Result {
    for i in (0..6).rev() {
        let b = (mac >> (8 * i)) & 0xff;
        write!(out, "{b:02x}")?;
        if i != 0 {
            out.write_char(':')?;
        }
    }
    Ok(())
}

/// Writes an MPLS label stack entry as nfdump's `label-exp-eos` (`%u-%1u-%1u`).
pub fn write_mpls<W: Write + ?Sized>(out: &mut W, entry: u32) -> fmt::Result {
    write!(out, "{}-{}-{}", entry >> 4, (entry & 0xf) >> 1, entry & 1)
}

/// Writes an address as glibc's `inet_ntop` does (dotted quad; RFC 5952 IPv6 text).
///
/// Rust's `Ipv6Addr` display matches glibc except for IPv4-compatible addresses
/// (`::a.b.c.d` with the upper 96 bits zero), which glibc prints in dotted form.
pub fn write_addr<W: Write + ?Sized>(out: &mut W, ip: IpAddr) -> fmt::Result {
    match ip {
        IpAddr::V4(a) => write_ipv4(out, a),
        IpAddr::V6(a) => write_ipv6(out, a),
    }
}

/// The dotted quad of `a` as ASCII bytes in `buf`; returns the length.
fn ipv4_bytes(a: std::net::Ipv4Addr, buf: &mut [u8; 15]) -> usize {
    let mut n = 0;
    for (i, o) in a.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            buf[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            buf[n] = b'0' + o / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + o % 10;
        n += 1;
    }
    n
}

/// Appends ASCII bytes to a string (no UTF-8 validation pass: every byte is below 0x80).
pub fn push_ascii(out: &mut String, bytes: &[u8]) {
    out.extend(bytes.iter().map(|&b| char::from(b & 0x7f)));
}

/// Appends an IPv4 address right-aligned in `w` columns.
pub fn push_ipv4_right(out: &mut String, a: std::net::Ipv4Addr, w: usize) {
    let mut buf = [0u8; 15];
    let n = ipv4_bytes(a, &mut buf);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(n)));
    push_ascii(out, &buf[..n]);
}

/// Appends `v` in decimal, right-aligned in `w` columns (`%*u`).
pub fn push_uint_right(out: &mut String, v: u64, w: usize) {
    let mut buf = [0u8; 20];
    let digits = decimal(v, &mut buf);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(digits.len())));
    push_ascii(out, digits);
}

/// Appends an address right-aligned in `w` columns; `condensed` shortens IPv6 text as
/// [`write_addr_condensed`] does. No formatter and no UTF-8 check: a column of every line.
pub fn push_addr_right(out: &mut String, ip: IpAddr, w: usize, condensed: bool) {
    let a = match ip {
        IpAddr::V4(a) => return push_ipv4_right(out, a, w),
        IpAddr::V6(a) => a,
    };
    let mut buf = [0u8; ADDR_MAX];
    let n = ipv6_bytes(a, &mut buf);
    let text = &buf[..n];
    match condense(text).filter(|_| condensed) {
        Some((head, tail)) => {
            out.extend(std::iter::repeat_n(' ', w.saturating_sub(16)));
            push_ascii(out, head);
            out.push_str("..");
            push_ascii(out, tail);
        }
        None => {
            out.extend(std::iter::repeat_n(' ', w.saturating_sub(n)));
            push_ascii(out, text);
        }
    }
}

/// Appends `v` in decimal, left-aligned in `w` columns (`%-*u`).
pub fn push_uint_left(out: &mut String, v: u64, w: usize) {
    let mut buf = [0u8; 20];
    let digits = decimal(v, &mut buf);
    push_ascii(out, digits);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(digits.len())));
}

/// Appends `v` in decimal.
pub fn push_u64(out: &mut String, v: u64) {
    let mut buf = [0u8; 20];
    push_ascii(out, decimal(v, &mut buf));
}

/// The decimal digits of `v`, written at the end of `buf`.
fn decimal(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Dotted quad, digit by digit (the formatter's generic path is the costliest part of
/// printing an IPv4 flow).
fn write_ipv4<W: Write + ?Sized>(out: &mut W, a: std::net::Ipv4Addr) -> fmt::Result {
    let mut buf = [0u8; 15];
    let n = ipv4_bytes(a, &mut buf);
    // ASCII digits and dots only.
    out.write_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
}

/// Appends `v` right-aligned in `w` columns (`%*llu`), without the formatter.
pub fn pad_uint<W: Write + ?Sized>(out: &mut W, v: u64, w: usize) -> fmt::Result {
    let mut buf = [0u8; 20];
    // ASCII digits only.
    pad_left(
        out,
        std::str::from_utf8(decimal(v, &mut buf)).unwrap_or_default(),
        w,
    )
}

fn write_ipv6<W: Write + ?Sized>(out: &mut W, a: Ipv6Addr) -> fmt::Result {
    let mut buf = [0u8; ADDR_MAX];
    let n = ipv6_bytes(a, &mut buf);
    // ASCII hex digits, colons and dots only.
    out.write_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
}

/// The text of `a` as glibc's `inet_ntop` writes it, as ASCII bytes in `buf`; returns the
/// length. RFC 5952: lowercase hex without leading zeros, the first longest run of two or more
/// zero words as `::`; `::a.b.c.d` and `::ffff:a.b.c.d` for IPv4-compatible and -mapped
/// addresses. Written by hand because the formatter's generic path was a tenth of `-o line`.
fn ipv6_bytes(a: Ipv6Addr, buf: &mut [u8; ADDR_MAX]) -> usize {
    let w = a.segments();
    // The first longest run of zero words, if it is at least two long.
    let (mut best, mut best_len, mut i) = (0, 0, 0);
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                (best, best_len) = (start, i - start);
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_len = 0;
    }
    let mut n = 0;
    let mut put = |buf: &mut [u8; ADDR_MAX], b: u8| {
        buf[n] = b;
        n += 1;
    };
    let embedded_v4 = best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff));
    let mut i = 0;
    while i < 8 {
        if best_len > 0 && i == best {
            put(buf, b':');
            if i == 0 {
                put(buf, b':');
            }
            i += best_len;
            if embedded_v4 {
                if best_len == 5 {
                    for &b in b"ffff:" {
                        put(buf, b);
                    }
                }
                let mut v4 = [0u8; 15];
                let o = a.octets();
                let k = ipv4_bytes(std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15]), &mut v4);
                for &b in &v4[..k] {
                    put(buf, b);
                }
                return n;
            }
            continue;
        }
        let v = w[i];
        let mut started = false;
        for shift in [12u32, 8, 4, 0] {
            let d = (v >> shift & 0xf) as u8;
            if started || d != 0 || shift == 0 {
                started = true;
                put(buf, if d < 10 { b'0' + d } else { b'a' + d - 10 });
            }
        }
        i += 1;
        if i < 8 {
            put(buf, b':');
        }
    }
    n
}

/// Maximum text length of an address (`inet_ntop` IPv6 plus NUL fits 46).
const ADDR_MAX: usize = 46;

/// A small stack buffer implementing [`fmt::Write`], for rendering a field before padding it.
#[derive(Clone, Copy)]
pub struct StackStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for StackStr<N> {
    fn default() -> Self {
        StackStr {
            buf: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> StackStr<N> {
    /// The text written so far.
    pub fn as_str(&self) -> &str {
        // Only whole `&str`s are ever appended, so the prefix is valid UTF-8.
        std::str::from_utf8(self.buf.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl<const N: usize> Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Renders an address to a stack string (see [`write_addr`]).
pub fn addr_str(ip: IpAddr) -> StackStr<ADDR_MAX> {
    let mut s = StackStr::default();
    // An address always fits in ADDR_MAX bytes; on the impossible overflow the text is cut.
    let _ = write_addr(&mut s, ip);
    s
}

/// Writes an address as nfdump's text columns do without `-6`: IPv6 text longer than 16
/// characters is condensed to its first 7 characters, `..`, and its last 7.
pub fn write_addr_condensed<W: Write + ?Sized>(out: &mut W, ip: IpAddr) -> fmt::Result {
    let s = addr_str(ip);
    let t = s.as_str();
    match condense(t.as_bytes()) {
        // inet_ntop output is ASCII, so byte slicing is on char boundaries.
        Some((head, tail)) => {
            out.write_str(t.get(..head.len()).unwrap_or(t))?;
            out.write_str("..")?;
            out.write_str(t.get(t.len() - tail.len()..).unwrap_or(t))
        }
        None => out.write_str(t),
    }
}

/// nfdump's rule for address text in 16 columns: longer text keeps its first 7 and last 7
/// characters around `..`. `None` when the text fits.
fn condense(t: &[u8]) -> Option<(&[u8], &[u8])> {
    (t.len() > 16).then(|| (&t[..7], &t[t.len() - 7..]))
}

/// Writes `s` right-aligned in `width` (C `%*s`; never truncates).
pub fn pad_left<W: Write + ?Sized>(out: &mut W, s: &str, width: usize) -> fmt::Result {
    // Spaces written directly: this runs several times per printed record.
    spaces(out, width.saturating_sub(s.chars().count()))?;
    out.write_str(s)
}

/// Writes `n` spaces.
fn spaces<W: Write + ?Sized>(out: &mut W, mut n: usize) -> fmt::Result {
    const SP: &str = "                                        ";
    while n > 0 {
        let k = n.min(SP.len());
        out.write_str(SP.get(..k).unwrap_or_default())?;
        n -= k;
    }
    Ok(())
}

/// Writes `s` left-aligned in `width` (C `%-*s`; never truncates).
pub fn pad_right<W: Write + ?Sized>(out: &mut W, s: &str, width: usize) -> fmt::Result {
    out.write_str(s)?;
    spaces(out, width.saturating_sub(s.chars().count()))
}

/// Writes the ICMP `type.code` text nfdump prints in `%dp`/`%dap` (from the dst port value).
pub fn write_icmp<W: Write + ?Sized>(out: &mut W, dst_port: u16) -> fmt::Result {
    write!(out, "{}.{}", dst_port >> 8, dst_port & 0xff)
}

const KILO: f64 = 1000.0;

/// Writes a counter scaled like nfdump's `format_number` (1000-based, no `K`).
///
/// `fixed` is the record-column form (`%4.0f`, `%5.1f M`), otherwise the Summary form
/// (`%.0f`, `%.1f M`). `plain` (`-N`) prints the integer unscaled.
pub fn write_scaled<W: Write + ?Sized>(
    out: &mut W,
    v: u64,
    fixed: bool,
    plain: bool,
) -> fmt::Result {
    if plain {
        return write!(out, "{v}");
    }
    if v < 1_000_000 {
        // Unscaled: the double is integral, so `%4.0f` prints the integer. Formatting it as
        // an integer skips the exact float formatter, the costliest step of `-o line`.
        return if fixed {
            write!(out, "{v:4}")
        } else {
            write!(out, "{v}")
        };
    }
    write_scaled_f64(out, v as f64, fixed)
}

/// As [`write_scaled`] for a value already converted to `f64` (nfdump scales doubles).
pub fn write_scaled_f64<W: Write + ?Sized>(out: &mut W, f: f64, fixed: bool) -> fmt::Result {
    let (div, unit) = if f >= KILO * KILO * KILO * KILO {
        (KILO * KILO * KILO * KILO, 'T')
    } else if f >= KILO * KILO * KILO {
        (KILO * KILO * KILO, 'G')
    } else if f >= KILO * KILO {
        (KILO * KILO, 'M')
    } else {
        return if fixed {
            write!(out, "{f:4.0}")
        } else {
            write!(out, "{f:.0}")
        };
    };
    let x = f / div;
    if fixed {
        write!(out, "{x:5.1} {unit}")
    } else {
        write!(out, "{x:.1} {unit}")
    }
}

/// Writes a duration as nfdump's `%td`: `    HH:MM:SS.mmm` (16 chars), or
/// `%2dd HH:MM:SS.mmm` from one day on; `plain` (`-N`) gives seconds as `%16.3f`.
pub fn write_duration<W: Write + ?Sized>(out: &mut W, ms: u64, plain: bool) -> fmt::Result {
    if plain {
        return write!(out, "{:>16}", Seconds(ms));
    }
    let days = ms / 86_400_000;
    let rest = ms % 86_400_000;
    let (h, m, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    if days > 0 {
        write!(out, "{days:2}d {h:02}:{m:02}:{s:02}.{milli:03}")
    } else {
        // Digit by digit: every printed record has one (h < 24 here).
        let d = |v: u64| b'0' + (v % 10) as u8;
        let text = [
            b' ',
            b' ',
            b' ',
            b' ',
            d(h / 10),
            d(h),
            b':',
            d(m / 10),
            d(m),
            b':',
            d(s / 10),
            d(s),
            b'.',
            d(milli / 100),
            d(milli / 10),
            d(milli),
        ];
        out.write_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

/// Milliseconds displayed as seconds with three decimals (C `%.3f` of `ms / 1000.0`), exact.
#[derive(Clone, Copy, Debug)]
pub struct Seconds(pub u64);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Render into a stack buffer first so width/alignment flags apply to the whole text.
        let mut s = StackStr::<32>::default();
        write!(s, "{}.{:03}", self.0 / 1000, self.0 % 1000)?;
        f.pad(s.as_str())
    }
}

/// Seconds remembered with their text: the flows of a block span a few minutes and `ts`/`te`
/// alternate, so a small direct-mapped cache catches nearly every lookup.
const SECOND_CACHE: usize = 1024;
/// Quarter hours remembered with their UTC offset.
const OFFSET_CACHE: usize = 16;

thread_local! {
    /// Seconds rendered and their `YYYY-MM-DD hh:mm:ss` text, by `secs % SECOND_CACHE`.
    static SECONDS: std::cell::RefCell<[(i64, [u8; 19]); SECOND_CACHE]> =
        const { std::cell::RefCell::new([(i64::MIN, [0; 19]); SECOND_CACHE]) };
    /// 900-second slots and their UTC offsets (see `local_offset`).
    static OFFSETS: std::cell::RefCell<[(i64, i32); OFFSET_CACHE]> =
        const { std::cell::RefCell::new([(i64::MIN, 0); OFFSET_CACHE]) };
}

/// `YYYY-MM-DD hh:mm:ss` of `secs` since the epoch in local time (`TZ` honoured).
/// The local UTC offset (seconds) at `secs`. Since 1972 every zone's offsets are multiples of
/// 15 minutes and changes happen on local whole or half hours, so rules only change on a
/// quarter hour of UTC: the offset is looked up once per 900-second slot, not per record.
/// (tests/rfdump_cli.rs checks this against the C library across DST changes.)
fn local_offset(secs: i64) -> i32 {
    let slot = secs.div_euclid(900);
    let at = slot.rem_euclid(OFFSET_CACHE as i64) as usize;
    if let Some(off) = OFFSETS.with(|c| c.borrow().get(at).filter(|e| e.0 == slot).map(|e| e.1)) {
        return off;
    }
    let off = chrono::DateTime::from_timestamp(secs, 0).map_or(0, |t| {
        Local
            .offset_from_utc_datetime(&t.naive_utc())
            .local_minus_utc()
    });
    OFFSETS.with(|c| {
        if let Some(e) = c.borrow_mut().get_mut(at) {
            *e = (slot, off);
        }
    });
    off
}

fn local_datetime(secs: i64) -> [u8; 19] {
    let at = secs.rem_euclid(SECOND_CACHE as i64) as usize;
    if let Some(text) = SECONDS.with(|c| c.borrow().get(at).filter(|e| e.0 == secs).map(|e| e.1)) {
        return text;
    }
    let mut text = *b"1970-01-01 00:00:00";
    let local = secs.checked_add(i64::from(local_offset(secs)));
    if let Some(dt) = local.and_then(|l| chrono::DateTime::from_timestamp(l, 0)) {
        let dt = dt.naive_utc();
        let (y, mo, d) = (dt.year(), dt.month(), dt.day());
        let (h, mi, se) = (dt.hour(), dt.minute(), dt.second());
        if (0..=9999).contains(&y) {
            let y = y as u32;
            let dig = |v: u32| b'0' + (v % 10) as u8;
            text = [
                dig(y / 1000),
                dig(y / 100),
                dig(y / 10),
                dig(y),
                b'-',
                dig(mo / 10),
                dig(mo),
                b'-',
                dig(d / 10),
                dig(d),
                b' ',
                dig(h / 10),
                dig(h),
                b':',
                dig(mi / 10),
                dig(mi),
                b':',
                dig(se / 10),
                dig(se),
            ];
        }
    }
    SECONDS.with(|c| {
        if let Some(e) = c.borrow_mut().get_mut(at) {
            *e = (secs, text);
        }
    });
    text
}

fn ms_parts(ms: u64) -> (i64, u64) {
    (i64::try_from(ms / 1000).unwrap_or(i64::MAX), ms % 1000)
}

/// Writes `ms` since the epoch as local `YYYY-MM-DD hh:mm:ss.mmm` (nfdump `%ts`, `%te`, ...).
pub fn write_time_ms<W: Write + ?Sized>(out: &mut W, ms: u64) -> fmt::Result {
    let (secs, m) = ms_parts(ms);
    // One 23-byte piece: one write (and one UTF-8 check) per time printed.
    let mut text = [0u8; 23];
    text[..19].copy_from_slice(&local_datetime(secs));
    text[19..].copy_from_slice(&[
        b'.',
        b'0' + (m / 100 % 10) as u8,
        b'0' + (m / 10 % 10) as u8,
        b'0' + (m % 10) as u8,
    ]);
    out.write_str(std::str::from_utf8(&text).unwrap_or("1970-01-01 00:00:00.000"))
}

/// Writes seconds since the epoch as local `YYYY-MM-DD hh:mm:ss` (csv `ts`/`te`, Time window).
pub fn write_time_s<W: Write + ?Sized>(out: &mut W, secs: i64) -> fmt::Result {
    let text = local_datetime(secs);
    // The text is ASCII digits and separators by construction.
    out.write_str(std::str::from_utf8(&text).unwrap_or("1970-01-01 00:00:00"))
}

/// Writes `ms` since the epoch truncated to whole seconds, local time (csv `ts`/`te`).
pub fn write_time_ms_secs<W: Write + ?Sized>(out: &mut W, ms: u64) -> fmt::Result {
    write_time_s(out, ms_parts(ms).0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn s(f: impl FnOnce(&mut String) -> fmt::Result) -> String {
        let mut o = String::new();
        f(&mut o).unwrap();
        o
    }

    /// glibc's text: Rust's `Ipv6Addr` display, except IPv4-compatible addresses.
    fn glibc_v6(a: Ipv6Addr) -> String {
        let w = a.segments();
        if w[..6].iter().all(|&x| x == 0) && w[6] != 0 {
            let o = a.octets();
            return format!("::{}.{}.{}.{}", o[12], o[13], o[14], o[15]);
        }
        a.to_string()
    }

    proptest::proptest! {
        /// Words drawn mostly from 0, 1 and 0xffff, so zero runs of every length and place,
        /// ties and mapped addresses all occur.
        #[test]
        fn ipv6_text_is_inet_ntop(words in proptest::collection::vec(
            proptest::prop_oneof![
                3 => proptest::strategy::Just(0u16),
                1 => proptest::strategy::Just(1u16),
                1 => proptest::strategy::Just(0xffffu16),
                2 => proptest::num::u16::ANY,
            ],
            8,
        )) {
            let a = Ipv6Addr::new(
                words[0], words[1], words[2], words[3], words[4], words[5], words[6], words[7],
            );
            proptest::prop_assert_eq!(s(|o| write_addr(o, IpAddr::V6(a))), glibc_v6(a));
        }
    }

    #[test]
    fn ipv6_text_cases() {
        for (text, want) in [
            ("::", "::"),
            ("::1", "::1"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("2001:db8::1", "2001:db8::1"),
            ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
            ("2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"),
            ("fe80::", "fe80::"),
            ("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"),
            (
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
        ] {
            let a: Ipv6Addr = text.parse().unwrap();
            assert_eq!(s(|o| write_addr(o, IpAddr::V6(a))), want, "{text}");
        }
    }

    #[test]
    fn protocols() {
        assert_eq!(proto_name(6), Some("TCP"));
        assert_eq!(proto_name(58), Some("ICMP6"));
        assert_eq!(proto_name(94), Some("OS"));
        assert_eq!(proto_name(137), Some("MPLS"));
        assert_eq!(proto_name(138), None);
        assert_eq!(s(|o| write_proto(o, 200, false)), "200  ");
        assert_eq!(s(|o| write_proto(o, 17, true)), "17   ");
        assert_eq!(proto_by_name("udp"), Some(17));
        assert_eq!(proto_by_name("IDPR"), Some(35));
    }

    #[test]
    fn flags_mac_mpls() {
        assert_eq!(&tcp_flags_str(0x1b), b"...AP.SF");
        assert_eq!(&tcp_flags_str(0xff), b"CEUAPRSF");
        assert_eq!(s(|o| write_tcp_flags(o, 0x1e)), "...APRS.");
        assert_eq!(s(|o| write_mac(o, 0x0011_2233_4455)), "00:11:22:33:44:55");
        assert_eq!(s(|o| write_mac(o, 0x6677_8899_aabb)), "66:77:88:99:aa:bb");
        // label 100, exp 5, bottom of stack.
        assert_eq!(s(|o| write_mpls(o, 100 << 4 | 5 << 1 | 1)), "100-5-1");
        assert_eq!(s(|o| write_mpls(o, 0)), "0-0-0");
    }

    #[test]
    fn addresses() {
        let v6: IpAddr = "2001:db8:4a8a:1e0c:6fbe:ce5:ceab:ebb1".parse().unwrap();
        assert_eq!(s(|o| write_addr_condensed(o, v6)), "2001:db..ab:ebb1");
        assert_eq!(
            s(|o| write_addr(o, v6)),
            "2001:db8:4a8a:1e0c:6fbe:ce5:ceab:ebb1"
        );
        let short: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(s(|o| write_addr_condensed(o, short)), "2001:db8::1");
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
        assert_eq!(s(|o| write_addr_condensed(o, v4)), "192.168.1.10");
        let compat: IpAddr = "::10.1.2.3".parse().unwrap();
        assert_eq!(s(|o| write_addr(o, compat)), "::10.1.2.3");
        let one: IpAddr = "::1".parse().unwrap();
        assert_eq!(s(|o| write_addr(o, one)), "::1");
    }

    #[test]
    fn scaling() {
        assert_eq!(s(|o| write_scaled(o, 801, true, false)), " 801");
        assert_eq!(s(|o| write_scaled(o, 358_572, true, false)), "358572");
        assert_eq!(s(|o| write_scaled(o, 2_600_000, true, false)), "  2.6 M");
        assert_eq!(s(|o| write_scaled(o, 52_606_456, false, false)), "52.6 M");
        assert_eq!(s(|o| write_scaled(o, 3_000_000_000, false, false)), "3.0 G");
        assert_eq!(
            s(|o| write_scaled(o, 4_000_000_000_000, true, false)),
            "  4.0 T"
        );
        assert_eq!(s(|o| write_scaled(o, 52_606_456, true, true)), "52606456");
    }

    #[test]
    fn durations() {
        assert_eq!(s(|o| write_duration(o, 47_541, false)), "    00:00:47.541");
        assert_eq!(
            s(|o| write_duration(o, 86_400_000 + 3_723_456, false)),
            " 1d 01:02:03.456"
        );
        assert_eq!(s(|o| write_duration(o, 543, true)), "           0.543");
        assert_eq!(format!("{}", Seconds(33_110)), "33.110");
    }

    #[test]
    fn icmp() {
        assert_eq!(s(|o| write_icmp(o, 2048)), "8.0");
        assert_eq!(s(|o| write_icmp(o, 769)), "3.1");
    }
}
