//! `rfcapd`: NetFlow/IPFIX collector writing rotated flow files (nfcapd compatible).
//!
//! The binary parses nfcapd's options and wires the pieces together: [`net`] receives
//! datagrams on one thread, [`collector`] decodes them (`rf_netflow`) and writes native flow
//! files (`rf_format::native`) named and placed by `rf_store` on another, [`hooks`] runs `-x`
//! and `-e` after each rotation, [`metrics`] serves counters, [`process`] handles `-P`, `-D`,
//! `-u`/`-g`. SIGTERM, SIGINT and SIGHUP end the collector like nfcapd: the socket is drained,
//! the current file is finished and renamed, nothing received before the signal is lost.

mod collector;
mod hooks;
mod log;
mod metrics;
mod net;
mod process;
mod salvage;

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{RecvTimeoutError, channel, sync_channel};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{ArgAction, CommandFactory, Parser};
use rf_cli::UsageError;
use rf_format::Compression;
use rf_store::{Layout, NameStyle};

use collector::{Collector, Settings, SourceKind, SourceSpec};
use log::Log;
use metrics::Metrics;

const EXAMPLES: &str = "\
EXAMPLES:
  rfcapd -w /var/flows                           # port 9995, 5-minute files
  rfcapd -w /var/flows -p 2055 -t 60 -S 2 -y     # 1-minute LZ4 files in %Y/%m/%d/%H
  rfcapd -w /var/flows -I edge1 -D -P /run/rfcapd.pid -u nobody
  rfcapd -n edge1,192.0.2.1,/data/edge1 -n edge2,192.0.2.2,/data/edge2
  rfcapd -M /data/routers -e                     # a directory per exporter, expired
  rfcapd -w /var/flows -x '/usr/local/bin/ingest %d/%f'   # run after each file
  rfcapd -w /var/flows -R 192.0.2.9/9995 -B 33554432      # repeat datagrams; 32 MiB buffer
  rfcapd -w /var/flows --metrics 127.0.0.1:9101           # Prometheus counters

Read the files with rfdump (rfdump -R /var/flows). SIGTERM, SIGINT and SIGHUP finish the
current file and exit.
Exit status: 0 success (also when stopped by a signal), 1 runtime error (also flows that
could not be written by the end), 2 usage error.";

/// NetFlow/IPFIX collector writing rotated flow files (nfcapd compatible).
///
/// Receives NetFlow v1/v5/v7/v9 and IPFIX on a UDP port and writes the flows into files named
/// nfcapd.YYYYMMDDhhmm, one per time slot of -t seconds, in rflow's native format (read them
/// with rfdump).
#[derive(Parser, Debug)]
#[command(
    name = "rfcapd",
    version,
    about = "NetFlow/IPFIX collector writing rotated flow files (nfcapd compatible)",
    after_help = "Examples and exit codes: rfcapd --help",
    after_long_help = EXAMPLES
)]
struct Args {
    /// Directory for the flow files (must exist).
    #[arg(short = 'w', value_name = "flowdir")]
    flowdir: Option<PathBuf>,

    /// Legacy alias of -w.
    #[arg(short = 'l', value_name = "flowdir", hide = true)]
    legacy_flowdir: Option<PathBuf>,

    /// UDP port to listen on.
    #[arg(short = 'p', value_name = "port", default_value_t = 9995)]
    port: u16,

    /// Bind to this host name or address.
    #[arg(short = 'b', value_name = "host")]
    bind: Option<String>,

    /// Join this multicast group and receive on it (not with -b).
    #[arg(short = 'J', value_name = "group")]
    join: Option<String>,

    /// Listen on IPv4 only (default).
    #[arg(short = '4')]
    ipv4: bool,

    /// Listen on IPv6 only.
    #[arg(short = '6')]
    ipv6: bool,

    /// Socket receive buffer size in bytes (SO_RCVBUF; past net.core.rmem_max with CAP_NET_ADMIN).
    #[arg(short = 'B', value_name = "bytes")]
    bufsize: Option<String>,

    /// Rotation interval in seconds; files are aligned to it.
    #[arg(short = 't', value_name = "seconds", default_value_t = 300)]
    interval: i64,

    /// Sub-directory layout 0..8 (0: none, 1: %Y/%m/%d, 2: %Y/%m/%d/%H, ...).
    #[arg(short = 'S', value_name = "layout", default_value_t = 0)]
    subdir: u32,

    /// Ident string stored in every file.
    #[arg(short = 'I', value_name = "ident", default_value = "none")]
    ident: String,

