//! Property tests: the canonical text of any syntax tree parses back to the same tree, and the
//! compiled filter agrees with a naive tree interpreter (written here from the reference's
//! semantics, independently of the compiler) on random records and expressions.

use std::net::IpAddr;

use proptest::prelude::*;
use rf_filter::{
    AddrField, Cmp, Context, Dir, DirField, Expr, Host, ListItem, NumField, Prim, compile, parse,
};
use rf_format::FlowRecord;

const ADDRS: [&str; 7] = [
    "10.0.0.1",
    "10.0.0.2",
    "192.168.1.1",
    "0.0.0.0",
    "2001:db8::1",
    "2001:db8::2",
    "fe80::1",
];

fn addr() -> impl Strategy<Value = IpAddr> {
    prop::sample::select(&ADDRS[..]).prop_map(|s| s.parse().unwrap())
}

fn small() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(2),
        Just(3),
        Just(6),
        Just(17),
        Just(53),
        Just(80)
    ]
}

fn cmp() -> impl Strategy<Value = Cmp> {
    prop::sample::select(vec![Cmp::Eq, Cmp::Gt, Cmp::Lt, Cmp::Ge, Cmp::Le])
}

fn sd_dir() -> impl Strategy<Value = Dir> {
    prop::sample::select(vec![
        Dir::Default,
        Dir::Src,
        Dir::Dst,
        Dir::SrcOrDst,
        Dir::SrcAndDst,
    ])
}

fn dir_for(field: DirField) -> BoxedStrategy<Dir> {
    let all = [
        Dir::Default,
        Dir::Src,
        Dir::Dst,
        Dir::SrcOrDst,
        Dir::SrcAndDst,
        Dir::In,
        Dir::Out,
        Dir::InSrc,
        Dir::InDst,
        Dir::OutSrc,
        Dir::OutDst,
        Dir::Prev,
        Dir::Next,
    ];
    let ok: Vec<Dir> = all.into_iter().filter(|d| field.allows(*d)).collect();
    prop::sample::select(ok).boxed()
}

fn bits_for(a: IpAddr) -> BoxedStrategy<(IpAddr, u8)> {
    let max = if a.is_ipv4() { 32u8 } else { 128 };
    prop_oneof![
        Just(0u8),
        Just(8),
        Just(16),
        Just(31),
        Just(max),
        Just(max.min(64))
    ]
    .prop_map(move |b| (a, b))
    .boxed()
}

fn net() -> impl Strategy<Value = (IpAddr, u8)> {
    addr().prop_flat_map(bits_for)
}

fn list_item() -> impl Strategy<Value = ListItem> {
    prop_oneof![
        addr().prop_map(|a| ListItem::Host(Host::Addr(a))),
        net().prop_map(|(a, b)| ListItem::Net(a, b)),
    ]
}

fn num_field() -> impl Strategy<Value = NumField> {
    use NumField::*;
    prop_oneof![
        prop::sample::select(vec![
            Proto,
            TunProto,
            IcmpType,
            IcmpCode,
            EngineType,
            EngineId,
            Sysid,
            Flows,
            Pps,
            Bps,
            Bpp,
            Duration,
            Count,
            NfVersion,
            Flags,
            FlowDir,
            FwdStat,
            ClientLatency,
            ServerLatency,
            AppLatency,
            ObsDomainId,
            ObsPointId,
            IngressVrf,
            EgressVrf,
            AsaEvent,
            AsaXevent,
            IngressAcl,
            IngressAce,
            IngressXace,
            EgressAcl,
            NatEvent,
            PblockStart,
            PblockEnd,
            PblockStep,
            PblockSize,
            MplsEos,
            MplsAny,
        ]),
        (1u8..=10).prop_map(MplsLabel),
        (1u8..=10).prop_map(MplsExp),
    ]
}

fn dir_field() -> impl Strategy<Value = DirField> {
    use DirField::*;
    prop::sample::select(vec![
        Port, Xport, As, Tos, Vlan, Mask, If, Packets, Bytes, Mac,
    ])
}

