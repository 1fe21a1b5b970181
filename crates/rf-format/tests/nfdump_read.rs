//! The nfdump reader on real files: every fixture's records add up to the stat record the
//! writer (nfcapd or nfdump) stored, exporters are joined, blocks decode independently, and
//! the header/appendix agree with `nfdump -I` (live, when nfdump is installed).
//! Field-by-field agreement with nfdump is checked through `-o csv` in rf-query's
//! `csv_golden` test.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use rf_format::{Compression, FileKind, FileStats, FlowFile, FlowRecord};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/nfdump")
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = ["", "gen"]
        .iter()
        .flat_map(|d| std::fs::read_dir(fixture_dir().join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "nf"))
        .collect();
    v.sort();
    assert!(v.len() >= 20, "nfdump fixtures missing");
    v
}

fn read(path: &Path) -> (Box<dyn FlowFile>, Vec<FlowRecord>) {
    let f = rf_format::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut recs = Vec::new();
    for i in 0..f.block_count() {
        f.read_block(i, &mut recs)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    (f, recs)
}

#[test]
fn records_add_up_to_the_stored_stat_record() {
    // The synthetic file's stat record is hand-made, not a writer's: not a reference.
    for p in fixtures()
        .into_iter()
        .filter(|p| !p.ends_with("synthetic-all-elements.nf"))
    {
        let (f, recs) = read(&p);
        let mut s = FileStats::default();
        for r in &recs {
            s.add(r);
        }
        let st = &f.info().stats;
        let name = p.display();
        // nfcapd counts one flow per record; in+out counters go to the totals.
        assert_eq!(
            (s.flows, s.packets, s.bytes),
            (st.flows, st.packets, st.bytes),
            "{name}"
        );
        if st.flows > 0 {
            assert_eq!(
                (s.first_seen_ms, s.last_seen_ms),
                (st.first_seen_ms, st.last_seen_ms),
                "{name}"
            );
        } else {
            assert!(recs.is_empty(), "{name}");
        }
    }
}

#[test]
fn kinds_and_codecs_are_detected() {
    let info = |n: &str| {
        rf_format::open(&fixture_dir().join(n))
            .unwrap()
            .info()
            .clone()
    };
    let i = info("v16-nfcapd-v9-lz4-layout1.nf");
    assert_eq!(
        (i.kind, i.compression, i.version),
        (FileKind::NfdumpLayout1, Compression::Lz4, 1)
    );
    assert_eq!(i.ident, "n16v9lz4");
    let i = info("v171-nfcapd-v9-lzo.nf");
    assert_eq!(
        (i.kind, i.compression),
        (FileKind::NfdumpLayout2, Compression::Lzo)
    );
    assert_eq!(
        info("v171-nfcapd-v9-bz2.nf").compression,
        Compression::Bzip2
    );
    assert_eq!(
        info("v178-nfcapd-ipfix-zstd.nf").compression,
        Compression::Zstd
    );
    let i = info("v171-nfcapd-ipfix-none.nf");
    assert_eq!((i.ident.as_str(), i.created), ("ipfixnone", 1_795_836_829));
}

#[test]
fn exporters_are_listed_and_joined() {
    let lo: IpAddr = "127.0.0.1".parse().unwrap();
    for p in fixtures() {
        let (f, recs) = read(&p);
        if p.to_string_lossy().contains("synthetic") {
            continue;
        }
        // Every nfcapd fixture was collected from softflowd on loopback (old and 1.7.8
        // address encodings both decode to 127.0.0.1).
        if !recs.is_empty() {
            assert_eq!(f.info().exporters.len(), 1, "{}", p.display());
            assert_eq!(f.info().exporters[0].ip, lo, "{}", p.display());
        }
        for r in &recs {
            assert_eq!(
                (r.exporter_ip, r.sampling_interval),
                (lo, 1),
                "{}",
                p.display()
            );
        }
    }
    // The synthetic file: an old-encoding IPv4 exporter, a 1.7.8-encoding IPv6 exporter with
    // a 1:100 sampler, and a record whose sysid has no exporter record.
    let (f, recs) = read(&fixture_dir().join("gen/synthetic-all-elements.nf"));
    let ex = &f.info().exporters;
    assert_eq!(ex.len(), 2);
    assert_eq!((ex[0].sysid, ex[0].id, ex[0].version), (1, 42, 10));
    assert_eq!(ex[0].ip, "10.9.8.7".parse::<IpAddr>().unwrap());
    assert_eq!((ex[1].sysid, ex[1].sampling_interval), (2, 100));
    assert_eq!(ex[1].ip, "2001:db8::99".parse::<IpAddr>().unwrap());
    let by_sysid = |s: u16| recs.iter().find(|r| r.exporter_sysid == s).unwrap();
    assert_eq!(by_sysid(1).exporter_id, 42);
    assert_eq!(by_sysid(2).sampling_interval, 100);
    assert!(by_sysid(3).exporter_ip.is_unspecified());
}

#[test]
fn blocks_read_in_parallel_match_file_order() {
    // Split the IPFIX sample's block in two, with the exporter record moved into the second
    // block: the first block's flows must still get their exporter.
    let src = std::fs::read(fixture_dir().join("v171-nfcapd-ipfix-none.nf")).unwrap();
    let off_app = u64::from_le_bytes(src[24..32].try_into().unwrap()) as usize;
    let mut recs = Vec::new();
    let mut o = 52;
    while o < off_app {
        let size = usize::from(u16::from_le_bytes([src[o + 2], src[o + 3]]));
        recs.push(&src[o..o + size]);
        o += size;
    }
    assert_eq!(recs.len(), 12);
    let block = |rs: &[&[u8]]| {
        let payload: Vec<u8> = rs.concat();
        let mut b = Vec::new();
        b.extend_from_slice(&(rs.len() as u32).to_le_bytes());
        b.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        b.extend_from_slice(&[3, 0, 0, 0]);
        b.extend_from_slice(&payload);
        b
    };
    let mut file = src[..40].to_vec();
    file.extend(block(&recs[1..6]));
    file.extend(block(&[recs[0], recs[6], recs[7]]));
    file.extend(block(&recs[8..]));
    let app = file.len() as u64;
    file.extend_from_slice(&src[off_app..]);
    file[24..32].copy_from_slice(&app.to_le_bytes());
    file[36..40].copy_from_slice(&3u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("split.nf");
    std::fs::write(&path, &file).unwrap();

    let whole = rf_format::read_all(&fixture_dir().join("v171-nfcapd-ipfix-none.nf")).unwrap();
    let f = rf_format::open(&path).unwrap();
    assert_eq!(f.block_count(), 3);
    let parts: Vec<Vec<FlowRecord>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..3)
            .rev()
            .map(|i| {
                let f = &f;
                s.spawn(move || {
                    let mut v = Vec::new();
                    f.read_block(i, &mut v).unwrap();
                    v
                })
            })
            .collect();
        let mut parts: Vec<_> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        parts.reverse();
        parts
    });
    assert_eq!(
        parts.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![5, 2, 3]
    );
    assert_eq!(parts.concat(), whole);
}

