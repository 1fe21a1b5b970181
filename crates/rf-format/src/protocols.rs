//! nfdump's protocol name table, shared by the filter language (`proto NAME`) and every output
//! format (`%pr`, csv `pr`, statistics), so the two can never disagree.

/// nfdump 1.7.1's protocol names for protocols 0..=137; higher numbers print as digits.
///
/// Produced by running the installed nfdump over a file whose records were patched to every
/// protocol number (`-o fmt:%pr`). Note the oddities nfdump really prints: 94 is `OS`, 99, 128
/// and 134 are numbers, 35 and 38 are both `IDPR`.
pub const PROTO_NAMES: [&str; 138] = [
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

/// nfdump's name for protocol `p`, or `None` when nfdump prints the number.
pub fn proto_name(p: u8) -> Option<&'static str> {
    PROTO_NAMES.get(usize::from(p)).copied()
}

/// Protocol number for an nfdump protocol name (case-insensitive), the inverse of
/// [`proto_name`]. Ambiguous `IDPR` maps to 35, the first entry, as nfdump's lookup does.
pub fn proto_by_name(name: &str) -> Option<u8> {
    PROTO_NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(name))
        .and_then(|i| u8::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(proto_name(6), Some("TCP"));
        assert_eq!(proto_name(200), None);
        assert_eq!(proto_by_name("icmp6"), Some(58));
        assert_eq!(proto_by_name("IDPR"), Some(35));
        assert!(PROTO_NAMES.iter().all(|n| n.len() <= 5));
    }
}
