//! One `Set-Cookie` header: the strict parser, filling from the policy, the
//! checks of the rules that span attributes, and the canonical form.
//!
//! The parser is hand-written on purpose: the `cookie` crate's parser is
//! lenient (the last duplicate attribute wins, unknown attributes such as
//! `Partitioned` vanish), which is right for a user agent, but a policy layer
//! must see exactly what the app wrote in order to refuse it.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::{Duration, SystemTime};

use crate::attributes::CookieAttributes;
use crate::config::{MAX_LIFETIME_SECONDS, Priority, SameSite};
use crate::error::{CookieError, ViolationKind};
use crate::grammar;
use crate::rules::{self, MAX_NAME_VALUE_BYTES, printable};

/// One `Set-Cookie` header with every attribute it carries.
///
/// [`SetCookie::parse`] reads a header strictly (a duplicate or unknown
/// attribute is an error), and [`Display`](fmt::Display) writes the
/// canonical form the layer sends:
/// `name=value; HttpOnly; SameSite; Secure; Path; Domain; Max-Age; Expires; Partitioned; Priority`.
/// That is the order actix-web writes, so a cookie built with
/// [`CookiePolicy::cookie`](crate::CookiePolicy::cookie) goes out as it is.
///
/// ```
/// use actix_cookie_policy::{SameSite, SetCookie};
///
/// let c = SetCookie::parse("sid=1; path=/; SECURE; samesite=lax; Partitioned")?;
/// assert_eq!(c.same_site, Some(SameSite::Lax));
/// assert!(c.partitioned);
/// assert_eq!(c.to_string(), "sid=1; SameSite=Lax; Secure; Path=/; Partitioned");
/// # Ok::<(), actix_cookie_policy::CookieError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SetCookie<'a> {
    /// The cookie name, exactly as written.
    pub name: Cow<'a, str>,
    /// The cookie value, exactly as written (quotes included).
    pub value: Cow<'a, str>,
    /// `Max-Age` in seconds (a negative value means 0: expire now).
    pub max_age: Option<i64>,
    /// `Expires`.
    pub expires: Option<SystemTime>,
    /// `Domain`, lower case, without a leading dot.
    pub domain: Option<Cow<'a, str>>,
    /// `Path`.
    pub path: Option<Cow<'a, str>>,
    /// `Secure` is present.
    pub secure: bool,
    /// `HttpOnly` is present.
    pub http_only: bool,
    /// `SameSite`.
    pub same_site: Option<SameSite>,
    /// `Partitioned` is present.
    pub partitioned: bool,
    /// `Priority`.
    pub priority: Option<Priority>,
}

/// The attributes a `Set-Cookie` can carry, in canonical order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attr {
    HttpOnly,
    SameSite,
    Secure,
    Path,
    Domain,
    MaxAge,
    Expires,
    Partitioned,
    Priority,
}

impl Attr {
    const ALL: [Attr; 9] = [
        Attr::HttpOnly,
        Attr::SameSite,
        Attr::Secure,
        Attr::Path,
        Attr::Domain,
        Attr::MaxAge,
        Attr::Expires,
        Attr::Partitioned,
        Attr::Priority,
    ];

    fn name(self) -> &'static str {
        match self {
            Attr::HttpOnly => "HttpOnly",
            Attr::SameSite => "SameSite",
            Attr::Secure => "Secure",
            Attr::Path => "Path",
            Attr::Domain => "Domain",
            Attr::MaxAge => "Max-Age",
            Attr::Expires => "Expires",
            Attr::Partitioned => "Partitioned",
            Attr::Priority => "Priority",
        }
    }

    /// The attribute `name` names, matched case-insensitively.
    fn named(name: &str) -> Option<Attr> {
        Attr::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    fn is_flag(self) -> bool {
        matches!(self, Attr::HttpOnly | Attr::Secure | Attr::Partitioned)
    }
}

/// Spaces and tabs around an attribute are not part of it (bis §5.6).
const OWS: [char; 2] = [' ', '\t'];

