//! Headers every response of the app carries, whichever part answered: a
//! route, the 404 of an unknown path, a handler's error, or the cookie
//! policy layer's own refusal.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{app_for, body_text, settings_for, settings_with};
use cookie_policy::settings::Profile;

#[actix_web::test]
async fn every_response_tells_browsers_not_to_sniff_its_content_type() {
    let many: Vec<String> = (0..101).map(|i| format!("c{i}=1")).collect();
    let many = many.join("; ");
    let rows: &[(&str, Option<&str>, StatusCode, &str)] = &[
        (
            "/login",
            None,
            StatusCode::OK,
            r#"{"message":"Logged in and cookie set"}"#,
        ),
        (
            "/get-cookie",
            Some("mycookie=cookievalue"),
            StatusCode::OK,
            r#"{"mycookie":"cookievalue"}"#,
        ),
        ("/healthz", None, StatusCode::OK, r#"{"status":"ok"}"#),
        (
            "/no-such-path",
            None,
            StatusCode::NOT_FOUND,
            r#"{"detail":"Not Found"}"#,
        ),
        (
            "/cookies",
            Some("theme=dark"),
            StatusCode::OK,
            r#"{"cookies":{"theme":"dark"}}"#,
        ),
        ("/cookies/set?theme=dark", None, StatusCode::FOUND, ""),
        (
            "/cookies/set?a%20b=1",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"detail":[{"type":"invalid_cookie_name","loc":["cookie","a b"],"msg":"cookie `a b`: byte 0x20 (space) at position 1 is not allowed in a cookie name, which must be an RFC 9110 token (R1)"}]}"#,
        ),
        (
            "/profile",
            Some(&many),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            r#"{"detail":[{"type":"too_many_cookies","loc":["header","cookie"],"msg":"the request carries more than 100 cookies; clear this site's cookies and try again"}]}"#,
        ),
    ];
    for (profile, settings) in [
        ("development", settings_for(Profile::Development)),
        (
            "production with the playground",
            settings_with(Profile::Production, ("playground.enabled", true)),
        ),
    ] {
        let app = app_for(settings).await;
        for &(uri, cookie, status, body) in rows {
            let mut req = TestRequest::get().uri(uri);
            if let Some(c) = cookie {
                req = req.insert_header(("cookie", c));
            }
            let res = call_service(&app, req.to_request()).await;
            let nosniff: Vec<&str> = (res.headers().get_all("x-content-type-options"))
                .map(|v| v.to_str().expect("ASCII"))
                .collect();
            assert_eq!(
                (res.status(), nosniff),
                (status, vec!["nosniff"]),
                "{profile}: {uri}"
            );
            assert_eq!(body_text(res).await, body, "{profile}: {uri}");
        }
    }
}
