//! Unit tests that need the crate internals: unknown columns and footer sections are skipped
//! (the forward-compatibility rule), and the block summary matches the records.

use std::net::IpAddr;

use super::block::{self, ExtraColumn};
use super::columns::ColumnSet;
use super::footer::{Footer, trailer};
use super::layout::{HEADER_LEN, header_bytes};
use super::*;
use crate::file::FlowFile;
use crate::record::FlowRecord;

fn rec(i: u64) -> FlowRecord {
    FlowRecord {
        first_ms: 1_000 + i,
        last_ms: 2_000 + i,
        proto: if i.is_multiple_of(2) { 6 } else { 17 },
        src_addr: IpAddr::from([10, 0, 0, i as u8]),
        dst_addr: IpAddr::from([192, 168, 1, 1]),
        in_packets: i,
        ..FlowRecord::default()
    }
}

#[test]
fn unknown_columns_are_skipped() {
    let recs: Vec<FlowRecord> = (0..10).map(rec).collect();
    let mut blk = Vec::new();
    let raw = [0xAAu8; 40];
    block::encode_with_extra(
        &recs,
        &[ExtraColumn {
            id: 4000,
            encoding: 77,
            raw: &raw,
        }],
        &mut blk,
    );
    let mut out = Vec::new();
    block::decode(&blk, 0, 10, ColumnSet::ALL, &mut out).unwrap();
    assert_eq!(out, recs);
}

#[test]
fn unknown_footer_sections_are_skipped() {
    let recs: Vec<FlowRecord> = (0..3).map(rec).collect();
    let mut w = Writer::new(Vec::new(), WriterOptions::default()).unwrap();
    for r in &recs {
        w.write(r).unwrap();
    }
    let (_, bytes) = w.finish_into_inner().unwrap();
    let file = NativeFile::from_bytes(bytes.clone()).unwrap();
    let (foff, _) = footer::locate(&bytes).unwrap();

    // Rebuild the file with a section id 999 inserted after the footer tag.
    let old_footer = &bytes[foff as usize..bytes.len() - layout::TRAILER_LEN];
    let mut new_footer = old_footer[..4].to_vec();
    new_footer.extend_from_slice(&999u16.to_le_bytes());
    new_footer.extend_from_slice(&5u32.to_le_bytes());
    new_footer.extend_from_slice(b"hello");
    new_footer.extend_from_slice(&old_footer[4..]);
    let mut img = bytes[..foff as usize].to_vec();
    img.extend_from_slice(&new_footer);
    img.extend_from_slice(&trailer(foff, &new_footer));
    let again = NativeFile::from_bytes(img).unwrap();
    assert_eq!(again.info(), file.info());
    let mut out = Vec::new();
    again.read_block(0, &mut out).unwrap();
    assert_eq!(out, recs);
}

#[test]
fn summary_describes_the_block() {
    let recs: Vec<FlowRecord> = (0..50).map(rec).collect();
    let mut w = Writer::new(
        Vec::new(),
        WriterOptions {
            block_records: 20,
            ..WriterOptions::default()
        },
    )
    .unwrap();
    for r in &recs {
        w.write(r).unwrap();
    }
    let (_, bytes) = w.finish_into_inner().unwrap();
    let f = NativeFile::from_bytes(bytes).unwrap();
    assert_eq!(f.block_count(), 3);
    let s = f.block_summary(1).unwrap();
    assert_eq!(
        (s.records, s.min_first_ms, s.max_first_ms, s.max_last_ms),
        (20, 1020, 1039, 2039)
    );
    assert!(s.has_proto(6) && s.has_proto(17) && !s.has_proto(1));
    let words = s.addr_bloom.as_deref().unwrap();
    assert!(bloom::may_contain(words, &IpAddr::from([10, 0, 0, 25])));
    assert!(bloom::may_contain(words, &IpAddr::from([192, 168, 1, 1])));
    let absent = (100..200u8)
        .filter(|&i| bloom::may_contain(words, &IpAddr::from([10, 0, 0, i])))
        .count();
    assert!(absent < 10, "{absent} false positives");
    assert_eq!(f.block_summary(2).unwrap().records, 10);
    assert!(f.block_summary(3).is_none());
}

#[test]
fn empty_file_has_no_blocks() {
    let w = Writer::new(Vec::new(), WriterOptions::default().ident("empty")).unwrap();
    let (stats, bytes) = w.finish_into_inner().unwrap();
    assert_eq!(stats, crate::FileStats::default());
    let f = NativeFile::from_bytes(bytes).unwrap();
    assert_eq!((f.block_count(), f.info().ident.as_str()), (0, "empty"));
    // An index that claims a block in an empty body must fail, not read out of bounds.
    let mut foot = Footer::decode(&Footer::default().encode(), HEADER_LEN as u64).unwrap();
    foot.blocks.push(footer::IndexEntry {
        offset: HEADER_LEN as u64,
        len: 20,
        summary: Default::default(),
    });
    let enc = foot.encode();
    let mut img = header_bytes().to_vec();
    img.extend_from_slice(&enc);
    img.extend_from_slice(&trailer(HEADER_LEN as u64, &enc));
    assert!(NativeFile::from_bytes(img).is_err());
}

