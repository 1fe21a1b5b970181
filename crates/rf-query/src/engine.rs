//! Reading flow files in parallel: blocks are decoded, time-window checked and filtered on
//! rayon's pool, each into its own [`Partial`]; the partials are then handed to a sink strictly
//! in file and block order. Printing stays in input order and aggregation results (which keep
//! the first record's fields) are identical whatever the thread count.
//!
//! With a `-c` limit the scan runs block by block on one thread so that exactly the first N
//! passing records are used, as nfdump does.

use std::io;
use std::path::PathBuf;

use rayon::prelude::*;
use rf_format::native::ColumnSet;
use rf_format::{BlockSummary, FileStats, FlowFile, FlowRecord};

/// Work done per block on a worker thread, merged in input order.
pub trait Partial: Send {
    /// Adds one record that passed the window and the filter.
    fn add(&mut self, r: &FlowRecord);

    /// Adds one record together with its position among the block's records (0-based), for
    /// partials that print nfdump's record number.
    fn add_at(&mut self, r: &FlowRecord, _pos: u64) {
        self.add(r);
    }

    /// Whether the partial keeps whole records; the scan then hands over the decoded block's
    /// passing records by value ([`Partial::take`]) instead of copying each one.
    fn keeps_records(&self) -> bool {
        false
    }

    /// Takes the passing records of a block with their positions (only when
    /// [`Partial::keeps_records`]).
    fn take(&mut self, recs: Vec<FlowRecord>, pos: Vec<u64>) {
        for (r, p) in recs.iter().zip(pos) {
            self.add_at(r, p);
        }
    }
}

/// Where a record was read: the file's ident and the record's 1-based number in reading order
/// (exact only in a sequential scan; see [`ScanOptions::sequential`]).
#[derive(Clone, Copy, Debug)]
pub struct RecordCtx<'a> {
    /// Ident string of the file.
    pub ident: &'a str,
    /// Record number in reading order.
    pub record_no: u64,
}

