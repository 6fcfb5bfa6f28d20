//! The middleware: hands the policy to every request, then applies it to
//! every `Set-Cookie` of the response.
//!
//! This is the single place where the policy meets the traffic; each step of
//! the flow lives in its own module (`outbound` for `Set-Cookie`).

use std::cell::Ref;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::Cookie;
use actix_web::dev::{
    Extensions, Service, ServiceRequest, ServiceResponse, Transform, forward_ready,
};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, COOKIE, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, ResponseError};

use super::error::{CookieError, ErrorBody};
use super::extract::{LayerPolicy, Policy};
use super::inbound::{self, Diagnostic, DiagnosticKind, Diagnostics};
use super::{CookiePolicy, OnViolation, outbound};

/// The cookie policy middleware: `App::new().wrap(CookiePolicyLayer::new(policy))`.
///
/// On the way in it enforces the `Cookie` limits (431 beyond them), skips
/// malformed and suspicious pairs (see [`Diagnostics`]), hands the app one
/// canonical `Cookie` header, and attaches the policy to the request, for the
/// [`Policy`] extractor. On the way out it fills every `Set-Cookie` header's
/// unset attributes from the policy, checks the rules, and writes each header
/// in canonical form. A cookie that breaks a rule is never sent: the response
/// becomes a 500 error (`on_violation = "reject"`, the default) or loses that
/// cookie (`"drop"`); either way the violation is logged at error level.
///
/// ```
/// use actix_web::{App, HttpResponse, cookie::Cookie, test, web};
/// use cookie_policy::policy::{CookiePolicy, CookiePolicyLayer};
///
/// # actix_web::rt::System::new().block_on(async {
/// let app = test::init_service(
///     App::new()
///         .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
///         .route("/", web::get().to(|| async {
///             HttpResponse::Ok().cookie(Cookie::new("token", "abc123")).finish()
///         })),
/// )
/// .await;
/// let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
/// assert_eq!(
///     res.headers().get("set-cookie").unwrap(),
///     "token=abc123; HttpOnly; SameSite=Lax; Secure; Path=/"
/// );
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct CookiePolicyLayer {
    policy: Arc<CookiePolicy>,
}

impl CookiePolicyLayer {
    /// A middleware applying `policy`.
    pub fn new(policy: CookiePolicy) -> Self {
        Self::from(Arc::new(policy))
    }

    /// The policy this middleware applies.
    pub fn policy(&self) -> &Arc<CookiePolicy> {
        &self.policy
    }
}

impl From<Arc<CookiePolicy>> for CookiePolicyLayer {
    fn from(policy: Arc<CookiePolicy>) -> Self {
        Self { policy }
    }
}

impl<S, B> Transform<S, ServiceRequest> for CookiePolicyLayer
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = CookiePolicyMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let policy = Policy(Rc::new(self.policy.clone()));
        let mut data = Extensions::new();
        data.insert(LayerPolicy(policy.clone()));
        ready(Ok(CookiePolicyMiddleware {
            service: Rc::new(service),
            policy,
            data: Rc::new(data),
        }))
    }
}

/// The service [`CookiePolicyLayer`] wraps around the app; not used directly.
#[doc(hidden)]
pub struct CookiePolicyMiddleware<S> {
    service: Rc<S>,
    /// The policy, for the futures of this worker thread: the same handle
    /// as the extractor's, cloned per request without an atomic operation.
    policy: Policy,
    /// The [`Policy`] handle, built once: pushed onto each request as a data
    /// container (a reference count) instead of inserted into its extensions,
    /// which would allocate and grow the map actix-web's `cookies()` uses.
    data: Rc<Extensions>,
}

