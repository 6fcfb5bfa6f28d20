//! Fuzzes the inbound `Cookie` parser (`policy::inbound::process`).
//!
//! Input: raw bytes split on 0x00 into up to 4 `Cookie` header fields
//! (fields `HeaderValue::from_bytes` rejects are skipped).
//!
//! Invariants:
//! - no panic;
//! - a request left as is (`header == None`) had no diagnostics;
//! - removing every field (`Some(None)`) only happens when some pair was
//!   skipped with a diagnostic, or no field held any pair at all;
//! - every pair of the canonical header has a token name, a cookie-octet
//!   value, no bad `%` escape, and names are unique;
//! - idempotence: see `check_idempotent`. With `INBOUND_STRICT=1` in the
//!   environment the literal form is checked (feeding the canonical header
//!   back yields `header == None` and no diagnostics); by default the
//!   canonical header is first mapped back to the wire (`%25` -> `%`, declared
//!   name -> prefixed wire name), which is what the layer's own design implies.
#![no_main]

use std::collections::HashSet;
use std::sync::LazyLock;

use actix_web::http::header::{COOKIE, HeaderMap, HeaderValue};
use cookie_policy::policy::{CookiePolicy, grammar, inbound};
use cookie_policy_fuzz::{policy, unescape_percent};
use libfuzzer_sys::fuzz_target;

static POLICY: LazyLock<CookiePolicy> = LazyLock::new(policy);
static STRICT: LazyLock<bool> =
    LazyLock::new(|| std::env::var_os("INBOUND_STRICT").is_some_and(|v| v != "0"));

fn has_pair(field: &[u8]) -> bool {
    field.split(|&b| b == b';').any(|p| p.iter().any(|b| !b" \t".contains(b)))
}

fn single(v: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(COOKIE, HeaderValue::from_str(v).expect("valid header"));
    h
}

fn check_idempotent(canonical: &str) {
    let policy = &*POLICY;
    if *STRICT {
        let again = inbound::process(policy, &single(canonical))
            .unwrap_or_else(|e| panic!("canonical {canonical:?} exceeds a limit: {e}"));
        assert!(
            again.header.is_none() && again.diagnostics.is_empty(),
            "not idempotent: canonical {canonical:?} re-processed to header {:?}, diagnostics {:?}",
            again.header,
            again.diagnostics
        );
        return;
    }
    // Map the canonical header back to what a client would send.
    let wire: Vec<String> = canonical
        .split("; ")
        .map(|pair| {
            let (n, v) = pair.split_once('=').expect("pair has '='");
            let n = unescape_percent(n);
            format!("{}={}", policy.wire_name(&n), unescape_percent(v))
        })
        .collect();
    let wire = wire.join("; ");
    let again = inbound::process(policy, &single(&wire))
        .unwrap_or_else(|e| panic!("re-wired {wire:?} exceeds a limit: {e}"));
    assert!(
        again.diagnostics.is_empty(),
        "re-wired canonical {wire:?} (from {canonical:?}) produced diagnostics {:?}",
        again.diagnostics
    );
    let second = match &again.header {
        None => wire.clone(),
        Some(Some(v)) => v.to_str().expect("ascii").to_owned(),
        Some(None) => panic!("re-wired canonical {wire:?} lost every cookie"),
    };
    assert_eq!(
        second, canonical,
        "not idempotent: re-wired {wire:?} gave a different canonical header"
    );
}

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for field in data.splitn(4, |&b| b == 0) {
        if let Ok(v) = HeaderValue::from_bytes(field) {
            headers.append(COOKIE, v);
        }
    }
    let Ok(first) = inbound::process(&POLICY, &headers) else {
        return;
    };
    let canonical = match &first.header {
        None => {
            assert!(
                first.diagnostics.is_empty(),
                "header left as is but diagnostics {:?}",
                first.diagnostics
            );
            match headers.get(COOKIE) {
                None => return,
                Some(v) => v.clone(),
            }
        }
        Some(None) => {
            let any_pair = headers.get_all(COOKIE).any(|v| has_pair(v.as_bytes()));
            assert!(
                !first.diagnostics.is_empty() || !any_pair,
                "every Cookie field removed without a diagnostic: {headers:?}"
            );
            return;
        }
        Some(Some(v)) => v.clone(),
    };
    let canonical = canonical
        .to_str()
        .unwrap_or_else(|_| panic!("canonical header is not visible ASCII: {canonical:?}"))
        .to_owned();
    if canonical.is_empty() {
        // A single empty `Cookie` field is left as is: nothing to check.
        return;
    }
    let mut names = HashSet::new();
    for pair in canonical.split("; ") {
        let (name, value) = pair
            .split_once('=')
            .unwrap_or_else(|| panic!("pair {pair:?} of {canonical:?} has no '='"));
        assert!(
            grammar::check_name(name.as_bytes()).is_ok(),
            "name {name:?} of {canonical:?} is not a token"
        );
        assert!(
            grammar::check_value(value.as_bytes()).is_ok(),
            "value {value:?} of {canonical:?} is not cookie-octets"
        );
        assert!(
            grammar::bad_percent_escape(value.as_bytes()).is_none(),
            "value {value:?} of {canonical:?} has a bad % escape"
        );
        assert!(names.insert(name), "name {name:?} twice in {canonical:?}");
    }
    check_idempotent(&canonical);
});
