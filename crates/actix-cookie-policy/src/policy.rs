//! [`CookiePolicy`]: the policy validated once, the attributes it gives each
//! cookie name, and the cookies it builds; and [`CookiePolicyBuilder`], to
//! write one in code.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwapOption;

use cookie::Cookie;
use cookie::time::{Duration, OffsetDateTime};

use crate::attributes::CookieAttributes;
use crate::config::{
    CookieOverride, CookiePolicyConfig, CrossOriginConfig, Lifetime, OnViolation, Priority,
    SameSite,
};
use crate::cross_origin::CrossOrigin;
use crate::error::{CookieError, PolicyConfigError, ViolationKind};
use crate::keys::{KeyRing, unix_seconds};
use crate::report::Reported;
use crate::rules;
use crate::set_cookie::{PolicyText, SetCookie};
use crate::typed::{Codec, TypedCookie};

/// The validated cookie policy: how every cookie of the app is written.
///
/// Build it from configuration with [`CookiePolicy::new`], or in code with
/// [`CookiePolicy::builder`]; [`CookiePolicy::default`] is the secure
/// default (HttpOnly, Secure, SameSite=Lax, Path=/, session lifetime).
/// Wrap the app in [`CookiePolicyLayer`](crate::CookiePolicyLayer) to apply
/// it to every cookie the app writes and reads.
///
/// ```
/// use actix_cookie_policy::{CookieOverride, CookiePolicy, SameSite};
///
/// let policy = CookiePolicy::builder()
///     .same_site(SameSite::Strict)
///     .cookie("theme", CookieOverride::default().http_only(false).max_age(3600))
///     .build()?;
/// assert_eq!(
///     policy.cookie("username", "alice")?.to_string(),
///     "username=alice; HttpOnly; SameSite=Strict; Secure; Path=/"
/// );
/// assert_eq!(
///     policy.cookie("theme", "dark")?.to_string(),
///     "theme=dark; SameSite=Strict; Secure; Path=/; Max-Age=3600"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CookiePolicy {
    config: CookiePolicyConfig,
    /// What the policy gives a name it has no override for.
    defaults: Declaration,
    /// Each name with an override (`sid`), and the prefixed name a declared
    /// prefix sends it under (`__Host-sid`), to what the policy gives it.
    declared: BTreeMap<String, Declaration>,
    /// Shared by the policy's clones, so that [`CookiePolicy::replace_keys`]
    /// reaches every worker that holds one.
    keys: Arc<ArcSwapOption<KeyRing>>,
    /// In the `report` mode, what was already logged.
    reported: Arc<Reported>,
    /// The check of unsafe requests from other origins (R23).
    cross_origin: Arc<CrossOrigin>,
}

/// A policy serializes as the configuration it was built from (never its keys).
impl serde::Serialize for CookiePolicy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.config.serialize(serializer)
    }
}

impl Default for CookiePolicy {
    /// The secure default policy, from [`CookiePolicyConfig::default`].
    fn default() -> Self {
        // A test builds this same configuration and finds it valid.
        Self::new(CookiePolicyConfig::default(), None).expect("the default configuration is valid")
    }
}

/// What the policy gives the cookies of one name.
#[derive(Debug, Clone)]
pub(crate) struct Declaration {
    /// The name as declared (`sid`, never `__Host-sid`); empty for the defaults.
    pub name: String,
    /// The attributes, resolved once.
    pub attrs: CookieAttributes,
    /// The text those attributes are written as.
    pub text: PolicyText,
}

impl Declaration {
    fn new(name: &str, attrs: CookieAttributes) -> Self {
        Self {
            name: name.to_owned(),
            text: PolicyText::of(&attrs),
            attrs,
        }
    }
}

/// How the `Cookie` header parser reads one name from the wire.
pub(crate) enum WireName<'p> {
    /// Read it: the name the app sees (`sid` for a declared `__Host-sid`),
    /// whether it is sensitive, and its attributes.
    Read {
        name: Option<&'p str>,
        sensitive: bool,
        attrs: &'p CookieAttributes,
    },
    /// A cookie declared with a prefix, sent under its plain name.
    MissingPrefix,
}

