//! Helpers shared by the integration tests.
#![allow(dead_code)]

use actix_cookie_policy::{ErrorBody, KeyRing};
use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::test::{self, TestRequest};

/// Two fixed keys (32 bytes, base64): the current one and a previous one.
pub const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const OLD_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// A ring of `current` with `previous` keys.
pub fn ring(current: &str, previous: &[&str]) -> KeyRing {
    KeyRing::from_base64(current, previous).expect("valid test keys")
}

/// Every `Set-Cookie` header of a response, as text.
pub fn set_cookies<B>(res: &ServiceResponse<B>) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .map(|v| v.to_str().expect("ASCII Set-Cookie").to_owned())
        .collect()
}

/// The `Cache-Control` header of a response, if any.
pub fn cache_control<B>(res: &ServiceResponse<B>) -> Option<String> {
    res.headers()
        .get("cache-control")
        .map(|v| v.to_str().expect("ASCII Cache-Control").to_owned())
}

/// The body of a response, as text.
pub async fn body_text<B: MessageBody>(res: ServiceResponse<B>) -> String {
    let bytes = test::read_body(res).await;
    String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
}

/// A GET of `uri` with an optional `Cookie` header.
pub fn get(uri: &str, cookie: Option<&str>) -> TestRequest {
    let req = TestRequest::get().uri(uri);
    match cookie {
        Some(c) => req.insert_header(("cookie", c.to_owned())),
        None => req,
    }
}

/// The JSON error body with one problem, as the layer writes it.
pub fn error_json(kind: &str, loc: &[&str], msg: &str) -> String {
    serde_json::to_string(&ErrorBody::one(kind, loc, msg)).expect("JSON")
}

/// The `name=value` part of a `Set-Cookie` header.
pub fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().expect("a pair").to_owned()
}

/// The layer's log lines, as "LEVEL message", for the test binaries
/// that assert what the layer logs (the logger is process-wide, so each such
/// binary installs it once, with [`capture_log`], and runs its log tests in
/// one test function).
static LINES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.target().starts_with("actix_cookie_policy") {
            let line = format!("{} {}", record.level(), record.args());
            LINES.lock().unwrap().push(line);
        }
    }
    fn flush(&self) {}
}

/// Sends the layer's log lines, from `level` up, to [`logged`].
pub fn capture_log(level: log::LevelFilter) {
    log::set_logger(&Capture).expect("one logger per test binary");
    log::set_max_level(level);
}

/// The lines logged since the last call.
pub fn logged() -> Vec<String> {
    std::mem::take(&mut *LINES.lock().unwrap())
}
