//! rfcapd end to end: the real softflowd exports a synthetic pcap to the real nfcapd, which
//! repeats every datagram (`-R`) to rfcapd, so both collectors see the same bytes; the flows
//! in both files must agree. Signal handling: SIGTERM loses nothing that was received,
//! SIGKILL leaves only readable files. Options: rotation with `-t`/`-S`/`-x`, fixed sources,
//! metrics, usage errors.
//!
//! The differential test skips with a note when nfcapd, nfdump, softflowd or python3 are
//! missing, unless RFLOW_REQUIRE_NFDUMP=1. Every started process is killed by a guard.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rf_format::FlowRecord;

use crate::util::{cmd, have, run, stderr};

/// A child process killed (SIGKILL) and reaped on drop, also when a test fails.
struct Guard {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Guard {
    /// Starts `c` with stderr collected line by line.
    fn start(mut c: Command) -> Guard {
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("cannot start process");
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(err) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(line);
                }
            });
        }
        Guard { child, log }
    }

    /// Waits until a stderr line contains `what`.
    fn wait_for(&self, what: &str) {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if self.log.lock().unwrap().iter().any(|l| l.contains(what)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no '{what}' in log: {:?}", self.log.lock().unwrap());
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {sig} failed");
    }

    /// Sends SIGTERM and waits for the exit (at most 20 s).
    fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        self.signal("-TERM");
        let t = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                // Let the reader thread collect the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return (st, self.log.lock().unwrap().clone());
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "no exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn rfcapd(dir: &Path, port: u16, extra: &[&str]) -> Guard {
    let mut c = cmd("rfcapd");
    c.arg("-w")
        .arg(dir)
        .args(["-p", &port.to_string(), "-b", "127.0.0.1"])
        .args(extra);
    let g = Guard::start(c);
    g.wait_for("Startup rfcapd.");
    g
}

/// Finished flow files below `dir` (hidden temporary files excluded).
fn flow_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if name.starts_with("nfcapd.") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A NetFlow v5 datagram with `n` UDP flows numbered from `first`.
fn v5(seq: u32, first: u32, n: u16) -> Vec<u8> {
    let mut p = vec![0, 5];
    p.extend_from_slice(&n.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x27, 0x10]); // uptime 10 s
    p.extend_from_slice(&1_764_300_000u32.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0]);
    for i in 0..u32::from(n) {
        let id = first + i;
        let mut r = [0u8; 48];
        r[0..4].copy_from_slice(&[10, 0, 0, 1]);
        r[4..8].copy_from_slice(&[10, 0, 0, 2]);
        r[16..20].copy_from_slice(&1u32.to_be_bytes());
        r[20..24].copy_from_slice(&id.to_be_bytes()); // bytes = flow number
        r[24..28].copy_from_slice(&5_000u32.to_be_bytes());
        r[28..32].copy_from_slice(&6_000u32.to_be_bytes());
        r[38] = 17;
        p.extend_from_slice(&r);
    }
    p
}

fn all_records(dir: &Path) -> Vec<FlowRecord> {
    flow_files(dir)
        .iter()
        .flat_map(|f| rf_format::read_all(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect()
}

#[test]
fn sigterm_loses_no_received_flow() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let st = run(cmd("rfexpire").arg("-u").arg(dir.path()).args(["-w", "90"]));
    assert!(st.status.success(), "{}", stderr(&st));
    let g = rfcapd(dir.path(), port, &["-t", "3600"]);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (packets, per) = (300u32, 30u16);
    for i in 0..packets {
        s.send_to(
            &v5(i * u32::from(per), i * u32::from(per), per),
            ("127.0.0.1", port),
        )
        .unwrap();
        // Pace a little so the kernel buffer never overflows on small rmem_max settings.
        if i % 20 == 19 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    // The signal comes right after the last datagram: it is in the socket, not yet decoded.
    let (st, log) = g.terminate();
    assert!(st.success(), "{log:?}");
    let recs = all_records(dir.path());
    assert_eq!(recs.len(), (packets * u32::from(per)) as usize, "{log:?}");
    // The books in .nfstat (created before the start) count the new file at exit.
    let books = std::fs::read_to_string(dir.path().join(".nfstat")).unwrap();
    assert!(books.contains("numfiles=1\n"), "{books}");
    let mut ids: Vec<u64> = recs.iter().map(|r| r.in_bytes).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), recs.len(), "every flow exactly once");
    assert!(log.iter().any(|l| l.contains("Terminating rfcapd.")));
    assert!(
        log.iter().any(|l| l.contains("Sequence Errors: 0")),
        "{log:?}"
    );
}

