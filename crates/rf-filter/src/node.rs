//! The compiled filter: a tree of flat, pre-resolved tests evaluated without allocation, plus
//! the three-valued block analysis behind [`crate::Filter::may_match_block`].

use std::net::IpAddr;
use std::sync::Arc;

use rf_format::BlockSummary;
use rf_format::record::FlowRecord;

use crate::addrset::AddrSet;
use crate::ast::Cmp;

/// Per-record context that is not part of [`FlowRecord`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// Ident of the file the record came from (`ident NAME`); `None` matches no ident.
    pub ident: Option<&'a str>,
    /// 1-based number of the record in reading order (`count`).
    pub record_no: u64,
}

/// Numeric record field read by a compiled test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Get {
    SrcPort,
    DstPort,
    XSrcPort,
    XDstPort,
    SrcAs,
    DstAs,
    PrevAs,
    NextAs,
    SrcTos,
    DstTos,
    SrcVlan,
    DstVlan,
    SrcMask,
    DstMask,
    Input,
    Output,
    InPackets,
    OutPackets,
    InBytes,
    OutBytes,
    InSrcMac,
    InDstMac,
    OutSrcMac,
    OutDstMac,
    Proto,
    TunProto,
    IcmpType,
    IcmpCode,
    EngineType,
    EngineId,
    Sysid,
    Flows,
    Pps,
    Bps,
    Bpp,
    Duration,
    Count,
    NfVersion,
    TcpFlags,
    FlowDir,
    FwdStat,
    ClientLatency,
    ServerLatency,
    AppLatency,
    ObsDomainId,
    ObsPointId,
    IngressVrf,
    EgressVrf,
    FwEvent,
    FwXevent,
    IngressAcl,
    IngressAce,
    IngressXace,
    EgressAcl,
    NatEvent,
    BlockStart,
    BlockEnd,
    BlockStep,
    BlockSize,
    /// Label of MPLS stack entry `n` (0-based).
    MplsLabel(u8),
    /// Experimental bits of MPLS stack entry `n` (0-based).
    MplsExp(u8),
}

/// `num * scale / den` without overflow, 0 when `den` is 0 (nfdump's pps/bps/bpp).
#[inline]
fn rate(num: u64, scale: u64, den: u64) -> u64 {
    if den == 0 {
        return 0;
    }
    // 64-bit division is several times faster than 128-bit; widen only when the product
    // overflows.
    match num.checked_mul(scale) {
        Some(p) => p / den,
        None => {
            u64::try_from(u128::from(num) * u128::from(scale) / u128::from(den)).unwrap_or(u64::MAX)
        }
    }
}

/// Duration as nfdump computes it: `last - first` in unsigned 64-bit arithmetic, so a record
/// whose last time precedes its first (seen in softflowd IPFIX exports) has a huge duration.
#[inline]
fn duration(r: &FlowRecord) -> u64 {
    r.last_ms.wrapping_sub(r.first_ms)
}

