//! The column table: which [`FlowRecord`] field each column id holds and how it is encoded,
//! plus [`ColumnSet`], the projection a reader passes to decode only some columns.
//!
//! Every scalar field is its own column so a query pays only for the fields it reads; array
//! fields (MPLS labels, ACL triples) are one column per element. Column ids are part of the
//! file format: an id, once assigned, never changes meaning. New fields get new ids, and old
//! readers skip ids they do not know.

use std::net::{IpAddr, Ipv4Addr};

use crate::record::{FlowRecord, NBAR_APP_LEN, NOKIA_STRING_LEN, PF_IFNAME_LEN, USERNAME_LEN};

/// The default address value.
pub(crate) const UNSPEC: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// How a column's values are taken from and put back into a record.
pub(crate) enum Kind {
    /// An unsigned integer field, widened to `u64`. The accessors work on whole slices so
    /// the per-record loop is compiled for each field instead of calling through a pointer
    /// for every value.
    Int {
        /// Appends the field of every record to the vector; returns the smallest and the
        /// largest value appended (`(u64::MAX, 0)` for no records).
        get: fn(&[FlowRecord], &mut Vec<u64>) -> (u64, u64),
        /// Stores the values into the records; `false` when one does not fit the field.
        set: fn(&mut [FlowRecord], &[u64]) -> bool,
    },
    /// An address field.
    Addr {
        /// Appends the field of every record to the vector.
        get: fn(&[FlowRecord], &mut Vec<IpAddr>),
        /// Stores the values into the records.
        set: fn(&mut [FlowRecord], &[IpAddr]),
    },
    /// A fixed-size byte buffer of `len` bytes.
    Bytes {
        len: usize,
        get: fn(&FlowRecord) -> &[u8],
        set: fn(&mut FlowRecord, &[u8]),
    },
}

/// One column of the table.
pub(crate) struct ColumnDef {
    /// Column id stored in the block directory.
    pub id: u8,
    /// Field name as in [`FlowRecord`] (`mpls[3]` for array elements).
    pub name: &'static str,
    /// Access and encoding.
    pub kind: Kind,
}

/// One table entry: how a column is read from and written to a record.
macro_rules! column_def {
    (int, $id:literal, $name:literal, $t:ty, $($f:tt)+) => {
        ColumnDef {
            id: $id,
            name: $name,
            kind: Kind::Int {
                get: |rs, out| {
                    let (mut lo, mut hi) = (u64::MAX, 0);
                    out.extend(rs.iter().map(|r| {
                        let v = u64::from(r.$($f)+);
                        lo = lo.min(v);
                        hi = hi.max(v);
                        v
                    }));
                    (lo, hi)
                },
                set: |rs, vs| {
                    let mut ok = true;
                    for (r, &v) in rs.iter_mut().zip(vs) {
                        match <$t>::try_from(v) {
                            Ok(x) => r.$($f)+ = x,
                            Err(_) => ok = false,
                        }
                    }
                    ok
                },
            },
        }
    };
    (addr, $id:literal, $name:literal, $t:ty, $($f:tt)+) => {
        ColumnDef {
            id: $id,
            name: $name,
            kind: Kind::Addr {
                get: |rs, out| out.extend(rs.iter().map(|r| r.$($f)+)),
                set: |rs, vs| rs.iter_mut().zip(vs).for_each(|(r, &v)| r.$($f)+ = v),
            },
        }
    };
    (bytes, $id:literal, $name:literal, $t:ty, $($f:tt)+) => {
        ColumnDef {
            id: $id,
            name: $name,
            kind: Kind::Bytes {
                len: std::mem::size_of::<$t>(),
                get: |r| &r.$($f)+[..],
                // The decoder hands over exactly `len` bytes; the zip keeps this panic-free.
                set: |r, v| r.$($f)+.iter_mut().zip(v).for_each(|(d, s)| *d = *s),
            },
        }
    };
}

/// Whether a field holds a non-default value.
macro_rules! non_default {
    (int, $e:expr) => {
        $e != 0
    };
    (addr, $e:expr) => {
        $e != UNSPEC
    };
    (bytes, $e:expr) => {
        $e.iter().any(|&b| b != 0)
    };
}

