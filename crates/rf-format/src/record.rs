//! The in-memory flow record shared by every rflow crate.
//!
//! [`FlowRecord`] is an owned, fixed-size, heap-free struct that can hold every field nfdump 1.7
//! stores for a flow (the V3 record header plus all extension elements 1..=42 of
//! `reference/nffile-format.md` §4.5). Fields are flat so that the columnar native format, the
//! filter evaluator and the output formats can address each one directly.
//!
//! Which nfdump extension elements a record carries is kept in [`FlowRecord::ext`], a bit set
//! indexed by the nfdump element id ([`Ext`]). Output formats such as `-o raw` and `-o json` print
//! only the fields of present elements, so the presence bits must survive every conversion.
//!
//! Addresses are [`IpAddr`]: source and destination always share one family, chosen by which of
//! EXipv4Flow / EXipv6Flow the record holds. Absent optional addresses are `0.0.0.0`.
//!
//! Variable-length elements are kept in fixed buffers sized for what collectors write (NBAR
//! application ids, user names, the Nokia NAT string, the pflog interface name). Payload elements
//! (nfpcapd ids 29/30) and inmon frames (35) are not kept; see docs/compat.md.

use std::net::{IpAddr, Ipv4Addr};

/// nfdump extension element ids (`nffile-format.md` §4.5), used as bit numbers in [`ExtSet`].
#[allow(missing_docs)]
pub mod ext_id {
    pub const GENERIC: u8 = 1;
    pub const IPV4: u8 = 2;
    pub const IPV6: u8 = 3;
    pub const FLOW_MISC: u8 = 4;
    pub const CNT_FLOW: u8 = 5;
    pub const VLAN: u8 = 6;
    pub const AS_ROUTING: u8 = 7;
    pub const BGP_NEXT_HOP_V4: u8 = 8;
    pub const BGP_NEXT_HOP_V6: u8 = 9;
    pub const IP_NEXT_HOP_V4: u8 = 10;
    pub const IP_NEXT_HOP_V6: u8 = 11;
    pub const IP_RECEIVED_V4: u8 = 12;
    pub const IP_RECEIVED_V6: u8 = 13;
    pub const MPLS: u8 = 14;
    pub const MAC: u8 = 15;
    pub const AS_ADJACENT: u8 = 16;
    pub const LATENCY: u8 = 17;
    pub const SAMPLER_INFO: u8 = 18;
    pub const NSEL_COMMON: u8 = 19;
    pub const NAT_XLATE_V4: u8 = 20;
    pub const NAT_XLATE_V6: u8 = 21;
    pub const NAT_XLATE_PORT: u8 = 22;
    pub const NSEL_ACL: u8 = 23;
    pub const NSEL_USER: u8 = 24;
    pub const NAT_COMMON: u8 = 25;
    pub const NAT_PORT_BLOCK: u8 = 26;
    pub const NBAR_APP: u8 = 27;
    pub const LABEL: u8 = 28;
    pub const IN_PAYLOAD: u8 = 29;
    pub const OUT_PAYLOAD: u8 = 30;
    pub const TUN_V4: u8 = 31;
    pub const TUN_V6: u8 = 32;
    pub const OBSERVATION: u8 = 33;
    pub const INMON_META: u8 = 34;
    pub const INMON_FRAME: u8 = 35;
    pub const VRF: u8 = 36;
    pub const PF_INFO: u8 = 37;
    pub const LAYER2: u8 = 38;
    pub const FLOW_ID: u8 = 39;
    pub const NOKIA_NAT: u8 = 40;
    pub const NOKIA_NAT_STRING: u8 = 41;
    pub const IP_INFO: u8 = 42;
}

/// Set of nfdump extension element ids present in a record (bit `n` = element id `n`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtSet(pub u64);

impl ExtSet {
    /// Whether element `id` is present.
    #[inline]
    pub fn has(self, id: u8) -> bool {
        id < 64 && self.0 & (1u64 << id) != 0
    }

    /// Marks element `id` present.
    #[inline]
    pub fn set(&mut self, id: u8) {
        if id < 64 {
            self.0 |= 1u64 << id;
        }
    }

