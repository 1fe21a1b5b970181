//! Decoding of nfdump 1.7's V3 flow record (type 11) and its extension elements
//! (`nffile-format.md` §4.3–4.5) into a [`FlowRecord`].
//!
//! Elements come in any order, each with a 4-byte type/length header. Unknown ids and EXnull
//! (0) are skipped by length as nfdump does; a known element shorter than its fixed layout is
//! corrupt, a longer one is accepted (future growth). Payload (29/30) and inmon frame (35)
//! bytes are not kept, but their presence bits are.

use std::net::IpAddr;

use super::bytes::{ipv4_at, ipv6_at, u8_at, u16_at, u32_at, u64_at};
use crate::error::{Error, Result};
use crate::record::{
    FlowRecord, NBAR_APP_LEN, NOKIA_STRING_LEN, PF_IFNAME_LEN, USERNAME_LEN, ext_id as x, set_c_str,
};

/// V3 header flag nfdump sets in memory only (filter pass mark); masked off on read.
const FLAG_PASSED: u8 = 0x80;
/// Size of the V3 record header.
const HEADER: usize = 12;

/// Decodes the V3 record `rec` (header included) found at file offset `offset`.
#[cfg(test)]
pub(crate) fn decode(rec: &[u8], offset: u64) -> Result<FlowRecord> {
    let mut r = FlowRecord::default();
    decode_into(rec, offset, &mut r)?;
    Ok(r)
}

/// Checks the structure of the V3 record `rec` without decoding it: [`decode_into`] fails
/// exactly when this does. Lets a reader hand out records one by one and still deliver none
/// of a damaged block.
pub(crate) fn check(rec: &[u8], offset: u64) -> Result<()> {
    if rec.len() < HEADER {
        return Err(Error::corrupt(offset, "V3 record header too short"));
    }
    let num = u16_at(rec, 4).unwrap_or(0);
    let mut o = HEADER;
    for _ in 0..num {
        let at = offset + o as u64;
        let (etype, elen) = element_header(rec, o, at)?;
        if (1..=MAX_ID).contains(&etype) {
            let need = min_len(etype).unwrap_or(0);
            if elen - 4 < need {
                return Err(short_element(at, etype, elen - 4, need));
            }
        }
        o += elen;
    }
    Ok(())
}

/// Type and length of the element at record byte `o`, checked to lie inside the record.
#[inline(always)]
fn element_header(rec: &[u8], o: usize, at: u64) -> Result<(u16, usize)> {
    if let (Some(etype), Some(elen)) = (u16_at(rec, o), u16_at(rec, o + 2)) {
        let elen = usize::from(elen);
        if elen >= 4 && rec.len() >= o + elen {
            return Ok((etype, elen));
        }
    }
    Err(bad_element(rec, o, at))
}

/// The error for a damaged element header (off the hot path).
#[cold]
#[inline(never)]
fn bad_element(rec: &[u8], o: usize, at: u64) -> Error {
    let (Some(etype), Some(elen)) = (u16_at(rec, o), u16_at(rec, o + 2)) else {
        return Error::corrupt(at, "V3 element header runs past its record");
    };
    if elen < 4 {
        return Error::corrupt(at, format!("V3 element {etype} length {elen}"));
    }
    Error::corrupt(
        at,
        format!("V3 element {etype} (length {elen}) runs past its record"),
    )
}

#[cold]
fn short_element(at: u64, etype: u16, have: usize, need: usize) -> Error {
    Error::corrupt(
        at,
        format!("V3 element {etype} has {have} data bytes, needs {need}"),
    )
}

