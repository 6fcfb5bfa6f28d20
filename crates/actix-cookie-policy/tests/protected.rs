//! Protected cookies through the layer (R21, with R3 and R22): round trips,
//! tampering at every byte, other spellings, name swaps, stripped tags,
//! expiry, issue times in the future, application contexts, rotation and
//! re-issue, the size budget, and reads before the layer.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::dev::{Service as _, ServiceRequest};
use actix_web::http::StatusCode;
use actix_web::test::{call_service, init_service};
use actix_web::{App, HttpRequest, HttpResponse, web};
use common::{KEY, OLD_KEY, body_text, cache_control, get, pair, ring, set_cookies};

use actix_cookie_policy::{
    CookieOverride, CookiePolicy, CookiePolicyLayer, Diagnostics, KeyRing, Policy, Prefix,
    Protection,
};

/// `s` signed and `p` private for 60 seconds, `s2` signed for a session,
/// `sid` private as `__Host-sid`; a development policy that explains.
fn policy(keys: KeyRing) -> CookiePolicy {
    CookiePolicy::builder()
        .secure(false)
        .explain_violations(true)
        .cookie(
            "s",
            CookieOverride::default()
                .protection(Protection::Signed)
                .max_age(60),
        )
        .cookie(
            "s2",
            CookieOverride::default().protection(Protection::Signed),
        )
        .cookie(
            "p",
            CookieOverride::default()
                .protection(Protection::Private)
                .max_age(60),
        )
        .cookie(
            "sid",
            CookieOverride::default()
                .prefix(Prefix::Host)
                .protection(Protection::Private),
        )
        .keys(keys)
        .build()
        .expect("a valid test policy")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// One request through an app under `policy`: `/write?name=value&..` sets
/// cookies through the policy; `/read/{name}` answers what `req.cookie`
/// gives and the kinds of the diagnostics: `Some("alice") []`.
async fn send(
    policy: CookiePolicy,
    uri: &str,
    cookie: Option<&str>,
) -> (StatusCode, Vec<String>, Option<String>, String) {
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy))
            .route(
                "/write",
                web::get().to(
                    |p: Policy, q: web::Query<Vec<(String, String)>>| async move {
                        let mut res = HttpResponse::Ok();
                        for (n, v) in q.into_inner() {
                            match p.cookie(n, v) {
                                Ok(c) => res.cookie(c),
                                Err(e) => return HttpResponse::from_error(e),
                            };
                        }
                        res.finish()
                    },
                ),
            )
            .route(
                "/read/{name}",
                web::get().to(
                    |req: HttpRequest, d: Diagnostics, name: web::Path<String>| async move {
                        let value = req.cookie(&name).map(|c| c.value().to_owned());
                        let why: Vec<&str> = d.iter().map(|d| d.kind.as_str()).collect();
                        HttpResponse::Ok().body(format!("{value:?} {why:?}"))
                    },
                ),
            ),
    )
    .await;
    let res = call_service(&app, get(uri, cookie).to_request()).await;
    let (status, cookies, cache) = (res.status(), set_cookies(&res), cache_control(&res));
    (status, cookies, cache, body_text(res).await)
}

const ALICE: &str = r#"Some("alice") []"#;
const TAMPERED: &str = r#"None ["tampered"]"#;
const EXPIRED: &str = r#"None ["expired"]"#;

#[actix_web::test]
async fn each_protection_round_trips_and_the_wire_holds_the_protected_form() {
    let at = now();
    let (status, cookies, cache, _) = send(policy(ring(KEY, &[])), "/write?s=alice", None).await;
    assert_eq!(status, StatusCode::OK);
    // Signed: readable, and exactly what the key ring writes (unless the
    // second turned meanwhile).
    let signed = ring(KEY, &[])
        .protect(Protection::Signed, "s", "alice", at)
        .expect("sealed");
    let later = ring(KEY, &[])
        .protect(Protection::Signed, "s", "alice", at + 1)
        .expect("sealed");
    let tail = "; HttpOnly; SameSite=Lax; Path=/; Max-Age=60";
    assert!(
        cookies == [format!("s={signed}{tail}")] || cookies == [format!("s={later}{tail}")],
        "{cookies:?}"
    );
    assert_eq!(cache.as_deref(), Some("no-store"));
    let body = read("s", &pair(&cookies[0])).await;
    assert_eq!(body, ALICE);

    // Private: the value does not show.
    let (_, cookies, cache, _) = send(policy(ring(KEY, &[])), "/write?p=alice", None).await;
    let wire = pair(&cookies[0]);
    assert!(!wire.contains("alice"), "{wire}");
    assert!(cookies[0].ends_with(tail), "{}", cookies[0]);
    assert_eq!(cache.as_deref(), Some("no-store"));
    let body = read("p", &wire).await;
    assert_eq!(body, ALICE);
}

