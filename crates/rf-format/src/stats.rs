//! File-level summary statistics: the counters nfdump keeps in its stat record and rflow keeps
//! in the native footer (flows, packets and bytes per protocol class, first/last seen).

use crate::record::FlowRecord;

/// Per-file totals, the same fields as nfdump's `stat_record_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Total flows (sum of per-record flow counts).
    pub flows: u64,
    /// Total bytes (in + out).
    pub bytes: u64,
    /// Total packets (in + out).
    pub packets: u64,
    /// TCP flows.
    pub flows_tcp: u64,
    /// UDP flows.
    pub flows_udp: u64,
    /// ICMP/ICMPv6 flows.
    pub flows_icmp: u64,
    /// Flows of other protocols.
    pub flows_other: u64,
    /// TCP bytes.
    pub bytes_tcp: u64,
    /// UDP bytes.
    pub bytes_udp: u64,
    /// ICMP bytes.
    pub bytes_icmp: u64,
    /// Other bytes.
    pub bytes_other: u64,
    /// TCP packets.
    pub packets_tcp: u64,
    /// UDP packets.
    pub packets_udp: u64,
    /// ICMP packets.
    pub packets_icmp: u64,
    /// Other packets.
    pub packets_other: u64,
    /// Earliest first-seen, ms since epoch (0 when there are no flows).
    pub first_seen_ms: u64,
    /// Latest last-seen, ms since epoch.
    pub last_seen_ms: u64,
    /// Sequence failures the collector counted.
    pub sequence_failures: u64,
}

impl FileStats {
    /// Adds one record to the totals, classifying it by protocol like nfcapd does.
    pub fn add(&mut self, r: &FlowRecord) {
        let flows = r.flow_count();
        let packets = r.in_packets.wrapping_add(r.out_packets);
        let bytes = r.in_bytes.wrapping_add(r.out_bytes);
        self.flows = self.flows.wrapping_add(flows);
        self.packets = self.packets.wrapping_add(packets);
        self.bytes = self.bytes.wrapping_add(bytes);
        let (f, p, b) = match r.proto {
            6 => (
                &mut self.flows_tcp,
                &mut self.packets_tcp,
                &mut self.bytes_tcp,
            ),
            17 => (
                &mut self.flows_udp,
                &mut self.packets_udp,
                &mut self.bytes_udp,
            ),
            1 | 58 => (
                &mut self.flows_icmp,
                &mut self.packets_icmp,
                &mut self.bytes_icmp,
            ),
            _ => (
                &mut self.flows_other,
                &mut self.packets_other,
                &mut self.bytes_other,
            ),
        };
        *f = f.wrapping_add(flows);
        *p = p.wrapping_add(packets);
        *b = b.wrapping_add(bytes);
        if self.first_seen_ms == 0 || (r.first_ms != 0 && r.first_ms < self.first_seen_ms) {
            self.first_seen_ms = r.first_ms;
        }
        self.last_seen_ms = self.last_seen_ms.max(r.last_ms);
    }

    /// Merges another summary into this one.
    pub fn merge(&mut self, o: &FileStats) {
        macro_rules! sum {
            ($($f:ident),*) => { $( self.$f = self.$f.wrapping_add(o.$f); )* };
        }
        sum!(
            flows,
            bytes,
            packets,
            flows_tcp,
            flows_udp,
            flows_icmp,
            flows_other,
            bytes_tcp,
            bytes_udp,
            bytes_icmp,
            bytes_other,
            packets_tcp,
            packets_udp,
            packets_icmp,
            packets_other,
            sequence_failures
        );
        if self.first_seen_ms == 0 || (o.first_seen_ms != 0 && o.first_seen_ms < self.first_seen_ms)
        {
            self.first_seen_ms = o.first_seen_ms;
        }
        self.last_seen_ms = self.last_seen_ms.max(o.last_seen_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_and_merge() {
        let mut a = FileStats::default();
        let r = FlowRecord {
            proto: 6,
            in_packets: 2,
            in_bytes: 100,
            first_ms: 10,
            last_ms: 20,
            ..FlowRecord::default()
        };
        a.add(&r);
        let mut b = FileStats::default();
        b.add(&FlowRecord {
            proto: 17,
            in_packets: 1,
            in_bytes: 50,
            first_ms: 5,
            last_ms: 8,
            ..FlowRecord::default()
        });
        a.merge(&b);
        assert_eq!((a.flows, a.packets, a.bytes), (2, 3, 150));
        assert_eq!((a.flows_tcp, a.flows_udp), (1, 1));
        assert_eq!((a.first_seen_ms, a.last_seen_ms), (5, 20));
    }
}
