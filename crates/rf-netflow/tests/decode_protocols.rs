//! Hand-built datagrams for every protocol: each test states the bytes an exporter sends and
//! the record fields nfcapd would store for them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rf_format::record::FLAG_SAMPLED;
use rf_format::{FlowRecord, ext_id};
use rf_netflow::{Config, DecodeError, Decoder};

const ROUTER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const RECV_MS: u64 = 1_700_000_000_123;

/// Big-endian byte builder.
#[derive(Default)]
struct B(Vec<u8>);

impl B {
    fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn bytes(mut self, v: &[u8]) -> Self {
        self.0.extend_from_slice(v);
        self
    }
}

/// A v5 record: src, dst, nexthop, in/out if, pkts, bytes, first, last, ports, flags, proto,
/// tos, src/dst AS, masks.
#[allow(clippy::too_many_arguments)]
fn v5_record(
    src: [u8; 4],
    dst: [u8; 4],
    nh: [u8; 4],
    ifs: (u16, u16),
    pkts: u32,
    bytes: u32,
    first: u32,
    last: u32,
    ports: (u16, u16),
    proto: u8,
    as_: (u16, u16),
) -> Vec<u8> {
    B::default()
        .bytes(&src)
        .bytes(&dst)
        .bytes(&nh)
        .u16(ifs.0)
        .u16(ifs.1)
        .u32(pkts)
        .u32(bytes)
        .u32(first)
        .u32(last)
        .u16(ports.0)
        .u16(ports.1)
        .u8(0)
        .u8(0x12)
        .u8(proto)
        .u8(0x20)
        .u16(as_.0)
        .u16(as_.1)
        .u8(24)
        .u8(16)
        .u16(0)
        .0
}

fn v5_packet(seq: u32, sampling: u16, uptime: u32, secs: u32, records: &[Vec<u8>]) -> Vec<u8> {
    let mut b = B::default()
        .u16(5)
        .u16(records.len() as u16)
        .u32(uptime)
        .u32(secs)
        .u32(500_000_000)
        .u32(seq)
        .u8(1)
        .u8(7)
        .u16(sampling);
    for r in records {
        b = b.bytes(r);
    }
    b.0
}

fn decode(d: &mut Decoder, pkt: &[u8]) -> Result<Vec<FlowRecord>, DecodeError> {
    let mut out = Vec::new();
    d.decode(pkt, ROUTER, RECV_MS, &mut out).map(|_| out)
}

fn simple_v5(seq: u32, sampling: u16, n: usize) -> Vec<u8> {
    let rec = v5_record(
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        [0; 4],
        (0, 0),
        3,
        300,
        1000,
        2000,
        (1234, 80),
        6,
        (0, 0),
    );
    v5_packet(seq, sampling, 10_000, 1_700_000_000, &vec![rec; n])
}

#[test]
fn v5_fields_times_and_elements() {
    let rec = v5_record(
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        [10, 0, 0, 254],
        (3, 4),
        5,
        4000,
        9_000,
        9_500,
        (1234, 80),
        6,
        (64512, 65000),
    );
    let pkt = v5_packet(100, 0, 10_000, 1_700_000_000, &[rec]);
    let mut d = Decoder::default();
    let r = decode(&mut d, &pkt).unwrap().remove(0);
    // boot = 1_700_000_000_500 - 10_000 ms.
    assert_eq!(r.first_ms, 1_700_000_000_500 - 10_000 + 9_000);
    assert_eq!(r.last_ms, 1_700_000_000_500 - 10_000 + 9_500);
    assert_eq!(r.received_ms, RECV_MS);
    assert_eq!(r.received_ip, ROUTER);
    assert_eq!((r.nfversion, r.engine_type, r.engine_id), (5, 1, 7));
    assert_eq!(r.exporter_sysid, 1);
    assert_eq!((r.in_packets, r.in_bytes), (5, 4000));
    assert_eq!(
        (r.src_port, r.dst_port, r.proto, r.tcp_flags, r.src_tos),
        (1234, 80, 6, 0x12, 0x20)
    );
    assert_eq!(
        (r.input, r.output, r.src_as, r.dst_as),
        (3, 4, 64512, 65000)
    );
    assert_eq!(r.ip_next_hop, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 254)));
    assert_eq!(
        r.ext.ids().collect::<Vec<_>>(),
        vec![
            ext_id::GENERIC,
            ext_id::IPV4,
            ext_id::FLOW_MISC,
            ext_id::AS_ROUTING,
            ext_id::IP_NEXT_HOP_V4,
            ext_id::IP_RECEIVED_V4
        ]
    );
    assert_eq!(r.flags & FLAG_SAMPLED, 0);
}

