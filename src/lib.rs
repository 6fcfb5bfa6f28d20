//! # cookie-policy
//!
//! One typed cookie policy, applied by an actix-web middleware to every cookie
//! the app writes and reads: secure by default, exact to the cookie
//! standards (RFC 6265bis, CHIPS, OWASP).
//!
//! - [`policy`] is the library: [`CookiePolicy`](policy::CookiePolicy), the
//!   middleware [`CookiePolicyLayer`](policy::CookiePolicyLayer), the
//!   [`Policy`](policy::Policy) extractor and the errors.
//! - [`settings`], [`startup`] and [`routes`] make the server that serves the
//!   endpoints of the FastAPI cookie guide through that policy.
//!
//! ```
//! use actix_web::{App, HttpRequest, HttpResponse, test, web};
//! use cookie_policy::policy::{CookieError, CookiePolicy, CookiePolicyLayer, Policy};
//!
//! async fn login(policy: Policy) -> Result<HttpResponse, CookieError> {
//!     Ok(HttpResponse::Ok().cookie(policy.cookie("username", "alice")?).finish())
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let app = test::init_service(
//!     App::new()
//!         .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
//!         .route("/login", web::get().to(login)),
//! )
//! .await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
//! assert_eq!(
//!     res.headers().get("set-cookie").unwrap(),
//!     "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/"
//! );
//! # });
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod policy;
pub mod routes;
pub mod settings;
pub mod startup;

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
