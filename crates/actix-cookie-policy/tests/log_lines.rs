//! What the layer writes to the log about a request's skipped cookies: one
//! line per request, however many pairs a client sends, so that the log
//! cannot grow faster than the requests do.
//!
//! Its own test binary: the logger is process-wide.

mod common;

use actix_web::test::{call_service, init_service};
use actix_web::{App, HttpResponse, web};
use common::{capture_log, get, logged};

use actix_cookie_policy::{CookieOverride, CookiePolicy, CookiePolicyLayer, Prefix};

/// The lines logged while serving one request with `cookie`.
async fn lines_for(cookie: &str) -> Vec<String> {
    let policy = CookiePolicy::builder()
        .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy))
            .route("/p/{value}", web::get().to(HttpResponse::Ok)),
    )
    .await;
    logged();
    // The route names the pattern, never the value in the path or query.
    call_service(&app, get("/p/s3cret?q=s3cret", Some(cookie)).to_request()).await;
    logged()
}

#[actix_web::test]
async fn skipped_pairs_are_logged_in_one_line_per_request() {
    capture_log(log::LevelFilter::Debug);

    // 99 planted copies of a prefixed cookie and a bad value, as many
    // pairs as a request may carry: one warning, not 100.
    let planted: Vec<String> = (0..99).map(|i| format!("sid=x{i}")).collect();
    let many = format!("{}; x=a b", planted.join("; "));
    assert_eq!(
        lines_for(&many).await,
        [
            "WARN 100 cookies on GET /p/{value} not read (99 missing_prefix, 1 invalid_value): \
          `sid` (missing_prefix): this cookie is read only as __Host-sid; a plain copy can be set by anyone; \
          also `sid`, `sid`, `sid`, `sid`, `sid` and 94 more"
        ]
    );

    // One pair: the pair and its reason.
    assert_eq!(
        lines_for("x=a b").await,
        [
            "DEBUG cookie `x` on GET /p/{value} not read (invalid_value): byte 0x20 (space) at position 1 is not allowed in a cookie value"
        ]
    );

    // Nothing skipped, nothing logged.
    assert_eq!(lines_for("__Host-sid=1; a=2").await, Vec::<String>::new());
}
