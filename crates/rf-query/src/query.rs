//! One rfdump run from a resolved plan: choose the processing mode (list, sort, aggregate,
//! statistics, write), drive the [`engine`](crate::engine) and print everything in nfdump's
//! order: header, records or tables, "No matching flows", footer.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use rf_format::FlowRecord;
use rf_format::native::ColumnSet;

use crate::agg::{self, Aggregated, Aggregator, Mode};
use crate::engine::{self, Accumulator, Loc, Partial, Records, ScanOptions, ScanReport};
use crate::order::Order;
use crate::output::{Footer, Kind, Printer};
use crate::stat::{self, StatPartial, StatSpec, TableOptions};
use crate::summary;

/// Where passed records go when `-w` is given.
pub trait RecordSink {
    /// Writes one record.
    ///
    /// # Errors
    /// I/O or format errors, as text.
    fn write(&mut self, r: &FlowRecord) -> Result<(), String>;
}

/// A resolved rfdump run.
pub struct Query<'a> {
    /// Files in reading order.
    pub files: &'a [PathBuf],
    /// The filter.
    pub filter: engine::Predicate<'a>,
    /// Block skipping by summary.
    pub block_filter: Option<engine::BlockPredicate<'a>>,
    /// Record fields the filter reads; `None` when it may read any (every column is decoded).
    pub filter_columns: Option<ColumnSet>,
    /// The filter numbers records (`count`): read sequentially.
    pub sequential: bool,
    /// `-t` window in ms.
    pub window: Option<(u64, u64)>,
    /// `-c`.
    pub limit: Option<u64>,
    /// The output format.
    pub printer: Printer,
    /// `-q`.
    pub quiet: bool,
    /// `-N`.
    pub plain: bool,
    /// `-6`.
    pub long_v6: bool,
    /// Element statistics.
    pub stats: Vec<StatSpec>,
    /// `-s record/...` orders.
    pub record_stat: Option<Vec<(Order, bool)>>,
    /// Aggregation mode.
    pub agg: Option<Mode>,
    /// `-O`.
    pub order: Option<(Order, bool)>,
    /// `-n` (0 = all).
    pub top: usize,
    /// Show progress on stderr.
    pub progress: bool,
    /// `-w` was given: statistics print without headers (and nothing is written).
    pub write_requested: bool,
    /// `-l` packet limit for element statistics.
    pub packet_limit: Option<(bool, u64)>,
    /// `-L` byte limit for element statistics.
    pub byte_limit: Option<(bool, u64)>,
}

/// What a run met besides its output.
#[derive(Debug, Default)]
pub struct Outcome {
    /// File errors (each names the file); the run continued past them.
    pub errors: Vec<String>,
}

/// Output buffer flushed to the writer in large chunks.
struct Out<'w> {
    buf: String,
    w: &'w mut dyn Write,
}

impl Out<'_> {
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= 1 << 16 {
            self.flush()?;
        }
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.write_all(self.buf.as_bytes())?;
        self.buf.clear();
        Ok(())
    }
}

/// A block's records already rendered as text (formats that render independently).
struct Rendered {
    printer: Printer,
    text: String,
}

impl Partial for Rendered {
    fn add(&mut self, r: &FlowRecord) {
        self.printer.record(r, &mut self.text);
    }
}

/// Order-free results: element statistics, aggregation, or both (`-s record` with element
/// statistics in one pass).
enum Collected {
    Stats(StatPartial),
    Agg(Aggregator),
    Both(StatPartial, Aggregator),
}

impl Accumulator for Collected {
    fn add(&mut self, r: &FlowRecord, at: Loc) {
        match self {
            Collected::Stats(s) => Accumulator::add(s, r, at),
            Collected::Agg(a) => a.add(r, at),
            Collected::Both(s, a) => {
                Accumulator::add(s, r, at);
                a.add(r, at);
            }
        }
    }

    fn merge(&mut self, other: Collected) {
        match (self, other) {
            (Collected::Stats(a), Collected::Stats(b)) => Accumulator::merge(a, b),
            (Collected::Agg(a), Collected::Agg(b)) => a.merge(b),
            (Collected::Both(s, a), Collected::Both(t, b)) => {
                Accumulator::merge(s, t);
                a.merge(b);
            }
            _ => {}
        }
    }
}

