//! Damaged nfdump files: truncated and bit-flipped copies of every nfdump fixture must give
//! an error naming an offset, or valid records, never a panic, a hang or a huge allocation;
//! and the good blocks before the damage must still read.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rf_format::Error;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/nfdump");
    let mut v: Vec<PathBuf> = ["", "gen"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "nf"))
        .collect();
    v.sort();
    assert!(v.len() >= 20, "nfdump fixtures missing");
    v
}

/// Errors about content must carry an offset inside the file.
fn check_error(e: &Error, len: u64, what: &str) {
    let inner = match e {
        Error::InFile { error, .. } => error.as_ref(),
        other => other,
    };
    match inner {
        Error::Truncated { offset, .. } | Error::Corrupt { offset, .. } => {
            assert!(
                *offset <= len,
                "{what}: offset {offset} beyond file size {len}: {e}"
            );
        }
        Error::NotAFlowFile | Error::UnsupportedVersion(_) | Error::Unsupported(_) => {}
        other => panic!("{what}: unexpected error kind: {other}"),
    }
}

/// Reads everything from `bytes` written to `path`; returns the number of records read.
fn read_damaged(path: &Path, bytes: &[u8], what: &str) -> usize {
    std::fs::write(path, bytes).unwrap();
    let len = bytes.len() as u64;
    let f = match rf_format::open(path) {
        Ok(f) => f,
        Err(e) => {
            check_error(&e, len, what);
            return 0;
        }
    };
    let mut n = 0;
    for i in 0..f.block_count() {
        let mut out = Vec::new();
        match f.read_block(i, &mut out) {
            Ok(()) => n += out.len(),
            Err(e) => {
                check_error(&e, len, what);
                assert!(out.is_empty(), "{what}: records kept from a failing block");
            }
        }
    }
    n
}

/// A small deterministic generator (xorshift) so failures are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn truncated_copies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.nf");
    let start = Instant::now();
    for src in fixtures() {
        let data = std::fs::read(&src).unwrap();
        let whole = rf_format::read_all(&src).unwrap().len();
        // Every length for small files; a spread of lengths (and the edges) for large ones.
        let step = (data.len() / 120).max(1);
        let mut cuts: Vec<usize> = (0..data.len()).step_by(step).collect();
        cuts.extend([data.len().saturating_sub(1), 40, 52, 276, 288]);
        for cut in cuts.into_iter().filter(|&c| c < data.len()) {
            let what = format!("{} cut at {cut}", src.display());
            let n = read_damaged(&path, &data[..cut], &what);
            assert!(
                n <= whole,
                "{what}: {n} records from a part of a {whole}-record file"
            );
        }
    }
    assert!(
        start.elapsed() < Duration::from_secs(120),
        "damage reading too slow"
    );
}

#[test]
fn bit_flipped_copies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flip.nf");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for src in fixtures() {
        let data = std::fs::read(&src).unwrap();
        // Fewer rounds for the generated files: each round decompresses them twice.
        let rounds = if data.len() > 4096 { 15 } else { 100 };
        for round in 0..rounds {
            let mut d = data.clone();
            // One to four flipped bits, biased towards headers where lengths live.
            for _ in 0..=rng.below(4) {
                let limit = if rng.below(2) == 0 { 400 } else { d.len() };
                let i = rng.below(limit.min(d.len()));
                d[i] ^= 1 << rng.below(8);
            }
            let what = format!("{} flip round {round}", src.display());
            read_damaged(&path, &d, &what);
        }
    }
}

#[test]
fn good_blocks_survive_damage_in_a_later_block() {
    // Two copies of a data block: damaging the second leaves the first readable.
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/nfdump/v171-nfcapd-ipfix-none.nf");
    let data = std::fs::read(&src).unwrap();
    let off_appendix = u64::from_le_bytes(data[24..32].try_into().unwrap()) as usize;
    let block = &data[40..off_appendix];
    let mut two = data[..40].to_vec();
    two.extend_from_slice(block);
    two.extend_from_slice(block);
    let new_appendix = two.len() as u64;
    two.extend_from_slice(&data[off_appendix..]);
    two[24..32].copy_from_slice(&new_appendix.to_le_bytes());
    two[36..40].copy_from_slice(&2u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.nf");
    std::fs::write(&path, &two).unwrap();
    assert_eq!(rf_format::read_all(&path).unwrap().len(), 20);

    // Break the size of a record inside the second block (its first record, ExporterInfo).
    let second = 40 + block.len();
    two[second + 12 + 2..second + 12 + 4].copy_from_slice(&[0xff, 0xff]);
    std::fs::write(&path, &two).unwrap();
    let f = rf_format::open(&path).unwrap();
    let mut out = Vec::new();
    f.read_block(0, &mut out).unwrap();
    assert_eq!(out.len(), 10);
    let e = f.read_block(1, &mut out).unwrap_err();
    assert!(
        matches!(e, Error::Corrupt { offset, .. } if offset == (second + 12) as u64),
        "{e}"
    );
    assert_eq!(out.len(), 10, "no records from the damaged block");

    // Cut inside the second block: the first still reads, the second is truncated.
    std::fs::write(&path, &two[..second + 100]).unwrap();
    let f = rf_format::open(&path).unwrap();
    let mut out = Vec::new();
    f.read_block(0, &mut out).unwrap();
    assert_eq!(out.len(), 10);
    let e = f.read_block(1, &mut out).unwrap_err();
    assert!(
        matches!(e, Error::Truncated { offset, .. } if offset == second as u64),
        "{e}"
    );
}
