//! The layer on the way in: limits (R16), tolerant reading (R17), skipped
//! pairs (R18), exact names (R19, R9), duplicates (R20), what handlers see
//! through actix-web's own reads and the `Diagnostics` extractor, and the
//! check that no middleware outside the layer read the cookies first.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::dev::{Service as _, ServiceRequest};
use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpRequest, HttpResponse, web};
use common::{body_text, get};

use actix_cookie_policy::{
    CookieOverride, CookiePolicy, CookiePolicyLayer, Diagnostics, Policy, Prefix,
};

/// The cookies the app reads through actix-web, decoded then raw:
/// `a=1,c=2 | a=1,c=2` (an error as `Err(..)`).
async fn both_reads(req: HttpRequest) -> HttpResponse {
    let list = |cs: &[actix_web::cookie::Cookie<'static>]| {
        cs.iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let decoded = req
        .cookies()
        .map_or_else(|e| format!("Err({e})"), |cs| list(&cs));
    let raw = req
        .cookies_raw()
        .map_or_else(|e| format!("Err({e})"), |cs| list(&cs));
    HttpResponse::Ok().body(format!("{decoded} | {raw}"))
}

/// What `req.cookie(name)` gives: `Some("v")` or `None`.
async fn one_cookie(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{:?}",
        req.cookie(&name).map(|c| c.value().to_owned())
    ))
}

/// A GET of `uri` with one `Cookie` field per entry of `fields`.
fn with_fields(uri: &str, fields: &[&str]) -> TestRequest {
    let mut req = TestRequest::get().uri(uri);
    for f in fields {
        req = req.append_header((COOKIE, HeaderValue::from_str(f).unwrap()));
    }
    req
}

const LAYER_ORDER: &str = r#"{"detail":[{"type":"policy_layer_order","loc":["server"],"msg":"the request's cookies were read before the cookie policy middleware ran: wrap the App so that CookiePolicyLayer is outside every middleware that reads cookies (the last .wrap)"}]}"#;

/// The wrong order: a middleware registered after the layer (so outside
/// it) runs `$first` on each request before the layer sees it; `$handler`
/// serves `/`.
macro_rules! outside_the_layer {
    ($policy:expr, $first:expr, $handler:expr) => {
        init_service(
            App::new()
                .wrap(CookiePolicyLayer::new($policy))
                .wrap_fn(|req: ServiceRequest, srv| {
                    let first: fn(&ServiceRequest) = $first;
                    first(&req);
                    srv.call(req)
                })
                .route("/", web::get().to($handler)),
        )
        .await
    };
}

#[actix_web::test]
async fn every_inbound_rule_is_enforced_with_what_the_app_reads() {
    let sid_host = || {
        CookiePolicy::builder()
            .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
            .build()
            .unwrap()
    };
    let plain = CookiePolicy::default;
    let rows: Vec<(&str, CookiePolicy, Vec<&str>, &str)> = vec![
        (
            "R17 loose separators and white space",
            plain(),
            vec!["a=1;b=2 ;  c = 3;\td=4"],
            "a=1,b=2,c=3,d=4 | a=1,b=2,c=3,d=4",
        ),
        (
            "R17 several Cookie fields, in order",
            plain(),
            vec!["a=1; b=2", "c=3"],
            "a=1,b=2,c=3 | a=1,b=2,c=3",
        ),
        (
            "R18 malformed pairs are skipped alone",
            plain(),
            vec!["ok=1; a b=2; c=d e; novalue; p=%zz; q=%41; =x"],
            "ok=1,q=%41 | ok=1,q=%2541",
        ),
        (
            "R18 a quoted value is read without its quotes",
            plain(),
            vec!["q=\"v\"; e="],
            "q=v,e= | q=v,e=",
        ),
        (
            "R19 names are not decoded",
            plain(),
            vec!["%5F%5FHost-sid=x; user%6Eame=y"],
            "%5F%5FHost-sid=x,user%6Eame=y | %255F%255FHost-sid=x,user%256Eame=y",
        ),
        (
            "R9 a prefix in another spelling is not read",
            plain(),
            vec!["__host-sid=x; __Host-sid=y; __SECURE-z=1"],
            "__Host-sid=y | __Host-sid=y",
        ),
        (
            "R20 a sensitive cookie sent twice is absent",
            plain(),
            vec!["__Host-sid=a; __Host-sid=b; theme=dark"],
            "theme=dark | theme=dark",
        ),
        (
            "R20 across fields too",
            plain(),
            vec!["__Secure-x=a; theme=dark", "__Secure-x=b"],
            "theme=dark | theme=dark",
        ),
        (
            "R20 other names: the first copy wins",
            plain(),
            vec!["theme=dark; theme=light"],
            "theme=dark | theme=dark",
        ),
        (
            "R20 a declared prefixed cookie is read under its plain name",
            sid_host(),
            vec!["sid=planted; __Host-sid=good"],
            "sid=good | sid=good",
        ),
        (
            "R20 and sent twice it is absent",
            sid_host(),
            vec!["__Host-sid=1; a=1; __Host-sid=2"],
            "a=1 | a=1",
        ),
        (
            "nothing accepted: the app reads no cookie at all",
            plain(),
            vec!["a b=1; novalue"],
            " | ",
        ),
    ];
    for (what, policy, fields, want) in rows {
        let app = init_service(
            App::new()
                .wrap(CookiePolicyLayer::new(policy))
                .route("/", web::get().to(both_reads)),
        )
        .await;
        let res = call_service(&app, with_fields("/", &fields).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK, "{what}");
        assert_eq!(body_text(res).await, want, "{what}");
    }
}

