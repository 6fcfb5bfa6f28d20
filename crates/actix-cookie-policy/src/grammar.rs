//! The cookie grammar of RFC 6265bis §4.1.1 as byte tables
//! (`docs/cookie-rules.md`, R1, R2, R4).
//!
//! Hand-written on purpose: these few tables are the standard this crate
//! enforces, and both directions (the `Cookie` header parser and the
//! `Set-Cookie` checks) share them.

/// `tchar` of RFC 9110 §5.6.2: the bytes of a cookie name (R1).
const fn token_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    t
}

/// `cookie-octet`: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (R2).
const fn cookie_octet_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
        b += 1;
    }
    t
}

/// `av-octet`: any CHAR except CTLs or `;` (R4).
const fn av_octet_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b, 0x20..=0x3A | 0x3C..=0x7E);
        b += 1;
    }
    t
}

static TOKEN: [bool; 256] = token_table();
static COOKIE_OCTET: [bool; 256] = cookie_octet_table();
static AV_OCTET: [bool; 256] = av_octet_table();

/// Where a byte breaks the grammar: its position and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadByte {
    /// Zero-based offset of the byte in the checked string.
    pub index: usize,
    /// The byte itself.
    pub byte: u8,
}

impl std::fmt::Display for BadByte {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.byte {
            0x21..=0x7E => write!(
                f,
                "byte 0x{:02X} ('{}') at position {}",
                self.byte, self.byte as char, self.index
            ),
            b' ' => write!(f, "byte 0x20 (space) at position {}", self.index),
            _ => write!(f, "byte 0x{:02X} at position {}", self.byte, self.index),
        }
    }
}

fn first_bad(s: &[u8], table: &[bool; 256]) -> Option<BadByte> {
    let index = s.iter().position(|&b| !table[usize::from(b)])?;
    Some(BadByte {
        index,
        byte: s[index],
    })
}

/// Checks a cookie name against `token` (R1): `Err(None)` for an empty
/// name, `Err(Some(..))` for a bad byte.
pub(crate) fn check_name(name: &[u8]) -> Result<(), Option<BadByte>> {
    if name.is_empty() {
        return Err(None);
    }
    first_bad(name, &TOKEN).map_or(Ok(()), |bad| Err(Some(bad)))
}

/// Checks a cookie value against
/// `*cookie-octet / ( DQUOTE *cookie-octet DQUOTE )` (R2).
pub(crate) fn check_value(value: &[u8]) -> Result<(), BadByte> {
    let (inner, offset) = match value {
        [b'"', inner @ .., b'"'] => (inner, 1),
        _ => (value, 0),
    };
    match first_bad(inner, &COOKIE_OCTET) {
        None => Ok(()),
        Some(bad) => Err(BadByte {
            index: bad.index + offset,
            byte: bad.byte,
        }),
    }
}

/// Checks an attribute value against `*av-octet` (R4).
pub(crate) fn check_attribute_value(value: &[u8]) -> Result<(), BadByte> {
    first_bad(value, &AV_OCTET).map_or(Ok(()), Err)
}

/// The position of a `%` not followed by two hex digits, if any.
///
/// The layer never decodes values, but a value like this would break any
/// decoding step after it (actix-web's `req.cookie` decodes), so the layer
/// neither writes nor reads one (R2, R18): every value it writes reads back.
pub(crate) fn bad_percent_escape(value: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < value.len() {
        if value[i] != b'%' {
            i += 1;
            continue;
        }
        let escape = value.get(i + 1..i + 3);
        if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
            return Some(i);
        }
        i += 3;
    }
    None
}

/// `text` split at the first `sep`, as `str::split_once` does. The cookie
/// syntax is defined over octets and its separators (`;`, `=`) are ASCII,
/// so the parsers find them by scanning bytes.
pub(crate) fn split_once_at(text: &str, sep: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == sep)?;
    Some((&text[..at], &text[at + 1..]))
}

/// `text` split at every `sep`, as `str::split` does (see [`split_once_at`]).
pub(crate) fn split_at(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        let (field, more) = match split_once_at(text, sep) {
            Some((field, more)) => (field, Some(more)),
            None => (text, None),
        };
        rest = more;
        Some(field)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tchar_is_a_name_byte_and_nothing_else_is() {
        let tchars =
            b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for b in 0u8..=255 {
            assert_eq!(
                check_name(&[b]).is_ok(),
                tchars.contains(&b),
                "byte {b:#04x}"
            );
        }
    }

    #[test]
    fn cookie_octets_exclude_space_quote_comma_semicolon_backslash_and_non_ascii() {
        for b in 0u8..=255 {
            let allowed = (0x21..=0x7E).contains(&b) && !matches!(b, b'"' | b',' | b';' | b'\\');
            assert_eq!(check_value(&[b]).is_ok(), allowed, "byte {b:#04x}");
        }
    }

    #[test]
    fn one_pair_of_quotes_around_the_whole_value_is_allowed() {
        assert_eq!(check_value(b"\"abc\""), Ok(()));
        assert_eq!(check_value(b"\"\""), Ok(()));
        assert_eq!(
            check_value(b"\"a\"b\""),
            Err(BadByte {
                index: 2,
                byte: b'"'
            })
        );
        assert_eq!(
            check_value(b"\"abc"),
            Err(BadByte {
                index: 0,
                byte: b'"'
            })
        );
    }

    #[test]
    fn an_empty_name_is_refused_and_an_empty_value_is_allowed() {
        assert_eq!(check_name(b""), Err(None));
        assert_eq!(check_value(b""), Ok(()));
    }

    #[test]
    fn attribute_values_refuse_controls_and_semicolons_only() {
        assert!(check_attribute_value(b"/a b,c\"d").is_ok());
        assert_eq!(
            check_attribute_value(b"/a;b"),
            Err(BadByte {
                index: 2,
                byte: b';'
            })
        );
        assert_eq!(
            check_attribute_value("/é".as_bytes()),
            Err(BadByte {
                index: 1,
                byte: 0xC3
            })
        );
    }

    #[test]
    fn a_percent_must_start_two_hex_digits() {
        assert_eq!(bad_percent_escape(b"a%20b%7e"), None);
        assert_eq!(bad_percent_escape(b"100%"), Some(3));
        assert_eq!(bad_percent_escape(b"%2"), Some(0));
        assert_eq!(bad_percent_escape(b"%zz"), Some(0));
        assert_eq!(bad_percent_escape(b"ok%41%4"), Some(5));
    }

    #[test]
    fn splitting_at_a_byte_is_splitting_at_that_character() {
        for text in ["", ";", "a=1; b", "a=1;;b=2;", "é=ü;x", "=;="] {
            let ours: Vec<&str> = split_at(text, b';').collect();
            assert_eq!(ours, text.split(';').collect::<Vec<_>>(), "{text:?}");
            assert_eq!(split_once_at(text, b'='), text.split_once('='), "{text:?}");
        }
    }

    #[test]
    fn bad_bytes_are_described_readably() {
        let at = |byte| BadByte { index: 3, byte }.to_string();
        assert_eq!(at(b';'), "byte 0x3B (';') at position 3");
        assert_eq!(at(b' '), "byte 0x20 (space) at position 3");
        assert_eq!(at(b'\r'), "byte 0x0D at position 3");
    }
}
