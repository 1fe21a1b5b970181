//! Test support for the encoder tests: a real nfcapd on a free loopback port as the receiver,
//! stopped by a Drop guard so no collector outlives a test, `nfdump -o csv` of what it wrote,
//! and sample records that fill every field the encoders carry. The root integration tests of
//! rfreplay include this file too.

#![allow(dead_code)]

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rf_format::{FlowRecord, ext_id};

/// Whether the nfdump tools are installed. When they are not, tests print a note and pass,
/// unless RFLOW_REQUIRE_NFDUMP=1 (CI), where a missing tool is a failure.
pub fn have_nfdump(test: &str) -> bool {
    let ok = ["nfcapd", "nfdump"].iter().all(|p| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {p}"))
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !ok {
        assert!(
            std::env::var("RFLOW_REQUIRE_NFDUMP").as_deref() != Ok("1"),
            "{test}: nfcapd/nfdump not installed but RFLOW_REQUIRE_NFDUMP=1"
        );
        eprintln!("note: {test} skipped: nfcapd/nfdump not installed");
    }
    ok
}

/// A free UDP port on 127.0.0.1 (bound then released; the collector binds it right after).
pub fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind a free port");
    s.local_addr().expect("local addr").port()
}

/// Whether something listens on UDP 127.0.0.1:`port` (from /proc/net/udp).
fn udp_bound(port: u16) -> bool {
    let want = format!("0100007F:{port:04X}");
    std::fs::read_to_string("/proc/net/udp").is_ok_and(|t| {
        t.lines()
            .any(|l| l.split_whitespace().nth(1) == Some(want.as_str()))
    })
}

/// A running nfcapd writing into a private directory. Dropping it kills the process.
pub struct Collector {
    child: Option<Child>,
    /// UDP port it listens on.
    pub port: u16,
    dir: Option<tempfile::TempDir>,
}