#[actix_web::test]
async fn a_prefixed_private_cookie_is_sealed_under_its_wire_name_and_read_under_its_own() {
    let (_, cookies, _, _) = send(policy(ring(KEY, &[])), "/write?sid=alice", None).await;
    let wire = pair(&cookies[0]);
    assert!(wire.starts_with("__Host-sid="), "{wire}");
    assert!(
        cookies[0].ends_with("; HttpOnly; SameSite=Lax; Secure; Path=/"),
        "{}",
        cookies[0]
    );
    let body = read("sid", &wire).await;
    assert_eq!(body, ALICE);
    // The same sealed value under the plain name is not the guarded cookie.
    let plain = wire.replacen("__Host-sid=", "sid=", 1);
    let body = read("sid", &plain).await;
    assert_eq!(body, r#"None ["missing_prefix"]"#);
}

#[actix_web::test]
async fn a_change_at_every_byte_makes_the_cookie_absent() {
    for name in ["s", "p"] {
        let (_, cookies, _, _) = send(
            policy(ring(KEY, &[])),
            &format!("/write?{name}=alice"),
            None,
        )
        .await;
        let wire = pair(&cookies[0]);
        for i in name.len() + 1..wire.len() {
            let mut bytes = wire.clone().into_bytes();
            bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
            let changed = String::from_utf8(bytes).unwrap();
            let body = read(name, &changed).await;
            assert_eq!(body, TAMPERED, "{name} byte {i}: {changed}");
        }
    }
}

/// What the app reads of the protected cookie `name` when a client sends
/// the `Cookie` header `cookie`, under the current key alone.
async fn read(name: &str, cookie: &str) -> String {
    send(
        policy(ring(KEY, &[])),
        &format!("/read/{name}"),
        Some(cookie),
    )
    .await
    .3
}

/// `wire` with its last character's unused low bits set (both protected
/// forms end in base64url whose last character has some): the same bytes to
/// a lenient decoder.
fn with_trailing_bits(wire: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (head, last) = wire.split_at(wire.len() - 1);
    let at = ALPHABET.iter().position(|&c| c == last.as_bytes()[0]);
    format!("{head}{}", char::from(ALPHABET[at.expect("base64url") | 1]))
}

#[actix_web::test]
async fn another_spelling_of_a_protected_value_is_absent() {
    for name in ["s", "p"] {
        let (_, cookies, _, _) = send(
            policy(ring(KEY, &[])),
            &format!("/write?{name}=alice"),
            None,
        )
        .await;
        let wire = pair(&cookies[0]);
        // Both a signed tag (32 bytes) and a private value of "alice"
        // (41 bytes) leave unused bits in their last character.
        let respelled = [
            format!("{wire}="),
            with_trailing_bits(&wire),
            wire.replace('-', "+").replace('_', "/"),
            format!("{name}=\"{}\"", &wire[name.len() + 1..]),
        ];
        for cookie in respelled.iter().filter(|c| **c != wire) {
            let body = read(name, cookie).await;
            assert_eq!(body, TAMPERED, "{cookie}");
        }
    }
}

#[actix_web::test]
async fn a_value_swapped_from_another_cookie_or_stripped_is_absent() {
    let (_, cookies, _, _) = send(policy(ring(KEY, &[])), "/write?s2=admin", None).await;
    let swapped = pair(&cookies[0]).replacen("s2=", "s=", 1);
    let body = read("s", &swapped).await;
    assert_eq!(body, TAMPERED);
    for stripped in ["s=alice", "p=alice", "s=alice.1700000000", "s=", "p="] {
        let name = &stripped[..1];
        let body = read(name, stripped).await;
        assert_eq!(body, TAMPERED, "{stripped}");
    }
}

#[actix_web::test]
async fn a_protected_cookie_older_than_its_max_age_is_absent() {
    let keys = ring(KEY, &[]);
    for (name, protection) in [("s", Protection::Signed), ("p", Protection::Private)] {
        let value = keys
            .protect(protection, name, "alice", now() - 61)
            .expect("sealed");
        let body = read(name, &format!("{name}={value}")).await;
        assert_eq!(body, EXPIRED, "{name}");
    }
}

#[actix_web::test]
async fn a_protected_session_cookie_still_ages_out_after_max_session_age() {
    // `s2` has no max_age: the policy's max_session_age (a day) bounds it.
    let keys = ring(KEY, &[]);
    let fresh = keys
        .protect(Protection::Signed, "s2", "alice", now() - 3600)
        .expect("sealed");
    let stale = keys
        .protect(Protection::Signed, "s2", "alice", now() - 86_401)
        .expect("sealed");
    let body = read("s2", &format!("s2={fresh}")).await;
    assert_eq!(body, ALICE);
    let body = read("s2", &format!("s2={stale}")).await;
    assert_eq!(body, EXPIRED);
}

#[actix_web::test]
async fn a_protected_cookie_issued_in_the_future_is_absent_beyond_the_clock_skew() {
    let keys = ring(KEY, &[]);
    for (name, protection) in [("s", Protection::Signed), ("p", Protection::Private)] {
        // Another instance's clock a little ahead: read.
        let ahead = keys
            .protect(protection, name, "alice", now() + 30)
            .expect("sealed");
        // An hour ahead, or an issue time that would never expire: absent.
        let hour = keys
            .protect(protection, name, "alice", now() + 3600)
            .expect("sealed");
        let forever = keys
            .protect(protection, name, "alice", u64::MAX)
            .expect("sealed");
        for (value, want) in [(ahead, ALICE), (hour, TAMPERED), (forever, TAMPERED)] {
            let body = read(name, &format!("{name}={value}")).await;
            assert_eq!(body, want, "{name}={value}");
        }
    }
}

#[actix_web::test]
async fn two_applications_sharing_a_key_read_only_their_own_cookies_given_contexts() {
    let shop = || policy(ring(KEY, &[]).with_context("shop"));
    let billing = || policy(ring(KEY, &[]).with_context("billing"));
    for name in ["s", "p"] {
        let (_, cookies, _, _) = send(shop(), &format!("/write?{name}=alice"), None).await;
        let wire = pair(&cookies[0]);
        let read = format!("/read/{name}");
        let (_, _, _, body) = send(shop(), &read, Some(&wire)).await;
        assert_eq!(body, ALICE, "{name}");
        // Same key, same cookie name, another application: not its cookie.
        let (_, _, _, body) = send(billing(), &read, Some(&wire)).await;
        assert_eq!(body, TAMPERED, "{name}");
        // Nor for an application without a context.
        let (_, _, _, body) = send(policy(ring(KEY, &[])), &read, Some(&wire)).await;
        assert_eq!(body, TAMPERED, "{name}");
    }
}

/// The `Max-Age` of a `Set-Cookie` header.
fn max_age(header: &str) -> i64 {
    header
        .split("; Max-Age=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no Max-Age in {header}"))
}

