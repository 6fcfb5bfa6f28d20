//! `policy.set_cookie(..)`: a `Set-Cookie` header written straight from the
//! policy, in canonical form.
//!
//! [`CookiePolicy::cookie`] returns an `actix_web::cookie::Cookie`, which
//! actix-web renders through `std::fmt` on every response; the layer then
//! reads that header back. A [`PolicyCookie`] is written in one pass with
//! plain string pushes into one allocation, in exactly the canonical form the
//! layer would write, so the layer checks it (or, for a plain cookie, takes
//! the record `set_cookie` kept of it: [`LastWritten`]) and sends it as it
//! is. It is the fast way to set a cookie on the path of every request; both
//! ways send the same bytes.

use std::borrow::Cow;
use std::cell::RefCell;

use actix_web::http::header::{
    HeaderName, HeaderValue, InvalidHeaderValue, SET_COOKIE, TryIntoHeaderPair,
};

use super::{CookieAttributes, CookieError, CookiePolicy, PolicyId, outbound};

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
#[derive(Clone)]
#[must_use = "a PolicyCookie does nothing until it is added to a response"]
pub struct PolicyCookie<'c> {
    name: Cow<'c, str>,
    value: Cow<'c, str>,
    policy: &'c CookiePolicy,
    attrs: &'c CookieAttributes,
    max_age: Option<i64>,
    http_only: bool,
}

/// The cookie and its attributes; the policy by its identity only, where a
/// derived `Debug` would print the whole policy.
impl std::fmt::Debug for PolicyCookie<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyCookie")
            .field("name", &self.name)
            .field("value", &self.value)
            .field("policy", &self.policy.id())
            .field("attrs", &self.attrs)
            .field("max_age", &self.max_age)
            .field("http_only", &self.http_only)
            .finish()
    }
}

impl<'c> PolicyCookie<'c> {
    pub(crate) fn new(
        name: Cow<'c, str>,
        value: Cow<'c, str>,
        policy: &'c CookiePolicy,
        attrs: &'c CookieAttributes,
    ) -> Self {
        Self {
            name,
            value,
            policy,
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
        let header = self.to_header_string();
        // Only a header the record can hold is worth the questions.
        let plain = if header.len() <= LAST_WRITTEN_BYTES {
            self.plain()
        } else {
            None
        };
        if let Some(sensitive) = plain {
            remember(self.policy.id(), header.as_bytes(), sensitive);
        }
        let header = HeaderValue::try_from(header)?;
        #[cfg(debug_assertions)]
        if plain.is_some() {
            // What the layer will take from the record is what it would
            // have found by reading the header.
            assert_eq!(plain, outbound::plain_as_written(self.policy, &header));
        }
        Ok((SET_COOKIE, header))
    }
}

impl PolicyCookie<'_> {
    /// `Some(sensitive)` when the layer would send this cookie's header as
    /// it is, without sealing or looking at the request: what
    /// `outbound::plain_as_written` finds by reading the header, known here
    /// from how it was built. The name and value passed R1 and R2 in
    /// [`CookiePolicy::set_cookie`] and the attributes are the policy's own
    /// text; what is left is the fast door's other conditions: no `%` (which
    /// that door leaves to the general path), no `HttpOnly` the policy does
    /// not write (it precedes the policy's text), not protected, no
    /// `Domain`, no prefix (nor a name starting `__`, which any prefix
    /// does), within the lifetime limit (R12). Within the size limit (R3)
    /// too, for a header the record can hold: asked only for those.
    fn plain(&self) -> Option<bool> {
        let a = self.attrs;
        let plain = a.protection.is_none()
            && a.domain.is_none()
            && a.prefix.is_none()
            // `HttpOnly` asked for here only if the policy writes it too.
            && (a.http_only || !self.http_only)
            && !self.name.starts_with("__")
            && self
                .max_age
                .is_none_or(|s| s <= i64::from(super::MAX_LIFETIME_SECONDS))
            && !self.name.as_bytes().contains(&b'%')
            && !self.value.as_bytes().contains(&b'%');
        plain.then_some(a.sensitive)
    }
}

