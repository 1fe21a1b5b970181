//! The `-t` time window of nfdump (nfdump-cli.md §1.4): `YYYY/MM/dd.hh:mm:ss`, with trailing
//! parts optional, as a start or a `start-end` range in local time (`TZ` is honoured), or the
//! relative `+N` (first N seconds of the data) and `-N` (last N seconds).
//!
//! A record is inside a window only when it lies completely inside it (`first >= start` and
//! `last <= end`), the 1.7.1 semantics. Files can be pre-selected by their slot names.

use std::path::PathBuf;

use chrono::{Datelike, NaiveDate, TimeDelta};

use crate::error::{Error, Result};
use crate::naming;

/// An absolute window in UNIX milliseconds, both ends inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeWindow {
    /// First millisecond of the window.
    pub start_ms: u64,
    /// Last millisecond of the window (`u64::MAX` when open-ended).
    pub end_ms: u64,
}

impl TimeWindow {
    /// The window that contains everything.
    pub const ALL: TimeWindow = TimeWindow {
        start_ms: 0,
        end_ms: u64::MAX,
    };

    /// Whether a flow lies completely inside the window (nfdump 1.7.1 record filter).
    pub fn contains(&self, first_ms: u64, last_ms: u64) -> bool {
        first_ms >= self.start_ms && last_ms <= self.end_ms
    }

    /// Whether a span (a file's first..last seen) touches the window at all: files whose
    /// stat record lies completely outside are skipped without reading.
    pub fn overlaps(&self, first_ms: u64, last_ms: u64) -> bool {
        last_ms >= self.start_ms && first_ms <= self.end_ms
    }

    /// Whether the window has an end.
    pub fn is_bounded(&self) -> bool {
        self.end_ms != u64::MAX
    }
}

/// A parsed `-t` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSpec {
    /// An absolute window.
    Absolute(TimeWindow),
    /// `+N`: the first N seconds of the data.
    FirstSecs(u64),
    /// `-N`: the last N seconds of the data.
    LastSecs(u64),
}

impl TimeSpec {
    /// The absolute window, given the first and last millisecond of the data (needed for the
    /// relative forms only).
    pub fn resolve(&self, data_first_ms: u64, data_last_ms: u64) -> TimeWindow {
        match *self {
            TimeSpec::Absolute(w) => w,
            TimeSpec::FirstSecs(n) => TimeWindow {
                start_ms: data_first_ms,
                end_ms: data_first_ms.saturating_add(n.saturating_mul(1000)),
            },
            TimeSpec::LastSecs(n) => TimeWindow {
                start_ms: data_last_ms.saturating_sub(n.saturating_mul(1000)),
                end_ms: data_last_ms,
            },
        }
    }
}

/// Parses a `-t` argument.
///
/// # Errors
/// A one-line message like nfdump's (`Time format error: '3' unexpected.`) for a malformed or
/// out-of-range part, or for an end before the start.
pub fn parse(s: &str) -> Result<TimeSpec> {
    if let Some(rest) = s.strip_prefix('+') {
        return relative(s, rest).map(TimeSpec::FirstSecs);
    }
    if let Some(rest) = s.strip_prefix('-') {
        return relative(s, rest).map(TimeSpec::LastSecs);
    }
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let start = parse_time(a)?;
    let end = match b {
        Some(b) => parse_time(b)?,
        None => return Ok(TimeSpec::Absolute(ms_window(start, None))),
    };
    if end < start {
        return Err(Error::invalid(format!(
            "Time window error: end '{}' is before start '{a}'.",
            b.unwrap_or_default()
        )));
    }
    Ok(TimeSpec::Absolute(ms_window(start, Some(end))))
}

fn ms_window(start: i64, end: Option<i64>) -> TimeWindow {
    // Local times of early 1970 east of UTC are before the epoch; no flow is older.
    let ms = |t: i64| u64::try_from(t).unwrap_or(0).saturating_mul(1000);
    TimeWindow {
        start_ms: ms(start),
        end_ms: end.map_or(u64::MAX, ms),
    }
}

fn relative(whole: &str, digits: &str) -> Result<u64> {
    if let Some(bad) = digits.find(|c: char| !c.is_ascii_digit()) {
        let at = digits.get(bad..).unwrap_or_default();
        return Err(Error::invalid(format!(
            "Invalid time string {whole} at {at}"
        )));
    }
    match digits.parse::<u64>() {
        Ok(n) if n != 0 && whole.len() <= 10 => Ok(n),
        _ => Err(Error::invalid(format!("Ignore time string: {whole}"))),
    }
}