/// Decodes the V3 record `rec` (header included) found at file offset `offset` into `r`,
/// which is reset first (so one record can be reused for a whole block).
pub(crate) fn decode_into(rec: &[u8], offset: u64, r: &mut FlowRecord) -> Result<()> {
    let short = || Error::corrupt(offset, "V3 record header too short");
    let num = u16_at(rec, 4).ok_or_else(short)?;
    if rec.len() < HEADER {
        return Err(short());
    }
    *r = FlowRecord {
        engine_type: u8_at(rec, 6).unwrap_or(0),
        engine_id: u8_at(rec, 7).unwrap_or(0),
        exporter_sysid: u16_at(rec, 8).unwrap_or(0),
        flags: u8_at(rec, 10).unwrap_or(0) & !FLAG_PASSED,
        nfversion: u8_at(rec, 11).unwrap_or(0),
        ..FlowRecord::default()
    };
    let mut o = HEADER;
    // Which address element came last, for records carrying both families.
    let mut v4_addr = None;
    let mut v6_addr = None;
    for _ in 0..num {
        let at = offset + o as u64;
        let (etype, elen) = element_header(rec, o, at)?;
        let data = rec.get(o + 4..o + elen).unwrap_or_default();
        element(r, etype, data, at, &mut v4_addr, &mut v6_addr)?;
        o += elen;
    }
    // Bytes after the last element (padding) are tolerated: nfdump steps records by their
    // size field, not by the element sum.
    // nfdump prefers the family the layer-2 element names when both are present.
    let pick_v6 = match (v4_addr, v6_addr) {
        (Some(_), Some(_)) => r.l2_ip_version == 6,
        (None, Some(_)) => true,
        _ => false,
    };
    if pick_v6 {
        if let Some((s, d)) = v6_addr {
            (r.src_addr, r.dst_addr) = (s, d);
        }
        r.ext.clear(x::IPV4);
    } else if let Some((s, d)) = v4_addr {
        (r.src_addr, r.dst_addr) = (s, d);
        r.ext.clear(x::IPV6);
    }
    Ok(())
}

/// Bytes each fixed-layout element needs (data part, without the 4-byte header).
fn min_len(etype: u16) -> Option<usize> {
    Some(match u8::try_from(etype).ok()? {
        x::GENERIC => 48,
        x::IPV4 => 8,
        x::IPV6 => 32,
        x::FLOW_MISC => 14,
        x::CNT_FLOW => 24,
        x::VLAN | x::AS_ROUTING | x::AS_ADJACENT | x::VRF => 8,
        x::BGP_NEXT_HOP_V4 | x::IP_NEXT_HOP_V4 | x::IP_RECEIVED_V4 => 4,
        x::BGP_NEXT_HOP_V6 | x::IP_NEXT_HOP_V6 | x::IP_RECEIVED_V6 => 16,
        x::MPLS => 40,
        x::MAC => 32,
        x::LATENCY => 24,
        x::SAMPLER_INFO => 12,
        x::NSEL_COMMON => 15,
        x::NAT_XLATE_V4 => 8,
        x::NAT_XLATE_V6 => 32,
        x::NAT_XLATE_PORT => 4,
        x::NSEL_ACL => 24,
        x::NSEL_USER => 1,
        x::NAT_COMMON => 13,
        x::NAT_PORT_BLOCK => 8,
        x::TUN_V4 => 12,
        x::TUN_V6 => 36,
        x::OBSERVATION => 12,
        x::INMON_META => 4,
        x::PF_INFO => 20,
        x::LAYER2 => 27,
        x::FLOW_ID => 8,
        x::NOKIA_NAT => 4,
        x::IP_INFO => 4,
        _ => 0,
    })
}

/// Highest element id this reader knows (nfdump 1.7.8's MAXEXTENSIONS − 1).
const MAX_ID: u16 = 42;

