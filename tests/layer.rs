//! The middleware wrapped around a user's own App: defaults filled into
//! hand-built cookies, overrides, Partitioned and Priority, violations,
//! removal matching, and the extractor without the middleware.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, web};
use common::{body_text, set_cookies};
use cookie_policy::policy::{CookieError, CookiePolicy, CookiePolicyLayer, Policy, SetCookie};

fn policy(toml_src: &str) -> CookiePolicy {
    use figment::providers::{Format, Toml};
    figment::Figment::from(Toml::string(toml_src))
        .extract()
        .expect("valid test policy")
}

/// The wrong order: a middleware outside the layer (default policy) reads
/// the cookies first with `read_first` (`cookies()` or `cookies_raw()`),
/// filling actix-web's cache from the client's header; `handler` serves `/`.
async fn read_before_the_layer<H, Args>(
    read_first: fn(&actix_web::dev::ServiceRequest),
    handler: H,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
>
where
    H: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    H::Output: actix_web::Responder + 'static,
{
    use actix_web::dev::Service as _;
    init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .wrap_fn(move |req, srv| {
                read_first(&req);
                srv.call(req)
            })
            .route("/", web::get().to(handler)),
    )
    .await
}

/// A handler answering with what actix-web's two cached reads give the app,
/// decoded then raw: `a=1,c=2 | a=1,c=2` (an error as `Err(..)`).
async fn both_reads(req: actix_web::HttpRequest) -> HttpResponse {
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

/// An App with one route per hand-written cookie header, behind the layer.
async fn get_with(
    policy: CookiePolicy,
    headers: &'static [&'static str],
) -> (StatusCode, Vec<String>, String) {
    let app = init_service(App::new().wrap(CookiePolicyLayer::new(policy)).route(
        "/",
        web::get().to(move || async move {
            let mut res = HttpResponse::Ok();
            for h in headers {
                res.append_header(("set-cookie", *h));
            }
            res.body("ok")
        }),
    ))
    .await;
    let res = call_service(&app, TestRequest::get().uri("/").to_request()).await;
    let status = res.status();
    let cookies = set_cookies(&res);
    (status, cookies, body_text(res).await)
}

#[actix_web::test]
async fn a_hand_built_cookie_receives_the_policy_defaults() {
    let (status, cookies, _) = get_with(CookiePolicy::default(), &["token=abc123"]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        cookies,
        ["token=abc123; HttpOnly; SameSite=Lax; Secure; Path=/"]
    );
}