    /// Marks element `id` absent.
    #[inline]
    pub fn clear(&mut self, id: u8) {
        if id < 64 {
            self.0 &= !(1u64 << id);
        }
    }

    /// Present element ids in ascending order.
    pub fn ids(self) -> impl Iterator<Item = u8> {
        (0u8..64).filter(move |&i| self.has(i))
    }
}

/// V3 record header flag: NSEL/NEL/pflog event record.
pub const FLAG_EVENT: u8 = 0x01;
/// V3 record header flag: a sampler was applied, counters are already scaled.
pub const FLAG_SAMPLED: u8 = 0x02;
/// V3 record header flag: addresses anonymised.
pub const FLAG_ANON: u8 = 0x04;

/// Maximum bytes kept of the NBAR application id (IE 95).
pub const NBAR_APP_LEN: usize = 16;
/// Size of the NSEL user name buffer (EXnselUser), NUL-terminated.
pub const USERNAME_LEN: usize = 66;
/// Maximum bytes kept of the Nokia NAT subscriber string.
pub const NOKIA_STRING_LEN: usize = 64;
/// Maximum bytes kept of the pflog interface name.
pub const PF_IFNAME_LEN: usize = 16;

const UNSPEC: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// One flow, with every field nfdump 1.7 can store.
///
/// Counters are the values on disk: already multiplied by the sampling rate when
/// [`FLAG_SAMPLED`] is set. Times are milliseconds since the Unix epoch (UTC).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowRecord {
    /// Extension elements present (nfdump ids).
    pub ext: ExtSet,

    // --- V3 header ---
    /// Source protocol: 1, 5, 7, 9, 10 (IPFIX); `0x41` pcapd; `0x80|v` sFlow; 0 converted.
    pub nfversion: u8,
    /// V3 flags ([`FLAG_EVENT`], [`FLAG_SAMPLED`], [`FLAG_ANON`]).
    pub flags: u8,
    /// NetFlow engine type.
    pub engine_type: u8,
    /// NetFlow engine id.
    pub engine_id: u8,
    /// Exporter sysid (joins the file's exporter table).
    pub exporter_sysid: u16,

    // --- EXgenericFlow (1) ---
    /// Flow start, ms since epoch.
    pub first_ms: u64,
    /// Flow end, ms since epoch.
    pub last_ms: u64,
    /// When the collector received the export packet, ms since epoch.
    pub received_ms: u64,
    /// Input packets.
    pub in_packets: u64,
    /// Input bytes.
    pub in_bytes: u64,
    /// Source port (0 for ICMP).
    pub src_port: u16,
    /// Destination port; for ICMP/ICMPv6 `type << 8 | code`.
    pub dst_port: u16,
    /// IP protocol number.
    pub proto: u8,
    /// Cumulative TCP flags.
    pub tcp_flags: u8,
    /// Forwarding status (IE 89).
    pub fwd_status: u8,
    /// Source ToS (IE 5).
    pub src_tos: u8,

    // --- EXipv4Flow (2) / EXipv6Flow (3) ---
    /// Source address.
    pub src_addr: IpAddr,
    /// Destination address.
    pub dst_addr: IpAddr,

    // --- EXflowMisc (4) ---
    /// Input interface (SNMP ifIndex).
    pub input: u32,
    /// Output interface.
    pub output: u32,
    /// Source prefix mask bits.
    pub src_mask: u8,
    /// Destination prefix mask bits.
    pub dst_mask: u8,
    /// Flow direction (0 ingress, 1 egress).
    pub dir: u8,
    /// Destination ToS (IE 55).
    pub dst_tos: u8,
    /// Biflow direction (IE 239).
    pub biflow_dir: u8,
    /// Flow end reason (IE 136).
    pub end_reason: u8,

    // --- EXcntFlow (5) ---
    /// Aggregated flow count (1 for plain flows; see [`FlowRecord::flow_count`]).
    pub flows: u64,
    /// Output packets.
    pub out_packets: u64,
    /// Output bytes.
    pub out_bytes: u64,

    // --- EXvLan (6) ---
    /// Source VLAN.
    pub src_vlan: u32,
    /// Destination VLAN.
    pub dst_vlan: u32,

    // --- EXasRouting (7) / EXasAdjacent (16) ---
    /// Source AS.
    pub src_as: u32,
    /// Destination AS.
    pub dst_as: u32,
    /// Next adjacent AS.
    pub next_as: u32,
    /// Previous adjacent AS.
    pub prev_as: u32,

    // --- next hops / received (8..13) ---
    /// BGP next hop.
    pub bgp_next_hop: IpAddr,
    /// IP next hop.
    pub ip_next_hop: IpAddr,
    /// Exporter address as seen by the collector (nfdump's "router" / `ra`).
    pub received_ip: IpAddr,

    // --- EXmplsLabel (14) ---
    /// Up to 10 MPLS label stack entries (`label << 4 | exp << 1 | eos`), 0 = unused.
    pub mpls: [u32; 10],

    // --- EXmacAddr (15): low 48 bits, MAC as big-endian number ---
    /// In source MAC.
    pub in_src_mac: u64,
    /// Out destination MAC.
    pub out_dst_mac: u64,
    /// In destination MAC.
    pub in_dst_mac: u64,
    /// Out source MAC.
    pub out_src_mac: u64,

    // --- EXlatency (17), microseconds ---
    /// Client network delay.
    pub client_nw_delay_us: u64,
    /// Server network delay.
    pub server_nw_delay_us: u64,
    /// Application latency.
    pub appl_latency_us: u64,

    // --- EXsamplerInfo (18) and the exporter/sampler tables joined in by the reader ---
    /// Sampler selector id.
    pub sampler_id: u64,
    /// Exporter address from the file's exporter table (0.0.0.0 when unknown).
    pub exporter_ip: IpAddr,
    /// Exporter's own id (observation domain / source id) from the exporter table.
    pub exporter_id: u32,
    /// Exporter protocol version from the exporter table.
    pub exporter_version: u16,
    /// Packet sampling interval that applied (1 = unsampled, 0 = unknown).
    pub sampling_interval: u32,

    // --- EXnselCommon (19) ---
    /// Event time, ms since epoch (NSEL/NEL).
    pub event_ms: u64,
    /// NSEL connection id.
    pub conn_id: u32,
    /// NSEL extended event.
    pub fw_xevent: u16,
    /// NSEL event.
    pub fw_event: u8,

    // --- NAT (20, 21, 22, 25, 26) ---
    /// NAT event (EXnatCommon).
    pub nat_event: u8,
    /// Translated source address.
    pub xlate_src_ip: IpAddr,
    /// Translated destination address.
    pub xlate_dst_ip: IpAddr,
    /// Translated source port.
    pub xlate_src_port: u16,
    /// Translated destination port.
    pub xlate_dst_port: u16,
    /// NAT pool id.
    pub nat_pool_id: u32,
    /// Port block start.
    pub block_start: u16,
    /// Port block end.
    pub block_end: u16,
    /// Port block step.
    pub block_step: u16,
    /// Port block size.
    pub block_size: u16,

    // --- EXnselAcl (23) / EXnselUser (24) ---
    /// Ingress ACL id triple.
    pub ingress_acl: [u32; 3],
    /// Egress ACL id triple.
    pub egress_acl: [u32; 3],
    /// NSEL user name, NUL-terminated.
    pub username: [u8; USERNAME_LEN],

    // --- EXnbarApp (27) ---
    /// NBAR application id bytes.
    pub nbar_app: [u8; NBAR_APP_LEN],
    /// Number of valid bytes in [`FlowRecord::nbar_app`].
    pub nbar_app_len: u8,

    // --- EXtunIPv4 (31) / EXtunIPv6 (32) ---
    /// Tunnel source address.
    pub tun_src: IpAddr,
    /// Tunnel destination address.
    pub tun_dst: IpAddr,
    /// Tunnel protocol.
    pub tun_proto: u32,

    // --- EXobservation (33) ---
    /// Observation point id.
    pub obs_point_id: u64,
    /// Observation domain id.
    pub obs_domain_id: u32,

    // --- EXinmonMeta (34) ---
    /// inmon frame size.
    pub inmon_frame_size: u16,
    /// inmon link type.
    pub inmon_link_type: u16,

    // --- EXvrf (36) ---
    /// Ingress VRF.
    pub ingress_vrf: u32,
    /// Egress VRF.
    pub egress_vrf: u32,

    // --- EXpfinfo (37) ---
    /// pflog action.
    pub pf_action: u8,
    /// pflog reason.
    pub pf_reason: u8,
    /// pflog direction.
    pub pf_dir: u8,
    /// pflog rewritten.
    pub pf_rewritten: u8,
    /// pflog rule number.
    pub pf_rulenr: u32,
    /// pflog sub rule number.
    pub pf_subrulenr: u32,
    /// pflog uid.
    pub pf_uid: u32,
    /// pflog pid.
    pub pf_pid: u32,
    /// pflog interface name, NUL-terminated.
    pub pf_ifname: [u8; PF_IFNAME_LEN],

    // --- EXlayer2 (38) ---
    /// dot1q VLAN id.
    pub l2_vlan_id: u16,
    /// dot1q customer VLAN id.
    pub l2_customer_vlan_id: u16,
    /// Post dot1q VLAN id.
    pub l2_post_vlan_id: u16,
    /// Post dot1q customer VLAN id.
    pub l2_post_customer_vlan_id: u16,
    /// Physical ingress interface.
    pub l2_ingress: u32,
    /// Physical egress interface.
    pub l2_egress: u32,
    /// VXLAN id.
    pub l2_vxlan: u64,
    /// Ethertype.
    pub l2_ether_type: u16,
    /// IP version (4 or 6).
    pub l2_ip_version: u8,

    // --- EXflowId (39) ---
    /// Flow id (IE 148).
    pub flow_id: u64,

    // --- EXnokiaNat (40/41) ---
    /// Nokia inside service id.
    pub nokia_in_service_id: u16,
    /// Nokia outside service id.
    pub nokia_out_service_id: u16,
    /// Nokia NAT subscriber string, NUL-terminated.
    pub nokia_nat_string: [u8; NOKIA_STRING_LEN],

    // --- EXipInfo (42) ---
    /// Fragment flags (IE 197).
    pub fragment_flags: u8,
    /// Minimum TTL.
    pub min_ttl: u8,
    /// Maximum TTL.
    pub max_ttl: u8,
}

