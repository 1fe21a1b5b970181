//! NetFlow v9 / IPFIX templates: parsing template and options-template sets into a compact
//! description, and the bounded per-exporter template store.
//!
//! Templates come from the network, so everything is checked before it is believed: field
//! counts must fit in the set, lengths of zero are refused, the number of fields per template
//! and of templates per exporter is capped, and nothing is allocated from a count that has not
//! been checked against the bytes actually present.

use std::sync::Arc;

use rf_format::native::ColumnSet;
use rf_format::{ExtSet, ext_id};

use crate::cursor::u16_at;
use crate::error::DecodeError;
use crate::fields::{Op, op_of};
use crate::ie;

/// Most fields a template may have (real exporters use < 100).
pub const MAX_FIELDS: usize = 512;
/// Most templates kept per exporter.
pub const MAX_TEMPLATES_PER_EXPORTER: usize = 1024;
/// Most templates kept in total by default (see [`Store::with_limit`]).
pub const MAX_TEMPLATES: usize = 65536;

/// One template field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Element id (enterprise bit cleared).
    pub id: u16,
    /// Enterprise number (0 for IANA elements).
    pub enterprise: u32,
    /// Encoded length, or [`ie::VARLEN`].
    pub len: u16,
}

/// Whether a template describes flow records or options (metadata) records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Flow data.
    Data,
    /// Options data (sampling, system init time, ...); `scope` leading fields are scope fields.
    Options {
        /// Number of scope fields.
        scope: usize,
    },
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// Template id (>= 256).
    pub id: u16,
    /// Data or options.
    pub kind: Kind,
    /// Fields in wire order.
    pub fields: Vec<Field>,
    /// Smallest possible record length (variable-length fields count as 1 byte).
    pub min_len: usize,
    /// Whether any field is variable length.
    pub varlen: bool,
    /// nfdump extension elements a record decoded with this template carries.
    pub ext: ExtSet,
    /// Whether records are NSEL/NEL events (firewall or NAT event field): nfcapd flags them.
    pub event: bool,
    /// The template record exactly as it came off the wire. Parsing is a pure function of
    /// these bytes, so a refresh carrying the same bytes needs no parsing at all
    /// ([`Store::unchanged`]); exporters resend their templates often (nfreplay: before every
    /// data set).
    pub raw: Box<[u8]>,
    /// What each field does with its value, in wire order (decided once, here, rather than
    /// for every record).
    pub(crate) plan: Vec<Step>,
    /// The columns its records may hold values in ([`crate::fields::columns_of`]).
    pub(crate) columns: ColumnSet,
}

/// One field of a template's decoding plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    /// Encoded length, or [`ie::VARLEN`].
    pub len: u16,
    /// What the value does.
    pub op: Op,
}

/// Which protocol a template belongs to; a few element mappings differ (nfcapd 1.7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// NetFlow v9.
    V9,
    /// IPFIX.
    Ipfix,
}

impl Template {
    fn new(id: u16, kind: Kind, fields: Vec<Field>, proto: Proto, raw: &[u8]) -> Template {
        let mut min_len = 0usize;
        let mut varlen = false;
        let mut ext = ExtSet::default();
        let mut event = false;
        for f in &fields {
            if f.len == ie::VARLEN {
                varlen = true;
                min_len += 1;
            } else {
                min_len += usize::from(f.len);
            }
            if f.enterprise == 0 {
                if let Some(e) = element_of(f.id, proto) {
                    ext.set(e);
                }
                event |= matches!(f.id, ie::FIREWALL_EVENT | ie::NF_F_FW_EVENT | ie::NAT_EVENT);
            }
        }
        let plan: Vec<Step> = fields
            .iter()
            .map(|f| Step {
                len: f.len,
                op: if f.enterprise == 0 {
                    op_of(f.id, proto)
                } else {
                    Op::Ignore
                },
            })
            .collect();
        if kind == Kind::Data {
            ext.set(ext_id::GENERIC);
            // nfcapd stores the NEL event time in EXnatCommon when the template is a NAT one.
            if ext.has(ext_id::NAT_COMMON) && ext.has(ext_id::NSEL_COMMON) {
                let nsel_only = fields.iter().any(|f| {
                    f.enterprise == 0
                        && matches!(
                            f.id,
                            ie::FIREWALL_EVENT
                                | ie::NF_F_FW_EVENT
                                | ie::NF_F_FW_EXT_EVENT
                                | ie::FLOW_ID
                        )
                });
                if !nsel_only {
                    ext.clear(ext_id::NSEL_COMMON);
                }
            }
        }
        Template {
            id,
            kind,
            fields,
            min_len,
            varlen,
            ext,
            event,
            raw: raw.into(),
            columns: crate::fields::columns_of(&plan),
            plan,
        }
    }

