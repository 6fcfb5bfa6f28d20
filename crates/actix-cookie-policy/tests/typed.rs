//! Typed cookies through the layer: `Required` and `Optional` read a cookie
//! declared once, answering 422 in FastAPI's shape when it is missing,
//! invalid, tampered with or expired; `typed_cookie` writes it back.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::StatusCode;
use actix_web::test::{call_service, init_service};
use actix_web::{App, HttpResponse, web};
use common::{KEY, body_text, get, pair, ring, set_cookies};
use serde::{Deserialize, Serialize};

use actix_cookie_policy::{
    CookieError, CookieOverride, CookiePolicy, CookiePolicyLayer, Json, Optional, Percent, Policy,
    Prefix, Protection, Required, Text, TypedCookie,
};

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

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Preferences {
    theme: String,
    lang: String,
}

/// Signed JSON, for a year.
struct Prefs;
impl TypedCookie for Prefs {
    const NAME: &'static str = "prefs";
    type Value = Preferences;
    type Codec = Json;
}

struct LenientPrefs;
impl TypedCookie for LenientPrefs {
    const NAME: &'static str = "prefs";
    type Value = Preferences;
    type Codec = Json;
    const INVALID_AS_ABSENT: bool = true;
}

/// Free text, percent-encoded.
struct Name;
impl TypedCookie for Name {
    const NAME: &'static str = "name";
    type Value = String;
    type Codec = Percent;
}

/// Declared `__Host-` prefixed.
struct Sid;
impl TypedCookie for Sid {
    const NAME: &'static str = "sid";
    type Value = String;
    type Codec = Text;
}

fn policy() -> CookiePolicy {
    CookiePolicy::builder()
        .secure(false)
        .cookie(
            "prefs",
            CookieOverride::default()
                .protection(Protection::Signed)
                .max_age(31_536_000),
        )
        .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
        .keys(ring(KEY, &[]))
        .build()
        .expect("a valid test policy")
}

fn json<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok().json(value)
}

/// An app under [`policy`] with a route per extractor, and `/prefs/set`,
/// `/name/set` that write the typed cookies.
macro_rules! typed_app {
    () => {
        init_service(
            App::new()
                .wrap(CookiePolicyLayer::new(policy()))
                .route(
                    "/count",
                    web::get().to(|c: Required<Count>| async move { json(&c.into_inner()) }),
                )
                .route(
                    "/count/optional",
                    web::get().to(|c: Optional<Count>| async move { json(&c.into_inner()) }),
                )
                .route(
                    "/count/lenient",
                    web::get().to(|c: Optional<LenientCount>| async move { json(&c.0) }),
                )
                .route(
                    "/prefs",
                    web::get().to(|p: Required<Prefs>| async move { json(&p.0) }),
                )
                .route(
                    "/prefs/lenient",
                    web::get().to(|p: Optional<LenientPrefs>| async move { json(&p.0) }),
                )
                .route(
                    "/prefs/set",
                    web::get().to(|p: Policy| async move {
                        let value = Preferences {
                            theme: "dark".into(),
                            lang: "pt-BR".into(),
                        };
                        Ok::<_, CookieError>(
                            HttpResponse::Ok()
                                .cookie(p.typed_cookie::<Prefs>(&value)?)
                                .finish(),
                        )
                    }),
                )
                .route(
                    "/name",
                    web::get().to(|n: Required<Name>| async move { json(&n.0) }),
                )
                .route(
                    "/name/set",
                    web::get().to(|p: Policy| async move {
                        let value = "Zoë O'Brien, 50%".to_owned();
                        Ok::<_, CookieError>(
                            HttpResponse::Ok()
                                .cookie(p.typed_cookie::<Name>(&value)?)
                                .finish(),
                        )
                    }),
                )
                .route(
                    "/sid",
                    web::get().to(|s: Required<Sid>| async move { json(&s.0) }),
                ),
        )
        .await
    };
}

/// The 422 body of a typed cookie error.
fn error(kind: &str, name: &str, msg: &str) -> String {
    common::error_json(kind, &["cookie", name], msg)
}

