//! The baseline for benchmarks: the guide's endpoints written by hand in
//! plain actix-web, with no policy layer, serving the same bodies and the
//! same cookie attributes as cookie-policy's development profile, built the
//! way hand-written actix code builds them (`Cookie::build`).
//!
//! The routes are registered in the server's order (the seed's endpoints,
//! then `/cookies`), so that routing costs the same in both and a
//! comparison measures the policy layer alone.
//!
//! `GET /cookies` decrypts the private `session` cookie by hand with the same
//! key ring, so the protected-cookie read compares like with like.
//!
//! Run: `cargo run --release --example baseline -- 127.0.0.1:8081`
//! (`APP_KEYS__CURRENT` sets the key, as for the server).

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::SystemTime;

use actix_cookie_policy::{KeyRing, Protection};
use actix_web::body::MessageBody;
use actix_web::cookie::time::{Duration, OffsetDateTime};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{CACHE_CONTROL, VARY};
use actix_web::{App, Error, HttpRequest, HttpResponse, web};
use cookie_policy::settings::ServerSettings;
use cookie_policy::startup::Application;
use serde_json::json;

/// A cookie of the guide, built the way hand-written actix code builds it,
/// with the attributes cookie-policy's development profile gives it.
fn guide_cookie(name: &'static str, value: &'static str, max_age: i64) -> Cookie<'static> {
    Cookie::build(name, value)
        .max_age(Duration::seconds(max_age))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish()
}

/// The baseline app: plain handlers, hand-written Set-Cookie headers.
pub fn baseline_app(
    keys: Arc<KeyRing>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        // The same request logger as the server's, so a comparison measures
        // the policy layer alone.
        .wrap(cookie_policy::startup::access_log())
        .wrap(cookie_policy::startup::security_headers())
        .app_data(web::Data::from(keys))
        .route(
            "/set-cookie",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .cookie(guide_cookie("mycookie", "cookievalue", 1800))
                    .json(json!({ "message": "Cookie set" }))
            }),
        )
        .route(
            "/get-cookie",
            web::get().to(|req: HttpRequest| async move {
                let v = req.cookie("mycookie").map(|c| c.value().to_owned());
                HttpResponse::Ok().json(json!({ "mycookie": v }))
            }),
        )
        .route(
            "/login",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .cookie(guide_cookie("username", "alice", 3600))
                    .json(json!({ "message": "Logged in and cookie set" }))
            }),
        )
        .route(
            "/profile",
            web::get().to(|req: HttpRequest| async move {
                let message = match req.cookie("username") {
                    Some(c) if !c.value().is_empty() => format!("Welcome back, {}!", c.value()),
                    _ => "No username cookie found".to_owned(),
                };
                HttpResponse::Ok().json(json!({ "message": message }))
            }),
        )
        .route(
            "/logout",
            web::get().to(|| async {
                // The removal cookie written by hand: the same attributes,
                // an empty value, Max-Age=0 and an Expires in the past.
                let mut removal = guide_cookie("username", "", 0);
                removal.set_expires(OffsetDateTime::UNIX_EPOCH);
                HttpResponse::Ok()
                    .cookie(removal)
                    .json(json!({ "message": "Logged out" }))
            }),
        )
        .route(
            "/wrong-set",
            web::get()
                .to(|| async { HttpResponse::Ok().json(json!({ "message": "No cookie set" })) }),
        )
        .route(
            "/right-set",
            web::get().to(|| async {
                let token = Cookie::build("token", "abc123")
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .finish();
                HttpResponse::Ok()
                    .cookie(token)
                    .json(json!({ "message": "Cookie set properly" }))
            }),
        )
        .route(
            "/cookies",
            web::get().to(|req: HttpRequest, keys: web::Data<KeyRing>| async move {
                let mut cookies = serde_json::Map::new();
                if let Ok(all) = req.cookies() {
                    for c in all.iter() {
                        let value = if c.name() == "session" {
                            match keys.unprotect(
                                Protection::Private,
                                "session",
                                c.value(),
                                SystemTime::now(),
                                None,
                            ) {
                                Ok(v) => v.value,
                                Err(_) => continue,
                            }
                        } else {
                            c.value().to_owned()
                        };
                        cookies.insert(c.name().to_owned(), json!(value));
                    }
                }
                HttpResponse::Ok()
                    .insert_header((CACHE_CONTROL, "no-store"))
                    .insert_header((VARY, "accept"))
                    .json(json!({ "cookies": cookies }))
            }),
        )
        .route(
            "/healthz",
            web::get().to(|| async { HttpResponse::Ok().json(json!({ "status": "ok" })) }),
        )
}

/// The key ring from `APP_KEYS__CURRENT`, or a random one.
pub fn baseline_keys() -> Arc<KeyRing> {
    let ring = match std::env::var("APP_KEYS__CURRENT") {
        Ok(k) => KeyRing::from_base64(&k, &[]).unwrap_or_else(|e| {
            eprintln!("error: APP_KEYS__CURRENT: {}", e.problem());
            std::process::exit(2)
        }),
        Err(_) => KeyRing::ephemeral().unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        }),
    };
    Arc::new(ring)
}

#[allow(dead_code)] // tests/baseline.rs includes this file as a module and uses only the app
fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned())
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let workers = std::env::var("APP_SERVER__WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .or(NonZeroUsize::new(2));
    // The server's own defaults for timeouts and limits, and its server
    // assembly, so that a comparison measures the policy layer alone.
    let server = ServerSettings {
        host: addr.ip().to_string(),
        port: addr.port(),
        workers,
        ..ServerSettings::default()
    };
    let keys = baseline_keys();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::serve(&server, move || baseline_app(keys.clone()))?;
        for a in app.addrs() {
            eprintln!("baseline listening on http://{a}");
        }
        app.run_until_stopped().await
    })
}
