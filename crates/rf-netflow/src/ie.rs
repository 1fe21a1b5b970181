//! IPFIX / NetFlow v9 information element ids and their usual wire lengths.
//!
//! The ids are shared by NetFlow v9 (RFC 3954 field types) and IPFIX (RFC 7011/IANA registry);
//! v9 field types 1..=127 are the same numbers as the IPFIX information elements. Both the
//! decoder (template mapping) and the encoder (rfreplay templates) use these names so the two
//! directions cannot drift apart. `len::*` holds the length an exporter normally announces; a
//! decoder must still accept any length a template declares (1..=8 for counters, for example).

#![allow(missing_docs)]

/// octetDeltaCount: bytes of the flow (input direction).
pub const IN_BYTES: u16 = 1;
/// packetDeltaCount: packets of the flow.
pub const IN_PKTS: u16 = 2;
/// deltaFlowCount: aggregated flow count.
pub const FLOWS: u16 = 3;
pub const PROTOCOL: u16 = 4;
pub const SRC_TOS: u16 = 5;
pub const TCP_FLAGS: u16 = 6;
pub const L4_SRC_PORT: u16 = 7;
pub const IPV4_SRC_ADDR: u16 = 8;
pub const SRC_MASK: u16 = 9;
pub const INPUT_SNMP: u16 = 10;
pub const L4_DST_PORT: u16 = 11;
pub const IPV4_DST_ADDR: u16 = 12;
pub const DST_MASK: u16 = 13;
pub const OUTPUT_SNMP: u16 = 14;
pub const IPV4_NEXT_HOP: u16 = 15;
pub const SRC_AS: u16 = 16;
pub const DST_AS: u16 = 17;
pub const BGP_IPV4_NEXT_HOP: u16 = 18;
pub const MUL_DST_PKTS: u16 = 19;
pub const MUL_DST_BYTES: u16 = 20;
/// flowEndSysUpTime: ms since exporter boot.
pub const LAST_SWITCHED: u16 = 21;
/// flowStartSysUpTime: ms since exporter boot.
pub const FIRST_SWITCHED: u16 = 22;
pub const OUT_BYTES: u16 = 23;
pub const OUT_PKTS: u16 = 24;
pub const IPV6_SRC_ADDR: u16 = 27;
pub const IPV6_DST_ADDR: u16 = 28;
pub const IPV6_SRC_MASK: u16 = 29;
pub const IPV6_DST_MASK: u16 = 30;
pub const IPV6_FLOW_LABEL: u16 = 31;
/// icmpTypeCodeIPv4: `type << 8 | code`.
pub const ICMP_TYPE: u16 = 32;
/// samplingInterval (v9 option / IPFIX deprecated).
pub const SAMPLING_INTERVAL: u16 = 34;
/// samplingAlgorithm.
pub const SAMPLING_ALGORITHM: u16 = 35;
pub const ENGINE_TYPE: u16 = 38;
pub const ENGINE_ID: u16 = 39;
/// samplerId (v9 FLOW_SAMPLER_ID).
pub const FLOW_SAMPLER_ID: u16 = 48;
/// samplerRandomInterval (v9 FLOW_SAMPLER_RANDOM_INTERVAL).
pub const FLOW_SAMPLER_RANDOM_INTERVAL: u16 = 50;
pub const MIN_TTL: u16 = 52;
pub const MAX_TTL: u16 = 53;
pub const DST_TOS: u16 = 55;
pub const IN_SRC_MAC: u16 = 56;
pub const OUT_DST_MAC: u16 = 57;
pub const SRC_VLAN: u16 = 58;
pub const DST_VLAN: u16 = 59;
pub const IP_PROTOCOL_VERSION: u16 = 60;
pub const DIRECTION: u16 = 61;
pub const IPV6_NEXT_HOP: u16 = 62;
pub const BGP_IPV6_NEXT_HOP: u16 = 63;
/// First of the ten MPLS label stack entries (70..=79).
pub const MPLS_LABEL_1: u16 = 70;
pub const MPLS_LABEL_10: u16 = 79;
pub const IN_DST_MAC: u16 = 80;
pub const OUT_SRC_MAC: u16 = 81;
pub const OCTET_TOTAL_COUNT: u16 = 85;
pub const PACKET_TOTAL_COUNT: u16 = 86;
pub const FORWARDING_STATUS: u16 = 89;
pub const APPLICATION_ID: u16 = 95;
pub const BGP_NEXT_ADJACENT_AS: u16 = 128;
pub const BGP_PREV_ADJACENT_AS: u16 = 129;
pub const EXPORTER_IPV4_ADDRESS: u16 = 130;
pub const EXPORTER_IPV6_ADDRESS: u16 = 131;
pub const FLOW_END_REASON: u16 = 136;
pub const OBSERVATION_POINT_ID: u16 = 138;
pub const ICMP_TYPE_CODE_IPV6: u16 = 139;
/// flowId (also NSEL connection id).
pub const FLOW_ID: u16 = 148;
pub const OBSERVATION_DOMAIN_ID: u16 = 149;
pub const FLOW_START_SECONDS: u16 = 150;
pub const FLOW_END_SECONDS: u16 = 151;
pub const FLOW_START_MILLISECONDS: u16 = 152;
pub const FLOW_END_MILLISECONDS: u16 = 153;
pub const FLOW_START_MICROSECONDS: u16 = 154;
pub const FLOW_END_MICROSECONDS: u16 = 155;
pub const FLOW_START_DELTA_MICROSECONDS: u16 = 158;
pub const FLOW_END_DELTA_MICROSECONDS: u16 = 159;
/// systemInitTimeMilliseconds: absolute boot time of the exporter.
pub const SYSTEM_INIT_TIME_MILLISECONDS: u16 = 160;
pub const FLOW_DURATION_MILLISECONDS: u16 = 161;
pub const OCTET_DELTA_COUNT_REV: u16 = 171;
pub const PACKET_DELTA_COUNT_REV: u16 = 172;
pub const ICMP_TYPE_IPV4: u16 = 176;
pub const ICMP_CODE_IPV4: u16 = 177;
pub const ICMP_TYPE_IPV6: u16 = 178;
pub const ICMP_CODE_IPV6: u16 = 179;
pub const UDP_SRC_PORT: u16 = 180;
pub const UDP_DST_PORT: u16 = 181;
pub const TCP_SRC_PORT: u16 = 182;
pub const TCP_DST_PORT: u16 = 183;
pub const IP_TTL: u16 = 192;
pub const FRAGMENT_FLAGS: u16 = 197;
pub const NAT_EVENT: u16 = 230;
pub const INITIATOR_OCTETS: u16 = 231;
pub const RESPONDER_OCTETS: u16 = 232;
pub const FIREWALL_EVENT: u16 = 233;
pub const INGRESS_VRF_ID: u16 = 234;
pub const EGRESS_VRF_ID: u16 = 235;
pub const BIFLOW_DIRECTION: u16 = 239;
pub const DOT1Q_VLAN_ID: u16 = 243;
pub const DOT1Q_CUSTOMER_VLAN_ID: u16 = 245;
pub const INGRESS_PHYSICAL_INTERFACE: u16 = 252;
pub const EGRESS_PHYSICAL_INTERFACE: u16 = 253;
pub const POST_DOT1Q_VLAN_ID: u16 = 254;
pub const POST_DOT1Q_CUSTOMER_VLAN_ID: u16 = 255;
pub const ETHERNET_TYPE: u16 = 256;
pub const POST_NAT_SRC_IPV4: u16 = 225;
pub const POST_NAT_DST_IPV4: u16 = 226;
pub const POST_NAPT_SRC_PORT: u16 = 227;
pub const POST_NAPT_DST_PORT: u16 = 228;
pub const FLOW_DELTA_COUNT: u16 = 278;
pub const POST_NAT_SRC_IPV6: u16 = 281;
pub const POST_NAT_DST_IPV6: u16 = 282;
pub const NAT_POOL_ID: u16 = 283;
pub const INITIATOR_PACKETS: u16 = 298;
pub const RESPONDER_PACKETS: u16 = 299;
pub const SELECTOR_ID: u16 = 302;
pub const SELECTOR_ALGORITHM: u16 = 304;
pub const SAMPLING_PACKET_INTERVAL: u16 = 305;
pub const SAMPLING_PACKET_SPACE: u16 = 306;
pub const OBSERVATION_TIME_MILLISECONDS: u16 = 323;
pub const PORT_RANGE_START: u16 = 361;
pub const PORT_RANGE_END: u16 = 362;
pub const PORT_RANGE_STEP_SIZE: u16 = 363;
pub const PORT_RANGE_NUM_PORTS: u16 = 364;
/// Cisco ASA NSEL ACL ids.
pub const NF_F_INGRESS_ACL_ID: u16 = 33000;
pub const NF_F_EGRESS_ACL_ID: u16 = 33001;
pub const NF_F_FW_EXT_EVENT: u16 = 33002;
pub const NF_F_USERNAME: u16 = 40000;
pub const NF_F_XLATE_SRC_ADDR_IPV4: u16 = 40001;
pub const NF_F_XLATE_DST_ADDR_IPV4: u16 = 40002;
pub const NF_F_XLATE_SRC_PORT: u16 = 40003;
pub const NF_F_XLATE_DST_PORT: u16 = 40004;
pub const NF_F_FW_EVENT: u16 = 40005;