    /// Whether this is an options template.
    pub fn is_options(&self) -> bool {
        matches!(self.kind, Kind::Options { .. })
    }
}

/// The nfdump element an IE lands in (nfcapd 1.7.1 mapping, `nffile-format.md` §4.6).
pub fn element_of(id: u16, proto: Proto) -> Option<u8> {
    use ext_id::*;
    use ie::*;
    Some(match id {
        IN_BYTES | IN_PKTS | PROTOCOL | SRC_TOS | TCP_FLAGS | L4_SRC_PORT | L4_DST_PORT
        | FORWARDING_STATUS | OCTET_TOTAL_COUNT | PACKET_TOTAL_COUNT | INITIATOR_OCTETS
        | INITIATOR_PACKETS | UDP_SRC_PORT | UDP_DST_PORT | TCP_SRC_PORT | TCP_DST_PORT
        | ICMP_TYPE | ICMP_TYPE_CODE_IPV6 => GENERIC,
        IPV4_SRC_ADDR | IPV4_DST_ADDR => IPV4,
        IPV6_SRC_ADDR | IPV6_DST_ADDR => IPV6,
        INPUT_SNMP | OUTPUT_SNMP | SRC_MASK | DST_MASK | IPV6_SRC_MASK | IPV6_DST_MASK
        | DIRECTION | DST_TOS | BIFLOW_DIRECTION => FLOW_MISC,
        // nfcapd 1.7.1 maps flowEndReason for IPFIX only (verified against its v9 output).
        FLOW_END_REASON if proto == Proto::Ipfix => FLOW_MISC,
        FLOWS
        | FLOW_DELTA_COUNT
        | OUT_BYTES
        | OUT_PKTS
        | OCTET_DELTA_COUNT_REV
        | PACKET_DELTA_COUNT_REV
        | RESPONDER_OCTETS
        | RESPONDER_PACKETS => CNT_FLOW,
        SRC_VLAN | DST_VLAN => VLAN,
        SRC_AS | DST_AS => AS_ROUTING,
        BGP_IPV4_NEXT_HOP => BGP_NEXT_HOP_V4,
        BGP_IPV6_NEXT_HOP => BGP_NEXT_HOP_V6,
        IPV4_NEXT_HOP => IP_NEXT_HOP_V4,
        IPV6_NEXT_HOP => IP_NEXT_HOP_V6,
        MPLS_LABEL_1..=MPLS_LABEL_10 => MPLS,
        IN_SRC_MAC | OUT_DST_MAC | IN_DST_MAC | OUT_SRC_MAC => MAC,
        BGP_NEXT_ADJACENT_AS | BGP_PREV_ADJACENT_AS => AS_ADJACENT,
        FIREWALL_EVENT
        | NF_F_FW_EVENT
        | NF_F_FW_EXT_EVENT
        | ie::FLOW_ID
        | OBSERVATION_TIME_MILLISECONDS => NSEL_COMMON,
        POST_NAT_SRC_IPV4
        | POST_NAT_DST_IPV4
        | NF_F_XLATE_SRC_ADDR_IPV4
        | NF_F_XLATE_DST_ADDR_IPV4 => NAT_XLATE_V4,
        POST_NAT_SRC_IPV6 | POST_NAT_DST_IPV6 => NAT_XLATE_V6,
        POST_NAPT_SRC_PORT | POST_NAPT_DST_PORT | NF_F_XLATE_SRC_PORT | NF_F_XLATE_DST_PORT => {
            NAT_XLATE_PORT
        }
        NF_F_INGRESS_ACL_ID | NF_F_EGRESS_ACL_ID => NSEL_ACL,
        NF_F_USERNAME => NSEL_USER,
        NAT_EVENT | NAT_POOL_ID => NAT_COMMON,
        PORT_RANGE_START | PORT_RANGE_END | PORT_RANGE_STEP_SIZE | PORT_RANGE_NUM_PORTS => {
            NAT_PORT_BLOCK
        }
        APPLICATION_ID => NBAR_APP,
        INGRESS_VRF_ID | EGRESS_VRF_ID => VRF,
        OBSERVATION_POINT_ID | OBSERVATION_DOMAIN_ID if proto == Proto::Ipfix => OBSERVATION,
        _ => return None,
    })
}

