//! Packet builder shared by NetFlow v9 and IPFIX: both are template based and differ only in the
//! message header, the template set id and whether data sets are padded.
//!
//! Templates are sent lazily: the first record of a shape puts its template set into the packet
//! right before the data set that uses it, and after a refresh (every N packets or T
//! milliseconds, because UDP can lose the first copy and a collector started later needs one)
//! each template is sent again the next time it is used.

use std::collections::HashMap;

use rf_format::FlowRecord;

use super::fields::{Field, fields_of, shape_of};
use crate::ie;

/// v9 header: version, count, sysUptime, unix secs, sequence, source id.
const V9_HEADER: usize = 20;
/// IPFIX header: version, length, export time, sequence, observation domain.
const IPFIX_HEADER: usize = 16;
/// Set header: id and length.
const SET_HEADER: usize = 4;
/// Most templates kept at once.
const MAX_TEMPLATES: usize = 1024;

struct Template {
    id: u16,
    fields: Vec<Field>,
    record_len: usize,
    /// Whether the template was sent since the last refresh.
    sent: bool,
}

impl Template {
    /// Bytes of a template set holding only this template.
    fn set_len(&self) -> usize {
        SET_HEADER + 4 + 4 * self.fields.len()
    }
}

/// Builds v9 or IPFIX packets.
pub(crate) struct TemplateBuilder {
    ipfix: bool,
    mtu: usize,
    source_id: u32,
    refresh_packets: u32,
    refresh_ms: u64,
    /// Start of the exporter's "uptime" (v9 sysUptime is relative to it).
    boot_ms: u64,
    templates: Vec<Template>,
    by_shape: HashMap<u32, usize>,
    buf: Vec<u8>,
    /// Start offset and template index of the open data set.
    open_set: Option<(usize, usize)>,
    /// Records (templates + data) in the packet: the v9 header count.
    count: u16,
    /// Data records in the packet (for the IPFIX sequence number).
    data_records: u32,
    /// v9: packets sent; IPFIX: data records sent (the protocols count differently).
    sequence: u32,
    packets_since_refresh: u32,
    last_refresh_ms: u64,
}

impl TemplateBuilder {
    pub(crate) fn new(
        ipfix: bool,
        mtu: usize,
        source_id: u32,
        refresh_packets: u32,
        refresh_ms: u64,
    ) -> Self {
        TemplateBuilder {
            ipfix,
            mtu,
            source_id,
            refresh_packets: refresh_packets.max(1),
            refresh_ms,
            boot_ms: 0,
            templates: Vec::new(),
            by_shape: HashMap::new(),
            buf: Vec::with_capacity(mtu),
            open_set: None,
            count: 0,
            data_records: 0,
            sequence: 0,
            packets_since_refresh: 0,
            last_refresh_ms: 0,
        }
    }

    fn header_len(&self) -> usize {
        if self.ipfix { IPFIX_HEADER } else { V9_HEADER }
    }

    pub(crate) fn has_pending(&self) -> bool {
        self.data_records > 0
    }

    /// Index of the template for `r`, creating it on first use.
    fn template_for(&mut self, r: &FlowRecord) -> usize {
        let shape = shape_of(r);
        if let Some(&i) = self.by_shape.get(&shape) {
            return i;
        }
        if self.templates.len() >= MAX_TEMPLATES {
            // Far more shapes than real data has: start over with fresh ids rather than let
            // the table (and a collector's) grow without bound. Reused ids are announced again
            // before their first data set, and collectors replace a template on redefinition.
            self.close_set();
            self.templates.clear();
            self.by_shape.clear();
        }
        let fields = fields_of(shape, self.ipfix);
        let record_len = fields.iter().map(|f| f.len()).sum();
        let i = self.templates.len();
        // At most MAX_TEMPLATES ids, far below the u16 limit.
        let id = u16::try_from(usize::from(ie::v9::MIN_DATA_SET) + i).unwrap_or(u16::MAX);
        self.templates.push(Template {
            id,
            fields,
            record_len,
            sent: false,
        });
        self.by_shape.insert(shape, i);
        i
    }

    /// Bytes `r` would add to the current packet, given template `t`.
    fn needed(&self, t: usize) -> usize {
        let tpl = &self.templates[t];
        let mut n = tpl.record_len;
        let switching = self.open_set.map(|(_, o)| o) != Some(t);
        if !tpl.sent {
            n += tpl.set_len();
        }
        if switching || !tpl.sent {
            // Padding that closes the open set, plus the new data set header.
            n += SET_HEADER + self.max_pad();
        }
        // Padding that will close the set this record goes into.
        n += self.max_pad();
        if self.buf.is_empty() {
            n += self.header_len();
        }
        n
    }

