//! One row group's worth of column buffers.
//!
//! Parquet's column writer takes a row group one column after another, so a row group has to be
//! collected before it is written. Records are split into typed per-column vectors as they
//! arrive (about 300 bytes a row, instead of keeping whole [`FlowRecord`]s); strings share
//! one byte arena per column, which is turned into reference-counted slices at flush time so
//! that no per-value allocation is needed.

use std::io::Write;

use bytes::Bytes;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::errors::Result;
use parquet::file::writer::SerializedRowGroupWriter;
use rf_format::FlowRecord;

use crate::schema::{COLUMNS, Getter};

/// Non-null values of one column.
enum Values {
    I32(Vec<i32>),
    I64(Vec<i64>),
    /// Concatenated bytes and the end offset of each value.
    Str(Vec<u8>, Vec<usize>),
}

struct ColumnBuf {
    values: Values,
    /// Definition levels (1 = value, 0 = null); empty for required columns.
    defs: Vec<i16>,
}

/// Buffered rows of one row group.
pub struct RowGroupBuf {
    cols: Vec<ColumnBuf>,
    rows: usize,
}

impl Default for RowGroupBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl RowGroupBuf {
    /// Empty buffers for [`COLUMNS`].
    pub fn new() -> Self {
        let cols = COLUMNS
            .iter()
            .map(|c| ColumnBuf {
                values: match c.get {
                    Getter::I32(_) => Values::I32(Vec::new()),
                    Getter::I64(_) | Getter::Millis(_) => Values::I64(Vec::new()),
                    Getter::Str(_) => Values::Str(Vec::new(), Vec::new()),
                },
                defs: Vec::new(),
            })
            .collect();
        Self { cols, rows: 0 }
    }

    /// Rows buffered.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends one record.
    pub fn push(&mut self, r: &FlowRecord) {
        for (c, buf) in COLUMNS.iter().zip(&mut self.cols) {
            let present = match (c.get, &mut buf.values) {
                (Getter::I32(f), Values::I32(v)) => f(r).map(|x| v.push(x)).is_some(),
                (Getter::I64(f), Values::I64(v)) => f(r).map(|x| v.push(x)).is_some(),
                (Getter::Millis(f), Values::I64(v)) => {
                    v.push(f(r));
                    true
                }
                (Getter::Str(f), Values::Str(data, ends)) => {
                    let ok = f(r, data);
                    if ok {
                        ends.push(data.len());
                    }
                    ok
                }
                // `new` pairs every getter with its own buffer kind.
                _ => false,
            };
            if c.optional {
                buf.defs.push(i16::from(present));
            }
        }
        self.rows += 1;
    }

    /// Writes the buffered rows as the row group `rg` and empties the buffers (keeping their
    /// capacity for the next group).
    pub fn write_to<W: Write + Send>(
        &mut self,
        rg: &mut SerializedRowGroupWriter<'_, W>,
    ) -> Result<()> {
        let mut cols = self.cols.iter_mut();
        while let Some(mut w) = rg.next_column()? {
            let Some(buf) = cols.next() else {
                return Err(parquet::errors::ParquetError::General(
                    "schema has more columns than the buffers".into(),
                ));
            };
            let defs = (!buf.defs.is_empty()).then_some(buf.defs.as_slice());
            match &mut buf.values {
                Values::I32(v) => {
                    w.typed::<Int32Type>().write_batch(v, defs, None)?;
                    v.clear();
                }
                Values::I64(v) => {
                    w.typed::<Int64Type>().write_batch(v, defs, None)?;
                    v.clear();
                }
                Values::Str(data, ends) => {
                    // The arena moves into `Bytes`; the next group starts with the same
                    // capacity so that it does not grow by reallocation again.
                    let cap = data.capacity();
                    let all = Bytes::from(std::mem::replace(data, Vec::with_capacity(cap)));
                    let mut start = 0;
                    let vals: Vec<ByteArray> = ends
                        .iter()
                        .map(|&end| {
                            let b = ByteArray::from(all.slice(start..end));
                            start = end;
                            b
                        })
                        .collect();
                    w.typed::<ByteArrayType>().write_batch(&vals, defs, None)?;
                    ends.clear();
                }
            }
            buf.defs.clear();
            w.close()?;
        }
        self.rows = 0;
        Ok(())
    }
}
