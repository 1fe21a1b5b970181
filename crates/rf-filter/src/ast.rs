//! The filter syntax tree and its canonical text form.
//!
//! [`Expr`] is what [`crate::parse`] produces. Equivalent spellings are normalised while parsing
//! (`host` = `ip`, `nip` = `xip`, `nport` = `xport`, `inet` = `ipv4`, names of protocols,
//! forwarding states and events become numbers, `10/8` becomes `10.0.0.0/8`, a dotted netmask
//! becomes a prefix length), so the `Display` text of an `Expr` parses back to the same `Expr`.

use std::fmt;
use std::net::IpAddr;

/// A comparison operator; an omitted operator means [`Cmp::Eq`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// `=`, `==`, `eq` or nothing.
    Eq,
    /// `>`, `gt`.
    Gt,
    /// `<`, `lt`.
    Lt,
    /// `>=`, `ge`.
    Ge,
    /// `<=`, `le`.
    Le,
}

impl Cmp {
    /// Applies the comparison `a OP b`.
    #[inline]
    pub fn test(self, a: u64, b: u64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Gt => a > b,
            Cmp::Lt => a < b,
            Cmp::Ge => a >= b,
            Cmp::Le => a <= b,
        }
    }

    /// Canonical text, with a trailing space; empty for equality.
    fn prefix(self) -> &'static str {
        match self {
            Cmp::Eq => "",
            Cmp::Gt => "> ",
            Cmp::Lt => "< ",
            Cmp::Ge => ">= ",
            Cmp::Le => "<= ",
        }
    }
}

/// Direction qualifier in front of a primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// No qualifier (meaning depends on the primitive: usually src or dst).
    Default,
    /// `src`.
    Src,
    /// `dst`.
    Dst,
    /// `src or dst` / `dst or src`.
    SrcOrDst,
    /// `src and dst` / `dst and src`.
    SrcAndDst,
    /// `in`.
    In,
    /// `out`.
    Out,
    /// `in src`.
    InSrc,
    /// `in dst`.
    InDst,
    /// `out src`.
    OutSrc,
    /// `out dst`.
    OutDst,
    /// `prev` / `previous` (adjacent AS).
    Prev,
    /// `next` (adjacent AS).
    Next,
}

impl Dir {
    /// Canonical text with a trailing space; empty for [`Dir::Default`].
    pub fn prefix(self) -> &'static str {
        match self {
            Dir::Default => "",
            Dir::Src => "src ",
            Dir::Dst => "dst ",
            Dir::SrcOrDst => "src or dst ",
            Dir::SrcAndDst => "src and dst ",
            Dir::In => "in ",
            Dir::Out => "out ",
            Dir::InSrc => "in src ",
            Dir::InDst => "in dst ",
            Dir::OutSrc => "out src ",
            Dir::OutDst => "out dst ",
            Dir::Prev => "prev ",
            Dir::Next => "next ",
        }
    }
}

/// Which pair of address fields an address primitive tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddrField {
    /// `ip`/`host`/`net`: source and destination address.
    Ip,
    /// `tunip`: tunnel source/destination.
    Tunnel,
    /// `xip`/`nip`/`xnet`: NAT translated source/destination.
    Xlate,
    /// `next ip`: IP next hop (no qualifier).
    NextHop,
    /// `bgpnext ip`: BGP next hop (no qualifier).
    BgpNextHop,
    /// `router ip`: exporter address (no qualifier).
    Router,
}

impl AddrField {
    /// Keyword(s) of the single-address form.
    fn keyword(self) -> &'static str {
        match self {
            AddrField::Ip => "ip",
            AddrField::Tunnel => "tunip",
            AddrField::Xlate => "xip",
            AddrField::NextHop => "next ip",
            AddrField::BgpNextHop => "bgpnext ip",
            AddrField::Router => "router ip",
        }
    }

    /// Whether the field pair takes `src`/`dst` qualifiers.
    pub fn has_dir(self) -> bool {
        matches!(self, AddrField::Ip | AddrField::Tunnel | AddrField::Xlate)
    }
}

