//! Counters of the collector and the `--metrics` endpoint serving them in the Prometheus text
//! format over plain HTTP (one small thread, one response per connection).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// All counters. Relaxed atomics: each is independent and only ever read for reporting.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Datagrams received from the socket.
    pub packets: AtomicU64,
    /// Bytes of those datagrams.
    pub bytes: AtomicU64,
    /// Datagrams that found the decode queue full (they waited, none is dropped by rfcapd).
    pub queue_full: AtomicU64,
    /// Datagrams from addresses no source accepts.
    pub ignored_packets: AtomicU64,
    /// Datagrams that failed to decode.
    pub bad_packets: AtomicU64,
    /// Flow records decoded.
    pub flows: AtomicU64,
    /// Sequence failures counted by all exporters (gauge of a running total).
    pub sequence_failures: AtomicU64,
    /// Data sets dropped while waiting for a template.
    pub held_dropped: AtomicU64,
    /// Flow files written.
    pub files_written: AtomicU64,
    /// Failed file creations or writes.
    pub write_errors: AtomicU64,
    /// Flows dropped because memory bounds were reached while files could not be written.
    pub dropped_flows: AtomicU64,
}

impl Metrics {
    /// Adds `n` to a counter.
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    /// Sets a gauge.
    pub fn set(c: &AtomicU64, n: u64) {
        c.store(n, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of all counters.
    pub fn render(&self) -> String {
        let rows: [(&str, &str, &AtomicU64); 11] = [
            (
                "rfcapd_received_packets_total",
                "Datagrams received.",
                &self.packets,
            ),
            (
                "rfcapd_received_bytes_total",
                "Bytes of datagrams received.",
                &self.bytes,
            ),
            (
                "rfcapd_queue_full_total",
                "Datagrams that waited for a full decode queue.",
                &self.queue_full,
            ),
            (
                "rfcapd_ignored_packets_total",
                "Datagrams from exporters no source accepts.",
                &self.ignored_packets,
            ),
            (
                "rfcapd_bad_packets_total",
                "Datagrams that failed to decode.",
                &self.bad_packets,
            ),
            ("rfcapd_flows_total", "Flow records decoded.", &self.flows),
            (
                "rfcapd_sequence_failures_total",
                "Export sequence gaps.",
                &self.sequence_failures,
            ),
            (
                "rfcapd_held_sets_dropped_total",
                "Data sets dropped while waiting for a template.",
                &self.held_dropped,
            ),
            (
                "rfcapd_files_written_total",
                "Flow files written.",
                &self.files_written,
            ),
            (
                "rfcapd_write_errors_total",
                "Failed file creations or writes.",
                &self.write_errors,
            ),
            (
                "rfcapd_dropped_flows_total",
                "Flows dropped at memory bounds while files could not be written.",
                &self.dropped_flows,
            ),
        ];
        let mut s = String::new();
        for (name, help, c) in rows {
            s.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                Metrics::get(c)
            ));
        }
        s
    }
}

/// Binds the endpoint and serves it from a background thread.
///
/// # Errors
/// The address cannot be bound.
pub fn serve(addr: SocketAddr, m: Arc<Metrics>) -> std::io::Result<SocketAddr> {
    let l = TcpListener::bind(addr)?;
    let local = l.local_addr()?;
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for s in l.incoming().flatten() {
                let _ = respond(s, &m);
            }
        })?;
    Ok(local)
}

fn respond(mut s: TcpStream, m: &Metrics) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    s.set_write_timeout(Some(Duration::from_secs(2)))?;
    // Read (and ignore) the request head; any path gets the metrics.
    let mut buf = [0u8; 2048];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") && got.len() < 16 * 1024 {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let body = m.render();
    write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    s.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_serves_counters() {
        let m = Arc::new(Metrics::default());
        Metrics::add(&m.flows, 42);
        let addr = serve("127.0.0.1:0".parse().unwrap(), m.clone()).unwrap();
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK"));
        assert!(out.contains("\nrfcapd_flows_total 42\n"), "{out}");
    }
}
