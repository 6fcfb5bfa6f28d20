//! The layer on the way out: every `Set-Cookie` an app writes, by hand or
//! through the policy, is filled, checked against every rule (R1 to R15,
//! R22) and sent in canonical form, or refused, naming the cookie and the
//! rule when asked to.

mod common;

use actix_web::cookie::{Cookie, SameSite as CookieSameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpRequest, HttpResponse, web};
use common::{body_text, cache_control, error_json, get, set_cookies};

use actix_cookie_policy::{
    CookieError, CookieOverride, CookiePolicy, CookiePolicyBuilder, CookiePolicyLayer, OnViolation,
    Policy, Prefix, Priority, Protection, SameSite, SetCookie, decode_value, testing,
};

/// A development policy that explains its refusals.
fn dev() -> CookiePolicyBuilder {
    CookiePolicy::builder()
        .secure(false)
        .explain_violations(true)
}

/// A production policy that explains its refusals.
fn prod() -> CookiePolicyBuilder {
    CookiePolicy::builder().explain_violations(true)
}

/// One response through the layer, setting `headers` by hand, for a
/// request to `host`: status, Set-Cookie headers, Cache-Control, body.
async fn outbound(
    policy: CookiePolicy,
    host: &str,
    headers: Vec<HeaderValue>,
) -> (StatusCode, Vec<String>, Option<String>, String) {
    let app = init_service(App::new().wrap(CookiePolicyLayer::new(policy)).route(
        "/",
        web::get().to(move || {
            let headers = headers.clone();
            async move {
                let mut res = HttpResponse::Ok();
                for h in headers {
                    res.append_header((SET_COOKIE, h));
                }
                res.body("ok")
            }
        }),
    ))
    .await;
    let req = TestRequest::get()
        .uri("/")
        .insert_header(("host", host))
        .to_request();
    let res = call_service(&app, req).await;
    let cache = cache_control(&res);
    (res.status(), set_cookies(&res), cache, body_text(res).await)
}

fn texts(headers: &[&str]) -> Vec<HeaderValue> {
    headers
        .iter()
        .map(|h| HeaderValue::from_str(h).unwrap())
        .collect()
}

/// A header map holding `cookies`, for the compliance check.
fn header_map(cookies: &[String]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for c in cookies {
        h.append(SET_COOKIE, HeaderValue::from_str(c).unwrap());
    }
    h
}

enum Want {
    /// 200 and exactly these Set-Cookie headers.
    Sent(&'static [&'static str]),
    /// 500, nothing set, and one explained error: type, cookie, message.
    Refused(&'static str, &'static str, &'static str),
}