/// Result of parsing one template record.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A new or refreshed template.
    Add(Template),
    /// IPFIX withdrawal of one template id.
    Withdraw(u16),
    /// IPFIX withdrawal of all templates of the set's kind.
    WithdrawAll,
}

/// Parses every record of a template or options-template set (`body` = set without its 4-byte
/// header; `base` = offset of `body` in the datagram, for error messages). Records before a
/// bad one are returned with the error: they are complete and valid.
pub fn parse_set(
    body: &[u8],
    base: usize,
    proto: Proto,
    options: bool,
) -> (Vec<Parsed>, Option<DecodeError>) {
    let mut out = Vec::new();
    let mut off = 0usize;
    // Anything shorter than a template header is set padding.
    while body.len().saturating_sub(off) >= 4 {
        match parse_record(body, off, base, proto, options) {
            Ok((p, used)) => {
                out.push(p);
                off += used;
            }
            Err(e) => return (out, Some(e)),
        }
        if out.len() > MAX_TEMPLATES_PER_EXPORTER {
            return (out, Some(DecodeError::Limit("templates in one set")));
        }
    }
    (out, None)
}

/// Parses the template record at `off` of a template set body (see [`parse_set`]); returns it
/// with the number of bytes it used. The result depends only on those bytes (and `proto`,
/// `options`), never on what follows them.
///
/// # Errors
/// A truncated or invalid record.
pub fn parse_record(
    body: &[u8],
    off: usize,
    base: usize,
    proto: Proto,
    options: bool,
) -> Result<(Parsed, usize), DecodeError> {
    match (proto, options) {
        (Proto::V9, false) => parse_v9_template(body, off, base),
        (Proto::V9, true) => parse_v9_options(body, off, base),
        (Proto::Ipfix, _) => parse_ipfix_template(body, off, base, options),
    }
}

fn check_id(id: u16, at: usize) -> Result<(), DecodeError> {
    if id < 256 {
        return Err(DecodeError::Invalid {
            what: "template id",
            offset: at,
        });
    }
    Ok(())
}

/// Checks that `count` fields of at least `each` bytes fit in what is left and in the cap.
fn check_count(
    body: &[u8],
    off: usize,
    count: usize,
    each: usize,
    at: usize,
) -> Result<(), DecodeError> {
    if count > MAX_FIELDS || count.saturating_mul(each) > body.len().saturating_sub(off) {
        return Err(DecodeError::Invalid {
            what: "template field count",
            offset: at,
        });
    }
    Ok(())
}

/// `count` (type, length) pairs starting at `p`; `count` was checked against the bytes present.
fn v9_fields(
    body: &[u8],
    mut p: usize,
    count: usize,
    base: usize,
) -> Result<Vec<Field>, DecodeError> {
    let mut fields = Vec::with_capacity(count);
    for _ in 0..count {
        let id = u16_at(body, p, "v9 field type")?;
        let len = u16_at(body, p + 2, "v9 field length")?;
        if len == 0 {
            return Err(DecodeError::Invalid {
                what: "zero field length",
                offset: base + p,
            });
        }
        fields.push(Field {
            id,
            enterprise: 0,
            len,
        });
        p += 4;
    }
    Ok(fields)
}

