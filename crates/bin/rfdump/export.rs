//! Parquet output of rfdump: `-w FILE.parquet` and `--export-dir DIR` (see docs/parquet.md).
//!
//! Both receive the records the query passes (after filtering and any aggregation), like the
//! native `-w`. With the `parquet` cargo feature off they are refused with a clear message
//! instead of silently writing something else.

use std::path::PathBuf;

use anyhow::Result;
use rf_query::query::RecordSink;

use crate::args::Args;

/// Whether the command line asks for Parquet output.
pub fn requested(a: &Args) -> bool {
    a.export_dir.is_some() || a.write.as_deref().is_some_and(is_parquet)
}

fn is_parquet(p: &std::path::Path) -> bool {
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// An open Parquet destination.
pub enum Sink {
    #[cfg(feature = "parquet")]
    File(Option<rf_parquet::Writer>),
    #[cfg(feature = "parquet")]
    Dir(Option<rf_parquet::Dataset>),
}

/// Opens the Parquet destination the command line names, if any. `inputs` are the files read,
/// whose paths name the dataset parts.
pub fn open(a: &Args, inputs: &[PathBuf]) -> Result<Option<Sink>> {
    if !requested(a) {
        return Ok(None);
    }
    if a.export_dir.is_some() && a.write.is_some() {
        return Err(rf_cli::UsageError("-w and --export-dir are mutually exclusive".into()).into());
    }
    open_sink(a, inputs).map(Some)
}

#[cfg(feature = "parquet")]
fn open_sink(a: &Args, inputs: &[PathBuf]) -> Result<Sink> {
    let opts = rf_parquet::Options::default();
    Ok(match (&a.export_dir, &a.write) {
        (Some(dir), _) => Sink::Dir(Some(rf_parquet::Dataset::create(dir, inputs, opts)?)),
        (None, Some(p)) => Sink::File(Some(rf_parquet::Writer::create(p, opts)?)),
        (None, None) => anyhow::bail!("no Parquet destination"),
    })
}

#[cfg(not(feature = "parquet"))]
fn open_sink(_: &Args, _: &[PathBuf]) -> Result<Sink> {
    anyhow::bail!("this rfdump was built without Parquet support (cargo feature `parquet`)")
}

impl RecordSink for Sink {
    fn write(&mut self, r: &rf_format::FlowRecord) -> Result<(), String> {
        #[cfg(feature = "parquet")]
        {
            let res = match self {
                Sink::File(Some(w)) => w.write(r),
                Sink::Dir(Some(d)) => d.write(r),
                _ => return Err("Parquet writer already finished".into()),
            };
            res.map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "parquet"))]
        {
            let _ = r;
            Err("no Parquet support".into())
        }
    }
}

impl Sink {
    /// Writes the footers and renames the files into place (the dataset also drops its stale
    /// parts).
    pub fn finish(self) -> Result<()> {
        #[cfg(feature = "parquet")]
        match self {
            Sink::File(Some(w)) => {
                w.finish()?;
            }
            Sink::Dir(Some(d)) => {
                d.finish()?;
            }
            _ => {}
        }
        Ok(())
    }
}
