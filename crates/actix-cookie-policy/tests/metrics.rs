//! What the layer counts through the `metrics` facade, with exact values:
//! each decision once, under its name and label.
//!
//! Each test runs its requests on its own thread, in an actix system of its
//! own, with a recorder of its own installed for that thread only
//! (`metrics::with_local_recorder`): the test harness serves a request on
//! the thread that calls it, so every count lands there, and tests running
//! side by side never see each other's counts.

mod common;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::dev::{Service, ServiceRequest};
use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, cookie::Cookie, web};
use common::{KEY, OLD_KEY, get, pair, ring, set_cookies};
use metrics_util::MetricKind;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshot};

use actix_cookie_policy::{
    CookieError, CookieOverride, CookiePolicy, CookiePolicyLayer, OnViolation, Policy, Prefix,
    Protection,
};

/// A key no ring of these tests holds: another instance's.
const STRANGE_KEY: &str = "8PHy8/T19vf4+fr7/P3+/+Dh4uPk5ebn6Onq6+zt7u8=";

/// Runs `requests` to the end in an actix system on this thread, with a
/// recorder of its own, and returns what that recorder holds.
fn record<F: Future<Output = ()>>(requests: impl FnOnce() -> F) -> Snapshot {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        actix_web::rt::System::new().block_on(requests());
    });
    snapshotter.snapshot()
}

/// Every counter that counted while `requests` ran, as `name{label=value}`
/// and how much, sorted by name.
fn counted<F: Future<Output = ()>>(requests: impl FnOnce() -> F) -> Vec<(String, u64)> {
    let mut all = BTreeMap::new();
    for (key, _, _, value) in record(requests).into_vec() {
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

/// The expected counts, in the shape [`counted`] returns.
fn counts(expected: &[(&str, u64)]) -> Vec<(String, u64)> {
    expected
        .iter()
        .map(|(k, n)| ((*k).to_owned(), *n))
        .collect()
}

/// A policy in `mode` with a `__Host-` cookie `sid`, a signed `s`, a signed
/// `e` that lives a minute, and a ring of the current key and an old one.
fn policy(mode: OnViolation) -> CookiePolicy {
    CookiePolicy::builder()
        .on_violation(mode)
        .limits(8192, 20)
        .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
        .cookie(
            "s",
            CookieOverride::default().protection(Protection::Signed),
        )
        .cookie(
            "e",
            CookieOverride::default()
                .protection(Protection::Signed)
                .max_age(60),
        )
        .keys(ring(KEY, &[OLD_KEY]))
        .build()
        .expect("a valid policy")
}

/// `s=v`, signed now under `key`.
fn signed_under(key: &str, name: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    let value = ring(key, &[])
        .protect(Protection::Signed, name, "v", now)
        .expect("signed");
    format!("{name}={value}")
}

/// `e=v`, signed under the current key an hour ago: past its minute.
fn expired() -> String {
    let hour_ago = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
        - 3600;
    let value = ring(KEY, &[])
        .protect(Protection::Signed, "e", "v", hour_ago)
        .expect("signed");
    format!("e={value}")
}

/// Sets a cookie the policy fills in, and one against R5 (a path that
/// does not start with `/`).
async fn bad() -> HttpResponse {
    HttpResponse::Ok()
        .cookie(Cookie::new("ok", "1"))
        .cookie(Cookie::build("wide", "1").path("app").finish())
        .finish()
}

/// Sets `s`, which the layer signs.
async fn signed(policy: Policy) -> Result<HttpResponse, CookieError> {
    Ok(HttpResponse::Ok().cookie(policy.cookie("s", "v")?).finish())
}

/// Asks the policy for a cookie whose name breaks R1.
async fn bad_name(policy: Policy) -> Result<HttpResponse, CookieError> {
    Ok(HttpResponse::Ok()
        .cookie(policy.cookie("a b", "v")?)
        .finish())
}

/// Sets a cookie exactly as the policy writes it.
async fn canonical(policy: Policy) -> Result<HttpResponse, CookieError> {
    Ok(HttpResponse::Ok()
        .cookie(policy.cookie("username", "alice")?)
        .finish())
}

macro_rules! app {
    ($policy:expr) => {
        init_service(
            App::new()
                .wrap(CookiePolicyLayer::new($policy))
                .route("/bad", web::get().to(bad))
                .route("/signed", web::get().to(signed))
                .route("/bad-name", web::get().to(bad_name))
                .route("/canonical", web::get().to(canonical))
                .route("/plain", web::get().to(HttpResponse::Ok))
                .route("/form", web::post().to(HttpResponse::Ok)),
        )
    };
}

/// A cookie header with one pair of each kind the layer skips, and one it
/// accepts (`ok`).
fn one_of_each_kind() -> String {
    [
        "ok=1".to_owned(),
        "nameless".to_owned(),
        "a b=1".to_owned(),
        "v=a,b".to_owned(),
        "p=%zz".to_owned(),
        "__host-x=1".to_owned(),
        "sid=planted".to_owned(),
        "d=1".to_owned(),
        "d=2".to_owned(),
        "__Host-sid=1".to_owned(),
        "__Host-sid=2".to_owned(),
        "s=forged".to_owned(),
        expired(),
    ]
    .join("; ")
}

#[test]
fn a_request_and_a_response_the_layer_passes_unchanged_count_nothing() {
    let c = counted(|| async {
        let app = app!(policy(OnViolation::Reject)).await;
        let cookie = format!("ok=1; {}", signed_under(KEY, "s"));
        let res = call_service(&app, get("/canonical", Some(&cookie)).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            set_cookies(&res),
            ["username=alice; HttpOnly; SameSite=Lax; Secure; Path=/"]
        );
    });
    assert_eq!(c, counts(&[]));
}

#[test]
fn a_set_cookie_against_a_rule_is_counted_refused_by_its_rule_and_nothing_filled() {
    let c = counted(|| async {
        let app = app!(policy(OnViolation::Reject)).await;
        let res = call_service(&app, get("/bad", None).to_request()).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let res = call_service(&app, get("/bad", None).to_request()).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    });
    assert_eq!(
        c,
        counts(&[("cookie_policy_set_cookies_refused_total{rule=R5}", 2)])
    );
}

#[test]
fn in_the_drop_mode_the_bad_cookie_is_counted_dropped_and_the_other_filled() {
    let c = counted(|| async {
        let app = app!(policy(OnViolation::Drop)).await;
        let res = call_service(&app, get("/bad", None).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            set_cookies(&res),
            ["ok=1; HttpOnly; SameSite=Lax; Secure; Path=/"]
        );
    });
    assert_eq!(
        c,
        counts(&[
            ("cookie_policy_set_cookies_dropped_total{rule=R5}", 1),
            ("cookie_policy_set_cookies_filled_total{}", 1),
        ])
    );
}

#[test]
fn a_cookie_error_a_handler_returns_is_counted_refused_by_its_rule() {
    let c = counted(|| async {
        let app = app!(policy(OnViolation::Reject)).await;
        let res = call_service(&app, get("/bad-name", None).to_request()).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    });
    assert_eq!(
        c,
        counts(&[("cookie_policy_set_cookies_refused_total{rule=R1}", 1)])
    );
}

#[test]
fn each_pair_the_app_does_not_get_is_counted_by_its_kind() {
    let c = counted(|| async {
        let app = app!(policy(OnViolation::Reject)).await;
        let res = call_service(&app, get("/plain", Some(&one_of_each_kind())).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(set_cookies(&res), Vec::<String>::new());
    });
    assert_eq!(
        c,
        counts(&[
            (
                "cookie_policy_request_cookies_skipped_total{kind=bad_percent_escape}",
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=duplicate}",
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=expired}",
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=invalid_name}",
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=invalid_value}",
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=missing_prefix}",
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=nameless_pair}",
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=non_canonical_prefix}",
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=possible_cookie_tossing}",
                1
            ),
            (
                "cookie_policy_request_cookies_skipped_total{kind=tampered}",
                1
            ),
        ])
    );
}