impl Default for FlowRecord {
    fn default() -> Self {
        FlowRecord {
            ext: ExtSet::default(),
            nfversion: 0,
            flags: 0,
            engine_type: 0,
            engine_id: 0,
            exporter_sysid: 0,
            first_ms: 0,
            last_ms: 0,
            received_ms: 0,
            in_packets: 0,
            in_bytes: 0,
            src_port: 0,
            dst_port: 0,
            proto: 0,
            tcp_flags: 0,
            fwd_status: 0,
            src_tos: 0,
            src_addr: UNSPEC,
            dst_addr: UNSPEC,
            input: 0,
            output: 0,
            src_mask: 0,
            dst_mask: 0,
            dir: 0,
            dst_tos: 0,
            biflow_dir: 0,
            end_reason: 0,
            flows: 0,
            out_packets: 0,
            out_bytes: 0,
            src_vlan: 0,
            dst_vlan: 0,
            src_as: 0,
            dst_as: 0,
            next_as: 0,
            prev_as: 0,
            bgp_next_hop: UNSPEC,
            ip_next_hop: UNSPEC,
            received_ip: UNSPEC,
            mpls: [0; 10],
            in_src_mac: 0,
            out_dst_mac: 0,
            in_dst_mac: 0,
            out_src_mac: 0,
            client_nw_delay_us: 0,
            server_nw_delay_us: 0,
            appl_latency_us: 0,
            sampler_id: 0,
            exporter_ip: UNSPEC,
            exporter_id: 0,
            exporter_version: 0,
            sampling_interval: 0,
            event_ms: 0,
            conn_id: 0,
            fw_xevent: 0,
            fw_event: 0,
            nat_event: 0,
            xlate_src_ip: UNSPEC,
            xlate_dst_ip: UNSPEC,
            xlate_src_port: 0,
            xlate_dst_port: 0,
            nat_pool_id: 0,
            block_start: 0,
            block_end: 0,
            block_step: 0,
            block_size: 0,
            ingress_acl: [0; 3],
            egress_acl: [0; 3],
            username: [0; USERNAME_LEN],
            nbar_app: [0; NBAR_APP_LEN],
            nbar_app_len: 0,
            tun_src: UNSPEC,
            tun_dst: UNSPEC,
            tun_proto: 0,
            obs_point_id: 0,
            obs_domain_id: 0,
            inmon_frame_size: 0,
            inmon_link_type: 0,
            ingress_vrf: 0,
            egress_vrf: 0,
            pf_action: 0,
            pf_reason: 0,
            pf_dir: 0,
            pf_rewritten: 0,
            pf_rulenr: 0,
            pf_subrulenr: 0,
            pf_uid: 0,
            pf_pid: 0,
            pf_ifname: [0; PF_IFNAME_LEN],
            l2_vlan_id: 0,
            l2_customer_vlan_id: 0,
            l2_post_vlan_id: 0,
            l2_post_customer_vlan_id: 0,
            l2_ingress: 0,
            l2_egress: 0,
            l2_vxlan: 0,
            l2_ether_type: 0,
            l2_ip_version: 0,
            flow_id: 0,
            nokia_in_service_id: 0,
            nokia_out_service_id: 0,
            nokia_nat_string: [0; NOKIA_STRING_LEN],
            fragment_flags: 0,
            min_ttl: 0,
            max_ttl: 0,
        }
    }
}

