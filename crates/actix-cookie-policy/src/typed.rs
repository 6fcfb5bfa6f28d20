//! Typed cookies: a cookie declared once, with its name and value type, is
//! read by an extractor that answers 422 in FastAPI's shape when it is
//! missing or wrong, and written back through the policy.
//!
//! ```
//! use actix_web::{HttpResponse, get};
//! use actix_cookie_policy::{CookieError, Optional, Policy, Required, Text, TypedCookie};
//!
//! /// `visits`: a counter.
//! struct Visits;
//! impl TypedCookie for Visits {
//!     const NAME: &'static str = "visits";
//!     type Value = u32;
//!     type Codec = Text;
//! }
//!
//! #[get("/visit")]
//! async fn visit(policy: Policy, visits: Optional<Visits>) -> Result<HttpResponse, CookieError> {
//!     let next = visits.0.unwrap_or(0) + 1;
//!     Ok(HttpResponse::Ok().cookie(policy.typed_cookie::<Visits>(&next)?).body(next.to_string()))
//! }
//!
//! #[get("/visits")]
//! async fn count(visits: Required<Visits>) -> HttpResponse {
//!     HttpResponse::Ok().body(visits.0.to_string())
//! }
//! ```

use std::fmt::Display;
use std::future::{Ready, ready};
use std::marker::PhantomData;
use std::str::FromStr;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::diagnostics::{DiagnosticKind, Diagnostics};
use crate::error::ErrorBody;
use crate::rules::{decode_value, encode_value};

/// How a typed cookie's value is written to text and read back.
pub trait Codec<T> {
    /// The cookie value for `value`.
    fn encode(value: &T) -> Result<String, String>;
    /// The value a cookie holds, or what is wrong with it.
    fn decode(text: &str) -> Result<T, String>;
}

/// `Display` out, `FromStr` in, as is: for values whose text is already
/// made of cookie-octets (numbers, identifiers, enums).
pub struct Text;

impl<T> Codec<T> for Text
where
    T: FromStr + Display,
    T::Err: Display,
{
    fn encode(value: &T) -> Result<String, String> {
        Ok(value.to_string())
    }

    fn decode(text: &str) -> Result<T, String> {
        text.parse().map_err(|e: T::Err| e.to_string())
    }
}

/// `Display` and `FromStr` with percent-encoding of whatever is not a
/// cookie-octet: for free text such as names with spaces or accents.
pub struct Percent;

impl<T> Codec<T> for Percent
where
    T: FromStr + Display,
    T::Err: Display,
{
    fn encode(value: &T) -> Result<String, String> {
        Ok(encode_value(&value.to_string()).into_owned())
    }

    fn decode(text: &str) -> Result<T, String> {
        let decoded = decode_value(text)
            .ok_or_else(|| "the percent-encoded value is not UTF-8".to_owned())?;
        decoded.parse().map_err(|e: T::Err| e.to_string())
    }
}

/// Structured values: JSON, then base64url, whose alphabet is all
/// cookie-octets.
pub struct Json;

impl<T: Serialize + DeserializeOwned> Codec<T> for Json {
    fn encode(value: &T) -> Result<String, String> {
        serde_json::to_vec(value)
            .map(|json| URL_SAFE_NO_PAD.encode(json))
            .map_err(|e| e.to_string())
    }

    fn decode(text: &str) -> Result<T, String> {
        let json = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| "the value is not base64url".to_owned())?;
        serde_json::from_slice(&json).map_err(|e| e.to_string())
    }
}

/// A cookie declared once: its name, its value type and how that type is
/// written. Its attributes and protection come from the policy, under
/// `[cookies.overrides.<NAME>]`.
pub trait TypedCookie: 'static {
    /// The cookie's (declared) name.
    const NAME: &'static str;
    /// The type of its value.
    type Value;
    /// How the value is written and read.
    type Codec: Codec<Self::Value>;
    /// Treat a present but invalid (or tampered, or expired) cookie as
    /// absent in [`Optional`], instead of answering 422. Default: `false`.
    const INVALID_AS_ABSENT: bool = false;
}

/// Why a typed cookie could not be read. Answers 422 with the cookie in
/// `loc` and one of these as `type`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypedCookieError {
    /// Not sent (`missing`).
    #[error("Field required")]
    Missing {
        /// The cookie's name.
        name: &'static str,
    },
    /// Sent, but the value does not parse (`invalid`).
    #[error("{message}")]
    Invalid {
        /// The cookie's name.
        name: &'static str,
        /// The parser's message.
        message: String,
    },
    /// Sent, but changed, stripped, swapped or sent twice (`tampered`).
    #[error("the cookie was changed or was not issued by this server")]
    Tampered {
        /// The cookie's name.
        name: &'static str,
    },
    /// Sent, but older than its max_age (`expired`).
    #[error("the cookie has expired")]
    Expired {
        /// The cookie's name.
        name: &'static str,
    },
}

