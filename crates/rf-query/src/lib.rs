//! The query engine: filtering, aggregation, statistics and output formats for rfdump.
#![warn(missing_docs)]

pub mod fields;
pub mod output;
