//! Flow aggregation (`-a`, `-A fields`, `-b`, `-B`) and record sorting (`-O`).
//!
//! Records with the same key are merged into one output record: counters summed, first/last
//! widened, TCP flags OR-ed. With `-a` (5-tuple) and `-b/-B` the other fields come from the
//! first record of the key; with `-A` every field not in the key is cleared, as nfdump does.
//! Keys are a compact fixed-size struct built from the masked record, so aggregation does no
//! per-record allocation. Entries remember when they were first seen, so the output order
//! without `-O` is deterministic (first-seen order, where nfdump prints hash order).

use std::net::IpAddr;

use rf_format::{FlowRecord, ext_id};

use crate::engine::{Accumulator, Loc};
use crate::order::{Counters, Order};
use crate::render::mask_addr;

/// One `-A` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggField {
    /// Source address, optionally masked to an IPv6 prefix length (`srcip6/N`).
    SrcIp(Option<u8>),
    /// Destination address, optionally masked to an IPv6 prefix length (`dstip6/N`).
    DstIp(Option<u8>),
    /// Source address masked to an IPv4 prefix length (`srcip4/N`).
    SrcIp4(u8),
    /// Destination address masked to an IPv4 prefix length (`dstip4/N`).
    DstIp4(u8),
    /// Source address masked with the record's own source mask.
    SrcNet,
    /// Destination address masked with the record's own destination mask.
    DstNet,
    /// Source port.
    SrcPort,
    /// Destination port.
    DstPort,
    /// Protocol.
    Proto,
    /// Source AS.
    SrcAs,
    /// Destination AS.
    DstAs,
    /// Next AS.
    NextAs,
    /// Previous AS.
    PrevAs,
    /// Input interface.
    InIf,
    /// Output interface.
    OutIf,
    /// IP next hop.
    Next,
    /// BGP next hop.
    BgpNext,
    /// Exporter.
    Router,
    /// In source MAC.
    InSrcMac,
    /// Out destination MAC.
    OutDstMac,
    /// In destination MAC.
    InDstMac,
    /// Out source MAC.
    OutSrcMac,
    /// Source VLAN.
    SrcVlan,
    /// Destination VLAN.
    DstVlan,
    /// Source mask bits.
    SrcMask,
    /// Destination mask bits.
    DstMask,
    /// ToS.
    Tos,
    /// Source ToS.
    SrcTos,
    /// Destination ToS.
    DstTos,
    /// MPLS label `n` (0-based).
    Mpls(u8),
    /// Observation domain id.
    Odid,
    /// Observation point id.
    Opid,
    /// Translated source address.
    XSrcIp,
    /// Translated destination address.
    XDstIp,
    /// Translated source port.
    XSrcPort,
    /// Translated destination port.
    XDstPort,
}

const SIMPLE: &[(&str, AggField, &str)] = &[
    ("srcip", AggField::SrcIp(None), "%sa"),
    ("dstip", AggField::DstIp(None), "%da"),
    ("srcnet", AggField::SrcNet, "%sn"),
    ("dstnet", AggField::DstNet, "%dn"),
    ("srcport", AggField::SrcPort, "%sp"),
    ("dstport", AggField::DstPort, "%dp"),
    ("proto", AggField::Proto, "%pr"),
    ("srcas", AggField::SrcAs, "%sas"),
    ("dstas", AggField::DstAs, "%das"),
    ("nextas", AggField::NextAs, "%nas"),
    ("prevas", AggField::PrevAs, "%pas"),
    ("inif", AggField::InIf, "%in"),
    ("outif", AggField::OutIf, "%out"),
    ("next", AggField::Next, "%nh"),
    ("bgpnext", AggField::BgpNext, "%nhb"),
    ("router", AggField::Router, "%ra"),
    ("insrcmac", AggField::InSrcMac, "%ismc"),
    ("outdstmac", AggField::OutDstMac, "%odmc"),
    ("indstmac", AggField::InDstMac, "%idmc"),
    ("outsrcmac", AggField::OutSrcMac, "%osmc"),
    ("srcvlan", AggField::SrcVlan, "%svln"),
    ("dstvlan", AggField::DstVlan, "%dvln"),
    ("srcmask", AggField::SrcMask, "%smk"),
    ("dstmask", AggField::DstMask, "%dmk"),
    ("tos", AggField::Tos, "%tos"),
    ("srctos", AggField::SrcTos, "%stos"),
    ("dsttos", AggField::DstTos, "%dtos"),
    ("mpls1", AggField::Mpls(0), "%mpls1"),
    ("mpls2", AggField::Mpls(1), "%mpls2"),
    ("mpls3", AggField::Mpls(2), "%mpls3"),
    ("mpls4", AggField::Mpls(3), "%mpls4"),
    ("mpls5", AggField::Mpls(4), "%mpls5"),
    ("mpls6", AggField::Mpls(5), "%mpls6"),
    ("mpls7", AggField::Mpls(6), "%mpls7"),
    ("mpls8", AggField::Mpls(7), "%mpls8"),
    ("mpls9", AggField::Mpls(8), "%mpls9"),
    ("mpls10", AggField::Mpls(9), "%mpls10"),
    ("odid", AggField::Odid, "%odid"),
    ("opid", AggField::Opid, "%opid"),
    ("xsrcip", AggField::XSrcIp, "%xsa"),
    ("xdstip", AggField::XDstIp, "%xda"),
    ("xsrcport", AggField::XSrcPort, "%xsp"),
    ("xdstport", AggField::XDstPort, "%xdp"),
];

/// A parsed `-A` list with the fmt string nfdump uses when no `-o` is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggList {
    /// Fields in the order given.
    pub fields: Vec<AggField>,
    /// `%ts %td <tokens> %pkt %byt %bps %bpp %fl`.
    pub fmt: String,
}