#[test]
fn a_cookie_sealed_under_another_instances_key_counts_as_tampered() {
    // An instance whose ring lacks the key of the one that issued the
    // cookie: the formats carry no key id, so a miss reads as tampering.
    let c = counted(|| async {
        let app = app!(policy(OnViolation::Reject)).await;
        let cookie = signed_under(STRANGE_KEY, "s");
        let res = call_service(&app, get("/plain", Some(&cookie)).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
    });
    assert_eq!(
        c,
        counts(&[(
            "cookie_policy_request_cookies_skipped_total{kind=tampered}",
            1
        )])
    );
}

#[test]
fn a_cookie_under_the_previous_key_is_counted_reissued() {
    let c = counted(|| async {
        let app = app!(policy(OnViolation::Reject)).await;
        let cookie = signed_under(OLD_KEY, "s");
        let res = call_service(&app, get("/plain", Some(&cookie)).to_request()).await;
        let sent = set_cookies(&res);
        assert_eq!(sent.len(), 1, "re-issued");
        assert!(sent[0].starts_with("s=v."), "{sent:?}");
        assert_ne!(pair(&sent[0]), cookie);
    });
    assert_eq!(
        c,
        counts(&[("cookie_policy_protected_cookies_reissued_total{}", 1)])
    );
}

#[test]
fn requests_the_layer_answers_itself_are_counted_by_reason() {
    let c = counted(|| async {
        let app = app!(
            CookiePolicy::builder()
                .limits(64, 3)
                .build()
                .expect("a valid policy")
        )
        .await;
        let res = call_service(&app, get("/plain", Some("a=1; b=2; c=3; d=4")).to_request()).await;
        assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let long = format!("a={}", "x".repeat(64));
        let res = call_service(&app, get("/plain", Some(&long)).to_request()).await;
        assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let res = call_service(&app, get("/plain", Some(&long)).to_request()).await;
        assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let forged = TestRequest::post()
            .uri("/form")
            .insert_header(("sec-fetch-site", "cross-site"));
        let res = call_service(&app, forged.to_request()).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // A middleware outside the layer read the cookies before it.
        let misordered = init_service(
            App::new()
                .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
                .wrap_fn(|req: ServiceRequest, srv| {
                    let _ = req.cookies();
                    srv.call(req)
                })
                .route("/plain", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let res = call_service(&misordered, get("/plain", Some("a b=1; x=1")).to_request()).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    });
    assert_eq!(
        c,
        counts(&[
            (
                "cookie_policy_request_cookies_skipped_total{kind=invalid_name}",
                1
            ),
            (
                "cookie_policy_requests_refused_total{reason=cookie_header_too_large}",
                2
            ),
            (
                "cookie_policy_requests_refused_total{reason=cross_origin_request}",
                1
            ),
            (
                "cookie_policy_requests_refused_total{reason=policy_layer_order}",
                1
            ),
            (
                "cookie_policy_requests_refused_total{reason=too_many_cookies}",
                1
            ),
        ])
    );
}

#[test]
fn the_report_mode_counts_what_the_other_modes_would_do_each_time() {
    // The log says each finding once; the counters say how often. The mode
    // allows no prefixed or protected declaration, so a pair cannot miss
    // its prefix or fail to verify.
    let report = || {
        CookiePolicy::builder()
            .on_violation(OnViolation::Report)
            .limits(8192, 20)
            .build()
            .expect("a valid policy")
    };
    let cookie =
        "ok=1; nameless; a b=1; v=a,b; p=%zz; __host-x=1; d=1; d=2; __Host-x=1; __Host-x=2";
    let c = counted(|| async {
        let app = app!(report()).await;
        for _ in 0..2 {
            let res = call_service(&app, get("/bad", Some(cookie)).to_request()).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(
                set_cookies(&res),
                ["ok=1", "wide=1; Path=app"],
                "sent as written"
            );
        }
        let many = (0..21).map(|i| format!("c{i}=1")).collect::<Vec<_>>();
        let res = call_service(&app, get("/plain", Some(&many.join("; "))).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let forged = TestRequest::post()
            .uri("/form")
            .insert_header(("sec-fetch-site", "cross-site"));
        let res = call_service(&app, forged.to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
    });
    assert_eq!(
        c,
        counts(&[
            (
                "cookie_policy_request_cookies_reported_total{kind=bad_percent_escape}",
                2
            ),
            (
                "cookie_policy_request_cookies_reported_total{kind=duplicate}",
                2
            ),
            (
                "cookie_policy_request_cookies_reported_total{kind=invalid_name}",
                2
            ),
            (
                "cookie_policy_request_cookies_reported_total{kind=invalid_value}",
                2
            ),
            (
                "cookie_policy_request_cookies_reported_total{kind=nameless_pair}",
                2
            ),
            (
                "cookie_policy_request_cookies_reported_total{kind=non_canonical_prefix}",
                2
            ),
            (
                "cookie_policy_request_cookies_reported_total{kind=possible_cookie_tossing}",
                2
            ),
            (
                "cookie_policy_requests_reported_total{reason=cross_origin_request}",
                1
            ),
            (
                "cookie_policy_requests_reported_total{reason=too_many_cookies}",
                1
            ),
            ("cookie_policy_set_cookies_reported_total{rule=R5}", 2),
        ])
    );
}

#[test]
fn every_counter_is_described_to_the_recorder() {
    let snapshot = record(|| async {
        actix_cookie_policy::describe_metrics();
        let reject = app!(policy(OnViolation::Reject)).await;
        let drop = app!(policy(OnViolation::Drop)).await;
        let report = app!(
            CookiePolicy::builder()
                .on_violation(OnViolation::Report)
                .build()
                .expect("a valid policy")
        )
        .await;
        let forged = || {
            TestRequest::post()
                .uri("/form")
                .insert_header(("sec-fetch-site", "cross-site"))
                .insert_header(("cookie", "a b=1"))
                .to_request()
        };
        let old = signed_under(OLD_KEY, "s");
        for (app, req) in [
            (&reject, get("/bad", Some(&old)).to_request()),
            (&reject, get("/plain", Some("a b=1")).to_request()),
            (&reject, forged()),
            (&drop, get("/bad", None).to_request()),
            (&report, get("/bad", None).to_request()),
            (&report, forged()),
        ] {
            call_service(app, req).await;
        }
    });
    let described: BTreeMap<String, String> = snapshot
        .into_vec()
        .into_iter()
        .map(|(key, _, help, _)| {
            let help = help.map(|h| h.to_string()).unwrap_or_default();
            (key.key().name().to_owned(), help)
        })
        .collect();
    assert_eq!(
        described.keys().collect::<Vec<_>>(),
        [
            "cookie_policy_protected_cookies_reissued_total",
            "cookie_policy_request_cookies_reported_total",
            "cookie_policy_request_cookies_skipped_total",
            "cookie_policy_requests_refused_total",
            "cookie_policy_requests_reported_total",
            "cookie_policy_set_cookies_dropped_total",
            "cookie_policy_set_cookies_filled_total",
            "cookie_policy_set_cookies_refused_total",
            "cookie_policy_set_cookies_reported_total",
        ]
    );
    for (name, help) in &described {
        assert!(help.ends_with('.') && help.len() > 40, "{name}: {help:?}");
    }
}
