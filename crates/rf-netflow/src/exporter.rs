//! Exporters as the collector sees them: one per (source address, protocol version, source id /
//! observation domain / engine tag), each with an nfdump-style sysid, packet/flow/sequence
//! counters and the sampling state its options records announced.

use std::collections::HashMap;
use std::net::IpAddr;

use rf_format::ExporterInfo;

/// Identity of an exporter: nfcapd keys exporters the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExporterKey {
    /// Source address of the export packets.
    pub addr: IpAddr,
    /// NetFlow version (1, 5, 7, 9, 10).
    pub version: u16,
    /// v5/v7 engine tag, v9 source id, IPFIX observation domain (v1: 0).
    pub id: u32,
}

/// Counters kept per exporter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExporterStats {
    /// Export datagrams received.
    pub packets: u64,
    /// Flow records decoded.
    pub flows: u64,
    /// Sequence number gaps (or jumps backwards).
    pub sequence_failures: u64,
    /// Datagrams (or sets) that could not be decoded.
    pub bad_packets: u64,
}

impl ExporterStats {
    fn add(&mut self, o: &ExporterStats) {
        self.packets += o.packets;
        self.flows += o.flows;
        self.sequence_failures += o.sequence_failures;
        self.bad_packets += o.bad_packets;
    }
}

/// Most samplers an exporter may announce; more are ignored (hostile options flood).
const MAX_SAMPLERS: usize = 256;

/// One exporter and its state.
#[derive(Clone, Debug)]
pub struct Exporter {
    /// Identity.
    pub key: ExporterKey,
    /// nfdump sysid (1..=65535) written into every record from this exporter.
    pub sysid: u16,
    /// Counters since the collector started.
    pub total: ExporterStats,
    /// Counters since the last [`crate::Decoder::take_period`] (one output file).
    pub period: ExporterStats,
    /// Sampling rate announced for the whole exporter (v5 header, options without sampler id).
    pub generic_rate: Option<u32>,
    /// Sampling rate per sampler / selector id.
    pub(crate) samplers: HashMap<u64, u32>,
    /// IPFIX systemInitTimeMilliseconds from an options record.
    pub(crate) sys_init_ms: Option<u64>,
    /// Last sequence number seen and how far the next one should be from it.
    pub(crate) last_seq: Option<u32>,
    pub(crate) seq_step: u32,
}

impl Exporter {
    pub(crate) fn new(key: ExporterKey, sysid: u16) -> Self {
        Exporter {
            key,
            sysid,
            total: ExporterStats::default(),
            period: ExporterStats::default(),
            generic_rate: None,
            samplers: HashMap::new(),
            sys_init_ms: None,
            last_seq: None,
            seq_step: 0,
        }
    }

    /// Checks a header sequence number: `step` is how far the next number should be from this
    /// one (v5: record count, v9: 1, IPFIX: data record count). Counts a failure on mismatch.
    pub(crate) fn check_sequence(&mut self, seq: u32, next_step: u32) {
        if let Some(last) = self.last_seq
            && seq.wrapping_sub(last) != self.seq_step
        {
            self.count(|s| s.sequence_failures += 1);
        }
        self.last_seq = Some(seq);
        self.seq_step = next_step;
    }

    /// Adds to both the running and the per-file counters.
    pub(crate) fn count(&mut self, f: impl Fn(&mut ExporterStats)) {
        f(&mut self.total);
        f(&mut self.period);
    }

    /// Records a sampler's rate (bounded number of samplers).
    pub(crate) fn set_sampler(&mut self, id: u64, rate: u32) {
        if self.samplers.len() < MAX_SAMPLERS || self.samplers.contains_key(&id) {
            self.samplers.insert(id, rate);
        }
    }

    /// Rate announced by sampler `id`, if any.
    pub fn sampler_rate(&self, id: u64) -> Option<u32> {
        self.samplers.get(&id).copied()
    }

    /// The exporter as stored in a flow file, with the per-file counters.
    pub fn info(&self) -> ExporterInfo {
        ExporterInfo {
            sysid: self.sysid,
            version: u32::from(self.key.version),
            ip: self.key.addr,
            id: self.key.id,
            sampling_interval: self.generic_rate.unwrap_or(1),
            packets: self.period.packets,
            flows: self.period.flows,
            sequence_failures: u32::try_from(self.period.sequence_failures).unwrap_or(u32::MAX),
        }
    }
}

/// All exporters, indexed by key and by sysid.
#[derive(Debug, Default)]
pub(crate) struct Exporters {
    by_key: HashMap<ExporterKey, u16>,
    list: Vec<Exporter>,
    /// The exporter of the previous datagram: usually the next one comes from it too, and
    /// this spares hashing its key for every datagram.
    last: Option<(ExporterKey, u16)>,
}

impl Exporters {
    /// Index of the exporter for `key`, creating it (next sysid) when new. `None` when all
    /// 65535 sysids are taken.
    pub(crate) fn get_or_add(&mut self, key: ExporterKey) -> Option<(usize, bool)> {
        if let Some((k, sysid)) = self.last
            && k == key
        {
            return Some((usize::from(sysid) - 1, false));
        }
        if let Some(&sysid) = self.by_key.get(&key) {
            self.last = Some((key, sysid));
            return Some((usize::from(sysid) - 1, false));
        }
        let sysid = u16::try_from(self.list.len() + 1).ok()?;
        self.by_key.insert(key, sysid);
        self.last = Some((key, sysid));
        self.list.push(Exporter::new(key, sysid));
        Some((self.list.len() - 1, true))
    }

    pub(crate) fn get_mut(&mut self, idx: usize) -> Option<&mut Exporter> {
        self.list.get_mut(idx)
    }

    pub(crate) fn get(&self, idx: usize) -> Option<&Exporter> {
        self.list.get(idx)
    }

    pub(crate) fn all(&self) -> &[Exporter] {
        &self.list
    }

    pub(crate) fn all_mut(&mut self) -> &mut [Exporter] {
        &mut self.list
    }

    /// Sum of the running counters of every exporter.
    pub(crate) fn totals(&self) -> ExporterStats {
        let mut t = ExporterStats::default();
        for e in &self.list {
            t.add(&e.total);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key(id: u32) -> ExporterKey {
        ExporterKey {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            version: 9,
            id,
        }
    }

    #[test]
    fn sysids_are_sequential_and_stable() {
        let mut ex = Exporters::default();
        assert_eq!(ex.get_or_add(key(0)), Some((0, true)));
        assert_eq!(ex.get_or_add(key(7)), Some((1, true)));
        assert_eq!(ex.get_or_add(key(0)), Some((0, false)));
        assert_eq!(ex.get(1).map(|e| e.sysid), Some(2));
    }

    #[test]
    fn sequence_gaps_counted() {
        let mut e = Exporter::new(key(0), 1);
        e.check_sequence(10, 1);
        e.check_sequence(11, 1);
        e.check_sequence(13, 1);
        e.check_sequence(u32::MAX, 1);
        e.check_sequence(0, 1);
        assert_eq!(e.total.sequence_failures, 2);
        assert_eq!(e.period.sequence_failures, 2);
    }
}
