//! The guide's endpoints through the production app factory, in both profiles:
//! exact status, content type, body and Set-Cookie.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{body_text, seed_app, set_cookies};
use cookie_policy::settings::Profile;

/// What one request must answer.
struct Expect {
    uri: &'static str,
    cookie: Option<&'static str>,
    body: &'static str,
    set_cookie: &'static [&'static str],
}

async fn check(profile: Profile, cases: &[Expect]) {
    let app = seed_app(profile).await;
    for case in cases {
        let mut req = TestRequest::get().uri(case.uri);
        if let Some(cookie) = case.cookie {
            req = req.insert_header(("cookie", cookie));
        }
        let res = call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", case.uri);
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/json",
            "{}",
            case.uri
        );
        assert_eq!(
            set_cookies(&res),
            case.set_cookie,
            "{} ({profile})",
            case.uri
        );
        assert_eq!(body_text(res).await, case.body, "{}", case.uri);
    }
}

const COMMON: &[Expect] = &[
    Expect {
        uri: "/get-cookie",
        cookie: None,
        body: r#"{"mycookie":null}"#,
        set_cookie: &[],
    },
    Expect {
        uri: "/get-cookie",
        cookie: Some("mycookie=cookievalue"),
        body: r#"{"mycookie":"cookievalue"}"#,
        set_cookie: &[],
    },
    Expect {
        uri: "/profile",
        cookie: Some("username=alice"),
        body: r#"{"message":"Welcome back, alice!"}"#,
        set_cookie: &[],
    },
    Expect {
        uri: "/profile",
        cookie: None,
        body: r#"{"message":"No username cookie found"}"#,
        set_cookie: &[],
    },
    Expect {
        uri: "/profile",
        cookie: Some("username="),
        body: r#"{"message":"No username cookie found"}"#,
        set_cookie: &[],
    },
    Expect {
        uri: "/profile",
        cookie: Some("other=1; username=bob"),
        body: r#"{"message":"Welcome back, bob!"}"#,
        set_cookie: &[],
    },
    Expect {
        uri: "/wrong-set",
        cookie: None,
        body: r#"{"message":"No cookie set"}"#,
        set_cookie: &[],
    },
    Expect {
        uri: "/healthz",
        cookie: None,
        body: r#"{"status":"ok"}"#,
        set_cookie: &[],
    },
];

#[actix_web::test]
async fn development_profile_answers_the_guide_exactly() {
    check(Profile::Development, COMMON).await;
    check(
        Profile::Development,
        &[
            Expect { uri: "/set-cookie", cookie: None, body: r#"{"message":"Cookie set"}"#,
                set_cookie: &["mycookie=cookievalue; HttpOnly; SameSite=Lax; Path=/; Max-Age=1800"] },
            Expect { uri: "/login", cookie: None, body: r#"{"message":"Logged in and cookie set"}"#,
                set_cookie: &["username=alice; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600"] },
            Expect { uri: "/right-set", cookie: None, body: r#"{"message":"Cookie set properly"}"#,
                set_cookie: &["token=abc123; HttpOnly; SameSite=Lax; Path=/"] },
            Expect { uri: "/logout", cookie: Some("username=alice"), body: r#"{"message":"Logged out"}"#,
                set_cookie: &["username=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"] },
        ],
    )
    .await;
}

#[actix_web::test]
async fn production_profile_adds_secure_to_every_cookie() {
    check(Profile::Production, COMMON).await;
    check(
        Profile::Production,
        &[
            Expect { uri: "/set-cookie", cookie: None, body: r#"{"message":"Cookie set"}"#,
                set_cookie: &["mycookie=cookievalue; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=1800"] },
            Expect { uri: "/login", cookie: None, body: r#"{"message":"Logged in and cookie set"}"#,
                set_cookie: &["username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600"] },
            Expect { uri: "/right-set", cookie: None, body: r#"{"message":"Cookie set properly"}"#,
                set_cookie: &["token=abc123; HttpOnly; SameSite=Lax; Secure; Path=/"] },
            Expect { uri: "/logout", cookie: None, body: r#"{"message":"Logged out"}"#,
                set_cookie: &["username=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"] },
        ],
    )
    .await;
}

#[actix_web::test]
async fn profile_reads_the_value_byte_for_byte_and_skips_a_malformed_one() {
    let app = seed_app(Profile::Development).await;
    for (cookie, want) in [
        // Percent-escapes are not decoded (as Starlette does not decode them).
        (
            "username=al%69ce",
            r#"{"message":"Welcome back, al%69ce!"}"#,
        ),
        // A quote inside a value breaks the grammar: that pair alone is skipped.
        (
            "username=a\"b; other=1",
            r#"{"message":"No username cookie found"}"#,
        ),
        (
            "bad pair; username=bob",
            r#"{"message":"Welcome back, bob!"}"#,
        ),
        // A name is never decoded into another one.
        (
            "user%6Eame=mallory",
            r#"{"message":"No username cookie found"}"#,
        ),
    ] {
        let req = TestRequest::get()
            .uri("/profile")
            .insert_header(("cookie", cookie))
            .to_request();
        assert_eq!(
            body_text(call_service(&app, req).await).await,
            want,
            "{cookie}"
        );
    }
}

#[actix_web::test]
async fn an_unknown_path_answers_404_in_json() {
    let app = seed_app(Profile::Development).await;
    let res = call_service(&app, TestRequest::get().uri("/nope").to_request()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_text(res).await, r#"{"detail":"Not Found"}"#);
}
