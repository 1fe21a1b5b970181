//! Element statistics (`-s name[:p][/order...]`): per-key counters kept in hash maps with
//! compact fixed-size keys, filled per block and merged, then ranked and printed as nfdump
//! 1.7.1's "Top N ... ordered by ..." tables.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rf_format::{FileStats, FlowRecord};

use crate::engine::{Accumulator, Loc, Partial};
use crate::order::{Counters, Order};
use crate::render;

/// A small multiply-rotate hasher for the fixed-size keys (no per-record allocation, much
/// cheaper than SipHash; the keys are not attacker-chosen collision targets that matter here:
/// worst case is slower statistics).
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // The product's high bits mix every input bit; the table indexes by the low bits.
        self.0.rotate_left(26)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u128(&mut self, i: u128) {
        self.write_u64(i as u64);
        self.write_u64((i >> 64) as u64);
    }
}

/// Hash map with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The key of one statistics entry: the value (addresses as 128-bit numbers), its family and
/// the protocol when split by protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// The value.
    pub v: u128,
    /// Whether `v` is an IPv6 address.
    pub v6: bool,
    /// Protocol (0 unless split by protocol).
    pub proto: u8,
}

impl std::hash::Hash for Key {
    /// One hasher round for the whole key (the statistics' inner loop hashes twice per record
    /// for `-s ip`): the high half is folded into the low one with the family and protocol.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let hi = ((self.v >> 64) as u64).rotate_left(29);
        let tag = u64::from(self.proto) << 56 | u64::from(self.v6) << 48;
        state.write_u64(self.v as u64 ^ hi ^ tag);
    }
}

/// How a statistic's value prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Show {
    Addr,
    Num,
    Mac,
    Mpls,
    /// `0x` and lower-case hex digits, no padding (observation domain and point ids).
    Hex,
    /// A latency kept in µs, printed in ms with three decimals.
    Latency,
}

/// Record fields a statistic counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    SrcIp,
    DstIp,
    NextHop,
    BgpNextHop,
    Router,
    SrcPort,
    DstPort,
    Proto,
    SrcTos,
    DstTos,
    Dir,
    SrcAs,
    DstAs,
    PrevAs,
    NextAs,
    InIf,
    OutIf,
    SrcMask,
    DstMask,
    SrcVlan,
    DstVlan,
    InSrcMac,
    OutDstMac,
    InDstMac,
    OutSrcMac,
    Mpls(u8),
    ClientLat,
    ServerLat,
    ApplLat,
    Odid,
    Opid,
    XSrcIp,
    XDstIp,
    XSrcPort,
    XDstPort,
    Ivrf,
    Evrf,
}

/// A statistic's value of one record: most fit in a `u64`, so the per-record path can build
/// the compact key without 128-bit arithmetic.
#[derive(Clone, Copy)]
enum Val {
    Num(u64),
    V6(u128),
}

impl Val {
    /// The value as a 128-bit number and whether it is an IPv6 address.
    fn wide(self) -> (u128, bool) {
        match self {
            Val::Num(v) => (u128::from(v), false),
            Val::V6(v) => (v, true),
        }
    }
}

fn ip_val(a: IpAddr) -> Val {
    match a {
        IpAddr::V4(v) => Val::Num(u64::from(v.to_bits())),
        IpAddr::V6(v) => Val::V6(v.to_bits()),
    }
}

impl Field {
    // Not inlined: inlined into the per-record loop, the compiler computed every arm's
    // value (seven byte-swapped addresses) for each record before looking at the field, which
    // tripled the cost of `-s proto`.
    #[inline(never)]
    fn value(self, r: &FlowRecord) -> Val {
        use Field::*;
        let n = Val::Num;
        match self {
            SrcIp => ip_val(r.src_addr),
            DstIp => ip_val(r.dst_addr),
            NextHop => ip_val(r.ip_next_hop),
            BgpNextHop => ip_val(r.bgp_next_hop),
            Router => ip_val(r.received_ip),
            XSrcIp => ip_val(r.xlate_src_ip),
            XDstIp => ip_val(r.xlate_dst_ip),
            SrcPort => n(r.src_port.into()),
            DstPort => n(r.dst_port.into()),
            Proto => n(r.proto.into()),
            SrcTos => n(r.src_tos.into()),
            DstTos => n(r.dst_tos.into()),
            Dir => n(r.dir.into()),
            SrcAs => n(r.src_as.into()),
            DstAs => n(r.dst_as.into()),
            PrevAs => n(r.prev_as.into()),
            NextAs => n(r.next_as.into()),
            InIf => n(r.input.into()),
            OutIf => n(r.output.into()),
            SrcMask => n(r.src_mask.into()),
            DstMask => n(r.dst_mask.into()),
            SrcVlan => n(r.src_vlan.into()),
            DstVlan => n(r.dst_vlan.into()),
            InSrcMac => n(r.in_src_mac),
            OutDstMac => n(r.out_dst_mac),
            InDstMac => n(r.in_dst_mac),
            OutSrcMac => n(r.out_src_mac),
            Mpls(i) => n(r.mpls.get(usize::from(i)).copied().unwrap_or(0).into()),
            ClientLat => n(r.client_nw_delay_us),
            ServerLat => n(r.server_nw_delay_us),
            ApplLat => n(r.appl_latency_us),
            Odid => n(r.obs_domain_id.into()),
            Opid => n(r.obs_point_id),
            XSrcPort => n(r.xlate_src_port.into()),
            XDstPort => n(r.xlate_dst_port.into()),
            Ivrf => n(r.ingress_vrf.into()),
            Evrf => n(r.egress_vrf.into()),
        }
    }
}

