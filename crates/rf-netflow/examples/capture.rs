//! Records the datagrams sent to a UDP port into a file (each as a 4-byte little-endian
//! length and its bytes) until three seconds pass without one, for `decode_write` to replay
//! through the collector's decoding path without a network. Used by `scripts/bench-decode.sh`.
//!
//! Usage: `capture PORT FILE`

use std::io::Write;
use std::net::UdpSocket;
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(port), Some(path)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: capture PORT FILE");
        std::process::exit(2);
    };
    let port: u16 = port.parse().map_err(std::io::Error::other)?;
    let sock = UdpSocket::bind(("127.0.0.1", port))?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut buf = vec![0u8; 65_536];
    let mut n = 0u64;
    loop {
        // Waits for the first datagram as long as it takes, then for three seconds of quiet.
        if n == 1 {
            sock.set_read_timeout(Some(Duration::from_secs(3)))?;
        }
        let Ok(len) = sock.recv(&mut buf) else { break };
        out.write_all(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes())?;
        out.write_all(&buf[..len])?;
        n += 1;
    }
    out.flush()?;
    eprintln!("{n} datagrams");
    Ok(())
}