/// The last `Set-Cookie` header a [`PolicyCookie`] wrote on this thread,
/// when the layer would send it as it is: the policy it was written under,
/// its bytes and whether it is sensitive.
///
/// Why: the layer reads every `Set-Cookie` of a response before it is sent
/// (`outbound::unchanged`), and would otherwise read back, byte by byte, a
/// header `set_cookie` has just checked and written: look up the name's
/// attributes again, check the value again, match the policy's text. One
/// comparison with this record replaces that on the usual response that
/// sets one cookie (`/login`).
///
/// Sound by content, not by address: the layer takes the record only for a
/// header with the very same bytes under the very same policy ([`PolicyId`],
/// never reused, where an address can be), and the same bytes under the
/// same policy always read the same. A header written on another thread,
/// too long for the record, or any other header is read as before.
///
/// The record holds the last such header, value included, in the thread's
/// memory until the next one replaces it: the same bytes the response
/// itself holds until it is sent, for a cookie that is not protected.
struct LastWritten {
    policy: PolicyId,
    sensitive: bool,
    len: usize,
    bytes: [u8; LAST_WRITTEN_BYTES],
}

/// Longer headers are not recorded; most are well under this.
const LAST_WRITTEN_BYTES: usize = 256;

// A header the record can hold is within R3's size limit: `plain` need not
// ask.
const _: () = assert!(LAST_WRITTEN_BYTES <= outbound::MAX_NAME_VALUE_BYTES);

thread_local! {
    // Constant, with nothing to drop: no lazy set-up or destructor to
    // register on access. Still read through `try_with`: on targets whose
    // thread-locals are torn down with the thread, a late access gets an
    // error, not a panic.
    static LAST_WRITTEN: RefCell<LastWritten> = const {
        RefCell::new(LastWritten {
            policy: PolicyId::NONE,
            sensitive: false,
            len: 0,
            bytes: [0; LAST_WRITTEN_BYTES],
        })
    };
}

/// Records `header` as written under `policy`, when it fits.
/// (`try_with`: on a thread whose storage is gone, nothing is recorded.)
fn remember(policy: PolicyId, header: &[u8], sensitive: bool) {
    let _gone = LAST_WRITTEN.try_with(|last| {
        let mut last = last.borrow_mut();
        if let Some(slot) = last.bytes.get_mut(..header.len()) {
            slot.copy_from_slice(header);
            last.len = header.len();
            last.policy = policy;
            last.sensitive = sensitive;
        }
    });
}

