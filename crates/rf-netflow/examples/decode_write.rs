//! The collector's per-flow work on one thread, without a network: replays datagrams recorded
//! by `capture` through the decoder into a native file, as rfcapd's decoding thread does
//! (records decoded straight into the writer with the columns their templates fill), and
//! prints the time per flow of each run. Used by `scripts/bench-decode.sh`; the ns-per-flow
//! figures of docs/performance.md come from it.
//!
//! Usage: `decode_write FILE [RUNS]`

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use rf_format::Compression;
use rf_format::native::{Writer, WriterOptions};
use rf_netflow::Decoder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: decode_write FILE [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.get(2).map_or(Ok(5), |s| s.parse())?;
    let raw = std::fs::read(path)?;
    let mut datagrams = Vec::new();
    let mut rest = &raw[..];
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let len = u32::from_le_bytes(*len) as usize;
        let Some((d, tail)) = tail.split_at_checked(len) else {
            break;
        };
        datagrams.push(d);
        rest = tail;
    }
    let from = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let out = std::env::temp_dir().join(format!("decode_write.{}.rf", std::process::id()));
    for _ in 0..runs {
        let start = Instant::now();
        let mut decoder = Decoder::default();
        // rfcapd's default: no compression (-z/-y/-j choose LZ4).
        let opts = WriterOptions {
            compression: Compression::None,
            ..WriterOptions::default()
        };
        let mut w = Writer::create(&out, opts)?;
        let mut flows = 0;
        for d in &datagrams {
            w.append_with(|buf| {
                let before = buf.len();
                let _ = decoder.decode(d, from, 1_765_000_000_000, buf);
                flows += buf.len() - before;
                decoder.columns()
            })?;
        }
        w.finish()?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{} datagrams, {flows} flows: {secs:.3} s, {:.1} ns/flow",
            datagrams.len(),
            secs * 1e9 / flows.max(1) as f64
        );
    }
    std::fs::remove_file(&out)?;
    Ok(())
}
