//! The collector core: routes each datagram to its flow source, decodes it and writes the
//! records into the source's file for the current time slot, rotating files at slot ends.
//!
//! Time is passed in by the caller (UNIX seconds), so rotation is testable without waiting.
//! Every failure to write is reported and retried: records of the current slot are kept (up to
//! a bound) so a file that could not be created or finished can be written again later, and
//! the collector never exits because a disk is full or a directory is not writable. While the
//! file is open its writer keeps them, as the compressed blocks it wrote (about 25 bytes a
//! flow); only while no file can be open are they held as records, in the journal.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rf_format::native::{ColumnSet, Writer, WriterOptions};
use rf_format::{Compression, ExporterInfo, FlowRecord};
use rf_netflow::{Config as DecoderConfig, Decoder, canonical_ip};
use rf_store::{Layout, NameStyle, layout, naming};

use crate::hooks;
use crate::log::Log;
use crate::metrics::Metrics;

/// Records of one slot kept in memory so a failed file can be rewritten: about 1.6 MB of
/// compressed blocks while the file is open, 47 MB as records once it failed.
pub const JOURNAL_MAX: usize = 65_536;
/// Records kept in total for finished slots whose file still has to be written.
pub const RETRY_MAX: usize = 1_000_000;
/// Most exporters a `-M` source creates directories for (spoofed sources must not exhaust
/// memory or the file system).
pub const MAX_DYNAMIC: usize = 1024;
/// Seconds between attempts to create a file again.
pub const RETRY_SECS: i64 = 5;

/// Which datagrams a source takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// `-w dir`: every exporter into one directory.
    Any,
    /// `-n ident,IP,dir`: only datagrams from this address.
    Fixed(IpAddr),
    /// `-M dir`: one sub-directory per exporter address.
    Dynamic,
}

/// A configured flow source.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    /// Ident stored in files and printed in logs.
    pub ident: String,
    /// Flow directory (for `Dynamic`: the parent of the per-exporter directories).
    pub dir: PathBuf,
    /// Which datagrams it takes.
    pub kind: SourceKind,
}

/// Settings of the collector core.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Rotation interval in seconds.
    pub interval: i64,
    /// `-S` layout.
    pub layout: Layout,
    /// File name style (`-Z`, `-t < 60`).
    pub style: NameStyle,
    /// File compression.
    pub compression: Compression,
    /// Decoder settings (`-s`).
    pub decoder: DecoderConfig,
    /// `-x` command template.
    pub command: Option<String>,
    /// `-e`: expire after each rotation.
    pub expire: bool,
    /// `-v` level.
    pub verbose: u8,
}

/// What an output needs from the collector: settings, the slot, logging and counters.
struct Env {
    settings: Settings,
    slot: i64,
    log: Log,
    metrics: Arc<Metrics>,
}

/// A finished slot whose file could not be written yet.
struct Failed {
    path: PathBuf,
    ident: String,
    records: Vec<FlowRecord>,
    exporters: Vec<ExporterInfo>,
    sequence_failures: u64,
}

/// One output: a flow directory with its own decoder (exporter/sysid table) and current file.
struct Output {
    ident: String,
    dir: PathBuf,
    decoder: Decoder,
    writer: Option<Writer>,
    path: PathBuf,
    /// Packets and bytes (in and out) of the slot's records, for the rotation log line.
    packets: u64,
    bytes: u64,
    /// Records of the slot; nfcapd's "Flows:" counts records, not aggregated flow counts.
    records: u64,
    /// Records of the slot while no file is open (the writer keeps them otherwise).
    journal: Vec<FlowRecord>,
    /// Whether `journal` and the writer's kept blocks hold every record of the slot, so a
    /// rewrite loses nothing.
    journal_complete: bool,
    last_attempt: i64,
    bad_base: u64,
}

/// Start of the slot holding `now` (slots are aligned to the UNIX epoch).
pub fn slot_start(now: i64, interval: i64) -> i64 {
    now - now.rem_euclid(interval.max(1))
}

impl Output {
    /// Adds records to the slot's packet and byte sums (the writer keeps the file's full
    /// statistics; the log line needs only these two).
    fn count(&mut self, recs: &[FlowRecord]) {
        self.add_counts(recs.len(), packets_and_bytes(recs));
    }

