//! The benchmark baseline (`examples/baseline.rs`) answers every request the
//! benchmarks send exactly as the server does: the same status, headers
//! (`Set-Cookie` bytes included) and body. Otherwise a ratio against it would measure a
//! difference in the work, not the cost of the policy layer.

mod common;

use std::sync::Arc;

use actix_cookie_policy::{KeyRing, Protection};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test::{TestRequest, call_service, init_service};
use common::{TEST_KEY, body_text, seed_app, set_cookies};
use cookie_policy::settings::Profile;

#[path = "../examples/baseline.rs"]
#[allow(dead_code)]
mod baseline;

#[actix_web::test]
async fn the_baseline_answers_as_the_server_does() {
    let keys = KeyRing::from_base64(TEST_KEY, &[]).expect("valid key");
    let session = format!(
        "session={}",
        keys.protect(Protection::Private, "session", "alice", common::unix_now())
            .expect("sealed")
    );
    let server = seed_app(Profile::Development).await;
    let base = init_service(baseline::baseline_app(Arc::new(keys))).await;
    let cases: &[(&str, Option<&str>)] = &[
        ("/set-cookie", None),
        ("/get-cookie", None),
        ("/get-cookie", Some("mycookie=cookievalue")),
        ("/login", None),
        ("/profile", None),
        ("/profile", Some("username=alice")),
        ("/logout", None),
        ("/wrong-set", None),
        ("/right-set", None),
        ("/cookies", Some(&session)),
        ("/cookies", Some("a=1; b=2")),
        ("/healthz", None),
    ];
    for &(uri, cookie) in cases {
        let request = || {
            let mut req = TestRequest::get().uri(uri);
            if let Some(c) = cookie {
                req = req.insert_header(("cookie", c));
            }
            req.to_request()
        };
        let a = call_service(&server, request()).await;
        let b = call_service(&base, request()).await;
        assert_eq!(a.status(), StatusCode::OK, "{uri} {cookie:?}");
        assert_eq!(b.status(), StatusCode::OK, "{uri} {cookie:?}");
        assert_eq!(set_cookies(&a), set_cookies(&b), "{uri} {cookie:?}");
        assert_eq!(
            headers(a.headers()),
            headers(b.headers()),
            "{uri} {cookie:?}"
        );
        let (a, b) = (body_text(a).await, body_text(b).await);
        assert_eq!(a, b, "{uri} {cookie:?}");
        if uri == "/cookies" && cookie == Some(session.as_str()) {
            assert_eq!(a, r#"{"cookies":{"session":"alice"}}"#);
        }
    }
}

/// Every header as "name: value", in order.
fn headers(map: &HeaderMap) -> Vec<String> {
    let mut all: Vec<String> = map
        .iter()
        .map(|(name, value)| format!("{name}: {value:?}"))
        .collect();
    all.sort();
    all
}
