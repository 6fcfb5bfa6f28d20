//! An httpbin-style cookie playground over plain HTTP: every rule of the
//! policy can be tried with curl alone.
//!
//! - `GET /cookies`: `{"cookies":{...}}`, the cookies the layer accepted;
//! - `GET /cookies/set?name=value&...` and `GET /cookies/set/{name}/{value}`:
//!   set cookies through the policy, then 302 to `/cookies`;
//! - `GET /cookies/delete?name&...`: remove them through the policy, then 302.
//!
//! A name or value the rules refuse answers 422 naming it, and sets nothing;
//! so does a request that names more than [`MAX_COOKIES`] cookies, or the
//! login session's cookie `sid`, which only `/session/login` writes.
//!
//! All three are mounted only when `playground.enabled` is on (the
//! development profile): they show any client its cookies with private
//! values decrypted, and seal any value it chooses under any name, protected
//! ones included. Off, their paths are unknown ones (404).

use std::collections::HashSet;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{CacheControl, CacheDirective, LOCATION};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use serde_json::json;

use actix_cookie_policy::{CookieError, ErrorBody, Policy, ViolationKind};

use crate::settings::SESSION_COOKIE;

/// The most cookies one request may set or remove: about as many as a
/// browser keeps for one site, so no real use needs more, while the work
/// and the response of one request stay small whatever a client sends.
pub const MAX_COOKIES: usize = 50;

/// Registers the playground's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(set_query)
        .service(set_path)
        .service(delete);
}

/// A cookie the client asked for that the rules refuse: 422, always
/// explained, since it is the client's own input.
#[derive(Debug, thiserror::Error)]
pub enum PlaygroundError {
    /// The cookie breaks a rule.
    #[error(transparent)]
    Cookie(#[from] CookieError),
    /// The query string is not `name=value&...`.
    #[error("the query string is not a list of name=value pairs: {0}")]
    Query(String),
    /// The query string names more than [`MAX_COOKIES`] cookies (the count
    /// is of names as given, repeats included).
    #[error(
        "the request names {0} cookies; the playground sets or removes at most {MAX_COOKIES} per request, about as many as a browser keeps for one site"
    )]
    TooMany(usize),
    /// The query sets the login session's cookie, which only
    /// `/session/login` writes: sealed by the playground, any value a client
    /// chose would pass for a session (actix-session's own key is public).
    #[error(
        "the playground does not set `{SESSION_COOKIE}`, the login session's cookie; sign in at /session/login?user=NAME"
    )]
    SessionCookie,
}

impl ResponseError for PlaygroundError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNPROCESSABLE_ENTITY
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            Self::Cookie(e) => e.detailed_body(),
            Self::Query(_) => ErrorBody::one("invalid_query", &["query"], self.to_string()),
            Self::TooMany(_) => ErrorBody::one("too_many_cookies", &["query"], self.to_string()),
            Self::SessionCookie => ErrorBody::one(
                "session_cookie",
                &["query", SESSION_COOKIE],
                self.to_string(),
            ),
        };
        body.respond(self.status_code())
    }
}

/// The query's `name=value` pairs, at most [`MAX_COOKIES`] of them.
fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, PlaygroundError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| PlaygroundError::Query(e.to_string()))?;
    if pairs.len() > MAX_COOKIES {
        return Err(PlaygroundError::TooMany(pairs.len()));
    }
    Ok(pairs)
}

fn redirect(cookies: Vec<Cookie<'_>>) -> HttpResponse {
    let mut res = HttpResponse::Found();
    res.insert_header((LOCATION, "/cookies"));
    for c in cookies {
        res.cookie(c);
    }
    res.finish()
}

/// Builds and fully checks every cookie first, so that one refused cookie
/// sets none of them.
fn set_all(policy: &Policy, pairs: &[(String, String)]) -> Result<HttpResponse, PlaygroundError> {
    let mut cookies = Vec::with_capacity(pairs.len());
    let mut names: HashSet<&str> = HashSet::with_capacity(pairs.len());
    for (name, value) in pairs {
        if name == SESSION_COOKIE {
            return Err(PlaygroundError::SessionCookie);
        }
        if !names.insert(name.as_str()) {
            return Err(CookieError::new(
                name.as_str(),
                ViolationKind::DuplicateCookie,
                "the request sets this cookie twice; set it once",
            )
            .into());
        }
        let cookie = policy.cookie(name.as_str(), value.as_str())?;
        policy.check(&cookie)?;
        cookies.push(cookie);
    }
    Ok(redirect(cookies))
}

/// `{"cookies":{...}}`: the cookies the app received, after the layer,
/// private ones decrypted; never stored by a cache, since it echoes them.
#[get("/cookies")]
async fn list(req: HttpRequest) -> HttpResponse {
    // The layer has checked the header, so the parse holds only accepted pairs.
    let cookies: serde_json::Map<String, serde_json::Value> = req
        .cookies()
        .map(|cookies| {
            let pairs = cookies.iter();
            pairs
                .map(|c| (c.name().to_owned(), json!(c.value())))
                .collect()
        })
        .unwrap_or_default();
    HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .json(json!({ "cookies": cookies }))
}

/// `GET /cookies/set?name=value&...`
#[get("/cookies/set")]
async fn set_query(policy: Policy, req: HttpRequest) -> Result<HttpResponse, PlaygroundError> {
    set_all(&policy, &query_pairs(&req)?)
}

/// `GET /cookies/set/{name}/{value}`
#[get("/cookies/set/{name}/{value}")]
async fn set_path(
    policy: Policy,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PlaygroundError> {
    set_all(&policy, &[path.into_inner()])
}

/// `GET /cookies/delete?name&...`
#[get("/cookies/delete")]
async fn delete(policy: Policy, req: HttpRequest) -> Result<HttpResponse, PlaygroundError> {
    let pairs = query_pairs(&req)?;
    let mut cookies: Vec<Cookie<'_>> = Vec::with_capacity(pairs.len());
    let mut names: HashSet<String> = HashSet::with_capacity(pairs.len());
    for (name, _) in &pairs {
        let removal = policy.removal(name.as_str())?;
        policy.check(&removal)?;
        // Naming a cookie twice removes it once.
        if names.insert(removal.name().to_owned()) {
            cookies.push(removal);
        }
    }
    Ok(redirect(cookies))
}
