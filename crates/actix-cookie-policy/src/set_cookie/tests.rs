//! Tests of the parent module.

use super::*;
use crate::config::{CookieOverride, CookiePolicyConfig, Lifetime, Prefix};
use crate::policy::CookiePolicy;
use std::time::UNIX_EPOCH;

/// The policy of a development profile: the defaults without `Secure`.
fn dev_policy() -> CookiePolicy {
    CookiePolicy::new(
        CookiePolicyConfig {
            secure: false,
            ..CookiePolicyConfig::default()
        },
        None,
    )
    .unwrap()
}

fn policy(config: CookiePolicyConfig) -> CookiePolicy {
    CookiePolicy::new(config, None).unwrap()
}

/// `header` parsed, filled from `policy` and checked, as the layer sends it.
fn filled(header: &str, policy: &CookiePolicy) -> Result<String, CookieError> {
    let mut c = SetCookie::parse(header)?;
    let attrs = policy.attributes(&c.name);
    c.fill(attrs);
    c.check(SystemTime::now())?;
    Ok(c.to_string())
}

/// The message of the error `header` is refused with, parsed and checked
/// without filling.
fn refused(header: &str) -> (ViolationKind, String) {
    let e = SetCookie::parse(header)
        .and_then(|c| c.check(SystemTime::now()))
        .unwrap_err();
    (e.kind(), e.to_string())
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
    let everything = policy(CookiePolicyConfig {
        max_age: Lifetime::Seconds(600),
        same_site: SameSite::None,
        path: "/app".to_owned(),
        domain: Some("Example.com".to_owned()),
        partitioned: true,
        priority: Some(Priority::High),
        ..CookiePolicyConfig::default()
    });
    assert_eq!(
        filled("a=1", &everything).unwrap(),
        "a=1; HttpOnly; SameSite=None; Secure; Path=/app; Domain=example.com; Max-Age=600; Partitioned; Priority=High"
    );
}

#[test]
fn attributes_the_cookie_sets_are_kept() {
    assert_eq!(
        filled(
            "a=b; Max-Age=1800; Path=/x; SameSite=Strict; Domain=.Example.COM; Priority=low",
            &dev_policy()
        )
        .unwrap(),
        "a=b; HttpOnly; SameSite=Strict; Path=/x; Domain=example.com; Max-Age=1800; Priority=Low"
    );
}