/// Parses one `YYYY[/MM[/dd[.hh[:mm[:ss]]]]]` as local time, to UNIX seconds. Error messages
/// are those of nfdump 1.7.1 (observed): `Time string format error '25'`, `Month out of
/// range: '13'`, `Time format error: '3' unexpected.`, `Time format error at '28 03':
/// unexpected character: ' '.`
pub fn parse_time(s: &str) -> Result<i64> {
    // (name, separator after the part, width, min, max); missing parts are 0, day/month 1.
    const PARTS: [(&str, char, usize, u32, u32); 6] = [
        ("Year", '/', 4, 1970, 2038),
        ("Month", '/', 2, 1, 12),
        ("Day", '.', 2, 1, 31),
        ("Hour", ':', 2, 0, 23),
        ("Minute", ':', 2, 0, 59),
        ("Second", '\0', 2, 0, 59),
    ];
    let invalid = |m: String| Error::invalid(m);
    let mut values = [1970, 1, 1, 0, 0, 0];
    let mut rest = s;
    for (i, (name, sep, width, min, max)) in PARTS.iter().enumerate() {
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(end);
        if num.len() != *width {
            return Err(invalid(if i == 0 {
                format!("Time string format error '{s}'")
            } else {
                format!("Time format error: '{rest}' unexpected.")
            }));
        }
        let v: u32 = num
            .parse()
            .map_err(|_| invalid(format!("Time format error: '{num}' unexpected.")))?;
        if v < *min || v > *max {
            return Err(invalid(format!("{name} out of range: '{num}'")));
        }
        if let Some(slot) = values.get_mut(i) {
            *slot = v;
        }
        if tail.is_empty() {
            break;
        }
        match tail.strip_prefix(*sep) {
            Some(next) if *sep != '\0' => rest = next,
            _ => {
                let c = tail.chars().next().unwrap_or_default();
                return Err(invalid(format!(
                    "Time format error at '{rest}': unexpected character: '{c}'."
                )));
            }
        }
    }
    let err = || invalid(format!("Time string format error '{s}'"));
    let [year, month, day, hour, minute, second] = values;
    // mktime normalises day 31 of a short month into the next month; so do we.
    let date = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, 1))
        .and_then(|d| d.checked_add_signed(TimeDelta::days(i64::from(day) - 1)))
        .filter(|d| d.year() >= 1970)
        .ok_or_else(err)?;
    let naive = date.and_hms_opt(hour, minute, second).ok_or_else(err)?;
    naming::local_to_unix(naive).ok_or_else(err)
}