/// Folds a field of `r` into the [`Presence`] accumulator `p`: integers and byte strings are
/// ORed into `p.acc` (non-zero at the end exactly when some value was), addresses set their
/// bit of `p.addrs` directly.
macro_rules! accumulate {
    (int, $p:ident, $r:ident, $id:literal, $($f:tt)+) => {
        $p.acc.$($f)+ |= $r.$($f)+;
    };
    (addr, $p:ident, $r:ident, $id:literal, $($f:tt)+) => {
        // A plain match: `IpAddr`'s `!=` costs several times more.
        let default = matches!($r.$($f)+, IpAddr::V4(a) if a.to_bits() == 0);
        $p.addrs |= u128::from(!default) << $id;
    };
    (bytes, $p:ident, $r:ident, $id:literal, $($f:tt)+) => {
        for (a, b) in $p.acc.$($f)+.iter_mut().zip(&$r.$($f)+) {
            *a |= *b;
        }
    };
}

/// Builds [`COLUMNS`], [`non_default_mask`] and [`Presence::add`] from one list, so they
/// cannot disagree.
macro_rules! column_table {
    ($( $kind:ident $id:literal $name:literal $t:ty => ($($f:tt)+), )*) => {
        /// Every column this build knows, in id order. docs/format.md §6 lists the same table.
        pub(crate) static COLUMNS: &[ColumnDef] = &[
            $( column_def!($kind, $id, $name, $t, $($f)+), )*
        ];

        /// Bit `id` set for every column whose value in `r` is not the default. Written out
        /// field by field (no calls through the table); see [`Presence`] for the per-record
        /// form the writer uses to find the columns a block can leave out.
        #[inline]
        pub(crate) fn non_default_mask(r: &FlowRecord) -> u128 {
            let mut m = 0u128;
            $( m |= u128::from(non_default!($kind, r.$($f)+)) << $id; )*
            m
        }

        impl Presence {
            /// Notes which fields of `r` are not the default.
            #[inline]
            pub(crate) fn add(&mut self, r: &FlowRecord) {
                let p = self;
                $( accumulate!($kind, p, r, $id, $($f)+); )*
            }
        }
    };
}

/// The columns a set of records needs: the OR of [`non_default_mask`] over them, found with
/// cheaper per-record work (mostly one OR per field, no bit shuffling) because the writer runs
/// it for every record.
#[derive(Clone, Default)]
pub(crate) struct Presence {
    /// Integer and byte fields: the OR of every record's value. Address fields stay default.
    acc: FlowRecord,
    /// Address columns seen with a non-default value.
    addrs: u128,
}

impl Presence {
    /// Bit `id` set for every column some added record holds a non-default value in.
    pub(crate) fn mask(&self) -> u128 {
        non_default_mask(&self.acc) | self.addrs
    }
}

