//! The policy as written in configuration: serde types with secure defaults.
//!
//! [`CookiePolicyConfig`] is the `[cookies]` table of a configuration file
//! (or built in code with [`CookiePolicy::builder`]); [`CookiePolicy::new`]
//! validates it once.
//!
//! [`CookiePolicy::builder`]: crate::CookiePolicy::builder
//! [`CookiePolicy::new`]: crate::CookiePolicy::new

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest lifetime a user agent keeps a cookie: 400 days (R12).
pub const MAX_LIFETIME_SECONDS: u32 = 34_560_000;

/// The `SameSite` attribute (R10, R14).
///
/// Written in configuration in lower case (`"lax"`); the header's spelling
/// (`"Lax"`) is accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    /// Sent only with same-site requests.
    #[serde(alias = "Strict")]
    Strict,
    /// Sent with same-site requests and top-level cross-site navigations.
    #[serde(alias = "Lax")]
    Lax,
    /// Sent with every request; requires `Secure` (R10).
    #[serde(alias = "None")]
    None,
}

impl SameSite {
    /// The attribute value as written in `Set-Cookie`.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

impl From<SameSite> for cookie::SameSite {
    fn from(value: SameSite) -> Self {
        match value {
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::None => cookie::SameSite::None,
        }
    }
}

/// The `Priority` attribute (R15), an eviction hint Chromium reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Evicted first.
    #[serde(alias = "Low")]
    Low,
    /// The user agent's default.
    #[serde(alias = "Medium")]
    Medium,
    /// Evicted last.
    #[serde(alias = "High")]
    High,
}

impl Priority {
    /// The attribute value as written in `Set-Cookie`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "Low",
            Priority::Medium => "Medium",
            Priority::High => "High",
        }
    }
}

/// A name prefix a cookie can be declared with (R7, R8): the policy then
/// writes the prefixed name and meets the prefix's requirements, and
/// handlers keep using the plain name both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prefix {
    /// `__Secure-`: requires `Secure` (R7).
    Secure,
    /// `__Host-`: requires `Secure`, `Path=/` and no `Domain` (R8).
    Host,
}

impl Prefix {
    /// The canonical spelling on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Prefix::Secure => "__Secure-",
            Prefix::Host => "__Host-",
        }
    }
}

/// How a cookie's value is protected: `protection = "signed"` or
/// `"private"` in its override. Handlers read and write the plain value;
/// the layer seals it on the way out and opens it on the way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protection {
    /// Readable value with an HMAC-SHA256 tag over name, issue time and value.
    Signed,
    /// Encrypted with AES-256-GCM; the name is associated data.
    Private,
}

/// How long a cookie lives.
///
/// In configuration: a whole number of seconds (`max_age = 3600`), or the
/// string `"session"` for a cookie without `Max-Age` that ends with the
/// browser session (the default, as OWASP asks for session identifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lifetime {
    /// No `Max-Age`: the cookie ends with the browser session.
    #[default]
    Session,
    /// `Max-Age` of this many seconds, 1 to [`MAX_LIFETIME_SECONDS`].
    Seconds(u32),
}

impl Lifetime {
    /// The `Max-Age` in seconds, or `None` for a session cookie.
    pub fn seconds(self) -> Option<u32> {
        match self {
            Lifetime::Session => None,
            Lifetime::Seconds(s) => Some(s),
        }
    }
}

impl Serialize for Lifetime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Lifetime::Session => serializer.serialize_str("session"),
            Lifetime::Seconds(s) => serializer.serialize_u32(*s),
        }
    }
}

