//! `policy.set_cookie(..)`: a `Set-Cookie` header written straight from the
//! policy, in canonical form.
//!
//! [`CookiePolicy::cookie`] returns an `actix_web::cookie::Cookie`, which
//! actix-web renders through `std::fmt` on every response; the layer then
//! reads that header back. A [`PolicyCookie`] is written in one pass with
//! plain string pushes into one allocation, in exactly the canonical form the
//! layer would write, so the layer checks it and sends it as it is. It is the
//! fast way to set a cookie on the path of every request; both ways send
//! the same bytes.

use std::borrow::Cow;

use actix_web::http::header::{
    HeaderName, HeaderValue, InvalidHeaderValue, SET_COOKIE, TryIntoHeaderPair,
};

use super::{CookieAttributes, CookieError, CookiePolicy, outbound};

/// A cookie with the policy's attributes for its name, ready to be added to
/// a response with `append_header`. Built by [`CookiePolicy::set_cookie`].
///
/// ```
/// use actix_web::HttpResponse;
/// use cookie_policy::policy::{CookieError, CookiePolicy};
///
/// let policy = CookiePolicy::default();
/// let res = HttpResponse::Ok()
///     .append_header(policy.set_cookie("username", "alice")?.max_age(3600))
///     .finish();
/// assert_eq!(
///     res.headers().get("set-cookie").unwrap(),
///     "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600"
/// );
/// # Ok::<(), CookieError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a PolicyCookie does nothing until it is added to a response"]
pub struct PolicyCookie<'c> {
    name: Cow<'c, str>,
    value: Cow<'c, str>,
    attrs: &'c CookieAttributes,
    max_age: Option<i64>,
    http_only: bool,
}

impl<'c> PolicyCookie<'c> {
    pub(crate) fn new(
        name: Cow<'c, str>,
        value: Cow<'c, str>,
        attrs: &'c CookieAttributes,
    ) -> Self {
        Self {
            name,
            value,
            attrs,
            max_age: attrs.max_age.seconds().map(i64::from),
            http_only: attrs.http_only,
        }
    }

    /// Sets `Max-Age` for this call, over the policy's; `0` or less removes
    /// the cookie. The layer still refuses more than 400 days (R12).
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Asks for `HttpOnly`. As for every flag, the policy's setting is a
    /// floor: `false` cannot turn off what the policy turns on.
    pub fn http_only(mut self, on: bool) -> Self {
        self.http_only |= on;
        self
    }

    /// The cookie's name on the wire.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header, in canonical form:
    /// `name=value; HttpOnly; SameSite; Secure; Path; Domain; Max-Age; Partitioned; Priority`.
    pub fn to_header_string(&self) -> String {
        let a = self.attrs;
        let r = &a.rendered;
        // The flag is a floor: it differs only when this call asks for
        // HttpOnly the policy leaves off, and it comes first in the order.
        let http_only = if self.http_only && !a.http_only {
            "; HttpOnly"
        } else {
            ""
        };
        let mut digits = itoa::Buffer::new();
        let (max_age, seconds) = match self.max_age {
            Some(s) => ("; Max-Age=", digits.format(s.max(0))),
            None => ("", ""),
        };
        // Sized exactly, so that `Bytes::from` takes the string as it is (a
        // string with spare capacity costs `Bytes` a second allocation).
        // The policy's attributes were written once at load.
        join_exact(&[
            &self.name,
            "=",
            &self.value,
            http_only,
            &r.head,
            max_age,
            seconds,
            &r.tail,
        ])
    }
}

/// `parts` end to end, in a string of exactly their length. Out of line and
/// over a slice so that it stays a loop: written out as eight pushes, it was
/// 17 cache lines of code on the path of every response that sets a cookie,
/// against 11 (`scripts/bench-footprint.sh`).
#[inline(never)]
fn join_exact(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

impl TryIntoHeaderPair for PolicyCookie<'_> {
    type Error = InvalidHeaderValue;

    /// Never fails in practice: the name and value were checked against the
    /// cookie grammar, and the policy's attributes when it was loaded.
    fn try_into_pair(self) -> Result<(HeaderName, HeaderValue), Self::Error> {
        Ok((SET_COOKIE, HeaderValue::try_from(self.to_header_string())?))
    }
}