column_table! {
    int 1 "ext" u64 => (ext.0),
    // V3 record header
    int 2 "nfversion" u8 => (nfversion),
    int 3 "flags" u8 => (flags),
    int 4 "engine_type" u8 => (engine_type),
    int 5 "engine_id" u8 => (engine_id),
    int 6 "exporter_sysid" u16 => (exporter_sysid),
    // EXgenericFlow
    int 7 "first_ms" u64 => (first_ms),
    int 8 "last_ms" u64 => (last_ms),
    int 9 "received_ms" u64 => (received_ms),
    int 10 "in_packets" u64 => (in_packets),
    int 11 "in_bytes" u64 => (in_bytes),
    int 12 "src_port" u16 => (src_port),
    int 13 "dst_port" u16 => (dst_port),
    int 14 "proto" u8 => (proto),
    int 15 "tcp_flags" u8 => (tcp_flags),
    int 16 "fwd_status" u8 => (fwd_status),
    int 17 "src_tos" u8 => (src_tos),
    // EXipv4Flow / EXipv6Flow
    addr 18 "src_addr" IpAddr => (src_addr),
    addr 19 "dst_addr" IpAddr => (dst_addr),
    // EXflowMisc
    int 20 "input" u32 => (input),
    int 21 "output" u32 => (output),
    int 22 "src_mask" u8 => (src_mask),
    int 23 "dst_mask" u8 => (dst_mask),
    int 24 "dir" u8 => (dir),
    int 25 "dst_tos" u8 => (dst_tos),
    int 26 "biflow_dir" u8 => (biflow_dir),
    int 27 "end_reason" u8 => (end_reason),
    // EXcntFlow
    int 28 "flows" u64 => (flows),
    int 29 "out_packets" u64 => (out_packets),
    int 30 "out_bytes" u64 => (out_bytes),
    // EXvLan
    int 31 "src_vlan" u32 => (src_vlan),
    int 32 "dst_vlan" u32 => (dst_vlan),
    // EXasRouting / EXasAdjacent
    int 33 "src_as" u32 => (src_as),
    int 34 "dst_as" u32 => (dst_as),
    int 35 "next_as" u32 => (next_as),
    int 36 "prev_as" u32 => (prev_as),
    // next hops, received address
    addr 37 "bgp_next_hop" IpAddr => (bgp_next_hop),
    addr 38 "ip_next_hop" IpAddr => (ip_next_hop),
    addr 39 "received_ip" IpAddr => (received_ip),
    // EXmplsLabel
    int 40 "mpls[0]" u32 => (mpls[0]),
    int 41 "mpls[1]" u32 => (mpls[1]),
    int 42 "mpls[2]" u32 => (mpls[2]),
    int 43 "mpls[3]" u32 => (mpls[3]),
    int 44 "mpls[4]" u32 => (mpls[4]),
    int 45 "mpls[5]" u32 => (mpls[5]),
    int 46 "mpls[6]" u32 => (mpls[6]),
    int 47 "mpls[7]" u32 => (mpls[7]),
    int 48 "mpls[8]" u32 => (mpls[8]),
    int 49 "mpls[9]" u32 => (mpls[9]),
    // EXmacAddr
    int 50 "in_src_mac" u64 => (in_src_mac),
    int 51 "out_dst_mac" u64 => (out_dst_mac),
    int 52 "in_dst_mac" u64 => (in_dst_mac),
    int 53 "out_src_mac" u64 => (out_src_mac),
    // EXlatency
    int 54 "client_nw_delay_us" u64 => (client_nw_delay_us),
    int 55 "server_nw_delay_us" u64 => (server_nw_delay_us),
    int 56 "appl_latency_us" u64 => (appl_latency_us),
    // EXsamplerInfo and the joined exporter table
    int 57 "sampler_id" u64 => (sampler_id),
    addr 58 "exporter_ip" IpAddr => (exporter_ip),
    int 59 "exporter_id" u32 => (exporter_id),
    int 60 "exporter_version" u16 => (exporter_version),
    int 61 "sampling_interval" u32 => (sampling_interval),
    // EXnselCommon
    int 62 "event_ms" u64 => (event_ms),
    int 63 "conn_id" u32 => (conn_id),
    int 64 "fw_xevent" u16 => (fw_xevent),
    int 65 "fw_event" u8 => (fw_event),
    // NAT
    int 66 "nat_event" u8 => (nat_event),
    addr 67 "xlate_src_ip" IpAddr => (xlate_src_ip),
    addr 68 "xlate_dst_ip" IpAddr => (xlate_dst_ip),
    int 69 "xlate_src_port" u16 => (xlate_src_port),
    int 70 "xlate_dst_port" u16 => (xlate_dst_port),
    int 71 "nat_pool_id" u32 => (nat_pool_id),
    int 72 "block_start" u16 => (block_start),
    int 73 "block_end" u16 => (block_end),
    int 74 "block_step" u16 => (block_step),
    int 75 "block_size" u16 => (block_size),
    // EXnselAcl / EXnselUser
    int 76 "ingress_acl[0]" u32 => (ingress_acl[0]),
    int 77 "ingress_acl[1]" u32 => (ingress_acl[1]),
    int 78 "ingress_acl[2]" u32 => (ingress_acl[2]),
    int 79 "egress_acl[0]" u32 => (egress_acl[0]),
    int 80 "egress_acl[1]" u32 => (egress_acl[1]),
    int 81 "egress_acl[2]" u32 => (egress_acl[2]),
    bytes 82 "username" [u8; USERNAME_LEN] => (username),
    // EXnbarApp
    bytes 83 "nbar_app" [u8; NBAR_APP_LEN] => (nbar_app),
    int 84 "nbar_app_len" u8 => (nbar_app_len),
    // EXtunIPv4 / EXtunIPv6
    addr 85 "tun_src" IpAddr => (tun_src),
    addr 86 "tun_dst" IpAddr => (tun_dst),
    int 87 "tun_proto" u32 => (tun_proto),
    // EXobservation
    int 88 "obs_point_id" u64 => (obs_point_id),
    int 89 "obs_domain_id" u32 => (obs_domain_id),
    // EXinmonMeta
    int 90 "inmon_frame_size" u16 => (inmon_frame_size),
    int 91 "inmon_link_type" u16 => (inmon_link_type),
    // EXvrf
    int 92 "ingress_vrf" u32 => (ingress_vrf),
    int 93 "egress_vrf" u32 => (egress_vrf),
    // EXpfinfo
    int 94 "pf_action" u8 => (pf_action),
    int 95 "pf_reason" u8 => (pf_reason),
    int 96 "pf_dir" u8 => (pf_dir),
    int 97 "pf_rewritten" u8 => (pf_rewritten),
    int 98 "pf_rulenr" u32 => (pf_rulenr),
    int 99 "pf_subrulenr" u32 => (pf_subrulenr),
    int 100 "pf_uid" u32 => (pf_uid),
    int 101 "pf_pid" u32 => (pf_pid),
    bytes 102 "pf_ifname" [u8; PF_IFNAME_LEN] => (pf_ifname),
    // EXlayer2
    int 103 "l2_vlan_id" u16 => (l2_vlan_id),
    int 104 "l2_customer_vlan_id" u16 => (l2_customer_vlan_id),
    int 105 "l2_post_vlan_id" u16 => (l2_post_vlan_id),
    int 106 "l2_post_customer_vlan_id" u16 => (l2_post_customer_vlan_id),
    int 107 "l2_ingress" u32 => (l2_ingress),
    int 108 "l2_egress" u32 => (l2_egress),
    int 109 "l2_vxlan" u64 => (l2_vxlan),
    int 110 "l2_ether_type" u16 => (l2_ether_type),
    int 111 "l2_ip_version" u8 => (l2_ip_version),
    // EXflowId
    int 112 "flow_id" u64 => (flow_id),
    // EXnokiaNat / EXnokiaNatString
    int 113 "nokia_in_service_id" u16 => (nokia_in_service_id),
    int 114 "nokia_out_service_id" u16 => (nokia_out_service_id),
    bytes 115 "nokia_nat_string" [u8; NOKIA_STRING_LEN] => (nokia_nat_string),
    // EXipInfo
    int 116 "fragment_flags" u8 => (fragment_flags),
    int 117 "min_ttl" u8 => (min_ttl),
    int 118 "max_ttl" u8 => (max_ttl),
}