impl<'de> Deserialize<'de> for Lifetime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Lifetime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "a number of seconds from 1 to {MAX_LIFETIME_SECONDS}, or \"session\""
                )
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Lifetime, E> {
                match u32::try_from(v) {
                    Ok(s) if (1..=MAX_LIFETIME_SECONDS).contains(&s) => Ok(Lifetime::Seconds(s)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)),
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Lifetime, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Lifetime, E> {
                if v == "session" {
                    return Ok(Lifetime::Session);
                }
                // Environment variables arrive as strings.
                match v.parse::<u64>() {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// What the layer does with a `Set-Cookie` the app wrote against the rules.
/// Only `report`, made for adopting the layer in a running app, lets a
/// violating cookie reach the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnViolation {
    /// Replace the whole response with a 500 error naming the cookie and the
    /// rule (the default: a broken cookie is a bug to fix, not to hide).
    #[default]
    Reject,
    /// Remove the offending `Set-Cookie`, send the rest of the response, and
    /// log the violation at error level.
    Drop,
    /// Change nothing, in either direction: send every cookie as the app
    /// wrote it and hand the app the request's cookies as sent, and log what
    /// the policy would have filled in, refused or skipped, once per cookie
    /// name and rule. Made for wrapping a running app: read the log, fix the
    /// cookies, then switch to `reject`. A policy in this mode declares no
    /// prefix or protection, which the app's cookies could not read back
    /// without the layer applying them.
    Report,
}

/// The `[cookies]` table of the configuration: the policy as written.
///
/// Every field has a secure default, so an empty table is a secure policy.
/// Turn it into a [`CookiePolicy`](crate::CookiePolicy) with
/// [`CookiePolicy::new`](crate::CookiePolicy::new), which validates it; in
/// code, [`CookiePolicy::builder`](crate::CookiePolicy::builder) is shorter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CookiePolicyConfig {
    /// `Max-Age` for cookies that set neither `Max-Age` nor `Expires`.
    /// Default: `"session"` (no `Max-Age`).
    pub max_age: Lifetime,
    /// Write `HttpOnly`, hiding the cookie from scripts. Default: `true`.
    pub http_only: bool,
    /// Write `Secure`, sending the cookie over HTTPS only. Default: `true`.
    pub secure: bool,
    /// The `SameSite` attribute, always written (R14). Default: `lax`.
    pub same_site: SameSite,
    /// The `Path` attribute; must start with `/` (R5). Default: `"/"`.
    pub path: String,
    /// The `Domain` attribute (R6). Default: none, a host-only cookie.
    pub domain: Option<String>,
    /// Write `Partitioned` (CHIPS); requires `secure` (R11). Default: `false`.
    pub partitioned: bool,
    /// The `Priority` attribute (R15). Default: none.
    pub priority: Option<Priority>,
    /// What to do with a cookie the app writes against the rules. Default: `reject`.
    pub on_violation: OnViolation,
    /// Put the cookie and the rule in the body of a 500 caused by a cookie
    /// violation. Default: `false` (a generic body; the log always has the
    /// detail).
    pub explain_violations: bool,
    /// Let a production deployment start with cookies that are not
    /// `Secure`; read by servers that enforce a production profile.
    /// Default: `false`.
    pub allow_insecure_in_production: bool,
    /// The most seconds after it was issued that a protected session cookie
    /// (one without `max_age`) is accepted: its issue time is inside the MAC
    /// or ciphertext, so a copy kept longer is refused. Default: `86400`.
    pub max_session_age: u32,
    /// The most octets of `Cookie` header a request may carry, over all its
    /// `Cookie` fields (R16); more answers 431. Default: `8192`.
    pub max_header_bytes: usize,
    /// The most cookie pairs a request may carry (R16); more answers 431.
    /// Default: `100`.
    pub max_pairs: usize,
    /// Per-cookie overrides, keyed by cookie name: `[cookies.overrides.<name>]`.
    pub overrides: BTreeMap<String, CookieOverride>,
    /// Which unsafe requests from other origins are accepted (R23):
    /// `[cookies.cross_origin]`.
    pub cross_origin: CrossOriginConfig,
}

impl Default for CookiePolicyConfig {
    fn default() -> Self {
        Self {
            max_age: Lifetime::Session,
            http_only: true,
            secure: true,
            same_site: SameSite::Lax,
            path: "/".to_owned(),
            domain: None,
            partitioned: false,
            priority: None,
            on_violation: OnViolation::Reject,
            explain_violations: false,
            allow_insecure_in_production: false,
            max_session_age: 86_400,
            max_header_bytes: 8192,
            max_pairs: 100,
            overrides: BTreeMap::new(),
            cross_origin: CrossOriginConfig::default(),
        }
    }
}

/// Cross-origin protection (R23), `[cookies.cross_origin]`: a request with
/// an unsafe method (anything but GET, HEAD, OPTIONS and TRACE) that a
/// browser sent from another origin is answered 403
/// `cross_origin_request`, before any handler runs. The browser tells
/// with `Sec-Fetch-Site` (`cross-site` and `same-site` are refused,
/// `same-origin` and `none` accepted), or, where it sends no such header,
/// with an `Origin` that does not name the request's host. A request with
/// neither header (curl, another server) is accepted.
///
/// ```
/// use actix_cookie_policy::{CookiePolicy, CrossOriginConfig};
///
/// let cross_origin = CrossOriginConfig::default()
///     .trusted_origin("https://admin.example.com")
///     .exempt_path("/webhooks/");
/// let policy = CookiePolicy::builder().cross_origin(cross_origin).build()?;
/// assert_eq!(policy.config().cross_origin.exempt_paths, ["/webhooks/"]);
/// # Ok::<(), actix_cookie_policy::PolicyConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CrossOriginConfig {
    /// Refuse unsafe requests from other origins. Default: `true`.
    pub enabled: bool,
    /// Origins whose unsafe requests are accepted, as browsers send them:
    /// `scheme://host[:port]`, such as `"https://admin.example.com"`.
    /// Default: none.
    pub trusted_origins: Vec<String>,
    /// Paths whose unsafe requests are accepted from anywhere, such as a
    /// webhook that checks its own signature: an exact path, or every path
    /// under one that ends with `/`. Default: none.
    pub exempt_paths: Vec<String>,
}

impl Default for CrossOriginConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            trusted_origins: Vec::new(),
            exempt_paths: Vec::new(),
        }
    }
}

impl CrossOriginConfig {
    /// Turns the check on or off.
    pub fn enabled(mut self, on: bool) -> Self {
        self.enabled = on;
        self
    }