#[test]
fn v5_uptime_wrap_between_first_and_last() {
    let rec = v5_record(
        [1, 1, 1, 1],
        [2, 2, 2, 2],
        [0; 4],
        (0, 0),
        1,
        1,
        u32::MAX - 999,
        500,
        (1, 2),
        17,
        (0, 0),
    );
    let pkt = v5_packet(0, 0, 1_000, 1_700_000_000, &[rec]);
    let r = decode(&mut Decoder::default(), &pkt).unwrap().remove(0);
    assert_eq!(r.last_ms - r.first_ms, 1_500);
}

#[test]
fn v5_header_sampling_multiplies_counters() {
    let pkt = simple_v5(0, 0x4000 | 10, 1);
    let r = decode(&mut Decoder::default(), &pkt).unwrap().remove(0);
    assert_eq!((r.in_packets, r.in_bytes), (30, 3000));
    assert_ne!(r.flags & FLAG_SAMPLED, 0);
}

#[test]
fn default_and_forced_sampling() {
    // -s 4: applies when the exporter announces nothing.
    let mut d = Decoder::new(Config {
        sampling: 4,
        ..Config::default()
    });
    let r = decode(&mut d, &simple_v5(0, 0, 1)).unwrap().remove(0);
    assert_eq!(r.in_packets, 12);
    // An announced rate wins over the default.
    let r = decode(&mut d, &simple_v5(1, 2, 1)).unwrap().remove(0);
    assert_eq!(r.in_packets, 6);
    // An announced interval of 1 counts as none (nfcapd 1.7.1 behaviour with softflowd).
    let mut d = Decoder::new(Config {
        sampling: 4,
        ..Config::default()
    });
    let r = decode(&mut d, &simple_v5(0, 1, 1)).unwrap().remove(0);
    assert_eq!(r.in_packets, 12);
    // -s -5: overrides the announced rate.
    let mut d = Decoder::new(Config {
        sampling: -5,
        ..Config::default()
    });
    let r = decode(&mut d, &simple_v5(0, 2, 1)).unwrap().remove(0);
    assert_eq!(r.in_packets, 15);
}

#[test]
fn v5_sequence_gaps_counted_per_exporter() {
    let mut d = Decoder::default();
    decode(&mut d, &simple_v5(0, 0, 2)).unwrap();
    decode(&mut d, &simple_v5(2, 0, 3)).unwrap();
    assert_eq!(d.exporter_totals().sequence_failures, 0);
    decode(&mut d, &simple_v5(9, 0, 1)).unwrap();
    assert_eq!(d.exporter_totals().sequence_failures, 1);
    let e = &d.exporters()[0];
    assert_eq!((e.total.packets, e.total.flows), (3, 6));
    assert_eq!(e.key.id, 1 << 8 | 7);
}

#[test]
fn v5_icmp_type_in_source_port_is_moved() {
    let rec = v5_record(
        [1, 1, 1, 1],
        [2, 2, 2, 2],
        [0; 4],
        (0, 0),
        1,
        84,
        1,
        1,
        (0x0803, 0),
        1,
        (0, 0),
    );
    let r = decode(&mut Decoder::default(), &v5_packet(0, 0, 5, 5, &[rec]))
        .unwrap()
        .remove(0);
    assert_eq!((r.src_port, r.dst_port), (0, 0x0308));
}