fn prim() -> impl Strategy<Value = Prim> {
    prop_oneof![
        1 => Just(Prim::Any),
        1 => Just(Prim::Ipv4),
        1 => Just(Prim::Ipv6),
        1 => prop::sample::select(vec!["r1", "r2"]).prop_map(|s| Prim::Ident(s.into())),
        1 => (sd_dir(), prop::sample::select(vec![AddrField::Ip, AddrField::Tunnel, AddrField::Xlate]), addr())
            .prop_map(|(dir, field, a)| Prim::Addr { dir, field, host: Host::Addr(a) }),
        1 => (prop::sample::select(vec![AddrField::NextHop, AddrField::BgpNextHop, AddrField::Router]), addr())
            .prop_map(|(field, a)| Prim::Addr { dir: Dir::Default, field, host: Host::Addr(a) }),
        1 => (sd_dir(), prop::sample::select(vec![AddrField::Ip, AddrField::Xlate]), prop::collection::vec(list_item(), 1..5))
            .prop_map(|(dir, field, list)| Prim::AddrIn { dir, field, list }),
        1 => prop::collection::vec(list_item(), 1..4)
            .prop_map(|list| Prim::AddrIn { dir: Dir::Default, field: AddrField::NextHop, list }),
        1 => (sd_dir(), prop::sample::select(vec![AddrField::Ip, AddrField::Xlate]), net())
            .prop_map(|(dir, field, (addr, bits))| Prim::Net { dir, field, addr, bits }),
        4 => dir_field().prop_flat_map(|field| {
            let c = if field.has_cmp() { cmp().boxed() } else { Just(Cmp::Eq).boxed() };
            (dir_for(field), c, small()).prop_map(move |(dir, cmp, value)| Prim::DirNum { dir, field, cmp, value })
        }),
        1 => prop::sample::select(vec![DirField::Port, DirField::As]).prop_flat_map(|field| {
            (dir_for(field), prop::collection::vec(small(), 1..4))
                .prop_map(move |(dir, list)| Prim::NumIn { dir, field, list })
        }),
        1 => sd_dir().prop_map(|dir| Prim::PortInPblock { dir }),
        4 => num_field().prop_flat_map(|field| {
            let c = if field.has_cmp() { cmp().boxed() } else { Just(Cmp::Eq).boxed() };
            let (lo, hi) = field.range();
            (c, small()).prop_map(move |(cmp, v)| Prim::Num { field, cmp, value: v.clamp(lo, hi) })
        }),
        1 => (1u8..64).prop_map(Prim::Flags),
        1 => Just(Prim::FlowLabel("lbl".into())),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    prim()
        .prop_map(Expr::Prim)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                inner.prop_map(|e| Expr::Label("L1".into(), Box::new(e))),
            ]
        })
}

fn record() -> impl Strategy<Value = (FlowRecord, u64, bool)> {
    let addrs = (
        addr(),
        addr(),
        addr(),
        addr(),
        addr(),
        addr(),
        addr(),
        addr(),
        addr(),
    );
    let nums = prop::collection::vec(small(), 40);
    let mpls = prop::collection::vec((0u32..40, 0u32..8, prop::bool::weighted(0.3)), 3);
    (addrs, nums, mpls, any::<bool>(), 0u64..5, any::<bool>()).prop_map(
        |(a, n, mpls, v6, count, id)| {
            let fam = |x: IpAddr| if v6 == x.is_ipv6() { x } else { a.0 };
            let mut r = FlowRecord {
                src_addr: fam(a.0),
                dst_addr: fam(a.1),
                tun_src: a.2,
                tun_dst: a.3,
                xlate_src_ip: a.4,
                xlate_dst_ip: a.5,
                ip_next_hop: a.6,
                bgp_next_hop: a.7,
                received_ip: a.8,
                proto: [6u8, 17, 1, 58][(n[0] % 4) as usize],
                src_port: n[1] as u16,
                dst_port: n[2] as u16,
                xlate_src_port: n[3] as u16,
                xlate_dst_port: n[4] as u16,
                src_as: n[5] as u32,
                dst_as: n[6] as u32,
                prev_as: n[7] as u32,
                next_as: n[8] as u32,
                src_tos: n[9] as u8,
                dst_tos: n[10] as u8,
                src_vlan: n[11] as u32,
                dst_vlan: n[12] as u32,
                src_mask: n[13] as u8,
                dst_mask: n[14] as u8,
                input: n[15] as u32,
                output: n[16] as u32,
                in_packets: n[17],
                out_packets: n[18],
                in_bytes: n[19] * 7,
                out_bytes: n[20],
                in_src_mac: n[21],
                in_dst_mac: n[22],
                out_src_mac: n[23],
                out_dst_mac: n[24],
                tcp_flags: (n[25] % 64) as u8,
                first_ms: 1000,
                last_ms: 1000 + n[26] * 3,
                engine_type: n[27] as u8,
                engine_id: n[28] as u8,
                exporter_sysid: n[29] as u16,
                flows: n[30],
                nfversion: [5u8, 9, 10][(n[31] % 3) as usize],
                dir: (n[32] % 2) as u8,
                fwd_status: n[33] as u8,
                block_start: n[34] as u16,
                block_end: n[34] as u16 + n[35] as u16,
                fw_event: n[36] as u8,
                nat_event: n[37] as u8,
                ingress_vrf: n[38] as u32,
                client_nw_delay_us: n[39],
                ..FlowRecord::default()
            };
            for (i, (label, exp, eos)) in mpls.into_iter().enumerate() {
                r.mpls[i] = label << 4 | exp << 1 | u32::from(eos);
            }
            (r, count, id)
        },
    )
}

