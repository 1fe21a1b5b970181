//! Encoders for NetFlow v5/v9 and IPFIX export packets (rfreplay).
//!
//! An [`Encoder`] turns [`FlowRecord`]s into UDP payloads an nfcapd-style collector accepts. It
//! does no I/O itself: finished packets are handed to a caller-supplied sink, so the replay tool
//! decides about sockets, pacing and error handling, and tests can collect the bytes.
//!
//! * NetFlow v5 carries IPv4 flows only; IPv6 flows are counted in [`Stats::skipped`].
//! * NetFlow v9 and IPFIX send a template per record shape (family, ICMP, which optional
//!   extension groups the record holds) and refresh templates periodically
//!   ([`Config::template_refresh_packets`], [`Config::template_refresh_ms`]). Flow times are
//!   absolute milliseconds (elements 152/153) so the collector stores the original first and
//!   last seen, independent of when the packet is sent. Besides the flow fields they carry NSEL
//!   and NAT event fields (connection id, event time, translated addresses and ports, NAT
//!   event, pool id); the Cisco-only NSEL ids (extended firewall event) go in v9 only.
//!
//! Every packet stays within [`Config::mtu`] bytes of UDP payload.

mod fields;
mod template;
mod v5;

use rf_format::FlowRecord;

/// Export protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// NetFlow v5 (IPv4 only, fixed record).
    V5,
    /// NetFlow v9 (RFC 3954).
    V9,
    /// IPFIX (RFC 7011), version number 10.
    Ipfix,
}

impl Version {
    /// The version for the number nfreplay's `-v` takes (5, 9 or 10).
    pub fn from_number(n: u32) -> Option<Version> {
        match n {
            5 => Some(Version::V5),
            9 => Some(Version::V9),
            10 => Some(Version::Ipfix),
            _ => None,
        }
    }

    /// The protocol version number in the packet header.
    pub fn number(self) -> u16 {
        match self {
            Version::V5 => 5,
            Version::V9 => 9,
            Version::Ipfix => 10,
        }
    }
}

/// Smallest MTU an encoder accepts: enough for one header, the largest template and one record.
pub const MIN_MTU: usize = 576;
/// Default maximum UDP payload: fits a 1500-byte Ethernet frame with IPv6 and tunnel headroom.
pub const DEFAULT_MTU: usize = 1400;

/// Encoder settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Protocol to produce.
    pub version: Version,
    /// Maximum UDP payload per packet, at least [`MIN_MTU`].
    pub mtu: usize,
    /// Resend templates after this many packets (v9/IPFIX).
    pub template_refresh_packets: u32,
    /// Resend templates after this many milliseconds (v9/IPFIX).
    pub template_refresh_ms: u64,
    /// v9 source id / IPFIX observation domain id.
    pub source_id: u32,
}

impl Config {
    /// Defaults for `version`: [`DEFAULT_MTU`], templates every 20 packets or 10 seconds.
    pub fn new(version: Version) -> Config {
        Config {
            version,
            mtu: DEFAULT_MTU,
            template_refresh_packets: 20,
            template_refresh_ms: 10_000,
            source_id: 1,
        }
    }
}

/// What an encoder has produced so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets handed to the sink.
    pub packets: u64,
    /// Payload bytes handed to the sink.
    pub bytes: u64,
    /// Flow records encoded.
    pub flows: u64,
    /// Records the protocol cannot carry (IPv6 flows for v5).
    pub skipped: u64,
}

/// Errors in an encoder's configuration.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The MTU is too small for a header, a template and a record.
    #[error("MTU {0} too small: at least {MIN_MTU} bytes are needed")]
    MtuTooSmall(usize),
}

enum Builder {
    V5(v5::V5Builder),
    Template(template::TemplateBuilder),
}

/// Turns flow records into export packets.
pub struct Encoder {
    version: Version,
    builder: Builder,
    stats: Stats,
}

impl Encoder {
    /// A new encoder.
    ///
    /// # Errors
    /// [`ConfigError::MtuTooSmall`].
    pub fn new(cfg: &Config) -> Result<Encoder, ConfigError> {
        if cfg.mtu < MIN_MTU {
            return Err(ConfigError::MtuTooSmall(cfg.mtu));
        }
        // Datagrams cannot exceed 65535 bytes; lengths in the headers are 16 bit.
        let mtu = cfg.mtu.min(65_000);
        let builder = match cfg.version {
            Version::V5 => Builder::V5(v5::V5Builder::new(mtu)),
            v => Builder::Template(template::TemplateBuilder::new(
                v == Version::Ipfix,
                mtu,
                cfg.source_id,
                cfg.template_refresh_packets,
                cfg.template_refresh_ms,
            )),
        };
        Ok(Encoder {
            version: cfg.version,
            builder,
            stats: Stats::default(),
        })
    }

    /// The protocol this encoder produces.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Whether `r` can be sent with this protocol (v5: IPv4 only).
    pub fn can_carry(&self, r: &FlowRecord) -> bool {
        self.version != Version::V5 || !r.is_ipv6()
    }

    /// Adds a record. When the open packet is full it is handed to `sink` first. `now_ms` is the
    /// wall clock (ms since the epoch) for packet headers and template refresh timing.
    /// Returns `false` when the record was skipped because the protocol cannot carry it.
    ///
    /// # Errors
    /// Whatever `sink` returns; the packet is dropped then, the encoder stays usable.
    pub fn push<E>(
        &mut self,
        r: &FlowRecord,
        now_ms: u64,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<bool, E> {
        if !self.can_carry(r) {
            self.stats.skipped += 1;
            return Ok(false);
        }
        {
            let mut counted = counting(&mut self.stats, sink);
            match &mut self.builder {
                Builder::V5(b) => b.push(r, &mut counted)?,
                Builder::Template(b) => b.push(r, now_ms, &mut counted)?,
            }
        }
        self.stats.flows += 1;
        Ok(true)
    }

    /// Whether records are waiting in an unsent packet.
    pub fn has_pending(&self) -> bool {
        match &self.builder {
            Builder::V5(b) => b.has_pending(),
            Builder::Template(b) => b.has_pending(),
        }
    }

    /// Hands the open packet, if any, to `sink`.
    ///
    /// # Errors
    /// Whatever `sink` returns.
    pub fn flush<E>(
        &mut self,
        now_ms: u64,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut counted = counting(&mut self.stats, sink);
        match &mut self.builder {
            Builder::V5(b) => b.flush(&mut counted),
            Builder::Template(b) => b.flush(now_ms, &mut counted),
        }
    }

    /// Totals so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }
}

/// Wraps `sink` so every packet handed to it is counted in `stats`.
fn counting<'a, E>(
    stats: &'a mut Stats,
    sink: &'a mut dyn FnMut(&[u8]) -> Result<(), E>,
) -> impl FnMut(&[u8]) -> Result<(), E> + 'a {
    move |p| {
        stats.packets += 1;
        stats.bytes += p.len() as u64;
        sink(p)
    }
}
