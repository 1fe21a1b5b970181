//! A streaming Parquet file writer for flow records.
//!
//! Records are buffered one row group at a time ([`Options::row_group_rows`]) and each full group
//! is encoded, compressed and written at once, so memory stays bounded whatever the input size.
//! The file is written under a temporary name in the target directory and renamed into place
//! by [`Writer::finish`]: readers (and a Hive dataset re-run) never see a half-written file.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use rf_format::FlowRecord;

use crate::Error;
use crate::encoder::Encoder;
use crate::rowgroup::RowGroupBuf;
use crate::schema::{SCHEMA_VERSION, SCHEMA_VERSION_KEY, message_type};

/// Rows per row group by default: DuckDB's own row-group size, small enough to buffer (about
/// 40 MB) and large enough for fast scans and good compression.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 122_880;

/// Page compression codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// zstd at the given level (1..=22).
    Zstd(i32),
    /// No compression.
    None,
}

/// Writer settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Rows per row group (at least 1).
    pub row_group_rows: usize,
    /// Page compression.
    pub codec: Codec,
    /// Encode row groups on a background thread while the next one is collected (two row
    /// groups in memory instead of one).
    pub threaded: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
            codec: Codec::Zstd(3),
            threaded: true,
        }
    }
}

/// Writes flow records to one Parquet file.
pub struct Writer {
    encoder: Option<Encoder>,
    buf: RowGroupBuf,
    opts: Options,
    /// The temporary file written before the rename; `None` when writing straight into a
    /// FIFO or device (see [`rf_format::destination`]).
    tmp: Option<PathBuf>,
    path: PathBuf,
    rows: u64,
}

/// The temporary name `path` is written under before the rename: hidden and without the
/// `.parquet` suffix so that globs over a dataset skip it.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

