//! The fields a v9/IPFIX template can carry and how a record's shape picks them.
//!
//! A template is chosen per record *shape*: the address family, whether it is ICMP, and which
//! optional nfdump extension groups the record holds ([`FlowRecord::ext`]). Sending only the
//! groups a record has keeps packets small and makes the collector store the same set of
//! extensions the source file had, so `nfdump -o raw` of the received file shows the same
//! elements. Each [`Field`] knows its element id (v9 and IPFIX share the numbers used here, except
//! the IPv6 ICMP type), its wire length and how to write its value.

use std::net::IpAddr;

use rf_format::{FlowRecord, ext_id};

use crate::ie;

/// One template field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    First,
    Last,
    InBytes,
    InPkts,
    Proto,
    SrcTos,
    TcpFlags,
    SrcPort,
    DstPort,
    IcmpType,
    IcmpType6,
    SrcAddr4,
    DstAddr4,
    SrcAddr6,
    DstAddr6,
    FwdStatus,
    EngineType,
    EngineId,
    Input,
    Output,
    SrcMask,
    DstMask,
    SrcMask6,
    DstMask6,
    Direction,
    DstTos,
    BiflowDir,
    EndReason,
    Flows,
    OutPkts,
    OutBytes,
    SrcVlan,
    DstVlan,
    SrcAs,
    DstAs,
    NextAs,
    PrevAs,
    NextHop4,
    NextHop6,
    BgpNextHop4,
    BgpNextHop6,
    /// MPLS label stack entry 0..=9.
    Mpls(u8),
    InSrcMac,
    OutDstMac,
    InDstMac,
    OutSrcMac,
    MinTtl,
    MaxTtl,
    FragmentFlags,
    FlowId,
    ObsPointId,
    ObsDomainId,
    IngressVrf,
    EgressVrf,
    EventTime,
    ConnId,
    FwEvent,
    FwXEvent,
    XlateSrc4,
    XlateDst4,
    XlateSrc6,
    XlateDst6,
    XlateSrcPort,
    XlateDstPort,
    NatEvent,
    NatPoolId,
}

