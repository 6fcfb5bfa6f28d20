//! The policy applied to every `Set-Cookie` of a response.
//!
//! Each header is parsed strictly ([`SetCookie::parse`]), filled from the
//! policy, protected if declared so, checked against every rule, and sent
//! in canonical form. What cannot be fixed without changing the cookie's
//! meaning is a [`CookieError`] naming the cookie and the rule.

use std::time::SystemTime;

use actix_web::http::header::{HeaderMap, HeaderValue, SET_COOKIE};

use crate::attributes::CookieAttributes;
use crate::error::{CookieError, ViolationKind};
use crate::grammar;
use crate::keys::{Reissue, unix_seconds};
use crate::policy::CookiePolicy;
use crate::rules::{self, printable};
use crate::same_text::writes_exactly;
use crate::set_cookie::{OnePerName, SetCookie};

/// What applying the policy to a response's cookies found.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The violations, in header order.
    pub errors: Vec<CookieError>,
    /// A sensitive cookie is among those sent (R22).
    pub sensitive: bool,
    /// The valid cookies in canonical form, to send in place of the app's
    /// `Set-Cookie` headers; `None` when those already are exactly that.
    pub sent: Option<Vec<HeaderValue>>,
    /// The app's cookies that are sent changed, as (name, text sent).
    pub rewritten: Vec<(String, String)>,
}

/// Applies the policy to every `Set-Cookie` in `headers`, and adds the
/// re-issued cookies that the response does not set itself. `host` gives
/// the request's host name, if it has one, asked only for a cookie with a
/// `Domain` (R6). The headers are left as they are: what to send is the
/// caller's choice, by the policy's mode.
pub(crate) fn apply(
    policy: &CookiePolicy,
    headers: &HeaderMap,
    host: impl Fn() -> Option<String>,
    reissue: &[Reissue],
) -> Outcome {
    let now = SystemTime::now();
    let mut outcome = Outcome::default();
    let mut cookies: Vec<Prepared<'_>> = Vec::new();
    let mut changed = false;
    for original in headers.get_all(SET_COOKIE) {
        match prepare_header(policy, original, now, &host) {
            Ok(prepared) => cookies.push(prepared),
            Err(e) => {
                outcome.errors.push(e);
                changed = true;
            }
        }
    }
    for r in reissue {
        if cookies.iter().any(|c| c.cookie.name == r.name) {
            continue; // the response sets the cookie itself
        }
        match reissued(policy, r, now, &host) {
            Ok(cookie) => cookies.push(Prepared {
                cookie,
                original: None,
                sensitive: true,
                as_written: false,
            }),
            Err(e) => outcome.errors.push(e),
        }
    }
    if cookies.len() > 1 {
        let before = outcome.errors.len();
        drop_duplicates(&mut cookies, now, &mut outcome.errors);
        changed |= outcome.errors.len() > before;
    }
    outcome.sensitive = cookies.iter().any(|c| c.sensitive);
    // The usual response: every header already exactly what is sent.
    changed |= !cookies.iter().all(|c| c.as_written);
    if !changed {
        return outcome;
    }
    let mut sent = Vec::with_capacity(cookies.len());
    for c in cookies {
        if let Some(h) = c.original.filter(|_| c.as_written) {
            sent.push(h.clone());
            continue;
        }
        let text = c.cookie.to_string();
        if c.original.is_some() {
            outcome
                .rewritten
                .push((c.cookie.name.to_string(), text.clone()));
        }
        // Every part was checked against the grammar: never refused.
        match HeaderValue::try_from(text) {
            Ok(h) => sent.push(h),
            Err(_) => outcome.errors.push(CookieError::new(
                printable(&c.cookie.name),
                ViolationKind::InvalidAttribute,
                "the cookie cannot be written as a header",
            )),
        }
    }
    outcome.sent = Some(sent);
    outcome
}

/// A cookie ready to send.
struct Prepared<'a> {
    cookie: SetCookie<'a>,
    /// The app's header it came from; `None` for a re-issued cookie.
    original: Option<&'a HeaderValue>,
    sensitive: bool,
    /// The app's header is already exactly what is sent.
    as_written: bool,
}

