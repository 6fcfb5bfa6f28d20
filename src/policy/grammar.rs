//! The cookie grammar of RFC 6265bis §4.1.1, as byte tables.
//!
//! Hand-written on purpose: these few tables *are* the standard this crate
//! enforces, and both directions (the inbound parser and the outbound checker)
//! share them. A lookup table keeps each check to one load per byte.

/// `tchar` of RFC 9110 §5.6.2: the bytes allowed in a cookie name (rule R1).
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

/// `cookie-octet`: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (rule R2).
const fn cookie_octet_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
        b += 1;
    }
    t
}

/// `av-octet`: any CHAR except CTLs or `;` (rule R4).
const fn av_octet_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b, 0x20..=0x3A | 0x3C..=0x7E);
        b += 1;
    }
    t
}

/// `table` without `%`: the bytes a pair may hold and still be written
/// back unescaped.
const fn without_percent(mut t: [bool; 256]) -> [bool; 256] {
    t[b'%' as usize] = false;
    t
}

static TOKEN: [bool; 256] = token_table();
static COOKIE_OCTET: [bool; 256] = cookie_octet_table();
static AV_OCTET: [bool; 256] = av_octet_table();
static PLAIN_TOKEN: [bool; 256] = without_percent(token_table());
static PLAIN_COOKIE_OCTET: [bool; 256] = without_percent(cookie_octet_table());

/// The length of the longest start of `s` made of name bytes other than
/// `%`: one scan where the inbound fast path would otherwise find the `=`,
/// check the name and look for `%` in three.
pub fn plain_name_len(s: &[u8]) -> usize {
    // Names are short: a byte loop, smaller code than `span`.
    s.iter()
        .position(|&b| !PLAIN_TOKEN[b as usize])
        .unwrap_or(s.len())
}

/// How many bytes at the start of `s` are in `table`: eight at a time (the
/// AND of eight lookups, one branch), then one at a time from the first
/// eight that are not all in it. A byte loop runs about seven instructions
/// a byte; this, about three on a long run such as a sealed value or a
/// header of twenty pairs.
#[inline(always)]
fn span(s: &[u8], table: &[bool; 256]) -> usize {
    let mut done = 0;
    for chunk in s.chunks_exact(8) {
        // `&`, not `&&`: all eight lookups, no branch between them.
        if !chunk.iter().fold(true, |all, &b| all & table[b as usize]) {
            break;
        }
        done += 8;
    }
    done + s[done..]
        .iter()
        .position(|&b| !table[b as usize])
        .unwrap_or(s.len() - done)
}

/// The length of the value at the start of `s` when it is a valid cookie
/// value without `%` (quoted or not) followed by the end or a `;`, in one
/// scan; `None` otherwise.
pub fn plain_value_len(s: &[u8]) -> Option<usize> {
    let quoted = s.first() == Some(&b'"');
    let from = usize::from(quoted);
    let mut end = from + span(&s[from..], &PLAIN_COOKIE_OCTET);
    if quoted {
        if s.get(end) != Some(&b'"') {
            return None;
        }
        end += 1;
    }
    match s.get(end) {
        None | Some(b';') => Some(end),
        Some(_) => None,
    }
}

/// Where a byte breaks the grammar: its position and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadByte {
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
    s.iter()
        .position(|&b| !table[b as usize])
        .map(|index| BadByte {
            index,
            byte: s[index],
        })
}

/// Checks a cookie name against `token` (R1). An empty name is reported as
/// `Err(None)`; a bad byte as `Err(Some(..))`.
pub fn check_name(name: &[u8]) -> Result<(), Option<BadByte>> {
    if name.is_empty() {
        return Err(None);
    }
    match first_bad(name, &TOKEN) {
        None => Ok(()),
        Some(bad) => Err(Some(bad)),
    }
}