/// A literal address or a host name resolved when the filter is compiled.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// Literal IPv4/IPv6 address.
    Addr(IpAddr),
    /// Host name (looked up with the system resolver; unresolvable names match nothing).
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Addr(a) => write!(f, "{a}"),
            Host::Name(n) => f.write_str(n),
        }
    }
}

/// An element of an address list `[ ... ]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ListItem {
    /// A host: literal address or name.
    Host(Host),
    /// A network `addr/bits`.
    Net(IpAddr, u8),
}

impl fmt::Display for ListItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListItem::Host(h) => write!(f, "{h}"),
            ListItem::Net(a, b) => write!(f, "{a}/{b}"),
        }
    }
}

/// Numeric fields whose primitives take a direction qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DirField {
    /// `port`: src/dst port (for ICMP the dst port holds `type << 8 | code`).
    Port,
    /// `xport`/`nport`: translated src/dst port.
    Xport,
    /// `as`: src/dst AS, `prev`/`next` adjacent AS.
    As,
    /// `tos`: src ToS (no qualifier) / dst ToS.
    Tos,
    /// `vlan`: src/dst VLAN.
    Vlan,
    /// `mask`: src/dst prefix mask bits.
    Mask,
    /// `if`: input/output interface.
    If,
    /// `packets`: in (default) / out packets.
    Packets,
    /// `bytes`: in (default) / out bytes.
    Bytes,
    /// `mac`: the four MAC address fields.
    Mac,
}

impl DirField {
    /// Keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            DirField::Port => "port",
            DirField::Xport => "xport",
            DirField::As => "as",
            DirField::Tos => "tos",
            DirField::Vlan => "vlan",
            DirField::Mask => "mask",
            DirField::If => "if",
            DirField::Packets => "packets",
            DirField::Bytes => "bytes",
            DirField::Mac => "mac",
        }
    }

    /// Whether a comparison operator may precede the value.
    pub fn has_cmp(self) -> bool {
        matches!(
            self,
            DirField::Port
                | DirField::Xport
                | DirField::As
                | DirField::Tos
                | DirField::Packets
                | DirField::Bytes
        )
    }

    /// Largest accepted value and the text used in range errors.
    pub fn max(self) -> u64 {
        match self {
            DirField::Port | DirField::Xport | DirField::Vlan => 65535,
            DirField::As | DirField::If => u64::from(u32::MAX),
            DirField::Tos | DirField::Mask => 255,
            DirField::Packets | DirField::Bytes => u64::MAX,
            DirField::Mac => 0xffff_ffff_ffff,
        }
    }

    /// Whether this field accepts the qualifier `dir`.
    pub fn allows(self, dir: Dir) -> bool {
        use Dir::*;
        match self {
            DirField::If | DirField::Packets | DirField::Bytes => matches!(dir, Default | In | Out),
            DirField::Mac => !matches!(dir, SrcOrDst | SrcAndDst | Prev | Next),
            DirField::As => matches!(
                dir,
                Default | Src | Dst | SrcOrDst | SrcAndDst | Prev | Next
            ),
            _ => matches!(dir, Default | Src | Dst | SrcOrDst | SrcAndDst),
        }
    }
}

