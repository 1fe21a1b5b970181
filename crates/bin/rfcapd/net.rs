//! The receive side: a UDP socket with a large receive buffer, read on its own thread in
//! batches (`recvmmsg` on Linux), each datagram stamped with its receive time and handed to
//! the decoding thread through a bounded channel. On shutdown the socket is drained before the channel closes, so every datagram the
//! kernel accepted before the signal is decoded and written.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use socket2::{Domain, Protocol, Socket, Type};

use crate::log::Log;
use crate::metrics::Metrics;

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

/// Sets the receive buffer to `size` bytes regardless of `net.core.rmem_max`
/// (`SO_RCVBUFFORCE`, Linux, needs `CAP_NET_ADMIN`); false where that is not possible.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn force_recv_buffer(s: &Socket, size: usize) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(v) = libc::c_int::try_from(size) else {
        return false;
    };
    // SAFETY: the descriptor is the open socket `s`; the option value is a c_int read by the
    // kernel through a pointer to a live local with its exact size.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            std::ptr::from_ref(&v).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn force_recv_buffer(_: &Socket, _: usize) -> bool {
    false
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
    let mut after = s.recv_buffer_size().unwrap_or(0);
    log.info(&format!(
        "Standard setsockopt, SO_RCVBUF is {before} Requested length is {} bytes",
        l.rcvbuf
    ));
    // Linux reports twice the size it granted; less means net.core.rmem_max capped the
    // request. A collector run as root (or with CAP_NET_ADMIN) may exceed that cap, and a
    // burst that overflows the buffer is lost, so ask again past the cap.
    if after < l.rcvbuf.saturating_mul(2) && force_recv_buffer(&s, l.rcvbuf) {
        after = s.recv_buffer_size().unwrap_or(after);
        log.info(&format!(
            "net.core.rmem_max is lower: SO_RCVBUFFORCE set SO_RCVBUF to {after} bytes"
        ));
    } else {
        log.info(&format!(
            "System set setsockopt, SO_RCVBUF to {after} bytes"
        ));
    }
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

/// Most datagrams handed over in one batch (and received with one `recvmmsg`).
pub const BATCH: usize = 64;
/// Room for one datagram: the largest a UDP socket can deliver.
const SLOT: usize = 65_536;
/// Bytes of a batch's receive slot: a datagram of a 1500-byte MTU path (1472 bytes of UDP
/// payload, what routers and softflowd send) fits and is decoded where the kernel put it.
/// The rest of a longer datagram lands in the receiver's spill area, and the whole datagram
/// is then copied into the batch.
const INLINE: usize = 1536;
/// A recycled batch whose buffer grew beyond this (huge datagrams) gives the memory back.
const KEEP_BYTES: usize = 1 << 20;
/// Pause after a receive that emptied the socket queue, so datagrams arriving meanwhile are
/// taken together: at moderate rates this replaces one wake-up of both threads per datagram
/// (about 10 µs of system time each) by at most 200 a second, and the decoding thread works
/// on batches large enough to keep its caches warm (at 200k flows/s a 5 ms pause used 0.20
/// CPU-s for 608 802 flows where 1 ms used 0.29). Under load the queue is never empty and
/// there is no pause; the socket buffer holds what arrives during one (5 ms of a 2M flows/s
/// burst is about 3 MB of kernel buffer).
const NAP: Duration = Duration::from_millis(5);

/// Where one datagram of a [`Batch`] is, who sent it and when it was received.
#[derive(Clone, Copy)]
struct Meta {
    /// In [`Batch::slots`] (received in place) rather than [`Batch::data`].
    in_slot: bool,
    start: usize,
    end: usize,
    from: IpAddr,
    ms: u64,
}

/// Datagrams received together. Batches go from the receive thread to the decoding thread
/// and back (see [`receive`]), so once warm, receiving allocates nothing. On Linux the
/// kernel writes each datagram straight into one of the batch's [`INLINE`]-byte slots, so
/// the usual datagram is never copied in user space; copying every datagram into a compact
/// buffer took a quarter of the receive thread's time in a burst.
#[derive(Default)]
pub struct Batch {
    /// `BATCH` receive slots of [`INLINE`] bytes (allocated on first use by `recvmmsg`).
    slots: Vec<u8>,
    /// Datagrams stored back to back: longer ones, and all of those received portably.
    data: Vec<u8>,
    meta: Vec<Meta>,
}