impl Field {
    /// The element id announced in the template.
    pub(crate) fn ie(self, ipfix: bool) -> u16 {
        match self {
            Field::First => ie::FLOW_START_MILLISECONDS,
            Field::Last => ie::FLOW_END_MILLISECONDS,
            Field::InBytes => ie::IN_BYTES,
            Field::InPkts => ie::IN_PKTS,
            Field::Proto => ie::PROTOCOL,
            Field::SrcTos => ie::SRC_TOS,
            Field::TcpFlags => ie::TCP_FLAGS,
            Field::SrcPort => ie::L4_SRC_PORT,
            Field::DstPort => ie::L4_DST_PORT,
            Field::IcmpType => ie::ICMP_TYPE,
            // v9 has one ICMP type field for both families; IPFIX has one per family.
            Field::IcmpType6 if ipfix => ie::ICMP_TYPE_CODE_IPV6,
            Field::IcmpType6 => ie::ICMP_TYPE,
            Field::SrcAddr4 => ie::IPV4_SRC_ADDR,
            Field::DstAddr4 => ie::IPV4_DST_ADDR,
            Field::SrcAddr6 => ie::IPV6_SRC_ADDR,
            Field::DstAddr6 => ie::IPV6_DST_ADDR,
            Field::FwdStatus => ie::FORWARDING_STATUS,
            Field::EngineType => ie::ENGINE_TYPE,
            Field::EngineId => ie::ENGINE_ID,
            Field::Input => ie::INPUT_SNMP,
            Field::Output => ie::OUTPUT_SNMP,
            Field::SrcMask => ie::SRC_MASK,
            Field::DstMask => ie::DST_MASK,
            Field::SrcMask6 => ie::IPV6_SRC_MASK,
            Field::DstMask6 => ie::IPV6_DST_MASK,
            Field::Direction => ie::DIRECTION,
            Field::DstTos => ie::DST_TOS,
            Field::BiflowDir => ie::BIFLOW_DIRECTION,
            Field::EndReason => ie::FLOW_END_REASON,
            Field::Flows => ie::FLOWS,
            Field::OutPkts => ie::OUT_PKTS,
            Field::OutBytes => ie::OUT_BYTES,
            Field::SrcVlan => ie::SRC_VLAN,
            Field::DstVlan => ie::DST_VLAN,
            Field::SrcAs => ie::SRC_AS,
            Field::DstAs => ie::DST_AS,
            Field::NextAs => ie::BGP_NEXT_ADJACENT_AS,
            Field::PrevAs => ie::BGP_PREV_ADJACENT_AS,
            Field::NextHop4 => ie::IPV4_NEXT_HOP,
            Field::NextHop6 => ie::IPV6_NEXT_HOP,
            Field::BgpNextHop4 => ie::BGP_IPV4_NEXT_HOP,
            Field::BgpNextHop6 => ie::BGP_IPV6_NEXT_HOP,
            Field::Mpls(i) => ie::MPLS_LABEL_1 + u16::from(i.min(9)),
            Field::InSrcMac => ie::IN_SRC_MAC,
            Field::OutDstMac => ie::OUT_DST_MAC,
            Field::InDstMac => ie::IN_DST_MAC,
            Field::OutSrcMac => ie::OUT_SRC_MAC,
            Field::MinTtl => ie::MIN_TTL,
            Field::MaxTtl => ie::MAX_TTL,
            Field::FragmentFlags => ie::FRAGMENT_FLAGS,
            Field::FlowId => ie::FLOW_ID,
            Field::ObsPointId => ie::OBSERVATION_POINT_ID,
            Field::ObsDomainId => ie::OBSERVATION_DOMAIN_ID,
            Field::IngressVrf => ie::INGRESS_VRF_ID,
            Field::EgressVrf => ie::EGRESS_VRF_ID,
            Field::EventTime => ie::OBSERVATION_TIME_MILLISECONDS,
            Field::ConnId => ie::FLOW_ID,
            // Cisco's NSEL ids are v9 field types; in IPFIX ids >= 32768 are enterprise ids,
            // so IPFIX uses the IANA firewallEvent (the extended event has no IANA id).
            Field::FwEvent if ipfix => ie::FIREWALL_EVENT,
            Field::FwEvent => ie::NF_F_FW_EVENT,
            Field::FwXEvent => ie::NF_F_FW_EXT_EVENT,
            Field::XlateSrc4 => ie::POST_NAT_SRC_IPV4,
            Field::XlateDst4 => ie::POST_NAT_DST_IPV4,
            Field::XlateSrc6 => ie::POST_NAT_SRC_IPV6,
            Field::XlateDst6 => ie::POST_NAT_DST_IPV6,
            Field::XlateSrcPort => ie::POST_NAPT_SRC_PORT,
            Field::XlateDstPort => ie::POST_NAPT_DST_PORT,
            Field::NatEvent => ie::NAT_EVENT,
            Field::NatPoolId => ie::NAT_POOL_ID,
        }
    }

    /// Wire length in bytes.
    pub(crate) fn len(self) -> usize {
        match self {
            Field::First | Field::Last => 8,
            Field::InBytes | Field::InPkts | Field::Flows | Field::OutPkts | Field::OutBytes => 8,
            Field::FlowId | Field::ObsPointId | Field::EventTime => 8,
            Field::SrcAddr6 | Field::DstAddr6 | Field::NextHop6 | Field::BgpNextHop6 => 16,
            Field::SrcAddr4
            | Field::DstAddr4
            | Field::NextHop4
            | Field::BgpNextHop4
            | Field::Input
            | Field::Output
            | Field::SrcAs
            | Field::DstAs
            | Field::NextAs
            | Field::PrevAs
            | Field::ObsDomainId
            | Field::IngressVrf
            | Field::EgressVrf
            | Field::ConnId
            | Field::XlateSrc4
            | Field::XlateDst4
            | Field::NatPoolId => 4,
            Field::XlateSrc6 | Field::XlateDst6 => 16,
            Field::FwXEvent | Field::XlateSrcPort | Field::XlateDstPort => 2,
            Field::InSrcMac | Field::OutDstMac | Field::InDstMac | Field::OutSrcMac => 6,
            Field::Mpls(_) => 3,
            Field::SrcPort
            | Field::DstPort
            | Field::IcmpType
            | Field::IcmpType6
            | Field::SrcVlan
            | Field::DstVlan => 2,
            Field::Proto
            | Field::SrcTos
            | Field::TcpFlags
            | Field::FwdStatus
            | Field::EngineType
            | Field::EngineId
            | Field::SrcMask
            | Field::DstMask
            | Field::SrcMask6
            | Field::DstMask6
            | Field::Direction
            | Field::DstTos
            | Field::BiflowDir
            | Field::EndReason
            | Field::MinTtl
            | Field::MaxTtl
            | Field::FragmentFlags
            | Field::FwEvent
            | Field::NatEvent => 1,
        }
    }

