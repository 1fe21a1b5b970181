//! The exporter, sampler and (layout 1) extension-map tables of an nfdump file, and how they
//! are joined into flow records.
//!
//! nfcapd writes ExporterInfo (type 7), SamplerRecord (15) / SamplerLegacy (9) and ExporterStat
//! (8) records into the data blocks next to the flows; flows only carry the exporter's sysid.
//! Layout 1 files additionally describe each record's optional fields through ExtensionMap
//! records (type 2) that precede the records using them, possibly in an earlier block.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::bytes::{arr, u16_at, u32_at, u64_at};
use crate::error::{Error, Result};
use crate::file::ExporterInfo;
use crate::record::{FlowRecord, ext_id};

/// One sampler definition (SamplerRecord, or a converted SamplerLegacy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sampler {
    sysid: u16,
    /// Selector id from the exporter, or −1 generic, −2 default, −3 overwrite.
    id: i64,
    packet_interval: u32,
    space_interval: u32,
}

impl Sampler {
    /// The packet sampling rate it describes: `(packet + space) / packet`.
    fn rate(&self) -> u32 {
        if self.packet_interval == 0 {
            return 1;
        }
        self.packet_interval.saturating_add(self.space_interval) / self.packet_interval
    }
}

/// Exporters, samplers and extension maps known so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tables {
    pub(crate) exporters: Vec<ExporterInfo>,
    samplers: Vec<Sampler>,
    /// Layout 1 extension maps: (map id, extension ids in record order).
    maps: Vec<(u16, Vec<u16>)>,
}

/// Record types this module consumes.
pub(crate) const TYPE_EXTENSION_MAP: u16 = 2;
pub(crate) const TYPE_EXPORTER_INFO: u16 = 7;
pub(crate) const TYPE_EXPORTER_STAT: u16 = 8;
pub(crate) const TYPE_SAMPLER_LEGACY: u16 = 9;
pub(crate) const TYPE_SAMPLER: u16 = 15;

/// Maximum extension ids a layout 1 map may list (the 1.6 table has fewer than 64).
const MAX_MAP_IDS: usize = 64;