#[test]
fn v5_truncated_is_bad_and_decodes_nothing() {
    let mut pkt = simple_v5(0, 0, 3);
    pkt.truncate(pkt.len() - 1);
    let mut d = Decoder::default();
    assert!(matches!(
        decode(&mut d, &pkt),
        Err(DecodeError::Truncated { .. })
    ));
    assert_eq!(d.counters().bad_packets, 1);
    assert_eq!(d.counters().flows, 0);
}

#[test]
fn v1_and_v7() {
    let v1rec = B::default()
        .bytes(&[10, 1, 1, 1])
        .bytes(&[10, 2, 2, 2])
        .u32(0)
        .u16(1)
        .u16(2)
        .u32(7)
        .u32(700)
        .u32(100)
        .u32(200)
        .u16(53)
        .u16(5353)
        .u16(0)
        .u8(17)
        .u8(8)
        .u8(0)
        .bytes(&[0; 3])
        .u32(0)
        .0;
    assert_eq!(v1rec.len(), 48);
    let pkt = B::default()
        .u16(1)
        .u16(1)
        .u32(1_000)
        .u32(1_600_000_000)
        .u32(0)
        .bytes(&v1rec)
        .0;
    let r = decode(&mut Decoder::default(), &pkt).unwrap().remove(0);
    assert_eq!(
        (r.nfversion, r.proto, r.src_tos, r.src_port, r.in_bytes),
        (1, 17, 8, 53, 700)
    );
    assert_eq!(r.first_ms, 1_600_000_000_000 - 1_000 + 100);

    let mut v7rec = v5_record(
        [10, 0, 0, 9],
        [10, 0, 0, 8],
        [0; 4],
        (0, 0),
        2,
        200,
        1,
        2,
        (1, 2),
        6,
        (0, 0),
    );
    v7rec.extend_from_slice(&[0, 0, 0, 0]); // router_sc
    let pkt = B::default()
        .u16(7)
        .u16(1)
        .u32(10)
        .u32(1_600_000_000)
        .u32(0)
        .u32(0)
        .u32(0)
        .bytes(&v7rec)
        .0;
    let r = decode(&mut Decoder::default(), &pkt).unwrap().remove(0);
    assert_eq!(
        (r.nfversion, r.in_bytes, r.src_addr),
        (7, 200, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)))
    );
}

#[test]
fn unknown_version_and_runt() {
    let mut d = Decoder::default();
    assert_eq!(decode(&mut d, &[0, 6, 0, 0]), Err(DecodeError::Version(6)));
    assert!(decode(&mut d, &[0]).is_err());
    assert_eq!(d.counters().bad_packets, 2);
}

// ---------------------------------------------------------------- v9

fn v9_packet(seq: u32, source: u32, sets: &[Vec<u8>]) -> Vec<u8> {
    let mut b = B::default()
        .u16(9)
        .u16(sets.len() as u16)
        .u32(50_000)
        .u32(1_700_000_000)
        .u32(seq)
        .u32(source);
    for s in sets {
        b = b.bytes(s);
    }
    b.0
}

fn set(id: u16, body: &[u8]) -> Vec<u8> {
    B::default()
        .u16(id)
        .u16(body.len() as u16 + 4)
        .bytes(body)
        .0
}

fn v9_template(id: u16, fields: &[(u16, u16)]) -> Vec<u8> {
    let mut b = B::default().u16(id).u16(fields.len() as u16);
    for &(t, l) in fields {
        b = b.u16(t).u16(l);
    }
    set(0, &b.0)
}

const V4_FIELDS: &[(u16, u16)] = &[
    (8, 4),
    (12, 4),
    (22, 4),
    (21, 4),
    (1, 4),
    (2, 4),
    (4, 1),
    (7, 2),
    (11, 2),
];

