//! Outbound: every `Set-Cookie` the app writes.
//!
//! Each header is parsed into a [`SetCookie`], its unset attributes are filled
//! from the policy (the cookie's override first, then the defaults), the
//! result is checked against the rules of `COOKIE-RULES.md`, and the header is
//! written again in one canonical form, unless it already is exactly that
//! form (the usual case for a cookie built with `policy.cookie`): then it is
//! sent as it is, which costs no allocation. What cannot be fixed without changing
//! the cookie's meaning is a [`CookieError`] naming the cookie and the rule.
//!
//! The `Set-Cookie` parser is hand-written on purpose: the `cookie` crate's
//! parser is lenient (the last duplicate attribute wins, unknown attributes
//! such as `Partitioned` vanish), which is what a user agent should do, but a
//! policy layer must see exactly what the app wrote in order to refuse it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use actix_web::http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use smallvec::SmallVec;

use super::error::{CookieError, ViolationKind};
use super::grammar;
use super::{
    CookieAttributes, CookiePolicy, MAX_ATTRIBUTE_VALUE_BYTES, MAX_LIFETIME_SECONDS, Priority,
    SameSite, prefix, protect,
};

/// The most octets of name plus value a user agent keeps (rule R3).
pub const MAX_NAME_VALUE_BYTES: usize = 4096;

/// One `Set-Cookie` header with every attribute it carries.
///
/// [`SetCookie::parse`] reads a header strictly (a duplicate or unknown
/// attribute is an error), borrowing the name, value, `Domain` and `Path`
/// from the header, and [`Display`](std::fmt::Display) writes the canonical
/// form the layer sends:
/// `name=value; HttpOnly; SameSite; Secure; Path; Domain; Max-Age; Expires; Partitioned; Priority`.
///
/// That order is the one actix-web (the `cookie` crate) writes, so a cookie
/// built with [`CookiePolicy::cookie`] already is in canonical form, and,
/// when the policy adds neither `Partitioned` nor `Priority` (which the
/// `cookie` crate cannot write), the layer sends it as it is.
///
/// ```
/// use cookie_policy::policy::{SetCookie, SameSite};
///
/// let c = SetCookie::parse("sid=1; path=/; SECURE; samesite=lax; Partitioned")?;
/// assert_eq!(c.same_site, Some(SameSite::Lax));
/// assert!(c.partitioned);
/// assert_eq!(c.to_string(), "sid=1; SameSite=Lax; Secure; Path=/; Partitioned");
/// # Ok::<(), cookie_policy::policy::CookieError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetCookie<'a> {
    /// The cookie name, exactly as written.
    pub name: Cow<'a, str>,
    /// The cookie value, exactly as written (quotes included).
    pub value: Cow<'a, str>,
    /// `Max-Age` in seconds (a negative value is written as 0).
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

impl SetCookie<'_> {
    /// The same cookie, owning its strings.
    pub fn into_owned(self) -> SetCookie<'static> {
        SetCookie {
            name: Cow::Owned(self.name.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
            domain: self.domain.map(|d| Cow::Owned(d.into_owned())),
            path: self.path.map(|p| Cow::Owned(p.into_owned())),
            max_age: self.max_age,
            expires: self.expires,
            secure: self.secure,
            http_only: self.http_only,
            same_site: self.same_site,
            partitioned: self.partitioned,
            priority: self.priority,
        }
    }
}

/// Escapes what is not printable ASCII, so that an error message or a log
/// line never carries a raw control byte from a cookie name.
pub(crate) fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let _ = write!(out, "{}", c.escape_default());
        }
    }
    out
}

/// Checks a cookie name (R1).
pub(crate) fn check_name(name: &str) -> Result<(), CookieError> {
    grammar::check_name(name.as_bytes()).map_err(|bad| invalid_name(name, bad))
}

/// Checks a cookie value (R2).
pub(crate) fn check_value(name: &str, value: &str) -> Result<(), CookieError> {
    grammar::check_value(value.as_bytes()).map_err(|bad| invalid_value(name, bad))?;
    match grammar::bad_percent_escape(value.as_bytes()) {
        None => Ok(()),
        Some(at) => Err(bad_escape(name, at)),
    }
}

// The errors of the two checks, out of line: the checks run on every
// cookie a handler writes, their failures almost never.

#[cold]
#[inline(never)]
fn invalid_name(name: &str, bad: Option<grammar::BadByte>) -> CookieError {
    let detail = match bad {
        None => "a cookie name must not be empty".to_owned(),
        Some(bad) => {
            format!("{bad} is not allowed in a cookie name, which must be an RFC 9110 token")
        }
    };
    CookieError::new(printable(name), ViolationKind::InvalidName, detail)
}

#[cold]
#[inline(never)]
fn invalid_value(name: &str, bad: grammar::BadByte) -> CookieError {
    CookieError::new(
        printable(name),
        ViolationKind::InvalidValue,
        format!(
            "{bad} is not allowed in a cookie value; encode the value, for example as base64url"
        ),
    )
}

#[cold]
#[inline(never)]
fn bad_escape(name: &str, at: usize) -> CookieError {
    CookieError::new(
        printable(name),
        ViolationKind::InvalidValue,
        format!(
            "'%' at position {at} is not followed by two hex digits, so the value could not be read back; write it as %25"
        ),
    )
}

/// Checks an attribute value's bytes and length (R4).
fn check_attribute_value(attribute: &str, value: &str) -> Result<(), String> {
    if value.len() > MAX_ATTRIBUTE_VALUE_BYTES {
        return Err(format!(
            "the {attribute} attribute is {} bytes long, over the {MAX_ATTRIBUTE_VALUE_BYTES} bytes browsers keep",
            value.len()
        ));
    }
    grammar::check_attribute_value(value.as_bytes())
        .map_err(|bad| format!("{bad} is not allowed in the {attribute} attribute"))
}

/// Checks a `Path` value (R4, R5).
pub(crate) fn check_path(path: &str) -> Result<(), (ViolationKind, String)> {
    check_attribute_value("Path", path).map_err(|m| (ViolationKind::InvalidAttribute, m))?;
    if !path.starts_with('/') {
        return Err((
            ViolationKind::InvalidPath,
            format!("a path must start with '/', got {:?}", printable(path)),
        ));
    }
    // A header's attribute values are read trimmed, so such a path could
    // never be written exactly (only a configured path can end so).
    if path.ends_with(' ') {
        return Err((
            ViolationKind::InvalidPath,
            format!(
                "a path must not end with a space, which is trimmed when the header is read, got {:?}",
                printable(path)
            ),
        ));
    }
    Ok(())
}

/// Normalizes and checks a `Domain` value (R6): strips one leading dot,
/// lower-cases it, and requires a plain host name (letters, digits, `-`,
/// labels of 1 to 63 bytes, 253 bytes in all; no port, no IPv6 literal).
pub(crate) fn normalize_domain(domain: &str) -> Result<Cow<'_, str>, String> {
    let bad = || {
        format!(
            "a domain must be a plain host name of letters, digits, '-' and '.', got {:?}",
            printable(domain)
        )
    };
    let d = domain.strip_prefix('.').unwrap_or(domain);
    if d.is_empty() || d.len() > 253 {
        return Err(bad());
    }
    let ok = d.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if !ok {
        return Err(bad());
    }
    Ok(if d.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(d.to_ascii_lowercase())
    } else {
        Cow::Borrowed(d)
    })
}

/// The attributes a `Set-Cookie` can carry, one bit each (to find
/// duplicates), declared in canonical order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Attr {
    HttpOnly = 1,
    SameSite = 2,
    Secure = 4,
    Path = 8,
    Domain = 16,
    MaxAge = 32,
    Expires = 64,
    Partitioned = 128,
    Priority = 256,
}

/// Splits at an ASCII byte, scanning bytes rather than chars (this runs for
/// every cookie the app writes). Slicing at an ASCII byte always falls on a
/// char boundary.
pub(crate) fn split_ascii(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    s.as_bytes()
        .split(move |&b| b == sep)
        .scan(0usize, move |start, piece| {
            let from = *start;
            *start += piece.len() + 1;
            s.get(from..from + piece.len())
        })
}

/// Whether `name=value` meets R1 and R2 and reads back (no bad `%`
/// escape): the fast paths' check, which builds no error.
fn is_valid_pair(name: &str, value: &str) -> bool {
    grammar::check_name(name.as_bytes()).is_ok()
        && grammar::check_value(value.as_bytes()).is_ok()
        && grammar::bad_percent_escape(value.as_bytes()).is_none()
}

/// A `Max-Age` value spelled exactly as `Display` writes it (digits, no
/// sign, no leading zero, within `i64`), read; `None` for any other spelling.
/// The one definition of a canonical `Max-Age` for every parser here.
fn canonical_max_age(v: impl AsRef<[u8]>) -> Option<i64> {
    let v = v.as_ref();
    if v.is_empty() || (v.len() > 1 && v[0] == b'0') {
        return None;
    }
    // Digits only, so a fold rather than `str::parse`, whose sign and
    // radix handling is code the usual response would run for nothing.
    v.iter().try_fold(0i64, |n, &b| {
        b.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(i64::from(b - b'0')))
            .flatten()
    })
}