fn nfdump_required() -> bool {
    std::env::var("RFLOW_REQUIRE_NFDUMP").as_deref() == Ok("1")
}

#[test]
fn ident_and_stats_match_nfdump_info() {
    if Command::new("nfdump").arg("-V").output().is_err() {
        assert!(
            !nfdump_required(),
            "nfdump not found and RFLOW_REQUIRE_NFDUMP=1"
        );
        println!("note: nfdump not installed, skipping the nfdump -I comparison");
        return;
    }
    for p in fixtures() {
        // nfdump 1.7.1 cannot read zstd appendices.
        if p.to_string_lossy().contains("zstd") {
            continue;
        }
        let out = Command::new("nfdump")
            .arg("-I")
            .arg("-r")
            .arg(&p)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix(": "))
                .unwrap_or_else(|| panic!("{}: no {k} in nfdump -I", p.display()))
                .to_string()
        };
        let info = rf_format::open(&p).unwrap().info().clone();
        let s = &info.stats;
        let name = p.display();
        assert_eq!(field("Ident"), info.ident, "{name}");
        let ours = [
            ("Flows", s.flows),
            ("Flows_tcp", s.flows_tcp),
            ("Flows_udp", s.flows_udp),
            ("Flows_icmp", s.flows_icmp),
            ("Flows_other", s.flows_other),
            ("Packets", s.packets),
            ("Packets_tcp", s.packets_tcp),
            ("Bytes", s.bytes),
            ("Bytes_other", s.bytes_other),
            ("First", s.first_seen_ms / 1000),
            ("Last", s.last_seen_ms / 1000),
            ("msec_first", s.first_seen_ms % 1000),
            ("msec_last", s.last_seen_ms % 1000),
            ("Sequence failures", s.sequence_failures),
        ];
        for (k, v) in ours {
            assert_eq!(field(k), v.to_string(), "{name}: {k}");
        }
    }
}