    /// Adds `n` records holding `packets` and `bytes` to the slot's sums.
    fn add_counts(&mut self, n: usize, (packets, bytes): (u64, u64)) {
        self.packets = self.packets.wrapping_add(packets);
        self.bytes = self.bytes.wrapping_add(bytes);
        self.records += n as u64;
    }
}

/// Packets and bytes, in and out, of `recs`.
fn packets_and_bytes(recs: &[FlowRecord]) -> (u64, u64) {
    recs.iter().fold((0u64, 0u64), |(p, b), r| {
        (
            p.wrapping_add(r.in_packets).wrapping_add(r.out_packets),
            b.wrapping_add(r.in_bytes).wrapping_add(r.out_bytes),
        )
    })
}

/// How the collector writes the files of source `ident`.
pub fn writer_options(compression: Compression, ident: &str) -> WriterOptions {
    WriterOptions {
        compression,
        ident: ident.to_string(),
        ..WriterOptions::default()
    }
}

impl Env {
    fn writer_options(&self, ident: &str) -> WriterOptions {
        writer_options(self.settings.compression, ident)
    }

    /// Path of the current slot's file under `dir`, creating the sub-directory (falling back
    /// to `dir` itself when that fails, as nfcapd does).
    fn slot_path(&self, dir: &Path) -> PathBuf {
        let p = layout::flow_path(dir, self.settings.layout, self.slot, self.settings.style);
        match p.parent() {
            Some(parent) if std::fs::create_dir_all(parent).is_err() => {
                dir.join(naming::slot_name(self.slot, self.settings.style))
            }
            _ => p,
        }
    }

    /// A new output. `dynamic` ones (`-M`, one per exporter address, possibly spoofed) get
    /// smaller decoder bounds so that [`MAX_DYNAMIC`] of them stay within a few hundred MB.
    fn new_output(&self, ident: String, dir: PathBuf, now: i64, dynamic: bool) -> Output {
        let mut cfg = self.settings.decoder.clone();
        if dynamic {
            cfg.max_templates = 2048;
            cfg.max_held_sets = 64;
            cfg.max_held_bytes = 256 << 10;
        }
        let mut o = Output {
            ident,
            dir,
            decoder: Decoder::new(cfg),
            writer: None,
            path: PathBuf::new(),
            packets: 0,
            bytes: 0,
            records: 0,
            journal: Vec::new(),
            journal_complete: true,
            last_attempt: i64::MIN,
            bad_base: 0,
        };
        o.path = self.slot_path(&o.dir);
        self.open(&mut o, now);
        o
    }

    /// Opens the slot file of `o` and writes the journal into it. An existing file of the
    /// same name (restart within a slot, `-Z` names) is read back first so its flows are
    /// kept, like nfcapd's append.
    fn open(&self, o: &mut Output, now: i64) {
        o.last_attempt = now;
        let mut w = match Writer::create(&o.path, self.writer_options(&o.ident)) {
            Ok(w) => w,
            Err(e) => {
                self.io_error(o, "cannot create flow file", &e);
                return;
            }
        };
        if o.journal_complete {
            w.keep_blocks(JOURNAL_MAX);
        }
        if o.path.exists() {
            match read_file(&o.path) {
                Ok((info, old)) => {
                    for r in &old {
                        let _ = w.write(r);
                    }
                    for e in info.exporters {
                        w.add_exporter(e);
                    }
                    self.log.info(&format!(
                        "Appending to existing file {} ({} flows)",
                        o.path.display(),
                        old.len()
                    ));
                }
                // Only damage moves a file aside: an error reading it (permissions, no
                // memory) says nothing about its contents.
                Err(e) if matches!(e.cause(), rf_format::Error::Io(_)) => {
                    self.log.error(&format!(
                        "cannot read the existing file {} ({e}); it will be replaced",
                        o.path.display()
                    ));
                }
                Err(e) => match move_aside(&o.path) {
                    Ok(to) => self.log.error(&format!(
                        "existing file {} is unreadable ({e}); moved aside to {}",
                        o.path.display(),
                        to.display()
                    )),
                    Err(m) => self.log.error(&format!(
                        "existing file {} is unreadable ({e}) and cannot be moved aside \
                         ({m}); it will be replaced",
                        o.path.display()
                    )),
                },
            }
        }
        for r in &o.journal {
            if let Err(e) = w.write(r) {
                // The journal still holds its records; the new file is dropped.
                self.io_error(o, "write error on", &e);
                return;
            }
        }
        // From here on the writer's kept blocks hold them.
        o.journal = Vec::new();
        o.writer = Some(w);
    }