impl Tables {
    /// Consumes one table record (`rec` is the whole record, header included) found at file
    /// offset `offset`. Other record types are ignored.
    pub(crate) fn add_record(&mut self, rtype: u16, rec: &[u8], offset: u64) -> Result<()> {
        let short = || Error::corrupt(offset, format!("record type {rtype} too short"));
        match rtype {
            TYPE_EXPORTER_INFO => {
                // nfdump ignores ExporterInfo records of another size.
                if rec.len() != 32 {
                    return Ok(());
                }
                let version = u32_at(rec, 4).ok_or_else(short)?;
                let family = u16_at(rec, 24).ok_or_else(short)?;
                let sysid = u16_at(rec, 26).ok_or_else(short)?;
                let id = u32_at(rec, 28).ok_or_else(short)?;
                let ip = exporter_ip(rec, family).ok_or_else(short)?;
                let info = ExporterInfo {
                    sysid,
                    version,
                    ip,
                    id,
                    sampling_interval: 1,
                    packets: 0,
                    flows: 0,
                    sequence_failures: 0,
                };
                match self.exporters.iter_mut().find(|e| e.sysid == sysid) {
                    // A re-announcement keeps counters already attached from a stat record.
                    Some(e) => {
                        e.version = info.version;
                        e.ip = info.ip;
                        e.id = info.id;
                    }
                    None => self.exporters.push(info),
                }
                self.refresh_intervals();
            }
            TYPE_EXPORTER_STAT => {
                let count = u32_at(rec, 4).ok_or_else(short)?;
                // Bound the entry count by the record's own size, never by the stored number.
                let fits = rec.len().saturating_sub(8) / 24;
                if usize::try_from(count).map_or(true, |c| c > fits) {
                    return Err(Error::corrupt(offset, "exporter stat count exceeds record"));
                }
                for i in 0..fits.min(count as usize) {
                    let o = 8 + 24 * i;
                    let sysid = u32_at(rec, o).ok_or_else(short)?;
                    let seq = u32_at(rec, o + 4).ok_or_else(short)?;
                    let packets = u64_at(rec, o + 8).ok_or_else(short)?;
                    let flows = u64_at(rec, o + 16).ok_or_else(short)?;
                    if let Some(e) = self
                        .exporters
                        .iter_mut()
                        .find(|e| u32::from(e.sysid) == sysid)
                    {
                        e.packets = e.packets.wrapping_add(packets);
                        e.flows = e.flows.wrapping_add(flows);
                        e.sequence_failures = e.sequence_failures.wrapping_add(seq);
                    }
                }
            }
            TYPE_SAMPLER => {
                let s = Sampler {
                    sysid: u16_at(rec, 4).ok_or_else(short)?,
                    id: arr(rec, 8).map(i64::from_le_bytes).ok_or_else(short)?,
                    packet_interval: u32_at(rec, 16).ok_or_else(short)?,
                    space_interval: u32_at(rec, 20).ok_or_else(short)?,
                };
                self.add_sampler(s);
            }
            TYPE_SAMPLER_LEGACY => {
                // nfdump converts samplerV0 {id, interval, algorithm, sysid} to packet
                // interval 1 and space interval `interval - 1`.
                let id = arr(rec, 4).map(i32::from_le_bytes).ok_or_else(short)?;
                let interval = u32_at(rec, 8).ok_or_else(short)?;
                let s = Sampler {
                    sysid: u16_at(rec, 14).ok_or_else(short)?,
                    id: i64::from(id),
                    packet_interval: 1,
                    space_interval: interval.saturating_sub(1),
                };
                self.add_sampler(s);
            }
            TYPE_EXTENSION_MAP => {
                let map_id = u16_at(rec, 4).ok_or_else(short)?;
                let mut ids = Vec::new();
                let mut o = 8;
                while let Some(id) = u16_at(rec, o) {
                    if id == 0 || ids.len() >= MAX_MAP_IDS {
                        break;
                    }
                    ids.push(id);
                    o += 2;
                }
                match self.maps.iter_mut().find(|(m, _)| *m == map_id) {
                    Some(slot) => slot.1 = ids,
                    None => self.maps.push((map_id, ids)),
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn add_sampler(&mut self, s: Sampler) {
        match self
            .samplers
            .iter_mut()
            .find(|o| o.sysid == s.sysid && o.id == s.id)
        {
            Some(o) => *o = s,
            None => self.samplers.push(s),
        }
        self.refresh_intervals();
    }

    /// Recomputes each exporter's listed sampling interval from its exporter-wide sampler.
    fn refresh_intervals(&mut self) {
        for i in 0..self.exporters.len() {
            let sysid = self.exporters[i].sysid;
            let rate = self.rate_for(sysid, None).unwrap_or(1);
            self.exporters[i].sampling_interval = rate;
        }
    }

    /// Sampling rate for a flow of exporter `sysid` whose EXsamplerInfo names `selector`.
    /// The overwrite sampler (−3) wins, then the named selector, then generic (−1) and
    /// default (−2), like nfcapd's choice when it scaled the counters.
    fn rate_for(&self, sysid: u16, selector: Option<i64>) -> Option<u32> {
        let find = |id: i64| {
            self.samplers
                .iter()
                .find(|s| s.sysid == sysid && s.id == id)
                .map(Sampler::rate)
        };
        find(-3)
            .or_else(|| selector.and_then(find))
            .or_else(|| find(-1))
            .or_else(|| find(-2))
    }

    /// The extension ids of layout 1 map `id`.
    pub(crate) fn map(&self, id: u16) -> Option<&[u16]> {
        self.maps
            .iter()
            .find(|(m, _)| *m == id)
            .map(|(_, ids)| ids.as_slice())
    }

    /// Fills the exporter fields of `r` from its sysid. Returns false when the exporter is
    /// not known to this table.
    pub(crate) fn join(&self, r: &mut FlowRecord) -> bool {
        let Some(e) = self.exporters.iter().find(|e| e.sysid == r.exporter_sysid) else {
            return false;
        };
        r.exporter_ip = e.ip;
        r.exporter_id = e.id;
        r.exporter_version = u16::try_from(e.version).unwrap_or(u16::MAX);
        let selector = r
            .ext
            .has(ext_id::SAMPLER_INFO)
            .then(|| i64::try_from(r.sampler_id).unwrap_or(i64::MAX));
        r.sampling_interval = self.rate_for(e.sysid, selector).unwrap_or(1);
        true
    }
}

/// Decodes the 16 address bytes of an ExporterInfo record (at record offset 8) in either
/// encoding: 1.7.0–1.7.7 store the family at offset 24 and the address as host-order u64
/// halves; 1.7.8 stores 0 there and the address in network order (`::ffff:` for IPv4).
fn exporter_ip(rec: &[u8], family: u16) -> Option<IpAddr> {
    const AF_INET: u16 = 2;
    if family == AF_INET {
        return Some(IpAddr::V4(Ipv4Addr::from(u32_at(rec, 16)?)));
    }
    if family != 0 {
        return Some(IpAddr::V6(super::bytes::ipv6_at(rec, 8)?));
    }
    let raw: [u8; 16] = arr(rec, 8)?;
    let v6 = Ipv6Addr::from(raw);
    Some(match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exporter_record(ip: [u8; 16], family: u16) -> Vec<u8> {
        let mut r = vec![7, 0, 32, 0, 10, 0, 0, 0];
        r.extend_from_slice(&ip);
        r.extend_from_slice(&family.to_le_bytes());
        r.extend_from_slice(&1u16.to_le_bytes());
        r.extend_from_slice(&5u32.to_le_bytes());
        r
    }

    #[test]
    fn both_exporter_encodings() {
        let mut old = [0u8; 16];
        old[8..12].copy_from_slice(&[1, 0, 0, 127]);
        let mut t = Tables::default();
        t.add_record(7, &exporter_record(old, 2), 0).unwrap();
        assert_eq!(t.exporters[0].ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        let mut new = [0u8; 16];
        new[10..].copy_from_slice(&[0xff, 0xff, 127, 0, 0, 1]);
        let mut t = Tables::default();
        t.add_record(7, &exporter_record(new, 0), 0).unwrap();
        assert_eq!(t.exporters[0].ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!((t.exporters[0].id, t.exporters[0].version), (5, 10));
    }

    #[test]
    fn sampler_rates_and_join() {
        let mut t = Tables::default();
        let mut ip = [0u8; 16];
        ip[8] = 1;
        t.add_record(7, &exporter_record(ip, 2), 0).unwrap();
        // SamplerLegacy: id -1, interval 100, algorithm 1, sysid 1.
        let mut s = vec![9, 0, 16, 0];
        s.extend_from_slice(&(-1i32).to_le_bytes());
        s.extend_from_slice(&100u32.to_le_bytes());
        s.extend_from_slice(&[1, 0, 1, 0]);
        t.add_record(9, &s, 0).unwrap();
        assert_eq!(t.exporters[0].sampling_interval, 100);
        let mut r = FlowRecord {
            exporter_sysid: 1,
            ..FlowRecord::default()
        };
        assert!(t.join(&mut r));
        assert_eq!((r.sampling_interval, r.exporter_id), (100, 5));
        r.exporter_sysid = 2;
        assert!(!t.join(&mut r));
    }

    #[test]
    fn stat_count_is_bounded() {
        let mut t = Tables::default();
        let mut s = vec![8, 0, 32, 0];
        s.extend_from_slice(&1000u32.to_le_bytes());
        s.extend_from_slice(&[0; 24]);
        assert!(t.add_record(8, &s, 9).is_err());
    }
}
