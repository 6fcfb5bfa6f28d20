//! The `Cookie` header: the one parser of what a client sends.
//!
//! Limits first (R16: total bytes and pairs over all `Cookie` fields, else
//! 431), then one pass that tolerates several fields and `;` with or
//! without a space (R17), skips and records each malformed pair without
//! failing the rest (R18), matches names byte for byte with no decoding or
//! case folding (R19), makes a duplicated sensitive cookie absent (R20),
//! and opens protected values, never handing over one that does not verify
//! (R21).
//!
//! The app then reads the accepted pairs from one canonical `Cookie` header
//! (the `Display` of [`RequestCookies`]) in which `%` is written `%25`, so that
//! actix-web's `HttpRequest::cookie`, which percent-decodes, returns exactly
//! the bytes the client sent and can never turn `%5F%5FHost-sid` into
//! `__Host-sid`.
//!
//! Hand-written because this parser is the hardening: the `cookie` crate and
//! actix-web decode, trim and drop in ways R18 and R19 forbid.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::SystemTime;

use actix_web::http::header::HeaderValue;

use crate::attributes::CookieAttributes;
use crate::diagnostics::{Diagnostic, DiagnosticKind};
use crate::error::LimitExceeded;
use crate::grammar;
use crate::keys::{Reissue, VerifyError};
use crate::policy::{CookiePolicy, WireName};
use crate::rules::{self, printable};

/// One accepted pair.
#[derive(Debug)]
pub(crate) struct Pair<'a> {
    /// The name the app sees: the declared name of a declared prefixed one.
    pub name: &'a str,
    /// The name as sent.
    pub wire: &'a str,
    /// The value: as sent, or the opened value of a protected cookie.
    pub value: Cow<'a, str>,
    sensitive: bool,
    attrs: &'a CookieAttributes,
}

/// What a request's `Cookie` fields hold, under the policy.
#[derive(Debug, Default)]
pub(crate) struct RequestCookies<'a> {
    /// The accepted pairs, in the order they arrived.
    pub pairs: Vec<Pair<'a>>,
    /// Every pair not accepted, and why (copies of a tossed cookie share one).
    pub diagnostics: Vec<Diagnostic>,
    /// Protected cookies to re-issue under the current key.
    pub reissue: Vec<Reissue>,
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn lossy(b: &[u8]) -> String {
    printable(&String::from_utf8_lossy(b))
}

/// Reads every `Cookie` field of a request under `policy`.
pub(crate) fn parse<'a>(
    policy: &'a CookiePolicy,
    fields: &'a [HeaderValue],
) -> Result<RequestCookies<'a>, LimitExceeded> {
    let config = policy.config();
    let bytes: usize = fields.iter().map(HeaderValue::len).sum();
    if bytes > config.max_header_bytes {
        return Err(LimitExceeded::Bytes {
            bytes,
            limit: config.max_header_bytes,
        });
    }
    let mut out = RequestCookies::default();
    let mut count = 0;
    let pieces = fields
        .iter()
        .flat_map(|field| field.as_bytes().split(|&b| b == b';'))
        .map(trim)
        .filter(|piece| !piece.is_empty());
    for piece in pieces {
        count += 1;
        if count > config.max_pairs {
            return Err(LimitExceeded::Pairs {
                limit: config.max_pairs,
            });
        }
        if let Err(diagnostic) = read_pair(policy, piece).map(|pair| out.pairs.push(pair)) {
            out.diagnostics.push(diagnostic);
        }
    }
    out.drop_duplicates();
    out.open_protected(policy);
    Ok(out)
}

fn skipped(name: &[u8], kind: DiagnosticKind, detail: String) -> Diagnostic {
    Diagnostic {
        name: lossy(name),
        kind,
        detail,
    }
}

/// One trimmed, non-empty `name=value` piece: accepted, or why not.
fn read_pair<'a>(policy: &'a CookiePolicy, piece: &'a [u8]) -> Result<Pair<'a>, Diagnostic> {
    let Some(eq) = piece.iter().position(|&b| b == b'=') else {
        let detail = format!("a pair without '=': {:?}", lossy(piece));
        return Err(skipped(b"", DiagnosticKind::Nameless, detail));
    };
    let (name, value) = (trim(&piece[..eq]), trim(&piece[eq + 1..]));
    if let Err(bad) = grammar::check_name(name) {
        let detail = match bad {
            None => "an empty name".to_owned(),
            Some(bad) => format!("{bad} is not allowed in a cookie name"),
        };
        return Err(skipped(name, DiagnosticKind::InvalidName, detail));
    }
    if let Err(bad) = grammar::check_value(value) {
        let detail = format!("{bad} is not allowed in a cookie value");
        return Err(skipped(name, DiagnosticKind::InvalidValue, detail));
    }
    if let Some(at) = grammar::bad_percent_escape(value) {
        let detail = format!("'%' at position {at} of the value is not followed by two hex digits");
        return Err(skipped(name, DiagnosticKind::BadPercentEscape, detail));
    }
    // Both checks admit ASCII only, so these conversions cannot fail.
    let (Ok(name), Ok(value)) = (std::str::from_utf8(name), std::str::from_utf8(value)) else {
        let detail = "the pair is not ASCII text".to_owned();
        return Err(skipped(name, DiagnosticKind::InvalidValue, detail));
    };
    if let Some((rule, false)) = rules::prefix_of(name) {
        let detail = format!(
            "browsers treat this name as {} prefixed; only that exact spelling is read",
            rule.prefix
        );
        return Err(skipped(
            name.as_bytes(),
            DiagnosticKind::NonCanonicalPrefix,
            detail,
        ));
    }
    match policy.read_name(name) {
        WireName::Read {
            name: declared,
            sensitive,
            attrs,
        } => Ok(Pair {
            name: declared.unwrap_or(name),
            wire: name,
            value: Cow::Borrowed(value),
            sensitive,
            attrs,
        }),
        WireName::MissingPrefix => {
            let detail = format!(
                "this cookie is read only as {}; a plain copy can be set by anyone",
                policy.attributes(name).wire_name(Cow::Borrowed(name))
            );
            Err(skipped(
                name.as_bytes(),
                DiagnosticKind::MissingPrefix,
                detail,
            ))
        }
    }
}