impl<'a> SetCookie<'a> {
    /// Parses one `Set-Cookie` header value strictly.
    ///
    /// Attribute names are matched case-insensitively and white space around
    /// attributes is trimmed; the name and value are taken byte for byte and
    /// must meet R1 and R2. A duplicate attribute (R13), an unknown one, a
    /// flag with a value, or a malformed value (R4, R5, R6, R12, R14, R15) is
    /// an error naming the cookie and the rule.
    pub fn parse(header: &'a str) -> Result<Self, CookieError> {
        let mut parts = grammar::split_at(header, b';');
        let first = parts.next().unwrap_or_default();
        let Some((name, value)) = grammar::split_once_at(first, b'=') else {
            return Err(CookieError::new(
                "",
                ViolationKind::InvalidName,
                format!(
                    "a Set-Cookie without '=' makes a nameless cookie: {:?}",
                    printable(first)
                ),
            ));
        };
        rules::check_name(name)?;
        rules::check_value(name, value)?;
        let mut c = SetCookie {
            name: Cow::Borrowed(name),
            value: Cow::Borrowed(value),
            ..SetCookie::default()
        };
        let fail = |kind, detail: String| CookieError::new(printable(name), kind, detail);
        let mut seen = [false; Attr::ALL.len()];
        for part in parts.map(|p| p.trim_matches(OWS)).filter(|p| !p.is_empty()) {
            let (attr, val) = match grammar::split_once_at(part, b'=') {
                Some((a, v)) => (a.trim_matches(OWS), Some(v.trim_matches(OWS))),
                None => (part, None),
            };
            let Some(which) = Attr::named(attr) else {
                return Err(fail(
                    ViolationKind::InvalidAttribute,
                    format!(
                        "unknown attribute \"{}\"; the policy writes only Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite, Partitioned and Priority",
                        printable(attr)
                    ),
                ));
            };
            if std::mem::replace(&mut seen[which as usize], true) {
                return Err(fail(
                    ViolationKind::DuplicateAttribute,
                    format!("the {} attribute is written twice", which.name()),
                ));
            }
            match (which.is_flag(), val) {
                (true, Some(_)) => {
                    return Err(fail(
                        ViolationKind::InvalidAttribute,
                        format!("the {} attribute takes no value", which.name()),
                    ));
                }
                (false, None) => {
                    return Err(fail(
                        ViolationKind::InvalidAttribute,
                        format!("the {} attribute needs a value", which.name()),
                    ));
                }
                (true, None) => c.set_flag(which),
                (false, Some(v)) => {
                    rules::check_attribute_value(which.name(), v)
                        .map_err(|m| fail(ViolationKind::InvalidAttribute, m))?;
                    c.set_valued(which, v).map_err(|(kind, m)| fail(kind, m))?;
                }
            }
        }
        Ok(c)
    }

    fn set_flag(&mut self, which: Attr) {
        match which {
            Attr::HttpOnly => self.http_only = true,
            Attr::Secure => self.secure = true,
            _ => self.partitioned = true,
        }
    }

