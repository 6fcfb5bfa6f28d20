//! Reading a request's cookies without building them: the same names and
//! values as actix-web's `HttpRequest::cookie` and `cookies`, found by a
//! scan of the `Cookie` header.
//!
//! Why by hand: actix-web's `cookies()` parses every pair into an owned
//! `Cookie`, collects them in a `Vec` and caches that in the request's
//! extensions, and `cookie(name)` then clones the one asked for: four
//! allocations for one cookie (the list, the copy of the pair, the box of
//! the cache, the clone). Behind [`CookiePolicyLayer`] the header
//! is already checked, so a read is a scan that allocates only to decode a
//! `%` escape. The scan follows actix-web 4's parse step by step (split on
//! `;`, trim, the first `=`, one pair of quotes, percent-decoding, a pair
//! that does not decode skipped, and no cookie at all when any field is not
//! UTF-8), so it gives what a fresh parse of the request's `Cookie` header
//! gives, on any header, with or without the layer; a property test holds
//! the two together (against the actix-web of `Cargo.lock`, 4.18; the
//! parse is the same since 4.14, the oldest this crate accepts, all on
//! cookie 0.16).
//!
//! One difference is by design: actix-web answers from its first parse,
//! cached, even if the header changed after it; these read the header as it
//! is now. Behind the layer the two agree: when the layer changes the
//! header, it checks that a parse cached before it, if any, holds exactly
//! the cookies of its header (500 `policy_layer_order` otherwise).
//!
//! [`CookiePolicyLayer`]: super::CookiePolicyLayer

use std::borrow::Cow;

use actix_web::HttpMessage;
use actix_web::http::header::{COOKIE, HeaderValue};
use percent_encoding::percent_decode_str;

/// Reads cookies from a request (`HttpRequest`, `ServiceRequest`, any
/// `HttpMessage`) the way actix-web does, without its per-request parse,
/// copies and cache.
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse, get};
/// use cookie_policy::policy::RequestCookieExt;
///
/// #[get("/profile")]
/// async fn profile(req: HttpRequest) -> HttpResponse {
///     match req.cookie_value("username") {
///         Some(name) if !name.is_empty() => HttpResponse::Ok().body(format!("Welcome back, {name}!")),
///         _ => HttpResponse::Ok().body("No username cookie found"),
///     }
/// }
/// ```
pub trait RequestCookieExt {
    /// The value of the first cookie named `name`: what
    /// `req.cookie(name).map(|c| c.value())` gives, borrowed from the header
    /// unless it holds a `%` escape. Behind the layer, that is the value the
    /// policy accepted (a protected cookie's plain value).
    fn cookie_value(&self, name: &str) -> Option<Cow<'_, str>>;

    /// Every cookie of the request as `(name, value)`, in the order of
    /// `req.cookies()`.
    fn cookie_pairs(&self) -> CookiePairs<'_>;
}

impl<M: HttpMessage> RequestCookieExt for M {
    fn cookie_value(&self, name: &str) -> Option<Cow<'_, str>> {
        RawPairs::new(self.headers().get_all(COOKIE).as_slice())
            .filter(|(n, _)| n.is(name))
            .find_map(|(_, v)| v.decode())
    }

    fn cookie_pairs(&self) -> CookiePairs<'_> {
        CookiePairs {
            raw: RawPairs::new(self.headers().get_all(COOKIE).as_slice()),
        }
    }
}

/// The cookies of a request, decoded: see [`RequestCookieExt::cookie_pairs`].
#[derive(Debug, Clone)]
pub struct CookiePairs<'h> {
    raw: RawPairs<'h>,
}

impl<'h> Iterator for CookiePairs<'h> {
    type Item = (Cow<'h, str>, Cow<'h, str>);

    fn next(&mut self) -> Option<Self::Item> {
        // Like the cookie crate, a pair whose name or value does not decode
        // to UTF-8 is skipped.
        self.raw.find_map(|(n, v)| Some((n.decode()?, v.decode()?)))
    }
}

/// A name or a value as cut from the header, before percent-decoding.
#[derive(Debug, Clone, Copy)]
struct Part<'h> {
    text: &'h str,
    /// Whether it holds a `%`: only then is there anything to decode.
    escaped: bool,
}

impl<'h> Part<'h> {
    fn new(text: &'h str) -> Self {
        Self {
            text,
            escaped: text.as_bytes().contains(&b'%'),
        }
    }

    /// Percent-decoded, as the cookie crate decodes it; `None` when that is
    /// not UTF-8. Borrowed unless escaped.
    fn decode(self) -> Option<Cow<'h, str>> {
        if self.escaped {
            percent_decode_str(self.text).decode_utf8().ok()
        } else {
            Some(Cow::Borrowed(self.text))
        }
    }

    /// Whether it decodes to `name`; without allocating.
    fn is(self, name: &str) -> bool {
        if self.escaped {
            percent_decode_str(self.text).eq(name.bytes())
        } else {
            self.text == name
        }
    }
}

