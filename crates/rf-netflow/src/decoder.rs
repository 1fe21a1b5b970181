//! The stateful decoder: dispatches datagrams by version, keeps exporters and templates, holds
//! data sets that arrive before their template, applies sampling and counts everything.

use std::collections::VecDeque;
use std::net::IpAddr;

use rf_format::native::ColumnSet;
use rf_format::record::{FLAG_EVENT, FLAG_SAMPLED};
use rf_format::{ExporterInfo, FlowRecord, ext_id};

use crate::cursor::{slice, u16_at, u32_at};
use crate::error::DecodeError;
use crate::exporter::{Exporter, ExporterKey, ExporterStats, Exporters};
use crate::fields::{self, Pending, TimeBase};
use crate::template::{self, Kind, Parsed, Proto, Template};
use crate::{ie, v5};

/// Decoder settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// nfcapd `-s`: sampling rate used when an exporter announces none; negative forces
    /// `|rate|` over any announced rate. 1 = unsampled.
    pub sampling: i64,
    /// Most data sets held while waiting for their template.
    pub max_held_sets: usize,
    /// Most bytes held while waiting for templates.
    pub max_held_bytes: usize,
    /// How long a held set waits for its template (ms of receive time).
    pub held_ttl_ms: u64,
    /// Most templates kept for all exporters together.
    pub max_templates: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sampling: 1,
            max_held_sets: 1024,
            max_held_bytes: 4 << 20,
            held_ttl_ms: 60_000,
            max_templates: template::MAX_TEMPLATES,
        }
    }
}

/// Decoder-wide counters (all exporters, plus datagrams no exporter could be found for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Datagrams given to [`Decoder::decode`].
    pub packets: u64,
    /// Flow records produced.
    pub flows: u64,
    /// Datagrams (or parts) that failed to decode.
    pub bad_packets: u64,
    /// Data sets held because their template was not known yet.
    pub held_sets: u64,
    /// Held data sets later decoded.
    pub held_decoded: u64,
    /// Held data sets dropped (expired or over the memory bound).
    pub held_dropped: u64,
    /// Data sets skipped for other reasons (reserved set ids).
    pub skipped_sets: u64,
}

/// A data set waiting for its template.
#[derive(Debug)]
struct Held {
    exporter: usize,
    template: u16,
    data: Vec<u8>,
    received_ms: u64,
    time: TimeBase,
    proto: Proto,
    from: IpAddr,
}

/// NetFlow v1/v5/v7/v9 and IPFIX decoder for one collector.
#[derive(Debug)]
pub struct Decoder {
    cfg: Config,
    exporters: Exporters,
    templates: template::Store,
    held: VecDeque<Held>,
    held_bytes: usize,
    counters: Counters,
    /// The columns the records of the last `decode` call may hold values in (`None`: not
    /// tracked, as for NetFlow v1/v5/v7).
    columns: Option<ColumnSet>,
}

/// Normalises an IPv4-mapped IPv6 source (dual-stack socket) to IPv4.
pub fn canonical_ip(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
        v4 => v4,
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(Config::default())
    }
}

impl Decoder {
    /// A decoder with no exporters or templates yet.
    pub fn new(cfg: Config) -> Self {
        Decoder {
            templates: template::Store::with_limit(cfg.max_templates),
            cfg,
            exporters: Exporters::default(),
            held: VecDeque::new(),
            held_bytes: 0,
            counters: Counters::default(),
            columns: None,
        }
    }

    /// A set of columns holding every non-default value of the records the last
    /// [`Decoder::decode`] call appended (from their templates; a superset), for
    /// `Writer::write_in`. `None` when not tracked (NetFlow v1/v5/v7).
    pub fn columns(&self) -> Option<ColumnSet> {
        self.columns
    }

    /// Decoder-wide counters.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// All exporters seen so far.
    pub fn exporters(&self) -> &[Exporter] {
        self.exporters.all()
    }