    fn set_valued(&mut self, which: Attr, v: &'a str) -> Result<(), (ViolationKind, String)> {
        match which {
            Attr::Expires => {
                let t = httpdate::parse_http_date(v).map_err(|_| {
                    (
                        ViolationKind::InvalidLifetime,
                        format!(
                            "Expires must be an HTTP date such as \"Thu, 01 Jan 1970 00:00:00 GMT\", got {v:?}"
                        ),
                    )
                })?;
                self.expires = Some(t);
            }
            Attr::MaxAge => {
                let digits = v.strip_prefix('-').unwrap_or(v);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err((
                        ViolationKind::InvalidLifetime,
                        format!("Max-Age must be a whole number of seconds, got {v:?}"),
                    ));
                }
                // Max-Age <= 0 means "expire now" (bis §5.6.2), and any run
                // of digits beyond i64 is certainly over the 400-day cap.
                self.max_age = Some(if v.starts_with('-') {
                    0
                } else {
                    v.parse().unwrap_or(i64::MAX)
                });
            }
            Attr::Domain => {
                let d =
                    rules::normalize_domain(v).map_err(|m| (ViolationKind::InvalidDomain, m))?;
                self.domain = Some(d);
            }
            Attr::Path => {
                rules::check_path(v)?;
                self.path = Some(Cow::Borrowed(v));
            }
            Attr::SameSite => {
                let same_site = [SameSite::Lax, SameSite::Strict, SameSite::None]
                    .into_iter()
                    .find(|s| s.as_str().eq_ignore_ascii_case(v))
                    .ok_or_else(|| {
                        (
                            ViolationKind::InvalidSameSite,
                            format!("SameSite must be Strict, Lax or None, got {v:?}"),
                        )
                    })?;
                self.same_site = Some(same_site);
            }
            Attr::Priority => {
                let priority = [Priority::Low, Priority::Medium, Priority::High]
                    .into_iter()
                    .find(|p| p.as_str().eq_ignore_ascii_case(v))
                    .ok_or_else(|| {
                        (
                            ViolationKind::InvalidPriority,
                            format!("Priority must be Low, Medium or High, got {v:?}"),
                        )
                    })?;
                self.priority = Some(priority);
            }
            Attr::HttpOnly | Attr::Secure | Attr::Partitioned => {}
        }
        Ok(())
    }

    /// The same cookie, owning its strings.
    pub fn into_owned(self) -> SetCookie<'static> {
        SetCookie {
            name: Cow::Owned(self.name.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
            domain: self.domain.map(|d| Cow::Owned(d.into_owned())),
            path: self.path.map(|p| Cow::Owned(p.into_owned())),
            ..self
        }
    }

    /// Whether this is a removal: `Max-Age` of 0 or less, or `Expires` in
    /// the past.
    pub fn is_removal(&self, now: SystemTime) -> bool {
        match (self.max_age, self.expires) {
            (Some(max_age), _) => max_age <= 0,
            (None, Some(expires)) => expires <= now,
            (None, None) => false,
        }
    }

    /// Fills every attribute this cookie leaves unset from `attrs`, the
    /// policy's attributes for its name. A flag the header lacks is unset,
    /// so the policy's `true` turns it on; to send a cookie without one,
    /// turn it off in the cookie's override. A cookie declared with a
    /// prefix but written under its plain name gets the prefixed name.
    pub(crate) fn fill(&mut self, attrs: &'a CookieAttributes) {
        self.name = attrs.wire_name(std::mem::take(&mut self.name));
        let (explicit_path, explicit_domain) = (self.path.is_some(), self.domain.is_some());
        if self.max_age.is_none() && self.expires.is_none() {
            self.max_age = attrs.max_age.seconds().map(i64::from);
        }
        if !explicit_domain {
            self.domain = attrs.domain.as_deref().map(Cow::Borrowed);
        }
        if !explicit_path {
            self.path = Some(Cow::Borrowed(&attrs.path));
        }
        self.secure |= attrs.secure;
        self.http_only |= attrs.http_only;
        self.partitioned |= attrs.partitioned;
        self.same_site = self.same_site.or(Some(attrs.same_site));
        self.priority = self.priority.or(attrs.priority);
        // A canonical prefix says what the cookie needs (R7, R8): add it,
        // unless the cookie itself said otherwise (then `check` refuses it).
        if let Some((rule, true)) = rules::prefix_of(&self.name) {
            self.secure |= rule.secure;
            self.http_only |= rule.http_only;
            if rule.host {
                if !explicit_path {
                    self.path = Some(Cow::Borrowed("/"));
                }
                if !explicit_domain {
                    self.domain = None;
                }
            }
        }
    }

    /// Checks the rules that depend on several attributes together, or on
    /// the time: R3, R7 to R12.
    pub fn check(&self, now: SystemTime) -> Result<(), CookieError> {
        let fail = |kind, detail: String| CookieError::new(printable(&self.name), kind, detail);
        let size = self.name.len() + self.value.len();
        if size > MAX_NAME_VALUE_BYTES {
            return Err(fail(
                ViolationKind::TooLarge,
                format!(
                    "name and value are {size} bytes, over the {MAX_NAME_VALUE_BYTES} bytes browsers keep; store less in the cookie"
                ),
            ));
        }
        if let Some((rule, canonical)) = rules::prefix_of(&self.name) {
            if !canonical {
                return Err(fail(
                    ViolationKind::NonCanonicalPrefix,
                    format!(
                        "browsers read this name as {} prefixed; spell the prefix exactly {}",
                        rule.prefix, rule.prefix
                    ),
                ));
            }
            if (rule.secure && !self.secure) || (rule.http_only && !self.http_only) {
                let needs = if rule.http_only {
                    "Secure and HttpOnly"
                } else {
                    "Secure"
                };
                return Err(fail(
                    ViolationKind::SecurePrefix,
                    format!("a {} cookie needs {needs}", rule.prefix),
                ));
            }
            if rule.host && (self.path.as_deref() != Some("/") || self.domain.is_some()) {
                return Err(fail(
                    ViolationKind::HostPrefix,
                    format!("a {} cookie needs Path=/ and no Domain", rule.prefix),
                ));
            }
        }
        if self.same_site == Some(SameSite::None) && !self.secure {
            return Err(fail(
                ViolationKind::SameSiteNoneInsecure,
                "SameSite=None without Secure is ignored by browsers; set secure = true".to_owned(),
            ));
        }
        if self.partitioned && !self.secure {
            return Err(fail(
                ViolationKind::PartitionedInsecure,
                "Partitioned without Secure is ignored by browsers; set secure = true".to_owned(),
            ));
        }
        if let Some(max_age) = self.max_age
            && max_age > i64::from(MAX_LIFETIME_SECONDS)
        {
            return Err(fail(
                ViolationKind::InvalidLifetime,
                format!(
                    "Max-Age={max_age} is over 400 days ({MAX_LIFETIME_SECONDS} seconds), which browsers cut short"
                ),
            ));
        }
        if let Some(expires) = self.expires
            && expires > now + Duration::from_secs(u64::from(MAX_LIFETIME_SECONDS))
        {
            return Err(fail(
                ViolationKind::InvalidLifetime,
                format!(
                    "Expires={} is more than 400 days away, which browsers cut short",
                    httpdate::fmt_http_date(expires)
                ),
            ));
        }
        Ok(())
    }
}