/// Parses an `-A` list.
///
/// # Errors
/// nfdump's messages: unknown field, duplicate, missing or forbidden `/bits`.
pub fn parse_list(list: &str) -> Result<AggList, String> {
    if list.len() > MAX_LIST_LEN {
        return Err(format!(
            "Aggregation string too long: at most {MAX_LIST_LEN} characters"
        ));
    }
    let mut fields = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut fmt = String::from("%ts %td ");
    for raw in list.split(',').filter(|s| !s.is_empty()) {
        let tok = raw.trim().to_ascii_lowercase();
        let (name, bits) = match tok.split_once('/') {
            Some((n, b)) => (n.to_string(), Some(b.to_string())),
            None => (tok.clone(), None),
        };
        let (field, token, base) = match name.as_str() {
            "srcip4" | "dstip4" | "srcip6" | "dstip6" => {
                let max = if name.ends_with('4') { 32 } else { 128 };
                let b = bits
                    .as_deref()
                    .ok_or_else(|| format!("'{name}' needs number of subnet bits to aggregate"))?;
                let n: u8 = b
                    .parse()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| format!("Invalid subnet mask '{b}' for '{name}'"))?;
                match (name.starts_with("src"), max == 32) {
                    (true, true) => (AggField::SrcIp4(n), "%sa", "srcip"),
                    (true, false) => (AggField::SrcIp(Some(n)), "%sa", "srcip"),
                    (false, true) => (AggField::DstIp4(n), "%da", "dstip"),
                    (false, false) => (AggField::DstIp(Some(n)), "%da", "dstip"),
                }
            }
            _ => {
                let (n, f, t) = SIMPLE
                    .iter()
                    .find(|(n, _, _)| *n == name)
                    .ok_or_else(|| format!("Unknown aggregation field '{name}'"))?;
                if bits.is_some() {
                    return Err(format!("'{name}' No subnet bits allowed here"));
                }
                (*f, *t, *n)
            }
        };
        if seen.contains(&base) {
            return Err(format!("Duplicate aggregation mask: {base}"));
        }
        seen.push(base);
        fields.push(field);
        // nfdump 1.7.1 puts a space before every token and one more before the counters.
        fmt.push(' ');
        fmt.push_str(token);
    }
    if fields.is_empty() {
        return Err("Missing aggregation fields".into());
    }
    fmt.push_str("  %pkt %byt %bps %bpp %fl");
    Ok(AggList { fields, fmt })
}

/// How records are aggregated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `-a`: the 5-tuple.
    FiveTuple,
    /// `-A`: the listed fields.
    Custom(Vec<AggField>),
    /// `-b` (and `-B` with `swap`): 5-tuple, reverse TCP/UDP directions merged.
    Bidir {
        /// `-B`: show the client as source.
        swap: bool,
    },
}

/// Words in an aggregation key. An `-A` list is at most 64 characters (as in nfdump), so at
/// most 16 fields of at most 2 words each.
const KEY_WORDS: usize = 32;

/// Longest accepted `-A` list.
pub const MAX_LIST_LEN: usize = 64;

impl Mode {
    /// Names of the record fields the aggregation key reads (counters and TCP flags aside).
    pub fn columns(&self) -> Vec<&'static str> {
        let Mode::Custom(fields) = self else {
            return vec!["src_addr", "dst_addr", "src_port", "dst_port", "proto"];
        };
        let mut v = Vec::new();
        for f in fields {
            v.extend_from_slice(match f {
                AggField::SrcIp(_) | AggField::SrcIp4(_) => &["src_addr"][..],
                AggField::DstIp(_) | AggField::DstIp4(_) => &["dst_addr"],
                AggField::SrcNet => &["src_addr", "src_mask"],
                AggField::DstNet => &["dst_addr", "dst_mask"],
                AggField::SrcPort => &["src_port"],
                AggField::DstPort => &["dst_port"],
                AggField::Proto => &["proto"],
                AggField::SrcAs => &["src_as"],
                AggField::DstAs => &["dst_as"],
                AggField::NextAs => &["next_as"],
                AggField::PrevAs => &["prev_as"],
                AggField::InIf => &["input"],
                AggField::OutIf => &["output"],
                AggField::Next => &["ip_next_hop"],
                AggField::BgpNext => &["bgp_next_hop"],
                AggField::Router => &["received_ip"],
                AggField::InSrcMac => &["in_src_mac"],
                AggField::OutDstMac => &["out_dst_mac"],
                AggField::InDstMac => &["in_dst_mac"],
                AggField::OutSrcMac => &["out_src_mac"],
                AggField::SrcVlan => &["src_vlan"],
                AggField::DstVlan => &["dst_vlan"],
                AggField::SrcMask => &["src_mask"],
                AggField::DstMask => &["dst_mask"],
                AggField::Tos | AggField::SrcTos => &["src_tos"],
                AggField::DstTos => &["dst_tos"],
                AggField::Mpls(_) => &["mpls"],
                AggField::Odid => &["obs_domain_id"],
                AggField::Opid => &["obs_point_id"],
                AggField::XSrcIp => &["xlate_src_ip"],
                AggField::XDstIp => &["xlate_dst_ip"],
                AggField::XSrcPort => &["xlate_src_port"],
                AggField::XDstPort => &["xlate_dst_port"],
            });
        }
        v
    }
}

/// Compact aggregation key: the key fields' values packed into words; only the used words
/// are hashed and compared.
#[derive(Clone, Copy, Debug)]
struct Key {
    len: u8,
    w: [u64; KEY_WORDS],
}