    /// Accepts unsafe requests from `origin` (`scheme://host[:port]`).
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted_origins.push(origin.into());
        self
    }

    /// Accepts unsafe requests to `path` (or under it, if it ends with
    /// `/`) from anywhere.
    pub fn exempt_path(mut self, path: impl Into<String>) -> Self {
        self.exempt_paths.push(path.into());
        self
    }
}

/// One cookie's exceptions to the policy: `[cookies.overrides.<name>]`.
/// Each field left out takes the policy's value.
///
/// ```
/// use actix_cookie_policy::{CookieOverride, Prefix, Protection};
///
/// let sid = CookieOverride::default()
///     .prefix(Prefix::Host)
///     .protection(Protection::Private)
///     .max_age(3600);
/// assert_eq!(sid.protection, Some(Protection::Private));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CookieOverride {
    /// `Max-Age` for this cookie, or `"session"`.
    pub max_age: Option<Lifetime>,
    /// `HttpOnly` for this cookie.
    pub http_only: Option<bool>,
    /// `Secure` for this cookie.
    pub secure: Option<bool>,
    /// `SameSite` for this cookie.
    pub same_site: Option<SameSite>,
    /// `Path` for this cookie.
    pub path: Option<String>,
    /// `Domain` for this cookie.
    pub domain: Option<String>,
    /// `Partitioned` for this cookie.
    pub partitioned: Option<bool>,
    /// `Priority` for this cookie.
    pub priority: Option<Priority>,
    /// A name prefix: `"host"` writes `__Host-<name>`, `"secure"` writes
    /// `__Secure-<name>`. Handlers keep using the plain name both ways; a
    /// plain-named copy sent by a client is ignored. Prefixed cookies are
    /// sensitive.
    pub prefix: Option<Prefix>,
    /// Treat the cookie as sensitive: a duplicate sent by a client makes it
    /// absent (a possible cookie-tossing attempt, R20), and a response that
    /// sets it gets `Cache-Control: no-store` (R22).
    pub sensitive: Option<bool>,
    /// Protect the value: `"signed"` (readable, with a MAC) or `"private"`
    /// (encrypted). Protected cookies are sensitive and need keys.
    pub protection: Option<Protection>,
}

impl CookieOverride {
    /// Sets `Max-Age` to `seconds` (1 to [`MAX_LIFETIME_SECONDS`]; other
    /// values are refused when the policy is built).
    pub fn max_age(mut self, seconds: u32) -> Self {
        self.max_age = Some(Lifetime::Seconds(seconds));
        self
    }

    /// Makes the cookie a session cookie (no `Max-Age`).
    pub fn session(mut self) -> Self {
        self.max_age = Some(Lifetime::Session);
        self
    }

    /// Sets `HttpOnly`.
    pub fn http_only(mut self, on: bool) -> Self {
        self.http_only = Some(on);
        self
    }

    /// Sets `Secure`.
    pub fn secure(mut self, on: bool) -> Self {
        self.secure = Some(on);
        self
    }

    /// Sets `SameSite`.
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }

    /// Sets `Path`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets `Domain`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Sets `Partitioned`.
    pub fn partitioned(mut self, on: bool) -> Self {
        self.partitioned = Some(on);
        self
    }

    /// Sets `Priority`.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Declares a name prefix.
    pub fn prefix(mut self, prefix: Prefix) -> Self {
        self.prefix = Some(prefix);
        self
    }

    /// Declares the cookie sensitive (or, with `false`, not).
    pub fn sensitive(mut self, on: bool) -> Self {
        self.sensitive = Some(on);
        self
    }

    /// Protects the value.
    pub fn protection(mut self, protection: Protection) -> Self {
        self.protection = Some(protection);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifetime(json: &str) -> Result<Lifetime, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_lifetime_is_seconds_within_400_days_or_session() {
        assert_eq!(lifetime("60"), Ok(Lifetime::Seconds(60)));
        assert_eq!(lifetime("\"60\""), Ok(Lifetime::Seconds(60)));
        assert_eq!(lifetime("\"session\""), Ok(Lifetime::Session));
        assert_eq!(
            lifetime("34560000"),
            Ok(Lifetime::Seconds(MAX_LIFETIME_SECONDS))
        );
        for bad in ["34560001", "0", "-5", "\"forever\""] {
            let e = lifetime(bad).unwrap_err();
            assert!(
                e.contains("expected a number of seconds from 1 to 34560000, or \"session\""),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn enums_read_both_spellings() {
        let s: SameSite = serde_json::from_str("\"Strict\"").unwrap();
        assert_eq!(s, SameSite::Strict);
        let s: SameSite = serde_json::from_str("\"none\"").unwrap();
        assert_eq!(s.as_str(), "None");
        let p: Priority = serde_json::from_str("\"high\"").unwrap();
        assert_eq!(p.as_str(), "High");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = serde_json::from_str::<CookiePolicyConfig>(r#"{"http_onyl":true}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `http_onyl`"), "{e}");
        let e = serde_json::from_str::<CookieOverride>(r#"{"httponly":true}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `httponly`"), "{e}");
    }
}