    /// Drops the file after a write error; its records go back to the journal when the
    /// writer kept them all.
    fn write_failed(&self, o: &mut Output, e: &rf_format::Error) {
        self.io_error(o, "write error on", e);
        if let Some(w) = o.writer.take() {
            self.keep_recovered(o, w.recover());
        }
    }

    /// Makes `recovered` (a failed writer's records) the journal, or marks the slot
    /// incomplete when there are none.
    fn keep_recovered(&self, o: &mut Output, recovered: Option<Vec<FlowRecord>>) {
        match recovered {
            Some(recs) if o.journal_complete => o.journal = recs,
            _ => {
                o.journal = Vec::new();
                o.journal_complete = false;
            }
        }
    }

    /// Logs and counts a failed file operation; the flows stay in memory for a retry.
    fn io_error(&self, o: &Output, what: &str, e: &rf_format::Error) {
        self.log.error(&format!(
            "Ident: {}, {what} {}: {}; keeping flows in memory and retrying",
            o.ident,
            o.path.display(),
            e.cause()
        ));
        Metrics::add(&self.metrics.write_errors, 1);
    }

    /// Writes one record to `o`: into the file (whose writer keeps a compressed copy for a
    /// rewrite), or into the journal while no file is open. `cols`: the columns the record
    /// may hold values in, when the decoder knows them. (While a file is open, `packet`
    /// decodes straight into its writer instead.)
    fn store(&self, o: &mut Output, r: &FlowRecord, cols: Option<&ColumnSet>, now: i64) {
        o.count(std::slice::from_ref(r));
        if let Some(w) = o.writer.as_mut() {
            let written = match cols {
                Some(c) => w.write_in(r, c),
                None => w.write(r),
            };
            if let Err(e) = written {
                self.write_failed(o, &e);
            }
            return;
        }
        if !o.journal_complete || o.journal.len() >= JOURNAL_MAX {
            Metrics::add(&self.metrics.dropped_flows, 1);
            return;
        }
        o.journal.push(r.clone());
        if now.saturating_sub(o.last_attempt) >= RETRY_SECS {
            // open() writes the journal, `r` included.
            self.open(o, now);
        }
    }

    /// Finishes `o`'s file for the ending slot. Returns a failed file to retry, if any.
    fn close(&self, o: &mut Output, now: i64) -> Option<Failed> {
        let exporters = o.decoder.take_period(false);
        let seq: u64 = exporters
            .iter()
            .map(|e| u64::from(e.sequence_failures))
            .sum();
        let bad_total = o.decoder.counters().bad_packets;
        let bad = bad_total - o.bad_base;
        o.bad_base = bad_total;
        self.log.info(&format!(
            "Ident: '{}' Flows: {}, Packets: {}, Bytes: {}, Sequence Errors: {}, Bad Packets: {}",
            o.ident, o.records, o.packets, o.bytes, seq, bad
        ));
        if o.writer.is_none() && o.journal_complete {
            // Last chance to write this slot normally.
            self.open(o, now);
        }
        let mut failed = None;
        match o.writer.take() {
            Some(mut w) => {
                for e in &exporters {
                    w.add_exporter(e.clone());
                }
                w.set_sequence_failures(seq);
                match w.finish_or_recover() {
                    Ok(_) => self.finished(o),
                    Err((e, recovered)) => {
                        self.io_error(o, "cannot finish", &e);
                        self.keep_recovered(o, recovered);
                        failed = self.failed(o, exporters, seq);
                    }
                }
            }
            None => failed = self.failed(o, exporters, seq),
        }
        (o.packets, o.bytes, o.records) = (0, 0, 0);
        o.journal = Vec::new();
        o.journal_complete = true;
        failed
    }

