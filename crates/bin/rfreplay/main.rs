//! `rfreplay`: Replay stored flows to a collector as NetFlow v5/v9 or IPFIX (nfreplay compatible).
//!
//! The binary parses nfreplay's options, selects files (`rf_store`), reads records
//! (`rf_format`), filters them (`rf_filter`, the `-t` window really restricts records here,
//! unlike nfreplay 1.7.1), paces them ([`pace`]) and hands them to an `rf_netflow::encode`
//! encoder whose packets go out through a UDP socket ([`target`]). A one-line summary of what was
//! sent goes to stderr.

mod pace;
mod target;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::{CommandFactory, Parser};
use rf_cli::UsageError;
use rf_filter::{Context, Filter};
use rf_format::FlowRecord;
use rf_netflow::encode::{Config, Encoder, Version};
use rf_store::select::{self, Sources};
use rf_store::timewin::{self, TimeSpec, TimeWindow};

const EXAMPLES: &str = "\
EXAMPLES:
  rfreplay -r nfcapd.202611281200 -H 127.0.0.1 -p 9995             # NetFlow v9, the default
  rfreplay -R /var/flows -H collector -p 2055 -v 10 'proto tcp'    # IPFIX, filtered
  rfreplay -r flows.rf -H 127.0.0.1 -v 9 --rate 20000              # 20k flows/s
  rfreplay -r flows.rf -H 127.0.0.1 -v 9 --pace 60                 # original pace, 60x faster
  rfreplay -R /var/flows -t 2026/11/28.12:00-2026/11/28.13:00 -H 10.1.1.1 -v 9

Exit status: 0 success, 1 runtime error (unreachable target, unreadable file), 2 usage error.";

/// Replay stored flows to a collector as NetFlow v5/v9 or IPFIX (nfreplay compatible).
///
/// Reads nfdump or rflow flow files, keeps the records that pass the filter and the -t window,
/// and sends them over UDP. Flow times are preserved: v9 and IPFIX carry absolute first/last
/// seen, v5 expresses them relative to a per-packet boot time. v5 carries IPv4 only; IPv6 flows
/// are skipped and counted in the summary.
#[derive(Parser, Debug)]
#[command(
    name = "rfreplay",
    version,
    after_help = "Examples and exit codes: rfreplay --help",
    after_long_help = EXAMPLES
)]
struct Args {
    /// Read flows from this file, or all files below this directory.
    #[arg(short = 'r', value_name = "FILE|DIR")]
    read: Option<String>,

    /// Read a range of files: DIR, DIR/FIRST (to the end of DIR) or DIR/FIRST:LAST.
    #[arg(short = 'R', value_name = "RANGE")]
    range: Option<String>,

    /// Read the -r/-R selection in several directories: /path/dir1:dir2:...
    #[arg(short = 'M', value_name = "DIRS")]
    multi: Option<String>,

    /// Read the filter from this file.
    #[arg(short = 'f', value_name = "FILE", conflicts_with = "filter")]
    filter_file: Option<PathBuf>,

    /// Time window YYYY/MM/dd.hh:mm:ss[-YYYY/MM/dd.hh:mm:ss], +N or -N seconds; only flows
    /// completely inside it are sent.
    #[arg(short = 't', value_name = "WINDOW", allow_hyphen_values = true)]
    window: Option<String>,

    /// Collector host name or address [default: 127.0.0.1].
    #[arg(
        short = 'H',
        visible_short_alias = 'i',
        value_name = "HOST",
        conflicts_with = "group"
    )]
    host: Option<String>,

    /// Send to this multicast group instead of a host.
    #[arg(short = 'j', value_name = "GROUP")]
    group: Option<String>,

    /// Collector UDP port.
    #[arg(short = 'p', value_name = "PORT", default_value_t = 9995)]
    port: u16,

    /// Use IPv4 only when resolving the host.
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,

    /// Use IPv6 only when resolving the host.
    #[arg(short = '6')]
    ipv6: bool,

    /// Delay in microseconds after each datagram.
    #[arg(short = 'd', value_name = "USEC", default_value_t = 1)]
    delay: u64,

    /// Send at most this many flows (counted after filter and window).
    #[arg(short = 'c', value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,

    /// Socket send buffer size in bytes.
    #[arg(short = 'b', value_name = "BYTES")]
    sndbuf: Option<usize>,

    /// Export protocol: 5 (NetFlow v5), 9 (NetFlow v9) or 10 (IPFIX).
    #[arg(short = 'v', value_name = "5|9|10", default_value = "9", value_parser = parse_version)]
    protocol: Version,

    /// Send at most this many flows per second.
    #[arg(long, value_name = "FLOWS_PER_SEC", value_parser = positive_f64)]
    rate: Option<f64>,

    /// Send at the original pace of the flows' end times, FACTOR times faster (default 1 = real
    /// time). `-z FACTOR` is nfreplay's spelling.
    #[arg(long, short = 'z', value_name = "FACTOR", num_args = 0..=1,
          default_missing_value = "1", value_parser = positive_f64)]
    pace: Option<f64>,

    /// Maximum UDP payload per datagram in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = rf_netflow::encode::DEFAULT_MTU)]
    mtu: usize,

    /// Resend templates (v9/IPFIX) after this many datagrams.
    #[arg(long, value_name = "PACKETS", default_value_t = 20)]
    template_packets: u32,

    /// Resend templates (v9/IPFIX) after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    template_secs: u64,

    /// Print a man page or shell completion script and exit.
    #[arg(long, hide = true, value_enum, value_name = "WHAT")]
    generate: Option<rf_cli::Generate>,

    /// Filter expression (nfdump syntax); several words are joined. Options may follow it.
    #[arg(value_name = "FILTER")]
    filter: Vec<String>,
}

