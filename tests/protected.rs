//! Protected and typed cookies through the layer: round trips, tampering at
//! every byte, name swaps, stripped tags, expiry, rotation, the size budget,
//! and the typed extractors' exact errors.

mod common;

use std::borrow::Cow;
use std::time::SystemTime;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpRequest, HttpResponse, web};
use common::{TEST_KEY, body_text, get, set_cookies};
use cookie_policy::policy::protect::unix_seconds;
use cookie_policy::policy::typed::{Optional, Text, TypedCookie};
use cookie_policy::policy::{
    CookiePolicy, CookiePolicyLayer, Diagnostics, KeyRing, Policy, Protection, RequestCookieExt,
};
use cookie_policy::settings::Profile;

const OLD_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const POLICY: &str = "secure = false\nexplain_violations = true\n[overrides.s]\nprotection = \"signed\"\nmax_age = 60\n[overrides.s2]\nprotection = \"signed\"\n[overrides.p]\nprotection = \"private\"\nmax_age = 60";

fn ring(current: &str, previous: &[&str]) -> KeyRing {
    let previous: Vec<String> = previous.iter().map(|s| (*s).to_owned()).collect();
    KeyRing::from_base64(current, &previous).expect("valid keys")
}

fn policy(keys: KeyRing) -> CookiePolicy {
    use figment::providers::{Format, Toml};
    let p: CookiePolicy = figment::Figment::from(Toml::string(POLICY))
        .extract()
        .expect("valid");
    p.with_keys(keys)
}

/// `/write?name=value` sets one cookie through the policy; `/read/{name}`
/// answers the plain value the app sees (through `req.cookie`, checked
/// against `req.cookie_value`) and the diagnostics.
async fn send(
    policy: CookiePolicy,
    uri: &str,
    cookie: Option<&str>,
) -> (StatusCode, Vec<String>, String) {
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy))
            .route(
                "/write",
                web::get().to(|p: Policy, req: HttpRequest| async move {
                    let pairs: Vec<(String, String)> =
                        serde_urlencoded::from_str(req.query_string()).unwrap();
                    let mut res = HttpResponse::Ok();
                    for (n, v) in pairs {
                        match p.cookie(n, v) {
                            Ok(c) => res.cookie(c),
                            Err(e) => return HttpResponse::from_error(e),
                        };
                    }
                    res.finish()
                }),
            )
            .route(
                "/read/{name}",
                web::get().to(
                    |req: HttpRequest, d: Diagnostics, name: web::Path<String>| async move {
                        let value = req.cookie(&name).map(|c| c.value().to_owned());
                        // The in-place read sees what actix-web's parse sees.
                        assert_eq!(req.cookie_value(&name).map(Cow::into_owned), value);
                        let why: Vec<&str> = d.iter().map(|d| d.kind.as_str()).collect();
                        HttpResponse::Ok()
                            .json(serde_json::json!({ "value": value, "skipped": why }))
                    },
                ),
            ),
    )
    .await;
    let mut req = TestRequest::get().uri(uri);
    if let Some(c) = cookie {
        req = req.insert_header(("cookie", c));
    }
    let res = call_service(&app, req.to_request()).await;
    let status = res.status();
    let cookies = set_cookies(&res);
    (status, cookies, body_text(res).await)
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().expect("a pair").to_owned()
}