impl<S, B> Service<ServiceRequest> for CookiePolicyMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Respond<S::Future, B>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let inbound = match inbound::process(&self.policy, req.headers()) {
            Ok(inbound) => inbound,
            Err(limit) => {
                return Respond::Early {
                    res: Some(Box::new(refuse(req, limit).map_into_right_body())),
                };
            }
        };
        // The usual request has nothing changed and nothing skipped: the
        // rest is out of line, so that its code stays out of the way.
        if inbound.header.is_some() || !inbound.diagnostics.is_empty() {
            req = match hand_over(req, inbound.header, inbound.diagnostics) {
                Ok(req) => req,
                Err(res) => {
                    return Respond::Early {
                        res: Some(Box::new(res.map_into_right_body())),
                    };
                }
            };
        }
        // Pushed after any data container of the App, before those of
        // scopes and resources: `app_data` searches them all.
        req.add_data_container(self.data.clone());
        Respond::Call {
            policy: self.policy.clone(),
            reissue: inbound.reissue,
            fut: self.service.call(req),
        }
    }
}

/// The 431 for a `Cookie` header over the limits.
#[cold]
#[inline(never)]
fn refuse(req: ServiceRequest, limit: inbound::LimitExceeded) -> ServiceResponse {
    log::warn!("refused {} {}: {limit}", req.method(), req.path());
    req.into_response(limit.error_response())
}

/// Gives the app the checked `Cookie` header and what was skipped; or,
/// when cookies were read before the layer, the 500 that says so.
#[inline(never)]
fn hand_over(
    mut req: ServiceRequest,
    header: Option<Option<HeaderValue>>,
    diagnostics: Vec<Diagnostic>,
) -> Result<ServiceRequest, Box<ServiceResponse>> {
    if let Some(header) = header {
        // actix-web caches the first parse of the cookies: if a middleware
        // outside this one read them, the app would see the unchecked ones.
        // Fail closed rather than let that by.
        let cached = cached_parses(&mut req, !diagnostics.is_empty());
        let headers = req.headers_mut();
        match header {
            // `insert` replaces every field at once.
            Some(value) => {
                headers.insert(COOKIE, value);
            }
            None => {
                headers.remove(COOKIE);
            }
        }
        if !sees_accepted(&req, cached) {
            log::error!("{LAYER_ORDER}");
            let body = ErrorBody::one("policy_layer_order", &["server"], LAYER_ORDER);
            let res = req.into_response(body.respond(StatusCode::INTERNAL_SERVER_ERROR));
            return Err(Box::new(res));
        }
    }
    if !diagnostics.is_empty() {
        log_diagnostics(&req, &diagnostics);
        req.extensions_mut()
            .insert(Diagnostics(Arc::new(diagnostics)));
    }
    Ok(req)
}

pin_project_lite::pin_project! {
    /// The future of [`CookiePolicyMiddleware`]; not used directly.
    ///
    /// Written out rather than an `async` block in a `Box::pin` so that the
    /// layer costs no allocation per request.
    #[doc(hidden)]
    #[project = RespondProj]
    pub enum Respond<F, B> {
        /// Answered on the way in (431, layer order), without the app:
        /// the answer, until polled. Boxed: the future is moved along the
        /// middleware chain on every request, and an inline response would
        /// make it several times larger for an answer almost no request gets.
        Early {
            res: Option<Box<ServiceResponse<EitherBody<B>>>>,
        },
        /// Waiting for the app's response, to apply the policy to it and
        /// re-issue the protected cookies the way in verified with a
        /// previous key.
        Call {
            #[pin]
            fut: F,
            policy: Policy,
            reissue: Vec<outbound::Reissue>,
        },
    }
}

impl<F, B> Future for Respond<F, B>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            RespondProj::Early { res } => {
                Poll::Ready(Ok(*res.take().expect("Respond polled after completion")))
            }
            RespondProj::Call {
                fut,
                policy,
                reissue,
            } => {
                let res = std::task::ready!(fut.poll(cx))?;
                Poll::Ready(Ok(finish(policy, res, std::mem::take(reissue))))
            }
        }
    }
}