impl PartialEq for Key {
    fn eq(&self, o: &Key) -> bool {
        self.len == o.len && self.words() == o.words()
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for &x in self.words() {
            state.write_u64(x);
        }
    }
}

impl Key {
    const EMPTY: Key = Key {
        len: 0,
        w: [0; KEY_WORDS],
    };

    fn words(&self) -> &[u64] {
        self.w.get(..usize::from(self.len)).unwrap_or(&self.w)
    }

    fn push(&mut self, v: u64) {
        if let Some(slot) = self.w.get_mut(usize::from(self.len)) {
            *slot = v;
            self.len += 1;
        }
    }

    fn push_ip(&mut self, a: IpAddr) {
        let n = ipn(a);
        self.push((n >> 64) as u64);
        self.push(n as u64);
    }
}

/// Address as a key number; IPv4 tagged so it never equals an IPv6 address, except that the
/// cleared (unspecified) address of either family is one key (`-A proto` mixes families).
fn ipn(a: IpAddr) -> u128 {
    if a.is_unspecified() {
        return 0;
    }
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)) | (1u128 << 127),
        IpAddr::V6(v) => u128::from(v),
    }
}

/// The record reduced to the listed fields (everything else cleared except counters/times).
fn masked(r: &FlowRecord, fields: &[AggField]) -> FlowRecord {
    let mut m = FlowRecord {
        ext: r.ext,
        nfversion: r.nfversion,
        flags: r.flags,
        exporter_sysid: 0,
        first_ms: r.first_ms,
        last_ms: r.last_ms,
        in_packets: r.in_packets,
        in_bytes: r.in_bytes,
        out_packets: r.out_packets,
        out_bytes: r.out_bytes,
        flows: r.flows,
        ..FlowRecord::default()
    };
    // Addresses keep their family even when not aggregated on.
    let zero = |a: IpAddr| match a {
        IpAddr::V4(_) => IpAddr::V4(0.into()),
        IpAddr::V6(_) => IpAddr::V6(0.into()),
    };
    m.src_addr = zero(r.src_addr);
    m.dst_addr = zero(r.dst_addr);
    for f in fields {
        match *f {
            AggField::SrcIp(b) => {
                m.src_addr = b.map_or(r.src_addr, |b| agg_mask(r.src_addr, b, false));
            }
            AggField::DstIp(b) => {
                m.dst_addr = b.map_or(r.dst_addr, |b| agg_mask(r.dst_addr, b, false));
            }
            AggField::SrcIp4(b) => m.src_addr = agg_mask(r.src_addr, b, true),
            AggField::DstIp4(b) => m.dst_addr = agg_mask(r.dst_addr, b, true),
            AggField::SrcNet => {
                m.src_addr = mask_addr(r.src_addr, r.src_mask);
                m.src_mask = r.src_mask;
            }
            AggField::DstNet => {
                m.dst_addr = mask_addr(r.dst_addr, r.dst_mask);
                m.dst_mask = r.dst_mask;
            }
            AggField::SrcPort => m.src_port = r.src_port,
            AggField::DstPort => m.dst_port = r.dst_port,
            AggField::Proto => m.proto = r.proto,
            AggField::SrcAs => m.src_as = r.src_as,
            AggField::DstAs => m.dst_as = r.dst_as,
            AggField::NextAs => m.next_as = r.next_as,
            AggField::PrevAs => m.prev_as = r.prev_as,
            AggField::InIf => m.input = r.input,
            AggField::OutIf => m.output = r.output,
            AggField::Next => m.ip_next_hop = r.ip_next_hop,
            AggField::BgpNext => m.bgp_next_hop = r.bgp_next_hop,
            AggField::Router => m.received_ip = r.received_ip,
            AggField::InSrcMac => m.in_src_mac = r.in_src_mac,
            AggField::OutDstMac => m.out_dst_mac = r.out_dst_mac,
            AggField::InDstMac => m.in_dst_mac = r.in_dst_mac,
            AggField::OutSrcMac => m.out_src_mac = r.out_src_mac,
            AggField::SrcVlan => m.src_vlan = r.src_vlan,
            AggField::DstVlan => m.dst_vlan = r.dst_vlan,
            AggField::SrcMask => m.src_mask = r.src_mask,
            AggField::DstMask => m.dst_mask = r.dst_mask,
            AggField::Tos | AggField::SrcTos => m.src_tos = r.src_tos,
            AggField::DstTos => m.dst_tos = r.dst_tos,
            AggField::Mpls(i) => {
                let i = usize::from(i);
                if let (Some(d), Some(s)) = (m.mpls.get_mut(i), r.mpls.get(i)) {
                    *d = *s;
                }
            }
            AggField::Odid => m.obs_domain_id = r.obs_domain_id,
            AggField::Opid => m.obs_point_id = r.obs_point_id,
            AggField::XSrcIp => m.xlate_src_ip = r.xlate_src_ip,
            AggField::XDstIp => m.xlate_dst_ip = r.xlate_dst_ip,
            AggField::XSrcPort => m.xlate_src_port = r.xlate_src_port,
            AggField::XDstPort => m.xlate_dst_port = r.xlate_dst_port,
        }
    }
    m
}

