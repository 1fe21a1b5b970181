//! Recursive-descent parser over the token stream: nfdump's precedence (`not` > `and` > `or`,
//! left-associative), direction qualifiers, and every primitive with its value checks.
//!
//! Nesting is limited to [`MAX_DEPTH`] so hostile input gives an error instead of exhausting
//! the stack.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ast::{
    AddrField, Cmp, Dir, DirField, Expr, FLAG_LETTERS, Host, ListItem, NumField, Prim,
};
use crate::error::ParseError;
use crate::lexer::{Kind, Token, tokenize};
use crate::names;

/// Maximum nesting of parentheses / `not`.
pub const MAX_DEPTH: usize = 256;

/// Maximum label and flowlabel length (nfdump: 16).
const MAX_LABEL: usize = 16;

/// Parses filter text into an [`Expr`]. Empty text (or only comments) is `any`.
///
/// # Errors
/// The first problem found, with the offending token's position.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Ok(Expr::Prim(Prim::Any));
    }
    let e = p.or()?;
    match p.peek() {
        None => Ok(e),
        Some(t) => Err(p.err(&t, "'and', 'or' or end of filter")),
    }
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token<'a>>,
    pos: usize,
    depth: usize,
}

type R<T> = Result<T, ParseError>;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.toks.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<Token<'a>> {
        self.toks.get(self.pos + n).copied()
    }

    fn peek_is(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is(kw))
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    /// Consumes the next token if it is `kw`.
    fn eat(&mut self, kw: &str) -> bool {
        if self.peek_is(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn err(&self, t: &Token<'_>, msg: impl Into<String>) -> ParseError {
        ParseError::new(t.offset, t.len, msg)
    }

    /// Error at the end of the text.
    fn err_end(&self, expected: &str) -> ParseError {
        ParseError::new(
            self.src.len(),
            1,
            format!("{expected} expected, found end of filter"),
        )
    }

    /// The next token, or an error naming what was expected.
    fn next(&mut self, expected: &str) -> R<Token<'a>> {
        match self.peek() {
            Some(t) => {
                self.bump();
                Ok(t)
            }
            None => Err(self.err_end(expected)),
        }
    }

    /// The next token, which must be a word.
    fn word(&mut self, expected: &str) -> R<Token<'a>> {
        let t = self.next(expected)?;
        if t.kind == Kind::Word {
            Ok(t)
        } else {
            Err(self.err(&t, format!("{expected} expected")))
        }
    }

    fn expect(&mut self, kw: &str) -> R<Token<'a>> {
        let t = self.next(&format!("'{kw}'"))?;
        if t.is(kw) {
            Ok(t)
        } else {
            Err(self.err(&t, format!("'{kw}' expected")))
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek().unwrap_or(Token {
                kind: Kind::Punct,
                text: "",
                offset: self.src.len(),
                len: 1,
            });
            return Err(self.err(&t, format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn or(&mut self) -> R<Expr> {
        self.chain(["or", "||"], Self::and, Expr::Or)
    }

    fn and(&mut self) -> R<Expr> {
        self.chain(["and", "&&"], Self::unary, Expr::And)
    }

    /// A chain `operand (op operand)*`, kept flat so long chains do not deepen the tree.
    fn chain(
        &mut self,
        ops: [&str; 2],
        operand: fn(&mut Self) -> R<Expr>,
        join: fn(Vec<Expr>) -> Expr,
    ) -> R<Expr> {
        let first = operand(self)?;
        if !(self.peek_is(ops[0]) || self.peek_is(ops[1])) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.eat(ops[0]) || self.eat(ops[1]) {
            v.push(operand(self)?);
        }
        Ok(join(v))
    }

    fn unary(&mut self) -> R<Expr> {
        self.enter()?;
        let e = if self.eat("not") || self.eat("!") {
            Expr::Not(Box::new(self.unary()?))
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Ok(e)
    }

    fn label_name(&mut self) -> R<String> {
        let t = self.word("label name")?;
        if t.text.len() > MAX_LABEL {
            return Err(self.err(&t, format!("label longer than {MAX_LABEL} characters")));
        }
        Ok(t.text.to_string())
    }

    fn group(&mut self) -> R<Expr> {
        self.expect("(")?;
        let e = self.or()?;
        self.expect(")")?;
        Ok(e)
    }

    fn primary(&mut self) -> R<Expr> {
        if self.peek_is("(") {
            let e = self.group()?;
            if self.eat("%") {
                let name = self.label_name()?;
                return Ok(Expr::Label(name, Box::new(e)));
            }
            return Ok(e);
        }
        if self.eat("%") {
            let name = self.label_name()?;
            let e = self.group()?;
            return Ok(Expr::Label(name, Box::new(e)));
        }
        self.term()
    }

    /// Optional direction qualifier at the start of a term.
    fn dir(&mut self) -> Dir {
        let two = |p: &Self, a: &str, b: &str| {
            p.peek_at(1).is_some_and(|t| t.is(a)) && p.peek_at(2).is_some_and(|t| t.is(b))
        };
        let Some(t) = self.peek() else {
            return Dir::Default;
        };
        let (dir, n) = if t.is("src") {
            if two(self, "or", "dst") {
                (Dir::SrcOrDst, 3)
            } else if two(self, "and", "dst") {
                (Dir::SrcAndDst, 3)
            } else {
                (Dir::Src, 1)
            }
        } else if t.is("dst") {
            if two(self, "or", "src") {
                (Dir::SrcOrDst, 3)
            } else if two(self, "and", "src") {
                (Dir::SrcAndDst, 3)
            } else {
                (Dir::Dst, 1)
            }
        } else if t.is("in") || t.is("out") {
            let is_in = t.is("in");
            match self.peek_at(1) {
                Some(n) if n.is("src") => (if is_in { Dir::InSrc } else { Dir::OutSrc }, 2),
                Some(n) if n.is("dst") => (if is_in { Dir::InDst } else { Dir::OutDst }, 2),
                _ => (if is_in { Dir::In } else { Dir::Out }, 1),
            }
        } else if t.is("prev") || t.is("previous") {
            (Dir::Prev, 1)
        } else if t.is("next") && !self.peek_at(1).is_some_and(|n| n.is("ip")) {
            (Dir::Next, 1)
        } else {
            (Dir::Default, 0)
        };
        self.pos += n;
        dir
    }

    fn term(&mut self) -> R<Expr> {
        let start = self.peek();
        let dir = self.dir();
        let kw = self.next("filter primitive")?;
        if kw.kind != Kind::Word {
            return Err(self.err(&kw, "filter primitive expected"));
        }
        let lc = kw.text.to_ascii_lowercase();
        let no_dir = |p: &Self, e: Expr| -> R<Expr> {
            if dir == Dir::Default {
                Ok(e)
            } else {
                let t = start.unwrap_or(kw);
                Err(p.err(&t, format!("'{}' takes no direction qualifier", kw.text)))
            }
        };
        let prim = |p: Prim| Expr::Prim(p);
        match lc.as_str() {
            "any" => no_dir(self, prim(Prim::Any)),
            "ident" => {
                let t = self.word("ident string")?;
                let ok = t.text.len() <= 255
                    && t.text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !ok {
                    return Err(self.err(&t, "ident string of [A-Za-z0-9_-] expected"));
                }
                no_dir(self, prim(Prim::Ident(t.text.to_string())))
            }
            "ipv4" | "inet" => no_dir(self, prim(Prim::Ipv4)),
            "ipv6" | "inet6" => no_dir(self, prim(Prim::Ipv6)),
            "proto" => {
                let v = self.proto()?;
                no_dir(self, self.num(NumField::Proto, Cmp::Eq, v))
            }
            "tun" => {
                self.expect("proto")?;
                let v = self.proto()?;
                no_dir(self, self.num(NumField::TunProto, Cmp::Eq, v))
            }
            "ip" | "host" => self.addr(dir, AddrField::Ip, true),
            "tunip" => self.addr(dir, AddrField::Tunnel, true),
            "xip" | "nip" => self.addr(dir, AddrField::Xlate, false),
            "net" => self.net(dir, AddrField::Ip),
            "xnet" => self.net(dir, AddrField::Xlate),
            "next" => {
                self.expect("ip")?;
                self.addr(dir, AddrField::NextHop, false)
            }
            "bgpnext" => {
                self.expect("ip")?;
                self.addr(dir, AddrField::BgpNextHop, false)
            }
            "router" => {
                self.expect("ip")?;
                self.addr(dir, AddrField::Router, false)
            }
            "port" => {
                if self.peek_is("in") && self.peek_at(1).is_some_and(|t| t.is("pblock")) {
                    self.pos += 2;
                    self.check_dir(dir, DirField::Port, &kw)?;
                    return Ok(prim(Prim::PortInPblock { dir }));
                }
                self.dir_num(dir, DirField::Port, &kw)
            }
            "xport" | "nport" => self.dir_num(dir, DirField::Xport, &kw),
            "as" => self.dir_num(dir, DirField::As, &kw),
            "tos" => self.dir_num(dir, DirField::Tos, &kw),
            "vlan" => self.dir_num(dir, DirField::Vlan, &kw),
            "mask" => self.dir_num(dir, DirField::Mask, &kw),
            "if" => self.dir_num(dir, DirField::If, &kw),
            "packets" => self.dir_num(dir, DirField::Packets, &kw),
            "bytes" => self.dir_num(dir, DirField::Bytes, &kw),
            "mac" => {
                self.check_dir(dir, DirField::Mac, &kw)?;
                let t = self.word("MAC address")?;
                let value = parse_mac(t.text)
                    .ok_or_else(|| self.err(&t, "MAC address xx:xx:xx:xx:xx:xx expected"))?;
                Ok(prim(Prim::DirNum {
                    dir,
                    field: DirField::Mac,
                    cmp: Cmp::Eq,
                    value,
                }))
            }
            "geo" => Err(self.err(
                &kw,
                "geo filters need a geo location DB, which rflow does not use",
            )),
            "payload" => Err(self.err(
                &kw,
                "payload filters are not supported (rflow does not keep payload)",
            )),
            "icmp-type" => self.simple(dir, NumField::IcmpType),
            "icmp-code" => self.simple(dir, NumField::IcmpCode),
            "engine-type" => self.simple(dir, NumField::EngineType),
            "engine-id" => self.simple(dir, NumField::EngineId),
            "sysid" => self.simple(dir, NumField::Sysid),
            "flows" => self.simple(dir, NumField::Flows),
            "pps" => self.simple(dir, NumField::Pps),
            "bps" => self.simple(dir, NumField::Bps),
            "bpp" => self.simple(dir, NumField::Bpp),
            "duration" => self.simple(dir, NumField::Duration),
            "count" => self.simple(dir, NumField::Count),
            "nfversion" => self.simple(dir, NumField::NfVersion),
            "flags" => {
                let e = self.flags()?;
                no_dir(self, e)
            }
            "flowdir" | "dir" => {
                let e = match self.peek() {
                    Some(t) if t.is("ingress") => {
                        self.bump();
                        self.num(NumField::FlowDir, Cmp::Eq, 0)
                    }
                    Some(t) if t.is("egress") => {
                        self.bump();
                        self.num(NumField::FlowDir, Cmp::Eq, 1)
                    }
                    _ => return self.simple(dir, NumField::FlowDir),
                };
                no_dir(self, e)
            }
            "fwdstat" => {
                if let Some(t) = self
                    .peek()
                    .filter(|t| t.kind == Kind::Word && !is_number(t.text))
                {
                    self.bump();
                    let v = names::fwd_status(t.text)
                        .ok_or_else(|| self.err(&t, "forwarding status name or number expected"))?;
                    return no_dir(self, self.num(NumField::FwdStat, Cmp::Eq, u64::from(v)));
                }
                self.simple(dir, NumField::FwdStat)
            }
            "client" | "server" | "app" => {
                self.expect("latency")?;
                let f = match lc.as_str() {
                    "client" => NumField::ClientLatency,
                    "server" => NumField::ServerLatency,
                    _ => NumField::AppLatency,
                };
                self.simple(dir, f)
            }
            "observation" => {
                let t = self.word("'domain' or 'point'")?;
                let f = if t.is("domain") {
                    NumField::ObsDomainId
                } else if t.is("point") {
                    NumField::ObsPointId
                } else {
                    return Err(self.err(&t, "'domain' or 'point' expected"));
                };
                self.expect("id")?;
                self.simple(dir, f)
            }
            "flowlabel" => {
                let t = self.word("flow label")?;
                if t.text.len() > MAX_LABEL {
                    return Err(
                        self.err(&t, format!("flow label longer than {MAX_LABEL} characters"))
                    );
                }
                no_dir(self, prim(Prim::FlowLabel(t.text.to_string())))
            }
            "ingress" | "egress" => {
                let t = self.word("'vrf' or 'acl'")?;
                let ing = lc == "ingress";
                let f = match t.text.to_ascii_lowercase().as_str() {
                    "vrf" if ing => NumField::IngressVrf,
                    "vrf" => NumField::EgressVrf,
                    "acl" if ing => NumField::IngressAcl,
                    "acl" => NumField::EgressAcl,
                    "ace" if ing => NumField::IngressAce,
                    "xace" if ing => NumField::IngressXace,
                    _ => {
                        let want = if ing {
                            "'vrf', 'acl', 'ace' or 'xace'"
                        } else {
                            "'vrf' or 'acl'"
                        };
                        return Err(self.err(&t, format!("{want} expected")));
                    }
                };
                self.simple(dir, f)
            }
            "asa" => {
                let t = self.word("'event' or 'xevent'")?;
                if t.is("xevent") {
                    return self.simple(dir, NumField::AsaXevent);
                }
                if !t.is("event") {
                    return Err(self.err(&t, "'event' or 'xevent' expected"));
                }
                if self.peek_is("denied") {
                    self.bump();
                    let n = self.word("'ingress', 'egress', 'interface' or 'nosyn'")?;
                    let x = names::asa_denied(n.text).ok_or_else(|| {
                        self.err(&n, "'ingress', 'egress', 'interface' or 'nosyn' expected")
                    })?;
                    let e = Expr::And(vec![
                        self.num(NumField::AsaEvent, Cmp::Eq, 3),
                        self.num(NumField::AsaXevent, Cmp::Eq, u64::from(x)),
                    ]);
                    return no_dir(self, e);
                }
                self.named_event(dir, NumField::AsaEvent, names::asa_event, "asa event name")
            }
            "nat" => {
                self.expect("event")?;
                self.named_event(dir, NumField::NatEvent, names::nat_event, "nat event name")
            }
            "pblock" => {
                let t = self.word("'start', 'end', 'step' or 'size'")?;
                let f = match t.text.to_ascii_lowercase().as_str() {
                    "start" => NumField::PblockStart,
                    "end" => NumField::PblockEnd,
                    "step" => NumField::PblockStep,
                    "size" => NumField::PblockSize,
                    _ => return Err(self.err(&t, "'start', 'end', 'step' or 'size' expected")),
                };
                self.simple(dir, f)
            }
            "mpls" => {
                let t = self.word("'labelN', 'expN', 'eos' or 'any'")?;
                let l = t.text.to_ascii_lowercase();
                let idx = |s: &str| s.parse::<u8>().ok().filter(|n| (1..=10).contains(n));
                let f = if let Some(n) = l.strip_prefix("label") {
                    NumField::MplsLabel(
                        idx(n).ok_or_else(|| self.err(&t, "MPLS label1..label10 expected"))?,
                    )
                } else if let Some(n) = l.strip_prefix("exp") {
                    NumField::MplsExp(
                        idx(n).ok_or_else(|| self.err(&t, "MPLS exp1..exp10 expected"))?,
                    )
                } else if l == "eos" {
                    NumField::MplsEos
                } else if l == "any" {
                    NumField::MplsAny
                } else {
                    return Err(self.err(&t, "'labelN', 'expN', 'eos' or 'any' expected"));
                };
                self.simple(dir, f)
            }
            _ => Err(self.err(start.as_ref().unwrap_or(&kw), "filter primitive expected")),
        }
    }

    fn num(&self, field: NumField, cmp: Cmp, value: u64) -> Expr {
        Expr::Prim(Prim::Num { field, cmp, value })
    }

    fn check_dir(&self, dir: Dir, field: DirField, kw: &Token<'_>) -> R<()> {
        if field.allows(dir) {
            Ok(())
        } else {
            Err(self.err(
                kw,
                format!(
                    "qualifier '{}' not allowed with '{}'",
                    dir.prefix().trim(),
                    field.keyword()
                ),
            ))
        }
    }

    /// `[cmp] NUMBER` for a field without qualifier.
    fn simple(&mut self, dir: Dir, field: NumField) -> R<Expr> {
        if dir != Dir::Default {
            let t = self.toks.get(self.pos.saturating_sub(1)).copied();
            let t = t.unwrap_or(Token {
                kind: Kind::Word,
                text: "",
                offset: 0,
                len: 1,
            });
            return Err(self.err(&t, format!("'{field}' takes no direction qualifier")));
        }
        let cmp = if field.has_cmp() { self.cmp() } else { Cmp::Eq };
        let (lo, hi) = field.range();
        let value = self.number(lo, hi)?;
        Ok(self.num(field, cmp, value))
    }

    fn named_event(
        &mut self,
        dir: Dir,
        field: NumField,
        lookup: fn(&str) -> Option<u8>,
        what: &str,
    ) -> R<Expr> {
        let name = self
            .peek()
            .filter(|t| t.kind == Kind::Word && !is_number(t.text) && !is_cmp_word(t.text));
        if let Some(t) = name {
            self.bump();
            let v =
                lookup(t.text).ok_or_else(|| self.err(&t, format!("{what} or number expected")))?;
            if dir != Dir::Default {
                return Err(self.err(&t, format!("'{field}' takes no direction qualifier")));
            }
            return Ok(self.num(field, Cmp::Eq, u64::from(v)));
        }
        self.simple(dir, field)
    }

    fn dir_num(&mut self, dir: Dir, field: DirField, kw: &Token<'_>) -> R<Expr> {
        self.check_dir(dir, field, kw)?;
        if matches!(field, DirField::Port | DirField::As) && self.peek_is("in") {
            self.bump();
            let list = self.num_list(field.max())?;
            return Ok(Expr::Prim(Prim::NumIn { dir, field, list }));
        }
        let cmp = if field.has_cmp() { self.cmp() } else { Cmp::Eq };
        let value = self.number(0, field.max())?;
        Ok(Expr::Prim(Prim::DirNum {
            dir,
            field,
            cmp,
            value,
        }))
    }

    fn cmp(&mut self) -> Cmp {
        let Some(t) = self.peek() else {
            return Cmp::Eq;
        };
        let c = match t.text.to_ascii_lowercase().as_str() {
            "=" | "==" | "eq" => Cmp::Eq,
            ">" | "gt" => Cmp::Gt,
            "<" | "lt" => Cmp::Lt,
            ">=" | "ge" => Cmp::Ge,
            "<=" | "le" => Cmp::Le,
            _ => return Cmp::Eq,
        };
        if t.kind != Kind::Quoted {
            self.bump();
        }
        c
    }

    fn number(&mut self, lo: u64, hi: u64) -> R<u64> {
        let t = self.next("number")?;
        if t.kind != Kind::Word {
            return Err(self.err(&t, "number expected"));
        }
        let v = parse_number(t.text).map_err(|m| self.err(&t, m))?;
        if v < lo || v > hi {
            return Err(self.err(&t, format!("out of range {lo}..{hi}")));
        }
        Ok(v)
    }

    fn proto(&mut self) -> R<u64> {
        let t = self.word("protocol name or number")?;
        if is_number(t.text) {
            let v = parse_number(t.text).map_err(|m| self.err(&t, m))?;
            if v > 255 {
                return Err(self.err(&t, "out of range 0..255"));
            }
            return Ok(v);
        }
        names::proto_number(t.text)
            .map(u64::from)
            .ok_or_else(|| self.err(&t, "known protocol name or number 0..255 expected"))
    }

    fn num_list(&mut self, max: u64) -> R<Vec<u64>> {
        self.expect("[")?;
        let mut list = Vec::new();
        loop {
            if self.eat("]") {
                break;
            }
            if !list.is_empty() {
                self.eat(",");
            }
            list.push(self.number(0, max)?);
        }
        if list.is_empty() {
            let t = self.toks[self.pos - 1];
            return Err(self.err(&t, "at least one value expected"));
        }
        Ok(list)
    }

    fn flags(&mut self) -> R<Expr> {
        if self
            .peek()
            .is_some_and(|t| t.kind == Kind::Word && is_number(t.text))
            || self.at_cmp()
        {
            return self.simple(Dir::Default, NumField::Flags);
        }
        let t = self.word("TCP flags (letters FSRPAUX or number)")?;
        if t.text.len() > 7 {
            return Err(self.err(&t, "at most 7 flag letters expected"));
        }
        let mut bits = 0u8;
        for c in t.text.chars() {
            let c = c.to_ascii_uppercase();
            if c == 'X' {
                bits = 0x3f;
                continue;
            }
            match FLAG_LETTERS.iter().find(|(l, _)| *l == c) {
                Some(&(_, b)) => bits |= b,
                None => return Err(self.err(&t, "TCP flag letters F S R P A U X expected")),
            }
        }
        Ok(Expr::Prim(Prim::Flags(bits)))
    }

    fn at_cmp(&self) -> bool {
        self.peek().is_some_and(|t| {
            t.kind != Kind::Quoted
                && matches!(
                    t.text.to_ascii_lowercase().as_str(),
                    "=" | "==" | ">" | "<" | ">=" | "<=" | "eq" | "gt" | "lt" | "ge" | "le"
                )
        })
    }

    /// Address primitives: single address/host or `in [list]`.
    fn addr(&mut self, dir: Dir, field: AddrField, names_ok: bool) -> R<Expr> {
        if !field.has_dir() && dir != Dir::Default {
            let t = self.toks[self.pos - 1];
            return Err(self.err(&t, format!("'{}' takes no direction qualifier", t.text)));
        }
        if !matches!(
            dir,
            Dir::Default | Dir::Src | Dir::Dst | Dir::SrcOrDst | Dir::SrcAndDst
        ) {
            let t = self.toks[self.pos - 1];
            return Err(self.err(
                &t,
                format!("qualifier '{}' not allowed here", dir.prefix().trim()),
            ));
        }
        if self.peek_is("in") {
            if field == AddrField::Tunnel
                || field == AddrField::BgpNextHop
                || field == AddrField::Router
            {
                let t = self.toks[self.pos];
                return Err(self.err(&t, "address expected (lists not supported here)"));
            }
            self.bump();
            let list = self.addr_list(names_ok)?;
            return Ok(Expr::Prim(Prim::AddrIn { dir, field, list }));
        }
        let t = self.word("IP address")?;
        let host = self.host(&t, names_ok)?;
        Ok(Expr::Prim(Prim::Addr { dir, field, host }))
    }

    fn host(&self, t: &Token<'_>, names_ok: bool) -> R<Host> {
        match classify(t.text) {
            AddrText::V4 | AddrText::V6 => parse_ip(t.text)
                .map(Host::Addr)
                .ok_or_else(|| self.err(t, "valid IP address expected")),
            AddrText::PartialV4 => Err(self.err(t, "incomplete IP address")),
            AddrText::Name if names_ok => Ok(Host::Name(t.text.to_string())),
            AddrText::Name => Err(self.err(t, "IP address required - hostname not allowed here")),
        }
    }

    fn addr_list(&mut self, names_ok: bool) -> R<Vec<ListItem>> {
        self.expect("[")?;
        let mut list = Vec::new();
        loop {
            if self.eat("]") {
                break;
            }
            if !list.is_empty() {
                self.eat(",");
            }
            let t = self.word("IP address, host name or network")?;
            if self.peek_is("/") {
                self.bump();
                let (addr, bits) = self.prefix(&t)?;
                list.push(ListItem::Net(addr, bits));
            } else {
                list.push(ListItem::Host(self.host(&t, names_ok)?));
            }
        }
        if list.is_empty() {
            let t = self.toks[self.pos - 1];
            return Err(self.err(&t, "at least one address expected"));
        }
        Ok(list)
    }

    /// After `A /`: reads the bit count and returns the (expanded) network address.
    fn prefix(&mut self, a: &Token<'_>) -> R<(IpAddr, u8)> {
        match classify(a.text) {
            AddrText::V6 => {
                let addr =
                    parse_ip(a.text).ok_or_else(|| self.err(a, "valid IPv6 address expected"))?;
                let bits = self.number(0, 128)?;
                Ok((addr, bits as u8))
            }
            AddrText::V4 | AddrText::PartialV4 => {
                let octets: Vec<&str> = a.text.split('.').collect();
                if octets.len() > 4 {
                    return Err(self.err(a, "valid IPv4 address or prefix expected"));
                }
                let mut b = [0u8; 4];
                for (i, o) in octets.iter().enumerate() {
                    b[i] = o
                        .parse()
                        .ok()
                        .filter(|_| !o.is_empty())
                        .ok_or_else(|| self.err(a, "valid IPv4 address or prefix expected"))?;
                }
                let bt = self.peek();
                let bits = self.number(0, 32)?;
                if bits > 8 * octets.len() as u64 {
                    let bt = bt.unwrap_or(*a);
                    return Err(self.err(&bt, "too many netbits for this IP address"));
                }
                Ok((IpAddr::V4(Ipv4Addr::from(b)), bits as u8))
            }
            AddrText::Name => Err(self.err(a, "network address expected")),
        }
    }

    fn net(&mut self, dir: Dir, field: AddrField) -> R<Expr> {
        if !matches!(
            dir,
            Dir::Default | Dir::Src | Dir::Dst | Dir::SrcOrDst | Dir::SrcAndDst
        ) {
            let t = self.toks[self.pos - 1];
            return Err(self.err(
                &t,
                format!("qualifier '{}' not allowed here", dir.prefix().trim()),
            ));
        }
        let a = self.word("network address")?;
        let (addr, bits) = if self.eat("/") {
            self.prefix(&a)?
        } else {
            // Dotted netmask form: IPv4 only, full address.
            let m = self.next("'/bits' or netmask")?;
            if classify(a.text) != AddrText::V4 {
                return Err(self.err(
                    &m,
                    "'/bits' expected (netmask form needs a full IPv4 address)",
                ));
            }
            let addr =
                parse_ip(a.text).ok_or_else(|| self.err(&a, "valid IPv4 address expected"))?;
            let mask = (m.kind == Kind::Word)
                .then(|| m.text.parse::<Ipv4Addr>().ok())
                .flatten()
                .ok_or_else(|| self.err(&m, "'/bits' or dotted netmask expected"))?;
            let mv = u32::from(mask);
            let bits = mv.leading_ones();
            if mv.checked_shl(bits).unwrap_or(0) != 0 {
                return Err(self.err(&m, "contiguous netmask expected"));
            }
            (addr, bits as u8)
        };
        Ok(Expr::Prim(Prim::Net {
            dir,
            field,
            addr,
            bits,
        }))
    }
}

/// What an address-like word looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AddrText {
    V4,
    PartialV4,
    V6,
    Name,
}

fn classify(s: &str) -> AddrText {
    if s.contains(':') {
        AddrText::V6
    } else if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        if s.split('.').count() == 4 {
            AddrText::V4
        } else {
            AddrText::PartialV4
        }
    } else {
        AddrText::Name
    }
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        s.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        s.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    }
}