/// Numeric fields without a direction qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NumField {
    /// `proto`.
    Proto,
    /// `tun proto`.
    TunProto,
    /// `icmp-type` (implies ICMP or ICMPv6).
    IcmpType,
    /// `icmp-code` (implies ICMP or ICMPv6).
    IcmpCode,
    /// `engine-type`.
    EngineType,
    /// `engine-id`.
    EngineId,
    /// `sysid`.
    Sysid,
    /// `flows`: aggregated flow count (1 for plain records).
    Flows,
    /// `pps`: `1000 * in packets / duration ms`.
    Pps,
    /// `bps`: `8000 * in bytes / duration ms`.
    Bps,
    /// `bpp`: `in bytes / in packets`.
    Bpp,
    /// `duration` in milliseconds.
    Duration,
    /// `count`: running record number.
    Count,
    /// `nfversion`.
    NfVersion,
    /// `flags N`: TCP flags byte (implies TCP).
    Flags,
    /// `flowdir`/`dir`.
    FlowDir,
    /// `fwdstat`.
    FwdStat,
    /// `client latency` (µs).
    ClientLatency,
    /// `server latency` (µs).
    ServerLatency,
    /// `app latency` (µs).
    AppLatency,
    /// `observation domain id`.
    ObsDomainId,
    /// `observation point id`.
    ObsPointId,
    /// `ingress vrf`.
    IngressVrf,
    /// `egress vrf`.
    EgressVrf,
    /// `asa event` (NSEL firewall event).
    AsaEvent,
    /// `asa xevent` (NSEL extended event).
    AsaXevent,
    /// `ingress acl`.
    IngressAcl,
    /// `ingress ace`.
    IngressAce,
    /// `ingress xace`.
    IngressXace,
    /// `egress acl`.
    EgressAcl,
    /// `nat event`.
    NatEvent,
    /// `pblock start`.
    PblockStart,
    /// `pblock end`.
    PblockEnd,
    /// `pblock step`.
    PblockStep,
    /// `pblock size`.
    PblockSize,
    /// `mpls labelN` (N = 1..=10).
    MplsLabel(u8),
    /// `mpls expN` (N = 1..=10).
    MplsExp(u8),
    /// `mpls eos`: label of the end-of-stack entry.
    MplsEos,
    /// `mpls any`: label of the end-of-stack entry, equality only.
    MplsAny,
}

impl NumField {
    /// Whether a comparison operator may precede the value.
    pub fn has_cmp(self) -> bool {
        !matches!(
            self,
            NumField::Proto
                | NumField::TunProto
                | NumField::IcmpType
                | NumField::IcmpCode
                | NumField::Sysid
                | NumField::FlowDir
                | NumField::FwdStat
                | NumField::ObsDomainId
                | NumField::ObsPointId
                | NumField::MplsAny
        )
    }

    /// Smallest and largest accepted value.
    pub fn range(self) -> (u64, u64) {
        let max = match self {
            NumField::Proto
            | NumField::TunProto
            | NumField::IcmpType
            | NumField::IcmpCode
            | NumField::EngineType
            | NumField::EngineId
            | NumField::Sysid
            | NumField::FwdStat
            | NumField::AsaEvent
            | NumField::NatEvent => 255,
            NumField::NfVersion => 10,
            NumField::Flags => 63,
            // nfdump's grammar takes 0..2 (2 matches nothing it writes).
            NumField::FlowDir => 2,
            NumField::AsaXevent
            | NumField::PblockStart
            | NumField::PblockEnd
            | NumField::PblockStep
            | NumField::PblockSize => 65535,
            NumField::ObsDomainId
            | NumField::IngressVrf
            | NumField::EgressVrf
            | NumField::IngressAcl
            | NumField::IngressAce
            | NumField::IngressXace
            | NumField::EgressAcl => u64::from(u32::MAX),
            NumField::MplsLabel(_) | NumField::MplsEos | NumField::MplsAny => 0xff_ffff,
            NumField::MplsExp(_) => 7,
            _ => u64::MAX,
        };
        (0, max)
    }
}

