//! The footer after the records: nfdump's `Summary:` block (totals of the passed records, the
//! time window of the files read, processed/passed counts, timing) and csv's `Summary` block.

use std::fmt::Write as _;
use std::time::Duration;

use rf_format::FileStats;

use crate::engine::ScanReport;
use crate::render;

/// Average rates of the passed records: bps, pps, bpp (nfdump: doubles truncated; all three
/// 0 when the records span no time, bpp included).
pub fn averages(s: &FileStats) -> (u64, u64, u64) {
    let dur_ms = s.last_seen_ms.saturating_sub(s.first_seen_ms);
    if dur_ms == 0 || s.flows == 0 {
        return (0, 0, 0);
    }
    let secs = dur_ms as f64 / 1000.0;
    (
        (s.bytes as f64 * 8.0 / secs) as u64,
        (s.packets as f64 / secs) as u64,
        s.bytes.checked_div(s.packets).unwrap_or(0),
    )
}

/// The plain-text footer without the timing line.
pub fn text(rep: &ScanReport, window: Option<(u64, u64)>, plain: bool) -> String {
    let s = &rep.passed_stats;
    let (bps, pps, bpp) = averages(s);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Summary: total flows: {}, total bytes: {}, total packets: {}, avg bps: {}, avg pps: {}, avg bpp: {}",
        s.flows,
        render::scaled_var(s.bytes, plain),
        render::scaled_var(s.packets, plain),
        render::scaled_var(bps, plain),
        render::scaled_var(pps, plain),
        render::scaled_var(bpp, plain)
    );
    let f = &rep.file_stats;
    if rep.files_read == 0 || (f.first_seen_ms == 0 && f.last_seen_ms == 0) {
        out.push_str("Time window: <unknown>\n");
    } else {
        let (mut a, mut b) = (f.first_seen_ms, f.last_seen_ms);
        if let Some((ws, we)) = window {
            a = a.max(ws);
            b = b.min(we);
        }
        let _ = writeln!(
            out,
            "Time window: {} - {}",
            render::time_secs(a / 1000),
            render::time_secs(b / 1000)
        );
    }
    let _ = writeln!(
        out,
        "Total flows processed: {}, passed: {}, Blocks skipped: {}, Bytes read: {}",
        rep.processed, rep.passed, rep.blocks_skipped, rep.bytes_read
    );
    out
}

/// The timing line, same layout as nfdump's (values are ours).
pub fn timing(cpu_sys: Duration, cpu_user: Duration, wall: Duration, processed: u64) -> String {
    let w = wall.as_secs_f64();
    let rate = if w > 0.0 { processed as f64 / w } else { 0.0 };
    format!(
        "Sys: {:.4}s User: {:.4}s Wall: {:.4}s flows/second: {:.1} Runtime: {:.4}s\n",
        cpu_sys.as_secs_f64(),
        cpu_user.as_secs_f64(),
        w,
        rate,
        w
    )
}

/// CPU times of this process (user, system) from `/proc/self/stat`; zero where unavailable.
pub fn cpu_times() -> (Duration, Duration) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (Duration::ZERO, Duration::ZERO);
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(Duration::ZERO, |t| Duration::from_millis(t * 10))
    };
    (ticks(11), ticks(12))
}

/// csv's footer block.
pub fn csv(rep: &ScanReport) -> String {
    let s = &rep.passed_stats;
    let (bps, pps, bpp) = averages(s);
    format!(
        "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n{},{},{},{bps},{pps},{bpp}\n",
        s.flows, s.bytes, s.packets
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_truncate_like_nfdump() {
        // Two flows from the generated fixture: 1076 bytes over 0.568 s.
        let s = FileStats {
            flows: 2,
            bytes: 1076,
            packets: 2,
            first_seen_ms: 1_798_659_737_723,
            last_seen_ms: 1_798_659_738_291,
            ..FileStats::default()
        };
        assert_eq!(averages(&s), (15154, 3, 538));
        // Records that span no time: bpp is 0 too, as nfdump prints it.
        let one = FileStats {
            last_seen_ms: s.first_seen_ms,
            ..s
        };
        assert_eq!(averages(&one), (0, 0, 0));
    }
}