    /// Sum of all exporters' running counters.
    pub fn exporter_totals(&self) -> ExporterStats {
        self.exporters.totals()
    }

    /// Number of templates held.
    pub fn template_count(&self) -> usize {
        self.templates.len()
    }

    /// Exporter infos with the counters of the current period (one output file), then resets
    /// the period counters. Exporters silent during the period are included only if `all`.
    pub fn take_period(&mut self, all: bool) -> Vec<ExporterInfo> {
        let mut v = Vec::new();
        for e in self.exporters.all_mut() {
            if all || e.period.packets > 0 {
                v.push(e.info());
            }
            e.period = ExporterStats::default();
        }
        v
    }

    /// Decodes one datagram received from `from` at `received_ms`, appending flow records to
    /// `out`. Returns the number of records appended. On error the records decoded before the
    /// bad part stay in `out`, and the datagram is counted as bad.
    pub fn decode(
        &mut self,
        pkt: &[u8],
        from: IpAddr,
        received_ms: u64,
        out: &mut Vec<FlowRecord>,
    ) -> Result<usize, DecodeError> {
        self.counters.packets += 1;
        let from = canonical_ip(from);
        let before = out.len();
        let mut exporter = None;
        self.columns = Some(ColumnSet::EMPTY);
        let res = match u16_at(pkt, 0, "netflow header") {
            Ok(1 | 5 | 7) => {
                self.columns = None;
                self.decode_v5(pkt, from, received_ms, out, &mut exporter)
            }
            Ok(9) => self.decode_v9(pkt, from, received_ms, out, &mut exporter),
            Ok(10) => self.decode_ipfix(pkt, from, received_ms, out, &mut exporter),
            Ok(v) => Err(DecodeError::Version(v)),
            Err(e) => Err(e),
        };
        let n = out.len() - before;
        self.counters.flows += n as u64;
        if res.is_err() {
            self.counters.bad_packets += 1;
        }
        if let Some(e) = exporter.and_then(|i| self.exporters.get_mut(i)) {
            e.count(|s| {
                s.flows += n as u64;
                if res.is_err() {
                    s.bad_packets += 1;
                }
            });
        }
        res.map(|()| n)
    }

    fn exporter(&mut self, key: ExporterKey) -> Result<usize, DecodeError> {
        let (i, _new) = self
            .exporters
            .get_or_add(key)
            .ok_or(DecodeError::Limit("exporters"))?;
        if let Some(e) = self.exporters.get_mut(i) {
            e.count(|s| s.packets += 1);
        }
        Ok(i)
    }

    /// Sampling rate to apply for a record: nfcapd's order is forced rate, sampler id, exporter
    /// rate, default rate. An announced rate of 1 counts as none, so `-s` still applies (as
    /// nfcapd 1.7.1 does with softflowd, which announces interval 1 in its options).
    fn rate(cfg: &Config, exporters: &Exporters, exp: usize, selector: Option<u64>) -> u32 {
        let dflt = u32::try_from(cfg.sampling.unsigned_abs())
            .unwrap_or(u32::MAX)
            .max(1);
        if cfg.sampling < 0 {
            return dflt;
        }
        let Some(e) = exporters.get(exp) else {
            return dflt;
        };
        selector
            .and_then(|s| e.sampler_rate(s))
            .filter(|&r| r > 1)
            .or(e.generic_rate.filter(|&r| r > 1))
            .unwrap_or(dflt)
    }

    fn base_record(from: IpAddr, received_ms: u64, version: u8, sysid: u16) -> FlowRecord {
        let mut r = FlowRecord {
            nfversion: version,
            received_ms,
            received_ip: from,
            exporter_sysid: sysid,
            exporter_ip: from,
            ..FlowRecord::default()
        };
        r.ext.set(if from.is_ipv4() {
            ext_id::IP_RECEIVED_V4
        } else {
            ext_id::IP_RECEIVED_V6
        });
        r
    }