// Column ids index a u128 mask in `non_default_mask`.
const _: () = assert!(COLUMNS.len() < 128);

/// The table entry for column `id`, if this build knows it.
pub(crate) fn by_id(id: u16) -> Option<&'static ColumnDef> {
    // Ids are dense from 1, so the entry sits at index id - 1; the check guards the invariant.
    let d = COLUMNS.get(usize::from(id).checked_sub(1)?)?;
    (u16::from(d.id) == id).then_some(d)
}

/// A set of columns to decode (a projection). Column ids index the 256 bits.
///
/// The `ext` column (element presence bits) is always decoded, because output formats need it
/// to know which fields a record carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ColumnSet([u64; 4]);

impl ColumnSet {
    /// Every column.
    pub const ALL: ColumnSet = ColumnSet([u64::MAX; 4]);
    /// Only the `ext` column.
    pub const NONE: ColumnSet = ColumnSet([1 << 1, 0, 0, 0]);
    /// No column at all (as a projection the same as [`ColumnSet::NONE`]: `ext` is always
    /// decoded); the start of a union, e.g. of [`ColumnSet::of_record`] sets.
    pub const EMPTY: ColumnSet = ColumnSet([0; 4]);

    /// Whether column `id` is in the set.
    pub fn contains(&self, id: u16) -> bool {
        id == 1 || (id < 256 && self.0[usize::from(id >> 6)] & (1u64 << (id & 63)) != 0)
    }

    fn insert(&mut self, id: u8) {
        self.0[usize::from(id >> 6)] |= 1u64 << (id & 63);
    }

    /// The columns holding field `name` of [`FlowRecord`] (for arrays such as `mpls` or
    /// `ingress_acl` all elements, or one as `mpls[3]`). `None` for an unknown name.
    pub fn field(name: &str) -> Option<ColumnSet> {
        let mut s = ColumnSet::NONE;
        let mut found = false;
        for c in COLUMNS {
            let base = c.name.split('[').next().unwrap_or(c.name);
            if c.name == name || base == name {
                s.insert(c.id);
                found = true;
            }
        }
        found.then_some(s)
    }

    /// The union of the columns of several fields; `Err` names the first unknown field.
    pub fn fields<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<ColumnSet, String> {
        names.into_iter().try_fold(ColumnSet::NONE, |acc, n| {
            ColumnSet::field(n)
                .map(|s| acc.union(s))
                .ok_or_else(|| n.to_string())
        })
    }

    /// Both sets' columns.
    #[must_use]
    pub fn union(self, o: ColumnSet) -> ColumnSet {
        ColumnSet(std::array::from_fn(|i| self.0[i] | o.0[i]))
    }