impl Batch {
    /// Appends a datagram.
    pub fn push(&mut self, datagram: &[u8], from: IpAddr, ms: u64) {
        let start = self.data.len();
        self.data.extend_from_slice(datagram);
        self.seal(start, from, ms);
    }

    /// Appends a datagram longer than a slot: its first [`INLINE`] bytes, received into slot
    /// `slot`, then `rest`, received into the spill area.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    fn push_spilled(&mut self, slot: usize, rest: &[u8], from: IpAddr, ms: u64) {
        let start = self.data.len();
        let at = slot * INLINE;
        self.data.extend_from_slice(&self.slots[at..at + INLINE]);
        self.data.extend_from_slice(rest);
        self.seal(start, from, ms);
    }

    /// Records the datagram appended to `data` from `start` on.
    fn seal(&mut self, start: usize, from: IpAddr, ms: u64) {
        self.meta.push(Meta {
            in_slot: false,
            start,
            end: self.data.len(),
            from,
            ms,
        });
    }

    /// Number of datagrams.
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// Forgets the datagrams, keeping the memory for the next use (unless it grew large).
    pub fn clear(&mut self) {
        self.meta.clear();
        if self.data.capacity() > KEEP_BYTES {
            self.data = Vec::new();
        } else {
            self.data.clear();
        }
    }

    /// Moves datagrams held in the slots into `data`, so the slots can take new ones (only
    /// when a batch is received into twice without being cleared).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    fn vacate_slots(&mut self) {
        for m in self.meta.iter_mut().filter(|m| m.in_slot) {
            let start = self.data.len();
            self.data.extend_from_slice(&self.slots[m.start..m.end]);
            *m = Meta {
                in_slot: false,
                start,
                end: self.data.len(),
                ..*m
            };
        }
    }

    /// Each datagram with its sender and receive time (ms since the epoch), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], IpAddr, u64)> {
        self.meta.iter().map(move |m| {
            let buf = if m.in_slot { &self.slots } else { &self.data };
            (&buf[m.start..m.end], m.from, m.ms)
        })
    }
}