/// Where the first `;` is, or the length: a plain byte scan, several times
/// cheaper than `str::find` with a char pattern on these short strings.
fn semicolon(s: &str) -> usize {
    s.bytes().position(|b| b == b';').unwrap_or(s.len())
}

fn split_once_ascii(s: &str, sep: u8) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| b == sep)?;
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// Attribute names as written canonically, matched case-insensitively.
const ATTRS: [(&str, Attr); 9] = [
    ("Path", Attr::Path),
    ("HttpOnly", Attr::HttpOnly),
    ("SameSite", Attr::SameSite),
    ("Secure", Attr::Secure),
    ("Max-Age", Attr::MaxAge),
    ("Expires", Attr::Expires),
    ("Domain", Attr::Domain),
    ("Partitioned", Attr::Partitioned),
    ("Priority", Attr::Priority),
];

impl<'a> SetCookie<'a> {
    /// Parses one `Set-Cookie` header value strictly.
    ///
    /// Attribute names are matched case-insensitively and white space around
    /// attributes is trimmed; the name and value are taken byte for byte and
    /// must meet R1 and R2. A duplicate attribute (R13), an unknown one, a
    /// flag with a value, or a malformed value (R4, R5, R6, R12, R14, R15) is
    /// an error naming the cookie and the rule.
    pub fn parse(header: &'a str) -> Result<SetCookie<'a>, CookieError> {
        Self::parse_canonical(header).map(|(c, _)| c)
    }

    /// [`SetCookie::parse`], and whether `header` is already exactly the
    /// canonical form of the cookie (what `Display` would write), found in
    /// the same pass: then the layer can send the header as it is.
    pub(crate) fn parse_canonical(header: &'a str) -> Result<(SetCookie<'a>, bool), CookieError> {
        if let Some(c) = Self::parse_exact(header) {
            return Ok((c, true));
        }
        Self::parse_general(header)
    }

    /// The fast path of [`SetCookie::parse_canonical`]: reads a header only
    /// if it is exactly in canonical form, and gives up (`None`) at the first
    /// byte that is not, leaving the error or the rewrite to
    /// [`SetCookie::parse_general`]. Hand-written as one forward scan with
    /// exact matches, because it runs on every cookie the app writes, and
    /// nearly all of them are canonical (the `cookie` crate writes this
    /// order). A property test holds it to `parse_general`.
    fn parse_exact(header: &'a str) -> Option<SetCookie<'a>> {
        let (first, mut rest) = header.split_at(semicolon(header));
        let (name, value) = split_once_ascii(first, b'=')?;
        if !is_valid_pair(name, value) {
            return None;
        }
        let mut c = SetCookie {
            name: Cow::Borrowed(name),
            value: Cow::Borrowed(value),
            ..SetCookie::default()
        };
        let mut last = 0u16;
        while !rest.is_empty() {
            rest = rest.strip_prefix("; ")?;
            let (part, after) = rest.split_at(semicolon(rest));
            rest = after;
            let which = match part {
                "HttpOnly" => Attr::HttpOnly,
                "Secure" => Attr::Secure,
                "Partitioned" => Attr::Partitioned,
                _ => {
                    let (attr, v) = split_once_ascii(part, b'=')?;
                    if v.len() > MAX_ATTRIBUTE_VALUE_BYTES {
                        return None;
                    }
                    match attr {
                        "SameSite" => {
                            c.same_site = Some(match v {
                                "Lax" => SameSite::Lax,
                                "Strict" => SameSite::Strict,
                                "None" => SameSite::None,
                                _ => return None,
                            });
                            Attr::SameSite
                        }
                        "Path" => {
                            // White space at the end is trimmed when parsed.
                            if v.ends_with([' ', '\t']) {
                                return None;
                            }
                            check_path(v).ok()?;
                            c.path = Some(Cow::Borrowed(v));
                            Attr::Path
                        }
                        "Domain" => {
                            match normalize_domain(v).ok()? {
                                Cow::Borrowed(d) if d.len() == v.len() => {
                                    c.domain = Some(Cow::Borrowed(d));
                                }
                                _ => return None,
                            }
                            Attr::Domain
                        }
                        "Max-Age" => {
                            c.max_age = Some(canonical_max_age(v)?);
                            Attr::MaxAge
                        }
                        "Expires" => {
                            let t = httpdate::parse_http_date(v).ok()?;
                            if httpdate::fmt_http_date(t) != v {
                                return None;
                            }
                            c.expires = Some(t);
                            Attr::Expires
                        }
                        "Priority" => {
                            c.priority = Some(match v {
                                "Low" => Priority::Low,
                                "Medium" => Priority::Medium,
                                "High" => Priority::High,
                                _ => return None,
                            });
                            Attr::Priority
                        }
                        _ => return None,
                    }
                }
            };
            // Strictly increasing: canonical order, and no attribute twice.
            if which as u16 <= last {
                return None;
            }
            last = which as u16;
            match which {
                Attr::HttpOnly => c.http_only = true,
                Attr::Secure => c.secure = true,
                Attr::Partitioned => c.partitioned = true,
                _ => {}
            }
        }
        Some(c)
    }

    /// The general strict parser: any spelling, order and white space the
    /// grammar allows, an error for anything else, and whether the header
    /// was canonical after all.
    fn parse_general(header: &'a str) -> Result<(SetCookie<'a>, bool), CookieError> {
        let mut parts = split_ascii(header, b';');
        let first = parts.next().unwrap_or_default();
        let Some((name, value)) = split_once_ascii(first, b'=') else {
            return Err(CookieError::new(
                "",
                ViolationKind::InvalidName,
                format!(
                    "a Set-Cookie without '=' makes a nameless cookie: {:?}",
                    printable(first)
                ),
            ));
        };
        check_name(name)?;
        check_value(name, value)?;
        let mut c = SetCookie {
            name: Cow::Borrowed(name),
            value: Cow::Borrowed(value),
            ..SetCookie::default()
        };
        let fail = |kind, detail: String| CookieError::new(printable(name), kind, detail);
        let mut seen = 0u16;
        // Canonical: each attribute after exactly "; ", spelled as `canonical`
        // spells it, with its value in canonical form, in increasing order.
        let mut canonical = true;
        let mut last: Option<Attr> = None;
        for raw in parts {
            let part = raw.trim_matches([' ', '\t']);
            if part.is_empty() {
                canonical = false;
                continue;
            }
            canonical &= raw.len() == part.len() + 1 && raw.as_bytes()[0] == b' ';
            let (attr, val) = match split_once_ascii(part, b'=') {
                Some((a, v)) => {
                    let (trimmed_a, trimmed_v) = (
                        a.trim_end_matches([' ', '\t']),
                        v.trim_start_matches([' ', '\t']),
                    );
                    canonical &= trimmed_a.len() == a.len() && trimmed_v.len() == v.len();
                    (trimmed_a, Some(trimmed_v))
                }
                None => (part, None),
            };
            // Matched without allocating: this runs for every attribute of
            // every cookie the app writes.
            let which = match ATTRS.iter().find(|(n, _)| n.eq_ignore_ascii_case(attr)) {
                Some((_, which)) => *which,
                None => {
                    return Err(fail(
                        ViolationKind::InvalidAttribute,
                        format!(
                            "unknown attribute {:?}; the policy writes only Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite, Partitioned and Priority",
                            printable(attr)
                        ),
                    ));
                }
            };
            if seen & which as u16 != 0 {
                return Err(fail(
                    ViolationKind::DuplicateAttribute,
                    format!("the {} attribute is written twice", canonical_name(which)),
                ));
            }
            seen |= which as u16;
            canonical &= attr == canonical_name(which) && last < Some(which);
            last = Some(which);
            match (which, val) {
                (Attr::Secure | Attr::HttpOnly | Attr::Partitioned, Some(_)) => {
                    return Err(fail(
                        ViolationKind::InvalidAttribute,
                        format!("the {} attribute takes no value", canonical_name(which)),
                    ));
                }
                (Attr::Secure, None) => c.secure = true,
                (Attr::HttpOnly, None) => c.http_only = true,
                (Attr::Partitioned, None) => c.partitioned = true,
                (_, None) => {
                    return Err(fail(
                        ViolationKind::InvalidAttribute,
                        format!("the {} attribute needs a value", canonical_name(which)),
                    ));
                }
                (_, Some(v)) => {
                    check_attribute_value(canonical_name(which), v)
                        .map_err(|m| fail(ViolationKind::InvalidAttribute, m))?;
                    canonical &= c.set_valued(which, v).map_err(|(k, m)| fail(k, m))?;
                }
            }
        }
        Ok((c, canonical))
    }

    /// Sets a valued attribute; returns whether `v` is written as
    /// `Display` writes it.
    fn set_valued(&mut self, which: Attr, v: &'a str) -> Result<bool, (ViolationKind, String)> {
        let canonical = match which {
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
                // Other date formats are accepted, and written as IMF-fixdate.
                httpdate::fmt_http_date(t) == v
            }
            Attr::MaxAge => {
                let digits = v.strip_prefix('-').unwrap_or(v);
                let valid = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                let n = if !valid {
                    None
                } else if v.starts_with('-') {
                    Some(0) // Max-Age <= 0 means "expire now" (bis §5.6.2): same meaning.
                } else {
                    // Any count of digits beyond i64 is certainly over the 400-day cap.
                    Some(v.parse::<i64>().unwrap_or(i64::MAX))
                };
                let Some(n) = n else {
                    return Err((
                        ViolationKind::InvalidLifetime,
                        format!("Max-Age must be a whole number of seconds, got {v:?}"),
                    ));
                };
                self.max_age = Some(n);
                canonical_max_age(v).is_some()
            }
            Attr::Domain => {
                let d = normalize_domain(v).map_err(|m| (ViolationKind::InvalidDomain, m))?;
                let canonical = matches!(d, Cow::Borrowed(b) if b.len() == v.len());
                self.domain = Some(d);
                canonical
            }
            Attr::Path => {
                check_path(v)?;
                self.path = Some(Cow::Borrowed(v));
                true
            }
            Attr::SameSite => {
                let same_site = match v {
                    _ if v.eq_ignore_ascii_case("lax") => SameSite::Lax,
                    _ if v.eq_ignore_ascii_case("strict") => SameSite::Strict,
                    _ if v.eq_ignore_ascii_case("none") => SameSite::None,
                    _ => {
                        return Err((
                            ViolationKind::InvalidSameSite,
                            format!("SameSite must be Strict, Lax or None, got {v:?}"),
                        ));
                    }
                };
                self.same_site = Some(same_site);
                v == same_site.as_str()
            }
            Attr::Priority => {
                let priority = match v {
                    _ if v.eq_ignore_ascii_case("low") => Priority::Low,
                    _ if v.eq_ignore_ascii_case("medium") => Priority::Medium,
                    _ if v.eq_ignore_ascii_case("high") => Priority::High,
                    _ => {
                        return Err((
                            ViolationKind::InvalidPriority,
                            format!("Priority must be Low, Medium or High, got {v:?}"),
                        ));
                    }
                };
                self.priority = Some(priority);
                v == priority.as_str()
            }
            Attr::Secure | Attr::HttpOnly | Attr::Partitioned => true,
        };
        Ok(canonical)
    }

    /// Fills every attribute this cookie leaves unset from the policy: the
    /// cookie's override first, then the defaults. Flags (`Secure`,
    /// `HttpOnly`, `Partitioned`) absent from a header are unset, so the
    /// policy turns them on; turn one off for a cookie in its override.
    pub fn fill_from(&mut self, policy: &'a CookiePolicy) {
        self.fill_with(policy.attributes(&self.name));
    }

    /// [`SetCookie::fill_from`] with the attributes already looked up;
    /// returns whether it changed anything.
    fn fill_with(&mut self, attrs: &'a CookieAttributes) -> bool {
        let mut changed = false;
        // A cookie declared with a prefix but written under its plain name
        // is sent under the prefixed name.
        if let Some(p) = attrs.prefix
            && !self.name.starts_with(p.as_str())
        {
            self.name = Cow::Owned(format!("{}{}", p.as_str(), self.name));
            changed = true;
        }
        let (explicit_path, explicit_domain) = (self.path.is_some(), self.domain.is_some());
        if self.max_age.is_none()
            && self.expires.is_none()
            && let Some(seconds) = attrs.max_age.seconds()
        {
            self.max_age = Some(i64::from(seconds));
            changed = true;
        }
        if self.domain.is_none()
            && let Some(domain) = &attrs.domain
        {
            self.domain = Some(Cow::Borrowed(domain));
            changed = true;
        }
        if self.path.is_none() {
            self.path = Some(Cow::Borrowed(&attrs.path));
            changed = true;
        }
        let same_site = self.same_site.or(Some(attrs.same_site));
        let priority = self.priority.or(attrs.priority);
        changed |= (attrs.secure && !self.secure)
            || (attrs.http_only && !self.http_only)
            || (attrs.partitioned && !self.partitioned)
            || same_site != self.same_site
            || priority != self.priority;
        self.secure |= attrs.secure;
        self.http_only |= attrs.http_only;
        self.same_site = same_site;
        self.partitioned |= attrs.partitioned;
        self.priority = priority;
        // A canonical prefix declares what the cookie needs (R7, R8): add
        // it, unless the cookie itself said otherwise (then `check` refuses).
        if let Some((req, true)) = prefix::of(&self.name) {
            changed |= (req.secure && !self.secure) || (req.http_only && !self.http_only);
            self.secure |= req.secure;
            self.http_only |= req.http_only;
            if req.host {
                if !explicit_path {
                    changed |= self.path.as_deref() != Some("/");
                    self.path = Some(Cow::Borrowed("/"));
                }
                if !explicit_domain {
                    changed |= self.domain.is_some();
                    self.domain = None;
                }
            }
        }
        changed
    }

    /// Whether this is a removal: `Max-Age` of 0, or `Expires` in the past.
    pub fn is_removal(&self, now: SystemTime) -> bool {
        match (self.max_age, self.expires) {
            (Some(max_age), _) => max_age <= 0,
            (None, Some(expires)) => expires <= now,
            (None, None) => false,
        }
    }

    /// Checks the rules that depend on several attributes together, or on
    /// the time: R3, R10, R11, R12.
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
        if let Some((req, canonical)) = prefix::of(&self.name) {
            if !canonical {
                return Err(fail(
                    ViolationKind::NonCanonicalPrefix,
                    format!(
                        "browsers read this name as {} prefixed; spell the prefix exactly {}",
                        req.prefix, req.prefix
                    ),
                ));
            }
            if (req.secure && !self.secure) || (req.http_only && !self.http_only) {
                let needs = if req.http_only {
                    "Secure and HttpOnly"
                } else {
                    "Secure"
                };
                return Err(fail(
                    ViolationKind::SecurePrefix,
                    format!("a {} cookie needs {needs}", req.prefix),
                ));
            }
            if req.host && (self.path.as_deref() != Some("/") || self.domain.is_some()) {
                return Err(fail(
                    ViolationKind::HostPrefix,
                    format!("a {} cookie needs Path=/ and no Domain", req.prefix),
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

/// Checks `Domain` against the host the request was sent to (R6): the host
/// must domain-match it, and it must not be a public suffix unless it is the
/// host itself (bis §5.7 steps 8-10); otherwise browsers ignore the cookie.
fn check_domain_for_host(cookie: &SetCookie<'_>, host: &str) -> Result<(), CookieError> {
    let Some(domain) = cookie.domain.as_deref() else {
        return Ok(());
    };
    if host == domain {
        return Ok(());
    }
    let fail = |detail: String| {
        CookieError::new(
            printable(&cookie.name),
            ViolationKind::InvalidDomain,
            detail,
        )
    };
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    let covers = !is_ip
        && host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.';
    if !covers {
        return Err(fail(format!(
            "Domain={domain} does not cover the request host {host}, so browsers ignore the cookie"
        )));
    }
    if psl::domain_str(domain).is_none() {
        return Err(fail(format!(
            "Domain={domain} is a public suffix, so browsers ignore the cookie; use the host name or no Domain"
        )));
    }
    Ok(())
}

/// Whether `domain` is on the public suffix list (`com`, `co.uk`, `github.io`).
pub(crate) fn is_listed_public_suffix(domain: &str) -> bool {
    psl::suffix(domain.as_bytes())
        .is_some_and(|s| s.is_known() && s.as_bytes() == domain.as_bytes())
}

/// The host name of a `Host` value: no port, no IPv6 brackets, lower case.
pub(crate) fn host_name(host: &str) -> String {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn canonical_name(which: Attr) -> &'static str {
    match which {
        Attr::Expires => "Expires",
        Attr::MaxAge => "Max-Age",
        Attr::Domain => "Domain",
        Attr::Path => "Path",
        Attr::Secure => "Secure",
        Attr::HttpOnly => "HttpOnly",
        Attr::SameSite => "SameSite",
        Attr::Partitioned => "Partitioned",
        Attr::Priority => "Priority",
    }
}

impl SetCookie<'_> {
    /// Writes the canonical header into `out`; `Display` and the layer share
    /// it. The order is the `cookie` crate's (so actix-web's), then the two
    /// attributes that crate does not write.
    fn render_into<W: std::fmt::Write>(&self, out: &mut W) -> std::fmt::Result {
        out.write_str(&self.name)?;
        out.write_char('=')?;
        out.write_str(&self.value)?;
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
        if let Some(max_age) = self.max_age {
            write!(out, "; Max-Age={}", max_age.max(0))?;
        }
        if let Some(expires) = self.expires {
            write!(out, "; Expires={}", httpdate::HttpDate::from(expires))?;
        }
        if self.partitioned {
            out.write_str("; Partitioned")?;
        }
        if let Some(priority) = self.priority {
            out.write_str("; Priority=")?;
            out.write_str(priority.as_str())?;
        }
        Ok(())
    }

    /// The canonical header as a `HeaderValue`, built in one allocation.
    fn header_value(&self) -> Result<HeaderValue, CookieError> {
        let mut out = String::with_capacity(self.name.len() + self.value.len() + 96);
        // Writing to a String cannot fail.
        let _ = self.render_into(&mut out);
        HeaderValue::try_from(out).map_err(|_| {
            // Unreachable in practice: every part was checked against the grammar.
            CookieError::new(
                printable(&self.name),
                ViolationKind::InvalidAttribute,
                "the cookie cannot be written as a header",
            )
        })
    }
}

impl std::fmt::Display for SetCookie<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.render_into(f)
    }
}

/// One `Set-Cookie` the layer sends, as it will send it.
struct Written<'h> {
    /// The cookie, after filling and protection.
    cookie: SetCookie<'h>,
    /// Its header: `None` to send the app's header as it is (already
    /// canonical and complete), else the new one.
    header: Option<HeaderValue>,
    /// The app's header it came from; `None` for a re-issued cookie.
    original: Option<&'h HeaderValue>,
}

/// Parses, fills and checks one `Set-Cookie` header; renders it again only
/// when the policy changed something or it was not written canonically.
fn process_one<'h>(
    policy: &'h CookiePolicy,
    value: &'h HeaderValue,
    now: SystemTime,
    host: &dyn Fn() -> Option<String>,
) -> Result<(Written<'h>, bool), CookieError> {
    // UTF-8 is enough here (and cheaper than `to_str`'s visible-ASCII
    // scan): the grammar checks refuse every control or non-ASCII byte in
    // a name, value or attribute.
    let text = std::str::from_utf8(value.as_bytes()).map_err(|_| {
        let lossy = String::from_utf8_lossy(value.as_bytes());
        let name = lossy.split(['=', ';']).next().unwrap_or_default();
        CookieError::new(
            printable(name),
            ViolationKind::InvalidValue,
            "the Set-Cookie header has bytes outside printable ASCII; encode the value, for example as base64url",
        )
    })?;
    if let Some((mut cookie, attrs)) = as_the_policy_writes(policy, text) {
        let (sensitive, sealed) = seal_and_check(policy, attrs, &mut cookie, now, None, host)?;
        let header = if sealed {
            Some(cookie.header_value()?)
        } else {
            None
        };
        let written = Written {
            cookie,
            header,
            original: Some(value),
        };
        return Ok((written, sensitive));
    }
    let (mut cookie, canonical) = SetCookie::parse_canonical(text)?;
    let prepared = prepare(policy, &mut cookie, now, host)?;
    let header = if canonical && !prepared.changed {
        debug_assert_eq!(
            cookie.to_string(),
            text,
            "a canonical header is sent as it is"
        );
        None
    } else {
        Some(cookie.header_value()?)
    };
    let written = Written {
        cookie,
        header,
        original: Some(value),
    };
    Ok((written, prepared.sensitive))
}

/// A header exactly as the policy writes it for its name, matched by
/// [`as_written`]: `name=value` + the policy's precomputed text, with at
/// most the cookie's own `Max-Age`. Name and value are checked ASCII.
struct AsWritten<'h> {
    name: &'h [u8],
    value: &'h [u8],
    max_age: Option<i64>,
    attrs: &'h CookieAttributes,
}

