//! `/session/*` through the production app factory with the cookie store:
//! login, me and logout with a jar kept between requests, the exact bodies
//! and `Set-Cookie` headers, the refused user names, and a new session id
//! on every login.

mod common;

use actix_web::http::StatusCode;
use common::{Jar, seed_app};
use cookie_policy::settings::Profile;

/// The session cookie's attributes as the layer sends them, after its value.
const TAIL: &str = "HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=86400";

/// The value of the one `__Host-sid` a response set, checking its shape.
fn session_value(set_cookies: &[String]) -> String {
    assert_eq!(set_cookies.len(), 1, "{set_cookies:?}");
    let value = set_cookies[0]
        .strip_prefix("__Host-sid=")
        .and_then(|rest| rest.strip_suffix(&format!("; {TAIL}")))
        .unwrap_or_else(|| panic!("not the session cookie's shape: {}", set_cookies[0]));
    assert!(!value.is_empty());
    value.to_owned()
}

#[actix_web::test]
async fn login_me_logout_me_with_the_cookie_store() {
    for profile in [Profile::Development, Profile::Production] {
        let app = seed_app(profile).await;
        let mut jar = Jar::default();

        let me = jar.get(&app, "/session/me").await;
        assert_eq!(
            (me.status, me.body.as_str(), me.set_cookies.len()),
            (
                StatusCode::UNAUTHORIZED,
                r#"{"detail":[{"type":"not_logged_in","loc":["cookie","__Host-sid"],"msg":"no session is signed in; sign in at /session/login?user=NAME"}]}"#,
                0
            ),
            "{profile}"
        );

        let login = jar.get(&app, "/session/login?user=alice").await;
        assert_eq!(
            (login.status, login.body.as_str()),
            (StatusCode::OK, r#"{"message":"Logged in as alice"}"#)
        );
        session_value(&login.set_cookies);

        let me = jar.get(&app, "/session/me").await;
        assert_eq!(
            (me.status, me.body.as_str(), me.set_cookies.len()),
            (StatusCode::OK, r#"{"user":"alice"}"#, 0)
        );

        let logout = jar.get(&app, "/session/logout").await;
        assert_eq!(
            (logout.status, logout.body.as_str()),
            (StatusCode::OK, r#"{"message":"Logged out"}"#)
        );
        assert_eq!(logout.set_cookies.len(), 1, "{:?}", logout.set_cookies);
        let expires = logout.set_cookies[0]
            .split("; Expires=")
            .nth(1)
            .expect("a removal has Expires");
        assert_eq!(
            logout.set_cookies[0],
            format!(
                "__Host-sid=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires={expires}"
            )
        );
        assert!(jar.0.is_empty(), "{jar:?}");

        let me = jar.get(&app, "/session/me").await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    }
}

#[actix_web::test]
async fn every_login_gets_a_new_session_cookie() {
    let app = seed_app(Profile::Development).await;
    let mut jar = Jar::default();
    let first = session_value(&jar.get(&app, "/session/login?user=alice").await.set_cookies);
    let second = jar.get(&app, "/session/login?user=bob").await;
    assert_eq!(second.body, r#"{"message":"Logged in as bob"}"#);
    let second = session_value(&second.set_cookies);
    assert_ne!(first, second);
    let me = jar.get(&app, "/session/me").await;
    assert_eq!(me.body, r#"{"user":"bob"}"#);
}

#[actix_web::test]
async fn a_missing_or_invalid_user_answers_422_and_sets_nothing() {
    let app = seed_app(Profile::Development).await;
    let long = "a".repeat(65);
    let cases = [
        ("/session/login", "missing", "Field required"),
        ("/session/login?name=alice", "missing", "Field required"),
        (
            "/session/login?user=",
            "string_too_short",
            "String should have at least 1 character",
        ),
        (
            &format!("/session/login?user={long}"),
            "string_too_long",
            "String should have at most 64 bytes",
        ),
        (
            "/session/login?user=al%20ice",
            "string_pattern_mismatch",
            "String should match pattern '^[A-Za-z0-9_.-]+$'",
        ),
        (
            "/session/login?user=%C3%A9",
            "string_pattern_mismatch",
            "String should match pattern '^[A-Za-z0-9_.-]+$'",
        ),
    ];
    for (uri, kind, msg) in cases {
        let answer = Jar::default().get(&app, uri).await;
        assert_eq!(
            (answer.status, answer.body, answer.set_cookies.len()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    r#"{{"detail":[{{"type":"{kind}","loc":["query","user"],"msg":"{msg}"}}]}}"#
                ),
                0
            ),
            "{uri}"
        );
    }
    // 64 bytes is the longest name accepted.
    let answer = Jar::default()
        .get(&app, &format!("/session/login?user={}", "a".repeat(64)))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_changed_or_plain_named_session_cookie_is_not_a_session() {
    let app = seed_app(Profile::Development).await;
    let value = session_value(
        &Jar::default()
            .get(&app, "/session/login?user=alice")
            .await
            .set_cookies,
    );
    let first = if value.starts_with('A') { "B" } else { "A" };
    let changed = format!("{first}{}", &value[1..]);
    for (name, value) in [
        ("__Host-sid", value.as_str()),
        ("sid", &value),
        ("__Host-sid", &changed),
    ] {
        let mut jar = Jar::default();
        jar.0.insert(name.to_owned(), value.to_owned());
        let answer = jar.get(&app, "/session/me").await;
        // Only the cookie as the layer sealed it, under its prefixed name.
        let want = if name == "__Host-sid" && value != changed {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(answer.status, want, "{name}={value}");
    }
}
