//! Parser tests: precedence, canonical text, normalisation, value checks, error positions and
//! rendering, nesting limits.

use rf_filter::{Expr, Filter, MAX_DEPTH, ParseError, parse};

fn canon(s: &str) -> String {
    parse(s)
        .unwrap_or_else(|e| panic!("{s:?}: {}", e.render(s)))
        .to_string()
}

fn err(s: &str) -> ParseError {
    parse(s).expect_err(s)
}

/// The erroneous token's text.
fn bad_token(s: &str) -> &str {
    let e = err(s);
    &s[e.offset..(e.offset + e.len).min(s.len())]
}

#[test]
fn precedence_matches_nfdump() {
    // Verified against nfdump 1.7.1 (reference §2.2).
    assert_eq!(
        parse("proto tcp or proto udp and port 53").unwrap(),
        parse("proto tcp or (proto udp and port 53)").unwrap()
    );
    assert_eq!(
        parse("not port 53 and proto udp").unwrap(),
        parse("(not port 53) and proto udp").unwrap()
    );
    assert_eq!(canon("a_ny".replace('_', "").as_str()), "any");
    assert_eq!(
        canon("(proto tcp or proto udp) and port 53"),
        "(proto 6 or proto 17) and port 53"
    );
    assert_eq!(
        canon("proto tcp and (port 1 and port 2)"),
        "proto 6 and (port 1 and port 2)"
    );
    assert_eq!(
        canon("proto tcp or (port 1 or port 2)"),
        "proto 6 or (port 1 or port 2)"
    );
    assert_eq!(canon("not (port 1 or port 2)"), "not (port 1 or port 2)");
    assert_eq!(
        canon("! ! port 1 && port 2 || port 3"),
        "not not port 1 and port 2 or port 3"
    );
}

#[test]
fn empty_and_comments_mean_any() {
    assert_eq!(canon(""), "any");
    assert_eq!(canon("  # only a comment\n\t"), "any");
    assert_eq!(
        canon("proto tcp # tcp only\nand port 80"),
        "proto 6 and port 80"
    );
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(canon("PROTO TCP"), "proto 6");
    assert_eq!(canon("Proto udp AND PORT 53"), "proto 17 and port 53");
    assert_eq!(canon("SRC OR DST PORT GT 1K"), "src or dst port > 1000");
}

#[test]
fn normalised_spellings() {
    assert_eq!(canon("host 10.1.2.3"), "ip 10.1.2.3");
    assert_eq!(canon("dst or src ip 10.1.2.3"), "src or dst ip 10.1.2.3");
    assert_eq!(canon("dst and src ip ::1"), "src and dst ip ::1");
    assert_eq!(canon("inet"), "ipv4");
    assert_eq!(canon("inet6"), "ipv6");
    assert_eq!(canon("nip 1.2.3.4"), "xip 1.2.3.4");
    assert_eq!(canon("nport > 5"), "xport > 5");
    assert_eq!(canon("dir egress"), "flowdir 1");
    assert_eq!(canon("flowdir ingress"), "flowdir 0");
    assert_eq!(canon("fwdstat DaclD"), "fwdstat 17");
    assert_eq!(canon("asa event term"), "asa event 2");
    assert_eq!(
        canon("asa event denied nosyn"),
        "asa event 3 and asa xevent 1004"
    );
    assert_eq!(canon("nat event create"), "nat event 1");
    assert_eq!(canon("previous as 5"), "prev as 5");
    assert_eq!(canon("flags XS"), "flags FSRPAU");
    assert_eq!(canon("flags as"), "flags SA");
    assert_eq!(
        canon("port eq 1 or port == 2 or port = 3"),
        "port 1 or port 2 or port 3"
    );
    assert_eq!(
        canon("bytes ge 2k and bytes le 0x10"),
        "bytes >= 2000 and bytes <= 16"
    );
    assert_eq!(
        canon("packets > 2m or packets > 3g or packets > 1t"),
        "packets > 2000000 or packets > 3000000000 or packets > 1000000000000"
    );
    assert_eq!(
        canon("ip in [1.2.3.4, 10/8 ::1]"),
        "ip in [1.2.3.4 10.0.0.0/8 ::1]"
    );
    assert_eq!(canon("port in [80,443]"), "port in [80 443]");
    assert_eq!(
        canon("in src mac 0A:50:56:c0:0:1"),
        "in src mac 0a:50:56:c0:00:01"
    );
    assert_eq!(
        canon("(port 1) %Web or %Dns (port 53)"),
        "(port 1) %Web or (port 53) %Dns"
    );
    assert_eq!(
        canon("mpls label3 > 7 and mpls exp10 2 and mpls any 9"),
        "mpls label3 > 7 and mpls exp10 2 and mpls any 9"
    );
    assert_eq!(
        canon("client latency > 5 and observation point id 7"),
        "client latency > 5 and observation point id 7"
    );
}