/// Runs the query, printing to `w`; with `sink` (`-w`) records are written there instead.
///
/// # Errors
/// Errors writing to `w` (a closed pipe ends the run) and from `sink`.
pub fn execute(
    mut q: Query<'_>,
    w: &mut dyn Write,
    mut sink: Option<&mut dyn RecordSink>,
) -> io::Result<Outcome> {
    let started = Instant::now();
    let mut out = Out {
        buf: String::with_capacity(1 << 17),
        w,
    };
    let stats_mode = !q.stats.is_empty() || q.record_stat.is_some();
    let opts = ScanOptions {
        files: q.files,
        filter: q.filter,
        window: q.window,
        limit: q.limit,
        progress: q.progress,
        block_filter: q.block_filter,
        sequential: q.sequential,
        columns: needed_columns(&q, stats_mode),
    };
    if let Some(l) = q.byte_limit {
        out.buf.push_str(&stat::limit_line("Byte", "bytes", l));
    }
    if let Some(l) = q.packet_limit {
        out.buf.push_str(&stat::limit_line("Packet", "packets", l));
    }
    let writing = (sink.is_some() || q.write_requested) && !stats_mode;
    let header = !q.quiet && !stats_mode && !writing;
    if header {
        q.printer.prolog(&mut out.buf);
    }
    let streaming = !stats_mode && q.agg.is_none() && q.order.is_none();
    let mut sink_err: Option<String> = None;
    let report: ScanReport;
    if streaming && sink.is_none() && q.printer.renders_independently() {
        // Text is rendered on the worker threads, block by block, and written in order.
        let proto = q.printer.clone();
        // Text buffers go back to a pool once written: a block's text is a megabyte or more,
        // and a fresh buffer per block would grow by copying and fault in new pages each time.
        let pool: Mutex<Vec<String>> = Mutex::new(Vec::new());
        let take = || {
            pool.lock()
                .ok()
                .and_then(|mut p| p.pop())
                .unwrap_or_default()
        };
        report = engine::scan(
            &opts,
            || Rendered {
                printer: proto.clone(),
                text: take(),
            },
            |mut part: Rendered, _| {
                // A block's text is large: written straight out instead of copied first.
                let res = if part.text.len() >= 1 << 14 {
                    out.flush()
                        .and_then(|()| out.w.write_all(part.text.as_bytes()))
                } else {
                    out.buf.push_str(&part.text);
                    out.maybe_flush()
                };
                part.text.clear();
                if let Ok(mut p) = pool.lock() {
                    p.push(part.text);
                }
                res
            },
        )?;
    } else if streaming {
        let printer = &mut q.printer;
        report = engine::scan(&opts, Records::default, |part: Records, before: u64| {
            for (r, pos) in part.0.iter().zip(&part.1) {
                if let Some(s) = sink.as_deref_mut() {
                    if sink_err.is_none()
                        && let Err(e) = s.write(r)
                    {
                        sink_err = Some(e);
                    }
                } else {
                    printer.record_numbered(r, before + pos + 1, &mut out.buf);
                }
            }
            out.maybe_flush()
        })?;
    } else if !stats_mode && q.agg.is_none() {
        // -O without aggregation: every passed record is kept and sorted, as nfdump does.
        let mut all = Records::default();
        report = engine::scan(&opts, Records::default, |p: Records, _| {
            all.take(p.0, p.1);
            Ok(())
        })?;
        emit_sorted(&mut q, all.0, &mut out, &mut sink, &mut sink_err)?;
    } else {
        let specs = q.stats.clone();
        let agg_mode = q
            .agg
            .clone()
            .or_else(|| q.record_stat.as_ref().map(|_| Mode::FiveTuple));
        let make = || match (&agg_mode, specs.is_empty(), q.record_stat.is_some()) {
            (Some(m), false, true) => {
                Collected::Both(StatPartial::new(&specs), Aggregator::new(m.clone()))
            }
            (_, false, _) => Collected::Stats(StatPartial::new(&specs)),
            (m, true, _) => Collected::Agg(Aggregator::new(m.clone().unwrap_or(Mode::FiveTuple))),
        };
        let (collected, rep) = engine::scan_fold(&opts, make)?;
        report = rep;
        // nfdump says so before the statistics tables.
        if report.passed == 0 {
            out.buf.push_str("No matching flows\n");
        }
        // Record tables come first, then the element statistics, as in nfdump.
        let stats = match collected {
            Collected::Both(st, a) => {
                print_record_stat(&mut q, &a.finish(), &mut out)?;
                Some(st)
            }
            Collected::Stats(st) => Some(st),
            Collected::Agg(a) => {
                let a = a.finish();
                if q.record_stat.is_some() {
                    print_record_stat(&mut q, &a, &mut out)?;
                } else {
                    emit_aggregated(&mut q, &a, &mut out, &mut sink, &mut sink_err)?;
                }
                None
            }
        };
        if let Some(p) = stats {
            let style = match q.printer.kind() {
                Kind::Csv => stat::Style::Csv,
                Kind::Pipe => stat::Style::Pipe,
                Kind::Json => stat::Style::Json,
                _ => stat::Style::Text,
            };
            let topts = TableOptions {
                style,
                top: q.top,
                plain: q.plain,
                long_v6: q.long_v6,
                quiet: q.quiet || sink.is_some() || q.write_requested,
                packet_limit: q.packet_limit,
                byte_limit: q.byte_limit,
            };
            for (spec, map) in q.stats.iter().zip(stat::into_tables(p, &q.stats, &topts)) {
                stat::print_tables(spec, map, &report.passed_stats, topts, &mut out.buf);
                out.maybe_flush()?;
            }
        }
    }
    if report.passed == 0 && !stats_mode && q.agg.is_none() && q.order.is_none() {
        out.buf.push_str("No matching flows\n");
    }
    if header || (stats_mode && !q.quiet) || matches!(q.printer.kind(), Kind::Json) {
        q.printer.epilog(&mut out.buf);
    }
    if !q.quiet && !writing && !q.write_requested {
        match q.printer.footer() {
            Footer::Text => {
                out.buf.push_str(&summary::text(&report, q.window, q.plain));
                let (user, sys) = summary::cpu_times();
                out.buf.push_str(&summary::timing(
                    sys,
                    user,
                    started.elapsed(),
                    report.processed,
                ));
            }
            Footer::Csv => out.buf.push_str(&summary::csv(&report)),
            Footer::None => {}
        }
    }
    out.flush()?;
    let mut outcome = Outcome {
        errors: report.errors,
    };
    if let Some(e) = sink_err {
        outcome.errors.push(e);
    }
    Ok(outcome)
}