impl Field {
    /// The [`FlowRecord`] field (native column name) the statistic reads.
    fn column(self) -> &'static str {
        use Field::*;
        match self {
            SrcIp => "src_addr",
            DstIp => "dst_addr",
            NextHop => "ip_next_hop",
            BgpNextHop => "bgp_next_hop",
            Router => "received_ip",
            XSrcIp => "xlate_src_ip",
            XDstIp => "xlate_dst_ip",
            SrcPort => "src_port",
            DstPort => "dst_port",
            Proto => "proto",
            SrcTos => "src_tos",
            DstTos => "dst_tos",
            Dir => "dir",
            SrcAs => "src_as",
            DstAs => "dst_as",
            PrevAs => "prev_as",
            NextAs => "next_as",
            InIf => "input",
            OutIf => "output",
            SrcMask => "src_mask",
            DstMask => "dst_mask",
            SrcVlan => "src_vlan",
            DstVlan => "dst_vlan",
            InSrcMac => "in_src_mac",
            OutDstMac => "out_dst_mac",
            InDstMac => "in_dst_mac",
            OutSrcMac => "out_src_mac",
            Mpls(_) => "mpls",
            ClientLat => "client_nw_delay_us",
            ServerLat => "server_nw_delay_us",
            ApplLat => "appl_latency_us",
            Odid => "obs_domain_id",
            Opid => "obs_point_id",
            XSrcPort => "xlate_src_port",
            XDstPort => "xlate_dst_port",
            Ivrf => "ingress_vrf",
            Evrf => "egress_vrf",
        }
    }
}

/// One `-s` element type.
#[derive(Debug)]
pub struct StatType {
    name: &'static str,
    label: &'static str,
    fields: &'static [Field],
    show: Show,
}

macro_rules! st {
    ($name:expr, $label:expr, [$($f:expr),*], $show:expr) => {
        StatType { name: $name, label: $label, fields: &[$($f),*], show: $show }
    };
}

use Field as F;

/// The element statistic types of nfdump 1.7.1 (§4.2), geo and ja3/nbar types excepted.
static TYPES: &[StatType] = &[
    st!("srcip", "Src IP Addr", [F::SrcIp], Show::Addr),
    st!("dstip", "Dst IP Addr", [F::DstIp], Show::Addr),
    st!("ip", "IP Addr", [F::SrcIp, F::DstIp], Show::Addr),
    st!("nhip", "Nexthop IP", [F::NextHop], Show::Addr),
    st!("nhbip", "Nexthop BGP IP", [F::BgpNextHop], Show::Addr),
    st!("router", "Router IP", [F::Router], Show::Addr),
    st!("srcport", "Src Port", [F::SrcPort], Show::Num),
    st!("dstport", "Dst Port", [F::DstPort], Show::Num),
    st!("port", "Port", [F::SrcPort, F::DstPort], Show::Num),
    st!("proto", "Protocol", [F::Proto], Show::Num),
    st!("tos", "Tos", [F::SrcTos], Show::Num),
    st!("srctos", "Tos", [F::SrcTos], Show::Num),
    st!("dsttos", "Dst Tos", [F::DstTos], Show::Num),
    st!("dir", "Dir", [F::Dir], Show::Num),
    st!("srcas", "Src AS", [F::SrcAs], Show::Num),
    st!("dstas", "Dst AS", [F::DstAs], Show::Num),
    st!("as", "AS", [F::SrcAs, F::DstAs], Show::Num),
    st!("prevas", "Prev AS", [F::PrevAs], Show::Num),
    st!("nextas", "Next AS", [F::NextAs], Show::Num),
    st!("inif", "Input If", [F::InIf], Show::Num),
    st!("outif", "Output If", [F::OutIf], Show::Num),
    st!("if", "In/Out If", [F::InIf, F::OutIf], Show::Num),
    st!("srcmask", "Src Mask", [F::SrcMask], Show::Num),
    st!("dstmask", "Dst Mask", [F::DstMask], Show::Num),
    st!("mask", "Mask", [F::SrcMask, F::DstMask], Show::Num),
    st!("srcvlan", "Src Vlan", [F::SrcVlan], Show::Num),
    st!("dstvlan", "Dst Vlan", [F::DstVlan], Show::Num),
    st!("vlan", "Vlan", [F::SrcVlan, F::DstVlan], Show::Num),
    st!("insrcmac", "In Src Mac", [F::InSrcMac], Show::Mac),
    st!("outdstmac", "Out Dst Mac", [F::OutDstMac], Show::Mac),
    st!("indstmac", "In Dst Mac", [F::InDstMac], Show::Mac),
    st!("outsrcmac", "Out Src Mac", [F::OutSrcMac], Show::Mac),
    st!("srcmac", "Src Mac", [F::InSrcMac, F::OutSrcMac], Show::Mac),
    st!("dstmac", "Dst Mac", [F::InDstMac, F::OutDstMac], Show::Mac),
    st!("inmac", "In Src Mac", [F::InSrcMac], Show::Mac),
    st!(
        "outmac",
        "Out Src Mac",
        [F::OutSrcMac, F::OutDstMac],
        Show::Mac
    ),
    st!("mpls1", " MPLS lab 1", [F::Mpls(0)], Show::Mpls),
    st!("mpls2", " MPLS lab 2", [F::Mpls(1)], Show::Mpls),
    st!("mpls3", " MPLS lab 3", [F::Mpls(2)], Show::Mpls),
    st!("mpls4", " MPLS lab 4", [F::Mpls(3)], Show::Mpls),
    st!("mpls5", " MPLS lab 5", [F::Mpls(4)], Show::Mpls),
    st!("mpls6", " MPLS lab 6", [F::Mpls(5)], Show::Mpls),
    st!("mpls7", " MPLS lab 7", [F::Mpls(6)], Show::Mpls),
    st!("mpls8", " MPLS lab 8", [F::Mpls(7)], Show::Mpls),
    st!("mpls9", " MPLS lab 9", [F::Mpls(8)], Show::Mpls),
    st!("mpls10", "MPLS lab 10", [F::Mpls(9)], Show::Mpls),
    st!("cl", "Client Latency", [F::ClientLat], Show::Latency),
    st!("sl", "Server Latency", [F::ServerLat], Show::Latency),
    st!("al", "  Appl Latency", [F::ApplLat], Show::Latency),
    st!("odid", "obs domainID", [F::Odid], Show::Hex),
    st!("opid", " obs PointID", [F::Opid], Show::Hex),
    st!("xsrcip", "X-Src IP Addr", [F::XSrcIp], Show::Addr),
    st!("xdstip", "X-Dst IP Addr", [F::XDstIp], Show::Addr),
    st!("nsrcip", "X-Src IP Addr", [F::XSrcIp], Show::Addr),
    st!("ndstip", "X-Dst IP Addr", [F::XDstIp], Show::Addr),
    st!("xsrcport", " X-Src Port", [F::XSrcPort], Show::Num),
    st!("xdstport", " X-Dst Port", [F::XDstPort], Show::Num),
    st!("nsrcport", " X-Src Port", [F::XSrcPort], Show::Num),
    st!("ndstport", " X-Dst Port", [F::XDstPort], Show::Num),
    st!("ivrf", " I-vrf-ID", [F::Ivrf], Show::Num),
    st!("evrf", " E-vrf-ID", [F::Evrf], Show::Num),
];

