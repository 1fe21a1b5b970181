//! Profiling driver for the native writer: reads up to `N` records of any flow file into
//! memory, then writes them with [`Writer`] into memory (footer time fixed, so the bytes are
//! repeatable) and optionally saves the result.
//!
//! `cargo run --release -p rf-format --example write_driver -- IN [N] [OUT]`; under
//! `valgrind --tool=callgrind --toggle-collect=write_driver::write_records` only the writer
//! counts.

use std::path::Path;

use rf_format::FlowRecord;
use rf_format::native::{Writer, WriterOptions};

#[inline(never)]
fn write_records(recs: &[FlowRecord]) -> Vec<u8> {
    let mut w = Writer::new(Vec::with_capacity(64 << 20), WriterOptions::default()).unwrap();
    w.set_created(1_700_000_000);
    for r in recs {
        w.write(r).unwrap();
    }
    w.finish_into_inner().unwrap().1
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let input = args.get(1).expect("usage: write_driver IN [N] [OUT]");
    let limit: usize = args.get(2).map_or(usize::MAX, |n| n.parse().unwrap());
    let f = rf_format::open(Path::new(input)).unwrap();
    let mut recs = Vec::new();
    for i in 0..f.block_count() {
        if recs.len() >= limit {
            break;
        }
        f.read_block(i, &mut recs).unwrap();
    }
    recs.truncate(limit);
    let t = std::time::Instant::now();
    let bytes = write_records(&recs);
    eprintln!(
        "{} records -> {} bytes in {:?}",
        recs.len(),
        bytes.len(),
        t.elapsed()
    );
    if let Some(out) = args.get(3) {
        std::fs::write(out, &bytes).unwrap();
    }
}