/// The record fields a run reads before output: with statistics or aggregation only the
/// counters, times, the keys and what the filter reads (records printed later are read again
/// in full); everything otherwise.
fn needed_columns(q: &Query<'_>, stats_mode: bool) -> ColumnSet {
    // `-o null` prints nothing per record: like statistics, it needs only what is counted.
    let null = matches!(q.printer.kind(), Kind::Null) && !q.write_requested;
    let (Some(filter), true) = (q.filter_columns, stats_mode || q.agg.is_some() || null) else {
        return ColumnSet::ALL;
    };
    let counters = [
        "first_ms",
        "last_ms",
        "in_packets",
        "out_packets",
        "in_bytes",
        "out_bytes",
        "flows",
        "proto",
    ];
    // Aggregated flows carry their records' TCP flags; element statistics never show them.
    let agg = q
        .agg
        .clone()
        .or_else(|| q.record_stat.as_ref().map(|_| Mode::FiveTuple))
        .map(|m| {
            let mut c = m.columns();
            c.push("tcp_flags");
            c
        })
        .unwrap_or_default();
    let stats = q.stats.iter().flat_map(|s| s.columns());
    let names = counters.into_iter().chain(agg).chain(stats);
    // An unknown name would be a bug in the tables above: decode everything then.
    ColumnSet::fields(names).map_or(ColumnSet::ALL, |c| c.union(filter))
}

/// Prints `r` or writes it to the `-w` sink.
fn put(
    q: &mut Query<'_>,
    r: &FlowRecord,
    out: &mut Out<'_>,
    sink: &mut Option<&mut dyn RecordSink>,
    sink_err: &mut Option<String>,
) -> io::Result<()> {
    if let Some(s) = sink.as_deref_mut() {
        if sink_err.is_none()
            && let Err(e) = s.write(r)
        {
            *sink_err = Some(e);
        }
        Ok(())
    } else {
        q.printer.record(r, &mut out.buf);
        out.maybe_flush()
    }
}