// ---- naive interpreter ----

fn in_net(a: IpAddr, n: IpAddr, bits: u8) -> bool {
    let shift = |x: u128, width: u32| -> u128 {
        let keep = u32::from(bits).min(width);
        if keep == 0 { 0 } else { x >> (width - keep) }
    };
    match (a, n) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            shift(u32::from(a).into(), 32) == shift(u32::from(n).into(), 32)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => shift(u128::from(a), 128) == shift(u128::from(n), 128),
        _ => false,
    }
}

fn pair(dir: Dir, s: bool, d: bool) -> bool {
    match dir {
        Dir::Src => s,
        Dir::Dst => d,
        Dir::SrcAndDst => s && d,
        _ => s || d,
    }
}

fn addr_pair(field: AddrField, r: &FlowRecord) -> (IpAddr, Option<IpAddr>) {
    match field {
        AddrField::Ip => (r.src_addr, Some(r.dst_addr)),
        AddrField::Tunnel => (r.tun_src, Some(r.tun_dst)),
        AddrField::Xlate => (r.xlate_src_ip, Some(r.xlate_dst_ip)),
        AddrField::NextHop => (r.ip_next_hop, None),
        AddrField::BgpNextHop => (r.bgp_next_hop, None),
        AddrField::Router => (r.received_ip, None),
    }
}

fn addr_test(dir: Dir, field: AddrField, r: &FlowRecord, t: &dyn Fn(IpAddr) -> bool) -> bool {
    match addr_pair(field, r) {
        (s, Some(d)) => pair(dir, t(s), t(d)),
        (s, None) => t(s),
    }
}

fn dir_values(field: DirField, dir: Dir, r: &FlowRecord) -> (Vec<u64>, bool) {
    // Returns the candidate values and whether all (true) or any (false) must match.
    let sd = |s: u64, d: u64| match dir {
        Dir::Src => (vec![s], false),
        Dir::Dst => (vec![d], false),
        Dir::SrcAndDst => (vec![s, d], true),
        _ => (vec![s, d], false),
    };
    match field {
        DirField::Port => sd(r.src_port.into(), r.dst_port.into()),
        DirField::Xport => sd(r.xlate_src_port.into(), r.xlate_dst_port.into()),
        DirField::As => match dir {
            Dir::Prev => (vec![r.prev_as.into()], false),
            Dir::Next => (vec![r.next_as.into()], false),
            _ => sd(r.src_as.into(), r.dst_as.into()),
        },
        DirField::Tos => match dir {
            Dir::Default => (vec![r.src_tos.into()], false),
            _ => sd(r.src_tos.into(), r.dst_tos.into()),
        },
        DirField::Vlan => sd(r.src_vlan.into(), r.dst_vlan.into()),
        DirField::Mask => sd(r.src_mask.into(), r.dst_mask.into()),
        DirField::If => match dir {
            Dir::In => (vec![r.input.into()], false),
            Dir::Out => (vec![r.output.into()], false),
            _ => (vec![r.input.into(), r.output.into()], false),
        },
        DirField::Packets => match dir {
            Dir::Out => (vec![r.out_packets], false),
            _ => (vec![r.in_packets], false),
        },
        DirField::Bytes => match dir {
            Dir::Out => (vec![r.out_bytes], false),
            _ => (vec![r.in_bytes], false),
        },
        DirField::Mac => {
            let (is, id, os, od) = (r.in_src_mac, r.in_dst_mac, r.out_src_mac, r.out_dst_mac);
            let v = match dir {
                Dir::Src => vec![is, os],
                Dir::Dst => vec![id, od],
                Dir::In => vec![is, id],
                Dir::Out => vec![os, od],
                Dir::InSrc => vec![is],
                Dir::InDst => vec![id],
                Dir::OutSrc => vec![os],
                Dir::OutDst => vec![od],
                _ => vec![is, id, os, od],
            };
            (v, false)
        }
    }
}

