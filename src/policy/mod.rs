//! The typed cookie policy and the layer that applies it.
//!
//! [`CookiePolicy`] says how every cookie of the app is written: Max-Age,
//! HttpOnly, Secure, SameSite, Path, Domain, Partitioned and Priority, with
//! per-cookie overrides. It is deserialized from the `[cookies]` table of the
//! configuration (or built in code from a [`CookiePolicyConfig`]), validated
//! once, and then shared by:
//!
//! - [`CookiePolicy::cookie`] and [`CookiePolicy::removal`], which build
//!   `actix_web::cookie::Cookie`s with the policy's attributes for a name;
//! - the middleware [`CookiePolicyLayer`], which hands the policy to every
//!   handler (through the [`Policy`] extractor) and, on the way out, fills in
//!   and checks every `Set-Cookie` header the app writes, including cookies a
//!   handler built by hand.
//!
//! ```
//! use cookie_policy::policy::{CookiePolicy, CookiePolicyConfig, SameSite};
//!
//! let policy = CookiePolicy::new(CookiePolicyConfig {
//!     same_site: SameSite::Strict,
//!     ..CookiePolicyConfig::default()
//! })?;
//! let cookie = policy.cookie("username", "alice")?;
//! assert_eq!(cookie.to_string(), "username=alice; HttpOnly; SameSite=Strict; Secure; Path=/");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod builder;
pub mod error;
pub mod extract;
pub mod grammar;
pub mod inbound;
pub mod middleware;
pub mod outbound;
pub mod prefix;
pub mod protect;
pub mod read;
pub mod testing;
pub mod typed;

use std::collections::BTreeMap;
use std::fmt;

use actix_web::cookie::{self, Cookie, time::Duration, time::OffsetDateTime};
use serde::{Deserialize, Serialize};

pub use builder::PolicyCookie;
pub use error::{CookieError, PolicyConfigError, ViolationKind};
pub use extract::Policy;
pub use inbound::{Diagnostic, DiagnosticKind, Diagnostics, LimitExceeded};
pub use middleware::CookiePolicyLayer;
pub use outbound::SetCookie;
pub use prefix::Prefix;
pub use protect::{KeyRing, Protection};
pub use read::{CookiePairs, RequestCookieExt};

/// The longest lifetime a user agent keeps a cookie: 400 days
/// (RFC 6265bis §5.5, rule R12).
pub const MAX_LIFETIME_SECONDS: u32 = 34_560_000;

/// The most octets of one attribute value that a user agent keeps (rule R4).
pub const MAX_ATTRIBUTE_VALUE_BYTES: usize = 1024;

/// The `SameSite` attribute (rules R10, R14).
///
/// Written in configuration in lower case (`"lax"`); the capitalised spelling
/// of the header (`"Lax"`) is accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    /// Sent only with same-site requests.
    #[serde(alias = "Strict")]
    Strict,
    /// Sent with same-site requests and top-level cross-site navigations.
    #[serde(alias = "Lax")]
    Lax,
    /// Sent with every request; requires `Secure` (rule R10).
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

/// The Chromium `Priority` attribute (rule R15), an eviction hint.
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
    /// `Max-Age` of this many seconds, at most [`MAX_LIFETIME_SECONDS`].
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
                // Environment variables arrive as strings when they do not parse as numbers.
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
///
/// No setting lets a violating cookie reach the client.
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
}

/// The `[cookies]` table of the configuration: the policy as written.
///
/// Every field has a secure default, so an empty table is a secure policy.
/// Turn it into a usable [`CookiePolicy`] with [`CookiePolicy::new`], which
/// validates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CookiePolicyConfig {
    /// `Max-Age` for cookies that set neither `Max-Age` nor `Expires`.
    /// Default: `"session"` (no `Max-Age`).
    pub max_age: Lifetime,
    /// Write `HttpOnly`, hiding the cookie from scripts. Default: `true`.
    pub http_only: bool,
    /// Write `Secure`, sending the cookie over HTTPS only. Default: `true`
    /// (the development profile turns it off). The production profile refuses
    /// `false` unless `allow_insecure_in_production` is set.
    pub secure: bool,
    /// The `SameSite` attribute, always written (rule R14). Default: `lax`.
    pub same_site: SameSite,
    /// The `Path` attribute; must start with `/`. Default: `"/"`.
    pub path: String,
    /// The `Domain` attribute. Default: none, a host-only cookie.
    pub domain: Option<String>,
    /// Write `Partitioned` (CHIPS); requires `secure`. Default: `false`.
    pub partitioned: bool,
    /// The `Priority` attribute (`low`, `medium`, `high`). Default: none.
    pub priority: Option<Priority>,
    /// What to do with a cookie the app writes against the rules. Default: `reject`.
    pub on_violation: OnViolation,
    /// Put the cookie and the rule in the body of a 500 caused by a cookie
    /// violation. Default: `false` (a generic body; the log always has the
    /// detail); the development profile turns it on.
    pub explain_violations: bool,
    /// Let the production profile start with cookies that are not `Secure`.
    /// Default: `false`.
    pub allow_insecure_in_production: bool,
    /// The most seconds after it was issued that a protected cookie without
    /// `max_age` (a session cookie) is accepted: its issue time is inside the
    /// MAC or ciphertext, so a copy kept past this is refused. Default:
    /// `86400` (a day).
    pub max_session_age: u32,
    /// The most octets of `Cookie` header a request may carry, over all its
    /// `Cookie` fields (R16); more answers 431. Default: `8192`.
    pub max_header_bytes: usize,
    /// The most cookie pairs a request may carry (R16); more answers 431.
    /// Default: `100`.
    pub max_pairs: usize,
    /// Per-cookie overrides, keyed by cookie name: `[cookies.overrides.<name>]`.
    pub overrides: BTreeMap<String, CookieOverride>,
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
        }
    }
}