    /// Add a fixed exporter source: ident,IP,flowdir (repeatable).
    #[arg(short = 'n', value_name = "ident,IP,flowdir", action = ArgAction::Append)]
    sources: Vec<String>,

    /// Dynamic sources: one sub-directory per exporter address below this directory.
    #[arg(short = 'M', value_name = "dir")]
    dynamic: Option<PathBuf>,

    /// Expire old files after each rotation, with the limits stored by rfexpire -u.
    #[arg(short = 'e')]
    expire: bool,

    /// Run a command after each rotation (%d dir, %f file, %t time, %u UNIX time, %i ident).
    #[arg(short = 'x', value_name = "command")]
    command: Option<String>,

    /// Write the process id to this file.
    #[arg(short = 'P', value_name = "pidfile")]
    pidfile: Option<PathBuf>,

    /// Run in the background, logging to syslog.
    #[arg(short = 'D')]
    daemon: bool,

    /// Switch to this user after binding.
    #[arg(short = 'u', value_name = "user")]
    user: Option<String>,

    /// Switch to this group after binding.
    #[arg(short = 'g', value_name = "group")]
    group: Option<String>,

    /// Default sampling rate; negative: overwrite any rate the exporter announces.
    #[arg(short = 's', value_name = "rate", allow_negative_numbers = true)]
    sampling: Option<i64>,

    /// Repeat every datagram unchanged to host[/port] (repeatable, up to 8).
    #[arg(short = 'R', value_name = "host[/port]", action = ArgAction::Append)]
    repeat: Vec<String>,

    /// Compress files (nfcapd: LZO). rflow files use LZ4.
    #[arg(short = 'z')]
    lzo: bool,

    /// Compress files with LZ4.
    #[arg(short = 'y')]
    lz4: bool,

    /// Compress files (nfcapd: bzip2). rflow files use LZ4.
    #[arg(short = 'j')]
    bz2: bool,

    /// Name files %Y%m%d%H%M%z (with the zone offset).
    #[arg(short = 'Z')]
    zone: bool,

    /// Report sequence errors (accepted for nfcapd compatibility; always counted).
    #[arg(short = 'r')]
    report_seq: bool,

    /// Accepted and ignored (nfcapd 1.6 extension selection).
    #[arg(short = 'T', value_name = "arg", hide = true)]
    extensions: Option<String>,

    /// Increase verbosity.
    #[arg(short = 'v', action = ArgAction::Count)]
    verbose: u8,

    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9100).
    #[arg(long, value_name = "addr:port")]
    metrics: Option<SocketAddr>,

    /// Print a man page or shell completion script and exit.
    #[arg(long, hide = true, value_enum, value_name = "WHAT")]
    generate: Option<rf_cli::Generate>,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// Everything validated from the arguments.
struct Plan {
    settings: Settings,
    sources: Vec<SourceSpec>,
    listen: net::Listen,
    repeaters: Vec<SocketAddr>,
}

fn existing_dir(p: &PathBuf) -> Result<PathBuf> {
    let d = std::fs::canonicalize(p)
        .with_context(|| format!("No such directory: '{}'", p.display()))?;
    if !d.is_dir() {
        bail!("Not a directory: '{}'", d.display());
    }
    Ok(d)
}

fn check_ident(id: &str) -> Result<()> {
    if id.is_empty() || id.len() >= 128 || id.contains(char::is_whitespace) {
        return Err(usage(format!(
            "Invalid ident '{id}': no spaces, less than 128 characters"
        )));
    }
    Ok(())
}

