//! Expiry of old flow files, the engine of `rfexpire` and of `rfcapd -e`, following nfexpire
//! 1.7.1 (nfdump-cli.md §6.3): files are visited oldest first (name order, across `-S`
//! layouts); while the total size is above the size limit, files are removed until it is at
//! most `watermark% × maxsize`; then, if the oldest file is older than the lifetime, files are
//! removed whose time string is earlier than `now − watermark% × lifetime`. The walk stops as
//! soon as both limits hold. Emptied sub-directories go too, never the flow directory itself.
//!
//! Differences from nfexpire, all on the side of safety: only files with a flow-file magic
//! are touched ([`scan`]); symbolic links are never followed; the sizes and times used for
//! the decision come from a fresh scan, not from a possibly stale `.nfstat`; and every run
//! holds an exclusive `flock` on the directory, so overlapping runs (cron, `rfcapd -e`) wait
//! for each other and the second one finds the files already gone.

pub mod scan;
pub mod statfile;
pub mod units;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::naming::{self, NameStyle};
pub use scan::FlowEntry;
pub use statfile::DirStat;
use statfile::{ReadError, STATUS_OK, STATUS_REBUILD};

/// Limits given on the command line; `None` keeps the value stored in `.nfstat`. Values given
/// are saved to `.nfstat`, as nfexpire does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Maximum total size in bytes (0 = no limit).
    pub max_size: Option<u64>,
    /// Maximum age in seconds (0 = no limit).
    pub lifetime: Option<u64>,
    /// Low watermark in percent, 1..=100.
    pub watermark: Option<u32>,
}

/// How a run behaves.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Decide and report, but remove and write nothing.
    pub dry_run: bool,
    /// Stop removing after this long (nfexpire `-T`); the lock wait counts too.
    pub runtime: Option<Duration>,
    /// The current time in UNIX seconds (tests); `None` = the clock.
    pub now: Option<i64>,
    /// Asked before the lifetime limit would remove every file (nfexpire asks on a TTY);
    /// returning false cancels the run. `None` = do not ask.
    pub confirm_all: Option<fn(&Path) -> bool>,
}

/// What a run does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Show the bookkeeping (rebuilt first if missing or invalid). nfexpire `-l`.
    List,
    /// Recount the directory and show it. nfexpire `-r`.
    Rescan,
    /// Store new limits. nfexpire `-u`.
    Update,
    /// Remove files beyond the limits. nfexpire `-e`.
    Expire,
}

/// One removed (or, in a dry run, selected) file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    /// Its path.
    pub path: PathBuf,
    /// Its disk usage in bytes.
    pub size: u64,
}

/// Totals of an expire run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expired {
    /// Number of files removed.
    pub files: u64,
    /// Bytes of disk usage freed.
    pub size: u64,
    /// How far the oldest slot moved forward, in seconds.
    pub time_range: u64,
}

/// The result of a run, printable like nfexpire's output.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The flow directory (canonical path).
    pub dir: PathBuf,
    /// Informational lines in order (rebuild notices, scanning).
    pub notes: Vec<String>,
    /// Problems that did not stop the run (a file that could not be removed).
    pub warnings: Vec<String>,
    /// Files removed, oldest first.
    pub removed: Vec<Removed>,
    /// Totals, for [`Action::Expire`].
    pub expired: Option<Expired>,
    /// The bookkeeping after the run.
    pub stat: DirStat,
    /// The runtime limit stopped the run early.
    pub timed_out: bool,
    /// Nothing was changed on disk.
    pub dry_run: bool,
}

/// Runs `rfexpire -e` on `dir` with the limits stored in its `.nfstat`, overridden (and
/// saved) by `limits`. This is what `rfcapd -e` calls after each rotation.
///
/// # Errors
/// The directory is missing or unreadable, the lock cannot be taken in time, the bookkeeping
/// cannot be written. Files that cannot be removed are reported in [`Outcome::warnings`].
pub fn expire_dir(dir: &Path, limits: &Limits, opts: &Options) -> Result<Outcome> {
    run(dir, Action::Expire, limits, opts)
}