/// One `-s` request.
#[derive(Debug, Clone)]
pub struct StatSpec {
    ty: &'static StatType,
    by_proto: bool,
    /// Orders with their ascending flag, in nfdump's internal order.
    pub orders: Vec<(Order, bool)>,
}

impl StatSpec {
    /// Names of the record fields this statistic reads (besides the counters).
    pub fn columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        let proto = self.by_proto.then_some("proto");
        self.ty.fields.iter().map(|f| f.column()).chain(proto)
    }
}

/// What a `-s` argument asked for.
#[derive(Debug, Clone)]
pub enum StatRequest {
    /// An element statistic.
    Element(StatSpec),
    /// `-s record/...`: the aggregated flow records ranked by these orders.
    Record(Vec<(Order, bool)>),
}

/// Parses the `/order[:a|:d]` list (default `flows`), sorted into nfdump's internal order.
fn parse_orders(parts: &[&str]) -> Result<Vec<(Order, bool)>, String> {
    let mut orders = Vec::new();
    for p in parts {
        let (name, dir) = match p.split_once(':') {
            Some((n, d)) => (n, Some(d)),
            None => (*p, None),
        };
        let o = Order::parse(name)
            .filter(|o| o.is_stat_order())
            .ok_or_else(|| format!("Unknown order option /{name}"))?;
        let asc = match dir {
            None | Some("d") | Some("D") => false,
            Some("a") | Some("A") => true,
            Some(other) => return Err(format!("Unknown sort direction ':{other}'")),
        };
        if !orders.iter().any(|(x, _)| *x == o) {
            orders.push((o, asc));
        }
    }
    if orders.is_empty() {
        orders.push((Order::Flows, false));
    }
    orders.sort();
    Ok(orders)
}

/// Parses one `-s` argument.
///
/// # Errors
/// nfdump's messages for an unknown statistic or order.
pub fn parse(arg: &str) -> Result<StatRequest, String> {
    let mut parts = arg.split('/');
    let head = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let (name, by_proto) = match head.split_once(':') {
        Some((n, _)) => (n, true),
        None => (head, false),
    };
    if name.eq_ignore_ascii_case("record") {
        return Ok(StatRequest::Record(parse_orders(&rest)?));
    }
    let ty = TYPES
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| format!("Unknown stat: '{name}'!"))?;
    Ok(StatRequest::Element(StatSpec {
        ty,
        by_proto: by_proto || ty.name == "proto",
        orders: parse_orders(&rest)?,
    }))
}

/// Sub-tables of each statistic's table in one partial: keys are spread over them by a hash.
const SHARDS: usize = 64;

/// Every requested element statistic's counters, filled by one thread of a scan.
///
/// Why sub-tables: `-s ip` over real traffic has tens of thousands of keys. A single table
/// grows by doubling, and while it does both the old and the new table are resident, which
/// made peak memory higher than nfdump's. Split in [`SHARDS`] sub-tables, each grows on its
/// own, so the transient copy is 1/64 of the table; lookups cost the same.
#[derive(Debug)]
pub struct StatPartial {
    specs: Vec<(&'static [Field], bool)>,
    /// Per statistic and shard (`spec * SHARDS + shard`), its sub-table.
    maps: Vec<KeyMap>,
    /// The time [`Compact`] entries count their first and last seen from: set by the first
    /// record, `None` while no record has been added.
    base: Option<u64>,
}

/// What a table entry sums. [`Counters`] keeps in and out packets and bytes apart in 64-bit
/// counters; most exporters send no out counters, and the sums of one key within one query
/// rarely pass 2^32 flows or packets, so [`Compact`] holds the same information in 24 bytes
/// instead of 56, and a table of tens of thousands of addresses takes 40 % less memory.
trait Tally: Copy {
    const EMPTY: Self;
    /// Adds `o`; `false`, leaving `self` unchanged, when the sum no longer fits. Adding to
    /// [`Tally::EMPTY`] always fits.
    fn merge(&mut self, o: &Self) -> bool;
    /// The same sums as [`Counters`], times counted from `base`.
    fn wide(self, base: u64) -> Counters;
}

impl Tally for Counters {
    const EMPTY: Counters = Counters::EMPTY;
    #[inline]
    fn merge(&mut self, o: &Counters) -> bool {
        Counters::merge(self, o);
        true
    }
    fn wide(self, _base: u64) -> Counters {
        self
    }
}

/// [`Counters`] without out packets or bytes, flows and packets in 32 bits, first and last
/// seen in ms after a base time (49 days of range).
#[derive(Clone, Copy, Debug)]
struct Compact {
    bytes: u64,
    packets: u32,
    flows: u32,
    first: u32,
    last: u32,
}

impl Compact {
    /// `c` in compact form, when it has no out counters and fits.
    #[inline]
    fn of(c: &Counters, base: u64) -> Option<Compact> {
        if c.out_packets != 0 || c.out_bytes != 0 {
            return None;
        }
        Some(Compact {
            bytes: c.in_bytes,
            packets: u32::try_from(c.in_packets).ok()?,
            flows: u32::try_from(c.flows).ok()?,
            first: u32::try_from(c.first_ms.checked_sub(base)?).ok()?,
            last: u32::try_from(c.last_ms.checked_sub(base)?).ok()?,
        })
    }

