//! Extractors: the policy handle for handlers.

use std::future::{Ready, ready};
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};

use super::CookiePolicy;
use super::error::ErrorBody;
use super::inbound::Diagnostics;

/// The cookie policy of the request, put there by
/// [`CookiePolicyLayer`](super::CookiePolicyLayer).
///
/// Dereferences to [`CookiePolicy`], so a handler writes
/// `policy.cookie("username", "alice")?`.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use cookie_policy::policy::{CookieError, Policy};
///
/// #[get("/login")]
/// async fn login(policy: Policy) -> Result<HttpResponse, CookieError> {
///     Ok(HttpResponse::Ok().cookie(policy.cookie("username", "alice")?).finish())
/// }
/// ```
///
/// A handle local to the worker thread, like `HttpRequest`: cloning it is
/// a plain (not atomic) count, where an `Arc` clone per request is two
/// atomic read-modify-writes, typically 10 to 20 cycles each. To move the policy
/// to another thread, clone [`shared`](Policy::shared).
#[derive(Debug, Clone)]
pub struct Policy(
    #[expect(
        clippy::redundant_allocation,
        reason = "one Rc per worker, for clones without atomics"
    )]
    pub(crate) Rc<Arc<CookiePolicy>>,
);

impl Deref for Policy {
    type Target = CookiePolicy;

    fn deref(&self) -> &CookiePolicy {
        &self.0
    }
}

impl Policy {
    /// The shared policy itself.
    pub fn shared(&self) -> &Arc<CookiePolicy> {
        &self.0
    }
}

/// The policy as [`CookiePolicyLayer`](super::CookiePolicyLayer) hands it
/// to the request, in a data container the layer builds once and pushes on
/// every request (no per-request insert). Only this crate can make one, so
/// an app's own `app_data(Policy)` cannot pass for the layer having run.
pub(crate) struct LayerPolicy(pub(crate) Policy);

impl FromRequest for Policy {
    type Error = PolicyLayerMissing;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.app_data::<LayerPolicy>()
                .map(|p| p.0.clone())
                .ok_or_else(|| {
                    log::error!("{PolicyLayerMissing}");
                    PolicyLayerMissing
                }),
        )
    }
}

/// A handler asked for the [`Policy`] of a request that did not pass through
/// [`CookiePolicyLayer`](super::CookiePolicyLayer). Answers 500.
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

/// What the layer skipped or refused among the request's cookies; empty when
/// every pair was accepted (or the middleware is not registered).
impl FromRequest for Diagnostics {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(req
            .extensions()
            .get::<Diagnostics>()
            .cloned()
            .unwrap_or_default()))
    }
}
