//! `-o csv`: nfdump 1.7.1's csv layout, byte for byte (`reference/nfdump-cli.md` §3.9).
//!
//! A fixed header of 48 columns, one line per record, and a `Summary` footer with flows,
//! bytes, packets and the average rates; `-q` drops header and footer. Quirks kept on
//! purpose because users' scripts parse this output: `ts`/`te` have no milliseconds while
//! `tr` has them; `dp` holds the raw ICMP `type << 8 | code` value; the flag string is
//! printed for every protocol; addresses are never condensed; and an IPv6 BGP next hop
//! prints the IP next hop (a 1.7.1 bug). The checks against the real nfdump live in
//! `tests/csv_golden.rs` and `tests/csv_nfdump.rs`.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};

use rf_format::{FlowRecord, ext_id};

use crate::fields;

/// The csv header line nfdump 1.7.1 prints.
pub const HEADER: &str = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr";

/// Totals for the csv `Summary` footer, accumulated from the records that were printed (or
/// passed the filter): nfdump computes them from records, not from the file's stat record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsvSummary {
    /// Sum of the records' flow counts.
    pub flows: u64,
    /// Bytes, in + out.
    pub bytes: u64,
    /// Packets, in + out.
    pub packets: u64,
    /// Earliest first-seen (ms), 0 when no record.
    pub first_ms: u64,
    /// Latest last-seen (ms).
    pub last_ms: u64,
}

impl CsvSummary {
    /// Adds one record, as nfdump's summary does.
    pub fn add(&mut self, r: &FlowRecord) {
        self.flows = self.flows.wrapping_add(r.flow_count());
        self.bytes = self
            .bytes
            .wrapping_add(r.in_bytes.wrapping_add(r.out_bytes));
        self.packets = self
            .packets
            .wrapping_add(r.in_packets.wrapping_add(r.out_packets));
        if self.first_ms == 0 || r.first_ms < self.first_ms {
            self.first_ms = r.first_ms;
        }
        self.last_ms = self.last_ms.max(r.last_ms);
    }

    /// `(avg_bps, avg_pps, avg_bpp)`: integers truncated like nfdump's, all 0 when the time
    /// span is 0.
    pub fn averages(&self) -> (u64, u64, u64) {
        crate::summary::averages(&rf_format::FileStats {
            flows: self.flows,
            bytes: self.bytes,
            packets: self.packets,
            first_seen_ms: self.first_ms,
            last_seen_ms: self.last_ms,
            ..rf_format::FileStats::default()
        })
    }
}

/// Writes records in nfdump's csv layout.
pub struct CsvWriter<W: Write> {
    out: W,
    quiet: bool,
    line: String,
    summary: CsvSummary,
}

