//! The policy applied to every `Set-Cookie` of a response.
//!
//! Each header is parsed strictly ([`SetCookie::parse`]), filled from the
//! policy, protected if declared so, checked against every rule, and sent
//! in canonical form. What cannot be fixed without changing the cookie's
//! meaning is a [`CookieError`] naming the cookie and the rule.

use std::collections::HashMap;
use std::time::SystemTime;

use actix_web::http::header::{HeaderMap, HeaderValue, SET_COOKIE};

use crate::cookie_header::Reissue;
use crate::error::{CookieError, ViolationKind};
use crate::keys::unix_seconds;
use crate::policy::CookiePolicy;
use crate::rules::{self, printable};
use crate::set_cookie::SetCookie;

/// What applying the policy to a response's cookies found.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The violations, in header order.
    pub errors: Vec<CookieError>,
    /// A sensitive cookie is among those sent (R22).
    pub sensitive: bool,
}

/// Applies the policy to every `Set-Cookie` in `headers`, and adds the
/// re-issued cookies that the response does not set itself. `host` gives
/// the request's host name, asked only for a cookie with a `Domain` (R6).
///
/// With no violation, or with `keep_valid` (the `drop` mode), the headers
/// become the valid cookies in canonical form; otherwise they are left as
/// they were and the caller must not send them.
pub(crate) fn apply(
    policy: &CookiePolicy,
    headers: &mut HeaderMap,
    keep_valid: bool,
    host: impl Fn() -> String,
    reissue: &[Reissue],
) -> Outcome {
    let now = SystemTime::now();
    let mut outcome = Outcome::default();
    let mut out = Sent::default();
    for original in headers.get_all(SET_COOKIE) {
        let sent = prepare_header(policy, original, now, &host).and_then(|(cookie, sensitive)| {
            out.push(&cookie, Some(original), now)?;
            Ok(sensitive)
        });
        match sent {
            Ok(sensitive) => outcome.sensitive |= sensitive,
            Err(e) => {
                outcome.errors.push(e);
                out.changed = true;
            }
        }
    }
    for r in reissue {
        if out.names.contains_key(&r.name) {
            continue; // the response sets the cookie itself
        }
        let sent = reissued(policy, r, now, &host).and_then(|cookie| out.push(&cookie, None, now));
        match sent {
            Ok(()) => outcome.sensitive = true,
            Err(e) => outcome.errors.push(e),
        }
    }
    if out.changed && (outcome.errors.is_empty() || keep_valid) {
        headers.remove(SET_COOKIE);
        for h in out.headers {
            headers.append(SET_COOKIE, h);
        }
    }
    outcome
}

/// The headers to send, and what R13 needs to know of them.
#[derive(Default)]
struct Sent {
    headers: Vec<HeaderValue>,
    /// Per name on the wire: each cookie sent's removal state, Domain and Path.
    names: HashMap<String, Vec<(bool, Option<String>, Option<String>)>>,
    /// A header differs from the app's, or one is missing or added.
    changed: bool,
}

impl Sent {
    /// Adds `c`, written canonically: the app's header `original` itself
    /// when it already is exactly that.
    fn push(
        &mut self,
        c: &SetCookie<'_>,
        original: Option<&HeaderValue>,
        now: SystemTime,
    ) -> Result<(), CookieError> {
        let placement = (
            c.is_removal(now),
            c.domain.as_deref().map(str::to_owned),
            c.path.as_deref().map(str::to_owned),
        );
        let earlier = self.names.entry(c.name.to_string()).or_default();
        // R13: one cookie per name, except removals of distinct (Domain,
        // Path): the one way to purge copies planted under other paths.
        let clash = earlier
            .iter()
            .any(|e| !(placement.0 && e.0 && (&e.1, &e.2) != (&placement.1, &placement.2)));
        if clash {
            return Err(CookieError::new(
                printable(&c.name),
                ViolationKind::DuplicateCookie,
                "the response sets this cookie twice; set it once",
            ));
        }
        earlier.push(placement);
        let text = c.to_string();
        let header = match original {
            Some(h) if h.as_bytes() == text.as_bytes() => h.clone(),
            _ => {
                self.changed = true;
                // Every part was checked against the grammar: never refused.
                HeaderValue::try_from(text).map_err(|_| {
                    CookieError::new(
                        printable(&c.name),
                        ViolationKind::InvalidAttribute,
                        "the cookie cannot be written as a header",
                    )
                })?
            }
        };
        self.headers.push(header);
        Ok(())
    }
}

/// One header through the outbound step: parsed, prepared, checked against
/// the request's host when it names a `Domain`.
fn prepare_header<'a>(
    policy: &'a CookiePolicy,
    header: &'a HeaderValue,
    now: SystemTime,
    host: &impl Fn() -> String,
) -> Result<(SetCookie<'a>, bool), CookieError> {
    let text = header.to_str().map_err(|_| {
        let lossy = String::from_utf8_lossy(header.as_bytes());
        let name = lossy.split(['=', ';']).next().unwrap_or_default();
        CookieError::new(
            printable(name),
            ViolationKind::InvalidValue,
            "the Set-Cookie header has bytes outside printable ASCII; encode the value, for example as base64url",
        )
    })?;
    let mut cookie = SetCookie::parse(text)?;
    let had = (cookie.http_only, cookie.secure);
    let sensitive = policy.prepare(&mut cookie, now, None)?;
    if had != (cookie.http_only, cookie.secure) && log::log_enabled!(log::Level::Debug) {
        let name = printable(&cookie.name);
        log::debug!(
            "cookie `{name}`: the policy turned on {}{}; to send it without, set http_only = false or secure = false in [cookies.overrides.{name}]",
            if cookie.http_only && !had.0 {
                "HttpOnly "
            } else {
                ""
            },
            if cookie.secure && !had.1 {
                "Secure"
            } else {
                ""
            },
        );
    }
    if let Some(domain) = cookie.domain.as_deref() {
        rules::check_domain_for_host(&cookie.name, domain, &host())?;
    }
    Ok((cookie, sensitive))
}

/// The `Set-Cookie` that re-issues a rotated cookie: the policy's
/// attributes, its original issue time, and `Max-Age` cut to what is left
/// of its lifetime.
fn reissued<'a>(
    policy: &'a CookiePolicy,
    r: &'a Reissue,
    now: SystemTime,
    host: &impl Fn() -> String,
) -> Result<SetCookie<'a>, CookieError> {
    rules::check_value(&r.name, &r.value)?;
    let mut cookie = SetCookie {
        name: r.name.as_str().into(),
        value: r.value.as_str().into(),
        ..SetCookie::default()
    };
    let attrs = policy.attributes(&r.name);
    if let Some(max_age) = attrs.max_age.seconds() {
        let age = unix_seconds(now).saturating_sub(r.issued_at);
        let left = u64::from(max_age).saturating_sub(age).max(1);
        cookie.max_age = Some(i64::try_from(left).unwrap_or(1));
    }
    policy.prepare(&mut cookie, now, Some(r.issued_at))?;
    if let Some(domain) = cookie.domain.as_deref() {
        rules::check_domain_for_host(&cookie.name, domain, &host())?;
    }
    Ok(cookie)
}