    fn failed(&self, o: &mut Output, exporters: Vec<ExporterInfo>, seq: u64) -> Option<Failed> {
        if !o.journal_complete {
            self.log.error(&format!(
                "Ident: {}, flows of {} lost: more than {JOURNAL_MAX} flows were in the failed file",
                o.ident,
                o.path.display()
            ));
            Metrics::add(&self.metrics.dropped_flows, o.records);
            return None;
        }
        Some(Failed {
            path: o.path.clone(),
            ident: o.ident.clone(),
            records: std::mem::take(&mut o.journal),
            exporters,
            sequence_failures: seq,
        })
    }

    /// After a file is in place: count it, run `-x` and `-e`.
    fn finished(&self, o: &Output) {
        Metrics::add(&self.metrics.files_written, 1);
        readable(&o.path);
        if self.settings.verbose > 0 {
            self.log.info(&format!("Wrote {}", o.path.display()));
        }
        if let Some(cmd) = &self.settings.command {
            let rel = o.path.strip_prefix(&o.dir).unwrap_or(&o.path);
            match hooks::expand(
                cmd,
                &o.dir,
                rel,
                &naming::slot_string(self.slot, self.settings.style),
                self.slot,
                &o.ident,
            ) {
                Ok(argv) => hooks::launch(argv, self.log.clone()),
                Err(e) => self.log.error(&e),
            }
        }
        if self.settings.expire {
            hooks::expire(o.dir.clone(), self.log.clone());
        }
    }
}

/// Makes a finished file world-readable like nfcapd's (the writer's temporary file is 0600).
fn readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
}

/// Every record of a flow file and what the file says about itself.
pub fn read_file(path: &Path) -> rf_format::Result<(rf_format::FileInfo, Vec<FlowRecord>)> {
    let f = rf_format::open(path)?;
    let mut out = Vec::new();
    for i in 0..f.block_count() {
        f.read_block(i, &mut out)?;
    }
    Ok((f.info().clone(), out))
}

/// Writes a complete file in one go (retry of a failed slot).
fn write_file(f: &Failed, opts: WriterOptions) -> rf_format::Result<()> {
    let mut w = Writer::create(&f.path, opts)?;
    for r in &f.records {
        w.write(r)?;
    }
    for e in &f.exporters {
        w.add_exporter(e.clone());
    }
    w.set_sequence_failures(f.sequence_failures);
    w.finish()?;
    readable(&f.path);
    Ok(())
}

/// The collector core.
pub struct Collector {
    env: Env,
    sources: Vec<SourceSpec>,
    /// Outputs of `-w`/`-n` sources, by source index (`None` for a `-M` source).
    fixed: Vec<Option<Output>>,
    /// Outputs of a `-M` source, by exporter address.
    dynamic: HashMap<IpAddr, Output>,
    failed: VecDeque<Failed>,
    failed_records: usize,
    last_retry: i64,
    skipped_from: HashSet<IpAddr>,
    scratch: Vec<FlowRecord>,
}

impl Collector {
    /// A collector whose first slot holds `now`; opens the first files.
    pub fn new(
        settings: Settings,
        sources: Vec<SourceSpec>,
        now: i64,
        log: Log,
        metrics: Arc<Metrics>,
    ) -> Collector {
        let env = Env {
            slot: slot_start(now, settings.interval),
            settings,
            log,
            metrics,
        };
        let fixed = sources
            .iter()
            .map(|s| {
                (s.kind != SourceKind::Dynamic)
                    .then(|| env.new_output(s.ident.clone(), s.dir.clone(), now, false))
            })
            .collect();
        Collector {
            env,
            sources,
            fixed,
            dynamic: HashMap::new(),
            failed: VecDeque::new(),
            failed_records: 0,
            last_retry: now,
            skipped_from: HashSet::new(),
            scratch: Vec::new(),
        }
    }

    /// Flows waiting in memory for a file that could not be written.
    pub fn pending_flows(&self) -> usize {
        self.failed_records
    }

    fn source_for(&self, from: IpAddr) -> Option<usize> {
        self.sources.iter().position(|s| match s.kind {
            SourceKind::Any | SourceKind::Dynamic => true,
            SourceKind::Fixed(ip) => ip == from,
        })
    }