/// An address masked for `-A srcip4/N` (`v4_mask`) or `srcip6/N`. nfdump 1.7.1 applies the
/// mask to its 128-bit address word whatever the family: an IPv4 mask on an IPv6 address
/// masks only the low 32 bits, an IPv6 mask on an IPv4 address keeps `N - 96` bits.
/// Reproduced as observed so aggregated output matches.
fn agg_mask(a: IpAddr, bits: u8, v4_mask: bool) -> IpAddr {
    match (a, v4_mask) {
        (IpAddr::V4(_), true) | (IpAddr::V6(_), false) => mask_addr(a, bits),
        (IpAddr::V6(v), true) => {
            let n = u128::from(v);
            let m = if bits >= 32 {
                u32::MAX
            } else {
                !(u32::MAX >> bits)
            };
            IpAddr::V6((n & !u128::from(u32::MAX) | u128::from(n as u32 & m)).into())
        }
        (IpAddr::V4(v), false) => {
            let keep = bits.saturating_sub(96);
            if keep == 0 {
                IpAddr::V4(0.into())
            } else {
                mask_addr(IpAddr::V4(v), keep)
            }
        }
    }
}

/// The key of `r` for the listed fields, computed without building the masked record.
/// Builds the key of `r` for the `-A` fields into `k` (reused from record to record: a key
/// is 264 bytes, and zeroing and returning a fresh one per record cost a fifth of `-A`).
fn custom_key(k: &mut Key, r: &FlowRecord, fields: &[AggField]) {
    k.len = 0;
    for f in fields {
        match *f {
            AggField::SrcIp(b) => {
                k.push_ip(b.map_or(r.src_addr, |b| agg_mask(r.src_addr, b, false)));
            }
            AggField::DstIp(b) => {
                k.push_ip(b.map_or(r.dst_addr, |b| agg_mask(r.dst_addr, b, false)));
            }
            AggField::SrcIp4(b) => k.push_ip(agg_mask(r.src_addr, b, true)),
            AggField::DstIp4(b) => k.push_ip(agg_mask(r.dst_addr, b, true)),
            AggField::SrcNet => {
                k.push_ip(mask_addr(r.src_addr, r.src_mask));
                k.push(r.src_mask.into());
            }
            AggField::DstNet => {
                k.push_ip(mask_addr(r.dst_addr, r.dst_mask));
                k.push(r.dst_mask.into());
            }
            AggField::SrcPort => k.push(r.src_port.into()),
            AggField::DstPort => k.push(r.dst_port.into()),
            AggField::Proto => k.push(r.proto.into()),
            AggField::SrcAs => k.push(r.src_as.into()),
            AggField::DstAs => k.push(r.dst_as.into()),
            AggField::NextAs => k.push(r.next_as.into()),
            AggField::PrevAs => k.push(r.prev_as.into()),
            AggField::InIf => k.push(r.input.into()),
            AggField::OutIf => k.push(r.output.into()),
            AggField::Next => k.push_ip(r.ip_next_hop),
            AggField::BgpNext => k.push_ip(r.bgp_next_hop),
            AggField::Router => k.push_ip(r.received_ip),
            AggField::InSrcMac => k.push(r.in_src_mac),
            AggField::OutDstMac => k.push(r.out_dst_mac),
            AggField::InDstMac => k.push(r.in_dst_mac),
            AggField::OutSrcMac => k.push(r.out_src_mac),
            AggField::SrcVlan => k.push(r.src_vlan.into()),
            AggField::DstVlan => k.push(r.dst_vlan.into()),
            AggField::SrcMask => k.push(r.src_mask.into()),
            AggField::DstMask => k.push(r.dst_mask.into()),
            AggField::Tos | AggField::SrcTos => k.push(r.src_tos.into()),
            AggField::DstTos => k.push(r.dst_tos.into()),
            AggField::Mpls(i) => k.push(r.mpls.get(usize::from(i)).copied().unwrap_or(0).into()),
            AggField::Odid => k.push(r.obs_domain_id.into()),
            AggField::Opid => k.push(r.obs_point_id),
            AggField::XSrcIp => k.push_ip(r.xlate_src_ip),
            AggField::XDstIp => k.push_ip(r.xlate_dst_ip),
            AggField::XSrcPort => k.push(r.xlate_src_port.into()),
            AggField::XDstPort => k.push(r.xlate_dst_port.into()),
        }
    }
}

/// The 5-tuple key into `k`: src (2 words), dst (2 words), ports and protocol.
fn five_tuple(k: &mut Key, r: &FlowRecord) {
    k.len = 0;
    k.push_ip(r.src_addr);
    k.push_ip(r.dst_addr);
    k.push(u64::from(r.proto) << 32 | u64::from(r.src_port) << 16 | u64::from(r.dst_port));
}

/// The 5-tuple key of the opposite direction.
fn reversed(k: &Key) -> Key {
    let mut x = *k;
    x.w.swap(0, 2);
    x.w.swap(1, 3);
    let p = x.w[4];
    x.w[4] = (p & !0xffff_ffff) | (p & 0xffff) << 16 | (p >> 16) & 0xffff;
    x
}

/// What an aggregated flow accumulates: counters, TCP flags of both directions, and where its
/// first record lies (the record itself is read again for output, see [`Aggregated`]).
#[derive(Clone, Copy, Debug)]
struct Acc {
    c: Counters,
    flags: u8,
    /// TCP flags seen in the reverse direction (bidir), kept so merging stays exact.
    rev_flags: u8,
    at: Loc,
}

impl Acc {
    fn new(at: Loc) -> Acc {
        Acc {
            c: Counters::EMPTY,
            flags: 0,
            rev_flags: 0,
            at,
        }
    }

    fn add(&mut self, r: &FlowRecord, reverse: bool) {
        if reverse {
            let mut c = Counters::EMPTY;
            c.add(r);
            swap_dirs(&mut c);
            self.c.merge(&c);
            self.rev_flags |= r.tcp_flags;
        } else {
            self.c.add(r);
            self.flags |= r.tcp_flags;
        }
    }