    /// The columns in which `r` holds a value other than the default: what a file must
    /// store for it (the `ext` column only when `r.ext` is not empty).
    pub fn of_record(r: &FlowRecord) -> ColumnSet {
        let m = non_default_mask(r);
        ColumnSet([m as u64, (m >> 64) as u64, 0, 0])
    }

    /// Whether every column of this set is also in `o`.
    pub fn is_subset(&self, o: &ColumnSet) -> bool {
        self.0.iter().zip(&o.0).all(|(a, b)| a & !b == 0)
    }

    /// The set as a mask of the ids below 128 (every column this build knows).
    pub(crate) fn low_mask(&self) -> u128 {
        u128::from(self.0[0]) | u128::from(self.0[1]) << 64
    }
}

impl Default for ColumnSet {
    fn default() -> Self {
        ColumnSet::ALL
    }
}

/// Names of all known columns with their ids, in id order (for documentation and tools).
pub fn column_names() -> impl Iterator<Item = (u16, &'static str)> {
    COLUMNS.iter().map(|c| (u16::from(c.id), c.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_unique_and_found() {
        for (i, c) in COLUMNS.iter().enumerate() {
            assert_eq!(usize::from(c.id), i + 1, "{}", c.name);
            assert!(std::ptr::eq(by_id(u16::from(c.id)).unwrap(), c));
        }
        assert!(by_id(0).is_none());
        assert!(by_id(COLUMNS.len() as u16 + 1).is_none());
        assert!(by_id(u16::MAX).is_none());
    }

    #[test]
    fn non_default_mask_matches_the_table() {
        assert_eq!(non_default_mask(&FlowRecord::default()), 0);
        for c in COLUMNS {
            let mut r = FlowRecord::default();
            match c.kind {
                Kind::Int { set, .. } => assert!(set(std::slice::from_mut(&mut r), &[1])),
                Kind::Addr { set, .. } => {
                    set(std::slice::from_mut(&mut r), &[IpAddr::from([0u8; 16])])
                }
                Kind::Bytes { len, set, .. } => set(&mut r, &vec![0xff; len]),
            }
            assert_eq!(non_default_mask(&r), 1u128 << c.id, "{}", c.name);
        }
    }

    #[test]
    fn presence_is_the_or_of_the_masks() {
        let mut p = Presence::default();
        assert_eq!(p.mask(), 0);
        let mut want = 0;
        for c in COLUMNS {
            let mut r = FlowRecord::default();
            match c.kind {
                Kind::Int { set, .. } => assert!(set(std::slice::from_mut(&mut r), &[2])),
                Kind::Addr { set, .. } => {
                    set(std::slice::from_mut(&mut r), &[IpAddr::from([0, 0, 0, 2])])
                }
                Kind::Bytes { len, set, .. } => {
                    let mut v = vec![0; len];
                    v[len - 1] = 2;
                    set(&mut r, &v);
                }
            }
            p.add(&FlowRecord::default());
            p.add(&r);
            want |= 1u128 << c.id;
            assert_eq!(p.mask(), want, "{}", c.name);
        }
        let mut p = Presence::default();
        p.add(&FlowRecord {
            src_addr: IpAddr::from([0u8; 16]),
            ..FlowRecord::default()
        });
        assert_eq!(p.mask(), 1 << 18, "an IPv6 :: is not the default");
    }

    #[test]
    fn int_setters_reject_values_too_wide() {
        let proto = by_id(14).unwrap();
        let Kind::Int { get, set } = proto.kind else {
            panic!("proto is an int")
        };
        let mut rs = vec![FlowRecord::default(); 2];
        assert!(set(&mut rs, &[17, 6]));
        let mut got = Vec::new();
        get(&rs, &mut got);
        assert_eq!((rs[0].proto, rs[1].proto, got), (17, 6, vec![17, 6]));
        assert!(!set(&mut rs, &[1, 256]));
        let mpls = ColumnSet::field("mpls[3]").unwrap();
        assert!(mpls.contains(43) && !mpls.contains(42));
    }

    #[test]
    fn projection_by_field_name() {
        let s = ColumnSet::fields(["src_addr", "proto", "mpls"]).unwrap();
        for id in [1, 14, 18, 40, 49] {
            assert!(s.contains(id), "{id}");
        }
        assert!(!s.contains(19) && !s.contains(7));
        assert!(ColumnSet::NONE.contains(1) && !ColumnSet::NONE.contains(7));
        assert_eq!(
            ColumnSet::fields(["proto", "nope"]),
            Err("nope".to_string())
        );
        assert!(ColumnSet::ALL.contains(255) && !ColumnSet::ALL.contains(256));
    }
}