fn resolve(host: &str, port: u16) -> Result<IpAddr> {
    if let Ok(ip) = host.parse() {
        return Ok(ip);
    }
    (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve '{host}'"))?
        .next()
        .map(|a| a.ip())
        .with_context(|| format!("cannot resolve '{host}'"))
}

fn plan(a: &Args) -> Result<Plan> {
    if a.interval < 2 {
        return Err(usage("time interval <= 2s not allowed"));
    }
    if a.ipv4 && a.ipv6 {
        return Err(usage("ERROR, Accepts only one protocol IPv4 or IPv6!"));
    }
    let layout = Layout::from_index(a.subdir).map_err(|e| usage(e.to_string()))?;
    check_ident(&a.ident)?;
    if let Some(s) = a.sampling
        && (s == 0 || s.unsigned_abs() > 10_000_000)
    {
        return Err(usage("Invalid sampling rate"));
    }
    let compression = match (a.lzo, a.lz4, a.bz2) {
        (false, false, false) => Compression::None,
        (true, false, false) | (false, true, false) | (false, false, true) => Compression::Lz4,
        _ => {
            return Err(usage(
                "Use either -z for LZO, -j for BZ2 or -y for LZ4 compression",
            ));
        }
    };
    if a.repeat.len() > 8 {
        return Err(usage("Too many packet repeaters! Max: 8 repeaters allowed"));
    }
    let rcvbuf = match &a.bufsize {
        Some(b) => match b.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => return Err(usage("Argument error for -B")),
        },
        None => 8 << 20,
    };
    if let Some(cmd) = &a.command {
        hooks::expand(cmd, &PathBuf::from("/"), &PathBuf::from("f"), "t", 0, "i").map_err(usage)?;
    }
    let flowdir = a.flowdir.as_ref().or(a.legacy_flowdir.as_ref());
    let mut sources = Vec::new();
    if !a.sources.is_empty() && (flowdir.is_some() || a.dynamic.is_some()) {
        return Err(usage("Can not mix IP specific and any IP sources"));
    }
    if flowdir.is_some() && a.dynamic.is_some() {
        return Err(usage("Can not mix -w and -M"));
    }
    for s in &a.sources {
        let parts: Vec<&str> = s.splitn(3, ',').collect();
        let [ident, ip, dir] = parts[..] else {
            return Err(usage(format!(
                "Syntax error for -n: '{s}' (ident,IP,flowdir)"
            )));
        };
        check_ident(ident)?;
        let ip = rf_netflow::canonical_ip(resolve(ip, a.port)?);
        sources.push(SourceSpec {
            ident: ident.to_string(),
            dir: existing_dir(&PathBuf::from(dir))?,
            kind: SourceKind::Fixed(ip),
        });
    }
    if let Some(d) = flowdir {
        sources.push(SourceSpec {
            ident: a.ident.clone(),
            dir: existing_dir(d)?,
            kind: SourceKind::Any,
        });
    }
    if let Some(d) = &a.dynamic {
        sources.push(SourceSpec {
            ident: a.ident.clone(),
            dir: existing_dir(d)?,
            kind: SourceKind::Dynamic,
        });
    }
    if sources.is_empty() {
        return Err(usage("Missing flow directory: use -w, -n or -M"));
    }
    for (i, s) in sources.iter().enumerate() {
        if let Some(o) = sources[..i].iter().find(|o| same_dir(&o.dir, &s.dir)) {
            return Err(usage(format!(
                "Sources '{}' and '{}' share the flow directory {}: each needs its own",
                o.ident,
                s.ident,
                s.dir.display()
            )));
        }
    }
    let mut repeaters = Vec::new();
    for r in &a.repeat {
        let (host, port) = match r.split_once('/') {
            Some((h, p)) => (
                h,
                p.parse()
                    .map_err(|_| usage(format!("Invalid port in -R {r}")))?,
            ),
            None => (r.as_str(), 9995),
        };
        repeaters.push(SocketAddr::new(resolve(host, port)?, port));
    }
    let bind = a.bind.as_deref().map(|h| resolve(h, a.port)).transpose()?;
    let join = match a.join.as_deref() {
        Some(_) if bind.is_some() => return Err(usage("-b and -J are mutually exclusive")),
        Some(g) => match g.parse::<IpAddr>() {
            Ok(ip) if ip.is_multicast() => Some(ip),
            _ => return Err(usage(format!("Not a multicast group: '{g}'"))),
        },
        None => None,
    };
    Ok(Plan {
        settings: Settings {
            interval: a.interval,
            layout,
            style: NameStyle::for_interval(a.interval.unsigned_abs(), a.zone),
            compression,
            decoder: rf_netflow::Config {
                sampling: a.sampling.unwrap_or(1),
                ..rf_netflow::Config::default()
            },
            command: a.command.clone(),
            expire: a.expire,
            verbose: a.verbose,
        },
        sources,
        listen: net::Listen {
            bind,
            port: a.port,
            ipv6: a.ipv6 || bind.or(join).is_some_and(|b| b.is_ipv6()),
            rcvbuf,
            join,
        },
        repeaters,
    })
}

