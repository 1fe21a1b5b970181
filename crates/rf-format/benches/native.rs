//! Write and read throughput of the native format on ~1M synthetic flows, reported by
//! criterion as elements (flows) per second.
//!
//! The records come from a fixed deterministic generator shaped like collector output: a few
//! hundred hosts, common ports, times increasing by a few ms per flow, only the usual NetFlow
//! fields set. Run with `cargo bench -p rf-format --bench native`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use rf_format::native::{ColumnSet, NativeFile, Writer, WriterOptions};
use rf_format::{ExtSet, FlowFile, FlowRecord, ext_id};

const FLOWS: usize = 1 << 20;

fn synthetic(n: usize) -> Vec<FlowRecord> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut ext = ExtSet::default();
    for id in [
        ext_id::GENERIC,
        ext_id::IPV4,
        ext_id::FLOW_MISC,
        ext_id::IP_RECEIVED_V4,
    ] {
        ext.set(id);
    }
    (0..n as u64)
        .map(|i| {
            // xorshift64: cheap and deterministic.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let first = 1_700_000_000_000 + i * 3 + x % 50;
            FlowRecord {
                ext,
                nfversion: 9,
                first_ms: first,
                last_ms: first + x % 60_000,
                received_ms: first + 60_000,
                src_addr: IpAddr::V4(Ipv4Addr::from_bits(0x0a00_0000 | (x % 500) as u32)),
                dst_addr: IpAddr::V4(Ipv4Addr::from_bits(0xc0a8_0000 | ((x >> 12) % 200) as u32)),
                src_port: 1024 + (x >> 20) as u16 % 60000,
                dst_port: [53, 80, 443, 22, 123][(x >> 40) as usize % 5],
                proto: [6, 6, 17, 1][(x >> 50) as usize % 4],
                tcp_flags: (x >> 30) as u8 & 0x3f,
                in_packets: 1 + (x >> 8) % 100,
                in_bytes: 40 + (x >> 16) % 100_000,
                input: 1 + (x % 4) as u32,
                output: 2,
                received_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                ..FlowRecord::default()
            }
        })
        .collect()
}

fn write(recs: &[FlowRecord]) -> Vec<u8> {
    let mut w = Writer::new(Vec::with_capacity(64 << 20), WriterOptions::default()).unwrap();
    for r in recs {
        w.write(r).unwrap();
    }
    w.finish_into_inner().unwrap().1
}

/// Decodes every block in order into one reused buffer; returns the record count.
fn stream(file: &NativeFile, cols: ColumnSet, out: &mut Vec<FlowRecord>) -> usize {
    let mut n = 0;
    for i in 0..file.block_count() {
        out.clear();
        file.read_block_columns(i, cols, out).unwrap();
        n += out.len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let recs = synthetic(FLOWS);
    let bytes = write(&recs);
    eprintln!(
        "native: {} flows in {} bytes ({:.1} bytes/flow)",
        FLOWS,
        bytes.len(),
        bytes.len() as f64 / FLOWS as f64
    );
    let file = NativeFile::from_bytes(bytes).unwrap();

    let mut g = c.benchmark_group("native");
    g.sample_size(10);
    g.throughput(Throughput::Elements(FLOWS as u64));
    g.bench_function("write", |b| b.iter(|| black_box(write(&recs)).len()));
    // Readers stream block by block (as rfdump does), reusing one buffer: this measures
    // decoding, not the growth of a 1M-record vector.
    g.bench_function("read", |b| {
        let mut out = Vec::new();
        b.iter(|| black_box(stream(&file, ColumnSet::ALL, &mut out)))
    });
    g.bench_function("read_parallel", |b| {
        b.iter(|| {
            (0..file.block_count())
                .into_par_iter()
                .map(|i| {
                    let mut out = Vec::new();
                    file.read_block(i, &mut out).unwrap();
                    out.len()
                })
                .sum::<usize>()
        })
    });
    let cols = ColumnSet::fields(["src_addr", "dst_addr", "proto", "in_bytes"]).unwrap();
    g.bench_function("read_4_columns", |b| {
        let mut out = Vec::new();
        b.iter(|| black_box(stream(&file, cols, &mut out)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
