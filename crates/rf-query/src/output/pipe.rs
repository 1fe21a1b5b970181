//! `-o pipe`: nfdump's `|`-separated numeric record lines; addresses as four 32-bit words.

use std::fmt::Write as _;
use std::net::IpAddr;

use rf_format::FlowRecord;

/// Address family number and the four 32-bit words nfdump prints (IPv4 in the last word).
pub fn addr_words(a: IpAddr) -> (u8, [u32; 4]) {
    match a {
        IpAddr::V4(v) => (2, [0, 0, 0, u32::from(v)]),
        IpAddr::V6(v) => {
            let n = u128::from(v);
            (
                10,
                [
                    (n >> 96) as u32,
                    (n >> 64) as u32,
                    (n >> 32) as u32,
                    n as u32,
                ],
            )
        }
    }
}

/// Appends one pipe line.
pub fn render(r: &FlowRecord, out: &mut String) {
    let (af, s) = addr_words(r.src_addr);
    let (_, d) = addr_words(r.dst_addr);
    let _ = writeln!(
        out,
        "{af}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        r.first_ms,
        r.last_ms,
        r.proto,
        s[0],
        s[1],
        s[2],
        s[3],
        r.src_port,
        d[0],
        d[1],
        d[2],
        d[3],
        r.dst_port,
        r.src_as,
        r.dst_as,
        r.input,
        r.output,
        r.tcp_flags,
        r.src_tos,
        r.in_packets,
        r.in_bytes
    );
}
