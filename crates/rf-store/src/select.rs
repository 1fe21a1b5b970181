//! Input file selection for `rfdump -r/-R/-M`, following nfdump 1.7.1 (nfdump-cli.md §1.3):
//! `-r file`, `-r dir` (= `-R dir`), `-R dir`, `-R dir/first` (to the end of that directory),
//! `-R dir/first:last` (inclusive, also across `-S` sub-directory levels, with the sub-directory
//! of a bare `last` guessed from its slot name), and `-M dir1:dir2 -r name | -R range`.
//!
//! Directory walks skip what a collector leaves next to its flow files: `.nfstat`, the file
//! being written (`nfcapd.current.*`), names containing `.stat`, `.DS_Store` or `pcap`. Unlike
//! 1.7.1 (but like later nfdump) every hidden file and directory is skipped too, so editor
//! leftovers and rflow's own temporary files are never read as flow files.

use std::ffi::OsString;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::naming;
use crate::walk::{self, WalkOptions};

/// The file-selection options of one rfdump run, as given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Sources<'a> {
    /// `-r path`: a file, or a directory read like `-R dir`.
    pub read: Option<&'a str>,
    /// `-R spec`: `dir`, `dir/first`, or `dir/first:last`.
    pub range: Option<&'a str>,
    /// `-M /path/dir1:dir2:...`: the same `-r`/`-R` selection in several directories.
    pub multi: Option<&'a str>,
}

/// Whether a directory walk skips a file of this name (see the module documentation).
pub fn is_skipped_name(name: &str) -> bool {
    name.starts_with('.')
        || naming::is_current(name)
        || name.contains(".stat")
        || name.contains(".DS_Store")
        || name.contains("pcap")
        // Unreadable files a collector moved aside (rfcapd's NAME.damaged, NAME.damaged.N).
        || name.ends_with(".damaged")
        || name.contains(".damaged.")
}

/// Expands the selection to the list of files to read, in reading order.
///
/// # Errors
/// The messages of nfdump for conflicting options, bad range syntax, a missing first file,
/// a path that is neither file nor directory; I/O errors while walking.
pub fn expand(src: &Sources<'_>) -> Result<Vec<PathBuf>> {
    expand_with(src, &mut |_| {})
}

/// Like [`expand`], but reports files that are skipped with a message (missing in one of
/// several `-M` directories) through `warn` instead of dropping them silently.
///
/// # Errors
/// As [`expand`].
pub fn expand_with(src: &Sources<'_>, warn: &mut dyn FnMut(&str)) -> Result<Vec<PathBuf>> {
    if src.read.is_some() && src.range.is_some() {
        return Err(Error::invalid(
            "-r and -R are mutually exclusive. Please specify either -r or -R",
        ));
    }
    if let Some(multi) = src.multi {
        return expand_multi(multi, src, warn);
    }
    if let Some(read) = src.read {
        let p = Path::new(read);
        return match fs::metadata(p) {
            Ok(m) if m.is_file() => Ok(vec![p.to_path_buf()]),
            Ok(m) if m.is_dir() => all_files(p),
            _ => Err(Error::file_list(format!(
                "{read} is not a file or directory"
            ))),
        };
    }
    match src.range {
        Some(spec) => range(spec),
        None => Ok(Vec::new()),
    }
}

/// All flow files below `dir`, recursively, in name order.
pub fn all_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let opts = WalkOptions {
        follow_links: true,
        max_depth: None,
    };
    let found = walk::files(dir, opts, &|d| !d.starts_with('.'), &|f| {
        !is_skipped_name(f)
    })?;
    Ok(found.iter().map(|e| e.path(dir)).collect())
}

fn stat_error(p: &Path) -> Error {
    Error::file_list(format!(
        "stat() error '{}': No such file or directory",
        p.display()
    ))
}