fn v4_data(src: [u8; 4], bytes: u32, first: u32, last: u32) -> Vec<u8> {
    B::default()
        .bytes(&src)
        .bytes(&[10, 9, 9, 9])
        .u32(first)
        .u32(last)
        .u32(bytes)
        .u32(2)
        .u8(17)
        .u16(5000)
        .u16(53)
        .0
}

#[test]
fn v9_data_before_template_is_held_then_decoded() {
    let mut d = Decoder::default();
    let data = set(300, &v4_data([10, 0, 0, 1], 999, 40_000, 45_000));
    assert!(
        decode(&mut d, &v9_packet(0, 3, &[data]))
            .unwrap()
            .is_empty()
    );
    assert_eq!(d.counters().held_sets, 1);
    let recs = decode(&mut d, &v9_packet(1, 3, &[v9_template(300, V4_FIELDS)])).unwrap();
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.in_bytes, 999);
    // boot = 1_700_000_000_000 - 50_000.
    assert_eq!(r.first_ms, 1_700_000_000_000 - 50_000 + 40_000);
    assert_eq!(r.last_ms, 1_700_000_000_000 - 50_000 + 45_000);
    assert_eq!(r.nfversion, 9);
    assert_eq!(
        r.ext.ids().collect::<Vec<_>>(),
        vec![ext_id::GENERIC, ext_id::IPV4, ext_id::IP_RECEIVED_V4]
    );
    assert_eq!(d.counters().held_decoded, 1);
    assert_eq!(d.exporters()[0].total.flows, 1);
}

#[test]
fn v9_template_refresh_changes_layout() {
    let mut d = Decoder::default();
    let t1 = v9_template(300, &[(8, 4), (1, 4)]);
    let rec1 = set(300, &B::default().bytes(&[1, 2, 3, 4]).u32(77).0);
    let r = decode(&mut d, &v9_packet(0, 0, &[t1, rec1])).unwrap();
    assert_eq!(r[0].in_bytes, 77);
    let t2 = v9_template(300, &[(1, 8), (8, 4)]);
    let rec2 = set(300, &B::default().u64(1 << 40).bytes(&[5, 6, 7, 8]).0);
    let r = decode(&mut d, &v9_packet(1, 0, &[t2, rec2])).unwrap();
    assert_eq!(r[0].in_bytes, 1 << 40);
    assert_eq!(r[0].src_addr, IpAddr::V4(Ipv4Addr::new(5, 6, 7, 8)));
    assert_eq!(d.template_count(), 1);
}

#[test]
fn v9_resent_templates_take_effect_only_when_changed() {
    // Exporters (nfreplay: before every data set) resend unchanged templates; the stored one
    // is kept, and a changed one (same id) still replaces it, also when changed back.
    let mut d = Decoder::default();
    let t1 = v9_template(300, &[(8, 4), (1, 4)]);
    let t2 = v9_template(300, &[(1, 8), (8, 4)]);
    let rec1 = set(300, &B::default().bytes(&[1, 2, 3, 4]).u32(77).0);
    let rec2 = set(300, &B::default().u64(1 << 40).bytes(&[5, 6, 7, 8]).0);
    for seq in 0..3 {
        let r = decode(&mut d, &v9_packet(seq, 0, &[t1.clone(), rec1.clone()])).unwrap();
        assert_eq!(r[0].in_bytes, 77);
    }
    let r = decode(&mut d, &v9_packet(3, 0, &[t2.clone(), rec2.clone()])).unwrap();
    assert_eq!(r[0].in_bytes, 1 << 40);
    let r = decode(&mut d, &v9_packet(4, 0, &[t1, t2, rec2])).unwrap();
    assert_eq!(r[0].src_addr, IpAddr::V4(Ipv4Addr::new(5, 6, 7, 8)));
    assert_eq!(d.template_count(), 1);
    assert_eq!(d.counters().bad_packets, 0);
}