fn emit_sorted(
    q: &mut Query<'_>,
    mut recs: Vec<FlowRecord>,
    out: &mut Out<'_>,
    sink: &mut Option<&mut dyn RecordSink>,
    sink_err: &mut Option<String>,
) -> io::Result<()> {
    if let Some((o, asc)) = q.order {
        agg::sort_records(&mut recs, o, asc);
    }
    let n = if q.top == 0 {
        recs.len()
    } else {
        q.top.min(recs.len())
    };
    for r in recs.iter().take(n) {
        put(q, r, out, sink, sink_err)?;
    }
    Ok(())
}

/// The output records of the ranked entries `ranked`, in that order: their first records are
/// read again, block by block in file order.
fn ranked_records(
    files: &[PathBuf],
    a: &Aggregated,
    ranked: &[usize],
) -> io::Result<Vec<FlowRecord>> {
    let mut by_loc: Vec<(Loc, usize)> = ranked
        .iter()
        .enumerate()
        .map(|(rank, &i)| (a.first_at(i), rank))
        .collect();
    by_loc.sort_unstable();
    let locs: Vec<Loc> = by_loc.iter().map(|x| x.0).collect();
    let mut slots: Vec<Option<FlowRecord>> = vec![None; ranked.len()];
    engine::fetch(files, &locs, |k, first| {
        if let Some(&(_, rank)) = by_loc.get(k)
            && let (Some(slot), Some(&i)) = (slots.get_mut(rank), ranked.get(rank))
        {
            *slot = Some(a.record(i, first));
        }
        Ok(())
    })?;
    Ok(slots.into_iter().flatten().collect())
}

/// `-a`/`-A`/`-b` output: in first-seen order streaming, or ranked by `-O`.
fn emit_aggregated(
    q: &mut Query<'_>,
    a: &Aggregated,
    out: &mut Out<'_>,
    sink: &mut Option<&mut dyn RecordSink>,
    sink_err: &mut Option<String>,
) -> io::Result<()> {
    let files = q.files;
    if let Some((o, asc)) = q.order {
        let ranked = a.rank(o, asc, q.top);
        for r in ranked_records(files, a, &ranked)? {
            put(q, &r, out, sink, sink_err)?;
        }
        return Ok(());
    }
    let mut ids = a.first_seen_order();
    if q.top > 0 {
        ids.truncate(q.top);
    }
    let locs: Vec<Loc> = ids.iter().map(|&i| a.first_at(i)).collect();
    engine::fetch(files, &locs, |k, first| match ids.get(k) {
        Some(&i) => put(q, &a.record(i, first), out, sink, sink_err),
        None => Ok(()),
    })
}

fn print_record_stat(q: &mut Query<'_>, a: &Aggregated, out: &mut Out<'_>) -> io::Result<()> {
    if a.is_empty() {
        // Without records nfdump prints no record tables at all.
        return Ok(());
    }
    let orders = q.record_stat.clone().unwrap_or_default();
    let json = matches!(q.printer.kind(), Kind::Json);
    for (o, asc) in orders {
        let recs = ranked_records(q.files, a, &a.rank(o, asc, q.top))?;
        if !q.quiet {
            // As nfdump 1.7.1 prints each table: a title and column header for text formats,
            // only the header for csv, an opening `[` (but no closing one until the end) for
            // json, nothing before pipe, ndjson and null records.
            use std::fmt::Write as _;
            match q.printer.kind() {
                Kind::Json => out.buf.push_str("[\n"),
                Kind::Csv | Kind::Pipe | Kind::Ndjson | Kind::Null => {}
                Kind::Fmt(_) | Kind::Raw => {
                    if q.top > 0 {
                        let _ = writeln!(out.buf, "Top {} flows ordered by {}:", q.top, o.name());
                    } else {
                        let _ = writeln!(out.buf, "Top flows ordered by {}:", o.name());
                    }
                }
            }
            if let Some(h) = q.printer.header_line() {
                out.buf.push_str(&h);
                out.buf.push('\n');
            }
        }
        if q.quiet && json {
            // Without the `[` of each table nfdump keeps separating records across tables.
            q.printer.reset_numbering();
        } else {
            q.printer.reset();
        }
        for r in &recs {
            q.printer.record(r, &mut out.buf);
            out.maybe_flush()?;
        }
    }
    if q.quiet && json {
        // nfdump ends quiet json record tables with a newline (and no `]`).
        out.buf.push('\n');
    }
    Ok(())
}
