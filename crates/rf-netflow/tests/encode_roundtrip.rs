//! Encoder round trips through a minimal parser written here from the RFCs (independent of the
//! encoder and of rf-netflow's decoders): headers, set lengths, template-before-data, MTU bound,
//! template refresh, sequence numbers and the values of every record.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rf_format::{FlowRecord, ext_id};
use rf_netflow::encode::{Config, ConfigError, Encoder, MIN_MTU, Version};

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes(b[o..o + 4].try_into().unwrap())
}
fn be_n(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |a, &x| a << 8 | u64::from(x))
}

/// One decoded data record: element id -> raw bytes.
type Rec = HashMap<u16, Vec<u8>>;

/// Parsed v9/IPFIX packet stream.
#[derive(Default)]
struct Stream {
    templates: HashMap<u16, Vec<(u16, u16)>>,
    records: Vec<Rec>,
    template_sets: usize,
    sequences: Vec<u32>,
}

impl Stream {
    fn parse(&mut self, p: &[u8], ipfix: bool) {
        let (hdr, tset) = if ipfix { (16, 2) } else { (20, 0) };
        assert_eq!(be16(p, 0), if ipfix { 10 } else { 9 });
        if ipfix {
            assert_eq!(usize::from(be16(p, 2)), p.len(), "IPFIX length field");
            self.sequences.push(be32(p, 8));
        } else {
            self.sequences.push(be32(p, 12));
        }
        let mut count = 0;
        let mut off = hdr;
        while off < p.len() {
            let id = be16(p, off);
            let len = usize::from(be16(p, off + 2));
            assert!(
                len >= 4 && off + len <= p.len(),
                "set length {len} at {off}"
            );
            let body = &p[off + 4..off + len];
            if id == tset {
                self.template_sets += 1;
                let mut q = 0;
                while q + 4 <= body.len() {
                    let tid = be16(body, q);
                    let n = usize::from(be16(body, q + 2));
                    let fields = (0..n)
                        .map(|i| (be16(body, q + 4 + 4 * i), be16(body, q + 6 + 4 * i)))
                        .collect();
                    self.templates.insert(tid, fields);
                    q += 4 + 4 * n;
                    count += 1;
                }
            } else {
                assert!(id >= 256);
                let t = self
                    .templates
                    .get(&id)
                    .expect("data set before its template");
                let rl: usize = t.iter().map(|f| usize::from(f.1)).sum();
                let mut q = 0;
                while q + rl <= body.len() {
                    let mut r = Rec::new();
                    for &(e, l) in t {
                        r.insert(e, body[q..q + usize::from(l)].to_vec());
                        q += usize::from(l);
                    }
                    self.records.push(r);
                    count += 1;
                }
                assert!(body.len() - q < 4, "only padding may follow the records");
            }
            off += len;
        }
        if !ipfix {
            assert_eq!(usize::from(be16(p, 2)), count, "v9 count field");
        }
    }
}

fn record(i: u32, v6: bool) -> FlowRecord {
    let mut r = FlowRecord {
        first_ms: 1_700_000_000_000 + u64::from(i) * 10,
        last_ms: 1_700_000_000_500 + u64::from(i) * 10,
        in_packets: u64::from(i) + 1,
        in_bytes: 100 * (u64::from(i) + 1),
        src_port: 1000 + (i % 5000) as u16,
        dst_port: 80,
        proto: 6,
        tcp_flags: 0x12,
        src_tos: 4,
        src_addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)),
        dst_addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        ..FlowRecord::default()
    };
    r.ext.set(ext_id::GENERIC);
    if v6 {
        r.src_addr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i as u16));
        r.dst_addr = IpAddr::V6(Ipv6Addr::LOCALHOST);
        r.ext.set(ext_id::IPV6);
    } else {
        r.ext.set(ext_id::IPV4);
    }
    if i.is_multiple_of(3) {
        r.ext.set(ext_id::VLAN);
        r.src_vlan = 42;
        r.dst_vlan = 43;
    }
    r
}

fn encode(cfg: &Config, recs: &[FlowRecord]) -> (Vec<Vec<u8>>, rf_netflow::encode::Stats) {
    let mut enc = Encoder::new(cfg).unwrap();
    let mut pkts = Vec::new();
    let mut sink = |p: &[u8]| -> Result<(), ()> {
        pkts.push(p.to_vec());
        Ok(())
    };
    for (i, r) in recs.iter().enumerate() {
        enc.push(r, 1_800_000_000_000 + i as u64, &mut sink)
            .unwrap();
    }
    enc.flush(1_800_000_001_000, &mut sink).unwrap();
    (pkts, enc.stats())
}

