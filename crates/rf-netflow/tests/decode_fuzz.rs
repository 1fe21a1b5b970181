//! Hostile input: random bytes, every truncation and random corruption of real softflowd
//! datagrams, and templates built to exhaust memory or loop. The decoder must never panic,
//! must count what it rejects as bad, and must keep its state bounded.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use proptest::prelude::*;
use rf_format::native::ColumnSet;
use rf_netflow::{Config, Decoder};

const FROM: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn datagrams(name: &str) -> Vec<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/netflow")
        .join(name);
    let d = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= d.len() {
        let n = u32::from_be_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]) as usize;
        out.push(d[i + 4..i + 4 + n].to_vec());
        i += 4 + n;
    }
    out
}

fn all_captures() -> Vec<Vec<u8>> {
    ["softflowd-v5.bin", "softflowd-v9.bin", "softflowd-v10.bin"]
        .iter()
        .flat_map(|n| datagrams(n))
        .collect()
}

#[test]
fn every_truncation_of_real_datagrams_is_safe() {
    for pkt in all_captures() {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for cut in 0..pkt.len() {
            let _ = d.decode(&pkt[..cut], FROM, 0, &mut out);
        }
        // The full datagram still decodes after all that.
        assert!(d.decode(&pkt, FROM, 0, &mut out).is_ok());
    }
}

#[test]
fn truncated_v5_counts_bad_packets() {
    let pkt = &datagrams("softflowd-v5.bin")[0];
    let mut d = Decoder::default();
    let mut out = Vec::new();
    for cut in [0, 1, 3, 23, 24, 25, pkt.len() - 1] {
        assert!(
            d.decode(&pkt[..cut], FROM, 0, &mut out).is_err(),
            "cut {cut}"
        );
    }
    assert_eq!(d.counters().bad_packets, 7);
    assert!(out.is_empty());
}

/// A v9 datagram with one template set built from raw (type, length) pairs and a count field
/// that may lie.
fn v9_with_template(count: u16, pairs: &[(u16, u16)]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&300u16.to_be_bytes());
    body.extend_from_slice(&count.to_be_bytes());
    for (t, l) in pairs {
        body.extend_from_slice(&t.to_be_bytes());
        body.extend_from_slice(&l.to_be_bytes());
    }
    let mut p = vec![0, 9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    p.extend_from_slice(&0u16.to_be_bytes());
    p.extend_from_slice(&(body.len() as u16 + 4).to_be_bytes());
    p.extend_from_slice(&body);
    p
}

#[test]
fn hostile_templates_are_rejected_and_counted() {
    let mut d = Decoder::default();
    let mut out = Vec::new();
    // Count claims 65535 fields, two present.
    assert!(
        d.decode(
            &v9_with_template(65535, &[(8, 4), (1, 4)]),
            FROM,
            0,
            &mut out
        )
        .is_err()
    );
    // Zero-length field.
    assert!(
        d.decode(&v9_with_template(1, &[(8, 0)]), FROM, 0, &mut out)
            .is_err()
    );
    // Set length 0 would loop forever if believed.
    let mut p = v9_with_template(1, &[(8, 4)]);
    p[22] = 0;
    p[23] = 0;
    assert!(d.decode(&p, FROM, 0, &mut out).is_err());
    assert_eq!(d.counters().bad_packets, 3);
    assert_eq!(d.exporters()[0].total.bad_packets, 3);
    assert_eq!(d.template_count(), 0);
}

#[test]
fn template_flood_is_capped() {
    let mut d = Decoder::default();
    let mut out = Vec::new();
    // 2000 datagrams each defining a new template id.
    for id in 0..2000u16 {
        let mut p = v9_with_template(1, &[(8, 4)]);
        p[24..26].copy_from_slice(&(256 + id).to_be_bytes());
        let _ = d.decode(&p, FROM, 0, &mut out);
    }
    assert_eq!(
        d.template_count(),
        rf_netflow::template::MAX_TEMPLATES_PER_EXPORTER
    );
    assert!(d.counters().bad_packets > 0);
}

#[test]
fn varlen_overrun_stops_the_set() {
    // IPFIX template 256: one variable-length field; the record claims 65535 bytes.
    let tmpl = [0u8, 2, 0, 12, 1, 0, 0, 1, 0, 95, 0xff, 0xff];
    let data = [1u8, 0, 0, 8, 255, 0xff, 0xff, 0];
    let body: Vec<u8> = [&tmpl[..], &data[..]].concat();
    let mut p = vec![0, 10];
    p.extend_from_slice(&(16 + body.len() as u16).to_be_bytes());
    p.extend_from_slice(&[0; 12]);
    p.extend_from_slice(&body);
    let mut d = Decoder::default();
    let mut out = Vec::new();
    assert!(d.decode(&p, FROM, 0, &mut out).is_ok());
    assert!(out.is_empty());
}