    /// Merges `o`, seen in the reverse direction when `reverse`; the earlier first record wins.
    fn merge(&mut self, o: &Acc, reverse: bool) {
        let mut c = o.c;
        if reverse {
            swap_dirs(&mut c);
            self.flags |= o.rev_flags;
            self.rev_flags |= o.flags;
        } else {
            self.flags |= o.flags;
            self.rev_flags |= o.rev_flags;
        }
        self.c.merge(&c);
        self.at = self.at.min(o.at);
    }

    /// The same flow seen from the other direction (bidir re-orientation).
    fn flip(&mut self) {
        swap_dirs(&mut self.c);
        std::mem::swap(&mut self.flags, &mut self.rev_flags);
    }
}

fn swap_dirs(c: &mut Counters) {
    std::mem::swap(&mut c.in_packets, &mut c.out_packets);
    std::mem::swap(&mut c.in_bytes, &mut c.out_bytes);
}

/// 32 well-mixed bits of a key's hash, kept in the table slot next to the entry index.
fn key_hash(w: &[u64]) -> u32 {
    use std::hash::Hasher;
    let mut h = crate::stat::FastHasher::default();
    for &x in w {
        h.write_u64(x);
    }
    (h.finish() >> 32) as u32
}

/// The table's hash of a slot, computed from the slot alone: growing the table then never
/// touches the keys (a cache miss per entry on millions of flows).
fn slot_hash(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A table slot: the key's 32-bit hash and the entry index.
fn slot(h: u32, idx: usize) -> u64 {
    // More than u32::MAX distinct flows cannot be held in memory anyway.
    u64::from(h) << 32 | u64::from(u32::try_from(idx).unwrap_or(u32::MAX))
}

fn slot_index(s: u64) -> usize {
    (s & 0xffff_ffff) as usize
}

fn same_words(a: &[u64], b: &[u64]) -> bool {
    // A plain loop: the keys are a handful of words, too short for a `memcmp` call to pay.
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// One shard of an [`Aggregator`]: the keys whose hash falls into it.
///
/// Memory is what makes `-a` over millions of distinct flows feasible: keys are stored once in
/// a flat vector (`kw` words each), the hash table holds only a hash and an entry index per
/// slot, and an entry keeps counters and the location of its first record, about 130 bytes per
/// flow instead of a whole record.
#[derive(Debug)]
struct Shard {
    mode: Mode,
    /// Words per key (all keys of one mode have the same width); 0 before the first key.
    kw: usize,
    table: hashbrown::HashTable<u64>,
    keys: Vec<u64>,
    accs: Vec<Acc>,
}

impl Shard {
    fn new(mode: Mode) -> Shard {
        Shard {
            mode,
            kw: 0,
            table: hashbrown::HashTable::new(),
            keys: Vec::new(),
            accs: Vec::new(),
        }
    }

    fn bidir(&self) -> bool {
        matches!(self.mode, Mode::Bidir { .. })
    }

    fn key_of(&self, i: usize) -> &[u64] {
        self.keys.get(i * self.kw..(i + 1) * self.kw).unwrap_or(&[])
    }

    fn lookup(&self, k: &[u64]) -> Option<usize> {
        let h = key_hash(k);
        let (keys, kw) = (&self.keys, self.kw);
        self.table
            .find(slot_hash(h), |&s| {
                (s >> 32) as u32 == h
                    && keys
                        .get(slot_index(s) * kw..(slot_index(s) + 1) * kw)
                        .is_some_and(|x| same_words(x, k))
            })
            .map(|&s| slot_index(s))
    }

    /// The entry for `k` (or for its reverse in bidir mode, flagged `true`).
    fn find(&self, k: &Key, proto: u8) -> Option<(usize, bool)> {
        if let Some(i) = self.lookup(k.words()) {
            return Some((i, false));
        }
        if self.bidir() && (proto == 6 || proto == 17) {
            return self.lookup(reversed(k).words()).map(|i| (i, true));
        }
        None
    }

    fn insert(&mut self, k: &Key, a: Acc) {
        if self.kw == 0 {
            self.kw = k.words().len();
        }
        let h = key_hash(k.words());
        let s = slot(h, self.accs.len());
        self.keys.extend_from_slice(k.words());
        self.accs.push(a);
        self.table
            .insert_unique(slot_hash(h), s, |&s| slot_hash((s >> 32) as u32));
    }

    /// Re-keys entry `i` to `k` (the same bidir flow seen first in the other direction).
    fn rekey(&mut self, i: usize, k: &Key) {
        let old = key_hash(self.key_of(i));
        if let Ok(e) = self
            .table
            .find_entry(slot_hash(old), |&s| slot_index(s) == i)
        {
            e.remove();
        }
        if let Some(slot) = self.keys.get_mut(i * self.kw..(i + 1) * self.kw) {
            slot.copy_from_slice(k.words());
        }
        let h = key_hash(k.words());
        self.table
            .insert_unique(slot_hash(h), slot(h, i), |&s| slot_hash((s >> 32) as u32));
        if let Some(a) = self.accs.get_mut(i) {
            a.flip();
        }
    }

    /// The entry for `key` and whether it holds the reverse direction. A reverse entry whose
    /// first record came after `at` is re-keyed first: the earlier direction is the flow's.
    fn entry_for(&mut self, key: &Key, proto: u8, at: Loc) -> Option<(usize, bool)> {
        let (i, rev) = self.find(key, proto)?;
        if rev && self.accs.get(i).is_some_and(|a| at < a.at) {
            self.rekey(i, key);
            return Some((i, false));
        }
        Some((i, rev))
    }

    /// Adds `r` with key `key`, first seen at `at`.
    fn add_keyed(&mut self, key: &Key, r: &FlowRecord, at: Loc) {
        match self.entry_for(key, r.proto, at) {
            Some((i, rev)) => {
                if let Some(a) = self.accs.get_mut(i) {
                    a.add(r, rev);
                    a.at = a.at.min(at);
                }
            }
            None => {
                let mut a = Acc::new(at);
                a.add(r, false);
                self.insert(key, a);
            }
        }
    }

    /// Entry `i` with its `-B` swap decision.
    fn done(&self, i: usize) -> Option<Done> {
        let acc = *self.accs.get(i)?;
        // The 5-tuple key's last word holds protocol and ports of the first record's
        // direction: enough to decide -B's client/server swap without the record.
        let swapped = matches!(self.mode, Mode::Bidir { swap: true })
            && self
                .keys
                .get((i + 1) * self.kw - 1)
                .is_some_and(|&w| needs_swap(w));
        Some(Done { acc, swapped })
    }
}

/// Shards per aggregation cache: merging two caches merges shard by shard in parallel.
const SHARDS: usize = 16;

/// Aggregation cache, one per worker thread, merged at the end ([`Accumulator`]). Keys are
/// spread over [`SHARDS`] independent tables by hash, so the end-of-scan merge of millions of
/// flows runs on every thread instead of one.
#[derive(Debug)]
pub struct Aggregator {
    mode: Mode,
    shards: Vec<Shard>,
    /// The key of the record being added.
    key: Key,
}

impl Aggregator {
    /// An empty cache.
    pub fn new(mode: Mode) -> Aggregator {
        Aggregator {
            shards: (0..SHARDS).map(|_| Shard::new(mode.clone())).collect(),
            mode,
            key: Key::EMPTY,
        }
    }

    /// The shard of `k`. In bidir mode both directions of a flow must meet in one shard, so
    /// the choice depends only on direction-independent parts of the 5-tuple.
    fn shard_of(mode: &Mode, k: &Key) -> usize {
        let w = k.words();
        let h = match (mode, w) {
            (Mode::Bidir { .. }, [s0, s1, d0, d1, p, ..]) => {
                let ports = (p >> 16 & 0xffff) ^ (p & 0xffff);
                (s0 ^ d0) ^ (s1 ^ d1) ^ ports ^ (p >> 32) << 40
            }
            _ => w.iter().fold(0u64, |h, &x| h.rotate_left(7) ^ x),
        };
        (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 60) as usize % SHARDS
    }

    /// Number of aggregated flows.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.accs.len()).sum()
    }

    /// Whether nothing was aggregated.
    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(|s| s.accs.is_empty())
    }

    /// The aggregated flows, ready to be ranked and completed with their first records.
    pub fn finish(mut self) -> Aggregated {
        let mut offsets = Vec::with_capacity(self.shards.len() + 1);
        let mut n = 0;
        for sh in &mut self.shards {
            // The lookup table is not needed any more: give its memory back before output.
            sh.table = hashbrown::HashTable::new();
            offsets.push(n);
            n += sh.accs.len();
        }
        offsets.push(n);
        Aggregated {
            mode: self.mode,
            shards: self.shards,
            offsets,
        }
    }
}

