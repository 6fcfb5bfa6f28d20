//! The rules of `docs/cookie-rules.md` that both directions and the
//! configuration share: names (R1), values (R2), sizes (R3, R4), `Path`
//! (R5), `Domain` (R6) and name prefixes (R7 to R9).
//!
//! Each check returns a sentence that says what is wrong and what to do;
//! callers add the cookie's name or the configuration key.

use std::borrow::Cow;
use std::fmt::Write as _;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::error::{CookieError, ViolationKind};
use crate::grammar;

/// The most octets of name plus value a user agent keeps (R3).
pub(crate) const MAX_NAME_VALUE_BYTES: usize = 4096;

/// The most octets of one attribute value a user agent keeps (R4).
pub(crate) const MAX_ATTRIBUTE_VALUE_BYTES: usize = 1024;

/// Escapes what is not printable ASCII, so that an error message or a log
/// line never carries a raw control byte from a cookie name.
pub(crate) fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let _ = write!(out, "{}", c.escape_default());
        }
    }
    out
}

/// Checks a cookie name (R1).
pub(crate) fn check_name(name: &str) -> Result<(), CookieError> {
    grammar::check_name(name.as_bytes()).map_err(|bad| {
        let detail = match bad {
            None => "a cookie name must not be empty".to_owned(),
            Some(bad) => {
                format!("{bad} is not allowed in a cookie name, which must be an RFC 9110 token")
            }
        };
        CookieError::new(printable(name), ViolationKind::InvalidName, detail)
    })
}

/// Checks a cookie value (R2): cookie-octets only, and every `%` starts an
/// escape, so that the value reads back as it was written.
pub(crate) fn check_value(name: &str, value: &str) -> Result<(), CookieError> {
    let fail = |detail| CookieError::new(printable(name), ViolationKind::InvalidValue, detail);
    if let Err(bad) = grammar::check_value(value.as_bytes()) {
        return Err(fail(format!(
            "{bad} is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url"
        )));
    }
    match grammar::bad_percent_escape(value.as_bytes()) {
        None => Ok(()),
        Some(at) => Err(fail(format!(
            "'%' at position {at} is not followed by two hex digits, so the value could not be read back; write it as %25"
        ))),
    }
}

/// What [`encode_value`] escapes: every byte that is not a cookie-octet,
/// and `%` itself.
const NOT_COOKIE_OCTET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// Percent-encodes `value` into cookie-octets (R2): space, `"`, `,`, `;`,
/// `\`, `%`, controls and non-ASCII bytes become `%XX`. Read it back with
/// [`decode_value`]. [`CookiePolicy::encoded_cookie`] writes a cookie with it.
///
/// ```
/// use actix_cookie_policy::{decode_value, encode_value};
///
/// assert_eq!(encode_value("Ana María, 100%"), "Ana%20Mar%C3%ADa%2C%20100%25");
/// assert_eq!(decode_value("Ana%20Mar%C3%ADa%2C%20100%25").as_deref(), Some("Ana María, 100%"));
/// ```
///
/// [`CookiePolicy::encoded_cookie`]: crate::CookiePolicy::encoded_cookie
pub fn encode_value(value: &str) -> Cow<'_, str> {
    utf8_percent_encode(value, NOT_COOKIE_OCTET).into()
}

/// Decodes a value written by [`encode_value`]; `None` when the decoded
/// bytes are not UTF-8.
pub fn decode_value(value: &str) -> Option<Cow<'_, str>> {
    percent_decode_str(value).decode_utf8().ok()
}

/// Checks an attribute value's bytes and length (R4).
pub(crate) fn check_attribute_value(attribute: &str, value: &str) -> Result<(), String> {
    if value.len() > MAX_ATTRIBUTE_VALUE_BYTES {
        return Err(format!(
            "the {attribute} attribute is {} bytes long, over the {MAX_ATTRIBUTE_VALUE_BYTES} bytes browsers keep",
            value.len()
        ));
    }
    grammar::check_attribute_value(value.as_bytes())
        .map_err(|bad| format!("{bad} is not allowed in the {attribute} attribute"))
}

/// Checks a `Path` value (R4, R5).
pub(crate) fn check_path(path: &str) -> Result<(), (ViolationKind, String)> {
    check_attribute_value("Path", path).map_err(|m| (ViolationKind::InvalidAttribute, m))?;
    if !path.starts_with('/') {
        return Err((
            ViolationKind::InvalidPath,
            format!("a path must start with '/', got {:?}", printable(path)),
        ));
    }
    // Attribute values are read trimmed, so such a path could never be
    // written exactly (only a configured path can end so).
    if path.ends_with(' ') {
        return Err((
            ViolationKind::InvalidPath,
            format!(
                "a path must not end with a space, which is trimmed when the header is read, got {:?}",
                printable(path)
            ),
        ));
    }
    Ok(())
}