impl FlowRecord {
    /// Whether the flow's addresses are IPv6.
    #[inline]
    pub fn is_ipv6(&self) -> bool {
        self.src_addr.is_ipv6()
    }

    /// Aggregated flow count as nfdump counts it: the EXcntFlow value when present and non-zero,
    /// otherwise 1.
    #[inline]
    pub fn flow_count(&self) -> u64 {
        if self.flows == 0 { 1 } else { self.flows }
    }

    /// Duration in milliseconds (0 when last < first).
    #[inline]
    pub fn duration_ms(&self) -> u64 {
        self.last_ms.saturating_sub(self.first_ms)
    }

    /// Whether the protocol is ICMP or ICMPv6 (ports then hold type/code).
    #[inline]
    pub fn is_icmp(&self) -> bool {
        self.proto == 1 || self.proto == 58
    }

    /// ICMP type (high byte of the destination port).
    #[inline]
    pub fn icmp_type(&self) -> u8 {
        (self.dst_port >> 8) as u8
    }

    /// ICMP code (low byte of the destination port).
    #[inline]
    pub fn icmp_code(&self) -> u8 {
        (self.dst_port & 0xff) as u8
    }

    /// The NUL-terminated NSEL user name as text (lossy).
    pub fn username_str(&self) -> std::borrow::Cow<'_, str> {
        c_str(&self.username)
    }
}

