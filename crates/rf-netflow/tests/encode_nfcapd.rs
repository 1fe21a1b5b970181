//! Encoder → real nfcapd: records with every field the encoders carry are sent over loopback
//! as NetFlow v5, v9 and IPFIX, and `nfdump -o csv` of the file nfcapd writes must show the
//! values the records held.

mod encode_support;

use std::collections::HashMap;
use std::net::UdpSocket;

use encode_support::{Collector, have_nfdump, nfdump_csv, nfdump_raw, sample_records};
use rf_format::{FlowRecord, ext_id};
use rf_netflow::encode::{Config, Encoder, Version};

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
    assert!(raw.contains("ingress VRF  =                 5"), "{raw}");
    assert!(raw.contains("egress VRF   =                 6"), "{raw}");
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
    // IPFIX also carries the flow end reason and the observation ids to nfcapd 1.7.1.
    let (_, raw) = received(Version::Ipfix, &sample_records()[..1]);
    assert!(raw.contains("end reason   =              0x02"), "{raw}");
    assert!(raw.contains("obs domainID =         0x00058"), "{raw}");
    assert!(raw.contains("obs pointID  =      0x000000004d"), "{raw}");
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

/// A NAT event record as an ASA/CGN exporter would log it.
fn nat_event() -> FlowRecord {
    let mut r = sample_records().remove(2);
    for id in [
        ext_id::NSEL_COMMON,
        ext_id::NAT_XLATE_V4,
        ext_id::NAT_XLATE_PORT,
        ext_id::NAT_COMMON,
    ] {
        r.ext.set(id);
    }
    r.event_ms = 1_700_000_010_500;
    r.conn_id = 4242;
    r.fw_xevent = 1001;
    r.xlate_src_ip = "192.0.2.1".parse().unwrap();
    r.xlate_dst_ip = "192.0.2.2".parse().unwrap();
    r.xlate_src_port = 5555;
    r.xlate_dst_port = 6666;
    r.nat_event = 1;
    r
}

#[test]
fn nat_and_nsel_fields_arrive_in_nfcapd() {
    if !have_nfdump("nat_and_nsel_fields_arrive_in_nfcapd") {
        return;
    }
    for v in [Version::V9, Version::Ipfix] {
        let (_, raw) = received(v, &[nat_event()]);
        for want in [
            "src xlt ip   =         192.0.2.1",
            "dst xlt ip   =         192.0.2.2",
            "src xlt port =              5555",
            "dst xlt port =              6666",
            "nat event    =                 1: ADD",
            "Event time   =     1700000010500",
        ] {
            assert!(raw.contains(want), "{v:?}: {want}\n{raw}");
        }
        if v == Version::V9 {
            // The Cisco NSEL elements exist in v9 only.
            assert!(raw.contains("connect ID   =              4242"), "{raw}");
            assert!(raw.contains("fw ext event =              1001"), "{raw}");
        }
    }
}