/// A record predicate (the compiled filter).
pub type Predicate<'a> = &'a (dyn Fn(&FlowRecord, &RecordCtx<'_>) -> bool + Sync);

/// A block predicate: `false` when no record of a block with this summary can pass.
pub type BlockPredicate<'a> = &'a (dyn Fn(&BlockSummary) -> bool + Sync);

/// What to read and which records pass.
pub struct ScanOptions<'a> {
    /// Files in reading order.
    pub files: &'a [PathBuf],
    /// The filter.
    pub filter: Predicate<'a>,
    /// `-t`: records must lie completely inside `[start, end]` (ms).
    pub window: Option<(u64, u64)>,
    /// `-c`: stop after this many passed records.
    pub limit: Option<u64>,
    /// Show a progress line on stderr.
    pub progress: bool,
    /// Skips blocks whose summary cannot match (native files keep summaries).
    pub block_filter: Option<BlockPredicate<'a>>,
    /// Read block by block on one thread, numbering records exactly (filters using `count`).
    pub sequential: bool,
    /// Record fields the run needs (filter, window, statistics); formats that store columns
    /// decode only these. Partials that keep or print records get every field regardless.
    pub columns: ColumnSet,
}

/// Counts and totals of one scan, for the summary footer.
#[derive(Debug, Default, Clone)]
pub struct ScanReport {
    /// Records read.
    pub processed: u64,
    /// Records that passed window and filter (and the `-c` limit).
    pub passed: u64,
    /// Totals of the passed records.
    pub passed_stats: FileStats,
    /// Merged stat records of the files read (the footer's time window).
    pub file_stats: FileStats,
    /// Number of files read.
    pub files_read: usize,
    /// Bytes of the files read, as on disk (nfdump counts uncompressed block bytes, which the
    /// reader API does not expose).
    pub bytes_read: u64,
    /// Errors met (file named); reading continued with the next block or file.
    pub errors: Vec<String>,
    /// Blocks not decoded because their summary (time range, protocols, address Bloom
    /// filter) showed no record could pass.
    pub blocks_skipped: u64,
}

struct BlockOut<P> {
    part: P,
    skipped: bool,
    processed: u64,
    passed: u64,
    stats: FileStats,
    error: Option<String>,
}

/// Whether block `i` may hold passing records, by its summary (when the file keeps one).
fn block_may_pass(file: &dyn FlowFile, i: usize, opts: &ScanOptions<'_>) -> bool {
    let Some(sum) = file.block_summary(i) else {
        return true;
    };
    if let Some((s, e)) = opts.window
        && sum.records > 0
        && (sum.max_last_ms < s || sum.min_first_ms > e)
    {
        return false;
    }
    opts.block_filter.is_none_or(|f| f(sum))
}

thread_local! {
    /// The calling worker's reusable record buffer (see [`run_block`]).
    static RECS: std::cell::RefCell<Vec<FlowRecord>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[allow(clippy::too_many_arguments)]
fn run_block<P: Partial>(
    file: &dyn FlowFile,
    path: &std::path::Path,
    i: usize,
    opts: &ScanOptions<'_>,
    mut part: P,
    budget: Option<u64>,
    first_no: u64,
) -> BlockOut<P> {
    if !block_may_pass(file, i, opts) {
        // Skipped unread; its records still count as processed, as a full read would.
        let n = file.block_summary(i).map_or(0, |s| u64::from(s.records));
        return BlockOut {
            part,
            skipped: true,
            processed: n,
            passed: 0,
            stats: FileStats::default(),
            error: None,
        };
    }
    let ident = file.info().ident.as_str();
    let (mut processed, mut passed) = (0u64, 0u64);
    let mut stats = FileStats::default();
    // Whether record `r` (the `processed`-th read) passes window and filter; counts it.
    let mut pass = |r: &FlowRecord, processed: u64| -> bool {
        if let Some((s, e)) = opts.window
            && !(r.first_ms >= s && r.last_ms <= e)
        {
            return false;
        }
        let ctx = RecordCtx {
            ident,
            record_no: first_no + processed,
        };
        if !(opts.filter)(r, &ctx) {
            return false;
        }
        stats.add(r);
        true
    };
    let error;
    if part.keeps_records() {
        // Each worker keeps its record buffer between blocks: a block of nfdump records is
        // tens of megabytes, and a fresh allocation per block costs page faults on every read.
        let mut recs = RECS.with(|c| std::mem::take(&mut *c.borrow_mut()));
        recs.clear();
        error = file
            .read_block(i, &mut recs)
            .err()
            .map(|e| e.in_file(path).to_string());
        let mut keep_mask: Vec<bool> = Vec::with_capacity(recs.len());
        let mut keep_pos: Vec<u64> = Vec::new();
        for r in &recs {
            if budget.is_some_and(|b| passed >= b) {
                break;
            }
            processed += 1;
            let ok = pass(r, processed);
            keep_mask.push(ok);
            if ok {
                passed += 1;
                keep_pos.push(processed - 1);
            }
        }
        keep_mask.resize(recs.len(), false);
        let mut it = keep_mask.iter();
        recs.retain(|_| it.next().copied().unwrap_or(false));
        part.take(recs, keep_pos);
    } else {
        // Records stream through one reused record: nothing is stored or copied.
        let mut each = |r: &FlowRecord| {
            if budget.is_some_and(|b| passed >= b) {
                return;
            }
            processed += 1;
            if pass(r, processed) {
                passed += 1;
                part.add_at(r, processed - 1);
            }
        };
        error = file
            .for_each_record(i, opts.columns, &mut each)
            .err()
            .map(|e| e.in_file(path).to_string());
    }
    BlockOut {
        part,
        skipped: false,
        processed,
        passed,
        stats,
        error,
    }
}

/// Scans every file, giving each block's partial (created by `make`) to `sink` in order,
/// with the number of records read before that block.
///
/// # Errors
/// Only errors returned by `sink` (typically a closed stdout); file errors are collected in
/// the report.
pub fn scan<P, M, S>(opts: &ScanOptions<'_>, make: M, sink: S) -> io::Result<ScanReport>
where
    P: Partial,
    M: Fn() -> P + Sync,
    S: FnMut(P, u64) -> io::Result<()>,
{
    scan_at(opts, |_, _| make(), sink)
}

/// [`scan`] with `make` told the file number (in `opts.files`) and block of each partial.
fn scan_at<P, M, S>(opts: &ScanOptions<'_>, make: M, mut sink: S) -> io::Result<ScanReport>
where
    P: Partial,
    M: Fn(u32, u32) -> P + Sync,
    S: FnMut(P, u64) -> io::Result<()>,
{
    let mut rep = ScanReport::default();
    let threads = rayon::current_num_threads().max(1);
    let total = opts.files.len();
    for (n, path) in opts.files.iter().enumerate() {
        if opts.limit.is_some_and(|l| rep.passed >= l) {
            break;
        }
        if opts.progress {
            eprint!("\rReading file {}/{}", n + 1, total);
        }
        let file = match rf_format::open(path) {
            Ok(f) => f,
            Err(e) => {
                rep.errors.push(e.to_string());
                continue;
            }
        };
        if !file_in_window(file.as_ref(), opts) {
            continue;
        }
        let fs = file.info().stats;
        let file_no = u32::try_from(n).unwrap_or(u32::MAX);
        rep.files_read += 1;
        rep.bytes_read += std::fs::metadata(path).map_or(0, |m| m.len());
        rep.file_stats.merge(&fs);
        let blocks = file.block_count();
        let mut feed = |b: BlockOut<P>, rep: &mut ScanReport| -> io::Result<()> {
            let before = rep.processed;
            rep.processed += b.processed;
            rep.passed += b.passed;
            rep.blocks_skipped += u64::from(b.skipped);
            rep.passed_stats.merge(&b.stats);
            if let Some(e) = b.error {
                rep.errors.push(e);
            }
            sink(b.part, before)
        };
        if opts.limit.is_some() || opts.sequential {
            for i in 0..blocks {
                let left = opts.limit.map(|l| l.saturating_sub(rep.passed));
                if left == Some(0) {
                    break;
                }
                let first_no = rep.processed;
                let part = make(file_no, u32::try_from(i).unwrap_or(u32::MAX));
                let b = run_block(file.as_ref(), path, i, opts, part, left, first_no);
                feed(b, &mut rep)?;
            }
        } else {
            // One block per thread at a time: a rendered block is a megabyte or more of text,
            // and more blocks in flight raised peak memory without speeding up the output.
            let chunk = threads;
            let mut start = 0;
            while start < blocks {
                let end = (start + chunk).min(blocks);
                let outs: Vec<BlockOut<P>> = (start..end)
                    .into_par_iter()
                    .map(|i| {
                        let part = make(file_no, u32::try_from(i).unwrap_or(u32::MAX));
                        run_block(file.as_ref(), path, i, opts, part, None, 0)
                    })
                    .collect();
                for b in outs {
                    feed(b, &mut rep)?;
                }
                start = end;
            }
        }
    }
    if opts.progress {
        eprint!("\r\x1b[K");
    }
    Ok(rep)
}

/// Where a record lies in a run: the file's number among the run's files, the block, and the
/// record's position among the block's decoded records. Ordered as the records are read, so
/// the smallest location of a key is its first record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    /// Index into [`ScanOptions::files`].
    pub file: u32,
    /// Block number in the file.
    pub block: u32,
    /// Position in the block's records (before filtering).
    pub pos: u32,
}

/// An order-independent accumulator (statistics, aggregation): every worker thread fills its
/// own, and they are merged at the end. Results must not depend on which thread saw which
/// record; where the first record matters, [`Loc`] tells which one came first.
pub trait Accumulator: Send {
    /// Adds one record that passed the window and the filter.
    fn add(&mut self, r: &FlowRecord, at: Loc);

    /// Merges another accumulator into this one.
    fn merge(&mut self, other: Self);
}

/// Adapts an [`Accumulator`] to [`run_block`]'s per-block [`Partial`].
struct AtBlock<A> {
    acc: A,
    file: u32,
    block: u32,
}

impl<A: Accumulator> Partial for AtBlock<A> {
    fn add(&mut self, r: &FlowRecord) {
        self.add_at(r, 0);
    }

    fn add_at(&mut self, r: &FlowRecord, pos: u64) {
        let at = Loc {
            file: self.file,
            block: self.block,
            pos: u32::try_from(pos).unwrap_or(u32::MAX),
        };
        self.acc.add(r, at);
    }
}

/// Counts of one block read by [`scan_fold`]: processed, passed, skipped unread, the passed
/// records' totals, an error.
type BlockTally = (u64, u64, bool, FileStats, Option<(Loc, String)>);

/// Most files opened at a time by [`scan_fold`]: enough to spread blocks of small files over
/// the threads, few enough to stay far below the open-file limit on a month of 5-minute files.
const FOLD_FILES: usize = 64;

/// Blocks per thread that make a [`scan_fold`] chunk big enough to balance the threads.
const FOLD_BLOCKS_PER_THREAD: usize = 8;

/// Scans every file into accumulators made by `make`, one per worker thread, with no order
/// between blocks or files, and returns their merge. With `-c` or a numbering filter the scan
/// is sequential (exactly the first records count).
///
/// # Errors
/// None today (file errors are collected in the report); `io::Result` for symmetry with
/// [`scan`].
pub fn scan_fold<A, M>(opts: &ScanOptions<'_>, make: M) -> io::Result<(A, ScanReport)>
where
    A: Accumulator,
    M: Fn() -> A + Sync,
{
    if opts.limit.is_some() || opts.sequential {
        // One accumulator passes from block to block in reading order.
        let acc = std::sync::Mutex::new(Some(make()));
        let take = || {
            acc.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .unwrap_or_else(&make)
        };
        let rep = scan_at(
            opts,
            |file, block| AtBlock {
                acc: take(),
                file,
                block,
            },
            |p: AtBlock<A>, _| {
                *acc.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(p.acc);
                Ok(())
            },
        )?;
        let a = acc
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or_else(&make);
        return Ok((a, rep));
    }
    let threads = rayon::current_num_threads().max(1);
    let slots: Vec<std::sync::Mutex<Option<A>>> = (0..threads + 1)
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    let mut rep = ScanReport::default();
    let total = opts.files.len();
    let mut errors: Vec<(Loc, String)> = Vec::new();
    let mut next = 0;
    while next < opts.files.len() {
        // Open files, pre-select them by time window and count them in the report, until
        // the chunk has enough blocks to keep every thread busy: an open file holds buffers
        // (nfdump files keep their first block), so large files are read a few at a time.
        let mut open: Vec<(u32, &PathBuf, Box<dyn FlowFile>)> = Vec::new();
        let mut blocks = 0;
        while let Some(path) = opts.files.get(next) {
            if open.len() >= FOLD_FILES || blocks >= threads * FOLD_BLOCKS_PER_THREAD {
                break;
            }
            let n = u32::try_from(next).unwrap_or(u32::MAX);
            next += 1;
            match rf_format::open(path) {
                Ok(f) => {
                    if file_in_window(f.as_ref(), opts) {
                        rep.files_read += 1;
                        rep.bytes_read += std::fs::metadata(path).map_or(0, |m| m.len());
                        rep.file_stats.merge(&f.info().stats);
                        blocks += f.block_count();
                        open.push((n, path, f));
                    }
                }
                Err(e) => errors.push((
                    Loc {
                        file: n,
                        ..Loc::default()
                    },
                    e.to_string(),
                )),
            }
        }
        let units: Vec<(usize, usize)> = open
            .iter()
            .enumerate()
            .flat_map(|(k, (_, _, f))| (0..f.block_count()).map(move |i| (k, i)))
            .collect();
        // Progress: the highest file number whose blocks are being read, as workers finish
        // blocks (files are read concurrently here, not one after the other).
        let shown = std::sync::atomic::AtomicUsize::new(0);
        let outs: Vec<BlockTally> = units
            .into_par_iter()
            .map(|(k, i)| {
                let (n, path, f) = &open[k];
                if opts.progress {
                    let file_no = *n as usize + 1;
                    let prev = shown.fetch_max(file_no, std::sync::atomic::Ordering::Relaxed);
                    if file_no > prev {
                        eprint!("\rReading file {file_no}/{total}");
                    }
                }
                let slot_no = rayon::current_thread_index().unwrap_or(threads);
                let slot = &slots[slot_no.min(threads)];
                let mut guard = slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let acc = guard.take().unwrap_or_else(&make);
                let block = u32::try_from(i).unwrap_or(u32::MAX);
                let part = AtBlock {
                    acc,
                    file: *n,
                    block,
                };
                let b = run_block(f.as_ref(), path, i, opts, part, None, 0);
                *guard = Some(b.part.acc);
                let err = b.error.map(|e| {
                    (
                        Loc {
                            file: *n,
                            block,
                            pos: 0,
                        },
                        e,
                    )
                });
                (b.processed, b.passed, b.skipped, b.stats, err)
            })
            .collect();
        for (processed, passed, skipped, stats, err) in outs {
            rep.processed += processed;
            rep.passed += passed;
            rep.blocks_skipped += u64::from(skipped);
            rep.passed_stats.merge(&stats);
            if let Some(e) = err {
                errors.push(e);
            }
        }
    }
    if opts.progress {
        eprint!("\r\x1b[K");
    }
    errors.sort_by_key(|e| e.0);
    rep.errors = errors.into_iter().map(|e| e.1).collect();
    let mut accs = slots.into_iter().filter_map(|s| {
        s.into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    });
    let mut acc = accs.next().unwrap_or_else(&make);
    for a in accs {
        acc.merge(a);
    }
    Ok((acc, rep))
}

/// Reads the records at `locs` (ascending, as [`Loc`] orders) again and calls `f` with each
/// one's index in `locs` and the record, in that order. Blocks are decoded in parallel a
/// window at a time, so memory stays bounded by the window, not by the number of records.
///
/// # Errors
/// Errors of `f`; a block that can no longer be read is reported as `InvalidData` naming it.
pub fn fetch<F>(files: &[PathBuf], locs: &[Loc], mut f: F) -> io::Result<()>
where
    F: FnMut(usize, &FlowRecord) -> io::Result<()>,
{
    // Groups of consecutive locations in one block: (file, block, start, end) into `locs`.
    let mut groups: Vec<(u32, u32, usize, usize)> = Vec::new();
    for (k, l) in locs.iter().enumerate() {
        match groups.last_mut() {
            Some(g) if g.0 == l.file && g.1 == l.block => g.3 = k + 1,
            _ => groups.push((l.file, l.block, k, k + 1)),
        }
    }
    let window = rayon::current_num_threads().max(1) * 4;
    let mut opened: Option<(u32, std::sync::Arc<dyn FlowFile>)> = None;
    for win in groups.chunks(window) {
        // Open the files of the window (usually one).
        let mut handles: Vec<(u32, std::sync::Arc<dyn FlowFile>)> = Vec::new();
        for g in win {
            if handles.last().is_some_and(|h| h.0 == g.0) {
                continue;
            }
            let h = match &opened {
                Some((n, h)) if *n == g.0 => h.clone(),
                _ => {
                    let path = files.get(g.0 as usize).ok_or_else(|| {
                        io::Error::new(io::ErrorKind::InvalidData, "record location out of range")
                    })?;
                    let b: Box<dyn FlowFile> = rf_format::open(path)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                    std::sync::Arc::from(b)
                }
            };
            opened = Some((g.0, h.clone()));
            handles.push((g.0, h));
        }
        let decoded: Vec<Result<Vec<FlowRecord>, String>> = win
            .par_iter()
            .map(|&(file, block, start, end)| {
                let Some((_, h)) = handles.iter().find(|h| h.0 == file) else {
                    return Err("file not open".to_string());
                };
                let mut recs = Vec::new();
                h.read_block(block as usize, &mut recs).map_err(|e| {
                    let path = files.get(file as usize).cloned().unwrap_or_default();
                    e.in_file(&path).to_string()
                })?;
                let mut picked = Vec::with_capacity(end - start);
                for l in &locs[start..end] {
                    let r = recs.get(l.pos as usize).ok_or_else(|| {
                        format!("block {block}: record {} is gone on re-reading", l.pos)
                    })?;
                    picked.push(r.clone());
                }
                Ok(picked)
            })
            .collect();
        for (g, d) in win.iter().zip(decoded) {
            let recs = d.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            for (k, r) in (g.2..g.3).zip(&recs) {
                f(k, r)?;
            }
        }
    }
    Ok(())
}

/// Whether a file's stat record may overlap the `-t` window (nfdump's file pre-selection).
fn file_in_window(file: &dyn FlowFile, opts: &ScanOptions<'_>) -> bool {
    let fs = file.info().stats;
    match opts.window {
        Some((s, e)) if fs.first_seen_ms != 0 => !(fs.last_seen_ms < s || fs.first_seen_ms > e),
        _ => true,
    }
}

/// A partial that keeps the passed records in order (plain listing, `-O`, `-w`), with each
/// one's position in its block.
#[derive(Debug, Default)]
pub struct Records(pub Vec<FlowRecord>, pub Vec<u64>);

impl Partial for Records {
    fn add(&mut self, r: &FlowRecord) {
        self.0.push(r.clone());
        self.1.push(0);
    }

    fn add_at(&mut self, r: &FlowRecord, pos: u64) {
        self.0.push(r.clone());
        self.1.push(pos);
    }

    fn keeps_records(&self) -> bool {
        true
    }

    fn take(&mut self, recs: Vec<FlowRecord>, pos: Vec<u64>) {
        if self.0.is_empty() {
            self.0 = recs;
            self.1 = pos;
        } else {
            self.0.extend(recs);
            self.1.extend(pos);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rf_format::native::{Writer, WriterOptions};

    /// A native file of `n` records in blocks of 7; record `i` has `first_ms = 1000 * i` and
    /// `src_port = i`.
    fn sample(dir: &std::path::Path, name: &str, n: u16) -> PathBuf {
        let path = dir.join(name);
        let opts = WriterOptions {
            block_records: 7,
            ..WriterOptions::default()
        }
        .ident("unit");
        let mut w = Writer::create(&path, opts).expect("create");
        for i in 0..n {
            let r = FlowRecord {
                first_ms: 1000 * u64::from(i),
                last_ms: 1000 * u64::from(i) + 500,
                src_port: i,
                proto: if i % 2 == 0 { 6 } else { 17 },
                in_packets: 1,
                in_bytes: 100,
                ..FlowRecord::default()
            };
            w.write(&r).expect("write");
        }
        w.finish().expect("finish");
        path
    }

    fn ports(
        files: &[PathBuf],
        filter: Predicate<'_>,
        window: Option<(u64, u64)>,
        limit: Option<u64>,
        sequential: bool,
    ) -> (Vec<(u16, u64)>, ScanReport) {
        let opts = ScanOptions {
            files,
            filter,
            window,
            limit,
            progress: false,
            block_filter: None,
            sequential,
            columns: ColumnSet::ALL,
        };
        let mut seen = Vec::new();
        let rep = scan(&opts, Records::default, |p: Records, before| {
            for (r, pos) in p.0.iter().zip(&p.1) {
                seen.push((r.src_port, before + pos + 1));
            }
            Ok(())
        })
        .expect("scan");
        (seen, rep)
    }

    #[test]
    fn order_limit_window_and_numbering() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = vec![sample(dir.path(), "a", 30), sample(dir.path(), "b", 20)];
        let all = |_: &FlowRecord, _: &RecordCtx<'_>| true;
        let (seen, rep) = ports(&files, &all, None, None, false);
        assert_eq!((rep.processed, rep.passed, rep.files_read), (50, 50, 2));
        let expect: Vec<(u16, u64)> = (0..30u16).chain(0..20).zip(1u64..).collect();
        assert_eq!(seen, expect, "input order and record numbers");
        // -c stops after the first N passing records; processed counts what was read.
        let udp = |r: &FlowRecord, _: &RecordCtx<'_>| r.proto == 17;
        let (seen, rep) = ports(&files, &udp, None, Some(4), false);
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 3, 5, 7]);
        assert_eq!((rep.processed, rep.passed), (8, 4));
        // -t keeps only records completely inside the window.
        let (seen, rep) = ports(&files, &all, Some((5000, 8400)), None, false);
        assert_eq!(
            seen.iter().map(|s| s.0).collect::<Vec<_>>(),
            [5, 6, 7, 5, 6, 7]
        );
        // Blocks of 7 records: only the first two of each file overlap the window; the other
        // 3 + 1 are skipped unread by their summaries, and reported.
        assert_eq!(rep.blocks_skipped, 4);
        // Filters see exact record numbers and the file ident in a sequential scan.
        let numbered = |_: &FlowRecord, c: &RecordCtx<'_>| c.record_no > 45 && c.ident == "unit";
        let (seen, _) = ports(&files, &numbered, None, None, true);
        // Records 46..=50 are the last five of the second file.
        assert_eq!(
            seen.iter().map(|s| s.0).collect::<Vec<_>>(),
            [15, 16, 17, 18, 19]
        );
    }

    #[test]
    fn unreadable_files_are_reported_and_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("bad");
        std::fs::write(&bad, b"definitely not a flow file").expect("write");
        let files = vec![bad, sample(dir.path(), "ok", 3)];
        let all = |_: &FlowRecord, _: &RecordCtx<'_>| true;
        let (seen, rep) = ports(&files, &all, None, None, false);
        assert_eq!(seen.len(), 3);
        assert_eq!(rep.errors.len(), 1);
        assert!(rep.errors[0].contains("bad"), "{:?}", rep.errors);
    }
}
