//! # actix-cookie-policy
//!
//! One typed cookie policy, applied by an actix-web middleware to every
//! cookie the app writes and reads: secure by default, exact to the cookie
//! standards (RFC 6265bis, CHIPS, OWASP). The rules it enforces, numbered
//! R1 to R23 in errors and logs, are in the repository's
//! `docs/cookie-rules.md`.
//!
//! - [`CookiePolicy`] says how every cookie is written (`Max-Age`,
//!   `HttpOnly`, `Secure`, `SameSite`, `Path`, `Domain`, `Partitioned`,
//!   `Priority`, a name prefix, protection), with per-cookie overrides. Load
//!   it from configuration ([`CookiePolicyConfig`] is serde) or build it in
//!   code ([`CookiePolicy::builder`]).
//! - [`CookiePolicyLayer`] applies it: on the way in it checks the `Cookie`
//!   header (limits, grammar, prefixes, duplicates, protected values) and
//!   hands the app only what passed; on the way out it fills in, protects
//!   and checks every `Set-Cookie`, and refuses what breaks a rule.
//! - Handlers stay plain actix-web: read with `req.cookie(name)`, write with
//!   `HttpResponse::Ok().cookie(policy.cookie(name, value)?)`, where
//!   [`Policy`] is the extractor of the layer's policy.
//! - The layer counts each decision through the `metrics` facade, for the
//!   recorder the application installs (none: nothing is counted): cookies
//!   filled, refused, dropped and reported by rule, request pairs skipped
//!   by [`DiagnosticKind`], protected cookies re-issued, requests answered
//!   by the layer itself. [`describe_metrics`] tells the recorder what each
//!   counts; the crate's README lists them.
//!
//! ```
//! use actix_web::{App, HttpRequest, HttpResponse, test, web};
//! use actix_cookie_policy::{CookieError, CookiePolicy, CookiePolicyLayer, Policy};
//!
//! async fn login(policy: Policy) -> Result<HttpResponse, CookieError> {
//!     Ok(HttpResponse::Ok().cookie(policy.cookie("username", "alice")?).finish())
//! }
//!
//! async fn profile(req: HttpRequest) -> HttpResponse {
//!     match req.cookie("username") {
//!         Some(c) => HttpResponse::Ok().body(format!("Welcome back, {}!", c.value())),
//!         None => HttpResponse::Ok().body("No username cookie found"),
//!     }
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let app = test::init_service(
//!     App::new()
//!         .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
//!         .route("/login", web::get().to(login))
//!         .route("/profile", web::get().to(profile)),
//! )
//! .await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
//! assert_eq!(
//!     res.headers().get("set-cookie").unwrap(),
//!     "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/"
//! );
//! // A name the rules refuse never reaches the handler.
//! let req = test::TestRequest::get().uri("/profile").insert_header(("cookie", "username=a b")).to_request();
//! let body = test::call_and_read_body(&app, req).await;
//! assert_eq!(body, "No username cookie found");
//! # });
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod attributes;
mod config;
mod cookie_header;
mod counters;
mod cross_origin;
mod diagnostics;
mod error;
mod extract;
mod grammar;
mod keys;
mod middleware;
mod policy;
mod report;
mod response;
mod rules;
mod same_text;
mod set_cookie;
pub mod testing;
mod typed;

pub use attributes::CookieAttributes;
pub use config::{
    CookieOverride, CookiePolicyConfig, CrossOriginConfig, Lifetime, MAX_LIFETIME_SECONDS,
    OnViolation, Prefix, Priority, Protection, SameSite,
};
pub use counters::describe_metrics;
pub use diagnostics::{Diagnostic, DiagnosticKind, Diagnostics};
pub use error::{
    CookieError, ErrorBody, ErrorDetail, LimitExceeded, PolicyConfigError, PolicyLayerMissing,
    ViolationKind,
};
pub use extract::Policy;
pub use keys::{KeyError, KeyRing, MAX_CLOCK_SKEW_SECONDS, Verified, VerifyError};
pub use middleware::CookiePolicyLayer;
pub use policy::{CookiePolicy, CookiePolicyBuilder};
pub use response::unencode_base64_set_cookies;
pub use rules::{decode_value, encode_value};
pub use set_cookie::SetCookie;
pub use typed::{Codec, Json, Optional, Percent, Required, Text, TypedCookie, TypedCookieError};
