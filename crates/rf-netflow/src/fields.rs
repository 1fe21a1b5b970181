//! Moving one template field's value into a [`FlowRecord`], and finishing a record once all its
//! fields are read (times relative to exporter uptime, ICMP type/code, ToS).
//!
//! Values are accepted at any length the template declares: counters of 1..=8 bytes, addresses
//! only at their exact length (anything else is ignored rather than guessed at).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rf_format::FlowRecord;
use rf_format::record::{NBAR_APP_LEN, set_c_str};

use crate::cursor::be_uint;
use crate::ie;
use crate::template::Proto;

/// Field values that need the whole record (or the packet header) before they mean anything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pending {
    /// flowStart/EndSysUpTime (ms since exporter boot).
    pub first_uptime: Option<u64>,
    pub last_uptime: Option<u64>,
    /// flowStart/EndSeconds.
    pub first_sec: Option<u64>,
    pub last_sec: Option<u64>,
    /// flowStart/EndMilliseconds.
    pub first_ms: Option<u64>,
    pub last_ms: Option<u64>,
    /// flowStart/EndDeltaMicroseconds (before export time).
    pub first_delta_us: Option<u64>,
    pub last_delta_us: Option<u64>,
    /// flowDurationMilliseconds.
    pub duration_ms: Option<u64>,
    /// systemInitTimeMilliseconds carried in the record itself.
    pub sys_init_ms: Option<u64>,
    /// icmpTypeCode (IE 32 / 139).
    pub icmp_type_code: Option<u16>,
    pub icmp_type: Option<u8>,
    pub icmp_code: Option<u8>,
    /// Sampler / selector id.
    pub selector: Option<u64>,
    /// Sampling values of options records.
    pub sampling_interval: Option<u64>,
    pub packet_interval: Option<u64>,
    pub packet_space: Option<u64>,
}

fn ip4(v: &[u8]) -> Option<IpAddr> {
    <[u8; 4]>::try_from(v)
        .ok()
        .map(|a| IpAddr::V4(Ipv4Addr::from(a)))
}

fn ip6(v: &[u8]) -> Option<IpAddr> {
    <[u8; 16]>::try_from(v)
        .ok()
        .map(|a| IpAddr::V6(Ipv6Addr::from(a)))
}

fn set_ip(dst: &mut IpAddr, v: Option<IpAddr>) {
    if let Some(a) = v {
        *dst = a;
    }
}