#[test]
fn held_memory_stays_bounded() {
    let cfg = Config {
        max_held_bytes: 10_000,
        ..Config::default()
    };
    let mut d = Decoder::new(cfg);
    let mut out = Vec::new();
    // 1000 data sets of 1 KiB for unknown templates.
    for i in 0..1000u32 {
        let mut p = vec![0, 9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        p.extend_from_slice(&i.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0]);
        p.extend_from_slice(&[1, 44, 4, 4]); // set 300, length 1028
        p.extend_from_slice(&[0u8; 1024]);
        d.decode(&p, FROM, 0, &mut out).unwrap();
    }
    let c = d.counters();
    assert_eq!(c.held_sets, 1000);
    assert!(c.held_dropped >= 990, "dropped {}", c.held_dropped);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(version in prop_oneof![Just(1u16), Just(5), Just(7), Just(9), Just(10), any::<u16>()],
                                body in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let mut pkt = version.to_be_bytes().to_vec();
        pkt.extend_from_slice(&body);
        let mut d = Decoder::default();
        let mut out = Vec::new();
        let _ = d.decode(&pkt, FROM, 0, &mut out);
        // Whatever came out must respect the datagram size: v9 records are at least 1 byte.
        prop_assert!(out.len() <= pkt.len());
    }

    #[test]
    fn corrupted_real_datagrams_never_panic(which in 0usize..7,
                                            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let caps = all_captures();
        let mut d = Decoder::default();
        let mut out = Vec::new();
        // Feed the clean datagrams first so templates exist, then a corrupted one.
        for p in &caps {
            let _ = d.decode(p, FROM, 0, &mut out);
        }
        let mut pkt = caps[which % caps.len()].clone();
        for (pos, val) in flips {
            let i = pos % pkt.len();
            pkt[i] = val;
        }
        let _ = d.decode(&pkt, FROM, 0, &mut out);
        prop_assert!(d.template_count() <= rf_netflow::template::MAX_TEMPLATES_PER_EXPORTER * d.exporters().len());
    }
}

/// Element ids for random templates: the IANA range nfcapd maps, and the Cisco NSEL/NEL ids.
fn element_ids() -> impl Strategy<Value = u16> {
    prop_oneof![
        1u16..=512,
        prop::sample::select(vec![
            33000u16, 33001, 33002, 40000, 40001, 40002, 40003, 40004, 40005, 40057, 40058,
        ]),
    ]
}

/// A datagram announcing template 256 with `fields` and then a data set of `data` (already
/// laid out for the template: IPFIX variable-length fields carry their length byte).
fn datagram(ipfix: bool, source_id: u32, fields: &[(u16, u16)], data: &[u8]) -> Vec<u8> {
    let mut tmpl = vec![1, 0];
    tmpl.extend_from_slice(&(fields.len() as u16).to_be_bytes());
    for (id, len) in fields {
        tmpl.extend_from_slice(&id.to_be_bytes());
        tmpl.extend_from_slice(&len.to_be_bytes());
    }
    let set = |id: u16, body: &[u8]| {
        let mut s = id.to_be_bytes().to_vec();
        s.extend_from_slice(&(body.len() as u16 + 4).to_be_bytes());
        s.extend_from_slice(body);
        s
    };
    let mut p = if ipfix {
        let mut h = vec![0, 10, 0, 0];
        h.extend_from_slice(&1_700_000_000u32.to_be_bytes());
        h.extend_from_slice(&7u32.to_be_bytes());
        h.extend_from_slice(&source_id.to_be_bytes());
        h
    } else {
        let mut h = vec![0, 9, 0, 2];
        h.extend_from_slice(&3_600_000u32.to_be_bytes());
        h.extend_from_slice(&1_700_000_000u32.to_be_bytes());
        h.extend_from_slice(&7u32.to_be_bytes());
        h.extend_from_slice(&source_id.to_be_bytes());
        h
    };
    p.extend(set(if ipfix { 2 } else { 0 }, &tmpl));
    p.extend(set(256, data));
    if ipfix {
        let len = p.len() as u16;
        p[2..4].copy_from_slice(&len.to_be_bytes());
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    /// Whatever a template holds and whatever its records' values, every non-default value
    /// of a decoded record lies in the columns the decoder declares for the datagram: the
    /// collector's writer stores only those.
    #[test]
    fn records_hold_values_only_in_declared_columns(
        ipfix in any::<bool>(),
        source_id in any::<u32>(),
        sampling in prop::sample::select(vec![1i64, 100, -100]),
        fields in proptest::collection::vec(
            (element_ids(), prop::sample::select(vec![1u16, 2, 4, 8, 16, 0xFFFF])), 1..24),
        values in proptest::collection::vec(any::<u8>(), 2000),
        records in 1usize..12,
    ) {
        // v9 has no variable-length fields.
        let fields: Vec<(u16, u16)> = fields
            .into_iter()
            .map(|(id, len)| (id, if len == 0xFFFF && !ipfix { 4 } else { len }))
            .collect();
        let mut data = Vec::new();
        let mut v = values.iter().copied().cycle();
        for _ in 0..records {
            for &(_, len) in &fields {
                let n = if len == 0xFFFF { usize::from(v.next().unwrap_or(0) % 40) } else { usize::from(len) };
                if len == 0xFFFF {
                    data.push(n as u8);
                }
                // Protocol bytes of 1 now and then, for the ICMP rules.
                data.extend((0..n).map(|_| v.next().unwrap_or(0) % 7 * 37));
            }
        }
        let mut d = Decoder::new(Config { sampling, ..Config::default() });
        let mut out = Vec::new();
        let _ = d.decode(&datagram(ipfix, source_id, &fields, &data), FROM, 1_700_000_000_123, &mut out);
        prop_assert!(out.len() <= records);
        // Templates the decoder refuses give nothing to check (too many of them would fail
        // the run: proptest limits rejected cases).
        prop_assume!(!out.is_empty());
        let cols = d.columns();
        prop_assert!(cols.is_some());
        let cols = cols.unwrap_or(ColumnSet::ALL);
        for r in &out {
            prop_assert!(ColumnSet::of_record(r).is_subset(&cols), "{:?} outside {:?}", ColumnSet::of_record(r), cols);
        }
    }
}