    /// The base time for a partial whose first record started at `first_ms`: a multiple of
    /// 2^31 ms (about 25 days), so that partials of one scan usually share it and merge
    /// without widening, and at least 2^31 ms before the record, so that earlier records
    /// fit as well as later ones.
    fn base_for(first_ms: u64) -> u64 {
        (first_ms >> 31 << 31).saturating_sub(1 << 31)
    }
}

impl Tally for Compact {
    const EMPTY: Compact = Compact {
        bytes: 0,
        packets: 0,
        flows: 0,
        first: u32::MAX,
        last: 0,
    };
    #[inline]
    fn merge(&mut self, o: &Compact) -> bool {
        let (Some(packets), Some(flows)) = (
            self.packets.checked_add(o.packets),
            self.flows.checked_add(o.flows),
        ) else {
            return false;
        };
        self.packets = packets;
        self.flows = flows;
        self.bytes = self.bytes.wrapping_add(o.bytes);
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        true
    }
    fn wide(self, base: u64) -> Counters {
        Counters {
            flows: u64::from(self.flows),
            in_packets: u64::from(self.packets),
            out_packets: 0,
            in_bytes: self.bytes,
            out_bytes: 0,
            first_ms: base + u64::from(self.first),
            last_ms: base + u64::from(self.last),
        }
    }
}

/// Counters per key. Keys that fit 56 bits with their protocol (IPv4 addresses, ports, AS
/// numbers, MACs...) live in a map with 8-byte keys; IPv6 keys and wider values in a second
/// map.
#[derive(Debug)]
struct Maps<T> {
    small: FastMap<u64, T>,
    big: FastMap<Key, T>,
}

impl<T> Default for Maps<T> {
    fn default() -> Self {
        Maps {
            small: FastMap::default(),
            big: FastMap::default(),
        }
    }
}

impl<T: Tally> Maps<T> {
    /// Adds `c` to the entry of `k`; `false`, leaving the entry unchanged, when the sum no
    /// longer fits `T`.
    #[inline]
    fn add(&mut self, k: Slot, c: &T) -> bool {
        match k {
            Slot::Small(k) => self.small.entry(k).or_insert(T::EMPTY).merge(c),
            Slot::Big(k) => self.big.entry(k).or_insert(T::EMPTY).merge(c),
        }
    }

    fn len(&self) -> usize {
        self.small.len() + self.big.len()
    }

    fn is_empty(&self) -> bool {
        self.small.is_empty() && self.big.is_empty()
    }

    /// Adds the counters of `other` into these maps; returns the entries whose sums no
    /// longer fit `T` (their entries here unchanged).
    fn merge(&mut self, other: Maps<T>) -> Maps<T> {
        Maps {
            small: merge_map(&mut self.small, other.small),
            big: merge_map(&mut self.big, other.big),
        }
    }

    /// The same entries with full [`Counters`].
    fn widen(self, base: u64) -> Maps<Counters> {
        Maps {
            small: self
                .small
                .into_iter()
                .map(|(k, c)| (k, c.wide(base)))
                .collect(),
            big: self
                .big
                .into_iter()
                .map(|(k, c)| (k, c.wide(base)))
                .collect(),
        }
    }

    /// Moves all entries, with their full keys and counters, into `out`.
    fn drain_into(self, base: u64, out: &mut Vec<(Key, Counters)>) {
        out.extend(self.big.into_iter().map(|(k, c)| (k, c.wide(base))));
        out.extend(self.small.into_iter().map(|(k, c)| {
            let key = Key {
                v: u128::from(k >> 8),
                v6: false,
                proto: k as u8,
            };
            (key, c.wide(base))
        }));
    }
}

/// One sub-table: [`Compact`] entries until a record (or a sum) that does not fit arrives,
/// then (for good) full [`Counters`].
#[derive(Debug)]
enum KeyMap {
    Compact(Maps<Compact>),
    Wide(Maps<Counters>),
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::Compact(Maps::default())
    }
}

impl KeyMap {
    /// Adds one record's counters `c` (`narrow`: the same in compact form, when they fit) to
    /// the entry of `k`.
    #[inline]
    fn add(&mut self, k: Slot, c: &Counters, narrow: Option<&Compact>, base: u64) {
        if let (KeyMap::Compact(m), Some(n)) = (&mut *self, narrow)
            && m.add(k, n)
        {
            return;
        }
        self.make_wide(base).add(k, c);
    }

    /// Switches to full counters and returns them.
    fn make_wide(&mut self, base: u64) -> &mut Maps<Counters> {
        if let KeyMap::Compact(m) = self {
            *self = KeyMap::Wide(std::mem::take(m).widen(base));
        }
        match self {
            KeyMap::Wide(m) => m,
            KeyMap::Compact(_) => unreachable!("just widened"),
        }
    }

    fn len(&self) -> usize {
        match self {
            KeyMap::Compact(m) => m.len(),
            KeyMap::Wide(m) => m.len(),
        }
    }

    /// Adds the counters of `other` (whose compact times count from `their_base`) into this
    /// map (whose count from `base`).
    fn merge(&mut self, other: KeyMap, base: u64, their_base: u64) {
        let theirs = match (&mut *self, other) {
            (KeyMap::Compact(mine), KeyMap::Compact(theirs)) if base == their_base => {
                let left = mine.merge(theirs);
                if left.is_empty() {
                    return;
                }
                left.widen(base)
            }
            (_, KeyMap::Compact(theirs)) => theirs.widen(their_base),
            (_, KeyMap::Wide(theirs)) => theirs,
        };
        let left = self.make_wide(base).merge(theirs);
        debug_assert!(left.is_empty(), "full counters always fit");
    }