/// Runs one nfexpire action on `dir`.
///
/// # Errors
/// As [`expire_dir`].
pub fn run(dir: &Path, action: Action, limits: &Limits, opts: &Options) -> Result<Outcome> {
    let started = Instant::now();
    let deadline = opts.runtime.map(|d| started + d);
    let meta = fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::invalid(format!(
            "{}: not a directory",
            dir.display()
        )));
    }
    let dir = fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
    let _lock = lock_dir(&dir, deadline)?;
    let now = opts.now.unwrap_or_else(unix_now);
    let mut out = Outcome {
        dir: dir.clone(),
        notes: Vec::new(),
        warnings: Vec::new(),
        removed: Vec::new(),
        expired: None,
        stat: DirStat::default(),
        timed_out: false,
        dry_run: opts.dry_run,
    };
    let shown = dir.display().to_string();
    let (mut st, mut rescan) = match statfile::read(&dir) {
        Ok(st) if st.status == STATUS_OK => (st, false),
        Ok(st) => {
            out.notes
                .push(format!("Force rebuild requested by stat record in {shown}"));
            (st, true)
        }
        Err(ReadError::Missing) => {
            out.notes
                .push(format!("Force rebuild to create stat record in {shown}"));
            (new_stat(), true)
        }
        Err(ReadError::Corrupt(why)) => {
            out.notes.push(format!(
                "Invalid stat record in {shown} ({why}): force rebuild"
            ));
            (new_stat(), true)
        }
    };
    rescan |= action == Action::Rescan;
    // Expiry always works on a fresh scan; a list or update only when the books are unusable.
    let files = if rescan || action == Action::Expire {
        scan::scan(&dir)?
    } else {
        Vec::new()
    };
    if rescan {
        out.notes
            .push(format!("Scanning files in {shown} .. done."));
    }
    if rescan || action == Action::Expire {
        count(&mut st, &files, now);
    }
    if matches!(action, Action::Update | Action::Expire) {
        if let Some(v) = limits.max_size {
            st.max_size = v;
        }
        if let Some(v) = limits.lifetime {
            st.lifetime = v;
        }
        if let Some(v) = limits.watermark {
            st.watermark = v;
        }
    }
    let mut write = rescan || action != Action::List;
    if action == Action::Expire {
        if st.watermark == 0 {
            st.watermark = 95;
        }
        let expired = expire(&dir, &files, &mut st, now, deadline, opts, &mut out);
        match expired {
            Some(e) => out.expired = Some(e),
            None => {
                out.notes.push("Expire cancelled.".into());
                write = false;
            }
        }
    }
    if write && !opts.dry_run {
        match statfile::write(&dir, &st) {
            // Listing a directory one may not write (an archive mounted read-only) still
            // lists it; only the rebuilt books are not kept.
            Err(e) if action == Action::List => {
                out.warnings.push(format!("stat record not saved: {e}"))
            }
            r => r?,
        }
    }
    out.stat = st;
    Ok(out)
}

/// Books for a directory that has none: no limits, nfexpire's default watermark.
fn new_stat() -> DirStat {
    DirStat {
        watermark: 95,
        status: STATUS_REBUILD,
        ..DirStat::default()
    }
}

/// Sets the counters of `st` from a scan. An empty directory keeps asking for a rebuild and
/// has `first = last = now`, as nfexpire.
fn count(st: &mut DirStat, files: &[FlowEntry], now: i64) {
    st.numfiles = files.len() as u64;
    st.size = files.iter().map(|f| f.size).sum();
    st.first = files.iter().map(|f| f.secs).min().unwrap_or(now);
    st.last = files.iter().map(|f| f.secs).max().unwrap_or(now);
    st.status = if files.is_empty() {
        STATUS_REBUILD
    } else {
        STATUS_OK
    };
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Takes the exclusive lock of the flow directory (an `flock` on the directory itself, so no
/// extra file appears among the flow files). Waits for another run to finish, until the
/// deadline if there is one.
fn lock_dir(dir: &Path, deadline: Option<Instant>) -> Result<fs::File> {
    let f = fs::File::open(dir).map_err(|e| Error::io(dir, e))?;
    let Some(deadline) = deadline else {
        f.lock().map_err(|e| Error::io(dir, e))?;
        return Ok(f);
    };
    loop {
        match f.try_lock() {
            Ok(()) => return Ok(f),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::invalid(format!(
                    "{}: another expire run holds the lock; runtime limit reached",
                    dir.display()
                )));
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(dir, e)),
        }
    }
}