/// R13: one cookie per name in a response, the first one kept (see
/// [`OnePerName`]); each dropped one is an error.
fn drop_duplicates(
    cookies: &mut Vec<Prepared<'_>>,
    now: SystemTime,
    errors: &mut Vec<CookieError>,
) {
    let keep: Vec<bool> = {
        let mut sent = OnePerName::default();
        cookies.iter().map(|c| sent.admit(&c.cookie, now)).collect()
    };
    for (c, _) in cookies.iter().zip(&keep).filter(|(_, kept)| !**kept) {
        errors.push(CookieError::new(
            printable(&c.cookie.name),
            ViolationKind::DuplicateCookie,
            "the response sets this cookie twice; set it once",
        ));
    }
    let mut keep = keep.into_iter();
    cookies.retain(|_| keep.next().unwrap_or(true));
}

/// One header through the outbound step: read, then prepared.
fn prepare_header<'a>(
    policy: &'a CookiePolicy,
    header: &'a HeaderValue,
    now: SystemTime,
    host: &impl Fn() -> Option<String>,
) -> Result<Prepared<'a>, CookieError> {
    // Text for the parser, which checks every byte against the cookie
    // grammar and names the first one out of place. Bytes that are not
    // even UTF-8 are refused here, with the cookie's name as far as it reads.
    let text = std::str::from_utf8(header.as_bytes()).map_err(|_| {
        let lossy = String::from_utf8_lossy(header.as_bytes());
        let name = lossy.split(['=', ';']).next().unwrap_or_default();
        CookieError::new(
            printable(name),
            ViolationKind::InvalidValue,
            "the Set-Cookie header is not UTF-8 text; encode the value, for example as base64url",
        )
    })?;
    let (mut cookie, attrs, canonical) = match as_the_policy_writes(policy, text) {
        Some((cookie, attrs)) => (cookie, attrs, true),
        None => {
            let cookie = SetCookie::parse(text)?;
            let attrs = policy.attributes(&cookie.name);
            (cookie, attrs, false)
        }
    };
    let read = cookie.clone();
    let sensitive = policy.prepare(&mut cookie, attrs, now, None, host)?;
    // A flag the policy turns on cannot be turned off by a handler (an
    // absent flag and one set to false read the same): say how to.
    for (flag, key, before, after) in [
        ("HttpOnly", "http_only", read.http_only, cookie.http_only),
        ("Secure", "secure", read.secure, cookie.secure),
    ] {
        if after && !before {
            log::debug!(
                "cookie `{}`: the policy adds {flag}, which the header lacks (a handler's set_{key}(false) reads the same as leaving it out); to send the cookie without it, set {key} = false in its override ([cookies.overrides.<name>])",
                printable(&cookie.name)
            );
        }
    }
    // The header is the canonical text of what was read: when the step
    // changed nothing, it is already exactly what is sent.
    let as_written = (canonical && cookie == read)
        || writes_exactly(header.as_bytes(), |out| cookie.write_to(out));
    Ok(Prepared {
        cookie,
        original: Some(header),
        sensitive,
        as_written,
    })
}

/// The usual header, read without the parser: exactly the policy's text
/// ([`PolicyText`](crate::set_cookie::PolicyText)) for the header's name
/// and value, with the header's own `Max-Age` if it has one, as
/// `policy.cookie(..)` and actix-web write it. Returns the cookie that
/// [`SetCookie::parse`] would read from it, filled from the policy (which
/// changes nothing); any other header is parsed.
fn as_the_policy_writes<'a>(
    policy: &'a CookiePolicy,
    header: &'a str,
) -> Option<(SetCookie<'a>, &'a CookieAttributes)> {
    let (pair, _) = grammar::split_once_at(header, b';').unwrap_or((header, ""));
    let (name, value) = grammar::split_once_at(pair, b'=')?;
    if rules::check_name(name).is_err() || rules::check_value(name, value).is_err() {
        return None;
    }
    let declaration = policy.declaration(name);
    let attrs = &declaration.attrs;
    // A prefix adds attributes of its own (R7, R8), and a declared one
    // renames the cookie: those are parsed.
    if attrs.prefix.is_some() || rules::prefix_of(name).is_some() {
        return None;
    }
    let max_age = declaration.text.lifetime_in(&header[pair.len()..])?;
    let mut cookie = SetCookie {
        name: name.into(),
        value: value.into(),
        max_age,
        ..SetCookie::default()
    };
    cookie.fill(attrs);
    Some((cookie, attrs))
}

