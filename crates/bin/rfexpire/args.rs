//! Command line of `rfexpire`, option for option nfexpire 1.7.1's (`-e/-l/-r/-u dir`, `-s`,
//! `-t`, `-w`, `-T`, `-Y`) plus `-n/--dry-run`. Values are taken as text and validated by
//! `rf_store::expire::units`, so a bad value gives one line naming it, before anything is
//! touched.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Parser};
use rf_cli::UsageError;
use rf_store::expire::{Action, Limits, units};

/// Expire old flow files by age, size or watermark (nfexpire compatible).
///
/// Exactly one of -e, -l, -r, -u selects what to do with the flow directory. Limits given
/// with -e or -u are stored in the directory's .nfstat file and used by later runs and by
/// `rfcapd -e`.
const EXAMPLES: &str = "\
EXAMPLES:
  rfexpire -l /var/flows                   # show size, age and limits of a flow directory
  rfexpire -u /var/flows -s 500G -t 30d    # store limits (rfcapd -e and later runs use them)
  rfexpire -e /var/flows -t 2w -n          # dry run: list what expiring to 2 weeks removes
  rfexpire -e /var/flows -s 100G -w 90     # remove oldest files until below 90% of 100 GiB
  rfexpire -r /var/flows                   # rebuild the bookkeeping file

Sizes are 1024-based (k, m, g, t); times take w, d, H, M and fractions (1.5d).
Exit status: 0 success, 1 runtime error, 2 usage error.";

/// Expire old flow files by age, total size or disk watermark (nfexpire compatible).
///
/// Works on the directories rfcapd and nfcapd write (every -S layout), keeping nfexpire's
/// bookkeeping file `.nfstat`; safe to run from cron while a collector writes.
#[derive(Parser, Debug)]
#[command(
    name = "rfexpire",
    version,
    after_help = "Examples and exit codes: rfexpire --help",
    after_long_help = EXAMPLES
)]
#[command(group(ArgGroup::new("action").args(["expire", "list", "list_books", "rescan", "update"])))]
pub struct Args {
    /// Expire files in DIR down to the limits (stored ones, or -s/-t/-w, which are saved).
    #[arg(short = 'e', value_name = "DIR")]
    pub expire: Option<PathBuf>,
    /// List the bookkeeping of DIR (rebuilt first when missing or invalid).
    #[arg(short = 'l', value_name = "DIR")]
    pub list: Option<PathBuf>,
    /// Same as -l (nfexpire also showed the collector's shared books).
    #[arg(short = 'L', value_name = "DIR", hide = true)]
    pub list_books: Option<PathBuf>,
    /// Rescan DIR: recount files, size, first and last slot, and list them.
    #[arg(short = 'r', value_name = "DIR")]
    pub rescan: Option<PathBuf>,
    /// Update the limits stored for DIR with -s, -t and -w.
    #[arg(short = 'u', value_name = "DIR")]
    pub update: Option<PathBuf>,
    /// Maximum total size: number (fractions allowed) with unit b, k, m, g or t, 1024-based,
    /// optionally followed by B (100M, 1.5GB). 0 removes the limit.
    #[arg(short = 's', value_name = "SIZE", allow_hyphen_values = true)]
    pub size: Option<String>,
    /// Maximum age: numbers with unit w (weeks), d (days), H (hours) or M (minutes), each unit
    /// once (1w2d, 36H, 1.5d); no unit means hours. 0 removes the limit.
    #[arg(short = 't', value_name = "TIME", allow_hyphen_values = true)]
    pub lifetime: Option<String>,
    /// Low watermark in percent (1..100, 0 = 100): expire down to this share of the limits.
    #[arg(short = 'w', value_name = "PERCENT", allow_hyphen_values = true)]
    pub watermark: Option<String>,
    /// Stop expiring after this many seconds (at most 3600).
    #[arg(short = 'T', value_name = "SECONDS", allow_hyphen_values = true)]
    pub runtime: Option<String>,
    /// Show what would be removed; remove and write nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Print the NfSen line `Stat|size|first|last` instead of the table.
    #[arg(short = 'Y')]
    pub nfsen: bool,
    /// Print a man page or shell completion script and exit.
    #[arg(long, hide = true, value_enum, value_name = "WHAT")]
    pub generate: Option<rf_cli::Generate>,
}

/// A validated command line.
#[derive(Debug)]
pub struct Job {
    /// The flow directory.
    pub dir: PathBuf,
    /// What to do.
    pub action: Action,
    /// Limits to store.
    pub limits: Limits,
    /// `-T`.
    pub runtime: Option<Duration>,
}

impl Args {
    /// Checks every value; nothing on disk has been looked at yet except the directory.
    pub fn job(&self) -> Result<Job, UsageError> {
        let (dir, action) = [
            (&self.expire, Action::Expire),
            (&self.list, Action::List),
            (&self.list_books, Action::List),
            (&self.rescan, Action::Rescan),
            (&self.update, Action::Update),
        ]
        .into_iter()
        .find_map(|(d, a)| d.clone().map(|d| (d, a)))
        .ok_or_else(|| UsageError("one of -e, -l, -r or -u DIR is required".into()))?;
        let usage = |e: rf_store::Error| UsageError(e.to_string());
        let limits = Limits {
            max_size: self
                .size
                .as_deref()
                .map(units::parse_size)
                .transpose()
                .map_err(usage)?,
            lifetime: self
                .lifetime
                .as_deref()
                .map(units::parse_lifetime)
                .transpose()
                .map_err(usage)?,
            watermark: self
                .watermark
                .as_deref()
                .map(units::parse_watermark)
                .transpose()
                .map_err(usage)?,
        };
        let runtime = match self.runtime.as_deref() {
            None => None,
            Some(s) => match s.parse::<u64>() {
                Ok(0) => None,
                Ok(n) if n <= 3600 => Some(Duration::from_secs(n)),
                _ => {
                    return Err(UsageError(format!(
                        "Invalid runtime '{s}': seconds from 0 to 3600"
                    )));
                }
            },
        };
        if !dir.is_dir() {
            return Err(UsageError(format!("{}: no such directory", dir.display())));
        }
        Ok(Job {
            dir,
            action,
            limits,
            runtime,
        })
    }
}