    /// Appends the field's value for `r` in network byte order; exactly [`Field::len`] bytes.
    pub(crate) fn write(self, r: &FlowRecord, out: &mut Vec<u8>) {
        match self {
            Field::First => out.extend_from_slice(&r.first_ms.to_be_bytes()),
            Field::Last => out.extend_from_slice(&r.last_ms.to_be_bytes()),
            Field::InBytes => out.extend_from_slice(&r.in_bytes.to_be_bytes()),
            Field::InPkts => out.extend_from_slice(&r.in_packets.to_be_bytes()),
            Field::Proto => out.push(r.proto),
            Field::SrcTos => out.push(r.src_tos),
            Field::TcpFlags => out.push(r.tcp_flags),
            Field::SrcPort => out.extend_from_slice(&r.src_port.to_be_bytes()),
            Field::DstPort | Field::IcmpType | Field::IcmpType6 => {
                out.extend_from_slice(&r.dst_port.to_be_bytes())
            }
            Field::SrcAddr4 => put_v4(out, r.src_addr),
            Field::DstAddr4 => put_v4(out, r.dst_addr),
            Field::SrcAddr6 => put_v6(out, r.src_addr),
            Field::DstAddr6 => put_v6(out, r.dst_addr),
            Field::FwdStatus => out.push(r.fwd_status),
            Field::EngineType => out.push(r.engine_type),
            Field::EngineId => out.push(r.engine_id),
            Field::Input => out.extend_from_slice(&r.input.to_be_bytes()),
            Field::Output => out.extend_from_slice(&r.output.to_be_bytes()),
            Field::SrcMask | Field::SrcMask6 => out.push(r.src_mask),
            Field::DstMask | Field::DstMask6 => out.push(r.dst_mask),
            Field::Direction => out.push(r.dir),
            Field::DstTos => out.push(r.dst_tos),
            Field::BiflowDir => out.push(r.biflow_dir),
            Field::EndReason => out.push(r.end_reason),
            Field::Flows => out.extend_from_slice(&r.flows.to_be_bytes()),
            Field::OutPkts => out.extend_from_slice(&r.out_packets.to_be_bytes()),
            Field::OutBytes => out.extend_from_slice(&r.out_bytes.to_be_bytes()),
            // VLAN ids are 12 bits on the wire; nfdump keeps them in 32 bits.
            Field::SrcVlan => out.extend_from_slice(&sat16(r.src_vlan).to_be_bytes()),
            Field::DstVlan => out.extend_from_slice(&sat16(r.dst_vlan).to_be_bytes()),
            Field::SrcAs => out.extend_from_slice(&r.src_as.to_be_bytes()),
            Field::DstAs => out.extend_from_slice(&r.dst_as.to_be_bytes()),
            Field::NextAs => out.extend_from_slice(&r.next_as.to_be_bytes()),
            Field::PrevAs => out.extend_from_slice(&r.prev_as.to_be_bytes()),
            Field::NextHop4 => put_v4(out, r.ip_next_hop),
            Field::NextHop6 => put_v6(out, r.ip_next_hop),
            Field::BgpNextHop4 => put_v4(out, r.bgp_next_hop),
            Field::BgpNextHop6 => put_v6(out, r.bgp_next_hop),
            Field::Mpls(i) => {
                let v = r.mpls.get(usize::from(i)).copied().unwrap_or(0);
                out.extend_from_slice(&v.to_be_bytes()[1..]);
            }
            Field::InSrcMac => put_mac(out, r.in_src_mac),
            Field::OutDstMac => put_mac(out, r.out_dst_mac),
            Field::InDstMac => put_mac(out, r.in_dst_mac),
            Field::OutSrcMac => put_mac(out, r.out_src_mac),
            Field::MinTtl => out.push(r.min_ttl),
            Field::MaxTtl => out.push(r.max_ttl),
            Field::FragmentFlags => out.push(r.fragment_flags),
            Field::FlowId => out.extend_from_slice(&r.flow_id.to_be_bytes()),
            Field::ObsPointId => out.extend_from_slice(&r.obs_point_id.to_be_bytes()),
            Field::ObsDomainId => out.extend_from_slice(&r.obs_domain_id.to_be_bytes()),
            Field::IngressVrf => out.extend_from_slice(&r.ingress_vrf.to_be_bytes()),
            Field::EgressVrf => out.extend_from_slice(&r.egress_vrf.to_be_bytes()),
            Field::EventTime => out.extend_from_slice(&r.event_ms.to_be_bytes()),
            Field::ConnId => out.extend_from_slice(&r.conn_id.to_be_bytes()),
            Field::FwEvent => out.push(r.fw_event),
            Field::FwXEvent => out.extend_from_slice(&r.fw_xevent.to_be_bytes()),
            Field::XlateSrc4 => put_v4(out, r.xlate_src_ip),
            Field::XlateDst4 => put_v4(out, r.xlate_dst_ip),
            Field::XlateSrc6 => put_v6(out, r.xlate_src_ip),
            Field::XlateDst6 => put_v6(out, r.xlate_dst_ip),
            Field::XlateSrcPort => out.extend_from_slice(&r.xlate_src_port.to_be_bytes()),
            Field::XlateDstPort => out.extend_from_slice(&r.xlate_dst_port.to_be_bytes()),
            Field::NatEvent => out.push(r.nat_event),
            Field::NatPoolId => out.extend_from_slice(&r.nat_pool_id.to_be_bytes()),
        }
    }
}

