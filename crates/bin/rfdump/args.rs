//! rfdump's command line: nfdump 1.7.1's flags with the same letters and meanings.

use clap::Parser;

const EXAMPLES: &str = "\
EXAMPLES:
  rfdump -r /var/cache/nfdump/nfcapd.202511280320
  rfdump -R /var/cache/nfdump -o long 'proto tcp and port 443'
  rfdump -R flows/nfcapd.202511280300:nfcapd.202511280355 -s srcip/bytes -n 20
  rfdump -M /data/r1:r2 -R . -A srcip4/24,dstport -O bytes
  rfdump -r flows -t 2025/11/28.03:30-2025/11/28.03:35 -o 'fmt:%ts %sa %da %byt'
  rfdump -r flows -b -o bilong
  rfdump -r flows -o ndjson 'dst port 53' | jq .
  rfdump -r flows 'net 10.0.0.0/8' -w subset.rf -z=lz4
  rfdump -R /var/cache/nfdump -w day.parquet
  rfdump -R /var/cache/nfdump --export-dir /data/flows

Exit status: 0 success (also 'No matching flows'), 1 runtime error, 2 usage error.";

/// Read, filter, aggregate and print flow files (nfdump compatible).
///
/// Everything after the options is the filter (nfdump's filter language), joined with spaces.
#[derive(Parser, Debug, Default)]
#[command(
    name = "rfdump",
    version,
    after_help = "Examples and exit codes: rfdump --help",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Read one file, or every file below a directory (given twice, the last one counts, as
    /// in nfdump).
    #[arg(short = 'r', value_name = "PATH", overrides_with = "read")]
    pub read: Option<String>,

    /// Read a range of files: dir, dir/first (to the end), dir/first:last.
    #[arg(short = 'R', value_name = "RANGE")]
    pub range: Option<String>,

    /// The same -r/-R selection in several directories: /path/dir1:dir2:...
    #[arg(short = 'M', value_name = "DIRS")]
    pub multi: Option<String>,

    /// Write the passed (or aggregated) records to a native rflow file instead of printing;
    /// a name ending in .parquet writes Apache Parquet (docs/parquet.md).
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<std::path::PathBuf>,

    /// Write the passed (or aggregated) records as a Hive-partitioned Parquet dataset
    /// (DIR/date=YYYY-MM-DD/hour=HH/part-K.parquet); re-runs replace their own parts.
    #[arg(long = "export-dir", value_name = "DIR")]
    pub export_dir: Option<std::path::PathBuf>,

    /// Compression of the -w file: lz4 (default, also plain -z) or none.
    #[arg(short = 'z', value_name = "CODEC", num_args = 0..=1, require_equals = true,
          default_missing_value = "lz4")]
    pub compress: Option<String>,

    /// Read the filter from a file (a filter on the command line wins).
    #[arg(short = 'f', value_name = "FILE")]
    pub filter_file: Option<std::path::PathBuf>,

    /// Time window: YYYY/MM/dd.hh:mm:ss[-YYYY/MM/dd.hh:mm:ss], +N or -N seconds.
    #[arg(short = 't', value_name = "WINDOW", allow_hyphen_values = true)]
    pub time: Option<String>,

    /// Stop after N records passed the filter.
    #[arg(short = 'c', value_name = "N")]
    pub count: Option<String>,

    /// Aggregate by 5-tuple (proto, addresses, ports).
    #[arg(short = 'a')]
    pub aggregate: bool,

    /// Aggregate by these fields: srcip,dstip,srcip4/24,dstport,proto,... (implies -a).
    #[arg(short = 'A', value_name = "FIELDS")]
    pub agg_fields: Option<String>,

    /// Bidirectional aggregation (default output biline).
    #[arg(short = 'b')]
    pub bidir: bool,

    /// Bidirectional aggregation, client shown as source.
    #[arg(short = 'B')]
    pub bidir_swap: bool,

    /// Print the summed stat records of the files and exit.
    #[arg(short = 'I')]
    pub info: bool,

    /// Statistics: name[:p][/order[:a|:d]]... (repeatable, at most 8); or record/order.
    #[arg(short = 's', value_name = "STAT")]
    pub stats: Vec<String>,

    /// Top N for -s; limit for -a/-O listings (0 = all; default 10 with -s).
    #[arg(short = 'n', value_name = "N", allow_hyphen_values = true)]
    pub top: Option<String>,

    /// Print order: flows, packets, bytes, pps, bps, bpp, tstart, tend, duration ... [:a|:d].
    #[arg(short = 'O', value_name = "ORDER")]
    pub order: Option<String>,

    /// Same as -O tstart (deprecated in nfdump).
    #[arg(short = 'm')]
    pub tstart: bool,

    /// Output format: line, long, extended, raw, csv, pipe, json, ndjson, null, biline,
    /// bilong, nsel, nel, fmt:<format>; suffix 6 for full IPv6 addresses.
    #[arg(short = 'o', value_name = "FORMAT")]
    pub format: Option<String>,

    /// Full IPv6 addresses (no condensing).
    #[arg(short = '6')]
    pub ipv6_long: bool,

    /// Quiet: no header and no summary footer.
    #[arg(short = 'q')]
    pub quiet: bool,

    /// Plain numbers (no k/M/G scaling).
    #[arg(short = 'N')]
    pub plain: bool,

    /// Packet limit for statistics: [+|-]N[k|m|g].
    #[arg(short = 'l', value_name = "LIMIT", allow_hyphen_values = true)]
    pub packet_limit: Option<String>,

    /// Byte limit for statistics: [+|-]N[k|m|g].
    #[arg(short = 'L', value_name = "LIMIT", allow_hyphen_values = true)]
    pub byte_limit: Option<String>,

    /// Verify a file and print its header, then exit.
    #[arg(short = 'v', value_name = "FILE")]
    pub verify: Option<std::path::PathBuf>,

    /// Print the exporters of a file, then exit.
    #[arg(short = 'E', value_name = "FILE")]
    pub exporters: Option<std::path::PathBuf>,

    /// Check the filter syntax only: exit 0 when it compiles.
    #[arg(short = 'Z')]
    pub syntax_only: bool,

    /// Config file with `fmt.<name> = "<format>"` lines ([nfdump] section); `none` reads
    /// none. Default: $NFCONF when set.
    #[arg(short = 'C', value_name = "FILE")]
    pub config: Option<String>,

    /// Print a man page or shell completion script and exit.
    #[arg(long, hide = true, value_enum, value_name = "WHAT")]
    pub generate: Option<rf_cli::Generate>,

    /// The filter expression. Options may follow it, as with nfdump's getopt.
    #[arg(value_name = "FILTER")]
    pub filter: Vec<String>,
}
