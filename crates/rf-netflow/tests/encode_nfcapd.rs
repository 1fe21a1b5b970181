//! Encoder → real nfcapd: records with every field the encoders carry are sent over loopback
//! as NetFlow v5, v9 and IPFIX, and `nfdump -o csv` of the file nfcapd writes must show the
//! values the records held.

mod encode_support;

use std::collections::HashMap;
use std::net::UdpSocket;

use encode_support::{Collector, have_nfdump, nfdump_csv, nfdump_raw};
use rf_format::{FlowRecord, ext_id};
use rf_netflow::encode::{Config, Encoder, Version};

/// Records covering both families, ICMP and every optional group.
fn sample_records() -> Vec<FlowRecord> {
    let mut full = FlowRecord {
        nfversion: 9,
        engine_type: 1,
        engine_id: 2,
        first_ms: 1_700_000_000_123,
        last_ms: 1_700_000_004_567,
        in_packets: 12,
        in_bytes: 3456,
        src_port: 40000,
        dst_port: 443,
        proto: 6,
        tcp_flags: 0x1b,
        fwd_status: 64,
        src_tos: 0x20,
        src_addr: "10.1.2.3".parse().unwrap(),
        dst_addr: "192.0.2.77".parse().unwrap(),
        input: 7,
        output: 70_000,
        src_mask: 24,
        dst_mask: 16,
        dir: 1,
        dst_tos: 0x28,
        biflow_dir: 0,
        end_reason: 2,
        flows: 1,
        out_packets: 9,
        out_bytes: 8765,
        src_vlan: 100,
        dst_vlan: 200,
        src_as: 64512,
        dst_as: 4_200_000_000,
        next_as: 65001,
        prev_as: 65002,
        ip_next_hop: "10.9.9.9".parse().unwrap(),
        bgp_next_hop: "10.8.8.8".parse().unwrap(),
        mpls: [
            (100 << 4) | (1 << 1),
            (200 << 4) | (2 << 1),
            (300 << 4) | 1,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ],
        in_src_mac: 0x0011_2233_4455,
        out_dst_mac: 0x6677_8899_aabb,
        in_dst_mac: 0x0a0b_0c0d_0e0f,
        out_src_mac: 0x1a1b_1c1d_1e1f,
        ..FlowRecord::default()
    };
    for id in [
        ext_id::GENERIC,
        ext_id::IPV4,
        ext_id::FLOW_MISC,
        ext_id::CNT_FLOW,
        ext_id::VLAN,
        ext_id::AS_ROUTING,
        ext_id::AS_ADJACENT,
        ext_id::IP_NEXT_HOP_V4,
        ext_id::BGP_NEXT_HOP_V4,
        ext_id::MPLS,
        ext_id::MAC,
    ] {
        full.ext.set(id);
    }
    let mut v6 = full.clone();
    v6.ext.clear(ext_id::IPV4);
    v6.ext.set(ext_id::IPV6);
    v6.src_addr = "2001:db8::1".parse().unwrap();
    v6.dst_addr = "2001:db8:ffff::2".parse().unwrap();
    v6.ip_next_hop = "2001:db8::9".parse().unwrap();
    v6.bgp_next_hop = "2001:db8::8".parse().unwrap();
    v6.src_mask = 64;
    v6.dst_mask = 48;
    v6.proto = 17;
    v6.tcp_flags = 0;
    let mut icmp = FlowRecord {
        first_ms: 1_700_000_010_000,
        last_ms: 1_700_000_010_000,
        in_packets: 1,
        in_bytes: 84,
        proto: 1,
        dst_port: (3 << 8) | 1,
        src_addr: "10.0.0.1".parse().unwrap(),
        dst_addr: "10.0.0.2".parse().unwrap(),
        ..FlowRecord::default()
    };
    icmp.ext.set(ext_id::GENERIC);
    icmp.ext.set(ext_id::IPV4);
    let mut icmp6 = icmp.clone();
    icmp6.proto = 58;
    icmp6.dst_port = 128 << 8;
    icmp6.src_addr = "fe80::1".parse().unwrap();
    icmp6.dst_addr = "ff02::1".parse().unwrap();
    vec![full, v6, icmp, icmp6]
}

fn send(version: Version, records: &[FlowRecord], port: u16) -> u64 {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(("127.0.0.1", port)).unwrap();
    let mut enc = Encoder::new(&Config::new(version)).unwrap();
    let mut sink = |p: &[u8]| sock.send(p).map(|_| ());
    for r in records {
        enc.push(r, 1_800_000_000_000, &mut sink).unwrap();
    }
    enc.flush(1_800_000_000_000, &mut sink).unwrap();
    enc.stats().flows
}

/// The csv rows of what nfcapd stored, each as column name -> value.
fn received(version: Version, records: &[FlowRecord]) -> (Vec<HashMap<String, String>>, String) {
    let c = Collector::start();
    send(version, records, c.port);
    let (file, _dir) = c.finish();
    let mut rows = nfdump_csv(&file).into_iter();
    let header = rows.next().expect("csv header");
    let rows = rows
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect();
    (rows, nfdump_raw(&file))
}

/// Asserts the columns of `row` (values written out from the records above).
fn expect(row: &HashMap<String, String>, cols: &[(&str, &str)]) {
    for (k, v) in cols {
        assert_eq!(
            row.get(*k).map(String::as_str),
            Some(*v),
            "column {k} of {row:?}"
        );
    }
}