/// Whether two existing directories are the same one (also through links or `..`).
fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn run(args: Args) -> Result<ExitCode> {
    if let Some(what) = args.generate {
        rf_cli::generate(what, Args::command(), &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    let plan = plan(&args)?;
    if args.daemon && !process::is_daemon_child() {
        process::daemonize()?;
        return Ok(ExitCode::SUCCESS);
    }
    let log = if process::is_daemon_child() {
        Log::syslog()
    } else {
        Log::stderr()
    };
    if args.legacy_flowdir.is_some() {
        log.info("-l is a legacy option and may get removed in future. Please use -w to set output directory");
    }
    if args.extensions.is_some() {
        log.info("Option -T no longer supported and ignored");
    }
    if args.lzo || args.bz2 {
        log.info("rflow files are LZ4 compressed (-z/-j select LZ4)");
    }
    for s in &plan.sources {
        let ip = match &s.kind {
            SourceKind::Fixed(ip) => ip.to_string(),
            SourceKind::Any => "any IP".into(),
            SourceKind::Dynamic => "dynamic".into(),
        };
        log.info(&format!(
            "Add flow source: ident: {}, IP: {ip}, flowdir: {}",
            s.ident,
            s.dir.display()
        ));
    }
    let sock = net::bind(&plan.listen, &log).context("cannot bind the UDP socket")?;
    let _pid = args
        .pidfile
        .as_deref()
        .map(process::PidFile::create)
        .transpose()?;
    // Each flow directory is claimed for the whole run (after the pid file, whose message
    // names the other collector's pid).
    let _claims = plan
        .sources
        .iter()
        .map(|s| process::DirLock::take(&s.dir))
        .collect::<Result<Vec<_>>>()?;
    // What a killed collector left unfinished becomes readable before new flows arrive.
    for s in &plan.sources {
        let opts = collector::writer_options(plan.settings.compression, &s.ident);
        salvage::recover(&s.dir, &opts, &log);
    }
    // The receive thread runs at a higher priority than the rest, so that on a busy host it
    // drains the socket before the kernel buffer overflows (measured: loopback bursts lost
    // up to a sixth of the datagrams at equal priority, none with the boost). Set on this
    // thread before privileges are dropped (a lower nice value needs CAP_SYS_NICE), inherited
    // by the receive thread, and undone here once it is started.
    let nice = process::thread_nice();
    let boosted = process::set_thread_nice(nice - process::RECEIVE_BOOST);
    process::drop_privileges(args.user.as_deref(), args.group.as_deref())?;

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, stop.clone()).context("cannot install signal handler")?;
    }
    // A file-size limit (`ulimit -f`) would kill the collector with SIGXFSZ on the first write
    // past it; handled, the write fails with EFBIG instead and is retried like a full disk.
    signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        Arc::new(AtomicBool::new(false)),
    )
    .context("cannot install signal handler")?;
    let m = Arc::new(Metrics::default());
    let now = (net::now_ms() / 1000) as i64;
    let mut c = Collector::new(plan.settings, plan.sources, now, log.clone(), m.clone());

    // Bounded: when decoding falls behind, the receiver waits and the kernel buffer absorbs.
    let (tx, rx) = sync_channel::<net::Batch>(1024);
    // Processed batches go back to the receiver for reuse.
    let (free_tx, free_rx) = channel::<net::Batch>();
    let receiver = {
        let (stop, m, log) = (stop.clone(), m.clone(), log.clone());
        std::thread::Builder::new()
            .name("receive".into())
            .spawn(move || net::receive(sock, tx, free_rx, stop, plan.repeaters, m, log))
            .context("cannot start the receive thread")?
    };
    if boosted {
        process::set_thread_nice(nice);
        log.info(&format!(
            "Receive thread priority raised to nice {}",
            (nice - process::RECEIVE_BOOST).max(-20)
        ));
    } else {
        log.info("Receive thread priority not raised (needs root or CAP_SYS_NICE)");
    }
    // Started after the boost is undone: the metrics thread runs at normal priority.
    if let Some(addr) = args.metrics {
        let local = metrics::serve(addr, m.clone())
            .with_context(|| format!("cannot serve metrics on {addr}"))?;
        log.info(&format!("Metrics on http://{local}/metrics"));
    }
    log.info("Startup rfcapd.");
    let mut last = now;
    loop {
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(mut batch) => {
                for (data, from, ms) in batch.iter() {
                    c.tick((ms / 1000) as i64);
                    c.packet(data, from, ms);
                }
                batch.clear();
                let _ = free_tx.send(batch);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let now = (net::now_ms() / 1000) as i64;
        if now != last {
            last = now;
            c.tick(now);
            let (seq, held) = c.totals();
            Metrics::set(&m.sequence_failures, seq);
            Metrics::set(&m.held_dropped, held);
        }
    }
    let _ = receiver.join();
    c.rotate((net::now_ms() / 1000) as i64, true);
    hooks::wait_all();
    let lost = c.pending_flows();
    if lost > 0 {
        log.error(&format!(
            "{lost} flows could not be written to disk and are lost"
        ));
    }
    log.info("Terminating rfcapd.");
    // A run that lost flows failed, whatever stopped it: scripts and supervisors see it.
    Ok(if lost > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    rf_cli::run_main::<Args>("rfcapd", run)
}