fn check_template_stream(version: Version) {
    let ipfix = version == Version::Ipfix;
    let recs: Vec<FlowRecord> = (0..500).map(|i| record(i, i % 2 == 1)).collect();
    let cfg = Config::new(version);
    let (pkts, stats) = encode(&cfg, &recs);
    assert_eq!(stats.flows, 500);
    assert_eq!(stats.skipped, 0);
    assert_eq!(stats.packets as usize, pkts.len());
    assert!(pkts.len() > 10, "500 records need many packets");
    let mut s = Stream::default();
    for p in &pkts {
        assert!(
            p.len() <= cfg.mtu,
            "packet of {} bytes over the MTU",
            p.len()
        );
        s.parse(p, ipfix);
    }
    // Four shapes (v4/v6 x vlan or not), refreshed every 20 packets.
    assert_eq!(s.templates.len(), 4);
    assert!(
        s.template_sets >= 4 * (pkts.len() / 20),
        "templates were refreshed"
    );
    assert_eq!(s.records.len(), 500);
    for (r, got) in recs.iter().zip(&s.records) {
        assert_eq!(be_n(&got[&152]), r.first_ms);
        assert_eq!(be_n(&got[&153]), r.last_ms);
        assert_eq!(be_n(&got[&1]), r.in_bytes);
        assert_eq!(be_n(&got[&2]), r.in_packets);
        assert_eq!(be_n(&got[&7]), u64::from(r.src_port));
        assert_eq!(be_n(&got[&11]), u64::from(r.dst_port));
        assert_eq!(got[&4], [r.proto]);
        assert_eq!(got[&6], [r.tcp_flags]);
        assert_eq!(got[&5], [r.src_tos]);
        match r.src_addr {
            IpAddr::V4(a) => assert_eq!(got[&8], a.octets()),
            IpAddr::V6(a) => assert_eq!(got[&27], a.octets()),
        }
        if r.ext.has(ext_id::VLAN) {
            assert_eq!(be_n(&got[&58]), 42);
            assert_eq!(be_n(&got[&59]), 43);
        } else {
            assert!(!got.contains_key(&58));
        }
    }
    // v9 numbers packets, IPFIX numbers data records.
    let mut expect = 0u32;
    let mut seen = 0;
    for (p, seq) in pkts.iter().zip(&s.sequences) {
        assert_eq!(*seq, expect);
        let mut one = Stream {
            templates: s.templates.clone(),
            ..Stream::default()
        };
        one.parse(p, ipfix);
        seen += one.records.len();
        expect = if ipfix { seen as u32 } else { expect + 1 };
    }
}

#[test]
fn v9_round_trip() {
    check_template_stream(Version::V9);
}

#[test]
fn ipfix_round_trip() {
    check_template_stream(Version::Ipfix);
}

#[test]
fn v9_data_sets_are_padded_to_32_bits() {
    let recs: Vec<FlowRecord> = (0..7).map(|i| record(i * 3 + 1, false)).collect();
    let (pkts, _) = encode(&Config::new(Version::V9), &recs);
    for p in pkts {
        let mut off = 20;
        while off < p.len() {
            let len = usize::from(be16(&p, off + 2));
            assert_eq!(len % 4, 0, "set length {len}");
            off += len;
        }
    }
}

#[test]
fn templates_come_back_after_the_refresh_interval() {
    let mut cfg = Config::new(Version::Ipfix);
    cfg.template_refresh_packets = 1_000_000;
    cfg.template_refresh_ms = 5;
    let mut enc = Encoder::new(&cfg).unwrap();
    let mut pkts: Vec<Vec<u8>> = Vec::new();
    let mut sink = |p: &[u8]| -> Result<(), ()> {
        pkts.push(p.to_vec());
        Ok(())
    };
    let r = record(1, false);
    enc.push(&r, 1000, &mut sink).unwrap();
    enc.flush(1001, &mut sink).unwrap();
    enc.push(&r, 1002, &mut sink).unwrap();
    enc.flush(1003, &mut sink).unwrap();
    enc.push(&r, 1010, &mut sink).unwrap();
    enc.flush(1010, &mut sink).unwrap();
    let has_template = |p: &[u8]| be16(p, 16) == 2;
    assert!(has_template(&pkts[0]));
    assert!(!has_template(&pkts[1]), "within the interval: no template");
    assert!(has_template(&pkts[2]), "after the interval: template again");
}