#[test]
fn block_size_is_clamped_and_bounds_memory() {
    // The reader's worst case for one block is MAX_BLOCK_RECORDS default records.
    let bytes = MAX_BLOCK_RECORDS * std::mem::size_of::<FlowRecord>();
    assert!(bytes <= 48 << 20, "{bytes} bytes for the largest block");
    let opts = WriterOptions {
        block_records: usize::MAX,
        ..WriterOptions::default()
    };
    let mut w = Writer::new(Vec::new(), opts).unwrap();
    for i in 0..(MAX_BLOCK_RECORDS as u64 + 5) {
        w.write(&FlowRecord {
            in_packets: i & 1,
            ..FlowRecord::default()
        })
        .unwrap();
    }
    let (_, bytes) = w.finish_into_inner().unwrap();
    let f = NativeFile::from_bytes(bytes).unwrap();
    assert_eq!(f.block_count(), 2);
    assert_eq!(
        f.block_summary(0).unwrap().records as usize,
        MAX_BLOCK_RECORDS
    );
}

#[test]
fn values_too_wide_for_their_field_are_corrupt() {
    // A second `proto` column (id 14) whose values need 9 bits: a reader must refuse it rather
    // than truncate to a wrong protocol.
    let recs: Vec<FlowRecord> = (0..3).map(rec).collect();
    let mut raw = Vec::new();
    raw.extend_from_slice(&300u64.to_le_bytes());
    raw.push(0);
    let mut blk = Vec::new();
    block::encode_with_extra(
        &recs,
        &[ExtraColumn {
            id: 14,
            encoding: 1,
            raw: &raw,
        }],
        &mut blk,
    );
    let mut out = Vec::new();
    let err = block::decode(&blk, 0, 3, ColumnSet::ALL, &mut out).unwrap_err();
    assert!(err.to_string().contains("proto"), "{err}");
    assert!(out.is_empty());
}

/// A sink that accepts `room` bytes and then fails, like a disk filling up.
struct FillingDisk {
    room: usize,
}

impl std::io::Write for FillingDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.room {
            self.room = 0;
            return Err(std::io::Error::other("no space left on device"));
        }
        self.room -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every record written before and after the first failed block comes back from
/// `recover`, in order, wherever the disk fills up; without `keep_blocks`, or past its
/// limit, nothing does (rather than a partial answer).
#[test]
fn a_failed_writer_recovers_every_record() {
    // Blocks smaller and larger than the chunk the writer stages at a time.
    for block_records in [64, 700] {
        recovers_every_record(block_records);
    }
}

fn recovers_every_record(block_records: usize) {
    let recs: Vec<FlowRecord> = (0..1000).map(rec).collect();
    let opts = WriterOptions {
        block_records,
        ..WriterOptions::default()
    };
    let mut all = Writer::new(Vec::new(), opts.clone()).unwrap();
    recs.iter().for_each(|r| all.write(r).unwrap());
    let total = all.finish_into_inner().unwrap().1.len();
    let mut failures = 0;
    for room in (0..total).step_by((total / 60).max(1)) {
        let disk = FillingDisk {
            room: header_bytes().len() + room,
        };
        let mut w = Writer::new(disk, opts.clone()).unwrap();
        w.keep_blocks(1000);
        let mut written = 0;
        for r in &recs {
            written += 1;
            if w.write(r).is_err() {
                break;
            }
        }
        if written == recs.len() {
            // The rest fitted; the footer would be the first thing not to.
            continue;
        }
        failures += 1;
        assert_eq!(
            w.recover().as_deref(),
            Some(&recs[..written]),
            "room {room}, blocks of {block_records}"
        );
    }
    assert!(failures >= 5, "only {failures} runs filled the disk");
    let mut w = Writer::new(FillingDisk { room: 1 << 20 }, opts.clone()).unwrap();
    w.keep_blocks(100);
    recs.iter().for_each(|r| w.write(r).unwrap());
    assert_eq!(w.recover(), None, "more records than kept");
    let mut w = Writer::new(FillingDisk { room: 1 << 20 }, opts).unwrap();
    recs.iter().for_each(|r| w.write(r).unwrap());
    assert_eq!(w.recover(), None, "nothing kept");
}