/// The `Set-Cookie` that re-issues a rotated cookie: the policy's
/// attributes, its original issue time, and `Max-Age` cut to what is left
/// of its lifetime.
fn reissued<'a>(
    policy: &'a CookiePolicy,
    r: &'a Reissue,
    now: SystemTime,
    host: &impl Fn() -> Option<String>,
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
    policy.prepare(&mut cookie, attrs, now, Some(r.issued_at), host)?;
    Ok(cookie)
}

/// Sends base64 values that an app wrote percent-encoded in their plain
/// form: each `Set-Cookie` in `headers` whose value percent-decodes to
/// base64 gets that decoded value; every other header stays as it is.
///
/// For a crate that writes its cookie percent-encoded and reads it back
/// percent-decoded, as actix-session does: the layer hands the app the
/// bytes the client sent (R19), so the crate would read back `%2F` where it
/// wrote `/`. Its value is base64, already made of cookie-octets once
/// decoded, so sent decoded it reads back as written. Call it from a
/// middleware between the layer and that crate (see `docs/sessions.md`).
pub fn unencode_base64_set_cookies(headers: &mut HeaderMap) {
    let written: Vec<HeaderValue> = headers.get_all(SET_COOKIE).cloned().collect();
    headers.remove(SET_COOKIE);
    for header in written {
        headers.append(SET_COOKIE, unencoded_base64(header));
    }
}

/// A `Set-Cookie` whose value percent-decodes to base64, with that value
/// decoded; any other header as it is.
fn unencoded_base64(header: HeaderValue) -> HeaderValue {
    let text = header.to_str().unwrap_or_default();
    let (pair, attributes) = text.split_at(text.find(';').unwrap_or(text.len()));
    let Some((name, value)) = pair.split_once('=') else {
        return header;
    };
    match rules::decode_value(value) {
        Some(plain)
            if plain != value
                && plain
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) =>
        {
            HeaderValue::try_from(format!("{name}={plain}{attributes}")).unwrap_or(header)
        }
        _ => header,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CookieOverride, Prefix, Priority, SameSite};

    #[test]
    fn the_policys_own_text_is_read_without_the_parser_and_reads_as_the_parser_would() {
        let policy = CookiePolicy::builder()
            .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
            .cookie(
                "chip",
                CookieOverride::default()
                    .same_site(SameSite::None)
                    .partitioned(true)
                    .priority(Priority::High),
            )
            .cookie("remember", CookieOverride::default().max_age(600))
            .cookie("wide", CookieOverride::default().domain("example.com"))
            .build()
            .unwrap();
        let taken = [
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600",
            "username=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0",
            "q=\"x\"; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0",
            "chip=1; HttpOnly; SameSite=None; Secure; Path=/; Partitioned; Priority=High",
            "chip=1; HttpOnly; SameSite=None; Secure; Path=/; Max-Age=60; Partitioned; Priority=High",
            "remember=1; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=600",
            "remember=1; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=5",
            "wide=1; HttpOnly; SameSite=Lax; Secure; Path=/; Domain=example.com",
        ];
        for header in taken {
            let mut parsed = SetCookie::parse(header).unwrap();
            parsed.fill(policy.attributes(&parsed.name));
            let read = as_the_policy_writes(&policy, header).map(|(c, _)| c);
            assert_eq!(read, Some(parsed), "{header}");
            assert_eq!(read.unwrap().to_string(), header);
        }
        let parsed = [
            // Not exactly the policy's text: lower case, order, extra or
            // missing attributes, a Max-Age not written canonically.
            "username=alice; httponly; SameSite=Lax; Secure; Path=/",
            "username=alice; SameSite=Lax; HttpOnly; Secure; Path=/",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/app",
            "username=alice; HttpOnly; SameSite=Lax; Path=/",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/;",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Partitioned",
            "username=alice",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=+5",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=05",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=99999999999999999999",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=5; Max-Age=5",
            "username=alice; HttpOnly; SameSite=Lax; Secure; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "chip=1; HttpOnly; SameSite=None; Secure; Path=/; Partitioned",
            "chip=1; HttpOnly; SameSite=None; Secure; Path=/; Priority=High; Max-Age=60",
            // The policy gives `remember` a lifetime, which this one lacks.
            "remember=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            // A prefix adds attributes of its own, a declared one renames.
            "__Host-sid=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            "sid=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            "__Secure-x=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            "a b=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            "a=b c; HttpOnly; SameSite=Lax; Secure; Path=/",
            "novalue",
        ];
        for header in parsed {
            assert!(as_the_policy_writes(&policy, header).is_none(), "{header}");
        }
    }
}
