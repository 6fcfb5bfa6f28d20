//! What both benchmarks share: the server's development policy and the key
//! both servers are given.

use cookie_policy::policy::{CookiePolicy, KeyRing};
use cookie_policy::settings::{Profile, Settings};

/// The key of both servers (32 bytes, base64).
pub const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The server's policy: the development profile of `config/`, with `KEY`.
pub fn dev_policy() -> CookiePolicy {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let figment = Settings::file_figment(&dir, Profile::Development)
        .expect("config folder")
        .merge(("keys.current", KEY));
    Settings::from_figment(figment, Profile::Development)
        .expect("config loads")
        .cookies
}

/// The key ring of `KEY`.
pub fn keys() -> KeyRing {
    KeyRing::from_base64(KEY, &[]).expect("valid key")
}
