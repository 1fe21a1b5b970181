//! Filter evaluation throughput (records/s) on the records of the v9 fixture, for a simple
//! expression, a 20-term expression and a 1000-address `ip in [...]` list, plus the cost of
//! parsing and compiling the 20-term expression.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rf_filter::Filter;
use rf_format::FlowRecord;

/// The fixture's 2062 records: about one decoded block, as a query filters it while the
/// block is still in cache.
fn records() -> Vec<FlowRecord> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/filter/v9.nf");
    rf_format::read_all(&path).expect("read fixtures/filter/v9.nf")
}

const SIMPLE: &str = "proto tcp and dst port 443";

const TWENTY: &str = "(proto tcp or proto udp) and not src net 192.168.0.0/16 \
    and (dst port 443 or dst port 80 or dst port 53 or src port > 1023) \
    and bytes > 100 and packets < 1000 and not flags R and tos < 200 \
    and (ipv4 or ipv6) and duration < 1000000 and bpp > 10 and pps < 100000 \
    and not ip 10.1.2.3 and in if 0 and vlan 0 and not as 65000";

fn bench(c: &mut Criterion) {
    let recs = records();
    let list: Vec<String> = (0..1000)
        .map(|i| format!("10.{}.{}.{}", i % 7, i % 251, i % 253))
        .collect();
    let big_list = format!("ip in [{}]", list.join(" "));
    let mut g = c.benchmark_group("filter");
    g.throughput(Throughput::Elements(recs.len() as u64));
    for (name, expr) in [
        ("simple", SIMPLE),
        ("twenty_terms", TWENTY),
        ("ip_in_1000", &big_list),
    ] {
        let f: Filter = expr.parse().expect("benchmark filter parses");
        g.bench_function(name, |b| {
            b.iter(|| recs.iter().filter(|r| f.matches(black_box(r))).count())
        });
    }
    g.finish();
    c.bench_function("parse_compile_twenty_terms", |b| {
        b.iter(|| black_box(TWENTY).parse::<Filter>().map(|f| f.is_any()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