/// What the scan of [`RawPairs`] makes of a byte: 0 for the bytes of a name
/// or value that need nothing done.
const SEMICOLON: u8 = 1;
const EQUALS: u8 = 2;
const PERCENT: u8 = 4;
/// Whitespace, a quote or a byte of a non-ASCII character: the piece is cut
/// the slow way, exactly as the cookie crate does.
const ODD: u8 = 8;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b';' => SEMICOLON,
            b'=' => EQUALS,
            b'%' => PERCENT,
            b' ' | b'\t'..=b'\r' | b'"' | 0x80..=0xFF => ODD,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// The `(name, value)` pairs of the `Cookie` fields before decoding, as
/// actix-web cuts them: each field split on `;`, each piece trimmed, empty
/// pieces and pieces without `=` or with an empty name skipped, and one
/// pair of quotes taken off the value. A field that is not UTF-8 makes
/// actix-web read no cookie at all, so then there are none.
///
/// Each field is checked as UTF-8 once. One walk over its bytes then finds
/// the `;`, the first `=` and any `%` of a piece; only a piece with
/// whitespace inside or at its end, a quote or a non-ASCII character is cut
/// again the slow way ([`cut`]).
#[derive(Debug, Clone)]
struct RawPairs<'h> {
    /// What is left of the field being read; `None` between fields.
    rest: Option<&'h str>,
    /// The fields after it.
    more: &'h [HeaderValue],
}

/// A field as text, or `None` when it is not UTF-8.
fn text(field: &HeaderValue) -> Option<&str> {
    std::str::from_utf8(field.as_bytes()).ok()
}

impl<'h> RawPairs<'h> {
    fn new(fields: &'h [HeaderValue]) -> Self {
        const NONE: RawPairs<'_> = RawPairs {
            rest: None,
            more: &[],
        };
        let Some((first, more)) = fields.split_first() else {
            return NONE;
        };
        match text(first) {
            Some(first) if more.iter().all(|f| text(f).is_some()) => Self {
                rest: Some(first),
                more,
            },
            _ => NONE,
        }
    }
}

impl<'h> Iterator for RawPairs<'h> {
    type Item = (Part<'h>, Part<'h>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some(rest) = self.rest else {
                let (field, more) = self.more.split_first()?;
                self.more = more;
                // Checked in `new`.
                self.rest = text(field);
                continue;
            };
            // The leading ASCII whitespace `str::trim` would take off.
            let bytes = rest.as_bytes();
            let start = bytes
                .iter()
                .position(|&b| !matches!(b, b' ' | b'\t'..=b'\r'))
                .unwrap_or(bytes.len());
            let (mut end, mut eq) = (start, None);
            let (mut name_class, mut class) = (0, 0);
            loop {
                // Past the bytes that need nothing done, in a tight loop.
                end += bytes[end..]
                    .iter()
                    .position(|&b| CLASS[usize::from(b)] != 0)
                    .unwrap_or(bytes.len() - end);
                let Some(&b) = bytes.get(end) else {
                    break;
                };
                let c = CLASS[usize::from(b)];
                if c == SEMICOLON {
                    break;
                }
                if c == EQUALS && eq.is_none() {
                    (eq, name_class, class) = (Some(end), class, 0);
                } else {
                    class |= c;
                }
                end += 1;
            }
            self.rest = rest.get(end + 1..);
            // Cut at ASCII bytes (or the ends): character boundaries.
            if (name_class | class) & ODD != 0 {
                match cut(&rest[start..end]) {
                    Some(pair) => return Some(pair),
                    None => continue,
                }
            }
            let Some(eq) = eq else {
                continue;
            };
            if eq == start {
                continue;
            }
            let name = Part {
                text: &rest[start..eq],
                escaped: name_class & PERCENT != 0,
            };
            let value = Part {
                text: &rest[eq + 1..end],
                escaped: class & PERCENT != 0,
            };
            return Some((name, value));
        }
    }
}

/// A piece cut as the cookie crate cuts it: trimmed, split at its first
/// `=`, both sides trimmed, one pair of quotes off the value and the value
/// trimmed again.
#[cold]
fn cut(piece: &str) -> Option<(Part<'_>, Part<'_>)> {
    let (name, value) = piece.trim().split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let value = trim_quotes(value.trim()).trim();
    Some((Part::new(name), Part::new(value)))
}

