//! Damaged and foreign input: truncation at every offset, every single-bit flip, random
//! garbage, crafted lengths with valid checksums, and nfdump files offered to the native
//! reader. None may panic, hang or allocate without bound; all must end in an error.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use rf_format::native::{NativeFile, Writer, WriterOptions};
use rf_format::{Error, FlowFile, FlowRecord};

/// A small file: three LZ4 blocks of mixed IPv4/IPv6 records with a few sparse fields.
fn small_file() -> (Vec<FlowRecord>, Vec<u8>) {
    let recs: Vec<FlowRecord> = (0..20u32)
        .map(|i| FlowRecord {
            first_ms: 1_700_000_000_000 + u64::from(i) * 1000,
            last_ms: 1_700_000_001_000 + u64::from(i) * 1500,
            src_addr: if i % 3 == 0 {
                IpAddr::V6(Ipv6Addr::from_bits(0x2001_0db8 << 96 | u128::from(i)))
            } else {
                IpAddr::V4(Ipv4Addr::from_bits(0x0a00_0000 | i))
            },
            dst_addr: if i % 3 == 0 {
                IpAddr::V6(Ipv6Addr::LOCALHOST)
            } else {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            },
            proto: 6,
            in_packets: u64::from(i) * 3,
            in_bytes: u64::from(i) * 1500,
            mpls: [(i % 2) << 4; 10],
            ..FlowRecord::default()
        })
        .collect();
    let opts = WriterOptions {
        block_records: 7,
        ident: "corrupt-test".into(),
        ..Default::default()
    };
    let mut w = Writer::new(Vec::new(), opts).unwrap();
    for r in &recs {
        w.write(r).unwrap();
    }
    (recs, w.finish_into_inner().unwrap().1)
}

/// Opens an image and reads every block; the first error, if any.
fn read_image(img: Vec<u8>) -> Result<Vec<FlowRecord>, Error> {
    let f = NativeFile::from_bytes(img)?;
    let mut out = Vec::new();
    for i in 0..f.block_count() {
        f.read_block(i, &mut out)?;
    }
    Ok(out)
}

#[test]
fn intact_file_reads_back() {
    let (recs, img) = small_file();
    assert_eq!(read_image(img).unwrap(), recs);
}

#[test]
fn every_truncation_is_an_error() {
    let (_, img) = small_file();
    for len in 0..img.len() {
        let err = read_image(img[..len].to_vec()).expect_err("truncated file accepted");
        assert!(
            matches!(err, Error::Truncated { .. } | Error::NotAFlowFile),
            "at {len}: {err}"
        );
    }
}

#[test]
fn every_single_bit_flip_is_detected() {
    let (_, img) = small_file();
    for pos in 0..img.len() {
        for bit in 0..8 {
            let mut bad = img.clone();
            bad[pos] ^= 1 << bit;
            assert!(
                read_image(bad).is_err(),
                "flip of bit {bit} at offset {pos} not detected"
            );
        }
    }
}

#[test]
fn block_errors_name_the_block_offset() {
    let (_, img) = small_file();
    let f = NativeFile::from_bytes(img.clone()).unwrap();
    // Flip a byte in the payload of the second block: the CRC names that block's offset.
    let mut bad = img.clone();
    let second = 16 + block_len(&img, 16);
    bad[second + 40] ^= 0x55;
    let g = NativeFile::from_bytes(bad).unwrap();
    let mut out = Vec::new();
    g.read_block(0, &mut out).unwrap();
    let before = out.len();
    match g.read_block(1, &mut out) {
        Err(Error::Corrupt { offset, what }) => {
            assert_eq!(offset, second as u64);
            assert!(what.contains("checksum"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.len(), before, "a failed block appends nothing");
    assert_eq!(f.block_count(), g.block_count());
}

/// Length of the block at `off` from its header (docs/format.md §3: body length at +12).
fn block_len(img: &[u8], off: usize) -> usize {
    20 + u32::from_le_bytes(img[off + 12..off + 16].try_into().unwrap()) as usize
}

/// Recomputes the CRC of the block at `off` after a deliberate edit.
fn reseal_block(img: &mut [u8], off: usize) {
    let len = block_len(img, off);
    let mut h = crc32fast::Hasher::new();
    h.update(&img[off..off + 16]);
    h.update(&img[off + 20..off + len]);
    img[off + 16..off + 20].copy_from_slice(&h.finalize().to_le_bytes());
}

#[test]
fn crafted_lengths_with_valid_checksums_are_rejected() {
    let (_, img) = small_file();
    // Column directory starts at block offset 20; entry: id u16, encoding u8, codec u8,
    // stored length u32, raw length u32. A huge raw length must not be allocated.
    let mut bad = img.clone();
    bad[16 + 20 + 8..16 + 20 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    reseal_block(&mut bad, 16);
    assert!(matches!(read_image(bad), Err(Error::Corrupt { .. })));

    // A stored length reaching past the block.
    let mut bad = img.clone();
    bad[16 + 20 + 4..16 + 20 + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    reseal_block(&mut bad, 16);
    assert!(matches!(read_image(bad), Err(Error::Corrupt { .. })));

    // A column count larger than the block can hold.
    let mut bad = img.clone();
    bad[16 + 8..16 + 10].copy_from_slice(&u16::MAX.to_le_bytes());
    reseal_block(&mut bad, 16);
    assert!(matches!(read_image(bad), Err(Error::Corrupt { .. })));

    // A known column with the wrong encoding.
    let mut bad = img;
    bad[16 + 20 + 2] = 3;
    reseal_block(&mut bad, 16);
    assert!(matches!(read_image(bad), Err(Error::Corrupt { .. })));
}

#[test]
fn nfdump_files_are_not_native() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/nfdump");
    let mut seen = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "nf") {
            let bytes = std::fs::read(&p).unwrap();
            assert!(!rf_format::native::sniff(&bytes));
            assert!(matches!(
                NativeFile::from_bytes(bytes),
                Err(Error::NotAFlowFile)
            ));
            seen += 1;
        }
    }
    assert!(seen > 0, "no nfdump fixtures in {dir}");
}

#[test]
fn open_reports_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.rf");
    let (_, img) = small_file();
    std::fs::write(&path, &img[..img.len() - 3]).unwrap();
    let err = rf_format::open(&path).err().expect("truncated file opened");
    let msg = err.to_string();
    assert!(msg.contains("cut.rf") && msg.contains("truncated"), "{msg}");
    std::fs::write(&path, b"").unwrap();
    assert!(rf_format::open(&path).is_err());

    // Damage inside a block surfaces on read, still naming the file and the offset.
    let mut bad = img.clone();
    bad[16 + 30] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let f = NativeFile::open(&path).unwrap();
    let msg = f.read_block(0, &mut Vec::new()).unwrap_err().to_string();
    assert!(msg.contains("cut.rf") && msg.contains("offset 16"), "{msg}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_damage_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (recs, mut img) = small_file();
        for (i, b) in &edits {
            let at = i.index(img.len());
            img[at] = *b;
        }
        if truncate {
            img.truncate(cut.index(img.len()));
        }
        // Either an error or, if every edit happened to write the byte already there, the
        // original records: never different flows.
        if let Ok(out) = read_image(img) {
            prop_assert_eq!(out, recs);
        }
    }

    #[test]
    fn garbage_after_magic_never_panics(body in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut img = b"RFLOWNAT".to_vec();
        img.extend_from_slice(&body);
        prop_assert!(read_image(img).is_err());
    }
}