#[test]
fn networks() {
    // The manual's shorthand, which 1.7.1 rejects as a syntax error (quirk §11.3).
    assert_eq!(canon("net 10/8"), "net 10.0.0.0/8");
    assert_eq!(canon("net 172.32/16"), "net 172.32.0.0/16");
    assert_eq!(
        canon("src and dst net 172.16/12"),
        "src and dst net 172.16.0.0/12"
    );
    assert_eq!(canon("net 10.0.0.0 255.0.0.0"), "net 10.0.0.0/8");
    assert_eq!(canon("net 2001:db8::/32"), "net 2001:db8::/32");
    assert_eq!(canon("xnet 192.168.0.0/16"), "xnet 192.168.0.0/16");
    assert_eq!(bad_token("net 10/9"), "9");
    assert!(err("net 10/9").expected.contains("too many netbits"));
    assert_eq!(bad_token("net 10.0.0.0/33"), "33");
    assert_eq!(bad_token("net 10.0.0.0 255.0.255.0"), "255.0.255.0");
    assert_eq!(bad_token("net 10.0 255.255.0.0"), "255.255.0.0");
    assert_eq!(bad_token("net 1.2.3.4.5/8"), "1.2.3.4.5");
    assert_eq!(bad_token("net ::1/129"), "129");
}

#[test]
fn value_errors_point_at_the_token() {
    let e = err("port 70000");
    assert_eq!((e.offset, e.len), (5, 5));
    assert_eq!(e.expected, "out of range 0..65535");
    assert_eq!(
        e.render("port 70000"),
        "port 70000\n     ^^^^^ out of range 0..65535"
    );
    assert_eq!(bad_token("ip 10.1"), "10.1");
    assert_eq!(err("ip 10.1").expected, "incomplete IP address");
    assert_eq!(bad_token("foo bar"), "foo");
    assert_eq!(bad_token("proto tcpx"), "tcpx");
    assert_eq!(bad_token("proto 256"), "256");
    assert_eq!(bad_token("flags 64"), "64");
    assert_eq!(bad_token("flags SQ"), "SQ");
    assert_eq!(bad_token("flags FSRPAUFS"), "FSRPAUFS");
    assert_eq!(bad_token("tos 256"), "256");
    assert_eq!(bad_token("dir 3"), "3");
    assert_eq!(bad_token("nfversion 11"), "11");
    assert_eq!(bad_token("sysid 256"), "256");
    assert_eq!(bad_token("icmp-type 256"), "256");
    assert_eq!(bad_token("mpls label11 5"), "label11");
    assert_eq!(bad_token("mpls exp1 8"), "8");
    assert_eq!(bad_token("mac 1:2:3:4:5"), "1:2:3:4:5");
    assert_eq!(bad_token("next ip router.example"), "router.example");
    assert_eq!(bad_token("fwdstat bogus"), "bogus");
    assert_eq!(bad_token("asa event alert"), "alert");
    assert_eq!(bad_token("nat event bogus"), "bogus");
    assert_eq!(
        bad_token("bytes > 99999999999999999999"),
        "99999999999999999999"
    );
    assert_eq!(bad_token("bytes > 20000000000000t"), "20000000000000t");
    assert_eq!(bad_token("ident a.b"), "a.b");
    assert_eq!(bad_token("port 80 port 81"), "port");
    assert_eq!(bad_token("port $"), "$");
    assert_eq!(bad_token("in port 80"), "port");
    assert_eq!(bad_token("src if 3"), "if");
    assert_eq!(bad_token("prev port 3"), "port");
    assert_eq!(bad_token("src proto 6"), "src");
    assert_eq!(bad_token("src or dst mac 00:00:00:00:00:01"), "mac");
    assert_eq!(bad_token("port in []"), "]");
    assert_eq!(bad_token("geo DE"), "geo");
    assert_eq!(bad_token("payload content abc"), "payload");
    assert_eq!(
        bad_token("(port 80) %ThisLabelIsMuchTooLong"),
        "ThisLabelIsMuchTooLong"
    );
}