impl CookiePolicy {
    /// Validates a configuration and resolves every override against the
    /// defaults, so that no request merges them again. `keys` protect and
    /// verify the cookies declared `signed` or `private`.
    ///
    /// Fails, naming the configuration key, on an override name that is not
    /// a token (R1) or that carries a prefix, a path not starting with `/`
    /// (R5), a domain that is not a plain host name (R6), `SameSite=None` or
    /// `Partitioned` without `Secure` (R10, R11), a limit of 0, and on
    /// protected cookies without keys: pass a [`KeyRing`], or
    /// [`KeyRing::ephemeral`] for a key that dies with the process.
    pub fn new(
        config: CookiePolicyConfig,
        keys: Option<KeyRing>,
    ) -> Result<Self, PolicyConfigError> {
        let defaults = CookieAttributes::defaults(&config)?;
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
        let mut declared = BTreeMap::new();
        for (name, o) in &config.overrides {
            let key = format!("cookies.overrides.{name}");
            if let Err(e) = rules::check_name(name) {
                return Err(PolicyConfigError {
                    key,
                    message: e.explanation(),
                });
            }
            if let Some((rule, _)) = rules::prefix_of(name) {
                return Err(PolicyConfigError {
                    key,
                    message: format!(
                        "declare the plain name and prefix = \"host\" or \"secure\" instead of writing the {} prefix into the name",
                        rule.prefix
                    ),
                });
            }
            let declaration = Declaration::new(name, defaults.with_override(o, &key)?);
            if let Some(p) = declaration.attrs.prefix {
                declared.insert(format!("{}{name}", p.as_str()), declaration.clone());
            }
            declared.insert(name.clone(), declaration);
        }
        let declared_with = |wanted: fn(&CookieOverride) -> bool| -> Vec<&str> {
            let overrides = config.overrides.iter();
            overrides
                .filter(|(_, o)| wanted(o))
                .map(|(n, _)| n.as_str())
                .collect()
        };
        let protected = declared_with(|o| o.protection.is_some());
        if !protected.is_empty() && keys.is_none() {
            return Err(PolicyConfigError {
                key: "keys".to_owned(),
                message: format!(
                    "protected cookies ({}) need keys: give a KeyRing made from a key of KeyRing::generate_key (the server: `cookie-policy keygen`), or KeyRing::ephemeral() for a development key that dies with the process",
                    protected.join(", ")
                ),
            });
        }
        let renamed_or_protected = declared_with(|o| o.prefix.is_some() || o.protection.is_some());
        if config.on_violation == OnViolation::Report && !renamed_or_protected.is_empty() {
            return Err(PolicyConfigError {
                key: "cookies.on_violation".to_owned(),
                message: format!(
                    "\"report\" sends cookies as the app writes them, so no cookie can be declared with a prefix or protection ({}): their values would not read back; declare them when switching to \"reject\"",
                    renamed_or_protected.join(", ")
                ),
            });
        }
        let cross_origin = Arc::new(CrossOrigin::new(&config.cross_origin)?);
        Ok(Self {
            config,
            defaults: Declaration::new("", defaults),
            declared,
            keys: Arc::new(ArcSwapOption::from(keys.map(Arc::new))),
            reported: Arc::default(),
            cross_origin,
        })
    }

    /// A builder for a policy in code, starting from the secure defaults.
    pub fn builder() -> CookiePolicyBuilder {
        CookiePolicyBuilder::default()
    }

    /// The configuration this policy was built from.
    pub fn config(&self) -> &CookiePolicyConfig {
        &self.config
    }

    /// Whether the `report` mode should log the finding `rule` about the
    /// cookie `name`: the first time only.
    pub(crate) fn first_report(&self, name: &str, rule: &'static str) -> bool {
        self.reported.first_time(name, rule)
    }

    /// The check of unsafe requests from other origins (R23).
    pub(crate) fn cross_origin(&self) -> &CrossOrigin {
        &self.cross_origin
    }

    /// The key ring in use, when one was given.
    pub fn keys(&self) -> Option<Arc<KeyRing>> {
        self.keys.load_full()
    }

