//! Output formats (`-o`): selecting one by name and printing records in it.
//!
//! [`Printer`] owns the per-run state a format needs (record counter for `%cnt`/raw, whether a
//! JSON separator is due) and writes into a `String` buffer the caller flushes, so the hot
//! path never locks stdout per record.

pub mod csv;
pub mod fmt;
pub mod json;
pub mod ndjson;
pub mod pipe;
pub mod raw;

use rf_format::FlowRecord;

pub use fmt::{FmtError, FmtOptions, Format};

/// Which footer follows the records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Footer {
    /// The plain-text `Summary:` block.
    Text,
    /// csv's `Summary` block.
    Csv,
    /// None (pipe, json, ndjson).
    None,
}

/// A selected output format.
#[derive(Clone, Debug)]
pub enum Kind {
    /// A fmt string (every predefined text format is one).
    Fmt(Box<Format>),
    /// `-o raw`.
    Raw,
    /// `-o json`.
    Json,
    /// `-o ndjson` (rflow extension).
    Ndjson,
    /// `-o pipe`.
    Pipe,
    /// `-o csv`.
    Csv,
    /// `-o null`.
    Null,
}

/// Why an `-o` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// Not a known format name.
    Unknown(String),
    /// `-o fmt:` with nothing after it.
    EmptyFmt,
    /// A fmt string with a bad token.
    Fmt(FmtError),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Unknown(s) => write!(f, "Unknown output mode '{s}'"),
            FormatError::EmptyFmt => {
                f.write_str("Missing format description for user defined output format!")
            }
            FormatError::Fmt(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for FormatError {}

/// Parses an `-o` value. `opts.long_v6` is also switched on by a `6` suffix (`line6`).
/// `custom` holds `fmt.<name>` definitions from a config file.
///
/// # Errors
/// Unknown names and bad fmt strings.
pub fn parse_kind(
    spec: &str,
    mut opts: FmtOptions,
    custom: &[(String, String)],
) -> Result<Kind, FormatError> {
    let fmt = |s: &str, o: FmtOptions| {
        Format::parse(s, o)
            .map(|f| Kind::Fmt(Box::new(f)))
            .map_err(FormatError::Fmt)
    };
    // The `fmt:` prefix in any case, as nfdump takes it.
    if let Some(rest) = spec
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("fmt:"))
        .and_then(|_| spec.get(4..))
    {
        if rest.is_empty() {
            return Err(FormatError::EmptyFmt);
        }
        return fmt(rest, opts);
    }
    if spec.starts_with('%') {
        return fmt(spec, opts);
    }
    let mut name = spec.to_ascii_lowercase();
    if name.len() > 2 && name.ends_with('6') {
        name.pop();
        opts.long_v6 = true;
    }
    if let Some((_, f)) = custom.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
        return fmt(f, opts);
    }
    match name.as_str() {
        "raw" => Ok(Kind::Raw),
        "json" => Ok(Kind::Json),
        "ndjson" => Ok(Kind::Ndjson),
        "pipe" => Ok(Kind::Pipe),
        "csv" => Ok(Kind::Csv),
        "null" => Ok(Kind::Null),
        other => match fmt::predefined(other) {
            Some(f) => fmt(f, opts),
            None => Err(FormatError::Unknown(spec.to_string())),
        },
    }
}

/// Prints records in one format.
#[derive(Debug, Clone)]
pub struct Printer {
    kind: Kind,
    quiet: bool,
    seq: u64,
    json_first: bool,
}

impl Printer {
    /// A printer; `quiet` (`-q`) drops headers, footers and JSON brackets.
    pub fn new(kind: Kind, quiet: bool) -> Printer {
        Printer {
            kind,
            quiet,
            seq: 0,
            json_first: true,
        }
    }

    /// The selected format.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// Whether records can be rendered independently on worker threads: the format neither
    /// numbers records (`%cnt`, raw) nor separates them (json).
    pub fn renders_independently(&self) -> bool {
        match &self.kind {
            Kind::Fmt(f) => !f.numbers_records(),
            Kind::Csv | Kind::Pipe | Kind::Ndjson | Kind::Null => true,
            Kind::Raw | Kind::Json => false,
        }
    }