impl Collector {
    /// Starts nfcapd on a free port and waits until it is bound.
    pub fn start() -> Collector {
        let dir = tempfile::tempdir().expect("tempdir");
        for _ in 0..5 {
            let port = free_udp_port();
            let mut child = Command::new("nfcapd")
                .arg("-w")
                .arg(dir.path())
                .args(["-p", &port.to_string(), "-b", "127.0.0.1", "-t", "3600"])
                .args(["-B", "4000000"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start nfcapd");
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(5) {
                if child.try_wait().ok().flatten().is_some() {
                    break; // the port was taken in between: retry with another
                }
                if udp_bound(port) {
                    // Bound by nfcapd, not by someone who took the port first: a collector
                    // that failed to bind exits at once.
                    std::thread::sleep(Duration::from_millis(50));
                    if child.try_wait().ok().flatten().is_some() {
                        break;
                    }
                    return Collector {
                        child: Some(child),
                        port,
                        dir: Some(dir),
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("nfcapd did not start");
    }

    /// Stops the collector with SIGTERM (it then closes and renames its file) and returns the
    /// path of the file it wrote.
    pub fn finish(mut self) -> (PathBuf, tempfile::TempDir) {
        // Give the collector a moment to drain its socket before it is told to stop.
        std::thread::sleep(Duration::from_millis(300));
        if let Some(mut ch) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &ch.id().to_string()])
                .status();
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(10) {
                if ch.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = ch.kill();
            let _ = ch.wait();
        }
        let dir = self.dir.take().expect("collector dir");
        let file = std::fs::read_dir(dir.path())
            .expect("read collector dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("nfcapd.") && !n.contains("current"))
            })
            .expect("nfcapd wrote no file");
        (file, dir)
    }

    fn kill(&mut self) {
        if let Some(mut ch) = self.child.take() {
            let _ = ch.kill();
            let _ = ch.wait();
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Output of `nfdump -r file -o <format> [extra...]` in UTC.
pub fn nfdump_with(file: &Path, format: &str, extra: &[&str]) -> String {
    let out = Command::new("nfdump")
        .env("TZ", "UTC")
        .arg("-r")
        .arg(file)
        .args(["-o", format])
        .args(extra)
        .output()
        .expect("run nfdump");
    assert!(out.status.success(), "nfdump failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `nfdump -r file -o csv` (UTC), as rows of fields; the header row first, the summary that
/// follows the flows left out.
pub fn nfdump_csv(file: &Path) -> Vec<Vec<String>> {
    csv_rows(&nfdump_with(file, "csv", &[]))
}

/// Rows of nfdump csv output: the header row first, the summary that follows the flows left
/// out.
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .take_while(|l| *l != "Summary")
        .map(|l| l.split(',').map(|f| f.trim().to_string()).collect())
        .collect()
}

/// `nfdump -r file -o raw` (UTC) as text.
pub fn nfdump_raw(file: &Path) -> String {
    nfdump_with(file, "raw", &[])
}

/// Records covering both families, ICMP and every optional group.
pub fn sample_records() -> Vec<FlowRecord> {
    let mut full = FlowRecord {
        nfversion: 9,
        engine_type: 1,
        engine_id: 2,
        first_ms: 1_700_000_000_123,
        last_ms: 1_700_000_004_567,
        in_packets: 12,
        in_bytes: 3456,
        src_port: 40000,
        dst_port: 443,
        proto: 6,
        tcp_flags: 0x1b,
        fwd_status: 64,
        src_tos: 0x20,
        src_addr: "10.1.2.3".parse().unwrap(),
        dst_addr: "192.0.2.77".parse().unwrap(),
        input: 7,
        output: 70_000,
        src_mask: 24,
        dst_mask: 16,
        dir: 1,
        dst_tos: 0x28,
        biflow_dir: 0,
        end_reason: 2,
        flows: 1,
        out_packets: 9,
        out_bytes: 8765,
        src_vlan: 100,
        dst_vlan: 200,
        src_as: 64512,
        dst_as: 4_200_000_000,
        next_as: 65001,
        prev_as: 65002,
        ip_next_hop: "10.9.9.9".parse().unwrap(),
        bgp_next_hop: "10.8.8.8".parse().unwrap(),
        mpls: [
            (100 << 4) | (1 << 1),
            (200 << 4) | (2 << 1),
            (300 << 4) | 1,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ],
        in_src_mac: 0x0011_2233_4455,
        out_dst_mac: 0x6677_8899_aabb,
        in_dst_mac: 0x0a0b_0c0d_0e0f,
        out_src_mac: 0x1a1b_1c1d_1e1f,
        ..FlowRecord::default()
    };
    for id in [
        ext_id::GENERIC,
        ext_id::IPV4,
        ext_id::FLOW_MISC,
        ext_id::CNT_FLOW,
        ext_id::VLAN,
        ext_id::AS_ROUTING,
        ext_id::AS_ADJACENT,
        ext_id::IP_NEXT_HOP_V4,
        ext_id::BGP_NEXT_HOP_V4,
        ext_id::MPLS,
        ext_id::MAC,
        ext_id::OBSERVATION,
        ext_id::VRF,
    ] {
        full.ext.set(id);
    }
    full.obs_domain_id = 88;
    full.obs_point_id = 77;
    full.ingress_vrf = 5;
    full.egress_vrf = 6;
    let mut v6 = full.clone();
    v6.ext.clear(ext_id::IPV4);
    v6.ext.set(ext_id::IPV6);
    v6.src_addr = "2001:db8::1".parse().unwrap();
    v6.dst_addr = "2001:db8:ffff::2".parse().unwrap();
    v6.ip_next_hop = "2001:db8::9".parse().unwrap();
    v6.bgp_next_hop = "2001:db8::8".parse().unwrap();
    v6.src_mask = 64;
    v6.dst_mask = 48;
    v6.proto = 17;
    v6.tcp_flags = 0;
    let mut icmp = FlowRecord {
        first_ms: 1_700_000_010_000,
        last_ms: 1_700_000_010_000,
        in_packets: 1,
        in_bytes: 84,
        proto: 1,
        dst_port: (3 << 8) | 1,
        src_addr: "10.0.0.1".parse().unwrap(),
        dst_addr: "10.0.0.2".parse().unwrap(),
        ..FlowRecord::default()
    };
    icmp.ext.set(ext_id::GENERIC);
    icmp.ext.set(ext_id::IPV4);
    let mut icmp6 = icmp.clone();
    icmp6.proto = 58;
    icmp6.dst_port = 128 << 8;
    icmp6.src_addr = "fe80::1".parse().unwrap();
    icmp6.dst_addr = "ff02::1".parse().unwrap();
    vec![full, v6, icmp, icmp6]
}
