//! The per-directory bookkeeping file `.nfstat`, in nfexpire 1.7.1's own format (one
//! `key=value` per line, fixed key order, `#` comments), so nfexpire and nfcapd `-e` can read
//! what rfexpire writes and the other way round. A file that is missing, unreadable, has an
//! unknown key, a bad value or a missing key counts as corrupt: the caller rebuilds it by
//! rescanning the directory. Writes go to a temporary file renamed over the old one, so a
//! crash never leaves half a file.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Name of the bookkeeping file in a flow directory.
pub const STAT_FILE: &str = ".nfstat";

/// Temporary name while writing; hidden, and containing `.stat` so that nfdump's directory
/// walk skips it too.
const TMP_FILE: &str = ".rfexpire.stat.tmp";

/// `status` value: the counters are valid.
pub const STATUS_OK: u32 = 0;
/// `status` value nfexpire writes when the counters must be rebuilt by a rescan.
pub const STATUS_REBUILD: u32 = 3;

/// The bookkeeping of one flow directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DirStat {
    /// Slot time (UNIX seconds) of the oldest flow file.
    pub first: i64,
    /// Slot time of the newest flow file.
    pub last: i64,
    /// Disk usage of all flow files (512 × allocated blocks).
    pub size: u64,
    /// Size limit in bytes, 0 = none.
    pub max_size: u64,
    /// Number of flow files.
    pub numfiles: u64,
    /// Lifetime limit in seconds, 0 = none.
    pub lifetime: u64,
    /// Low watermark in percent (0 is read as 95 when expiring, like nfexpire).
    pub watermark: u32,
    /// [`STATUS_OK`], or non-zero to force a rescan.
    pub status: u32,
}

/// Why a stat file could not be used.
#[derive(Debug)]
pub enum ReadError {
    /// There is no stat file.
    Missing,
    /// It exists but cannot be trusted; the text says why.
    Corrupt(String),
}

impl DirStat {
    /// Parses the text of a stat file.
    ///
    /// # Errors
    /// A message naming the first bad line.
    pub fn parse(text: &str) -> std::result::Result<DirStat, String> {
        let mut st = DirStat::default();
        let mut seen = 0u8;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || format!("line {}: invalid config line '{line}'", i + 1);
            let (key, value) = line.split_once('=').ok_or_else(bad)?;
            let value = value.trim();
            let (bit, ok) = match key.trim() {
                "first" => (0, value.parse().map(|v| st.first = v).is_ok()),
                "last" => (1, value.parse().map(|v| st.last = v).is_ok()),
                "size" => (2, value.parse().map(|v| st.size = v).is_ok()),
                "maxsize" => (3, value.parse().map(|v| st.max_size = v).is_ok()),
                "numfiles" => (4, value.parse().map(|v| st.numfiles = v).is_ok()),
                "lifetime" => (5, value.parse().map(|v| st.lifetime = v).is_ok()),
                "watermark" => (6, value.parse().map(|v| st.watermark = v).is_ok()),
                "status" => (7, value.parse().map(|v| st.status = v).is_ok()),
                _ => return Err(bad()),
            };
            if !ok {
                return Err(bad());
            }
            seen |= 1 << bit;
        }
        if seen != 0xff {
            return Err("missing keys".into());
        }
        if st.watermark > 100 {
            return Err(format!("watermark {} > 100", st.watermark));
        }
        Ok(st)
    }

    /// The text of the stat file.
    pub fn render(&self) -> String {
        format!(
            "first={}\nlast={}\nsize={}\nmaxsize={}\nnumfiles={}\nlifetime={}\nwatermark={}\nstatus={}\n",
            self.first,
            self.last,
            self.size,
            self.max_size,
            self.numfiles,
            self.lifetime,
            self.watermark,
            self.status
        )
    }
}

/// Reads the stat file of `dir`.
///
/// # Errors
/// [`ReadError::Missing`] or [`ReadError::Corrupt`].
pub fn read(dir: &Path) -> std::result::Result<DirStat, ReadError> {
    let path = dir.join(STAT_FILE);
    // The stat file is small; anything large is not ours and would only cost memory.
    match fs::symlink_metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing),
        Err(e) => return Err(ReadError::Corrupt(e.to_string())),
        Ok(m) if !m.is_file() => return Err(ReadError::Corrupt("not a regular file".into())),
        Ok(m) if m.len() > 64 * 1024 => return Err(ReadError::Corrupt("too large".into())),
        Ok(_) => {}
    }
    let bytes = fs::read(&path).map_err(|e| ReadError::Corrupt(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| ReadError::Corrupt("not text".into()))?;
    DirStat::parse(&text).map_err(ReadError::Corrupt)
}

/// Writes the stat file of `dir` atomically (temporary file, fsync, rename).
///
/// # Errors
/// I/O errors, naming the file.
pub fn write(dir: &Path, st: &DirStat) -> Result<()> {
    let tmp = dir.join(TMP_FILE);
    let target = dir.join(STAT_FILE);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(st.render().as_bytes())?;
        f.sync_all()
    })();
    result.map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The content nfexpire 1.7.1 wrote after an auto-expire run (nfdump-cli.md §5.4).
    const NFEXPIRE_TEXT: &str = "first=1795837030\nlast=1795837040\nsize=12288\nmaxsize=0\nnumfiles=2\nlifetime=0\nwatermark=95\nstatus=0\n";

    #[test]
    fn reads_and_writes_the_nfexpire_format() {
        let st = DirStat::parse(NFEXPIRE_TEXT).unwrap();
        assert_eq!(st.first, 1_795_837_030);
        assert_eq!(st.size, 12_288);
        assert_eq!(st.numfiles, 2);
        assert_eq!(st.watermark, 95);
        assert_eq!(st.render(), NFEXPIRE_TEXT);
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(read(d.path()), Err(ReadError::Missing)));
        write(d.path(), &st).unwrap();
        assert_eq!(read(d.path()).unwrap(), st);
        assert!(!d.path().join(TMP_FILE).exists());
    }

    #[test]
    fn corrupt_files_are_reported() {
        for bad in [
            "garbage",
            "first=1\nstatus=1\n",
            "first=x\nlast=1\nsize=1\nmaxsize=0\nnumfiles=1\nlifetime=0\nwatermark=9\nstatus=0\n",
            "first=1\nlast=1\nsize=1\nmaxsize=0\nnumfiles=1\nlifetime=0\nwatermark=900\nstatus=0\n",
        ] {
            assert!(DirStat::parse(bad).is_err(), "{bad}");
        }
        let with_comment = format!("# written by hand\n{NFEXPIRE_TEXT}");
        assert!(DirStat::parse(&with_comment).is_ok());
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join(STAT_FILE), [0xffu8, 0, 1]).unwrap();
        assert!(matches!(read(d.path()), Err(ReadError::Corrupt(_))));
    }
}
