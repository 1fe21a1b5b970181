//! NetFlow v1/v5/v7/v9 and IPFIX wire formats: decoding for the collector, encoding for replay.
//!
//! [`Decoder`] turns export datagrams into [`rf_format::FlowRecord`]s filled the way nfcapd
//! 1.7.1 fills its records (same extension elements, times, sampling), keeping per-exporter
//! templates, sequence checks and counters. It never trusts a length from the wire and keeps
//! its memory bounded whatever an exporter sends.
#![warn(missing_docs)]

mod cursor;
pub mod decoder;
pub mod encode;
pub mod error;
pub mod exporter;
mod fields;
pub mod ie;
pub mod template;
pub mod v5;

pub use decoder::{Config, Counters, Decoder, canonical_ip};
pub use error::DecodeError;
pub use exporter::{Exporter, ExporterKey, ExporterStats};