#[test]
fn v5_carries_ipv4_and_keeps_absolute_times() {
    let recs: Vec<FlowRecord> = (0..100).map(|i| record(i, i % 4 == 3)).collect();
    let cfg = Config::new(Version::V5);
    let (pkts, stats) = encode(&cfg, &recs);
    assert_eq!(stats.skipped, 25);
    assert_eq!(stats.flows, 75);
    let mut got = Vec::new();
    let mut seq = 0u32;
    for p in &pkts {
        assert_eq!(be16(p, 0), 5);
        let n = usize::from(be16(p, 2));
        assert!(n <= 30);
        assert_eq!(p.len(), 24 + 48 * n);
        assert!(p.len() <= cfg.mtu);
        assert_eq!(be32(p, 16), seq, "flow sequence");
        seq += n as u32;
        let clock = u64::from(be32(p, 8)) * 1000 + u64::from(be32(p, 12)) / 1_000_000;
        let boot = clock - u64::from(be32(p, 4));
        for k in 0..n {
            let r = &p[24 + 48 * k..24 + 48 * (k + 1)];
            got.push((
                Ipv4Addr::from(be32(r, 0)),
                boot + u64::from(be32(r, 24)),
                boot + u64::from(be32(r, 28)),
                be32(r, 16),
                be32(r, 20),
                be16(r, 32),
            ));
        }
    }
    let want: Vec<_> = recs
        .iter()
        .filter(|r| !r.is_ipv6())
        .map(|r| {
            let IpAddr::V4(a) = r.src_addr else {
                unreachable!()
            };
            (
                a,
                r.first_ms,
                r.last_ms,
                r.in_packets as u32,
                r.in_bytes as u32,
                r.src_port,
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn v5_saturates_wide_values() {
    let mut r = record(1, false);
    r.in_bytes = 1 << 40;
    r.input = 1 << 20;
    r.src_as = 4_200_000_000;
    let (pkts, _) = encode(&Config::new(Version::V5), &[r]);
    let rec = &pkts[0][24..72];
    assert_eq!(be32(rec, 20), u32::MAX);
    assert_eq!(be16(rec, 12), u16::MAX);
    assert_eq!(be16(rec, 40), 23456, "AS_TRANS");
}

#[test]
fn every_field_group_fits_the_smallest_mtu() {
    let mut r = record(3, true);
    for id in 1..=42 {
        r.ext.set(id);
    }
    r.proto = 58;
    r.ip_next_hop = r.src_addr;
    r.bgp_next_hop = r.src_addr;
    for v in [Version::V9, Version::Ipfix] {
        let mut cfg = Config::new(v);
        cfg.mtu = MIN_MTU;
        let (pkts, stats) = encode(&cfg, &[r.clone(), r.clone(), r.clone()]);
        assert_eq!(stats.flows, 3);
        assert!(pkts.iter().all(|p| p.len() <= MIN_MTU));
    }
    let mut cfg = Config::new(Version::V9);
    cfg.mtu = MIN_MTU - 1;
    assert_eq!(
        Encoder::new(&cfg).err(),
        Some(ConfigError::MtuTooSmall(MIN_MTU - 1))
    );
}

#[test]
fn sink_errors_propagate_and_the_encoder_recovers() {
    let mut enc = Encoder::new(&Config::new(Version::V9)).unwrap();
    let r = record(1, false);
    enc.push(&r, 1, &mut |_: &[u8]| Ok::<(), &str>(())).unwrap();
    assert_eq!(enc.flush(2, &mut |_: &[u8]| Err("down")), Err("down"));
    assert!(!enc.has_pending());
    enc.push(&r, 3, &mut |_: &[u8]| Ok::<(), &str>(())).unwrap();
    assert!(enc.has_pending());
}

#[test]
fn many_shapes_reuse_template_ids_safely() {
    // 2048 distinct shapes (every combination of 11 optional groups), more than the encoder
    // keeps: ids are reused, each announced again before its data.
    let groups = [
        ext_id::FLOW_MISC,
        ext_id::CNT_FLOW,
        ext_id::VLAN,
        ext_id::AS_ROUTING,
        ext_id::AS_ADJACENT,
        ext_id::MPLS,
        ext_id::MAC,
        ext_id::IP_INFO,
        ext_id::FLOW_ID,
        ext_id::OBSERVATION,
        ext_id::VRF,
    ];
    let recs: Vec<FlowRecord> = (0..2048u32)
        .map(|m| {
            let mut r = record(m, false);
            r.ext.clear(ext_id::VLAN);
            r.src_vlan = 42;
            r.dst_vlan = 43;
            for (b, id) in groups.iter().enumerate() {
                if m & (1 << b) != 0 {
                    r.ext.set(*id);
                }
            }
            r
        })
        .collect();
    for v in [Version::V9, Version::Ipfix] {
        let (pkts, stats) = encode(&Config::new(v), &recs);
        assert_eq!(stats.flows, 2048);
        let mut s = Stream::default();
        for p in &pkts {
            s.parse(p, v == Version::Ipfix);
        }
        assert_eq!(s.records.len(), 2048);
        assert!(s.templates.keys().all(|&id| id < 256 + 1024));
        for (r, got) in recs.iter().zip(&s.records) {
            assert_eq!(be_n(&got[&7]), u64::from(r.src_port));
            assert_eq!(got.contains_key(&58), r.ext.has(ext_id::VLAN));
            assert_eq!(got.contains_key(&148), r.ext.has(ext_id::FLOW_ID));
        }
    }
}

mod random {
    use super::*;
    use proptest::prelude::*;

    fn arb_record() -> impl Strategy<Value = FlowRecord> {
        (
            any::<u64>(),
            any::<(u64, u64, u64, u64)>(),
            any::<(u16, u16, u8, u8, bool)>(),
            any::<(u32, u32, u128, u128)>(),
            any::<u64>(),
            any::<(u32, u32, u32, u32)>(),
            any::<(u8, u8, u8, u8)>(),
        )
            .prop_map(|(ext, c, p, a, mac, n, e)| {
                let mut r = FlowRecord {
                    first_ms: c.0,
                    last_ms: c.1,
                    in_packets: c.2,
                    in_bytes: c.3,
                    src_port: p.0,
                    dst_port: p.1,
                    proto: p.2,
                    tcp_flags: p.3,
                    input: n.0,
                    output: n.1,
                    src_as: n.2,
                    dst_as: n.3,
                    src_vlan: a.0,
                    in_src_mac: mac,
                    engine_type: e.0,
                    engine_id: e.1,
                    src_mask: e.2,
                    flows: c.3,
                    ..FlowRecord::default()
                };
                r.ext = rf_format::ExtSet(ext);
                if p.4 {
                    r.src_addr = IpAddr::V6(Ipv6Addr::from(a.2));
                    r.dst_addr = IpAddr::V6(Ipv6Addr::from(a.3));
                    r.ip_next_hop = IpAddr::V4(Ipv4Addr::from(a.1));
                } else {
                    r.src_addr = IpAddr::V4(Ipv4Addr::from(a.0));
                    r.dst_addr = IpAddr::V4(Ipv4Addr::from(a.1));
                    r.bgp_next_hop = IpAddr::V6(Ipv6Addr::from(a.3));
                }
                r
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any records, any MTU: no panic, every packet within the MTU and well formed, and
        /// every record that the protocol can carry is in exactly one packet.
        #[test]
        fn packets_are_bounded_and_complete(
            recs in proptest::collection::vec(arb_record(), 1..120),
            mtu in MIN_MTU..3000usize,
            v in 0..3u8,
        ) {
            let version = [Version::V5, Version::V9, Version::Ipfix][usize::from(v)];
            let mut cfg = Config::new(version);
            cfg.mtu = mtu;
            let (pkts, stats) = encode(&cfg, &recs);
            let carried = recs.iter().filter(|r| version != Version::V5 || !r.is_ipv6()).count();
            prop_assert_eq!(stats.flows as usize, carried);
            prop_assert_eq!((stats.flows + stats.skipped) as usize, recs.len());
            prop_assert!(pkts.iter().all(|p| p.len() <= mtu));
            let n: usize = if version == Version::V5 {
                pkts.iter().map(|p| usize::from(be16(p, 2))).sum()
            } else {
                let mut s = Stream::default();
                for p in &pkts {
                    s.parse(p, version == Version::Ipfix);
                }
                s.records.len()
            };
            prop_assert_eq!(n, carried);
        }
    }
}
