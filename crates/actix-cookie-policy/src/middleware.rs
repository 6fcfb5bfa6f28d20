//! The layer: the request's cookies on the way in, the handler, then the
//! response's cookies on the way out.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{
    Extensions, Service, ServiceRequest, ServiceResponse, Transform, forward_ready,
};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, COOKIE, HOST, HeaderValue, SET_COOKIE};
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, ResponseError};

use crate::config::OnViolation;
use crate::cookie_header::{self, escaped};
use crate::counters;
use crate::diagnostics::{Diagnostic, DiagnosticKind, Diagnostics};
use crate::error::{CookieError, ErrorBody};
use crate::extract::{LayerPolicy, Policy};
use crate::keys::Reissue;
use crate::policy::CookiePolicy;
use crate::response;
use crate::rules::host_name;
use crate::same_text::writes_exactly;

/// The cookie policy middleware: `App::new().wrap(CookiePolicyLayer::new(policy))`.
///
/// On the way in it enforces the `Cookie` limits (431 beyond them), skips
/// malformed and suspicious pairs (see [`Diagnostics`]), opens protected
/// values, hands the app one canonical `Cookie` header, and attaches the
/// policy to the request for the [`Policy`] extractor. On the way out it
/// fills every `Set-Cookie` header's unset attributes from the policy,
/// protects the declared values, checks the rules, and writes each header in
/// canonical form. A cookie that breaks a rule is never sent: the response
/// becomes a 500 error (`on_violation = "reject"`, the default) or loses that
/// cookie (`"drop"`); either way the violation is logged at error level.
/// With `"report"` the layer changes nothing in either direction and logs
/// what it would have done (see [`OnViolation::Report`]).
///
/// Register it last (`.wrap` runs the last-registered middleware first), so
/// that it runs before any middleware that reads cookies. A middleware that
/// read them first would have seen cookies the layer has not checked; when
/// the layer then has to change the header (a pair skipped, a value opened,
/// a name renamed or escaped), it answers 500 `policy_layer_order` rather
/// than let the app read that earlier parse. One layer applies per request:
/// a layer nested inside another (on a scope under the App's) leaves the
/// request to the outermost.
///
/// ```
/// use actix_web::{App, HttpResponse, cookie::Cookie, test, web};
/// use actix_cookie_policy::{CookiePolicy, CookiePolicyLayer};
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
        if policy.keys().is_some_and(|k| k.is_ephemeral()) {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                log::warn!(
                    "protected cookies use a random key for this process (KeyRing::ephemeral): they will not survive a restart, and other instances reject them; configure a key made with KeyRing::generate_key (the server: `cookie-policy keygen`)"
                );
            });
        }
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
        let mut data = Extensions::new();
        data.insert(LayerPolicy(Policy(self.policy.clone())));
        ready(Ok(CookiePolicyMiddleware {
            service: Rc::new(service),
            policy: self.policy.clone(),
            data: Rc::new(data),
        }))
    }
}

/// The service [`CookiePolicyLayer`] wraps around the app; not used directly.
#[doc(hidden)]
pub struct CookiePolicyMiddleware<S> {
    service: Rc<S>,
    policy: Arc<CookiePolicy>,
    /// The [`Policy`] handle, in a data container built once per worker and
    /// pushed onto each request.
    data: Rc<Extensions>,
}

impl<S, B> Service<ServiceRequest> for CookiePolicyMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Error>>>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        // One layer per request: a layer nested inside another (on a scope
        // under the App's, say) leaves the request to the outer one, which
        // has already rewritten its cookies and will check its response.
        if req.app_data::<LayerPolicy>().is_some() {
            let fut = self.service.call(req);
            return Box::pin(async move { Ok(fut.await?.map_into_left_body()) });
        }
        if let Err(res) = check_origin(&self.policy, req.request()) {
            return Box::pin(ready(Ok(req.into_response(*res).map_into_right_body())));
        }
        let reissue = match read_cookies(&self.policy, &mut req) {
            Ok(reissue) => reissue,
            Err(res) => return Box::pin(ready(Ok(req.into_response(*res).map_into_right_body()))),
        };
        req.add_data_container(self.data.clone());
        let fut = self.service.call(req);
        let policy = self.policy.clone();
        Box::pin(async move { Ok(write_cookies(&policy, fut.await?, &reissue)) })
    }
}