#[actix_web::test]
async fn a_required_cookie_is_its_value_or_a_422_saying_why() {
    let app = typed_app!();
    let cases = [
        (
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            error("missing", "count", "Field required"),
        ),
        (Some("count=7"), StatusCode::OK, "7".to_owned()),
        (
            Some("count=seven"),
            StatusCode::UNPROCESSABLE_ENTITY,
            error("invalid", "count", "invalid digit found in string"),
        ),
        (
            Some("count=-1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            error("invalid", "count", "invalid digit found in string"),
        ),
        // Skipped by the layer: the extractor says it was sent, but bad.
        (
            Some("count=7 8"),
            StatusCode::UNPROCESSABLE_ENTITY,
            error("invalid", "count", "the cookie is not a valid cookie value"),
        ),
        (
            Some("count=7%"),
            StatusCode::UNPROCESSABLE_ENTITY,
            error("invalid", "count", "the cookie is not a valid cookie value"),
        ),
        // Not sensitive: the first copy wins.
        (Some("count=1; count=2"), StatusCode::OK, "1".to_owned()),
    ];
    for (cookie, status, body) in cases {
        let res = call_service(&app, get("/count", cookie).to_request()).await;
        assert_eq!(res.status(), status, "{cookie:?}");
        assert_eq!(body_text(res).await, body, "{cookie:?}");
    }
}

#[actix_web::test]
async fn optional_cookies_are_none_when_absent_and_422_when_invalid_unless_declared_lenient() {
    let app = typed_app!();
    for (uri, cookie, status, body) in [
        ("/count/optional", None, StatusCode::OK, "null".to_owned()),
        (
            "/count/optional",
            Some("count=7"),
            StatusCode::OK,
            "7".to_owned(),
        ),
        (
            "/count/optional",
            Some("count=seven"),
            StatusCode::UNPROCESSABLE_ENTITY,
            error("invalid", "count", "invalid digit found in string"),
        ),
        (
            "/count/lenient",
            Some("count=seven"),
            StatusCode::OK,
            "null".to_owned(),
        ),
        (
            "/count/lenient",
            Some("count=7 8"),
            StatusCode::OK,
            "null".to_owned(),
        ),
        (
            "/count/lenient",
            Some("count=7"),
            StatusCode::OK,
            "7".to_owned(),
        ),
    ] {
        let res = call_service(&app, get(uri, cookie).to_request()).await;
        assert_eq!(res.status(), status, "{uri} {cookie:?}");
        assert_eq!(body_text(res).await, body, "{uri} {cookie:?}");
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[actix_web::test]
async fn a_signed_json_cookie_round_trips_and_each_error_has_its_kind() {
    let app = typed_app!();
    let res = call_service(&app, get("/prefs/set", None).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookies = set_cookies(&res);
    assert_eq!(cookies.len(), 1);
    // The JSON, base64url, then signed: readable, and bound to its name.
    let encoded = "eyJ0aGVtZSI6ImRhcmsiLCJsYW5nIjoicHQtQlIifQ";
    assert!(
        cookies[0].starts_with(&format!("prefs={encoded}.")),
        "{}",
        cookies[0]
    );
    assert!(
        cookies[0].ends_with("; HttpOnly; SameSite=Lax; Path=/; Max-Age=31536000"),
        "{}",
        cookies[0]
    );
    let wire = pair(&cookies[0]);
    let res = call_service(&app, get("/prefs", Some(&wire)).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, r#"{"theme":"dark","lang":"pt-BR"}"#);

    let keys = ring(KEY, &[]);
    let signed = |value: &str, at| {
        format!(
            "prefs={}",
            keys.protect(Protection::Signed, "prefs", value, at)
                .expect("sealed")
        )
    };
    let tampered = error(
        "tampered",
        "prefs",
        "the cookie was changed or was not issued by this server",
    );
    let cases = [
        (None, error("missing", "prefs", "Field required")),
        (
            Some(wire.replacen("prefs=e", "prefs=f", 1)),
            tampered.clone(),
        ),
        (Some(format!("prefs={encoded}")), tampered.clone()),
        (Some(format!("{wire}; {wire}")), tampered),
        (
            // "not json", signed as it should be.
            Some(signed("bm90IGpzb24", now())),
            error("invalid", "prefs", "expected ident at line 1 column 2"),
        ),
        (
            Some(signed("e30", 1_000_000_000)),
            error("expired", "prefs", "the cookie has expired"),
        ),
    ];
    for (cookie, want) in cases {
        let res = call_service(&app, get("/prefs", cookie.as_deref()).to_request()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{cookie:?}");
        assert_eq!(body_text(res).await, want, "{cookie:?}");
    }
    // Declared lenient, each of these is simply absent.
    let res = call_service(
        &app,
        get("/prefs/lenient", Some(&format!("prefs={encoded}"))).to_request(),
    )
    .await;
    assert_eq!(
        (res.status(), body_text(res).await.as_str()),
        (StatusCode::OK, "null")
    );
}

#[actix_web::test]
async fn a_percent_encoded_cookie_reads_back_as_the_text_written() {
    let app = typed_app!();
    let res = call_service(&app, get("/name/set", None).to_request()).await;
    assert_eq!(
        set_cookies(&res),
        ["name=Zo%C3%AB%20O'Brien%2C%2050%25; HttpOnly; SameSite=Lax; Path=/"]
    );
    let wire = pair(&set_cookies(&res)[0]);
    let res = call_service(&app, get("/name", Some(&wire)).to_request()).await;
    assert_eq!(body_text(res).await, r#""Zoë O'Brien, 50%""#);
    let res = call_service(&app, get("/name", Some("name=%FF")).to_request()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body_text(res).await,
        error("invalid", "name", "the percent-encoded value is not UTF-8")
    );
}

#[actix_web::test]
async fn a_prefixed_cookie_is_read_only_under_its_prefix_and_never_twice() {
    let app = typed_app!();
    let tampered = error(
        "tampered",
        "sid",
        "the cookie was changed or was not issued by this server",
    );
    for (cookie, status, body) in [
        (
            Some("__Host-sid=abc"),
            StatusCode::OK,
            r#""abc""#.to_owned(),
        ),
        (
            Some("sid=planted"),
            StatusCode::UNPROCESSABLE_ENTITY,
            tampered.clone(),
        ),
        (
            Some("__Host-sid=abc; __Host-sid=planted"),
            StatusCode::UNPROCESSABLE_ENTITY,
            tampered,
        ),
    ] {
        let res = call_service(&app, get("/sid", cookie).to_request()).await;
        assert_eq!(res.status(), status, "{cookie:?}");
        assert_eq!(body_text(res).await, body, "{cookie:?}");
    }
}
