//! Extractors: the policy handle and the request's diagnostics.

use std::future::{Ready, ready};
use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::diagnostics::Diagnostics;
use crate::error::PolicyLayerMissing;
use crate::policy::CookiePolicy;

/// The cookie policy of the request, put there by
/// [`CookiePolicyLayer`](crate::CookiePolicyLayer).
///
/// Dereferences to [`CookiePolicy`], so a handler writes
/// `policy.cookie("username", "alice")?`. Asking for it on a route the layer
/// does not wrap answers 500 ([`PolicyLayerMissing`]).
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use actix_cookie_policy::{CookieError, Policy};
///
/// #[get("/login")]
/// async fn login(policy: Policy) -> Result<HttpResponse, CookieError> {
///     Ok(HttpResponse::Ok().cookie(policy.cookie("username", "alice")?).finish())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Policy(pub(crate) Arc<CookiePolicy>);

impl Deref for Policy {
    type Target = CookiePolicy;

    fn deref(&self) -> &CookiePolicy {
        &self.0
    }
}

impl Policy {
    /// The shared policy itself, to keep beyond the request.
    pub fn shared(&self) -> &Arc<CookiePolicy> {
        &self.0
    }
}

/// The policy as the layer hands it to each request, in a data container
/// the layer builds once per worker. Only this crate can make one, so an
/// app's own `app_data` cannot pass for the layer.
pub(crate) struct LayerPolicy(pub(crate) Policy);

impl FromRequest for Policy {
    type Error = PolicyLayerMissing;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let policy = req.app_data::<LayerPolicy>().map(|p| p.0.clone());
        ready(policy.ok_or_else(|| {
            log::error!("{PolicyLayerMissing}");
            PolicyLayerMissing
        }))
    }
}

/// What the layer skipped or refused among the request's cookies; empty when
/// every pair was accepted (or the layer does not wrap the route, or only
/// reports).
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