/// Refuses an unsafe request a browser sent from another origin (R23)
/// with 403 `cross_origin_request`, logging it once per origin; in the
/// `report` mode, logs what it would refuse and lets it through.
fn check_origin(policy: &CookiePolicy, req: &HttpRequest) -> Result<(), Box<HttpResponse>> {
    let Err(refusal) = policy.cross_origin().check(req) else {
        return Ok(());
    };
    let (method, path) = (req.method(), route(req));
    let first = policy.cross_origin().first_refusal(&refusal.source);
    let mode = policy.config().on_violation;
    counters::request_refused(mode, "cross_origin_request");
    if mode == OnViolation::Report {
        if first {
            log::warn!(
                "report: {method} {path}: the policy would refuse requests like this one from {} (R23): {}",
                refusal.source,
                refusal.message
            );
        }
        return Ok(());
    }
    if first {
        log::warn!(
            "refused {method} {path} from {} (R23): {}; further requests from it are not logged; if that origin is yours, add it to cookies.cross_origin.trusted_origins",
            refusal.source,
            refusal.message
        );
    }
    let body = ErrorBody::one(
        "cross_origin_request",
        &["header", refusal.header],
        refusal.message,
    );
    Err(Box::new(body.respond(StatusCode::FORBIDDEN)))
}

/// The way in: reads the request's cookies under the policy and hands the
/// app the accepted ones. Returns the protected cookies to re-issue, or the
/// response that ends the request (431 over the limits, 500 when a
/// middleware outside the layer read the cookies first).
fn read_cookies(
    policy: &CookiePolicy,
    req: &mut ServiceRequest,
) -> Result<Vec<Reissue>, Box<HttpResponse>> {
    let fields = req.headers().get_all(COOKIE).as_slice();
    if fields.is_empty() {
        return Ok(Vec::new());
    }
    let mode = policy.config().on_violation;
    if mode == OnViolation::Report {
        report_request(policy, req, fields);
        return Ok(Vec::new());
    }
    let read = cookie_header::parse(policy, fields).map(|cookies| {
        let unchanged =
            matches!(fields, [one] if writes_exactly(one.as_bytes(), |out| cookies.write_to(out)));
        // The header the app reads instead, and the pairs it holds.
        let rewrite = (!unchanged).then(|| {
            let pairs = cookies.pairs.iter();
            let accepted: Vec<(String, String)> = pairs
                .map(|p| (p.name.to_owned(), p.value.to_string()))
                .collect();
            (cookies.to_string(), accepted)
        });
        (rewrite, cookies.diagnostics, cookies.reissue)
    });
    let (rewrite, diagnostics, reissue) = match read {
        Ok(read) => read,
        Err(limit) => {
            counters::request_refused(mode, limit.kind());
            log::warn!("refused {} {}: {limit}", req.method(), route(req.request()));
            return Err(Box::new(limit.error_response()));
        }
    };
    counters::protected_cookies_reissued(reissue.len());
    let skipped = !diagnostics.is_empty();
    if skipped {
        for d in &diagnostics {
            counters::request_cookie_skipped(mode, d.kind);
        }
        log_diagnostics(req, &diagnostics);
        req.extensions_mut()
            .insert(Diagnostics(Arc::new(diagnostics)));
    }
    if let Some((header, accepted)) = rewrite {
        match HeaderValue::try_from(header) {
            Ok(value) if !accepted.is_empty() => {
                req.headers_mut().insert(COOKIE, value);
            }
            // No pair accepted (the header is checked ASCII, never refused).
            _ => {
                req.headers_mut().remove(COOKIE);
            }
        }
        if !app_reads_only(req.request(), &accepted, skipped) {
            counters::request_refused(mode, "policy_layer_order");
            log::error!("{LAYER_ORDER}");
            let body = ErrorBody::one("policy_layer_order", &["server"], LAYER_ORDER);
            return Err(Box::new(body.respond(StatusCode::INTERNAL_SERVER_ERROR)));
        }
    }
    Ok(reissue)
}

const LAYER_ORDER: &str = "the request's cookies were read before the cookie policy middleware ran: wrap the App so that CookiePolicyLayer is outside every middleware that reads cookies (the last .wrap)";

