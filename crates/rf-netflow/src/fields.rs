//! Moving one template field's value into a [`FlowRecord`], and finishing a record once all its
//! fields are read (times relative to exporter uptime, ICMP type/code, ToS).
//!
//! Values are accepted at any length the template declares: counters of 1..=8 bytes, addresses
//! only at their exact length (anything else is ignored rather than guessed at).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rf_format::FlowRecord;
use rf_format::native::ColumnSet;
use rf_format::record::{ExtSet, NBAR_APP_LEN, set_c_str};

use crate::cursor::be_uint;
use crate::ie;
use crate::template::{Proto, Step};

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

/// What a template field does with its value: decided once per template from the element id
/// ([`op_of`]), so decoding a record dispatches on a small dense enum ([`exec`]) instead of
/// looking the element id up again for every field of every record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Nothing (element not stored, or an enterprise element).
    Ignore,
    InBytes,
    InPackets,
    Flows,
    Proto,
    SrcTos,
    TcpFlags,
    SrcPort,
    DstPort,
    FwdStatus,
    SrcAddr4,
    DstAddr4,
    SrcAddr6,
    DstAddr6,
    SrcMask,
    DstMask,
    Input,
    Output,
    Dir,
    DstTos,
    BiflowDir,
    EndReason,
    OutBytes,
    OutPackets,
    SrcVlan,
    DstVlan,
    SrcAs,
    DstAs,
    BgpNextHop4,
    BgpNextHop6,
    IpNextHop4,
    IpNextHop6,
    /// MPLS label stack entry 0..=9.
    Mpls(u8),
    InSrcMac,
    OutDstMac,
    InDstMac,
    OutSrcMac,
    NextAs,
    PrevAs,
    FwEvent,
    FwXevent,
    ConnId,
    EventMs,
    XlateSrc4,
    XlateDst4,
    XlateSrc6,
    XlateDst6,
    XlateSrcPort,
    XlateDstPort,
    IngressAcl,
    EgressAcl,
    Username,
    NatEvent,
    NatPoolId,
    BlockStart,
    BlockEnd,
    BlockStep,
    BlockSize,
    NbarApp,
    IngressVrf,
    EgressVrf,
    ObsPointId,
    ObsDomainId,
    FirstUptime,
    LastUptime,
    FirstSec,
    LastSec,
    FirstMs,
    LastMs,
    FirstDeltaUs,
    LastDeltaUs,
    DurationMs,
    SysInitMs,
    IcmpTypeCode,
    IcmpType,
    IcmpCode,
    Selector,
    SamplingInterval,
    PacketInterval,
    PacketSpace,
}

