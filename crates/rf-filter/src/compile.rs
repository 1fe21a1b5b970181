//! Lowers an [`Expr`] to compiled [`Node`]s: qualifiers become and/or of single-field tests,
//! implied protocol tests are added (`flags` → TCP, `icmp-type` → ICMP/ICMPv6), host names are
//! resolved, lists become sorted sets, and nested and/or chains are flattened.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::Arc;

use crate::addrset::{AddrSet, mask4, mask6};
use crate::ast::{AddrField, Cmp, Dir, DirField, Expr, Host, ListItem, NumField, Prim};
use crate::error::Error;
use crate::node::{AddrGet, Get, Net, Node};

/// Deepest nesting accepted from a hand-built tree (the parser allows less), so compiling and
/// evaluating cannot exhaust the stack.
const MAX_TREE_DEPTH: usize = 2 * crate::parser::MAX_DEPTH + 8;

/// Compiles a syntax tree.
pub fn compile(e: &Expr) -> Result<Node, Error> {
    check_depth(e)?;
    Ok(simplify(lower(e)?))
}

/// Iterative depth check, safe on arbitrarily deep trees.
fn check_depth(e: &Expr) -> Result<(), Error> {
    let mut stack = vec![(e, 1usize)];
    while let Some((e, d)) = stack.pop() {
        if d > MAX_TREE_DEPTH {
            return Err(invalid(format!(
                "expression nested deeper than {MAX_TREE_DEPTH}"
            )));
        }
        match e {
            Expr::Prim(_) => {}
            Expr::Not(c) | Expr::Label(_, c) => stack.push((c, d + 1)),
            Expr::And(v) | Expr::Or(v) => stack.extend(v.iter().map(|c| (c, d + 1))),
        }
    }
    Ok(())
}

fn invalid(msg: String) -> Error {
    Error::Invalid(msg)
}

fn lower(e: &Expr) -> Result<Node, Error> {
    Ok(match e {
        Expr::Prim(p) => prim(p)?,
        Expr::Not(e) => Node::Not(Box::new(lower(e)?)),
        Expr::And(v) => Node::And(v.iter().map(lower).collect::<Result<_, _>>()?),
        Expr::Or(v) => Node::Or(v.iter().map(lower).collect::<Result<_, _>>()?),
        Expr::Label(name, e) => Node::Label(Box::new(lower(e)?), Arc::from(name.as_str())),
    })
}

/// Flattens nested and/or, folds constants and double negation.
fn simplify(n: Node) -> Node {
    match n {
        Node::And(v) => {
            let mut out = Vec::new();
            for c in v.into_vec().into_iter().map(simplify) {
                match c {
                    Node::Const(true) => {}
                    Node::Const(false) => return Node::Const(false),
                    Node::And(inner) => out.extend(inner.into_vec()),
                    c => out.push(c),
                }
            }
            match out.len() {
                0 => Node::Const(true),
                1 => out.pop().unwrap_or(Node::Const(true)),
                _ => Node::And(out.into()),
            }
        }
        Node::Or(v) => {
            let mut out = Vec::new();
            for c in v.into_vec().into_iter().map(simplify) {
                match c {
                    Node::Const(false) => {}
                    Node::Const(true) => return Node::Const(true),
                    Node::Or(inner) => out.extend(inner.into_vec()),
                    c => out.push(c),
                }
            }
            match out.len() {
                0 => Node::Const(false),
                1 => out.pop().unwrap_or(Node::Const(false)),
                _ => Node::Or(out.into()),
            }
        }
        Node::Not(c) => match simplify(*c) {
            Node::Const(b) => Node::Const(!b),
            Node::Not(inner) => *inner,
            c => Node::Not(Box::new(c)),
        },
        Node::Label(c, name) => Node::Label(Box::new(simplify(*c)), name),
        other => other,
    }
}

/// Combines the tests of a field pair according to the qualifier.
fn pair(dir: Dir, src: Node, dst: Node) -> Result<Node, Error> {
    Ok(match dir {
        Dir::Default | Dir::SrcOrDst => Node::Or(vec![src, dst].into()),
        Dir::SrcAndDst => Node::And(vec![src, dst].into()),
        Dir::Src => src,
        Dir::Dst => dst,
        d => {
            return Err(invalid(format!(
                "qualifier '{}' not valid here",
                d.prefix().trim()
            )));
        }
    })
}

fn addr_gets(field: AddrField) -> (AddrGet, Option<AddrGet>) {
    match field {
        AddrField::Ip => (AddrGet::Src, Some(AddrGet::Dst)),
        AddrField::Tunnel => (AddrGet::TunSrc, Some(AddrGet::TunDst)),
        AddrField::Xlate => (AddrGet::XlateSrc, Some(AddrGet::XlateDst)),
        AddrField::NextHop => (AddrGet::NextHop, None),
        AddrField::BgpNextHop => (AddrGet::BgpNextHop, None),
        AddrField::Router => (AddrGet::Router, None),
    }
}