/// Chooses the files that may hold flows of `win` by their slot names alone, keeping the
/// order. A file for slot `t` holds flows received in `[t, t + interval)`, whose last packet
/// is not later than that; flows exported late (active timeout) may be in a later file, so
/// files are only dropped when their slot starts more than `slack_secs` after the window.
/// Files without a slot name are always kept.
pub fn files_for_window(
    files: Vec<PathBuf>,
    win: &TimeWindow,
    interval_secs: u64,
    slack_secs: u64,
) -> Vec<PathBuf> {
    let start_s = win.start_ms / 1000;
    let end_s = if win.is_bounded() {
        win.end_ms / 1000
    } else {
        u64::MAX
    };
    files
        .into_iter()
        .filter(|p| {
            let slot = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(naming::parse_any_name)
                .and_then(|t| u64::try_from(t).ok());
            slot.is_none_or(|t| {
                t.saturating_add(interval_secs) > start_s && t <= end_s.saturating_add(slack_secs)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> u64 {
        u64::try_from(naming::parse_time_string(s).unwrap()).unwrap() * 1000
    }

    #[test]
    fn absolute_forms_and_partial_parts() {
        let w = |s: &str| match parse(s).unwrap() {
            TimeSpec::Absolute(w) => w,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            w("2025/11/28.03:30:00-2025/11/28.03:35:00"),
            TimeWindow {
                start_ms: local("202511280330"),
                end_ms: local("202511280335")
            }
        );
        assert_eq!(w("2025").start_ms, local("202501010000"));
        assert_eq!(w("2025/11").start_ms, local("202511010000"));
        assert_eq!(w("2025/11/28").start_ms, local("202511280000"));
        assert_eq!(w("2025/11/28.03").start_ms, local("202511280300"));
        assert_eq!(w("2025/11/28.03:30").start_ms, local("202511280330"));
        assert_eq!(
            w("2025/11/28.03:30:07").start_ms,
            local("202511280330") + 7000
        );
        assert_eq!(w("2025/11/28").end_ms, u64::MAX);
        // Day 31 of November is normalised like mktime does.
        assert_eq!(w("2025/11/31").start_ms, local("202512010000"));
    }

    #[test]
    fn malformed_parts_are_named() {
        // Messages as printed by nfdump 1.7.1 for the same arguments.
        let e = |s: &str| parse(s).unwrap_err().to_string();
        assert_eq!(e("2025/11/3"), "Time format error: '3' unexpected.");
        assert_eq!(e("25"), "Time string format error '25'");
        assert_eq!(e("2025/13"), "Month out of range: '13'");
        assert_eq!(e("2025/11/28.24"), "Hour out of range: '24'");
        assert_eq!(
            e("2025/11/28 03"),
            "Time format error at '28 03': unexpected character: ' '."
        );
        assert_eq!(e("1969"), "Year out of range: '1969'");
        assert_eq!(e("2039"), "Year out of range: '2039'");
        assert_eq!(
            e("2025/11/28.03:30:00x"),
            "Time format error at '00x': unexpected character: 'x'."
        );
        assert_eq!(e("+0"), "Ignore time string: +0");
        assert_eq!(e("-1x"), "Invalid time string -1x at x");
        // Not nfdump's: it accepted these and then found no files or ignored the window.
        assert!(e("2025/11/28-2025/11/27").starts_with("Time window error"));
        assert_eq!(e("+12345678901"), "Ignore time string: +12345678901");
        assert_eq!(e("2025/"), "Time format error: '' unexpected.");
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,24}") {
            let _ = parse(&s);
        }

        #[test]
        fn valid_times_round_trip(y in 1971u32..2038, mo in 1u32..=12, d in 1u32..=28,
                                  h in 0u32..24, mi in 0u32..60, se in 0u32..60) {
            let text = format!("{y:04}/{mo:02}/{d:02}.{h:02}:{mi:02}:{se:02}");
            let secs = parse_time(&text).unwrap();
            let back = naming::local(secs).unwrap().format("%Y/%m/%d.%H:%M:%S").to_string();
            // A local time inside a DST gap moves forward; all others come back unchanged.
            proptest::prop_assert!(back >= text, "{} -> {}", text, back);
        }
    }

    #[test]
    fn relative_forms_resolve_against_the_data() {
        assert_eq!(parse("+60").unwrap(), TimeSpec::FirstSecs(60));
        assert_eq!(parse("-300").unwrap(), TimeSpec::LastSecs(300));
        let w = TimeSpec::FirstSecs(60).resolve(10_000, 900_000);
        assert_eq!((w.start_ms, w.end_ms), (10_000, 70_000));
        let w = TimeSpec::LastSecs(300).resolve(10_000, 900_000);
        assert_eq!((w.start_ms, w.end_ms), (600_000, 900_000));
    }

    #[test]
    fn records_must_lie_completely_inside() {
        let w = TimeWindow {
            start_ms: 1000,
            end_ms: 2000,
        };
        assert!(w.contains(1000, 2000));
        assert!(!w.contains(999, 1500));
        assert!(!w.contains(1500, 2001));
        assert!(w.overlaps(500, 1000));
        assert!(!w.overlaps(2001, 3000));
        assert!(TimeWindow::ALL.contains(0, u64::MAX));
    }

    #[test]
    fn window_ends_are_whole_seconds_as_in_nfdump() {
        // nfdump 1.7.1 on fixtures/nfdump/v171-nfcapd-v9-none.nf (TZ=UTC): with
        // `-t 2027/01/01.06:17:28-2027/01/01.06:17:29` the flows 28.322-28.362 passed and the
        // flow 29.322-29.322 did not: the end is the second itself, not its last millisecond.
        let TimeSpec::Absolute(w) = parse("2027/01/01.06:17:28-2027/01/01.06:17:29").unwrap()
        else {
            panic!("absolute window expected");
        };
        let base = u64::try_from(parse_time("2027/01/01.06:17:28").unwrap()).unwrap() * 1000;
        assert!(w.contains(base + 322, base + 362));
        assert!(!w.contains(base + 1322, base + 1322));
        assert!(!w.contains(base - 678, base - 158));
    }

    #[test]
    fn files_are_preselected_by_slot_name() {
        let names = ["0320", "0325", "0330", "0335", "0340"]
            .map(|m| PathBuf::from(format!("d/nfcapd.20251128{m}")));
        let mut files = names.to_vec();
        files.push(PathBuf::from("d/other"));
        let win = TimeWindow {
            start_ms: local("202511280330"),
            end_ms: local("202511280335"),
        };
        let got = files_for_window(files, &win, 300, 0);
        assert_eq!(
            got,
            [names[2].clone(), names[3].clone(), PathBuf::from("d/other")]
        );
    }
}