/// The [`Op`] of an IANA element (`enterprise == 0`).
pub fn op_of(id: u16, proto: Proto) -> Op {
    match id {
        ie::IN_BYTES | ie::OCTET_TOTAL_COUNT | ie::INITIATOR_OCTETS => Op::InBytes,
        ie::IN_PKTS | ie::PACKET_TOTAL_COUNT | ie::INITIATOR_PACKETS => Op::InPackets,
        ie::FLOWS | ie::FLOW_DELTA_COUNT => Op::Flows,
        ie::PROTOCOL => Op::Proto,
        ie::SRC_TOS => Op::SrcTos,
        ie::TCP_FLAGS => Op::TcpFlags,
        ie::L4_SRC_PORT | ie::UDP_SRC_PORT | ie::TCP_SRC_PORT => Op::SrcPort,
        ie::L4_DST_PORT | ie::UDP_DST_PORT | ie::TCP_DST_PORT => Op::DstPort,
        ie::FORWARDING_STATUS => Op::FwdStatus,
        ie::IPV4_SRC_ADDR => Op::SrcAddr4,
        ie::IPV4_DST_ADDR => Op::DstAddr4,
        ie::IPV6_SRC_ADDR => Op::SrcAddr6,
        ie::IPV6_DST_ADDR => Op::DstAddr6,
        ie::SRC_MASK | ie::IPV6_SRC_MASK => Op::SrcMask,
        ie::DST_MASK | ie::IPV6_DST_MASK => Op::DstMask,
        ie::INPUT_SNMP => Op::Input,
        ie::OUTPUT_SNMP => Op::Output,
        ie::DIRECTION => Op::Dir,
        ie::DST_TOS => Op::DstTos,
        ie::BIFLOW_DIRECTION => Op::BiflowDir,
        ie::FLOW_END_REASON if proto == Proto::Ipfix => Op::EndReason,
        ie::OUT_BYTES | ie::OCTET_DELTA_COUNT_REV | ie::RESPONDER_OCTETS => Op::OutBytes,
        ie::OUT_PKTS | ie::PACKET_DELTA_COUNT_REV | ie::RESPONDER_PACKETS => Op::OutPackets,
        ie::SRC_VLAN => Op::SrcVlan,
        ie::DST_VLAN => Op::DstVlan,
        ie::SRC_AS => Op::SrcAs,
        ie::DST_AS => Op::DstAs,
        ie::BGP_IPV4_NEXT_HOP => Op::BgpNextHop4,
        ie::BGP_IPV6_NEXT_HOP => Op::BgpNextHop6,
        ie::IPV4_NEXT_HOP => Op::IpNextHop4,
        ie::IPV6_NEXT_HOP => Op::IpNextHop6,
        ie::MPLS_LABEL_1..=ie::MPLS_LABEL_10 => Op::Mpls((id - ie::MPLS_LABEL_1) as u8),
        ie::IN_SRC_MAC => Op::InSrcMac,
        ie::OUT_DST_MAC => Op::OutDstMac,
        ie::IN_DST_MAC => Op::InDstMac,
        ie::OUT_SRC_MAC => Op::OutSrcMac,
        ie::BGP_NEXT_ADJACENT_AS => Op::NextAs,
        ie::BGP_PREV_ADJACENT_AS => Op::PrevAs,
        ie::FIREWALL_EVENT | ie::NF_F_FW_EVENT => Op::FwEvent,
        ie::NF_F_FW_EXT_EVENT => Op::FwXevent,
        ie::FLOW_ID => Op::ConnId,
        ie::OBSERVATION_TIME_MILLISECONDS => Op::EventMs,
        ie::POST_NAT_SRC_IPV4 | ie::NF_F_XLATE_SRC_ADDR_IPV4 => Op::XlateSrc4,
        ie::POST_NAT_DST_IPV4 | ie::NF_F_XLATE_DST_ADDR_IPV4 => Op::XlateDst4,
        ie::POST_NAT_SRC_IPV6 => Op::XlateSrc6,
        ie::POST_NAT_DST_IPV6 => Op::XlateDst6,
        ie::POST_NAPT_SRC_PORT | ie::NF_F_XLATE_SRC_PORT => Op::XlateSrcPort,
        ie::POST_NAPT_DST_PORT | ie::NF_F_XLATE_DST_PORT => Op::XlateDstPort,
        ie::NF_F_INGRESS_ACL_ID => Op::IngressAcl,
        ie::NF_F_EGRESS_ACL_ID => Op::EgressAcl,
        ie::NF_F_USERNAME => Op::Username,
        ie::NAT_EVENT => Op::NatEvent,
        ie::NAT_POOL_ID => Op::NatPoolId,
        ie::PORT_RANGE_START => Op::BlockStart,
        ie::PORT_RANGE_END => Op::BlockEnd,
        ie::PORT_RANGE_STEP_SIZE => Op::BlockStep,
        ie::PORT_RANGE_NUM_PORTS => Op::BlockSize,
        ie::APPLICATION_ID => Op::NbarApp,
        ie::INGRESS_VRF_ID => Op::IngressVrf,
        ie::EGRESS_VRF_ID => Op::EgressVrf,
        ie::OBSERVATION_POINT_ID => Op::ObsPointId,
        ie::OBSERVATION_DOMAIN_ID => Op::ObsDomainId,
        ie::FIRST_SWITCHED => Op::FirstUptime,
        ie::LAST_SWITCHED => Op::LastUptime,
        ie::FLOW_START_SECONDS => Op::FirstSec,
        ie::FLOW_END_SECONDS => Op::LastSec,
        ie::FLOW_START_MILLISECONDS => Op::FirstMs,
        ie::FLOW_END_MILLISECONDS => Op::LastMs,
        ie::FLOW_START_DELTA_MICROSECONDS => Op::FirstDeltaUs,
        ie::FLOW_END_DELTA_MICROSECONDS => Op::LastDeltaUs,
        ie::FLOW_DURATION_MILLISECONDS => Op::DurationMs,
        ie::SYSTEM_INIT_TIME_MILLISECONDS => Op::SysInitMs,
        ie::ICMP_TYPE => Op::IcmpTypeCode,
        // nfcapd 1.7.1 ignores icmpTypeCodeIPv6 in v9 (verified: softflowd's ICMPv6 flows
        // come out with port 0), and maps it for IPFIX.
        ie::ICMP_TYPE_CODE_IPV6 if proto == Proto::Ipfix => Op::IcmpTypeCode,
        ie::ICMP_TYPE_IPV4 | ie::ICMP_TYPE_IPV6 => Op::IcmpType,
        ie::ICMP_CODE_IPV4 | ie::ICMP_CODE_IPV6 => Op::IcmpCode,
        ie::FLOW_SAMPLER_ID | ie::SELECTOR_ID => Op::Selector,
        ie::SAMPLING_INTERVAL | ie::FLOW_SAMPLER_RANDOM_INTERVAL => Op::SamplingInterval,
        ie::SAMPLING_PACKET_INTERVAL => Op::PacketInterval,
        ie::SAMPLING_PACKET_SPACE => Op::PacketSpace,
        _ => Op::Ignore,
    }
}