/// Normalizes and checks a `Domain` value (R6): strips one leading dot,
/// lower-cases it, and requires a plain host name (letters, digits, `-`,
/// labels of 1 to 63 bytes, 253 bytes in all; no port, no IP literal).
pub(crate) fn normalize_domain(domain: &str) -> Result<Cow<'_, str>, String> {
    let d = domain.strip_prefix('.').unwrap_or(domain);
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if d.is_empty() || d.len() > 253 || !d.split('.').all(label_ok) {
        return Err(format!(
            "a domain must be a plain host name of letters, digits, '-' and '.', got {:?}",
            printable(domain)
        ));
    }
    // No top-level domain starts with a digit, and a browser reads a host
    // whose last label does (`127.0.0.1`, `10.1`, `1.0x7f`) as an IPv4
    // address, for which a cookie can only be host-only.
    if d.rsplit('.')
        .next()
        .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Err(format!(
            "a domain cannot be an IP address, got {:?}; leave Domain unset, which makes the cookie host-only",
            printable(domain)
        ));
    }
    Ok(if d.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(d.to_ascii_lowercase())
    } else {
        Cow::Borrowed(d)
    })
}

/// Whether `domain` is itself on the public suffix list (`com`, `co.uk`,
/// `github.io`), which browsers refuse as a cookie domain (R6).
pub(crate) fn is_public_suffix(domain: &str) -> bool {
    psl::suffix(domain.as_bytes())
        .is_some_and(|s| s.is_known() && s.as_bytes() == domain.as_bytes())
}

/// Checks `Domain` against the host the request was sent to (R6): the host
/// must domain-match it, and it must not be a public suffix unless it is the
/// host itself (bis §5.7); otherwise browsers ignore the cookie.
pub(crate) fn check_domain_for_host(
    name: &str,
    domain: &str,
    host: &str,
) -> Result<(), CookieError> {
    if host == domain {
        return Ok(());
    }
    let fail =
        |detail: String| CookieError::new(printable(name), ViolationKind::InvalidDomain, detail);
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    let covers = !is_ip
        && host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.ends_with('.'));
    if !covers {
        return Err(fail(format!(
            "Domain={domain} does not cover the request host {host}, so browsers ignore the cookie"
        )));
    }
    if psl::domain_str(domain).is_none() {
        return Err(fail(format!(
            "Domain={domain} is a public suffix, so browsers ignore the cookie; use the host name or no Domain"
        )));
    }
    Ok(())
}

/// The host name of a `Host` value: no port, no IPv6 brackets, lower case.
pub(crate) fn host_name(host: &str) -> String {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// What a name prefix requires of its cookie (R7, R8): `__Secure-`,
/// `__Host-` (RFC 6265bis §4.1.3) and the `__Http-` and `__Host-Http-`
/// prefixes of the layered-cookies draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PrefixRule {
    /// The canonical spelling, such as `__Host-`.
    pub prefix: &'static str,
    /// `Secure` is required.
    pub secure: bool,
    /// `Path=/` and no `Domain` are required.
    pub host: bool,
    /// `HttpOnly` is required.
    pub http_only: bool,
}

/// The prefixes, longest first so that `__Host-Http-` wins over `__Host-`.
const PREFIXES: [PrefixRule; 4] = [
    PrefixRule {
        prefix: "__Host-Http-",
        secure: true,
        host: true,
        http_only: true,
    },
    PrefixRule {
        prefix: "__Secure-",
        secure: true,
        host: false,
        http_only: false,
    },
    PrefixRule {
        prefix: "__Host-",
        secure: true,
        host: true,
        http_only: false,
    },
    PrefixRule {
        prefix: "__Http-",
        secure: true,
        host: false,
        http_only: true,
    },
];