#[test]
fn v9_resent_bytes_of_other_kind_are_parsed() {
    // An options template 300 whose 14 bytes are also the start of a valid data template 300:
    // the data template must replace it, not be taken for a resend of it.
    let mut d = Decoder::default();
    let rec = B::default()
        .u16(300)
        .u16(4) // options: scope length 4; data: 4 fields
        .u16(4) // options: option length 4; data: field 1 = protocol
        .u16(1) // scope System, 4 bytes / field 1 length 1
        .u16(4)
        .u16(34) // samplingInterval, 4 bytes / field 2 = (4, 34)
        .u16(4)
        .0;
    let opt_t = set(1, &rec);
    let opt_d = set(300, &B::default().u32(0).u32(10).0);
    assert!(
        decode(&mut d, &v9_packet(0, 0, &[opt_t, opt_d]))
            .unwrap()
            .is_empty()
    );
    // Data template: (4,1) protocol, (4,34), (4,1) protocol, (8,4) srcaddr = 40 bytes of data.
    let data_t = set(0, &B::default().bytes(&rec).u16(1).u16(8).u16(4).0);
    let data = set(
        300,
        &B::default()
            .u8(6)
            .bytes(&[0; 34])
            .u8(17)
            .bytes(&[10, 0, 0, 9])
            .0,
    );
    let r = decode(&mut d, &v9_packet(1, 0, &[data_t, data])).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].proto, 17);
    assert_eq!(r[0].src_addr, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)));
}

#[test]
fn v9_options_sampling_applies_to_later_records() {
    let mut d = Decoder::default();
    // Options template 400: scope System (4 bytes), samplingInterval (4), algorithm (1).
    let opt_t = set(
        1,
        &B::default()
            .u16(400)
            .u16(4)
            .u16(8)
            .u16(1)
            .u16(4)
            .u16(34)
            .u16(4)
            .u16(35)
            .u16(1)
            .0,
    );
    let opt_d = set(400, &B::default().u32(0).u32(100).u8(2).bytes(&[0, 0, 0]).0);
    let data = set(300, &v4_data([10, 0, 0, 1], 10, 1, 2));
    let r = decode(
        &mut d,
        &v9_packet(0, 0, &[v9_template(300, V4_FIELDS), opt_t, opt_d, data]),
    )
    .unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].in_bytes, r[0].in_packets), (1000, 200));
    assert_ne!(r[0].flags & FLAG_SAMPLED, 0);
    assert_eq!(d.exporters()[0].info().sampling_interval, 100);
}

#[test]
fn v9_templates_are_per_source_id() {
    let mut d = Decoder::default();
    decode(&mut d, &v9_packet(0, 1, &[v9_template(300, V4_FIELDS)])).unwrap();
    // Same template id, other source id: unknown, so held.
    let data = set(300, &v4_data([10, 0, 0, 1], 10, 1, 2));
    assert!(
        decode(&mut d, &v9_packet(0, 2, &[data]))
            .unwrap()
            .is_empty()
    );
    assert_eq!(d.exporters().len(), 2);
    assert_eq!(d.exporters()[1].sysid, 2);
    // Engine type/id come from the low 16 bits of the source id, as nfcapd 1.7.1 stores them.
    let t = v9_template(300, V4_FIELDS);
    let data = set(300, &v4_data([10, 0, 0, 1], 10, 1, 2));
    let r = decode(&mut d, &v9_packet(0, 0x0003_0102, &[t, data])).unwrap();
    assert_eq!((r[0].engine_type, r[0].engine_id), (1, 2));
}

#[test]
fn v9_sequence_and_padding() {
    let mut d = Decoder::default();
    let mut data = v4_data([10, 0, 0, 1], 10, 1, 2);
    data.extend_from_slice(&[0, 0, 0]); // set padding shorter than a record
    let t = v9_template(300, V4_FIELDS);
    assert_eq!(
        decode(&mut d, &v9_packet(7, 0, &[t, set(300, &data)]))
            .unwrap()
            .len(),
        1
    );
    decode(&mut d, &v9_packet(8, 0, &[])).unwrap();
    decode(&mut d, &v9_packet(10, 0, &[])).unwrap();
    assert_eq!(d.exporter_totals().sequence_failures, 1);
}