impl TypedCookieError {
    /// The JSON `type`: `missing`, `invalid`, `tampered` or `expired`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Missing { .. } => "missing",
            Self::Invalid { .. } => "invalid",
            Self::Tampered { .. } => "tampered",
            Self::Expired { .. } => "expired",
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Missing { name }
            | Self::Invalid { name, .. }
            | Self::Tampered { name }
            | Self::Expired { name } => name,
        }
    }
}

impl ResponseError for TypedCookieError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNPROCESSABLE_ENTITY
    }

    fn error_response(&self) -> HttpResponse {
        ErrorBody::one(self.kind(), &["cookie", self.name()], self.to_string())
            .respond(self.status_code())
    }
}

/// Reads the typed cookie `C`: `Ok(None)` when it was not sent at all.
fn read<C: TypedCookie>(req: &HttpRequest) -> Result<Option<C::Value>, TypedCookieError> {
    let name = C::NAME;
    if let Some(cookie) = req.cookie(name) {
        return C::Codec::decode(cookie.value())
            .map(Some)
            .map_err(|message| TypedCookieError::Invalid { name, message });
    }
    // Not handed to the app: the layer's diagnostics say whether it was
    // sent and refused, and why.
    let diagnostics = req
        .extensions()
        .get::<Diagnostics>()
        .cloned()
        .unwrap_or_default();
    let reason = diagnostics.iter().find(|d| d.name == name).map(|d| d.kind);
    match reason {
        None => Ok(None),
        Some(DiagnosticKind::Expired) => Err(TypedCookieError::Expired { name }),
        Some(
            DiagnosticKind::Tampered
            | DiagnosticKind::Tossing
            | DiagnosticKind::MissingPrefix
            | DiagnosticKind::NonCanonicalPrefix,
        ) => Err(TypedCookieError::Tampered { name }),
        Some(_) => Err(TypedCookieError::Invalid {
            name,
            message: "the cookie is not a valid cookie value".to_owned(),
        }),
    }
}

/// A required typed cookie: absent answers 422 `missing`; present but wrong
/// answers 422 `invalid`, `tampered` or `expired`.
pub struct Required<C: TypedCookie>(pub C::Value, PhantomData<C>);

impl<C: TypedCookie> Required<C> {
    /// The value.
    pub fn into_inner(self) -> C::Value {
        self.0
    }
}

impl<C: TypedCookie> FromRequest for Required<C> {
    type Error = TypedCookieError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match read::<C>(req) {
            Ok(Some(v)) => Ok(Required(v, PhantomData)),
            Ok(None) => Err(TypedCookieError::Missing { name: C::NAME }),
            Err(e) => Err(e),
        })
    }
}

/// An optional typed cookie: absent gives `None`; present but wrong answers
/// 422, unless the declaration sets `INVALID_AS_ABSENT`.
pub struct Optional<C: TypedCookie>(pub Option<C::Value>, PhantomData<C>);

impl<C: TypedCookie> Optional<C> {
    /// The value, if any.
    pub fn into_inner(self) -> Option<C::Value> {
        self.0
    }
}

impl<C: TypedCookie> FromRequest for Optional<C> {
    type Error = TypedCookieError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match read::<C>(req) {
            Ok(v) => Ok(Optional(v, PhantomData)),
            Err(_) if C::INVALID_AS_ABSENT => Ok(Optional(None, PhantomData)),
            Err(e) => Err(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Prefs {
        theme: String,
        size: u8,
    }

    #[test]
    fn json_values_round_trip_as_cookie_octets() {
        let v = Prefs {
            theme: "dark; evil".into(),
            size: 3,
        };
        let text = <Json as Codec<Prefs>>::encode(&v).unwrap();
        assert!(crate::grammar::check_value(text.as_bytes()).is_ok());
        assert_eq!(<Json as Codec<Prefs>>::decode(&text).unwrap(), v);
        assert_eq!(
            <Json as Codec<Prefs>>::decode("!!").unwrap_err(),
            "the value is not base64url"
        );
    }

    #[test]
    fn percent_values_round_trip_as_cookie_octets() {
        let v = "Zoë O'Brien, 50%; \"q\"".to_owned();
        let text = <Percent as Codec<String>>::encode(&v).unwrap();
        assert!(
            crate::grammar::check_value(text.as_bytes()).is_ok(),
            "{text}"
        );
        assert!(
            crate::grammar::bad_percent_escape(text.as_bytes()).is_none(),
            "{text}"
        );
        assert_eq!(<Percent as Codec<String>>::decode(&text).unwrap(), v);
    }

    #[test]
    fn text_values_report_the_parse_error() {
        assert_eq!(<Text as Codec<u32>>::decode("12").unwrap(), 12);
        assert_eq!(
            <Text as Codec<u32>>::decode("x").unwrap_err(),
            "invalid digit found in string"
        );
    }
}