impl SetCookie<'_> {
    /// Writes the canonical form: actix-web's order, then the two
    /// attributes the `cookie` crate does not write. The one rendering of a
    /// `Set-Cookie`: `Display`, [`PolicyText`] and the layer's "already
    /// canonical?" check all write through it.
    pub(crate) fn write_to<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        out.write_str(&self.name)?;
        out.write_str("=")?;
        out.write_str(&self.value)?;
        self.write_before_lifetime(out)?;
        if let Some(max_age) = self.max_age {
            out.write_str("; Max-Age=")?;
            out.write_str(itoa::Buffer::new().format(max_age.max(0)))?;
        }
        if let Some(expires) = self.expires {
            write!(out, "; Expires={}", httpdate::HttpDate::from(expires))?;
        }
        self.write_after_lifetime(out)
    }

    /// The attributes written between `name=value` and the lifetime.
    fn write_before_lifetime<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        if self.http_only {
            out.write_str("; HttpOnly")?;
        }
        if let Some(same_site) = self.same_site {
            out.write_str("; SameSite=")?;
            out.write_str(same_site.as_str())?;
        }
        if self.secure {
            out.write_str("; Secure")?;
        }
        if let Some(path) = &self.path {
            out.write_str("; Path=")?;
            out.write_str(path)?;
        }
        if let Some(domain) = &self.domain {
            out.write_str("; Domain=")?;
            out.write_str(domain)?;
        }
        Ok(())
    }

    /// The attributes written after the lifetime.
    fn write_after_lifetime<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        if self.partitioned {
            out.write_str("; Partitioned")?;
        }
        if let Some(priority) = self.priority {
            out.write_str("; Priority=")?;
            out.write_str(priority.as_str())?;
        }
        Ok(())
    }
}