/// The expire walk of nfexpire 1.7.1 over `files` (oldest first). Returns `None` when the
/// confirmation callback cancels the run.
fn expire(
    dir: &Path,
    files: &[FlowEntry],
    st: &mut DirStat,
    now: i64,
    deadline: Option<Instant>,
    opts: &Options,
    out: &mut Outcome,
) -> Option<Expired> {
    let lifetime = i64::try_from(st.lifetime).unwrap_or(i64::MAX);
    if lifetime > 0
        && st.last < now.saturating_sub(lifetime)
        && !opts.dry_run
        && let Some(confirm) = opts.confirm_all
        && !confirm(dir)
    {
        return None;
    }
    let wm = u128::from(st.watermark);
    let old_size = st.size;
    let old_first = st.first;
    let size_limit = u64::try_from(wm * u128::from(st.max_size) / 100).unwrap_or(u64::MAX);
    let mut size_done = st.max_size == 0 || st.size < st.max_size;
    let mut life_done = lifetime == 0 || now.saturating_sub(st.first) < lifetime;
    // Names are compared as text against the seconds-resolution time string of the limit,
    // exactly like nfexpire's strcmp: a minute name (`...1842`) sorts before every seconds
    // string of its minute (`...184201`), so it is older than a limit inside that minute.
    let keep = i64::try_from(wm * u128::from(st.lifetime) / 100).unwrap_or(i64::MAX);
    let limit = naming::slot_string(now.saturating_sub(keep), NameStyle::Seconds);
    let mut done = false;
    let mut files_removed = 0u64;
    let mut emptied: Vec<&FlowEntry> = Vec::new();
    let mut checked = None;
    for f in files {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            out.timed_out = true;
            break;
        }
        if !size_done {
            if st.size > size_limit {
                if remove_one(dir, f, st, opts, out, &mut checked) {
                    files_removed += 1;
                    emptied.push(f);
                }
                continue;
            }
            st.first = f.secs;
            size_done = true;
        }
        if !life_done {
            if f.digits.as_str() < limit.as_str() {
                if remove_one(dir, f, st, opts, out, &mut checked) {
                    files_removed += 1;
                    emptied.push(f);
                }
            } else {
                st.first = f.secs;
                life_done = true;
            }
        }
        if size_done && life_done {
            done = true;
            break;
        }
    }
    if !opts.dry_run {
        // Once per directory that lost files (not once per file: rmdir attempts are not
        // free on large trees), remove it and its parents if they are now empty.
        let mut last_parent = None;
        for f in emptied {
            let parent = f.rel.split_last().map(|(_, p)| p);
            if parent != last_parent {
                scan::remove_empty_parents(dir, f);
                last_parent = parent;
            }
        }
    }
    if !done && !out.timed_out {
        // Every file went (or there were none): nothing is left to date the directory.
        st.first = now;
        st.last = now;
        st.status = STATUS_REBUILD;
    }
    Some(Expired {
        files: files_removed,
        size: old_size.saturating_sub(st.size),
        time_range: u64::try_from(st.first.saturating_sub(old_first)).unwrap_or(0),
    })
}

/// Removes one file (or pretends to, in a dry run) and updates the books; true when the
/// file counts as expired.
fn remove_one(
    dir: &Path,
    f: &FlowEntry,
    st: &mut DirStat,
    opts: &Options,
    out: &mut Outcome,
    checked: &mut Option<PathBuf>,
) -> bool {
    let path = f.path(dir);
    let gone = if opts.dry_run {
        true
    } else {
        match scan::remove(dir, f, checked) {
            Ok(true) => true,
            // Removed by someone else meanwhile: its bytes are free, but it is not ours.
            Ok(false) => {
                st.size = st.size.saturating_sub(f.size);
                st.numfiles = st.numfiles.saturating_sub(1);
                return false;
            }
            Err(e) => {
                out.warnings.push(format!("cannot remove: {e}"));
                false
            }
        }
    };
    if !gone {
        return false;
    }
    st.size = st.size.saturating_sub(f.size);
    st.numfiles = st.numfiles.saturating_sub(1);
    out.removed.push(Removed { path, size: f.size });
    true
}