    fn decode_v5(
        &mut self,
        pkt: &[u8],
        from: IpAddr,
        received_ms: u64,
        out: &mut Vec<FlowRecord>,
        exporter: &mut Option<usize>,
    ) -> Result<(), DecodeError> {
        let h = v5::header(pkt)?;
        let key = ExporterKey {
            addr: from,
            version: h.version,
            id: h.engine_tag(),
        };
        let idx = self.exporter(key)?;
        *exporter = Some(idx);
        if let Some(e) = self.exporters.get_mut(idx) {
            if h.version != 1 {
                e.check_sequence(h.sequence, u32::from(h.count));
            }
            if h.sampling > 0 {
                e.generic_rate = Some(u32::from(h.sampling));
            }
        }
        let rate = Self::rate(&self.cfg, &self.exporters, idx, None);
        let sysid = self.exporters.get(idx).map_or(0, |e| e.sysid);
        let mut base = Self::base_record(from, received_ms, h.version as u8, sysid);
        base.exporter_id = h.engine_tag();
        base.exporter_version = h.version;
        base.sampling_interval = rate;
        v5::records(pkt, &h, rate, &base, out)
    }

    fn decode_v9(
        &mut self,
        pkt: &[u8],
        from: IpAddr,
        received_ms: u64,
        out: &mut Vec<FlowRecord>,
        exporter: &mut Option<usize>,
    ) -> Result<(), DecodeError> {
        let hdr = slice(pkt, 0, 20, "v9 header")?;
        let uptime = u64::from(u32_at(hdr, 4, "v9 header")?);
        let secs = u64::from(u32_at(hdr, 8, "v9 header")?);
        let seq = u32_at(hdr, 12, "v9 header")?;
        let source_id = u32_at(hdr, 16, "v9 header")?;
        let idx = self.exporter(ExporterKey {
            addr: from,
            version: 9,
            id: source_id,
        })?;
        *exporter = Some(idx);
        if let Some(e) = self.exporters.get_mut(idx) {
            e.check_sequence(seq, 1);
        }
        let time = TimeBase {
            export_ms: secs * 1000,
            boot_ms: Some((secs * 1000).wrapping_sub(uptime)),
        };
        let ctx = Ctx {
            exporter: idx,
            proto: Proto::V9,
            from,
            received_ms,
            time,
        };
        self.sets(pkt, 20, &ctx, out).map(|_| ())
    }

    fn decode_ipfix(
        &mut self,
        pkt: &[u8],
        from: IpAddr,
        received_ms: u64,
        out: &mut Vec<FlowRecord>,
        exporter: &mut Option<usize>,
    ) -> Result<(), DecodeError> {
        let hdr = slice(pkt, 0, 16, "IPFIX header")?;
        let len = usize::from(u16_at(hdr, 2, "IPFIX header")?);
        let export = u64::from(u32_at(hdr, 4, "IPFIX header")?);
        let seq = u32_at(hdr, 8, "IPFIX header")?;
        let domain = u32_at(hdr, 12, "IPFIX header")?;
        if len < 16 {
            return Err(DecodeError::Invalid {
                what: "IPFIX message length",
                offset: 2,
            });
        }
        let pkt = slice(pkt, 0, len, "IPFIX message")?;
        let idx = self.exporter(ExporterKey {
            addr: from,
            version: 10,
            id: domain,
        })?;
        *exporter = Some(idx);
        let boot = self.exporters.get(idx).and_then(|e| e.sys_init_ms);
        let ctx = Ctx {
            exporter: idx,
            proto: Proto::Ipfix,
            from,
            received_ms,
            time: TimeBase {
                export_ms: export * 1000,
                boot_ms: boot,
            },
        };
        let res = self.sets(pkt, 16, &ctx, out);
        let records = match &res {
            Ok(n) => *n,
            Err(_) => 0,
        };
        if let Some(e) = self.exporters.get_mut(idx) {
            e.check_sequence(seq, u32::try_from(records).unwrap_or(u32::MAX));
        }
        res.map(|_| ())
    }

