//! Every rule of COOKIE-RULES.md, both directions, through the layer: the
//! exact header written, the exact error type, the 431.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, web};
use common::{body_text, get, set_cookies};
use cookie_policy::policy::error::ErrorBody;
use cookie_policy::policy::{CookiePolicy, CookiePolicyLayer, testing};
use cookie_policy::settings::Profile;

fn policy(toml_src: &str) -> CookiePolicy {
    use figment::providers::{Format, Toml};
    figment::Figment::from(Toml::string(toml_src))
        .extract()
        .expect("valid test policy")
}

const DEV: &str = "secure = false\nexplain_violations = true";
const PROD: &str = "explain_violations = true";

enum Want {
    /// 200 and exactly these Set-Cookie headers.
    Sent(&'static [&'static str]),
    /// 500 whose first error has this type.
    Refused(&'static str),
}

/// Sends one response with `headers` as Set-Cookie through the layer.
async fn outbound(
    policy_src: &str,
    host: &str,
    headers: Vec<String>,
) -> (StatusCode, Vec<String>, Option<String>, String) {
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy(policy_src)))
            .route(
                "/",
                web::get().to(move || {
                    let headers = headers.clone();
                    async move {
                        let mut res = HttpResponse::Ok();
                        for h in headers {
                            res.append_header(("set-cookie", h));
                        }
                        res.body("ok")
                    }
                }),
            ),
    )
    .await;
    let req = TestRequest::get()
        .uri("/")
        .insert_header(("host", host))
        .to_request();
    let res = call_service(&app, req).await;
    let cache = res
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status(), set_cookies(&res), cache, body_text(res).await)
}