/// The one definition of "what the policy writes" (`policy.set_cookie`, or
/// `policy.cookie` without changes): a name and a value without `%`, then
/// exactly the attributes' precomputed text, with at most the cookie's own
/// canonical `Max-Age` (the policy's is required when it has one: filling
/// would add it). One comparison replaces parsing the attributes; `None`
/// sends the header down the general path.
///
/// On bytes: a match is ASCII throughout (plain name and value bytes, then
/// the policy's own text), so the header needs no UTF-8 check first, which
/// was six more lines of code on every response with a cookie.
fn as_written<'h>(policy: &'h CookiePolicy, text: &'h [u8]) -> Option<AsWritten<'h>> {
    let name_len = grammar::plain_name_len(text);
    let (name, rest) = text.split_at(name_len);
    let rest = rest.strip_prefix(b"=").filter(|_| !name.is_empty())?;
    let (value, rest) = rest.split_at(grammar::plain_value_len(rest)?);
    let attrs = policy.attributes_of(name);
    let rendered = &attrs.rendered;
    let mut rest = rest.strip_prefix(rendered.head.as_bytes())?;
    let mut max_age = None;
    if let Some(r) = rest.strip_prefix(b"; Max-Age=") {
        let len = r.iter().take_while(|b| b.is_ascii_digit()).count();
        max_age = Some(canonical_max_age(&r[..len])?);
        rest = &r[len..];
    }
    if rest != rendered.tail.as_bytes() || (max_age.is_none() && attrs.max_age.seconds().is_some())
    {
        return None;
    }
    Some(AsWritten {
        name,
        value,
        max_age,
        attrs,
    })
}

