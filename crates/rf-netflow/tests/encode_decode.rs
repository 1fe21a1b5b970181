//! Encoder → rf-netflow's own decoder (the collector side of rflow): every field the encoders
//! carry comes back unchanged, for NetFlow v9, IPFIX and v5.

mod encode_support;

use std::net::{IpAddr, Ipv4Addr};

use encode_support::sample_records;
use rf_format::FlowRecord;
use rf_netflow::Decoder;
use rf_netflow::encode::{Config, Encoder, Version};

/// Encodes `recs`, decodes every datagram; returns the decoded records.
fn round_trip(version: Version, recs: &[FlowRecord]) -> Vec<FlowRecord> {
    let mut enc = Encoder::new(&Config::new(version)).unwrap();
    let mut pkts: Vec<Vec<u8>> = Vec::new();
    let mut sink = |p: &[u8]| -> Result<(), ()> {
        pkts.push(p.to_vec());
        Ok(())
    };
    for r in recs {
        enc.push(r, 1_800_000_000_000, &mut sink).unwrap();
    }
    enc.flush(1_800_000_000_000, &mut sink).unwrap();
    let mut dec = Decoder::new(rf_netflow::Config::default());
    let mut out = Vec::new();
    let from = IpAddr::V4(Ipv4Addr::LOCALHOST);
    for p in &pkts {
        dec.decode(p, from, 1_800_000_000_500, &mut out)
            .expect("the decoder accepts what the encoder writes");
    }
    out
}

/// The fields every protocol carries.
fn core(r: &FlowRecord) -> impl PartialEq + std::fmt::Debug {
    (
        (r.first_ms, r.last_ms, r.in_packets, r.in_bytes),
        (r.src_addr, r.dst_addr, r.src_port, r.dst_port),
        (r.proto, r.tcp_flags, r.src_tos),
    )
}

/// The fields of the optional groups v9 and IPFIX carry.
fn groups(r: &FlowRecord) -> impl PartialEq + std::fmt::Debug {
    (
        (r.input, r.output, r.src_mask, r.dst_mask, r.dir, r.dst_tos),
        (r.out_packets, r.out_bytes, r.src_vlan, r.dst_vlan),
        (r.src_as, r.dst_as, r.ip_next_hop, r.bgp_next_hop),
        r.mpls,
        (r.in_src_mac, r.out_dst_mac, r.in_dst_mac, r.out_src_mac),
    )
}

#[test]
fn v9_and_ipfix_fields_survive_the_decoder() {
    let recs = sample_records();
    for v in [Version::V9, Version::Ipfix] {
        let got = round_trip(v, &recs);
        assert_eq!(got.len(), recs.len(), "{v:?}");
        for (want, have) in recs.iter().zip(&got) {
            assert_eq!(core(have), core(want), "{v:?}");
            if want.ext.has(rf_format::ext_id::FLOW_MISC) {
                assert_eq!(groups(have), groups(want), "{v:?}");
            }
        }
    }
}

#[test]
fn v5_fields_survive_the_decoder() {
    let recs: Vec<FlowRecord> = sample_records()
        .into_iter()
        .filter(|r| !r.is_ipv6())
        .collect();
    let got = round_trip(Version::V5, &recs);
    assert_eq!(got.len(), recs.len());
    for (want, have) in recs.iter().zip(&got) {
        assert_eq!(core(have), core(want));
        assert_eq!(have.input, want.input);
        assert_eq!(have.src_as, want.src_as);
        assert_eq!(have.ip_next_hop, want.ip_next_hop);
    }
}
