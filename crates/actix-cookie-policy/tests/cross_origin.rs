//! Cross-origin protection through the layer (R23): an unsafe request a
//! browser sent from another origin is answered 403 before the handler
//! runs, logged once per origin; the `report` mode only logs.
//!
//! Its own test binary: the logger is process-wide.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, web};
use common::{body_text, capture_log, error_json, logged, set_cookies};

use actix_cookie_policy::{
    CookiePolicy, CookiePolicyLayer, CrossOriginConfig, OnViolation, Policy,
};

/// A form post that sets a cookie, as a state-changing handler would.
async fn transfer(policy: Policy) -> Result<HttpResponse, actix_cookie_policy::CookieError> {
    Ok(HttpResponse::Ok()
        .cookie(policy.cookie("last_transfer", "100")?)
        .body("done"))
}

fn post(headers: &[(&str, &str)]) -> TestRequest {
    let mut req = TestRequest::post()
        .uri("/transfer")
        .insert_header(("host", "bank.example"));
    for h in headers {
        req = req.insert_header(*h);
    }
    req
}

#[actix_web::test]
async fn cross_origin_posts_are_refused_once_logged_and_the_report_mode_only_logs() {
    capture_log(log::LevelFilter::Warn);
    let policy = CookiePolicy::builder()
        .cross_origin(CrossOriginConfig::default().trusted_origin("https://admin.bank.example"))
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy))
            .route("/transfer", web::post().to(transfer)),
    )
    .await;

    // A form on another site: the browser says so, and the handler never runs.
    let forged = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ];
    let res = call_service(&app, post(&forged).to_request()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(set_cookies(&res).is_empty());
    assert_eq!(
        body_text(res).await,
        error_json(
            "cross_origin_request",
            &["header", "sec-fetch-site"],
            "the browser sent this POST from another site (Sec-Fetch-Site: cross-site); this app accepts unsafe requests from its own origin only"
        )
    );
    assert_eq!(
        logged(),
        [
            "WARN refused POST /transfer from https://evil.example (R23): the browser sent this POST from another site (Sec-Fetch-Site: cross-site); this app accepts unsafe requests from its own origin only; further requests from it are not logged; if that origin is yours, add it to cookies.cross_origin.trusted_origins"
        ]
    );
    // The same origin again: refused, not logged again.
    let res = call_service(&app, post(&forged).to_request()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(logged().is_empty());

    // An older browser, without Sec-Fetch-Site: its Origin tells.
    let res = call_service(
        &app,
        post(&[("origin", "http://bank.example.evil")]).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        body_text(res).await,
        error_json(
            "cross_origin_request",
            &["header", "origin"],
            "the request's Origin http://bank.example.evil is not this server's (bank.example); this app accepts unsafe requests from its own origin only"
        )
    );
    assert_eq!(logged().len(), 1);

    // Accepted: the app's own pages, a trusted origin, a non-browser client.
    for headers in [
        &[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://bank.example"),
        ][..],
        &[("origin", "https://bank.example")],
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "https://admin.bank.example"),
        ],
        &[],
    ] {
        let res = call_service(&app, post(headers).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK, "{headers:?}");
        assert_eq!(
            set_cookies(&res),
            ["last_transfer=100; HttpOnly; SameSite=Lax; Secure; Path=/"]
        );
    }
    assert!(logged().is_empty());

    // The report mode lets the request through and logs what it would do, once.
    let report = CookiePolicy::builder()
        .on_violation(OnViolation::Report)
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(report))
            .route("/transfer", web::post().to(transfer)),
    )
    .await;
    for _ in 0..2 {
        let res = call_service(&app, post(&forged).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(
        logged(),
        [
            "WARN report: POST /transfer: the policy would refuse requests like this one from https://evil.example (R23): the browser sent this POST from another site (Sec-Fetch-Site: cross-site); this app accepts unsafe requests from its own origin only"
        ]
    );

    // Turned off, nothing is refused.
    let off = CookiePolicy::builder()
        .cross_origin(CrossOriginConfig::default().enabled(false))
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(off))
            .route("/transfer", web::post().to(transfer)),
    )
    .await;
    let res = call_service(&app, post(&forged).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(logged().is_empty());
}