/// One pair of surrounding quotes off, as the cookie crate's parse does.
fn trim_quotes(s: &str) -> &str {
    match s.as_bytes() {
        [b'"', .., b'"'] => &s[1..s.len() - 1],
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(fields: &[&[u8]]) -> actix_web::HttpRequest {
        let mut req = TestRequest::default();
        for f in fields {
            req = req.append_header((
                COOKIE,
                HeaderValue::from_bytes(f).expect("a valid header value"),
            ));
        }
        req.to_http_request()
    }

    /// What actix-web itself reads.
    fn actix(req: &actix_web::HttpRequest) -> Vec<(String, String)> {
        req.cookies()
            .map(|cs| {
                cs.iter()
                    .map(|c| (c.name().to_owned(), c.value().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn ours(req: &actix_web::HttpRequest) -> Vec<(String, String)> {
        req.cookie_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn a_canonical_header_is_read_in_place() {
        let req = request(&[b"username=alice; theme=dark"]);
        assert!(matches!(
            req.cookie_value("username"),
            Some(Cow::Borrowed("alice"))
        ));
        assert!(matches!(
            req.cookie_value("theme"),
            Some(Cow::Borrowed("dark"))
        ));
        assert_eq!(req.cookie_value("user"), None);
        assert_eq!(req.cookie_value("alice"), None);
        assert_eq!(
            ours(&req),
            [("username", "alice"), ("theme", "dark")].map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn loose_headers_read_as_actix_web_reads_them() {
        let cases: &[&[&[u8]]] = &[
            &[b" a = 1 ;;b=\"2\"; c ; =x; d=\"\"; e=\"; f==3"],
            &["\u{a0}a\u{3000}=\u{a0}\"1\"\u{a0}; \tb =\t2".as_bytes()],
            &[b"a=1", b"a=2; b=3"],
            &[b"n%61me=v%41l; name=second; %FF=x; y=%FE; z=%zz"],
            &[b"a=1", b"b=\xff"],
            &[b"q=\"a\"b\""],
            // What the property test shrank five wrong scans to: an empty
            // name behind a tab or U+00A0, a quote before '=' with a field
            // that is not UTF-8, an escaped name, a bare '='.
            &[b"\t="],
            &["\u{a0}=".as_bytes()],
            &[b"\"=", b"\xff"],
            &[b"%61=a"],
            &[b"=a"],
            &[],
        ];
        for fields in cases {
            let req = request(fields);
            assert_eq!(ours(&req), actix(&req), "{fields:?}");
            for name in ["a", "b", "c", "d", "e", "f", "name", "y", "z", "q", "%FF"] {
                assert_eq!(
                    req.cookie_value(name).map(Cow::into_owned),
                    req.cookie(name).map(|c| c.value().to_owned()),
                    "{name} in {fields:?}"
                );
            }
        }
        // Spelled out, for the reader.
        let req = request(&[b"n%61me=v%41l; name=second; y=%FE"]);
        assert_eq!(req.cookie_value("name").as_deref(), Some("vAl"));
        assert_eq!(req.cookie_value("y"), None);
        assert_eq!(request(&[b"a=1", b"b=\xff"]).cookie_value("a"), None);
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        /// Headers made of the bytes that matter to the parse: separators,
        /// whitespace, quotes, escapes, a non-ASCII letter, an invalid byte.
        fn field() -> impl Strategy<Value = Vec<u8>> {
            let atoms = prop::sample::select(vec![
                &b"a"[..],
                b"b",
                b"ab",
                b"=",
                b";",
                b"; ",
                b" ",
                b"\t",
                b"\"",
                b"%",
                b"%61",
                b"%25",
                b"%FF",
                b"%2",
                // Escapes of a multi-byte letter, of '=' and of ';'.
                b"%C3%A9",
                b"%3D",
                b"%3B",
                "\u{e9}".as_bytes(),
                // Whitespace to `str::trim`, not to a byte-wise trim.
                "\u{a0}".as_bytes(),
                "\u{3000}".as_bytes(),
                "\u{85}".as_bytes(),
            ]);
            // Not UTF-8, which empties the whole read: rare, so that most
            // headers of several fields are read.
            let invalid = prop::sample::select(vec![&b"\xff"[..], b"\xc3"]);
            let atom = prop_oneof![30 => atoms, 1 => invalid];
            prop::collection::vec(atom, 0..12).prop_map(|parts| parts.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            #[test]
            fn reads_what_actix_web_reads(fields in prop::collection::vec(field(), 0..4)) {
                let fields: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
                let req = request(&fields);
                prop_assert_eq!(ours(&req), actix(&req));
                for name in ["a", "b", "ab", "\u{e9}", "a b", "%", "a=b", "a;b", "a\u{85}"] {
                    prop_assert_eq!(
                        req.cookie_value(name).map(Cow::into_owned),
                        req.cookie(name).map(|c| c.value().to_owned()),
                        "{}", name
                    );
                }
            }
        }
    }
}