/// Receives until `stop` is set, then drains what is queued and returns (dropping `tx`).
///
/// Datagrams are handed over in batches: each receive takes whatever the kernel holds, up to
/// [`BATCH`] datagrams (one `recvmmsg` on Linux), waiting only while it holds none, so under
/// load the decoding thread is woken once per batch rather than once per datagram; a receive
/// that emptied the queue is followed by a [`NAP`]. Empty batches come back through `free`
/// and are reused.
pub fn receive(
    sock: UdpSocket,
    tx: SyncSender<Batch>,
    free: Receiver<Batch>,
    stop: Arc<AtomicBool>,
    repeaters: Vec<SocketAddr>,
    metrics: Arc<Metrics>,
    log: Log,
) {
    let mut rx = BatchReceiver::new();
    // The timeout bounds how late a stop request is noticed.
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    let mut draining = false;
    let mut spare: Option<Batch> = None;
    loop {
        if !draining && stop.load(Ordering::SeqCst) {
            // Take what the kernel already holds, without waiting for more.
            if sock.set_nonblocking(true).is_err() {
                return;
            }
            draining = true;
        }
        let mut batch = spare
            .take()
            .or_else(|| free.try_recv().ok())
            .unwrap_or_default();
        match rx.recv(&sock, draining, &mut batch) {
            Ok(got) => {
                let mut bytes = 0;
                for (d, _, _) in batch.iter() {
                    bytes += d.len();
                    for r in &repeaters {
                        let _ = sock.send_to(d, r);
                    }
                }
                Metrics::add(&metrics.packets, batch.len() as u64);
                Metrics::add(&metrics.bytes, bytes as u64);
                match tx.try_send(batch) {
                    Ok(()) => {}
                    Err(TrySendError::Full(b)) => {
                        Metrics::add(&metrics.queue_full, b.len() as u64);
                        if tx.send(b).is_err() {
                            return;
                        }
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
                if got < BATCH && !draining {
                    std::thread::sleep(NAP);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                spare = Some(batch);
                if draining {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => spare = Some(batch),
            Err(e) => {
                spare = Some(batch);
                log.error(&format!("recvfrom: {e}"));
                if draining {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Receives datagrams: on Linux into the batch's slots, with the part of a long datagram
/// beyond its slot in a reused spill area of `BATCH` × (`SLOT` − `INLINE`) bytes whose pages
/// are only touched as far as long datagrams reach.
struct BatchReceiver {
    #[cfg(target_os = "linux")]
    spill: Vec<u8>,
    #[cfg(target_os = "linux")]
    mmsg: mmsg::Area,
    #[cfg(not(target_os = "linux"))]
    area: Vec<u8>,
}

impl BatchReceiver {
    fn new() -> Self {
        BatchReceiver {
            #[cfg(target_os = "linux")]
            spill: vec![0; BATCH * (SLOT - INLINE)],
            #[cfg(target_os = "linux")]
            mmsg: mmsg::Area::new(),
            #[cfg(not(target_os = "linux"))]
            area: vec![0; SLOT],
        }
    }

    /// Appends to `batch` what the kernel holds (at least one datagram, waiting for it up to
    /// the socket's read timeout unless `nonblocking`), at most [`BATCH`]. Returns the count.
    #[cfg(target_os = "linux")]
    fn recv(
        &mut self,
        sock: &UdpSocket,
        nonblocking: bool,
        batch: &mut Batch,
    ) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        batch.vacate_slots();
        if batch.slots.len() < BATCH * INLINE {
            batch.slots = vec![0; BATCH * INLINE];
        }
        let n = self.mmsg.recv(
            sock.as_raw_fd(),
            &mut batch.slots,
            INLINE,
            &mut self.spill,
            SLOT - INLINE,
            nonblocking,
        )?;
        let ms = now_ms();
        for (i, (len, from)) in self.mmsg.received(n).enumerate() {
            let at = i * INLINE;
            if len <= INLINE {
                batch.meta.push(Meta {
                    in_slot: true,
                    start: at,
                    end: at + len,
                    from,
                    ms,
                });
            } else {
                let rest = &self.spill[i * (SLOT - INLINE)..][..len - INLINE];
                batch.push_spilled(i, rest, from, ms);
            }
        }
        Ok(n)
    }

    #[cfg(not(target_os = "linux"))]
    fn recv(
        &mut self,
        sock: &UdpSocket,
        nonblocking: bool,
        batch: &mut Batch,
    ) -> std::io::Result<usize> {
        recv_portable(sock, &mut self.area, nonblocking, batch)
    }
}

/// The portable way (one `recvfrom` per datagram): a receive that may wait, then the socket
/// switched to non-blocking to take what else is queued, up to [`BATCH`]. `nonblocking`: the
/// socket is already non-blocking (draining) and stays so.
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn recv_portable(
    sock: &UdpSocket,
    buf: &mut [u8],
    nonblocking: bool,
    batch: &mut Batch,
) -> std::io::Result<usize> {
    let (n, from) = sock.recv_from(buf)?;
    batch.push(&buf[..n], from.ip(), now_ms());
    let mut got = 1;
    if !nonblocking {
        sock.set_nonblocking(true)?;
    }
    while got < BATCH {
        match sock.recv_from(buf) {
            Ok((n, from)) => {
                batch.push(&buf[..n], from.ip(), now_ms());
                got += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if !nonblocking {
        sock.set_nonblocking(false)?;
    }
    Ok(got)
}

/// `recvmmsg(2)`: many datagrams with one system call.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod mmsg {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::os::fd::RawFd;

    use super::BATCH;

    /// Message headers, sender addresses and lengths, reused from receive to receive.
    pub struct Area {
        /// Two per message: its slot, then its share of the spill area.
        iov: Vec<libc::iovec>,
        hdrs: Vec<libc::mmsghdr>,
        addrs: Vec<libc::sockaddr_storage>,
        lens: Vec<usize>,
    }

    impl Area {
        pub fn new() -> Self {
            Area {
                iov: Vec::with_capacity(2 * BATCH),
                hdrs: Vec::with_capacity(BATCH),
                // SAFETY: sockaddr_storage is plain integers; all zeroes is a valid value.
                addrs: vec![unsafe { std::mem::zeroed() }; BATCH],
                lens: vec![0; BATCH],
            }
        }

        /// Receives up to [`BATCH`] datagrams from `fd`, datagram `i` into
        /// `slots[i * slot..][..slot]` and, past that, `spill[i * over..][..over]`, waiting
        /// for the first one (up to the socket's read timeout) unless `nonblocking`. Returns
        /// how many arrived.
        pub fn recv(
            &mut self,
            fd: RawFd,
            slots: &mut [u8],
            slot: usize,
            spill: &mut [u8],
            over: usize,
            nonblocking: bool,
        ) -> std::io::Result<usize> {
            assert!(
                slots.len() >= BATCH * slot && spill.len() >= BATCH * over,
                "receive areas too small"
            );
            // The headers are rebuilt for every call (no allocation: the capacity stays), so
            // every pointer in them is fresh and refers to memory borrowed for this call.
            self.iov.clear();
            for (s, o) in slots
                .chunks_exact_mut(slot)
                .zip(spill.chunks_exact_mut(over))
                .take(BATCH)
            {
                for c in [s, o] {
                    self.iov.push(libc::iovec {
                        iov_base: c.as_mut_ptr().cast(),
                        iov_len: c.len(),
                    });
                }
            }
            self.hdrs.clear();
            self.hdrs
                .extend(
                    self.iov
                        .chunks_exact_mut(2)
                        .zip(self.addrs.iter_mut())
                        .map(|(v, a)| {
                            // SAFETY: mmsghdr is plain integers and pointers; all zeroes (null
                            // pointers, zero lengths) is a valid value.
                            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
                            h.msg_hdr.msg_name = std::ptr::from_mut(a).cast();
                            h.msg_hdr.msg_namelen =
                                std::mem::size_of::<libc::sockaddr_storage>() as _;
                            h.msg_hdr.msg_iov = v.as_mut_ptr();
                            h.msg_hdr.msg_iovlen = 2;
                            h
                        }),
                );
            // MSG_WAITFORONE: block (honouring SO_RCVTIMEO) only until the first datagram.
            let mut flags = libc::MSG_WAITFORONE;
            if nonblocking {
                flags |= libc::MSG_DONTWAIT;
            }
            // SAFETY: every header points at two iovecs of `self.iov` (a `slot`-byte chunk of
            // `slots`, an `over`-byte chunk of `spill`) and at one sockaddr_storage of
            // `self.addrs`, with their true sizes; all of these live, unaliased and unmoved,
            // until the call returns, and exactly `self.hdrs.len()` headers are passed. A
            // null timeout is allowed.
            let n = unsafe {
                libc::recvmmsg(
                    fd,
                    self.hdrs.as_mut_ptr(),
                    self.hdrs.len() as libc::c_uint,
                    flags as _,
                    std::ptr::null_mut(),
                )
            };
            if n < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let n = n as usize;
            for (len, h) in self.lens.iter_mut().zip(&self.hdrs).take(n) {
                *len = (h.msg_len as usize).min(slot + over);
            }
            Ok(n)
        }

        /// Length and sender of each of the `n` datagrams of the last receive.
        pub fn received(&self, n: usize) -> impl Iterator<Item = (usize, IpAddr)> + '_ {
            self.lens
                .iter()
                .zip(&self.addrs)
                .take(n)
                .map(|(&len, a)| (len, ip_of(a)))
        }
    }

    fn ip_of(a: &libc::sockaddr_storage) -> IpAddr {
        match i32::from(a.ss_family) {
            libc::AF_INET => {
                // SAFETY: the family says the storage holds a sockaddr_in, which is smaller
                // than sockaddr_storage and needs no stricter alignment.
                let v4 = unsafe { &*std::ptr::from_ref(a).cast::<libc::sockaddr_in>() };
                IpAddr::V4(Ipv4Addr::from(v4.sin_addr.s_addr.to_ne_bytes()))
            }
            libc::AF_INET6 => {
                // SAFETY: as above, for sockaddr_in6.
                let v6 = unsafe { &*std::ptr::from_ref(a).cast::<libc::sockaddr_in6>() };
                IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr))
            }
            _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (UdpSocket, UdpSocket) {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.connect(rx.local_addr().unwrap()).unwrap();
        (rx, tx)
    }

    fn datagram(i: usize) -> Vec<u8> {
        // Sizes from 1 byte to the largest IPv4 UDP payload.
        let len = match i % 10 {
            0 => 1,
            1 => 1400,
            2 => 65_507,
            _ => 37 * i + 3,
        };
        (0..len).map(|k| (k + i) as u8).collect()
    }

    /// Sends `n` datagrams and receives them all with `recv`, checking bytes, order, sender.
    fn round_trip(recv: &mut dyn FnMut(&UdpSocket, &mut Batch) -> std::io::Result<usize>) {
        let (rx, tx) = pair();
        let n = 150;
        let mut batch = Batch::default();
        let mut got = Vec::new();
        let mut most = 0;
        for i in 0..n {
            tx.send(&datagram(i)).unwrap();
            // Receive now and then (the default socket buffer holds about 200 KB).
            if i % 10 == 9 {
                while batch.len() < i + 1 - got.len() {
                    let k = recv(&rx, &mut batch).unwrap();
                    assert!(k <= BATCH);
                    most = most.max(k);
                }
                got.extend(batch.iter().map(|(d, from, _)| (d.to_vec(), from)));
                batch.clear();
            }
        }
        while got.len() + batch.len() < n {
            recv(&rx, &mut batch).unwrap();
        }
        got.extend(batch.iter().map(|(d, from, _)| (d.to_vec(), from)));
        assert_eq!(got.len(), n);
        for (i, (d, from)) in got.iter().enumerate() {
            assert_eq!(d, &datagram(i), "datagram {i}");
            assert_eq!(*from, tx.local_addr().unwrap().ip());
        }
        assert!(most > 1, "queued datagrams come in one batch");
        // Nothing queued: a non-blocking receive says so.
        rx.set_nonblocking(true).unwrap();
        let e = recv(&rx, &mut batch).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    }

    #[test]
    fn batches_carry_every_datagram_intact() {
        let mut r = BatchReceiver::new();
        round_trip(&mut |s, b| r.recv(s, false, b));
    }

    #[test]
    fn portable_receive_carries_every_datagram_intact() {
        let mut buf = vec![0; SLOT];
        round_trip(&mut |s, b| recv_portable(s, &mut buf, false, b));
    }

    #[test]
    fn batch_reuse_keeps_small_buffers_only() {
        let mut b = Batch::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        b.push(&[1, 2, 3], ip, 5);
        b.push(&[], ip, 6);
        b.push(&[4], ip, 7);
        let v: Vec<_> = b.iter().collect();
        assert_eq!(
            v,
            vec![
                (&[1u8, 2, 3][..], ip, 5),
                (&[][..], ip, 6),
                (&[4][..], ip, 7)
            ]
        );
        b.clear();
        assert_eq!(b.len(), 0);
        b.push(&vec![0; 2 * KEEP_BYTES], ip, 8);
        b.clear();
        assert_eq!(b.data.capacity(), 0);
    }

    /// The granted buffer: the request where the process may exceed `net.core.rmem_max`
    /// (`CAP_NET_ADMIN`), else what the cap allows. Linux reports twice the granted size.
    #[cfg(target_os = "linux")]
    #[test]
    fn receive_buffer_is_forced_past_the_system_cap_when_allowed() {
        let max: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .expect("rmem_max")
            .trim()
            .parse()
            .expect("number");
        let want = max * 2;
        let l = Listen {
            bind: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            port: 0,
            ipv6: false,
            rcvbuf: want,
            join: None,
        };
        let s = Socket::from(bind(&l, &Log::quiet()).expect("bind"));
        let got = s.recv_buffer_size().expect("SO_RCVBUF");
        // CAP_NET_ADMIN (capability 12) is what SO_RCVBUFFORCE needs.
        if crate::process::tests::has_capability(12) {
            assert_eq!(got, want * 2, "CAP_NET_ADMIN gets the whole request");
        } else {
            assert_eq!(got, max * 2, "others get the cap");
        }
    }
}
