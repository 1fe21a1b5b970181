//! The receive side: a UDP socket with a large receive buffer, read on its own thread, each
//! datagram stamped with its receive time and handed to the decoding thread through a bounded
//! channel. On shutdown the socket is drained before the channel closes, so every datagram the
//! kernel accepted before the signal is decoded and written.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use socket2::{Domain, Protocol, Socket, Type};

use crate::log::Log;
use crate::metrics::Metrics;

/// One received datagram.
pub struct Packet {
    /// Its bytes.
    pub data: Vec<u8>,
    /// Sender address.
    pub from: IpAddr,
    /// Receive time, ms since the epoch.
    pub ms: u64,
}

/// How to listen.
pub struct Listen {
    /// `-b` address, if any.
    pub bind: Option<IpAddr>,
    /// `-p` port.
    pub port: u16,
    /// `-6`: IPv6 (only).
    pub ipv6: bool,
    /// `-B` receive buffer size request.
    pub rcvbuf: usize,
    /// `-J` multicast group to join (the socket is bound to the group address).
    pub join: Option<IpAddr>,
}

/// Milliseconds since the epoch now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Opens and binds the socket.
///
/// # Errors
/// Socket creation or bind failures.
pub fn bind(l: &Listen, log: &Log) -> std::io::Result<UdpSocket> {
    let ip = l.join.or(l.bind).unwrap_or(if l.ipv6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    });
    let domain = if ip.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if ip.is_ipv6() {
        s.set_only_v6(true)?;
    }
    let before = s.recv_buffer_size().unwrap_or(0);
    if let Err(e) = s.set_recv_buffer_size(l.rcvbuf) {
        log.error(&format!("setsockopt SO_RCVBUF {}: {e}", l.rcvbuf));
    }
    let after = s.recv_buffer_size().unwrap_or(0);
    log.info(&format!(
        "Standard setsockopt, SO_RCVBUF is {before} Requested length is {} bytes",
        l.rcvbuf
    ));
    log.info(&format!(
        "System set setsockopt, SO_RCVBUF to {after} bytes"
    ));
    if l.join.is_some() {
        // Several listeners may share a multicast group and port.
        s.set_reuse_address(true)?;
    }
    s.bind(&SocketAddr::new(ip, l.port).into())?;
    match l.join {
        Some(IpAddr::V4(g)) => s.join_multicast_v4(&g, &Ipv4Addr::UNSPECIFIED)?,
        Some(IpAddr::V6(g)) => s.join_multicast_v6(&g, 0)?,
        None => {}
    }
    if let Some(g) = l.join {
        log.info(&format!("Joined multicast group {g}"));
    }
    let u: UdpSocket = s.into();
    let fam = if ip.is_ipv6() { "IPv6" } else { "IPv4" };
    log.info(&format!(
        "Bound to {fam} host/IP: {ip}, Port: {}",
        u.local_addr().map_or(l.port, |a| a.port())
    ));
    Ok(u)
}

/// Most datagrams handed over in one batch.
pub const BATCH: usize = 64;

/// Receives until `stop` is set, then drains what is queued and returns (dropping `tx`).
///
/// Datagrams are handed over in batches: after a blocking receive, whatever else the kernel
/// already holds is taken without waiting (up to [`BATCH`]), so under load the decoding thread
/// is woken once per batch rather than once per datagram.
pub fn receive(
    sock: UdpSocket,
    tx: SyncSender<Vec<Packet>>,
    stop: Arc<AtomicBool>,
    repeaters: Vec<SocketAddr>,
    metrics: Arc<Metrics>,
    log: Log,
) {
    let mut buf = vec![0u8; 65_536];
    // The timeout bounds how late a stop request is noticed.
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    let mut draining = false;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        if !draining && stop.load(Ordering::SeqCst) {
            // Take what the kernel already holds, without waiting for more.
            if sock.set_nonblocking(true).is_err() {
                return;
            }
            draining = true;
        }
        match recv_one(&sock, &mut buf, &repeaters, &metrics) {
            Ok(p) => {
                batch.push(p);
                if !draining && sock.set_nonblocking(true).is_err() {
                    log.error("cannot switch the socket to non-blocking mode");
                }
                while batch.len() < BATCH {
                    match recv_one(&sock, &mut buf, &repeaters, &metrics) {
                        Ok(p) => batch.push(p),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                if !draining {
                    let _ = sock.set_nonblocking(false);
                }
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                match tx.try_send(full) {
                    Ok(()) => {}
                    Err(TrySendError::Full(b)) => {
                        Metrics::add(&metrics.queue_full, b.len() as u64);
                        if tx.send(b).is_err() {
                            return;
                        }
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if draining {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                log.error(&format!("recvfrom: {e}"));
                if draining {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Receives one datagram, repeats it (`-R`) and counts it.
fn recv_one(
    sock: &UdpSocket,
    buf: &mut [u8],
    repeaters: &[SocketAddr],
    metrics: &Metrics,
) -> std::io::Result<Packet> {
    let (n, from) = sock.recv_from(buf)?;
    let data = buf[..n].to_vec();
    for r in repeaters {
        let _ = sock.send_to(&data, r);
    }
    Metrics::add(&metrics.packets, 1);
    Metrics::add(&metrics.bytes, n as u64);
    Ok(Packet {
        data,
        from: from.ip(),
        ms: now_ms(),
    })
}
