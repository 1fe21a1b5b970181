//! One interface over every flow file rflow reads: native rflow files and nfdump files
//! (layout 1 and 2). [`open`] detects the kind by magic; callers then read blocks, which decode
//! independently so a query can spread them over threads and still print in file order.

use std::net::IpAddr;
use std::path::Path;

use crate::error::Result;
use crate::record::FlowRecord;
use crate::stats::FileStats;

/// Which on-disk format a file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// rflow's native columnar format.
    Native,
    /// nfdump 1.6 (LAYOUT_VERSION_1).
    NfdumpLayout1,
    /// nfdump 1.7 (LAYOUT_VERSION_2).
    NfdumpLayout2,
}

/// Block compression codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Compression {
    /// No compression.
    None,
    /// LZO1X (nfdump).
    Lzo,
    /// bzip2 (nfdump).
    Bzip2,
    /// LZ4 block format.
    #[default]
    Lz4,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// nfdump's name for the codec as printed by `nfdump -v`/`-I`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "not compressed",
            Compression::Lzo => "lzo compressed",
            Compression::Bzip2 => "bz2 compressed",
            Compression::Lz4 => "lz4 compressed",
            Compression::Zstd => "zstd compressed",
        }
    }
}

/// An exporter (router) known to a file, from nfdump's ExporterInfo/Sampler records or the
/// native file's exporter table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExporterInfo {
    /// sysid the flow records refer to.
    pub sysid: u16,
    /// Protocol version the exporter sent (5, 9, 10, ...).
    pub version: u32,
    /// Exporter address.
    pub ip: IpAddr,
    /// Exporter's own id (v9 source id / IPFIX observation domain).
    pub id: u32,
    /// Packet sampling interval (1 = unsampled, 0 = unknown).
    pub sampling_interval: u32,
    /// Packets/flows/sequence failures counted for it, when the file has an ExporterStat.
    pub packets: u64,
    /// Flows received from the exporter.
    pub flows: u64,
    /// Sequence failures.
    pub sequence_failures: u32,
}

/// What a file says about itself (header, appendix/footer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// Format.
    pub kind: FileKind,
    /// Codec of its data blocks.
    pub compression: Compression,
    /// Identifier string (nfcapd `-I`), empty when none.
    pub ident: String,
    /// Totals.
    pub stats: FileStats,
    /// Exporters known to the file.
    pub exporters: Vec<ExporterInfo>,
    /// Creation time in seconds since epoch when the format stores it, else 0.
    pub created: u64,
    /// Number of data blocks.
    pub blocks: u32,
    /// Format version number (nfdump layout or native version).
    pub version: u32,
}

/// Per-block summary a reader may use to skip blocks that cannot match a query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockSummary {
    /// Records in the block.
    pub records: u32,
    /// Minimum first-seen in the block (ms).
    pub min_first_ms: u64,
    /// Maximum first-seen in the block (ms).
    pub max_first_ms: u64,
    /// Maximum last-seen in the block (ms).
    pub max_last_ms: u64,
    /// Bit `p` set when protocol `p` occurs in the block (256 bits).
    pub protocols: [u64; 4],
    /// Whether the block may contain this address (src or dst). `None` when unknown.
    pub addr_bloom: Option<Vec<u64>>,
}

impl BlockSummary {
    /// Whether protocol `p` occurs in the block.
    pub fn has_proto(&self, p: u8) -> bool {
        self.protocols[usize::from(p >> 6)] & (1u64 << (p & 63)) != 0
    }

    /// Whether the block may hold a record with `addr` as source or destination: `false` only
    /// when the block's address Bloom filter rules it out (no filter means "maybe").
    pub fn may_contain_addr(&self, addr: &IpAddr) -> bool {
        self.addr_bloom
            .as_deref()
            .is_none_or(|w| crate::native::bloom::may_contain(w, addr))
    }
}

/// A flow file opened for reading, of any supported kind.
///
/// Implementations are `Send + Sync`: blocks can be read from several threads at once.
pub trait FlowFile: Send + Sync {
    /// Header/footer information.
    fn info(&self) -> &FileInfo;

    /// Number of data blocks that may hold flow records.
    fn block_count(&self) -> usize;

    /// Why the file's statistics record (its counters, ident and time span in [`FileInfo`])
    /// could not be read, e.g. an nfdump file cut before its appendix: those figures are then
    /// missing, although blocks may still be readable. `None` for an intact file.
    fn stats_damage(&self) -> Option<crate::Error> {
        None
    }

    /// Summary of block `i`, if the format keeps one (native files do).
    fn block_summary(&self, _i: usize) -> Option<&BlockSummary> {
        None
    }

    /// Appends the flow records of block `i` to `out`, in file order.
    ///
    /// # Errors
    /// Corrupt or truncated data, naming the offset.
    fn read_block(&self, i: usize, out: &mut Vec<FlowRecord>) -> Result<()>;

    /// Like [`FlowFile::read_block`], but only the fields in `cols` need be decoded: native
    /// files leave every other field at its default, other formats decode everything.
    ///
    /// # Errors
    /// As [`FlowFile::read_block`].
    fn read_block_columns(
        &self,
        i: usize,
        cols: crate::native::ColumnSet,
        out: &mut Vec<FlowRecord>,
    ) -> Result<()> {
        let _ = cols;
        self.read_block(i, out)
    }

    /// Calls `f` with each record of block `i`, in file order, decoding at least the fields in
    /// `cols`. Formats that can decode record by record reuse one record and store nothing;
    /// like [`FlowFile::read_block`], a damaged block delivers no record at all.
    ///
    /// # Errors
    /// As [`FlowFile::read_block`].
    fn for_each_record(
        &self,
        i: usize,
        cols: crate::native::ColumnSet,
        f: &mut dyn FnMut(&FlowRecord),
    ) -> Result<()> {
        let mut v = Vec::new();
        self.read_block_columns(i, cols, &mut v)?;
        v.iter().for_each(f);
        Ok(())
    }
}

/// Opens a flow file, detecting native or nfdump format by its magic.
///
/// # Errors
/// I/O errors, unknown magic, unsupported versions; the message names the file.
pub fn open(path: &Path) -> Result<Box<dyn FlowFile>> {
    crate::detect::open_any(path).map_err(|e| e.in_file(path))
}

/// Reads every record of a file into memory, in order. Convenience for tests and small files.
///
/// # Errors
/// As [`open`] and [`FlowFile::read_block`].
pub fn read_all(path: &Path) -> Result<Vec<FlowRecord>> {
    let f = open(path)?;
    let mut out = Vec::new();
    for i in 0..f.block_count() {
        f.read_block(i, &mut out).map_err(|e| e.in_file(path))?;
    }
    Ok(out)
}