/// `Some(sensitive)` when `header` is, byte for byte, the last header
/// recorded on this thread under `policy`; `None` says nothing.
pub(crate) fn written_last(policy: PolicyId, header: &[u8]) -> Option<bool> {
    LAST_WRITTEN
        .try_with(|last| {
            let last = last.borrow();
            (last.policy == policy && last.bytes.get(..last.len) == Some(header))
                .then_some(last.sensitive)
        })
        .ok()
        .flatten()
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
        Ok(PolicyCookie::new(name, value, self, attrs))
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

    /// The header `cookie` is added as, and what the record says of it.
    fn written(p: &CookiePolicy, cookie: PolicyCookie<'_>) -> (HeaderValue, Option<bool>) {
        let (_, value) = cookie.try_into_pair().unwrap();
        let recorded = written_last(p.id(), value.as_bytes());
        (value, recorded)
    }

    #[test]
    fn the_record_says_what_reading_the_header_would_whenever_it_fits() {
        let configs = [
            "",
            "http_only = false",
            "domain = \"example.com\"",
            "max_age = 60\nsame_site = \"strict\"\npath = \"/app\"",
            "same_site = \"none\"\npartitioned = true\npriority = \"high\"",
            "[overrides.a]\nsensitive = true",
            "[overrides.a]\nprotection = \"signed\"",
            "[overrides.a]\nprefix = \"secure\"",
        ];
        let long = "v".repeat(LAST_WRITTEN_BYTES);
        let too_long = i64::from(super::super::MAX_LIFETIME_SECONDS) + 1;
        let cookies: [(&str, &str, Option<i64>, bool); 9] = [
            ("a", "1", None, false),
            ("a", "1", Some(3600), true),
            ("a", "1", Some(-5), false),
            ("a", "1", Some(too_long), false),
            ("a", "\"q\"", None, false),
            ("a", "%41", None, false),
            ("a%", "1", None, false),
            ("__a", "1", None, false),
            ("a", &long, None, false),
        ];
        let mut recorded_some = 0;
        for config in configs {
            let p = policy(config);
            for (name, value, max_age, http_only) in cookies {
                let mut cookie = p.set_cookie(name, value).unwrap().http_only(http_only);
                if let Some(s) = max_age {
                    cookie = cookie.max_age(s);
                }
                let (header, recorded) = written(&p, cookie);
                let read = outbound::plain_as_written(&p, &header);
                let case = format!("{config:?}: {header:?}");
                if header.len() > LAST_WRITTEN_BYTES {
                    // Not recorded, though the layer passes it as it is.
                    assert_eq!(recorded, None, "{case}");
                    if config.is_empty() {
                        assert_eq!(read, Some(false), "{case}");
                    }
                } else {
                    assert_eq!(recorded, read, "{case}");
                }
                recorded_some += usize::from(recorded.is_some());
            }
        }
        // Four cookies under each of the five configurations without a
        // Domain, protection or prefix, less the `HttpOnly` the policy
        // leaves off: every cookie the layer would pass that fits.
        assert_eq!(recorded_some, 19);
        let sensitive = policy("[overrides.a]\nsensitive = true");
        let (_, recorded) = written(&sensitive, sensitive.set_cookie("a", "1").unwrap());
        assert_eq!(recorded, Some(true));
    }

    #[test]
    fn the_record_is_taken_only_for_the_same_bytes_under_the_same_policy() {
        let p = CookiePolicy::default();
        let (header, recorded) = written(&p, p.set_cookie("a", "1").unwrap());
        assert_eq!(recorded, Some(false));
        let bytes = header.as_bytes();
        // A clone writes the same headers: the same policy.
        assert_eq!(written_last(p.clone().id(), bytes), Some(false));
        // Another policy, even an equal one, or this one given keys: no.
        let other = CookiePolicy::default();
        assert_eq!(p, other);
        assert_eq!(written_last(other.id(), bytes), None);
        let keyed = p
            .clone()
            .with_keys(crate::policy::KeyRing::ephemeral().unwrap());
        assert_eq!(written_last(keyed.id(), bytes), None);
        // Other bytes: one fewer, one more, one changed.
        let mut longer = bytes.to_vec();
        longer.push(b' ');
        let mut changed = bytes.to_vec();
        changed[0] = b'b';
        for other_bytes in [&bytes[..bytes.len() - 1], &longer, &changed] {
            assert_eq!(written_last(p.id(), other_bytes), None);
        }
        // The same bytes sent under a policy that writes a Domain: the
        // layer reads them, and will add its Domain, where taking `p`'s
        // record would send them as they are. Both built from a
        // configuration, as the server's are.
        let p = policy("");
        let (header, recorded) = written(&p, p.set_cookie("a", "1").unwrap());
        assert_eq!(recorded, Some(false));
        let with_domain = policy("domain = \"example.com\"");
        assert_eq!(written_last(with_domain.id(), header.as_bytes()), None);
        let mut headers = HeaderMap::new();
        headers.append(SET_COOKIE, header.clone());
        assert_eq!(outbound::unchanged(&p, &headers), Some(false));
        assert_eq!(outbound::unchanged(&with_domain, &headers), None);
    }

    #[test]
    fn the_record_keeps_whole_headers_up_to_its_size_and_within_r12() {
        let p = CookiePolicy::default();
        // `a=` + value + the policy's attributes.
        let attributes = p.set_cookie("a", "").unwrap().to_header_string().len() - 2;
        let fits = "v".repeat(LAST_WRITTEN_BYTES - 2 - attributes);
        let (header, recorded) = written(&p, p.set_cookie("a", fits.as_str()).unwrap());
        assert_eq!(header.len(), LAST_WRITTEN_BYTES);
        assert_eq!(recorded, Some(false));
        // One byte more is not recorded, and leaves the record as it was:
        // neither its first 256 bytes nor anything else is taken.
        let over = format!("{fits}v");
        let (longer, recorded) = written(&p, p.set_cookie("a", over.as_str()).unwrap());
        assert_eq!(recorded, None);
        let start = &longer.as_bytes()[..LAST_WRITTEN_BYTES];
        assert_eq!(written_last(p.id(), start), None);
        assert_eq!(written_last(p.id(), header.as_bytes()), Some(false));
        // R12: 400 days is kept, a second more goes to the general path
        // (which refuses it).
        let limit = i64::from(super::super::MAX_LIFETIME_SECONDS);
        let (_, recorded) = written(&p, p.set_cookie("a", "1").unwrap().max_age(limit));
        assert_eq!(recorded, Some(false));
        let (_, recorded) = written(&p, p.set_cookie("a", "1").unwrap().max_age(limit + 1));
        assert_eq!(recorded, None);
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