    /// Puts `keys` in place of the policy's key ring, for this policy and
    /// every clone of it, for the cookies read and written from then on: a
    /// key rotation without a restart. A request in flight finishes with
    /// the ring it started each step with; nothing else changes.
    ///
    /// ```
    /// use actix_cookie_policy::{CookieOverride, CookiePolicy, KeyRing, Protection};
    ///
    /// let (old, new) = (KeyRing::generate_key()?, KeyRing::generate_key()?);
    /// let session = CookieOverride::default().protection(Protection::Private);
    /// let policy = CookiePolicy::builder()
    ///     .cookie("session", session)
    ///     .keys(KeyRing::from_base64(&old, &[])?)
    ///     .build()?;
    /// let worker = policy.clone();
    /// // The new key protects from now on; cookies under the old one still read.
    /// policy.replace_keys(KeyRing::from_base64(&new, &[&old])?);
    /// assert_eq!(worker.keys().map(|k| k.previous_count()), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_keys(&self, keys: KeyRing) {
        self.keys.store(Some(Arc::new(keys)));
    }

    /// The attributes the policy writes for the cookie `name`, given as
    /// declared (`sid`) or as sent on the wire (`__Host-sid`).
    pub fn attributes(&self, name: &str) -> &CookieAttributes {
        &self.declaration(name).attrs
    }

    /// What the policy gives the cookie `name`, given as declared (`sid`)
    /// or as sent on the wire (`__Host-sid`).
    pub(crate) fn declaration(&self, name: &str) -> &Declaration {
        self.declared.get(name).unwrap_or(&self.defaults)
    }

    /// How a name sent by a client is read: a declared prefixed name
    /// (`__Host-sid`) as its declared name (`sid`); any other prefixed name
    /// as itself, sensitive; a name declared with a prefix but sent plain
    /// not at all. Expects a name whose prefix, if any, is canonical.
    pub(crate) fn read_name(&self, wire: &str) -> WireName<'_> {
        match self.declared.get(wire) {
            Some(d) if d.name != wire => WireName::Read {
                name: Some(&d.name),
                sensitive: true,
                attrs: &d.attrs,
            },
            Some(d) if d.attrs.prefix.is_some() => WireName::MissingPrefix,
            found => {
                let attrs = &found.unwrap_or(&self.defaults).attrs;
                WireName::Read {
                    name: None,
                    sensitive: attrs.sensitive || rules::prefix_of(wire).is_some(),
                    attrs,
                }
            }
        }
    }

    /// The cookie `name=value` with every attribute the policy gives that
    /// name, its declared prefix included.
    ///
    /// Refuses a name that is not an RFC 9110 token (R1) or a value with a
    /// byte outside `cookie-octet` (R2), naming the cookie and the byte; a
    /// handler that returns the error answers 500. For free text, use
    /// [`CookiePolicy::encoded_cookie`]. Attributes set on the returned
    /// cookie afterwards (for example `set_max_age`) win over the policy's,
    /// except that a flag the policy turns on stays on: to send a cookie
    /// without `HttpOnly` or `Secure`, turn it off in the cookie's override.
    /// `Partitioned` and `Priority`, which `actix_web::cookie` cannot
    /// express, are added by the layer on the way out.
    pub fn cookie(
        &self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Cookie<'static>, CookieError> {
        let (name, value) = (name.into(), value.into());
        rules::check_name(&name)?;
        rules::check_value(&name, &value)?;
        let attrs = self.attributes(&name);
        let mut cookie = Cookie::new(attrs.wire_name(Cow::Owned(name)).into_owned(), value);
        self.set_attributes(&mut cookie, attrs);
        if let Some(seconds) = attrs.max_age.seconds() {
            cookie.set_max_age(Duration::seconds(i64::from(seconds)));
        }
        Ok(cookie)
    }

    /// [`CookiePolicy::cookie`] with the value percent-encoded first
    /// ([`encode_value`](crate::encode_value)), for free text such as a
    /// name with spaces or accents. Read it back with
    /// [`decode_value`](crate::decode_value).
    ///
    /// ```
    /// use actix_cookie_policy::{CookiePolicy, decode_value};
    ///
    /// let cookie = CookiePolicy::default().encoded_cookie("greeting", "Olá, mundo")?;
    /// assert_eq!(cookie.value(), "Ol%C3%A1%2C%20mundo");
    /// assert_eq!(decode_value(cookie.value()).as_deref(), Some("Olá, mundo"));
    /// # Ok::<(), actix_cookie_policy::CookieError>(())
    /// ```
    pub fn encoded_cookie(
        &self,
        name: impl Into<String>,
        value: &str,
    ) -> Result<Cookie<'static>, CookieError> {
        self.cookie(name, rules::encode_value(value))
    }

    /// The typed cookie `C` holding `value`, written with its codec, with
    /// the policy's attributes for `C::NAME`.
    pub fn typed_cookie<C: TypedCookie>(
        &self,
        value: &C::Value,
    ) -> Result<Cookie<'static>, CookieError> {
        let text = C::Codec::encode(value).map_err(|e| {
            CookieError::new(
                C::NAME,
                ViolationKind::InvalidValue,
                format!("the value cannot be encoded: {e}"),
            )
        })?;
        self.cookie(C::NAME, text)
    }

    /// The removal cookie for `name`: an empty value, `Max-Age=0` and
    /// `Expires` in 1970, with the `Path`, `Domain`, `Secure` and `SameSite`
    /// (and, on the way out, `Partitioned`) the policy writes the cookie
    /// with, so that the browser matches and removes it.
    pub fn removal(&self, name: impl Into<String>) -> Result<Cookie<'static>, CookieError> {
        let name = name.into();
        rules::check_name(&name)?;
        let attrs = self.attributes(&name);
        let mut cookie = Cookie::new(attrs.wire_name(Cow::Owned(name)).into_owned(), "");
        self.set_attributes(&mut cookie, attrs);
        cookie.set_max_age(Duration::ZERO);
        cookie.set_expires(OffsetDateTime::UNIX_EPOCH);
        Ok(cookie)
    }

    fn set_attributes(&self, cookie: &mut Cookie<'static>, attrs: &CookieAttributes) {
        cookie.set_path(attrs.path.clone());
        if let Some(domain) = &attrs.domain {
            cookie.set_domain(domain.clone());
        }
        cookie.set_secure(attrs.secure);
        cookie.set_http_only(attrs.http_only);
        cookie.set_same_site(cookie::SameSite::from(attrs.same_site));
    }

    /// Runs the layer's whole outbound step on one cookie: fills it from the
    /// policy, protects it if it is declared protected, checks every rule
    /// (except the one against the request's host), and returns what would
    /// be sent. Use it to refuse a client's input before building a response.
    pub fn check(&self, cookie: &Cookie<'_>) -> Result<SetCookie<'static>, CookieError> {
        let text = cookie.to_string();
        let mut c = SetCookie::parse(&text)?;
        let attrs = self.attributes(&c.name);
        self.prepare(&mut c, attrs, SystemTime::now(), None, &|| None)?;
        Ok(c.into_owned())
    }

    /// The outbound step for one parsed cookie: fill from the policy,
    /// protect the value of a protected cookie (not a removal's), then check
    /// every rule on what will be sent, so that the size limit (R3) applies
    /// to the protected value. `issued_at` keeps a re-issued cookie's
    /// original issue time. `attrs` are the policy's attributes for the
    /// cookie's name; `host` gives the request's host name, asked only for a
    /// cookie with a `Domain` (R6), `None` where there is no request.
    /// Returns whether the cookie is sensitive.
    pub(crate) fn prepare<'a>(
        &self,
        cookie: &mut SetCookie<'a>,
        attrs: &'a CookieAttributes,
        now: SystemTime,
        issued_at: Option<u64>,
        host: &dyn Fn() -> Option<String>,
    ) -> Result<bool, CookieError> {
        cookie.fill(attrs);
        if attrs.protection.is_some() && cookie.is_removal(now) {
            // A removal's value is never stored, and a protected cookie's
            // plain value must never be sent (R21): send it empty.
            cookie.value = Cow::Borrowed("");
        }
        if let Some(protection) = attrs.protection
            && let Some(keys) = self.keys()
            && !cookie.is_removal(now)
        {
            if cookie.value.contains('"') {
                // Quotes would end up inside the protected form, which is
                // not a cookie value and would never read back.
                return Err(CookieError::new(
                    rules::printable(&cookie.name),
                    ViolationKind::InvalidValue,
                    "a protected cookie's value cannot be quoted; drop the quotes",
                ));
            }
            let issued_at = issued_at.unwrap_or_else(|| unix_seconds(now));
            let sealed = keys
                .protect(protection, &cookie.name, &cookie.value, issued_at)
                .map_err(|e| {
                    CookieError::new(
                        rules::printable(&cookie.name),
                        ViolationKind::InvalidValue,
                        format!("the value cannot be protected: {}", e.problem()),
                    )
                })?;
            cookie.value = Cow::Owned(sealed);
        }
        cookie.check(now)?;
        if let Some(domain) = cookie.domain.as_deref()
            && let Some(host) = host()
        {
            rules::check_domain_for_host(&cookie.name, domain, &host)?;
        }
        Ok(attrs.sensitive || rules::prefix_of(&cookie.name).is_some())
    }
}