fn element(
    r: &mut FlowRecord,
    etype: u16,
    d: &[u8],
    at: u64,
    v4_addr: &mut Option<(IpAddr, IpAddr)>,
    v6_addr: &mut Option<(IpAddr, IpAddr)>,
) -> Result<()> {
    if etype == 0 || etype > MAX_ID {
        return Ok(());
    }
    let need = min_len(etype).unwrap_or(0);
    if d.len() < need {
        return Err(short_element(at, etype, d.len(), need));
    }
    // Lengths were checked above, so the getters below only fail on a bug; default to 0.
    let b8 = |o| u8_at(d, o).unwrap_or(0);
    let b16 = |o| u16_at(d, o).unwrap_or(0);
    let b32 = |o| u32_at(d, o).unwrap_or(0);
    let b64 = |o| u64_at(d, o).unwrap_or(0);
    let v4 = |o| IpAddr::V4(ipv4_at(d, o).unwrap_or(std::net::Ipv4Addr::UNSPECIFIED));
    let v6 = |o| IpAddr::V6(ipv6_at(d, o).unwrap_or(std::net::Ipv6Addr::UNSPECIFIED));
    let id = u8::try_from(etype).unwrap_or(0);
    match id {
        x::GENERIC => {
            r.first_ms = b64(0);
            r.last_ms = b64(8);
            r.received_ms = b64(16);
            r.in_packets = b64(24);
            r.in_bytes = b64(32);
            r.src_port = b16(40);
            r.dst_port = b16(42);
            r.proto = b8(44);
            r.tcp_flags = b8(45);
            r.fwd_status = b8(46);
            r.src_tos = b8(47);
        }
        x::IPV4 => *v4_addr = Some((v4(0), v4(4))),
        x::IPV6 => *v6_addr = Some((v6(0), v6(16))),
        x::FLOW_MISC => {
            r.input = b32(0);
            r.output = b32(4);
            r.src_mask = b8(8);
            r.dst_mask = b8(9);
            r.dir = b8(10);
            r.dst_tos = b8(11);
            r.biflow_dir = b8(12);
            r.end_reason = b8(13);
        }
        x::CNT_FLOW => {
            r.flows = b64(0);
            r.out_packets = b64(8);
            r.out_bytes = b64(16);
        }
        x::VLAN => {
            r.src_vlan = b32(0);
            r.dst_vlan = b32(4);
        }
        x::AS_ROUTING => {
            r.src_as = b32(0);
            r.dst_as = b32(4);
        }
        x::BGP_NEXT_HOP_V4 => r.bgp_next_hop = v4(0),
        x::BGP_NEXT_HOP_V6 => r.bgp_next_hop = v6(0),
        x::IP_NEXT_HOP_V4 => r.ip_next_hop = v4(0),
        x::IP_NEXT_HOP_V6 => r.ip_next_hop = v6(0),
        x::IP_RECEIVED_V4 => r.received_ip = v4(0),
        x::IP_RECEIVED_V6 => r.received_ip = v6(0),
        x::MPLS => {
            for (i, l) in r.mpls.iter_mut().enumerate() {
                *l = b32(4 * i);
            }
        }
        x::MAC => {
            r.in_src_mac = b64(0) & 0xffff_ffff_ffff;
            r.out_dst_mac = b64(8) & 0xffff_ffff_ffff;
            r.in_dst_mac = b64(16) & 0xffff_ffff_ffff;
            r.out_src_mac = b64(24) & 0xffff_ffff_ffff;
        }
        x::AS_ADJACENT => {
            r.next_as = b32(0);
            r.prev_as = b32(4);
        }
        x::LATENCY => {
            r.client_nw_delay_us = b64(0);
            r.server_nw_delay_us = b64(8);
            r.appl_latency_us = b64(16);
        }
        x::SAMPLER_INFO => {
            // 1.7.2+ (16 data bytes): selector id u64; 1.7.1 definition (12): id i32 first.
            r.sampler_id = if d.len() >= 16 {
                b64(0)
            } else {
                // Sign-extend like the i32 it is, so −1 keeps meaning "generic".
                i64::from(b32(0) as i32) as u64
            };
        }
        x::NSEL_COMMON => {
            r.event_ms = b64(0);
            r.conn_id = b32(8);
            r.fw_xevent = b16(12);
            r.fw_event = b8(14);
        }
        x::NAT_XLATE_V4 => {
            r.xlate_src_ip = v4(0);
            r.xlate_dst_ip = v4(4);
        }
        x::NAT_XLATE_V6 => {
            r.xlate_src_ip = v6(0);
            r.xlate_dst_ip = v6(16);
        }
        x::NAT_XLATE_PORT => {
            r.xlate_src_port = b16(0);
            r.xlate_dst_port = b16(2);
        }
        x::NSEL_ACL => {
            for i in 0..3 {
                r.ingress_acl[i] = b32(4 * i);
                r.egress_acl[i] = b32(12 + 4 * i);
            }
        }
        x::NSEL_USER => set_c_str(&mut r.username, cut(d, USERNAME_LEN)),
        x::NAT_COMMON => {
            r.event_ms = b64(0);
            r.nat_pool_id = b32(8);
            r.nat_event = b8(12);
        }
        x::NAT_PORT_BLOCK => {
            r.block_start = b16(0);
            r.block_end = b16(2);
            r.block_step = b16(4);
            r.block_size = b16(6);
        }
        x::NBAR_APP => {
            let n = d.len().min(NBAR_APP_LEN);
            r.nbar_app = [0; NBAR_APP_LEN];
            r.nbar_app[..n].copy_from_slice(&d[..n]);
            r.nbar_app_len = u8::try_from(n).unwrap_or(0);
        }
        x::TUN_V4 => {
            r.tun_src = v4(0);
            r.tun_dst = v4(4);
            r.tun_proto = b32(8);
        }
        x::TUN_V6 => {
            r.tun_src = v6(0);
            r.tun_dst = v6(16);
            r.tun_proto = b32(32);
        }
        x::OBSERVATION => {
            r.obs_point_id = b64(0);
            r.obs_domain_id = b32(8);
        }
        x::INMON_META => {
            r.inmon_frame_size = b16(0);
            r.inmon_link_type = b16(2);
        }
        x::VRF => {
            // Egress first on disk.
            r.egress_vrf = b32(0);
            r.ingress_vrf = b32(4);
        }
        x::PF_INFO => {
            r.pf_action = b8(0);
            r.pf_reason = b8(1);
            r.pf_dir = b8(2);
            r.pf_rewritten = b8(3);
            r.pf_rulenr = b32(4);
            r.pf_subrulenr = b32(8);
            r.pf_uid = b32(12);
            r.pf_pid = b32(16);
            set_c_str(
                &mut r.pf_ifname,
                cut(d.get(20..).unwrap_or(&[]), PF_IFNAME_LEN),
            );
        }
        x::LAYER2 => {
            r.l2_vlan_id = b16(0);
            r.l2_customer_vlan_id = b16(2);
            r.l2_post_vlan_id = b16(4);
            r.l2_post_customer_vlan_id = b16(6);
            r.l2_ingress = b32(8);
            r.l2_egress = b32(12);
            r.l2_vxlan = b64(16);
            r.l2_ether_type = b16(24);
            r.l2_ip_version = b8(26);
        }
        x::FLOW_ID => r.flow_id = b64(0),
        x::NOKIA_NAT => {
            r.nokia_in_service_id = b16(0);
            r.nokia_out_service_id = b16(2);
        }
        x::NOKIA_NAT_STRING => set_c_str(&mut r.nokia_nat_string, cut(d, NOKIA_STRING_LEN)),
        x::IP_INFO => {
            r.fragment_flags = b8(1);
            r.min_ttl = b8(2);
            r.max_ttl = b8(3);
        }
        // Label, payloads, inmon frame: presence only.
        _ => {}
    }
    r.ext.set(id);
    Ok(())
}