/// Splits `-R first[:last]`, checking the `last` part.
fn split_range(spec: &str) -> Result<(&str, Option<&str>)> {
    match spec.split_once(':') {
        None => Ok((spec, None)),
        Some((f, l)) => {
            if l.contains(':') {
                return Err(Error::invalid(
                    "Multiple file separators ':' in path not allowed!",
                ));
            }
            if l.is_empty() {
                return Err(Error::invalid("Missing last file option after ':'!"));
            }
            if l.starts_with('/') {
                return Err(Error::invalid(format!(
                    "Last file '{l}' of -R must be a name or a relative path, not start with '/'"
                )));
            }
            Ok((f, Some(l)))
        }
    }
}

/// `-R spec` without `-M`.
fn range(spec: &str) -> Result<Vec<PathBuf>> {
    let (first, last) = split_range(spec)?;
    let first = Path::new(first);
    let meta = fs::metadata(first).map_err(|_| stat_error(first))?;
    match last {
        None if meta.is_dir() => all_files(first),
        None if meta.is_file() => {
            let (dir, name) = split_file(first)?;
            let rest = files_at_depth(&dir, 0)?
                .into_iter()
                .filter(|rel| rel.first().is_some_and(|n| *n >= name))
                .map(|rel| join(&dir, &rel))
                .collect();
            Ok(rest)
        }
        None => Err(Error::file_list(format!(
            "{} is not a file",
            first.display()
        ))),
        Some(_) if !meta.is_file() => {
            Err(Error::file_list(format!("Not a file: {}", first.display())))
        }
        Some(last) => ranged(first, last),
    }
}

/// Splits a file path into its directory (`.` for a bare name) and its name.
fn split_file(p: &Path) -> Result<(PathBuf, OsString)> {
    let name = p
        .file_name()
        .ok_or_else(|| Error::file_list(format!("{} is not a file", p.display())))?;
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name.to_os_string()))
}

fn join(base: &Path, rel: &[OsString]) -> PathBuf {
    let mut p = base.to_path_buf();
    p.extend(rel);
    p
}

/// The plain (`Normal`) components of a relative path; `..`, `.` and roots are refused so a
/// range cannot climb out of its base directory.
fn plain_components(p: &Path) -> Result<Vec<OsString>> {
    p.components()
        .map(|c| match c {
            Component::Normal(s) => Ok(s.to_os_string()),
            _ => Err(Error::invalid(format!(
                "Invalid path '{}' in file list -R",
                p.display()
            ))),
        })
        .collect()
}

/// Files exactly `depth` directory levels below `base`, as relative components, in order.
fn files_at_depth(base: &Path, depth: usize) -> Result<Vec<Vec<OsString>>> {
    let opts = WalkOptions {
        follow_links: true,
        max_depth: Some(depth),
    };
    let found = walk::files(base, opts, &|d| !d.starts_with('.'), &|f| {
        !is_skipped_name(f)
    })?;
    Ok(found
        .into_iter()
        .filter(|e| e.rel.len() == depth + 1)
        .map(|e| e.rel)
        .collect())
}

/// `first:last` where `first` is an existing file: the inclusive range, over as many sub
/// directory levels as `last` names (or as its guessed `-S` layout has).
fn ranged(first: &Path, last: &str) -> Result<Vec<PathBuf>> {
    let last_rel = plain_components(Path::new(last))?;
    let (first_dir, first_name) = split_file(first)?;
    // Ancestors of the first file's directory, nearest first: the candidate bases.
    let ancestors: Vec<&Path> = first_dir.ancestors().collect();
    let mut levels = last_rel.len().saturating_sub(1);
    let mut last_rel = last_rel;
    if levels == 0
        && let Some((depth, rel)) = guess_last(&ancestors, &last_rel)
    {
        levels = depth;
        last_rel = rel;
    }
    // The base is `levels` directories above the first file; `first` must be that deep.
    let base = ancestors
        .get(levels)
        .filter(|b| !b.as_os_str().is_empty())
        .map(|b| b.to_path_buf())
        .or_else(|| {
            // A relative first path exactly `levels` deep has the current directory as base.
            (ancestors.len() == levels && first.is_relative()).then(|| PathBuf::from("."))
        })
        .ok_or_else(|| {
            Error::file_list(
                "Number of sub dirs for sub level hierarchy for file list -R do not match",
            )
        })?;
    let mut first_rel = first_dir
        .strip_prefix(&base)
        .map(plain_components)
        .unwrap_or_else(|_| Ok(Vec::new()))?;
    first_rel.push(first_name);
    if first_rel.len() != levels + 1 {
        return Err(Error::file_list(
            "Number of sub dirs for sub level hierarchy for file list -R do not match",
        ));
    }
    Ok(files_at_depth(&base, levels)?
        .into_iter()
        .filter(|rel| *rel >= first_rel && *rel <= last_rel)
        .map(|rel| join(&base, &rel))
        .collect())
}

