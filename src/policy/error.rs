//! Errors of the policy layer and their JSON bodies.
//!
//! Every error answers in the shape FastAPI users know:
//! `{"detail":[{"type":"<kind>","loc":["cookie","<name>"],"msg":"<sentence>"}]}`.

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// The JSON error body: `{"detail":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// One entry per problem.
    pub detail: Vec<ErrorDetail>,
}

/// One problem in an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorDetail {
    /// A snake_case kind, such as `invalid_cookie_value`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where the problem is, such as `["cookie", "username"]`.
    pub loc: Vec<String>,
    /// A sentence saying what is wrong and what to do.
    pub msg: String,
}

impl ErrorBody {
    /// A body with one problem.
    pub fn one(kind: &str, loc: &[&str], msg: impl Into<String>) -> Self {
        Self {
            detail: vec![ErrorDetail {
                kind: kind.to_owned(),
                loc: loc.iter().map(|s| (*s).to_owned()).collect(),
                msg: msg.into(),
            }],
        }
    }

    /// A JSON response with this body.
    ///
    /// The same response as `HttpResponse::build(status).json(self)`, on
    /// purpose not written with it: `json` shares its header and body
    /// steps across every type it serializes, and a second caller of those
    /// steps (this error body) kept the compiler from inlining them into
    /// the handlers' own `json` calls, which then cost about 230 more
    /// instructions on every JSON response (callgrind's per-function counts
    /// of `/profile`, in process and in the real server).
    pub fn respond(&self, status: StatusCode) -> HttpResponse {
        match serde_json::to_vec(self) {
            Ok(body) => HttpResponse::build(status)
                .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
                .body(body),
            Err(e) => HttpResponse::from_error(JsonPayloadError::Serialize(e)),
        }
    }
}

/// Which rule of `COOKIE-RULES.md` a cookie broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ViolationKind {
    /// R1: the name is empty or not an RFC 9110 token.
    InvalidName,
    /// R2: the value has a byte outside `cookie-octet`.
    InvalidValue,
    /// R3: name and value together are too long.
    TooLarge,
    /// R4: an attribute is unknown, malformed, too long or has a forbidden byte.
    InvalidAttribute,
    /// R5: `Path` does not start with `/`.
    InvalidPath,
    /// R6: `Domain` is not a plain host name.
    InvalidDomain,
    /// R7: a `__Secure-` (or `__Http-`) name without what its prefix needs.
    SecurePrefix,
    /// R8: a `__Host-` name without `Secure`, `Path=/`, or with `Domain`.
    HostPrefix,
    /// R9: a prefix spelled other than canonically, such as `__host-`.
    NonCanonicalPrefix,
    /// R10: `SameSite=None` without `Secure`.
    SameSiteNoneInsecure,
    /// R11: `Partitioned` without `Secure`.
    PartitionedInsecure,
    /// R12: `Max-Age` or `Expires` malformed or beyond 400 days.
    InvalidLifetime,
    /// R13: one attribute written twice.
    DuplicateAttribute,
    /// R13: two `Set-Cookie` fields for one name in one response.
    DuplicateCookie,
    /// R14: a `SameSite` value other than Strict, Lax or None.
    InvalidSameSite,
    /// R15: a `Priority` value other than Low, Medium or High.
    InvalidPriority,
}

impl ViolationKind {
    /// The snake_case `type` of the JSON error.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidName => "invalid_cookie_name",
            Self::InvalidValue => "invalid_cookie_value",
            Self::TooLarge => "cookie_too_large",
            Self::InvalidAttribute => "invalid_cookie_attribute",
            Self::InvalidPath => "invalid_cookie_path",
            Self::InvalidDomain => "invalid_cookie_domain",
            Self::SecurePrefix => "secure_prefix_requirements",
            Self::HostPrefix => "host_prefix_requirements",
            Self::NonCanonicalPrefix => "non_canonical_prefix",
            Self::SameSiteNoneInsecure => "same_site_none_requires_secure",
            Self::PartitionedInsecure => "partitioned_requires_secure",
            Self::InvalidLifetime => "invalid_cookie_lifetime",
            Self::DuplicateAttribute => "duplicate_cookie_attribute",
            Self::DuplicateCookie => "duplicate_cookie",
            Self::InvalidSameSite => "invalid_same_site",
            Self::InvalidPriority => "invalid_priority",
        }
    }

    /// The rule's number in `COOKIE-RULES.md`, such as `R2`.
    pub fn rule(self) -> &'static str {
        match self {
            Self::InvalidName => "R1",
            Self::InvalidValue => "R2",
            Self::TooLarge => "R3",
            Self::InvalidAttribute => "R4",
            Self::InvalidPath => "R5",
            Self::InvalidDomain => "R6",
            Self::SecurePrefix => "R7",
            Self::HostPrefix => "R8",
            Self::NonCanonicalPrefix => "R9",
            Self::SameSiteNoneInsecure => "R10",
            Self::PartitionedInsecure => "R11",
            Self::InvalidLifetime => "R12",
            Self::DuplicateAttribute | Self::DuplicateCookie => "R13",
            Self::InvalidSameSite => "R14",
            Self::InvalidPriority => "R15",
        }
    }
}