fn parse_v9_template(body: &[u8], off: usize, base: usize) -> Result<(Parsed, usize), DecodeError> {
    let at = base + off;
    let id = u16_at(body, off, "v9 template id")?;
    let count = usize::from(u16_at(body, off + 2, "v9 template field count")?);
    check_id(id, at)?;
    if count == 0 {
        return Err(DecodeError::Invalid {
            what: "empty v9 template",
            offset: at,
        });
    }
    check_count(body, off + 4, count, 4, at)?;
    let fields = v9_fields(body, off + 4, count, base)?;
    let used = 4 + 4 * count;
    let raw = &body[off..off + used];
    Ok((
        Parsed::Add(Template::new(id, Kind::Data, fields, Proto::V9, raw)),
        used,
    ))
}

fn parse_v9_options(body: &[u8], off: usize, base: usize) -> Result<(Parsed, usize), DecodeError> {
    let at = base + off;
    let id = u16_at(body, off, "v9 options template id")?;
    let scope_len = usize::from(u16_at(body, off + 2, "v9 option scope length")?);
    let opt_len = usize::from(u16_at(body, off + 4, "v9 option length")?);
    check_id(id, at)?;
    if scope_len % 4 != 0 || opt_len % 4 != 0 || scope_len + opt_len == 0 {
        return Err(DecodeError::Invalid {
            what: "v9 options template lengths",
            offset: at,
        });
    }
    let count = (scope_len + opt_len) / 4;
    check_count(body, off + 6, count, 4, at)?;
    let fields = v9_fields(body, off + 6, count, base)?;
    // Scope fields carry v9 scope types (1 = System, ...), not element ids; options records
    // only feed sampling/time state, so reading them as elements is harmless.
    let used = 6 + 4 * count;
    let t = Template::new(
        id,
        Kind::Options {
            scope: scope_len / 4,
        },
        fields,
        Proto::V9,
        &body[off..off + used],
    );
    Ok((Parsed::Add(t), used))
}

fn parse_ipfix_template(
    body: &[u8],
    off: usize,
    base: usize,
    options: bool,
) -> Result<(Parsed, usize), DecodeError> {
    let at = base + off;
    let id = u16_at(body, off, "IPFIX template id")?;
    let count = usize::from(u16_at(body, off + 2, "IPFIX template field count")?);
    if count == 0 {
        // Withdrawal (RFC 7011 §8.1): set id 2/3 with template id == set id withdraws all.
        if id == ie::ipfix::TEMPLATE_SET || id == ie::ipfix::OPTIONS_TEMPLATE_SET {
            return Ok((Parsed::WithdrawAll, 4));
        }
        check_id(id, at)?;
        return Ok((Parsed::Withdraw(id), 4));
    }
    check_id(id, at)?;
    let mut p = off + 4;
    let scope = if options {
        let s = usize::from(u16_at(body, p, "IPFIX scope field count")?);
        p += 2;
        if s == 0 || s > count {
            return Err(DecodeError::Invalid {
                what: "IPFIX scope field count",
                offset: at,
            });
        }
        s
    } else {
        0
    };
    check_count(body, p, count, 4, at)?;
    let mut fields = Vec::with_capacity(count);
    for _ in 0..count {
        let raw = u16_at(body, p, "IPFIX field id")?;
        let len = u16_at(body, p + 2, "IPFIX field length")?;
        p += 4;
        let enterprise = if raw & ie::ENTERPRISE_BIT != 0 {
            let e = crate::cursor::u32_at(body, p, "IPFIX enterprise number")?;
            p += 4;
            e
        } else {
            0
        };
        if len == 0 {
            return Err(DecodeError::Invalid {
                what: "zero field length",
                offset: base + p - 4,
            });
        }
        fields.push(Field {
            id: raw & !ie::ENTERPRISE_BIT,
            enterprise,
            len,
        });
    }
    let kind = if options {
        Kind::Options { scope }
    } else {
        Kind::Data
    };
    Ok((
        Parsed::Add(Template::new(id, kind, fields, Proto::Ipfix, &body[off..p])),
        p - off,
    ))
}