    /// Moves all entries, with their full keys, into `out`.
    fn drain_into(self, base: u64, out: &mut Vec<(Key, Counters)>) {
        match self {
            KeyMap::Compact(m) => m.drain_into(base, out),
            KeyMap::Wide(m) => m.drain_into(base, out),
        }
    }
}

/// Adds the counters of `theirs` into `mine`; returns the entries whose sums no longer fit
/// (their entries in `mine` unchanged).
fn merge_map<K: std::hash::Hash + Eq + Copy, T: Tally>(
    mine: &mut FastMap<K, T>,
    theirs: FastMap<K, T>,
) -> FastMap<K, T> {
    let mut left = FastMap::default();
    if mine.is_empty() {
        *mine = theirs;
        return left;
    }
    for (k, c) in theirs {
        let e = mine.entry(k).or_insert(T::EMPTY);
        if !e.merge(&c) {
            left.insert(k, c);
        }
    }
    left
}

/// Where a key lives: values that fit 56 bits with their protocol (IPv4 addresses, ports,
/// AS numbers, MACs...) as one `u64` in the small map, the rest (IPv6) in the big one.
#[derive(Clone, Copy)]
enum Slot {
    Small(u64),
    Big(Key),
}

impl Slot {
    #[inline]
    fn of(v: Val, proto: u8) -> Slot {
        match v {
            Val::Num(n) if n < 1 << 56 => Slot::Small(n << 8 | u64::from(proto)),
            v => {
                let (v, v6) = v.wide();
                Slot::Big(Key { v, v6, proto })
            }
        }
    }

    /// The sub-table of the key. Small keys mix their `u64` directly; a key always takes
    /// the same form, so every partial puts it in the same sub-table.
    #[inline]
    fn shard(&self) -> usize {
        match self {
            Slot::Small(k) => (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize,
            Slot::Big(k) => shard_of(k),
        }
    }
}

/// The shard of a key. The mix differs from [`FastHasher`]'s, so the keys of one shard still
/// spread over its table's buckets and control bytes.
#[inline]
fn shard_of(k: &Key) -> usize {
    let folded = k.v as u64 ^ (k.v >> 64) as u64 ^ u64::from(k.proto) << 56 ^ u64::from(k.v6) << 48;
    (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize
}

impl StatPartial {
    /// An empty partial for `specs`.
    pub fn new(specs: &[StatSpec]) -> StatPartial {
        StatPartial {
            specs: specs.iter().map(|s| (s.ty.fields, s.by_proto)).collect(),
            maps: (0..specs.len() * SHARDS)
                .map(|_| KeyMap::default())
                .collect(),
            base: None,
        }
    }

    /// Merges a later partial into this one.
    pub fn merge(&mut self, later: StatPartial) {
        // A partial without a base has no entries.
        let Some(their_base) = later.base else {
            return;
        };
        let base = *self.base.get_or_insert(their_base);
        for (mine, theirs) in self.maps.iter_mut().zip(later.maps) {
            mine.merge(theirs, base, their_base);
        }
    }
}

impl Partial for StatPartial {
    fn add(&mut self, r: &FlowRecord) {
        let c = Counters::of(r);
        let base = *self
            .base
            .get_or_insert_with(|| Compact::base_for(c.first_ms));
        let narrow = Compact::of(&c, base);
        for (s, (fields, by_proto)) in self.specs.iter().enumerate() {
            let proto = if *by_proto { r.proto } else { 0 };
            for f in fields.iter() {
                let k = Slot::of(f.value(r), proto);
                self.maps[s * SHARDS + k.shard()].add(k, &c, narrow.as_ref(), base);
            }
        }
    }
}

impl Accumulator for StatPartial {
    fn add(&mut self, r: &FlowRecord, _at: Loc) {
        Partial::add(self, r);
    }

    fn merge(&mut self, other: StatPartial) {
        StatPartial::merge(self, other);
    }
}

/// How statistics tables print, following the `-o` format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Style {
    /// nfdump's text table (every text format).
    #[default]
    Text,
    /// `-o csv`: a csv header per table, plain numbers.
    Csv,
    /// `-o pipe`: `|`-separated numbers.
    Pipe,
    /// `-o json`: nfdump 1.7.1 has no JSON statistics and says so per row.
    Json,
}

/// Options of the printed tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    /// Output style.
    pub style: Style,
    /// `-n`: rows per table, 0 = all.
    pub top: usize,
    /// `-N`.
    pub plain: bool,
    /// `-6`.
    pub long_v6: bool,
    /// `-q`: no title and header lines.
    pub quiet: bool,
    /// `-l`: keep entries whose packets are above (`false`) or below (`true`) the number.
    pub packet_limit: Option<(bool, u64)>,
    /// `-L`: the same for bytes.
    pub byte_limit: Option<(bool, u64)>,
}

/// Parses an `-l`/`-L` value `[+|-]N[b|k|m|g]` (1000-based) into (below, N).
///
/// # Errors
/// A message naming the bad value.
pub fn parse_limit(s: &str) -> Result<(bool, u64), String> {
    let (below, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (digits, mul) = match rest.as_bytes().last().map(u8::to_ascii_lowercase) {
        Some(b'b') => (&rest[..rest.len() - 1], 1),
        Some(b'k') => (&rest[..rest.len() - 1], 1_000),
        Some(b'm') => (&rest[..rest.len() - 1], 1_000_000),
        Some(b'g') => (&rest[..rest.len() - 1], 1_000_000_000),
        _ => (rest, 1),
    };
    let n: u64 = digits.parse().map_err(|_| format!("Invalid limit '{s}'"))?;
    Ok((below, n.saturating_mul(mul)))
}

/// The line nfdump prints for a limit.
pub fn limit_line(what: &str, unit: &str, l: (bool, u64)) -> String {
    format!(
        "{what} limit: {} {} {unit}\n",
        if l.0 { '<' } else { '>' },
        l.1
    )
}

fn within(v: u64, l: Option<(bool, u64)>) -> bool {
    match l {
        None => true,
        Some((true, n)) => v < n,
        Some((false, n)) => v > n,
    }
}

fn value_text(show: Show, k: &Key, long_v6: bool) -> String {
    match show {
        Show::Addr => {
            let a = if k.v6 {
                IpAddr::V6(Ipv6Addr::from(k.v))
            } else {
                IpAddr::V4(Ipv4Addr::from(k.v as u32))
            };
            render::addr_text(a, long_v6).as_str().to_string()
        }
        Show::Num => k.v.to_string(),
        Show::Mac => render::mac(k.v as u64),
        Show::Mpls => render::mpls(k.v as u32),
        Show::Hex => format!("0x{:x}", k.v),
        Show::Latency => format!("{:.3}", k.v as f64 / 1000.0),
    }
}

fn pct(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 * 100.0 / total as f64
    }
}