impl Outcome {
    /// The report as rfexpire prints it: notes, the removed files, nfexpire's `Expired ...`
    /// summary and its statistics table (or, with `nfsen`, the line `Stat|size|first|last`).
    pub fn render(&self, nfsen: bool) -> String {
        let mut s = String::new();
        for n in &self.notes {
            let _ = writeln!(s, "{n}");
        }
        let verb = if self.dry_run {
            "Would remove"
        } else {
            "Removed"
        };
        for r in &self.removed {
            let _ = writeln!(
                s,
                "{verb} {} ({})",
                r.path.display(),
                units::scale_size(r.size)
            );
        }
        if self.timed_out {
            let _ = writeln!(s, "Maximum execution time reached! Interrupt expire.");
        }
        if let Some(e) = &self.expired {
            if self.dry_run {
                let _ = writeln!(s, "Dry run: nothing was removed.");
            }
            let _ = writeln!(s, "Expired files:      {}", e.files);
            let _ = writeln!(s, "Expired file size:  {}", units::scale_size(e.size));
            let _ = writeln!(
                s,
                "Expired time range: {}\n",
                units::scale_time(e.time_range)
            );
        }
        let st = &self.stat;
        if nfsen {
            let _ = writeln!(s, "Stat|{}|{}|{}", st.size, st.first, st.last);
            return s;
        }
        let opt = |v: u64, f: fn(u64) -> String| if v == 0 { "<none>".to_string() } else { f(v) };
        let status = match st.status {
            STATUS_OK => "OK".to_string(),
            1..=3 => "Force rebuild".to_string(),
            n => format!("Unexpected: {n}"),
        };
        let _ = writeln!(s, "First:     {}", local_time(st.first));
        let _ = writeln!(s, "Last:      {}", local_time(st.last));
        let span = u64::try_from(st.last.saturating_sub(st.first)).unwrap_or(0);
        let _ = writeln!(s, "Lifetime:  {}", units::scale_time(span));
        let _ = writeln!(s, "Numfiles:  {}", st.numfiles);
        let _ = writeln!(s, "Filesize:  {}", units::scale_size(st.size));
        let _ = writeln!(s, "Max Size:  {}", opt(st.max_size, units::scale_size));
        let _ = writeln!(s, "Max Life:  {}", opt(st.lifetime, units::scale_time));
        let _ = writeln!(s, "Watermark: {}%", st.watermark);
        let _ = writeln!(s, "Status:    {status}");
        s
    }
}

