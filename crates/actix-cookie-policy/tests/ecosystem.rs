//! The cookie crates actix-web apps already use, behind the layer:
//! actix-session with its cookie store, actix-identity on top of it, and
//! actix-web-flash-messages. Their cookies get the policy's attributes and
//! checks, nothing they need is lost, renewal, purge, login and logout do
//! what those crates document, and one key ring protects them all, so that
//! a key rotation logs nobody out. The recipes are in `docs/sessions.md`.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_http::Request;
use actix_identity::{Identity, IdentityMiddleware};
use actix_session::config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy};
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite as ActixSameSite};
use actix_web::dev::{ResponseHead, Service, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::{Next, from_fn};
use actix_web::test::{call_service, init_service};
use actix_web::{App, Error, HttpMessage, HttpRequest, HttpResponse, web};
use actix_web_flash_messages::storage::{
    CookieMessageStore, FlashMessageStore, LoadError, StoreError,
};
use actix_web_flash_messages::{FlashMessage, FlashMessagesFramework, IncomingFlashMessages};
use common::{body_text, cache_control, error_json, get, pair, set_cookies};

use actix_cookie_policy::{
    CookieOverride, CookiePolicy, CookiePolicyLayer, Diagnostics, KeyRing, OnViolation, Prefix,
    Protection, SameSite, SetCookie, decode_value, encode_value, unencode_base64_set_cookies,
};

/// The one secret: the key ring's current key, then the key it rotates to.
const KEY_A: &str = common::KEY;
const KEY_B: &str = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";

/// actix-session's own key when the layer protects its cookie: fixed and
/// published, so not a secret. actix-session always encrypts (or signs)
/// with some key; with this one its encryption protects nothing, and the
/// session's integrity and confidentiality come from the layer alone.
fn public_session_key() -> Key {
    Key::from(&[0; 64])
}

/// The session cookie actix-session writes (its default name), and the name
/// the policy sends it under.
const SESSION: &str = "id";
const SESSION_ON_WIRE: &str = "__Host-id";

/// The recipe's policy: the session cookie sent as `__Host-id` and
/// encrypted with the ring, the flash cookie signed with it; violations
/// explained, so that the tests can read them.
fn policy(keys: KeyRing) -> CookiePolicy {
    policy_with(keys, CookieOverride::default())
}

/// [`policy`], with more exceptions for the session cookie.
fn policy_with(keys: KeyRing, session: CookieOverride) -> CookiePolicy {
    CookiePolicy::builder()
        .explain_violations(true)
        .cookie(
            SESSION,
            session.prefix(Prefix::Host).protection(Protection::Private),
        )
        .cookie(
            "_flash",
            CookieOverride::default().protection(Protection::Signed),
        )
        .keys(keys)
        .build()
        .expect("a valid test policy")
}

fn ring(current: &str, previous: &[&str]) -> KeyRing {
    common::ring(current, previous)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The recipe's actix-session: the cookie store, with the public key and
/// its default settings (private content, browser-session lifetime).
fn sessions() -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::new(CookieSessionStore::default(), public_session_key())
}

/// actix-session writes its cookie's value percent-encoded
/// (`Cookie::encoded`) and reads it back percent-decoded, while the layer
/// hands the app exactly the bytes the client sent (R19), `%` included. Its
/// encrypted value is base64, already cookie-octets once decoded: sending
/// it decoded makes what it reads back what it wrote. Registered between
/// the layer and actix-session.
async fn unencoded_session_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    unencode_base64_set_cookies(res.headers_mut());
    Ok(res)
}

/// What one request answered.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    set_cookies: Vec<String>,
    cache_control: Option<String>,
    body: String,
}

/// A browser for the tests: sends back the cookies it was given and
/// applies removals, as a user agent does (one path and host here, so a
/// cookie is known by its name).
struct Browser<S> {
    app: S,
    jar: BTreeMap<String, String>,
}

impl<S, B> Browser<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    fn new(app: S) -> Self {
        Self {
            app,
            jar: BTreeMap::new(),
        }
    }

    /// The same browser, its cookies kept, in front of `app`: the server
    /// restarted with another configuration.
    fn restarted<T>(self, app: T) -> Browser<T> {
        Browser { app, jar: self.jar }
    }

    fn cookie_header(&self) -> Option<String> {
        let pairs: Vec<String> = self.jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    async fn get(&mut self, uri: &str) -> Answer {
        let cookie = self.cookie_header();
        let answer = send(&self.app, uri, cookie.as_deref()).await;
        for header in &answer.set_cookies {
            let c = SetCookie::parse(header).expect("a Set-Cookie the layer sent parses");
            if c.is_removal(SystemTime::now()) {
                self.jar.remove(c.name.as_ref());
            } else {
                self.jar.insert(c.name.to_string(), c.value.to_string());
            }
        }
        answer
    }
}

/// One request with `cookie` as its `Cookie` header.
async fn send<S, B>(app: &S, uri: &str, cookie: Option<&str>) -> Answer
where
    S: Service<Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let res = call_service(app, get(uri, cookie).to_request()).await;
    Answer {
        status: res.status(),
        set_cookies: set_cookies(&res),
        cache_control: cache_control(&res),
        body: body_text(res).await,
    }
}