    /// Walks the sets of a v9/IPFIX datagram. Returns the number of data records seen (flow and
    /// options), which IPFIX sequence numbers count.
    fn sets(
        &mut self,
        pkt: &[u8],
        mut off: usize,
        ctx: &Ctx,
        out: &mut Vec<FlowRecord>,
    ) -> Result<usize, DecodeError> {
        let (tmpl_set, opt_set, min_data) = match ctx.proto {
            Proto::V9 => (
                ie::v9::TEMPLATE_SET,
                ie::v9::OPTIONS_TEMPLATE_SET,
                ie::v9::MIN_DATA_SET,
            ),
            Proto::Ipfix => (
                ie::ipfix::TEMPLATE_SET,
                ie::ipfix::OPTIONS_TEMPLATE_SET,
                ie::ipfix::MIN_DATA_SET,
            ),
        };
        let mut records = 0usize;
        let mut first_err = None;
        // v9 pads datagrams; fewer than 4 bytes left cannot be a set.
        while pkt.len().saturating_sub(off) >= 4 {
            let id = u16_at(pkt, off, "set header")?;
            let len = usize::from(u16_at(pkt, off + 2, "set header")?);
            if len < 4 {
                return Err(DecodeError::Invalid {
                    what: "set length",
                    offset: off + 2,
                });
            }
            let body = slice(pkt, off + 4, len - 4, "set")?;
            let base = off + 4;
            if id == tmpl_set || id == opt_set {
                // A bad template set spoils only itself: its length is known, so the sets
                // after it are still decoded (nfcapd does the same).
                if let Err(e) = self.templates_set(body, base, ctx, id == opt_set) {
                    first_err.get_or_insert(e);
                }
                self.release_held(ctx.exporter, out);
            } else if id >= min_data {
                records += self.data_set(id, body, ctx, out);
            } else {
                self.counters.skipped_sets += 1;
            }
            off += len;
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(records),
        }
    }

    /// Applies the records of a template set in order. A record identical to the stored
    /// template (exporters resend templates often) is skipped without parsing. Records before
    /// a bad one are applied; the error is returned.
    fn templates_set(
        &mut self,
        body: &[u8],
        base: usize,
        ctx: &Ctx,
        options: bool,
    ) -> Result<(), DecodeError> {
        let mut off = 0usize;
        let mut n = 0usize;
        // Anything shorter than a template header is set padding.
        while let Some(rec) = body.get(off..).filter(|r| r.len() >= 4) {
            let id = u16::from_be_bytes([rec[0], rec[1]]);
            if let Some(used) = self.templates.unchanged(ctx.exporter, id, options, rec) {
                off += used;
            } else {
                let (p, used) = template::parse_record(body, off, base, ctx.proto, options)?;
                off += used;
                match p {
                    Parsed::Add(t) => self.templates.insert(ctx.exporter, t)?,
                    Parsed::Withdraw(id) => self.templates.remove(ctx.exporter, id),
                    Parsed::WithdrawAll => self.templates.remove_all(ctx.exporter, options),
                }
            }
            n += 1;
            if n > template::MAX_TEMPLATES_PER_EXPORTER {
                return Err(DecodeError::Limit("templates in one set"));
            }
        }
        Ok(())
    }

    /// Decodes a data set, or holds it when its template is unknown. Returns records seen.
    fn data_set(&mut self, id: u16, body: &[u8], ctx: &Ctx, out: &mut Vec<FlowRecord>) -> usize {
        // The template is used where it is stored (no reference count taken per set: with
        // a template before every data set, as nfreplay sends, that cost 4 % of decoding).
        let Some(t) = self.templates.find(ctx.exporter, id) else {
            self.hold(id, body, ctx);
            return 0;
        };
        self.columns = self.columns.map(|c| c.union(t.columns));
        Self::decode_records(&self.cfg, &mut self.exporters, t, body, ctx, out)
    }

