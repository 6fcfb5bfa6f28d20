//! The playground (`/cookies`, `/cookies/set`, `/cookies/delete`) through
//! the production app factory: served only where the settings enable it,
//! what the inbound rules let the app see, the 431 limits, and cookies set
//! and removed through the policy, with the exact headers and bodies.

mod common;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{app_for, body_text, get, get_with, settings_for, settings_with};
use cookie_policy::settings::{Profile, Settings};

/// The production profile with the playground turned on, as
/// `APP_PLAYGROUND__ENABLED=true` does.
fn production_with_playground() -> Settings {
    settings_with(Profile::Production, ("playground.enabled", true))
}

/// One request to each of the playground's routes.
const PLAYGROUND: &[&str] = &[
    "/cookies",
    "/cookies/set?session=admin",
    "/cookies/set/session/admin",
    "/cookies/delete?session",
];

/// A response's headers, sorted, as text.
fn headers<B>(res: &ServiceResponse<B>) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = (res.headers().iter())
        .map(|(k, v)| (k.to_string(), v.to_str().expect("ASCII").to_owned()))
        .collect();
    all.sort();
    all
}

async fn answer<B: MessageBody>(
    res: ServiceResponse<B>,
) -> (StatusCode, Vec<(String, String)>, String) {
    (res.status(), headers(&res), body_text(res).await)
}

#[actix_web::test]
async fn production_serves_no_playground_by_default_its_paths_answer_as_unknown_ones() {
    let settings = settings_for(Profile::Production);
    assert!(!settings.playground.enabled);
    let app = app_for(settings).await;
    let unknown =
        answer(call_service(&app, TestRequest::get().uri("/no-such-path").to_request()).await)
            .await;
    assert_eq!(unknown.0, StatusCode::NOT_FOUND);
    assert_eq!(unknown.2, r#"{"detail":"Not Found"}"#);
    for path in PLAYGROUND {
        let req = TestRequest::get()
            .uri(path)
            .insert_header(("cookie", "theme=dark"));
        let res = call_service(&app, req.to_request()).await;
        assert_eq!(answer(res).await, unknown, "{path}");
    }
}

#[actix_web::test]
async fn the_playground_serves_in_development_and_in_production_when_enabled() {
    for (what, settings) in [
        ("development", settings_for(Profile::Development)),
        ("production, enabled", production_with_playground()),
    ] {
        let (status, cookies, _) = get_with(&settings, "/cookies/set?session=admin", None).await;
        assert_eq!((status, cookies.len()), (StatusCode::FOUND, 1), "{what}");
        let pair = cookies[0].split(';').next().expect("a pair").to_owned();
        assert!(
            pair.starts_with("session=") && !pair.contains("admin"),
            "{what}: sealed: {pair}"
        );
        let (status, _, body) = get_with(&settings, "/cookies", Some(&pair)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"cookies":{"session":"admin"}}"#),
            "{what}"
        );
        let (status, cookies, _) = get_with(&settings, "/cookies/set/theme/dark", None).await;
        assert_eq!((status, cookies.len()), (StatusCode::FOUND, 1), "{what}");
        let (status, cookies, _) = get_with(&settings, "/cookies/delete?theme", None).await;
        assert_eq!((status, cookies.len()), (StatusCode::FOUND, 1), "{what}");
    }
}

