//! An httpbin-style cookie playground over plain HTTP: every rule of the
//! policy can be tried with curl alone.
//!
//! - `GET /cookies`: `{"cookies":{...}}`, the cookies the layer accepted;
//!   asked with `Accept: text/html` (a browser), a page that lists them with
//!   the `Set-Cookie` the policy writes for each, and forms that set and
//!   remove cookies;
//! - `GET /cookies/set?name=value&...` and `GET /cookies/set/{name}/{value}`,
//!   and `POST /cookies/set` with the same pairs as form fields: set cookies
//!   through the policy, then 302 to `/cookies`;
//! - `GET /cookies/delete?name&...`, and `POST /cookies/delete` with the
//!   names as form fields: remove them through the policy, then 302.
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
use actix_web::http::header::{
    ACCEPT, CONTENT_SECURITY_POLICY, CacheControl, CacheDirective, ContentType, LOCATION, VARY,
};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, get, post, web};
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
        .service(set_form)
        .service(set_path)
        .service(delete)
        .service(delete_form);
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
    /// A POST whose body is not `application/x-www-form-urlencoded` pairs.
    #[error(
        "the body is not form fields: send name=value pairs as application/x-www-form-urlencoded, as an HTML form does{0}"
    )]
    Form(String),
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
            Self::Form(_) => ErrorBody::one("invalid_form", &["body"], self.to_string()),
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
    at_most_max(pairs)
}

/// A form body's `name=value` pairs, at most [`MAX_COOKIES`] of them: the
/// same pairs as a query, sent as an HTML form sends them.
fn form_pairs(req: &HttpRequest, body: &[u8]) -> Result<Vec<(String, String)>, PlaygroundError> {
    if req.content_type() != "application/x-www-form-urlencoded" {
        let sent = match req.content_type() {
            "" => "; this one has no Content-Type".to_owned(),
            other => format!("; this one is {other}"),
        };
        return Err(PlaygroundError::Form(sent));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| PlaygroundError::Form(format!(" ({e})")))?;
    at_most_max(pairs)
}

fn at_most_max(pairs: Vec<(String, String)>) -> Result<Vec<(String, String)>, PlaygroundError> {
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
/// private ones decrypted; or, asked for HTML, the page that shows them.
/// Never stored by a cache, since it echoes them.
#[get("/cookies")]
async fn list(policy: Policy, req: HttpRequest) -> HttpResponse {
    // The layer has checked the header, so the parse holds only accepted pairs.
    let cookies = req.cookies();
    let cookies = cookies.as_deref().map(Vec::as_slice).unwrap_or_default();
    let mut res = HttpResponse::Ok();
    res.insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((VARY, "accept"));
    if !wants_html(&req) {
        let cookies: serde_json::Map<String, serde_json::Value> = (cookies.iter())
            .map(|c| (c.name().to_owned(), json!(c.value())))
            .collect();
        return res.json(json!({ "cookies": cookies }));
    }
    // The page runs no script and loads nothing; its forms post here only.
    res.insert_header((
        CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'",
    ))
    .content_type(ContentType::html())
    .body(page(&policy, cookies))
}

/// Whether the client asks for HTML, as a browser navigating does.
fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|media| {
                media
                    .split(';')
                    .next()
                    .is_some_and(|m| m.trim() == "text/html")
            })
        })
}

/// Names the page offers to set besides those received: a readable one
/// and a second, to see two cookies side by side.
const EXAMPLE_NAMES: [&str; 2] = ["theme", "lang"];

/// The playground's page: the cookies the app received, each with the
/// `Set-Cookie` the policy writes for it (protected values sealed anew),
/// a form to remove each, and a form to set each received, declared or
/// example name. A form field's name is the cookie's, as in
/// `/cookies/set?theme=dark`, so no script is needed. Everything the
/// client sent is HTML-escaped.
fn page(policy: &Policy, cookies: &[Cookie<'static>]) -> String {
    let mut rows = String::new();
    for (name, value) in cookies.iter().map(|c| (c.name(), c.value())) {
        let written = policy
            .cookie(name, value)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                policy
                    .check(&c)
                    .map(|c| c.to_string())
                    .map_err(|e| e.to_string())
            })
            .unwrap_or_else(|e| format!("(not writable: {e})"));
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><form method=\"post\" action=\"/cookies/delete\"><input type=\"hidden\" name=\"{}\" value=\"\"><button>Remove</button></form></td></tr>\n",
            escape(name),
            escape(value),
            escape(&written),
            escape(name),
        ));
    }
    if rows.is_empty() {
        rows.push_str("<tr><td colspan=\"4\">No cookies yet.</td></tr>\n");
    }
    let mut names: Vec<&str> = (cookies.iter().map(Cookie::name))
        .chain(policy.config().overrides.keys().map(String::as_str))
        .chain(EXAMPLE_NAMES)
        .filter(|name| *name != SESSION_COOKIE)
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut forms = String::new();
    for name in names {
        let value = cookies
            .iter()
            .find(|c| c.name() == name)
            .map_or("", Cookie::value);
        forms.push_str(&format!(
            "<form method=\"post\" action=\"/cookies/set\"><label><code>{0}</code> <input name=\"{0}\" value=\"{1}\"></label> <button>Set {0}</button></form>\n",
            escape(name),
            escape(value),
        ));
    }
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cookie-policy playground</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: .4rem; text-align: left; vertical-align: top; }}
code {{ word-break: break-all; }}
</style>
</head>
<body>
<h1>Cookie playground</h1>
<p>The cookies this server received, after the policy layer, with the <code>Set-Cookie</code> the policy writes for each.</p>
<table id="cookies">
<tr><th>Name</th><th>Value</th><th>Set-Cookie the policy writes</th><th></th></tr>
{rows}</table>
<h2>Set a cookie</h2>
<p>Any other name: <code>/cookies/set?name=value</code>.</p>
{forms}</body>
</html>
"#
    )
}

/// `text` safe inside HTML text and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `GET /cookies/set?name=value&...`
#[get("/cookies/set")]
async fn set_query(policy: Policy, req: HttpRequest) -> Result<HttpResponse, PlaygroundError> {
    set_all(&policy, &query_pairs(&req)?)
}

/// `POST /cookies/set` with `name=value&...` as form fields.
#[post("/cookies/set")]
async fn set_form(
    policy: Policy,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PlaygroundError> {
    set_all(&policy, &form_pairs(&req, &body)?)
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
    remove_all(&policy, &query_pairs(&req)?)
}

/// `POST /cookies/delete` with the names as form fields (`name=&...`).
#[post("/cookies/delete")]
async fn delete_form(
    policy: Policy,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PlaygroundError> {
    remove_all(&policy, &form_pairs(&req, &body)?)
}

/// Removes every cookie `pairs` names (their values are ignored), each
/// checked first, so that one refused name removes none.
fn remove_all(
    policy: &Policy,
    pairs: &[(String, String)],
) -> Result<HttpResponse, PlaygroundError> {
    let mut cookies: Vec<Cookie<'_>> = Vec::with_capacity(pairs.len());
    let mut names: HashSet<String> = HashSet::with_capacity(pairs.len());
    for (name, _) in pairs {
        let removal = policy.removal(name.as_str())?;
        policy.check(&removal)?;
        // Naming a cookie twice removes it once.
        if names.insert(removal.name().to_owned()) {
            cookies.push(removal);
        }
    }
    Ok(redirect(cookies))
}
