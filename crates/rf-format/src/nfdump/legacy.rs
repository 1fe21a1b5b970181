//! Decoding of nfdump 1.6's CommonRecord (type 10, LAYOUT_VERSION_1, `nffile-format.md` §7)
//! into a [`FlowRecord`], the way nfdump 1.7 converts it: a fixed 32-byte part, the
//! addresses and counters sized by the record flags, then the optional extensions listed by
//! the record's extension map, packed in map order without headers.
//!
//! Converted records get nfversion 0 ("FLOW"), as nfdump 1.7 shows them, and the V3 element
//! bits that correspond to the 1.6 extensions present.

use std::net::IpAddr;

use super::bytes::{ipv4_at, ipv6_at, u8_at, u16_at, u32_at, u64_at};
use super::exporters::Tables;
use crate::error::{Error, Result};
use crate::record::{FLAG_EVENT, FLAG_SAMPLED, FlowRecord, USERNAME_LEN, ext_id as x, set_c_str};

const FLAG_IPV6_ADDR: u8 = 0x01;
const FLAG_PKG_64: u8 = 0x02;
const FLAG_BYTES_64: u8 = 0x04;
const FLAG_EVENT_V1: u8 = 0x40;
const FLAG_SAMPLED_V1: u8 = 0x80;

/// Sizes of the 1.6 extensions by id (0 = reserved/unknown: the record cannot be walked).
fn ext_size(id: u16) -> usize {
    match id {
        4 | 6 | 8 | 9 | 11 | 13 | 14 | 16 | 18 | 23 | 25 | 38 => 4,
        5 | 7 | 15 | 17 | 19 | 26 | 27 | 39 | 48 => 8,
        46 => 12,
        10 | 12 | 20 | 21 | 24 => 16,
        37 => 20,
        41 | 42 | 45 => 24,
        40 => 32,
        22 => 40,
        43 => 72,
        _ => 0,
    }
}

/// Decodes the CommonRecord `rec` (header included) at file offset `offset`, with its
/// extension map looked up in `maps`.
pub(crate) fn decode(rec: &[u8], offset: u64, maps: &Tables) -> Result<FlowRecord> {
    let short = || Error::corrupt(offset, "common record runs past its size");
    let flags = u8_at(rec, 4).ok_or_else(short)?;
    let map_id = u16_at(rec, 6).ok_or_else(short)?;
    let msec_first = u16_at(rec, 8).ok_or_else(short)?;
    let msec_last = u16_at(rec, 10).ok_or_else(short)?;
    let first = u32_at(rec, 12).ok_or_else(short)?;
    let last = u32_at(rec, 16).ok_or_else(short)?;
    let mut r = FlowRecord {
        nfversion: 0,
        first_ms: u64::from(first) * 1000 + u64::from(msec_first),
        last_ms: u64::from(last) * 1000 + u64::from(msec_last),
        fwd_status: u8_at(rec, 20).ok_or_else(short)?,
        tcp_flags: u8_at(rec, 21).ok_or_else(short)?,
        proto: u8_at(rec, 22).ok_or_else(short)?,
        src_tos: u8_at(rec, 23).ok_or_else(short)?,
        src_port: u16_at(rec, 24).ok_or_else(short)?,
        dst_port: u16_at(rec, 26).ok_or_else(short)?,
        exporter_sysid: u16_at(rec, 28).ok_or_else(short)?,
        biflow_dir: u8_at(rec, 30).ok_or_else(short)?,
        end_reason: u8_at(rec, 31).ok_or_else(short)?,
        ..FlowRecord::default()
    };
    if flags & FLAG_EVENT_V1 != 0 {
        r.flags |= FLAG_EVENT;
    }
    if flags & FLAG_SAMPLED_V1 != 0 {
        r.flags |= FLAG_SAMPLED;
    }
    r.ext.set(x::GENERIC);
    r.ext.set(x::FLOW_MISC);
    let mut o = 32;
    if flags & FLAG_IPV6_ADDR != 0 {
        r.src_addr = IpAddr::V6(ipv6_at(rec, o).ok_or_else(short)?);
        r.dst_addr = IpAddr::V6(ipv6_at(rec, o + 16).ok_or_else(short)?);
        r.ext.set(x::IPV6);
        o += 32;
    } else {
        r.src_addr = IpAddr::V4(ipv4_at(rec, o).ok_or_else(short)?);
        r.dst_addr = IpAddr::V4(ipv4_at(rec, o + 4).ok_or_else(short)?);
        r.ext.set(x::IPV4);
        o += 8;
    }
    (r.in_packets, o) = counter(rec, o, flags & FLAG_PKG_64 != 0).ok_or_else(short)?;
    (r.in_bytes, o) = counter(rec, o, flags & FLAG_BYTES_64 != 0).ok_or_else(short)?;
    let Some(ids) = maps.map(map_id) else {
        return Err(Error::corrupt(
            offset,
            format!("unknown extension map {map_id}"),
        ));
    };
    for &id in ids {
        let size = ext_size(id);
        if size == 0 {
            return Err(Error::corrupt(
                offset,
                format!("unknown 1.6 extension {id}"),
            ));
        }
        let d = rec.get(o..o + size).ok_or_else(short)?;
        extension(&mut r, id, d);
        o += size;
    }
    Ok(r)
}

