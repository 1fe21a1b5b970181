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
}

struct BlockOut<P> {
    part: P,
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
            processed: n,
            passed: 0,
            stats: FileStats::default(),
            error: None,
        };
    }
    let ident = file.info().ident.as_str();
    // Each worker keeps its record buffer between blocks: a block of nfdump records is tens of
    // megabytes, and a fresh allocation per block costs page faults on every read.
    let mut recs = RECS.with(|c| std::mem::take(&mut *c.borrow_mut()));
    recs.clear();
    let error = file
        .read_block(i, &mut recs)
        .err()
        .map(|e| e.in_file(path).to_string());
    let (mut processed, mut passed) = (0u64, 0u64);
    let mut stats = FileStats::default();
    let keep = part.keeps_records();
    let mut keep_mask: Vec<bool> = Vec::new();
    let mut keep_pos: Vec<u64> = Vec::new();
    for r in &recs {
        if budget.is_some_and(|b| passed >= b) {
            break;
        }
        processed += 1;
        if let Some((s, e)) = opts.window
            && !(r.first_ms >= s && r.last_ms <= e)
        {
            continue;
        }
        let ctx = RecordCtx {
            ident,
            record_no: first_no + processed,
        };
        if !(opts.filter)(r, &ctx) {
            continue;
        }
        passed += 1;
        stats.add(r);
        if keep {
            keep_mask.resize(usize::try_from(processed - 1).unwrap_or(usize::MAX), false);
            keep_mask.push(true);
            keep_pos.push(processed - 1);
        } else {
            part.add_at(r, processed - 1);
        }
    }
    if keep {
        keep_mask.resize(recs.len(), false);
        let mut it = keep_mask.iter();
        recs.retain(|_| it.next().copied().unwrap_or(false));
        part.take(recs, keep_pos);
    } else {
        RECS.with(|c| *c.borrow_mut() = recs);
    }
    BlockOut {
        part,
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
pub fn scan<P, M, S>(opts: &ScanOptions<'_>, make: M, mut sink: S) -> io::Result<ScanReport>
where
    P: Partial,
    M: Fn() -> P + Sync,
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
        let fs = file.info().stats;
        if let Some((s, e)) = opts.window
            && fs.first_seen_ms != 0
            && (fs.last_seen_ms < s || fs.first_seen_ms > e)
        {
            continue;
        }
        rep.files_read += 1;
        rep.bytes_read += std::fs::metadata(path).map_or(0, |m| m.len());
        rep.file_stats.merge(&fs);
        let blocks = file.block_count();
        let mut feed = |b: BlockOut<P>, rep: &mut ScanReport| -> io::Result<()> {
            let before = rep.processed;
            rep.processed += b.processed;
            rep.passed += b.passed;
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
                let b = run_block(file.as_ref(), path, i, opts, make(), left, first_no);
                feed(b, &mut rep)?;
            }
        } else {
            let chunk = threads * 4;
            let mut start = 0;
            while start < blocks {
                let end = (start + chunk).min(blocks);
                let outs: Vec<BlockOut<P>> = (start..end)
                    .into_par_iter()
                    .map(|i| run_block(file.as_ref(), path, i, opts, make(), None, 0))
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
        let (seen, _) = ports(&files, &all, Some((5000, 8400)), None, false);
        assert_eq!(
            seen.iter().map(|s| s.0).collect::<Vec<_>>(),
            [5, 6, 7, 5, 6, 7]
        );
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
