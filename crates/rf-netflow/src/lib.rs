//! NetFlow v1/v5/v7/v9 and IPFIX wire formats: decoding for the collector, encoding for replay.
#![warn(missing_docs)]

pub mod encode;
pub mod ie;