#[actix_web::test]
async fn every_outbound_rule_is_enforced() {
    let long_path = format!("a=1; Path=/{}", "p".repeat(1024));
    let rows: Vec<(&str, &str, &str, Vec<String>, Want)> = vec![
        (
            "R1 name is a token",
            DEV,
            "localhost",
            vec!["a(b=1".into()],
            Want::Refused("invalid_cookie_name"),
        ),
        (
            "R1 nameless",
            DEV,
            "localhost",
            vec!["justvalue".into()],
            Want::Refused("invalid_cookie_name"),
        ),
        (
            "R2 value octets",
            DEV,
            "localhost",
            vec!["a=b c".into()],
            Want::Refused("invalid_cookie_value"),
        ),
        (
            "R2 quoted value",
            DEV,
            "localhost",
            vec!["a=\"b\"".into()],
            Want::Sent(&["a=\"b\"; HttpOnly; SameSite=Lax; Path=/"]),
        ),
        (
            "R3 4096 bytes",
            DEV,
            "localhost",
            vec![format!("a={}", "x".repeat(4096))],
            Want::Refused("cookie_too_large"),
        ),
        (
            "R4 unknown attribute",
            DEV,
            "localhost",
            vec!["a=1; Comment=hi".into()],
            Want::Refused("invalid_cookie_attribute"),
        ),
        (
            "R4 attribute too long",
            DEV,
            "localhost",
            vec![long_path],
            Want::Refused("invalid_cookie_attribute"),
        ),
        (
            "R5 path starts with /",
            DEV,
            "localhost",
            vec!["a=1; Path=app".into()],
            Want::Refused("invalid_cookie_path"),
        ),
        (
            "R6 domain syntax",
            DEV,
            "localhost",
            vec!["a=1; Domain=exa mple.com".into()],
            Want::Refused("invalid_cookie_domain"),
        ),
        (
            "R6 domain must cover host",
            DEV,
            "localhost",
            vec!["a=1; Domain=evil.example".into()],
            Want::Refused("invalid_cookie_domain"),
        ),
        (
            "R6 public suffix",
            DEV,
            "www.example.co.uk",
            vec!["a=1; Domain=co.uk".into()],
            Want::Refused("invalid_cookie_domain"),
        ),
        (
            "R6 leading dot normalized",
            DEV,
            "www.example.com:8080",
            vec!["a=1; Domain=.Example.COM".into()],
            Want::Sent(&["a=1; HttpOnly; SameSite=Lax; Path=/; Domain=example.com"]),
        ),
        (
            "R7 __Secure- gets Secure",
            DEV,
            "localhost",
            vec!["__Secure-a=1".into()],
            Want::Sent(&["__Secure-a=1; HttpOnly; SameSite=Lax; Secure; Path=/"]),
        ),
        (
            "R7 __Http- gets HttpOnly",
            "secure = false\nhttp_only = false",
            "localhost",
            vec!["__Http-a=1".into()],
            Want::Sent(&["__Http-a=1; HttpOnly; SameSite=Lax; Secure; Path=/"]),
        ),
        (
            "R8 __Host- explicit path",
            DEV,
            "localhost",
            vec!["__Host-a=1; Path=/x".into()],
            Want::Refused("host_prefix_requirements"),
        ),
        (
            "R8 __Host- explicit domain",
            DEV,
            "localhost",
            vec!["__Host-a=1; Domain=localhost".into()],
            Want::Refused("host_prefix_requirements"),
        ),
        (
            "R8 __Host- fixed from policy",
            "secure = false\npath = \"/app\"\ndomain = \"example.com\"",
            "example.com",
            vec!["__Host-a=1".into()],
            Want::Sent(&["__Host-a=1; HttpOnly; SameSite=Lax; Secure; Path=/"]),
        ),
        (
            "R9 non-canonical prefix",
            PROD,
            "localhost",
            vec!["__host-a=1".into()],
            Want::Refused("non_canonical_prefix"),
        ),
        (
            "R10 SameSite=None needs Secure",
            DEV,
            "localhost",
            vec!["a=1; SameSite=None".into()],
            Want::Refused("same_site_none_requires_secure"),
        ),
        (
            "R10 SameSite=None with Secure",
            PROD,
            "localhost",
            vec!["a=1; SameSite=None".into()],
            Want::Sent(&["a=1; HttpOnly; SameSite=None; Secure; Path=/"]),
        ),
        (
            "R11 Partitioned needs Secure",
            DEV,
            "localhost",
            vec!["a=1; Partitioned".into()],
            Want::Refused("partitioned_requires_secure"),
        ),
        (
            "R12 Max-Age over 400 days",
            DEV,
            "localhost",
            vec!["a=1; Max-Age=34560001".into()],
            Want::Refused("invalid_cookie_lifetime"),
        ),
        (
            "R12 Expires over 400 days",
            DEV,
            "localhost",
            vec!["a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT".into()],
            Want::Refused("invalid_cookie_lifetime"),
        ),
        (
            "R12 Expires in another HTTP date form is rewritten",
            DEV,
            "localhost",
            vec!["a=1; Expires=Thursday, 01-Jan-70 00:00:00 GMT".into()],
            Want::Sent(&[
                "a=1; HttpOnly; SameSite=Lax; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ]),
        ),
        (
            "R13 attribute twice",
            DEV,
            "localhost",
            vec!["a=1; HttpOnly; httponly".into()],
            Want::Refused("duplicate_cookie_attribute"),
        ),
        (
            "R13 cookie twice",
            DEV,
            "localhost",
            vec!["a=1".into(), "a=2".into()],
            Want::Refused("duplicate_cookie"),
        ),
        (
            "R13 purge variants",
            DEV,
            "app.example.com",
            vec![
                "a=; Path=/; Max-Age=0".into(),
                "a=; Path=/x; Max-Age=0".into(),
                "a=; Domain=example.com; Max-Age=0".into(),
            ],
            Want::Sent(&[
                "a=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0",
                "a=; HttpOnly; SameSite=Lax; Path=/x; Max-Age=0",
                "a=; HttpOnly; SameSite=Lax; Path=/; Domain=example.com; Max-Age=0",
            ]),
        ),
        (
            "R14 SameSite always written",
            "secure = false\nsame_site = \"strict\"",
            "localhost",
            vec!["a=1".into()],
            Want::Sent(&["a=1; HttpOnly; SameSite=Strict; Path=/"]),
        ),
        (
            "R14 SameSite value",
            DEV,
            "localhost",
            vec!["a=1; SameSite=Sometimes".into()],
            Want::Refused("invalid_same_site"),
        ),
        (
            "R15 Priority value",
            DEV,
            "localhost",
            vec!["a=1; Priority=Urgent".into()],
            Want::Refused("invalid_priority"),
        ),
        (
            "R15 Priority from the policy",
            "priority = \"low\"",
            "localhost",
            vec!["a=1; priority=HIGH".into(), "b=2".into()],
            Want::Sent(&[
                "a=1; HttpOnly; SameSite=Lax; Secure; Path=/; Priority=High",
                "b=2; HttpOnly; SameSite=Lax; Secure; Path=/; Priority=Low",
            ]),
        ),
    ];
    for (what, src, host, headers, want) in rows {
        let (status, cookies, _, body) = outbound(src, host, headers).await;
        match want {
            Want::Sent(expected) => {
                assert_eq!(
                    (status, cookies.clone()),
                    (
                        StatusCode::OK,
                        expected.iter().map(|s| s.to_string()).collect::<Vec<_>>()
                    ),
                    "{what}: {body}"
                );
                testing::check_compliance(
                    &{
                        let mut h = actix_web::http::header::HeaderMap::new();
                        for c in &cookies {
                            h.append(actix_web::http::header::SET_COOKIE, c.parse().unwrap());
                        }
                        h
                    },
                    &policy(src),
                )
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            }
            Want::Refused(kind) => {
                assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
                assert!(cookies.is_empty(), "{what}: nothing is sent");
                let body: ErrorBody = serde_json::from_str(&body).expect("a JSON error");
                assert_eq!(body.detail[0].kind, kind, "{what}: {}", body.detail[0].msg);
                assert_eq!(body.detail[0].loc[0], "cookie", "{what}");
            }
        }
    }
}

#[actix_web::test]
async fn r22_a_sensitive_cookie_makes_the_response_uncacheable() {
    let src = "[overrides.sid]\nsensitive = true";
    let (status, _, cache, _) = outbound(src, "localhost", vec!["sid=1".into()]).await;
    assert_eq!(
        (status, cache.as_deref()),
        (StatusCode::OK, Some("no-store"))
    );
    let (_, _, cache, _) = outbound(src, "localhost", vec!["theme=1".into()]).await;
    assert_eq!(cache, None);
    // Exactly as the policy writes them: the layer's read-only path, which
    // must still mark a sensitive cookie's response, and only that one.
    for (header, want) in [
        (
            "sid=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            Some("no-store"),
        ),
        ("theme=1; HttpOnly; SameSite=Lax; Secure; Path=/", None),
    ] {
        let (status, cookies, cache, _) = outbound(src, "localhost", vec![header.into()]).await;
        assert_eq!(status, StatusCode::OK, "{header}");
        assert_eq!(cookies, [header], "sent as written");
        assert_eq!(cache.as_deref(), want, "{header}");
    }
    let (_, cookies, cache, _) = outbound(
        "[overrides.sid]\nprefix = \"host\"",
        "localhost",
        vec!["sid=1".into()],
    )
    .await;
    assert_eq!(
        cookies,
        ["__Host-sid=1; HttpOnly; SameSite=Lax; Secure; Path=/"]
    );
    assert_eq!(cache.as_deref(), Some("no-store"));
}

#[actix_web::test]
async fn every_inbound_rule_is_enforced() {
    let rows: &[(&str, &str, &str)] = &[
        (
            "R17 several separators",
            "a=1;b=2 ;  c = 3",
            r#"{"cookies":{"a":"1","b":"2","c":"3"}}"#,
        ),
        (
            "R18 malformed pairs skipped",
            "ok=1; a b=2; c=d e; novalue; p=%zz; q=%41",
            r#"{"cookies":{"ok":"1","q":"%41"}}"#,
        ),
        (
            "R19 names not decoded",
            "%5F%5FHost-sid=x; user%6Eame=y",
            r#"{"cookies":{"%5F%5FHost-sid":"x","user%6Eame":"y"}}"#,
        ),
        (
            "R19/R9 case-folded prefix refused",
            "__host-sid=x; __Host-sid=y",
            r#"{"cookies":{"__Host-sid":"y"}}"#,
        ),
        (
            "R20 sensitive duplicate absent",
            "__Host-sid=a; __Host-sid=b; theme=dark",
            r#"{"cookies":{"theme":"dark"}}"#,
        ),
        (
            "R20 others: first wins",
            "theme=dark; theme=light",
            r#"{"cookies":{"theme":"dark"}}"#,
        ),
    ];
    for (what, cookie, want) in rows {
        let (status, _, body) = get(Profile::Development, "/cookies", Some(cookie)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, *want), "{what}");
    }
}

#[actix_web::test]
async fn r16_too_many_bytes_or_pairs_answer_431_before_any_handler() {
    let big = format!("a={}", "x".repeat(8191));
    let (status, _, body) = get(Profile::Development, "/cookies", Some(&big)).await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(
        body,
        r#"{"detail":[{"type":"cookie_header_too_large","loc":["header","cookie"],"msg":"the Cookie header is 8193 bytes, over the limit of 8192; clear this site's cookies and try again"}]}"#
    );
    let many: Vec<String> = (0..101).map(|i| format!("c{i}=1")).collect();
    let (status, _, body) = get(Profile::Development, "/login", Some(&many.join("; "))).await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(
        body,
        r#"{"detail":[{"type":"too_many_cookies","loc":["header","cookie"],"msg":"the request carries more than 100 cookies; clear this site's cookies and try again"}]}"#
    );
    let (status, _, _) = get(
        Profile::Development,
        "/cookies",
        Some(&many[..100].join("; ")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn the_playground_sets_through_the_policy_and_redirects() {
    let (status, cookies, _) = get(Profile::Development, "/cookies/set?a=1&b=two", None).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        cookies,
        [
            "a=1; HttpOnly; SameSite=Lax; Path=/",
            "b=two; HttpOnly; SameSite=Lax; Path=/"
        ]
    );
    let (status, cookies, _) = get(Profile::Production, "/cookies/set/theme/dark", None).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        cookies,
        ["theme=dark; HttpOnly; SameSite=Lax; Secure; Path=/"]
    );
    let (status, cookies, _) = get(Profile::Development, "/cookies/delete?a&b&a", None).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        cookies,
        [
            "a=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "b=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        ]
    );
}

#[actix_web::test]
async fn the_playground_refuses_what_the_rules_refuse_with_422_and_sets_nothing() {
    let rows: &[(&str, &str)] = &[
        (
            "/cookies/set?ok=1&a=x%3B%20Domain%3Devil.example",
            r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","a"],"msg":"cookie `a`: byte 0x3B (';') at position 1 is not allowed in a cookie value; encode the value, for example as base64url (R2)"}]}"#,
        ),
        (
            "/cookies/set?a%20b=1",
            r#"{"detail":[{"type":"invalid_cookie_name","loc":["cookie","a b"],"msg":"cookie `a b`: byte 0x20 (space) at position 1 is not allowed in a cookie name, which must be an RFC 9110 token (R1)"}]}"#,
        ),
        (
            "/cookies/set/a/x%0D%0ASet-Cookie:%20evil=1",
            r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","a"],"msg":"cookie `a`: byte 0x0D at position 1 is not allowed in a cookie value; encode the value, for example as base64url (R2)"}]}"#,
        ),
        (
            "/cookies/set?a=1&a=2",
            r#"{"detail":[{"type":"duplicate_cookie","loc":["cookie","a"],"msg":"cookie `a`: the request sets this cookie twice; set it once (R13)"}]}"#,
        ),
        (
            "/cookies/set?__host-x=1",
            r#"{"detail":[{"type":"non_canonical_prefix","loc":["cookie","__host-x"],"msg":"cookie `__host-x`: browsers read this name as __Host- prefixed; spell the prefix exactly __Host- (R9)"}]}"#,
        ),
    ];
    for (uri, want) in rows {
        let (status, cookies, body) = get(Profile::Production, uri, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}");
        assert!(cookies.is_empty(), "{uri}: nothing is set");
        assert_eq!(body, *want, "{uri}");
    }
    let big = format!("/cookies/set?a={}", "x".repeat(4096));
    let (status, cookies, body) = get(Profile::Development, &big, None).await;
    assert_eq!(
        (status, cookies.len()),
        (StatusCode::UNPROCESSABLE_ENTITY, 0)
    );
    assert!(
        body.starts_with(r#"{"detail":[{"type":"cookie_too_large","loc":["cookie","a"]"#),
        "{body}"
    );
}

#[actix_web::test]
async fn what_the_playground_sets_it_reads_back_unchanged() {
    let value = "v%41l!#$&'()*+-./:<=>?@[]^_`{|}~";
    let uri = format!("/cookies/set?k={}", percent(value));
    let (status, cookies, _) = get(Profile::Development, &uri, None).await;
    assert_eq!(status, StatusCode::FOUND);
    let sent = cookies[0].split(';').next().unwrap().to_owned();
    assert_eq!(sent, format!("k={value}"));
    let (_, _, body) = get(Profile::Development, "/cookies", Some(&sent)).await;
    assert_eq!(
        body,
        serde_json::json!({ "cookies": { "k": value } }).to_string()
    );
}

fn percent(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