/// The way out: applies the policy to the response's cookies and turns a
/// cookie violation into the error response the policy asks for.
/// `reissue` holds the protected cookies the way in verified with a
/// previous key (always empty without keys).
///
/// The usual response is only read: no `Set-Cookie`, or one plain cookie
/// (not sensitive, protected or prefixed, no `Domain`, within the limits)
/// exactly as the policy writes it, and nothing to re-issue, no handler
/// error. Taking the response apart and putting it together again, as the
/// rest needs, moves the whole response twice
/// (`scripts/bench-footprint.sh --functions`).
fn finish<B>(
    policy: &CookiePolicy,
    res: ServiceResponse<B>,
    reissue: Vec<outbound::Reissue>,
) -> ServiceResponse<EitherBody<B>> {
    // `Some(sensitive)`: the headers stay as they are.
    let unchanged = if reissue.is_empty() {
        outbound::unchanged(policy, res.headers())
    } else {
        None
    };
    if unchanged == Some(false) && res.response().error().is_none() {
        return res.map_into_left_body();
    }
    finish_general(policy, res, reissue, unchanged)
}

/// [`finish`] for every other response, out of line; `unchanged` is what
/// `outbound::unchanged` said (`None` when it was not asked).
#[inline(never)]
fn finish_general<B>(
    policy: &CookiePolicy,
    res: ServiceResponse<B>,
    reissue: Vec<outbound::Reissue>,
    unchanged: Option<bool>,
) -> ServiceResponse<EitherBody<B>> {
    let drop_mode = policy.config().on_violation == OnViolation::Drop;
    let (res, outcome) = match unchanged {
        Some(sensitive) => (
            res,
            outbound::Outcome {
                errors: Vec::new(),
                sensitive,
            },
        ),
        None => {
            // Apart, so that the host (looked up only for a cookie with a
            // Domain) is read from the request while the headers change,
            // without a clone of the request handle on every response.
            let (request, mut response) = res.into_parts();
            let host = || Some(outbound::host_name(request.connection_info().host()));
            let outcome =
                outbound::apply(policy, response.headers_mut(), drop_mode, &host, &reissue);
            (ServiceResponse::new(request, response), outcome)
        }
    };
    // The usual response: every cookie valid, none sensitive, no error.
    if !outcome.errors.is_empty() || outcome.sensitive || res.response().error().is_some() {
        return finish_unusual(policy, res, outcome);
    }
    res.map_into_left_body()
}

/// The rest of [`finish`], out of line: violations, a sensitive cookie, a
/// handler's error.
#[inline(never)]
fn finish_unusual<B>(
    policy: &CookiePolicy,
    mut res: ServiceResponse<B>,
    outcome: outbound::Outcome,
) -> ServiceResponse<EitherBody<B>> {
    let config = policy.config();
    let drop_mode = config.on_violation == OnViolation::Drop;
    let errors = outcome.errors;
    let verb = if drop_mode { "dropped" } else { "refused" };
    for e in &errors {
        log::error!(
            "{verb} Set-Cookie on {} {}: {e}",
            res.request().method(),
            res.request().path()
        );
    }
    if !errors.is_empty() && !drop_mode {
        return res
            .into_response(violation_response(config.explain_violations, &errors))
            .map_into_right_body();
    }
    if outcome.sensitive {
        // R22: a response that sets a sensitive cookie must not be cached.
        res.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // A handler returned a CookieError (for example from `policy.cookie(..)?`):
    // its response has the generic body; log the detail and explain if asked.
    if let Some(e) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<CookieError>())
    {
        log::error!(
            "refused cookie on {} {}: {e}",
            res.request().method(),
            res.request().path()
        );
        if config.explain_violations {
            let body = violation_response(true, std::slice::from_ref(e));
            return res.into_response(body).map_into_right_body();
        }
    }
    res.map_into_left_body()
}

const LAYER_ORDER: &str = "the request's cookies were read before the cookie policy middleware ran: wrap the App so that CookiePolicyLayer is outside every middleware that reads cookies (the last .wrap)";