impl CookiePolicy {
    /// Builds the `Set-Cookie` for `name=value` with every attribute the
    /// policy gives that name, as a header ready for `append_header`.
    ///
    /// The same checks as [`CookiePolicy::cookie`] (R1, R2), and the same
    /// header on the wire, but written in one pass without
    /// `actix_web::cookie::Cookie`: the cheap way to set a cookie on every
    /// request. A cookie declared protected is sealed by the layer on the
    /// way out, as always.
    pub fn set_cookie<'c>(
        &'c self,
        name: impl Into<Cow<'c, str>>,
        value: impl Into<Cow<'c, str>>,
    ) -> Result<PolicyCookie<'c>, CookieError> {
        let (name, value) = (name.into(), value.into());
        outbound::check_name(&name)?;
        outbound::check_value(&name, &value)?;
        let attrs = self.attributes(&name);
        let name = self.wire(name, attrs);
        Ok(PolicyCookie::new(name, value, attrs))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderMap;

    use super::*;
    use crate::policy::ViolationKind;

    fn policy(toml_src: &str) -> CookiePolicy {
        use figment::providers::Format;
        figment::Figment::from(figment::providers::Toml::string(toml_src))
            .extract::<CookiePolicy>()
            .unwrap()
    }

    /// What the layer sends for `header`, and whether it kept the very
    /// header the app wrote (no rendering).
    fn through_layer(p: &CookiePolicy, header: HeaderValue) -> (String, bool) {
        let before = header.as_bytes().as_ptr();
        let mut headers = HeaderMap::new();
        headers.append(SET_COOKIE, header);
        let outcome = outbound::apply(p, &mut headers, false, &|| None, &[]);
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        let sent = headers.get(SET_COOKIE).unwrap();
        (
            sent.to_str().unwrap().to_owned(),
            sent.as_bytes().as_ptr() == before,
        )
    }

    #[test]
    fn set_cookie_writes_what_the_layer_would_and_is_sent_as_it_is() {
        let configs = [
            "",
            "secure = false",
            "max_age = 60\nsame_site = \"strict\"\npath = \"/app\"",
            "domain = \"example.com\"\nhttp_only = false",
            "same_site = \"none\"\npartitioned = true\npriority = \"high\"",
            "[overrides.a]\nmax_age = 5\nsame_site = \"none\"",
        ];
        for config in configs {
            let p = policy(config);
            for call_max_age in [None, Some(0), Some(3600)] {
                let mut built = p.set_cookie("a", "1").unwrap().http_only(true);
                let mut cookie = p.cookie("a", "1").unwrap();
                cookie.set_http_only(true);
                if let Some(s) = call_max_age {
                    built = built.max_age(s);
                    cookie.set_max_age(actix_web::cookie::time::Duration::seconds(s));
                }
                // Exactly sized: `Bytes` takes it without a second allocation.
                let text = built.to_header_string();
                assert_eq!(text.capacity(), text.len(), "{text}");
                let (name, value) = built.try_into_pair().unwrap();
                assert_eq!(name, SET_COOKIE);
                let (sent, kept) = through_layer(&p, value.clone());
                assert!(kept, "{config:?}: {sent} was written again");
                assert_eq!(value, sent.as_str(), "{config:?}");
                let (via_cookie, _) =
                    through_layer(&p, HeaderValue::try_from(cookie.to_string()).unwrap());
                assert_eq!(
                    sent, via_cookie,
                    "{config:?}: both ways send the same bytes"
                );
            }
        }
    }

    #[test]
    fn set_cookie_refuses_what_cookie_refuses() {
        let p = CookiePolicy::default();
        let e = p.set_cookie("a b", "1").unwrap_err();
        assert_eq!(e.kind(), ViolationKind::InvalidName);
        let e = p.set_cookie("a", "x; Domain=example.com").unwrap_err();
        assert_eq!(e.kind(), ViolationKind::InvalidValue);
    }

    #[test]
    fn a_declared_prefix_is_written_on_the_wire_name() {
        let p = policy("[overrides.sid]\nprefix = \"host\"");
        let built = p.set_cookie("sid", "1").unwrap();
        assert_eq!(built.name(), "__Host-sid");
        assert_eq!(
            built.to_header_string(),
            "__Host-sid=1; HttpOnly; SameSite=Lax; Secure; Path=/"
        );
    }
}
