//! The query engine of rfdump: reading flow files in parallel, filtering, element statistics
//! (`-s`), aggregation (`-a/-A/-b/-B`), sorting (`-O`) and every output format (`-o`), with
//! nfdump 1.7.1's exact text layouts.
//!
//! The pieces are independent so the binary only wires them: [`engine`] scans files and hands
//! filtered records to a [`engine::Partial`] (per block, merged in file order, so results are
//! deterministic whatever the thread count); [`output`] prints records; [`stat`] and [`agg`]
//! are partials; [`summary`] prints the footer.
#![warn(missing_docs)]

pub mod agg;
pub mod engine;
pub mod fields;
pub mod order;
pub mod output;
pub mod query;
pub mod render;
pub mod stat;
pub mod summary;
