//! Instructions per request, with and without the layer, counted by
//! callgrind: repeatable on a shared, noisy machine where wall-clock
//! figures are not. `scripts/bench-instructions.sh` runs it.
//!
//! `instructions SCENARIO SERVER N` serves N requests of SCENARIO (profile,
//! login, cookies20, private) through SERVER (policy, baseline) in process.
//! Running it for N and 2N and subtracting cancels the set-up cost.

use std::sync::Arc;
use std::time::SystemTime;

use actix_web::http::header::COOKIE;
use actix_web::test::{TestRequest, call_service, init_service};
use cookie_policy::policy::protect::unix_seconds;
use cookie_policy::policy::{KeyRing, Protection};
use cookie_policy::settings::{Profile, Settings};

#[path = "../examples/baseline.rs"]
#[allow(dead_code)]
mod baseline;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; with no scenario there is nothing to do.
    let (Some(scenario), Some(server), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: instructions SCENARIO SERVER N (see scripts/bench-instructions.sh)");
        return;
    };
    let n: usize = n.parse().expect("N is a number");
    let keys = KeyRing::from_base64(KEY, &[]).expect("valid key");
    let session = format!(
        "session={}",
        keys.protect(
            Protection::Private,
            "session",
            "alice",
            unix_seconds(SystemTime::now())
        )
    );
    let twenty: String = (0..20)
        .map(|i| format!("cookie{i}=value{i}abcdef"))
        .collect::<Vec<_>>()
        .join("; ");
    let (uri, cookie): (&str, Option<&str>) = match scenario.as_str() {
        "profile" => ("/profile", Some("username=alice")),
        "login" => ("/login", None),
        "cookies20" => ("/cookies", Some(&twenty)),
        "private" => ("/cookies", Some(&session)),
        other => panic!("unknown scenario {other}"),
    };
    let request = || {
        let mut req = TestRequest::get().uri(uri);
        if let Some(c) = cookie {
            req = req.insert_header((COOKIE, c));
        }
        req.to_request()
    };
    let rt = actix_web::rt::System::new();
    rt.block_on(async {
        let mut ok = 0usize;
        if server == "policy" {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
            let figment = Settings::file_figment(&dir, Profile::Development)
                .expect("config folder")
                .merge(("keys.current", KEY));
            let policy = Settings::from_figment(figment, Profile::Development)
                .expect("config")
                .cookies;
            let app = init_service(cookie_policy::startup::app(Arc::new(policy))).await;
            for _ in 0..n {
                ok += usize::from(call_service(&app, request()).await.status().is_success());
            }
        } else {
            let app = init_service(baseline::baseline_app(Arc::new(keys))).await;
            for _ in 0..n {
                ok += usize::from(call_service(&app, request()).await.status().is_success());
            }
        }
        assert_eq!(ok, n, "every request succeeds");
    });
}
