//! Turns the parsed command line into a resolved query: file list, filter, time window,
//! output format, statistics and aggregation settings, with nfdump's messages for bad values.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use rf_cli::UsageError;
use rf_query::agg::{self, Mode};
use rf_query::order::Order;
use rf_query::output::{self, FmtOptions, Kind};
use rf_query::stat::{self, StatRequest, StatSpec};

use crate::args::Args;

/// Everything a run needs besides the files' contents.
pub struct Plan {
    pub files: Vec<PathBuf>,
    pub filter: rf_filter::Filter,
    pub window: Option<(u64, u64)>,
    pub limit: Option<u64>,
    pub kind: Kind,
    pub stats: Vec<StatSpec>,
    pub record_stat: Option<Vec<(Order, bool)>>,
    pub agg: Option<Mode>,
    pub order: Option<(Order, bool)>,
    pub top: usize,
    pub compression: rf_format::Compression,
    pub packet_limit: Option<(bool, u64)>,
    pub byte_limit: Option<(bool, u64)>,
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

fn parse_order(s: &str) -> Result<(Order, bool)> {
    let (name, dir) = match s.split_once(':') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    let o = Order::parse(name).ok_or_else(|| usage(format!("Unknown print order '{s}'")))?;
    let asc = match dir {
        None => o.ascending_by_default(),
        Some("a" | "A") => true,
        Some("d" | "D") => false,
        Some(_) => return Err(usage(format!("Unknown print order '{s}'"))),
    };
    Ok((o, asc))
}

/// The file list of `-r/-R/-M`.
pub fn files(a: &Args) -> Result<Vec<PathBuf>> {
    let src = rf_store::select::Sources {
        read: a.read.as_deref(),
        range: a.range.as_deref(),
        multi: a.multi.as_deref(),
    };
    rf_store::select::expand_with(&src, &mut |m| eprintln!("rfdump: {m}"))
        .map_err(anyhow::Error::new)
}

/// The filter: command-line words (joined with spaces) win over `-f file`; none is `any`.
pub fn filter(a: &Args) -> Result<rf_filter::Filter> {
    let text = a.filter.join(" ");
    Ok(if !text.trim().is_empty() {
        text.parse::<rf_filter::Filter>()
            .map_err(|e| usage(format!("filter: {e}")))?
    } else if let Some(f) = &a.filter_file {
        rf_filter::Filter::from_file(f).map_err(|e| usage(format!("filter file: {e}")))?
    } else {
        rf_filter::Filter::any()
    })
}

/// `fmt.<name>` definitions of the config file (`-C file`, else `$NFCONF`; `-C none` or no
/// file: none). Lines of other sections and keys are ignored, as nfdump's other settings.
pub fn custom_formats(a: &Args) -> Result<Vec<(String, String)>> {
    let path = match a.config.as_deref() {
        Some("none") => return Ok(Vec::new()),
        Some(p) => PathBuf::from(p),
        None => match std::env::var_os("NFCONF") {
            Some(p) => PathBuf::from(p),
            None => return Ok(Vec::new()),
        },
    };
    let meta = std::fs::metadata(&path).with_context(|| format!("config {}", path.display()))?;
    if !meta.is_file() || meta.len() > 1 << 20 {
        bail!(
            "config {}: not a regular file of at most 1 MiB",
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("config {}", path.display()))?;
    Ok(parse_config(&text))
}

/// Parses `fmt.<name> = "<string>"` lines of the `[nfdump]` section.
fn parse_config(text: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if section != "nfdump" {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let Some(name) = key.trim().strip_prefix("fmt.") else {
            continue;
        };
        let v = value.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        out.push((name.to_string(), v.to_string()));
    }
    out
}

/// `-E file`: the exporter list.
pub fn exporters_text(path: &std::path::Path) -> Result<String> {
    use std::fmt::Write as _;
    let file = rf_format::open(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut o = String::from("Exporters:\n\n");
    for e in &file.info().exporters {
        let _ = writeln!(
            o,
            "SysID: {}, IP: {:>16}, version: {}, ID: {:2}, Sequence failures: {}, packets: {}, flows: {}",
            e.sysid, e.ip, e.version, e.id, e.sequence_failures, e.packets, e.flows
        );
    }
    Ok(o)
}

/// Resolves the command line.
pub fn plan(a: &Args) -> Result<Plan> {
    let files = files(a)?;
    let filter = filter(a)?;
    let limit = match &a.count {
        None => None,
        Some(c) => match c.parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(usage("Option -c needs a number > 0")),
        },
    };
    let window = match &a.time {
        None => None,
        Some(t) => {
            let spec = rf_store::timewin::parse(t).map_err(|e| usage(e.to_string()))?;
            let (first, last) = data_span(&files);
            let w = spec.resolve(first, last);
            Some((w.start_ms, w.end_ms))
        }
    };
    let mut stats = Vec::new();
    let mut record_stat = None;
    if a.stats.len() > 8 {
        return Err(usage(
            "Too many stat options! Stats are limited to 8 stats per single run!",
        ));
    }
    for s in &a.stats {
        match stat::parse(s).map_err(usage)? {
            StatRequest::Element(e) => stats.push(e),
            StatRequest::Record(o) => record_stat = Some(o),
        }
    }
    let mut order = match &a.order {
        Some(o) => Some(parse_order(o)?),
        None => None,
    };
    if a.tstart && order.is_none() {
        order = Some((Order::Tstart, true));
    }
    if record_stat.is_some() && order.is_some() {
        bail!(usage(
            "-s record and -O (-m) are mutually exclusive options"
        ));
    }
    if a.agg_fields.is_some() && (a.bidir || a.bidir_swap) {
        bail!(usage("Can not set custom aggregation in bidir mode"));
    }
    let agg_list = match &a.agg_fields {
        Some(l) => Some(agg::parse_list(l).map_err(usage)?),
        None => None,
    };
    let mut agg_mode = if a.bidir || a.bidir_swap {
        Some(Mode::Bidir { swap: a.bidir_swap })
    } else if let Some(l) = &agg_list {
        Some(Mode::Custom(l.fields.clone()))
    } else if a.aggregate {
        Some(Mode::FiveTuple)
    } else {
        None
    };
    if !stats.is_empty() && agg_mode.is_some() {
        if record_stat.is_none() && agg_list.is_some() {
            eprintln!("Warning: Aggregation ignored for element statistics");
        } else if a.aggregate {
            eprintln!("Command line switch -s overwrites -a");
        }
        if record_stat.is_none() {
            agg_mode = None;
        }
    }
    let limit_of = |v: &Option<String>| -> Result<Option<(bool, u64)>> {
        v.as_deref()
            .map(|s| stat::parse_limit(s).map_err(usage))
            .transpose()
    };
    let packet_limit = limit_of(&a.packet_limit)?;
    let byte_limit = limit_of(&a.byte_limit)?;
    if (packet_limit.is_some() || byte_limit.is_some())
        && stats.is_empty()
        && record_stat.is_none()
        && agg_mode.is_none()
    {
        bail!(usage(
            "Packet and byte limits (-l/-L) apply only to statistics (-s) and aggregation (-a)"
        ));
    }
    let top = match &a.top {
        None => {
            if stats.is_empty() && record_stat.is_none() {
                0
            } else {
                10
            }
        }
        Some(n) => n
            .parse::<usize>()
            .map_err(|_| usage(format!("Invalid number for -n: '{n}'")))?,
    };
    let fmt_opts = FmtOptions {
        long_v6: a.ipv6_long,
        plain: a.plain,
    };
    let spec = match (&a.format, &agg_list) {
        (Some(f), _) => f.clone(),
        (None, Some(l)) => format!("fmt:{}", l.fmt),
        (None, None) if a.bidir || a.bidir_swap => "biline".into(),
        (None, None) => "line".into(),
    };
    let custom = custom_formats(a)?;
    let kind = output::parse_kind(&spec, fmt_opts, &custom).map_err(|e| usage(e.to_string()))?;
    let compression = match a.compress.as_deref() {
        None | Some("lz4") => rf_format::Compression::Lz4,
        Some("none") => rf_format::Compression::None,
        Some(other) => bail!(usage(format!(
            "Unknown compression '{other}': use lz4 or none"
        ))),
    };
    Ok(Plan {
        files,
        filter,
        window,
        limit,
        kind,
        stats,
        record_stat,
        agg: agg_mode,
        order,
        top,
        compression,
        packet_limit,
        byte_limit,
    })
}

/// First and last millisecond of the data in `files` (from their stat records), for the
/// relative `-t +N/-N` forms.
fn data_span(files: &[PathBuf]) -> (u64, u64) {
    let mut s = rf_format::FileStats::default();
    for f in files {
        if let Ok(file) = rf_format::open(f) {
            s.merge(&file.info().stats);
        }
    }
    (s.first_seen_ms, s.last_seen_ms)
}

/// The summed stat records printed by `-I`, and an error line for each file whose stat
/// record could not be read (its figures are missing from the sums).
pub fn info_text(files: &[PathBuf]) -> (String, Vec<String>) {
    use std::fmt::Write as _;
    let mut s = rf_format::FileStats::default();
    let mut ident = String::new();
    let mut errors = Vec::new();
    for f in files {
        // The reader's errors already name the file.
        let file = match rf_format::open(f) {
            Ok(file) => file,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        if let Some(e) = file.stats_damage() {
            errors.push(format!("{}; no statistics", e.in_file(f)));
            continue;
        }
        s.merge(&file.info().stats);
        if ident.is_empty() {
            ident = file.info().ident.clone();
        }
    }
    let mut o = String::new();
    let _ = writeln!(o, "Ident: {ident}");
    for (k, v) in [
        ("Flows", s.flows),
        ("Flows_tcp", s.flows_tcp),
        ("Flows_udp", s.flows_udp),
        ("Flows_icmp", s.flows_icmp),
        ("Flows_other", s.flows_other),
        ("Packets", s.packets),
        ("Packets_tcp", s.packets_tcp),
        ("Packets_udp", s.packets_udp),
        ("Packets_icmp", s.packets_icmp),
        ("Packets_other", s.packets_other),
        ("Bytes", s.bytes),
        ("Bytes_tcp", s.bytes_tcp),
        ("Bytes_udp", s.bytes_udp),
        ("Bytes_icmp", s.bytes_icmp),
        ("Bytes_other", s.bytes_other),
        ("First", s.first_seen_ms / 1000),
        ("Last", s.last_seen_ms / 1000),
        ("msec_first", s.first_seen_ms % 1000),
        ("msec_last", s.last_seen_ms % 1000),
        ("Sequence failures", s.sequence_failures),
    ] {
        let _ = writeln!(o, "{k}: {v}");
    }
    (o, errors)
}

/// `-v file`: the file's header and a full read of every block, like nfdump's verify.
pub fn verify_text(path: &std::path::Path) -> Result<(String, bool)> {
    use std::fmt::Write as _;
    let file = rf_format::open(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let info = file.info();
    let mut o = String::new();
    let _ = writeln!(o, "File       : {}", path.display());
    let _ = writeln!(
        o,
        "Version    : {} - {}",
        info.version,
        info.compression.name()
    );
    if info.created != 0 {
        let _ = writeln!(
            o,
            "Created    : {}",
            rf_query::render::time_secs(info.created)
        );
    }
    if !info.ident.is_empty() {
        let _ = writeln!(o, "Ident      : {}", info.ident);
    }
    let _ = writeln!(o, "Data blks  : {}", file.block_count());
    o.push_str("Checking data blocks\n");
    let mut records = 0usize;
    let mut ok = true;
    let mut buf = Vec::new();
    for i in 0..file.block_count() {
        buf.clear();
        match file.read_block(i, &mut buf) {
            Ok(()) => records += buf.len(),
            Err(e) => {
                ok = false;
                let _ = writeln!(o, "Block {i}: {}", e.in_file(path));
            }
        }
    }
    let _ = writeln!(o, "\nTotal\nRecords       : {records}");
    Ok((o, ok))
}

#[cfg(test)]
mod tests {
    use super::parse_config;

    #[test]
    fn config_formats() {
        let text = "# comment\n[nfcapd]\nfmt.x = \"%sa\"\n[nfdump]\nfmt.mine = \"%ts %sa\"\ngeodb.path = \"/x\"\n";
        assert_eq!(
            parse_config(text),
            vec![("mine".to_string(), "%ts %sa".to_string())]
        );
    }
}