/// Templates of all exporters, keyed by (exporter index, template id), with caps.
///
/// Exporter indices are dense (the decoder numbers exporters from 0), so each exporter has
/// its own list of templates sorted by id: a lookup is an index and a binary search over at
/// most [`MAX_TEMPLATES_PER_EXPORTER`] ids, with no hashing (the store is consulted for every
/// data set and every template record an exporter resends).
#[derive(Debug, Default)]
pub struct Store {
    // Shared so a data set can hold its template while the decoder updates exporter state.
    by_exporter: Vec<Vec<(u16, Arc<Template>)>>,
    /// Templates held in total.
    total: usize,
    /// Total cap; 0 means [`MAX_TEMPLATES`].
    limit: usize,
}

impl Store {
    /// A store keeping at most `limit` templates in total.
    pub fn with_limit(limit: usize) -> Store {
        Store {
            limit,
            ..Store::default()
        }
    }

    fn list(&self, exporter: usize) -> &[(u16, Arc<Template>)] {
        self.by_exporter.get(exporter).map_or(&[], Vec::as_slice)
    }

    /// The template `id` of `exporter`, where it is stored.
    pub fn find(&self, exporter: usize, id: u16) -> Option<&Arc<Template>> {
        let l = self.list(exporter);
        if l.len() <= 8 {
            // The usual exporter has a handful of templates: a scan beats the branches of a
            // binary search.
            return l.iter().find(|(i, _)| *i == id).map(|(_, t)| t);
        }
        l.binary_search_by_key(&id, |&(i, _)| i)
            .ok()
            .map(|i| &l[i].1)
    }

    /// Adds or refreshes a template. Fails when a cap would be exceeded.
    pub fn insert(&mut self, exporter: usize, t: Template) -> Result<(), DecodeError> {
        let limit = if self.limit == 0 {
            MAX_TEMPLATES
        } else {
            self.limit
        };
        if self.by_exporter.len() <= exporter {
            self.by_exporter.resize_with(exporter + 1, Vec::new);
        }
        let l = &mut self.by_exporter[exporter];
        match l.binary_search_by_key(&t.id, |&(i, _)| i) {
            Ok(i) => l[i].1 = Arc::new(t),
            Err(i) => {
                if l.len() >= MAX_TEMPLATES_PER_EXPORTER || self.total >= limit {
                    return Err(DecodeError::Limit("templates"));
                }
                l.insert(i, (t.id, Arc::new(t)));
                self.total += 1;
            }
        }
        Ok(())
    }

    /// When the template record at the start of `rec` is byte for byte the one stored for
    /// `exporter` (same id, same kind), the number of bytes it spans: refreshing with it would
    /// change nothing, so it need not be parsed.
    pub fn unchanged(&self, exporter: usize, id: u16, options: bool, rec: &[u8]) -> Option<usize> {
        let t = self.find(exporter, id)?;
        // A parsed record is never shorter than its 4-byte header; an empty `raw` (a template
        // built by hand) must not match, or the caller would make no progress.
        (t.raw.len() >= 4 && t.is_options() == options && rec.starts_with(&t.raw))
            .then_some(t.raw.len())
    }

    /// The template `id` of `exporter`.
    pub fn get(&self, exporter: usize, id: u16) -> Option<Arc<Template>> {
        self.find(exporter, id).cloned()
    }

    /// Removes one template.
    pub fn remove(&mut self, exporter: usize, id: u16) {
        if let Some(l) = self.by_exporter.get_mut(exporter)
            && let Ok(i) = l.binary_search_by_key(&id, |&(i, _)| i)
        {
            l.remove(i);
            self.total -= 1;
        }
    }

