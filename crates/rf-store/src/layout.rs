//! The `-S` sub-directory layouts of nfcapd (0..8) and the full path of a slot's flow file.
//! The sub-directory is derived from the slot start in local time, so every layout sorts
//! chronologically by name, which expiry and range selection rely on.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::naming::{self, NameStyle};

/// A sub-directory layout, numbered as nfcapd's `-S` option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Layout {
    /// 0: all files directly in the flow directory.
    #[default]
    Flat,
    /// 1: `%Y/%m/%d`.
    YearMonthDay,
    /// 2: `%Y/%m/%d/%H`.
    YearMonthDayHour,
    /// 3: `%Y/%W/%u` (week of year with Monday first, weekday 1..7).
    YearWeekDay,
    /// 4: `%Y/%W/%u/%H`.
    YearWeekDayHour,
    /// 5: `%Y/%j` (day of year).
    YearDayOfYear,
    /// 6: `%Y/%j/%H`.
    YearDayOfYearHour,
    /// 7: `%Y-%m-%d`.
    Date,
    /// 8: `%Y-%m-%d/%H`.
    DateHour,
}

impl Layout {
    /// Every layout, in `-S` number order.
    pub const ALL: [Layout; 9] = [
        Layout::Flat,
        Layout::YearMonthDay,
        Layout::YearMonthDayHour,
        Layout::YearWeekDay,
        Layout::YearWeekDayHour,
        Layout::YearDayOfYear,
        Layout::YearDayOfYearHour,
        Layout::Date,
        Layout::DateHour,
    ];

    /// The layout of `-S n`.
    ///
    /// # Errors
    /// `No such subdir level N` for numbers outside 0..=8, as nfcapd.
    pub fn from_index(n: u32) -> Result<Layout> {
        usize::try_from(n)
            .ok()
            .and_then(|i| Layout::ALL.get(i).copied())
            .ok_or_else(|| Error::invalid(format!("No such subdir level {n}")))
    }

    /// The `-S` number of this layout.
    pub fn index(self) -> u32 {
        self as u32
    }

    /// The strftime pattern of the sub-directory, `None` for the flat layout.
    pub fn pattern(self) -> Option<&'static str> {
        match self {
            Layout::Flat => None,
            Layout::YearMonthDay => Some("%Y/%m/%d"),
            Layout::YearMonthDayHour => Some("%Y/%m/%d/%H"),
            Layout::YearWeekDay => Some("%Y/%W/%u"),
            Layout::YearWeekDayHour => Some("%Y/%W/%u/%H"),
            Layout::YearDayOfYear => Some("%Y/%j"),
            Layout::YearDayOfYearHour => Some("%Y/%j/%H"),
            Layout::Date => Some("%Y-%m-%d"),
            Layout::DateHour => Some("%Y-%m-%d/%H"),
        }
    }

    /// How many directory levels the layout adds below the flow directory.
    pub fn depth(self) -> usize {
        self.pattern()
            .map_or(0, |p| p.bytes().filter(|&b| b == b'/').count() + 1)
    }

    /// The relative sub-directory for a slot (empty for [`Layout::Flat`]).
    pub fn subdir(self, slot_secs: i64) -> PathBuf {
        match (self.pattern(), naming::local(slot_secs)) {
            (Some(p), Some(t)) => PathBuf::from(t.format(p).to_string()),
            _ => PathBuf::new(),
        }
    }
}

/// The path of the flow file for a slot: `base/<layout subdir>/nfcapd.<time>`.
pub fn flow_path(base: &Path, layout: Layout, slot_secs: i64, style: NameStyle) -> PathBuf {
    base.join(layout.subdir(slot_secs))
        .join(naming::slot_name(slot_secs, style))
}

/// The path of the flow file for a slot of one exporter under an nfcapd `-M` style directory:
/// `base/<ident>/<layout subdir>/nfcapd.<time>`, where `ident` is a source name (see
/// [`exporter_dir_name`]). An empty ident means no per-source directory.
pub fn source_flow_path(
    base: &Path,
    ident: &str,
    layout: Layout,
    slot_secs: i64,
    style: NameStyle,
) -> PathBuf {
    flow_path(&base.join(ident), layout, slot_secs, style)
}

/// The directory name nfcapd `-M` gives an exporter: its address with `.` and `:` replaced by
/// `-` (`10.10.10.8` -> `10-10-10-8`).
pub fn exporter_dir_name(ip: IpAddr) -> String {
    ip.to_string().replace(['.', ':'], "-")
}

/// The relative paths (sub-directory + name) a slot-named file could have under any layout,
/// deepest layouts last. Used to find a file named without its sub-directory.
pub fn guesses(name: &str) -> Vec<PathBuf> {
    let Some(secs) = naming::parse_any_name(name) else {
        return Vec::new();
    };
    Layout::ALL
        .iter()
        .filter(|l| **l != Layout::Flat)
        .map(|l| l.subdir(secs).join(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_numbers_and_depths() {
        assert_eq!(Layout::from_index(2).map(Layout::index).ok(), Some(2));
        let err = Layout::from_index(9).unwrap_err().to_string();
        assert_eq!(err, "No such subdir level 9");
        let depths: Vec<usize> = Layout::ALL.iter().map(|l| l.depth()).collect();
        assert_eq!(depths, [0, 3, 4, 3, 4, 2, 3, 1, 2]);
    }

    #[test]
    fn paths_follow_the_strftime_patterns() {
        // The time string of the path is checked against the time string of the name, so
        // the test holds in any TZ.
        let t = 1_795_837_030; // 2026-11-28 03:37:10 UTC
        let p = flow_path(
            Path::new("/d"),
            Layout::YearMonthDayHour,
            t,
            NameStyle::Seconds,
        );
        let name = naming::slot_string(t, NameStyle::Seconds);
        let want = format!(
            "/d/{}/{}/{}/{}/nfcapd.{name}",
            &name[0..4],
            &name[4..6],
            &name[6..8],
            &name[8..10]
        );
        assert_eq!(p, PathBuf::from(want));
        let p = flow_path(Path::new("d"), Layout::Date, t, NameStyle::Minutes);
        let want = format!(
            "d/{}-{}-{}/nfcapd.{}",
            &name[0..4],
            &name[4..6],
            &name[6..8],
            &name[..12]
        );
        assert_eq!(p, PathBuf::from(want));
        assert_eq!(
            flow_path(Path::new("d"), Layout::Flat, t, NameStyle::Minutes),
            PathBuf::from(format!("d/nfcapd.{}", &name[..12]))
        );
    }

    #[test]
    fn exporter_dirs_and_guesses() {
        assert_eq!(
            exporter_dir_name("10.10.10.8".parse().unwrap()),
            "10-10-10-8"
        );
        assert_eq!(exporter_dir_name("fe80::1".parse().unwrap()), "fe80--1");
        let g = guesses("nfcapd.202511280325");
        assert_eq!(g.len(), 8);
        assert!(g.iter().all(|p| p.ends_with("nfcapd.202511280325")));
        assert!(guesses("notes.txt").is_empty());
        assert_eq!(
            source_flow_path(Path::new("b"), "r1", Layout::Flat, 0, NameStyle::Minutes)
                .parent()
                .map(Path::to_path_buf),
            Some(PathBuf::from("b/r1"))
        );
    }
}
