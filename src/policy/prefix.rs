//! Cookie name prefixes: `__Secure-`, `__Host-` (RFC 6265bis §4.1.3) and the
//! `__Http-`, `__Host-Http-` prefixes of the layered-cookies draft.
//!
//! User agents match prefixes case-insensitively (bis §5.4), so a name such
//! as `__host-sid` is protected by the browser yet looks unprotected to a
//! server that compares bytes. The layer therefore emits only the canonical
//! spelling (R9) and, inbound, refuses the others.

use serde::{Deserialize, Serialize};

/// A prefix a cookie can be declared with: `prefix = "host"` or `"secure"`
/// in its override. The policy then writes the prefixed name and meets the
/// prefix's requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prefix {
    /// `__Secure-`: requires `Secure` (R7).
    Secure,
    /// `__Host-`: requires `Secure`, `Path=/` and no `Domain` (R8).
    Host,
}

impl Prefix {
    /// The canonical spelling on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Prefix::Secure => "__Secure-",
            Prefix::Host => "__Host-",
        }
    }
}

/// What a name's prefix requires of its cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirements {
    /// The canonical spelling of the prefix, such as `__Host-`.
    pub prefix: &'static str,
    /// `Secure` is required.
    pub secure: bool,
    /// `Path=/` and no `Domain` are required.
    pub host: bool,
    /// `HttpOnly` is required.
    pub http_only: bool,
}

/// The prefixes, longest first so `__Host-Http-` wins over `__Host-`.
const PREFIXES: [Requirements; 4] = [
    Requirements {
        prefix: "__Host-Http-",
        secure: true,
        host: true,
        http_only: true,
    },
    Requirements {
        prefix: "__Secure-",
        secure: true,
        host: false,
        http_only: false,
    },
    Requirements {
        prefix: "__Host-",
        secure: true,
        host: true,
        http_only: false,
    },
    Requirements {
        prefix: "__Http-",
        secure: true,
        host: false,
        http_only: true,
    },
];

/// The prefix a name carries, matched case-insensitively as user agents do,
/// and whether it is spelled canonically.
pub fn of(name: &str) -> Option<(Requirements, bool)> {
    let bytes = name.as_bytes();
    if bytes.len() < 2 || &bytes[..2] != b"__" {
        return None; // the common case: one comparison.
    }
    PREFIXES.iter().find_map(|r| {
        let head = bytes.get(..r.prefix.len())?;
        head.eq_ignore_ascii_case(r.prefix.as_bytes())
            .then(|| (*r, head == r.prefix.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_case_insensitively_and_report_their_spelling() {
        assert_eq!(
            of("__Host-sid").map(|(r, c)| (r.prefix, c)),
            Some(("__Host-", true))
        );
        assert_eq!(
            of("__host-sid").map(|(r, c)| (r.prefix, c)),
            Some(("__Host-", false))
        );
        assert_eq!(
            of("__SECURE-x").map(|(r, c)| (r.prefix, c)),
            Some(("__Secure-", false))
        );
        assert_eq!(
            of("__Host-Http-x").map(|(r, c)| (r.prefix, c, r.http_only)),
            Some(("__Host-Http-", true, true))
        );
        assert_eq!(
            of("__Http-x").map(|(r, c)| (r.host, c)),
            Some((false, true))
        );
        assert_eq!(of("__Hostx"), None);
        assert_eq!(of("_Host-x"), None);
        assert_eq!(of("%5F%5FHost-x"), None);
        assert_eq!(of("sid"), None);
    }
}