/// One cookie's exceptions to the policy: `[cookies.overrides.<name>]`.
///
/// Each field left out takes the policy's value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// A name prefix: `"host"` writes `__Host-<name>` (Secure, `Path=/`, no
    /// Domain), `"secure"` writes `__Secure-<name>` (Secure). Handlers keep
    /// using the plain name both ways; a plain-named copy sent by a client is
    /// ignored. Prefixed cookies are sensitive.
    pub prefix: Option<Prefix>,
    /// Treat the cookie as sensitive: a duplicate sent by a client makes it
    /// absent (a possible cookie-tossing attempt, R20), and a response that
    /// sets it gets `Cache-Control: no-store` (R22).
    pub sensitive: Option<bool>,
    /// Protect the value on the way out and verify it on the way in:
    /// `"signed"` (readable, HMAC tag) or `"private"` (encrypted). Handlers
    /// read and write the plain value. Protected cookies are sensitive.
    pub protection: Option<Protection>,
}

/// The attributes the policy writes for one cookie name: its override, if
/// any, over the policy's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieAttributes {
    /// `Max-Age`, or a session cookie.
    pub max_age: Lifetime,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `SameSite`.
    pub same_site: SameSite,
    /// `Path`.
    pub path: String,
    /// `Domain`, without a leading dot; `None` for a host-only cookie.
    pub domain: Option<String>,
    /// `Partitioned`.
    pub partitioned: bool,
    /// `Priority`.
    pub priority: Option<Priority>,
    /// The declared name prefix, if any.
    pub prefix: Option<Prefix>,
    /// Duplicates are refused inbound and responses setting it are not cached.
    pub sensitive: bool,
    /// How the value is protected, if it is.
    pub protection: Option<Protection>,
    /// These attributes as the canonical header writes them, written once
    /// when the policy is loaded.
    pub(crate) rendered: Rendered,
}

/// The canonical `Set-Cookie` text of a [`CookieAttributes`], around the
/// per-cookie parts: `name=value` + `head` + `; Max-Age=N` + `tail`. Written
/// with the same code as every other canonical header, so that
/// `policy.set_cookie` copies it instead of formatting each attribute, and
/// the layer recognises such a header with one comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rendered {
    /// `; HttpOnly; SameSite=Lax; Secure; Path=/; Domain=example.com`: what
    /// comes before `Max-Age`.
    pub head: String,
    /// `; Partitioned; Priority=High`: what comes after `Max-Age`.
    pub tail: String,
}

impl Rendered {
    fn of(a: &CookieAttributes) -> Self {
        let head = SetCookie {
            domain: a.domain.as_deref().map(std::borrow::Cow::Borrowed),
            path: Some(std::borrow::Cow::Borrowed(&a.path)),
            secure: a.secure,
            http_only: a.http_only,
            same_site: Some(a.same_site),
            ..SetCookie::default()
        };
        let tail = SetCookie {
            partitioned: a.partitioned,
            priority: a.priority,
            ..SetCookie::default()
        };
        // Both render as "=" + the attributes: the name and value are empty.
        let strip = |c: SetCookie<'_>| c.to_string().split_off(1);
        Self {
            head: strip(head),
            tail: strip(tail),
        }
    }
}

impl CookieAttributes {
    /// Whether a cookie written with these attributes under `name` is
    /// sensitive: declared so, or carrying a prefix.
    pub(crate) fn is_sensitive_name(&self, name: &str) -> bool {
        self.sensitive || prefix::of(name).is_some()
    }

    fn from_config(c: &CookiePolicyConfig) -> Self {
        Self {
            max_age: c.max_age,
            http_only: c.http_only,
            secure: c.secure,
            same_site: c.same_site,
            path: c.path.clone(),
            domain: c.domain.clone(),
            partitioned: c.partitioned,
            priority: c.priority,
            prefix: None,
            sensitive: false,
            protection: None,
            rendered: Rendered::default(),
        }
        .rendered()
    }