/// Builds a [`CookiePolicy`] in code: the defaults are the secure ones, and
/// each call changes one. See [`CookiePolicy::builder`].
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct CookiePolicyBuilder {
    config: CookiePolicyConfig,
    keys: Option<KeyRing>,
}

impl CookiePolicyBuilder {
    /// Starts from `config` instead of the defaults.
    pub fn from_config(config: CookiePolicyConfig) -> Self {
        Self { config, keys: None }
    }

    /// `Max-Age` in seconds for cookies that set none (default: session cookies).
    pub fn max_age(mut self, seconds: u32) -> Self {
        self.config.max_age = Lifetime::Seconds(seconds);
        self
    }

    /// `HttpOnly` for every cookie (default `true`).
    pub fn http_only(mut self, on: bool) -> Self {
        self.config.http_only = on;
        self
    }

    /// `Secure` for every cookie (default `true`; turn it off only for local
    /// development over plain HTTP).
    pub fn secure(mut self, on: bool) -> Self {
        self.config.secure = on;
        self
    }

    /// `SameSite` for every cookie (default `Lax`).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.config.same_site = same_site;
        self
    }

    /// `Path` for every cookie (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.config.path = path.into();
        self
    }

    /// `Domain` for every cookie (default none: host-only cookies).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.config.domain = Some(domain.into());
        self
    }

    /// `Partitioned` for every cookie (default `false`).
    pub fn partitioned(mut self, on: bool) -> Self {
        self.config.partitioned = on;
        self
    }

    /// `Priority` for every cookie (default none).
    pub fn priority(mut self, priority: Priority) -> Self {
        self.config.priority = Some(priority);
        self
    }

    /// What to do with a cookie the app writes against the rules (default
    /// [`OnViolation::Reject`]).
    pub fn on_violation(mut self, on_violation: OnViolation) -> Self {
        self.config.on_violation = on_violation;
        self
    }

    /// Name the cookie and the rule in the body of a 500 caused by a cookie
    /// violation (default `false`: a generic body, the detail in the log).
    pub fn explain_violations(mut self, on: bool) -> Self {
        self.config.explain_violations = on;
        self
    }

    /// The most seconds a protected session cookie is accepted after it was
    /// issued (default a day).
    pub fn max_session_age(mut self, seconds: u32) -> Self {
        self.config.max_session_age = seconds;
        self
    }

    /// The limits on a request's cookies (default 8192 bytes, 100 pairs);
    /// beyond them the request answers 431 (R16).
    pub fn limits(mut self, max_header_bytes: usize, max_pairs: usize) -> Self {
        self.config.max_header_bytes = max_header_bytes;
        self.config.max_pairs = max_pairs;
        self
    }

    /// The exceptions of one cookie, by its declared name.
    pub fn cookie(mut self, name: impl Into<String>, exceptions: CookieOverride) -> Self {
        self.config.overrides.insert(name.into(), exceptions);
        self
    }

    /// Which unsafe requests from other origins are accepted (R23); on by
    /// default.
    pub fn cross_origin(mut self, cross_origin: CrossOriginConfig) -> Self {
        self.config.cross_origin = cross_origin;
        self
    }

    /// The keys of protected cookies.
    pub fn keys(mut self, keys: KeyRing) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Validates the policy: see [`CookiePolicy::new`].
    pub fn build(self) -> Result<CookiePolicy, PolicyConfigError> {
        CookiePolicy::new(self.config, self.keys)
    }
}

#[cfg(test)]
mod tests;