/// Builds the test for an address field pair.
fn addr_test(dir: Dir, field: AddrField, mk: &dyn Fn(AddrGet) -> Node) -> Result<Node, Error> {
    match addr_gets(field) {
        (g, None) if dir == Dir::Default => Ok(mk(g)),
        (_, None) => Err(invalid(format!(
            "'{dir:?}' qualifier on a single address field"
        ))),
        (s, Some(d)) => pair(dir, mk(s), mk(d)),
    }
}

/// Resolves a host name with the system resolver, silently: a failed lookup gives no address,
/// so the primitive matches nothing (as nfdump does).
fn resolve(name: &str) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = (name, 0u16)
        .to_socket_addrs()
        .map(|it| it.map(|s| s.ip()).collect())
        .unwrap_or_default();
    v.sort_unstable();
    v.dedup();
    v
}

fn net(addr: IpAddr, bits: u8) -> Result<Net, Error> {
    match addr {
        IpAddr::V4(a) if bits <= 32 => Ok(Net::V4(u32::from(a) & mask4(bits), mask4(bits))),
        IpAddr::V6(a) if bits <= 128 => Ok(Net::V6(u128::from(a) & mask6(bits), mask6(bits))),
        _ => Err(invalid(format!("prefix length {bits} too long for {addr}"))),
    }
}

fn dir_gets(field: DirField) -> (Get, Get) {
    match field {
        DirField::Port => (Get::SrcPort, Get::DstPort),
        DirField::Xport => (Get::XSrcPort, Get::XDstPort),
        DirField::As => (Get::SrcAs, Get::DstAs),
        DirField::Tos => (Get::SrcTos, Get::DstTos),
        DirField::Vlan => (Get::SrcVlan, Get::DstVlan),
        DirField::Mask => (Get::SrcMask, Get::DstMask),
        DirField::If => (Get::Input, Get::Output),
        DirField::Packets => (Get::InPackets, Get::OutPackets),
        DirField::Bytes => (Get::InBytes, Get::OutBytes),
        DirField::Mac => (Get::InSrcMac, Get::InDstMac),
    }
}

/// Builds the test of a qualified numeric field.
fn dir_test(dir: Dir, field: DirField, mk: &dyn Fn(Get) -> Node) -> Result<Node, Error> {
    if !field.allows(dir) {
        return Err(invalid(format!(
            "qualifier '{}' not allowed with '{}'",
            dir.prefix().trim(),
            field.keyword()
        )));
    }
    let (s, d) = dir_gets(field);
    let any = |v: &[Get]| Node::Or(v.iter().map(|&g| mk(g)).collect());
    Ok(match (field, dir) {
        (DirField::Tos, Dir::Default) => mk(s),
        (DirField::Packets | DirField::Bytes, Dir::Default | Dir::In) => mk(s),
        (DirField::Packets | DirField::Bytes, _) => mk(d),
        (DirField::If, Dir::Default) => any(&[s, d]),
        (DirField::If, Dir::In) => mk(s),
        (DirField::If, _) => mk(d),
        (DirField::As, Dir::Prev) => mk(Get::PrevAs),
        (DirField::As, Dir::Next) => mk(Get::NextAs),
        (DirField::Mac, dir) => {
            use Get::{InDstMac as ID, InSrcMac as IS, OutDstMac as OD, OutSrcMac as OS};
            match dir {
                Dir::Src => any(&[IS, OS]),
                Dir::Dst => any(&[ID, OD]),
                Dir::In => any(&[IS, ID]),
                Dir::Out => any(&[OS, OD]),
                Dir::InSrc => mk(IS),
                Dir::InDst => mk(ID),
                Dir::OutSrc => mk(OS),
                Dir::OutDst => mk(OD),
                _ => any(&[IS, ID, OS, OD]),
            }
        }
        _ => pair(dir, mk(s), mk(d))?,
    })
}

fn num_get(f: NumField) -> Get {
    match f {
        NumField::Proto => Get::Proto,
        NumField::TunProto => Get::TunProto,
        NumField::IcmpType => Get::IcmpType,
        NumField::IcmpCode => Get::IcmpCode,
        NumField::EngineType => Get::EngineType,
        NumField::EngineId => Get::EngineId,
        NumField::Sysid => Get::Sysid,
        NumField::Flows => Get::Flows,
        NumField::Pps => Get::Pps,
        NumField::Bps => Get::Bps,
        NumField::Bpp => Get::Bpp,
        NumField::Duration => Get::Duration,
        NumField::Count => Get::Count,
        NumField::NfVersion => Get::NfVersion,
        NumField::Flags => Get::TcpFlags,
        NumField::FlowDir => Get::FlowDir,
        NumField::FwdStat => Get::FwdStat,
        NumField::ClientLatency => Get::ClientLatency,
        NumField::ServerLatency => Get::ServerLatency,
        NumField::AppLatency => Get::AppLatency,
        NumField::ObsDomainId => Get::ObsDomainId,
        NumField::ObsPointId => Get::ObsPointId,
        NumField::IngressVrf => Get::IngressVrf,
        NumField::EgressVrf => Get::EgressVrf,
        NumField::AsaEvent => Get::FwEvent,
        NumField::AsaXevent => Get::FwXevent,
        NumField::IngressAcl => Get::IngressAcl,
        NumField::IngressAce => Get::IngressAce,
        NumField::IngressXace => Get::IngressXace,
        NumField::EgressAcl => Get::EgressAcl,
        NumField::NatEvent => Get::NatEvent,
        NumField::PblockStart => Get::BlockStart,
        NumField::PblockEnd => Get::BlockEnd,
        NumField::PblockStep => Get::BlockStep,
        NumField::PblockSize => Get::BlockSize,
        NumField::MplsLabel(n) => Get::MplsLabel(n.saturating_sub(1)),
        NumField::MplsExp(n) => Get::MplsExp(n.saturating_sub(1)),
        // Handled before lookup; the label getter is never used for these.
        NumField::MplsEos | NumField::MplsAny => Get::MplsLabel(0),
    }
}