impl Writer {
    /// Creates the writer; nothing appears at `path` before [`Writer::finish`].
    pub fn create(path: &Path, opts: Options) -> Result<Self, Error> {
        let dest = rf_format::destination::destination(path);
        let (path, tmp) = match &dest {
            rf_format::destination::Destination::Replace(p) => (p.clone(), Some(temp_path(p))),
            _ => (path.to_path_buf(), None),
        };
        let path = path.as_path();
        let err = |e: &dyn std::fmt::Display| Error::new(path, e.to_string());
        let schema = Arc::new(parse_message_type(&message_type()).map_err(|e| err(&e))?);
        let codec = match opts.codec {
            Codec::Zstd(level) => {
                Compression::ZSTD(ZstdLevel::try_new(level).map_err(|e| err(&e))?)
            }
            Codec::None => Compression::UNCOMPRESSED,
        };
        let props = WriterProperties::builder()
            .set_compression(codec)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_max_row_group_row_count(Some(opts.row_group_rows.max(1)))
            .set_created_by(format!("rflow {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                SCHEMA_VERSION_KEY.to_string(),
                SCHEMA_VERSION.to_string(),
            )]))
            .build();
        let written = tmp.as_deref().unwrap_or(path);
        let file = match &tmp {
            Some(t) => File::create(t),
            None => rf_format::destination::open_in_place(&dest),
        }
        .map_err(|e| Error::new(written, e.to_string()))?;
        let inner = SerializedFileWriter::new(BufWriter::new(file), schema, Arc::new(props))
            .map_err(|e| err(&e))?;
        let encoder = Encoder::new(inner, opts.threaded).map_err(|e| Error::new(written, e))?;
        Ok(Self {
            encoder: Some(encoder),
            buf: RowGroupBuf::new(),
            opts,
            tmp,
            path: path.to_path_buf(),
            rows: 0,
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file being written: the temporary one, or the final path when written directly.
    fn written(&self) -> &Path {
        self.tmp.as_deref().unwrap_or(&self.path)
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Appends one record, writing a row group when the buffer is full.
    pub fn write(&mut self, r: &FlowRecord) -> Result<(), Error> {
        self.buf.push(r);
        self.rows += 1;
        if self.buf.rows() >= self.opts.row_group_rows.max(1) {
            self.flush_group()?;
        }
        Ok(())
    }

    /// Rows buffered for the next row group.
    pub fn buffered(&self) -> usize {
        self.buf.rows()
    }

    /// Writes the buffered rows as a row group now (a no-op when empty).
    pub fn flush_group(&mut self) -> Result<(), Error> {
        if self.buf.rows() == 0 {
            return Ok(());
        }
        let Some(enc) = self.encoder.as_mut() else {
            return Err(Error::new(&self.path, "writer already finished".into()));
        };
        let written = self.tmp.as_deref().unwrap_or(&self.path);
        enc.write(&mut self.buf).map_err(|e| Error::new(written, e))
    }

    /// Writes the last row group and the footer, then renames the file into place.
    pub fn finish(mut self) -> Result<u64, Error> {
        self.flush_group()?;
        let Some(enc) = self.encoder.take() else {
            return Err(Error::new(&self.path, "writer already finished".into()));
        };
        let closed = enc.close().map_err(|e| Error::new(self.written(), e));
        if let Err(e) = closed {
            if let Some(tmp) = &self.tmp {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(e);
        }
        if let Some(tmp) = &self.tmp {
            std::fs::rename(tmp, &self.path)
                .map_err(|e| Error::new(&self.path, format!("rename from temporary file: {e}")))?;
        }
        Ok(self.rows)
    }
}

impl Drop for Writer {
    /// An unfinished writer (error, interrupted run) leaves no temporary file behind.
    fn drop(&mut self) {
        if let Some(enc) = self.encoder.take() {
            // Let the encoder thread finish with the file before it is removed.
            let _ = enc.close();
            if let Some(tmp) = &self.tmp {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::{Field, RowAccessor};

    use super::*;
    use crate::schema::COLUMNS;

    fn flow(i: u16) -> FlowRecord {
        FlowRecord {
            first_ms: 1_700_000_000_000 + u64::from(i),
            last_ms: 1_700_000_000_500 + u64::from(i),
            proto: if i == 0 { 1 } else { 6 },
            dst_port: if i == 0 { 0x0300 } else { 443 },
            src_port: 40000 + i,
            in_packets: 3,
            in_bytes: 100 + u64::from(i),
            src_addr: "2001:db8::1".parse().unwrap(),
            dst_addr: format!("10.0.0.{i}").parse().unwrap(),
            ..FlowRecord::default()
        }
    }

    #[test]
    fn row_groups_values_and_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let opts = Options {
            row_group_rows: 2,
            ..Options::default()
        };
        let mut w = Writer::create(&path, opts).unwrap();
        for i in 0..5 {
            w.write(&flow(i)).unwrap();
        }
        assert!(
            !path.exists(),
            "only the temporary file exists before finish"
        );
        assert_eq!(w.finish().unwrap(), 5);
        // Only the final file is left.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        let reader = SerializedFileReader::try_from(File::open(&path).unwrap()).unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.num_row_groups(), 3);
        assert_eq!(meta.file_metadata().num_rows(), 5);
        let kv = meta.file_metadata().key_value_metadata().unwrap();
        assert!(kv.iter().any(|k| k.key == SCHEMA_VERSION_KEY
            && k.value.as_deref() == Some(&*SCHEMA_VERSION.to_string())));
        let col = |name: &str| COLUMNS.iter().position(|c| c.name == name).unwrap();
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows.len(), 5);
        let icmp = &rows[0];
        assert_eq!(
            icmp.get_timestamp_millis(col("first")).unwrap(),
            1_700_000_000_000
        );
        assert_eq!(icmp.get_string(col("proto_name")).unwrap(), "ICMP");
        assert_eq!(icmp.get_int(col("icmp_type")).unwrap(), 3);
        assert_eq!(icmp.get_string(col("src_addr")).unwrap(), "2001:db8::1");
        let tcp = &rows[4];
        assert_eq!(tcp.get_string(col("dst_addr")).unwrap(), "10.0.0.4");
        assert_eq!(tcp.get_long(col("in_bytes")).unwrap(), 104);
        assert_eq!(tcp.get_long(col("duration_ms")).unwrap(), 500);
        let (_, v) = tcp.get_column_iter().nth(col("icmp_type")).unwrap();
        assert_eq!(v, &Field::Null);
        let (_, v) = tcp.get_column_iter().nth(col("src_as")).unwrap();
        assert_eq!(v, &Field::Null);
    }

    #[test]
    fn unfinished_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut w = Writer::create(&path, Options::default()).unwrap();
        w.write(&flow(1)).unwrap();
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn missing_directory_names_the_file() {
        let e = Writer::create(Path::new("/nonexistent-dir/x.parquet"), Options::default())
            .err()
            .unwrap();
        assert!(e.to_string().contains("/nonexistent-dir/"), "{e}");
    }
}