impl<'a> RequestCookies<'a> {
    /// Sensitive names sent more than once become absent (R20): a sibling
    /// domain or a plain-HTTP attacker can plant a second copy, and the
    /// order of copies proves nothing. For other names the first copy wins,
    /// as user agents send the most specific path first.
    fn drop_duplicates(&mut self) {
        if self.pairs.len() < 2 {
            return;
        }
        // Per name: how many copies, and whether any is sensitive.
        let mut copies: HashMap<&str, (usize, bool)> = HashMap::with_capacity(self.pairs.len());
        for p in &self.pairs {
            let entry = copies.entry(p.name).or_default();
            entry.0 += 1;
            entry.1 |= p.sensitive;
        }
        if copies.len() == self.pairs.len() {
            return;
        }
        let mut kept: HashSet<&str> = HashSet::new();
        let diagnostics = &mut self.diagnostics;
        self.pairs.retain(|p| {
            let (count, sensitive) = copies[p.name];
            let first = kept.insert(p.name);
            match (count, sensitive, first) {
                (1, _, _) => true,
                (_, true, first) => {
                    if first {
                        diagnostics.push(skipped(
                            p.name.as_bytes(),
                            DiagnosticKind::Tossing,
                            "a sensitive cookie arrived more than once, so none of the copies is trusted".to_owned(),
                        ));
                    }
                    false
                }
                (_, false, true) => true,
                (_, false, false) => {
                    diagnostics.push(skipped(
                        p.name.as_bytes(),
                        DiagnosticKind::Duplicate,
                        "a later copy of this name; the first one is used".to_owned(),
                    ));
                    false
                }
            }
        });
    }

    /// Verifies or decrypts every protected pair in place, dropping those
    /// that fail (R21: never the protected form, never a guess).
    fn open_protected(&mut self, policy: &CookiePolicy) {
        let Some(keys) = policy.keys() else {
            return;
        };
        if self.pairs.iter().all(|p| p.attrs.protection.is_none()) {
            return;
        }
        let now = SystemTime::now();
        let (diagnostics, reissue) = (&mut self.diagnostics, &mut self.reissue);
        self.pairs.retain_mut(|p| {
            let Some(protection) = p.attrs.protection else {
                return true;
            };
            // A protected session cookie (no max_age) still ages out.
            let max_age = p.attrs.max_age.seconds().unwrap_or(policy.config().max_session_age);
            let refused = |kind, detail: &str| skipped(p.name.as_bytes(), kind, detail.to_owned());
            match keys.unprotect(protection, p.wire, &p.value, now, Some(max_age)) {
                // What the layer protected passed the outbound checks; check
                // again, so that an opened value can never smuggle bytes
                // into the header the app reads.
                Ok(v) if rules::check_value(p.wire, &v.value).is_err() => {
                    diagnostics.push(refused(
                        DiagnosticKind::Tampered,
                        "the protected value is not a cookie value",
                    ));
                    false
                }
                Ok(v) => {
                    if v.rotated {
                        reissue.push(Reissue {
                            name: p.wire.to_owned(),
                            value: v.value.clone(),
                            issued_at: v.issued_at,
                        });
                    }
                    p.value = Cow::Owned(v.value);
                    true
                }
                Err(VerifyError::Expired) => {
                    diagnostics.push(refused(
                        DiagnosticKind::Expired,
                        "the protected value is older than the cookie's max_age (or max_session_age)",
                    ));
                    false
                }
                Err(VerifyError::Tampered(why)) => {
                    diagnostics.push(refused(
                        DiagnosticKind::Tampered,
                        &format!("{why}; the cookie is ignored"),
                    ));
                    false
                }
            }
        });
    }
}

impl RequestCookies<'_> {
    /// Writes the `Cookie` header the app reads: the accepted pairs as
    /// `name=value` joined by `"; "`, each `%` written `%25` (see the
    /// module's documentation). `Display` and the layer's "unchanged?" check
    /// both write through it.
    pub(crate) fn write_to<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        for (i, p) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.write_str("; ")?;
            }
            out.write_str(&escaped(p.name))?;
            out.write_str("=")?;
            out.write_str(&escaped(&p.value))?;
        }
        Ok(())
    }
}

impl fmt::Display for RequestCookies<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// `s` with each `%` written `%25`.
pub(crate) fn escaped(s: &str) -> Cow<'_, str> {
    if s.contains('%') {
        Cow::Owned(s.replace('%', "%25"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests;