#[test]
fn an_expires_cookie_does_not_get_the_policy_max_age() {
    let timed = policy(CookiePolicyConfig {
        max_age: Lifetime::Seconds(60),
        ..CookiePolicyConfig::default()
    });
    assert_eq!(
        filled("a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT", &timed).unwrap(),
        "a=b; HttpOnly; SameSite=Lax; Secure; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    );
    assert_eq!(
        filled("a=b", &timed).unwrap(),
        "a=b; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=60"
    );
}

#[test]
fn a_flag_the_policy_turns_on_stays_on_and_one_the_cookie_sets_is_kept() {
    // A header cannot switch a flag off: the policy's HttpOnly is added.
    assert_eq!(
        filled("a=1; Secure", &dev_policy()).unwrap(),
        "a=1; HttpOnly; SameSite=Lax; Secure; Path=/"
    );
    // Turned off for one cookie, a flag the cookie writes itself stays.
    let loose = CookiePolicy::builder()
        .secure(false)
        .cookie("theme", CookieOverride::default().http_only(false))
        .build()
        .unwrap();
    assert_eq!(
        filled("theme=dark", &loose).unwrap(),
        "theme=dark; SameSite=Lax; Path=/"
    );
    assert_eq!(
        filled("theme=dark; httponly", &loose).unwrap(),
        "theme=dark; HttpOnly; SameSite=Lax; Path=/"
    );
}

#[test]
fn a_declared_prefix_is_put_on_the_plain_name_and_not_twice() {
    let p = CookiePolicy::builder()
        .path("/app")
        .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
        .cookie("pref", CookieOverride::default().prefix(Prefix::Secure))
        .build()
        .unwrap();
    for header in ["sid=1", "__Host-sid=1"] {
        assert_eq!(
            filled(header, &p).unwrap(),
            "__Host-sid=1; HttpOnly; SameSite=Lax; Secure; Path=/",
            "{header}"
        );
    }
    assert_eq!(
        filled("pref=1", &p).unwrap(),
        "__Secure-pref=1; HttpOnly; SameSite=Lax; Secure; Path=/app"
    );
}

#[test]
fn a_canonical_prefix_gets_what_it_needs_where_the_cookie_left_it_unset() {
    let loose = policy(CookiePolicyConfig {
        secure: false,
        http_only: false,
        path: "/app".to_owned(),
        domain: Some("example.com".to_owned()),
        ..CookiePolicyConfig::default()
    });
    let cases = [
        (
            "__Secure-a=1",
            "__Secure-a=1; SameSite=Lax; Secure; Path=/app; Domain=example.com",
        ),
        (
            "__Http-a=1",
            "__Http-a=1; HttpOnly; SameSite=Lax; Secure; Path=/app; Domain=example.com",
        ),
        ("__Host-a=1", "__Host-a=1; SameSite=Lax; Secure; Path=/"),
        (
            "__Host-Http-a=1",
            "__Host-Http-a=1; HttpOnly; SameSite=Lax; Secure; Path=/",
        ),
    ];
    for (header, want) in cases {
        assert_eq!(filled(header, &loose).unwrap(), want, "{header}");
    }
}

#[test]
fn a_host_cookie_that_writes_its_own_path_or_domain_is_refused_not_changed() {
    let p = CookiePolicy::default();
    for header in [
        "__Host-a=1; Path=/x",
        "__Host-a=1; Domain=example.com",
        "__Host-Http-a=1; Path=/x",
    ] {
        let e = filled(header, &p).unwrap_err();
        let prefix = if header.starts_with("__Host-Http-") {
            "__Host-Http-"
        } else {
            "__Host-"
        };
        let name = header.split('=').next().unwrap();
        assert_eq!(
            (e.kind(), e.to_string()),
            (
                ViolationKind::HostPrefix,
                format!("cookie `{name}`: a {prefix} cookie needs Path=/ and no Domain (R8)")
            ),
            "{header}"
        );
    }
}

#[test]
fn what_the_cookie_crate_writes_is_read_back_exactly() {
    let policy = CookiePolicy::default();
    let removal = policy.removal("sid").unwrap().to_string();
    let parsed = SetCookie::parse(&removal).unwrap();
    assert_eq!(
        parsed.to_string(),
        "sid=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    );
    assert_eq!(parsed.to_string(), removal);
    let mut cookie = policy.cookie("a", "\"q\"").unwrap();
    cookie.set_max_age(cookie::time::Duration::seconds(3600));
    cookie.set_domain("example.com");
    let text = cookie.to_string();
    assert_eq!(
        text,
        "a=\"q\"; HttpOnly; SameSite=Lax; Secure; Path=/; Domain=example.com; Max-Age=3600"
    );
    assert_eq!(SetCookie::parse(&text).unwrap().to_string(), text);
}

#[test]
fn display_writes_one_canonical_form() {
    let canonical = [
        "a=b",
        "a=",
        "a=b=c",
        "a=b; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600",
        "a=\"b\"; SameSite=None; Secure; Path=/x; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Partitioned; Priority=High",
        "a=b; Max-Age=9223372036854775807",
    ];
    for header in canonical {
        assert_eq!(SetCookie::parse(header).unwrap().to_string(), header);
    }
    let rewritten = [
        ("a=b;", "a=b"),
        ("a=b; ", "a=b"),
        ("a=b;; Path=/", "a=b; Path=/"),
        ("a=b;Path=/", "a=b; Path=/"),
        ("a=b;  Path=/ ", "a=b; Path=/"),
        ("a=b; Path =/", "a=b; Path=/"),
        ("a=b; Path= /", "a=b; Path=/"),
        ("a=b;\tPath=/\t", "a=b; Path=/"),
        ("a=b; path=/", "a=b; Path=/"),
        ("a=b; SECURE; httponly", "a=b; HttpOnly; Secure"),
        ("a=b; Path=/; HttpOnly", "a=b; HttpOnly; Path=/"),
        (
            "a=b; Priority=high; partitioned",
            "a=b; Partitioned; Priority=High",
        ),
        ("a=b; samesite=lax", "a=b; SameSite=Lax"),
        ("a=b; SameSite=STRICT", "a=b; SameSite=Strict"),
        ("a=b; Max-Age=007", "a=b; Max-Age=7"),
        ("a=b; Max-Age=-1", "a=b; Max-Age=0"),
        ("a=b; Max-Age=-0", "a=b; Max-Age=0"),
        (
            "a=b; Max-Age=99999999999999999999",
            "a=b; Max-Age=9223372036854775807",
        ),
        ("a=b; Domain=.Example.COM", "a=b; Domain=example.com"),
        (
            "a=b; Expires=Thursday, 01-Jan-70 00:00:00 GMT",
            "a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ),
        (
            "a=b; Expires=Thu Jan  1 00:00:00 1970",
            "a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ),
    ];
    for (header, want) in rewritten {
        assert_eq!(
            SetCookie::parse(header).unwrap().to_string(),
            want,
            "{header}"
        );
    }
}

#[test]
fn the_parser_keeps_every_attribute_it_reads() {
    let c = SetCookie::parse(
        "n=v; HttpOnly; SameSite=None; Secure; Path=/p; Domain=Example.com; Max-Age=5; Expires=Thu, 01 Jan 1970 00:00:10 GMT; Partitioned; Priority=Medium",
    )
    .unwrap();
    let want = SetCookie {
        name: "n".into(),
        value: "v".into(),
        max_age: Some(5),
        expires: Some(UNIX_EPOCH + Duration::from_secs(10)),
        domain: Some("example.com".into()),
        path: Some("/p".into()),
        secure: true,
        http_only: true,
        same_site: Some(SameSite::None),
        partitioned: true,
        priority: Some(Priority::Medium),
    };
    assert_eq!(c, want);
    assert_eq!(c.clone().into_owned(), want);
    assert_eq!(
        SetCookie::parse("n=v").unwrap(),
        SetCookie {
            name: "n".into(),
            value: "v".into(),
            ..SetCookie::default()
        }
    );
}

#[test]
fn malformed_set_cookies_are_refused_with_the_rule() {
    let long_path = format!("a=b; Path=/{}", "p".repeat(1024));
    let long_domain = format!("a=b; Domain={}", "d".repeat(1025));
    let cases: &[(&str, ViolationKind, &str)] = &[
        (
            "novalue",
            ViolationKind::InvalidName,
            "cookie ``: a Set-Cookie without '=' makes a nameless cookie: \"novalue\" (R1)",
        ),
        (
            "",
            ViolationKind::InvalidName,
            "cookie ``: a Set-Cookie without '=' makes a nameless cookie: \"\" (R1)",
        ),
        (
            "=v",
            ViolationKind::InvalidName,
            "cookie ``: a cookie name must not be empty (R1)",
        ),
        (
            "a(b=1",
            ViolationKind::InvalidName,
            "cookie `a(b`: byte 0x28 ('(') at position 1 is not allowed in a cookie name, which must be an RFC 9110 token (R1)",
        ),
        (
            " a=1",
            ViolationKind::InvalidName,
            "cookie ` a`: byte 0x20 (space) at position 0 is not allowed in a cookie name, which must be an RFC 9110 token (R1)",
        ),
        (
            "é=1",
            ViolationKind::InvalidName,
            "cookie `\\u{e9}`: byte 0xC3 at position 0 is not allowed in a cookie name, which must be an RFC 9110 token (R1)",
        ),
        (
            "a=b c",
            ViolationKind::InvalidValue,
            "cookie `a`: byte 0x20 (space) at position 1 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)",
        ),
        (
            "a=é",
            ViolationKind::InvalidValue,
            "cookie `a`: byte 0xC3 at position 0 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)",
        ),
        (
            "a=\"b",
            ViolationKind::InvalidValue,
            "cookie `a`: byte 0x22 ('\"') at position 0 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)",
        ),
        (
            "a=50%",
            ViolationKind::InvalidValue,
            "cookie `a`: '%' at position 2 is not followed by two hex digits, so the value could not be read back; write it as %25 (R2)",
        ),
        (
            "a=b; Path=/; path=/x",
            ViolationKind::DuplicateAttribute,
            "cookie `a`: the Path attribute is written twice (R13)",
        ),
        (
            "a=b; HttpOnly; httponly",
            ViolationKind::DuplicateAttribute,
            "cookie `a`: the HttpOnly attribute is written twice (R13)",
        ),
        (
            "a=b; Max-Age=1; Max-Age=1",
            ViolationKind::DuplicateAttribute,
            "cookie `a`: the Max-Age attribute is written twice (R13)",
        ),
        (
            "a=b; Foo=bar",
            ViolationKind::InvalidAttribute,
            "cookie `a`: unknown attribute \"Foo\"; the policy writes only Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite, Partitioned and Priority (R4)",
        ),
        (
            "a=b; HtpOnly",
            ViolationKind::InvalidAttribute,
            "cookie `a`: unknown attribute \"HtpOnly\"; the policy writes only Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite, Partitioned and Priority (R4)",
        ),
        (
            "a=b; Secure=yes",
            ViolationKind::InvalidAttribute,
            "cookie `a`: the Secure attribute takes no value (R4)",
        ),
        (
            "a=b; Partitioned=",
            ViolationKind::InvalidAttribute,
            "cookie `a`: the Partitioned attribute takes no value (R4)",
        ),
        (
            "a=b; Path",
            ViolationKind::InvalidAttribute,
            "cookie `a`: the Path attribute needs a value (R4)",
        ),
        (
            "a=b; Path=/x\ty",
            ViolationKind::InvalidAttribute,
            "cookie `a`: byte 0x09 at position 2 is not allowed in the Path attribute (R4)",
        ),
        (
            "a=b; Path=/é",
            ViolationKind::InvalidAttribute,
            "cookie `a`: byte 0xC3 at position 1 is not allowed in the Path attribute (R4)",
        ),
        (
            &long_path,
            ViolationKind::InvalidAttribute,
            "cookie `a`: the Path attribute is 1025 bytes long, over the 1024 bytes browsers keep (R4)",
        ),
        (
            &long_domain,
            ViolationKind::InvalidAttribute,
            "cookie `a`: the Domain attribute is 1025 bytes long, over the 1024 bytes browsers keep (R4)",
        ),
        (
            "a=b; Path=x",
            ViolationKind::InvalidPath,
            "cookie `a`: a path must start with '/', got \"x\" (R5)",
        ),
        (
            "a=b; Path=",
            ViolationKind::InvalidPath,
            "cookie `a`: a path must start with '/', got \"\" (R5)",
        ),
        (
            "a=b; Domain=a b",
            ViolationKind::InvalidDomain,
            "cookie `a`: a domain must be a plain host name of letters, digits, '-' and '.', got \"a b\" (R6)",
        ),
        (
            "a=b; Domain=example.com:8080",
            ViolationKind::InvalidDomain,
            "cookie `a`: a domain must be a plain host name of letters, digits, '-' and '.', got \"example.com:8080\" (R6)",
        ),
        (
            "a=b; Max-Age=soon",
            ViolationKind::InvalidLifetime,
            "cookie `a`: Max-Age must be a whole number of seconds, got \"soon\" (R12)",
        ),
        (
            "a=b; Max-Age=+5",
            ViolationKind::InvalidLifetime,
            "cookie `a`: Max-Age must be a whole number of seconds, got \"+5\" (R12)",
        ),
        (
            "a=b; Max-Age=-",
            ViolationKind::InvalidLifetime,
            "cookie `a`: Max-Age must be a whole number of seconds, got \"-\" (R12)",
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
fn a_control_byte_in_a_name_is_escaped_in_the_error() {
    let e = SetCookie::parse("a\u{1}b=1").unwrap_err();
    assert_eq!(e.cookie(), "a\\u{1}b");
    let e = SetCookie::parse("a\u{1}b=1; Path=x").unwrap_err();
    assert_eq!(e.kind(), ViolationKind::InvalidName);
}

#[test]
fn combined_rules_are_checked_with_exact_messages() {
    let cases: &[(&str, ViolationKind, &str)] = &[
        (
            "__Secure-a=1",
            ViolationKind::SecurePrefix,
            "cookie `__Secure-a`: a __Secure- cookie needs Secure (R7)",
        ),
        (
            "__Http-a=1; Secure",
            ViolationKind::SecurePrefix,
            "cookie `__Http-a`: a __Http- cookie needs Secure and HttpOnly (R7)",
        ),
        (
            "__Host-Http-a=1; Secure; Path=/",
            ViolationKind::SecurePrefix,
            "cookie `__Host-Http-a`: a __Host-Http- cookie needs Secure and HttpOnly (R7)",
        ),
        (
            "__Host-a=1; Secure",
            ViolationKind::HostPrefix,
            "cookie `__Host-a`: a __Host- cookie needs Path=/ and no Domain (R8)",
        ),
        (
            "__Host-a=1; Secure; Path=/; Domain=example.com",
            ViolationKind::HostPrefix,
            "cookie `__Host-a`: a __Host- cookie needs Path=/ and no Domain (R8)",
        ),
        (
            "__host-a=1; Secure; Path=/",
            ViolationKind::NonCanonicalPrefix,
            "cookie `__host-a`: browsers read this name as __Host- prefixed; spell the prefix exactly __Host- (R9)",
        ),
        (
            "__SECURE-a=1; Secure",
            ViolationKind::NonCanonicalPrefix,
            "cookie `__SECURE-a`: browsers read this name as __Secure- prefixed; spell the prefix exactly __Secure- (R9)",
        ),
        (
            "a=b; SameSite=None",
            ViolationKind::SameSiteNoneInsecure,
            "cookie `a`: SameSite=None without Secure is ignored by browsers; set secure = true (R10)",
        ),
        (
            "a=b; Partitioned",
            ViolationKind::PartitionedInsecure,
            "cookie `a`: Partitioned without Secure is ignored by browsers; set secure = true (R11)",
        ),
        (
            "a=b; Max-Age=34560001",
            ViolationKind::InvalidLifetime,
            "cookie `a`: Max-Age=34560001 is over 400 days (34560000 seconds), which browsers cut short (R12)",
        ),
        (
            "a=b; Max-Age=99999999999999999999",
            ViolationKind::InvalidLifetime,
            "cookie `a`: Max-Age=9223372036854775807 is over 400 days (34560000 seconds), which browsers cut short (R12)",
        ),
        (
            "a=b; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
            ViolationKind::InvalidLifetime,
            "cookie `a`: Expires=Fri, 31 Dec 9999 23:59:59 GMT is more than 400 days away, which browsers cut short (R12)",
        ),
    ];
    for (header, kind, msg) in cases {
        assert_eq!(refused(header), (*kind, (*msg).to_owned()), "{header}");
    }
    for fine in [
        "__Secure-a=1; Secure",
        "__Http-a=1; HttpOnly; Secure",
        "__Host-a=1; Secure; Path=/",
        "__Host-Http-a=1; HttpOnly; Secure; Path=/",
        "__Hostile=1",
        "%5F%5FHost-a=1",
        "a=b; SameSite=None; Secure",
        "a=b; Secure; Partitioned",
        "a=b; Max-Age=34560000",
    ] {
        let c = SetCookie::parse(fine).unwrap();
        assert_eq!(c.check(SystemTime::now()), Ok(()), "{fine}");
    }
}

#[test]
fn name_and_value_may_fill_4096_bytes_and_not_one_more() {
    let fits = format!("a={}", "x".repeat(4095));
    assert_eq!(
        SetCookie::parse(&fits).unwrap().check(SystemTime::now()),
        Ok(())
    );
    let over = format!("a={}", "x".repeat(4096));
    assert_eq!(
        refused(&over),
        (
            ViolationKind::TooLarge,
            "cookie `a`: name and value are 4097 bytes, over the 4096 bytes browsers keep; store less in the cookie (R3)"
                .to_owned()
        )
    );
}

#[test]
fn expires_may_be_400_days_away_and_not_a_second_more() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let limit = now + Duration::from_secs(u64::from(MAX_LIFETIME_SECONDS));
    let at = |t: SystemTime| SetCookie {
        name: "a".into(),
        value: "1".into(),
        expires: Some(t),
        ..SetCookie::default()
    };
    assert_eq!(at(limit).check(now), Ok(()));
    let e = at(limit + Duration::from_secs(1)).check(now).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cookie `a`: Expires=Wed, 18 Dec 2024 22:13:21 GMT is more than 400 days away, which browsers cut short (R12)"
    );
}

#[test]
fn a_removal_is_max_age_of_zero_or_less_or_expires_in_the_past() {
    let now = SystemTime::now();
    let removal = |h: &str| SetCookie::parse(h).unwrap().is_removal(now);
    assert!(removal("a=; Max-Age=0"));
    assert!(removal("a=; Max-Age=-5"));
    assert!(removal("a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
    assert!(!removal("a=1"));
    assert!(!removal("a=1; Max-Age=1"));
    let tomorrow = httpdate::fmt_http_date(now + Duration::from_secs(86_400));
    assert!(!removal(&format!("a=1; Expires={tomorrow}")));
    // Max-Age wins over Expires, as in user agents.
    assert!(!removal(
        "a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    ));
    assert!(removal(&format!("a=; Max-Age=0; Expires={tomorrow}")));
}

#[test]
fn filling_a_non_canonical_prefix_adds_nothing_and_check_refuses_it() {
    let mut c = SetCookie::parse("__host-a=1").unwrap();
    let p = dev_policy();
    c.fill(p.attributes("__host-a"));
    assert_eq!(c.to_string(), "__host-a=1; HttpOnly; SameSite=Lax; Path=/");
    assert_eq!(
        c.check(SystemTime::now()).unwrap_err().kind(),
        ViolationKind::NonCanonicalPrefix
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};

    /// A `Set-Cookie` assembled from attributes that matter to the parser
    /// (cases, spaces, duplicates, values in and out of range), in either
    /// order, with loose separators.
    fn header() -> impl Strategy<Value = String> {
        let tomorrow = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(86_400));
        let attrs = vec![
            "HttpOnly".to_owned(),
            "httponly".to_owned(),
            "SameSite=Lax".to_owned(),
            "samesite=none".to_owned(),
            "SameSite=Loose".to_owned(),
            "Secure".to_owned(),
            "SECURE".to_owned(),
            "Path=/".to_owned(),
            "Path=/a b".to_owned(),
            "path=x".to_owned(),
            "Domain=example.com".to_owned(),
            "Domain=.Example.COM".to_owned(),
            "Max-Age=0".to_owned(),
            "Max-Age=060".to_owned(),
            "Max-Age=-5".to_owned(),
            "Max-Age=34560001".to_owned(),
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT".to_owned(),
            "Expires=Thursday, 01-Jan-70 00:00:00 GMT".to_owned(),
            format!("Expires={tomorrow}"),
            "Partitioned".to_owned(),
            "Priority=high".to_owned(),
            "Unknown=1".to_owned(),
        ];
        (
            select(vec!["a", "__Host-a", "__Secure-a", "__host-a", "__Http-a"]),
            select(vec!["1", "", "\"q\"", "x%41", "a b", "50%"]),
            subsequence(attrs, 0..7),
            any::<bool>(),
            proptest::collection::vec(select(vec!["; ", ";", ";  ", " ; ", ";\t"]), 7),
            select(vec!["", ";", " ", "; "]),
        )
            .prop_map(|(name, value, mut attrs, reverse, seps, end)| {
                if reverse {
                    attrs.reverse();
                }
                let mut h = format!("{name}={value}");
                for (attr, sep) in attrs.iter().zip(&seps) {
                    h.push_str(sep);
                    h.push_str(attr);
                }
                h + end
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// What `Display` writes is read back as the same cookie and
        /// written again byte for byte: the canonical form is a fixed point.
        #[test]
        fn the_canonical_form_reads_back_as_itself(h in header()) {
            if let Ok(c) = SetCookie::parse(&h) {
                let text = c.to_string();
                let again = SetCookie::parse(&text);
                prop_assert_eq!(again.as_ref(), Ok(&c), "{} -> {}", h, text);
                prop_assert_eq!(again.unwrap().to_string(), text);
            }
        }

        /// What the layer would send (filled, then checked) passes the
        /// check again after being read back, and filling it once more
        /// changes nothing: the compliance check that refills it agrees.
        #[test]
        fn a_filled_cookie_that_passes_is_a_fixed_point_of_filling(
            h in header(),
            strict in any::<bool>(),
        ) {
            let p = if strict { CookiePolicy::default() } else { dev_policy() };
            let Ok(mut c) = SetCookie::parse(&h) else { return Ok(()) };
            let attrs = p.attributes(&c.name);
            c.fill(attrs);
            if c.check(SystemTime::now()).is_ok() {
                let text = c.to_string();
                let mut back = SetCookie::parse(&text).unwrap();
                prop_assert_eq!(back.check(SystemTime::now()), Ok(()), "{}", text);
                let attrs = p.attributes(&back.name);
                back.fill(attrs);
                prop_assert_eq!(back.to_string(), text);
            }
        }
    }
}

#[test]
fn one_cookie_per_name_except_removals_of_distinct_places() {
    let now = SystemTime::now();
    let admitted = |headers: &[&str]| -> Vec<bool> {
        let cookies: Vec<SetCookie<'_>> = headers
            .iter()
            .map(|h| SetCookie::parse(h).unwrap())
            .collect();
        let mut sent = OnePerName::default();
        cookies.iter().map(|c| sent.admit(c, now)).collect()
    };
    assert_eq!(admitted(&["a=1", "b=1", "a=2"]), [true, true, false]);
    assert_eq!(admitted(&["a=1", "a=; Max-Age=0"]), [true, false]);
    assert_eq!(admitted(&["a=; Max-Age=0", "a=1"]), [true, false]);
    assert_eq!(
        admitted(&[
            "a=; Max-Age=0",
            "a=; Max-Age=0; Path=/x",
            "a=; Max-Age=0; Domain=example.com",
            "a=; Max-Age=0; Path=/x",
            "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/y",
        ]),
        [true, true, true, false, true]
    );
    // Many removals of one name, each of its own path, in one pass.
    let paths: Vec<String> = (0..5_000)
        .map(|i| format!("a=; Max-Age=0; Path=/{i}"))
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    assert!(admitted(&paths).iter().all(|&a| a));
}