#[test]
fn sigkill_leaves_only_readable_files() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mut g = rfcapd(dir.path(), port, &["-t", "2", "-y"]);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let t = Instant::now();
    let mut seq = 0;
    while t.elapsed() < Duration::from_millis(4500) {
        s.send_to(&v5(seq, seq, 10), ("127.0.0.1", port)).unwrap();
        seq += 10;
        std::thread::sleep(Duration::from_millis(5));
    }
    g.child.kill().unwrap();
    g.child.wait().unwrap();
    let files = flow_files(dir.path());
    assert!(files.len() >= 2, "rotations every 2 s: {files:?}");
    for f in &files {
        let recs = rf_format::read_all(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // Names with seconds (interval below 60 s), as nfcapd.
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name.len(), "nfcapd.".len() + 14, "{name}");
        assert!(recs.iter().all(|r| r.nfversion == 5));
    }
}

/// The file a collector killed mid-slot leaves unfinished is recovered when it starts again:
/// every complete block (4096 flows each) is in the slot's file, no temporary file remains.
#[test]
fn a_restart_recovers_what_a_killed_collector_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mut g = rfcapd(dir.path(), port, &["-t", "3600"]);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    // 9000 flows: two complete blocks and 808 flows in flight.
    for i in 0..300u32 {
        s.send_to(&v5(i * 30, i, 30), ("127.0.0.1", port)).unwrap();
        std::thread::sleep(Duration::from_micros(500));
    }
    std::thread::sleep(Duration::from_millis(500));
    g.child.kill().unwrap();
    g.child.wait().unwrap();
    let g = rfcapd(dir.path(), port, &["-t", "3600"]);
    let (st, log) = g.terminate();
    assert!(st.success(), "{log:?}");
    assert!(
        log.iter().any(|l| l.starts_with("Recovered 8192 flows")),
        "{log:?}"
    );
    assert_eq!(all_records(dir.path()).len(), 8192);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn rotation_hook_and_subdirectories() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let hook = format!("touch {}/hook.%u.%i", dir.path().display());
    let g = rfcapd(
        dir.path(),
        port,
        &["-t", "2", "-S", "2", "-I", "edge1", "-x", &hook, "-e"],
    );
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&v5(0, 0, 3), ("127.0.0.1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let (st, log) = g.terminate();
    assert!(st.success(), "{log:?}");
    let files = flow_files(dir.path());
    assert!(!files.is_empty());
    for f in &files {
        // -S 2: %Y/%m/%d/%H below the flow directory.
        let rel = f.strip_prefix(dir.path()).unwrap();
        assert_eq!(rel.components().count(), 5, "{}", rel.display());
        let info = rf_format::open(f).unwrap().info().clone();
        assert_eq!(info.ident, "edge1");
    }
    assert_eq!(all_records(dir.path()).len(), 3);
    // The hook ran for each finished file (the last one at exit, like nfcapd).
    std::thread::sleep(Duration::from_millis(300));
    let hooks = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("hook."))
        .count();
    assert_eq!(hooks, files.len(), "{log:?}");
    // -e ran after each rotation; without limits in .nfstat nothing is removed.
    assert!(
        log.iter().any(|l| l.contains("expire completed")),
        "{log:?}"
    );
}