/// Applies one IANA element (`enterprise == 0`) to the record or the pending values.
pub fn apply(id: u16, v: &[u8], proto: Proto, r: &mut FlowRecord, p: &mut Pending) {
    let n = be_uint(v);
    // Narrowing casts below keep the low bits, as nfcapd's copy of the low bytes does.
    match id {
        ie::IN_BYTES | ie::OCTET_TOTAL_COUNT | ie::INITIATOR_OCTETS => r.in_bytes = n,
        ie::IN_PKTS | ie::PACKET_TOTAL_COUNT | ie::INITIATOR_PACKETS => r.in_packets = n,
        ie::FLOWS | ie::FLOW_DELTA_COUNT => r.flows = n,
        ie::PROTOCOL => r.proto = n as u8,
        ie::SRC_TOS => r.src_tos = n as u8,
        ie::TCP_FLAGS => r.tcp_flags = n as u8,
        ie::L4_SRC_PORT | ie::UDP_SRC_PORT | ie::TCP_SRC_PORT => r.src_port = n as u16,
        ie::L4_DST_PORT | ie::UDP_DST_PORT | ie::TCP_DST_PORT => r.dst_port = n as u16,
        ie::FORWARDING_STATUS => r.fwd_status = n as u8,
        ie::IPV4_SRC_ADDR => set_ip(&mut r.src_addr, ip4(v)),
        ie::IPV4_DST_ADDR => set_ip(&mut r.dst_addr, ip4(v)),
        ie::IPV6_SRC_ADDR => set_ip(&mut r.src_addr, ip6(v)),
        ie::IPV6_DST_ADDR => set_ip(&mut r.dst_addr, ip6(v)),
        ie::SRC_MASK | ie::IPV6_SRC_MASK => r.src_mask = n as u8,
        ie::DST_MASK | ie::IPV6_DST_MASK => r.dst_mask = n as u8,
        ie::INPUT_SNMP => r.input = n as u32,
        ie::OUTPUT_SNMP => r.output = n as u32,
        ie::DIRECTION => r.dir = n as u8,
        ie::DST_TOS => r.dst_tos = n as u8,
        ie::BIFLOW_DIRECTION => r.biflow_dir = n as u8,
        ie::FLOW_END_REASON if proto == Proto::Ipfix => r.end_reason = n as u8,
        ie::OUT_BYTES | ie::OCTET_DELTA_COUNT_REV | ie::RESPONDER_OCTETS => r.out_bytes = n,
        ie::OUT_PKTS | ie::PACKET_DELTA_COUNT_REV | ie::RESPONDER_PACKETS => r.out_packets = n,
        ie::SRC_VLAN => r.src_vlan = n as u32,
        ie::DST_VLAN => r.dst_vlan = n as u32,
        ie::SRC_AS => r.src_as = n as u32,
        ie::DST_AS => r.dst_as = n as u32,
        ie::BGP_IPV4_NEXT_HOP => set_ip(&mut r.bgp_next_hop, ip4(v)),
        ie::BGP_IPV6_NEXT_HOP => set_ip(&mut r.bgp_next_hop, ip6(v)),
        ie::IPV4_NEXT_HOP => set_ip(&mut r.ip_next_hop, ip4(v)),
        ie::IPV6_NEXT_HOP => set_ip(&mut r.ip_next_hop, ip6(v)),
        ie::MPLS_LABEL_1..=ie::MPLS_LABEL_10 => {
            if let Some(slot) = r.mpls.get_mut(usize::from(id - ie::MPLS_LABEL_1)) {
                *slot = n as u32;
            }
        }
        ie::IN_SRC_MAC => r.in_src_mac = n & 0xffff_ffff_ffff,
        ie::OUT_DST_MAC => r.out_dst_mac = n & 0xffff_ffff_ffff,
        ie::IN_DST_MAC => r.in_dst_mac = n & 0xffff_ffff_ffff,
        ie::OUT_SRC_MAC => r.out_src_mac = n & 0xffff_ffff_ffff,
        ie::BGP_NEXT_ADJACENT_AS => r.next_as = n as u32,
        ie::BGP_PREV_ADJACENT_AS => r.prev_as = n as u32,
        ie::FIREWALL_EVENT | ie::NF_F_FW_EVENT => r.fw_event = n as u8,
        ie::NF_F_FW_EXT_EVENT => r.fw_xevent = n as u16,
        ie::FLOW_ID => r.conn_id = n as u32,
        ie::OBSERVATION_TIME_MILLISECONDS => r.event_ms = n,
        ie::POST_NAT_SRC_IPV4 | ie::NF_F_XLATE_SRC_ADDR_IPV4 => set_ip(&mut r.xlate_src_ip, ip4(v)),
        ie::POST_NAT_DST_IPV4 | ie::NF_F_XLATE_DST_ADDR_IPV4 => set_ip(&mut r.xlate_dst_ip, ip4(v)),
        ie::POST_NAT_SRC_IPV6 => set_ip(&mut r.xlate_src_ip, ip6(v)),
        ie::POST_NAT_DST_IPV6 => set_ip(&mut r.xlate_dst_ip, ip6(v)),
        ie::POST_NAPT_SRC_PORT | ie::NF_F_XLATE_SRC_PORT => r.xlate_src_port = n as u16,
        ie::POST_NAPT_DST_PORT | ie::NF_F_XLATE_DST_PORT => r.xlate_dst_port = n as u16,
        ie::NF_F_INGRESS_ACL_ID => acl(&mut r.ingress_acl, v),
        ie::NF_F_EGRESS_ACL_ID => acl(&mut r.egress_acl, v),
        ie::NF_F_USERNAME => set_c_str(&mut r.username, v),
        ie::NAT_EVENT => r.nat_event = n as u8,
        ie::NAT_POOL_ID => r.nat_pool_id = n as u32,
        ie::PORT_RANGE_START => r.block_start = n as u16,
        ie::PORT_RANGE_END => r.block_end = n as u16,
        ie::PORT_RANGE_STEP_SIZE => r.block_step = n as u16,
        ie::PORT_RANGE_NUM_PORTS => r.block_size = n as u16,
        ie::APPLICATION_ID => {
            let k = v.len().min(NBAR_APP_LEN);
            r.nbar_app = [0; NBAR_APP_LEN];
            r.nbar_app[..k].copy_from_slice(&v[..k]);
            r.nbar_app_len = k as u8;
        }
        ie::INGRESS_VRF_ID => r.ingress_vrf = n as u32,
        ie::EGRESS_VRF_ID => r.egress_vrf = n as u32,
        ie::OBSERVATION_POINT_ID => r.obs_point_id = n,
        ie::OBSERVATION_DOMAIN_ID => r.obs_domain_id = n as u32,
        ie::FIRST_SWITCHED => p.first_uptime = Some(n),
        ie::LAST_SWITCHED => p.last_uptime = Some(n),
        ie::FLOW_START_SECONDS => p.first_sec = Some(n),
        ie::FLOW_END_SECONDS => p.last_sec = Some(n),
        ie::FLOW_START_MILLISECONDS => p.first_ms = Some(n),
        ie::FLOW_END_MILLISECONDS => p.last_ms = Some(n),
        ie::FLOW_START_DELTA_MICROSECONDS => p.first_delta_us = Some(n),
        ie::FLOW_END_DELTA_MICROSECONDS => p.last_delta_us = Some(n),
        ie::FLOW_DURATION_MILLISECONDS => p.duration_ms = Some(n),
        ie::SYSTEM_INIT_TIME_MILLISECONDS => p.sys_init_ms = Some(n),
        ie::ICMP_TYPE => p.icmp_type_code = Some(n as u16),
        // nfcapd 1.7.1 ignores icmpTypeCodeIPv6 in v9 (verified: softflowd's ICMPv6 flows
        // come out with port 0), and maps it for IPFIX.
        ie::ICMP_TYPE_CODE_IPV6 if proto == Proto::Ipfix => p.icmp_type_code = Some(n as u16),
        ie::ICMP_TYPE_IPV4 | ie::ICMP_TYPE_IPV6 => p.icmp_type = Some(n as u8),
        ie::ICMP_CODE_IPV4 | ie::ICMP_CODE_IPV6 => p.icmp_code = Some(n as u8),
        ie::FLOW_SAMPLER_ID | ie::SELECTOR_ID => p.selector = Some(n),
        ie::SAMPLING_INTERVAL | ie::FLOW_SAMPLER_RANDOM_INTERVAL => p.sampling_interval = Some(n),
        ie::SAMPLING_PACKET_INTERVAL => p.packet_interval = Some(n),
        ie::SAMPLING_PACKET_SPACE => p.packet_space = Some(n),
        _ => {}
    }
}