#[actix_web::test]
async fn every_outbound_rule_is_enforced_with_the_exact_header_or_error() {
    use Want::{Refused, Sent};
    let long_path = format!("a=1; Path=/{}", "p".repeat(1024));
    let too_large = format!("a={}", "x".repeat(4096));
    let largest = format!("a={}", "x".repeat(4095));
    let largest_sent = format!("{largest}; HttpOnly; SameSite=Lax; Path=/");
    let largest_sent: &'static [&'static str] =
        Box::leak(vec![&*Box::leak(largest_sent.into_boxed_str())].into_boxed_slice());
    let host_policy = || {
        CookiePolicy::builder()
            .secure(false)
            .path("/app")
            .domain("example.com")
    };
    let rows: Vec<(&str, CookiePolicyBuilder, &str, Vec<HeaderValue>, Want)> = vec![
        (
            "R1 a name is a token",
            dev(),
            "localhost",
            texts(&["a(b=1"]),
            Refused(
                "invalid_cookie_name",
                "a(b",
                "cookie `a(b`: byte 0x28 ('(') at position 1 is not allowed in a cookie name, which must be an RFC 9110 token (R1)",
            ),
        ),
        (
            "R1 a header without '=' is a nameless cookie",
            dev(),
            "localhost",
            texts(&["justvalue"]),
            Refused(
                "invalid_cookie_name",
                "",
                "cookie ``: a Set-Cookie without '=' makes a nameless cookie: \"justvalue\" (R1)",
            ),
        ),
        (
            "R2 value octets",
            dev(),
            "localhost",
            texts(&["a=b c"]),
            Refused(
                "invalid_cookie_value",
                "a",
                "cookie `a`: byte 0x20 (space) at position 1 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)",
            ),
        ),
        (
            "R2 a value that is not ASCII",
            dev(),
            "localhost",
            vec![HeaderValue::from_bytes(b"a=\xc3\xa9").unwrap()],
            Refused(
                "invalid_cookie_value",
                "a",
                "cookie `a`: byte 0xC3 at position 0 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)",
            ),
        ),
        (
            "R2 a header that is not UTF-8",
            dev(),
            "localhost",
            vec![HeaderValue::from_bytes(b"a=\xff; Path=/").unwrap()],
            Refused(
                "invalid_cookie_value",
                "a",
                "cookie `a`: the Set-Cookie header is not UTF-8 text; encode the value, for example as base64url (R2)",
            ),
        ),
        (
            "R4 an attribute value that is not ASCII",
            dev(),
            "localhost",
            vec![HeaderValue::from_bytes("a=b; Path=/caf\u{e9}".as_bytes()).unwrap()],
            Refused(
                "invalid_cookie_attribute",
                "a",
                "cookie `a`: byte 0xC3 at position 4 is not allowed in the Path attribute (R4)",
            ),
        ),
        (
            "R4 a control character in an attribute",
            dev(),
            "localhost",
            vec![HeaderValue::from_bytes(b"a=b; Path=/a\tb").unwrap()],
            Refused(
                "invalid_cookie_attribute",
                "a",
                "cookie `a`: byte 0x09 at position 2 is not allowed in the Path attribute (R4)",
            ),
        ),
        (
            "R2 a '%' that starts no escape",
            dev(),
            "localhost",
            texts(&["a=50%"]),
            Refused(
                "invalid_cookie_value",
                "a",
                "cookie `a`: '%' at position 2 is not followed by two hex digits, so the value could not be read back; write it as %25 (R2)",
            ),
        ),
        (
            "R2 a quoted value is sent with its quotes",
            dev(),
            "localhost",
            texts(&["a=\"b\""]),
            Sent(&["a=\"b\"; HttpOnly; SameSite=Lax; Path=/"]),
        ),
        (
            "R3 4096 bytes of name and value fit",
            dev(),
            "localhost",
            vec![HeaderValue::from_str(&largest).unwrap()],
            Sent(largest_sent),
        ),
        (
            "R3 one byte more does not",
            dev(),
            "localhost",
            vec![HeaderValue::from_str(&too_large).unwrap()],
            Refused(
                "cookie_too_large",
                "a",
                "cookie `a`: name and value are 4097 bytes, over the 4096 bytes browsers keep; store less in the cookie (R3)",
            ),
        ),
        (
            "R4 an unknown attribute",
            dev(),
            "localhost",
            texts(&["a=1; Comment=hi"]),
            Refused(
                "invalid_cookie_attribute",
                "a",
                "cookie `a`: unknown attribute \"Comment\"; the policy writes only Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite, Partitioned and Priority (R4)",
            ),
        ),
        (
            "R4 an attribute too long",
            dev(),
            "localhost",
            vec![HeaderValue::from_str(&long_path).unwrap()],
            Refused(
                "invalid_cookie_attribute",
                "a",
                "cookie `a`: the Path attribute is 1025 bytes long, over the 1024 bytes browsers keep (R4)",
            ),
        ),
        (
            "R4 a flag with a value",
            dev(),
            "localhost",
            texts(&["a=1; HttpOnly=true"]),
            Refused(
                "invalid_cookie_attribute",
                "a",
                "cookie `a`: the HttpOnly attribute takes no value (R4)",
            ),
        ),
        (
            "R5 a path starts with /",
            dev(),
            "localhost",
            texts(&["a=1; Path=app"]),
            Refused(
                "invalid_cookie_path",
                "a",
                "cookie `a`: a path must start with '/', got \"app\" (R5)",
            ),
        ),
        (
            "R6 domain syntax",
            dev(),
            "localhost",
            texts(&["a=1; Domain=exa mple.com"]),
            Refused(
                "invalid_cookie_domain",
                "a",
                "cookie `a`: a domain must be a plain host name of letters, digits, '-' and '.', got \"exa mple.com\" (R6)",
            ),
        ),
        (
            "R6 a domain must cover the host",
            dev(),
            "localhost",
            texts(&["a=1; Domain=evil.example"]),
            Refused(
                "invalid_cookie_domain",
                "a",
                "cookie `a`: Domain=evil.example does not cover the request host localhost, so browsers ignore the cookie (R6)",
            ),
        ),
        (
            "R6 no domain for an IP address host",
            dev(),
            "127.0.0.1:8080",
            texts(&["a=1; Domain=0.0.1"]),
            Refused(
                "invalid_cookie_domain",
                "a",
                "cookie `a`: a domain cannot be an IP address, got \"0.0.1\"; leave Domain unset, which makes the cookie host-only (R6)",
            ),
        ),
        (
            "R6 a public suffix",
            dev(),
            "www.example.co.uk",
            texts(&["a=1; Domain=co.uk"]),
            Refused(
                "invalid_cookie_domain",
                "a",
                "cookie `a`: Domain=co.uk is a public suffix, so browsers ignore the cookie; use the host name or no Domain (R6)",
            ),
        ),
        (
            "R6 a public suffix that is the host itself",
            dev(),
            "github.io",
            texts(&["a=1; Domain=github.io"]),
            Sent(&["a=1; HttpOnly; SameSite=Lax; Path=/; Domain=github.io"]),
        ),
        (
            "R6 a leading dot and capitals are normalized",
            dev(),
            "www.Example.com:8080",
            texts(&["a=1; Domain=.Example.COM"]),
            Sent(&["a=1; HttpOnly; SameSite=Lax; Path=/; Domain=example.com"]),
        ),
        (
            "R7 __Secure- gets Secure",
            dev(),
            "localhost",
            texts(&["__Secure-a=1"]),
            Sent(&["__Secure-a=1; HttpOnly; SameSite=Lax; Secure; Path=/"]),
        ),
        (
            "R7 __Http- gets HttpOnly and Secure",
            CookiePolicy::builder().secure(false).http_only(false),
            "localhost",
            texts(&["__Http-a=1"]),
            Sent(&["__Http-a=1; HttpOnly; SameSite=Lax; Secure; Path=/"]),
        ),
        (
            "R8 __Host- with its own path",
            dev(),
            "localhost",
            texts(&["__Host-a=1; Path=/x"]),
            Refused(
                "host_prefix_requirements",
                "__Host-a",
                "cookie `__Host-a`: a __Host- cookie needs Path=/ and no Domain (R8)",
            ),
        ),
        (
            "R8 __Host- with its own domain",
            dev(),
            "localhost",
            texts(&["__Host-a=1; Domain=localhost"]),
            Refused(
                "host_prefix_requirements",
                "__Host-a",
                "cookie `__Host-a`: a __Host- cookie needs Path=/ and no Domain (R8)",
            ),
        ),
        (
            "R8 __Host- set right where the policy would not be",
            host_policy(),
            "example.com",
            texts(&["__Host-a=1", "b=2"]),
            Sent(&[
                "__Host-a=1; HttpOnly; SameSite=Lax; Secure; Path=/",
                "b=2; HttpOnly; SameSite=Lax; Path=/app; Domain=example.com",
            ]),
        ),
        (
            "R9 a prefix in another spelling",
            prod(),
            "localhost",
            texts(&["__host-a=1"]),
            Refused(
                "non_canonical_prefix",
                "__host-a",
                "cookie `__host-a`: browsers read this name as __Host- prefixed; spell the prefix exactly __Host- (R9)",
            ),
        ),
        (
            "R10 SameSite=None needs Secure",
            dev(),
            "localhost",
            texts(&["a=1; SameSite=None"]),
            Refused(
                "same_site_none_requires_secure",
                "a",
                "cookie `a`: SameSite=None without Secure is ignored by browsers; set secure = true (R10)",
            ),
        ),
        (
            "R10 SameSite=None with Secure",
            prod(),
            "localhost",
            texts(&["a=1; SameSite=None"]),
            Sent(&["a=1; HttpOnly; SameSite=None; Secure; Path=/"]),
        ),
        (
            "R11 Partitioned needs Secure",
            dev(),
            "localhost",
            texts(&["a=1; Partitioned"]),
            Refused(
                "partitioned_requires_secure",
                "a",
                "cookie `a`: Partitioned without Secure is ignored by browsers; set secure = true (R11)",
            ),
        ),
        (
            "R11 Partitioned with Secure",
            dev(),
            "localhost",
            texts(&["a=1; Partitioned; Secure"]),
            Sent(&["a=1; HttpOnly; SameSite=Lax; Secure; Path=/; Partitioned"]),
        ),
        (
            "R12 Max-Age over 400 days",
            dev(),
            "localhost",
            texts(&["a=1; Max-Age=34560001"]),
            Refused(
                "invalid_cookie_lifetime",
                "a",
                "cookie `a`: Max-Age=34560001 is over 400 days (34560000 seconds), which browsers cut short (R12)",
            ),
        ),
        (
            "R12 Max-Age of 400 days",
            dev(),
            "localhost",
            texts(&["a=1; Max-Age=34560000"]),
            Sent(&["a=1; HttpOnly; SameSite=Lax; Path=/; Max-Age=34560000"]),
        ),
        (
            "R12 Expires over 400 days",
            dev(),
            "localhost",
            texts(&["a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT"]),
            Refused(
                "invalid_cookie_lifetime",
                "a",
                "cookie `a`: Expires=Fri, 31 Dec 9999 23:59:59 GMT is more than 400 days away, which browsers cut short (R12)",
            ),
        ),
        (
            "R12 Max-Age that is not a number",
            dev(),
            "localhost",
            texts(&["a=1; Max-Age=1h"]),
            Refused(
                "invalid_cookie_lifetime",
                "a",
                "cookie `a`: Max-Age must be a whole number of seconds, got \"1h\" (R12)",
            ),
        ),
        (
            "R12 an older date form is rewritten",
            dev(),
            "localhost",
            texts(&["a=1; Expires=Thursday, 01-Jan-70 00:00:00 GMT"]),
            Sent(&["a=1; HttpOnly; SameSite=Lax; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]),
        ),
        (
            "R12 a negative Max-Age is written as 0",
            dev(),
            "localhost",
            texts(&["a=; Max-Age=-1"]),
            Sent(&["a=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"]),
        ),
        (
            "R13 an attribute twice",
            dev(),
            "localhost",
            texts(&["a=1; HttpOnly; httponly"]),
            Refused(
                "duplicate_cookie_attribute",
                "a",
                "cookie `a`: the HttpOnly attribute is written twice (R13)",
            ),
        ),
        (
            "R13 a cookie twice",
            dev(),
            "localhost",
            texts(&["a=1", "a=2"]),
            Refused(
                "duplicate_cookie",
                "a",
                "cookie `a`: the response sets this cookie twice; set it once (R13)",
            ),
        ),
        (
            "R13 a cookie and its removal",
            dev(),
            "localhost",
            texts(&["a=1", "a=; Max-Age=0"]),
            Refused(
                "duplicate_cookie",
                "a",
                "cookie `a`: the response sets this cookie twice; set it once (R13)",
            ),
        ),
        (
            "R13 two removals of one place",
            dev(),
            "localhost",
            texts(&[
                "a=; Max-Age=0",
                "a=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ]),
            Refused(
                "duplicate_cookie",
                "a",
                "cookie `a`: the response sets this cookie twice; set it once (R13)",
            ),
        ),
        (
            "R13 removals of every place a copy may be planted",
            dev(),
            "app.example.com",
            texts(&[
                "a=; Path=/; Max-Age=0",
                "a=; Path=/x; Max-Age=0",
                "a=; Domain=example.com; Max-Age=0",
            ]),
            Sent(&[
                "a=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0",
                "a=; HttpOnly; SameSite=Lax; Path=/x; Max-Age=0",
                "a=; HttpOnly; SameSite=Lax; Path=/; Domain=example.com; Max-Age=0",
            ]),
        ),
        (
            "R14 SameSite is always written",
            CookiePolicy::builder()
                .secure(false)
                .same_site(SameSite::Strict),
            "localhost",
            texts(&["a=1"]),
            Sent(&["a=1; HttpOnly; SameSite=Strict; Path=/"]),
        ),
        (
            "R14 in any case, written canonically",
            dev(),
            "localhost",
            texts(&["a=1; samesite=STRICT"]),
            Sent(&["a=1; HttpOnly; SameSite=Strict; Path=/"]),
        ),
        (
            "R14 an unknown SameSite",
            dev(),
            "localhost",
            texts(&["a=1; SameSite=Sometimes"]),
            Refused(
                "invalid_same_site",
                "a",
                "cookie `a`: SameSite must be Strict, Lax or None, got \"Sometimes\" (R14)",
            ),
        ),
        (
            "R15 an unknown Priority",
            dev(),
            "localhost",
            texts(&["a=1; Priority=Urgent"]),
            Refused(
                "invalid_priority",
                "a",
                "cookie `a`: Priority must be Low, Medium or High, got \"Urgent\" (R15)",
            ),
        ),
        (
            "R15 Priority from the policy, unless the cookie has one",
            CookiePolicy::builder().priority(Priority::Low),
            "localhost",
            texts(&["a=1; priority=HIGH", "b=2"]),
            Sent(&[
                "a=1; HttpOnly; SameSite=Lax; Secure; Path=/; Priority=High",
                "b=2; HttpOnly; SameSite=Lax; Secure; Path=/; Priority=Low",
            ]),
        ),
    ];
    for (what, builder, host, headers, want) in rows {
        let policy = builder.build().unwrap();
        let (status, cookies, _, body) = outbound(policy.clone(), host, headers).await;
        match want {
            Sent(expected) => {
                assert_eq!(status, StatusCode::OK, "{what}: {body}");
                assert_eq!(cookies, expected, "{what}");
                testing::check_compliance(&header_map(&cookies), &policy)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
            }
            Refused(kind, name, msg) => {
                assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
                assert_eq!(cookies, Vec::<String>::new(), "{what}: nothing is sent");
                assert_eq!(body, error_json(kind, &["cookie", name], msg), "{what}");
            }
        }
    }
}

/// R6 is checked against the host the client sent the request to, never
/// against `Forwarded` or `X-Forwarded-Host`, which any client can send.
#[actix_web::test]
async fn the_domain_is_checked_against_the_host_header_not_forwarded_headers() {
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(dev().build().unwrap()))
            .route(
                "/",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .insert_header((SET_COOKIE, "a=1; Domain=example.com"))
                        .body("ok")
                }),
            ),
    )
    .await;
    let sent = ["a=1; HttpOnly; SameSite=Lax; Path=/; Domain=example.com"];
    let forged = TestRequest::get()
        .uri("/")
        .insert_header(("host", "www.example.com"))
        .insert_header(("x-forwarded-host", "evil.test"))
        .insert_header(("forwarded", "host=evil.test"))
        .to_request();
    let res = call_service(&app, forged).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(set_cookies(&res), sent);

    let elsewhere = TestRequest::get()
        .uri("/")
        .insert_header(("host", "evil.test"))
        .insert_header(("x-forwarded-host", "www.example.com"))
        .to_request();
    let res = call_service(&app, elsewhere).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body_text(res).await,
        error_json(
            "invalid_cookie_domain",
            &["cookie", "a"],
            "cookie `a`: Domain=example.com does not cover the request host evil.test, so browsers ignore the cookie (R6)"
        )
    );

    // HTTP/1.0 without a Host: nothing to check the domain against.
    let no_host = TestRequest::get().uri("/").to_request();
    let res = call_service(&app, no_host).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(set_cookies(&res), sent);
}