fn num_value(f: NumField, r: &FlowRecord, ctx: &Context<'_>) -> Option<u64> {
    let dur = r.last_ms.wrapping_sub(r.first_ms);
    let icmp = r.proto == 1 || r.proto == 58;
    Some(match f {
        NumField::Proto => r.proto.into(),
        NumField::TunProto => r.tun_proto.into(),
        NumField::IcmpType if icmp => (r.dst_port >> 8).into(),
        NumField::IcmpCode if icmp => (r.dst_port & 0xff).into(),
        NumField::IcmpType | NumField::IcmpCode => return None,
        NumField::EngineType => r.engine_type.into(),
        NumField::EngineId => r.engine_id.into(),
        NumField::Sysid => r.exporter_sysid.into(),
        NumField::Flows => r.flows.max(1),
        // Values are small here, so plain u64 arithmetic cannot overflow.
        NumField::Pps => (r.in_packets * 1000).checked_div(dur).unwrap_or(0),
        NumField::Bps => (r.in_bytes * 8000).checked_div(dur).unwrap_or(0),
        NumField::Bpp => r.in_bytes.checked_div(r.in_packets).unwrap_or(0),
        NumField::Duration => dur,
        NumField::Count => ctx.record_no,
        NumField::NfVersion => r.nfversion.into(),
        NumField::Flags if r.proto == 6 => r.tcp_flags.into(),
        NumField::Flags => return None,
        NumField::FlowDir => r.dir.into(),
        NumField::FwdStat => r.fwd_status.into(),
        NumField::ClientLatency => r.client_nw_delay_us,
        NumField::ServerLatency => r.server_nw_delay_us,
        NumField::AppLatency => r.appl_latency_us,
        NumField::ObsDomainId => r.obs_domain_id.into(),
        NumField::ObsPointId => r.obs_point_id,
        NumField::IngressVrf => r.ingress_vrf.into(),
        NumField::EgressVrf => r.egress_vrf.into(),
        NumField::AsaEvent => r.fw_event.into(),
        NumField::AsaXevent => r.fw_xevent.into(),
        NumField::IngressAcl => r.ingress_acl[0].into(),
        NumField::IngressAce => r.ingress_acl[1].into(),
        NumField::IngressXace => r.ingress_acl[2].into(),
        NumField::EgressAcl => r.egress_acl[0].into(),
        NumField::NatEvent => r.nat_event.into(),
        NumField::PblockStart => r.block_start.into(),
        NumField::PblockEnd => r.block_end.into(),
        NumField::PblockStep => r.block_step.into(),
        NumField::PblockSize => r.block_size.into(),
        NumField::MplsLabel(n) => (r.mpls[usize::from(n) - 1] >> 4).into(),
        NumField::MplsExp(n) => ((r.mpls[usize::from(n) - 1] >> 1) & 7).into(),
        NumField::MplsEos | NumField::MplsAny => r
            .mpls
            .iter()
            .find(|l| *l & 1 == 1)
            .map_or(u64::MAX, |l| (l >> 4).into()),
    })
}