impl Get {
    /// Reads the field.
    #[inline]
    pub fn get(self, r: &FlowRecord, c: &Context<'_>) -> u64 {
        match self {
            Get::SrcPort => r.src_port.into(),
            Get::DstPort => r.dst_port.into(),
            Get::XSrcPort => r.xlate_src_port.into(),
            Get::XDstPort => r.xlate_dst_port.into(),
            Get::SrcAs => r.src_as.into(),
            Get::DstAs => r.dst_as.into(),
            Get::PrevAs => r.prev_as.into(),
            Get::NextAs => r.next_as.into(),
            Get::SrcTos => r.src_tos.into(),
            Get::DstTos => r.dst_tos.into(),
            Get::SrcVlan => r.src_vlan.into(),
            Get::DstVlan => r.dst_vlan.into(),
            Get::SrcMask => r.src_mask.into(),
            Get::DstMask => r.dst_mask.into(),
            Get::Input => r.input.into(),
            Get::Output => r.output.into(),
            Get::InPackets => r.in_packets,
            Get::OutPackets => r.out_packets,
            Get::InBytes => r.in_bytes,
            Get::OutBytes => r.out_bytes,
            Get::InSrcMac => r.in_src_mac,
            Get::InDstMac => r.in_dst_mac,
            Get::OutSrcMac => r.out_src_mac,
            Get::OutDstMac => r.out_dst_mac,
            Get::Proto => r.proto.into(),
            Get::TunProto => r.tun_proto.into(),
            Get::IcmpType => r.icmp_type().into(),
            Get::IcmpCode => r.icmp_code().into(),
            Get::EngineType => r.engine_type.into(),
            Get::EngineId => r.engine_id.into(),
            Get::Sysid => r.exporter_sysid.into(),
            Get::Flows => r.flow_count(),
            Get::Pps => rate(r.in_packets, 1000, duration(r)),
            Get::Bps => rate(r.in_bytes, 8000, duration(r)),
            Get::Bpp => rate(r.in_bytes, 1, r.in_packets),
            Get::Duration => duration(r),
            Get::Count => c.record_no,
            Get::NfVersion => r.nfversion.into(),
            Get::TcpFlags => r.tcp_flags.into(),
            Get::FlowDir => r.dir.into(),
            Get::FwdStat => r.fwd_status.into(),
            Get::ClientLatency => r.client_nw_delay_us,
            Get::ServerLatency => r.server_nw_delay_us,
            Get::AppLatency => r.appl_latency_us,
            Get::ObsDomainId => r.obs_domain_id.into(),
            Get::ObsPointId => r.obs_point_id,
            Get::IngressVrf => r.ingress_vrf.into(),
            Get::EgressVrf => r.egress_vrf.into(),
            Get::FwEvent => r.fw_event.into(),
            Get::FwXevent => r.fw_xevent.into(),
            Get::IngressAcl => r.ingress_acl[0].into(),
            Get::IngressAce => r.ingress_acl[1].into(),
            Get::IngressXace => r.ingress_acl[2].into(),
            Get::EgressAcl => r.egress_acl[0].into(),
            Get::NatEvent => r.nat_event.into(),
            Get::BlockStart => r.block_start.into(),
            Get::BlockEnd => r.block_end.into(),
            Get::BlockStep => r.block_step.into(),
            Get::BlockSize => r.block_size.into(),
            Get::MplsLabel(n) => r.mpls.get(usize::from(n)).map_or(0, |&l| u64::from(l >> 4)),
            Get::MplsExp(n) => r
                .mpls
                .get(usize::from(n))
                .map_or(0, |&l| u64::from((l >> 1) & 7)),
        }
    }
}

/// Address record field read by a compiled test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum AddrGet {
    Src,
    Dst,
    TunSrc,
    TunDst,
    XlateSrc,
    XlateDst,
    NextHop,
    BgpNextHop,
    Router,
}

impl AddrGet {
    /// Reads the address.
    #[inline]
    pub fn get(self, r: &FlowRecord) -> IpAddr {
        match self {
            AddrGet::Src => r.src_addr,
            AddrGet::Dst => r.dst_addr,
            AddrGet::TunSrc => r.tun_src,
            AddrGet::TunDst => r.tun_dst,
            AddrGet::XlateSrc => r.xlate_src_ip,
            AddrGet::XlateDst => r.xlate_dst_ip,
            AddrGet::NextHop => r.ip_next_hop,
            AddrGet::BgpNextHop => r.bgp_next_hop,
            AddrGet::Router => r.received_ip,
        }
    }
}

/// A network as (masked address, mask) of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    /// IPv4.
    V4(u32, u32),
    /// IPv6.
    V6(u128, u128),
}

impl Net {
    #[inline]
    fn contains(self, a: IpAddr) -> bool {
        match (self, a) {
            (Net::V4(n, m), IpAddr::V4(a)) => u32::from(a) & m == n,
            (Net::V6(n, m), IpAddr::V6(a)) => u128::from(a) & m == n,
            _ => false,
        }
    }
}

/// A compiled filter node.
#[derive(Clone, Debug)]
pub enum Node {
    /// Constant.
    Const(bool),
    /// All children true.
    And(Box<[Node]>),
    /// Any child true.
    Or(Box<[Node]>),
    /// Negation.
    Not(Box<Node>),
    /// Labelled sub-expression.
    Label(Box<Node>, Arc<str>),
    /// Numeric comparison `field cmp value`.
    Cmp(Get, Cmp, u64),
    /// Numeric field in a sorted list.
    In(Get, Arc<[u64]>),
    /// Address family: true = IPv6.
    Ipv6(bool),
    /// Address equality.
    AddrEq(AddrGet, IpAddr),
    /// Address inside a network.
    AddrNet(AddrGet, Net),
    /// Address in a set.
    AddrIn(AddrGet, Arc<AddrSet>),
    /// All of these TCP flag bits set.
    FlagsAll(u8),
    /// Label of the end-of-stack MPLS entry compared (`u64::MAX` when there is none).
    MplsEos(Cmp, u64),
    /// Port inside the record's NAT port block.
    InPblock(Get),
    /// File ident equals.
    Ident(Arc<str>),
}

