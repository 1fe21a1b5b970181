//! Primitive semantics on hand-built records, for fields softflowd leaves at zero (AS, VLAN,
//! MPLS, MAC, next hops, NSEL/NAT, latency, VRF...), following the reference's stated
//! semantics (nfdump-cli.md §2.3/§2.4), plus labels, contexts and block skipping.

use std::net::IpAddr;

use rf_filter::{Context, Filter};
use rf_format::{BlockSummary, FlowRecord};

fn f(s: &str) -> Filter {
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A TCP flow 10.0.0.1:1234 -> 192.168.1.2:80 with some of every field set.
fn rec() -> FlowRecord {
    let mut r = FlowRecord {
        proto: 6,
        src_addr: ip("10.0.0.1"),
        dst_addr: ip("192.168.1.2"),
        src_port: 1234,
        dst_port: 80,
        tcp_flags: 0x1a, // ACK PSH SYN
        first_ms: 1_000_000,
        last_ms: 1_004_000,
        in_packets: 100,
        in_bytes: 150_000,
        out_packets: 7,
        out_bytes: 900,
        src_tos: 0xb8,
        dst_tos: 0x10,
        src_as: 64500,
        dst_as: 3320,
        prev_as: 174,
        next_as: 1299,
        src_vlan: 10,
        dst_vlan: 20,
        src_mask: 8,
        dst_mask: 24,
        input: 3,
        output: 5,
        dir: 1,
        fwd_status: 64,
        engine_type: 1,
        engine_id: 2,
        exporter_sysid: 7,
        nfversion: 9,
        ip_next_hop: ip("172.16.0.1"),
        bgp_next_hop: ip("fe80::1"),
        received_ip: ip("127.0.0.1"),
        in_src_mac: 0x0a50_56c0_0001,
        in_dst_mac: 0x0a50_56c0_0002,
        out_src_mac: 0x0a50_56c0_0003,
        out_dst_mac: 0x0a50_56c0_0004,
        client_nw_delay_us: 1500,
        server_nw_delay_us: 20,
        appl_latency_us: 300_000,
        obs_domain_id: 42,
        obs_point_id: 1 << 40,
        ingress_vrf: 11,
        egress_vrf: 12,
        fw_event: 3,
        fw_xevent: 1001,
        ingress_acl: [100, 101, 102],
        egress_acl: [200, 0, 0],
        nat_event: 1,
        xlate_src_ip: ip("198.51.100.7"),
        xlate_dst_ip: ip("203.0.113.9"),
        xlate_src_port: 40000,
        xlate_dst_port: 8080,
        block_start: 1000,
        block_end: 1999,
        block_step: 1,
        block_size: 1000,
        tun_src: ip("100.64.0.1"),
        tun_dst: ip("100.64.0.2"),
        tun_proto: 47,
        flows: 3,
        ..FlowRecord::default()
    };
    // label 16 exp 1 (not eos), label 32 exp 5 eos
    r.mpls[0] = 16 << 4 | 1 << 1;
    r.mpls[1] = 32 << 4 | 5 << 1 | 1;
    r
}

/// Asserts each expression's result on `r`.
fn check(r: &FlowRecord, cases: &[(&str, bool)]) {
    for &(e, want) in cases {
        assert_eq!(f(e).matches(r), want, "{e}");
    }
}

#[test]
fn addresses() {
    check(
        &rec(),
        &[
            ("ip 10.0.0.1", true),
            ("host 192.168.1.2", true),
            ("src ip 192.168.1.2", false),
            ("dst ip 192.168.1.2", true),
            ("src and dst ip 10.0.0.1", false),
            ("src or dst ip 10.0.0.1", true),
            ("ip ::1", false),
            ("ipv4", true),
            ("ipv6", false),
            ("net 10/8", true),
            ("src net 192.168/16", false),
            ("src and dst net 0.0.0.0/0", true),
            ("net 10.0.0.0 255.0.0.0", true),
            ("net 10.0.0.2/31", false),
            ("net 10.0.0.0/31", true),
            ("ip in [1.2.3.4 192.168.1.0/24]", true),
            ("src ip in [1.2.3.4 192.168.1.0/24]", false),
            ("src and dst ip in [10.0.0.0/8, 192.168.0.0/16]", true),
            ("next ip 172.16.0.1", true),
            ("next ip in [172.16.0.0/12]", true),
            ("bgpnext ip fe80::1", true),
            ("bgpnext ip 172.16.0.1", false),
            ("router ip 127.0.0.1", true),
            ("tunip 100.64.0.2", true),
            ("src tunip 100.64.0.2", false),
            ("tun proto gre", true),
            ("xip 198.51.100.7", true),
            ("dst nip 203.0.113.9", true),
            ("src nip 203.0.113.9", false),
            ("nip in [203.0.113.0/24]", true),
            ("xnet 198.51.100.0/24", true),
            ("dst xnet 198.51.100.0/24", false),
        ],
    );
    // The dotted-mask form is IPv4 only (nfdump 1.7.1 also matched IPv6 addresses whose low
    // 32 bits fall in the IPv4 net; see docs/filter.md).
    let mut v6 = rec();
    v6.src_addr = ip("2001:db8::a00:1");
    v6.dst_addr = ip("2001:db8::a00:2");
    check(
        &v6,
        &[
            ("net 10.0.0.0 255.0.0.0", false),
            ("ipv6", true),
            ("net 2001:db8::/32", true),
            ("src net 2001:db8:0:1::/64", false),
            ("ip in [2001:db8::a00:2]", true),
            ("dst ip in [2001:db8::a00:0/120]", true),
            ("dst ip in [2001:db8::/127]", false),
        ],
    );
}

#[test]
fn host_names_resolve_silently() {
    let mut r = rec();
    r.src_addr = ip("127.0.0.1");
    // `localhost` resolves through /etc/hosts; an invalid name resolves to nothing.
    check(
        &r,
        &[
            ("host localhost", true),
            ("ip in [localhost]", true),
            ("host no-such-host.invalid", false),
            ("ip in [no-such-host.invalid]", false),
            ("not host no-such-host.invalid", true),
        ],
    );
}

#[test]
fn ports_and_icmp() {
    check(
        &rec(),
        &[
            ("port 80", true),
            ("src port 80", false),
            ("port > 1233", true),
            ("dst port > 80", false),
            ("src and dst port < 2000", true),
            ("port in [22 80]", true),
            ("src port in [22 80]", false),
            ("port in pblock", true),
            ("dst port in pblock", false),
            ("xport 8080", true),
            ("src xport 8080", false),
            ("nport > 39999", true),
            ("icmp-type 0", false),
        ],
    );
    let icmp = FlowRecord {
        proto: 1,
        dst_port: 3 << 8 | 1,
        ..FlowRecord::default()
    };
    check(
        &icmp,
        &[
            ("icmp-type 3", true),
            ("icmp-code 1", true),
            ("icmp-type 1", false),
            ("dst port 769", true),
            ("proto icmp", true),
        ],
    );
    // icmp-type implies ICMP/ICMPv6: a UDP flow with the same port value does not match.
    let udp = FlowRecord {
        proto: 17,
        dst_port: 3 << 8 | 1,
        ..FlowRecord::default()
    };
    check(&udp, &[("icmp-type 3", false), ("icmp-code 1", false)]);
}

#[test]
fn counters_and_rates() {
    // 100 packets, 150000 bytes in 4000 ms.
    check(
        &rec(),
        &[
            ("packets 100", true),
            ("in packets > 99", true),
            ("out packets 7", true),
            ("bytes 150k", true),
            ("out bytes < 1k", true),
            ("flows 3", true),
            ("pps 25", true),
            ("bps 300000", true),
            ("bps > 299k", true),
            ("bpp 1500", true),
            ("duration 4000", true),
            ("duration > 4k", false),
        ],
    );
    let zero = FlowRecord::default();
    // No duration / packets: rates are 0; absent EXcntFlow counts as 1 flow.
    check(
        &zero,
        &[
            ("pps 0", true),
            ("bps 0", true),
            ("bpp 0", true),
            ("flows 1", true),
        ],
    );
}

#[test]
fn header_and_misc_fields() {
    check(
        &rec(),
        &[
            ("tos 184", true),
            ("tos 16", false),
            ("dst tos 16", true),
            ("src or dst tos 16", true),
            ("src and dst tos > 15", true),
            ("as 64500", true),
            ("src as 3320", false),
            ("dst as 3320", true),
            ("prev as 174", true),
            ("next as 1299", true),
            ("as 174", false),
            ("as in [1 3320]", true),
            ("next as in [1 3320]", false),
            ("src and dst as > 3000", true),
            ("vlan 20", true),
            ("src vlan 20", false),
            ("mask 24", true),
            ("src mask 24", false),
            ("if 5", true),
            ("in if 5", false),
            ("out if 5", true),
            ("engine-type 1", true),
            ("engine-id > 1", true),
            ("sysid 7", true),
            ("nfversion 9", true),
            ("flowdir 1", true),
            ("dir egress", true),
            ("fwdstat 64", true),
            ("client latency 1500", true),
            ("server latency < 21", true),
            ("app latency > 299999", true),
            ("observation domain id 42", true),
            ("observation point id 1099511627776", true),
            ("ingress vrf 11", true),
            ("egress vrf 11", false),
            ("flowlabel anything", false),
        ],
    );
}

#[test]
fn tcp_flags() {
    // 0x1a = ACK PSH SYN
    check(
        &rec(),
        &[
            ("flags S", true),
            ("flags SA", true),
            ("flags SAP", true),
            ("flags SAF", false),
            ("not flags F", true),
            ("flags X", false),
            ("flags 26", true),
            ("flags 2", false),
            ("flags > 25", true),
        ],
    );
    let udp = FlowRecord {
        proto: 17,
        tcp_flags: 0x1a,
        ..FlowRecord::default()
    };
    check(
        &udp,
        &[
            ("flags S", false),
            ("flags 26", false),
            ("not flags S", true),
        ],
    );
}

#[test]
fn mac_qualifiers() {
    let r = rec();
    let m = |n: u8| format!("0a:50:56:c0:00:{n:02x}");
    // 1 in-src, 2 in-dst, 3 out-src, 4 out-dst
    let cases: &[(&str, [bool; 4])] = &[
        ("", [true, true, true, true]),
        ("in ", [true, true, false, false]),
        ("out ", [false, false, true, true]),
        ("src ", [true, false, true, false]),
        ("dst ", [false, true, false, true]),
        ("in src ", [true, false, false, false]),
        ("in dst ", [false, true, false, false]),
        ("out src ", [false, false, true, false]),
        ("out dst ", [false, false, false, true]),
    ];
    for (q, want) in cases {
        for (i, &w) in want.iter().enumerate() {
            let e = format!("{q}mac {}", m(i as u8 + 1));
            assert_eq!(f(&e).matches(&r), w, "{e}");
        }
    }
    // The all-zero MAC is a valid value here (nfdump 1.7.1 rejects it).
    assert!(f("in src mac 00:00:00:00:00:00").matches(&FlowRecord::default()));
}

#[test]
fn mpls() {
    check(
        &rec(),
        &[
            ("mpls label1 16", true),
            ("mpls label2 32", true),
            ("mpls label2 > 31", true),
            ("mpls label3 0", true),
            ("mpls exp1 1", true),
            ("mpls exp2 5", true),
            ("mpls exp2 < 5", false),
            ("mpls eos 32", true),
            ("mpls eos 16", false),
            ("mpls any 32", true),
            ("mpls any 16", false),
        ],
    );
    // No end-of-stack entry: nfdump treats the eos label as larger than any value.
    let none = FlowRecord::default();
    check(
        &none,
        &[
            ("mpls eos 0", false),
            ("mpls eos > 31", true),
            ("mpls eos < 5", false),
            ("mpls any 0", false),
        ],
    );
}

#[test]
fn nsel_and_nat() {
    check(
        &rec(),
        &[
            ("asa event deny", true),
            ("asa event 3", true),
            ("asa event > 2", true),
            ("asa event create", false),
            ("asa event denied ingress", true),
            ("asa event denied egress", false),
            ("asa xevent 1001", true),
            ("ingress acl 100", true),
            ("ingress ace 101", true),
            ("ingress xace 102", true),
            ("egress acl 200", true),
            ("nat event add", true),
            ("nat event delete", false),
            ("pblock start 1000", true),
            ("pblock end > 1000", true),
            ("pblock step 1", true),
            ("pblock size 1000", true),
        ],
    );
}

#[test]
fn ident_and_count_use_the_context() {
    let r = rec();
    let id = f("ident router1");
    assert!(id.uses_ident() && !id.uses_count());
    assert!(!id.matches(&r), "no ident known");
    let ctx = Context {
        ident: Some("router1"),
        record_no: 5,
    };
    assert!(id.matches_ctx(&r, &ctx));
    assert!(!f("ident Router1").matches_ctx(&r, &ctx), "case-sensitive");
    let c = f("count < 5");
    assert!(c.uses_count());
    assert!(!c.matches_ctx(&r, &ctx));
    assert!(c.matches_ctx(
        &r,
        &Context {
            record_no: 4,
            ..ctx
        }
    ));
}

#[test]
fn labels() {
    let f = f("(proto tcp) %TCP or (proto udp) %UDP or %ICMP (proto icmp)");
    let ctx = Context::default();
    let mut r = rec();
    assert_eq!(f.match_label(&r, &ctx), Some(Some("TCP")));
    r.proto = 1;
    assert_eq!(f.match_label(&r, &ctx), Some(Some("ICMP")));
    r.proto = 50;
    assert_eq!(f.match_label(&r, &ctx), None);
    let plain = super_filter("proto 50");
    assert_eq!(plain.match_label(&r, &ctx), Some(None));
    // A label inside a failed `and` does not stick.
    let g = super_filter("((proto 50) %ESP and port 1) or any");
    assert_eq!(g.match_label(&r, &ctx), Some(None));
}

fn super_filter(s: &str) -> Filter {
    f(s)
}

fn summary(protos: &[u8]) -> BlockSummary {
    let mut s = BlockSummary {
        records: 10,
        ..BlockSummary::default()
    };
    for &p in protos {
        s.protocols[usize::from(p >> 6)] |= 1 << (p & 63);
    }
    s
}

#[test]
fn block_skipping_is_conservative() {
    let tcp_only = summary(&[6]);
    assert!(f("proto tcp").may_match_block(&tcp_only));
    assert!(!f("proto udp").may_match_block(&tcp_only));
    assert!(!f("proto udp and port 53").may_match_block(&tcp_only));
    assert!(f("proto udp or port 53").may_match_block(&tcp_only));
    assert!(f("not proto udp").may_match_block(&tcp_only));
    assert!(
        !f("not proto tcp").may_match_block(&tcp_only),
        "every record is TCP"
    );
    assert!(!f("flags S and proto udp").may_match_block(&tcp_only));
    assert!(!f("icmp-type 8").may_match_block(&tcp_only));
    assert!(f("proto udp or proto tcp").may_match_block(&tcp_only));
    assert!(!f("proto udp or proto icmp").may_match_block(&tcp_only));
    assert!(
        f("host 1.2.3.4").may_match_block(&tcp_only),
        "no Bloom filter: unknown"
    );
    // Unknown protocol set (all zero): never skip on protocol.
    assert!(f("proto udp").may_match_block(&BlockSummary::default()));
}

#[test]
fn block_skipping_with_native_bloom_filters() {
    // Write a real native file so the summary carries the writer's Bloom filter.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.rf");
    let mut w = rf_format::native::Writer::create(&path, Default::default()).unwrap();
    for (i, p) in [6u8, 17].iter().enumerate() {
        let mut r = rec();
        r.proto = *p;
        r.src_addr = ip(&format!("10.0.0.{}", i + 1));
        w.write(&r).unwrap();
    }
    w.finish().unwrap();
    let file = rf_format::open(&path).unwrap();
    let Some(s) = file.block_summary(0) else {
        panic!("native files keep block summaries");
    };
    assert!(f("host 10.0.0.1").may_match_block(s));
    assert!(f("dst ip 192.168.1.2 and proto udp").may_match_block(s));
    assert!(f("ip in [1.1.1.1 10.0.0.2]").may_match_block(s));
    assert!(
        f("ip in [1.1.1.0/24]").may_match_block(s),
        "networks are not in the Bloom filter"
    );
    assert!(f("not host 10.9.9.9").may_match_block(s));
    assert!(!f("proto icmp or proto 50").may_match_block(s));
    // Bloom filters allow false positives; of these absent hosts nearly all must be rejected.
    let absent = [
        "10.9.9.9",
        "172.20.1.1",
        "8.8.4.4",
        "2001:db8::99",
        "10.0.0.3",
        "1.1.1.1",
    ];
    let skipped = absent
        .iter()
        .filter(|a| !f(&format!("host {a}")).may_match_block(s))
        .count();
    assert!(
        skipped >= 5,
        "Bloom filter skipped only {skipped} of 6 absent hosts"
    );
    // Every record the filter matches lies in a block it may match.
    let mut recs = Vec::new();
    file.read_block(0, &mut recs).unwrap();
    for e in [
        "host 10.0.0.2",
        "proto udp",
        "not proto tcp",
        "ip in [10.0.0.1]",
    ] {
        let flt = f(e);
        if recs.iter().any(|r| flt.matches(r)) {
            assert!(flt.may_match_block(s), "{e}");
        }
    }
}