/// Whether actix-web's cookie reads give exactly the pairs the layer
/// accepted. actix-web parses the header once and keeps that parse for the
/// request: if a middleware outside the layer asked first, the app would
/// read the unchecked cookies from it. Asking here either fills the parse
/// from the layer's header (what the app's own reads then use) or finds such
/// an earlier parse, which does not match, and the layer fails closed.
///
/// `cookies()` (percent-decoded) is always asked: decoding can turn an
/// accepted `%5F%5FHost-x` into `__Host-x`. `cookies_raw()` is asked only
/// when the layer `skipped` a pair: a raw parse decodes nothing, so when
/// every pair was accepted an earlier raw parse holds exactly those pairs as
/// the client sent them (a protected value still sealed, a prefixed name as
/// sent), never one the layer refused.
fn app_reads_only(req: &HttpRequest, accepted: &[(String, String)], skipped: bool) -> bool {
    // The cookie crate takes one pair of quotes off a value.
    fn unquoted(v: &str) -> &str {
        match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => inner,
            None => v,
        }
    }
    let decoded = req.cookies().is_ok_and(|cookies| {
        cookies.len() == accepted.len()
            && cookies
                .iter()
                .zip(accepted)
                .all(|(c, (name, value))| c.name() == name && c.value() == unquoted(value))
    });
    let raw = !skipped
        || req.cookies_raw().is_ok_and(|cookies| {
            cookies.len() == accepted.len()
                && cookies.iter().zip(accepted).all(|(c, (name, value))| {
                    c.name() == escaped(name) && c.value() == unquoted(&escaped(value))
                })
        });
    decoded && raw
}

/// Logs what was not read in one line per request, however many pairs were
/// skipped, so that a client cannot make the log grow faster than it sends:
/// the count per kind, the first pair's reason, and a few more names. At
/// warn level when anything looks like an attack (tossing, a forged prefix,
/// a tampered value), at debug otherwise.
fn log_diagnostics(req: &ServiceRequest, diagnostics: &[Diagnostic]) {
    let suspicious = diagnostics.iter().any(|d| d.kind.is_suspicious());
    let level = if suspicious {
        log::Level::Warn
    } else {
        log::Level::Debug
    };
    if let Some((first, rest)) = diagnostics.split_first()
        && log::log_enabled!(level)
    {
        let line = summary(req.method().as_str(), &route(req.request()), first, rest);
        log::log!(level, "{line}");
    }
}

/// The names shown after the first skipped pair's, in a log line.
const MORE_NAMES_LOGGED: usize = 5;