/// Text of a NUL-terminated fixed buffer (lossy UTF-8).
pub fn c_str(buf: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end])
}

/// Copies `src` into a fixed NUL-padded buffer, truncating so at least one NUL remains.
pub fn set_c_str(dst: &mut [u8], src: &[u8]) {
    dst.fill(0);
    let n = src.len().min(dst.len().saturating_sub(1));
    dst[..n].copy_from_slice(&src[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext_set_bits() {
        let mut e = ExtSet::default();
        e.set(ext_id::GENERIC);
        e.set(ext_id::IP_INFO);
        assert!(e.has(1) && e.has(42) && !e.has(2));
        assert_eq!(e.ids().collect::<Vec<_>>(), vec![1, 42]);
        e.clear(1);
        assert!(!e.has(1));
    }

    #[test]
    fn flow_count_defaults_to_one() {
        let mut r = FlowRecord::default();
        assert_eq!(r.flow_count(), 1);
        r.flows = 7;
        assert_eq!(r.flow_count(), 7);
    }

    #[test]
    fn icmp_type_code() {
        let r = FlowRecord {
            proto: 1,
            dst_port: 3 << 8 | 1,
            ..FlowRecord::default()
        };
        assert!(r.is_icmp());
        assert_eq!((r.icmp_type(), r.icmp_code()), (3, 1));
    }

    #[test]
    fn c_strings() {
        let mut b = [0u8; 4];
        set_c_str(&mut b, b"abcdef");
        assert_eq!(&b, b"abc\0");
        assert_eq!(c_str(&b), "abc");
    }
}
