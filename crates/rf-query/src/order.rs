//! Sort orders shared by `-s .../order`, `-s record/order` and `-O`, and the per-key counters
//! they rank ([`Counters`]).

use rf_format::FlowRecord;

/// A sort order, in nfdump's internal order (the order multi-order `-s` tables print in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Order {
    /// Flow count.
    Flows,
    /// In+out packets.
    Packets,
    /// In packets.
    Ipkg,
    /// Out packets.
    Opkg,
    /// In+out bytes.
    Bytes,
    /// In bytes.
    Ibyte,
    /// Out bytes.
    Obyte,
    /// Packets per second.
    Pps,
    /// In packets per second.
    Ipps,
    /// Out packets per second.
    Opps,
    /// Bits per second.
    Bps,
    /// In bits per second.
    Ibps,
    /// Out bits per second.
    Obps,
    /// Bytes per packet.
    Bpp,
    /// In bytes per packet.
    Ibpp,
    /// Out bytes per packet.
    Obpp,
    /// First seen (ascending by default; `-O` only).
    Tstart,
    /// Last seen (ascending by default; `-O` only).
    Tend,
    /// Duration (`-O` only).
    Duration,
}

/// Which counters an order ranks and prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// In counters (and `flows`).
    In,
    /// Out counters.
    Out,
    /// In + out.
    Both,
}

const NAMES: &[(&str, Order)] = &[
    ("flows", Order::Flows),
    ("packets", Order::Packets),
    ("ipkg", Order::Ipkg),
    ("opkg", Order::Opkg),
    ("bytes", Order::Bytes),
    ("ibyte", Order::Ibyte),
    ("obyte", Order::Obyte),
    ("pps", Order::Pps),
    ("ipps", Order::Ipps),
    ("opps", Order::Opps),
    ("bps", Order::Bps),
    ("ibps", Order::Ibps),
    ("obps", Order::Obps),
    ("bpp", Order::Bpp),
    ("ibpp", Order::Ibpp),
    ("obpp", Order::Obpp),
    ("tstart", Order::Tstart),
    ("tend", Order::Tend),
    ("duration", Order::Duration),
];

impl Order {
    /// Parses an order name (case-insensitive).
    pub fn parse(s: &str) -> Option<Order> {
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, o)| *o)
    }

    /// The name as nfdump prints it in table titles.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("flows", |(n, _)| n)
    }

    /// Whether this order may be used for statistics (`tstart`, `tend`, `duration` are `-O`
    /// only).
    pub fn is_stat_order(self) -> bool {
        self < Order::Tstart
    }

    /// Whether the default direction is ascending.
    pub fn ascending_by_default(self) -> bool {
        matches!(self, Order::Tstart | Order::Tend)
    }

    /// Which counters the order uses.
    pub fn direction(self) -> Direction {
        use Order::*;
        match self {
            Flows | Ipkg | Ibyte | Ipps | Ibps | Ibpp | Tstart | Tend | Duration => Direction::In,
            Opkg | Obyte | Opps | Obps | Obpp => Direction::Out,
            Packets | Bytes | Pps | Bps | Bpp => Direction::Both,
        }
    }
}

/// Summed counters of one statistics key or aggregated flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Flows.
    pub flows: u64,
    /// In packets.
    pub in_packets: u64,
    /// Out packets.
    pub out_packets: u64,
    /// In bytes.
    pub in_bytes: u64,
    /// Out bytes.
    pub out_bytes: u64,
    /// Earliest first seen (ms), `u64::MAX` while empty.
    pub first_ms: u64,
    /// Latest last seen (ms).
    pub last_ms: u64,
}

impl Counters {
    /// Counters of no records.
    pub const EMPTY: Counters = Counters {
        flows: 0,
        in_packets: 0,
        out_packets: 0,
        in_bytes: 0,
        out_bytes: 0,
        first_ms: u64::MAX,
        last_ms: 0,
    };

    /// The counters of one record.
    #[inline]
    pub fn of(r: &FlowRecord) -> Counters {
        Counters {
            flows: r.flow_count(),
            in_packets: r.in_packets,
            out_packets: r.out_packets,
            in_bytes: r.in_bytes,
            out_bytes: r.out_bytes,
            first_ms: r.first_ms,
            last_ms: r.last_ms,
        }
    }

    /// Adds one record.
    #[inline]
    pub fn add(&mut self, r: &FlowRecord) {
        self.merge(&Counters::of(r));
    }

    /// Merges another key's counters.
    pub fn merge(&mut self, o: &Counters) {
        self.flows = self.flows.wrapping_add(o.flows);
        self.in_packets = self.in_packets.wrapping_add(o.in_packets);
        self.out_packets = self.out_packets.wrapping_add(o.out_packets);
        self.in_bytes = self.in_bytes.wrapping_add(o.in_bytes);
        self.out_bytes = self.out_bytes.wrapping_add(o.out_bytes);
        self.first_ms = self.first_ms.min(o.first_ms);
        self.last_ms = self.last_ms.max(o.last_ms);
    }

    /// Duration in ms (0 when empty).
    pub fn duration_ms(&self) -> u64 {
        self.last_ms.saturating_sub(self.first_ms)
    }

    /// Packets in the direction `d`.
    pub fn packets(&self, d: Direction) -> u64 {
        match d {
            Direction::In => self.in_packets,
            Direction::Out => self.out_packets,
            Direction::Both => self.in_packets.wrapping_add(self.out_packets),
        }
    }

    /// Bytes in the direction `d`.
    pub fn bytes(&self, d: Direction) -> u64 {
        match d {
            Direction::In => self.in_bytes,
            Direction::Out => self.out_bytes,
            Direction::Both => self.in_bytes.wrapping_add(self.out_bytes),
        }
    }

    /// The value ranked by `o`.
    pub fn value(&self, o: Order) -> u64 {
        let d = o.direction();
        let dur = self.duration_ms();
        let per_sec = |v: u64, mul: u128| -> u64 {
            if dur == 0 {
                0
            } else {
                u64::try_from(u128::from(v) * mul / u128::from(dur)).unwrap_or(u64::MAX)
            }
        };
        use Order::*;
        match o {
            Flows => self.flows,
            Packets | Ipkg | Opkg => self.packets(d),
            Bytes | Ibyte | Obyte => self.bytes(d),
            Pps | Ipps | Opps => per_sec(self.packets(d), 1000),
            Bps | Ibps | Obps => per_sec(self.bytes(d), 8000),
            Bpp | Ibpp | Obpp => self.bytes(d).checked_div(self.packets(d)).unwrap_or(0),
            Tstart => self.first_ms,
            Tend => self.last_ms,
            Duration => dur,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_directions() {
        for (n, o) in NAMES {
            assert_eq!(Order::parse(&n.to_uppercase()), Some(*o));
            assert_eq!(o.name(), *n);
        }
        assert_eq!(Order::parse("nope"), None);
        assert_eq!(Order::Flows.direction(), Direction::In);
        assert_eq!(Order::Bytes.direction(), Direction::Both);
        assert!(Order::Tstart.ascending_by_default());
        assert!(!Order::Duration.is_stat_order());
    }

    #[test]
    fn rates() {
        let mut c = Counters::EMPTY;
        c.add(&FlowRecord {
            first_ms: 1000,
            last_ms: 1001,
            in_packets: 1,
            in_bytes: 36,
            ..FlowRecord::default()
        });
        assert_eq!(c.value(Order::Pps), 1000);
        assert_eq!(c.value(Order::Bps), 288_000);
        assert_eq!(c.value(Order::Bpp), 36);
        assert_eq!(c.value(Order::Flows), 1);
    }
}
