//! The three answers to a cookie against the rules, on the same responses:
//! `reject` (500, nothing set), `drop` (the rest sent), and `report`
//! (everything sent as the app wrote it, and logged once per cookie name
//! and rule), the mode for wrapping a running app before enforcing.
//!
//! Its own test binary: it captures the process-wide log.

mod common;

use actix_web::http::StatusCode;
use actix_web::http::header::SET_COOKIE;
use actix_web::test::{call_service, init_service};
use actix_web::{App, HttpRequest, HttpResponse, web};
use common::{body_text, cache_control, capture_log, get, logged, set_cookies};

use actix_cookie_policy::{CookieOverride, CookiePolicy, CookiePolicyLayer, OnViolation, Prefix};

/// What the app writes: a cookie lacking the policy's attributes, one the
/// rules refuse (R5: a Path that does not start with `/`), and a
/// `__Host-` cookie, which is sensitive (R22).
const WRITTEN: [&str; 3] = ["a=1", "b=2; Path=app", "__Host-c=3; Secure; Path=/"];

/// Status, Set-Cookie headers, Cache-Control and body of `GET /` (which
/// writes [`WRITTEN`]) and the body of `GET /read` (the `Cookie` header
/// the app reads) with `cookie`, under `mode`; the lines logged; and the
/// lines logged when both requests come again.
async fn serve(
    mode: OnViolation,
    cookie: &str,
) -> (
    StatusCode,
    Vec<String>,
    Option<String>,
    String,
    Vec<String>,
    Vec<String>,
) {
    let policy = CookiePolicy::builder()
        .secure(false)
        .on_violation(mode)
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy))
            .route(
                "/",
                web::get().to(|| async {
                    let mut res = HttpResponse::Ok();
                    for h in WRITTEN {
                        res.append_header((SET_COOKIE, h));
                    }
                    res.body("ok")
                }),
            )
            .route(
                "/read",
                web::get().to(|req: HttpRequest| async move {
                    let header = req.headers().get("cookie").map(|v| v.to_str().unwrap());
                    HttpResponse::Ok().body(format!("{header:?}"))
                }),
            ),
    )
    .await;
    logged();
    let res = call_service(&app, get("/", None).to_request()).await;
    let (status, sent, cache) = (res.status(), set_cookies(&res), cache_control(&res));
    let body = body_text(res).await;
    let read = call_service(&app, get("/read", Some(cookie)).to_request()).await;
    let read = body_text(read).await;
    let log = logged();
    call_service(&app, get("/", None).to_request()).await;
    call_service(&app, get("/read", Some(cookie)).to_request()).await;
    (status, sent, cache, format!("{body} {read}"), log, logged())
}

#[actix_web::test]
async fn the_three_modes_on_the_same_responses() {
    // Info and up: the debug notes on added flags are not the point here.
    capture_log(log::LevelFilter::Info);
    let cookie = "x=a b; y=1";

    let (status, sent, cache, body, log, again) = serve(OnViolation::Reject, cookie).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(sent, Vec::<String>::new());
    assert_eq!(cache, None);
    assert_eq!(
        body,
        r#"{"detail":[{"type":"cookie_policy_violation","loc":["response","set-cookie"],"msg":"The server tried to write a cookie that its cookie policy refuses; the server log has the details."}]} Some("y=1")"#
    );
    assert_eq!(
        log,
        [
            "ERROR refused Set-Cookie on GET /: cookie `b`: a path must start with '/', got \"app\" (R5)",
        ]
    );
    assert_eq!(again, log);

    let (status, sent, cache, body, log, again) = serve(OnViolation::Drop, cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        sent,
        [
            "a=1; HttpOnly; SameSite=Lax; Path=/",
            "__Host-c=3; HttpOnly; SameSite=Lax; Secure; Path=/",
        ]
    );
    assert_eq!(cache.as_deref(), Some("no-store"));
    assert_eq!(body, r#"ok Some("y=1")"#);
    assert_eq!(
        log,
        [
            "ERROR dropped Set-Cookie on GET /: cookie `b`: a path must start with '/', got \"app\" (R5)",
        ]
    );
    assert_eq!(again, log);

    // Report: nothing changes in either direction, and the log says what
    // would have.
    let (status, sent, cache, body, log, again) = serve(OnViolation::Report, cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sent, WRITTEN);
    assert_eq!(cache, None);
    assert_eq!(body, r#"ok Some("x=a b; y=1")"#);
    assert_eq!(
        log,
        [
            "WARN report: GET /: the policy would refuse this cookie: cookie `b`: a path must start with '/', got \"app\" (R5)",
            "INFO report: GET /: the policy would send cookie `a` as `a=1; HttpOnly; SameSite=Lax; Path=/`",
            "INFO report: GET /: the policy would send cookie `__Host-c` as `__Host-c=3; HttpOnly; SameSite=Lax; Secure; Path=/`",
            "INFO report: GET /: the policy would add Cache-Control: no-store to a response setting a sensitive cookie (R22)",
            "WARN report: GET /read: the policy would not read cookie `x` (invalid_value): byte 0x20 (space) at position 1 is not allowed in a cookie value",
        ]
    );
    // Once per cookie name and rule, not per request.
    assert_eq!(again, Vec::<String>::new());
}

#[test]
fn report_does_not_go_with_a_declared_prefix_or_protection() {
    // The app's cookies would not read back without the layer applying them.
    let e = CookiePolicy::builder()
        .on_violation(OnViolation::Report)
        .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cookies.on_violation: \"report\" sends cookies as the app writes them, so no cookie can be declared with a prefix or protection (sid): their values would not read back; declare them when switching to \"reject\""
    );
}