    fn hold(&mut self, id: u16, body: &[u8], ctx: &Ctx) {
        self.counters.held_sets += 1;
        self.expire_held(ctx.received_ms);
        while !self.held.is_empty()
            && (self.held.len() >= self.cfg.max_held_sets
                || self.held_bytes + body.len() > self.cfg.max_held_bytes)
        {
            if let Some(h) = self.held.pop_front() {
                self.held_bytes -= h.data.len();
                self.counters.held_dropped += 1;
            }
        }
        if body.len() > self.cfg.max_held_bytes || self.cfg.max_held_sets == 0 {
            self.counters.held_dropped += 1;
            return;
        }
        self.held_bytes += body.len();
        self.held.push_back(Held {
            exporter: ctx.exporter,
            template: id,
            data: body.to_vec(),
            received_ms: ctx.received_ms,
            time: ctx.time,
            proto: ctx.proto,
            from: ctx.from,
        });
    }

    fn expire_held(&mut self, now_ms: u64) {
        while let Some(h) = self.held.front() {
            if now_ms.saturating_sub(h.received_ms) <= self.cfg.held_ttl_ms {
                break;
            }
            if let Some(h) = self.held.pop_front() {
                self.held_bytes -= h.data.len();
                self.counters.held_dropped += 1;
            }
        }
    }

    /// Decodes held sets of `exporter` whose template is now known.
    fn release_held(&mut self, exporter: usize, out: &mut Vec<FlowRecord>) {
        if self.held.is_empty() {
            return;
        }
        let mut keep = VecDeque::with_capacity(self.held.len());
        while let Some(h) = self.held.pop_front() {
            let t = (h.exporter == exporter)
                .then(|| self.templates.get(exporter, h.template))
                .flatten();
            match t {
                Some(t) => {
                    self.held_bytes -= h.data.len();
                    self.counters.held_decoded += 1;
                    let ctx = Ctx {
                        exporter: h.exporter,
                        proto: h.proto,
                        from: h.from,
                        received_ms: h.received_ms,
                        time: h.time,
                    };
                    // Released records are counted as flows of the datagram that carried the
                    // template (decode() counts everything appended to `out`).
                    self.columns = self.columns.map(|c| c.union(t.columns));
                    Self::decode_records(&self.cfg, &mut self.exporters, &t, &h.data, &ctx, out);
                }
                None => keep.push_back(h),
            }
        }
        self.held = keep;
    }