/// The prefix a name carries, matched case-insensitively as user agents
/// match it (bis §5.4), and whether it is spelled canonically (R9): a name
/// such as `__host-sid` is guarded by the browser yet looks unguarded to a
/// server that compares bytes.
pub(crate) fn prefix_of(name: &str) -> Option<(PrefixRule, bool)> {
    if !name.starts_with("__") {
        return None;
    }
    PREFIXES.iter().find_map(|r| {
        let head = name.as_bytes().get(..r.prefix.len())?;
        head.eq_ignore_ascii_case(r.prefix.as_bytes())
            .then(|| (*r, head == r.prefix.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_case_insensitively_and_report_their_spelling() {
        let of = |name| prefix_of(name).map(|(r, canonical)| (r.prefix, canonical));
        assert_eq!(of("__Host-sid"), Some(("__Host-", true)));
        assert_eq!(of("__host-sid"), Some(("__Host-", false)));
        assert_eq!(of("__SECURE-x"), Some(("__Secure-", false)));
        assert_eq!(of("__Host-Http-x"), Some(("__Host-Http-", true)));
        assert_eq!(
            prefix_of("__Http-x").map(|(r, _)| (r.host, r.http_only)),
            Some((false, true))
        );
        for plain in ["__Hostx", "_Host-x", "%5F%5FHost-x", "sid", ""] {
            assert_eq!(prefix_of(plain), None, "{plain}");
        }
    }

    #[test]
    fn names_and_values_are_refused_naming_the_byte() {
        assert_eq!(
            check_name("user name").unwrap_err().to_string(),
            "cookie `user name`: byte 0x20 (space) at position 4 is not allowed in a cookie name, which must be an RFC 9110 token (R1)"
        );
        assert_eq!(
            check_name("").unwrap_err().to_string(),
            "cookie ``: a cookie name must not be empty (R1)"
        );
        assert_eq!(
            check_value("a", "x;y").unwrap_err().to_string(),
            "cookie `a`: byte 0x3B (';') at position 1 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)"
        );
        assert_eq!(
            check_value("a", "50%").unwrap_err().to_string(),
            "cookie `a`: '%' at position 2 is not followed by two hex digits, so the value could not be read back; write it as %25 (R2)"
        );
        assert_eq!(check_name("a\u{7}").unwrap_err().cookie(), "a\\u{7}");
    }

    #[test]
    fn encoded_values_are_cookie_values_and_decode_back() {
        for text in ["plain", "a b,c;d\\e\"f", "100%", "é ü 日本", "\r\n", ""] {
            let encoded = encode_value(text);
            assert!(check_value("x", &encoded).is_ok(), "{text:?} -> {encoded}");
            assert_eq!(decode_value(&encoded).as_deref(), Some(text));
        }
        assert!(matches!(encode_value("plain"), Cow::Borrowed("plain")));
        assert_eq!(decode_value("%FF"), None);
    }

    #[test]
    fn domains_are_plain_host_names_normalized() {
        assert_eq!(normalize_domain(".Example.COM").unwrap(), "example.com");
        for bad in [
            "",
            ".",
            "example.com:8080",
            "[::1]",
            "a..b",
            "-a.com",
            "a_b.com",
            &"a".repeat(64),
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
        for ip in ["127.0.0.1", "10.1", "example.1", "1.0x7f"] {
            assert_eq!(
                normalize_domain(ip).unwrap_err(),
                format!(
                    "a domain cannot be an IP address, got {ip:?}; leave Domain unset, which makes the cookie host-only"
                )
            );
        }
        assert_eq!(normalize_domain("1password.com").unwrap(), "1password.com");
        assert!(is_public_suffix("co.uk") && is_public_suffix("github.io"));
        assert!(!is_public_suffix("example.co.uk"));
    }

    #[test]
    fn a_domain_must_cover_the_request_host_and_not_be_a_public_suffix() {
        assert!(check_domain_for_host("a", "example.com", "www.example.com").is_ok());
        assert!(check_domain_for_host("a", "example.com", "example.com").is_ok());
        let e = check_domain_for_host("a", "example.com", "badexample.com").unwrap_err();
        assert_eq!(e.kind(), ViolationKind::InvalidDomain);
        assert!(check_domain_for_host("a", "0.0.1", "127.0.0.1").is_err());
        let e = check_domain_for_host("a", "github.io", "me.github.io").unwrap_err();
        assert!(e.to_string().contains("public suffix"), "{e}");
        assert_eq!(host_name("Example.COM.:8080"), "example.com");
        assert_eq!(host_name("[::1]:8080"), "::1");
    }

    #[test]
    fn paths_start_with_a_slash_and_keep_to_attribute_octets() {
        assert!(check_path("/app").is_ok());
        assert_eq!(check_path("app").unwrap_err().0, ViolationKind::InvalidPath);
        assert_eq!(
            check_path("/a;b").unwrap_err().0,
            ViolationKind::InvalidAttribute
        );
        assert_eq!(check_path("/a ").unwrap_err().0, ViolationKind::InvalidPath);
        let long = format!("/{}", "a".repeat(MAX_ATTRIBUTE_VALUE_BYTES));
        assert!(
            check_path(&long)
                .unwrap_err()
                .1
                .contains("over the 1024 bytes")
        );
    }
}