/// Three big-endian u32 ACL ids (shorter values fill what they can).
fn acl(dst: &mut [u32; 3], v: &[u8]) {
    for (slot, chunk) in dst.iter_mut().zip(v.chunks(4)) {
        *slot = be_uint(chunk) as u32;
    }
}

/// Packet-level time references for a record.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimeBase {
    /// Export time of the packet, ms since epoch.
    pub export_ms: u64,
    /// Exporter boot time, ms since epoch (v9: header; IPFIX: options IE 160).
    pub boot_ms: Option<u64>,
}

/// Resolves times and ICMP fields once all fields of a record are applied.
pub fn finish(r: &mut FlowRecord, p: &Pending, tb: &TimeBase) {
    let boot = p.sys_init_ms.or(tb.boot_ms);
    let first = p
        .first_ms
        .or_else(|| p.first_sec.map(|s| s.saturating_mul(1000)))
        .or_else(|| p.first_uptime.map(|u| boot.unwrap_or(0).wrapping_add(u)))
        .or_else(|| {
            p.first_delta_us
                .map(|d| tb.export_ms.saturating_sub(d / 1000))
        });
    let mut last = p
        .last_ms
        .or_else(|| p.last_sec.map(|s| s.saturating_mul(1000)))
        .or_else(|| p.last_uptime.map(|u| boot.unwrap_or(0).wrapping_add(u)))
        .or_else(|| {
            p.last_delta_us
                .map(|d| tb.export_ms.saturating_sub(d / 1000))
        });
    if let (Some(f), Some(d)) = (first, p.duration_ms) {
        last = Some(f.saturating_add(d));
    }
    r.first_ms = first.unwrap_or(0);
    r.last_ms = last.unwrap_or(r.first_ms);
    if r.is_icmp() {
        if let Some(tc) = p.icmp_type_code {
            r.dst_port = tc;
            r.src_port = 0;
        } else if p.icmp_type.is_some() || p.icmp_code.is_some() {
            r.dst_port =
                u16::from(p.icmp_type.unwrap_or(0)) << 8 | u16::from(p.icmp_code.unwrap_or(0));
            r.src_port = 0;
        }
    }
}