    /// The same attributes with `rendered` written from them.
    fn rendered(mut self) -> Self {
        self.rendered = Rendered::of(&self);
        self
    }

    fn with_override(&self, o: &CookieOverride) -> Self {
        Self {
            max_age: o.max_age.unwrap_or(self.max_age),
            http_only: o.http_only.unwrap_or(self.http_only),
            secure: o.secure.unwrap_or(self.secure),
            same_site: o.same_site.unwrap_or(self.same_site),
            path: o.path.clone().unwrap_or_else(|| self.path.clone()),
            domain: o.domain.clone().or_else(|| self.domain.clone()),
            partitioned: o.partitioned.unwrap_or(self.partitioned),
            priority: o.priority.or(self.priority),
            prefix: o.prefix,
            sensitive: o
                .sensitive
                .unwrap_or(o.prefix.is_some() || o.protection.is_some()),
            protection: o.protection,
            rendered: Rendered::default(),
        }
    }

    /// Meets the declared prefix's requirements: `Secure` for both, and for
    /// `__Host-` also `Path=/` and no `Domain`. What the override itself
    /// says against them is an error (R7, R8); what it only inherits from
    /// the defaults is set right.
    fn apply_prefix(&mut self, o: &CookieOverride, key: &str) -> Result<(), PolicyConfigError> {
        if o.sensitive == Some(false) && (o.prefix.is_some() || o.protection.is_some()) {
            return Err(PolicyConfigError {
                key: format!("{key}.sensitive"),
                message:
                    "a prefixed or protected cookie is always sensitive; remove sensitive = false"
                        .to_owned(),
            });
        }
        let Some(prefix) = self.prefix else {
            return Ok(());
        };
        let err = |field: &str, what: &str, rule: &str| PolicyConfigError {
            key: format!("{key}.{field}"),
            message: format!(
                "prefix = \"{}\" requires {what} ({rule})",
                match prefix {
                    Prefix::Host => "host",
                    Prefix::Secure => "secure",
                }
            ),
        };
        let rule = if prefix == Prefix::Host { "R8" } else { "R7" };
        if o.secure == Some(false) {
            return Err(err("secure", "secure = true", rule));
        }
        self.secure = true;
        if prefix == Prefix::Host {
            if o.path.as_deref().is_some_and(|p| p != "/") {
                return Err(err("path", "path = \"/\"", rule));
            }
            if o.domain.is_some() {
                return Err(err("domain", "no domain", rule));
            }
            self.path = "/".to_owned();
            self.domain = None;
        }
        Ok(())
    }

    /// Checks these attributes against the rules a configuration can break,
    /// normalizing a leading dot of `Domain` (R6). `key` is the configuration
    /// key the attributes came from, for the error message.
    fn validate(&mut self, key: &str) -> Result<(), PolicyConfigError> {
        let err = |field: &str, message: String| PolicyConfigError {
            key: format!("{key}.{field}"),
            message,
        };
        if let Err((kind, message)) = outbound::check_path(&self.path) {
            return Err(err("path", format!("{message} ({})", kind.rule())));
        }
        if let Some(domain) = &self.domain {
            match outbound::normalize_domain(domain) {
                Ok(d) if outbound::is_listed_public_suffix(&d) => {
                    return Err(err(
                        "domain",
                        format!(
                            "{d:?} is a public suffix, which browsers refuse as a cookie domain (R6)"
                        ),
                    ));
                }
                Ok(d) => self.domain = Some(d.into_owned()),
                Err(message) => return Err(err("domain", format!("{message} (R6)"))),
            }
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(err(
                "same_site",
                "same_site = \"none\" requires secure = true, or browsers ignore the cookie (R10)"
                    .to_owned(),
            ));
        }
        if self.partitioned && !self.secure {
            return Err(err(
                "partitioned",
                "partitioned = true requires secure = true, or browsers ignore the cookie (R11)"
                    .to_owned(),
            ));
        }
        if self.partitioned
            && (self.same_site != SameSite::None || self.prefix != Some(Prefix::Host))
        {
            // R11: legal, but CHIPS recommends both, and some browsers take
            // Partitioned only with SameSite=None.
            log::warn!(
                "{key}: a partitioned cookie should have same_site = \"none\" and prefix = \"host\" (R11)"
            );
        }
        // Validation may normalize; the text follows what is finally kept.
        self.rendered = Rendered::of(self);
        Ok(())
    }
}

/// How the inbound layer reads one name from the wire: see
/// [`CookiePolicy::inbound_name`].
pub(crate) struct InboundName<'p> {
    /// The declared name the app sees (`sid` for `__Host-sid`), when the
    /// name on the wire is a declared prefixed one.
    pub declared: Option<&'p str>,
    /// Declared sensitive or prefixed, or carrying a prefix.
    pub sensitive: bool,
    /// The attributes of the cookie.
    pub attrs: &'p CookieAttributes,
}