impl fmt::Display for NumField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            NumField::Proto => "proto",
            NumField::TunProto => "tun proto",
            NumField::IcmpType => "icmp-type",
            NumField::IcmpCode => "icmp-code",
            NumField::EngineType => "engine-type",
            NumField::EngineId => "engine-id",
            NumField::Sysid => "sysid",
            NumField::Flows => "flows",
            NumField::Pps => "pps",
            NumField::Bps => "bps",
            NumField::Bpp => "bpp",
            NumField::Duration => "duration",
            NumField::Count => "count",
            NumField::NfVersion => "nfversion",
            NumField::Flags => "flags",
            NumField::FlowDir => "flowdir",
            NumField::FwdStat => "fwdstat",
            NumField::ClientLatency => "client latency",
            NumField::ServerLatency => "server latency",
            NumField::AppLatency => "app latency",
            NumField::ObsDomainId => "observation domain id",
            NumField::ObsPointId => "observation point id",
            NumField::IngressVrf => "ingress vrf",
            NumField::EgressVrf => "egress vrf",
            NumField::AsaEvent => "asa event",
            NumField::AsaXevent => "asa xevent",
            NumField::IngressAcl => "ingress acl",
            NumField::IngressAce => "ingress ace",
            NumField::IngressXace => "ingress xace",
            NumField::EgressAcl => "egress acl",
            NumField::NatEvent => "nat event",
            NumField::PblockStart => "pblock start",
            NumField::PblockEnd => "pblock end",
            NumField::PblockStep => "pblock step",
            NumField::PblockSize => "pblock size",
            NumField::MplsLabel(n) => return write!(f, "mpls label{n}"),
            NumField::MplsExp(n) => return write!(f, "mpls exp{n}"),
            NumField::MplsEos => "mpls eos",
            NumField::MplsAny => "mpls any",
        };
        f.write_str(s)
    }
}

/// One primitive test.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Prim {
    /// `any`: always true.
    Any,
    /// `ident NAME`: the ident of the file being read.
    Ident(String),
    /// `ipv4`/`inet`.
    Ipv4,
    /// `ipv6`/`inet6`.
    Ipv6,
    /// `[dir] ip A`, `tunip A`, `xip A`, `next ip A`, `bgpnext ip A`, `router ip A`.
    Addr {
        /// Qualifier ([`Dir::Default`] for the single-field kinds).
        dir: Dir,
        /// Field pair tested.
        field: AddrField,
        /// Address or host name.
        host: Host,
    },
    /// `[dir] ip in [list]`, `next ip in [..]`, `nip in [..]`.
    AddrIn {
        /// Qualifier.
        dir: Dir,
        /// Field pair tested.
        field: AddrField,
        /// Addresses, names and networks.
        list: Vec<ListItem>,
    },
    /// `[dir] net A/bits` (also `xnet`).
    Net {
        /// Qualifier.
        dir: Dir,
        /// [`AddrField::Ip`] or [`AddrField::Xlate`].
        field: AddrField,
        /// Network address as written (host bits are ignored when matching).
        addr: IpAddr,
        /// Prefix length.
        bits: u8,
    },
    /// `[dir] port/as/tos/... [cmp] N`.
    DirNum {
        /// Qualifier.
        dir: Dir,
        /// Field.
        field: DirField,
        /// Comparison ([`Cmp::Eq`] for fields without one).
        cmp: Cmp,
        /// Value.
        value: u64,
    },
    /// `[dir] port in [..]`, `[dir] as in [..]`.
    NumIn {
        /// Qualifier.
        dir: Dir,
        /// [`DirField::Port`] or [`DirField::As`].
        field: DirField,
        /// Values.
        list: Vec<u64>,
    },
    /// `[dir] port in pblock`: port inside the NAT port block.
    PortInPblock {
        /// Qualifier.
        dir: Dir,
    },
    /// `proto 6`, `duration > 1000`, ...
    Num {
        /// Field.
        field: NumField,
        /// Comparison.
        cmp: Cmp,
        /// Value.
        value: u64,
    },
    /// `flags SA`: TCP and all of these flag bits set.
    Flags(u8),
    /// `flowlabel NAME`: never true while filtering (labels are assigned by the filter).
    FlowLabel(String),
}

/// Letters of TCP flag bits in nfdump's order (bit 0 = FIN).
pub const FLAG_LETTERS: [(char, u8); 6] = [
    ('F', 0x01),
    ('S', 0x02),
    ('R', 0x04),
    ('P', 0x08),
    ('A', 0x10),
    ('U', 0x20),
];