    /// Handles one datagram received from `from` at `now_ms`.
    pub fn packet(&mut self, data: &[u8], from: IpAddr, now_ms: u64) {
        let from = canonical_ip(from);
        let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
        let Some(i) = self.source_for(from) else {
            // Logged once per address; the set is bounded against spoofed floods.
            if self.skipped_from.len() < MAX_DYNAMIC && self.skipped_from.insert(from) {
                self.env
                    .log
                    .info(&format!("Skip UDP packet. Ignored packet from {from}"));
            }
            Metrics::add(&self.env.metrics.ignored_packets, 1);
            return;
        };
        let env = &self.env;
        let o = if self.sources[i].kind == SourceKind::Dynamic {
            if self.dynamic.len() >= MAX_DYNAMIC && !self.dynamic.contains_key(&from) {
                Metrics::add(&self.env.metrics.ignored_packets, 1);
                return;
            }
            let dir = self.sources[i].dir.clone();
            self.dynamic.entry(from).or_insert_with(|| {
                let name = layout::exporter_dir_name(from);
                let sub = dir.join(&name);
                if let Err(e) = std::fs::create_dir_all(&sub) {
                    env.log
                        .error(&format!("cannot create directory {}: {e}", sub.display()));
                }
                env.log.info(&format!(
                    "Add dynamic flow source: ident: {name}, IP: {from}, flowdir: {}",
                    sub.display()
                ));
                env.new_output(name, sub, now, true)
            })
        } else {
            match self.fixed.get_mut(i).and_then(Option::as_mut) {
                Some(o) => o,
                None => return,
            }
        };
        let known = o.decoder.exporters().len();
        let (decoded, flows) = if let Some(w) = o.writer.as_mut() {
            // Decoded straight into the writer's buffer (no copy of each 720-byte record).
            let mut decoded = Ok(0);
            let mut flows = 0;
            let mut sums = (0, 0);
            let written = w.append_with(|buf| {
                let start = buf.len();
                decoded = o.decoder.decode(data, from, now_ms, buf);
                let new = buf.get(start..).unwrap_or_default();
                sums = packets_and_bytes(new);
                flows = new.len();
                o.decoder.columns()
            });
            o.add_counts(flows, sums);
            if let Err(e) = written {
                env.write_failed(o, &e);
            }
            (decoded, flows)
        } else {
            let recs = &mut self.scratch;
            recs.clear();
            let decoded = o.decoder.decode(data, from, now_ms, recs);
            let cols = o.decoder.columns();
            for r in recs.iter() {
                env.store(o, r, cols.as_ref(), now);
            }
            (decoded, recs.len())
        };
        if let Err(e) = decoded {
            Metrics::add(&env.metrics.bad_packets, 1);
            if env.settings.verbose > 0 {
                env.log.error(&format!("Ident: {}, {from}: {e}", o.ident));
            }
        }
        for e in o.decoder.exporters().iter().skip(known) {
            env.log.info(&format!(
                "Process_v{}: New exporter: SysID: {}, Domain: {}, IP: {}",
                e.key.version, e.sysid, e.key.id, e.key.addr
            ));
        }
        Metrics::add(&env.metrics.flows, flows as u64);
    }

    /// Rotates when the slot has ended and retries failed files. Call about once a second.
    pub fn tick(&mut self, now: i64) {
        if now - self.env.slot >= self.env.settings.interval {
            self.rotate(now, false);
        }
        if now - self.last_retry >= RETRY_SECS {
            self.last_retry = now;
            self.retry_failed();
            let env = &self.env;
            for o in self
                .fixed
                .iter_mut()
                .flatten()
                .chain(self.dynamic.values_mut())
            {
                if o.writer.is_none() && o.journal_complete {
                    env.open(o, now);
                }
            }
        }
    }

    /// Closes every file of the current slot and, unless `last`, opens the next slot's.
    pub fn rotate(&mut self, now: i64, last: bool) {
        let env = &self.env;
        let mut failed = Vec::new();
        for o in self
            .fixed
            .iter_mut()
            .flatten()
            .chain(self.dynamic.values_mut())
        {
            failed.extend(env.close(o, now));
        }
        for f in failed {
            self.queue_failed(f);
        }
        if last {
            self.retry_failed();
            if !self.env.settings.expire {
                for o in self.fixed.iter().flatten().chain(self.dynamic.values()) {
                    hooks::update_books(o.dir.clone(), self.env.log.clone());
                }
            }
            return;
        }
        self.env.slot = slot_start(now, self.env.settings.interval);
        let env = &self.env;
        for o in self
            .fixed
            .iter_mut()
            .flatten()
            .chain(self.dynamic.values_mut())
        {
            o.path = env.slot_path(&o.dir);
            env.open(o, now);
        }
    }