    /// Removes all data (or all options) templates of an exporter.
    pub fn remove_all(&mut self, exporter: usize, options: bool) {
        if let Some(l) = self.by_exporter.get_mut(exporter) {
            let before = l.len();
            l.retain(|(_, t)| t.is_options() != options);
            self.total -= before - l.len();
        }
    }

    /// Number of templates held.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether no template is held.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v9_tmpl(id: u16, fields: &[(u16, u16)]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&id.to_be_bytes());
        b.extend_from_slice(&(fields.len() as u16).to_be_bytes());
        for (t, l) in fields {
            b.extend_from_slice(&t.to_be_bytes());
            b.extend_from_slice(&l.to_be_bytes());
        }
        b
    }

    #[test]
    fn v9_template_elements() {
        let b = v9_tmpl(300, &[(8, 4), (12, 4), (1, 4), (2, 4), (10, 2), (136, 1)]);
        let (p, err) = parse_set(&b, 0, Proto::V9, false);
        assert_eq!(err, None);
        let Parsed::Add(t) = &p[0] else {
            panic!("expected a template")
        };
        assert_eq!(t.min_len, 19);
        assert_eq!(
            t.ext.ids().collect::<Vec<_>>(),
            vec![ext_id::GENERIC, ext_id::IPV4, ext_id::FLOW_MISC]
        );
    }

    #[test]
    fn hostile_templates_rejected() {
        // Field count far larger than the bytes present.
        let mut b = v9_tmpl(300, &[(8, 4)]);
        b[2] = 0xff;
        assert!(parse_set(&b, 0, Proto::V9, false).1.is_some());
        // Zero-length field.
        let b = v9_tmpl(300, &[(8, 0)]);
        assert!(parse_set(&b, 0, Proto::V9, false).1.is_some());
        // Template id below 256.
        let b = v9_tmpl(5, &[(8, 4)]);
        assert!(parse_set(&b, 0, Proto::V9, false).1.is_some());
        // Empty v9 template.
        let b = v9_tmpl(300, &[]);
        assert!(parse_set(&b, 0, Proto::V9, false).1.is_some());
    }

    #[test]
    fn ipfix_enterprise_varlen_and_withdrawal() {
        let mut b = Vec::new();
        b.extend_from_slice(&[0x01, 0x00, 0x00, 0x03]); // id 256, 3 fields
        b.extend_from_slice(&[0x00, 0x08, 0x00, 0x04]); // sourceIPv4Address
        b.extend_from_slice(&[0x80, 0x01, 0xff, 0xff, 0x00, 0x00, 0x01, 0x02]); // ent. varlen
        b.extend_from_slice(&[0x00, 0x5f, 0xff, 0xff]); // applicationId varlen
        b.extend_from_slice(&[0x01, 0x01, 0x00, 0x00]); // withdraw 257
        let (p, err) = parse_set(&b, 0, Proto::Ipfix, false);
        assert_eq!(err, None);
        let Parsed::Add(t) = &p[0] else {
            panic!("expected a template")
        };
        assert!(t.varlen);
        assert_eq!(t.fields[1].enterprise, 258);
        assert_eq!(t.fields[1].id, 1);
        assert_eq!(p[1], Parsed::Withdraw(257));
    }

    #[test]
    fn store_caps_templates() {
        let mut s = Store::default();
        for id in 0..MAX_TEMPLATES_PER_EXPORTER as u16 {
            let t = Template::new(256 + id, Kind::Data, vec![], Proto::V9, &[]);
            s.insert(0, t).unwrap();
        }
        let t = Template::new(60000, Kind::Data, vec![], Proto::V9, &[]);
        assert!(s.insert(0, t.clone()).is_err());
        // Refreshing an existing id is always allowed.
        let t = Template::new(256, Kind::Data, vec![], Proto::V9, &[]);
        assert!(s.insert(0, t).is_ok());
        s.remove(0, 256);
        assert_eq!(s.len(), MAX_TEMPLATES_PER_EXPORTER - 1);
        s.remove_all(0, false);
        assert!(s.is_empty());
    }
}
