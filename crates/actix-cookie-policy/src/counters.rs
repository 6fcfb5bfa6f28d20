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
//! nothing; the counts without a label (cookies filled, re-issued) allocate
//! nothing; a labelled count allocates its key's list of one label, beside
//! the diagnostic or error that the same decision already made.
//!
//! Labels take a fixed set of values (a rule, a kind, a reason): never a
//! cookie's name or value, which a client chooses.

use metrics::counter;

use crate::config::OnViolation;
use crate::diagnostics::DiagnosticKind;

pub(crate) const SET_COOKIES_FILLED: &str = "cookie_policy_set_cookies_filled_total";
pub(crate) const SET_COOKIES_REFUSED: &str = "cookie_policy_set_cookies_refused_total";
pub(crate) const SET_COOKIES_DROPPED: &str = "cookie_policy_set_cookies_dropped_total";
pub(crate) const SET_COOKIES_REPORTED: &str = "cookie_policy_set_cookies_reported_total";
pub(crate) const REQUEST_COOKIES_SKIPPED: &str = "cookie_policy_request_cookies_skipped_total";
pub(crate) const REQUEST_COOKIES_REPORTED: &str = "cookie_policy_request_cookies_reported_total";
pub(crate) const PROTECTED_COOKIES_REISSUED: &str =
    "cookie_policy_protected_cookies_reissued_total";
pub(crate) const REQUESTS_REFUSED: &str = "cookie_policy_requests_refused_total";
pub(crate) const REQUESTS_REPORTED: &str = "cookie_policy_requests_reported_total";

/// Every counter, and what it counts: the help text a recorder shows
/// beside it (Prometheus' `# HELP`).
const COUNTERS: [(&str, &str); 9] = [
    (
        SET_COOKIES_FILLED,
        "Set-Cookie headers the app wrote that the cookie policy layer sent changed: attributes filled in, a value protected, the text made canonical.",
    ),
    (
        SET_COOKIES_REFUSED,
        "Set-Cookie headers against a cookie rule (label rule, R1 to R15) in the reject mode, whose response became a 500; and CookieErrors handlers returned.",
    ),
    (
        SET_COOKIES_DROPPED,
        "Set-Cookie headers against a cookie rule (label rule) in the drop mode: the cookie was not sent.",
    ),
    (
        SET_COOKIES_REPORTED,
        "Set-Cookie headers against a cookie rule (label rule) in the report mode: sent as written.",
    ),
    (
        REQUEST_COOKIES_SKIPPED,
        "Pairs of a request's Cookie header the app did not get, by kind: nameless_pair, invalid_name, invalid_value, bad_percent_escape, non_canonical_prefix, missing_prefix, duplicate, possible_cookie_tossing, tampered (including a key this instance lacks), expired.",
    ),
    (
        REQUEST_COOKIES_REPORTED,
        "Pairs of a request's Cookie header the other modes would have skipped, by kind, in the report mode: the app got them.",
    ),
    (
        PROTECTED_COOKIES_REISSUED,
        "Protected cookies that verified under a previous key, re-issued under the current one.",
    ),
    (
        REQUESTS_REFUSED,
        "Requests the cookie policy layer answered itself, by reason: cookie_header_too_large and too_many_cookies (431), cross_origin_request (403), policy_layer_order (500).",
    ),
    (
        REQUESTS_REPORTED,
        "Requests the other modes would have refused, by reason, in the report mode: the app got them.",
    ),
];

/// Describes each counter the layer keeps to the recorder installed now,
/// which then shows what each one counts (Prometheus: as `# HELP`). The
/// layer counts without it; call it once, after installing the recorder.
///
/// ```
/// // With a recorder installed (`PrometheusBuilder::new().install_recorder()`,
/// // say), then:
/// actix_cookie_policy::describe_metrics();
/// ```
pub fn describe_metrics() {
    for (name, help) in COUNTERS {
        metrics::describe_counter!(name, help);
    }
}

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