    fn queue_failed(&mut self, f: Failed) {
        self.failed_records += f.records.len();
        self.failed.push_back(f);
        while self.failed_records > RETRY_MAX {
            let Some(old) = self.failed.pop_front() else {
                break;
            };
            self.failed_records -= old.records.len();
            Metrics::add(&self.env.metrics.dropped_flows, old.records.len() as u64);
            self.env.log.error(&format!(
                "giving up on {}: {} flows dropped (memory bound reached)",
                old.path.display(),
                old.records.len()
            ));
        }
    }

    /// Tries to write every failed file again, oldest first.
    fn retry_failed(&mut self) {
        let mut keep = VecDeque::new();
        while let Some(f) = self.failed.pop_front() {
            match write_file(&f, self.env.writer_options(&f.ident)) {
                Ok(()) => {
                    self.failed_records -= f.records.len();
                    Metrics::add(&self.env.metrics.files_written, 1);
                    self.env
                        .log
                        .info(&format!("Wrote {} after earlier failure", f.path.display()));
                }
                Err(_) => keep.push_back(f),
            }
        }
        self.failed = keep;
    }

    /// Exporter counters summed over every output (for metrics).
    pub fn totals(&self) -> (u64, u64) {
        let mut seq = 0;
        let mut held_dropped = 0;
        for o in self.fixed.iter().flatten().chain(self.dynamic.values()) {
            seq += o.decoder.exporter_totals().sequence_failures;
            held_dropped += o.decoder.counters().held_dropped;
        }
        (seq, held_dropped)
    }
}

/// The first of `path` + `suffix`, `path` + `suffix.1`, ... that does not exist.
pub fn free_name(path: &Path, suffix: &str) -> Option<PathBuf> {
    (0..1000).find_map(|n| {
        let mut to = path.as_os_str().to_owned();
        to.push(if n == 0 {
            suffix.to_string()
        } else {
            format!("{suffix}.{n}")
        });
        let to = PathBuf::from(to);
        (std::fs::symlink_metadata(&to).is_err()).then_some(to)
    })
}