/// A 64-bit summary of a set of names, one bit per (length, last byte):
/// a clear bit proves the name is not in the set, so most names skip the
/// map lookups (string comparisons) entirely. Not keyed: the names come
/// from the configuration, so a client can at worst make a name cost the
/// lookup it cost before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NameFilter(u64);

impl NameFilter {
    /// The one bit of `name`: (length, last byte) folded into 64. The layer's
    /// duplicate checks use the same bit.
    pub(crate) fn bit(name: &[u8]) -> u64 {
        let last = name.last().copied().unwrap_or(0) as usize;
        1 << ((name.len().wrapping_mul(31).wrapping_add(last)) % 64)
    }

    fn insert(&mut self, name: &str) {
        self.0 |= Self::bit(name.as_bytes());
    }

    fn may_contain(self, name: &str) -> bool {
        self.0 & Self::bit(name.as_bytes()) != 0
    }
}

/// The validated cookie policy.
///
/// Build it with [`CookiePolicy::new`] from a [`CookiePolicyConfig`], or
/// deserialize it directly from the `[cookies]` table (validation errors then
/// surface as deserialization errors naming the key).
/// [`CookiePolicy::default`] is the secure default policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "CookiePolicyConfig")]
pub struct CookiePolicy {
    /// Unique to this policy in the process (clones share it: they write
    /// the same headers). Names the policy a header was written under,
    /// where an address could be reused by the next policy
    /// ([`builder`]'s record of the last header `set_cookie` wrote).
    id: PolicyId,
    config: CookiePolicyConfig,
    defaults: CookieAttributes,
    // BTreeMaps: a handful of names, compared without hashing on every lookup.
    overrides: BTreeMap<String, CookieAttributes>,
    /// Prefixed names on the wire (`__Host-sid`) to their declared names (`sid`).
    declared: BTreeMap<String, String>,
    /// Every key of `overrides` and `declared`, summarized: a name outside
    /// it needs no lookup in either map.
    names: NameFilter,
    /// The keys of protected cookies; `None` when no cookie is protected.
    keys: Option<std::sync::Arc<KeyRing>>,
}

impl Default for CookiePolicy {
    fn default() -> Self {
        // The default configuration is valid by construction (tested below).
        let config = CookiePolicyConfig::default();
        Self {
            id: PolicyId::next(),
            defaults: CookieAttributes::from_config(&config),
            overrides: BTreeMap::new(),
            declared: BTreeMap::new(),
            names: NameFilter::default(),
            keys: None,
            config,
        }
    }
}

/// Equal when built from the same configuration (with everything resolved
/// from it), whatever their identities. Key rings are never compared by
/// content (see `KeyRing`'s `PartialEq`), so two equal policies may still
/// seal differently: one more reason the record of written headers goes by
/// identity, never by `==`.
impl PartialEq for CookiePolicy {
    fn eq(&self, other: &Self) -> bool {
        // Taken apart field by field, so that a field added later cannot be
        // left out of the comparison without the compiler saying so.
        let Self {
            id: _,
            config,
            defaults,
            overrides,
            declared,
            names,
            keys,
        } = self;
        *config == other.config
            && *defaults == other.defaults
            && *overrides == other.overrides
            && *declared == other.declared
            && *names == other.names
            && *keys == other.keys
    }
}

/// A number no other [`CookiePolicy`] built in this process has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PolicyId(u64);

impl PolicyId {
    /// A fresh identity. 64 bits do not wrap in the life of a process.
    fn next() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Self(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    /// Matches no policy: what a record holds before anything was written.
    pub(crate) const NONE: Self = Self(0);
}

impl TryFrom<CookiePolicyConfig> for CookiePolicy {
    type Error = PolicyConfigError;

    fn try_from(config: CookiePolicyConfig) -> Result<Self, Self::Error> {
        Self::new(config)
    }
}

impl Serialize for CookiePolicy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.config.serialize(serializer)
    }
}