#[actix_web::test]
async fn overrides_partitioned_and_priority_are_written_by_the_layer() {
    let p = policy(
        "same_site = \"none\"\nmax_age = 600\n[overrides.chip]\npartitioned = true\npriority = \"high\"\n[overrides.theme]\nhttp_only = false\nsame_site = \"strict\"",
    );
    let (status, cookies, _) = get_with(p, &["chip=1", "theme=dark", "other=x; Max-Age=5"]).await;
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

#[actix_web::test]
async fn a_violating_cookie_turns_the_response_into_a_500_and_nothing_is_set() {
    let (status, cookies, body) = get_with(CookiePolicy::default(), &["ok=1", "bad=a b"]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(cookies.is_empty(), "{cookies:?}");
    assert_eq!(
        body,
        r#"{"detail":[{"type":"cookie_policy_violation","loc":["response","set-cookie"],"msg":"The server could not write a cookie that its cookie policy allows; the server log has the details."}]}"#
    );
}

#[actix_web::test]
async fn explain_violations_names_the_cookie_and_the_rule() {
    let p = policy("explain_violations = true");
    let (status, cookies, body) =
        get_with(p, &["bad=a;b; Domain=evil.example", "x=1; Path=/; Path=/a"]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(cookies.is_empty());
    // `bad=a;b` splits at the first ';': `b` is an attribute nobody intended.
    assert_eq!(
        body,
        r#"{"detail":[{"type":"invalid_cookie_attribute","loc":["cookie","bad"],"msg":"cookie `bad`: unknown attribute \"b\"; the policy writes only Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite, Partitioned and Priority (R4)"},{"type":"duplicate_cookie_attribute","loc":["cookie","x"],"msg":"cookie `x`: the Path attribute is written twice (R13)"}]}"#
    );
}

#[actix_web::test]
async fn drop_mode_removes_only_the_violating_cookie() {
    let p = policy("on_violation = \"drop\"");
    let (status, cookies, body) = get_with(p, &["ok=1", "bad=a b", "ok=2"]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cookies, ["ok=1; HttpOnly; SameSite=Lax; Secure; Path=/"]);
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
            r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","name"],"msg":"cookie `name`: byte 0x2C (',') at position 1 is not allowed in a cookie value; encode the value, for example as base64url (R2)"}]}"#,
        ),
        (
            false,
            r#"{"detail":[{"type":"cookie_policy_violation","loc":["response","set-cookie"],"msg":"The server could not write a cookie that its cookie policy allows; the server log has the details."}]}"#,
        ),
    ] {
        let p = policy(&format!("explain_violations = {explain}"));
        let app = init_service(
            App::new()
                .wrap(CookiePolicyLayer::new(p))
                .route("/", web::get().to(handler)),
        )
        .await;
        let res = call_service(&app, TestRequest::get().uri("/").to_request()).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(set_cookies(&res).is_empty());
        assert_eq!(body_text(res).await, want);
    }
}

#[actix_web::test]
async fn removal_matches_the_cookie_it_removes() {
    let p = policy(
        "same_site = \"none\"\n[overrides.sid]\npath = \"/app\"\ndomain = \".Example.com\"\npartitioned = true\nmax_age = 60",
    );
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
    let get = |uri| {
        TestRequest::get()
            .uri(uri)
            .insert_header(("host", "app.example.com"))
            .to_request()
    };
    let set = set_cookies(&call_service(&app, get("/in")).await);
    let del = set_cookies(&call_service(&app, get("/out")).await);
    let (set, del) = (
        SetCookie::parse(&set[0]).unwrap(),
        SetCookie::parse(&del[0]).unwrap(),
    );
    assert_eq!(
        (
            &set.name,
            &set.path,
            &set.domain,
            set.secure,
            set.same_site,
            set.partitioned
        ),
        (
            &del.name,
            &del.path,
            &del.domain,
            del.secure,
            del.same_site,
            del.partitioned
        )
    );
    assert_eq!(set.path.as_deref(), Some("/app"));
    assert_eq!(set.domain.as_deref(), Some("example.com"));
    assert!(set.partitioned);
    assert_eq!(
        (set.max_age, del.max_age, del.value.as_ref()),
        (Some(60), Some(0), "")
    );
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
    let res = call_service(&app, TestRequest::get().uri("/").to_request()).await;
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
    let app = init_service(
        App::new()
            .app_data(web::Data::new(1u32))
            .wrap(CookiePolicyLayer::new(policy("max_age = 60")))
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
                    .wrap(CookiePolicyLayer::new(policy("max_age = 120")))
                    .route("/x", web::get().to(handler)),
            ),
    )
    .await;
    // The innermost layer's policy is the one handlers see, as before.
    for (uri, value, max_age) in [
        ("/x", "1", 60),
        ("/s/x", "2", 60),
        ("/s/r", "3", 60),
        ("/inner/x", "4", 120),
    ] {
        let res = call_service(
            &app,
            TestRequest::get()
                .uri(uri)
                .insert_header(("cookie", "k=v"))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        let cookies = set_cookies(&res);
        assert_eq!(cookies.len(), 1, "{uri}");
        let c = SetCookie::parse(&cookies[0]).unwrap();
        assert_eq!(
            (c.name.as_ref(), c.value.as_ref(), c.max_age),
            ("a", value, Some(max_age)),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn responses_without_cookies_pass_untouched() {
    let (status, cookies, body) = get_with(CookiePolicy::default(), &[]).await;
    assert_eq!(
        (status, cookies.len(), body.as_str()),
        (StatusCode::OK, 0, "ok")
    );
}

#[actix_web::test]
async fn per_call_attributes_win_and_security_flags_are_a_floor() {
    use actix_web::cookie::{SameSite, time::Duration};
    let p = policy("max_age = 60\nsecure = false");
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(p))
            .route(
                "/explicit",
                web::get().to(|p: Policy| async move {
                    let mut c = p.cookie("a", "1").unwrap();
                    c.set_max_age(Duration::seconds(1800));
                    c.set_same_site(SameSite::Strict);
                    c.set_path("/app");
                    HttpResponse::Ok().cookie(c).finish()
                }),
            )
            .route(
                "/flag-off",
                web::get().to(|p: Policy| async move {
                    let mut c = p.cookie("a", "1").unwrap();
                    c.set_http_only(false); // not expressible in a header: the policy's HttpOnly stays
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
            ),
    )
    .await;
    let get = |uri| TestRequest::get().uri(uri).to_request();
    assert_eq!(
        set_cookies(&call_service(&app, get("/explicit")).await),
        ["a=1; HttpOnly; SameSite=Strict; Path=/app; Max-Age=1800"]
    );
    assert_eq!(
        set_cookies(&call_service(&app, get("/flag-off")).await),
        ["a=1; HttpOnly; SameSite=Lax; Path=/; Max-Age=60"]
    );
    assert_eq!(
        set_cookies(&call_service(&app, get("/expires")).await),
        ["a=1; HttpOnly; SameSite=Lax; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
    );
}

#[actix_web::test]
async fn handlers_see_what_was_skipped_and_why() {
    use cookie_policy::policy::Diagnostics;
    let p = policy("[overrides.sid]\nprefix = \"host\"");
    let app = init_service(App::new().wrap(CookiePolicyLayer::new(p)).route(
        "/",
        web::get().to(|d: Diagnostics, req: actix_web::HttpRequest| async move {
            let kinds: Vec<String> = d
                .iter()
                .map(|d| format!("{}:{}", d.name, d.kind.as_str()))
                .collect();
            let sid = req.cookie("sid").map(|c| c.value().to_owned());
            HttpResponse::Ok().json(serde_json::json!({ "skipped": kinds, "sid": sid }))
        }),
    ))
    .await;
    let req = TestRequest::get()
        .uri("/")
        .insert_header((
            "cookie",
            "sid=planted; __Host-sid=good; x=a b; __HOST-sid=bad",
        ))
        .to_request();
    assert_eq!(
        body_text(call_service(&app, req).await).await,
        r#"{"sid":"good","skipped":["sid:missing_prefix","x:invalid_value","__HOST-sid:non_canonical_prefix"]}"#
    );
    let req = TestRequest::get()
        .uri("/")
        .insert_header(("cookie", "__Host-sid=1; __Host-sid=2"))
        .to_request();
    assert_eq!(
        body_text(call_service(&app, req).await).await,
        r#"{"sid":null,"skipped":["sid:possible_cookie_tossing"]}"#
    );
}

#[actix_web::test]
async fn cookies_read_before_the_layer_fail_closed_instead_of_reaching_the_app() {
    use actix_web::middleware::from_fn;
    async fn read(req: actix_web::HttpRequest) -> HttpResponse {
        HttpResponse::Ok().body(format!(
            "{:?}",
            req.cookie("__Host-x").map(|c| c.value().to_owned())
        ))
    }
    // Wrong order: a middleware outside the layer reads the cookies first.
    let app = read_before_the_layer(
        |req| {
            let _ = req.cookies();
        },
        read,
    )
    .await;
    let req = || {
        TestRequest::get()
            .uri("/")
            .insert_header(("cookie", "%5F%5FHost-x=evil"))
            .to_request()
    };
    let res = call_service(&app, req()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body_text(res).await,
        r#"{"detail":[{"type":"policy_layer_order","loc":["server"],"msg":"the request's cookies were read before the cookie policy middleware ran: wrap the App so that CookiePolicyLayer is outside every middleware that reads cookies (the last .wrap)"}]}"#
    );
    // Right order: the reader is inside the layer and sees only the exact name.
    let app = init_service(
        App::new()
            .wrap(from_fn(|req: actix_web::dev::ServiceRequest, next: actix_web::middleware::Next<_>| async move {
                let _ = req.cookies();
                next.call(req).await
            }))
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route("/", web::get().to(read)),
    )
    .await;
    let res = call_service(&app, req()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "None");
}

/// The layer finds out whether a middleware outside it parsed the cookies
/// without parsing them itself: whatever it asks, the app's own reads then
/// parse the layer's header, and a cache filled before the layer that holds
/// exactly what the layer accepted is let through.
#[actix_web::test]
async fn the_layer_order_check_leaves_the_app_a_fresh_parse_and_lets_a_matching_cache_by() {
    // `b` (no `=`) is skipped, so the layer rewrites the header; it takes
    // `%41` as it is, and writes it so that actix-web's decoded read agrees.
    let req = |cookie: &'static str| {
        TestRequest::get()
            .uri("/")
            .insert_header(("cookie", cookie))
            .to_request()
    };
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route("/", web::get().to(both_reads)),
    )
    .await;
    let res = call_service(&app, req("a=1; b; c=%41")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "a=1,c=%41 | a=1,c=%2541");
    // Every pair skipped: the layer removes the header; both reads are
    // empty, not errors (no probe left behind).
    let res = call_service(&app, req("b; c")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, " | ");

    // Wrong order, but the cache filled from the client's header holds the
    // same pairs as the layer's: actix-web skips `b` too.
    let app = read_before_the_layer(
        |req| {
            let _ = req.cookies();
        },
        both_reads,
    )
    .await;
    let res = call_service(&app, req("a=1; b; c=2")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "a=1,c=2 | a=1,c=2");
    // The same wrong order: the cache decoded `%41`, the layer did not.
    let res = call_service(&app, req("a=1; b; c=%41")).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// The check caches no parse of its own: a middleware inside the layer
/// that changes the header again is read as it left it, by both of
/// actix-web's reads (the layer asked both caches: it skipped a pair).
#[actix_web::test]
async fn the_layer_order_check_caches_no_parse_of_its_own() {
    use actix_web::middleware::{Next, from_fn};
    let app = init_service(
        App::new()
            .wrap(from_fn(
                |mut req: actix_web::dev::ServiceRequest, next: Next<_>| async move {
                    req.headers_mut().insert(
                        actix_web::http::header::COOKIE,
                        actix_web::http::header::HeaderValue::from_static("z=9"),
                    );
                    next.call(req).await
                },
            ))
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route("/", web::get().to(both_reads)),
    )
    .await;
    let req = TestRequest::get()
        .uri("/")
        .insert_header(("cookie", "a=1; b"))
        .to_request();
    let res = call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "z=9 | z=9");
}

#[actix_web::test]
async fn raw_cookies_read_before_the_layer_fail_closed_too() {
    async fn read(req: actix_web::HttpRequest) -> HttpResponse {
        HttpResponse::Ok().body(format!(
            "{:?}",
            req.cookie_raw("__HOST-sid").map(|c| c.value().to_owned())
        ))
    }
    let req = || {
        TestRequest::get()
            .uri("/")
            .insert_header(("cookie", "__HOST-sid=evil; a=1"))
            .to_request()
    };
    // Wrong order: `cookies_raw` (no percent-decoding) has its own cache,
    // filled from the header the client sent.
    let app = read_before_the_layer(
        |req| {
            let _ = req.cookies_raw();
        },
        read,
    )
    .await;
    let res = call_service(&app, req()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body_text(res)
            .await
            .contains(r#""type":"policy_layer_order""#)
    );
    // Right order: the app's raw read sees the checked header only.
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(CookiePolicy::default()))
            .route("/", web::get().to(read)),
    )
    .await;
    let res = call_service(&app, req()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "None");
}

#[actix_web::test]
async fn checked_cookie_refuses_an_injected_value_before_it_becomes_a_header() {
    use cookie_policy::policy::{CookieError, ResponseCookieExt};
    async fn handler(req: actix_web::HttpRequest) -> Result<HttpResponse, CookieError> {
        let input = req.query_string().replace("%3B", ";").replace("%20", " ");
        Ok(HttpResponse::Ok()
            .checked_cookie(actix_web::cookie::Cookie::new("token", input))?
            .finish())
    }
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy("explain_violations = true")))
            .route("/", web::get().to(handler)),
    )
    .await;
    let res = call_service(
        &app,
        TestRequest::get()
            .uri("/?x%3B%20Domain=example.com")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(set_cookies(&res).is_empty());
    assert!(
        body_text(res)
            .await
            .starts_with(r#"{"detail":[{"type":"invalid_cookie_value","loc":["cookie","token"]"#)
    );
    let res = call_service(&app, TestRequest::get().uri("/?abc123").to_request()).await;
    assert_eq!(
        set_cookies(&res),
        ["token=abc123; HttpOnly; SameSite=Lax; Secure; Path=/"]
    );
}