fn sat16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

fn put_v4(out: &mut Vec<u8>, a: IpAddr) {
    match a {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        // A v6 value in a v4 slot cannot happen for shapes built by `shape_of`; write zeros so
        // the record keeps its length whatever the caller did.
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(a) => out.extend_from_slice(&a.octets()),
            None => out.extend_from_slice(&[0; 4]),
        },
    }
}

fn put_v6(out: &mut Vec<u8>, a: IpAddr) {
    match a {
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V4(a) => out.extend_from_slice(&a.to_ipv6_mapped().octets()),
    }
}

fn put_mac(out: &mut Vec<u8>, mac: u64) {
    out.extend_from_slice(&mac.to_be_bytes()[2..]);
}

/// Bits of a record shape (the template cache key).
mod bit {
    pub const V6: u32 = 1 << 0;
    pub const ICMP: u32 = 1 << 1;
    pub const MISC: u32 = 1 << 2;
    pub const CNT: u32 = 1 << 3;
    pub const VLAN: u32 = 1 << 4;
    pub const AS: u32 = 1 << 5;
    pub const AS_ADJ: u32 = 1 << 6;
    pub const NH4: u32 = 1 << 7;
    pub const NH6: u32 = 1 << 8;
    pub const BGP4: u32 = 1 << 9;
    pub const BGP6: u32 = 1 << 10;
    pub const MPLS: u32 = 1 << 11;
    pub const MAC: u32 = 1 << 12;
    pub const IPINFO: u32 = 1 << 13;
    pub const FLOW_ID: u32 = 1 << 14;
    pub const OBS: u32 = 1 << 15;
    pub const VRF: u32 = 1 << 16;
    pub const NSEL: u32 = 1 << 17;
    pub const XLATE4: u32 = 1 << 18;
    pub const XLATE6: u32 = 1 << 19;
    pub const XLATE_PORT: u32 = 1 << 20;
    pub const NAT: u32 = 1 << 21;
}