impl CookiePolicy {
    /// Validates a configuration and resolves every override against the
    /// defaults, so that the layer does no merging per request.
    ///
    /// Fails, naming the key, on an override name that is not an RFC token
    /// (R1), a path not starting with `/` (R5), a domain that is not a plain
    /// host name (R6), `SameSite=None` or `Partitioned` without `Secure` (R10,
    /// R11).
    pub fn new(config: CookiePolicyConfig) -> Result<Self, PolicyConfigError> {
        let mut defaults = CookieAttributes::from_config(&config);
        defaults.validate("cookies")?;
        for (key, value) in [
            ("max_session_age", config.max_session_age as usize),
            ("max_header_bytes", config.max_header_bytes),
            ("max_pairs", config.max_pairs),
        ] {
            if value == 0 {
                return Err(PolicyConfigError {
                    key: format!("cookies.{key}"),
                    message: "must be at least 1".to_owned(),
                });
            }
        }
        let mut overrides = BTreeMap::new();
        let mut declared = BTreeMap::new();
        for (name, o) in &config.overrides {
            let key = format!("cookies.overrides.{name}");
            if let Err(e) = outbound::check_name(name) {
                return Err(PolicyConfigError {
                    key,
                    message: e.explanation(),
                });
            }
            if let Some((req, _)) = prefix::of(name) {
                return Err(PolicyConfigError {
                    key,
                    message: format!(
                        "declare the plain name and prefix = \"host\" or \"secure\" instead of writing the {} prefix into the name",
                        req.prefix
                    ),
                });
            }
            let mut attrs = defaults.with_override(o);
            attrs.apply_prefix(o, &key)?;
            attrs.validate(&key)?;
            if let Some(p) = attrs.prefix {
                declared.insert(format!("{}{name}", p.as_str()), name.clone());
            }
            overrides.insert(name.clone(), attrs);
        }
        // Protected cookies need keys: until `with_keys` gives configured
        // ones, a random key for this process (the server refuses that in
        // production; CookiePolicyLayer warns about it).
        let keys = if overrides.values().any(|a| a.protection.is_some()) {
            let ring = KeyRing::ephemeral().map_err(|e| PolicyConfigError {
                key: "keys".to_owned(),
                message: format!("no randomness to make a key: {e}"),
            })?;
            Some(std::sync::Arc::new(ring))
        } else {
            None
        };
        let mut names = NameFilter::default();
        for name in overrides.keys().chain(declared.keys()) {
            names.insert(name);
        }
        Ok(Self {
            id: PolicyId::next(),
            config,
            defaults,
            overrides,
            declared,
            names,
            keys,
        })
    }

    /// This policy with `keys` protecting and verifying its protected cookies.
    pub fn with_keys(mut self, keys: KeyRing) -> Self {
        self.keys = Some(std::sync::Arc::new(keys));
        // Another policy now: what the old one wrote is not this one's.
        self.id = PolicyId::next();
        self
    }

    /// The identity of this policy (and of its clones) in this process.
    pub(crate) fn id(&self) -> PolicyId {
        self.id
    }

    /// Whether `name` may be declared: `false` rules it out with one bit
    /// test; `true` needs a lookup.
    pub(crate) fn may_declare(&self, name: &[u8]) -> bool {
        self.names.0 & NameFilter::bit(name) != 0
    }

    /// The key ring, when a cookie is protected or keys were given.
    pub fn keys(&self) -> Option<&KeyRing> {
        self.keys.as_deref()
    }

    /// Whether any cookie is declared protected.
    pub fn has_protected_cookies(&self) -> bool {
        self.overrides.values().any(|a| a.protection.is_some())
    }

    /// The configuration this policy was built from.
    pub fn config(&self) -> &CookiePolicyConfig {
        &self.config
    }

    /// The attributes the policy writes for the cookie `name`, given as
    /// declared (`sid`) or as sent on the wire (`__Host-sid`).
    pub fn attributes(&self, name: &str) -> &CookieAttributes {
        if !self.names.may_contain(name) {
            return &self.defaults;
        }
        self.overrides
            .get(name)
            .or_else(|| self.declared.get(name).and_then(|d| self.overrides.get(d)))
            .unwrap_or(&self.defaults)
    }

    /// [`Self::attributes`] for a name given as bytes; a name that is not
    /// UTF-8 is declared nowhere.
    pub(crate) fn attributes_of(&self, name: &[u8]) -> &CookieAttributes {
        if !self.may_declare(name) {
            return &self.defaults;
        }
        std::str::from_utf8(name).map_or(&self.defaults, |n| self.attributes(n))
    }