#[actix_web::test]
async fn names_are_read_byte_for_byte_by_req_cookie() {
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route("/{name}", web::get().to(one_cookie)),
    )
    .await;
    let cookie = Some("%5F%5FHost-sid=evil; __host-x=evil; a%41=1");
    for (name, want) in [
        ("__Host-sid", "None"),
        ("%255F%255FHost-sid", "Some(\"evil\")"),
        ("__host-x", "None"),
        ("aA", "None"),
        ("a%2541", "Some(\"1\")"),
    ] {
        let res = call_service(&app, get(&format!("/{name}"), cookie).to_request()).await;
        assert_eq!(body_text(res).await, want, "{name}");
    }
}

#[actix_web::test]
async fn r16_too_many_bytes_or_pairs_answer_431_before_any_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route(
                "/",
                web::get().to(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    async { HttpResponse::Ok().body("handled") }
                }),
            ),
    )
    .await;
    let big = format!("a={}", "x".repeat(8191));
    let res = call_service(&app, get("/", Some(&big)).to_request()).await;
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(
        body_text(res).await,
        r#"{"detail":[{"type":"cookie_header_too_large","loc":["header","cookie"],"msg":"the Cookie header is 8193 bytes, over the limit of 8192; clear this site's cookies and try again"}]}"#
    );
    // Over all fields together.
    let half = format!("a={}", "x".repeat(4096));
    let res = call_service(&app, with_fields("/", &[&half, &half]).to_request()).await;
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let many: Vec<String> = (0..101).map(|i| format!("c{i}=1")).collect();
    let res = call_service(&app, get("/", Some(&many.join("; "))).to_request()).await;
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(
        body_text(res).await,
        r#"{"detail":[{"type":"too_many_cookies","loc":["header","cookie"],"msg":"the request carries more than 100 cookies; clear this site's cookies and try again"}]}"#
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no handler ran");
    // At the limits, the request goes through.
    let at_limit = format!("a={}", "x".repeat(8190));
    for cookie in [at_limit, many[..100].join("; ")] {
        let res = call_service(&app, get("/", Some(&cookie)).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn r16_limits_are_configurable() {
    let p = CookiePolicy::builder().limits(16, 2).build().unwrap();
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(p))
            .route("/", web::get().to(both_reads)),
    )
    .await;
    for (cookie, status) in [
        ("a=1; b=2", StatusCode::OK),
        ("a=1; b=2; c", StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        ("a=1234567; b=123", StatusCode::OK),
        (
            "a=12345678; b=123",
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ),
    ] {
        let res = call_service(&app, get("/", Some(cookie)).to_request()).await;
        assert_eq!(res.status(), status, "{cookie}");
    }
}

#[actix_web::test]
async fn handlers_see_what_was_skipped_and_why() {
    let p = CookiePolicy::builder()
        .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
        .build()
        .unwrap();
    let app = init_service(App::new().wrap(CookiePolicyLayer::new(p)).route(
        "/",
        web::get().to(|d: Diagnostics, req: HttpRequest| async move {
            let skipped: Vec<String> = d
                .iter()
                .map(|d| format!("{}:{}", d.name, d.kind.as_str()))
                .collect();
            let sid = req.cookie("sid").map(|c| c.value().to_owned());
            HttpResponse::Ok().body(format!("{sid:?} {} {}", d.len(), skipped.join(",")))
        }),
    ))
    .await;
    for (cookie, want) in [
        (
            Some("sid=planted; __Host-sid=good; x=a b; __HOST-sid=bad; n"),
            "Some(\"good\") 4 sid:missing_prefix,x:invalid_value,__HOST-sid:non_canonical_prefix,:nameless_pair",
        ),
        (
            Some("__Host-sid=1; __Host-sid=2"),
            "None 1 sid:possible_cookie_tossing",
        ),
        (Some("theme=1; theme=2"), "None 1 theme:duplicate"),
        (Some("p=50%"), "None 1 p:bad_percent_escape"),
        (Some("__Host-sid=1; a=2"), "Some(\"1\") 0 "),
        (None, "None 0 "),
    ] {
        let res = call_service(&app, get("/", cookie).to_request()).await;
        assert_eq!(body_text(res).await, want, "{cookie:?}");
    }
}

#[actix_web::test]
async fn diagnostics_are_empty_on_a_route_the_layer_does_not_wrap() {
    let app = init_service(App::new().route(
        "/",
        web::get().to(|d: Diagnostics| async move { HttpResponse::Ok().body(d.len().to_string()) }),
    ))
    .await;
    let res = call_service(&app, get("/", Some("a b=1")).to_request()).await;
    assert_eq!(body_text(res).await, "0");
}

#[actix_web::test]
async fn cookies_read_before_the_layer_fail_closed_instead_of_reaching_the_app() {
    let req = || get("/__Host-x", Some("%5F%5FHost-x=evil")).to_request();
    // Wrong order: a middleware outside the layer reads the cookies first.
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .wrap_fn(|req: ServiceRequest, srv| {
                let _ = req.cookies();
                srv.call(req)
            })
            .route("/{name}", web::get().to(one_cookie)),
    )
    .await;
    let res = call_service(&app, req()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body_text(res).await, LAYER_ORDER);
    // Right order: the reader is inside the layer and sees only the exact name.
    let app = init_service(
        App::new()
            .wrap(from_fn(|req: ServiceRequest, next: Next<_>| async move {
                let _ = req.cookies();
                next.call(req).await
            }))
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route("/{name}", web::get().to(one_cookie)),
    )
    .await;
    let res = call_service(&app, req()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "None");
}

#[actix_web::test]
async fn raw_cookies_read_before_the_layer_fail_closed_too() {
    // `cookies_raw` (no percent-decoding) has its own cache, filled from
    // the header the client sent.
    let app = outside_the_layer!(
        CookiePolicy::default(),
        |req| {
            let _ = req.cookies_raw();
        },
        both_reads
    );
    let res = call_service(&app, get("/", Some("__HOST-sid=evil; a=1")).to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body_text(res).await, LAYER_ORDER);
    // Right order: the app's raw read sees the checked header only.
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route("/", web::get().to(both_reads)),
    )
    .await;
    let res = call_service(&app, get("/", Some("__HOST-sid=evil; a=1")).to_request()).await;
    assert_eq!(body_text(res).await, "a=1 | a=1");
}

