//! The versioned Parquet schema of an rflow export: one [`Column`] per output column, each with
//! its Parquet type and the function that extracts its value from a [`FlowRecord`].
//!
//! Column names are the `-o ndjson` keys (docs/ndjson.md) so that queries written against one
//! export work against the other. Columns whose nfdump element a record lacks are null, where
//! ndjson leaves the key out. The table here is the single source of truth: the Parquet message
//! type, the writer's buffers and docs/parquet.md all follow its order. Any change to names,
//! types or meaning must bump [`SCHEMA_VERSION`].

use std::io::Write as _;
use std::net::IpAddr;

use rf_format::record::FLAG_SAMPLED;
use rf_format::{FlowRecord, ext_id};

/// Version of the column layout, stored in the file's key/value metadata under
/// [`SCHEMA_VERSION_KEY`]. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;
/// Key/value metadata key holding [`SCHEMA_VERSION`].
pub const SCHEMA_VERSION_KEY: &str = "rflow.schema_version";

/// How a column's values are produced and stored.
#[derive(Clone, Copy)]
pub enum Getter {
    /// Parquet INT32, `None` = null.
    I32(fn(&FlowRecord) -> Option<i32>),
    /// Parquet INT64, `None` = null.
    I64(fn(&FlowRecord) -> Option<i64>),
    /// Parquet INT64 annotated TIMESTAMP(MILLIS, UTC); never null.
    Millis(fn(&FlowRecord) -> i64),
    /// Parquet BYTE_ARRAY annotated STRING; the function appends the text and returns `false`
    /// (appending nothing) for null.
    Str(fn(&FlowRecord, &mut Vec<u8>) -> bool),
}

/// One output column.
#[derive(Clone, Copy)]
pub struct Column {
    /// Column name (the ndjson key).
    pub name: &'static str,
    /// Whether the column may hold nulls.
    pub optional: bool,
    /// Value extraction and physical type.
    pub get: Getter,
}

/// Counters are u64 on disk; Parquet has no unsigned 64-bit type every engine reads, so values
/// beyond `i64::MAX` (never seen in real traffic) saturate instead of turning negative.
fn sat(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn addr(out: &mut Vec<u8>, a: IpAddr) -> bool {
    match a {
        // Most flows are IPv4 and `Display` through `fmt` was a sixth of the export time;
        // the digits are written directly instead (same text as `Display`).
        IpAddr::V4(v4) => {
            for (i, o) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                if o >= 100 {
                    out.push(b'0' + o / 100);
                }
                if o >= 10 {
                    out.push(b'0' + o / 10 % 10);
                }
                out.push(b'0' + o % 10);
            }
        }
        IpAddr::V6(_) => {
            // Writing to a Vec cannot fail.
            let _ = write!(out, "{a}");
        }
    }
    true
}

fn mac(out: &mut Vec<u8>, m: u64) -> bool {
    out.extend_from_slice(rf_query::render::mac(m).as_bytes());
    true
}

fn has(r: &FlowRecord, id: u8) -> bool {
    r.ext.has(id)
}

fn misc(r: &FlowRecord, v: u32) -> Option<i64> {
    has(r, ext_id::FLOW_MISC).then_some(i64::from(v))
}

fn misc8(r: &FlowRecord, v: u8) -> Option<i32> {
    has(r, ext_id::FLOW_MISC).then_some(i32::from(v))
}