#[test]
fn fixed_source_ignores_other_exporters_and_metrics_count() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mport = free_tcp_port();
    let n = format!("r1,192.0.2.7,{}", dir.path().display());
    let mut c = cmd("rfcapd");
    c.args(["-n", &n, "-p", &port.to_string(), "-b", "127.0.0.1"])
        .args(["--metrics", &format!("127.0.0.1:{mport}")]);
    let g = Guard::start(c);
    g.wait_for("Startup rfcapd.");
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&v5(0, 0, 2), ("127.0.0.1", port)).unwrap();
    s.send_to(&[0, 42, 0, 0], ("127.0.0.1", port)).unwrap();
    g.wait_for("Skip UDP packet");
    let metrics = || {
        let mut conn = TcpStream::connect(("127.0.0.1", mport)).unwrap();
        conn.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
        let mut body = String::new();
        conn.read_to_string(&mut body).unwrap();
        body
    };
    // The two datagrams may be received and decoded a moment apart.
    wait_until("both datagrams counted", || {
        metrics().contains("\nrfcapd_ignored_packets_total 2\n")
    });
    let body = metrics();
    assert!(
        body.contains("\nrfcapd_received_packets_total 2\n"),
        "{body}"
    );
    assert!(
        body.contains("\nrfcapd_ignored_packets_total 2\n"),
        "{body}"
    );
    let (st, _) = g.terminate();
    assert!(st.success());
    assert!(all_records(dir.path()).is_empty());
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for (args, msg) in [
        (vec!["-w", d, "-t", "1"], "time interval <= 2s not allowed"),
        (vec!["-w", d, "-4", "-6"], "Accepts only one protocol"),
        (vec!["-w", d, "-S", "9"], "No such subdir level 9"),
        (vec!["-w", d, "-s", "0"], "Invalid sampling rate"),
        (
            vec!["-w", d, "-n", &format!("a,127.0.0.1,{d}")],
            "Can not mix",
        ),
        (vec!["-w", d, "-x", "run %q"], "Unknown format token"),
        (vec!["-p", "9"], "Missing flow directory"),
        (
            vec!["-w", d, "-J", "239.1.1.1", "-b", "127.0.0.1"],
            "mutually exclusive",
        ),
        (vec!["-w", d, "-J", "10.0.0.1"], "Not a multicast group"),
    ] {
        let out = run(cmd("rfcapd").args(&args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(msg), "{args:?}: {}", stderr(&out));
    }
    let out = run(cmd("rfcapd").args(["-w", "/nonexistent/dir/x"]));
    assert_eq!(out.status.code(), Some(1));
}

/// Kills a detached process by pid on drop (the `-D` daemon is not our child).
struct PidGuard(u32);

impl Drop for PidGuard {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .status();
    }
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn daemon_writes_pid_file_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("rfcapd.pid");
    let port = free_udp_port();
    let out = run(cmd("rfcapd")
        .arg("-w")
        .arg(dir.path())
        .args(["-p", &port.to_string(), "-b", "127.0.0.1", "-D", "-P"])
        .arg(&pidfile));
    assert!(out.status.success(), "{}", stderr(&out));
    wait_until("pid file", || {
        std::fs::read_to_string(&pidfile).is_ok_and(|s| s.trim().parse::<u32>().is_ok())
    });
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _guard = PidGuard(pid);
    // A second collector with the same pid file refuses to start.
    let again = run(cmd("rfcapd")
        .arg("-w")
        .arg(dir.path())
        .args(["-p", &free_udp_port().to_string(), "-b", "127.0.0.1", "-P"])
        .arg(&pidfile));
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains("is running"));
    // The daemon binds after starting; datagrams sent too early would be lost.
    wait_until("socket bound", || {
        UdpSocket::bind(("127.0.0.1", port)).is_err()
    });
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&v5(0, 0, 5), ("127.0.0.1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    wait_until("pid file removal", || !pidfile.exists());
    assert_eq!(all_records(dir.path()).len(), 5);
}