    /// Decodes every record of a data set with template `t`. Returns the records seen.
    fn decode_records(
        cfg: &Config,
        exporters: &mut Exporters,
        t: &Template,
        body: &[u8],
        ctx: &Ctx,
        out: &mut Vec<FlowRecord>,
    ) -> usize {
        if t.min_len == 0 {
            return 0;
        }
        let sysid = exporters.get(ctx.exporter).map_or(0, |e| e.sysid);
        let version = if ctx.proto == Proto::V9 { 9 } else { 10 };
        let mut base = Self::base_record(ctx.from, ctx.received_ms, version, sysid);
        if let Some(e) = exporters.get(ctx.exporter) {
            base.exporter_id = e.key.id;
            base.exporter_version = e.key.version;
            if ctx.proto == Proto::V9 {
                // nfcapd 1.7.1 takes engine type/id from the v9 source id (verified: source id
                // 0x00030102 gives type 1, id 2); IPFIX records keep 0.
                base.engine_type = (e.key.id >> 8) as u8;
                base.engine_id = e.key.id as u8;
            }
        }
        base.ext.0 |= t.ext.0;
        if t.event {
            base.flags |= FLAG_EVENT;
        }
        if ctx.proto == Proto::Ipfix && t.ext.has(ext_id::OBSERVATION) {
            base.obs_domain_id = base.exporter_id;
        }
        let mut off = 0usize;
        let mut seen = 0usize;
        let options = matches!(t.kind, Kind::Options { .. });
        // Options records may change the exporter's boot time, but never within a data set.
        let mut time = ctx.time;
        if ctx.proto == Proto::Ipfix
            && let Some(e) = exporters.get(ctx.exporter)
        {
            time.boot_ms = e.sys_init_ms.or(time.boot_ms);
        }
        // Remaining bytes shorter than one record are set padding.
        while body.len().saturating_sub(off) >= t.min_len {
            let mut p = Pending::default();
            if options {
                let mut r = base.clone();
                let Some(used) = read_record(t, &body[off..], &mut r, &mut p) else {
                    break;
                };
                off += used;
                seen += 1;
                Self::options_record(exporters, ctx.exporter, &p);
                continue;
            }
            // The record is filled in its slot of `out` (not built elsewhere and moved there).
            out.push(base.clone());
            let Some(r) = out.last_mut() else { break };
            let Some(used) = read_record(t, &body[off..], r, &mut p) else {
                out.pop();
                break;
            };
            off += used;
            seen += 1;
            fields::finish(r, &p, &time);
            if r.ext.has(ext_id::CNT_FLOW) && r.flows == 0 {
                r.flows = 1;
            }
            let rate = Self::rate(cfg, exporters, ctx.exporter, p.selector);
            r.sampling_interval = rate;
            if rate > 1 {
                let m = u64::from(rate);
                r.in_packets = r.in_packets.saturating_mul(m);
                r.in_bytes = r.in_bytes.saturating_mul(m);
                r.out_packets = r.out_packets.saturating_mul(m);
                r.out_bytes = r.out_bytes.saturating_mul(m);
                r.flags |= FLAG_SAMPLED;
            }
        }
        seen
    }

    /// Takes sampling and time information from an options data record.
    fn options_record(exporters: &mut Exporters, exporter: usize, p: &Pending) {
        let Some(e) = exporters.get_mut(exporter) else {
            return;
        };
        if let Some(t) = p.sys_init_ms {
            e.sys_init_ms = Some(t);
        }
        let rate = match (p.packet_interval, p.packet_space, p.sampling_interval) {
            (Some(pi), Some(sp), _) if pi > 0 => Some(pi.saturating_add(sp) / pi),
            (_, _, Some(si)) if si > 0 => Some(si),
            _ => None,
        };
        let Some(rate) = rate.map(|r| u32::try_from(r).unwrap_or(u32::MAX)) else {
            return;
        };
        match p.selector {
            Some(id) => e.set_sampler(id, rate),
            None => e.generic_rate = Some(rate),
        }
    }
}

/// Per-datagram context for set decoding.
#[derive(Clone, Copy, Debug)]
struct Ctx {
    exporter: usize,
    proto: Proto,
    from: IpAddr,
    received_ms: u64,
    time: TimeBase,
}

/// Reads one record; returns the bytes it used, or `None` when it does not fit.
fn read_record(t: &Template, b: &[u8], r: &mut FlowRecord, p: &mut Pending) -> Option<usize> {
    if !t.varlen {
        // Fixed layout: one bounds check for the record, then every field in place.
        let mut rec = b.get(..t.min_len)?;
        for s in &t.plan {
            let (v, rest) = rec.split_at_checked(usize::from(s.len))?;
            fields::exec(s.op, v, r, p);
            rec = rest;
        }
        return Some(t.min_len);
    }
    let mut off = 0usize;
    for s in &t.plan {
        let len = if s.len == ie::VARLEN {
            let first = *b.get(off)?;
            off += 1;
            if first == 255 {
                let l = u16::from_be_bytes([*b.get(off)?, *b.get(off + 1)?]);
                off += 2;
                usize::from(l)
            } else {
                usize::from(first)
            }
        } else {
            usize::from(s.len)
        };
        let v = b.get(off..off.checked_add(len)?)?;
        off += len;
        fields::exec(s.op, v, r, p);
    }
    Some(off)
}
