//! Tokeniser (nom): splits filter text into words, quoted strings and punctuation, skipping
//! blanks and `#` comments, and remembers each token's byte offset for error carets.
//!
//! Numbers are left as words: whether `10` is a number or the start of a partial address
//! (`net 10/8`) depends on the keyword in front of it, which the parser knows.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, multispace1, not_line_ending};
use nom::combinator::{recognize, value};
use nom::sequence::{delimited, pair};
use nom::{IResult, Parser};

use crate::error::ParseError;

/// Kind of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `[A-Za-z0-9_:.-]+`: keywords, numbers, addresses, names.
    Word,
    /// `'...'` or `"..."`; the text excludes the quotes.
    Quoted,
    /// One of `( ) [ ] , / % ! = == < > <= >= && ||`.
    Punct,
}

/// One token: its kind, text and position in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// Kind.
    pub kind: Kind,
    /// Text (without quotes for [`Kind::Quoted`]).
    pub text: &'a str,
    /// Byte offset of the token in the source.
    pub offset: usize,
    /// Length in bytes in the source (including quotes).
    pub len: usize,
}

impl Token<'_> {
    /// Whether the token is the keyword `kw` (case-insensitive) or the punctuation `kw`.
    pub fn is(&self, kw: &str) -> bool {
        self.kind != Kind::Quoted && self.text.eq_ignore_ascii_case(kw)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '-')
}

/// Blanks and comments between tokens.
fn skip(i: &str) -> IResult<&str, ()> {
    let comment = recognize(pair(char('#'), not_line_ending));
    value((), nom::multi::many0(alt((multispace1, comment)))).parse(i)
}

fn punct(i: &str) -> IResult<&str, &str> {
    alt((
        tag("=="),
        tag(">="),
        tag("<="),
        tag("&&"),
        tag("||"),
        recognize(nom::character::complete::one_of("()[],/%!=<>")),
    ))
    .parse(i)
}

fn quoted(i: &str) -> IResult<&str, &str> {
    alt((
        delimited(char('\''), take_while(|c| c != '\''), char('\'')),
        delimited(char('"'), take_while(|c| c != '"'), char('"')),
    ))
    .parse(i)
}

/// Splits `src` into tokens.
///
/// # Errors
/// A character that cannot start a token, or an unterminated quote.
pub fn tokenize(src: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut out = Vec::new();
    let mut rest = src;
    loop {
        // `skip` cannot fail: many0 of optional blanks always succeeds.
        if let Ok((r, ())) = skip(rest) {
            rest = r;
        }
        if rest.is_empty() {
            return Ok(out);
        }
        let offset = src.len() - rest.len();
        if let Ok((r, w)) = take_while1::<_, _, nom::error::Error<&str>>(is_word_char).parse(rest) {
            out.push(Token {
                kind: Kind::Word,
                text: w,
                offset,
                len: w.len(),
            });
            rest = r;
        } else if let Ok((r, p)) = punct(rest) {
            out.push(Token {
                kind: Kind::Punct,
                text: p,
                offset,
                len: p.len(),
            });
            rest = r;
        } else if let Ok((r, q)) = quoted(rest) {
            out.push(Token {
                kind: Kind::Quoted,
                text: q,
                offset,
                len: rest.len() - r.len(),
            });
            rest = r;
        } else {
            let c = rest.chars().next().map_or(1, char::len_utf8);
            let what = if rest.starts_with(['\'', '"']) {
                "unterminated quoted string"
            } else {
                "unexpected character"
            };
            return Err(ParseError::new(offset, c, what));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        tokenize(s).unwrap().iter().map(|t| t.text).collect()
    }

    #[test]
    fn splits_words_and_punctuation() {
        assert_eq!(
            texts("src net 10/8 and(port>=80)||!ip fe80::1 # comment\n or any"),
            vec![
                "src", "net", "10", "/", "8", "and", "(", "port", ">=", "80", ")", "||", "!", "ip",
                "fe80::1", "or", "any"
            ]
        );
    }

    #[test]
    fn offsets_and_quotes() {
        let t = tokenize("a 'b c' \"d\"").unwrap();
        assert_eq!(
            (t[1].kind, t[1].text, t[1].offset, t[1].len),
            (Kind::Quoted, "b c", 2, 5)
        );
        assert_eq!(t[2].text, "d");
    }

    #[test]
    fn bad_characters() {
        let e = tokenize("port $").unwrap_err();
        assert_eq!((e.offset, e.len), (5, 1));
        assert!(tokenize("x 'open").is_err());
    }
}