/// The shape of a record: which template it needs. Equal shapes share a template.
pub(crate) fn shape_of(r: &FlowRecord) -> u32 {
    let e = r.ext;
    let mut s = 0;
    if r.is_ipv6() {
        s |= bit::V6;
    }
    if r.is_icmp() {
        s |= bit::ICMP;
    }
    let groups = [
        (ext_id::FLOW_MISC, bit::MISC),
        (ext_id::CNT_FLOW, bit::CNT),
        (ext_id::VLAN, bit::VLAN),
        (ext_id::AS_ROUTING, bit::AS),
        (ext_id::AS_ADJACENT, bit::AS_ADJ),
        (ext_id::MPLS, bit::MPLS),
        (ext_id::MAC, bit::MAC),
        (ext_id::IP_INFO, bit::IPINFO),
        (ext_id::FLOW_ID, bit::FLOW_ID),
        (ext_id::OBSERVATION, bit::OBS),
        (ext_id::VRF, bit::VRF),
        (ext_id::NSEL_COMMON, bit::NSEL),
        (ext_id::NAT_XLATE_PORT, bit::XLATE_PORT),
        (ext_id::NAT_COMMON, bit::NAT),
    ];
    for (id, b) in groups {
        if e.has(id) {
            s |= b;
        }
    }
    // Next hops: the family of the value decides, whichever of the v4/v6 elements is flagged.
    if e.has(ext_id::IP_NEXT_HOP_V4) || e.has(ext_id::IP_NEXT_HOP_V6) {
        s |= if r.ip_next_hop.is_ipv6() {
            bit::NH6
        } else {
            bit::NH4
        };
    }
    if e.has(ext_id::BGP_NEXT_HOP_V4) || e.has(ext_id::BGP_NEXT_HOP_V6) {
        s |= if r.bgp_next_hop.is_ipv6() {
            bit::BGP6
        } else {
            bit::BGP4
        };
    }
    if e.has(ext_id::NAT_XLATE_V4) || e.has(ext_id::NAT_XLATE_V6) {
        s |= if r.xlate_src_ip.is_ipv6() {
            bit::XLATE6
        } else {
            bit::XLATE4
        };
    }
    s
}

