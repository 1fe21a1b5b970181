//! `-o raw`: one labelled block per record with the fields of every extension element the
//! record carries, in element order, as nfdump 1.7.1 prints it.

use std::fmt::Write as _;
use std::net::IpAddr;

use rf_format::record::{FLAG_ANON, FLAG_EVENT, FLAG_SAMPLED};
use rf_format::{FlowRecord, ext_id};

use crate::render;

/// On-disk size of each nfdump extension element (id -> bytes incl. element header); the raw
/// dump prints the record size nfdump would have read.
fn element_size(id: u8, r: &FlowRecord) -> usize {
    match id {
        1 => 52,
        2 => 12,
        3 => 36,
        4 => 20,
        5 => 28,
        6 | 7 | 16 | 20 | 26 | 36 | 39 => 12,
        8 | 10 | 12 | 22 | 34 | 40 | 42 => 8,
        9 | 11 | 13 | 18 | 19 | 25 | 33 => 20,
        14 | 32 => 44,
        15 | 21 | 38 => 36,
        17 | 23 => 28,
        24 => 72,
        27 => 4 + usize::from(r.nbar_app_len),
        31 => 16,
        _ => 4,
    }
}

fn line(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "  {label:<13}= {value:>17}");
}

fn time_line(out: &mut String, label: &str, ms: u64) {
    let _ = write!(out, "  {label:<13}= {ms:>17} [");
    render::time_ms(out, ms);
    out.push_str("]\n");
}

fn addr_line(out: &mut String, label: &str, a: IpAddr) {
    match a {
        IpAddr::V4(_) => line(out, label, a),
        IpAddr::V6(_) => {
            let _ = writeln!(out, "  {label:<13}=  {a:>16}");
        }
    }
}

fn flags_text(r: &FlowRecord) -> String {
    let v = r.nfversion;
    let mut s = if r.flags & FLAG_EVENT != 0 {
        "EVENT".to_string()
    } else if v == 0 {
        "FLOW".to_string()
    } else if v & 0x80 != 0 {
        format!("SFLOW v{}", v & 0x0f)
    } else if v & 0x40 != 0 {
        format!("PCAP v{}", v & 0x0f)
    } else {
        format!("NETFLOW v{v}")
    };
    if r.flags & FLAG_ANON != 0 {
        s.push_str(" Anonymized");
    }
    s.push_str(if r.flags & FLAG_SAMPLED != 0 {
        ", Sampled"
    } else {
        ", Unsampled"
    });
    s
}

/// The IPFIX biflowDirection name nfdump prints after the value (none for 0, arbitrary).
fn biflow_dir(d: u8) -> &'static str {
    match d {
        1 => "initiator",
        2 => "reverseInitiator",
        3 => "perimeter",
        _ => "",
    }
}

fn end_reason(e: u8) -> &'static str {
    match e {
        1 => "idle timeout",
        2 => "active timeout",
        3 => "end of Flow detected",
        4 => "forced end",
        5 => "lack of resources",
        _ => "",
    }
}

/// Appends the raw block of one record; `seq` is the record number (omitted when 0).
pub fn render(r: &FlowRecord, seq: u64, out: &mut String) {
    out.push_str("\nFlow Record: \n");
    if seq != 0 {
        line(out, "RecordCount", seq);
    }
    let _ = writeln!(
        out,
        "  {:<13}= {:>17} {}",
        "Flags",
        format!("0x{:02x}", r.flags),
        flags_text(r)
    );
    let ids: Vec<u8> = r.ext.ids().collect();
    let mut el = format!("  {:<13}= {:>17}:", "Elements", ids.len());
    for id in &ids {
        let _ = write!(el, " {id}");
    }
    out.push_str(&el);
    out.push_str(" \n");
    let size = 12 + ids.iter().map(|&i| element_size(i, r)).sum::<usize>();
    line(out, "size", size);
    line(out, "engine type", r.engine_type);
    line(out, "engine ID", r.engine_id);
    line(out, "export sysid", r.exporter_sysid);
    for id in ids {
        element(r, id, out);
    }
}