#[test]
fn errors_at_the_end() {
    for s in [
        "port",
        "proto tcp and",
        "(port 80",
        "ip in [1.2.3.4",
        "net 10.0.0.0",
        "not",
    ] {
        let e = err(s);
        assert_eq!(e.offset, s.len(), "{s}");
        assert!(e.expected.contains("end of filter"), "{s}: {}", e.expected);
    }
}

#[test]
fn render_handles_non_ascii_and_odd_offsets() {
    let src = "ip in [1.2.3.4] and ü";
    let e = err(src);
    assert_eq!(&src[e.offset..e.offset + e.len], "ü");
    assert_eq!(
        e.render(src),
        "ip in [1.2.3.4] and ü\n                    ^ unexpected character"
    );
    // A hand-made error pointing inside a multi-byte character renders without panicking.
    let odd = ParseError {
        offset: 21,
        len: 1,
        expected: "x".into(),
    };
    assert!(odd.render(src).ends_with("^ x"));
    let past = ParseError {
        offset: 999,
        len: 5,
        expected: "y".into(),
    };
    assert!(past.render(src).ends_with("^ y"));
}

#[test]
fn render_multi_line_names_the_line() {
    let src = "proto tcp and\n  port 99999";
    assert_eq!(
        err(src).render(src),
        "line 2:   port 99999\n               ^^^^^ out of range 0..65535"
    );
}

#[test]
fn accepts_what_1_7_1_wrongly_rejects() {
    // All-zero MAC (quirk §11.14), `as` without a geo DB (§11.2), proto keywords, `egress acl >`.
    assert!(parse("mac 00:00:00:00:00:00").is_ok());
    assert!(parse("src as 0 or as in [1 2] or next as 3").is_ok());
    assert_eq!(canon("proto ipv6"), "proto 41");
    assert!(parse("egress acl > 0").is_ok());
}

#[test]
fn nesting_is_limited() {
    let ok = format!("{}any{}", "(".repeat(100), ")".repeat(100));
    assert!(parse(&ok).is_ok());
    let deep = format!(
        "{}any{}",
        "(".repeat(MAX_DEPTH + 10),
        ")".repeat(MAX_DEPTH + 10)
    );
    assert!(err(&deep).expected.contains("nesting"));
    let nots = "not ".repeat(100_000) + "any";
    assert!(err(&nots).expected.contains("nesting"));
    // Long flat chains are fine (no recursion per operand).
    let long = vec!["port 1"; 20_000].join(" or ");
    let f: Filter = long.parse().unwrap();
    assert!(!f.is_any());
}

#[test]
fn from_str_and_display() {
    let f: Filter = "src port > 1023 and dst port < 1024".parse().unwrap();
    assert_eq!(f.to_string(), "src port > 1023 and dst port < 1024");
    assert!(matches!(f.expr(), Expr::And(..)));
    let e = "port 70000".parse::<Filter>().unwrap_err().to_string();
    assert_eq!(
        e,
        "invalid filter expression:\nport 70000\n     ^^^^^ out of range 0..65535"
    );
    assert!(Filter::any().is_any() && "".parse::<Filter>().unwrap().is_any());
}

#[test]
fn filter_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.txt");
    std::fs::write(&p, "# web traffic\nproto tcp\n  and port in [80 443]\n").unwrap();
    let f = Filter::from_file(&p).unwrap();
    assert_eq!(f.to_string(), "proto 6 and port in [80 443]");
    std::fs::write(&p, "proto tcp\nand port 70000\n").unwrap();
    let e = Filter::from_file(&p).unwrap_err().to_string();
    assert!(
        e.contains("f.txt") && e.contains("line 2: and port 70000") && e.contains("^^^^^"),
        "{e}"
    );
    let e = Filter::from_file(&dir.path().join("missing"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing"), "{e}");
}

/// A long filter is shown around its error only, control characters as `?`: the message
/// stays two short lines with the caret under the bad token.
#[test]
fn long_filters_render_a_window_around_the_error() {
    let src = format!(
        "{}bogus{}",
        "port 80 and ".repeat(40),
        " and port 22".repeat(40)
    );
    let e = err(&src);
    let text = e.render(&src);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("...") && lines[0].ends_with("..."),
        "{text}"
    );
    assert!(
        lines[0].chars().count() <= 3 + 2 * rf_filter::CONTEXT + 5 + 3,
        "{text}"
    );
    let col = lines[1].find('^').unwrap();
    assert_eq!(&lines[0][col..col + 5], "bogus", "{text}");
    let ctl = "proto tcp and \u{0}bogus";
    assert!(err(ctl).render(ctl).starts_with("proto tcp and ?bogus\n"));
}
