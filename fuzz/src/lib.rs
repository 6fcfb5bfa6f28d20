//! Shared set-up for the fuzz targets of `cookie-policy`.

use std::time::{Duration, SystemTime};

use cookie_policy::policy::CookiePolicy;
use figment::providers::{Format, Toml};

/// The policy both targets run under: the secure defaults plus a
/// `__Host-` prefixed cookie (`sid`), a `__Secure-` prefixed one (`pre`), a
/// sensitive one (`tok`) and one with a `Domain` (`dom`), so that the
/// prefix, duplicate/tossing and domain paths are all reachable.
pub const POLICY_TOML: &str = r#"
max_age = 3600

[overrides.sid]
prefix = "host"

[overrides.pre]
prefix = "secure"

[overrides.tok]
sensitive = true

[overrides.dom]
domain = "example.com"
same_site = "none"
partitioned = true
priority = "high"
"#;

/// Builds the fuzzing policy; panics if the TOML above stops being valid.
pub fn policy() -> CookiePolicy {
    figment::Figment::from(Toml::string(POLICY_TOML))
        .extract::<CookiePolicy>()
        .expect("fuzz policy must be valid")
}

/// A fixed "now" (2026-01-01T00:00:00Z) so that crashes involving `Expires`
/// reproduce on any day.
pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

/// Undoes the inbound layer's `%` -> `%25` escaping.
pub fn unescape_percent(s: &str) -> String {
    s.replace("%25", "%")
}
