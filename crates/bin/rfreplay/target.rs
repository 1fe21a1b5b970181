//! The collector the replay sends to: host or multicast group resolution (`-H`, `-j`, `-4`,
//! `-6`), the UDP socket (`-b` send buffer) and how send failures become one clear message.
//!
//! The socket is connected, so the kernel reports an ICMP "port unreachable" from the
//! collector as `ECONNREFUSED` on a later send; [`Target::check_delivered`] picks up such an
//! error left by the very last datagram.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use rf_cli::UsageError;
use socket2::{Domain, Protocol, Socket, Type};

/// Where and how to send.
pub struct Options<'a> {
    /// `-H` host name or address.
    pub host: Option<&'a str>,
    /// `-j` multicast group.
    pub group: Option<&'a str>,
    /// `-p` port.
    pub port: u16,
    /// `-4`.
    pub ipv4_only: bool,
    /// `-6`.
    pub ipv6_only: bool,
    /// `-b` send buffer bytes.
    pub sndbuf: Option<usize>,
}

/// A connected UDP socket to the collector.
pub struct Target {
    sock: UdpSocket,
    addr: SocketAddr,
}

/// Resolves `host` to one address of the wanted family.
fn resolve(host: &str, port: u16, v4: bool, v6: bool) -> anyhow::Result<SocketAddr> {
    // A bare IPv6 address needs no brackets on the command line.
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => (host, port)
            .to_socket_addrs()
            .map_err(|e| UsageError(format!("cannot resolve host '{host}': {e}")))?
            .collect(),
    };
    addrs
        .iter()
        .copied()
        .find(|a| (!v4 || a.is_ipv4()) && (!v6 || a.is_ipv6()))
        .ok_or_else(|| {
            let fam = if v4 { "IPv4" } else { "IPv6" };
            UsageError(format!("host '{host}' has no {fam} address")).into()
        })
}

impl Target {
    /// Resolves the destination and opens the socket.
    ///
    /// # Errors
    /// Unresolvable host, a `-j` address that is not multicast, socket errors, and a
    /// destination the kernel knows to be unreachable (no route).
    pub fn open(o: &Options<'_>) -> anyhow::Result<Target> {
        let addr = match o.group {
            Some(g) => {
                let a = resolve(g, o.port, o.ipv4_only, o.ipv6_only)?;
                if !a.ip().is_multicast() {
                    return Err(UsageError(format!("'{g}' is not a multicast group")).into());
                }
                a
            }
            None => resolve(
                o.host.unwrap_or("127.0.0.1"),
                o.port,
                o.ipv4_only,
                o.ipv6_only,
            )?,
        };
        let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
            .context("cannot create UDP socket")?;
        if let Some(n) = o.sndbuf {
            sock.set_send_buffer_size(n)
                .with_context(|| format!("cannot set send buffer to {n} bytes"))?;
        }
        let local: SocketAddr = if addr.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        sock.bind(&local.into()).context("cannot bind UDP socket")?;
        sock.connect(&addr.into())
            .map_err(|e| anyhow!("cannot send to {addr}: {e}"))?;
        Ok(Target {
            sock: sock.into(),
            addr,
        })
    }

    /// The destination.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// "sending to ADDR", the context of send errors.
    pub fn describe(&self) -> String {
        format!("cannot send to {}", self.addr)
    }

    /// Sends one datagram.
    ///
    /// # Errors
    /// The socket error (a refused earlier datagram shows here as `ECONNREFUSED`).
    pub fn send(&self, p: &[u8]) -> io::Result<()> {
        loop {
            match self.sock.send(p) {
                Ok(_) => return Ok(()),
                // A full send buffer: wait for the kernel to drain it rather than drop flows.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_micros(100));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// After the last datagram: gives an ICMP error for it a moment to arrive and reports it.
    ///
    /// # Errors
    /// The pending socket error, if any.
    pub fn check_delivered(&self) -> io::Result<()> {
        std::thread::sleep(Duration::from_millis(20));
        match self.sock.take_error()? {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
