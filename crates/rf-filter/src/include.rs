//! `@include FILE`: textual inclusion of another filter file, as nfdump's scanner does
//! (nesting at most 10 deep). Comments and quoted strings are left alone.

use std::borrow::Cow;
use std::path::Path;

use crate::error::Error;

/// Maximum include nesting (nfdump: 10).
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// Largest filter or include file read.
pub(crate) const MAX_FILE: u64 = 16 << 20;

const KEYWORD: &str = "@include";

/// Reads a filter file, refusing absurdly large ones before allocating.
pub(crate) fn read_file(path: &Path) -> Result<String, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE {
        return Err(io(std::io::Error::other(format!(
            "larger than {MAX_FILE} bytes"
        ))));
    }
    std::fs::read_to_string(path).map_err(io)
}

/// Replaces every `@include PATH` outside comments and quotes by the file's (expanded) text
/// followed by a newline. Text without `@include` is returned unchanged and unallocated.
///
/// # Errors
/// Unreadable files ([`Error::Io`]), a missing path or nesting deeper than
/// [`MAX_INCLUDE_DEPTH`] ([`Error::Invalid`]).
pub fn expand_includes(src: &str) -> Result<Cow<'_, str>, Error> {
    if !src.contains(KEYWORD) {
        return Ok(Cow::Borrowed(src));
    }
    let mut out = String::with_capacity(src.len());
    expand(src, 0, &mut out)?;
    Ok(Cow::Owned(out))
}

fn expand(src: &str, depth: usize, out: &mut String) -> Result<(), Error> {
    let mut rest = src;
    while let Some(c) = rest.chars().next() {
        match c {
            '#' => {
                // Comment: copy to the end of the line.
                let end = rest.find('\n').unwrap_or(rest.len());
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            '\'' | '"' => {
                let end = rest[1..].find(c).map_or(rest.len(), |i| i + 2);
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            '@' if rest.starts_with(KEYWORD) => {
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(Error::Invalid(format!(
                        "@include nested deeper than {MAX_INCLUDE_DEPTH}"
                    )));
                }
                let after = rest[KEYWORD.len()..].trim_start_matches([' ', '\t']);
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                let path = &after[..end];
                if path.is_empty() {
                    return Err(Error::Invalid("@include needs a file name".into()));
                }
                let text = read_file(Path::new(path))?;
                expand(&text, depth + 1, out)?;
                out.push('\n');
                rest = &after[end..];
            }
            c => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_nest_and_stop() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&b, "port 53 # dns").unwrap();
        std::fs::write(&a, format!("proto udp and @include {}", b.display())).unwrap();
        let src = format!("@include {} or proto tcp # @include nothing", a.display());
        let got = expand_includes(&src).unwrap();
        assert_eq!(
            got,
            "proto udp and port 53 # dns\n\n or proto tcp # @include nothing"
        );
        assert!(matches!(
            expand_includes("proto tcp").unwrap(),
            Cow::Borrowed(_)
        ));

        let self_ref = dir.path().join("loop");
        std::fs::write(&self_ref, format!("@include {}", self_ref.display())).unwrap();
        let e = expand_includes(&format!("@include {}", self_ref.display())).unwrap_err();
        assert!(e.to_string().contains("nested"), "{e}");
        let e = expand_includes("@include /no/such/file").unwrap_err();
        assert!(e.to_string().contains("/no/such/file"), "{e}");
        assert!(expand_includes("@include").is_err());
    }
}