#[test]
fn ipv6_listener_records_ipv6_exporter() {
    if UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("note: skipping IPv6 test, no ::1 on this host");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = UdpSocket::bind("[::1]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = cmd("rfcapd");
    c.arg("-w")
        .arg(dir.path())
        .args(["-6", "-b", "::1", "-p", &port.to_string()]);
    let g = Guard::start(c);
    g.wait_for("Startup rfcapd.");
    let s = UdpSocket::bind("[::1]:0").unwrap();
    s.send_to(&v5(0, 0, 2), ("::1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (st, log) = g.terminate();
    assert!(st.success(), "{log:?}");
    let recs = all_records(dir.path());
    assert_eq!(recs.len(), 2);
    assert_eq!(
        recs[0].received_ip,
        "::1".parse::<std::net::IpAddr>().unwrap()
    );
    assert!(recs[0].ext.has(rf_format::ext_id::IP_RECEIVED_V6));
}

/// Flows that cannot be written by the end are reported and make the exit status 1: here the
/// output directory disappears while the collector runs (root or not, it cannot be written).
#[test]
fn flows_lost_at_exit_fail_the_run() {
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("w");
    std::fs::create_dir(&dir).unwrap();
    let port = free_udp_port();
    let g = rfcapd(&dir, port, &[]);
    std::fs::remove_dir_all(&dir).unwrap();
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&v5(0, 0, 3), ("127.0.0.1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (st, log) = g.terminate();
    assert_eq!(st.code(), Some(1), "{log:?}");
    assert!(
        log.iter()
            .any(|l| l.contains("3 flows could not be written to disk and are lost")),
        "{log:?}"
    );
}

/// One flow directory, one collector: a second one (another process, or a second `-n`
/// source of the same process) is refused instead of replacing the first one's files.
#[test]
fn a_flow_directory_takes_one_collector() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let first = rfcapd(dir.path(), port, &[]);
    let out = run(cmd("rfcapd").arg("-w").arg(dir.path()).args([
        "-b",
        "127.0.0.1",
        "-p",
        &free_udp_port().to_string(),
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another collector is already writing to"),
        "{out:?}"
    );
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&v5(0, 0, 2), ("127.0.0.1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (st, log) = first.terminate();
    assert!(st.success(), "{log:?}");
    assert_eq!(
        all_records(dir.path()).len(),
        2,
        "the first collector kept writing"
    );
    let d = dir.path().display().to_string();
    let out = run(cmd("rfcapd").args([
        "-n",
        &format!("a,127.0.0.1,{d}"),
        "-n",
        &format!("b,127.0.0.2,{d}/."),
    ]));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

/// A file that already has the name of the slot being opened but cannot be read is moved
/// aside (`NAME.damaged`), not overwritten: whatever it holds stays on disk.
#[test]
fn an_unreadable_slot_file_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    // The current hour's slot and the next, in case the hour turns during the test.
    let now = chrono::Utc::now().timestamp() / 3600 * 3600;
    for t in [now, now + 3600] {
        let name = chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("nfcapd.%Y%m%d%H%M")
            .to_string();
        std::fs::write(dir.path().join(name), b"not a flow file").unwrap();
    }
    let port = free_udp_port();
    let g = rfcapd(dir.path(), port, &["-t", "3600"]);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&v5(0, 0, 2), ("127.0.0.1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (st, log) = g.terminate();
    assert!(st.success(), "{log:?}");
    let aside: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".damaged"))
        .collect();
    assert_eq!(aside.len(), 1, "{log:?}");
    assert_eq!(std::fs::read(&aside[0]).unwrap(), b"not a flow file");
    assert!(log.iter().any(|l| l.contains("moved aside to")), "{log:?}");
    let written = aside[0].with_extension("");
    assert_eq!(rf_format::read_all(&written).unwrap().len(), 2);
}

#[test]
fn drops_privileges_after_binding() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("note: skipping -u/-g test, not running as root");
        return;
    }
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let port = free_udp_port();
    let g = rfcapd(dir.path(), port, &["-u", "nobody", "-g", "nogroup"]);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&v5(0, 0, 1), ("127.0.0.1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let (st, log) = g.terminate();
    assert!(st.success(), "{log:?}");
    let files = flow_files(dir.path());
    assert_eq!(files.len(), 1);
    let meta = std::fs::metadata(&files[0]).unwrap();
    assert_ne!(meta.uid(), 0, "file written after dropping to nobody");
    assert_eq!(meta.mode() & 0o777, 0o644);
}

// ------------------------------------------------------------ differential vs nfcapd

fn require_tools() -> bool {
    let missing: Vec<&str> = ["nfcapd", "nfdump", "softflowd", "python3"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("RFLOW_REQUIRE_NFDUMP").is_ok_and(|v| v == "1") {
        panic!("RFLOW_REQUIRE_NFDUMP=1 but missing: {missing:?}");
    }
    eprintln!("note: skipping rfcapd differential test, missing {missing:?}");
    false
}

fn proto_name(p: u8) -> String {
    match p {
        1 => "ICMP".into(),
        6 => "TCP".into(),
        17 => "UDP".into(),
        58 => "ICMP6".into(),
        n => n.to_string(),
    }
}

fn flags(f: u8) -> String {
    "CEUAPRSF"
        .chars()
        .enumerate()
        .map(|(i, c)| if f & (0x80 >> i) != 0 { c } else { '.' })
        .collect()
}

fn time(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The columns compared, in nfdump csv spelling.
const COLS: &[&str] = &[
    "ts", "te", "sa", "da", "sp", "dp", "pr", "flg", "stos", "dtos", "ipkt", "ibyt", "opkt",
    "obyt", "in", "out", "smk", "dmk", "dir", "ra",
];

fn ours(r: &FlowRecord) -> Vec<String> {
    vec![
        time(r.first_ms),
        time(r.last_ms),
        r.src_addr.to_string(),
        r.dst_addr.to_string(),
        r.src_port.to_string(),
        // nfdump csv prints the raw ICMP `type << 8 | code` as the port.
        r.dst_port.to_string(),
        proto_name(r.proto),
        flags(r.tcp_flags),
        r.src_tos.to_string(),
        r.dst_tos.to_string(),
        r.in_packets.to_string(),
        r.in_bytes.to_string(),
        r.out_packets.to_string(),
        r.out_bytes.to_string(),
        r.input.to_string(),
        r.output.to_string(),
        r.src_mask.to_string(),
        r.dst_mask.to_string(),
        r.dir.to_string(),
        r.received_ip.to_string(),
    ]
}

/// nfdump csv rows of `file`, restricted to [`COLS`].
fn nfdump_rows(file: &Path) -> Vec<Vec<String>> {
    let out = Command::new("nfdump")
        .env("TZ", "UTC")
        .args(["-o", "csv", "-r"])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let idx: Vec<usize> = COLS
        .iter()
        .map(|c| header.iter().position(|h| h == c).expect("csv column"))
        .collect();
    lines
        .take_while(|l| !l.is_empty() && !l.starts_with("Summary"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            idx.iter().map(|&i| f[i].trim().to_string()).collect()
        })
        .collect()
}

fn differential(version: &str, extra: &[&str]) {
    if !require_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pcap = tmp.path().join("flows.pcap");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mkpcap.py");
    let st = Command::new("python3")
        .arg(&script)
        .arg(&pcap)
        .args(["--flows", "300", "--seed", "11", "--span", "120"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let (nf_dir, rf_dir) = (tmp.path().join("nf"), tmp.path().join("rf"));
    std::fs::create_dir_all(&nf_dir).unwrap();
    std::fs::create_dir_all(&rf_dir).unwrap();
    let (nf_port, rf_port) = (free_udp_port(), free_udp_port());
    let rf = rfcapd(&rf_dir, rf_port, &[&["-t", "3600"], extra].concat());
    let mut c = Command::new("nfcapd");
    c.arg("-w")
        .arg(&nf_dir)
        .args(["-p", &nf_port.to_string(), "-b", "127.0.0.1", "-t", "3600"])
        .args(["-R", &format!("127.0.0.1/{rf_port}")])
        .args(extra);
    let nf = Guard::start(c);
    nf.wait_for("Startup nfcapd.");
    let sf = Command::new("timeout")
        .args(["60", "softflowd", "-r"])
        .arg(&pcap)
        .args([
            "-n",
            &format!("127.0.0.1:{nf_port}"),
            "-v",
            version,
            "-6",
            "-d",
            "-c",
            "none",
        ])
        .arg("-p")
        .arg(tmp.path().join("sf.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(sf.success());
    std::thread::sleep(Duration::from_millis(500));
    let (st, nf_log) = nf.terminate();
    assert!(st.success(), "{nf_log:?}");
    std::thread::sleep(Duration::from_millis(300));
    let (st, rf_log) = rf.terminate();
    assert!(st.success(), "{rf_log:?}");

    let nf_files = flow_files(&nf_dir);
    assert_eq!(nf_files.len(), 1, "{nf_log:?}");
    let mut want = nfdump_rows(&nf_files[0]);
    let mut have: Vec<Vec<String>> = all_records(&rf_dir).iter().map(ours).collect();
    if version == "10" {
        // nfcapd 1.7.1 swaps IPFIX flowStart/EndSysUpTime; rfcapd does not (docs/rfcapd.md).
        for r in &mut want {
            if r[0] > r[1] {
                r.swap(0, 1);
            }
        }
    }
    want.sort();
    have.sort();
    assert!(
        want.len() > 100,
        "softflowd exported only {} flows",
        want.len()
    );
    assert_eq!(have.len(), want.len(), "flow count");
    for (h, w) in have.iter().zip(&want) {
        assert_eq!(h, w, "columns {COLS:?}");
    }
    // Every field as printed by `-o raw`: rfdump on rfcapd's file, nfdump on nfcapd's. Both
    // files hold the flows in arrival order. Receive times differ; for IPFIX so do first/last
    // (see above).
    let rf_files = flow_files(&rf_dir);
    assert_eq!(rf_files.len(), 1);
    assert_same_raw(&nf_files[0], &rf_files[0], version == "10");
    // Both report the same totals line.
    let totals = |log: &[String]| {
        log.iter()
            .find(|l| l.starts_with("Ident:"))
            .and_then(|l| l.split_once("Flows:").map(|x| x.1.to_string()))
    };
    assert_eq!(totals(&rf_log), totals(&nf_log), "{rf_log:?}\n{nf_log:?}");
}

/// `nfdump -o raw` of nfcapd's file and `rfdump -o raw` of rfcapd's print the same values in
/// the same order (receive times excepted; first/last too when `skip_times`).
fn assert_same_raw(nf_file: &Path, rf_file: &Path, skip_times: bool) {
    // nfdump 1.7.1's raw output prints the source ToS as "dst tos" (its csv shows the stored
    // value, compared in `differential`).
    let keep = |l: &&str| {
        !l.contains("received at")
            && !l.starts_with("  dst tos ")
            && !(skip_times && (l.starts_with("  first ") || l.starts_with("  last ")))
    };
    let nf_raw = Command::new("nfdump")
        .env("TZ", "UTC")
        .args(["-o", "raw", "-q", "-r"])
        .arg(nf_file)
        .output()
        .unwrap();
    let rf_raw = run(cmd("rfdump").args(["-o", "raw", "-q", "-r"]).arg(rf_file));
    assert!(rf_raw.status.success(), "{}", stderr(&rf_raw));
    let (nf_text, rf_text) = (
        String::from_utf8_lossy(&nf_raw.stdout).into_owned(),
        String::from_utf8_lossy(&rf_raw.stdout).into_owned(),
    );
    // Column alignment is rfdump's business (tested there); the values are ours.
    let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    let nf_lines: Vec<String> = nf_text.lines().filter(keep).map(words).collect();
    let rf_lines: Vec<String> = rf_text.lines().filter(keep).map(words).collect();
    assert!(
        nf_lines.len() > 20,
        "{}: too little output",
        nf_file.display()
    );
    assert_eq!(rf_lines.len(), nf_lines.len(), "raw line count");
    for (i, (r, n)) in rf_lines.iter().zip(&nf_lines).enumerate() {
        assert_eq!(r, n, "raw line {i}");
    }
}

/// nfdump sample files replayed with the real nfreplay (v9) into nfcapd, which repeats the
/// datagrams to rfcapd: bidirectional counters, aggregated flow counts, MAC/ether fields and
/// a non-zero v9 source id must land in the same fields.
#[test]
fn nfreplay_samples_same_fields_as_nfcapd() {
    if !require_tools() {
        return;
    }
    for sample in [
        "v171-nfcapd-v9-none.nf",
        "v171-nfcapd-ipfix-bidir-none.nf",
        "v171-nfcapd-ipfix-ether-none.nf",
        "v171-nfcapd-v5-none.nf",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (nf_dir, rf_dir) = (tmp.path().join("nf"), tmp.path().join("rf"));
        std::fs::create_dir_all(&nf_dir).unwrap();
        std::fs::create_dir_all(&rf_dir).unwrap();
        let (nf_port, rf_port) = (free_udp_port(), free_udp_port());
        let rf = rfcapd(&rf_dir, rf_port, &["-t", "3600"]);
        let mut c = Command::new("nfcapd");
        c.arg("-w")
            .arg(&nf_dir)
            .args(["-p", &nf_port.to_string(), "-b", "127.0.0.1", "-t", "3600"])
            .args(["-R", &format!("127.0.0.1/{rf_port}")]);
        let nf = Guard::start(c);
        nf.wait_for("Startup nfcapd.");
        let st = Command::new("nfreplay")
            .arg("-r")
            .arg(crate::util::fixture("nfdump").join(sample))
            .args(["-H", "127.0.0.1", "-p", &nf_port.to_string(), "-v", "9"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "nfreplay {sample}");
        std::thread::sleep(Duration::from_millis(300));
        let (st, nf_log) = nf.terminate();
        assert!(st.success(), "{nf_log:?}");
        std::thread::sleep(Duration::from_millis(200));
        let (st, rf_log) = rf.terminate();
        assert!(st.success(), "{rf_log:?}");
        let (nf_files, rf_files) = (flow_files(&nf_dir), flow_files(&rf_dir));
        assert_eq!((nf_files.len(), rf_files.len()), (1, 1), "{sample}");
        assert_same_raw(&nf_files[0], &rf_files[0], false);
    }
}

#[test]
fn softflowd_v5_same_flows_as_nfcapd() {
    differential("5", &[]);
}

#[test]
fn softflowd_v9_same_flows_as_nfcapd() {
    differential("9", &[]);
}

#[test]
fn softflowd_ipfix_same_flows_as_nfcapd() {
    differential("10", &[]);
}

#[test]
fn default_sampling_as_nfcapd() {
    // softflowd announces sampling interval 1; nfcapd 1.7.1 still applies -s 10.
    differential("9", &["-s", "10"]);
    differential("10", &["-s", "10"]);
    // A negative rate overwrites whatever the exporter says.
    differential("5", &["-s", "-10"]);
}

/// The flow-level fields a replay carries unchanged, as a sortable key per record. Transport
/// fields (received time, exporter address and sysid, engine) legitimately change.
fn carried(r: &FlowRecord) -> String {
    format!(
        "{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
        r.first_ms,
        r.last_ms,
        r.src_addr,
        r.dst_addr,
        r.src_port,
        r.dst_port,
        r.proto,
        r.tcp_flags,
        r.src_tos,
        r.dst_tos,
        r.in_packets,
        r.in_bytes,
        r.out_packets,
        r.out_bytes,
        r.input,
        r.output,
        r.src_mask,
        r.dst_mask,
        r.flow_count()
    )
}

/// rfreplay -> rfcapd loses nothing: every flow of a real nfcapd file arrives with every
/// carried field unchanged, as NetFlow v9 and as IPFIX; v5 delivers every IPv4 flow.
#[test]
fn rfreplay_into_rfcapd_is_lossless() {
    let src = crate::util::fixture("nfdump/gen-query/gen.nf");
    let source = rf_format::read_all(&src).unwrap();
    for version in ["9", "10", "5"] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_udp_port();
        let capd = rfcapd(dir.path(), port, &["-t", "3600"]);
        let out = run(cmd("rfreplay").arg("-r").arg(&src).args([
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-v",
            version,
        ]));
        assert!(
            out.status.success(),
            "rfreplay -v {version}: {}",
            stderr(&out)
        );
        // Let the collector drain its socket, then close the file.
        std::thread::sleep(Duration::from_millis(300));
        let (status, log) = capd.terminate();
        assert!(status.success(), "rfcapd exit: {log:?}");
        let mut want: Vec<String> = source
            .iter()
            .filter(|r| version != "5" || !r.is_ipv6())
            .map(carried)
            .collect();
        let mut got: Vec<String> = all_records(dir.path()).iter().map(carried).collect();
        want.sort();
        got.sort();
        assert_eq!(got.len(), want.len(), "-v {version}: flow count");
        // v5 has 32-bit counters, 16-bit interfaces and no dst ToS or out counters; the
        // sample's values fit and those fields are 0 in it, so v5 must match exactly too.
        assert_eq!(got, want, "-v {version}: carried fields differ");
    }
}

/// A disk that fills up in the middle of a slot (here a file-size limit, which makes writes
/// fail with EFBIG like ENOSPC) loses nothing: the error is logged, the flows stay in memory,
/// and once space is back the slot's file is written again with every flow.
#[test]
fn a_full_disk_mid_slot_loses_nothing_once_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let g = rfcapd(dir.path(), port, &["-t", "3600"]);
    let pid = g.child.id().to_string();
    // Soft limit only, so that it can be lifted again without privileges.
    let limit = |v: &str| {
        let st = Command::new("prlimit")
            .args(["--pid", &pid, &format!("--fsize={v}:unlimited")])
            .status()
            .unwrap();
        assert!(st.success(), "prlimit {v}");
    };
    limit("65536");
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    // About 1.5 MB of file: past the writer's 1 MiB buffer, so the failure comes mid-slot.
    let (packets, per) = (2000u32, 30u16);
    for i in 0..packets {
        let first = i * u32::from(per);
        s.send_to(&v5(i * u32::from(per), first, per), ("127.0.0.1", port))
            .unwrap();
        if i % 20 == 19 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    g.wait_for("write error on");
    limit("unlimited");
    // The collector retries every 5 s.
    std::thread::sleep(Duration::from_secs(7));
    let (st, log) = g.terminate();
    assert!(st.success(), "{log:?}");
    let recs = all_records(dir.path());
    assert_eq!(recs.len(), (packets * u32::from(per)) as usize, "{log:?}");
    let mut ids: Vec<u64> = recs.iter().map(|r| r.in_bytes).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), recs.len(), "every flow exactly once");
}