#[actix_web::test]
async fn a_hand_built_cookie_receives_the_policy_defaults() {
    let (status, cookies, cache, body) = outbound(
        CookiePolicy::default(),
        "localhost",
        texts(&["token=abc123"]),
    )
    .await;
    assert_eq!(
        (status, cookies.as_slice(), cache, body.as_str()),
        (
            StatusCode::OK,
            &["token=abc123; HttpOnly; SameSite=Lax; Secure; Path=/".to_owned()][..],
            None,
            "ok"
        )
    );
}

#[actix_web::test]
async fn a_header_already_as_the_policy_writes_it_is_sent_byte_for_byte() {
    let written = "a=1; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=60";
    let (_, cookies, _, _) =
        outbound(CookiePolicy::default(), "localhost", texts(&[written])).await;
    assert_eq!(cookies, [written]);
    // The same attributes in another order are written in canonical order.
    let (_, cookies, _, _) = outbound(
        CookiePolicy::default(),
        "localhost",
        texts(&["a=1; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax"]),
    )
    .await;
    assert_eq!(cookies, [written]);
}

#[actix_web::test]
async fn overrides_partitioned_and_priority_are_written_by_the_layer() {
    let p = CookiePolicy::builder()
        .same_site(SameSite::None)
        .max_age(600)
        .cookie(
            "chip",
            CookieOverride::default()
                .partitioned(true)
                .priority(Priority::High),
        )
        .cookie(
            "theme",
            CookieOverride::default()
                .http_only(false)
                .same_site(SameSite::Strict),
        )
        .build()
        .unwrap();
    let (status, cookies, _, _) = outbound(
        p,
        "localhost",
        texts(&["chip=1", "theme=dark", "other=x; Max-Age=5"]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        cookies,
        [
            "chip=1; HttpOnly; SameSite=None; Secure; Path=/; Max-Age=600; Partitioned; Priority=High",
            "theme=dark; SameSite=Strict; Secure; Path=/; Max-Age=600",
            "other=x; HttpOnly; SameSite=None; Secure; Path=/; Max-Age=5",
        ]
    );
}

const GENERIC: &str = r#"{"detail":[{"type":"cookie_policy_violation","loc":["response","set-cookie"],"msg":"The server tried to write a cookie that its cookie policy refuses; the server log has the details."}]}"#;

#[actix_web::test]
async fn a_violating_cookie_turns_the_response_into_a_generic_500_and_nothing_is_set() {
    let (status, cookies, _, body) = outbound(
        CookiePolicy::default(),
        "localhost",
        texts(&["ok=1", "bad=a b"]),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(cookies, Vec::<String>::new());
    assert_eq!(body, GENERIC);
}

#[actix_web::test]
async fn explain_violations_names_every_cookie_and_rule() {
    let (status, cookies, _, body) = outbound(
        prod().build().unwrap(),
        "localhost",
        texts(&[
            "bad=a;b; Domain=evil.example",
            "ok=1",
            "x=1; Path=/; Path=/a",
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(cookies, Vec::<String>::new());
    // `bad=a;b` splits at the first ';': `b` is an attribute nobody intended.
    assert_eq!(
        body,
        r#"{"detail":[{"type":"invalid_cookie_attribute","loc":["cookie","bad"],"msg":"cookie `bad`: unknown attribute \"b\"; the policy writes only Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite, Partitioned and Priority (R4)"},{"type":"duplicate_cookie_attribute","loc":["cookie","x"],"msg":"cookie `x`: the Path attribute is written twice (R13)"}]}"#
    );
}

#[actix_web::test]
async fn drop_mode_removes_only_the_violating_cookies() {
    let p = CookiePolicy::builder()
        .on_violation(OnViolation::Drop)
        .build()
        .unwrap();
    let (status, cookies, _, body) =
        outbound(p, "localhost", texts(&["ok=1", "bad=a b", "ok=2", "b=2"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        cookies,
        [
            "ok=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            "b=2; HttpOnly; SameSite=Lax; Secure; Path=/"
        ]
    );
    assert_eq!(body, "ok");
}

#[actix_web::test]
async fn a_cookie_error_from_a_handler_is_explained_only_when_asked() {
    async fn handler(policy: Policy) -> Result<HttpResponse, CookieError> {
        Ok(HttpResponse::Ok()
            .cookie(policy.cookie("name", "a,b")?)
            .finish())
    }
    for (explain, want) in [
        (
            true,
            r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","name"],"msg":"cookie `name`: byte 0x2C (',') at position 1 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)"}]}"#,
        ),
        (false, GENERIC),
    ] {
        let p = CookiePolicy::builder()
            .explain_violations(explain)
            .build()
            .unwrap();
        let app = init_service(
            App::new()
                .wrap(CookiePolicyLayer::new(p))
                .route("/", web::get().to(handler)),
        )
        .await;
        let res = call_service(&app, get("/", None).to_request()).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(set_cookies(&res), Vec::<String>::new());
        assert_eq!(body_text(res).await, want);
    }
}

#[actix_web::test]
async fn a_cookie_error_without_the_layer_answers_the_generic_500() {
    let app = init_service(App::new().route(
        "/",
        web::get().to(|| async {
            let cookie = CookiePolicy::default().cookie("a", "x y")?;
            Ok::<_, CookieError>(HttpResponse::Ok().cookie(cookie).finish())
        }),
    ))
    .await;
    let res = call_service(&app, get("/", None).to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body_text(res).await, GENERIC);
}

#[actix_web::test]
async fn r22_a_response_that_sets_a_sensitive_cookie_is_not_cached() {
    let p = || {
        CookiePolicy::builder()
            .cookie("sid", CookieOverride::default().sensitive(true))
            .cookie("pre", CookieOverride::default().prefix(Prefix::Host))
            .build()
            .unwrap()
    };
    for (header, sent, cache) in [
        (
            "sid=1",
            "sid=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            Some("no-store"),
        ),
        (
            // As the policy writes it: sent as it is, and still marked.
            "sid=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            "sid=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            Some("no-store"),
        ),
        (
            "pre=1",
            "__Host-pre=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            Some("no-store"),
        ),
        (
            "__Secure-x=1",
            "__Secure-x=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            Some("no-store"),
        ),
        (
            "sid=; Max-Age=0",
            "sid=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0",
            Some("no-store"),
        ),
        (
            "theme=1",
            "theme=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            None,
        ),
    ] {
        let (status, cookies, got, _) = outbound(p(), "localhost", texts(&[header])).await;
        assert_eq!(status, StatusCode::OK, "{header}");
        assert_eq!(cookies, [sent], "{header}");
        assert_eq!(got.as_deref(), cache, "{header}");
    }
}

#[actix_web::test]
async fn r22_no_store_replaces_the_handlers_cache_control_only_for_a_sensitive_cookie() {
    let p = CookiePolicy::builder()
        .cookie("sid", CookieOverride::default().sensitive(true))
        .on_violation(OnViolation::Drop)
        .build()
        .unwrap();
    let app = init_service(App::new().wrap(CookiePolicyLayer::new(p)).route(
        "/{name}/{value}",
        web::get().to(|path: web::Path<(String, String)>| async move {
            let (name, value) = path.into_inner();
            HttpResponse::Ok()
                .insert_header(("cache-control", "public, max-age=60"))
                .append_header(("set-cookie", format!("{name}={value}")))
                .finish()
        }),
    ))
    .await;
    for (uri, cache) in [
        ("/sid/1", "no-store"),
        ("/theme/1", "public, max-age=60"),
        // Dropped, so not sent: nothing sensitive goes out.
        ("/sid/a%20b", "public, max-age=60"),
    ] {
        let res = call_service(&app, get(uri, None).to_request()).await;
        assert_eq!(cache_control(&res).as_deref(), Some(cache), "{uri}");
    }
}

#[actix_web::test]
async fn responses_without_cookies_pass_untouched() {
    let (status, cookies, cache, body) =
        outbound(CookiePolicy::default(), "localhost", Vec::new()).await;
    assert_eq!(
        (status, cookies.len(), cache, body.as_str()),
        (StatusCode::OK, 0, None, "ok")
    );
}

#[actix_web::test]
async fn removal_matches_the_cookie_it_removes() {
    let p = CookiePolicy::builder()
        .same_site(SameSite::None)
        .cookie(
            "sid",
            CookieOverride::default()
                .path("/app")
                .domain(".Example.com")
                .partitioned(true)
                .max_age(60),
        )
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(p))
            .route(
                "/in",
                web::get().to(|p: Policy| async move {
                    HttpResponse::Ok()
                        .cookie(p.cookie("sid", "v").unwrap())
                        .finish()
                }),
            )
            .route(
                "/out",
                web::get().to(|p: Policy| async move {
                    HttpResponse::Ok()
                        .cookie(p.removal("sid").unwrap())
                        .finish()
                }),
            ),
    )
    .await;
    let req = |uri| {
        TestRequest::get()
            .uri(uri)
            .insert_header(("host", "app.example.com"))
            .to_request()
    };
    assert_eq!(
        set_cookies(&call_service(&app, req("/in")).await),
        [
            "sid=v; HttpOnly; SameSite=None; Secure; Path=/app; Domain=example.com; Max-Age=60; Partitioned"
        ]
    );
    assert_eq!(
        set_cookies(&call_service(&app, req("/out")).await),
        [
            "sid=; HttpOnly; SameSite=None; Secure; Path=/app; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Partitioned"
        ]
    );
}

#[actix_web::test]
async fn per_call_attributes_win_and_security_flags_are_a_floor() {
    let p = CookiePolicy::builder()
        .max_age(60)
        .secure(false)
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(p))
            .route(
                "/explicit",
                web::get().to(|p: Policy| async move {
                    let mut c = p.cookie("a", "1").unwrap();
                    c.set_max_age(Duration::seconds(1800));
                    c.set_same_site(CookieSameSite::Strict);
                    c.set_path("/app");
                    HttpResponse::Ok().cookie(c).finish()
                }),
            )
            .route(
                "/flag-off",
                web::get().to(|p: Policy| async move {
                    let mut c = p.cookie("a", "1").unwrap();
                    // Not expressible in a header: the policy's HttpOnly stays.
                    c.set_http_only(false);
                    HttpResponse::Ok().cookie(c).finish()
                }),
            )
            .route(
                "/expires",
                web::get().to(|p: Policy| async move {
                    let mut c = p.cookie("a", "1").unwrap();
                    c.set_max_age(None);
                    c.set_expires(actix_web::cookie::time::OffsetDateTime::UNIX_EPOCH);
                    HttpResponse::Ok().cookie(c).finish()
                }),
            )
            .route(
                "/by-hand",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .cookie(Cookie::build("a", "1").path("/x").finish())
                        .finish()
                }),
            ),
    )
    .await;
    for (uri, want) in [
        (
            "/explicit",
            "a=1; HttpOnly; SameSite=Strict; Path=/app; Max-Age=1800",
        ),
        (
            "/flag-off",
            "a=1; HttpOnly; SameSite=Lax; Path=/; Max-Age=60",
        ),
        (
            "/expires",
            "a=1; HttpOnly; SameSite=Lax; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ),
        (
            "/by-hand",
            "a=1; HttpOnly; SameSite=Lax; Path=/x; Max-Age=60",
        ),
    ] {
        let res = call_service(&app, get(uri, None).to_request()).await;
        assert_eq!(set_cookies(&res), [want], "{uri}");
    }
}

#[actix_web::test]
async fn a_cookie_from_the_policy_is_sent_as_the_policy_wrote_it() {
    let policies = [
        CookiePolicy::default(),
        CookiePolicy::builder().secure(false).build().unwrap(),
        CookiePolicy::builder()
            .max_age(60)
            .same_site(SameSite::Strict)
            .path("/app")
            .build()
            .unwrap(),
        CookiePolicy::builder()
            .domain("example.com")
            .http_only(false)
            .build()
            .unwrap(),
        CookiePolicy::builder()
            .cookie(
                "a",
                CookieOverride::default()
                    .max_age(5)
                    .same_site(SameSite::None),
            )
            .build()
            .unwrap(),
    ];
    for p in policies {
        let written = p.cookie("a", "1").unwrap().to_string();
        let app = init_service(App::new().wrap(CookiePolicyLayer::new(p.clone())).route(
            "/",
            web::get().to(|p: Policy| async move {
                HttpResponse::Ok()
                    .cookie(p.cookie("a", "1").unwrap())
                    .finish()
            }),
        ))
        .await;
        let req = TestRequest::get()
            .uri("/")
            .insert_header(("host", "www.example.com"))
            .to_request();
        let res = call_service(&app, req).await;
        assert_eq!(set_cookies(&res), [written.as_str()], "{written}");
        testing::assert_complies(&res, &p);
    }
}

#[actix_web::test]
async fn an_encoded_cookie_reads_back_through_req_cookie_and_decode_value() {
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route(
                "/write",
                web::get().to(|p: Policy| async move {
                    HttpResponse::Ok()
                        .cookie(p.encoded_cookie("greeting", "Olá, mundo; 100%").unwrap())
                        .finish()
                }),
            )
            .route(
                "/read",
                web::get().to(|req: HttpRequest| async move {
                    let cookie = req.cookie("greeting");
                    let value = cookie.as_ref().map(|c| c.value()).unwrap_or_default();
                    HttpResponse::Ok().body(format!(
                        "{value} -> {}",
                        decode_value(value).unwrap_or_default()
                    ))
                }),
            ),
    )
    .await;
    let res = call_service(&app, get("/write", None).to_request()).await;
    let sent = set_cookies(&res);
    assert_eq!(
        sent,
        ["greeting=Ol%C3%A1%2C%20mundo%3B%20100%25; HttpOnly; SameSite=Lax; Secure; Path=/"]
    );
    let cookie = common::pair(&sent[0]);
    let res = call_service(&app, get("/read", Some(&cookie)).to_request()).await;
    assert_eq!(
        body_text(res).await,
        "Ol%C3%A1%2C%20mundo%3B%20100%25 -> Olá, mundo; 100%"
    );
}

