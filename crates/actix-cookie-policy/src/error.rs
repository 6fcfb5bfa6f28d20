//! The errors of the policy layer and the JSON body they answer with.
//!
//! Every error answers in the shape FastAPI users know:
//! `{"detail":[{"type":"<kind>","loc":["cookie","<name>"],"msg":"<sentence>"}]}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

/// The JSON error body: `{"detail":[...]}`, as FastAPI writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// One entry per problem.
    pub detail: Vec<ErrorDetail>,
}

/// One problem in an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

    /// A JSON response with this body and `status`.
    pub fn respond(&self, status: StatusCode) -> HttpResponse {
        HttpResponse::build(status).json(self)
    }
}

/// Which rule of `docs/cookie-rules.md` a cookie the app wrote broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ViolationKind {
    /// R1: the name is empty or not an RFC 9110 token.
    InvalidName,
    /// R2: the value has a byte outside `cookie-octet`, or a bad `%` escape.
    InvalidValue,
    /// R3: name and value together are over 4096 bytes.
    TooLarge,
    /// R4: an attribute is unknown, malformed, too long or has a forbidden byte.
    InvalidAttribute,
    /// R5: `Path` does not start with `/`.
    InvalidPath,
    /// R6: `Domain` is not a plain host name, or does not cover the host.
    InvalidDomain,
    /// R7: a `__Secure-` (or `__Http-`) name without what its prefix needs.
    SecurePrefix,
    /// R8: a `__Host-` name without `Secure` or `Path=/`, or with `Domain`.
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

    /// The rule's number in `docs/cookie-rules.md`, such as `R2`.
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
/// Returned by [`CookiePolicy::cookie`](crate::CookiePolicy::cookie) and
/// found by the middleware in a `Set-Cookie` it cannot fix. As an actix
/// error it answers 500 with a generic body; the middleware puts the cookie
/// and the rule in the body when the policy's `explain_violations` is on,
/// and always logs them.
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
            "The server tried to write a cookie that its cookie policy refuses; the server log has the details.",
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

/// A policy configuration that breaks a rule, naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct PolicyConfigError {
    /// The configuration key, such as `cookies.overrides.sid.path`.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// A request whose cookies exceed the policy's limits (R16). Answers 431.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// Too many octets over all `Cookie` fields.
    #[error(
        "the Cookie header is {bytes} bytes, over the limit of {limit}; clear this site's cookies and try again"
    )]
    Bytes {
        /// Octets received.
        bytes: usize,
        /// `max_header_bytes` of the policy.
        limit: usize,
    },
    /// Too many cookie pairs.
    #[error(
        "the request carries more than {limit} cookies; clear this site's cookies and try again"
    )]
    Pairs {
        /// `max_pairs` of the policy.
        limit: usize,
    },
}

impl ResponseError for LimitExceeded {
    fn status_code(&self) -> StatusCode {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    }

    fn error_response(&self) -> HttpResponse {
        ErrorBody::one(self.kind(), &["header", "cookie"], self.to_string())
            .respond(self.status_code())
    }
}

impl LimitExceeded {
    /// The `type` of its error body.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Bytes { .. } => "cookie_header_too_large",
            Self::Pairs { .. } => "too_many_cookies",
        }
    }
}

/// A handler asked for the [`Policy`](crate::Policy) of a request that did
/// not pass through [`CookiePolicyLayer`](crate::CookiePolicyLayer). Answers 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the cookie policy middleware is not registered for this route: add `.wrap(CookiePolicyLayer::new(policy))` to the App or scope"
)]
pub struct PolicyLayerMissing;

impl ResponseError for PolicyLayerMissing {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        ErrorBody::one("policy_layer_missing", &["server"], self.to_string())
            .respond(self.status_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::CONTENT_TYPE;

    fn body_of(res: HttpResponse) -> String {
        let body = actix_web::body::to_bytes(res.into_body());
        let body = actix_web::rt::System::new().block_on(body).unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[test]
    fn an_error_body_answers_json_with_its_status() {
        let res = ErrorBody::one("k", &["cookie", "a"], "m").respond(StatusCode::IM_A_TEAPOT);
        assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(res.headers().get(CONTENT_TYPE).unwrap(), "application/json");
        assert_eq!(
            body_of(res),
            r#"{"detail":[{"type":"k","loc":["cookie","a"],"msg":"m"}]}"#
        );
    }

    #[test]
    fn the_detailed_body_names_kind_cookie_and_rule() {
        let e = CookieError::new("a", ViolationKind::InvalidValue, "bad");
        assert_eq!(
            serde_json::to_string(&e.detailed_body()).unwrap(),
            r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","a"],"msg":"cookie `a`: bad (R2)"}]}"#
        );
    }

    #[test]
    fn the_generic_body_names_neither_cookie_nor_rule_and_says_what_happened() {
        let e = CookieError::new("secret_name", ViolationKind::TooLarge, "too long");
        let body = body_of(e.error_response());
        assert_eq!(
            body,
            r#"{"detail":[{"type":"cookie_policy_violation","loc":["response","set-cookie"],"msg":"The server tried to write a cookie that its cookie policy refuses; the server log has the details."}]}"#
        );
    }

    #[test]
    fn limits_answer_431_with_their_own_kind() {
        let res = LimitExceeded::Pairs { limit: 2 }.error_response();
        assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(
            body_of(res),
            r#"{"detail":[{"type":"too_many_cookies","loc":["header","cookie"],"msg":"the request carries more than 2 cookies; clear this site's cookies and try again"}]}"#
        );
    }
}
