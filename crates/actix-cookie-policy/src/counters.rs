//! The counters the layer keeps, through the `metrics` facade: what it
//! refused, dropped, skipped and re-issued, so that an operator sees an
//! attack or a broken deploy as it happens, and, in the `report` mode, what
//! enforcing the policy would do, however often (the log says it once per
//! cookie name and rule). An application that installs a recorder
//! (`metrics-exporter-prometheus`, say) gets them under the names below; with
//! none installed, a count does nothing.
//!
//! Counting is cheap next to what it records: a request whose cookies all
//! pass and a response whose cookies go out as the app wrote them count
//! nothing; the counts without a label (cookies filled, re-issued) build no
//! key; a labelled count builds its key, a list of one label, beside the
//! diagnostic or error the same decision already made.
//!
//! Labels take a fixed set of values (a rule, a kind, a reason): never a
//! cookie's name or value, which a client chooses.

use metrics::counter;

use crate::config::OnViolation;
use crate::diagnostics::DiagnosticKind;

/// A `Set-Cookie` the app wrote that the layer sent changed: attributes
/// filled in, a value protected, the text made canonical.
pub(crate) const SET_COOKIES_FILLED: &str = "cookie_policy_set_cookies_filled_total";
/// A `Set-Cookie` that broke a rule, by `rule` (`R1` to `R15`), in the
/// `reject` mode: its response became a 500. Also a `CookieError` that a
/// handler returned, in any mode.
pub(crate) const SET_COOKIES_REFUSED: &str = "cookie_policy_set_cookies_refused_total";
/// The same in the `drop` mode: the cookie was not sent.
pub(crate) const SET_COOKIES_DROPPED: &str = "cookie_policy_set_cookies_dropped_total";
/// The same in the `report` mode: the cookie went out as written.
pub(crate) const SET_COOKIES_REPORTED: &str = "cookie_policy_set_cookies_reported_total";
/// A pair of a request's `Cookie` header the app did not get, by `kind`:
/// `nameless_pair`, `invalid_name`, `invalid_value`, `bad_percent_escape`,
/// `non_canonical_prefix`, `missing_prefix`, `duplicate`,
/// `possible_cookie_tossing`, `tampered` (a protected value that does not
/// verify, including one sealed under a key this instance lacks) and
/// `expired` (older than its lifetime).
pub(crate) const REQUEST_COOKIES_SKIPPED: &str = "cookie_policy_request_cookies_skipped_total";
/// The same in the `report` mode: the app got the pair all the same.
pub(crate) const REQUEST_COOKIES_REPORTED: &str = "cookie_policy_request_cookies_reported_total";
/// A protected cookie that verified under a previous key, which the layer
/// re-issues under the current one.
pub(crate) const PROTECTED_COOKIES_REISSUED: &str =
    "cookie_policy_protected_cookies_reissued_total";
/// A request the layer answered itself, by `reason`:
/// `cookie_header_too_large` and `too_many_cookies` (431),
/// `cross_origin_request` (403), `policy_layer_order` (500).
pub(crate) const REQUESTS_REFUSED: &str = "cookie_policy_requests_refused_total";
/// The same in the `report` mode (the first three reasons): the app got
/// the request all the same.
pub(crate) const REQUESTS_REPORTED: &str = "cookie_policy_requests_reported_total";

/// Counts a `Set-Cookie` that broke `rule`, under the name of what `mode`
/// did with it.
pub(crate) fn set_cookie_violation(mode: OnViolation, rule: &'static str) {
    let name = match mode {
        OnViolation::Reject => SET_COOKIES_REFUSED,
        OnViolation::Drop => SET_COOKIES_DROPPED,
        OnViolation::Report => SET_COOKIES_REPORTED,
    };
    counter!(name, "rule" => rule).increment(1);
}

/// Counts `n` cookies sent changed.
pub(crate) fn set_cookies_filled(n: usize) {
    if n > 0 {
        counter!(SET_COOKIES_FILLED).increment(n as u64);
    }
}

/// Counts a request's pair that the app did not get, or in the `report`
/// mode would not have.
pub(crate) fn request_cookie_skipped(mode: OnViolation, kind: DiagnosticKind) {
    let name = match mode {
        OnViolation::Report => REQUEST_COOKIES_REPORTED,
        OnViolation::Reject | OnViolation::Drop => REQUEST_COOKIES_SKIPPED,
    };
    counter!(name, "kind" => kind.as_str()).increment(1);
}

/// Counts `n` protected cookies re-issued under the current key.
pub(crate) fn protected_cookies_reissued(n: usize) {
    if n > 0 {
        counter!(PROTECTED_COOKIES_REISSUED).increment(n as u64);
    }
}

/// Counts a request the layer answered itself, or in the `report` mode
/// would have.
pub(crate) fn request_refused(mode: OnViolation, reason: &'static str) {
    let name = match mode {
        OnViolation::Report => REQUESTS_REPORTED,
        OnViolation::Reject | OnViolation::Drop => REQUESTS_REFUSED,
    };
    counter!(name, "reason" => reason).increment(1);
}