fn naive(e: &Expr, r: &FlowRecord, ctx: &Context<'_>) -> bool {
    match e {
        Expr::Not(x) => !naive(x, r, ctx),
        Expr::And(v) => v.iter().all(|x| naive(x, r, ctx)),
        Expr::Or(v) => v.iter().any(|x| naive(x, r, ctx)),
        Expr::Label(_, x) => naive(x, r, ctx),
        Expr::Prim(p) => match p {
            Prim::Any => true,
            Prim::Ident(s) => ctx.ident == Some(s.as_str()),
            Prim::Ipv4 => r.src_addr.is_ipv4(),
            Prim::Ipv6 => r.src_addr.is_ipv6(),
            Prim::Addr {
                dir,
                field,
                host: Host::Addr(a),
            } => addr_test(*dir, *field, r, &|x| x == *a),
            Prim::Addr { .. } => unreachable!("generator makes no host names"),
            Prim::AddrIn { dir, field, list } => addr_test(*dir, *field, r, &|x| {
                list.iter().any(|it| match it {
                    ListItem::Host(Host::Addr(a)) => *a == x,
                    ListItem::Host(Host::Name(_)) => false,
                    ListItem::Net(n, b) => in_net(x, *n, *b),
                })
            }),
            Prim::Net {
                dir,
                field,
                addr,
                bits,
            } => addr_test(*dir, *field, r, &|x| in_net(x, *addr, *bits)),
            Prim::DirNum {
                dir,
                field,
                cmp,
                value,
            } => {
                let (v, all) = dir_values(*field, *dir, r);
                let t = |x: &u64| cmp.test(*x, *value);
                if all {
                    v.iter().all(t)
                } else {
                    v.iter().any(t)
                }
            }
            Prim::NumIn { dir, field, list } => {
                let (v, all) = dir_values(*field, *dir, r);
                let t = |x: &u64| list.contains(x);
                if all {
                    v.iter().all(t)
                } else {
                    v.iter().any(t)
                }
            }
            Prim::PortInPblock { dir } => {
                let inb = |p: u16| p >= r.block_start && p <= r.block_end;
                pair(*dir, inb(r.src_port), inb(r.dst_port))
            }
            Prim::Num { field, cmp, value } => {
                num_value(*field, r, ctx).is_some_and(|v| cmp.test(v, *value))
            }
            Prim::Flags(b) => r.proto == 6 && r.tcp_flags & b == *b,
            Prim::FlowLabel(_) => false,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn display_parses_back(e in expr()) {
        let text = e.to_string();
        let back = parse(&text).map_err(|err| TestCaseError::fail(err.render(&text)))?;
        prop_assert_eq!(back, e, "{}", text);
    }

}

proptest! {
    // Each case checks 8 records; record generation dominates the run time in debug builds.
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn compiled_agrees_with_naive(e in expr(), recs in prop::collection::vec(record(), 8)) {
        let f = compile(&e).map_err(|err| TestCaseError::fail(format!("{e}: {err}")))?;
        for (r, count, id) in &recs {
            let ctx = Context { ident: Some(if *id { "r1" } else { "r2" }), record_no: *count };
            prop_assert_eq!(f.matches_ctx(r, &ctx), naive(&e, r, &ctx), "{} on {:?}", e, r);
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "[ -~\\n]{0,80}") {
        // Random printable text: parse errors are fine, panics and overflows are not.
        if let Ok(e) = parse(&s) {
            let back = parse(&e.to_string());
            prop_assert_eq!(back.as_ref(), Ok(&e));
        }
    }

    #[test]
    fn token_soup_never_panics(words in prop::collection::vec(prop::sample::select(vec![
        "src", "dst", "or", "and", "not", "(", ")", "[", "]", "in", "out", "ip", "net", "port",
        "as", "mac", "proto", "tcp", "10.0.0.1", "10/8", "/", "8", "80", ">", "flags", "SA",
        "mpls", "label1", "eos", "prev", "next", "%", "X", "any", "bytes", "1k", "::1", ",",
    ]), 0..12)) {
        let s = words.join(" ");
        if let Ok(e) = parse(&s) {
            prop_assert_eq!(parse(&e.to_string()), Ok(e));
        }
    }
}