/// The session routes: `/login/{user}` signs in (and renews the session,
/// as one should on a change of privilege), `/whoami` answers the user and
/// what the layer skipped (`alice []`, `anonymous ["tampered"]`), `/count`
/// counts visits in the session, `/renew` and `/logout` renew and purge it.
fn session_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/login/{user}",
        web::get().to(|session: Session, user: web::Path<String>| async move {
            session.insert("user", user.as_str())?;
            session.renew();
            Ok::<_, Error>(HttpResponse::Ok().body(format!("welcome {user}")))
        }),
    )
    .route(
        "/whoami",
        web::get().to(|session: Session, skipped: Diagnostics| async move {
            let user = session.get::<String>("user")?;
            let kinds: Vec<&str> = skipped.iter().map(|d| d.kind.as_str()).collect();
            let user = user.as_deref().unwrap_or("anonymous");
            Ok::<_, Error>(HttpResponse::Ok().body(format!("{user} {kinds:?}")))
        }),
    )
    .route(
        "/count",
        web::get().to(|session: Session| async move {
            let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
            session.insert("visits", visits)?;
            Ok::<_, Error>(HttpResponse::Ok().body(visits.to_string()))
        }),
    )
    .route(
        "/renew",
        web::get().to(|session: Session| async move {
            session.renew();
            HttpResponse::Ok().body("renewed")
        }),
    )
    .route(
        "/logout",
        web::get().to(|session: Session| async move {
            session.purge();
            HttpResponse::Ok().body("bye")
        }),
    );
}

/// The recipe: the layer outside, then the decoding step, then actix-session.
async fn session_app(
    policy: CookiePolicy,
    sessions: SessionMiddleware<CookieSessionStore>,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = Error> {
    init_service(
        App::new()
            .configure(session_routes)
            .wrap(sessions)
            .wrap(from_fn(unencoded_session_cookie))
            .wrap(CookiePolicyLayer::new(policy)),
    )
    .await
}

/// The value of a `Set-Cookie` header.
fn value(set_cookie: &str) -> String {
    pair(set_cookie)
        .split_once('=')
        .expect("a pair")
        .1
        .to_owned()
}

/// A `Set-Cookie` of the session cookie as the recipe sends it, with the
/// value it has.
fn session_set_cookie(set_cookie: &str, tail: &str) -> String {
    format!("{SESSION_ON_WIRE}={}; {tail}", value(set_cookie))
}

/// The layer's protection opened with `keys`: what actix-session wrote.
fn opened(keys: &KeyRing, set_cookie: &str) -> String {
    keys.unprotect(
        Protection::Private,
        SESSION_ON_WIRE,
        &value(set_cookie),
        SystemTime::now(),
        None,
    )
    .expect("the layer's protection opens")
    .value
}

/// What actix-session wrote, decrypted with its (public) key: the session
/// state as JSON.
fn session_state(actix_value: &str) -> String {
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::new(SESSION, actix_value.to_owned()));
    jar.private(&public_session_key())
        .get(SESSION)
        .expect("actix-session's value decrypts with its key")
        .value()
        .to_owned()
}

/// The session cookie as a client holds it: `value` (what actix-session
/// wrote) protected by the layer under `keys` at `issued_at`.
fn sealed(keys: &KeyRing, value: &str, issued_at: u64) -> String {
    let sealed = keys
        .protect(Protection::Private, SESSION_ON_WIRE, value, issued_at)
        .expect("sealed");
    format!("{SESSION_ON_WIRE}={sealed}")
}

/// The `Expires` actix-session's removals carry: a year before now (one
/// second of slack for the clock turning during the request).
fn assert_a_year_ago(set_cookie: &str) -> String {
    let text = set_cookie
        .split("; Expires=")
        .nth(1)
        .unwrap_or_else(|| panic!("no Expires in {set_cookie}"));
    let expires = httpdate::parse_http_date(text).expect("an HTTP date");
    let year_ago = SystemTime::now() - Duration::from_secs(365 * 86_400);
    let off = year_ago
        .duration_since(expires)
        .unwrap_or_else(|e| e.duration());
    assert!(off <= Duration::from_secs(2), "{set_cookie}");
    text.to_owned()
}

const TAIL: &str = "HttpOnly; SameSite=Lax; Secure; Path=/";

