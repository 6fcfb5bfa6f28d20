//! `/preferences`: a typed, signed cookie through the production app
//! factory, and the typed extractor's exact error for each way it fails.

mod common;

use actix_cookie_policy::{KeyRing, Protection};
use actix_web::http::StatusCode;
use common::{TEST_KEY, get};
use cookie_policy::settings::Profile;

/// The key the test policy signs with.
fn key() -> KeyRing {
    KeyRing::from_base64(TEST_KEY, &[]).expect("valid key")
}

/// `name=value` of a `Set-Cookie` header.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
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
            Some(format!("prefs={}", key().protect(Protection::Signed, "prefs", "bm90IGpzb24", common::unix_now()).expect("sealed"))),
            r#"{"detail":[{"type":"invalid","loc":["cookie","prefs"],"msg":"expected ident at line 1 column 2"}]}"#.to_owned(),
        ),
        (
            Some(format!("prefs={}", key().protect(Protection::Signed, "prefs", "e30", 1_000_000_000).expect("sealed"))),
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
