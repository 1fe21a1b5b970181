//! Flow file names: `nfcapd.YYYYMMDDhhmm` (or `...hhmmss` for rotation intervals below a
//! minute, or `...hhmm+zzzz` for nfcapd `-Z`), formatted and parsed in the local time zone
//! exactly as nfcapd does, so rflow and nfdump agree on which slot a file holds.

use chrono::{DateTime, Local, LocalResult, NaiveDate, NaiveDateTime, TimeZone};

/// Prefix of every finished flow file.
pub const PREFIX: &str = "nfcapd.";

/// Prefix of the file a running collector is writing (`nfcapd.current.<pid>`).
pub const CURRENT_PREFIX: &str = "nfcapd.current";

/// How the slot time is spelled in a file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NameStyle {
    /// `%Y%m%d%H%M` (nfcapd default).
    #[default]
    Minutes,
    /// `%Y%m%d%H%M%S` (nfcapd with `-t` below 60 seconds).
    Seconds,
    /// `%Y%m%d%H%M%z` (nfcapd `-Z`).
    MinutesZone,
}

impl NameStyle {
    /// The style nfcapd picks for a rotation interval (seconds below 60) and `-Z`.
    pub fn for_interval(interval_secs: u64, zone: bool) -> NameStyle {
        if zone {
            NameStyle::MinutesZone
        } else if interval_secs < 60 {
            NameStyle::Seconds
        } else {
            NameStyle::Minutes
        }
    }

    fn strftime(self) -> &'static str {
        match self {
            NameStyle::Minutes => "%Y%m%d%H%M",
            NameStyle::Seconds => "%Y%m%d%H%M%S",
            NameStyle::MinutesZone => "%Y%m%d%H%M%z",
        }
    }
}

/// The local date-time of a UNIX time, `None` outside chrono's range.
pub(crate) fn local(secs: i64) -> Option<DateTime<Local>> {
    Local.timestamp_opt(secs, 0).single()
}

/// The time string of a slot (`202511280325`), in local time like nfcapd's `strftime`.
pub fn slot_string(slot_secs: i64, style: NameStyle) -> String {
    match local(slot_secs) {
        Some(t) => t.format(style.strftime()).to_string(),
        // Out of chrono's range (year ±262143): no real slot; keep the number visible.
        None => slot_secs.to_string(),
    }
}

/// The file name of a slot: `nfcapd.` + [`slot_string`].
pub fn slot_name(slot_secs: i64, style: NameStyle) -> String {
    format!("{PREFIX}{}", slot_string(slot_secs, style))
}

/// The name of the file a collector with process id `pid` writes into.
pub fn current_name(pid: u32) -> String {
    format!("{CURRENT_PREFIX}.{pid}")
}

/// Whether `name` is a file of a running collector (never read, never expired).
pub fn is_current(name: &str) -> bool {
    name.starts_with(CURRENT_PREFIX)
}

/// Converts a local date-time to UNIX seconds the way `mktime` does: an ambiguous time (DST
/// end) takes the earlier instant, a skipped time (DST start) is moved forward by the gap.
pub(crate) fn local_to_unix(naive: NaiveDateTime) -> Option<i64> {
    match Local.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(a, b) => Some(a.timestamp().min(b.timestamp())),
        LocalResult::None => {
            // Inside a DST gap: mktime normalises by the offset before the gap. Try one hour
            // later (all real gaps are at most one hour), then give up.
            let later = naive.checked_add_signed(chrono::TimeDelta::hours(1))?;
            Local
                .from_local_datetime(&later)
                .earliest()
                .map(|t| t.timestamp() - 3600)
        }
    }
}

/// Parses the 12 or 14 digit time string of a slot name (`YYYYMMDDhhmm[ss]`) as local time.
pub fn parse_time_string(digits: &str) -> Option<i64> {
    let b = digits.as_bytes();
    if !(b.len() == 12 || b.len() == 14) || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<u32>().ok());
    let year = i32::try_from(num(0..4)?).ok()?;
    let sec = if b.len() == 14 { num(12..14)? } else { 0 };
    let naive = NaiveDate::from_ymd_opt(year, num(4..6)?, num(6..8)?)?.and_hms_opt(
        num(8..10)?,
        num(10..12)?,
        sec,
    )?;
    local_to_unix(naive)
}

/// A flow file name taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotName<'a> {
    /// The time string as written (`202511280325` or `20251128032510`).
    pub digits: &'a str,
    /// The slot start as UNIX seconds.
    pub secs: i64,
}

/// Parses a finished flow file name, `nfcapd.` + 12 or 14 digits, as nfexpire accepts them.
/// Anything else (`nfcapd.current.*`, `-Z` names, other files) gives `None`.
pub fn parse_name(name: &str) -> Option<SlotName<'_>> {
    let digits = name.strip_prefix(PREFIX)?;
    let secs = parse_time_string(digits)?;
    Some(SlotName { digits, secs })
}

/// Like [`parse_name`], but also accepts nfcapd `-Z` names (`nfcapd.202611280337+0000`), whose
/// zone offset is honoured. Used where a name only has to be placed in time (file guessing).
pub fn parse_any_name(name: &str) -> Option<i64> {
    if let Some(s) = parse_name(name) {
        return Some(s.secs);
    }
    let rest = name.strip_prefix(PREFIX)?;
    let (digits, zone) = (rest.get(..12)?, rest.get(12..)?);
    if zone.len() != 5 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    DateTime::parse_from_str(&format!("{digits}{zone}"), "%Y%m%d%H%M%z")
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    // These tests only use UTC-independent facts, except where TZ is forced by the process
    // environment of `cargo test` (the suite does not set TZ, so round trips are checked
    // instead of absolute values).

    #[test]
    fn names_round_trip_in_local_time() {
        for secs in [0i64, 1_764_300_300, 1_795_837_030] {
            let slot = secs - secs % 60;
            let name = slot_name(slot, NameStyle::Minutes);
            assert_eq!(name.len(), 19);
            assert_eq!(parse_name(&name).map(|s| s.secs), Some(slot));
            let name = slot_name(secs, NameStyle::Seconds);
            assert_eq!(name.len(), 21);
            assert_eq!(parse_name(&name).map(|s| s.secs), Some(secs));
        }
    }

    #[test]
    fn zone_names_parse_with_their_offset() {
        assert_eq!(
            parse_any_name("nfcapd.202611280337+0000"),
            Some(1_795_837_020)
        );
        assert_eq!(
            parse_any_name("nfcapd.202611280437+0100"),
            Some(1_795_837_020)
        );
        assert_eq!(parse_name("nfcapd.202611280337+0000"), None);
    }

    #[test]
    fn only_12_or_14_digits_are_flow_names() {
        for bad in [
            "nfcapd.current.1234",
            "nfcapd.2025112803",
            "nfcapd.2025112803251",
            "nfcapd.202511280325.bak",
            "nfcapd.20251328032500",
            "nfcapd.202511280360",
            "xfcapd.202511280325",
            ".nfstat",
        ] {
            assert!(parse_name(bad).is_none(), "{bad}");
        }
        assert_eq!(
            parse_name("nfcapd.202511280325").map(|s| s.digits),
            Some("202511280325")
        );
        assert!(is_current("nfcapd.current.77"));
        assert_eq!(current_name(77), "nfcapd.current.77");
        assert_eq!(NameStyle::for_interval(10, false), NameStyle::Seconds);
        assert_eq!(NameStyle::for_interval(300, false), NameStyle::Minutes);
        assert_eq!(NameStyle::for_interval(10, true), NameStyle::MinutesZone);
    }
}
