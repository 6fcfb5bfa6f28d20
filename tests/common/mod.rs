//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod redis;
pub mod server;

use std::path::PathBuf;
use std::sync::Arc;

use actix_cookie_policy::CookiePolicy;
use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use cookie_policy::sessions::Sessions;
use cookie_policy::settings::{Profile, Settings};

/// The repository's own `config/` folder.
pub fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

/// A fixed key for tests (32 bytes, base64).
pub const TEST_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The settings the server runs with in `profile`, from the real config
/// files with [`TEST_KEY`] (which production requires) and then `extra`
/// layered on top, such as `("playground.enabled", true)`; the environment
/// is ignored.
pub fn settings_with(profile: Profile, extra: impl figment::Provider) -> Settings {
    let figment = Settings::file_figment(&config_dir(), profile)
        .expect("the config folder exists")
        .merge(("keys.current", TEST_KEY))
        .merge(extra);
    Settings::from_figment(figment, profile).expect("the shipped config loads")
}

/// The settings the server runs with in `profile`, from the real config
/// files (with [`TEST_KEY`]), ignoring the environment.
pub fn settings_for(profile: Profile) -> Settings {
    settings_with(profile, ("keys.current", TEST_KEY))
}

/// The policy the server runs with in `profile`, from the real config files
/// (with [`TEST_KEY`], which production requires), ignoring the environment.
pub fn policy_for(profile: Profile) -> Arc<CookiePolicy> {
    Arc::new(settings_for(profile).cookies)
}

/// The production app factory with `settings`, started in the test harness.
pub async fn app_for(
    settings: Settings,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    let sessions = Sessions::new(&settings.sessions).expect("the sessions' store builds");
    let policy = Arc::new(settings.cookies);
    test::init_service(cookie_policy::startup::app(
        policy,
        settings.playground,
        sessions,
    ))
    .await
}

/// The production app factory as `profile` configures it, started in the
/// test harness.
pub async fn seed_app(
    profile: Profile,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    app_for(settings_for(profile)).await
}

/// Every `Set-Cookie` header of a response, as text.
pub fn set_cookies<B>(res: &ServiceResponse<B>) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .map(|v| v.to_str().expect("ASCII Set-Cookie").to_owned())
        .collect()
}

/// The body of a response, as text.
pub async fn body_text<B: MessageBody>(res: ServiceResponse<B>) -> String {
    let bytes = test::read_body(res).await;
    String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
}

/// One GET through the production app factory in `profile`, with an
/// optional Cookie header: status, Set-Cookie headers, body.
pub async fn get(
    profile: Profile,
    uri: &str,
    cookie: Option<&str>,
) -> (actix_web::http::StatusCode, Vec<String>, String) {
    get_with(&settings_for(profile), uri, cookie).await
}

/// [`get`] through the production app factory with `settings`.
pub async fn get_with(
    settings: &Settings,
    uri: &str,
    cookie: Option<&str>,
) -> (actix_web::http::StatusCode, Vec<String>, String) {
    let app = app_for(settings.clone()).await;
    let mut req = test::TestRequest::get().uri(uri);
    if let Some(c) = cookie {
        req = req.insert_header(("cookie", c));
    }
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status();
    let cookies = set_cookies(&res);
    (status, cookies, body_text(res).await)
}

/// Seconds since the Unix epoch: the issue time of a protected value made now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs()
}

/// What one request answered: status, `Set-Cookie` headers, body.
#[derive(Debug)]
pub struct Answer {
    pub status: actix_web::http::StatusCode,
    pub set_cookies: Vec<String>,
    pub body: String,
}

/// A browser for the tests: sends back the cookies it was given and applies
/// removals, as a user agent does (one host and path here, so a cookie is
/// known by its name on the wire).
#[derive(Debug, Default, Clone)]
pub struct Jar(pub std::collections::BTreeMap<String, String>);

impl Jar {
    /// The `Cookie` header the jar sends, if it holds any cookie.
    pub fn header(&self) -> Option<String> {
        let pairs: Vec<String> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Keeps what `set_cookies` set and forgets what they remove.
    pub fn apply(&mut self, set_cookies: &[String]) {
        for header in set_cookies {
            let c = actix_cookie_policy::SetCookie::parse(header)
                .expect("a Set-Cookie the layer sent parses");
            if c.is_removal(std::time::SystemTime::now()) {
                self.0.remove(c.name.as_ref());
            } else {
                self.0.insert(c.name.to_string(), c.value.to_string());
            }
        }
    }

    /// GET `uri` from `app` with the jar's cookies, keeping what it answers.
    pub async fn get<S, B>(&mut self, app: &S, uri: &str) -> Answer
    where
        S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let mut req = test::TestRequest::get().uri(uri);
        if let Some(cookie) = self.header() {
            req = req.insert_header(("cookie", cookie));
        }
        let res = test::call_service(app, req.to_request()).await;
        let answer = Answer {
            status: res.status(),
            set_cookies: set_cookies(&res),
            body: body_text(res).await,
        };
        self.apply(&answer.set_cookies);
        answer
    }
}