    /// Which footer the format prints.
    pub fn footer(&self) -> Footer {
        match self.kind {
            Kind::Fmt(_) | Kind::Raw | Kind::Null => Footer::Text,
            Kind::Csv => Footer::Csv,
            Kind::Json | Kind::Ndjson | Kind::Pipe => Footer::None,
        }
    }

    /// The column header line of a text format (used by `-s record` tables too).
    pub fn header_line(&self) -> Option<String> {
        match &self.kind {
            Kind::Fmt(f) => Some(f.header()),
            Kind::Csv => Some(csv::HEADER.to_string()),
            _ => None,
        }
    }

    /// Writes what comes before the first record (header line, `[`), unless quiet.
    pub fn prolog(&mut self, out: &mut String) {
        if self.quiet {
            return;
        }
        match &self.kind {
            Kind::Json => out.push_str("[\n"),
            _ => {
                if let Some(h) = self.header_line() {
                    out.push_str(&h);
                    out.push('\n');
                }
            }
        }
    }

    /// Writes one record, numbering records in print order (`%cnt`, raw `RecordCount`).
    pub fn record(&mut self, r: &FlowRecord, out: &mut String) {
        self.seq += 1;
        self.record_numbered(r, self.seq, out);
    }

    /// Writes one record with an explicit record number (its position in the input, as
    /// nfdump numbers records in plain listings).
    pub fn record_numbered(&mut self, r: &FlowRecord, seq: u64, out: &mut String) {
        self.seq = seq;
        match &self.kind {
            Kind::Fmt(f) => f.render(r, self.seq, out),
            Kind::Raw => raw::render(r, self.seq, out),
            Kind::Json => {
                if !self.json_first {
                    out.push_str(",\n");
                }
                self.json_first = false;
                json::render(r, out);
            }
            Kind::Ndjson => ndjson::render(r, out),
            Kind::Pipe => pipe::render(r, out),
            Kind::Csv => {
                let _ = csv::render(out, r);
                out.push('\n');
            }
            Kind::Null => {}
        }
    }

    /// Writes what follows the last record (`]`).
    pub fn epilog(&mut self, out: &mut String) {
        if let Kind::Json = self.kind {
            // nfdump ends a quiet JSON listing without a newline.
            if !self.quiet {
                out.push_str("]\n");
            }
        }
    }

    /// Restarts record numbering and JSON separators (a new `-s record` table).
    pub fn reset(&mut self) {
        self.seq = 0;
        self.json_first = true;
    }

    /// Restarts record numbering only.
    pub fn reset_numbering(&mut self) {
        self.seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_suffixes() {
        assert!(matches!(
            parse_kind("LINE", FmtOptions::default(), &[]),
            Ok(Kind::Fmt(_))
        ));
        // The fmt: prefix in any case; an empty description is an error, as in nfdump.
        assert!(matches!(
            parse_kind("FMT:%sa", FmtOptions::default(), &[]),
            Ok(Kind::Fmt(_))
        ));
        assert_eq!(
            parse_kind("fmt:", FmtOptions::default(), &[]).unwrap_err(),
            FormatError::EmptyFmt
        );
        let Ok(Kind::Fmt(f)) = parse_kind("line6", FmtOptions::default(), &[]) else {
            panic!("line6 is a format")
        };
        assert!(
            f.header()
                .contains("                       Src IP Addr:Port")
        );
        assert_eq!(
            parse_kind("bogus", FmtOptions::default(), &[])
                .unwrap_err()
                .to_string(),
            "Unknown output mode 'bogus'"
        );
        assert!(matches!(
            parse_kind("%sa %da", FmtOptions::default(), &[]),
            Ok(Kind::Fmt(_))
        ));
        let custom = vec![("mine".to_string(), "%sa".to_string())];
        let Ok(Kind::Fmt(f)) = parse_kind("mine", FmtOptions::default(), &custom) else {
            panic!("custom format")
        };
        assert_eq!(f.header(), "     Src IP Addr");
    }
}