/// The bytes of a NUL-terminated string field, up to its NUL (and at most `max`).
fn cut(d: &[u8], max: usize) -> &[u8] {
    let end = d.iter().position(|&c| c == 0).unwrap_or(d.len()).min(max);
    &d[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(elements: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut r = vec![11, 0, 0, 0];
        r.extend_from_slice(&(elements.len() as u16).to_le_bytes());
        r.extend_from_slice(&[3, 4, 7, 0, 0x82, 10]);
        for (t, d) in elements {
            r.extend_from_slice(&t.to_le_bytes());
            r.extend_from_slice(&((d.len() + 4) as u16).to_le_bytes());
            r.extend_from_slice(d);
        }
        let n = r.len() as u16;
        r[2..4].copy_from_slice(&n.to_le_bytes());
        r
    }

    #[test]
    fn header_and_elements() {
        let mut generic = vec![0u8; 48];
        generic[0..8].copy_from_slice(&1000u64.to_le_bytes());
        generic[44] = 6;
        let ipv4 = [1, 0, 0, 10, 2, 0, 0, 10].to_vec();
        let vrf = [1, 0, 0, 0, 2, 0, 0, 0].to_vec();
        let r = decode(
            &record(&[
                (2, ipv4),
                (1, generic),
                (36, vrf),
                (0, vec![9; 3]),
                (99, vec![1]),
            ]),
            0,
        )
        .unwrap();
        assert_eq!((r.engine_type, r.engine_id, r.exporter_sysid), (3, 4, 7));
        assert_eq!((r.flags, r.nfversion), (0x02, 10));
        assert_eq!((r.first_ms, r.proto), (1000, 6));
        assert_eq!(r.src_addr, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!((r.egress_vrf, r.ingress_vrf), (1, 2));
        assert_eq!(r.ext.ids().collect::<Vec<_>>(), vec![1, 2, 36]);
    }

    #[test]
    fn bad_lengths_are_errors() {
        let mut rec = record(&[(1, vec![0; 48])]);
        // Element length 0.
        rec[14] = 0;
        rec[15] = 0;
        assert!(decode(&rec, 5).is_err());
        // Short fixed element.
        assert!(decode(&record(&[(1, vec![0; 20])]), 0).is_err());
        // Element running past the record.
        let mut rec = record(&[(2, vec![0; 8])]);
        rec.truncate(rec.len() - 2);
        assert!(decode(&rec, 0).is_err());
    }
}
