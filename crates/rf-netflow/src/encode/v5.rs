//! NetFlow v5 packet builder: fixed 48-byte IPv4 records behind a 24-byte header.
//!
//! v5 carries times as milliseconds of exporter uptime, and the collector turns them back into
//! absolute times with the header's wall clock minus the uptime (the exporter's boot time). To
//! keep the original first/last seen, each packet picks its own "boot time" an hour before its
//! first flow and sets the header clock to boot time + uptime, so every flow of the packet is
//! expressed exactly. Counters wider than the 32-bit fields saturate; 4-byte AS numbers become
//! AS_TRANS (23456, RFC 6793), as on a real router.

use std::net::IpAddr;

use rf_format::FlowRecord;

/// Header bytes.
pub(crate) const HEADER: usize = 24;
/// Record bytes.
pub(crate) const RECORD: usize = 48;
/// The v5 format allows at most 30 records per packet.
const MAX_RECORDS: usize = 30;
/// How far before the packet's first flow its boot time lies, so later flows that started a
/// little earlier still fit.
const BOOT_SLACK_MS: u64 = 3_600_000;
/// AS number sent for 4-byte AS numbers.
const AS_TRANS: u16 = 23456;

/// Builds v5 packets.
pub(crate) struct V5Builder {
    max_records: usize,
    buf: Vec<u8>,
    count: usize,
    boot_ms: u64,
    /// Largest uptime (ms since `boot_ms`) of any flow end in the packet.
    max_uptime: u32,
    engine: (u8, u8),
    /// Flows sent before this packet (the v5 sequence number).
    flow_sequence: u32,
}

impl V5Builder {
    pub(crate) fn new(mtu: usize) -> Self {
        let max_records = ((mtu.saturating_sub(HEADER)) / RECORD).clamp(1, MAX_RECORDS);
        V5Builder {
            max_records,
            buf: Vec::with_capacity(HEADER + max_records * RECORD),
            count: 0,
            boot_ms: 0,
            max_uptime: 0,
            engine: (0, 0),
            flow_sequence: 0,
        }
    }

    pub(crate) fn has_pending(&self) -> bool {
        self.count > 0
    }

    /// Whether `r` can join the open packet (same engine, times expressible from its boot time).
    fn fits(&self, r: &FlowRecord) -> bool {
        self.count < self.max_records
            && self.engine == (r.engine_type, r.engine_id)
            && r.first_ms >= self.boot_ms
            && r.last_ms >= self.boot_ms
            && r.last_ms.max(r.first_ms) - self.boot_ms <= u64::from(u32::MAX)
    }

    /// Adds an IPv4 record (the caller skips IPv6 ones), emitting the open packet first when
    /// `r` cannot join it.
    pub(crate) fn push<E>(
        &mut self,
        r: &FlowRecord,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.count > 0 && !self.fits(r) {
            self.flush(sink)?;
        }
        if self.count == 0 {
            self.buf.clear();
            self.buf.resize(HEADER, 0);
            self.boot_ms = r.first_ms.min(r.last_ms).saturating_sub(BOOT_SLACK_MS);
            self.engine = (r.engine_type, r.engine_id);
            self.max_uptime = 0;
        }
        let rel = |t: u64| u32::try_from(t.saturating_sub(self.boot_ms)).unwrap_or(u32::MAX);
        let (first, last) = (rel(r.first_ms), rel(r.last_ms));
        self.max_uptime = self.max_uptime.max(first).max(last);
        let b = &mut self.buf;
        b.extend_from_slice(&v4(r.src_addr));
        b.extend_from_slice(&v4(r.dst_addr));
        b.extend_from_slice(&v4(r.ip_next_hop));
        b.extend_from_slice(&sat16(r.input).to_be_bytes());
        b.extend_from_slice(&sat16(r.output).to_be_bytes());
        b.extend_from_slice(&sat32(r.in_packets).to_be_bytes());
        b.extend_from_slice(&sat32(r.in_bytes).to_be_bytes());
        b.extend_from_slice(&first.to_be_bytes());
        b.extend_from_slice(&last.to_be_bytes());
        b.extend_from_slice(&r.src_port.to_be_bytes());
        b.extend_from_slice(&r.dst_port.to_be_bytes());
        b.extend_from_slice(&[0, r.tcp_flags, r.proto, r.src_tos]);
        b.extend_from_slice(&as16(r.src_as).to_be_bytes());
        b.extend_from_slice(&as16(r.dst_as).to_be_bytes());
        b.extend_from_slice(&[r.src_mask, r.dst_mask, 0, 0]);
        self.count += 1;
        if self.count == self.max_records {
            // Full: send now rather than holding the datagram until the next flow arrives.
            self.flush(sink)?;
        }
        Ok(())
    }

    /// Emits the open packet, if any.
    pub(crate) fn flush<E>(
        &mut self,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.count == 0 {
            return Ok(());
        }
        let clock = self.boot_ms + u64::from(self.max_uptime);
        let secs = u32::try_from(clock / 1000).unwrap_or(u32::MAX);
        let nsecs = (clock % 1000) as u32 * 1_000_000;
        let count = self.count as u16;
        let mut h = [0u8; HEADER];
        h[0..2].copy_from_slice(&5u16.to_be_bytes());
        h[2..4].copy_from_slice(&count.to_be_bytes());
        h[4..8].copy_from_slice(&self.max_uptime.to_be_bytes());
        h[8..12].copy_from_slice(&secs.to_be_bytes());
        h[12..16].copy_from_slice(&nsecs.to_be_bytes());
        h[16..20].copy_from_slice(&self.flow_sequence.to_be_bytes());
        h[20] = self.engine.0;
        h[21] = self.engine.1;
        // h[22..24]: sampling mode/interval 0 = not sampled; replayed counters are final.
        self.buf[..HEADER].copy_from_slice(&h);
        let res = sink(&self.buf);
        self.flow_sequence = self.flow_sequence.wrapping_add(count.into());
        self.count = 0;
        self.buf.clear();
        res
    }
}

fn v4(a: IpAddr) -> [u8; 4] {
    match a {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or([0; 4], |a| a.octets()),
    }
}

fn sat16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

fn sat32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn as16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(AS_TRANS)
}