fn parse_version(s: &str) -> Result<Version, String> {
    s.parse::<u32>()
        .ok()
        .and_then(Version::from_number)
        .ok_or_else(|| format!("Invalid netflow version: {s} (use 5, 9 or 10)"))
}

/// A rate or speed-up factor: positive, and not so small that one step takes years.
fn positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.001 => Ok(v),
        _ => Err(format!("'{s}' is not a number of at least 0.001")),
    }
}

/// Counts for the summary line.
#[derive(Default)]
struct Counts {
    files: u64,
    read: u64,
    outside_window: u64,
    filtered: u64,
    /// Blocks that could not be read (reported once per file).
    damaged_blocks: u64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn build_filter(args: &Args) -> anyhow::Result<Filter> {
    if let Some(path) = &args.filter_file {
        return Filter::from_file(path).map_err(|e| UsageError(e.to_string()).into());
    }
    let text = args.filter.join(" ");
    if text.trim().is_empty() {
        return Ok(Filter::any());
    }
    text.parse::<Filter>()
        .map_err(|e| UsageError(format!("filter: {e}")).into())
}

/// An rf_format error as one message. Its `InFile` variant already prints its cause, so
/// keeping the cause chain would print the message twice.
fn flat(e: rf_format::Error) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Opens a flow file of either kind; errors name the file.
fn open(p: &Path) -> anyhow::Result<Box<dyn rf_format::FlowFile>> {
    rf_format::open(p).map_err(flat)
}

/// Earliest first and latest last seen over `files` (for the relative `-t +N/-N` forms).
fn data_span(files: &[PathBuf]) -> anyhow::Result<(u64, u64)> {
    let (mut first, mut last) = (u64::MAX, 0);
    for p in files {
        let f = open(p)?;
        let s = &f.info().stats;
        if s.flows > 0 {
            first = first.min(s.first_seen_ms);
            last = last.max(s.last_seen_ms);
        }
    }
    Ok((first.min(last), last))
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(what) = args.generate {
        rf_cli::generate(what, Args::command(), &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.read.is_none() && args.range.is_none() {
        bail!(UsageError(
            "Need an input source -r/-R/-M (see rfreplay --help)".into()
        ));
    }
    let version = args.protocol;
    let filter = build_filter(&args)?;
    let spec = match &args.window {
        Some(t) => Some(timewin::parse(t).map_err(|e| UsageError(e.to_string()))?),
        None => None,
    };
    let files = select::expand(&Sources {
        read: args.read.as_deref(),
        range: args.range.as_deref(),
        multi: args.multi.as_deref(),
    })?;
    if files.is_empty() {
        bail!("no flow files selected");
    }
    let window = match spec {
        None => TimeWindow::ALL,
        Some(TimeSpec::Absolute(w)) => w,
        Some(rel) => {
            let (a, b) = data_span(&files)?;
            rel.resolve(a, b)
        }
    };

    let mut cfg = Config::new(version);
    cfg.mtu = args.mtu;
    cfg.template_refresh_packets = args.template_packets;
    cfg.template_refresh_ms = args.template_secs.saturating_mul(1000);
    let mut enc = Encoder::new(&cfg).map_err(|e| UsageError(e.to_string()))?;

    let dest = target::Target::open(&target::Options {
        host: args.host.as_deref(),
        group: args.group.as_deref(),
        port: args.port,
        ipv4_only: args.ipv4,
        ipv6_only: args.ipv6,
        sndbuf: args.sndbuf,
    })?;
    let delay = Duration::from_micros(args.delay);
    let mut pacer = pace::Pacer::new(args.rate, args.pace);
    let mut counts = Counts::default();
    let mut sink = |p: &[u8]| -> std::io::Result<()> {
        dest.send(p)?;
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        Ok(())
    };
    let limit = args.count.unwrap_or(u64::MAX);
    let mut passed = 0u64;
    let mut records: Vec<FlowRecord> = Vec::new();
    // A damaged file or block is reported and skipped: the flows of the others are still
    // sent (and those already encoded flushed), and the run exits 1 at the end.
    let mut damaged = 0usize;
    let mut report = |e: anyhow::Error| {
        damaged += 1;
        eprintln!("rfreplay: {e:#}");
    };
    'files: for path in &files {
        let file = match open(path) {
            Ok(f) => f,
            Err(e) => {
                report(e);
                continue;
            }
        };
        counts.files += 1;
        let info = file.info();
        if info.stats.flows > 0
            && !window.overlaps(info.stats.first_seen_ms, info.stats.last_seen_ms)
        {
            continue;
        }
        let ident = (!info.ident.is_empty()).then_some(info.ident.as_str());
        let mut file_damaged = false;
        for b in 0..file.block_count() {
            records.clear();
            if let Err(e) = file.read_block(b, &mut records) {
                // One line per file: a cut file fails every block after the cut (and its
                // appendix); the summary counts the blocks. Whatever a block yielded before
                // the damage is sent, as rfdump lists it.
                counts.damaged_blocks += 1;
                if !std::mem::replace(&mut file_damaged, true) {
                    report(flat(e.in_file(path)));
                }
            }
            for r in &records {
                counts.read += 1;
                if !window.contains(r.first_ms, r.last_ms) {
                    counts.outside_window += 1;
                    continue;
                }
                let ctx = Context {
                    ident,
                    record_no: counts.read,
                };
                if !filter.matches_ctx(r, &ctx) {
                    counts.filtered += 1;
                    continue;
                }
                if passed >= limit {
                    break 'files;
                }
                passed += 1;
                // Flows the protocol cannot carry (IPv6 for v5) are only counted; they must
                // not take a slot of the paced schedule.
                let wait = if enc.can_carry(r) {
                    pacer.wait_for(r)
                } else {
                    None
                };
                if let Some(wait) = wait {
                    // A long wait: send what is pending first, so the collector sees flows
                    // close to their paced time instead of a whole datagram later.
                    if wait > pace::FLUSH_BEFORE_WAIT && enc.has_pending() {
                        enc.flush(now_ms(), &mut sink)
                            .with_context(|| dest.describe())?;
                    }
                    pacer.sleep(wait);
                }
                enc.push(r, now_ms(), &mut sink)
                    .with_context(|| dest.describe())?;
            }
        }
    }
    enc.flush(now_ms(), &mut sink)
        .with_context(|| dest.describe())?;
    dest.check_delivered().with_context(|| dest.describe())?;
    // When damage left nothing readable, the error lines say it all.
    if counts.read > 0 || damaged == 0 {
        summary(&enc, &counts, &dest, version);
    }
    Ok(if damaged == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(rf_cli::EXIT_FAILURE)
    })
}

/// The one-line report on stderr: what was sent, and why other flows were not.
fn summary(enc: &Encoder, c: &Counts, dest: &target::Target, v: Version) {
    let s = enc.stats();
    let proto = match v {
        Version::V5 => "NetFlow v5",
        Version::V9 => "NetFlow v9",
        Version::Ipfix => "IPFIX",
    };
    let mut line = format!(
        "rfreplay: sent {} flows in {} packet{} ({} bytes) to {} as {proto}; read {} flows from {} file{}",
        s.flows,
        s.packets,
        if s.packets == 1 { "" } else { "s" },
        s.bytes,
        dest.addr(),
        c.read,
        c.files,
        if c.files == 1 { "" } else { "s" },
    );
    if c.outside_window > 0 {
        line += &format!(", {} outside the time window", c.outside_window);
    }
    if c.filtered > 0 {
        line += &format!(", {} not matching the filter", c.filtered);
    }
    if s.skipped > 0 {
        line += &format!(", {} IPv6 flows skipped (v5 carries IPv4 only)", s.skipped);
    }
    if c.damaged_blocks > 0 {
        line += &format!(", {} damaged blocks skipped", c.damaged_blocks);
    }
    eprintln!("{line}");
}

fn main() -> ExitCode {
    rf_cli::run_main::<Args>("rfreplay", run)
}
