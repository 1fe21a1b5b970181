//! Name tables of the filter language: protocol names (nfdump's own table, which differs from
//! /etc/protocols), forwarding-status names and NSEL/NEL event names.

/// nfdump's protocol names, index = protocol number (as nfdump 1.7.1 prints them; rf-query keeps
/// the same table for output). Lookup is case-insensitive and exact; `IDPR` (35 and 38) gives 35.
const PROTOCOLS: [&str; 138] = [
    "0", "ICMP", "IGMP", "GGP", "IPIP", "ST", "TCP", "CBT", "EGP", "IGP", "BBN", "NVPII", "PUP",
    "ARGUS", "ENCOM", "XNET", "CHAOS", "UDP", "MUX", "DCN", "HMP", "PRM", "XNS", "Trnk1", "Trnk2",
    "Leaf1", "Leaf2", "RDP", "IRTP", "ISO-4", "NETBK", "MFESP", "MEINP", "DCCP", "3PC", "IDPR",
    "XTP", "DDP", "IDPR", "TP++", "IL", "IPv6", "SDRP", "Rte6", "Frag6", "IDRP", "RSVP", "GRE",
    "MHRP", "BNA", "ESP", "AH", "INLSP", "SWIPE", "NARP", "MOBIL", "TLSP", "SKIP", "ICMP6",
    "NOHE6", "OPTS6", "HOST", "CFTP", "NET", "SATNT", "KLAN", "RVD", "IPPC", "FS", "SATM", "VISA",
    "IPCV", "CPNX", "CPHB", "WSN", "PVP", "BSATM", "SUNND", "WBMON", "WBEXP", "ISOIP", "VMTP",
    "SVMTP", "VINES", "TTP", "NSIGP", "DGP", "TCF", "EIGRP", "OSPF", "S-RPC", "LARP", "MTP",
    "AX.25", "OS", "MICP", "SCCSP", "ETHIP", "ENCAP", "99", "GMTP", "IFMP", "PNNI", "PIM", "ARIS",
    "SCPS", "QNX", "A/N", "IPcmp", "SNP", "CpqPP", "IPXIP", "VRRP", "PGM", "0hop", "L2TP", "DDX",
    "IATP", "STP", "SRP", "UTI", "SMP", "SM", "PTP", "ISIS4", "FIRE", "CRTP", "CRUDP", "128",
    "IPLT", "SPS", "PIPE", "SCTP", "FC", "134", "MHEAD", "UDP-L", "MPLS",
];

/// Protocol number of a name (case-insensitive), if nfdump knows it.
pub fn proto_number(name: &str) -> Option<u8> {
    // Purely numeric table entries ("0", "99", "128", "134") are reached as numbers instead.
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    PROTOCOLS
        .iter()
        .position(|p| p.eq_ignore_ascii_case(name))
        .and_then(|i| u8::try_from(i).ok())
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
