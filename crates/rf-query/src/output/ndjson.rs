//! `-o ndjson`: one compact JSON object per line, an rflow extension for log pipelines
//! (jq, Elasticsearch, ...). Field names are stable snake_case, matching nfdump's json keys
//! where those are sensible; the full list is in docs/ndjson.md. Unlike `-o json`, address keys
//! do not change with the family, times are UTC RFC 3339 with milliseconds plus the raw epoch
//! milliseconds, and every line is valid JSON on its own.

use std::fmt::Write as _;

use rf_format::{FlowRecord, ext_id};

use crate::render;

fn utc(out: &mut String, ms: u64) {
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(t) => {
            let _ = write!(
                out,
                "\"{}.{:03}Z\"",
                t.format("%Y-%m-%dT%H:%M:%S"),
                ms % 1000
            );
        }
        None => out.push_str("null"),
    }
}

/// Appends one record as a JSON line.
pub fn render(r: &FlowRecord, out: &mut String) {
    out.push_str("{\"first\":");
    utc(out, r.first_ms);
    out.push_str(",\"last\":");
    utc(out, r.last_ms);
    out.push_str(",\"received\":");
    utc(out, r.received_ms);
    let _ = write!(
        out,
        ",\"first_ms\":{},\"last_ms\":{},\"duration_ms\":{},\"proto\":{},\"proto_name\":\"{}\"",
        r.first_ms,
        r.last_ms,
        r.duration_ms(),
        r.proto,
        render::proto(r.proto, false).as_str()
    );
    let _ = write!(
        out,
        ",\"src_addr\":\"{}\",\"dst_addr\":\"{}\",\"src_port\":{},\"dst_port\":{}",
        r.src_addr, r.dst_addr, r.src_port, r.dst_port
    );
    if r.is_icmp() {
        let _ = write!(
            out,
            ",\"icmp_type\":{},\"icmp_code\":{}",
            r.icmp_type(),
            r.icmp_code()
        );
    }
    let _ = write!(
        out,
        ",\"tcp_flags\":\"{}\",\"src_tos\":{},\"in_packets\":{},\"in_bytes\":{},\"out_packets\":{},\"out_bytes\":{},\"aggr_flows\":{}",
        render::tcp_flags(if r.proto == 6 { r.tcp_flags } else { 0 }),
        r.src_tos,
        r.in_packets,
        r.in_bytes,
        r.out_packets,
        r.out_bytes,
        r.flow_count()
    );
    if r.ext.has(ext_id::FLOW_MISC) {
        let _ = write!(
            out,
            ",\"input_snmp\":{},\"output_snmp\":{},\"src_mask\":{},\"dst_mask\":{},\"direction\":{},\"dst_tos\":{},\"fwd_status\":{}",
            r.input, r.output, r.src_mask, r.dst_mask, r.dir, r.dst_tos, r.fwd_status
        );
    }
    if r.ext.has(ext_id::VLAN) {
        let _ = write!(
            out,
            ",\"src_vlan\":{},\"dst_vlan\":{}",
            r.src_vlan, r.dst_vlan
        );
    }
    if r.ext.has(ext_id::AS_ROUTING) {
        let _ = write!(out, ",\"src_as\":{},\"dst_as\":{}", r.src_as, r.dst_as);
    }
    if r.ext.has(ext_id::AS_ADJACENT) {
        let _ = write!(out, ",\"next_as\":{},\"prev_as\":{}", r.next_as, r.prev_as);
    }
    if r.ext.has(ext_id::IP_NEXT_HOP_V4) || r.ext.has(ext_id::IP_NEXT_HOP_V6) {
        let _ = write!(out, ",\"ip_next_hop\":\"{}\"", r.ip_next_hop);
    }
    if r.ext.has(ext_id::BGP_NEXT_HOP_V4) || r.ext.has(ext_id::BGP_NEXT_HOP_V6) {
        let _ = write!(out, ",\"bgp_next_hop\":\"{}\"", r.bgp_next_hop);
    }
    if r.ext.has(ext_id::MAC) {
        let _ = write!(
            out,
            ",\"in_src_mac\":\"{}\",\"out_dst_mac\":\"{}\",\"in_dst_mac\":\"{}\",\"out_src_mac\":\"{}\"",
            render::mac(r.in_src_mac),
            render::mac(r.out_dst_mac),
            render::mac(r.in_dst_mac),
            render::mac(r.out_src_mac)
        );
    }
    if r.ext.has(ext_id::IP_RECEIVED_V4) || r.ext.has(ext_id::IP_RECEIVED_V6) {
        let _ = write!(out, ",\"router\":\"{}\"", r.received_ip);
    }
    let _ = writeln!(
        out,
        ",\"export_sysid\":{},\"sampled\":{}}}",
        r.exporter_sysid,
        u8::from(r.flags & rf_format::record::FLAG_SAMPLED != 0)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_object_per_line() {
        let r = FlowRecord {
            first_ms: 1_700_000_000_000,
            last_ms: 1_700_000_000_520,
            proto: 6,
            src_port: 40000,
            dst_port: 80,
            in_packets: 5,
            in_bytes: 218,
            src_addr: "10.0.0.1".parse().unwrap(),
            dst_addr: "10.0.0.2".parse().unwrap(),
            ..FlowRecord::default()
        };
        let mut s = String::new();
        render(&r, &mut s);
        assert!(
            s.starts_with("{\"first\":\"2023-11-14T22:13:20.000Z\",\"last\":"),
            "{s}"
        );
        assert!(s.contains("\"src_addr\":\"10.0.0.1\""));
        assert!(s.ends_with("}\n") && s.matches('\n').count() == 1);
    }
}