fn local_time(secs: i64) -> String {
    naming::local(secs).map_or_else(
        || secs.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flow file of `len` bytes: nfdump magic, zero padding.
    fn flow(path: &Path, len: usize) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut data = vec![0u8; len];
        data[0] = 0x0c;
        data[1] = 0xa5;
        fs::write(path, data).unwrap();
    }

    fn at(s: &str) -> i64 {
        naming::parse_time_string(s).unwrap()
    }

    /// The tree of the verified nfexpire run in nfdump-cli.md §6.3.
    fn reference_tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let b = d.path();
        flow(&b.join("2026/11/25/nfcapd.202611250000"), 24_000);
        flow(&b.join("2026/11/26/nfcapd.202611260000"), 24_000);
        flow(&b.join("nfcapd.202611270000"), 24_000);
        flow(&b.join("nfcapd.202611280000"), 24_000);
        flow(&b.join("nfcapd.202611280300"), 24_000);
        d
    }

    fn names(d: &Path) -> Vec<String> {
        scan::scan(d)
            .unwrap()
            .iter()
            .map(|e| e.digits.clone())
            .collect()
    }

    /// Listing works where the books cannot be saved (a read-only archive; here the
    /// temporary name is taken by a directory, which stops root too): the listing comes
    /// with a warning instead of failing.
    #[test]
    fn list_without_a_writable_stat_record_warns() {
        let d = reference_tree();
        fs::create_dir(d.path().join(".rfexpire.stat.tmp")).unwrap();
        let out = run(
            d.path(),
            Action::List,
            &Limits::default(),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(out.stat.numfiles, 5);
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert!(out.warnings[0].starts_with("stat record not saved: "));
        // Expiry does need its books: there it is an error.
        let e = run(
            d.path(),
            Action::Expire,
            &Limits::default(),
            &Options::default(),
        );
        assert!(e.is_err());
    }

    #[test]
    fn lifetime_then_size_as_in_the_verified_nfexpire_run() {
        let d = reference_tree();
        let opts = Options {
            now: Some(at("202611280335")),
            ..Options::default()
        };
        let limits = Limits {
            lifetime: Some(2 * 86_400),
            watermark: Some(90),
            ..Limits::default()
        };
        let out = expire_dir(d.path(), &limits, &opts).unwrap();
        assert_eq!(
            names(d.path()),
            ["202611270000", "202611280000", "202611280300"]
        );
        assert!(!d.path().join("2026").exists(), "emptied sub tree removed");
        let e = out.expired.unwrap();
        assert_eq!(e.files, 2);
        assert_eq!(e.time_range, 2 * 86_400);
        assert_eq!(out.stat.lifetime, 172_800);
        assert_eq!(out.stat.watermark, 90);
        assert_eq!(out.stat.first, at("202611270000"));
        // The limits were saved.
        let saved = statfile::read(d.path()).unwrap();
        assert_eq!(
            (saved.lifetime, saved.watermark, saved.numfiles),
            (172_800, 90, 3)
        );

        let per_file = scan::scan(d.path()).unwrap()[0].size;
        let limits = Limits {
            max_size: Some(per_file * 2 + per_file / 10),
            ..Limits::default()
        };
        let out = expire_dir(d.path(), &limits, &opts).unwrap();
        assert_eq!(names(d.path()), ["202611280300"]);
        assert_eq!(out.expired.unwrap().files, 2);
        assert_eq!(out.stat.size, per_file);
        let text = out.render(false);
        assert!(text.contains("Expired files:      2\n"), "{text}");
        assert!(text.contains("Numfiles:  1\n"), "{text}");
        assert!(text.contains("Watermark: 90%\n"), "{text}");
    }

    #[test]
    fn nothing_to_do_and_dry_run_change_nothing() {
        let d = reference_tree();
        let now = at("202611280335");
        let opts = Options {
            now: Some(now),
            dry_run: true,
            ..Options::default()
        };
        let limits = Limits {
            lifetime: Some(3600),
            ..Limits::default()
        };
        let out = expire_dir(d.path(), &limits, &opts).unwrap();
        assert_eq!(out.removed.len(), 4);
        assert_eq!(names(d.path()).len(), 5);
        assert!(!d.path().join(statfile::STAT_FILE).exists());
        assert!(out.render(false).contains("Would remove "));
        let opts = Options {
            now: Some(now),
            ..Options::default()
        };
        let out = expire_dir(d.path(), &Limits::default(), &opts).unwrap();
        assert_eq!(out.expired.unwrap().files, 0);
        assert_eq!(names(d.path()).len(), 5);
        assert_eq!(out.stat.status, STATUS_OK);
    }

    #[test]
    fn expiring_everything_forces_a_rebuild() {
        let d = reference_tree();
        let now = at("202612010000");
        let opts = Options {
            now: Some(now),
            ..Options::default()
        };
        let limits = Limits {
            lifetime: Some(3600),
            ..Limits::default()
        };
        let out = expire_dir(d.path(), &limits, &opts).unwrap();
        assert!(names(d.path()).is_empty());
        assert_eq!((out.stat.first, out.stat.last), (now, now));
        assert_eq!(out.stat.status, STATUS_REBUILD);
        assert!(out.render(false).contains("Status:    Force rebuild"));
        // The confirmation callback can refuse.
        let d = reference_tree();
        let opts = Options {
            now: Some(now),
            confirm_all: Some(|_| false),
            ..Options::default()
        };
        let out = expire_dir(d.path(), &limits, &opts).unwrap();
        assert!(out.expired.is_none());
        assert_eq!(names(d.path()).len(), 5);
    }

    #[test]
    fn books_are_rebuilt_when_missing_or_corrupt() {
        let d = reference_tree();
        let opts = Options::default();
        let out = run(d.path(), Action::List, &Limits::default(), &opts).unwrap();
        assert!(out.notes[0].starts_with("Force rebuild to create stat record in "));
        assert_eq!(out.stat.numfiles, 5);
        assert_eq!(out.stat.first, at("202611250000"));
        assert_eq!(out.stat.last, at("202611280300"));
        let stat_path = d.path().join(statfile::STAT_FILE);
        fs::write(&stat_path, "first=oops\n").unwrap();
        let out = run(d.path(), Action::List, &Limits::default(), &opts).unwrap();
        assert!(
            out.notes[0].starts_with("Invalid stat record"),
            "{:?}",
            out.notes
        );
        assert_eq!(statfile::read(d.path()).unwrap().numfiles, 5);
        // A list of valid books does not rescan.
        let out = run(d.path(), Action::List, &Limits::default(), &opts).unwrap();
        assert!(out.notes.is_empty());
        let limits = Limits {
            max_size: Some(1 << 30),
            lifetime: Some(86_400),
            watermark: Some(80),
        };
        let out = run(d.path(), Action::Update, &limits, &opts).unwrap();
        assert_eq!(out.stat.max_size, 1 << 30);
        let saved = statfile::read(d.path()).unwrap();
        assert_eq!(
            (saved.max_size, saved.lifetime, saved.watermark),
            (1 << 30, 86_400, 80)
        );
        assert_eq!(
            out.render(true),
            format!("Stat|{}|{}|{}\n", saved.size, saved.first, saved.last)
        );
    }

    #[test]
    fn the_limit_is_compared_with_seconds_like_nfexpire() {
        // nfexpire 1.7.1, -t 10H -w 100: a minute name equal to the limit's minute went, a
        // seconds name is compared to the second.
        let d = tempfile::tempdir().unwrap();
        let now = at("202611280442") + 20;
        for name in [
            "nfcapd.202611271842",
            "nfcapd.20261127184219",
            "nfcapd.20261127184220",
            "nfcapd.20261127184221",
            "nfcapd.202611271843",
        ] {
            flow(&d.path().join(name), 100);
        }
        let limits = Limits {
            lifetime: Some(10 * 3600),
            watermark: Some(100),
            ..Limits::default()
        };
        let opts = Options {
            now: Some(now),
            ..Options::default()
        };
        expire_dir(d.path(), &limits, &opts).unwrap();
        assert_eq!(
            names(d.path()),
            ["20261127184220", "20261127184221", "202611271843"]
        );
    }

    #[test]
    fn an_exhausted_runtime_stops_before_removing() {
        let d = reference_tree();
        let opts = Options {
            now: Some(at("202612010000")),
            runtime: Some(Duration::ZERO),
            ..Options::default()
        };
        let limits = Limits {
            lifetime: Some(3600),
            ..Limits::default()
        };
        // A zero runtime cannot even wait for the lock, but the lock is free: the run starts
        // and stops at the first file.
        let out = expire_dir(d.path(), &limits, &opts).unwrap();
        assert!(out.timed_out);
        assert!(
            out.render(false)
                .contains("Maximum execution time reached!")
        );
        assert_eq!(names(d.path()).len(), 5);
        assert_eq!(
            out.stat.status, STATUS_OK,
            "books stay valid after a timeout"
        );
    }

    #[test]
    fn a_second_run_waits_for_the_lock() {
        let d = reference_tree();
        let now = at("202612010000");
        let limits = Limits {
            lifetime: Some(3600),
            ..Limits::default()
        };
        // Another run (here: this test) holds the directory lock.
        let holder = fs::File::open(d.path()).unwrap();
        holder.lock().unwrap();
        let opts = Options {
            now: Some(now),
            runtime: Some(Duration::from_millis(300)),
            ..Options::default()
        };
        let err = expire_dir(d.path(), &limits, &opts).unwrap_err();
        assert!(err.to_string().contains("holds the lock"), "{err}");
        assert_eq!(names(d.path()).len(), 5, "nothing removed without the lock");
        let dir = d.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let opts = Options {
                now: Some(now),
                ..Options::default()
            };
            expire_dir(&dir, &limits, &opts).map(|o| o.removed.len())
        });
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(names(d.path()).len(), 5, "the waiting run has not started");
        holder.unlock().unwrap();
        assert_eq!(waiter.join().unwrap().unwrap(), 5);
        assert!(names(d.path()).is_empty());
    }
}