/// Columns of the first two sample records that both v9 and IPFIX deliver.
const FULL_V4: &[(&str, &str)] = &[
    ("ts", "2023-11-14 22:13:20"),
    ("te", "2023-11-14 22:13:24"),
    ("td", "4.444"),
    ("sa", "10.1.2.3"),
    ("da", "192.0.2.77"),
    ("sp", "40000"),
    ("dp", "443"),
    ("pr", "TCP"),
    ("flg", "...AP.SF"),
    ("stos", "32"),
    ("ipkt", "12"),
    ("ibyt", "3456"),
    ("opkt", "9"),
    ("obyt", "8765"),
    ("in", "7"),
    ("out", "70000"),
    ("sas", "64512"),
    ("das", "4200000000"),
    ("smk", "24"),
    ("dmk", "16"),
    ("dtos", "40"),
    ("dir", "1"),
    ("nh", "10.9.9.9"),
    ("nhb", "10.8.8.8"),
    ("svln", "100"),
    ("dvln", "200"),
    ("ismc", "00:11:22:33:44:55"),
    ("odmc", "66:77:88:99:aa:bb"),
    ("idmc", "0a:0b:0c:0d:0e:0f"),
    ("osmc", "1a:1b:1c:1d:1e:1f"),
    ("mpls1", "100-1-0"),
    ("mpls2", "200-2-0"),
    ("mpls3", "300-0-1"),
    ("mpls4", "0-0-0"),
];
const FULL_V6: &[(&str, &str)] = &[
    ("sa", "2001:db8::1"),
    ("da", "2001:db8:ffff::2"),
    ("pr", "UDP"),
    ("smk", "64"),
    ("dmk", "48"),
    ("nh", "2001:db8::9"),
    ("ipkt", "12"),
    ("obyt", "8765"),
    ("das", "4200000000"),
    ("svln", "100"),
    ("mpls3", "300-0-1"),
    ("osmc", "1a:1b:1c:1d:1e:1f"),
];
const ICMP: &[(&str, &str)] = &[
    ("ts", "2023-11-14 22:13:30"),
    ("sa", "10.0.0.1"),
    ("da", "10.0.0.2"),
    ("pr", "ICMP"),
    ("sp", "0"),
    ("dp", "769"),
    ("ibyt", "84"),
];
const ICMP6: &[(&str, &str)] = &[
    ("sa", "fe80::1"),
    ("da", "ff02::1"),
    ("pr", "ICMP6"),
    ("dp", "32768"),
];

fn check_template_protocol(version: Version) {
    let (rows, raw) = received(version, &sample_records());
    assert_eq!(rows.len(), 4, "{raw}");
    expect(&rows[0], FULL_V4);
    expect(&rows[1], FULL_V6);
    expect(&rows[2], ICMP);
    expect(&rows[3], ICMP6);
    // nfdump 1.7.1's csv prints the IP next hop in the nhb column of IPv6 flows; the raw view
    // shows the BGP next hop arrived.
    assert!(raw.contains("bgp next hop =       2001:db8::8"), "{raw}");
    assert!(raw.contains("first        =     1700000000123"), "{raw}");
    assert!(raw.contains("last         =     1700000004567"), "{raw}");
}

#[test]
fn v9_fields_arrive_in_nfcapd() {
    if !have_nfdump("v9_fields_arrive_in_nfcapd") {
        return;
    }
    check_template_protocol(Version::V9);
    // v9 also carries forwarding status and the adjacent AS numbers to nfcapd 1.7.1.
    let (rows, raw) = received(Version::V9, &sample_records()[..1]);
    expect(&rows[0], &[("fwd", "64")]);
    assert!(raw.contains("bgp next as  =             65001"), "{raw}");
    assert!(raw.contains("bgp prev as  =             65002"), "{raw}");
}

#[test]
fn ipfix_fields_arrive_in_nfcapd() {
    if !have_nfdump("ipfix_fields_arrive_in_nfcapd") {
        return;
    }
    check_template_protocol(Version::Ipfix);
    // IPFIX also carries the flow end reason to nfcapd 1.7.1.
    let (_, raw) = received(Version::Ipfix, &sample_records()[..1]);
    assert!(raw.contains("end reason   =              0x02"), "{raw}");
}

#[test]
fn v5_delivers_ipv4_flows() {
    if !have_nfdump("v5_delivers_ipv4_flows") {
        return;
    }
    let c = Collector::start();
    let flows = send(Version::V5, &sample_records(), c.port);
    assert_eq!(flows, 2, "the two IPv6 records are skipped");
    let (file, _dir) = c.finish();
    let mut rows = nfdump_csv(&file).into_iter();
    let header = rows.next().expect("csv header");
    let rows: Vec<HashMap<String, String>> = rows
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    // v5 has 16-bit interfaces and AS numbers: 70000 saturates, a 4-byte AS becomes AS_TRANS.
    expect(
        &rows[0],
        &[
            ("ts", "2023-11-14 22:13:20"),
            ("td", "4.444"),
            ("sa", "10.1.2.3"),
            ("da", "192.0.2.77"),
            ("sp", "40000"),
            ("dp", "443"),
            ("flg", "...AP.SF"),
            ("ipkt", "12"),
            ("ibyt", "3456"),
            ("in", "7"),
            ("out", "65535"),
            ("sas", "64512"),
            ("das", "23456"),
            ("nh", "10.9.9.9"),
        ],
    );
    expect(&rows[1], ICMP);
    assert!(nfdump_raw(&file).contains("first        =     1700000000123"));
}