impl<W: Write> CsvWriter<W> {
    /// Starts the output: writes the header line unless `quiet` (`-q`).
    ///
    /// # Errors
    /// Write errors of `out`.
    pub fn new(mut out: W, quiet: bool) -> io::Result<Self> {
        if !quiet {
            out.write_all(HEADER.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(CsvWriter {
            out,
            quiet,
            line: String::with_capacity(512),
            summary: CsvSummary::default(),
        })
    }

    /// Writes one record line and adds it to [`CsvWriter::summary`].
    ///
    /// # Errors
    /// Write errors of `out`.
    pub fn write(&mut self, r: &FlowRecord) -> io::Result<()> {
        self.line.clear();
        // Writing into a String cannot fail.
        let _ = render(&mut self.line, r);
        self.line.push('\n');
        self.summary.add(r);
        self.out.write_all(self.line.as_bytes())
    }

    /// The sink, e.g. to print nfdump's `No matching flows` line before the footer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Totals of the records written so far.
    pub fn summary(&self) -> &CsvSummary {
        &self.summary
    }

    /// Writes the `Summary` footer (unless quiet) from `summary` and returns the sink.
    /// Pass [`CsvWriter::summary`] when every passed record was written; aggregated or
    /// limited output passes the totals of all records that passed the filter.
    ///
    /// # Errors
    /// Write errors of `out`.
    pub fn finish(mut self, summary: &CsvSummary) -> io::Result<W> {
        if !self.quiet {
            let (bps, pps, bpp) = summary.averages();
            writeln!(
                self.out,
                "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n{},{},{},{bps},{pps},{bpp}",
                summary.flows, summary.bytes, summary.packets
            )?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

const NO_ADDR: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// Renders one record as nfdump's csv line (without the newline).
pub fn render(o: &mut String, r: &FlowRecord) -> std::fmt::Result {
    use std::fmt::Write as _;
    fields::write_time_ms_secs(o, r.first_ms)?;
    o.push(',');
    fields::write_time_ms_secs(o, r.last_ms)?;
    o.push(',');
    write_span(o, r.first_ms, r.last_ms)?;
    o.push(',');
    fields::write_addr(o, r.src_addr)?;
    o.push(',');
    fields::write_addr(o, r.dst_addr)?;
    o.push(',');
    fields::push_u64(o, r.src_port.into());
    o.push(',');
    fields::push_u64(o, r.dst_port.into());
    o.push(',');
    fields::write_proto(o, r.proto, false)?;
    o.push(',');
    fields::write_tcp_flags(o, r.tcp_flags)?;
    o.push(',');
    // Plain decimals written digit by digit: the generic formatter is the costliest part.
    for v in [
        u64::from(r.fwd_status),
        u64::from(r.src_tos),
        r.in_packets,
        r.in_bytes,
        r.out_packets,
        r.out_bytes,
        u64::from(r.input),
        u64::from(r.output),
        u64::from(r.src_as),
        u64::from(r.dst_as),
        u64::from(r.src_mask),
        u64::from(r.dst_mask),
        u64::from(r.dst_tos),
        u64::from(r.dir),
    ] {
        fields::push_u64(o, v);
        o.push(',');
    }
    let has = |id| r.ext.has(id);
    let nh = if has(ext_id::IP_NEXT_HOP_V4) || has(ext_id::IP_NEXT_HOP_V6) {
        r.ip_next_hop
    } else {
        NO_ADDR
    };
    fields::write_addr(o, nh)?;
    o.push(',');
    // nfdump 1.7.1 prints the IP next hop in place of an IPv6 BGP next hop.
    let nhb = if has(ext_id::BGP_NEXT_HOP_V6) {
        r.ip_next_hop
    } else if has(ext_id::BGP_NEXT_HOP_V4) {
        r.bgp_next_hop
    } else {
        NO_ADDR
    };
    fields::write_addr(o, nhb)?;
    o.push(',');
    fields::push_u64(o, r.src_vlan.into());
    o.push(',');
    fields::push_u64(o, r.dst_vlan.into());
    o.push(',');
    // Most records have no MAC, MPLS or latency data: the zero texts are constants.
    for mac in [r.in_src_mac, r.out_dst_mac, r.in_dst_mac, r.out_src_mac] {
        if mac == 0 {
            o.push_str("00:00:00:00:00:00,");
        } else {
            fields::write_mac(o, mac)?;
            o.push(',');
        }
    }
    for l in r.mpls {
        if l == 0 {
            o.push_str("0-0-0,");
        } else {
            fields::write_mpls(o, l)?;
            o.push(',');
        }
    }
    for us in [
        r.client_nw_delay_us,
        r.server_nw_delay_us,
        r.appl_latency_us,
    ] {
        if us == 0 {
            o.push_str("    0.000,");
        } else {
            write!(o, "{:9.3},", us as f64 / 1000.0)?;
        }
    }
    let ra = if has(ext_id::IP_RECEIVED_V4) || has(ext_id::IP_RECEIVED_V6) {
        r.received_ip
    } else {
        NO_ADDR
    };
    fields::write_addr(o, ra)?;
    write!(
        o,
        ",{}/{},{},",
        r.engine_type, r.engine_id, r.exporter_sysid
    )?;
    fields::write_time_ms(o, r.received_ms)
}

/// The `td` column: `%.3f` seconds of nfdump's unsigned `msecLast - msecFirst`, which wraps
/// when an exporter reports a flow ending before it started (seen with softflowd IPFIX):
/// nfdump then prints about 1.8e16 seconds, and so do we.
fn write_span(o: &mut String, first_ms: u64, last_ms: u64) -> std::fmt::Result {
    use std::fmt::Write as _;
    if last_ms >= first_ms {
        write!(o, "{}", fields::Seconds(last_ms - first_ms))
    } else {
        write!(o, "{:.3}", last_ms.wrapping_sub(first_ms) as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_duration_like_nfdump() {
        // From nfdump 1.7.1 on fixtures/nfdump/gen/v171-ipfix-lz4.nf: last 7 s before first.
        let mut o = String::new();
        write_span(&mut o, 1_798_659_747_000, 1_798_659_740_000).unwrap();
        assert_eq!(o, "18446744073709544.000");
    }

    #[test]
    fn header_has_48_columns() {
        assert_eq!(HEADER.split(',').count(), 48);
    }

    #[test]
    fn summary_averages_truncate() {
        // Numbers from nfdump 1.7.1 on v171-nfcapd-ipfix-none.nf: 1611 bytes, 17 packets
        // over 4.0 s -> 3222 bps, 4 pps, 94 bpp.
        let s = CsvSummary {
            flows: 10,
            bytes: 1611,
            packets: 17,
            first_ms: 1_700_000_000_000,
            last_ms: 1_700_000_004_000,
        };
        assert_eq!(s.averages(), (3222, 4, 94));
        let zero = CsvSummary {
            last_ms: s.first_ms,
            ..s
        };
        assert_eq!(zero.averages(), (0, 0, 0));
    }

    #[test]
    fn quiet_writes_only_lines() {
        let mut w = CsvWriter::new(Vec::new(), true).unwrap();
        w.write(&FlowRecord::default()).unwrap();
        let s = *w.summary();
        let out = String::from_utf8(w.finish(&s).unwrap()).unwrap();
        assert_eq!(out.lines().count(), 1);
        assert_eq!(out.split(',').count(), 48);
    }
}