/// Where `c` ranks in `order`: smaller comes first (the value itself when ascending, its
/// complement when not); ties go by key.
fn position(c: &Counters, order: Order, asc: bool) -> u64 {
    let v = c.value(order);
    if asc { v } else { u64::MAX - v }
}

/// Sorts entries for `order`: by value (descending unless `asc`), ties by key.
pub fn rank(entries: &mut [(Key, Counters)], order: Order, asc: bool) {
    entries.sort_by_key(|e| (position(&e.1, order, asc), e.0));
}

/// Whether `c` passes the `-l`/`-L` limits of `opts`, which use the counters of the first
/// order's direction.
fn within_limits(spec: &StatSpec, opts: &TableOptions, c: &Counters) -> bool {
    let d = spec
        .orders
        .first()
        .map_or(Order::Flows, |o| o.0)
        .direction();
    within(c.packets(d), opts.packet_limit) && within(c.bytes(d), opts.byte_limit)
}

/// Prints every table of one statistic.
pub fn print_tables(
    spec: &StatSpec,
    mut entries: Vec<(Key, Counters)>,
    totals: &FileStats,
    opts: TableOptions,
    out: &mut String,
) {
    if opts.packet_limit.is_some() || opts.byte_limit.is_some() {
        // Limits apply before ranking.
        entries.retain(|(_, c)| within_limits(spec, &opts, c));
    }
    let long = opts.long_v6 && spec.ty.show == Show::Addr;
    let w = if long { 39 } else { 17 };
    for &(order, asc) in &spec.orders {
        rank(&mut entries, order, asc);
        if opts.style != Style::Text {
            other_style(spec, &entries, order, totals, opts, out);
            continue;
        }
        if !opts.quiet {
            if opts.top > 0 {
                let _ = writeln!(
                    out,
                    "Top {} {} ordered by {}:",
                    opts.top,
                    spec.ty.label,
                    order.name()
                );
            } else {
                let _ = writeln!(out, "Top {} ordered by {}:", spec.ty.label, order.name());
            }
            let _ = writeln!(
                out,
                "Date first seen                 Duration Proto {:>w$}    Flows(%)     Packets(%)       Bytes(%)         pps      bps   bpp",
                spec.ty.label
            );
        }
        let d = order.direction();
        let n = if opts.top == 0 {
            entries.len()
        } else {
            opts.top.min(entries.len())
        };
        for (k, c) in entries.iter().take(n) {
            render::time_ms(out, c.first_ms);
            out.push(' ');
            let mut dur = String::new();
            if long {
                // nfdump 1.7.1 switches to seconds in the wide IPv6 layout.
                let _ = write!(dur, "{:9.3}", c.duration_ms() as f64 / 1000.0);
            } else {
                render::duration(&mut dur, c.duration_ms(), opts.plain);
            }
            let _ = write!(out, "{dur:>9} ");
            if spec.by_proto {
                let _ = write!(out, "{:<5} ", render::proto(k.proto, opts.plain).as_str());
            } else {
                out.push_str("any   ");
            }
            let _ = write!(out, "{:>w$} ", value_text(spec.ty.show, k, long));
            let (p, b) = (c.packets(d), c.bytes(d));
            let dur_ms = c.duration_ms();
            render::scaled_col(out, c.flows, opts.plain);
            let _ = write!(out, "({:4.1}) ", pct(c.flows, totals.flows));
            render::scaled_col(out, p, opts.plain);
            let _ = write!(out, "({:4.1}) ", pct(p, totals.packets));
            render::scaled_col(out, b, opts.plain);
            let _ = write!(out, "({:4.1}) ", pct(b, totals.bytes));
            render::scaled_col(out, render::per_second(p, dur_ms, false), opts.plain);
            out.push(' ');
            render::scaled_col(out, render::per_second(b, dur_ms, true), opts.plain);
            let _ = writeln!(out, " {:5}", b.checked_div(p).unwrap_or(0));
        }
        out.push('\n');
    }
}