#[actix_web::test]
async fn a_protected_cookie_the_handler_removes_goes_out_unsealed() {
    let p = CookiePolicy::builder()
        .cookie(
            "s",
            CookieOverride::default().protection(Protection::Signed),
        )
        .keys(common::ring(common::KEY, &[]))
        .build()
        .unwrap();
    let app = init_service(App::new().wrap(CookiePolicyLayer::new(p)).route(
        "/",
        web::get().to(|p: Policy| async move {
            HttpResponse::Ok().cookie(p.removal("s").unwrap()).finish()
        }),
    ))
    .await;
    let res = call_service(&app, get("/", None).to_request()).await;
    assert_eq!(
        set_cookies(&res),
        [
            "s=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        ]
    );
    assert_eq!(cache_control(&res).as_deref(), Some("no-store"));
}

#[actix_web::test]
async fn the_testing_helpers_read_every_attribute_the_layer_wrote() {
    let p = CookiePolicy::builder()
        .cookie(
            "chip",
            CookieOverride::default()
                .partitioned(true)
                .priority(Priority::Medium),
        )
        .build()
        .unwrap();
    let app = init_service(App::new().wrap(CookiePolicyLayer::new(p.clone())).route(
        "/",
        web::get().to(|| async { HttpResponse::Ok().cookie(Cookie::new("chip", "1")).finish() }),
    ))
    .await;
    let res = call_service(&app, get("/", None).to_request()).await;
    testing::assert_complies(&res, &p);
    let chip = testing::set_cookie(&res, "chip").expect("chip is set");
    assert!(chip.partitioned && chip.secure && chip.http_only);
    assert_eq!(chip.priority, Some(Priority::Medium));
    assert_eq!(testing::set_cookie(&res, "other"), None);
    assert_eq!(
        testing::set_cookies(&res),
        [SetCookie::parse(
            "chip=1; HttpOnly; SameSite=Lax; Secure; Path=/; Partitioned; Priority=Medium"
        )
        .unwrap()]
    );
}

#[actix_web::test]
#[should_panic(
    expected = "the response's cookies do not comply with the policy: cookie `a` lacks Secure, which the policy writes"
)]
async fn assert_complies_fails_for_a_cookie_written_without_the_layer() {
    let app = init_service(App::new().route(
        "/",
        web::get().to(|| async {
            HttpResponse::Ok()
                .cookie(
                    Cookie::build("a", "1")
                        .path("/")
                        .http_only(true)
                        .same_site(CookieSameSite::Lax)
                        .finish(),
                )
                .finish()
        }),
    ))
    .await;
    let res = call_service(&app, get("/", None).to_request()).await;
    testing::assert_complies(&res, &CookiePolicy::default());
}