/// The usual response's one `Set-Cookie`, decided in one match: a header
/// [`as_written`] for a plain cookie (not protected, no `Domain`, no
/// prefix, so nothing to seal and no request to look at) within the size
/// (R3) and lifetime (R12) limits. The policy's attributes meet every other
/// rule, checked when it was loaded. Returns whether the cookie is
/// sensitive; `None` sends the header to [`process_one`].
///
/// Why a second door before `process_one`, which takes the same headers:
/// this one is a few cache lines of code, where `process_one`, `check` and
/// `seal_and_check` are some fifty, all of which the usual `/login` would
/// otherwise run (`scripts/bench-server-callgrind.sh`). In debug builds
/// [`unchanged`] checks that `process_one` says the same.
pub(crate) fn plain_as_written(policy: &CookiePolicy, header: &HeaderValue) -> Option<bool> {
    let w = as_written(policy, header.as_bytes())?;
    let a = w.attrs;
    let plain = a.protection.is_none()
        && a.domain.is_none()
        && a.prefix.is_none()
        && !w.name.starts_with(b"__");
    let within = w.name.len() + w.value.len() <= MAX_NAME_VALUE_BYTES
        && w.max_age
            .is_none_or(|s| s <= i64::from(MAX_LIFETIME_SECONDS));
    (plain && within).then_some(a.sensitive)
}

/// The fastest path of [`process_one`]: a header [`as_written`], as a
/// cookie that filling would not change; the caller still protects and
/// checks it as any other cookie.
fn as_the_policy_writes<'h>(
    policy: &'h CookiePolicy,
    text: &'h str,
) -> Option<(SetCookie<'h>, &'h CookieAttributes)> {
    let AsWritten {
        name,
        value,
        max_age,
        attrs,
    } = as_written(policy, text.as_bytes())?;
    // ASCII, so these are the same bytes of `text` as text.
    let name = text.get(..name.len())?;
    let value = text.get(name.len() + 1..name.len() + 1 + value.len())?;
    // A declared prefix missing from the name, or a prefix whose
    // requirements the attributes do not meet: filling would change them.
    if let Some(p) = attrs.prefix
        && !name.starts_with(p.as_str())
    {
        return None;
    }
    if let Some((req, _)) = prefix::of(name)
        && ((req.secure && !attrs.secure)
            || (req.http_only && !attrs.http_only)
            || (req.host && (attrs.path != "/" || attrs.domain.is_some())))
    {
        return None;
    }
    let cookie = SetCookie {
        name: Cow::Borrowed(name),
        value: Cow::Borrowed(value),
        max_age,
        expires: None,
        domain: attrs.domain.as_deref().map(Cow::Borrowed),
        path: Some(Cow::Borrowed(&attrs.path)),
        secure: attrs.secure,
        http_only: attrs.http_only,
        same_site: Some(attrs.same_site),
        partitioned: attrs.partitioned,
        priority: attrs.priority,
    };
    #[cfg(debug_assertions)]
    {
        // The general path reads the same cookie, canonical and complete.
        let (parsed, canonical) = SetCookie::parse_canonical(text).expect("it parses");
        assert!(canonical && parsed == cookie, "{text}");
        assert!(!parsed.clone().fill_with(attrs), "{text}");
    }
    Some((cookie, attrs))
}

/// What [`prepare`] did to a cookie.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prepared {
    /// The cookie is sensitive (R22).
    pub sensitive: bool,
    /// Filling or protection changed the cookie.
    pub changed: bool,
}

/// The whole outbound pipeline for one parsed cookie: fill from the policy,
/// protect the value if the cookie is declared protected (a removal keeps
/// its empty value), then check every rule on what will be sent, so the size
/// budget (R3) applies to the protected value. The policy is looked up once
/// per cookie.
pub(crate) fn prepare<'a>(
    policy: &'a CookiePolicy,
    cookie: &mut SetCookie<'a>,
    now: SystemTime,
    host: &dyn Fn() -> Option<String>,
) -> Result<Prepared, CookieError> {
    let attrs = policy.attributes(&cookie.name);
    let filled = cookie.fill_with(attrs);
    let (sensitive, sealed) = seal_and_check(policy, attrs, cookie, now, None, host)?;
    Ok(Prepared {
        sensitive,
        changed: filled || sealed,
    })
}