impl Node {
    /// Evaluates the node for one record.
    pub fn eval(&self, r: &FlowRecord, c: &Context<'_>) -> bool {
        match self {
            Node::Const(b) => *b,
            Node::And(v) => v.iter().all(|n| n.eval(r, c)),
            Node::Or(v) => v.iter().any(|n| n.eval(r, c)),
            Node::Not(n) => !n.eval(r, c),
            Node::Label(n, _) => n.eval(r, c),
            Node::Cmp(g, cmp, v) => cmp.test(g.get(r, c), *v),
            Node::In(g, set) => set.binary_search(&g.get(r, c)).is_ok(),
            Node::Ipv6(b) => r.is_ipv6() == *b,
            Node::AddrEq(g, a) => g.get(r) == *a,
            Node::AddrNet(g, n) => n.contains(g.get(r)),
            Node::AddrIn(g, s) => s.contains(g.get(r)),
            Node::FlagsAll(b) => r.tcp_flags & b == *b,
            // Without an end-of-stack entry nfdump compares as if the label were larger than
            // any accepted value: `mpls eos > N` is true, `=`/`<` are false.
            Node::MplsEos(cmp, v) => {
                let label = r
                    .mpls
                    .iter()
                    .find(|&&l| l & 1 != 0)
                    .map_or(u64::MAX, |&l| u64::from(l >> 4));
                cmp.test(label, *v)
            }
            Node::InPblock(g) => {
                let p = g.get(r, c);
                p >= u64::from(r.block_start) && p <= u64::from(r.block_end)
            }
            Node::Ident(s) => c.ident == Some(&**s),
        }
    }

    /// Evaluates and records the label of the last labelled sub-expression on the true path.
    pub fn eval_label<'s>(
        &'s self,
        r: &FlowRecord,
        c: &Context<'_>,
        label: &mut Option<&'s str>,
    ) -> bool {
        match self {
            Node::And(v) => {
                let saved = *label;
                let ok = v.iter().all(|n| n.eval_label(r, c, label));
                if !ok {
                    *label = saved;
                }
                ok
            }
            Node::Or(v) => v.iter().any(|n| n.eval_label(r, c, label)),
            // Labels under a negation never sit on the true path of the whole filter.
            Node::Not(n) => !n.eval(r, c),
            Node::Label(n, name) => {
                let ok = n.eval_label(r, c, label);
                if ok {
                    *label = Some(name);
                }
                ok
            }
            other => other.eval(r, c),
        }
    }

    /// Three-valued block analysis: (some record may make this true, some may make it false).
    pub fn block(&self, s: &BlockSummary) -> (bool, bool) {
        match self {
            Node::Const(b) => (*b, !*b),
            Node::And(v) => v.iter().fold((true, false), |(t, f), n| {
                let (nt, nf) = n.block(s);
                (t && nt, f || nf)
            }),
            Node::Or(v) => v.iter().fold((false, true), |(t, f), n| {
                let (nt, nf) = n.block(s);
                (t || nt, f && nf)
            }),
            Node::Not(n) => {
                let (t, f) = n.block(s);
                (f, t)
            }
            Node::Label(n, _) => n.block(s),
            Node::Cmp(Get::Proto, cmp, v) if s.protocols != [0; 4] => {
                let (mut t, mut f) = (false, false);
                for p in 0..=255u8 {
                    if s.has_proto(p) {
                        if cmp.test(u64::from(p), *v) {
                            t = true;
                        } else {
                            f = true;
                        }
                    }
                }
                (t, f)
            }
            Node::AddrEq(AddrGet::Src | AddrGet::Dst, a) => (s.may_contain_addr(a), true),
            Node::AddrIn(AddrGet::Src | AddrGet::Dst, set) => match set.exact_only() {
                Some(mut it) => (it.any(|a| s.may_contain_addr(&a)), true),
                None => (true, true),
            },
            _ => (true, true),
        }
    }

    /// Whether any test reads the running record number.
    pub fn uses(&self, pred: &dyn Fn(&Node) -> bool) -> bool {
        if pred(self) {
            return true;
        }
        match self {
            Node::And(v) | Node::Or(v) => v.iter().any(|n| n.uses(pred)),
            Node::Not(n) | Node::Label(n, _) => n.uses(pred),
            _ => false,
        }
    }
}