#[actix_web::test]
async fn the_playground_lists_only_what_the_inbound_rules_accept() {
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
            "%5F%5FHost-tab=x; user%6Eame=y",
            r#"{"cookies":{"%5F%5FHost-tab":"x","user%6Eame":"y"}}"#,
        ),
        (
            "R19/R9 case-folded prefix refused",
            "__host-tab=x; __Host-tab=y",
            r#"{"cookies":{"__Host-tab":"y"}}"#,
        ),
        (
            "R20 sensitive duplicate absent",
            "__Host-tab=a; __Host-tab=b; theme=dark",
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
    let (status, cookies, _) = get_with(
        &production_with_playground(),
        "/cookies/set/theme/dark",
        None,
    )
    .await;
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

const SESSION_REFUSED: &str = r#"{"detail":[{"type":"session_cookie","loc":["query","sid"],"msg":"the playground does not set `sid`, the login session's cookie; sign in at /session/login?user=NAME"}]}"#;

#[actix_web::test]
async fn the_playground_refuses_what_the_rules_refuse_with_422_and_sets_nothing() {
    let rows: &[(&str, &str)] = &[
        (
            "/cookies/set?ok=1&a=x%3B%20Domain%3Devil.example",
            r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","a"],"msg":"cookie `a`: byte 0x3B (';') at position 1 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)"}]}"#,
        ),
        (
            "/cookies/set?a%20b=1",
            r#"{"detail":[{"type":"invalid_cookie_name","loc":["cookie","a b"],"msg":"cookie `a b`: byte 0x20 (space) at position 1 is not allowed in a cookie name, which must be an RFC 9110 token (R1)"}]}"#,
        ),
        (
            "/cookies/set/a/x%0D%0ASet-Cookie:%20evil=1",
            r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","a"],"msg":"cookie `a`: byte 0x0D at position 1 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)"}]}"#,
        ),
        (
            "/cookies/set?a=1&a=2",
            r#"{"detail":[{"type":"duplicate_cookie","loc":["cookie","a"],"msg":"cookie `a`: the request sets this cookie twice; set it once (R13)"}]}"#,
        ),
        (
            "/cookies/set?__host-x=1",
            r#"{"detail":[{"type":"non_canonical_prefix","loc":["cookie","__host-x"],"msg":"cookie `__host-x`: browsers read this name as __Host- prefixed; spell the prefix exactly __Host- (R9)"}]}"#,
        ),
        // Sealed by the playground, a value the client made with
        // actix-session's public key would be a login.
        ("/cookies/set?theme=dark&sid=forged", SESSION_REFUSED),
        ("/cookies/set/sid/forged", SESSION_REFUSED),
    ];
    let production = production_with_playground();
    for (uri, want) in rows {
        let (status, cookies, body) = get_with(&production, uri, None).await;
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

/// `/cookies/set?c0=1&c1=1&...` or `/cookies/delete?c0&c1&...` naming `n`
/// cookies.
fn naming(route: &str, n: usize, pair: impl Fn(usize) -> String) -> String {
    let names: Vec<String> = (0..n).map(pair).collect();
    format!("/cookies/{route}?{}", names.join("&"))
}

#[actix_web::test]
async fn a_request_sets_or_removes_at_most_50_cookies() {
    let too_many = |n: usize| {
        format!(
            r#"{{"detail":[{{"type":"too_many_cookies","loc":["query"],"msg":"the request names {n} cookies; the playground sets or removes at most 50 per request, about as many as a browser keeps for one site"}}]}}"#
        )
    };
    let over = [
        naming("set", 51, |i| format!("c{i}=1")),
        naming("delete", 51, |i| format!("c{i}")),
        // Repeats count: naming one cookie 51 times is 51 names.
        naming("delete", 51, |_| "c".to_owned()),
        naming("set", 51, |_| "c=1".to_owned()),
    ];
    for uri in &over {
        let (status, cookies, body) = get(Profile::Development, uri, None).await;
        assert_eq!(
            (status, cookies.len(), body),
            (StatusCode::UNPROCESSABLE_ENTITY, 0, too_many(51)),
            "{uri}"
        );
    }
    let (status, cookies, body) = get(
        Profile::Development,
        &naming("set", 8000, |i| format!("c{i}")),
        None,
    )
    .await;
    assert_eq!(
        (status, cookies.len(), body),
        (StatusCode::UNPROCESSABLE_ENTITY, 0, too_many(8000))
    );

    let (status, cookies, _) = get(
        Profile::Development,
        &naming("set", 50, |i| format!("c{i}=1")),
        None,
    )
    .await;
    assert_eq!((status, cookies.len()), (StatusCode::FOUND, 50));
    assert_eq!(cookies[49], "c49=1; HttpOnly; SameSite=Lax; Path=/");
    let (status, cookies, _) = get(
        Profile::Development,
        &naming("delete", 50, |i| format!("c{i}")),
        None,
    )
    .await;
    assert_eq!((status, cookies.len()), (StatusCode::FOUND, 50));
    // Duplicates within the limit: removed once, or refused when set twice.
    let (status, cookies, _) = get(
        Profile::Development,
        &naming("delete", 50, |_| "c".to_owned()),
        None,
    )
    .await;
    assert_eq!(
        (status, cookies.as_slice()),
        (
            StatusCode::FOUND,
            ["c=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT".to_owned()].as_slice()
        )
    );
    let (status, cookies, body) = get(
        Profile::Development,
        &naming("set", 50, |i| format!("c{}=1", i % 49)),
        None,
    )
    .await;
    assert_eq!(
        (status, cookies.len()),
        (StatusCode::UNPROCESSABLE_ENTITY, 0)
    );
    assert_eq!(
        body,
        r#"{"detail":[{"type":"duplicate_cookie","loc":["cookie","c0"],"msg":"cookie `c0`: the request sets this cookie twice; set it once (R13)"}]}"#
    );
}

#[actix_web::test]
async fn what_echoes_cookie_values_is_never_stored_by_a_cache() {
    let settings = settings_for(Profile::Development);
    let (_, cookies, _) = get_with(&settings, "/cookies/set?session=alice", None).await;
    let sealed = cookies[0].split(';').next().expect("a pair").to_owned();
    let app = app_for(settings).await;
    for cookie in [None, Some("theme=dark"), Some(sealed.as_str())] {
        let mut req = TestRequest::get().uri("/cookies");
        if let Some(c) = cookie {
            req = req.insert_header(("cookie", c));
        }
        let res = call_service(&app, req.to_request()).await;
        let cache: Vec<&str> = (res.headers().get_all("cache-control"))
            .map(|v| v.to_str().expect("ASCII"))
            .collect();
        assert_eq!(
            (res.status(), cache),
            (StatusCode::OK, vec!["no-store"]),
            "{cookie:?}"
        );
    }
    let (_, _, body) = get_with(
        &settings_for(Profile::Development),
        "/cookies",
        Some(&sealed),
    )
    .await;
    assert_eq!(
        body, r#"{"cookies":{"session":"alice"}}"#,
        "the body is unchanged"
    );
}

/// A form post, as a page of the server's own origin sends it.
fn form(uri: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .insert_header(("sec-fetch-site", "same-origin"))
        .set_payload(body.to_owned())
}

#[actix_web::test]
async fn form_posts_set_and_remove_as_the_get_forms_do() {
    let app = app_for(settings_for(Profile::Development)).await;
    for (post, get) in [
        (
            form("/cookies/set", "a=1&b=two%20words"),
            "/cookies/set?a=1&b=two%20words",
        ),
        (form("/cookies/delete", "a=&b"), "/cookies/delete?a&b"),
    ] {
        let posted = answer(call_service(&app, post.to_request()).await).await;
        let got = answer(call_service(&app, TestRequest::get().uri(get).to_request()).await).await;
        assert_eq!(posted, got, "{get}");
    }
    let posted = call_service(&app, form("/cookies/set", "a=1").to_request()).await;
    let (status, headers, _) = answer(posted).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(
        headers.contains(&(
            "set-cookie".to_owned(),
            "a=1; HttpOnly; SameSite=Lax; Path=/".to_owned()
        )),
        "{headers:?}"
    );

    // Not form fields: 422, and nothing set.
    let json = TestRequest::post()
        .uri("/cookies/set")
        .insert_header(("content-type", "application/json"))
        .set_payload(r#"{"a":"1"}"#);
    let (status, headers, body) = answer(call_service(&app, json.to_request()).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!headers.iter().any(|(k, _)| k == "set-cookie"));
    assert_eq!(
        body,
        r#"{"detail":[{"type":"invalid_form","loc":["body"],"msg":"the body is not form fields: send name=value pairs as application/x-www-form-urlencoded, as an HTML form does; this one is application/json"}]}"#
    );
    // A refused value: the same 422 as the GET form's.
    let (status, _, body) =
        answer(call_service(&app, form("/cookies/set", "x=a%20b").to_request()).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.starts_with(r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","x"]"#));

    // The same form from another site never reaches the playground (R23).
    let forged = form("/cookies/set", "a=1").insert_header(("sec-fetch-site", "cross-site"));
    let (status, headers, body) = answer(call_service(&app, forged.to_request()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!headers.iter().any(|(k, _)| k == "set-cookie"));
    assert_eq!(
        body,
        r#"{"detail":[{"type":"cross_origin_request","loc":["header","sec-fetch-site"],"msg":"the browser sent this POST from another site (Sec-Fetch-Site: cross-site); this app accepts unsafe requests from its own origin only"}]}"#
    );
}

#[actix_web::test]
async fn a_browser_asking_for_html_gets_a_page_of_its_cookies_escaped() {
    let app = app_for(settings_for(Profile::Development)).await;
    let req = TestRequest::get()
        .uri("/cookies")
        .insert_header(("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"))
        .insert_header(("cookie", "theme=<b>dark</b>"));
    let (status, headers, body) = answer(call_service(&app, req.to_request()).await).await;
    assert_eq!(status, StatusCode::OK);
    let header = |name: &str| {
        (headers.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header("cache-control"), Some("no-store"));
    assert_eq!(header("vary"), Some("accept"));
    assert_eq!(
        header("content-security-policy"),
        Some("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'")
    );
    // The cookie, what the policy writes for it, and a form to remove it.
    assert!(
        body.contains(
            "<tr><td>theme</td><td>&lt;b&gt;dark&lt;/b&gt;</td><td><code>theme=&lt;b&gt;dark&lt;/b&gt;; HttpOnly; SameSite=Lax; Path=/</code></td><td><form method=\"post\" action=\"/cookies/delete\"><input type=\"hidden\" name=\"theme\" value=\"\"><button>Remove</button></form></td></tr>"
        ),
        "{body}"
    );
    assert!(!body.contains("<b>"));
    // A form per name to set, its field named after the cookie; never `sid`.
    assert!(body.contains(
        "<form method=\"post\" action=\"/cookies/set\"><label><code>lang</code> <input name=\"lang\" value=\"\"></label> <button>Set lang</button></form>"
    ));
    assert!(body.contains("<input name=\"session\""));
    assert!(!body.contains("name=\"sid\""));
    assert!(!body.contains("<script"));

    // Without text/html in Accept (curl), the JSON as before.
    let (_, headers, body) = answer(
        call_service(
            &app,
            TestRequest::get()
                .uri("/cookies")
                .insert_header(("accept", "*/*"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert!(headers.contains(&("content-type".to_owned(), "application/json".to_owned())));
    assert_eq!(body, r#"{"cookies":{}}"#);
}