impl Accumulator for Aggregator {
    fn add(&mut self, r: &FlowRecord, at: Loc) {
        match &self.mode {
            Mode::FiveTuple | Mode::Bidir { .. } => five_tuple(&mut self.key, r),
            Mode::Custom(fields) => custom_key(&mut self.key, r, fields),
        }
        let n = Self::shard_of(&self.mode, &self.key);
        if let Some(s) = self.shards.get_mut(n) {
            s.add_keyed(&self.key, r, at);
        }
    }

    fn merge(&mut self, other: Aggregator) {
        use rayon::prelude::*;
        self.shards
            .par_iter_mut()
            .zip(other.shards.into_par_iter())
            .for_each(|(a, b)| a.merge(b));
    }
}

/// Whether `-B` shows this TCP/UDP flow reversed (the client, with the higher port, as
/// source); `w` is the 5-tuple key word `proto << 32 | src_port << 16 | dst_port`.
fn needs_swap(w: u64) -> bool {
    let proto = (w >> 32) as u8;
    let (sp, dp) = ((w >> 16) as u16, w as u16);
    (proto == 6 || proto == 17)
        && ((sp < 1024 && dp >= 1024) || (sp < 32768 && dp >= 32768) || (sp < 49152 && dp >= 49152))
}

impl Shard {
    fn merge(&mut self, other: Shard) {
        if self.accs.is_empty() {
            *self = other;
            return;
        }
        let mut key = Key::EMPTY;
        for (j, o) in other.accs.iter().enumerate() {
            key.len = 0;
            for &w in other.key_of(j) {
                key.push(w);
            }
            let proto = (key.w[4] >> 32) as u8;
            match self.entry_for(&key, proto, o.at) {
                Some((i, rev)) => {
                    if let Some(a) = self.accs.get_mut(i) {
                        a.merge(o, rev);
                    }
                }
                None => self.insert(&key, *o),
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Done {
    acc: Acc,
    /// `-B` swaps this flow's direction for output.
    swapped: bool,
}

/// Finished aggregation. Entries are numbered across the shards; the output records are
/// built from each entry's first record (read again by location) and its counters, see
/// [`Aggregated::record`].
#[derive(Debug)]
pub struct Aggregated {
    mode: Mode,
    shards: Vec<Shard>,
    /// Number of the first entry of each shard, and the total at the end.
    offsets: Vec<usize>,
}

/// How an entry ranks: smaller is better (`value` already inverted for descending orders),
/// ties by first appearance.
type RankKey = (u64, Loc);

impl Aggregated {
    /// Number of aggregated flows.
    pub fn len(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, id: usize) -> Option<Done> {
        let s = self.offsets.partition_point(|&o| o <= id).checked_sub(1)?;
        self.shards.get(s)?.done(id - self.offsets.get(s)?)
    }

    /// Every entry with its (shard-local) data, numbered.
    fn all(&self) -> impl Iterator<Item = (usize, Done)> + '_ {
        self.shards
            .iter()
            .zip(&self.offsets)
            .flat_map(|(sh, &o)| (0..sh.accs.len()).filter_map(move |i| Some((o + i, sh.done(i)?))))
    }

    /// Where entry `id`'s first record lies.
    pub fn first_at(&self, id: usize) -> Loc {
        self.get(id).map(|e| e.acc.at).unwrap_or_default()
    }

    /// The entries in first-seen order (the listing order without `-O`).
    pub fn first_seen_order(&self) -> Vec<usize> {
        use rayon::prelude::*;
        let mut v: Vec<(Loc, u32)> = self
            .all()
            .map(|(id, d)| (d.acc.at, u32::try_from(id).unwrap_or(u32::MAX)))
            .collect();
        v.par_sort_unstable();
        v.into_iter().map(|(_, id)| id as usize).collect()
    }

    /// Entry ids ranked by `order` (`asc` ascending), ties in first-seen order; only the
    /// first `top` (0 = all). Values are those of the printed record (after `-B` swapping).
    pub fn rank(&self, order: Order, asc: bool, top: usize) -> Vec<usize> {
        let key = |d: &Done| -> RankKey {
            let mut c = d.acc.c;
            if d.swapped {
                swap_dirs(&mut c);
            }
            let v = c.value(order);
            (if asc { v } else { u64::MAX - v }, d.acc.at)
        };
        if top == 0 || top >= self.len() {
            let mut all: Vec<(RankKey, usize)> = self.all().map(|(id, d)| (key(&d), id)).collect();
            all.sort_unstable();
            return all.into_iter().map(|(_, id)| id).collect();
        }
        // The best `top` in one pass: a heap holding the worst kept entry on top.
        let mut heap: std::collections::BinaryHeap<(RankKey, usize)> =
            std::collections::BinaryHeap::with_capacity(top + 1);
        for (id, d) in self.all() {
            let k = key(&d);
            if heap.len() < top {
                heap.push((k, id));
            } else if heap.peek().is_some_and(|w| (k, id) < *w) {
                heap.pop();
                heap.push((k, id));
            }
        }
        heap.into_sorted_vec()
            .into_iter()
            .map(|(_, id)| id)
            .collect()
    }

    /// The output record of entry `i`, given its first record.
    pub fn record(&self, i: usize, first: &FlowRecord) -> FlowRecord {
        let Some(e) = self.get(i) else {
            return first.clone();
        };
        let mut r = match &self.mode {
            Mode::Custom(fields) => masked(first, fields),
            _ => first.clone(),
        };
        let c = &e.acc.c;
        r.first_ms = c.first_ms;
        r.last_ms = c.last_ms;
        r.in_packets = c.in_packets;
        r.out_packets = c.out_packets;
        r.in_bytes = c.in_bytes;
        r.out_bytes = c.out_bytes;
        r.flows = c.flows;
        // -A masks the TCP flags like every field outside the key (nfdump prints none).
        r.tcp_flags = if matches!(self.mode, Mode::Custom(_)) {
            0
        } else {
            e.acc.flags
        };
        r.ext.set(ext_id::CNT_FLOW);
        if e.swapped {
            std::mem::swap(&mut r.src_addr, &mut r.dst_addr);
            std::mem::swap(&mut r.src_port, &mut r.dst_port);
            std::mem::swap(&mut r.src_as, &mut r.dst_as);
            std::mem::swap(&mut r.input, &mut r.output);
            std::mem::swap(&mut r.in_packets, &mut r.out_packets);
            std::mem::swap(&mut r.in_bytes, &mut r.out_bytes);
        }
        r
    }
}

/// Sorts records by `order` (`asc` ascending), stable so ties keep input order.
pub fn sort_records(recs: &mut [FlowRecord], order: Order, asc: bool) {
    let val = |r: &FlowRecord| {
        let mut c = Counters::EMPTY;
        c.add(r);
        c.value(order)
    };
    if asc {
        recs.sort_by_cached_key(val);
    } else {
        recs.sort_by_cached_key(|r| std::cmp::Reverse(val(r)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aggregates `recs` (record `i` at position `i` of block 0) in the given order of
    /// indices, split into two accumulators at `cut`, and returns the output records.
    fn aggregate(mode: &Mode, recs: &[FlowRecord], order: &[usize], cut: usize) -> Vec<FlowRecord> {
        let mut a = Aggregator::new(mode.clone());
        let mut b = Aggregator::new(mode.clone());
        for (n, &i) in order.iter().enumerate() {
            let at = Loc {
                pos: i as u32,
                ..Loc::default()
            };
            let acc = if n < cut { &mut a } else { &mut b };
            acc.add(&recs[i], at);
        }
        a.merge(b);
        let done = a.finish();
        done.first_seen_order()
            .into_iter()
            .map(|i| done.record(i, &recs[done.first_at(i).pos as usize]))
            .collect()
    }

    fn in_order(mode: &Mode, recs: &[FlowRecord]) -> Vec<FlowRecord> {
        let order: Vec<usize> = (0..recs.len()).collect();
        aggregate(mode, recs, &order, recs.len())
    }

    fn rec(src: &str, dst: &str, sp: u16, dp: u16, pk: u64) -> FlowRecord {
        FlowRecord {
            src_addr: src.parse().unwrap(),
            dst_addr: dst.parse().unwrap(),
            src_port: sp,
            dst_port: dp,
            proto: 6,
            in_packets: pk,
            in_bytes: pk * 100,
            first_ms: 1000 + pk,
            last_ms: 2000 + pk,
            ..FlowRecord::default()
        }
    }

    #[test]
    fn parse_lists() {
        let l = parse_list("srcip,dstport").unwrap();
        // The spacing nfdump 1.7.1 really prints (its man page shows single spaces).
        assert_eq!(l.fmt, "%ts %td  %sa %dp  %pkt %byt %bps %bpp %fl");
        assert_eq!(
            parse_list("srcip4").unwrap_err(),
            "'srcip4' needs number of subnet bits to aggregate"
        );
        assert_eq!(
            parse_list("proto/8").unwrap_err(),
            "'proto' No subnet bits allowed here"
        );
        assert_eq!(
            parse_list("srcip,srcip4/24").unwrap_err(),
            "Duplicate aggregation mask: srcip"
        );
        assert_eq!(
            parse_list("x").unwrap_err(),
            "Unknown aggregation field 'x'"
        );
    }

    #[test]
    fn masks_and_merges_in_order() {
        let l = parse_list("srcip4/16").unwrap();
        let recs = [
            rec("10.1.2.3", "1.1.1.1", 1, 2, 1),
            rec("10.2.0.1", "1.1.1.1", 1, 2, 2),
            rec("10.1.9.9", "2.2.2.2", 3, 4, 3),
        ];
        let out = aggregate(&Mode::Custom(l.fields), &recs, &[0, 1, 2], 1);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].src_addr.to_string(), "10.1.0.0");
        assert_eq!((out[0].in_packets, out[0].flows), (4, 2));
        assert_eq!(out[0].dst_addr.to_string(), "0.0.0.0");
        assert_eq!(out[1].src_addr.to_string(), "10.2.0.0");
    }

    #[test]
    fn bidir_merges_reverse_direction() {
        let recs = [
            rec("10.0.0.2", "10.0.0.1", 80, 40000, 3),
            rec("10.0.0.1", "10.0.0.2", 40000, 80, 5),
        ];
        let out = in_order(&Mode::Bidir { swap: true }, &recs);
        assert_eq!(out.len(), 1);
        // -B shows the client (high port) as source.
        assert_eq!(
            (out[0].src_port, out[0].in_packets, out[0].out_packets),
            (40000, 5, 3)
        );
    }

    fn small_record(v: (u8, u8, u8, u8, u8, u64)) -> FlowRecord {
        let (s, d, sp, dp, proto, pk) = v;
        FlowRecord {
            src_addr: IpAddr::V4([10, 0, 0, s % 4].into()),
            dst_addr: IpAddr::V4([10, 0, 0, d % 4].into()),
            src_port: u16::from(sp % 3) * 1000 + 80,
            dst_port: u16::from(dp % 3) * 1000 + 80,
            proto: [6, 17, 1][usize::from(proto % 3)],
            tcp_flags: 1 << (sp % 8),
            in_packets: pk,
            in_bytes: pk * 60,
            first_ms: 1000 * pk,
            last_ms: 1000 * pk + u64::from(d),
            ..FlowRecord::default()
        }
    }

    /// Random small flows (few distinct keys, so aggregation merges and ranks tie often).
    fn flows(
        max_packets: u64,
        n: usize,
    ) -> impl proptest::strategy::Strategy<Value = Vec<FlowRecord>> {
        use proptest::strategy::Strategy as _;
        proptest::collection::vec(
            (0u8..8, 0u8..8, 0u8..8, 0u8..8, 0u8..3, 1u64..max_packets),
            0..n,
        )
        .prop_map(|v| v.into_iter().map(small_record).collect())
    }

    proptest::proptest! {
        /// The one-pass top-N ranking equals the first N of the full ranking, ties included.
        #[test]
        fn top_n_is_the_prefix_of_the_full_ranking(
            recs in flows(5, 80),
            top in 1usize..20,
            asc in proptest::bool::ANY,
        ) {
            let mut a = Aggregator::new(Mode::FiveTuple);
            for (i, r) in recs.iter().enumerate() {
                a.add(r, Loc { pos: i as u32, ..Loc::default() });
            }
            let done = a.finish();
            for order in [Order::Bytes, Order::Flows, Order::Bps] {
                let full = done.rank(order, asc, 0);
                let part = done.rank(order, asc, top);
                proptest::prop_assert_eq!(&full[..top.min(full.len())], &part[..]);
            }
        }
    }

    proptest::proptest! {
        /// Whatever the order records arrive in and however they are split between two
        /// accumulators, the result equals aggregating them in reading order in one cache.
        #[test]
        fn any_order_and_split_equals_one_pass(
            recs in flows(50, 60),
            cut in 0usize..60,
            mode_pick in 0u8..4,
            shuffle in proptest::collection::vec(0usize..1000, 0..60),
        ) {
            let mode = match mode_pick {
                0 => Mode::FiveTuple,
                1 => Mode::Bidir { swap: false },
                2 => Mode::Bidir { swap: true },
                _ => Mode::Custom(parse_list("srcip4/24,proto").unwrap().fields),
            };
            let mut order: Vec<usize> = (0..recs.len()).collect();
            for (k, s) in shuffle.iter().enumerate().take(order.len()) {
                let j = s % order.len();
                order.swap(k, j);
            }
            let whole = in_order(&mode, &recs);
            let split = aggregate(&mode, &recs, &order, cut.min(recs.len()));
            proptest::prop_assert_eq!(&whole, &split);
            let flows: u64 = whole.iter().map(|r| r.flows).sum();
            proptest::prop_assert_eq!(flows, recs.len() as u64);
        }
    }
}
