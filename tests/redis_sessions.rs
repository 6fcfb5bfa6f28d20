//! `/session/*` with the Redis store, against a real `redis-server` the
//! tests start on a free loopback port and stop afterwards: two app
//! instances sharing one Redis share sessions, and logout on one revokes the
//! session on both; a Redis that stops turns the session routes into 503
//! while the rest keeps serving, and they work again once it is back.
//!
//! Needs `redis-server` (Debian's `redis-server` package; `.ci/run`
//! installs it). Without it these tests fail, saying so.

mod common;

use actix_web::http::StatusCode;
use common::redis::Redis;
use common::{Jar, app_for, settings_with};
use cookie_policy::settings::{Profile, Settings};
use figment::Figment;

/// The development settings with the Redis store at `url`.
fn redis_settings(url: &str) -> Settings {
    settings_with(
        Profile::Development,
        Figment::new()
            .merge(("sessions.store", "redis"))
            .merge(("sessions.redis_url", url)),
    )
}

const ALICE: &str = r#"{"user":"alice"}"#;
const NOT_LOGGED_IN: &str = r#"{"detail":[{"type":"not_logged_in","loc":["cookie","__Host-sid"],"msg":"no session is signed in; sign in at /session/login?user=NAME"}]}"#;
const UNAVAILABLE: &str = r#"{"detail":[{"type":"session_store_unavailable","loc":["cookie","__Host-sid"],"msg":"the session store is unavailable; try again later"}]}"#;

#[actix_web::test]
async fn two_instances_share_sessions_and_logout_revokes_on_both() {
    let redis = Redis::start();
    let one = app_for(redis_settings(&redis.url())).await;
    let two = app_for(redis_settings(&redis.url())).await;

    let mut jar = Jar::default();
    let login = jar.get(&one, "/session/login?user=alice").await;
    assert_eq!(login.body, r#"{"message":"Logged in as alice"}"#);
    let me = jar.get(&two, "/session/me").await;
    assert_eq!((me.status, me.body.as_str()), (StatusCode::OK, ALICE));

    let copy = jar.clone();
    let logout = jar.get(&one, "/session/logout").await;
    assert_eq!(
        (logout.status, logout.body.as_str()),
        (StatusCode::OK, r#"{"message":"Logged out"}"#)
    );
    // The copy made before logout is revoked, on the other instance too.
    let replayed = copy.clone().get(&two, "/session/me").await;
    assert_eq!(
        (replayed.status, replayed.body.as_str()),
        (StatusCode::UNAUTHORIZED, NOT_LOGGED_IN)
    );
    let replayed = copy.clone().get(&one, "/session/me").await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn with_the_cookie_store_a_copy_outlives_logout() {
    // The contrast: nothing on the server to revoke.
    let app = common::seed_app(Profile::Development).await;
    let mut jar = Jar::default();
    jar.get(&app, "/session/login?user=alice").await;
    let copy = jar.clone();
    jar.get(&app, "/session/logout").await;
    let replayed = copy.clone().get(&app, "/session/me").await;
    assert_eq!(
        (replayed.status, replayed.body.as_str()),
        (StatusCode::OK, ALICE)
    );
}

#[actix_web::test]
async fn a_stopped_redis_answers_503_on_sessions_only_and_is_reconnected_once_back() {
    let mut redis = Redis::start();
    let port = redis.port;
    let app = app_for(redis_settings(&redis.url())).await;
    let mut jar = Jar::default();
    jar.get(&app, "/session/login?user=alice").await;
    assert_eq!(jar.get(&app, "/session/me").await.body, ALICE);

    redis.stop();
    for uri in ["/session/me", "/session/login?user=bob", "/session/logout"] {
        let answer = jar.clone().get(&app, uri).await;
        assert_eq!(
            (
                answer.status,
                answer.body.as_str(),
                answer.set_cookies.len()
            ),
            (StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE, 0),
            "{uri}"
        );
    }
    // Logging in needs the store even without a session cookie.
    let answer = Jar::default().get(&app, "/session/login?user=bob").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    for (uri, body) in [
        ("/healthz", r#"{"status":"ok"}"#),
        ("/login", r#"{"message":"Logged in and cookie set"}"#),
    ] {
        let answer = jar.clone().get(&app, uri).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (StatusCode::OK, body)
        );
    }

    // Back on the same port, empty (no persistence): the old session is
    // gone, and a new login works on the same app, without a restart.
    let _redis = Redis::start_on(port);
    let me = jar.get(&app, "/session/me").await;
    assert_eq!(
        (me.status, me.body.as_str()),
        (StatusCode::UNAUTHORIZED, NOT_LOGGED_IN)
    );
    let login = jar.get(&app, "/session/login?user=bob").await;
    assert_eq!(
        (login.status, login.body.as_str()),
        (StatusCode::OK, r#"{"message":"Logged in as bob"}"#)
    );
    let me = jar.get(&app, "/session/me").await;
    assert_eq!(
        (me.status, me.body.as_str()),
        (StatusCode::OK, r#"{"user":"bob"}"#)
    );
}
