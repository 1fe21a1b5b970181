//! Name tables of the filter language: protocol names (nfdump's own table in
//! `rf_format::protocols`, which differs from /etc/protocols), forwarding-status names and
//! NSEL/NEL event names.

/// Protocol number of a name (case-insensitive), if nfdump knows it.
pub fn proto_number(name: &str) -> Option<u8> {
    // Purely numeric table entries ("0", "99", "128", "134") are reached as numbers instead.
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rf_format::protocols::proto_by_name(name)
}

/// Forwarding status names (`fwdstat NAME`), case-insensitive.
const FWD_STATUS: [(&str, u8); 23] = [
    ("Ukwn", 0),
    ("Forw", 1),
    ("Frag", 2),
    ("Drop", 16),
    ("DaclD", 17),
    ("Daclp", 18),
    ("Noroute", 19),
    ("Dadj", 20),
    ("Dfrag", 21),
    ("Dbadh", 22),
    ("Dbadtlen", 23),
    ("Dbadhlen", 24),
    ("DbadTTL", 25),
    ("Dpolicy", 26),
    ("Dwred", 27),
    ("Drpf", 28),
    ("Dforus", 29),
    ("DbadOf", 30),
    ("Dhw", 31),
    ("Term", 128),
    ("Tadj", 129),
    ("TincAdj", 130),
    ("Tforus", 131),
];

/// Forwarding status number of a name.
pub fn fwd_status(name: &str) -> Option<u8> {
    FWD_STATUS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, v)| v)
}

/// NSEL firewall event names (`asa event NAME`).
pub fn asa_event(name: &str) -> Option<u8> {
    match name.to_ascii_lowercase().as_str() {
        "ignore" => Some(0),
        "create" => Some(1),
        "term" | "delete" => Some(2),
        "deny" => Some(3),
        _ => None,
    }
}

/// NSEL extended event of `asa event denied NAME`.
pub fn asa_denied(name: &str) -> Option<u16> {
    match name.to_ascii_lowercase().as_str() {
        "ingress" => Some(1001),
        "egress" => Some(1002),
        "interface" => Some(1003),
        "nosyn" => Some(1004),
        _ => None,
    }
}

/// NEL NAT event names (`nat event NAME`).
pub fn nat_event(name: &str) -> Option<u8> {
    match name.to_ascii_lowercase().as_str() {
        "invalid" => Some(0),
        "add" | "create" => Some(1),
        "delete" => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols() {
        assert_eq!(proto_number("tcp"), Some(6));
        assert_eq!(proto_number("ICMP6"), Some(58));
        assert_eq!(proto_number("ipip"), Some(4));
        assert_eq!(proto_number("os"), Some(94));
        assert_eq!(proto_number("idpr"), Some(35));
        assert_eq!(proto_number("udp-l"), Some(136));
        assert_eq!(proto_number("99"), None);
        assert_eq!(proto_number("tcpx"), None);
    }

    #[test]
    fn statuses_and_events() {
        assert_eq!(fwd_status("forw"), Some(1));
        assert_eq!(fwd_status("TFORUS"), Some(131));
        assert_eq!(asa_event("Delete"), Some(2));
        assert_eq!(asa_denied("nosyn"), Some(1004));
        assert_eq!(nat_event("add"), Some(1));
        assert_eq!(nat_event("bogus"), None);
    }
}