/// Records whose integer, address and byte-string columns start to hold values only from
/// their own record index on (each may be past the writer's first staged chunk).
fn late_columns(n: usize, from: [usize; 3]) -> Vec<FlowRecord> {
    (0..n)
        .map(|i| {
            let mut r = rec(i as u64);
            if i >= from[0] {
                r.src_port = (i % 60_000) as u16 + 1;
            }
            if i >= from[1] {
                r.ip_next_hop = IpAddr::from([172, 16, (i >> 8) as u8, i as u8]);
            }
            if i >= from[2] {
                r.username[..4].copy_from_slice(&(i as u32).to_le_bytes());
                r.username[4] = 1;
            }
            r
        })
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]

    /// The writer stages records a chunk at a time; a column first present in a later chunk
    /// starts with defaults. The file reads back exactly, with block summaries of the records
    /// each block holds, and a writer stopped part way through a block hands back every
    /// record given to it, staged or not.
    #[test]
    fn columns_present_from_any_record_read_back(
        n in 1usize..2500,
        block_records in 1usize..3000,
        from in proptest::array::uniform3(0usize..2600),
        group in 1usize..700,
    ) {
        let recs = late_columns(n, from);
        let opts = WriterOptions { block_records, ..WriterOptions::default() };
        let mut w = Writer::new(Vec::new(), opts.clone()).unwrap();
        recs.iter().for_each(|r| w.write(r).unwrap());
        let f = NativeFile::from_bytes(w.finish_into_inner().unwrap().1).unwrap();
        let mut back = Vec::new();
        for b in 0..f.block_count() {
            let mut blk = Vec::new();
            f.read_block(b, &mut blk).unwrap();
            let s = f.block_summary(b).unwrap();
            let first = blk.iter().map(|r| r.first_ms).min().unwrap();
            proptest::prop_assert_eq!((s.records as usize, s.min_first_ms), (blk.len(), first));
            proptest::prop_assert!(blk.iter().all(|r| bloom::may_contain(
                s.addr_bloom.as_deref().unwrap(),
                &r.src_addr
            )));
            back.extend(blk);
        }
        proptest::prop_assert_eq!(&back, &recs);

        let mut w = Writer::new(Vec::new(), opts.clone()).unwrap();
        w.keep_blocks(n);
        recs.iter().for_each(|r| w.write(r).unwrap());
        proptest::prop_assert_eq!(w.recover(), Some(recs.clone()));

        // Records declared with a superset of their columns (here: every column), or
        // appended in groups (as a collector decodes a datagram into the writer), make the
        // same file: declared columns that hold only defaults are left out, and blocks are
        // cut at `block_records` wherever a group ends.
        let file = |how: u8| {
            let mut w = Writer::new(Vec::new(), opts.clone()).unwrap();
            w.set_created(1);
            match how {
                0 => recs.iter().for_each(|r| w.write(r).unwrap()),
                1 => recs.iter().for_each(|r| w.write_in(r, &ColumnSet::ALL).unwrap()),
                _ => {
                    for g in recs.chunks(group) {
                        w.append_with(|buf| {
                            buf.extend_from_slice(g);
                            (how == 2).then_some(ColumnSet::ALL)
                        })
                        .unwrap();
                    }
                }
            }
            w.finish_into_inner().unwrap().1
        };
        let plain = file(0);
        for how in 1..=3 {
            proptest::prop_assert!(file(how) == plain, "way {}", how);
        }
        let mut w = Writer::new(Vec::new(), opts).unwrap();
        w.keep_blocks(n);
        for g in recs.chunks(group) {
            w.append_with(|buf| {
                buf.extend_from_slice(g);
                None
            })
            .unwrap();
        }
        proptest::prop_assert_eq!(w.recover(), Some(recs));
    }
}

proptest::proptest! {
    /// An unfinished file (cut anywhere, as a killed writer leaves it) gives back exactly the
    /// records of the blocks complete before the cut, in order.
    #[test]
    fn salvage_recovers_the_complete_blocks(
        n in 0usize..300,
        block_records in 1usize..40,
        cut_back in 0usize..4000,
    ) {
        let recs: Vec<FlowRecord> = (0..n as u64).map(rec).collect();
        let opts = WriterOptions { block_records, ..WriterOptions::default() };
        let mut w = Writer::new(Vec::new(), opts).unwrap();
        let mut ends = vec![HEADER_LEN];
        for r in &recs {
            w.write(r).unwrap();
        }
        let (_, bytes) = w.finish_into_inner().unwrap();
        let (at, footer) = super::footer::locate(&bytes).unwrap();
        for b in Footer::decode(footer, at).unwrap().blocks {
            proptest::prop_assert_eq!(b.offset as usize, *ends.last().unwrap());
            ends.push(b.offset as usize + b.len as usize);
        }
        let data_end = *ends.last().unwrap();
        let cut = data_end.saturating_sub(cut_back).max(HEADER_LEN);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.rf");
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let (got, stopped) = salvage(&path).unwrap();
        let whole = ends.iter().filter(|&&e| e <= cut).count() - 1;
        let want: Vec<FlowRecord> = recs.iter().take(whole * block_records).cloned().collect();
        proptest::prop_assert_eq!(stopped as usize, ends[whole]);
        proptest::prop_assert_eq!(got, want);
    }
}