/// Checks a cookie value against `*cookie-octet / ( DQUOTE *cookie-octet DQUOTE )` (R2).
pub fn check_value(value: &[u8]) -> Result<(), BadByte> {
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
pub fn check_attribute_value(value: &[u8]) -> Result<(), BadByte> {
    match first_bad(value, &AV_OCTET) {
        None => Ok(()),
        Some(bad) => Err(bad),
    }
}

/// The position of a `%` not followed by two hex digits, if any.
///
/// Values are never percent-decoded by the layer, but such a value would
/// break any decoding step after it, so the layer neither writes nor reads
/// one (R2, R18): the same rule both ways keeps every written value readable.
pub fn bad_percent_escape(value: &[u8]) -> Option<usize> {
    // Most values have no '%': one quick scan, then done.
    let mut i = value.iter().position(|&b| b == b'%')?;
    while i < value.len() {
        if value[i] == b'%' {
            let ok = value.len() > i + 2
                && value[i + 1].is_ascii_hexdigit()
                && value[i + 2].is_ascii_hexdigit();
            if !ok {
                return Some(i);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    None
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
    fn empty_name_is_refused_and_empty_value_is_allowed() {
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
            check_attribute_value(b"/\r"),
            Err(BadByte {
                index: 1,
                byte: b'\r'
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
    fn span_stops_at_the_first_byte_outside_at_any_position() {
        // Runs around and across the eight-byte steps, the byte outside
        // at every position (or nowhere), each of several kinds.
        for table in [&PLAIN_TOKEN, &PLAIN_COOKIE_OCTET] {
            for len in 0..=25 {
                for at in 0..=len {
                    for bad in [b'%', b';', b'=', b' ', b'"', 0x80, 0x00] {
                        let mut s = vec![b'a'; len];
                        if at < len {
                            s[at] = bad;
                        }
                        let expected = s.iter().position(|&b| !table[b as usize]).unwrap_or(len);
                        assert_eq!(span(&s, table), expected, "{s:?}");
                        // A second byte outside, in the same eight or a later
                        // eight: the first one still counts.
                        for later in [at + 1, at + 3, at + 9] {
                            if later < len {
                                let mut two = s.clone();
                                two[later] = b';';
                                let first = two.iter().position(|&b| !table[b as usize]);
                                assert_eq!(Some(span(&two, table)), first, "{two:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_one_scan_helpers_agree_with_the_checks() {
        // Every one- and two-byte string, then a ';' and more: the fast
        // helpers say exactly what check_name / check_value and a search
        // for '%' say.
        let mut cases: Vec<Vec<u8>> = (0u8..=255).map(|b| vec![b]).collect();
        for a in [b'"', b'a', b'%', b';', b' ', b'=', 0x80] {
            for b in [b'"', b'a', b'%', b';', b' ', b'=', 0x80] {
                cases.push(vec![a, b]);
                cases.push(vec![a, b, b';', b'x']);
                cases.push(vec![b'"', a, b, b'"', b';']);
            }
        }
        cases.push(Vec::new());
        for case in &cases {
            let end = case.iter().position(|&b| b == b';').unwrap_or(case.len());
            let value = &case[..end];
            let expected = (check_value(value).is_ok() && !value.contains(&b'%')).then_some(end);
            assert_eq!(plain_value_len(case), expected, "{case:?}");
            let name_len = plain_name_len(case);
            let name = &case[..name_len];
            assert!(name.iter().all(|&b| b != b'%' && check_name(&[b]).is_ok()));
            assert!(
                case.get(name_len)
                    .is_none_or(|&b| b == b'%' || check_name(&[b]).is_err()),
                "{case:?}"
            );
        }
    }

    #[test]
    fn percent_escapes_need_two_hex_digits() {
        assert_eq!(bad_percent_escape(b"a%20b%2F"), None);
        assert_eq!(bad_percent_escape(b"%"), Some(0));
        assert_eq!(bad_percent_escape(b"ab%4"), Some(2));
        assert_eq!(bad_percent_escape(b"%g0"), Some(0));
        assert_eq!(bad_percent_escape(b"%%41"), Some(0));
    }

    #[test]
    fn bad_bytes_are_described_readably() {
        assert_eq!(
            BadByte {
                index: 3,
                byte: b';'
            }
            .to_string(),
            "byte 0x3B (';') at position 3"
        );
        assert_eq!(
            BadByte {
                index: 0,
                byte: b' '
            }
            .to_string(),
            "byte 0x20 (space) at position 0"
        );
        assert_eq!(
            BadByte {
                index: 1,
                byte: b'\n'
            }
            .to_string(),
            "byte 0x0A at position 1"
        );
    }
}