/// One table in the csv, pipe or json style.
fn other_style(
    spec: &StatSpec,
    entries: &[(Key, Counters)],
    order: Order,
    totals: &FileStats,
    opts: TableOptions,
    out: &mut String,
) {
    let d = order.direction();
    let n = if opts.top == 0 {
        entries.len()
    } else {
        opts.top.min(entries.len())
    };
    if opts.style == Style::Csv {
        let p = match d {
            crate::order::Direction::In => "i",
            crate::order::Direction::Out => "o",
            crate::order::Direction::Both => "",
        };
        let _ = writeln!(
            out,
            "ts,te,td,pr,val,fl,flP,{p}pkt,{p}pktP,{p}byt,{p}bytP,{p}pps,{p}bps,{p}bpp"
        );
    }
    for (k, c) in entries.iter().take(n) {
        let (p, b) = (c.packets(d), c.bytes(d));
        let dur = c.duration_ms();
        let (pps, bps) = (
            render::per_second(p, dur, false),
            render::per_second(b, dur, true),
        );
        let bpp = b.checked_div(p).unwrap_or(0);
        match opts.style {
            Style::Csv => {
                let _ = crate::fields::write_time_ms_secs(out, c.first_ms);
                out.push(',');
                let _ = crate::fields::write_time_ms_secs(out, c.last_ms);
                let _ = write!(out, ",{},", crate::fields::Seconds(dur));
                if spec.by_proto {
                    out.push_str(render::proto(k.proto, opts.plain).as_str());
                } else {
                    out.push_str("any");
                }
                let _ = writeln!(
                    out,
                    ",{},{},{:.1},{},{:.1},{},{:.1},{pps},{bps},{bpp}",
                    value_text(spec.ty.show, k, true),
                    c.flows,
                    pct(c.flows, totals.flows),
                    p,
                    pct(p, totals.packets),
                    b,
                    pct(b, totals.bytes)
                );
            }
            Style::Pipe => {
                let proto = if spec.by_proto { k.proto } else { 0 };
                let _ = write!(
                    out,
                    "{}|{}|{}|",
                    if spec.ty.show == Show::Addr {
                        if k.v6 { 10 } else { 2 }
                    } else {
                        0
                    },
                    c.first_ms,
                    c.last_ms
                );
                let _ = write!(out, "{proto}|");
                if spec.ty.show == Show::Addr {
                    let w = |i: u32| (k.v >> (96 - 32 * i)) as u32;
                    let _ = write!(out, "{}|{}|{}|{}|", w(0), w(1), w(2), w(3));
                } else {
                    let _ = write!(out, "{}|", k.v);
                }
                let _ = writeln!(out, "{}|{p}|{b}|{pps}|{bps}|{bpp}", c.flows);
            }
            Style::Json | Style::Text => out.push_str("Not yet implemented output format\n"),
        }
    }
    out.push('\n');
}

/// The entries of every statistic of a finished scan (in the order of the specs), for
/// [`print_tables`]. The sub-tables are emptied one by one into an exactly sized vector.
pub fn into_entries(p: StatPartial) -> Vec<Vec<(Key, Counters)>> {
    let base = p.base.unwrap_or(0);
    let mut maps = p.maps.into_iter();
    (0..p.specs.len())
        .map(|_| {
            let shards: Vec<KeyMap> = maps.by_ref().take(SHARDS).collect();
            let mut out = Vec::with_capacity(shards.iter().map(KeyMap::len).sum());
            for m in shards {
                m.drain_into(base, &mut out);
            }
            out
        })
        .collect()
}

/// The entries [`print_tables`] needs for every statistic of a finished scan, in the order of
/// `specs`: all of them for `-n 0`; otherwise only those within the first `opts.top` of some
/// order (after the `-l`/`-L` limits), picked while the sub-tables are emptied one by one.
/// Ranking those few gives the tables that ranking all would, without a vector of every key
/// (96 bytes each: hundreds of MB for millions of addresses) and its sort.
pub fn into_tables(
    p: StatPartial,
    specs: &[StatSpec],
    opts: &TableOptions,
) -> Vec<Vec<(Key, Counters)>> {
    if opts.top == 0 {
        return into_entries(p);
    }
    let base = p.base.unwrap_or(0);
    let mut maps = p.maps.into_iter();
    specs
        .iter()
        .map(|spec| {
            let mut best: Vec<Best> = spec
                .orders
                .iter()
                .map(|&(order, asc)| Best {
                    order,
                    asc,
                    n: opts.top,
                    heap: std::collections::BinaryHeap::new(),
                })
                .collect();
            let mut part = Vec::new();
            for m in maps.by_ref().take(SHARDS) {
                part.clear();
                m.drain_into(base, &mut part);
                for (k, c) in part.iter().filter(|(_, c)| within_limits(spec, opts, c)) {
                    best.iter_mut().for_each(|b| b.offer(k, c));
                }
            }
            let mut out: Vec<(Key, Counters)> = best
                .into_iter()
                .flat_map(|b| b.heap.into_iter().map(|e| (e.key, e.c)))
                .collect();
            out.sort_unstable_by_key(|e| e.0);
            out.dedup_by_key(|e| e.0);
            out
        })
        .collect()
}

/// The first `n` entries of one order seen so far, as [`rank`] orders them; the heap's top
/// is the last of them, the one a better entry replaces.
struct Best {
    order: Order,
    asc: bool,
    n: usize,
    heap: std::collections::BinaryHeap<Ranked>,
}

impl Best {
    fn offer(&mut self, k: &Key, c: &Counters) {
        let e = Ranked {
            pos: position(c, self.order, self.asc),
            key: *k,
            c: *c,
        };
        if self.heap.len() < self.n {
            self.heap.push(e);
        } else if self.heap.peek().is_some_and(|last| e < *last) {
            self.heap.pop();
            self.heap.push(e);
        }
    }
}

/// An entry with its place in one order.
struct Ranked {
    pos: u64,
    key: Key,
    c: Counters,
}

impl PartialEq for Ranked {
    fn eq(&self, o: &Ranked) -> bool {
        (self.pos, self.key) == (o.pos, o.key)
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Ranked) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Ranked {
    fn cmp(&self, o: &Ranked) -> std::cmp::Ordering {
        (self.pos, self.key).cmp(&(o.pos, o.key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_specs() {
        let StatRequest::Element(s) = parse("dstport:p/bytes/flows").unwrap() else {
            panic!("element stat")
        };
        assert!(s.by_proto);
        // Printed in nfdump's internal order, not the typed one.
        assert_eq!(s.orders, vec![(Order::Flows, false), (Order::Bytes, false)]);
        assert!(matches!(parse("record/bytes"), Ok(StatRequest::Record(_))));
        assert_eq!(parse("bogus").unwrap_err(), "Unknown stat: 'bogus'!");
        assert!(parse("ip/tstart").is_err());
        assert_eq!(parse_limit("-2m"), Ok((true, 2_000_000)));
        assert_eq!(parse_limit("+1k"), Ok((false, 1000)));
        assert_eq!(parse_limit("100"), Ok((false, 100)));
        assert!(parse_limit("x").is_err());
        let StatRequest::Element(s) = parse("proto").unwrap() else {
            panic!("element stat")
        };
        assert!(s.by_proto);
    }

    /// A record for the table tests: address `a` (IPv6 when `v6`), out counters optional.
    fn flow(a: u8, v6: bool, c: (u64, u64, u64, u64), t: u64) -> FlowRecord {
        let addr = |x: u8| -> IpAddr {
            if v6 {
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(x)))
            } else {
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, x))
            }
        };
        FlowRecord {
            src_addr: addr(a),
            dst_addr: addr(a.wrapping_add(1)),
            in_packets: c.0,
            in_bytes: c.1,
            out_packets: c.2,
            out_bytes: c.3,
            first_ms: t,
            last_ms: t + c.0,
            ..FlowRecord::default()
        }
    }

