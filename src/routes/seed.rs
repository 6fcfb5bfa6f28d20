//! The endpoints of the FastAPI cookie guide, with its JSON bodies byte for
//! byte, plus `/logout`.
//!
//! Handlers stay as simple as the guide's: they read cookies with
//! actix-web's `req.cookie(name)` (the guide's `Cookie()` dependency) and
//! write them with `policy.cookie(..)` (the guide's `response.set_cookie`)
//! or a plain `Cookie`; the policy layer adds and checks everything else.

use actix_cookie_policy::{CookieError, Policy};
use actix_web::cookie::Cookie;
use actix_web::cookie::time::Duration;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde_json::json;

/// Registers the guide's endpoints and `/logout`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(set_cookie)
        .service(get_cookie)
        .service(login)
        .service(profile)
        .service(logout)
        .service(wrong_set)
        .service(right_set);
}

/// `response.set_cookie(key="mycookie", value="cookievalue", max_age=1800, httponly=True)`.
#[get("/set-cookie")]
async fn set_cookie(policy: Policy) -> Result<HttpResponse, CookieError> {
    let mut cookie = policy.cookie("mycookie", "cookievalue")?;
    cookie.set_max_age(Duration::seconds(1800));
    cookie.set_http_only(true);
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .json(json!({ "message": "Cookie set" })))
}

/// `mycookie: str | None = Cookie(default=None)`.
#[get("/get-cookie")]
async fn get_cookie(req: HttpRequest) -> HttpResponse {
    let mycookie = req.cookie("mycookie");
    HttpResponse::Ok().json(json!({ "mycookie": mycookie.as_ref().map(Cookie::value) }))
}

/// `response.set_cookie(key="username", value="alice", max_age=3600, httponly=True)`.
#[get("/login")]
async fn login(policy: Policy) -> Result<HttpResponse, CookieError> {
    let mut cookie = policy.cookie("username", "alice")?;
    cookie.set_max_age(Duration::seconds(3600));
    cookie.set_http_only(true);
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .json(json!({ "message": "Logged in and cookie set" })))
}

/// Greets the user named by the `username` cookie. As in the guide
/// (`if username:`), an empty value counts as no cookie.
#[get("/profile")]
async fn profile(req: HttpRequest) -> HttpResponse {
    let message = match req.cookie("username") {
        Some(name) if !name.value().is_empty() => format!("Welcome back, {}!", name.value()),
        _ => "No username cookie found".to_owned(),
    };
    HttpResponse::Ok().json(json!({ "message": message }))
}

/// Removes `username` with a removal cookie derived from the policy.
#[get("/logout")]
async fn logout(policy: Policy) -> Result<HttpResponse, CookieError> {
    Ok(HttpResponse::Ok()
        .cookie(policy.removal("username")?)
        .json(json!({ "message": "Logged out" })))
}

/// The guide's "wrong" endpoint: sets nothing.
#[get("/wrong-set")]
async fn wrong_set() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "message": "No cookie set" }))
}

/// `response.set_cookie(key="token", value="abc123")`: a cookie built by
/// hand with no attributes; the policy layer fills them in.
#[get("/right-set")]
async fn right_set() -> HttpResponse {
    HttpResponse::Ok()
        .cookie(Cookie::new("token", "abc123"))
        .json(json!({ "message": "Cookie set properly" }))
}