/// The columns in file order.
pub const COLUMNS: &[Column] = &[
    req("first", Getter::Millis(|r| sat(r.first_ms))),
    req("last", Getter::Millis(|r| sat(r.last_ms))),
    req("received", Getter::Millis(|r| sat(r.received_ms))),
    req("duration_ms", Getter::I64(|r| Some(sat(r.duration_ms())))),
    req("proto", Getter::I32(|r| Some(i32::from(r.proto)))),
    req(
        "proto_name",
        Getter::Str(|r, o| {
            o.extend_from_slice(rf_query::render::proto(r.proto, false).as_str().as_bytes());
            true
        }),
    ),
    req("src_addr", Getter::Str(|r, o| addr(o, r.src_addr))),
    req("dst_addr", Getter::Str(|r, o| addr(o, r.dst_addr))),
    req("src_port", Getter::I32(|r| Some(i32::from(r.src_port)))),
    req("dst_port", Getter::I32(|r| Some(i32::from(r.dst_port)))),
    opt(
        "icmp_type",
        Getter::I32(|r| r.is_icmp().then(|| i32::from(r.icmp_type()))),
    ),
    opt(
        "icmp_code",
        Getter::I32(|r| r.is_icmp().then(|| i32::from(r.icmp_code()))),
    ),
    // The numeric flags (ndjson has the `CEUAPRSF` text): bit tests need the number. Non-TCP
    // flows get 0, as ndjson's all-dots string.
    req(
        "tcp_flags",
        Getter::I32(|r| {
            Some(if r.proto == 6 {
                i32::from(r.tcp_flags)
            } else {
                0
            })
        }),
    ),
    req("src_tos", Getter::I32(|r| Some(i32::from(r.src_tos)))),
    req("in_packets", Getter::I64(|r| Some(sat(r.in_packets)))),
    req("in_bytes", Getter::I64(|r| Some(sat(r.in_bytes)))),
    req("out_packets", Getter::I64(|r| Some(sat(r.out_packets)))),
    req("out_bytes", Getter::I64(|r| Some(sat(r.out_bytes)))),
    req("aggr_flows", Getter::I64(|r| Some(sat(r.flow_count())))),
    opt("input_snmp", Getter::I64(|r| misc(r, r.input))),
    opt("output_snmp", Getter::I64(|r| misc(r, r.output))),
    opt("src_mask", Getter::I32(|r| misc8(r, r.src_mask))),
    opt("dst_mask", Getter::I32(|r| misc8(r, r.dst_mask))),
    opt("direction", Getter::I32(|r| misc8(r, r.dir))),
    opt("dst_tos", Getter::I32(|r| misc8(r, r.dst_tos))),
    opt("fwd_status", Getter::I32(|r| misc8(r, r.fwd_status))),
    opt(
        "src_vlan",
        Getter::I64(|r| has(r, ext_id::VLAN).then_some(i64::from(r.src_vlan))),
    ),
    opt(
        "dst_vlan",
        Getter::I64(|r| has(r, ext_id::VLAN).then_some(i64::from(r.dst_vlan))),
    ),
    opt(
        "src_as",
        Getter::I64(|r| has(r, ext_id::AS_ROUTING).then_some(i64::from(r.src_as))),
    ),
    opt(
        "dst_as",
        Getter::I64(|r| has(r, ext_id::AS_ROUTING).then_some(i64::from(r.dst_as))),
    ),
    opt(
        "next_as",
        Getter::I64(|r| has(r, ext_id::AS_ADJACENT).then_some(i64::from(r.next_as))),
    ),
    opt(
        "prev_as",
        Getter::I64(|r| has(r, ext_id::AS_ADJACENT).then_some(i64::from(r.prev_as))),
    ),
    opt(
        "ip_next_hop",
        Getter::Str(|r, o| {
            (has(r, ext_id::IP_NEXT_HOP_V4) || has(r, ext_id::IP_NEXT_HOP_V6))
                && addr(o, r.ip_next_hop)
        }),
    ),
    opt(
        "bgp_next_hop",
        Getter::Str(|r, o| {
            (has(r, ext_id::BGP_NEXT_HOP_V4) || has(r, ext_id::BGP_NEXT_HOP_V6))
                && addr(o, r.bgp_next_hop)
        }),
    ),
    opt(
        "in_src_mac",
        Getter::Str(|r, o| has(r, ext_id::MAC) && mac(o, r.in_src_mac)),
    ),
    opt(
        "out_dst_mac",
        Getter::Str(|r, o| has(r, ext_id::MAC) && mac(o, r.out_dst_mac)),
    ),
    opt(
        "in_dst_mac",
        Getter::Str(|r, o| has(r, ext_id::MAC) && mac(o, r.in_dst_mac)),
    ),
    opt(
        "out_src_mac",
        Getter::Str(|r, o| has(r, ext_id::MAC) && mac(o, r.out_src_mac)),
    ),
    opt(
        "router",
        Getter::Str(|r, o| {
            (has(r, ext_id::IP_RECEIVED_V4) || has(r, ext_id::IP_RECEIVED_V6))
                && addr(o, r.received_ip)
        }),
    ),
    req(
        "export_sysid",
        Getter::I32(|r| Some(i32::from(r.exporter_sysid))),
    ),
    req(
        "sampled",
        Getter::I32(|r| Some(i32::from(r.flags & FLAG_SAMPLED != 0))),
    ),
    // Joined in from the file's exporter table; null when the sysid has no exporter entry.
    opt(
        "exporter",
        Getter::Str(|r, o| !r.exporter_ip.is_unspecified() && addr(o, r.exporter_ip)),
    ),
    opt(
        "exporter_id",
        Getter::I64(|r| (!r.exporter_ip.is_unspecified()).then_some(i64::from(r.exporter_id))),
    ),
    req(
        "sampling_interval",
        Getter::I64(|r| Some(i64::from(r.sampling_interval))),
    ),
];

const fn req(name: &'static str, get: Getter) -> Column {
    Column {
        name,
        optional: false,
        get,
    }
}

const fn opt(name: &'static str, get: Getter) -> Column {
    Column {
        name,
        optional: true,
        get,
    }
}

/// The Parquet message type of [`COLUMNS`], in the textual schema syntax.
pub fn message_type() -> String {
    let mut s = String::from("message rflow_flow {\n");
    for c in COLUMNS {
        let rep = if c.optional { "optional" } else { "required" };
        let ty = match c.get {
            Getter::I32(_) => "int32",
            Getter::I64(_) => "int64",
            Getter::Millis(_) => "int64",
            Getter::Str(_) => "binary",
        };
        let ann = match c.get {
            Getter::Millis(_) => " (TIMESTAMP(MILLIS,true))",
            Getter::Str(_) => " (STRING)",
            _ => "",
        };
        s.push_str(&format!("  {rep} {ty} {}{ann};\n", c.name));
    }
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in COLUMNS {
            assert!(seen.insert(c.name), "duplicate column {}", c.name);
            assert!(
                c.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn message_type_parses() {
        let t = parquet::schema::parser::parse_message_type(&message_type()).unwrap();
        assert_eq!(t.get_fields().len(), COLUMNS.len());
    }

    #[test]
    fn addresses_as_display_writes_them() {
        for text in [
            "0.0.0.0",
            "10.0.9.255",
            "100.99.10.1",
            "255.255.255.255",
            "2001:db8::1",
            "::ffff:10.1.2.3",
        ] {
            let a: IpAddr = text.parse().unwrap();
            let mut out = Vec::new();
            addr(&mut out, a);
            assert_eq!(String::from_utf8(out).unwrap(), a.to_string());
        }
    }

    #[test]
    fn absent_elements_are_null() {
        let r = FlowRecord {
            proto: 17,
            ..FlowRecord::default()
        };
        for c in COLUMNS {
            let present = match c.get {
                Getter::I32(f) => f(&r).is_some(),
                Getter::I64(f) => f(&r).is_some(),
                Getter::Millis(_) => true,
                Getter::Str(f) => f(&r, &mut Vec::new()),
            };
            assert_eq!(present, !c.optional, "{}", c.name);
        }
    }
}