fn fmt_mac(f: &mut fmt::Formatter<'_>, v: u64) -> fmt::Result {
    let b = v.to_be_bytes();
    write!(
        f,
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[2], b[3], b[4], b[5], b[6], b[7]
    )
}

impl fmt::Display for Prim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prim::Any => f.write_str("any"),
            Prim::Ident(s) => write!(f, "ident {s}"),
            Prim::Ipv4 => f.write_str("ipv4"),
            Prim::Ipv6 => f.write_str("ipv6"),
            Prim::Addr { dir, field, host } => {
                write!(f, "{}{} {host}", dir.prefix(), field.keyword())
            }
            Prim::AddrIn { dir, field, list } => {
                write!(f, "{}{} in [", dir.prefix(), field.keyword())?;
                for (i, it) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{it}")?;
                }
                f.write_str("]")
            }
            Prim::Net {
                dir,
                field,
                addr,
                bits,
            } => {
                let kw = if *field == AddrField::Xlate {
                    "xnet"
                } else {
                    "net"
                };
                write!(f, "{}{kw} {addr}/{bits}", dir.prefix())
            }
            Prim::DirNum {
                dir,
                field,
                cmp,
                value,
            } => {
                write!(f, "{}{} {}", dir.prefix(), field.keyword(), cmp.prefix())?;
                if *field == DirField::Mac {
                    fmt_mac(f, *value)
                } else {
                    write!(f, "{value}")
                }
            }
            Prim::NumIn { dir, field, list } => {
                write!(f, "{}{} in [", dir.prefix(), field.keyword())?;
                for (i, v) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Prim::PortInPblock { dir } => write!(f, "{}port in pblock", dir.prefix()),
            Prim::Num { field, cmp, value } => write!(f, "{field} {}{value}", cmp.prefix()),
            Prim::Flags(bits) => {
                f.write_str("flags ")?;
                for (c, b) in FLAG_LETTERS {
                    if bits & b != 0 {
                        write!(f, "{c}")?;
                    }
                }
                Ok(())
            }
            Prim::FlowLabel(s) => write!(f, "flowlabel {s}"),
        }
    }
}

/// A filter expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A primitive.
    Prim(Prim),
    /// `not e`.
    Not(Box<Expr>),
    /// `a and b and ...` (two or more operands; a chain without parentheses is one node).
    And(Vec<Expr>),
    /// `a or b or ...` (two or more operands; a chain without parentheses is one node).
    Or(Vec<Expr>),
    /// `(e) %Name`: records matching through `e` get the label `Name`.
    Label(String, Box<Expr>),
}

impl Expr {
    /// Binding strength of the expression's top operator (higher binds tighter).
    fn level(&self) -> u8 {
        match self {
            Expr::Or(..) => 0,
            Expr::And(..) => 1,
            Expr::Not(_) => 2,
            Expr::Prim(_) | Expr::Label(..) => 3,
        }
    }

    /// Writes `self`, parenthesised when it binds looser than `min`.
    fn fmt_at(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.level() < min {
            f.write_str("(")?;
            self.fmt_at(f, 0)?;
            return f.write_str(")");
        }
        match self {
            Expr::Prim(p) => write!(f, "{p}"),
            Expr::Not(e) => {
                f.write_str("not ")?;
                e.fmt_at(f, 2)
            }
            // Operands at the same level keep their parentheses: a chain is one node, so
            // `(a and b) and c` and `a and b and c` are different trees.
            Expr::And(v) => join(f, v, " and ", 2),
            Expr::Or(v) => join(f, v, " or ", 1),
            Expr::Label(name, e) => {
                f.write_str("(")?;
                e.fmt_at(f, 0)?;
                write!(f, ") %{name}")
            }
        }
    }
}

fn join(f: &mut fmt::Formatter<'_>, v: &[Expr], op: &str, min: u8) -> fmt::Result {
    for (i, e) in v.iter().enumerate() {
        if i > 0 {
            f.write_str(op)?;
        }
        e.fmt_at(f, min)?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_at(f, 0)
    }
}
