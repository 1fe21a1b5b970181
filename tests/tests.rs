//! End-to-end tests of the rflow binaries. One test binary (one link step) with a module per
//! tool; helpers live in `util`.

mod docs;
mod rfcapd_e2e;
mod rfdump_cli;
mod rfdump_golden;
#[cfg(feature = "parquet")]
mod rfdump_parquet;
mod rfexpire_cli;
mod rfreplay_e2e;
mod util;
