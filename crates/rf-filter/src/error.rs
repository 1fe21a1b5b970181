//! Errors: [`ParseError`] points at the offending token of the filter text, [`Error`] wraps it
//! together with compile and I/O failures.

use std::fmt;
use std::path::PathBuf;

/// A syntax or value error at a byte range of the filter text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the bad token (the text length when the filter ended too early).
    pub offset: usize,
    /// Length of the bad token in bytes (at least 1).
    pub len: usize,
    /// What was expected or why the token is wrong.
    pub expected: String,
}

impl ParseError {
    pub(crate) fn new(offset: usize, len: usize, expected: impl Into<String>) -> Self {
        ParseError {
            offset,
            len: len.max(1),
            expected: expected.into(),
        }
    }

    /// Renders the error for a terminal: the line of `src` holding the error, then a caret line
    /// under the bad token followed by the message. Multi-line filters (`-f` files) get a
    /// `line N: ` prefix. A long line is cut to [`CONTEXT`] characters either side of the
    /// error (marked `...`), and control characters show as `?`, so the message stays a
    /// readable pair of lines whatever the filter holds.
    pub fn render(&self, src: &str) -> String {
        // Clamp to a char boundary so a hand-made error cannot make the slicing below panic.
        let mut off = self.offset.min(src.len());
        while !src.is_char_boundary(off) {
            off -= 1;
        }
        let line_start = src[..off].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[off..].find('\n').map_or(src.len(), |i| off + i);
        let chars: Vec<char> = src[line_start..line_end]
            .chars()
            .map(|c| match c {
                '\t' => ' ',
                c if c.is_control() => '?',
                c => c,
            })
            .collect();
        let prefix = if src.contains('\n') {
            format!("line {}: ", src[..off].matches('\n').count() + 1)
        } else {
            String::new()
        };
        // Columns count characters, so multi-byte text still lines up.
        let at = src[line_start..off].chars().count();
        let mut end = line_end.min(off.saturating_add(self.len));
        while !src.is_char_boundary(end) {
            end += 1;
        }
        let width = src.get(off..end).map_or(1, |s| s.chars().count().max(1));
        let from = at.saturating_sub(CONTEXT);
        let to = chars.len().min(at + width.min(CONTEXT) + CONTEXT);
        let mut line = String::new();
        if from > 0 {
            line.push_str("...");
        }
        line.extend(&chars[from..to]);
        if to < chars.len() {
            line.push_str("...");
        }
        let col = prefix.chars().count() + at - from + if from > 0 { 3 } else { 0 };
        format!(
            "{prefix}{line}\n{}{} {}",
            " ".repeat(col),
            "^".repeat(width.min(CONTEXT)),
            self.expected
        )
    }
}

/// Characters of a long filter line shown either side of an error.
pub const CONTEXT: usize = 60;

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.expected, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Any failure producing a [`crate::Filter`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text does not parse.
    #[error("filter error: {0}")]
    Parse(#[from] ParseError),
    /// A syntax tree that the parser would not produce (e.g. a qualifier a field does not take).
    #[error("invalid filter: {0}")]
    Invalid(String),
    /// A filter file (`-f`) or include file could not be read.
    #[error("cannot read filter file '{}': {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A syntax error in filter text given as a string; `rendered` shows the caret line.
    #[error("invalid filter expression:\n{rendered}")]
    Syntax {
        /// The error.
        error: ParseError,
        /// [`ParseError::render`] output.
        rendered: String,
    },
    /// A parse error in a filter file; `rendered` already shows the caret line.
    #[error("syntax error in filter file '{}':\n{rendered}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        error: ParseError,
        /// [`ParseError::render`] output.
        rendered: String,
    },
}