#[test]
fn held_sets_are_bounded() {
    let mut d = Decoder::new(Config {
        max_held_sets: 2,
        ..Config::default()
    });
    for i in 0..5 {
        let data = set(300 + i, &v4_data([10, 0, 0, 1], 10, 1, 2));
        decode(&mut d, &v9_packet(u32::from(i), 0, &[data])).unwrap();
    }
    let c = d.counters();
    assert_eq!((c.held_sets, c.held_dropped), (5, 3));
    // Only the two newest survive: template 304 releases one.
    let r = decode(&mut d, &v9_packet(5, 0, &[v9_template(304, V4_FIELDS)])).unwrap();
    assert_eq!(r.len(), 1);
    let r = decode(&mut d, &v9_packet(6, 0, &[v9_template(300, V4_FIELDS)])).unwrap();
    assert!(r.is_empty());
}

// ---------------------------------------------------------------- IPFIX

fn ipfix_packet(seq: u32, domain: u32, sets: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = sets.concat();
    B::default()
        .u16(10)
        .u16(16 + body.len() as u16)
        .u32(1_700_000_100)
        .u32(seq)
        .u32(domain)
        .bytes(&body)
        .0
}

/// IPFIX template; `(id, len, enterprise)`.
fn ipfix_template(set_id: u16, id: u16, scope: Option<u16>, fields: &[(u16, u16, u32)]) -> Vec<u8> {
    let mut b = B::default().u16(id).u16(fields.len() as u16);
    if let Some(s) = scope {
        b = b.u16(s);
    }
    for &(f, l, e) in fields {
        if e != 0 {
            b = b.u16(f | 0x8000).u16(l).u32(e);
        } else {
            b = b.u16(f).u16(l);
        }
    }
    set(set_id, &b.0)
}

#[test]
fn ipfix_varlen_and_enterprise_fields_are_skipped() {
    let t = ipfix_template(
        2,
        256,
        None,
        &[
            (27, 16, 0),
            (100, 0xffff, 9),
            (28, 16, 0),
            (95, 0xffff, 0),
            (152, 8, 0),
            (153, 8, 0),
            (1, 8, 0),
        ],
    );
    let src: Ipv6Addr = "2001:db8::1".parse().unwrap();
    let dst: Ipv6Addr = "2001:db8::2".parse().unwrap();
    let rec = B::default()
        .bytes(&src.octets())
        .u8(3)
        .bytes(b"abc")
        .bytes(&dst.octets())
        .u8(255)
        .u16(4)
        .bytes(&[3, 0, 0, 80])
        .u64(1_700_000_000_000)
        .u64(1_700_000_001_000)
        .u64(4242)
        .0;
    let mut d = Decoder::default();
    let r = decode(&mut d, &ipfix_packet(0, 5, &[t, set(256, &rec)]))
        .unwrap()
        .remove(0);
    assert_eq!(r.src_addr, IpAddr::V6(src));
    assert_eq!(r.dst_addr, IpAddr::V6(dst));
    assert_eq!(&r.nbar_app[..usize::from(r.nbar_app_len)], &[3, 0, 0, 80]);
    assert_eq!(
        (r.first_ms, r.last_ms, r.in_bytes),
        (1_700_000_000_000, 1_700_000_001_000, 4242)
    );
    assert_eq!((r.nfversion, r.exporter_id), (10, 5));
    assert!(r.ext.has(ext_id::IPV6) && r.ext.has(ext_id::NBAR_APP) && !r.ext.has(ext_id::IPV4));
}

