//! Fuzzes the outbound `Set-Cookie` checker: `SetCookie::parse`, then
//! `fill_from(policy)` and `check(now)`.
//!
//! Invariants, for every header that passes the check:
//! - no panic;
//! - the rendered header has no byte < 0x20 or 0x7F and is accepted by
//!   `HeaderValue::from_str`;
//! - render/parse round trip: `SetCookie::parse(rendered) == cookie`;
//! - filling and checking again is a no-op (the canonical form is a fixed
//!   point of the whole pipeline).
#![no_main]

use std::sync::LazyLock;
use std::time::SystemTime;

use actix_web::http::header::HeaderValue;
use cookie_policy::policy::{CookiePolicy, SetCookie};
use cookie_policy_fuzz::{now, policy};
use libfuzzer_sys::fuzz_target;

static POLICY: LazyLock<CookiePolicy> = LazyLock::new(policy);
static NOW: LazyLock<SystemTime> = LazyLock::new(now);

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut cookie) = SetCookie::parse(input) else {
        return;
    };
    cookie.fill_from(&POLICY);
    if cookie.check(*NOW).is_err() {
        return;
    }
    let rendered = cookie.to_string();
    assert!(
        !rendered.bytes().any(|b| b < 0x20 || b == 0x7F),
        "rendered header has a control byte: {rendered:?} (input {input:?})"
    );
    assert!(
        HeaderValue::from_str(&rendered).is_ok(),
        "HeaderValue rejects rendered {rendered:?} (input {input:?})"
    );
    let again = SetCookie::parse(&rendered).unwrap_or_else(|e| {
        panic!("rendered {rendered:?} (input {input:?}) does not re-parse: {e:?}")
    });
    assert_eq!(
        again, cookie,
        "round trip changed the cookie: rendered {rendered:?} (input {input:?})"
    );
    let mut refilled = again.clone();
    refilled.fill_from(&POLICY);
    assert_eq!(
        refilled, again,
        "fill_from is not idempotent on {rendered:?} (input {input:?})"
    );
    if let Err(e) = refilled.check(*NOW) {
        panic!("canonical {rendered:?} (input {input:?}) fails check: {e:?}");
    }
});