#[actix_web::test]
async fn a_previous_key_verifies_and_re_issues_and_a_retired_key_does_not() {
    let issued = now() - 10;
    for (name, protection) in [("s", Protection::Signed), ("p", Protection::Private)] {
        let cookie = format!(
            "{name}={}",
            ring(OLD_KEY, &[])
                .protect(protection, name, "alice", issued)
                .expect("sealed")
        );
        let (status, reissued, cache, body) = send(
            policy(ring(KEY, &[OLD_KEY])),
            &format!("/read/{name}"),
            Some(&cookie),
        )
        .await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ALICE), "{name}");
        assert_eq!(reissued.len(), 1, "{name}: re-issued");
        assert_eq!(cache.as_deref(), Some("no-store"), "{name}");
        // Re-issued with its original issue time: what is left of its 60 s.
        let left = max_age(&reissued[0]);
        assert!((49..=50).contains(&left), "{}", reissued[0]);
        if protection == Protection::Signed {
            let value = ring(KEY, &[])
                .protect(protection, "s", "alice", issued)
                .expect("sealed");
            assert_eq!(
                reissued[0],
                format!("s={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={left}")
            );
        }
        // The re-issued value verifies under the current key alone, and is
        // not re-issued again.
        let (_, again, cache, body) = send(
            policy(ring(KEY, &[])),
            &format!("/read/{name}"),
            Some(&pair(&reissued[0])),
        )
        .await;
        assert_eq!(
            (body.as_str(), again.len(), cache),
            (ALICE, 0, None),
            "{name}"
        );
        // Once the old key is retired, the old value no longer verifies.
        let body = read(name, &cookie).await;
        assert_eq!(body, TAMPERED, "{name}");
    }
}