#[test]
fn ipfix_withdrawal_forgets_template() {
    let mut d = Decoder::default();
    let t = ipfix_template(2, 256, None, &[(8, 4, 0), (1, 4, 0)]);
    let rec = set(256, &B::default().bytes(&[1, 1, 1, 1]).u32(5).0);
    assert_eq!(
        decode(&mut d, &ipfix_packet(0, 0, &[t, rec.clone()]))
            .unwrap()
            .len(),
        1
    );
    let withdraw = set(2, &B::default().u16(256).u16(0).0);
    decode(&mut d, &ipfix_packet(1, 0, &[withdraw])).unwrap();
    assert_eq!(d.template_count(), 0);
    assert!(
        decode(&mut d, &ipfix_packet(1, 0, &[rec]))
            .unwrap()
            .is_empty()
    );
    assert_eq!(d.counters().held_sets, 1);
}

#[test]
fn ipfix_system_init_time_and_selector_sampling() {
    let mut d = Decoder::default();
    // Options: scope meteringProcessId, systemInitTimeMilliseconds, selectorId, packet
    // interval/space.
    let ot = ipfix_template(
        3,
        257,
        Some(1),
        &[
            (143, 4, 0),
            (160, 8, 0),
            (302, 2, 0),
            (305, 4, 0),
            (306, 4, 0),
        ],
    );
    let od = set(
        257,
        &B::default()
            .u32(1)
            .u64(1_600_000_000_000)
            .u16(9)
            .u32(1)
            .u32(9)
            .0,
    );
    let t = ipfix_template(
        2,
        256,
        None,
        &[
            (8, 4, 0),
            (22, 4, 0),
            (21, 4, 0),
            (2, 4, 0),
            (302, 2, 0),
            (161, 4, 0),
        ],
    );
    let rec = set(
        256,
        &B::default()
            .bytes(&[1, 1, 1, 1])
            .u32(1_000)
            .u32(3_000)
            .u32(7)
            .u16(9)
            .u32(500)
            .0,
    );
    let r = decode(&mut d, &ipfix_packet(0, 0, &[ot, od, t, rec]))
        .unwrap()
        .remove(0);
    assert_eq!(r.first_ms, 1_600_000_001_000);
    // flowDurationMilliseconds fixes the end.
    assert_eq!(r.last_ms, 1_600_000_001_500);
    // (1 + 9) / 1 = 10.
    assert_eq!(r.in_packets, 70);
    assert_ne!(r.flags & FLAG_SAMPLED, 0);
}

#[test]
fn ipfix_length_field_is_checked() {
    let mut d = Decoder::default();
    let mut pkt = ipfix_packet(0, 0, &[]);
    pkt[3] = 200; // claims more than present
    assert!(decode(&mut d, &pkt).is_err());
    pkt[3] = 3; // shorter than the header
    assert!(decode(&mut d, &pkt).is_err());
    assert_eq!(d.counters().bad_packets, 2);
}

#[test]
fn ipv4_mapped_source_counts_as_ipv4_exporter() {
    let mut d = Decoder::default();
    let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 9).to_ipv6_mapped());
    let mut out = Vec::new();
    d.decode(&simple_v5(0, 0, 1), mapped, 0, &mut out).unwrap();
    assert_eq!(out[0].received_ip, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)));
    assert!(out[0].ext.has(ext_id::IP_RECEIVED_V4));
}

#[test]
fn bad_template_set_spoils_only_itself() {
    // Field id 33002 has the enterprise bit set in IPFIX, so the set runs out of bytes.
    let bad = set(2, &B::default().u16(256).u16(1).u16(33002).u16(2).0);
    let good = ipfix_template(2, 257, None, &[(8, 4, 0), (1, 4, 0)]);
    let rec = set(257, &B::default().bytes(&[9, 9, 9, 9]).u32(77).0);
    let mut d = Decoder::default();
    let mut out = Vec::new();
    let res = d.decode(&ipfix_packet(0, 0, &[bad, good, rec]), ROUTER, 0, &mut out);
    assert!(res.is_err());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].in_bytes, 77);
    assert_eq!(d.counters().bad_packets, 1);
}