fn counter(rec: &[u8], o: usize, wide: bool) -> Option<(u64, usize)> {
    if wide {
        Some((u64_at(rec, o)?, o + 8))
    } else {
        Some((u64::from(u32_at(rec, o)?), o + 4))
    }
}

/// Applies one 1.6 extension; `d` has exactly the extension's size.
fn extension(r: &mut FlowRecord, id: u16, d: &[u8]) {
    let b8 = |o| u8_at(d, o).unwrap_or(0);
    let b16 = |o| u16_at(d, o).unwrap_or(0);
    let b32 = |o| u32_at(d, o).unwrap_or(0);
    let b64 = |o| u64_at(d, o).unwrap_or(0);
    let v4 = |o| IpAddr::V4(ipv4_at(d, o).unwrap_or(std::net::Ipv4Addr::UNSPECIFIED));
    let v6 = |o| IpAddr::V6(ipv6_at(d, o).unwrap_or(std::net::Ipv6Addr::UNSPECIFIED));
    match id {
        4 => (r.input, r.output) = (u32::from(b16(0)), u32::from(b16(2))),
        5 => (r.input, r.output) = (b32(0), b32(4)),
        6 => {
            (r.src_as, r.dst_as) = (u32::from(b16(0)), u32::from(b16(2)));
            r.ext.set(x::AS_ROUTING);
        }
        7 => {
            (r.src_as, r.dst_as) = (b32(0), b32(4));
            r.ext.set(x::AS_ROUTING);
        }
        8 => {
            r.dst_tos = b8(0);
            r.dir = b8(1);
            r.src_mask = b8(2);
            r.dst_mask = b8(3);
        }
        9 => {
            r.ip_next_hop = v4(0);
            r.ext.set(x::IP_NEXT_HOP_V4);
        }
        10 => {
            r.ip_next_hop = v6(0);
            r.ext.set(x::IP_NEXT_HOP_V6);
        }
        11 => {
            r.bgp_next_hop = v4(0);
            r.ext.set(x::BGP_NEXT_HOP_V4);
        }
        12 => {
            r.bgp_next_hop = v6(0);
            r.ext.set(x::BGP_NEXT_HOP_V6);
        }
        13 => {
            (r.src_vlan, r.dst_vlan) = (u32::from(b16(0)), u32::from(b16(2)));
            r.ext.set(x::VLAN);
        }
        14 => r.out_packets = u64::from(b32(0)),
        15 => r.out_packets = b64(0),
        16 => r.out_bytes = u64::from(b32(0)),
        17 => r.out_bytes = b64(0),
        18 => r.flows = u64::from(b32(0)),
        19 => r.flows = b64(0),
        20 => {
            r.in_src_mac = b64(0) & 0xffff_ffff_ffff;
            r.out_dst_mac = b64(8) & 0xffff_ffff_ffff;
            r.ext.set(x::MAC);
        }
        21 => {
            r.in_dst_mac = b64(0) & 0xffff_ffff_ffff;
            r.out_src_mac = b64(8) & 0xffff_ffff_ffff;
            r.ext.set(x::MAC);
        }
        22 => {
            for (i, l) in r.mpls.iter_mut().enumerate() {
                *l = b32(4 * i);
            }
            r.ext.set(x::MPLS);
        }
        23 => {
            r.received_ip = v4(0);
            r.ext.set(x::IP_RECEIVED_V4);
        }
        24 => {
            r.received_ip = v6(0);
            r.ext.set(x::IP_RECEIVED_V6);
        }
        25 => (r.engine_type, r.engine_id) = (b8(2), b8(3)),
        26 => {
            (r.next_as, r.prev_as) = (b32(0), b32(4));
            r.ext.set(x::AS_ADJACENT);
        }
        27 => r.received_ms = b64(0),
        37 => {
            r.event_ms = b64(0);
            r.conn_id = b32(8);
            r.ext.set(x::NSEL_COMMON);
        }
        38 => {
            (r.xlate_src_port, r.xlate_dst_port) = (b16(0), b16(2));
            r.ext.set(x::NAT_XLATE_PORT);
        }
        39 => {
            (r.xlate_src_ip, r.xlate_dst_ip) = (v4(0), v4(4));
            r.ext.set(x::NAT_XLATE_V4);
        }
        40 => {
            (r.xlate_src_ip, r.xlate_dst_ip) = (v6(0), v6(16));
            r.ext.set(x::NAT_XLATE_V6);
        }
        41 => {
            for i in 0..3 {
                r.ingress_acl[i] = b32(4 * i);
                r.egress_acl[i] = b32(12 + 4 * i);
            }
            r.ext.set(x::NSEL_ACL);
        }
        42 | 43 => {
            let end = d.iter().position(|&c| c == 0).unwrap_or(d.len());
            set_c_str(&mut r.username, &d[..end.min(USERNAME_LEN)]);
            r.ext.set(x::NSEL_USER);
        }
        45 => {
            r.client_nw_delay_us = b64(0);
            r.server_nw_delay_us = b64(8);
            r.appl_latency_us = b64(16);
            r.ext.set(x::LATENCY);
        }
        48 => {
            r.block_start = b16(0);
            r.block_end = b16(2);
            r.block_step = b16(4);
            r.block_size = b16(6);
            r.ext.set(x::NAT_PORT_BLOCK);
        }
        _ => {}
    }
    if matches!(id, 14..=19) {
        r.ext.set(x::CNT_FLOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_record_with_map() {
        let mut t = Tables::default();
        // Map 0: extensions 8 (MULTIPLE) and 23 (ROUTER_IP_v4).
        t.add_record(2, &[2, 0, 12, 0, 0, 0, 8, 0, 8, 0, 23, 0, 0, 0], 0)
            .unwrap();
        let mut rec = vec![10, 0, 0, 0, 0x06, 9, 0, 0, 0x2c, 1, 0, 0];
        rec.extend_from_slice(&100u32.to_le_bytes());
        rec.extend_from_slice(&101u32.to_le_bytes());
        rec.extend_from_slice(&[0, 0x1b, 6, 0, 0x40, 0x9c, 80, 0, 1, 0, 0, 0]);
        rec.extend_from_slice(&[1, 0, 0, 10, 2, 0, 0, 10]);
        rec.extend_from_slice(&5u64.to_le_bytes());
        rec.extend_from_slice(&218u64.to_le_bytes());
        rec.extend_from_slice(&[16, 1, 24, 32]);
        rec.extend_from_slice(&[1, 0, 0, 127]);
        let r = decode(&rec, 0, &t).unwrap();
        assert_eq!((r.first_ms, r.last_ms), (100_300, 101_000));
        assert_eq!((r.proto, r.src_port, r.dst_port), (6, 40000, 80));
        assert_eq!((r.in_packets, r.in_bytes), (5, 218));
        assert_eq!((r.dst_tos, r.dir, r.src_mask, r.dst_mask), (16, 1, 24, 32));
        assert_eq!(r.received_ip, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(r.ext.ids().collect::<Vec<_>>(), vec![1, 2, 4, 12]);
        // Unknown map.
        rec[6] = 9;
        assert!(decode(&rec, 0, &t).is_err());
    }
}