#[actix_web::test]
async fn the_session_cookie_is_sent_host_prefixed_and_sealed_and_read_back() {
    let keys = ring(KEY_A, &[]);
    let mut browser = Browser::new(session_app(policy(keys.clone()), sessions()).await);
    let login = browser.get("/login/alice").await;
    assert_eq!(
        (login.status, login.body.as_str()),
        (StatusCode::OK, "welcome alice")
    );
    assert_eq!(login.set_cookies.len(), 1, "{login:?}");
    let set_cookie = &login.set_cookies[0];
    assert_eq!(*set_cookie, session_set_cookie(set_cookie, TAIL));
    assert_eq!(login.cache_control.as_deref(), Some("no-store"));
    // Inside the layer's protection: exactly what actix-session wrote,
    // which holds the session state.
    let actix_value = opened(&keys, set_cookie);
    assert_eq!(session_state(&actix_value), r#"{"user":"\"alice\""}"#);
    // The browser sends `__Host-id`; actix-session reads `id`.
    assert_eq!(
        browser.cookie_header(),
        Some(format!("{SESSION_ON_WIRE}={}", value(set_cookie)))
    );
    let me = browser.get("/whoami").await;
    assert_eq!((me.body.as_str(), me.set_cookies.len()), ("alice []", 0));
}

#[actix_web::test]
async fn session_values_survive_round_trips_through_the_browser() {
    let mut browser = Browser::new(session_app(policy(ring(KEY_A, &[])), sessions()).await);
    let mut counted = Vec::new();
    for _ in 0..3 {
        let answer = browser.get("/count").await;
        assert_eq!(answer.status, StatusCode::OK);
        // Every change rewrites the cookie (actix-session's cookie store
        // keeps the whole state in it), always under the policy.
        assert_eq!(answer.set_cookies.len(), 1, "{answer:?}");
        assert_eq!(
            answer.set_cookies[0],
            session_set_cookie(&answer.set_cookies[0], TAIL)
        );
        counted.push(answer.body);
    }
    assert_eq!(counted, ["1", "2", "3"]);
    browser.get("/login/alice").await;
    assert_eq!(browser.get("/count").await.body, "4");
    assert_eq!(browser.get("/whoami").await.body, "alice []");
}

#[actix_web::test]
async fn renew_rewrites_the_cookie_with_the_same_state_and_cannot_revoke_the_old_one() {
    let keys = ring(KEY_A, &[]);
    let mut browser = Browser::new(session_app(policy(keys.clone()), sessions()).await);
    let login = browser.get("/login/alice").await;
    let before = login.set_cookies[0].clone();
    let renew = browser.get("/renew").await;
    assert_eq!(renew.body, "renewed");
    assert_eq!(renew.set_cookies.len(), 1, "{renew:?}");
    let after = &renew.set_cookies[0];
    assert_eq!(*after, session_set_cookie(after, TAIL));
    // A cookie store has no session key to change: renewal writes the same
    // state into a new cookie (a new nonce, so other bytes).
    assert_ne!(value(after), value(&before));
    assert_eq!(
        session_state(&opened(&keys, after)),
        r#"{"user":"\"alice\""}"#
    );
    assert_eq!(browser.get("/whoami").await.body, "alice []");
    // And the cookie from before the renewal still works: nothing on the
    // server remembers that it was replaced.
    let replay = send(&browser.app, "/whoami", Some(&pair(&before))).await;
    assert_eq!(replay.body, "alice []");
}

#[actix_web::test]
async fn purge_sends_a_removal_the_browser_applies_yet_a_kept_copy_stays_valid() {
    let mut browser = Browser::new(session_app(policy(ring(KEY_A, &[])), sessions()).await);
    let login = browser.get("/login/alice").await;
    let logout = browser.get("/logout").await;
    assert_eq!(logout.body, "bye");
    assert_eq!(logout.set_cookies.len(), 1, "{logout:?}");
    // The same name on the wire, Path and Domain as the cookie it removes;
    // unsealed, as a removal carries no value.
    let removal = &logout.set_cookies[0];
    let expires = assert_a_year_ago(removal);
    assert_eq!(
        *removal,
        format!("{SESSION_ON_WIRE}=; {TAIL}; Max-Age=0; Expires={expires}")
    );
    assert_eq!(logout.cache_control.as_deref(), Some("no-store"));
    assert_eq!(browser.cookie_header(), None);
    assert_eq!(browser.get("/whoami").await.body, "anonymous []");
    // A copy kept from before the logout (a stolen cookie) still logs in
    // until the layer's lifetime runs out: a cookie store cannot revoke.
    let replay = send(&browser.app, "/whoami", Some(&pair(&login.set_cookies[0]))).await;
    assert_eq!(replay.body, "alice []");
}

#[actix_web::test]
async fn the_policy_turns_actix_sessions_false_flags_back_on_and_keeps_its_same_site() {
    // actix-session always writes Secure, HttpOnly, SameSite and Path. The
    // policy's flags are a floor, so `false` comes back on; SameSite and
    // Path are the cookie's own, so actix-session's win over the policy's.
    let relaxed = SessionMiddleware::builder(CookieSessionStore::default(), public_session_key())
        .cookie_secure(false)
        .cookie_http_only(false)
        .cookie_same_site(ActixSameSite::Strict)
        .build();
    let mut browser = Browser::new(session_app(policy(ring(KEY_A, &[])), relaxed).await);
    let login = browser.get("/login/alice").await;
    let strict = "HttpOnly; SameSite=Strict; Secure; Path=/";
    assert_eq!(
        login.set_cookies,
        [session_set_cookie(&login.set_cookies[0], strict)]
    );
    assert_eq!(browser.get("/whoami").await.body, "alice []");
    let logout = browser.get("/logout").await;
    let expires = assert_a_year_ago(&logout.set_cookies[0]);
    assert_eq!(
        logout.set_cookies,
        [format!(
            "{SESSION_ON_WIRE}=; {strict}; Max-Age=0; Expires={expires}"
        )]
    );

    // A policy asking for Strict leaves actix-session's default Lax alone:
    // set SameSite in actix-session, not in the policy.
    let strict_policy = CookiePolicy::builder()
        .same_site(SameSite::Strict)
        .cookie(
            SESSION,
            CookieOverride::default()
                .prefix(Prefix::Host)
                .protection(Protection::Private),
        )
        .keys(ring(KEY_A, &[]))
        .build()
        .unwrap();
    let mut browser = Browser::new(session_app(strict_policy, sessions()).await);
    let login = browser.get("/login/alice").await;
    assert_eq!(
        login.set_cookies,
        [session_set_cookie(&login.set_cookies[0], TAIL)]
    );
}

#[actix_web::test]
async fn a_browser_session_cookie_has_no_max_age_and_the_layer_ends_it_after_max_session_age() {
    let keys = ring(KEY_A, &[]);
    let app = session_app(policy(keys.clone()), sessions()).await;
    let login = Browser::new(&app).get("/login/alice").await;
    assert_eq!(
        login.set_cookies,
        [session_set_cookie(&login.set_cookies[0], TAIL)]
    );
    // actix-session's cookie store keeps no expiry of its own; the issue
    // time inside the layer's protection gives it one: max_session_age.
    let actix_value = opened(&keys, &login.set_cookies[0]);
    let day = 86_400;
    let fresh = sealed(&keys, &actix_value, now() - (day - 60));
    assert_eq!(send(&app, "/whoami", Some(&fresh)).await.body, "alice []");
    let stale = sealed(&keys, &actix_value, now() - (day + 1));
    assert_eq!(
        send(&app, "/whoami", Some(&stale)).await.body,
        r#"anonymous ["expired"]"#
    );
}

#[actix_web::test]
async fn a_persistent_sessions_ttl_stays_on_the_wire_and_needs_the_same_max_age_in_the_policy() {
    let week: u32 = 7 * 86_400;
    let persistent = || {
        SessionMiddleware::builder(CookieSessionStore::default(), public_session_key())
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(actix_web::cookie::time::Duration::seconds(week.into())),
            )
            .build()
    };
    let keys = ring(KEY_A, &[]);
    let with_ttl = format!("{TAIL}; Max-Age={week}");

    // Without a max_age in the policy, actix-session's Max-Age wins on the
    // wire (a cookie's own attribute is never replaced), but the layer
    // refuses the cookie after max_session_age: logged out after a day.
    let app = session_app(policy(keys.clone()), persistent()).await;
    let login = Browser::new(&app).get("/login/alice").await;
    assert_eq!(
        login.set_cookies,
        [session_set_cookie(&login.set_cookies[0], &with_ttl)]
    );
    let actix_value = opened(&keys, &login.set_cookies[0]);
    let two_days_old = sealed(&keys, &actix_value, now() - 2 * 86_400);
    assert_eq!(
        send(&app, "/whoami", Some(&two_days_old)).await.body,
        r#"anonymous ["expired"]"#
    );
    // And a rotation re-issues it with the policy's lifetime: none, so the
    // re-issued cookie ends with the browser session.
    let hour_old = sealed(&keys, &actix_value, now() - 3600);
    let rotated = session_app(policy(ring(KEY_B, &[KEY_A])), persistent()).await;
    let answer = send(&rotated, "/whoami", Some(&hour_old)).await;
    assert_eq!(answer.body, "alice []");
    assert_eq!(
        answer.set_cookies,
        [session_set_cookie(&answer.set_cookies[0], TAIL)]
    );

    // With the TTL as the cookie's max_age, both agree.
    let matched = policy_with(keys.clone(), CookieOverride::default().max_age(week));
    let app = session_app(matched.clone(), persistent()).await;
    let login = Browser::new(&app).get("/login/alice").await;
    assert_eq!(
        login.set_cookies,
        [session_set_cookie(&login.set_cookies[0], &with_ttl)]
    );
    let answer = send(&app, "/whoami", Some(&two_days_old)).await;
    assert_eq!(
        (answer.body.as_str(), answer.set_cookies.len()),
        ("alice []", 0)
    );
    let over_a_week = sealed(&keys, &actix_value, now() - u64::from(week) - 1);
    assert_eq!(
        send(&app, "/whoami", Some(&over_a_week)).await.body,
        r#"anonymous ["expired"]"#
    );
    // A rotation re-issues it with what is left of the week.
    let rotated = policy_with(
        ring(KEY_B, &[KEY_A]),
        CookieOverride::default().max_age(week),
    );
    let rotated = session_app(rotated, persistent()).await;
    let answer = send(&rotated, "/whoami", Some(&hour_old)).await;
    assert_eq!(answer.body, "alice []");
    let left = |age: u32| {
        session_set_cookie(
            &answer.set_cookies[0],
            &format!("{TAIL}; Max-Age={}", week - age),
        )
    };
    assert!(
        answer.set_cookies == [left(3600)] || answer.set_cookies == [left(3601)],
        "{answer:?}"
    );

    // A policy max_age on a browser session fills the Max-Age that
    // actix-session left out: the cookie then outlives the browser session.
    let app = session_app(matched, sessions()).await;
    let login = Browser::new(&app).get("/login/alice").await;
    assert_eq!(
        login.set_cookies,
        [session_set_cookie(&login.set_cookies[0], &with_ttl)]
    );
}

