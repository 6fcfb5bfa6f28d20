//! A typed, signed cookie: `GET /preferences/set?theme=dark&lang=en` writes
//! a structured value, `GET /preferences` reads it back with its type. A
//! missing, malformed, tampered or expired cookie answers 422.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use actix_cookie_policy::{CookieError, ErrorBody, Json, Policy, Required, TypedCookie};

/// Registers `/preferences` and `/preferences/set`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read).service(save);
}

/// A colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Dark text on light.
    Light,
    /// Light text on dark.
    Dark,
}

/// What the `prefs` cookie holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// The theme.
    pub theme: Theme,
    /// A language tag such as `en` or `pt-BR`.
    pub lang: String,
}

/// The `prefs` cookie: JSON in base64url; signed by the default config.
pub struct PrefsCookie;

impl TypedCookie for PrefsCookie {
    const NAME: &'static str = "prefs";
    type Value = Preferences;
    type Codec = Json;
}

/// Why `/preferences/set` refused its query: 422.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The query is not a valid `Preferences`.
    #[error("{0}")]
    Query(String),
    /// The cookie could not be written.
    #[error(transparent)]
    Cookie(#[from] CookieError),
}

impl actix_web::ResponseError for SaveError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            Self::Query(_) => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            Self::Cookie(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Query(m) => {
                ErrorBody::one("invalid", &["query"], m.clone()).respond(self.status_code())
            }
            Self::Cookie(e) => e.error_response(),
        }
    }
}

/// Writes the `prefs` cookie from the query.
#[get("/preferences/set")]
async fn save(policy: Policy, req: HttpRequest) -> Result<HttpResponse, SaveError> {
    let prefs: Preferences = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| SaveError::Query(e.to_string()))?;
    let cookie = policy.typed_cookie::<PrefsCookie>(&prefs)?;
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .json(json!({ "preferences": prefs })))
}

/// Reads the `prefs` cookie back, typed.
#[get("/preferences")]
async fn read(prefs: Required<PrefsCookie>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "preferences": prefs.into_inner() }))
}