    proptest::proptest! {
        /// Tables sum exactly what a plain per-key sum gives, whether records carry out
        /// counters or not, however large their flow and packet counts and however far apart
        /// their times, and however the records are split over two partials: compact entries
        /// widen on the first record or sum that does not fit, and merge with wide ones (or
        /// compact ones of another base time) in either order.
        #[test]
        fn tables_match_a_plain_sum(
            recs in proptest::collection::vec(
                (0u8..6, proptest::bool::ANY,
                 proptest::prop_oneof![4 => 0u64..1000, 1 => (1u64 << 32) - 600..(1u64 << 32) + 5],
                 0u64..100_000,
                 proptest::prop_oneof![3 => proptest::strategy::Just(0u64), 1 => 1u64..50],
                 proptest::prop_oneof![
                     3 => 0u64..5000,
                     1 => (1u64 << 32) - 2000..(1u64 << 32) + 2000,
                     1 => 1_764_300_000_000u64..1_764_300_005_000,
                 ],
                 proptest::prop_oneof![4 => proptest::strategy::Just(0u64), 1 => (1u64 << 31)..(1u64 << 32) + 3]),
                0..60),
            split in 0usize..60,
        ) {
            let StatRequest::Element(s) = parse("ip").unwrap() else {
                panic!("element stat")
            };
            let flows: Vec<FlowRecord> = recs
                .iter()
                .map(|&(a, v6, p, b, out, t, n)| FlowRecord {
                    flows: n,
                    ..flow(a, v6, (p, b, out, out * 40), t)
                })
                .collect();
            let split = split.min(flows.len());
            let mut first = StatPartial::new(std::slice::from_ref(&s));
            let mut second = StatPartial::new(std::slice::from_ref(&s));
            flows[..split].iter().for_each(|r| Partial::add(&mut first, r));
            flows[split..].iter().for_each(|r| Partial::add(&mut second, r));
            first.merge(second);
            let mut got = into_entries(first).remove(0);
            got.sort_by_key(|e| e.0);
            let mut want: std::collections::BTreeMap<Key, Counters> = Default::default();
            for r in &flows {
                for a in [r.src_addr, r.dst_addr] {
                    let (v, v6) = ip_val(a).wide();
                    want.entry(Key { v, v6, proto: 0 })
                        .or_insert(Counters::EMPTY)
                        .merge(&Counters::of(r));
                }
            }
            let want: Vec<(Key, Counters)> = want.into_iter().collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    proptest::proptest! {
        /// Picking each order's first `-n` entries while the tables are emptied prints the
        /// same tables as ranking every entry, with limits, in every style.
        #[test]
        fn picked_tables_equal_full_ranking(
            recs in proptest::collection::vec(
                (0u8..40, proptest::bool::ANY, 1u64..50, 1u64..5000, 0u64..3000), 1..120),
            top in 1usize..8,
            spec in proptest::sample::select(vec![
                "ip/bytes", "srcip/flows/packets", "dstip/bps:a/bpp", "ip/pps/bytes:a",
            ]),
            limit in proptest::option::of((proptest::bool::ANY, 0u64..30)),
            style in proptest::sample::select(vec![Style::Text, Style::Csv, Style::Pipe]),
        ) {
            let StatRequest::Element(spec) = parse(spec).unwrap() else {
                panic!("element stat")
            };
            let specs = std::slice::from_ref(&spec);
            let flows: Vec<FlowRecord> = recs
                .iter()
                .map(|&(a, v6, p, b, t)| flow(a, v6, (p, b, 0, 0), t))
                .collect();
            let partial = || {
                let mut p = StatPartial::new(specs);
                flows.iter().for_each(|r| Partial::add(&mut p, r));
                p
            };
            let opts = TableOptions {
                style,
                top,
                packet_limit: limit,
                ..TableOptions::default()
            };
            let totals = FileStats::default();
            let (mut all, mut picked) = (String::new(), String::new());
            for e in into_entries(partial()) {
                print_tables(&spec, e, &totals, opts, &mut all);
            }
            for e in into_tables(partial(), specs, &opts) {
                print_tables(&spec, e, &totals, opts, &mut picked);
            }
            proptest::prop_assert_eq!(picked, all);
        }
    }

    #[test]
    fn ip_counts_both_ends() {
        let StatRequest::Element(s) = parse("ip").unwrap() else {
            panic!("element stat")
        };
        let mut p = StatPartial::new(std::slice::from_ref(&s));
        let r = FlowRecord {
            src_addr: "10.0.0.1".parse().unwrap(),
            dst_addr: "10.0.0.2".parse().unwrap(),
            in_packets: 2,
            in_bytes: 100,
            ..FlowRecord::default()
        };
        Partial::add(&mut p, &r);
        Partial::add(&mut p, &r);
        let maps = into_entries(p);
        assert_eq!(maps[0].len(), 2);
        assert!(
            maps[0]
                .iter()
                .all(|(_, c)| c.flows == 2 && c.in_bytes == 200)
        );
    }
}