fn is_cmp_word(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "eq" | "gt" | "lt" | "ge" | "le"
    )
}

/// Whether a word is a number token (decimal with optional k/m/g/t suffix, or hex).
pub(crate) fn is_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        return b[2..].iter().all(u8::is_ascii_hexdigit);
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0
        && (digits == b.len()
            || (digits + 1 == b.len()
                && matches!(b[digits].to_ascii_lowercase(), b'k' | b'm' | b'g' | b't')))
}

/// Parses a number token: decimal, `0x` hex, or decimal with a 1000-based k/m/g/t suffix.
pub(crate) fn parse_number(s: &str) -> Result<u64, &'static str> {
    if !is_number(s) {
        return Err("number expected");
    }
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).map_err(|_| "number too large");
    }
    let (digits, scale) = match s.as_bytes()[s.len() - 1].to_ascii_lowercase() {
        b'k' => (&s[..s.len() - 1], 1_000u64),
        b'm' => (&s[..s.len() - 1], 1_000_000),
        b'g' => (&s[..s.len() - 1], 1_000_000_000),
        b't' => (&s[..s.len() - 1], 1_000_000_000_000),
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|v| v.checked_mul(scale))
        .ok_or("number too large")
}

/// Parses `xx:xx:xx:xx:xx:xx` (1 or 2 hex digits per byte) into the low 48 bits of a u64.
fn parse_mac(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut v = 0u64;
    for p in parts {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        v = v << 8 | u64::from(u8::from_str_radix(p, 16).ok()?);
    }
    Some(v)
}