/// For a bare slot name `last`, finds the `-S` layout under which it exists relative to one
/// of the first file's ancestors: returns the number of levels and the relative path.
fn guess_last(ancestors: &[&Path], last_rel: &[OsString]) -> Option<(usize, Vec<OsString>)> {
    let name = last_rel.first()?.to_str()?;
    let secs = naming::parse_any_name(name)?;
    for layout in Layout::ALL.iter().filter(|l| l.depth() > 0) {
        let depth = layout.depth();
        let Some(base) = ancestors.get(depth) else {
            continue;
        };
        let rel = layout.subdir(secs).join(name);
        if base.join(&rel).is_file() {
            return plain_components(&rel).ok().map(|r| (depth, r));
        }
    }
    None
}

/// `-M dir1:dir2:...` with `-r name` or `-R range`.
fn expand_multi(
    multi: &str,
    src: &Sources<'_>,
    warn: &mut dyn FnMut(&str),
) -> Result<Vec<PathBuf>> {
    let dirs = multi_dirs(multi)?;
    let mut out = Vec::new();
    if let Some(name) = src.read {
        if name.starts_with('/') {
            return Err(Error::invalid(
                "File -r must not start with '/', when combined with a source list -M",
            ));
        }
        for dir in &dirs {
            let direct = dir.join(name);
            if direct.is_file() {
                out.push(direct);
                continue;
            }
            match layout_guess(dir, name) {
                Some(p) => out.push(p),
                None => warn(&format!(
                    "stat() error '{}': File not found!",
                    direct.display()
                )),
            }
        }
        return Ok(out);
    }
    let Some(spec) = src.range else {
        return Err(Error::invalid(
            "-M needs either -r or -R to specify the file or file list. Add '-R .' for all files in the directories.",
        ));
    };
    if spec.starts_with('/') {
        return Err(Error::invalid(
            "File list -R must not start with '/', when combined with a source list -M",
        ));
    }
    let (first, last) = split_range(spec)?;
    for dir in &dirs {
        if spec == "." {
            out.extend(all_files(dir)?);
            continue;
        }
        // A `first:last` range selects by name in each directory, as nfdump does, whether
        // or not that directory has a file named `first`.
        let first_path = dir.join(first);
        let files = match last {
            Some(last) if !first_path.exists() => ranged(&first_path, last),
            _ => range(&format!("{}/{spec}", dir.display())),
        };
        match files {
            Ok(files) => out.extend(files),
            // A range missing from one source directory does not stop the others.
            Err(Error::FileList(msg)) => warn(&msg),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The directories of `-M /path/to/dir1:dir2:...`: the part of the first element before its
/// last `/` is the common prefix of the others.
pub fn multi_dirs(multi: &str) -> Result<Vec<PathBuf>> {
    let mut parts = multi.split(':');
    let first = parts.next().unwrap_or_default();
    let prefix = first.rsplit_once('/').map(|(p, _)| p);
    let mut dirs = vec![PathBuf::from(first)];
    for part in parts.filter(|p| !p.is_empty()) {
        dirs.push(match prefix {
            Some(pre) => PathBuf::from(format!("{pre}/{part}")),
            None => PathBuf::from(part),
        });
    }
    for d in &dirs {
        if !d.is_dir() {
            return Err(Error::file_list(format!(
                "'{}' is not a directory",
                d.display()
            )));
        }
    }
    Ok(dirs)
}

/// Finds a slot-named file in one of the `-S` sub directories of `dir`.
fn layout_guess(dir: &Path, name: &str) -> Option<PathBuf> {
    crate::layout::guesses(name)
        .into_iter()
        .map(|rel| dir.join(rel))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::NameStyle;

    #[test]
    fn damaged_copies_are_not_flow_files() {
        assert!(is_skipped_name("nfcapd.202612080100.damaged"));
        assert!(is_skipped_name("nfcapd.202612080100.damaged.2"));
        assert!(!is_skipped_name("nfcapd.202612080100"));
        assert!(!is_skipped_name("nfcapd.202612080100.recovered"));
    }

    fn touch(p: &Path) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, b"x").unwrap();
    }

    fn names(base: &Path, files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .map(|p| {
                p.strip_prefix(base)
                    .unwrap_or(p)
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    fn flat_dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for m in ["20", "25", "30", "35", "40", "45", "50"] {
            touch(&d.path().join(format!("nfcapd.2025112803{m}")));
        }
        // Things a walk must skip.
        for junk in [
            ".nfstat",
            "nfcapd.current.1234",
            ".hidden",
            "x.stat.tmp",
            "trace.pcap",
            ".DS_Store",
        ] {
            touch(&d.path().join(junk));
        }
        d
    }

    #[test]
    fn read_and_whole_directory() {
        let d = flat_dir();
        let base = d.path();
        let one = base.join("nfcapd.202511280325");
        let got = expand(&Sources {
            read: Some(one.to_str().unwrap()),
            ..Sources::default()
        })
        .unwrap();
        assert_eq!(got, [one]);
        // A single -r file is read whatever its name.
        let odd = base.join(".hidden");
        let got = expand(&Sources {
            read: Some(odd.to_str().unwrap()),
            ..Sources::default()
        })
        .unwrap();
        assert_eq!(got, [odd]);
        let all = expand(&Sources {
            read: Some(base.to_str().unwrap()),
            ..Sources::default()
        })
        .unwrap();
        assert_eq!(all.len(), 7);
        let r = expand(&Sources {
            range: Some(base.to_str().unwrap()),
            ..Sources::default()
        })
        .unwrap();
        assert_eq!(r, all);
        let missing = base.join("nope");
        let e = expand(&Sources {
            read: Some(missing.to_str().unwrap()),
            ..Sources::default()
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{} is not a file or directory", missing.display())
        );
    }

    #[test]
    fn ranges_are_inclusive_and_first_runs_to_the_end() {
        let d = flat_dir();
        let base = d.path();
        let spec = format!("{}/nfcapd.202511280325:nfcapd.202511280335", base.display());
        let got = range(&spec).unwrap();
        assert_eq!(
            names(base, &got),
            [
                "nfcapd.202511280325",
                "nfcapd.202511280330",
                "nfcapd.202511280335"
            ]
        );
        let got = range(&format!("{}/nfcapd.202511280340", base.display())).unwrap();
        assert_eq!(
            names(base, &got),
            [
                "nfcapd.202511280340",
                "nfcapd.202511280345",
                "nfcapd.202511280350"
            ]
        );
        // A prefix that is not a file is an error in 1.7.1, not a prefix match.
        let e = range(&format!("{}/nfcapd.2025112803", base.display())).unwrap_err();
        assert!(e.to_string().starts_with("stat() error '"), "{e}");
        assert!(
            e.to_string().ends_with("': No such file or directory"),
            "{e}"
        );
    }

    #[test]
    fn range_syntax_errors() {
        let d = flat_dir();
        let first = format!("{}/nfcapd.202511280325", d.path().display());
        let e = |s: String| range(&s).unwrap_err().to_string();
        assert_eq!(
            e(format!("{first}:a:b")),
            "Multiple file separators ':' in path not allowed!"
        );
        assert_eq!(
            e(format!("{first}:")),
            "Missing last file option after ':'!"
        );
        assert!(e(format!("{first}:/abs")).contains("must be a name"));
        assert!(e(format!("{}:nfcapd.x", d.path().display())).starts_with("Not a file"));
        assert!(e(format!("{first}:../x")).starts_with("Invalid path"));
        let both = expand(&Sources {
            read: Some("a"),
            range: Some("b"),
            multi: None,
        });
        assert!(both.unwrap_err().to_string().contains("mutually exclusive"));
    }

    /// A tree in `-S 2` layout (`%Y/%m/%d/%H`), two days of hourly files.
    fn hier_dir() -> (tempfile::TempDir, Vec<i64>) {
        let d = tempfile::tempdir().unwrap();
        let start = naming::parse_time_string("202511272200").unwrap();
        let slots: Vec<i64> = (0..6).map(|h| start + h * 3600).collect();
        for s in &slots {
            touch(&crate::layout::flow_path(
                d.path(),
                Layout::YearMonthDayHour,
                *s,
                NameStyle::Minutes,
            ));
        }
        (d, slots)
    }

    #[test]
    fn hierarchical_ranges_cross_sub_directories() {
        let (d, slots) = hier_dir();
        let base = d.path();
        let rel = |s: i64| {
            crate::layout::flow_path(
                Path::new(""),
                Layout::YearMonthDayHour,
                s,
                NameStyle::Minutes,
            )
        };
        let first = base.join(rel(slots[1]));
        let want: Vec<String> = slots[1..5]
            .iter()
            .map(|s| rel(*s).to_string_lossy().into_owned())
            .collect();
        // Last given with its sub directories.
        let spec = format!("{}:{}", first.display(), rel(slots[4]).display());
        assert_eq!(names(base, &range(&spec).unwrap()), want);
        // Last given as a bare name: its sub directory is guessed from the slot time.
        let last_name = naming::slot_name(slots[4], NameStyle::Minutes);
        let spec = format!("{}:{last_name}", first.display());
        assert_eq!(names(base, &range(&spec).unwrap()), want);
        // Last given with fewer levels than first: relative to the matching ancestor
        // (nfdump 1.7.1 read the same four files for `first:28/02/nfcapd.202511280200`).
        let partial: PathBuf = rel(slots[4]).iter().skip(2).collect();
        let spec = format!("{}:{}", first.display(), partial.display());
        assert_eq!(names(base, &range(&spec).unwrap()), want);
        // More levels in last than in first is an error.
        let shallow = base.join("x");
        touch(&shallow);
        let spec = format!("{}:a/b/c/d/e/f/g/h/i/j/nfcapd.1", shallow.display());
        assert!(
            range(&spec)
                .unwrap_err()
                .to_string()
                .starts_with("Number of sub dirs")
        );
    }

    #[test]
    fn multi_dirs_with_read_and_range() {
        let root = tempfile::tempdir().unwrap();
        for r in ["r1", "r2"] {
            for m in ["25", "30", "35"] {
                touch(&root.path().join(r).join(format!("nfcapd.2025112803{m}")));
            }
        }
        let multi = format!("{}/r1:r2", root.path().display());
        let mut warnings = Vec::new();
        let got = expand_with(
            &Sources {
                read: Some("nfcapd.202511280325"),
                range: None,
                multi: Some(&multi),
            },
            &mut |w| warnings.push(w.to_string()),
        )
        .unwrap();
        assert_eq!(
            names(root.path(), &got),
            ["r1/nfcapd.202511280325", "r2/nfcapd.202511280325"]
        );
        assert!(warnings.is_empty());
        let got = expand(&Sources {
            read: None,
            range: Some("nfcapd.202511280330:nfcapd.202511280335"),
            multi: Some(&multi),
        })
        .unwrap();
        assert_eq!(got.len(), 4);
        let got = expand(&Sources {
            read: None,
            range: Some("."),
            multi: Some(&multi),
        })
        .unwrap();
        assert_eq!(got.len(), 6);
        let got = expand_with(
            &Sources {
                read: Some("nfcapd.209912312355"),
                range: None,
                multi: Some(&multi),
            },
            &mut |w| warnings.push(w.to_string()),
        )
        .unwrap();
        assert!(got.is_empty());
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].ends_with("': File not found!"));
        let e = expand(&Sources {
            read: Some("/abs"),
            range: None,
            multi: Some(&multi),
        });
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("must not start with '/'")
        );
        let e = expand(&Sources {
            read: None,
            range: None,
            multi: Some(&multi),
        });
        assert!(e.unwrap_err().to_string().starts_with("-M needs either"));
    }
}
