//! `-o json`: nfdump 1.7.1's JSON array of records, one tab-indented `"key" : value` line per
//! field of every extension element present, in element order, `label` last.

use std::fmt::Write as _;
use std::net::IpAddr;

use rf_format::record::{FLAG_EVENT, FLAG_SAMPLED};
use rf_format::{FlowRecord, ext_id};

use crate::render;

fn num(out: &mut String, key: &str, v: impl std::fmt::Display) {
    let _ = writeln!(out, "\t\"{key}\" : {v},");
}

fn text(out: &mut String, key: &str, v: impl std::fmt::Display) {
    let _ = writeln!(out, "\t\"{key}\" : \"{v}\",");
}

fn time(out: &mut String, key: &str, ms: u64) {
    let _ = write!(out, "\t\"{key}\" : \"");
    render::time_ms_iso(out, ms);
    out.push_str("\",\n");
}

/// The family-specific key (`src4_addr` / `src6_addr`).
fn addr(out: &mut String, v4: &str, v6: &str, a: IpAddr) {
    text(out, if a.is_ipv6() { v6 } else { v4 }, a);
}

/// Appends one record object (without the separator between records).
pub fn render(r: &FlowRecord, out: &mut String) {
    out.push_str("{\n");
    text(
        out,
        "type",
        if r.flags & FLAG_EVENT != 0 {
            "EVENT"
        } else {
            "FLOW"
        },
    );
    num(out, "sampled", u8::from(r.flags & FLAG_SAMPLED != 0));
    num(out, "export_sysid", r.exporter_sysid);
    for id in r.ext.ids() {
        element(r, id, out);
    }
    out.push_str("\t\"label\" : \"<none>\"\n}");
}

fn element(r: &FlowRecord, id: u8, out: &mut String) {
    match id {
        ext_id::GENERIC => {
            time(out, "first", r.first_ms);
            time(out, "last", r.last_ms);
            time(out, "received", r.received_ms);
            num(out, "in_packets", r.in_packets);
            num(out, "in_bytes", r.in_bytes);
            num(out, "proto", r.proto);
            if r.is_icmp() {
                num(out, "icmp_type", r.icmp_type());
                num(out, "icmp_code", r.icmp_code());
            } else {
                text(out, "tcp_flags", render::tcp_flags(r.tcp_flags));
                num(out, "src_port", r.src_port);
                num(out, "dst_port", r.dst_port);
            }
            num(out, "src_tos", r.src_tos);
        }
        ext_id::IPV4 | ext_id::IPV6 => {
            addr(out, "src4_addr", "src6_addr", r.src_addr);
            addr(out, "dst4_addr", "dst6_addr", r.dst_addr);
        }
        ext_id::FLOW_MISC => {
            num(out, "input_snmp", r.input);
            num(out, "output_snmp", r.output);
            num(out, "src_mask", r.src_mask);
            num(out, "dst_mask", r.dst_mask);
            // The networks of the addresses under their masks, empty without a mask.
            text(out, "src_net", render::network_text(r.src_addr, r.src_mask));
            text(out, "dst_net", render::network_text(r.dst_addr, r.dst_mask));
            num(out, "fwd_status", r.fwd_status);
            num(out, "direction", r.dir);
            num(out, "dst_tos", r.dst_tos);
        }
        ext_id::CNT_FLOW => {
            num(out, "out_packets", r.out_packets);
            num(out, "out_bytes", r.out_bytes);
            num(out, "aggr_flows", r.flows);
        }
        ext_id::VLAN => {
            num(out, "src_vlan", r.src_vlan);
            num(out, "dst_vlan", r.dst_vlan);
        }
        ext_id::AS_ROUTING => {
            num(out, "src_as", r.src_as);
            num(out, "dst_as", r.dst_as);
        }
        ext_id::BGP_NEXT_HOP_V4 | ext_id::BGP_NEXT_HOP_V6 => {
            addr(out, "bgp4_next_hop", "bgp6_next_hop", r.bgp_next_hop);
        }
        ext_id::IP_NEXT_HOP_V4 | ext_id::IP_NEXT_HOP_V6 => {
            addr(out, "ip4_next_hop", "ip6_next_hop", r.ip_next_hop);
        }
        ext_id::IP_RECEIVED_V4 | ext_id::IP_RECEIVED_V6 => {
            addr(out, "ip4_router", "ip6_router", r.received_ip);
        }
        ext_id::MPLS => {
            for (i, &l) in r.mpls.iter().enumerate() {
                text(
                    out,
                    &format!("mpls_{}", i + 1),
                    format_args!("{}-{}-{}", l >> 4, (l >> 1) & 7, l & 1),
                );
            }
        }
        ext_id::MAC => {
            text(out, "in_src_mac", render::mac(r.in_src_mac));
            text(out, "out_dst_mac", render::mac(r.out_dst_mac));
            text(out, "in_dst_mac", render::mac(r.in_dst_mac));
            text(out, "out_src_mac", render::mac(r.out_src_mac));
        }
        ext_id::AS_ADJACENT => {
            num(out, "next_as", r.next_as);
            num(out, "prev_as", r.prev_as);
        }
        ext_id::LATENCY => {
            // Milliseconds with six decimals, as nfdump's `%f`.
            let ms = |us: u64| format!("{:.6}", us as f64 / 1000.0);
            num(out, "cli_latency", ms(r.client_nw_delay_us));
            num(out, "srv_latency", ms(r.server_nw_delay_us));
            num(out, "app_latency", ms(r.appl_latency_us));
        }
        ext_id::OBSERVATION => {
            num(out, "observationDoaminID", r.obs_domain_id);
            num(out, "observationPointID", r.obs_point_id);
        }
        ext_id::VRF => {
            num(out, "ingress_vrf", r.ingress_vrf);
            num(out, "egress_vrf", r.egress_vrf);
        }
        ext_id::NSEL_COMMON => {
            num(out, "connect_id", r.conn_id);
            num(out, "event_id", r.fw_event);
            num(out, "xevent_id", r.fw_xevent);
            time(out, "t_event", r.event_ms);
        }
        ext_id::NAT_XLATE_V4 | ext_id::NAT_XLATE_V6 => {
            addr(out, "src4_xlt_ip", "src6_xlt_ip", r.xlate_src_ip);
            addr(out, "dst4_xlt_ip", "dst6_xlt_ip", r.xlate_dst_ip);
        }
        ext_id::NAT_XLATE_PORT => {
            num(out, "src_xlt_port", r.xlate_src_port);
            num(out, "dst_xlt_port", r.xlate_dst_port);
        }
        ext_id::NAT_COMMON => {
            num(out, "nat_event_id", r.nat_event);
        }
        ext_id::NAT_PORT_BLOCK => {
            num(out, "pblock_start", r.block_start);
            num(out, "pblock_end", r.block_end);
            num(out, "pblock_step", r.block_step);
            num(out, "pblock_size", r.block_size);
        }
        _ => {}
    }
}