#[actix_web::test]
async fn a_response_that_sets_the_rotated_cookie_itself_is_not_given_a_second_one() {
    let old = ring(OLD_KEY, &[])
        .protect(Protection::Signed, "s", "alice", now())
        .expect("sealed");
    let (status, cookies, _, _) = send(
        policy(ring(KEY, &[OLD_KEY])),
        "/write?s=bob",
        Some(&format!("s={old}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(cookies[0].starts_with("s=bob."), "{}", cookies[0]);
}

#[actix_web::test]
async fn the_size_budget_applies_to_the_protected_value() {
    let plain = "x".repeat(4050);
    let (status, _, _, _) = send(
        policy(ring(KEY, &[])),
        &format!("/write?plain={plain}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "fits unprotected");
    let (status, cookies, _, body) =
        send(policy(ring(KEY, &[])), &format!("/write?s={plain}"), None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(cookies, Vec::<String>::new());
    // Value, '.', ten digits of issue time, '.', a 43-byte tag; and the name.
    assert_eq!(
        body,
        common::error_json(
            "cookie_too_large",
            &["cookie", "s"],
            "cookie `s`: name and value are 4106 bytes, over the 4096 bytes browsers keep; store less in the cookie (R3)"
        )
    );
}

#[actix_web::test]
async fn a_quoted_value_cannot_be_protected() {
    let (status, cookies, _, body) =
        send(policy(ring(KEY, &[])), "/write?s=%22dark%22", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(cookies, Vec::<String>::new());
    assert_eq!(
        body,
        common::error_json(
            "invalid_cookie_value",
            &["cookie", "s"],
            "cookie `s`: a protected cookie's value cannot be quoted; drop the quotes (R2)"
        )
    );
}

/// The layer in the wrong order, under a middleware that reads the raw
/// cookies first: a forged plain value of a protected cookie (which the
/// layer skips) fails closed. An authentic one is let by: every pair was
/// accepted, so the early raw parse holds only what the client sent and the
/// layer verified (the sealed form), never a refused value; the decoded read
/// gives the opened value.
#[actix_web::test]
async fn a_raw_read_before_the_layer_never_hands_the_app_a_forged_protected_value() {
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy(ring(KEY, &[]))))
            .wrap_fn(|req: ServiceRequest, srv| {
                let _ = req.cookies_raw();
                srv.call(req)
            })
            .route(
                "/",
                web::get().to(|req: HttpRequest| async move {
                    HttpResponse::Ok().body(format!(
                        "{:?} {:?}",
                        req.cookie("p").map(|c| c.value().to_owned()),
                        req.cookie_raw("p").map(|c| c.value().to_owned())
                    ))
                }),
            ),
    )
    .await;
    let res = call_service(&app, get("/", Some("p=admin")).to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body_text(res)
            .await
            .contains(r#""type":"policy_layer_order""#)
    );
    let sealed = ring(KEY, &[])
        .protect(Protection::Private, "p", "alice", now())
        .expect("sealed");
    let res = call_service(&app, get("/", Some(&format!("p={sealed}"))).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        body_text(res).await,
        format!("Some(\"alice\") Some({sealed:?})")
    );
    // In the right order the app reads the opened value both ways.
    let app = init_service(
        App::new()
            .wrap(CookiePolicyLayer::new(policy(ring(KEY, &[]))))
            .route(
                "/",
                web::get().to(|req: HttpRequest| async move {
                    HttpResponse::Ok().body(format!(
                        "{:?} {:?}",
                        req.cookie("p").map(|c| c.value().to_owned()),
                        req.cookie_raw("p").map(|c| c.value().to_owned())
                    ))
                }),
            ),
    )
    .await;
    let res = call_service(&app, get("/", Some(&format!("p={sealed}"))).to_request()).await;
    assert_eq!(body_text(res).await, r#"Some("alice") Some("alice")"#);
}

#[actix_web::test]
async fn an_ephemeral_key_protects_and_opens_within_one_process() {
    let keys = KeyRing::ephemeral().unwrap();
    let p = policy(keys);
    let (_, cookies, _, _) = send(p.clone(), "/write?p=alice", None).await;
    let (_, _, _, body) = send(p, "/read/p", Some(&pair(&cookies[0]))).await;
    assert_eq!(body, ALICE);
    // Another process's key does not open it.
    let (_, _, _, body) = send(
        policy(KeyRing::ephemeral().unwrap()),
        "/read/p",
        Some(&pair(&cookies[0])),
    )
    .await;
    assert_eq!(body, TAMPERED);
}
