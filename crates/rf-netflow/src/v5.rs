//! NetFlow v1, v5 and v7: fixed header, fixed records. Filled like nfcapd 1.7: EXgenericFlow and
//! EXipv4Flow always, EXflowMisc / EXasRouting / EXipNextHopV4 only when their values are
//! non-zero, times from the header's uptime/unix time pair with the 32-bit uptime wrap handled.

use std::net::{IpAddr, Ipv4Addr};

use rf_format::{FlowRecord, ext_id};

use crate::cursor::{slice, u16_at, u32_at};
use crate::error::DecodeError;

/// Header length of v1.
pub const V1_HEADER: usize = 16;
/// Header length of v5 and v7.
pub const V5_HEADER: usize = 24;
/// Record length of v1 and v5.
pub const V5_RECORD: usize = 48;
/// Record length of v7.
pub const V7_RECORD: usize = 52;
/// Largest record count a v5 header may announce (Cisco: 30; we allow what fits a datagram).
const MAX_COUNT: usize = 1400;

/// Header fields the caller needs for exporter bookkeeping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Version (1, 5, 7).
    pub version: u16,
    /// Records in the datagram.
    pub count: u16,
    /// Flow sequence (v5/v7), 0 for v1.
    pub sequence: u32,
    /// Engine type (v5).
    pub engine_type: u8,
    /// Engine id (v5).
    pub engine_id: u8,
    /// Sampling interval from the v5 header (low 14 bits), 0 when none.
    pub sampling: u16,
}

impl Header {
    /// v5 engine tag (`type << 8 | id`), the exporter id nfcapd uses.
    pub fn engine_tag(&self) -> u32 {
        u32::from(self.engine_type) << 8 | u32::from(self.engine_id)
    }
}

/// Parses and validates the header: the datagram must hold all announced records.
pub fn header(pkt: &[u8]) -> Result<Header, DecodeError> {
    let version = u16_at(pkt, 0, "netflow header")?;
    let count = u16_at(pkt, 2, "netflow header")?;
    let (hlen, rlen) = match version {
        1 => (V1_HEADER, V5_RECORD),
        5 => (V5_HEADER, V5_RECORD),
        7 => (V5_HEADER, V7_RECORD),
        v => return Err(DecodeError::Version(v)),
    };
    if pkt.len() < hlen {
        return Err(DecodeError::Truncated {
            what: "v5 header",
            offset: 0,
        });
    }
    let n = usize::from(count);
    if n == 0 || n > MAX_COUNT {
        return Err(DecodeError::Invalid {
            what: "record count",
            offset: 2,
        });
    }
    if pkt.len() < hlen + n * rlen {
        return Err(DecodeError::Truncated {
            what: "v5 records",
            offset: hlen,
        });
    }
    let mut h = Header {
        version,
        count,
        ..Header::default()
    };
    if version != 1 {
        h.sequence = u32_at(pkt, 16, "v5 header")?;
        if version == 5 {
            let b = slice(pkt, 20, 4, "v5 header")?;
            h.engine_type = b[0];
            h.engine_id = b[1];
            h.sampling = u16::from_be_bytes([b[2], b[3]]) & 0x3fff;
        }
    }
    Ok(h)
}

/// Decodes all records of a validated datagram. `rate` > 1 multiplies counters (sampling).
pub fn records(
    pkt: &[u8],
    h: &Header,
    rate: u32,
    template: &FlowRecord,
    out: &mut Vec<FlowRecord>,
) -> Result<(), DecodeError> {
    let uptime = u64::from(u32_at(pkt, 4, "netflow header")?);
    let secs = u64::from(u32_at(pkt, 8, "netflow header")?);
    let nsecs = u64::from(u32_at(pkt, 12, "netflow header")?);
    let boot = (secs * 1000 + nsecs / 1_000_000).wrapping_sub(uptime);
    let (hlen, rlen) = match h.version {
        1 => (V1_HEADER, V5_RECORD),
        7 => (V5_HEADER, V7_RECORD),
        _ => (V5_HEADER, V5_RECORD),
    };
    for i in 0..usize::from(h.count) {
        let off = hlen + i * rlen;
        let b = slice(pkt, off, rlen, "v5 record")?;
        let be32 = |o: usize| u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let be16 = |o: usize| u16::from_be_bytes([b[o], b[o + 1]]);
        let mut r = template.clone();
        r.nfversion = h.version as u8;
        r.engine_type = h.engine_type;
        r.engine_id = h.engine_id;
        r.src_addr = IpAddr::V4(Ipv4Addr::from(be32(0)));
        r.dst_addr = IpAddr::V4(Ipv4Addr::from(be32(4)));
        let next_hop = be32(8);
        let input = be16(12);
        let output = be16(14);
        r.in_packets = u64::from(be32(16));
        r.in_bytes = u64::from(be32(20));
        let first = u64::from(be32(24));
        let last = u64::from(be32(28));
        r.src_port = be16(32);
        r.dst_port = be16(34);
        let (src_as, dst_as) = if h.version == 1 {
            r.proto = b[38];
            r.src_tos = b[39];
            r.tcp_flags = b[40];
            (0, 0)
        } else {
            r.tcp_flags = b[37];
            r.proto = b[38];
            r.src_tos = b[39];
            (be16(40), be16(42))
        };
        r.ext.set(ext_id::GENERIC);
        r.ext.set(ext_id::IPV4);
        if input != 0 || output != 0 {
            r.ext.set(ext_id::FLOW_MISC);
            r.input = u32::from(input);
            r.output = u32::from(output);
        }
        if src_as != 0 || dst_as != 0 {
            r.ext.set(ext_id::AS_ROUTING);
            r.src_as = u32::from(src_as);
            r.dst_as = u32::from(dst_as);
        }
        if next_hop != 0 {
            r.ext.set(ext_id::IP_NEXT_HOP_V4);
            r.ip_next_hop = IpAddr::V4(Ipv4Addr::from(next_hop));
        }
        // Uptime wrapped between flow start and end: the start lies before the wrap.
        let mut start = if first > last {
            boot.wrapping_sub(1 << 32).wrapping_add(first)
        } else {
            boot.wrapping_add(first)
        };
        let mut end = boot.wrapping_add(last);
        // Uptime wrapped after the flow ended but before export (with nfcapd's 100 s margin for
        // a Cisco IOS bug).
        if last > uptime && last - uptime > 100_000 {
            start = start.wrapping_sub(1 << 32);
            end = end.wrapping_sub(1 << 32);
        }
        r.first_ms = start;
        r.last_ms = end;
        if rate > 1 {
            r.in_packets = r.in_packets.saturating_mul(u64::from(rate));
            r.in_bytes = r.in_bytes.saturating_mul(u64::from(rate));
            r.flags |= rf_format::record::FLAG_SAMPLED;
        }
        // Some Cisco IOS versions put ICMP type/code into the source port.
        if r.proto == 1 && r.src_port != 0 {
            r.dst_port = r.src_port.swap_bytes();
            r.src_port = 0;
        }
        out.push(r);
    }
    Ok(())
}
