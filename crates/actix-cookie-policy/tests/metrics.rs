//! What the layer counts through the `metrics` facade, with exact values:
//! each decision once, under its name and label.
//!
//! Its own test binary, with one test: the recorder is process-wide.

mod common;

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, cookie::Cookie, web};
use common::{KEY, OLD_KEY, get, pair, ring, set_cookies};
use metrics_util::MetricKind;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

use actix_cookie_policy::{
    CookieOverride, CookiePolicy, CookiePolicyLayer, OnViolation, Policy, Prefix, Protection,
};

/// The counters counted since the last reading (the debugging recorder
/// hands each count over once), as `name{label=value}` and how much.
fn counted(snapshotter: &Snapshotter) -> Vec<(String, u64)> {
    let mut all = BTreeMap::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let (kind, key) = key.into_parts();
        if let (MetricKind::Counter, DebugValue::Counter(n)) = (kind, value)
            && n > 0
        {
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            all.insert(format!("{}{{{}}}", key.name(), labels.join(",")), n);
        }
    }
    all.into_iter().collect()
}

fn policy(mode: OnViolation) -> CookiePolicy {
    CookiePolicy::builder()
        .on_violation(mode)
        .limits(8192, 3)
        .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
        .cookie(
            "s",
            CookieOverride::default().protection(Protection::Signed),
        )
        .keys(ring(KEY, &[OLD_KEY]))
        .build()
        .unwrap()
}

async fn bad() -> HttpResponse {
    HttpResponse::Ok()
        .cookie(Cookie::new("ok", "1"))
        .cookie(Cookie::build("wide", "1").path("app").finish())
        .finish()
}

async fn signed(policy: Policy) -> Result<HttpResponse, actix_cookie_policy::CookieError> {
    Ok(HttpResponse::Ok().cookie(policy.cookie("s", "v")?).finish())
}

#[actix_web::test]
async fn each_decision_is_counted_once_under_its_name() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::set_global_recorder(recorder).expect("one recorder per test binary");

    let app_in = |mode| {
        init_service(
            App::new()
                .wrap(CookiePolicyLayer::new(policy(mode)))
                .route("/bad", web::get().to(bad))
                .route("/signed", web::get().to(signed))
                .route("/plain", web::get().to(HttpResponse::Ok))
                .route("/form", web::post().to(HttpResponse::Ok)),
        )
    };
    let reject = app_in(OnViolation::Reject).await;
    let count = || counted(&snapshotter);
    count();

    // Out: one cookie filled in, one refused (R5): the response is a 500.
    let res = call_service(&reject, get("/bad", None).to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let d = count();
    assert_eq!(
        d,
        [(
            "cookie_policy_set_cookies_refused_total{rule=R5}".to_owned(),
            1
        )]
    );

    // In the drop mode the bad one is dropped, the other sent filled in.
    let drop = app_in(OnViolation::Drop).await;
    let res = call_service(&drop, get("/bad", None).to_request()).await;
    assert_eq!(
        set_cookies(&res),
        ["ok=1; HttpOnly; SameSite=Lax; Secure; Path=/"]
    );
    let d = count();
    assert_eq!(
        d,
        [
            (
                "cookie_policy_set_cookies_dropped_total{rule=R5}".to_owned(),
                1
            ),
            ("cookie_policy_set_cookies_filled_total{}".to_owned(), 1),
        ]
    );

    // In the report mode nothing changes; what would be refused is counted.
    let report = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(
                CookiePolicy::builder()
                    .on_violation(OnViolation::Report)
                    .build()
                    .unwrap(),
            ))
            .route("/bad", web::get().to(bad)),
    )
    .await;
    call_service(&report, get("/bad", None).to_request()).await;
    let d = count();
    assert_eq!(
        d,
        [(
            "cookie_policy_set_cookies_reported_total{rule=R5}".to_owned(),
            1
        )]
    );

    // In: each pair the app does not get, by kind.
    let res = call_service(
        &reject,
        get("/signed", Some("sid=planted; a b=1; s=forged")).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let d = count();
    assert_eq!(
        d,
        [
            (
                "cookie_policy_request_cookies_skipped_total{kind=invalid_name}".to_owned(),
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=missing_prefix}".to_owned(),
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=tampered}".to_owned(),
                1
            ),
            // The handler's cookie, sent signed.
            ("cookie_policy_set_cookies_filled_total{}".to_owned(), 1),
        ]
    );

    // A cookie signed under the previous key is re-issued under the current one.
    let old = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(
                CookiePolicy::builder()
                    .cookie(
                        "s",
                        CookieOverride::default().protection(Protection::Signed),
                    )
                    .keys(ring(OLD_KEY, &[]))
                    .build()
                    .unwrap(),
            ))
            .route("/signed", web::get().to(signed)),
    )
    .await;
    let res = call_service(&old, get("/signed", None).to_request()).await;
    let under_old = pair(&set_cookies(&res)[0]);
    count();
    let res = call_service(&reject, get("/plain", Some(&under_old)).to_request()).await;
    assert_eq!(set_cookies(&res).len(), 1, "re-issued");
    let d = count();
    assert_eq!(
        d,
        [(
            "cookie_policy_protected_cookies_reissued_total{}".to_owned(),
            1
        )]
    );

    // Requests the layer answers itself: 431 and 403.
    let res = call_service(
        &reject,
        get("/signed", Some("a=1; b=2; c=3; d=4")).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let forged = TestRequest::post()
        .uri("/form")
        .insert_header(("sec-fetch-site", "cross-site"));
    let res = call_service(&reject, forged.to_request()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let d = count();
    assert_eq!(
        d,
        [
            (
                "cookie_policy_requests_refused_total{reason=cross_origin_request}".to_owned(),
                1
            ),
            (
                "cookie_policy_requests_refused_total{reason=too_many_cookies}".to_owned(),
                1
            ),
        ]
    );
}