/// Which of actix-web's cookie caches a middleware outside the layer filled:
/// `(cookies(), cookies_raw())`, the raw one asked only when `skipped` (see
/// [`sees_accepted`]). Called before the layer writes its header.
///
/// Why a probe: the cached types are private to actix-web, so the only
/// question it answers is `cookies()` itself, which fills the cache from the
/// header when there is none: a parse of every pair, about 2,000
/// instructions, on every request the layer rewrites. One input makes it
/// fill nothing: a `Cookie` header that is not UTF-8 is an error, returned
/// before the cache is written (actix-web 4.18, `HttpRequest::cookies`). So
/// the probe puts such a header in for the moment it asks: an `Ok` can only
/// be a cache that was there before. Should a later actix-web cache
/// something on that input, the probe reads as a cache, whose comparison
/// with the layer's header then fails closed: never a silent empty read.
fn cached_parses(req: &mut ServiceRequest, skipped: bool) -> (bool, bool) {
    // A static buffer: no allocation. `\xff` is a valid header byte
    // (obs-text), never UTF-8: the same constant every time, never input.
    let probe = HeaderValue::from_maybe_shared(Bytes::from_static(b"\xff"))
        .expect("0xFF is a valid header value byte");
    req.headers_mut().insert(COOKIE, probe);
    let request = req.request();
    // One at a time: an `Ok` holds a borrow of the extensions, which a
    // second call that writes its cache would collide with (a panic).
    let decoded = request.cookies().is_ok();
    let raw = skipped && request.cookies_raw().is_ok();
    (decoded, raw)
}

/// Whether the cookies the app will read are exactly those of the header
/// the layer wrote, through actix-web's caches that [`cached_parses`] found:
/// `cookies()` (percent-decoded) and `cookies_raw()` (asked only when the
/// layer did not accept every pair). A cache that does not exist is filled
/// later from the layer's header, by the app's own read.
///
/// Why the raw cache is checked only when a pair was skipped: a raw parse
/// decodes nothing, so when the layer accepted every pair, a stale raw
/// cache holds only those pairs as they came (a protected value still
/// sealed, a prefixed name as sent), never one the layer refused. The
/// decoded cache is another matter: `%5F%5FHost-x`, accepted as that exact
/// name, decodes to `__Host-x`.
fn sees_accepted(req: &ServiceRequest, (decoded, raw): (bool, bool)) -> bool {
    if !decoded && !raw {
        return true;
    }
    // The layer's own header: checked ASCII.
    let header = req.headers().get(COOKIE).map(HeaderValue::as_bytes);
    // The cache against the header: `Err` (not UTF-8) is a mismatch too.
    let same = |cookies: Result<Ref<'_, Vec<Cookie<'static>>>, _>, decoded| {
        cookies.is_ok_and(|cs| {
            inbound::matches_canonical(header, cs.iter().map(|c| (c.name(), c.value())), decoded)
        })
    };
    let request = req.request();
    (!decoded || same(request.cookies(), true)) && (!raw || same(request.cookies_raw(), false))
}

/// Skipped pairs at debug level; possible tossing attempts at warn.
fn log_diagnostics(req: &ServiceRequest, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let level = match d.kind {
            DiagnosticKind::Tossing
            | DiagnosticKind::MissingPrefix
            | DiagnosticKind::NonCanonicalPrefix
            | DiagnosticKind::Tampered => log::Level::Warn,
            _ => log::Level::Debug,
        };
        log::log!(
            level,
            "cookie `{}` on {} {} not read ({}): {}",
            d.name,
            req.method(),
            req.path(),
            d.kind.as_str(),
            d.detail
        );
    }
}

fn violation_response(explain: bool, errors: &[CookieError]) -> actix_web::HttpResponse {
    let body = if explain {
        ErrorBody {
            detail: errors
                .iter()
                .flat_map(|e| e.detailed_body().detail)
                .collect(),
        }
    } else {
        CookieError::generic_body()
    };
    body.respond(StatusCode::INTERNAL_SERVER_ERROR)
}