#[actix_web::test]
async fn a_persistent_session_extended_on_every_request_is_rewritten_with_a_fresh_issue_time() {
    // The layer's lifetime counts from when the cookie was last written.
    // actix-session rewrites it on every request only for a persistent
    // session with TtlExtensionPolicy::OnEveryRequest: a sliding window.
    let week: u32 = 7 * 86_400;
    let sliding = SessionMiddleware::builder(CookieSessionStore::default(), public_session_key())
        .session_lifecycle(
            PersistentSession::default()
                .session_ttl(actix_web::cookie::time::Duration::seconds(week.into()))
                .session_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
        )
        .build();
    let keys = ring(KEY_A, &[]);
    let matched = policy_with(keys.clone(), CookieOverride::default().max_age(week));
    let app = session_app(matched, sliding).await;
    let login = Browser::new(&app).get("/login/alice").await;
    let actix_value = opened(&keys, &login.set_cookies[0]);
    let two_days_old = sealed(&keys, &actix_value, now() - 2 * 86_400);
    let before = now();
    let answer = send(&app, "/whoami", Some(&two_days_old)).await;
    assert_eq!(answer.body, "alice []");
    assert_eq!(
        answer.set_cookies,
        [session_set_cookie(
            &answer.set_cookies[0],
            &format!("{TAIL}; Max-Age={week}")
        )]
    );
    let rewritten = keys
        .unprotect(
            Protection::Private,
            SESSION_ON_WIRE,
            &value(&answer.set_cookies[0]),
            SystemTime::now(),
            None,
        )
        .expect("opens");
    assert!(
        (before..=now()).contains(&rewritten.issued_at),
        "{rewritten:?}"
    );
    // The same state, which actix-session encrypted anew.
    assert_eq!(session_state(&rewritten.value), r#"{"user":"\"alice\""}"#);
}

#[actix_web::test]
async fn a_key_rotation_keeps_everyone_logged_in_and_re_issues_the_cookie_under_the_new_key() {
    // Logged in while A is the ring's only key.
    let mut browser = Browser::new(session_app(policy(ring(KEY_A, &[])), sessions()).await);
    let login = browser.get("/login/alice").await;
    let under_a = login.set_cookies[0].clone();

    // The server restarts with B current and A previous.
    let rotated = ring(KEY_B, &[KEY_A]);
    let mut browser = browser.restarted(session_app(policy(rotated), sessions()).await);
    let me = browser.get("/whoami").await;
    assert_eq!(me.body, "alice []");
    assert_eq!(me.set_cookies.len(), 1, "{me:?}");
    let reissued = &me.set_cookies[0];
    assert_eq!(*reissued, session_set_cookie(reissued, TAIL));
    assert_eq!(me.cache_control.as_deref(), Some("no-store"));
    // The same actix-session value, now under B alone.
    assert_eq!(
        opened(&ring(KEY_B, &[]), reissued),
        opened(&ring(KEY_A, &[]), &under_a)
    );

    // Once A is retired, the browser (holding the re-issued cookie) is
    // still logged in, and the cookie made under A no longer opens.
    let app_b = session_app(policy(ring(KEY_B, &[])), sessions()).await;
    let mut browser = browser.restarted(app_b);
    let me = browser.get("/whoami").await;
    assert_eq!((me.body.as_str(), me.set_cookies.len()), ("alice []", 0));
    let old = send(&browser.app, "/whoami", Some(&pair(&under_a))).await;
    assert_eq!(old.body, r#"anonymous ["tampered"]"#);
}

#[actix_web::test]
async fn integrity_comes_from_the_layer_a_tampered_or_forged_cookie_is_refused() {
    let keys = ring(KEY_A, &[]);
    let app = session_app(policy(keys.clone()), sessions()).await;
    let login = Browser::new(&app).get("/login/alice").await;
    let wire = pair(&login.set_cookies[0]);
    // One byte changed in the sealed value.
    let mut bytes = wire.clone().into_bytes();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(bytes).unwrap();
    assert_eq!(
        send(&app, "/whoami", Some(&changed)).await.body,
        r#"anonymous ["tampered"]"#
    );

    // actix-session's key is public: anyone can make a value it accepts.
    let mut jar = CookieJar::new();
    jar.private_mut(&public_session_key())
        .add(Cookie::new(SESSION, r#"{"user":"\"admin\""}"#));
    let forged = jar.get(SESSION).unwrap().value().to_owned();
    // Without the layer in front, that forgery logs in as anyone: the
    // public key must never be used without the layer.
    let bare = init_service(App::new().configure(session_routes).wrap(sessions())).await;
    let answer = send(&bare, "/whoami", Some(&format!("{SESSION}={forged}"))).await;
    assert_eq!(answer.body, "admin []");
    // Behind the layer it is refused under either name: it does not open
    // under the ring, and the plain name is not the prefixed cookie.
    let answer = send(
        &app,
        "/whoami",
        Some(&format!("{SESSION_ON_WIRE}={forged}")),
    )
    .await;
    assert_eq!(answer.body, r#"anonymous ["tampered"]"#);
    let answer = send(&app, "/whoami", Some(&format!("{SESSION}={forged}"))).await;
    assert_eq!(answer.body, r#"anonymous ["missing_prefix"]"#);
}

#[actix_web::test]
async fn with_actix_sessions_own_secret_key_the_layer_sets_attributes_but_that_key_cannot_rotate() {
    // The other way round: actix-session encrypts with a real secret and
    // the layer only writes the attributes (prefix, flags).
    // The same holds when the layer protects the cookie as well: two
    // secrets, and the ring's rotation does not help with actix-session's.
    let attributes_only = CookiePolicy::builder()
        .cookie(SESSION, CookieOverride::default().prefix(Prefix::Host))
        .build()
        .unwrap();
    let secret = |byte: u8| {
        SessionMiddleware::builder(CookieSessionStore::default(), Key::from(&[byte; 64])).build()
    };
    for policy in [attributes_only, policy(ring(KEY_A, &[]))] {
        let mut browser = Browser::new(session_app(policy.clone(), secret(1)).await);
        let login = browser.get("/login/alice").await;
        assert_eq!(
            login.set_cookies,
            [session_set_cookie(&login.set_cookies[0], TAIL)]
        );
        assert_eq!(browser.get("/whoami").await.body, "alice []");
        // actix-session takes one key and no previous ones: a new key logs
        // everyone out.
        let mut browser = browser.restarted(session_app(policy, secret(2)).await);
        assert_eq!(browser.get("/whoami").await.body, "anonymous []");
    }
}

#[actix_web::test]
async fn without_the_decoding_step_actix_session_loses_its_session() {
    // `bob`'s session encrypts to 46 bytes, whose base64 ends in `==`:
    // actix-session writes `%3D%3D`, and the layer hands it back as sent.
    let keys = ring(KEY_A, &[]);
    let app = init_service(
        App::new()
            .configure(session_routes)
            .wrap(sessions())
            .wrap(CookiePolicyLayer::new(policy(keys.clone()))),
    )
    .await;
    let mut browser = Browser::new(&app);
    let login = browser.get("/login/bob").await;
    assert!(opened(&keys, &login.set_cookies[0]).ends_with("%3D%3D"));
    assert_eq!(browser.get("/whoami").await.body, "anonymous []");

    // Signed content is JSON, not a cookie value once decoded: the decoding
    // step leaves it encoded, and the session is lost the same way.
    let signed = SessionMiddleware::builder(CookieSessionStore::default(), public_session_key())
        .cookie_content_security(CookieContentSecurity::Signed)
        .build();
    let mut browser = Browser::new(session_app(policy(keys), signed).await);
    browser.get("/login/alice").await;
    assert_eq!(browser.get("/whoami").await.body, "anonymous []");
}

#[actix_web::test]
async fn settings_that_do_not_combine_are_refused_or_lose_the_session() {
    let keys = ring(KEY_A, &[]);
    // Naming actix-session's cookie `__Host-id`: the layer maps it back to
    // the declared `id`, which actix-session does not look for.
    let prefixed = SessionMiddleware::builder(CookieSessionStore::default(), public_session_key())
        .cookie_name(SESSION_ON_WIRE.to_owned())
        .build();
    let mut browser = Browser::new(session_app(policy(keys.clone()), prefixed).await);
    let login = browser.get("/login/alice").await;
    assert_eq!(
        login.set_cookies,
        [session_set_cookie(&login.set_cookies[0], TAIL)]
    );
    assert_eq!(browser.get("/whoami").await.body, "anonymous []");

    // A Path other than `/` breaks the `__Host-` prefix (R8): refused.
    let app_path = SessionMiddleware::builder(CookieSessionStore::default(), public_session_key())
        .cookie_path("/app".to_owned())
        .build();
    let mut browser = Browser::new(session_app(policy(keys.clone()), app_path).await);
    let login = browser.get("/login/alice").await;
    assert_eq!(
        (login.status, login.set_cookies.len()),
        (StatusCode::INTERNAL_SERVER_ERROR, 0)
    );
    assert_eq!(
        login.body,
        error_json(
            "host_prefix_requirements",
            &["cookie", SESSION_ON_WIRE],
            "cookie `__Host-id`: a __Host- cookie needs Path=/ and no Domain (R8)"
        )
    );

    // actix-session registered outside the layer reads the cookies first.
    let app = init_service(
        App::new()
            .configure(session_routes)
            .wrap(from_fn(unencoded_session_cookie))
            .wrap(CookiePolicyLayer::new(policy(keys.clone())))
            .wrap(sessions()),
    )
    .await;
    let good = Browser::new(session_app(policy(keys), sessions()).await)
        .get("/login/alice")
        .await;
    let answer = send(&app, "/whoami", Some(&pair(&good.set_cookies[0]))).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        answer.body,
        error_json(
            "policy_layer_order",
            &["server"],
            "the request's cookies were read before the cookie policy middleware ran: wrap the App so that CookiePolicyLayer is outside every middleware that reads cookies (the last .wrap)"
        )
    );
}

/// The identity routes: `/login/{user}`, `/me` (`alice` or `anonymous`)
/// and `/logout`.
fn identity_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/login/{user}",
        web::get().to(|req: HttpRequest, user: web::Path<String>| async move {
            Identity::login(&req.extensions(), user.into_inner())?;
            Ok::<_, Error>(HttpResponse::Ok().body("logged in"))
        }),
    )
    .route(
        "/me",
        web::get().to(|identity: Option<Identity>| async move {
            let id = match identity {
                Some(identity) => identity.id()?,
                None => "anonymous".to_owned(),
            };
            Ok::<_, Error>(HttpResponse::Ok().body(id))
        }),
    )
    .route(
        "/logout",
        web::get().to(|identity: Identity| async move {
            identity.logout();
            HttpResponse::Ok().body("logged out")
        }),
    );
}

async fn identity_app(
    policy: CookiePolicy,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = Error> {
    init_service(
        App::new()
            .configure(identity_routes)
            .wrap(IdentityMiddleware::default())
            .wrap(sessions())
            .wrap(from_fn(unencoded_session_cookie))
            .wrap(CookiePolicyLayer::new(policy)),
    )
    .await
}

#[actix_web::test]
async fn identity_login_and_logout_go_through_the_policy() {
    let keys = ring(KEY_A, &[]);
    let mut browser = Browser::new(identity_app(policy(keys.clone())).await);
    assert_eq!(browser.get("/me").await.body, "anonymous");
    let login = browser.get("/login/alice").await;
    assert_eq!(login.body, "logged in");
    assert_eq!(
        login.set_cookies,
        [session_set_cookie(&login.set_cookies[0], TAIL)]
    );
    assert_eq!(
        session_state(&opened(&keys, &login.set_cookies[0])),
        r#"{"actix_identity.user_id":"\"alice\""}"#
    );
    let me = browser.get("/me").await;
    assert_eq!((me.body.as_str(), me.set_cookies.len()), ("alice", 0));

    // Logout purges the session: a removal that matches the cookie.
    let logout = browser.get("/logout").await;
    assert_eq!(logout.body, "logged out");
    let expires = assert_a_year_ago(&logout.set_cookies[0]);
    assert_eq!(
        logout.set_cookies,
        [format!(
            "{SESSION_ON_WIRE}=; {TAIL}; Max-Age=0; Expires={expires}"
        )]
    );
    assert_eq!(browser.get("/me").await.body, "anonymous");
    let logout = browser.get("/logout").await;
    assert_eq!(logout.status, StatusCode::UNAUTHORIZED);

    // A key rotation keeps the identity, as it keeps the session.
    let mut browser = Browser::new(identity_app(policy(keys)).await);
    browser.get("/login/alice").await;
    let mut browser = browser.restarted(identity_app(policy(ring(KEY_B, &[KEY_A]))).await);
    let me = browser.get("/me").await;
    assert_eq!((me.body.as_str(), me.set_cookies.len()), ("alice", 1));
}

/// The flash routes: `/send` flashes a message, `/show` lists the ones
/// that arrived, one per line.
fn flash_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/send",
        web::get().to(|| async {
            FlashMessage::info("Saved, thank you.").send();
            HttpResponse::Ok().body("sent")
        }),
    )
    .route(
        "/show",
        web::get().to(|messages: IncomingFlashMessages| async move {
            let lines: Vec<&str> = messages.iter().map(|m| m.content()).collect();
            HttpResponse::Ok().body(lines.join("\n"))
        }),
    );
}

/// Flash messages in the `_flash` cookie, written for the layer to sign
/// with the ring: the store only encodes the messages (JSON, then
/// percent-encoded into cookie-octets) and removes the cookie once read.
struct SignedByTheLayer;

const FLASH: &str = "_flash";

impl FlashMessageStore for SignedByTheLayer {
    fn load(&self, req: &HttpRequest) -> Result<Vec<FlashMessage>, LoadError> {
        let Some(cookie) = req.cookie(FLASH) else {
            return Ok(Vec::new());
        };
        let unreadable = |e: std::io::Error| LoadError::DeserializationError(e.into());
        let json = decode_value(cookie.value())
            .ok_or_else(|| unreadable(std::io::Error::other("not percent-encoded UTF-8")))?;
        serde_json::from_str(&json).map_err(|e| unreadable(e.into()))
    }

    fn store(
        &self,
        messages: &[FlashMessage],
        req: HttpRequest,
        response: &mut ResponseHead,
    ) -> Result<(), StoreError> {
        let cookie = if !messages.is_empty() {
            let json = serde_json::to_string(messages)
                .map_err(|e| StoreError::SerializationError(e.into()))?;
            Cookie::new(FLASH, encode_value(&json).into_owned())
        } else if req.cookie(FLASH).is_some() {
            // Shown: remove it (the layer adds the policy's Path and flags).
            let mut removal = Cookie::new(FLASH, "");
            removal.make_removal();
            removal
        } else {
            return Ok(());
        };
        let header = HeaderValue::try_from(cookie.to_string())
            .map_err(|e| StoreError::GenericError(e.into()))?;
        response.headers_mut().append(SET_COOKIE, header);
        Ok(())
    }
}

#[actix_web::test]
async fn the_stock_flash_cookie_store_writes_a_comma_which_the_policy_refuses() {
    // CookieMessageStore percent-encodes its signed JSON but leaves `,` as
    // it is (here in the message; in any message, between its fields): not
    // a cookie-octet (R2).
    let stock = || {
        FlashMessagesFramework::builder(CookieMessageStore::builder(Key::from(&[9; 64])).build())
            .build()
    };
    let app = init_service(
        App::new()
            .configure(flash_routes)
            .wrap(stock())
            .wrap(CookiePolicyLayer::new(policy(ring(KEY_A, &[])))),
    )
    .await;
    let answer = send(&app, "/send", None).await;
    assert_eq!(
        (answer.status, answer.set_cookies.len()),
        (StatusCode::INTERNAL_SERVER_ERROR, 0)
    );
    assert_eq!(
        answer.body,
        error_json(
            "invalid_cookie_value",
            &["cookie", FLASH],
            "cookie `_flash`: byte 0x2C (',') at position 76 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)"
        )
    );
    // With on_violation = drop, the page loads but the message is lost.
    let dropping = CookiePolicy::builder()
        .on_violation(OnViolation::Drop)
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .configure(flash_routes)
            .wrap(stock())
            .wrap(CookiePolicyLayer::new(dropping)),
    )
    .await;
    let mut browser = Browser::new(&app);
    let answer = browser.get("/send").await;
    assert_eq!(
        (answer.status, answer.set_cookies.len()),
        (StatusCode::OK, 0)
    );
    assert_eq!(browser.get("/show").await.body, "");
}

#[actix_web::test]
async fn flash_messages_the_layer_signs_are_shown_once_and_survive_a_rotation() {
    let flash_app = |keys: KeyRing| {
        init_service(
            App::new()
                .configure(flash_routes)
                .wrap(FlashMessagesFramework::builder(SignedByTheLayer).build())
                .wrap(CookiePolicyLayer::new(policy(keys))),
        )
    };
    let keys = ring(KEY_A, &[]);
    let mut browser = Browser::new(flash_app(keys.clone()).await);
    let sent = browser.get("/send").await;
    assert_eq!(sent.body, "sent");
    let json = r#"[{"content":"Saved, thank you.","level":"Info"}]"#;
    let signed = keys
        .unprotect(
            Protection::Signed,
            FLASH,
            &value(&sent.set_cookies[0]),
            SystemTime::now(),
            None,
        )
        .expect("signed by the layer");
    assert_eq!(signed.value, encode_value(json));
    assert_eq!(
        sent.set_cookies,
        [format!("{FLASH}={}; {TAIL}", value(&sent.set_cookies[0]))]
    );
    assert!(sent.set_cookies[0].starts_with(&format!("{FLASH}={}.", encode_value(json))));
    assert_eq!(sent.cache_control.as_deref(), Some("no-store"));

    // Shown once, then removed with a removal that matches.
    let shown = browser.get("/show").await;
    assert_eq!(shown.body, "Saved, thank you.");
    let expires = shown.set_cookies[0]
        .split("; Expires=")
        .nth(1)
        .expect("an Expires")
        .to_owned();
    assert_eq!(
        shown.set_cookies,
        [format!("{FLASH}=; {TAIL}; Max-Age=0; Expires={expires}")]
    );
    let again = browser.get("/show").await;
    assert_eq!((again.body.as_str(), again.set_cookies.len()), ("", 0));

    // A forged message is not shown: the layer refuses an unsigned value.
    let forged = format!(
        "{FLASH}={}",
        encode_value(r#"[{"content":"Call us","level":"Info"}]"#)
    );
    let app = flash_app(ring(KEY_A, &[])).await;
    assert_eq!(send(&app, "/show", Some(&forged)).await.body, "");

    // A message signed under A is shown after the ring rotates to B.
    let mut browser = Browser::new(flash_app(ring(KEY_A, &[])).await);
    browser.get("/send").await;
    let mut browser = browser.restarted(flash_app(ring(KEY_B, &[KEY_A])).await);
    assert_eq!(browser.get("/show").await.body, "Saved, thank you.");
}