/// Renames the damaged file `path` to `path.damaged` (or `.damaged.N`, the first free one)
/// so that the slot's new file does not destroy what may still be recovered from it.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let to = free_name(path, ".damaged")
        .ok_or_else(|| std::io::Error::other("too many damaged copies"))?;
    std::fs::rename(path, &to)?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn v5(seq: u32, n: u16) -> Vec<u8> {
        let mut p = vec![0, 5];
        p.extend_from_slice(&n.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 10, 0x65, 0x5f, 0xa0, 0x00, 0, 0, 0, 0]);
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0]);
        for i in 0..n {
            let mut r = vec![0u8; 48];
            r[0..4].copy_from_slice(&[10, 0, 0, i as u8]);
            r[19] = 1; // packets
            r[23] = 100; // bytes
            r[38] = 17;
            p.extend_from_slice(&r);
        }
        p
    }

    fn settings() -> Settings {
        Settings {
            interval: 60,
            layout: Layout::Flat,
            style: NameStyle::Minutes,
            compression: Compression::Lz4,
            decoder: DecoderConfig::default(),
            command: None,
            expire: false,
            verbose: 0,
        }
    }

    fn collector(dir: &Path, now: i64) -> Collector {
        let src = SourceSpec {
            ident: "test".into(),
            dir: dir.to_path_buf(),
            kind: SourceKind::Any,
        };
        Collector::new(settings(), vec![src], now, Log::quiet(), Arc::default())
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        v.sort();
        v
    }

    const FROM: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn rotation_writes_one_file_per_slot() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = 1_764_300_000; // a multiple of 60
        let mut c = collector(dir.path(), t0 + 5);
        c.packet(&v5(0, 3), FROM, (t0 as u64 + 6) * 1000);
        c.tick(t0 + 30);
        assert!(
            files(dir.path()).is_empty(),
            "file appears only when finished"
        );
        c.tick(t0 + 61);
        c.packet(&v5(3, 2), FROM, (t0 as u64 + 62) * 1000);
        c.rotate(t0 + 70, true);
        let names = files(dir.path());
        assert_eq!(names.len(), 2, "{names:?}");
        let (info, recs) = read_file(&dir.path().join(&names[0])).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(info.ident, "test");
        assert_eq!(info.exporters.len(), 1);
        assert_eq!(info.exporters[0].packets, 1);
        let (_, recs) = read_file(&dir.path().join(&names[1])).unwrap();
        assert_eq!(recs.len(), 2);
    }

    #[test]
    fn empty_slots_still_produce_files() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = 1_764_300_000;
        let mut c = collector(dir.path(), t0);
        c.tick(t0 + 60);
        c.rotate(t0 + 61, true);
        assert_eq!(files(dir.path()).len(), 2);
    }

    #[test]
    fn unwritable_directory_keeps_flows_until_it_works() {
        let dir = tempfile::tempdir().unwrap();
        // A regular file where the flow directory should be: nothing can be created below
        // it (this holds even for root, unlike permission bits).
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, b"x").unwrap();
        let sub = blocker.join("flows");
        let t0 = 1_764_300_000;
        let mut c = collector(&sub, t0);
        c.packet(&v5(0, 4), FROM, (t0 as u64 + 1) * 1000);
        c.rotate(t0 + 60, false);
        assert_eq!(c.pending_flows(), 4);
        std::fs::remove_file(&blocker).unwrap();
        std::fs::create_dir_all(&sub).unwrap();
        c.tick(t0 + 70);
        assert_eq!(c.pending_flows(), 0);
        c.rotate(t0 + 80, true);
        let names = files(&sub);
        let (_, recs) = read_file(&sub.join(&names[0])).unwrap();
        assert_eq!(recs.len(), 4);
    }

    #[test]
    fn fixed_sources_ignore_other_exporters() {
        let dir = tempfile::tempdir().unwrap();
        let src = SourceSpec {
            ident: "r1".into(),
            dir: dir.path().to_path_buf(),
            kind: SourceKind::Fixed(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
        };
        let m = Arc::new(Metrics::default());
        let t0 = 1_764_300_000;
        let mut c = Collector::new(settings(), vec![src], t0, Log::quiet(), m.clone());
        c.packet(&v5(0, 1), FROM, t0 as u64 * 1000);
        c.packet(
            &v5(0, 2),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            t0 as u64 * 1000,
        );
        c.rotate(t0 + 1, true);
        let names = files(dir.path());
        let (_, recs) = read_file(&dir.path().join(&names[0])).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(Metrics::get(&m.ignored_packets), 1);
    }

    #[test]
    fn dynamic_sources_get_a_directory_per_exporter() {
        let dir = tempfile::tempdir().unwrap();
        let src = SourceSpec {
            ident: "dyn".into(),
            dir: dir.path().to_path_buf(),
            kind: SourceKind::Dynamic,
        };
        let t0 = 1_764_300_000;
        let mut c = Collector::new(settings(), vec![src], t0, Log::quiet(), Arc::default());
        c.packet(&v5(0, 1), FROM, t0 as u64 * 1000);
        c.packet(
            &v5(0, 1),
            IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
            t0 as u64 * 1000,
        );
        c.rotate(t0 + 1, true);
        assert_eq!(files(dir.path()), vec!["10-1-2-3", "127-0-0-1"]);
        assert_eq!(files(&dir.path().join("10-1-2-3")).len(), 1);
    }

    #[test]
    fn restart_in_same_slot_appends() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = 1_764_300_000;
        for _ in 0..2 {
            let mut c = collector(dir.path(), t0 + 1);
            c.packet(&v5(0, 2), FROM, (t0 as u64 + 2) * 1000);
            c.rotate(t0 + 3, true);
        }
        let names = files(dir.path());
        assert_eq!(names.len(), 1);
        let (_, recs) = read_file(&dir.path().join(&names[0])).unwrap();
        assert_eq!(recs.len(), 4);
    }

    #[test]
    fn slots_align_to_the_interval() {
        assert_eq!(slot_start(1_000_123, 300), 1_000_123 - 1_000_123 % 300);
        assert_eq!(slot_start(600, 300), 600);
    }
}