#[actix_web::test]
async fn each_protection_round_trips_and_the_wire_holds_the_protected_form() {
    for (name, readable) in [("s", true), ("p", false)] {
        let (status, cookies, _) = send(
            policy(ring(TEST_KEY, &[])),
            &format!("/write?{name}=alice"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let wire = pair(&cookies[0]);
        assert_eq!(
            wire.starts_with(&format!("{name}=alice.")),
            readable,
            "{wire}"
        );
        assert!(
            cookies[0].ends_with("; HttpOnly; SameSite=Lax; Path=/; Max-Age=60"),
            "{}",
            cookies[0]
        );
        let (_, _, body) = send(
            policy(ring(TEST_KEY, &[])),
            &format!("/read/{name}"),
            Some(&wire),
        )
        .await;
        assert_eq!(body, r#"{"skipped":[],"value":"alice"}"#, "{name}");
    }
}

#[actix_web::test]
async fn a_change_at_every_byte_makes_the_cookie_absent() {
    for name in ["s", "p"] {
        let (_, cookies, _) = send(
            policy(ring(TEST_KEY, &[])),
            &format!("/write?{name}=alice"),
            None,
        )
        .await;
        let wire = pair(&cookies[0]);
        let value_at = name.len() + 1;
        for i in value_at..wire.len() {
            let mut bytes = wire.clone().into_bytes();
            bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
            let changed = String::from_utf8(bytes).unwrap();
            let (_, _, body) = send(
                policy(ring(TEST_KEY, &[])),
                &format!("/read/{name}"),
                Some(&changed),
            )
            .await;
            assert_eq!(
                body, r#"{"skipped":["tampered"],"value":null}"#,
                "{name} byte {i}: {changed}"
            );
        }
    }
}

#[actix_web::test]
async fn a_value_swapped_from_another_cookie_or_stripped_is_absent() {
    let (_, cookies, _) = send(policy(ring(TEST_KEY, &[])), "/write?s2=admin", None).await;
    let swapped = pair(&cookies[0]).replacen("s2=", "s=", 1);
    let (_, _, body) = send(policy(ring(TEST_KEY, &[])), "/read/s", Some(&swapped)).await;
    assert_eq!(body, r#"{"skipped":["tampered"],"value":null}"#);
    for stripped in ["s=alice", "p=alice", "s=alice.1700000000"] {
        let name = &stripped[..1];
        let (_, _, body) = send(
            policy(ring(TEST_KEY, &[])),
            &format!("/read/{name}"),
            Some(stripped),
        )
        .await;
        assert_eq!(
            body, r#"{"skipped":["tampered"],"value":null}"#,
            "{stripped}"
        );
    }
}

#[actix_web::test]
async fn a_protected_cookie_older_than_its_max_age_is_absent() {
    let keys = ring(TEST_KEY, &[]);
    let old = unix_seconds(SystemTime::now()) - 61;
    for (name, protection) in [("s", Protection::Signed), ("p", Protection::Private)] {
        let value = keys.protect(protection, name, "alice", old);
        let (_, _, body) = send(
            policy(ring(TEST_KEY, &[])),
            &format!("/read/{name}"),
            Some(&format!("{name}={value}")),
        )
        .await;
        assert_eq!(body, r#"{"skipped":["expired"],"value":null}"#, "{name}");
    }
}

#[actix_web::test]
async fn a_previous_key_verifies_and_re_issues_and_a_retired_key_does_not() {
    let issued = unix_seconds(SystemTime::now()) - 10;
    for (name, protection) in [("s", Protection::Signed), ("p", Protection::Private)] {
        let old_value = ring(OLD_KEY, &[]).protect(protection, name, "alice", issued);
        let cookie = format!("{name}={old_value}");
        let (_, reissued, body) = send(
            policy(ring(TEST_KEY, &[OLD_KEY])),
            &format!("/read/{name}"),
            Some(&cookie),
        )
        .await;
        assert_eq!(body, r#"{"skipped":[],"value":"alice"}"#, "{name}");
        assert_eq!(reissued.len(), 1, "{name}: re-issued");
        assert!(reissued[0].contains("; Max-Age="), "{}", reissued[0]);
        let max_age: i64 = reissued[0]
            .split("Max-Age=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (49..=50).contains(&max_age),
            "keeps the original issue time: {max_age}"
        );
        // The re-issued value verifies under the current key alone.
        let (_, again, body) = send(
            policy(ring(TEST_KEY, &[])),
            &format!("/read/{name}"),
            Some(&pair(&reissued[0])),
        )
        .await;
        assert_eq!(body, r#"{"skipped":[],"value":"alice"}"#);
        assert!(again.is_empty(), "no second re-issue");
        // Once the old key is retired, the old value no longer verifies.
        let (_, _, body) = send(
            policy(ring(TEST_KEY, &[])),
            &format!("/read/{name}"),
            Some(&cookie),
        )
        .await;
        assert_eq!(body, r#"{"skipped":["tampered"],"value":null}"#);
    }
}

#[actix_web::test]
async fn the_size_budget_applies_to_the_protected_value() {
    let plain = "x".repeat(4050);
    let (status, _, _) = send(
        policy(ring(TEST_KEY, &[])),
        &format!("/write?plain={plain}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "fits unprotected");
    let (status, cookies, body) = send(
        policy(ring(TEST_KEY, &[])),
        &format!("/write?s={plain}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(cookies.is_empty());
    assert!(body.starts_with(r#"{"detail":[{"type":"cookie_too_large","loc":["cookie","s"],"msg":"cookie `s`: name and value are 4"#), "{body}");
}

#[actix_web::test]
async fn the_typed_preferences_cookie_round_trips_and_each_error_has_its_kind() {
    let (status, cookies, body) = get(
        Profile::Development,
        "/preferences/set?theme=dark&lang=pt-BR",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"preferences":{"lang":"pt-BR","theme":"dark"}}"#);
    assert!(
        cookies[0].ends_with("; HttpOnly; SameSite=Lax; Path=/; Max-Age=31536000"),
        "{}",
        cookies[0]
    );
    let wire = pair(&cookies[0]);

    let (status, _, body) = get(Profile::Development, "/preferences", Some(&wire)).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::OK,
            r#"{"preferences":{"lang":"pt-BR","theme":"dark"}}"#
        )
    );

    let cases = [
        (None, r#"{"detail":[{"type":"missing","loc":["cookie","prefs"],"msg":"Field required"}]}"#.to_owned()),
        (
            Some(wire.replacen("prefs=e", "prefs=f", 1)),
            r#"{"detail":[{"type":"tampered","loc":["cookie","prefs"],"msg":"the cookie was changed or was not issued by this server"}]}"#.to_owned(),
        ),
        (
            Some(format!("prefs={}", ring(common::TEST_KEY, &[]).protect(Protection::Signed, "prefs", "bm90IGpzb24", unix_seconds(SystemTime::now())))),
            r#"{"detail":[{"type":"invalid","loc":["cookie","prefs"],"msg":"expected ident at line 1 column 2"}]}"#.to_owned(),
        ),
        (
            Some(format!("prefs={}", ring(common::TEST_KEY, &[]).protect(Protection::Signed, "prefs", "e30", 1_000_000_000))),
            r#"{"detail":[{"type":"expired","loc":["cookie","prefs"],"msg":"the cookie has expired"}]}"#.to_owned(),
        ),
    ];
    for (cookie, want) in cases {
        let (status, _, body) = get(Profile::Development, "/preferences", cookie.as_deref()).await;
        assert_eq!(
            (status, body),
            (StatusCode::UNPROCESSABLE_ENTITY, want),
            "{cookie:?}"
        );
    }

    let (status, cookies, body) = get(
        Profile::Development,
        "/preferences/set?theme=purple&lang=en",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(cookies.is_empty());
    assert_eq!(
        body,
        r#"{"detail":[{"type":"invalid","loc":["query"],"msg":"unknown variant `purple`, expected `light` or `dark`"}]}"#
    );
}

struct Count;
impl TypedCookie for Count {
    const NAME: &'static str = "count";
    type Value = u32;
    type Codec = Text;
}

struct LenientCount;
impl TypedCookie for LenientCount {
    const NAME: &'static str = "count";
    type Value = u32;
    type Codec = Text;
    const INVALID_AS_ABSENT: bool = true;
}

#[actix_web::test]
async fn optional_cookies_are_none_when_absent_and_422_when_invalid_unless_declared_lenient() {
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route(
                "/strict",
                web::get().to(|c: Optional<Count>| async move {
                    HttpResponse::Ok().json(c.into_inner())
                }),
            )
            .route(
                "/lenient",
                web::get().to(|c: Optional<LenientCount>| async move {
                    HttpResponse::Ok().json(c.into_inner())
                }),
            ),
    )
    .await;
    let get = |uri: &str, cookie: Option<&str>| {
        let mut req = TestRequest::get().uri(uri);
        if let Some(c) = cookie {
            req = req.insert_header(("cookie", c.to_owned()));
        }
        req.to_request()
    };
    assert_eq!(
        body_text(call_service(&app, get("/strict", None)).await).await,
        "null"
    );
    assert_eq!(
        body_text(call_service(&app, get("/strict", Some("count=7"))).await).await,
        "7"
    );
    let res = call_service(&app, get("/strict", Some("count=seven"))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body_text(res).await,
        r#"{"detail":[{"type":"invalid","loc":["cookie","count"],"msg":"invalid digit found in string"}]}"#
    );
    assert_eq!(
        body_text(call_service(&app, get("/lenient", Some("count=seven"))).await).await,
        "null"
    );
}

#[actix_web::test]
async fn a_quoted_value_cannot_be_protected_and_a_protected_session_cookie_still_ages_out() {
    let (status, cookies, body) =
        send(policy(ring(TEST_KEY, &[])), "/write?s=%22dark%22", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(cookies.is_empty());
    assert!(
        body.contains("a protected cookie's value cannot be quoted; drop the quotes (R2)"),
        "{body}"
    );
    // `s2` has no max_age: the policy's max_session_age (a day) bounds it.
    let keys = ring(TEST_KEY, &[]);
    let now = unix_seconds(SystemTime::now());
    let fresh = keys.protect(Protection::Signed, "s2", "alice", now - 3600);
    let stale = keys.protect(Protection::Signed, "s2", "alice", now - 86_401);
    let (_, _, body) = send(
        policy(ring(TEST_KEY, &[])),
        "/read/s2",
        Some(&format!("s2={fresh}")),
    )
    .await;
    assert_eq!(body, r#"{"skipped":[],"value":"alice"}"#);
    let (_, _, body) = send(
        policy(ring(TEST_KEY, &[])),
        "/read/s2",
        Some(&format!("s2={stale}")),
    )
    .await;
    assert_eq!(body, r#"{"skipped":["expired"],"value":null}"#);
}

/// The layer in the wrong order, under a middleware that reads the raw
/// cookies first: a forged plain value of a protected cookie (which the
/// layer skips) fails closed; an authentic one (every pair accepted) reaches
/// the app's raw read still sealed, as the client sent it, never forged.
#[actix_web::test]
async fn a_raw_read_before_the_layer_never_hands_the_app_a_forged_protected_value() {
    use actix_web::dev::Service as _;
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy(ring(TEST_KEY, &[]))))
            .wrap_fn(|req, srv| {
                let _ = req.cookies_raw();
                srv.call(req)
            })
            .route(
                "/",
                web::get().to(|req: HttpRequest| async move {
                    HttpResponse::Ok().body(format!(
                        "{:?} {:?}",
                        req.cookie("p").map(|c| c.value().to_owned()),
                        req.cookie_raw("p").map(|c| c.value().to_owned())
                    ))
                }),
            ),
    )
    .await;
    let call = |cookie: String| {
        let req = TestRequest::get()
            .uri("/")
            .insert_header(("cookie", cookie))
            .to_request();
        call_service(&app, req)
    };
    let res = call("p=admin".to_owned()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body_text(res)
            .await
            .contains(r#""type":"policy_layer_order""#)
    );

    let sealed = ring(TEST_KEY, &[]).protect(
        Protection::Private,
        "p",
        "alice",
        unix_seconds(SystemTime::now()),
    );
    let res = call(format!("p={sealed}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        body_text(res).await,
        format!(r#"Some("alice") Some("{sealed}")"#)
    );
}