/// A cookie the app tried to write against the rules.
///
/// Returned by [`CookiePolicy::cookie`](super::CookiePolicy::cookie) and
/// raised by the middleware for a `Set-Cookie` it cannot fix. As an actix
/// error it answers 500; the body names the cookie and the rule only when the
/// policy's `explain_violations` is on (the middleware rewrites it), and is
/// generic otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cookie `{cookie}`: {detail} ({rule})", rule = kind.rule())]
pub struct CookieError {
    cookie: String,
    kind: ViolationKind,
    detail: String,
}

impl CookieError {
    /// A violation of `kind` by the cookie `cookie`; `detail` is a sentence
    /// saying what is wrong and how to fix it.
    pub fn new(cookie: impl Into<String>, kind: ViolationKind, detail: impl Into<String>) -> Self {
        Self {
            cookie: cookie.into(),
            kind,
            detail: detail.into(),
        }
    }

    /// The cookie's name, as the app wrote it (non-printable bytes escaped).
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// The rule that was broken.
    pub fn kind(&self) -> ViolationKind {
        self.kind
    }

    /// What is wrong, without the cookie's name.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// What is wrong and the rule, without the cookie's name.
    pub fn explanation(&self) -> String {
        format!("{} ({})", self.detail, self.kind.rule())
    }

    /// The detailed JSON body: kind, cookie and rule.
    pub fn detailed_body(&self) -> ErrorBody {
        ErrorBody::one(
            self.kind.as_str(),
            &["cookie", &self.cookie],
            self.to_string(),
        )
    }

    /// The generic JSON body, which names neither the cookie nor the rule.
    pub fn generic_body() -> ErrorBody {
        ErrorBody::one(
            "cookie_policy_violation",
            &["response", "set-cookie"],
            "The server could not write a cookie that its cookie policy allows; the server log has the details.",
        )
    }
}

impl ResponseError for CookieError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        Self::generic_body().respond(self.status_code())
    }
}

/// A `[cookies]` configuration that breaks a rule, naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct PolicyConfigError {
    /// The configuration key, such as `cookies.overrides.sid.path`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_answers_json_with_its_status() {
        let res = ErrorBody::one("k", &["cookie", "a"], "m").respond(StatusCode::IM_A_TEAPOT);
        assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(res.headers().get(CONTENT_TYPE).unwrap(), "application/json");
        let body = actix_web::body::to_bytes(res.into_body());
        let body = actix_web::rt::System::new().block_on(body).unwrap();
        assert_eq!(
            body,
            r#"{"detail":[{"type":"k","loc":["cookie","a"],"msg":"m"}]}"#
        );
    }

    #[test]
    fn detailed_body_names_kind_cookie_and_rule() {
        let e = CookieError::new("a", ViolationKind::InvalidValue, "bad");
        assert_eq!(
            serde_json::to_string(&e.detailed_body()).unwrap(),
            r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","a"],"msg":"cookie `a`: bad (R2)"}]}"#
        );
    }

    #[test]
    fn generic_body_names_neither_cookie_nor_rule() {
        let body = serde_json::to_string(&CookieError::generic_body()).unwrap();
        assert_eq!(
            body,
            r#"{"detail":[{"type":"cookie_policy_violation","loc":["response","set-cookie"],"msg":"The server could not write a cookie that its cookie policy allows; the server log has the details."}]}"#
        );
    }
}