/// IPFIX: high bit of an element id marks an enterprise-specific element (a 4-byte enterprise
/// number follows the id/length pair in the template).
pub const ENTERPRISE_BIT: u16 = 0x8000;
/// IPFIX variable-length marker in a template field length.
pub const VARLEN: u16 = 0xffff;

/// NetFlow v9 flowset ids.
pub mod v9 {
    /// Template flowset.
    pub const TEMPLATE_SET: u16 = 0;
    /// Options template flowset.
    pub const OPTIONS_TEMPLATE_SET: u16 = 1;
    /// Smallest data flowset id (template ids are >= 256).
    pub const MIN_DATA_SET: u16 = 256;
    /// Scope field type "System" in options templates.
    pub const SCOPE_SYSTEM: u16 = 1;
}

/// IPFIX set ids.
pub mod ipfix {
    /// Template set.
    pub const TEMPLATE_SET: u16 = 2;
    /// Options template set.
    pub const OPTIONS_TEMPLATE_SET: u16 = 3;
    /// Smallest data set id (template ids are >= 256).
    pub const MIN_DATA_SET: u16 = 256;
}

/// Usual encoded lengths of the elements above (bytes).
pub mod len {
    pub const COUNTER32: u16 = 4;
    pub const COUNTER64: u16 = 8;
    pub const PROTOCOL: u16 = 1;
    pub const TOS: u16 = 1;
    pub const TCP_FLAGS: u16 = 1;
    pub const PORT: u16 = 2;
    pub const IPV4: u16 = 4;
    pub const IPV6: u16 = 16;
    pub const MASK: u16 = 1;
    pub const SNMP: u16 = 4;
    pub const AS: u16 = 4;
    pub const SYSUPTIME: u16 = 4;
    pub const MILLISECONDS: u16 = 8;
    pub const SECONDS: u16 = 4;
    pub const MAC: u16 = 6;
    pub const VLAN: u16 = 2;
    pub const DIRECTION: u16 = 1;
    pub const MPLS_LABEL: u16 = 3;
    pub const ICMP_TYPE: u16 = 2;
    pub const IP_VERSION: u16 = 1;
    pub const ENGINE: u16 = 1;
    pub const FORWARDING_STATUS: u16 = 1;
    pub const FLOW_END_REASON: u16 = 1;
    pub const SAMPLING_INTERVAL: u16 = 4;
}
