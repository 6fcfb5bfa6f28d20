//! Whether some text is exactly some bytes, without building the text.
//!
//! The layer sends a header as the app wrote it when it already is what the
//! layer would write (the canonical `Set-Cookie`, the checked `Cookie`
//! header), which is the usual case. Writing into a comparison instead of a
//! new string keeps the usual header from being written twice, and keeps one rendering:
//! the very code that writes a replacement decides whether one is needed.

use std::fmt::{self, Write};

/// Whether `write` writes exactly `expected`.
pub(crate) fn writes_exactly(
    expected: &[u8],
    write: impl FnOnce(&mut Rest<'_>) -> fmt::Result,
) -> bool {
    let mut rest = Rest(expected);
    write(&mut rest).is_ok() && rest.0.is_empty()
}

/// The bytes not yet matched; writing anything else is an error.
pub(crate) struct Rest<'a>(&'a [u8]);

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

    fn text(s: &'static str) -> impl FnOnce(&mut Rest<'_>) -> fmt::Result {
        move |out| out.write_str(s)
    }

    #[test]
    fn only_the_exact_text_matches() {
        assert!(writes_exactly(b"a=1; b", text("a=1; b")));
        assert!(writes_exactly(b"a=1", |out| write!(out, "a={}", 1)));
        assert!(!writes_exactly(b"a=1;", text("a=1")));
        assert!(!writes_exactly(b"a=1", text("a=1;")));
        assert!(!writes_exactly(b"a=1", text("a=2")));
        assert!(writes_exactly(b"", text("")));
    }
}