/// The text the policy writes for the cookies of one name, made once when
/// the policy is built: `name=value`, then `before`, then `; Max-Age=N`
/// when the cookie has a lifetime, then `after`, in the canonical form of
/// [`SetCookie`]. A header that is exactly this text is what the policy
/// writes, and reads without the parser.
#[derive(Debug, Clone)]
pub(crate) struct PolicyText {
    before: String,
    after: String,
    /// The policy gives these cookies a `Max-Age` of its own.
    lifetime: bool,
}

impl PolicyText {
    /// The text of cookies with the attributes `attrs`.
    pub(crate) fn of(attrs: &CookieAttributes) -> Self {
        let mut cookie = SetCookie::default();
        cookie.fill(attrs);
        let (mut before, mut after) = (String::new(), String::new());
        // Writing into a String cannot fail.
        let _ = cookie.write_before_lifetime(&mut before);
        let _ = cookie.write_after_lifetime(&mut after);
        Self {
            before,
            after,
            lifetime: attrs.max_age.seconds().is_some(),
        }
    }

    /// The `Max-Age` of a cookie whose header, after `name=value`, is
    /// `attributes`, when that is exactly this text: `Some(None)` for a
    /// cookie without one, `None` for any other text.
    pub(crate) fn lifetime_in(&self, attributes: &str) -> Option<Option<i64>> {
        let rest = attributes.strip_prefix(self.before.as_str())?;
        let (max_age, rest) = match rest.strip_prefix("; Max-Age=") {
            Some(rest) => {
                let end = rest
                    .bytes()
                    .position(|b| !b.is_ascii_digit())
                    .unwrap_or(rest.len());
                let digits = &rest[..end];
                // Written as the policy writes a number: no sign, no leading zero.
                if digits.len() > 1 && digits.starts_with('0') {
                    return None;
                }
                (Some(digits.parse().ok()?), &rest[end..])
            }
            None if self.lifetime => return None,
            None => (None, rest),
        };
        (rest == self.after).then_some(max_age)
    }
}

/// One cookie per name in a response (R13), judged in one pass: a cookie
/// is admitted when no cookie of its name came before it, or when it and
/// every earlier one of its name are removals, each under its own
/// (`Domain`, `Path`): the one way to purge copies of a cookie planted under
/// other paths or domains.
#[derive(Default)]
pub(crate) struct OnePerName<'c> {
    /// Per name admitted: whether every cookie admitted under it is a removal.
    names: HashMap<&'c str, bool>,
    /// The (name, `Domain`, `Path`) of every removal admitted.
    removals: HashSet<(&'c str, Option<&'c str>, Option<&'c str>)>,
}

impl<'c> OnePerName<'c> {
    /// Whether `cookie`, the next in the response, may be sent beside the
    /// ones admitted before it.
    pub(crate) fn admit(&mut self, cookie: &'c SetCookie<'_>, now: SystemTime) -> bool {
        let removal = cookie.is_removal(now);
        let key = (
            cookie.name.as_ref(),
            cookie.domain.as_deref(),
            cookie.path.as_deref(),
        );
        let admitted = match self.names.get(key.0) {
            None => true,
            Some(&only_removals) => removal && only_removals && !self.removals.contains(&key),
        };
        if admitted {
            self.names.insert(key.0, removal);
            if removal {
                self.removals.insert(key);
            }
        }
        admitted
    }
}

impl fmt::Display for SetCookie<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

#[cfg(test)]
mod tests;