const TCP: u64 = 6;

fn proto_is(p: u64) -> Node {
    Node::Cmp(Get::Proto, Cmp::Eq, p)
}

fn is_icmp() -> Node {
    Node::Or(vec![proto_is(1), proto_is(58)].into())
}

fn prim(p: &Prim) -> Result<Node, Error> {
    Ok(match p {
        Prim::Any => Node::Const(true),
        Prim::Ident(s) => Node::Ident(Arc::from(s.as_str())),
        Prim::Ipv4 => Node::Ipv6(false),
        Prim::Ipv6 => Node::Ipv6(true),
        Prim::Addr { dir, field, host } => match host {
            Host::Addr(a) => addr_test(*dir, *field, &|g| Node::AddrEq(g, *a))?,
            Host::Name(n) => {
                let addrs = resolve(n);
                addr_test(*dir, *field, &|g| {
                    Node::Or(addrs.iter().map(|&a| Node::AddrEq(g, a)).collect())
                })?
            }
        },
        Prim::AddrIn { dir, field, list } => {
            let mut set = AddrSet::default();
            for it in list {
                match it {
                    ListItem::Host(Host::Addr(a)) => set.add_addr(*a),
                    ListItem::Host(Host::Name(n)) => {
                        resolve(n).into_iter().for_each(|a| set.add_addr(a))
                    }
                    ListItem::Net(a, bits) => {
                        net(*a, *bits)?;
                        set.add_net(*a, *bits);
                    }
                }
            }
            set.finish();
            if set.is_empty() {
                // Only unresolvable host names: nothing can match.
                return Ok(Node::Const(false));
            }
            let set = Arc::new(set);
            addr_test(*dir, *field, &|g| Node::AddrIn(g, Arc::clone(&set)))?
        }
        Prim::Net {
            dir,
            field,
            addr,
            bits,
        } => {
            let n = net(*addr, *bits)?;
            addr_test(*dir, *field, &|g| Node::AddrNet(g, n))?
        }
        Prim::DirNum {
            dir,
            field,
            cmp,
            value,
        } => {
            if *value > field.max() {
                return Err(invalid(format!(
                    "{} value {value} out of range",
                    field.keyword()
                )));
            }
            dir_test(*dir, *field, &|g| Node::Cmp(g, *cmp, *value))?
        }
        Prim::NumIn { dir, field, list } => {
            let mut v = list.clone();
            v.sort_unstable();
            v.dedup();
            let v: Arc<[u64]> = v.into();
            dir_test(*dir, *field, &|g| Node::In(g, Arc::clone(&v)))?
        }
        Prim::PortInPblock { dir } => dir_test(*dir, DirField::Port, &|g| Node::InPblock(g))?,
        Prim::Num { field, cmp, value } => {
            let (lo, hi) = field.range();
            if *value < lo || *value > hi {
                return Err(invalid(format!(
                    "{field} value {value} out of range {lo}..{hi}"
                )));
            }
            match field {
                NumField::MplsEos => Node::MplsEos(*cmp, *value),
                NumField::MplsAny => Node::MplsEos(Cmp::Eq, *value),
                NumField::MplsLabel(n) | NumField::MplsExp(n) if !(1..=10).contains(n) => {
                    return Err(invalid(format!("MPLS entry {n} out of range 1..10")));
                }
                NumField::Flags => {
                    Node::And(vec![proto_is(TCP), Node::Cmp(Get::TcpFlags, *cmp, *value)].into())
                }
                NumField::IcmpType | NumField::IcmpCode => {
                    Node::And(vec![is_icmp(), Node::Cmp(num_get(*field), *cmp, *value)].into())
                }
                f => Node::Cmp(num_get(*f), *cmp, *value),
            }
        }
        Prim::Flags(bits) => Node::And(vec![proto_is(TCP), Node::FlagsAll(*bits)].into()),
        // Labels are assigned by the filter itself; at filter time a record carries none.
        Prim::FlowLabel(_) => Node::Const(false),
    })
}