    /// How the inbound layer reads a (checked, canonically prefixed or
    /// unprefixed) name from the wire, `prefixed` when [`prefix::of`] found
    /// a prefix: in at most one lookup, the declared name the app sees
    /// instead, sensitivity and the attributes (as [`Self::attributes`]),
    /// or `None` for a cookie declared with a prefix but sent under its
    /// plain name.
    pub(crate) fn inbound_name(&self, wire: &str, prefixed: bool) -> Option<InboundName<'_>> {
        let plain = InboundName {
            declared: None,
            sensitive: prefixed,
            attrs: &self.defaults,
        };
        // Most names are declared nowhere: no lookup at all.
        if !self.names.may_contain(wire) {
            return Some(plain);
        }
        if prefixed {
            // `new` refuses a prefix in an override's name, so a prefixed
            // name can only be a key of `declared`.
            return Some(match self.declared.get(wire) {
                Some(d) => InboundName {
                    declared: Some(d),
                    sensitive: true,
                    attrs: self.overrides.get(d).unwrap_or(&self.defaults),
                },
                None => plain,
            });
        }
        // `declared` holds prefixed names only: the overrides decide.
        match self.overrides.get(wire) {
            Some(a) if a.prefix.is_some() => None,
            Some(a) => Some(InboundName {
                declared: None,
                sensitive: a.sensitive,
                attrs: a,
            }),
            None => Some(plain),
        }
    }

    /// The declared name of a prefixed name on the wire: `sid` for
    /// `__Host-sid` when `sid` is declared with `prefix = "host"`.
    pub fn declared_name(&self, wire: &str) -> Option<&str> {
        self.declared.get(wire).map(String::as_str)
    }

    /// The name a cookie is sent under: the declared prefix in front of a
    /// declared name, the name itself otherwise.
    pub fn wire_name<'n>(&self, name: &'n str) -> std::borrow::Cow<'n, str> {
        self.wire(std::borrow::Cow::Borrowed(name), self.attributes(name))
    }

    /// Whether `name` (declared or on the wire) is sensitive: declared with
    /// `sensitive = true` or a prefix, or carrying a prefix itself.
    pub fn is_sensitive(&self, name: &str) -> bool {
        self.attributes(name).is_sensitive_name(name)
    }

    /// Whether any cookie this policy writes may go out without `Secure`.
    pub fn allows_insecure_cookies(&self) -> bool {
        !self.defaults.secure || self.overrides.values().any(|a| !a.secure)
    }

    /// Builds the cookie `name=value` with every attribute the policy gives
    /// that name.
    ///
    /// Refuses a name that is not an RFC 9110 token (R1) or a value with a
    /// byte outside `cookie-octet` (R2), naming the cookie and the byte; the
    /// error answers 500 if a handler returns it. Attributes set on the
    /// returned cookie afterwards (for example `set_max_age`) win over the
    /// policy. `Partitioned` and `Priority`, which `actix_web::cookie` cannot
    /// express, are added by [`CookiePolicyLayer`] on the way out.
    ///
    /// The cookie borrows its `Path` and `Domain` from the policy, so
    /// building it allocates nothing for them; use
    /// [`Cookie::into_owned`] to keep it longer than the policy.
    pub fn cookie<'c>(
        &'c self,
        name: impl Into<std::borrow::Cow<'c, str>>,
        value: impl Into<std::borrow::Cow<'c, str>>,
    ) -> Result<Cookie<'c>, CookieError> {
        let (name, value) = (name.into(), value.into());
        outbound::check_name(&name)?;
        outbound::check_value(&name, &value)?;
        let attrs = self.attributes(&name);
        let mut cookie = Cookie::new(self.wire(name, attrs), value);
        self.apply(&mut cookie, attrs);
        if let Some(seconds) = attrs.max_age.seconds() {
            cookie.set_max_age(Duration::seconds(i64::from(seconds)));
        }
        Ok(cookie)
    }

    /// Runs the whole outbound pipeline on one cookie, as the middleware
    /// will on the way out (without the check against the request's host):
    /// fills it from the policy, checks every rule, and returns what would
    /// be sent. Use it to refuse a client's input before building a response.
    pub fn check(&self, cookie: &Cookie<'_>) -> Result<SetCookie<'static>, CookieError> {
        let text = cookie.to_string();
        let mut c = SetCookie::parse(&text)?;
        outbound::prepare(self, &mut c, std::time::SystemTime::now(), &|| None)?;
        Ok(c.into_owned())
    }

    /// Builds the typed cookie `C` holding `value`, encoded with its codec,
    /// with the policy's attributes for `C::NAME`.
    pub fn typed_cookie<C: typed::TypedCookie>(
        &self,
        value: &C::Value,
    ) -> Result<Cookie<'_>, CookieError> {
        use typed::Codec as _;
        let text = C::Codec::encode(value).map_err(|e| {
            CookieError::new(
                C::NAME,
                ViolationKind::InvalidValue,
                format!("the value cannot be encoded: {e}"),
            )
        })?;
        self.cookie(C::NAME, text)
    }

    /// Builds the removal cookie for `name`: an empty value, `Max-Age=0` and
    /// `Expires` in 1970, with the same `Path`, `Domain`, `Secure`,
    /// `SameSite` (and, on the way out, `Partitioned`) that the policy
    /// writes the cookie with, so that the browser matches and removes it.
    pub fn removal<'c>(
        &'c self,
        name: impl Into<std::borrow::Cow<'c, str>>,
    ) -> Result<Cookie<'c>, CookieError> {
        let name = name.into();
        outbound::check_name(&name)?;
        let attrs = self.attributes(&name);
        let mut cookie = Cookie::new(self.wire(name, attrs), "");
        self.apply(&mut cookie, attrs);
        cookie.set_max_age(Duration::ZERO);
        cookie.set_expires(OffsetDateTime::UNIX_EPOCH);
        Ok(cookie)
    }

    /// The wire name for a checked name: prefixed when declared with a prefix
    /// and not already written with it. Inline, so that the usual name (no
    /// declared prefix) costs one comparison and no call.
    #[inline]
    fn wire<'c>(
        &self,
        name: std::borrow::Cow<'c, str>,
        attrs: &CookieAttributes,
    ) -> std::borrow::Cow<'c, str> {
        match attrs.prefix {
            Some(p) => self.prefixed(name, p),
            None => name,
        }
    }

    /// [`Self::wire`] for a name whose attributes declare a prefix.
    #[inline(never)]
    fn prefixed<'c>(
        &self,
        name: std::borrow::Cow<'c, str>,
        p: Prefix,
    ) -> std::borrow::Cow<'c, str> {
        if self.overrides.contains_key(name.as_ref()) {
            std::borrow::Cow::Owned(format!("{}{name}", p.as_str()))
        } else {
            name
        }
    }

    fn apply<'c>(&self, cookie: &mut Cookie<'c>, attrs: &'c CookieAttributes) {
        cookie.set_path(attrs.path.as_str());
        if let Some(domain) = &attrs.domain {
            cookie.set_domain(domain.as_str());
        }
        cookie.set_secure(attrs.secure);
        cookie.set_http_only(attrs.http_only);
        cookie.set_same_site(cookie::SameSite::from(attrs.same_site));
    }
}

