//! What the layer did not hand to the app among a request's cookies, and why.

use std::sync::Arc;

/// Why a cookie the client sent was not handed to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// A pair without `=`: a nameless cookie (R18).
    Nameless,
    /// The name is not an RFC 9110 token, or not UTF-8 (R1, R18).
    InvalidName,
    /// The value has bytes outside `cookie-octet`, or not UTF-8 (R2, R18).
    InvalidValue,
    /// The value has a `%` not followed by two hex digits (R18).
    BadPercentEscape,
    /// A prefix spelled other than canonically, such as `__host-` (R9).
    NonCanonicalPrefix,
    /// A cookie declared with a prefix arrived under its plain name: anyone
    /// can set that name, so it is not the guarded cookie (R20).
    MissingPrefix,
    /// A later copy of a name; the first one is kept (R20).
    Duplicate,
    /// A sensitive name arrived more than once: treated as absent, a
    /// possible cookie-tossing attempt (R20).
    Tossing,
    /// A protected cookie whose value was changed, stripped of its
    /// protection, taken from another cookie, or protected with a key no
    /// longer in the ring (R21).
    Tampered,
    /// A protected cookie older than its lifetime (R21).
    Expired,
}

impl DiagnosticKind {
    /// A snake_case name for logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nameless => "nameless_pair",
            Self::InvalidName => "invalid_name",
            Self::InvalidValue => "invalid_value",
            Self::BadPercentEscape => "bad_percent_escape",
            Self::NonCanonicalPrefix => "non_canonical_prefix",
            Self::MissingPrefix => "missing_prefix",
            Self::Duplicate => "duplicate",
            Self::Tossing => "possible_cookie_tossing",
            Self::Tampered => "tampered",
            Self::Expired => "expired",
        }
    }

    /// Whether it may be an attack rather than a client's mistake: the
    /// layer logs these at warn level, the rest at debug.
    pub fn is_suspicious(self) -> bool {
        matches!(
            self,
            Self::Tossing | Self::MissingPrefix | Self::NonCanonicalPrefix | Self::Tampered
        )
    }
}

/// One cookie the client sent that the app does not see, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The name as sent (the declared name for a prefixed one), non-printable
    /// bytes escaped; empty for a nameless pair.
    pub name: String,
    /// Why it was skipped.
    pub kind: DiagnosticKind,
    /// A sentence with the detail.
    pub detail: String,
}

/// Everything skipped or refused among one request's cookies, in the order
/// the pairs arrived. A handler takes it as an extractor; it is empty when
/// every pair was accepted.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use actix_cookie_policy::Diagnostics;
///
/// #[get("/debug/cookies")]
/// async fn skipped(diagnostics: Diagnostics) -> HttpResponse {
///     let kinds: Vec<&str> = diagnostics.iter().map(|d| d.kind.as_str()).collect();
///     HttpResponse::Ok().body(kinds.join(","))
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub(crate) Arc<Vec<Diagnostic>>);

impl Diagnostics {
    /// The diagnostics, in the order the pairs arrived.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Whether every pair was accepted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many pairs were not accepted.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}