/// One line on the pairs of a request that were not read.
fn summary(method: &str, path: &str, first: &Diagnostic, rest: &[Diagnostic]) -> String {
    let (name, kind, detail) = (&first.name, first.kind.as_str(), &first.detail);
    if rest.is_empty() {
        return format!("cookie `{name}` on {method} {path} not read ({kind}): {detail}");
    }
    // Few kinds exist: a list in first-seen order is a fine counter.
    let mut kinds: Vec<(DiagnosticKind, usize)> = Vec::new();
    for d in std::iter::once(first).chain(rest) {
        match kinds.iter_mut().find(|(k, _)| *k == d.kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((d.kind, 1)),
        }
    }
    let counts: Vec<String> = kinds
        .iter()
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    let shown: Vec<String> = rest
        .iter()
        .take(MORE_NAMES_LOGGED)
        .map(|d| format!("`{}`", d.name))
        .collect();
    let more = match rest.len() - shown.len() {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    format!(
        "{} cookies on {method} {path} not read ({}): `{name}` ({kind}): {detail}; also {}{more}",
        rest.len() + 1,
        counts.join(", "),
        shown.join(", "),
    )
}

/// The host the client sent the request to, for the `Domain` check (R6):
/// the request target's own host (HTTP/2, or an absolute URI), else the
/// `Host` header. Never `Forwarded` or `X-Forwarded-Host`, which any client
/// can send: with them, anyone could make a response with a `Domain` fail.
/// Behind a proxy, have it pass the client's `Host` through (nginx:
/// `proxy_set_header Host $http_host;`, with the port). `None` for a request without a host
/// (HTTP/1.0), whose cookies are then checked without it.
fn request_host(req: &HttpRequest) -> Option<String> {
    let host = match req.uri().host() {
        Some(host) => host,
        None => req.headers().get(HOST)?.to_str().ok()?,
    };
    Some(host_name(host))
}

/// The request's route for a log line: the pattern of the route that
/// matches (`/cookies/set/{name}/{value}`), or the path where none does,
/// never the query. A path segment or a query can carry a cookie's plain
/// value, which must not reach the log.
fn route(req: &HttpRequest) -> String {
    req.match_pattern().unwrap_or_else(|| req.path().to_owned())
}

/// The way out: applies the policy to the response's cookies, re-issues the
/// rotated ones, and turns a violation into what the policy asks for.
fn write_cookies<B>(
    policy: &CookiePolicy,
    res: ServiceResponse<B>,
    reissue: &[Reissue],
) -> ServiceResponse<EitherBody<B>> {
    let handler_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<CookieError>())
        .is_some();
    if !res.headers().contains_key(SET_COOKIE) && reissue.is_empty() && !handler_error {
        return res.map_into_left_body();
    }
    let config = policy.config();
    let outcome = response::apply(
        policy,
        res.headers(),
        || request_host(res.request()),
        reissue,
    );
    let mut res = res;
    for e in &outcome.errors {
        counters::set_cookie_violation(config.on_violation, e.kind().rule());
    }
    match config.on_violation {
        OnViolation::Report => report_response(policy, res.request(), &outcome),
        mode => {
            let verb = if mode == OnViolation::Drop {
                "dropped"
            } else {
                "refused"
            };
            for e in &outcome.errors {
                log::error!(
                    "{verb} Set-Cookie on {} {}: {e}",
                    res.request().method(),
                    route(res.request())
                );
            }
            if !outcome.errors.is_empty() && mode == OnViolation::Reject {
                let body = violation_body(config.explain_violations, &outcome.errors);
                return res.into_response(body).map_into_right_body();
            }
            counters::set_cookies_filled(outcome.rewritten.len());
            let headers = res.headers_mut();
            if let Some(sent) = outcome.sent {
                headers.remove(SET_COOKIE);
                for h in sent {
                    headers.append(SET_COOKIE, h);
                }
            }
            if outcome.sensitive {
                // R22: a response that sets a sensitive cookie must not be cached.
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
        }
    }
    // A handler returned a CookieError (from `policy.cookie(..)?`, say): its
    // response has the generic body; log the detail, and explain if asked.
    if let Some(e) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<CookieError>())
    {
        counters::set_cookie_violation(OnViolation::Reject, e.kind().rule());
        log::error!(
            "refused cookie on {} {}: {e}",
            res.request().method(),
            route(res.request())
        );
        if config.explain_violations {
            let body = violation_body(true, std::slice::from_ref(e));
            return res.into_response(body).map_into_right_body();
        }
    }
    res.map_into_left_body()
}

/// The `report` mode on the way out: logs, once per cookie name and rule,
/// what the other modes would have refused or changed.
fn report_response(policy: &CookiePolicy, req: &HttpRequest, outcome: &response::Outcome) {
    let (method, path) = (req.method(), route(req));
    for e in &outcome.errors {
        if policy.first_report(e.cookie(), e.kind().rule()) {
            log::warn!("report: {method} {path}: the policy would refuse this cookie: {e}");
        }
    }
    for (name, sent) in &outcome.rewritten {
        if policy.first_report(name, "attributes") {
            log::info!(
                "report: {method} {path}: the policy would send cookie `{name}` as `{sent}`"
            );
        }
    }
    if outcome.sensitive && policy.first_report("", "R22") {
        log::info!(
            "report: {method} {path}: the policy would add Cache-Control: no-store to a response setting a sensitive cookie (R22)"
        );
    }
}

/// The `report` mode on the way in: logs, once per cookie name and kind,
/// what the other modes would have refused or not read.
fn report_request(policy: &CookiePolicy, req: &ServiceRequest, fields: &[HeaderValue]) {
    let (method, path) = (req.method(), route(req.request()));
    match cookie_header::parse(policy, fields) {
        Err(limit) => {
            counters::request_refused(OnViolation::Report, limit.kind());
            if policy.first_report("", "limits") {
                log::warn!(
                    "report: {method} {path}: the policy would refuse this request: {limit}"
                );
            }
        }
        Ok(cookies) => {
            for d in &cookies.diagnostics {
                counters::request_cookie_skipped(OnViolation::Report, d.kind);
                if policy.first_report(&d.name, d.kind.as_str()) {
                    log::warn!(
                        "report: {method} {path}: the policy would not read cookie `{}` ({}): {}",
                        d.name,
                        d.kind.as_str(),
                        d.detail
                    );
                }
            }
        }
    }
}

fn violation_body(explain: bool, errors: &[CookieError]) -> HttpResponse {
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