/// Adds a cookie to a response only when its name and value meet the cookie
/// grammar (R1, R2).
///
/// The layer checks every `Set-Cookie`, but actix-web writes a cookie's value
/// verbatim, so once a hand-built `Cookie::new("token", input)` has become a
/// header, an `input` of `x; Domain=example.com` cannot be told apart from
/// real attributes. [`CookiePolicy::cookie`] checks the value first; for a
/// cookie built by hand from untrusted input, add it with `checked_cookie`.
///
/// ```
/// use actix_web::{HttpResponse, cookie::Cookie};
/// use cookie_policy::policy::{CookieError, ResponseCookieExt};
///
/// fn respond(input: &str) -> Result<HttpResponse, CookieError> {
///     Ok(HttpResponse::Ok().checked_cookie(Cookie::new("token", input))?.finish())
/// }
/// assert!(respond("abc123").is_ok());
/// assert!(respond("x; Domain=example.com").is_err());
/// ```
pub trait ResponseCookieExt {
    /// Checks the cookie's name (R1) and value (R2), then adds it.
    fn checked_cookie(&mut self, cookie: Cookie<'_>) -> Result<&mut Self, CookieError>;
}

impl ResponseCookieExt for actix_web::HttpResponseBuilder {
    fn checked_cookie(&mut self, cookie: Cookie<'_>) -> Result<&mut Self, CookieError> {
        outbound::check_name(cookie.name())?;
        outbound::check_value(cookie.name(), cookie.value())?;
        Ok(self.cookie(cookie))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(toml_src: &str) -> Result<CookiePolicy, String> {
        use figment::providers::Format;
        figment::Figment::from(figment::providers::Toml::string(toml_src))
            .extract::<CookiePolicy>()
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_default_policy_is_the_secure_one_and_is_valid() {
        let p = CookiePolicy::default();
        assert_eq!(
            CookiePolicy::new(CookiePolicyConfig::default()),
            Ok(p.clone())
        );
        let a = p.attributes("anything");
        assert_eq!(a.max_age, Lifetime::Session);
        assert!(a.http_only && a.secure && !a.partitioned);
        assert_eq!(a.same_site, SameSite::Lax);
        assert_eq!(a.path, "/");
        assert_eq!(a.domain, None);
        assert_eq!(a.priority, None);
    }

    #[test]
    fn cookie_carries_every_attribute_of_the_policy() {
        let p = policy("max_age = 60\nsame_site = \"strict\"\ndomain = \"example.com\"").unwrap();
        let c = p.cookie("a", "b").unwrap();
        assert_eq!(
            c.to_string(),
            "a=b; HttpOnly; SameSite=Strict; Secure; Path=/; Domain=example.com; Max-Age=60"
        );
    }

    #[test]
    fn an_override_wins_over_the_defaults_for_its_cookie_only() {
        let p = policy(
            "[overrides.theme]\nhttp_only = false\nmax_age = 3600\npath = \"/app\"\nsame_site = \"Strict\"",
        )
        .unwrap();
        assert_eq!(
            p.cookie("theme", "dark").unwrap().to_string(),
            "theme=dark; SameSite=Strict; Secure; Path=/app; Max-Age=3600"
        );
        assert_eq!(
            p.cookie("other", "x").unwrap().to_string(),
            "other=x; HttpOnly; SameSite=Lax; Secure; Path=/"
        );
    }

    #[test]
    fn an_override_can_make_a_cookie_a_session_cookie_again() {
        let p = policy("max_age = 60\n[overrides.sid]\nmax_age = \"session\"").unwrap();
        assert_eq!(p.attributes("sid").max_age, Lifetime::Session);
        assert_eq!(p.cookie("sid", "1").unwrap().max_age(), None);
    }

    #[test]
    fn per_call_attributes_win_over_the_policy() {
        let p = CookiePolicy::default();
        let mut c = p.cookie("mycookie", "cookievalue").unwrap();
        c.set_max_age(Duration::seconds(1800));
        c.set_same_site(cookie::SameSite::Strict);
        assert_eq!(
            c.to_string(),
            "mycookie=cookievalue; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=1800"
        );
    }

    #[test]
    fn cookie_refuses_a_bad_name_naming_the_byte() {
        let e = CookiePolicy::default()
            .cookie("user name", "x")
            .unwrap_err();
        assert_eq!(e.kind(), ViolationKind::InvalidName);
        assert_eq!(
            e.to_string(),
            "cookie `user name`: byte 0x20 (space) at position 4 is not allowed in a cookie name, which must be an RFC 9110 token (R1)"
        );
        let e = CookiePolicy::default().cookie("", "x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "cookie ``: a cookie name must not be empty (R1)"
        );
    }

    #[test]
    fn cookie_refuses_a_bad_value_naming_the_byte() {
        let e = CookiePolicy::default()
            .cookie("a", "x; Domain=evil.example")
            .unwrap_err();
        assert_eq!(e.kind(), ViolationKind::InvalidValue);
        assert_eq!(
            e.to_string(),
            "cookie `a`: byte 0x3B (';') at position 1 is not allowed in a cookie value; encode the value, for example as base64url (R2)"
        );
        for bad in ["a\r\nb", "a b", "a,b", "a\\b", "a\"b", "é"] {
            assert!(CookiePolicy::default().cookie("a", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn removal_matches_the_cookie_it_removes() {
        let p = policy(
            "same_site = \"none\"\n[overrides.sid]\npath = \"/app\"\ndomain = \".example.com\"\npartitioned = true",
        )
        .unwrap();
        assert_eq!(
            p.removal("sid").unwrap().to_string(),
            "sid=; HttpOnly; SameSite=None; Secure; Path=/app; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    #[test]
    fn a_leading_dot_in_domain_is_normalized() {
        let p = policy("domain = \".Example.com\"").unwrap();
        assert_eq!(p.attributes("x").domain.as_deref(), Some("example.com"));
    }

    #[test]
    fn invalid_configurations_are_refused_naming_the_key() {
        let cases = [
            (
                "path = \"app\"",
                "cookies.path: a path must start with '/', got \"app\" (R5)",
            ),
            (
                "path = \"/app \"",
                "cookies.path: a path must not end with a space, which is trimmed when the header is read, got \"/app \" (R5)",
            ),
            (
                "same_site = \"none\"\nsecure = false",
                "cookies.same_site: same_site = \"none\" requires secure = true, or browsers ignore the cookie (R10)",
            ),
            (
                "[overrides.x]\npartitioned = true\nsecure = false",
                "cookies.overrides.x.partitioned: partitioned = true requires secure = true, or browsers ignore the cookie (R11)",
            ),
            (
                "[overrides.\"a b\"]\nsecure = true",
                "cookies.overrides.a b: byte 0x20 (space) at position 1 is not allowed in a cookie name, which must be an RFC 9110 token (R1)",
            ),
            (
                "domain = \"example.com:8080\"",
                "cookies.domain: a domain must be a plain host name of letters, digits, '-' and '.', got \"example.com:8080\" (R6)",
            ),
        ];
        for (src, want) in cases {
            let got = policy(src).unwrap_err();
            assert!(got.contains(want), "{src}\n got: {got}\nwant: {want}");
        }
    }

    #[test]
    fn lifetimes_over_400_days_or_of_wrong_type_are_refused() {
        assert!(policy("max_age = 34560000").is_ok());
        for src in [
            "max_age = 34560001",
            "max_age = 0",
            "max_age = -5",
            "max_age = \"forever\"",
        ] {
            let e = policy(src).unwrap_err();
            assert!(
                e.contains("expected a number of seconds from 1 to 34560000, or \"session\""),
                "{src}: {e}"
            );
        }
    }

    #[test]
    fn unknown_keys_and_enum_values_are_refused() {
        assert!(
            policy("http_onyl = true")
                .unwrap_err()
                .contains("unknown field: found `http_onyl`")
        );
        assert!(
            policy("same_site = \"relaxed\"")
                .unwrap_err()
                .contains("unknown variant")
        );
        assert!(
            policy("[overrides.x]\nhttponly = true")
                .unwrap_err()
                .contains("`httponly`")
        );
    }
}