#[actix_web::test]
async fn a_middleware_outside_the_layer_that_does_not_read_cookies_is_fine() {
    let app = outside_the_layer!(
        CookiePolicy::default(),
        |req| {
            // Looking at headers, the cookie one included, parses no cookie.
            let _ = req.headers().get(COOKIE);
            let _ = req.path();
        },
        both_reads
    );
    let res = call_service(&app, get("/", Some("a=1; b; c=%41")).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "a=1,c=%41 | a=1,c=%2541");
}

/// The layer finds out whether a middleware outside it parsed the cookies
/// without parsing them itself: whatever it asks, the app's own reads then
/// parse the layer's header, and a cache filled before the layer that holds
/// exactly what the layer accepted is let through.
#[actix_web::test]
async fn the_layer_order_check_lets_a_cache_that_holds_exactly_the_accepted_pairs_by() {
    let app = outside_the_layer!(
        CookiePolicy::default(),
        |req| {
            let _ = req.cookies();
        },
        both_reads
    );
    // A header the layer leaves as it is: nothing to check.
    let res = call_service(&app, get("/", Some("a=1; c=2")).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "a=1,c=2 | a=1,c=2");
    // Rewritten, but the cache filled from the client's header holds the
    // same pairs as the layer's: actix-web skips `b` too.
    let res = call_service(&app, get("/", Some("a=1; b; c=2")).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "a=1,c=2 | a=1,c=2");
    // The cache decoded `%41`, the layer did not.
    let res = call_service(&app, get("/", Some("a=1; b; c=%41")).to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // The cache kept a pair the layer skipped.
    let res = call_service(&app, get("/", Some("a=1; c=d e")).to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // The layer accepted nothing, the cache something.
    let res = call_service(&app, get("/", Some("__Host-x=1; __Host-x=2")).to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[actix_web::test]
/// The documented limit of the layer-order check: when the layer rewrites
/// the header, it reads the cookies through actix-web's parse, which actix-web
/// keeps for the request. A middleware inside the layer that sets its own
/// `Cookie` header afterwards is then not read: the app sees what the layer
/// checked.
async fn after_the_layer_rewrote_the_header_the_app_reads_what_the_layer_checked() {
    let app = init_service(
        App::new()
            .wrap(from_fn(
                |mut req: ServiceRequest, next: Next<_>| async move {
                    req.headers_mut()
                        .insert(COOKIE, HeaderValue::from_static("z=9"));
                    next.call(req).await
                },
            ))
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route("/", web::get().to(both_reads)),
    )
    .await;
    let res = call_service(&app, get("/", Some("a=1; b")).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "a=1 | a=1");
}

#[actix_web::test]
async fn the_policy_extractor_says_how_to_register_the_middleware() {
    let app = init_service(App::new().route(
        "/",
        web::get().to(|p: Policy| async move {
            HttpResponse::Ok()
                .cookie(p.cookie("a", "b").unwrap())
                .finish()
        }),
    ))
    .await;
    let res = call_service(&app, get("/", None).to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body_text(res).await,
        r#"{"detail":[{"type":"policy_layer_missing","loc":["server"],"msg":"the cookie policy middleware is not registered for this route: add `.wrap(CookiePolicyLayer::new(policy))` to the App or scope"}]}"#
    );
}

#[actix_web::test]
async fn the_policy_reaches_handlers_in_scopes_and_resources_with_their_own_data() {
    async fn handler(p: Policy, n: web::Data<u32>) -> HttpResponse {
        HttpResponse::Ok()
            .cookie(p.cookie("a", n.to_string()).unwrap())
            .finish()
    }
    let policy = |max_age| CookiePolicy::builder().max_age(max_age).build().unwrap();
    let app = init_service(
        App::new()
            .app_data(web::Data::new(1u32))
            .wrap(CookiePolicyLayer::new(policy(60)))
            .route("/x", web::get().to(handler))
            .service(
                web::scope("/s")
                    .app_data(web::Data::new(2u32))
                    .route("/x", web::get().to(handler))
                    .service(
                        web::resource("/r")
                            .app_data(web::Data::new(3u32))
                            .route(web::get().to(handler)),
                    ),
            )
            .service(
                web::scope("/inner")
                    .app_data(web::Data::new(4u32))
                    .wrap(CookiePolicyLayer::new(policy(120)))
                    .route("/x", web::get().to(handler)),
            ),
    )
    .await;
    // One layer per request: a layer nested in another leaves the request
    // to the outermost, whose policy handlers see and the response gets (a
    // second layer would read a header the first already rewrote).
    for (uri, want) in [
        (
            "/x",
            "a=1; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=60",
        ),
        (
            "/s/x",
            "a=2; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=60",
        ),
        (
            "/s/r",
            "a=3; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=60",
        ),
        (
            "/inner/x",
            "a=4; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=60",
        ),
    ] {
        let res = call_service(&app, get(uri, Some("k=v")).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        assert_eq!(common::set_cookies(&res), [want], "{uri}");
    }
    // What the outer layer rewrote (an escaped `%`) reaches the handler
    // once, not escaped twice by the inner layer.
    let res = call_service(&app, get("/inner/x", Some("k=%41; b")).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
}