/// The steps after filling, shared with re-issue: protect, then check every
/// rule (the request's host is looked up only for a cookie with a Domain).
/// `issued_at` is the protected value's issue time, `None` for now.
/// Returns whether the cookie is sensitive, and whether it was protected.
fn seal_and_check(
    policy: &CookiePolicy,
    attrs: &CookieAttributes,
    cookie: &mut SetCookie<'_>,
    now: SystemTime,
    issued_at: Option<u64>,
    host: &dyn Fn() -> Option<String>,
) -> Result<(bool, bool), CookieError> {
    let mut sealed = false;
    if let (Some(protection), Some(keys)) = (attrs.protection, policy.keys())
        && !cookie.is_removal(now)
    {
        if cookie.value.contains('"') {
            // A quoted value would end up with quotes inside the protected
            // form, which is not a cookie value and would never read back.
            return Err(CookieError::new(
                printable(&cookie.name),
                ViolationKind::InvalidValue,
                "a protected cookie's value cannot be quoted; drop the quotes",
            ));
        }
        let issued_at = issued_at.unwrap_or_else(|| protect::unix_seconds(now));
        cookie.value = Cow::Owned(keys.protect(protection, &cookie.name, &cookie.value, issued_at));
        sealed = true;
    }
    cookie.check(now)?;
    if cookie.domain.is_some()
        && let Some(host) = host()
    {
        check_domain_for_host(cookie, &host)?;
    }
    Ok((attrs.is_sensitive_name(&cookie.name), sealed))
}

/// A protected cookie that verified with a previous key: re-issued under
/// the current key on the same response, with its original issue time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reissue {
    /// The cookie's name on the wire.
    pub name: String,
    /// The plain value.
    pub value: String,
    /// The original issue time, in Unix seconds.
    pub issued_at: u64,
}

/// Builds the `Set-Cookie` that re-issues a rotated cookie: the policy's
/// attributes, `Max-Age` cut to what is left of its lifetime.
fn reissue_one<'h>(
    policy: &'h CookiePolicy,
    r: &'h Reissue,
    now: SystemTime,
    host: &dyn Fn() -> Option<String>,
) -> Result<Written<'h>, CookieError> {
    check_value(&r.name, &r.value)?;
    let mut cookie = SetCookie {
        name: Cow::Borrowed(&r.name),
        value: Cow::Borrowed(&r.value),
        ..SetCookie::default()
    };
    let attrs = policy.attributes(&cookie.name);
    cookie.fill_with(attrs);
    if let Some(max_age) = cookie.max_age {
        let age = i64::try_from(protect::unix_seconds(now).saturating_sub(r.issued_at))
            .unwrap_or(i64::MAX);
        cookie.max_age = Some(max_age.saturating_sub(age).max(1));
    }
    seal_and_check(policy, attrs, &mut cookie, now, Some(r.issued_at), host)?;
    let header = Some(cookie.header_value()?);
    Ok(Written {
        cookie,
        header,
        original: None,
    })
}

/// What applying the policy to a response's cookies found.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The violations, in header order.
    pub errors: Vec<CookieError>,
    /// A sensitive cookie is among those sent (R22).
    pub sensitive: bool,
}

/// Applies the policy to every `Set-Cookie` in `headers`; `host` gives the
/// request's host name, when known, for the `Domain` check (R6). The layer
/// first asks [`unchanged`], which answers the usual response without
/// borrowing it mutably, and calls this for the rest, so that no header is
/// matched twice; this is right for any headers.
///
/// When there are no violations, or when `keep_valid` is set (the `drop`
/// mode), the headers become the valid cookies in canonical form (a header
/// already canonical and complete is left as it is, so the usual response
/// costs no allocation here); otherwise they are left as they were and the
/// caller must not send them. Two cookies of one name (R13) are a
/// violation, and the first is kept, unless all of them are removals with
/// distinct `(Domain, Path)`: the one way to purge copies of a cookie
/// planted under other paths or domains.
pub(crate) fn apply(
    policy: &CookiePolicy,
    headers: &mut HeaderMap,
    keep_valid: bool,
    host: &dyn Fn() -> Option<String>,
    reissue: &[Reissue],
) -> Outcome {
    if reissue.is_empty() {
        let mut all = headers.get_all(SET_COOKIE);
        let one = match (all.next(), all.next()) {
            // Only what outlives the borrow of the header: its
            // replacement, if any, and whether it is sensitive.
            (Some(only), None) => process_one(policy, only, SystemTime::now(), host)
                .map(|(written, sensitive)| (written.header, sensitive)),
            _ => return apply_general(policy, headers, keep_valid, host, reissue),
        };
        return apply_one(headers, one, keep_valid);
    }
    apply_general(policy, headers, keep_valid, host, reissue)
}

/// The usual response, read without changing anything: no `Set-Cookie`,
/// or one that [`plain_as_written`] accepts (or, for a header
/// `policy.set_cookie` has just written, its record says so:
/// `builder::written_last`). `Some(sensitive)` when
/// [`apply`] would leave the headers as they are with no error, so that
/// the layer need not take the response apart for `apply`'s mutable
/// borrow of the headers and its look-up of the host; `None` otherwise.
/// It does not know what is to be re-issued: only for an empty list.
pub(crate) fn unchanged(policy: &CookiePolicy, headers: &HeaderMap) -> Option<bool> {
    let mut all = headers.get_all(SET_COOKIE);
    match (all.next(), all.next()) {
        (None, _) => Some(false),
        (Some(only), None) => {
            // A header `policy.set_cookie` has just written and checked
            // needs no second reading (`builder::written_last`).
            let sensitive = match super::builder::written_last(policy.id(), only.as_bytes()) {
                Some(sensitive) => sensitive,
                None => plain_as_written(policy, only)?,
            };
            #[cfg(debug_assertions)]
            {
                let general = process_one(policy, only, SystemTime::now(), &|| None);
                assert!(
                    matches!(&general, Ok((w, s)) if w.header.is_none() && *s == sensitive),
                    "{only:?}: {:?}",
                    general.map(|(w, s)| (w.header, s))
                );
            }
            Some(sensitive)
        }
        (Some(_), Some(_)) => None,
    }
}

/// The rest of [`apply`] for the usual response, one `Set-Cookie` and
/// nothing to re-issue, once [`process_one`] has read it: what
/// [`apply_general`] does, without the list of written cookies, the
/// duplicate check (one cookie cannot clash) and the replacement list.
fn apply_one(
    headers: &mut HeaderMap,
    one: Result<(Option<HeaderValue>, bool), CookieError>,
    keep_valid: bool,
) -> Outcome {
    match one {
        Ok((replacement, sensitive)) => {
            if let Some(header) = replacement {
                headers.insert(SET_COOKIE, header);
            }
            Outcome {
                errors: Vec::new(),
                sensitive,
            }
        }
        Err(e) => {
            // `drop`: the headers become the valid cookies, none.
            if keep_valid {
                headers.remove(SET_COOKIE);
            }
            Outcome {
                errors: vec![e],
                sensitive: false,
            }
        }
    }
}