/// The fields of the template for `shape`, in template order, for v9 or IPFIX.
pub(crate) fn fields_of(shape: u32, ipfix: bool) -> Vec<Field> {
    let has = |b: u32| shape & b != 0;
    let v6 = has(bit::V6);
    let mut f = vec![
        Field::First,
        Field::Last,
        Field::InBytes,
        Field::InPkts,
        Field::Proto,
        Field::SrcTos,
        Field::TcpFlags,
        Field::SrcPort,
        Field::DstPort,
        Field::FwdStatus,
        Field::EngineType,
        Field::EngineId,
    ];
    if v6 {
        f.extend([Field::SrcAddr6, Field::DstAddr6]);
    } else {
        f.extend([Field::SrcAddr4, Field::DstAddr4]);
    }
    if has(bit::ICMP) {
        f.push(if v6 {
            Field::IcmpType6
        } else {
            Field::IcmpType
        });
    }
    if has(bit::MISC) {
        f.extend([Field::Input, Field::Output]);
        if v6 {
            f.extend([Field::SrcMask6, Field::DstMask6]);
        } else {
            f.extend([Field::SrcMask, Field::DstMask]);
        }
        f.extend([
            Field::Direction,
            Field::DstTos,
            Field::BiflowDir,
            Field::EndReason,
        ]);
    }
    if has(bit::CNT) {
        f.extend([Field::Flows, Field::OutPkts, Field::OutBytes]);
    }
    if has(bit::VLAN) {
        f.extend([Field::SrcVlan, Field::DstVlan]);
    }
    if has(bit::AS) {
        f.extend([Field::SrcAs, Field::DstAs]);
    }
    if has(bit::AS_ADJ) {
        f.extend([Field::NextAs, Field::PrevAs]);
    }
    if has(bit::NH4) {
        f.push(Field::NextHop4);
    }
    if has(bit::NH6) {
        f.push(Field::NextHop6);
    }
    if has(bit::BGP4) {
        f.push(Field::BgpNextHop4);
    }
    if has(bit::BGP6) {
        f.push(Field::BgpNextHop6);
    }
    if has(bit::MPLS) {
        f.extend((0..10).map(Field::Mpls));
    }
    if has(bit::MAC) {
        f.extend([
            Field::InSrcMac,
            Field::OutDstMac,
            Field::InDstMac,
            Field::OutSrcMac,
        ]);
    }
    if has(bit::IPINFO) {
        f.extend([Field::MinTtl, Field::MaxTtl, Field::FragmentFlags]);
    }
    // The NSEL connection id travels in the flowId element, so a record with both keeps the
    // connection id (collectors read element 148 as the NSEL connection id in v9).
    if has(bit::FLOW_ID) && !has(bit::NSEL) {
        f.push(Field::FlowId);
    }
    if has(bit::OBS) {
        f.extend([Field::ObsPointId, Field::ObsDomainId]);
    }
    if has(bit::VRF) {
        f.extend([Field::IngressVrf, Field::EgressVrf]);
    }
    if has(bit::NSEL) {
        f.extend([Field::EventTime, Field::ConnId, Field::FwEvent]);
        if !ipfix {
            f.push(Field::FwXEvent);
        }
    }
    if has(bit::XLATE4) {
        f.extend([Field::XlateSrc4, Field::XlateDst4]);
    }
    if has(bit::XLATE6) {
        f.extend([Field::XlateSrc6, Field::XlateDst6]);
    }
    if has(bit::XLATE_PORT) {
        f.extend([Field::XlateSrcPort, Field::XlateDstPort]);
    }
    if has(bit::NAT) {
        f.extend([Field::NatEvent, Field::NatPoolId]);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn every_field_writes_its_length() {
        let mut r = FlowRecord::default();
        for id in 1..=42 {
            r.ext.set(id);
        }
        for v6 in [false, true] {
            if v6 {
                r.src_addr = IpAddr::V6(Ipv6Addr::LOCALHOST);
                r.ip_next_hop = r.src_addr;
            }
            r.proto = 1;
            for ipfix in [false, true] {
                for f in fields_of(shape_of(&r), ipfix) {
                    let mut out = Vec::new();
                    f.write(&r, &mut out);
                    assert_eq!(out.len(), f.len(), "{f:?}");
                }
            }
        }
    }

    #[test]
    fn shape_follows_family_and_groups() {
        let mut r = FlowRecord::default();
        let plain = shape_of(&r);
        r.ext.set(ext_id::VLAN);
        assert_ne!(shape_of(&r), plain);
        assert!(fields_of(shape_of(&r), false).contains(&Field::SrcVlan));
        r.src_addr = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert!(fields_of(shape_of(&r), false).contains(&Field::SrcAddr6));
    }

    #[test]
    fn ipfix_templates_use_no_enterprise_ids() {
        let mut r = FlowRecord::default();
        for id in 1..=42 {
            r.ext.set(id);
        }
        for f in fields_of(shape_of(&r), true) {
            assert!(f.ie(true) < ie::ENTERPRISE_BIT, "{f:?}");
        }
        assert!(fields_of(shape_of(&r), false).contains(&Field::FwXEvent));
    }

    #[test]
    fn nsel_connection_id_wins_over_flow_id() {
        let mut r = FlowRecord::default();
        r.ext.set(ext_id::FLOW_ID);
        assert!(fields_of(shape_of(&r), false).contains(&Field::FlowId));
        r.ext.set(ext_id::NSEL_COMMON);
        let f = fields_of(shape_of(&r), false);
        assert!(f.contains(&Field::ConnId) && !f.contains(&Field::FlowId));
    }
}
