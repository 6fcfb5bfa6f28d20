//! Whether a value's text is exactly some bytes, without building the text.
//!
//! The layer sends a header as the app wrote it when it already is what the
//! layer would write (the canonical `Set-Cookie`, the checked `Cookie`
//! header), which is the usual case. Rendering into a comparison instead of
//! a new string keeps that check free of allocation, and keeps one
//! rendering: the very `Display` that writes a replacement decides whether
//! one is needed.

use std::fmt::{self, Display, Write};

/// Whether `value` displays as exactly `expected`.
pub(crate) fn displays_as(value: &impl Display, expected: &[u8]) -> bool {
    let mut rest = Rest(expected);
    write!(rest, "{value}").is_ok() && rest.0.is_empty()
}

/// The bytes not yet matched; writing anything else is an error.
struct Rest<'a>(&'a [u8]);

impl Write for Rest<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self.0.strip_prefix(s.as_bytes()) {
            Some(rest) => {
                self.0 = rest;
                Ok(())
            }
            None => Err(fmt::Error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_text_matches() {
        assert!(displays_as(&"a=1; b", b"a=1; b"));
        assert!(displays_as(&format_args!("{}={}", "a", 1), b"a=1"));
        assert!(!displays_as(&"a=1", b"a=1;"));
        assert!(!displays_as(&"a=1;", b"a=1"));
        assert!(!displays_as(&"a=2", b"a=1"));
        assert!(displays_as(&"", b""));
    }
}