/// Big-endian unsigned value of a field: the usual widths directly, others byte by byte.
#[inline(always)]
fn uint(v: &[u8]) -> u64 {
    match *v {
        [a] => u64::from(a),
        [a, b] => u64::from(u16::from_be_bytes([a, b])),
        [a, b, c, d] => u64::from(u32::from_be_bytes([a, b, c, d])),
        [a, b, c, d, e, f, g, h] => u64::from_be_bytes([a, b, c, d, e, f, g, h]),
        _ => be_uint(v),
    }
}

/// Applies one field value to the record or the pending values (inlined into the record
/// loop: it runs for every field of every record).
#[inline(always)]
pub fn exec(op: Op, v: &[u8], r: &mut FlowRecord, p: &mut Pending) {
    // Narrowing casts below keep the low bits, as nfcapd's copy of the low bytes does.
    match op {
        Op::Ignore => {}
        Op::InBytes => r.in_bytes = uint(v),
        Op::InPackets => r.in_packets = uint(v),
        Op::Flows => r.flows = uint(v),
        Op::Proto => r.proto = uint(v) as u8,
        Op::SrcTos => r.src_tos = uint(v) as u8,
        Op::TcpFlags => r.tcp_flags = uint(v) as u8,
        Op::SrcPort => r.src_port = uint(v) as u16,
        Op::DstPort => r.dst_port = uint(v) as u16,
        Op::FwdStatus => r.fwd_status = uint(v) as u8,
        Op::SrcAddr4 => set_ip(&mut r.src_addr, ip4(v)),
        Op::DstAddr4 => set_ip(&mut r.dst_addr, ip4(v)),
        Op::SrcAddr6 => set_ip(&mut r.src_addr, ip6(v)),
        Op::DstAddr6 => set_ip(&mut r.dst_addr, ip6(v)),
        Op::SrcMask => r.src_mask = uint(v) as u8,
        Op::DstMask => r.dst_mask = uint(v) as u8,
        Op::Input => r.input = uint(v) as u32,
        Op::Output => r.output = uint(v) as u32,
        Op::Dir => r.dir = uint(v) as u8,
        Op::DstTos => r.dst_tos = uint(v) as u8,
        Op::BiflowDir => r.biflow_dir = uint(v) as u8,
        Op::EndReason => r.end_reason = uint(v) as u8,
        Op::OutBytes => r.out_bytes = uint(v),
        Op::OutPackets => r.out_packets = uint(v),
        Op::SrcVlan => r.src_vlan = uint(v) as u32,
        Op::DstVlan => r.dst_vlan = uint(v) as u32,
        Op::SrcAs => r.src_as = uint(v) as u32,
        Op::DstAs => r.dst_as = uint(v) as u32,
        Op::BgpNextHop4 => set_ip(&mut r.bgp_next_hop, ip4(v)),
        Op::BgpNextHop6 => set_ip(&mut r.bgp_next_hop, ip6(v)),
        Op::IpNextHop4 => set_ip(&mut r.ip_next_hop, ip4(v)),
        Op::IpNextHop6 => set_ip(&mut r.ip_next_hop, ip6(v)),
        Op::Mpls(i) => {
            if let Some(slot) = r.mpls.get_mut(usize::from(i)) {
                *slot = uint(v) as u32;
            }
        }
        Op::InSrcMac => r.in_src_mac = uint(v) & 0xffff_ffff_ffff,
        Op::OutDstMac => r.out_dst_mac = uint(v) & 0xffff_ffff_ffff,
        Op::InDstMac => r.in_dst_mac = uint(v) & 0xffff_ffff_ffff,
        Op::OutSrcMac => r.out_src_mac = uint(v) & 0xffff_ffff_ffff,
        Op::NextAs => r.next_as = uint(v) as u32,
        Op::PrevAs => r.prev_as = uint(v) as u32,
        Op::FwEvent => r.fw_event = uint(v) as u8,
        Op::FwXevent => r.fw_xevent = uint(v) as u16,
        Op::ConnId => r.conn_id = uint(v) as u32,
        Op::EventMs => r.event_ms = uint(v),
        Op::XlateSrc4 => set_ip(&mut r.xlate_src_ip, ip4(v)),
        Op::XlateDst4 => set_ip(&mut r.xlate_dst_ip, ip4(v)),
        Op::XlateSrc6 => set_ip(&mut r.xlate_src_ip, ip6(v)),
        Op::XlateDst6 => set_ip(&mut r.xlate_dst_ip, ip6(v)),
        Op::XlateSrcPort => r.xlate_src_port = uint(v) as u16,
        Op::XlateDstPort => r.xlate_dst_port = uint(v) as u16,
        Op::IngressAcl => acl(&mut r.ingress_acl, v),
        Op::EgressAcl => acl(&mut r.egress_acl, v),
        Op::Username => set_c_str(&mut r.username, v),
        Op::NatEvent => r.nat_event = uint(v) as u8,
        Op::NatPoolId => r.nat_pool_id = uint(v) as u32,
        Op::BlockStart => r.block_start = uint(v) as u16,
        Op::BlockEnd => r.block_end = uint(v) as u16,
        Op::BlockStep => r.block_step = uint(v) as u16,
        Op::BlockSize => r.block_size = uint(v) as u16,
        Op::NbarApp => {
            let k = v.len().min(NBAR_APP_LEN);
            r.nbar_app = [0; NBAR_APP_LEN];
            r.nbar_app[..k].copy_from_slice(&v[..k]);
            r.nbar_app_len = k as u8;
        }
        Op::IngressVrf => r.ingress_vrf = uint(v) as u32,
        Op::EgressVrf => r.egress_vrf = uint(v) as u32,
        Op::ObsPointId => r.obs_point_id = uint(v),
        Op::ObsDomainId => r.obs_domain_id = uint(v) as u32,
        Op::FirstUptime => p.first_uptime = Some(uint(v)),
        Op::LastUptime => p.last_uptime = Some(uint(v)),
        Op::FirstSec => p.first_sec = Some(uint(v)),
        Op::LastSec => p.last_sec = Some(uint(v)),
        Op::FirstMs => p.first_ms = Some(uint(v)),
        Op::LastMs => p.last_ms = Some(uint(v)),
        Op::FirstDeltaUs => p.first_delta_us = Some(uint(v)),
        Op::LastDeltaUs => p.last_delta_us = Some(uint(v)),
        Op::DurationMs => p.duration_ms = Some(uint(v)),
        Op::SysInitMs => p.sys_init_ms = Some(uint(v)),
        Op::IcmpTypeCode => p.icmp_type_code = Some(uint(v) as u16),
        Op::IcmpType => p.icmp_type = Some(uint(v) as u8),
        Op::IcmpCode => p.icmp_code = Some(uint(v) as u8),
        Op::Selector => p.selector = Some(uint(v)),
        Op::SamplingInterval => p.sampling_interval = Some(uint(v)),
        Op::PacketInterval => p.packet_interval = Some(uint(v)),
        Op::PacketSpace => p.packet_space = Some(uint(v)),
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

/// A record with a value in every field the decoder sets on each record whatever its
/// template: `Decoder::base_record` (receive address and time, version, exporter), the
/// exporter and engine fields and `obs_domain_id` of `decode_records`, the times and ICMP
/// ports of [`finish`], the flow count and the sampling fields. Keep it in step with those.
fn per_record_probe() -> FlowRecord {
    let a = IpAddr::V4(Ipv4Addr::BROADCAST);
    FlowRecord {
        ext: ExtSet(u64::MAX),
        flags: u8::MAX,
        nfversion: u8::MAX,
        received_ms: 1,
        received_ip: a,
        exporter_ip: a,
        exporter_sysid: 1,
        exporter_id: 1,
        exporter_version: 1,
        engine_type: 1,
        engine_id: 1,
        obs_domain_id: 1,
        first_ms: 1,
        last_ms: 1,
        src_port: 1,
        dst_port: 1,
        flows: 1,
        sampling_interval: 2,
        ..FlowRecord::default()
    }
}

/// The columns a record decoded with these template steps may hold values in: those
/// [`exec`] writes for the steps and those the decoder sets on every record
/// ([`per_record_probe`]). Each step is applied to an empty record with an all-ones value
/// of its length (variable-length steps at several lengths), which no field turns into its
/// default. A collector's writer stores exactly these columns' values without looking at
/// every field of every record.
pub(crate) fn columns_of(steps: &[Step]) -> ColumnSet {
    let mut cols = ColumnSet::of_record(&per_record_probe());
    for s in steps {
        let lens: &[usize] = if s.len == ie::VARLEN {
            &[1, 2, 4, 8, 16, 64, 255]
        } else {
            &[usize::from(s.len)]
        };
        for &n in lens {
            let mut r = FlowRecord::default();
            let mut p = Pending::default();
            exec(s.op, &vec![0xFF; n], &mut r, &mut p);
            cols = cols.union(ColumnSet::of_record(&r));
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every element id of both protocols, at every length and with many values: what
    /// [`exec`] and [`finish`] leave non-default is always inside [`columns_of`] of the
    /// step (a column missing there would be silently dropped by the collector's writer).
    #[test]
    fn columns_of_covers_every_value_of_every_op() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let tb = TimeBase {
            export_ms: 1_700_000_000_000,
            boot_ms: Some(1_600_000_000_000),
        };
        let mut checked = 0;
        for proto in [Proto::V9, Proto::Ipfix] {
            for id in 0..=u16::MAX {
                let op = op_of(id, proto);
                if op == Op::Ignore {
                    continue;
                }
                for len in [1u16, 2, 3, 4, 6, 8, 16, 32, ie::VARLEN] {
                    let alone = columns_of(&[Step { len, op }]);
                    // With a protocol field saying ICMP, for finish()'s type/code rule.
                    let icmp = Step {
                        len: 1,
                        op: Op::Proto,
                    };
                    let with_icmp = columns_of(&[icmp, Step { len, op }]);
                    for k in 0..16 {
                        let n = if len == ie::VARLEN {
                            (next() % 300) as usize
                        } else {
                            usize::from(len)
                        };
                        // Random bytes, and some values of a single low bit.
                        let v: Vec<u8> = if k < 12 {
                            (0..n).map(|_| next() as u8).collect()
                        } else {
                            (0..n).map(|i| u8::from(i + 1 == n)).collect()
                        };
                        let mut r = FlowRecord::default();
                        let mut p = Pending::default();
                        let cols = if k % 2 == 0 {
                            exec(Op::Proto, &[1], &mut r, &mut p);
                            with_icmp
                        } else {
                            alone
                        };
                        exec(op, &v, &mut r, &mut p);
                        finish(&mut r, &p, &tb);
                        assert!(
                            ColumnSet::of_record(&r).is_subset(&cols),
                            "{op:?} ({id}, {len} bytes) wrote outside {cols:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 10_000, "only {checked} cases");
    }

    #[test]
    fn values_of_any_width_keep_their_low_bytes() {
        for v in [
            &[][..],
            &[7],
            &[1, 2],
            &[1, 2, 3],
            &[1, 2, 3, 4],
            &[1, 2, 3, 4, 5, 6],
            &[1, 2, 3, 4, 5, 6, 7, 8],
            &[9, 1, 2, 3, 4, 5, 6, 7, 8],
        ] {
            assert_eq!(uint(v), be_uint(v), "{v:?}");
        }
    }

    #[test]
    fn ops_follow_the_protocol() {
        assert_eq!(op_of(ie::FLOW_END_REASON, Proto::V9), Op::Ignore);
        assert_eq!(op_of(ie::FLOW_END_REASON, Proto::Ipfix), Op::EndReason);
        assert_eq!(op_of(ie::ICMP_TYPE_CODE_IPV6, Proto::V9), Op::Ignore);
        assert_eq!(op_of(ie::MPLS_LABEL_10, Proto::V9), Op::Mpls(9));
        let mut r = FlowRecord::default();
        let mut p = Pending::default();
        exec(Op::Mpls(9), &[0, 0, 0x41], &mut r, &mut p);
        exec(Op::SrcAddr4, &[10, 0, 0, 1, 5], &mut r, &mut p);
        exec(Op::InBytes, &[1, 0], &mut r, &mut p);
        assert_eq!(r.mpls[9], 0x41);
        assert_eq!(
            r.src_addr,
            FlowRecord::default().src_addr,
            "wrong length: ignored"
        );
        assert_eq!(r.in_bytes, 256);
    }
}