    /// Most padding a data set can need: v9 pads sets to 32 bits, IPFIX does not pad.
    fn max_pad(&self) -> usize {
        if self.ipfix { 0 } else { 3 }
    }

    /// Adds a record, emitting the current packet first when the record does not fit.
    pub(crate) fn push<E>(
        &mut self,
        r: &FlowRecord,
        now_ms: u64,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.boot_ms == 0 {
            self.boot_ms = now_ms;
            self.last_refresh_ms = now_ms;
        }
        let t = self.template_for(r);
        if !self.buf.is_empty() && self.buf.len() + self.needed(t) > self.mtu {
            self.flush(now_ms, sink)?;
        }
        if self.buf.is_empty() {
            self.start_packet(now_ms);
        }
        if !self.templates[t].sent {
            self.close_set();
            self.write_template(t);
        }
        if self.open_set.map(|(_, o)| o) != Some(t) {
            self.close_set();
            let start = self.buf.len();
            self.buf
                .extend_from_slice(&self.templates[t].id.to_be_bytes());
            self.buf.extend_from_slice(&[0, 0]);
            self.open_set = Some((start, t));
        }
        for f in &self.templates[t].fields {
            f.write(r, &mut self.buf);
        }
        self.count = self.count.saturating_add(1);
        self.data_records += 1;
        Ok(())
    }

    /// Opens a new packet; when a refresh is due, every template is sent again on next use.
    fn start_packet(&mut self, now_ms: u64) {
        if self.packets_since_refresh >= self.refresh_packets
            || now_ms.saturating_sub(self.last_refresh_ms) >= self.refresh_ms
        {
            for t in &mut self.templates {
                t.sent = false;
            }
            self.packets_since_refresh = 0;
            self.last_refresh_ms = now_ms;
        }
        self.buf.resize(self.header_len(), 0);
    }

    fn write_template(&mut self, t: usize) {
        let set_id = if self.ipfix {
            ie::ipfix::TEMPLATE_SET
        } else {
            ie::v9::TEMPLATE_SET
        };
        let tpl = &mut self.templates[t];
        let len = u16::try_from(tpl.set_len()).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&set_id.to_be_bytes());
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(&tpl.id.to_be_bytes());
        let n = u16::try_from(tpl.fields.len()).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&n.to_be_bytes());
        for f in &tpl.fields {
            self.buf.extend_from_slice(&f.ie(self.ipfix).to_be_bytes());
            let l = u16::try_from(f.len()).unwrap_or(u16::MAX);
            self.buf.extend_from_slice(&l.to_be_bytes());
        }
        tpl.sent = true;
        self.count = self.count.saturating_add(1);
    }

    /// Closes the open data set: pads it (v9 asks for 32-bit alignment) and writes its length.
    fn close_set(&mut self) {
        let Some((start, _)) = self.open_set.take() else {
            return;
        };
        if !self.ipfix {
            while !(self.buf.len() - start).is_multiple_of(4) {
                self.buf.push(0);
            }
        }
        let len = u16::try_from(self.buf.len() - start).unwrap_or(u16::MAX);
        self.buf[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
    }

    /// Finishes and emits the current packet, if any.
    pub(crate) fn flush<E>(
        &mut self,
        now_ms: u64,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.close_set();
        let secs = u32::try_from(now_ms / 1000).unwrap_or(u32::MAX);
        let mut h = Vec::with_capacity(V9_HEADER);
        if self.ipfix {
            let len = u16::try_from(self.buf.len()).unwrap_or(u16::MAX);
            h.extend_from_slice(&10u16.to_be_bytes());
            h.extend_from_slice(&len.to_be_bytes());
            h.extend_from_slice(&secs.to_be_bytes());
            // IPFIX: sequence = data records sent before this message.
            h.extend_from_slice(&self.sequence.to_be_bytes());
            h.extend_from_slice(&self.source_id.to_be_bytes());
        } else {
            // v9 sysUptime wraps after 49.7 days, as on a router.
            let uptime = (now_ms.wrapping_sub(self.boot_ms) & 0xffff_ffff) as u32;
            h.extend_from_slice(&9u16.to_be_bytes());
            h.extend_from_slice(&self.count.to_be_bytes());
            h.extend_from_slice(&uptime.to_be_bytes());
            h.extend_from_slice(&secs.to_be_bytes());
            // v9: sequence = packets sent before this one.
            h.extend_from_slice(&self.sequence.to_be_bytes());
            h.extend_from_slice(&self.source_id.to_be_bytes());
        }
        self.buf[..h.len()].copy_from_slice(&h);
        let res = sink(&self.buf);
        self.sequence = if self.ipfix {
            self.sequence.wrapping_add(self.data_records)
        } else {
            self.sequence.wrapping_add(1)
        };
        self.buf.clear();
        self.count = 0;
        self.data_records = 0;
        self.packets_since_refresh += 1;
        res
    }
}