/// [`apply`] for any response with a `Set-Cookie` or a cookie to re-issue.
fn apply_general(
    policy: &CookiePolicy,
    headers: &mut HeaderMap,
    keep_valid: bool,
    host: &dyn Fn() -> Option<String>,
    reissue: &[Reissue],
) -> Outcome {
    let mut outcome = Outcome::default();
    let now = SystemTime::now();
    // The headers to send, or `None` when every header stays as it is.
    let replacement: Option<Vec<HeaderValue>> = {
        let mut written: SmallVec<[Written<'_>; 2]> = SmallVec::new();
        let mut rewrite = false;
        for value in headers.get_all(SET_COOKIE) {
            match process_one(policy, value, now, host) {
                Ok((w, sensitive)) => {
                    let cookie = &w.cookie;
                    let clash = written.iter().any(|o| {
                        let c = &o.cookie;
                        c.name == cookie.name
                            && !(c.is_removal(now)
                                && cookie.is_removal(now)
                                && (&c.domain, &c.path) != (&cookie.domain, &cookie.path))
                    });
                    if clash {
                        outcome.errors.push(CookieError::new(
                            printable(&cookie.name),
                            ViolationKind::DuplicateCookie,
                            "the response sets this cookie twice; set it once",
                        ));
                        rewrite = true;
                    } else {
                        outcome.sensitive |= sensitive;
                        rewrite |= w.header.is_some();
                        written.push(w);
                    }
                }
                Err(e) => {
                    outcome.errors.push(e);
                    rewrite = true;
                }
            }
        }
        // Rotated cookies the response does not set itself.
        for r in reissue {
            if written.iter().any(|w| w.cookie.name == r.name.as_str()) {
                continue;
            }
            match reissue_one(policy, r, now, host) {
                Ok(w) => {
                    outcome.sensitive = true;
                    rewrite = true;
                    written.push(w);
                }
                Err(e) => outcome.errors.push(e),
            }
        }
        let send = outcome.errors.is_empty() || keep_valid;
        (send && rewrite).then(|| {
            written
                .into_iter()
                .filter_map(|w| w.header.or_else(|| w.original.cloned()))
                .collect()
        })
    };
    if let Some(replacement) = replacement {
        let mut replacement = replacement.into_iter();
        match replacement.next() {
            // `insert` replaces every old value at once; the rest append.
            Some(first) => {
                headers.insert(SET_COOKIE, first);
                for value in replacement {
                    headers.append(SET_COOKIE, value);
                }
            }
            None => {
                headers.remove(SET_COOKIE);
            }
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::CookiePolicyConfig;
    use actix_web::http::header::TryIntoHeaderPair;

    fn dev_policy() -> CookiePolicy {
        CookiePolicy::new(CookiePolicyConfig {
            secure: false,
            ..CookiePolicyConfig::default()
        })
        .unwrap()
    }

    /// The policy of `toml_src`, with a fresh key ring.
    fn keyed(toml_src: &str) -> CookiePolicy {
        use figment::providers::{Format, Toml};
        figment::Figment::from(Toml::string(toml_src))
            .extract::<CookiePolicy>()
            .unwrap()
            .with_keys(crate::policy::KeyRing::ephemeral().unwrap())
    }

    fn filled(header: &str, policy: &CookiePolicy) -> Result<String, CookieError> {
        let mut c = SetCookie::parse(header)?;
        c.fill_from(policy);
        c.check(SystemTime::now())?;
        Ok(c.to_string())
    }

    #[test]
    fn a_bare_cookie_gets_every_attribute_of_the_policy() {
        assert_eq!(
            filled("token=abc123", &dev_policy()).unwrap(),
            "token=abc123; HttpOnly; SameSite=Lax; Path=/"
        );
        assert_eq!(
            filled("token=abc123", &CookiePolicy::default()).unwrap(),
            "token=abc123; HttpOnly; SameSite=Lax; Secure; Path=/"
        );
    }

    #[test]
    fn attributes_the_cookie_sets_are_kept() {
        assert_eq!(
            filled(
                "a=b; Max-Age=1800; Path=/x; SameSite=Strict; Domain=.Example.COM",
                &dev_policy()
            )
            .unwrap(),
            "a=b; HttpOnly; SameSite=Strict; Path=/x; Domain=example.com; Max-Age=1800"
        );
    }

    #[test]
    fn an_expires_cookie_does_not_get_the_policy_max_age() {
        let policy = CookiePolicy::new(CookiePolicyConfig {
            max_age: crate::policy::Lifetime::Seconds(60),
            ..CookiePolicyConfig::default()
        })
        .unwrap();
        let out = filled("a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT", &policy).unwrap();
        assert_eq!(
            out,
            "a=b; HttpOnly; SameSite=Lax; Secure; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert_eq!(
            filled("a=b", &policy).unwrap(),
            "a=b; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=60"
        );
    }

    #[test]
    fn what_the_cookie_crate_writes_is_read_back_exactly() {
        let policy = CookiePolicy::default();
        let c = policy.removal("sid").unwrap();
        let text = c.to_string();
        let (parsed, canonical) = SetCookie::parse_canonical(&text).unwrap();
        assert_eq!(
            parsed.to_string(),
            "sid=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert!(canonical, "the cookie crate writes the canonical order");
        assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn a_header_is_canonical_only_when_display_writes_it_back_the_same() {
        let canonical = [
            "a=b",
            "a=b; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600",
            "a=\"b\"; SameSite=None; Secure; Path=/x; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Partitioned; Priority=High",
            "a=b; Max-Age=1000000000000000000",
            "a=b; Max-Age=9223372036854775807",
        ];
        let not_canonical = [
            "a=b;",
            "a=b; ",
            "a=b;Path=/",
            "a=b;  Path=/",
            "a=b; Path=/ ",
            "a=b; Path =/",
            "a=b; Path= /",
            "a=b; path=/",
            "a=b; Path=/; HttpOnly",
            "a=b; SameSite=lax",
            "a=b; Priority=high",
            "a=b; Max-Age=007",
            "a=b; Max-Age=-1",
            "a=b; Max-Age=-0",
            "a=b; Max-Age=99999999999999999999",
            "a=b; Max-Age=9223372036854775808",
            "a=b; Domain=.example.com",
            "a=b; Domain=Example.com",
            "a=b; Expires=Thursday, 01-Jan-70 00:00:00 GMT",
            "a=b;; Path=/",
        ];
        for header in canonical {
            let (c, is) = SetCookie::parse_general(header).unwrap();
            assert!(is, "{header}");
            assert_eq!(c.to_string(), header);
            assert_eq!(SetCookie::parse_exact(header), Some(c), "{header}");
        }
        for header in not_canonical {
            let (c, is) = SetCookie::parse_general(header).unwrap();
            assert!(!is, "{header}");
            assert_ne!(c.to_string(), header);
            assert_eq!(SetCookie::parse_exact(header), None, "{header}");
        }
    }

    #[test]
    fn a_complete_canonical_header_is_sent_as_it_is() {
        let policy = dev_policy();
        let mut headers = HeaderMap::new();
        let sent = HeaderValue::from_static("a=1; HttpOnly; SameSite=Lax; Path=/; Max-Age=60");
        headers.append(SET_COOKIE, sent.clone());
        let outcome = apply(&policy, &mut headers, false, &|| None, &[]);
        assert!(outcome.errors.is_empty());
        let got: Vec<_> = headers.get_all(SET_COOKIE).collect();
        assert_eq!(got, [&sent]);
        // The same attributes in another order are written again.
        let mut headers = HeaderMap::new();
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("a=1; Max-Age=60; Path=/; HttpOnly; SameSite=Lax"),
        );
        assert!(
            apply(&policy, &mut headers, false, &|| None, &[])
                .errors
                .is_empty()
        );
        let got: Vec<_> = headers.get_all(SET_COOKIE).collect();
        assert_eq!(got, [&sent]);
    }

    #[test]
    fn negative_max_age_is_written_as_zero() {
        assert_eq!(
            SetCookie::parse("a=b; Max-Age=-1").unwrap().to_string(),
            "a=b; Max-Age=0"
        );
    }

    #[test]
    fn malformed_set_cookies_are_refused_with_the_rule() {
        let cases: &[(&str, ViolationKind, &str)] = &[
            (
                "novalue",
                ViolationKind::InvalidName,
                "cookie ``: a Set-Cookie without '=' makes a nameless cookie: \"novalue\" (R1)",
            ),
            (
                "=v",
                ViolationKind::InvalidName,
                "cookie ``: a cookie name must not be empty (R1)",
            ),
            (
                "a=b c",
                ViolationKind::InvalidValue,
                "cookie `a`: byte 0x20 (space) at position 1 is not allowed in a cookie value; encode the value, for example as base64url (R2)",
            ),
            (
                "a=b; Path=/; path=/x",
                ViolationKind::DuplicateAttribute,
                "cookie `a`: the Path attribute is written twice (R13)",
            ),
            (
                "a=b; Foo=bar",
                ViolationKind::InvalidAttribute,
                "cookie `a`: unknown attribute \"Foo\"; the policy writes only Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite, Partitioned and Priority (R4)",
            ),
            (
                "a=b; Secure=yes",
                ViolationKind::InvalidAttribute,
                "cookie `a`: the Secure attribute takes no value (R4)",
            ),
            (
                "a=b; Path",
                ViolationKind::InvalidAttribute,
                "cookie `a`: the Path attribute needs a value (R4)",
            ),
            (
                "a=b; Path=x",
                ViolationKind::InvalidPath,
                "cookie `a`: a path must start with '/', got \"x\" (R5)",
            ),
            (
                "a=b; Domain=a b",
                ViolationKind::InvalidDomain,
                "cookie `a`: a domain must be a plain host name of letters, digits, '-' and '.', got \"a b\" (R6)",
            ),
            (
                "a=b; Max-Age=soon",
                ViolationKind::InvalidLifetime,
                "cookie `a`: Max-Age must be a whole number of seconds, got \"soon\" (R12)",
            ),
            (
                "a=b; Expires=tomorrow",
                ViolationKind::InvalidLifetime,
                "cookie `a`: Expires must be an HTTP date such as \"Thu, 01 Jan 1970 00:00:00 GMT\", got \"tomorrow\" (R12)",
            ),
            (
                "a=b; SameSite=Loose",
                ViolationKind::InvalidSameSite,
                "cookie `a`: SameSite must be Strict, Lax or None, got \"Loose\" (R14)",
            ),
            (
                "a=b; Priority=Urgent",
                ViolationKind::InvalidPriority,
                "cookie `a`: Priority must be Low, Medium or High, got \"Urgent\" (R15)",
            ),
        ];
        for (header, kind, msg) in cases {
            let e = SetCookie::parse(header).unwrap_err();
            assert_eq!(
                (e.kind(), e.to_string().as_str()),
                (*kind, *msg),
                "{header}"
            );
        }
    }

    #[test]
    fn combined_rules_are_checked_after_filling() {
        let now = SystemTime::now();
        let e = SetCookie::parse("a=b; SameSite=None")
            .unwrap()
            .check(now)
            .unwrap_err();
        assert_eq!(e.kind(), ViolationKind::SameSiteNoneInsecure);
        let e = SetCookie::parse("a=b; Partitioned")
            .unwrap()
            .check(now)
            .unwrap_err();
        assert_eq!(e.kind(), ViolationKind::PartitionedInsecure);
        let e = SetCookie::parse("a=b; Max-Age=34560001")
            .unwrap()
            .check(now)
            .unwrap_err();
        assert_eq!(e.kind(), ViolationKind::InvalidLifetime);
        assert!(
            SetCookie::parse("a=b; Max-Age=34560000")
                .unwrap()
                .check(now)
                .is_ok()
        );
        let e = SetCookie::parse("a=b; Expires=Fri, 01 Jan 9999 00:00:00 GMT")
            .unwrap()
            .check(now)
            .unwrap_err();
        assert_eq!(e.kind(), ViolationKind::InvalidLifetime);
        let big = format!("a={}", "x".repeat(4096));
        let e = SetCookie::parse(&big).unwrap().check(now).unwrap_err();
        assert_eq!(e.kind(), ViolationKind::TooLarge);
        assert!(
            SetCookie::parse(&format!("a={}", "x".repeat(4095)))
                .unwrap()
                .check(now)
                .is_ok()
        );
    }

    #[test]
    fn apply_rewrites_every_header_or_reports_every_violation() {
        let policy = dev_policy();
        let mut headers = HeaderMap::new();
        headers.append(SET_COOKIE, HeaderValue::from_static("a=1"));
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("b=2; HttpOnly; Max-Age=5"),
        );
        assert!(
            apply(&policy, &mut headers, false, &|| None, &[])
                .errors
                .is_empty()
        );
        let got: Vec<_> = headers
            .get_all(SET_COOKIE)
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            got,
            [
                "a=1; HttpOnly; SameSite=Lax; Path=/",
                "b=2; HttpOnly; SameSite=Lax; Path=/; Max-Age=5"
            ]
        );

        let mut headers = HeaderMap::new();
        headers.append(SET_COOKIE, HeaderValue::from_static("a=1"));
        headers.append(SET_COOKIE, HeaderValue::from_static("a=2"));
        headers.append(SET_COOKIE, HeaderValue::from_static("c=x y"));
        let errors = apply(&policy, &mut headers, false, &|| None, &[]).errors;
        let kinds: Vec<_> = errors.iter().map(|e| e.kind()).collect();
        assert_eq!(
            kinds,
            [ViolationKind::DuplicateCookie, ViolationKind::InvalidValue]
        );
        assert_eq!(
            headers.get_all(SET_COOKIE).count(),
            3,
            "reject mode leaves headers for the caller to discard"
        );

        let errors = apply(&policy, &mut headers, true, &|| None, &[]).errors;
        assert_eq!(errors.len(), 2);
        let got: Vec<_> = headers
            .get_all(SET_COOKIE)
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(got, ["a=1; HttpOnly; SameSite=Lax; Path=/"]);
    }

    #[test]
    fn tabs_and_non_ascii_bytes_are_refused_wherever_they_are() {
        let policy = dev_policy();
        for header in [
            &b"a=b; Path=/x\ty"[..],
            b"a=b; Path=/\xc3\xa9",
            b"a=\xc3\xa9",
            b"a=b; Pa\xc3\xa9th=/",
            b"a=b\xff",
        ] {
            let mut headers = HeaderMap::new();
            headers.append(SET_COOKIE, HeaderValue::from_bytes(header).unwrap());
            let errors = apply(&policy, &mut headers, false, &|| None, &[]).errors;
            assert_eq!(errors.len(), 1, "{header:?}");
        }
    }

    #[test]
    fn only_what_the_policy_writes_takes_the_fastest_path() {
        let policy = dev_policy();
        let hits = [
            "a=1; HttpOnly; SameSite=Lax; Path=/",
            "a=1; HttpOnly; SameSite=Lax; Path=/; Max-Age=0",
            "a=\"q\"; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600",
        ];
        for text in hits {
            let (c, _) = as_the_policy_writes(&policy, text).expect(text);
            assert_eq!(c.to_string(), text);
        }
        let misses = [
            "a=1",
            "a=1; HttpOnly; SameSite=Lax; Path=/; Secure",
            "a=1; HttpOnly; SameSite=Lax; Path=/; Max-Age=060",
            "a=1; HttpOnly; SameSite=Lax; Path=/; Max-Age=-1",
            "a=1; HttpOnly; SameSite=Lax; Path=/; Max-Age=",
            "a=1; HttpOnly; SameSite=Lax; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "a=1; HttpOnly; SameSite=Lax; Path=/x",
            "a=1; HttpOnly; SameSite=Strict; Path=/",
            "a=1 2; HttpOnly; SameSite=Lax; Path=/",
            "a=5%; HttpOnly; SameSite=Lax; Path=/",
            "a b=1; HttpOnly; SameSite=Lax; Path=/",
            "__Secure-a=1; HttpOnly; SameSite=Lax; Path=/",
        ];
        for text in misses {
            assert!(as_the_policy_writes(&policy, text).is_none(), "{text}");
        }
        // A policy Max-Age must be there for the header to be complete.
        let timed = CookiePolicy::new(CookiePolicyConfig {
            max_age: crate::policy::Lifetime::Seconds(60),
            ..CookiePolicyConfig::default()
        })
        .unwrap();
        let base = "a=1; HttpOnly; SameSite=Lax; Secure; Path=/";
        assert!(as_the_policy_writes(&timed, base).is_none());
        assert!(as_the_policy_writes(&timed, &format!("{base}; Max-Age=60")).is_some());
    }

    #[test]
    fn only_plain_cookies_within_the_limits_are_decided_in_one_match() {
        let policy = keyed(
            "secure = false\n\
             [overrides.theme]\nsensitive = true\n\
             [overrides.sid]\nprotection = \"private\"\n\
             [overrides.dom]\ndomain = \"example.com\"\n\
             [overrides.pre]\nprefix = \"secure\"\nsecure = true",
        );
        let tail = "; HttpOnly; SameSite=Lax; Path=/";
        let decide = |text: &str| plain_as_written(&policy, &HeaderValue::from_str(text).unwrap());
        let longest = format!("a={}{tail}", "v".repeat(MAX_NAME_VALUE_BYTES - 1));
        let hits = [
            (format!("a=1{tail}"), false),
            (format!("a={tail}; Max-Age=0"), false),
            (format!("a=\"q\"{tail}; Max-Age=34560000"), false),
            (format!("theme=dark{tail}; Max-Age=60"), true),
            (longest, false),
        ];
        for (text, sensitive) in &hits {
            assert_eq!(decide(text), Some(*sensitive), "{text}");
            // What the general path decides: sent as it is, equally sensitive.
            let value = HeaderValue::from_str(text).unwrap();
            let (w, s) = process_one(&policy, &value, SystemTime::now(), &|| None).unwrap();
            assert!(w.header.is_none() && s == *sensitive, "{text}");
        }
        let misses = [
            // Refused by the general path: too large (R3), too long (R12).
            format!("a={}{tail}", "v".repeat(MAX_NAME_VALUE_BYTES)),
            format!("a=1{tail}; Max-Age=34560001"),
            format!("a=1{tail}; Max-Age=9223372036854775808"),
            // Sealed, checked against the host, or prefixed: the general path.
            format!("sid=1{tail}"),
            format!("dom=1{tail}; Domain=example.com"),
            "__Secure-pre=1; HttpOnly; SameSite=Lax; Secure; Path=/".to_owned(),
            format!("__Host-a=1{tail}"),
            // Not what the policy writes.
            format!("a=%41{tail}"),
            format!("a=1{tail}; Secure"),
            format!("a=1{tail}; Max-Age=060"),
            "a=1".to_owned(),
            format!("=1{tail}"),
        ];
        for text in &misses {
            assert_eq!(decide(text), None, "{text}");
        }
    }

    /// One cookie of each kind the usual path must leave to the general
    /// one: sensitive (`theme`), protected (`sid`), with a `Domain` (`wide`).
    fn one_of_each() -> CookiePolicy {
        keyed(
            "secure = false\n\
             [overrides.theme]\nsensitive = true\n\
             [overrides.sid]\nprotection = \"signed\"\n\
             [overrides.wide]\ndomain = \"example.com\"",
        )
    }

    /// Response headers with these `Set-Cookie` values, in order.
    fn set_cookies(texts: &[impl AsRef<str>]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for text in texts {
            headers.append(SET_COOKIE, HeaderValue::from_str(text.as_ref()).unwrap());
        }
        headers
    }

    #[test]
    fn unchanged_accepts_only_what_the_policy_writes_for_a_plain_cookie() {
        let policy = one_of_each();
        let tail = "; HttpOnly; SameSite=Lax; Path=/";
        let decide = |texts: &[String]| unchanged(&policy, &set_cookies(texts));
        assert_eq!(decide(&[]), Some(false), "no Set-Cookie");
        assert_eq!(decide(&[format!("a=1{tail}")]), Some(false));
        assert_eq!(decide(&[format!("theme=dark{tail}")]), Some(true));
        for other in [
            "a=1".to_owned(),                                 // to be filled
            "a=1; Path=/; HttpOnly; SameSite=Lax".to_owned(), // not canonical
            format!("sid=1{tail}"),                           // to be sealed
            format!("wide=1{tail}; Domain=example.com"),      // a Domain
            format!("a=%41{tail}"),                           // '%'
            format!("__Host-a=1{tail}"),                      // a prefix
        ] {
            assert_eq!(decide(std::slice::from_ref(&other)), None, "{other}");
        }
        let two = [format!("a=1{tail}"), format!("b=2{tail}")];
        assert_eq!(decide(&two), None, "two headers");
    }

    #[test]
    fn one_set_cookie_is_sent_as_it_is_sealed_or_refused() {
        let policy = one_of_each();
        let tail = "; HttpOnly; SameSite=Lax; Path=/";
        // What apply reports (violations, sensitivity) and sends.
        let run = |texts: &[&str], keep_valid: bool, host: &str| {
            let mut headers = set_cookies(texts);
            let host = host.to_owned();
            let o = apply(
                &policy,
                &mut headers,
                keep_valid,
                &|| Some(host.clone()),
                &[],
            );
            let kinds: Vec<_> = o.errors.iter().map(CookieError::kind).collect();
            let sent: Vec<String> = headers
                .get_all(SET_COOKIE)
                .map(|v| v.to_str().unwrap().to_owned())
                .collect();
            (kinds, o.sensitive, sent)
        };
        let plain = format!("a=1{tail}");
        assert_eq!(
            run(&[plain.as_str()], false, "h"),
            (vec![], false, vec![plain.clone()])
        );
        let theme = format!("theme=dark{tail}; Max-Age=60");
        assert_eq!(
            run(&[theme.as_str()], false, "h"),
            (vec![], true, vec![theme])
        );
        // Sealed: the header is replaced by the protected one.
        let (kinds, _, sent) = run(&[format!("sid=1{tail}").as_str()], false, "h");
        assert!(kinds.is_empty());
        assert!(sent.len() == 1 && sent[0].starts_with("sid=1.") && sent[0].ends_with(tail));
        // A Domain is checked against the request's host.
        let wide = format!("wide=1{tail}; Domain=example.com");
        assert_eq!(run(&[wide.as_str()], false, "www.example.com").0, vec![]);
        assert_eq!(
            run(&[wide.as_str()], false, "other.org").0,
            vec![ViolationKind::InvalidDomain]
        );
        // Refused (over 400 days): left for the caller to refuse, or dropped.
        let long = format!("a=1{tail}; Max-Age=34560001");
        let refused = vec![ViolationKind::InvalidLifetime];
        assert_eq!(
            run(&[long.as_str()], false, "h"),
            (refused.clone(), false, vec![long.clone()])
        );
        assert_eq!(run(&[long.as_str()], true, "h"), (refused, false, vec![]));
        // Two headers of one name: the general path's duplicate check.
        let second = format!("a=2{tail}");
        let two = [plain.as_str(), second.as_str()];
        assert_eq!(
            run(&two, false, "h").0,
            vec![ViolationKind::DuplicateCookie]
        );
    }

    #[test]
    fn domains_are_normalized_or_refused() {
        assert_eq!(normalize_domain(".Example.com").unwrap(), "example.com");
        assert_eq!(normalize_domain("localhost").unwrap(), "localhost");
        for bad in [
            "",
            ".",
            "a..b",
            "-a.com",
            "a-.com",
            "example.com:80",
            "[::1]",
            "ex ample.com",
            "exämple.com",
            "a;b",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad:?}");
        }
        assert!(normalize_domain(&format!("{}.com", "a".repeat(64))).is_err());
    }

    proptest::proptest! {
        /// `parse_canonical` says a header is canonical exactly when
        /// `Display` writes it back byte for byte: the layer's pass-through
        /// is never a different header from the one it would write.
        #[test]
        fn canonical_means_written_back_the_same(
            attrs in proptest::sample::subsequence(
                vec![
                    "HttpOnly", "httponly", "SameSite=Lax", "SameSite=lax", "SameSite=None",
                    "Secure", "SECURE", "Path=@", "Path=/a b", "Domain=example.com",
                    "Domain=.example.com", "Domain=Example.com", "Max-Age=0", "Max-Age=60",
                    "Max-Age=060", "Max-Age=-5", "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                    "Expires=Thursday, 01-Jan-70 00:00:00 GMT", "Partitioned",
                    "Priority=High", "priority=High",
                ],
                0..6,
            ),
            shuffle in proptest::bool::ANY,
            path in proptest::sample::select(vec!["/", "/x", "/x ", "/x\t", "/ x"]),
            seps in proptest::collection::vec(proptest::sample::select(vec!["; ", ";", ";  ", " ; ", "; "]), 6),
            trailing in proptest::sample::select(vec!["", ";", " ", "; "]),
        ) {
            let mut attrs = attrs;
            if shuffle {
                attrs.reverse();
            }
            let mut header = "a=b".to_owned();
            for (attr, sep) in attrs.iter().zip(&seps) {
                header.push_str(sep);
                header.push_str(attr);
            }
            header.push_str(trailing);
            let header = header.replace('@', path);
            let general = SetCookie::parse_general(&header);
            if let Ok((c, canonical)) = &general {
                proptest::prop_assert_eq!(*canonical, c.to_string() == header, "{}", header);
            }
            // The fast path reads exactly the canonical headers, the same way.
            let exact = SetCookie::parse_exact(&header);
            let expected = general.ok().filter(|(_, canonical)| *canonical).map(|(c, _)| c);
            proptest::prop_assert_eq!(exact, expected, "{}", header);
        }

        /// `apply` on one `Set-Cookie` decides exactly as the general path,
        /// in both modes: the headers sent, the violations and R22's
        /// sensitivity; and where `unchanged` (the layer's first, read-only
        /// step) accepts the header, both leave it as it is, for
        /// headers written by the policy's builder (plain, sensitive,
        /// prefixed, protected, with a `Domain`, timed out of bounds) and
        /// near misses of them.
        #[test]
        fn the_usual_response_and_the_general_path_agree(
            name in proptest::sample::select(vec!["a", "theme", "sid", "pre", "dom", "sec"]),
            value in proptest::sample::select(vec![
                "1".to_owned(), String::new(), "\"q\"".to_owned(), "x%41".to_owned(),
                // At R3's limit with the shortest name, over it with the others.
                "v".repeat(MAX_NAME_VALUE_BYTES - 1),
                // Headers about the size `set_cookie`'s record keeps.
                "v".repeat(180), "v".repeat(220),
            ]),
            max_age in proptest::option::of(proptest::sample::select(
                vec![0i64, -5, 60, 3600, 34_560_000, 34_560_001, i64::MAX],
            )),
            http_only in proptest::bool::ANY,
            keep_valid in proptest::bool::ANY,
            edit in proptest::sample::select(vec![
                "", "; Secure", "; Path=/x", ";Path=/", "; HttpOnly", "; Max-Age=60",
                "; Expires=Thu, 01 Jan 1970 00:00:00 GMT", " ",
            ]),
        ) {
            let policy = keyed(
                "secure = false\n\
                 [overrides.theme]\nsensitive = true\n\
                 [overrides.sid]\nprotection = \"private\"\n\
                 [overrides.pre]\nprefix = \"secure\"\nsecure = true\n\
                 [overrides.dom]\ndomain = \"example.com\"\n\
                 [overrides.sec]\nsecure = true\nsame_site = \"none\"",
            );
            let mut built = policy.set_cookie(name, value).unwrap().http_only(http_only);
            if let Some(s) = max_age {
                built = built.max_age(s);
            }
            // Through `try_into_pair`, as a handler adds it: unedited, the
            // header is the one `set_cookie` recorded, if it recorded one.
            let (_, written) = built.try_into_pair().unwrap();
            let header = format!("{}{edit}", written.to_str().unwrap());
            let mut headers = HeaderMap::new();
            headers.append(SET_COOKIE, HeaderValue::from_str(&header).unwrap());
            let mut general_headers = headers.clone();
            let host = || Some("www.example.com".to_owned());
            // What the layer asks first: when it leaves the header alone,
            // so must both paths.
            let known = unchanged(&policy, &headers);
            let fast = apply(&policy, &mut headers, keep_valid, &host, &[]);
            if let Some(sensitive) = known {
                proptest::prop_assert!(fast.errors.is_empty(), "{}", header);
                proptest::prop_assert_eq!(fast.sensitive, sensitive, "{}", header);
                proptest::prop_assert_eq!(headers.get(SET_COOKIE).unwrap().to_str().unwrap(), header.as_str());
            }
            let general = apply_general(&policy, &mut general_headers, keep_valid, &host, &[]);
            let kinds = |o: &Outcome| o.errors.iter().map(CookieError::kind).collect::<Vec<_>>();
            proptest::prop_assert_eq!(kinds(&fast), kinds(&general), "{}", header);
            proptest::prop_assert_eq!(fast.sensitive, general.sensitive, "{}", header);
            // A sealed value differs on every call (a fresh nonce); compare
            // everything else.
            let sent = |h: &HeaderMap| {
                h.get_all(SET_COOKIE)
                    .map(|v| {
                        let v = v.to_str().unwrap();
                        if name == "sid" { v.split_once(';').map_or("", |(_, a)| a).to_owned() } else { v.to_owned() }
                    })
                    .collect::<Vec<_>>()
            };
            proptest::prop_assert_eq!(sent(&headers), sent(&general_headers), "{}", header);
        }
    }
}