fn element(r: &FlowRecord, id: u8, out: &mut String) {
    match id {
        ext_id::GENERIC => {
            time_line(out, "first", r.first_ms);
            time_line(out, "last", r.last_ms);
            time_line(out, "received at", r.received_ms);
            let _ = writeln!(
                out,
                "  {:<13}= {:>17} {}",
                "proto",
                r.proto,
                render::proto(r.proto, false).as_str()
            );
            let f = if r.proto == 6 { r.tcp_flags } else { 0 };
            let _ = writeln!(
                out,
                "  {:<13}= {:>17} {}",
                "tcp flags",
                format!("0x{f:02x}"),
                render::tcp_flags(f)
            );
            if r.is_icmp() {
                let _ = writeln!(
                    out,
                    "  {:<13}= {:>17}  type.code",
                    "ICMP",
                    format!("{}.{}", r.icmp_type(), r.icmp_code())
                );
            } else {
                line(out, "src port", r.src_port);
                line(out, "dst port", r.dst_port);
                line(out, "src tos", r.src_tos);
            }
            line(out, "in packets", r.in_packets);
            line(out, "in bytes", r.in_bytes);
        }
        ext_id::IPV4 | ext_id::IPV6 => {
            addr_line(out, "src addr", r.src_addr);
            addr_line(out, "dst addr", r.dst_addr);
        }
        ext_id::FLOW_MISC => {
            line(out, "input", r.input);
            line(out, "output", r.output);
            for (label, a, mask) in [
                ("src mask", r.src_addr, r.src_mask),
                ("dst mask", r.dst_addr, r.dst_mask),
            ] {
                let net = render::network_text(a, mask);
                let _ = writeln!(out, "  {label:<13}= {mask:>17} {net}/{mask}");
            }
            line(out, "fwd status", r.fwd_status);
            // nfdump 1.7.1's raw dump prints the source ToS on this line.
            line(out, "dst tos", r.src_tos);
            line(out, "direction", r.dir);
            let _ = writeln!(
                out,
                "  {:<13}= {:>17} {}",
                "biFlow Dir",
                format!("0x{:02x}", r.biflow_dir),
                biflow_dir(r.biflow_dir)
            );
            let _ = writeln!(
                out,
                "  {:<13}= {:>17} {}",
                "end reason",
                format!("0x{:02x}", r.end_reason),
                end_reason(r.end_reason)
            );
        }
        ext_id::CNT_FLOW => {
            line(out, "out packets", r.out_packets);
            line(out, "out bytes", r.out_bytes);
            line(out, "aggr flows", r.flows);
        }
        ext_id::VLAN => {
            line(out, "src vlan", r.src_vlan);
            line(out, "dst vlan", r.dst_vlan);
        }
        ext_id::AS_ROUTING => {
            line(out, "src as", r.src_as);
            line(out, "dst as", r.dst_as);
        }
        ext_id::BGP_NEXT_HOP_V4 | ext_id::BGP_NEXT_HOP_V6 => {
            addr_line(out, "bgp next hop", r.bgp_next_hop);
        }
        ext_id::IP_NEXT_HOP_V4 | ext_id::IP_NEXT_HOP_V6 => {
            addr_line(out, "ip next hop", r.ip_next_hop);
        }
        ext_id::IP_RECEIVED_V4 | ext_id::IP_RECEIVED_V6 => {
            addr_line(out, "ip exporter", r.received_ip);
        }
        ext_id::MPLS => {
            for (i, &l) in r.mpls.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "  {:<13}= {:>17}",
                    format!("MPLS Lbl {:2}", i + 1),
                    format!("{}-{}-{}", l >> 4, (l >> 1) & 7, l & 1)
                );
            }
        }
        ext_id::MAC => {
            line(out, "in src mac", render::mac(r.in_src_mac));
            line(out, "out dst mac", render::mac(r.out_dst_mac));
            line(out, "in dst mac", render::mac(r.in_dst_mac));
            line(out, "out src mac", render::mac(r.out_src_mac));
        }
        ext_id::AS_ADJACENT => {
            line(out, "bgp next as", r.next_as);
            line(out, "bgp prev as", r.prev_as);
        }
        ext_id::LATENCY => {
            // nfdump: nine spaces, then the milliseconds as `%9.3f`, then the unit.
            for (label, us) in [
                ("cli latency", r.client_nw_delay_us),
                ("srv latency", r.server_nw_delay_us),
                ("app latency", r.appl_latency_us),
            ] {
                let _ = writeln!(out, "  {label:<13}=         {:9.3} ms", us as f64 / 1000.0);
            }
        }
        ext_id::NSEL_COMMON => {
            line(out, "connect ID", r.conn_id);
            line(out, "fw event", r.fw_event);
            line(out, "fw ext event", r.fw_xevent);
            time_line(out, "Event time", r.event_ms);
        }
        ext_id::NAT_XLATE_V4 | ext_id::NAT_XLATE_V6 => {
            addr_line(out, "src xlt ip", r.xlate_src_ip);
            addr_line(out, "dst xlt ip", r.xlate_dst_ip);
        }
        ext_id::NAT_XLATE_PORT => {
            line(out, "src xlt port", r.xlate_src_port);
            line(out, "dst xlt port", r.xlate_dst_port);
        }
        ext_id::NAT_COMMON => {
            line(out, "nat event", r.nat_event);
        }
        ext_id::NAT_PORT_BLOCK => {
            line(out, "pblock start", r.block_start);
            line(out, "pblock end", r.block_end);
            line(out, "pblock step", r.block_step);
            line(out, "pblock size", r.block_size);
        }
        ext_id::OBSERVATION => {
            line(out, "obs domainID", format!("0x{:09x}", r.obs_domain_id));
            line(out, "obs pointID", format!("0x{:010x}", r.obs_point_id));
        }
        ext_id::VRF => {
            line(out, "ingress VRF", r.ingress_vrf);
            line(out, "egress VRF", r.egress_vrf);
        }
        _ => {}
    }
}
