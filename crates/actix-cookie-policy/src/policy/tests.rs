//! Tests of the parent module, and of the attributes it resolves
//! (`attributes.rs`).

use super::*;
use crate::config::{MAX_LIFETIME_SECONDS, Prefix, Protection};
use crate::keys::tests::{K1, ring};

fn from(config: CookiePolicyConfig) -> Result<CookiePolicy, PolicyConfigError> {
    CookiePolicy::new(config, None)
}

/// The error of a configuration, as `key: message`.
fn refused(config: CookiePolicyConfig) -> String {
    from(config).unwrap_err().to_string()
}

fn one(name: &str, o: CookieOverride) -> CookiePolicyConfig {
    CookiePolicyConfig {
        overrides: [(name.to_owned(), o)].into(),
        ..CookiePolicyConfig::default()
    }
}

#[test]
fn the_default_policy_is_the_secure_one_and_the_one_new_builds() {
    let p = CookiePolicy::default();
    let a = p.attributes("anything");
    assert_eq!(a.max_age, Lifetime::Session);
    assert!(a.http_only && a.secure && !a.partitioned && !a.sensitive);
    assert_eq!(a.same_site, SameSite::Lax);
    assert_eq!(a.path, "/");
    assert_eq!(a.domain, None);
    assert_eq!(a.priority, None);
    assert_eq!((a.prefix, a.protection), (None, None));
    assert!(p.keys().is_none());
    for built in [
        from(CookiePolicyConfig::default()).unwrap(),
        CookiePolicy::builder().build().unwrap(),
    ] {
        assert_eq!(built.config(), p.config());
        assert_eq!(built.attributes("anything"), a);
    }
    let c = p.config();
    assert_eq!(
        (
            c.on_violation,
            c.explain_violations,
            c.max_session_age,
            c.max_header_bytes,
            c.max_pairs
        ),
        (OnViolation::Reject, false, 86_400, 8192, 100)
    );
}

#[test]
fn cookie_carries_every_attribute_of_the_policy() {
    let p = from(CookiePolicyConfig {
        max_age: Lifetime::Seconds(60),
        same_site: SameSite::Strict,
        domain: Some("example.com".to_owned()),
        ..CookiePolicyConfig::default()
    })
    .unwrap();
    assert_eq!(
        p.cookie("a", "b").unwrap().to_string(),
        "a=b; HttpOnly; SameSite=Strict; Secure; Path=/; Domain=example.com; Max-Age=60"
    );
}

#[test]
fn the_builder_sets_each_default() {
    let p = CookiePolicy::builder()
        .max_age(120)
        .http_only(false)
        .secure(true)
        .same_site(SameSite::None)
        .path("/app")
        .domain("Example.com")
        .partitioned(true)
        .priority(Priority::Low)
        .on_violation(OnViolation::Drop)
        .explain_violations(true)
        .max_session_age(60)
        .limits(100, 3)
        .build()
        .unwrap();
    let a = p.attributes("x");
    assert_eq!(
        (
            a.max_age,
            a.http_only,
            a.same_site,
            a.path.as_str(),
            a.domain.as_deref(),
            a.partitioned,
            a.priority
        ),
        (
            Lifetime::Seconds(120),
            false,
            SameSite::None,
            "/app",
            Some("example.com"),
            true,
            Some(Priority::Low)
        )
    );
    let c = p.config();
    assert_eq!(
        (
            c.on_violation,
            c.explain_violations,
            c.max_session_age,
            c.max_header_bytes,
            c.max_pairs
        ),
        (OnViolation::Drop, true, 60, 100, 3)
    );
    // `Partitioned` and `Priority` are the layer's to write.
    assert_eq!(
        p.cookie("x", "1").unwrap().to_string(),
        "x=1; SameSite=None; Secure; Path=/app; Domain=example.com; Max-Age=120"
    );
    let from_config = CookiePolicyBuilder::from_config(p.config().clone())
        .build()
        .unwrap();
    assert_eq!(from_config.attributes("x"), a);
}

#[test]
fn an_override_wins_over_the_defaults_for_its_cookie_only() {
    let p = CookiePolicy::builder()
        .cookie(
            "theme",
            CookieOverride::default()
                .http_only(false)
                .max_age(3600)
                .path("/app")
                .same_site(SameSite::Strict),
        )
        .build()
        .unwrap();
    assert_eq!(
        p.cookie("theme", "dark").unwrap().to_string(),
        "theme=dark; SameSite=Strict; Secure; Path=/app; Max-Age=3600"
    );
    assert_eq!(
        p.cookie("other", "x").unwrap().to_string(),
        "other=x; HttpOnly; SameSite=Lax; Secure; Path=/"
    );
}

#[test]
fn an_override_can_make_a_cookie_a_session_cookie_again() {
    let p = CookiePolicy::builder()
        .max_age(60)
        .cookie("sid", CookieOverride::default().session())
        .build()
        .unwrap();
    assert_eq!(p.attributes("sid").max_age, Lifetime::Session);
    assert_eq!(p.cookie("sid", "1").unwrap().max_age(), None);
    assert_eq!(
        p.cookie("other", "1").unwrap().max_age(),
        Some(Duration::seconds(60))
    );
}

#[test]
fn per_call_attributes_win_over_the_policy() {
    let p = CookiePolicy::default();
    let mut c = p.cookie("mycookie", "cookievalue").unwrap();
    c.set_max_age(Duration::seconds(1800));
    c.set_same_site(cookie::SameSite::Strict);
    assert_eq!(
        c.to_string(),
        "mycookie=cookievalue; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=1800"
    );
}

#[test]
fn cookie_refuses_a_bad_name_naming_the_byte() {
    let e = CookiePolicy::default()
        .cookie("user name", "x")
        .unwrap_err();
    assert_eq!(e.kind(), ViolationKind::InvalidName);
    assert_eq!(
        e.to_string(),
        "cookie `user name`: byte 0x20 (space) at position 4 is not allowed in a cookie name, which must be an RFC 9110 token (R1)"
    );
    let e = CookiePolicy::default().cookie("", "x").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cookie ``: a cookie name must not be empty (R1)"
    );
}

#[test]
fn cookie_refuses_a_bad_value_naming_the_byte() {
    let e = CookiePolicy::default()
        .cookie("a", "x; Domain=evil.example")
        .unwrap_err();
    assert_eq!(e.kind(), ViolationKind::InvalidValue);
    assert_eq!(
        e.to_string(),
        "cookie `a`: byte 0x3B (';') at position 1 is not allowed in a cookie value; encode the value, for example with CookiePolicy::encoded_cookie (percent-encoding) or as base64url (R2)"
    );
    for bad in ["a\r\nb", "a b", "a,b", "a\\b", "a\"b", "é", "50%", "%zz"] {
        assert_eq!(
            CookiePolicy::default().cookie("a", bad).unwrap_err().kind(),
            ViolationKind::InvalidValue,
            "{bad:?}"
        );
    }
    for good in [
        "",
        "\"quoted\"",
        "a=b",
        "%41",
        "!#$&'()*+-./:<=>?@[]^_`{|}~",
    ] {
        assert_eq!(
            CookiePolicy::default().cookie("a", good).unwrap().value(),
            good
        );
    }
}

#[test]
fn encoded_cookie_writes_free_text_as_cookie_octets_that_decode_back() {
    let p = CookiePolicy::default();
    let c = p.encoded_cookie("greeting", "Olá, mundo; 100%").unwrap();
    assert_eq!(
        c.to_string(),
        "greeting=Ol%C3%A1%2C%20mundo%3B%20100%25; HttpOnly; SameSite=Lax; Secure; Path=/"
    );
    assert_eq!(
        crate::decode_value(c.value()).as_deref(),
        Some("Olá, mundo; 100%")
    );
    assert_eq!(p.encoded_cookie("a", "plain").unwrap().value(), "plain");
    assert_eq!(
        p.encoded_cookie("a b", "x").unwrap_err().kind(),
        ViolationKind::InvalidName
    );
}

#[test]
fn a_declared_prefix_is_written_on_the_wire_name() {
    let p = CookiePolicy::builder()
        .path("/app")
        .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
        .cookie("pref", CookieOverride::default().prefix(Prefix::Secure))
        .build()
        .unwrap();
    assert_eq!(
        p.cookie("sid", "1").unwrap().to_string(),
        "__Host-sid=1; HttpOnly; SameSite=Lax; Secure; Path=/"
    );
    assert_eq!(
        p.cookie("pref", "1").unwrap().to_string(),
        "__Secure-pref=1; HttpOnly; SameSite=Lax; Secure; Path=/app"
    );
    assert_eq!(
        p.removal("sid").unwrap().to_string(),
        "__Host-sid=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    );
}

#[test]
fn removal_matches_the_cookie_it_removes() {
    let p = CookiePolicy::builder()
        .same_site(SameSite::None)
        .cookie(
            "sid",
            CookieOverride::default()
                .path("/app")
                .domain(".example.com")
                .partitioned(true)
                .max_age(60),
        )
        .build()
        .unwrap();
    assert_eq!(
        p.removal("sid").unwrap().to_string(),
        "sid=; HttpOnly; SameSite=None; Secure; Path=/app; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    );
    assert_eq!(
        p.removal("a b").unwrap_err().kind(),
        ViolationKind::InvalidName
    );
}

#[test]
fn a_leading_dot_and_capitals_in_domain_are_normalized() {
    let p = CookiePolicy::builder()
        .domain(".Example.com")
        .cookie("x", CookieOverride::default().domain("App.Example.com"))
        .build()
        .unwrap();
    assert_eq!(p.attributes("y").domain.as_deref(), Some("example.com"));
    assert_eq!(p.attributes("x").domain.as_deref(), Some("app.example.com"));
}

#[test]
fn invalid_configurations_are_refused_naming_the_key() {
    let cases = [
        (
            CookiePolicyConfig {
                path: "app".to_owned(),
                ..CookiePolicyConfig::default()
            },
            "cookies.path: a path must start with '/', got \"app\" (R5)",
        ),
        (
            CookiePolicyConfig {
                path: "/app ".to_owned(),
                ..CookiePolicyConfig::default()
            },
            "cookies.path: a path must not end with a space, which is trimmed when the header is read, got \"/app \" (R5)",
        ),
        (
            CookiePolicyConfig {
                path: "/a;b".to_owned(),
                ..CookiePolicyConfig::default()
            },
            "cookies.path: byte 0x3B (';') at position 2 is not allowed in the Path attribute (R4)",
        ),
        (
            CookiePolicyConfig {
                same_site: SameSite::None,
                secure: false,
                ..CookiePolicyConfig::default()
            },
            "cookies.same_site: same_site = \"none\" requires secure = true, or browsers ignore the cookie (R10)",
        ),
        (
            CookiePolicyConfig {
                partitioned: true,
                secure: false,
                ..CookiePolicyConfig::default()
            },
            "cookies.partitioned: partitioned = true requires secure = true, or browsers ignore the cookie (R11)",
        ),
        (
            one(
                "x",
                CookieOverride::default().partitioned(true).secure(false),
            ),
            "cookies.overrides.x.partitioned: partitioned = true requires secure = true, or browsers ignore the cookie (R11)",
        ),
        (
            one("x", CookieOverride::default().path("x")),
            "cookies.overrides.x.path: a path must start with '/', got \"x\" (R5)",
        ),
        (
            one("a b", CookieOverride::default().secure(true)),
            "cookies.overrides.a b: byte 0x20 (space) at position 1 is not allowed in a cookie name, which must be an RFC 9110 token (R1)",
        ),
        (
            one("__Host-sid", CookieOverride::default()),
            "cookies.overrides.__Host-sid: declare the plain name and prefix = \"host\" or \"secure\" instead of writing the __Host- prefix into the name",
        ),
        (
            one("__secure-sid", CookieOverride::default()),
            "cookies.overrides.__secure-sid: declare the plain name and prefix = \"host\" or \"secure\" instead of writing the __Secure- prefix into the name",
        ),
        (
            CookiePolicyConfig {
                domain: Some("example.com:8080".to_owned()),
                ..CookiePolicyConfig::default()
            },
            "cookies.domain: a domain must be a plain host name of letters, digits, '-' and '.', got \"example.com:8080\" (R6)",
        ),
        (
            CookiePolicyConfig {
                domain: Some(".CO.UK".to_owned()),
                ..CookiePolicyConfig::default()
            },
            "cookies.domain: \"co.uk\" is a public suffix, which browsers refuse as a cookie domain (R6)",
        ),
        (
            one("x", CookieOverride::default().domain("github.io")),
            "cookies.overrides.x.domain: \"github.io\" is a public suffix, which browsers refuse as a cookie domain (R6)",
        ),
        (
            CookiePolicyConfig {
                max_session_age: 0,
                ..CookiePolicyConfig::default()
            },
            "cookies.max_session_age: must be at least 1",
        ),
        (
            CookiePolicyConfig {
                max_header_bytes: 0,
                ..CookiePolicyConfig::default()
            },
            "cookies.max_header_bytes: must be at least 1",
        ),
        (
            CookiePolicyConfig {
                max_pairs: 0,
                ..CookiePolicyConfig::default()
            },
            "cookies.max_pairs: must be at least 1",
        ),
    ];
    for (config, want) in cases {
        assert_eq!(refused(config), want);
    }
}

#[test]
fn a_declared_prefix_refuses_what_contradicts_it_and_sets_what_it_inherits() {
    let cases = [
        (
            CookieOverride::default()
                .prefix(Prefix::Secure)
                .secure(false),
            "cookies.overrides.sid.secure: prefix = \"secure\" requires secure = true (R7)",
        ),
        (
            CookieOverride::default().prefix(Prefix::Host).secure(false),
            "cookies.overrides.sid.secure: prefix = \"host\" requires secure = true (R8)",
        ),
        (
            CookieOverride::default().prefix(Prefix::Host).path("/x"),
            "cookies.overrides.sid.path: prefix = \"host\" requires path = \"/\" (R8)",
        ),
        (
            CookieOverride::default()
                .prefix(Prefix::Host)
                .domain("example.com"),
            "cookies.overrides.sid.domain: prefix = \"host\" requires no domain (R8)",
        ),
        (
            CookieOverride::default()
                .prefix(Prefix::Secure)
                .sensitive(false),
            "cookies.overrides.sid.sensitive: a prefixed or protected cookie is always sensitive; remove sensitive = false",
        ),
    ];
    for (o, want) in cases {
        assert_eq!(refused(one("sid", o)), want);
    }
    // What the override only inherits from the defaults is set right.
    let p = from(CookiePolicyConfig {
        secure: false,
        path: "/app".to_owned(),
        domain: Some("example.com".to_owned()),
        overrides: [
            (
                "sid".to_owned(),
                CookieOverride::default().prefix(Prefix::Host).path("/"),
            ),
            (
                "pref".to_owned(),
                CookieOverride::default().prefix(Prefix::Secure),
            ),
        ]
        .into(),
        ..CookiePolicyConfig::default()
    })
    .unwrap();
    let sid = p.attributes("sid");
    assert_eq!(
        (sid.secure, sid.path.as_str(), sid.domain.as_deref()),
        (true, "/", None)
    );
    let pref = p.attributes("pref");
    assert_eq!(
        (pref.secure, pref.path.as_str(), pref.domain.as_deref()),
        (true, "/app", Some("example.com"))
    );
}

#[test]
fn prefixed_and_protected_cookies_are_sensitive_and_others_only_when_declared() {
    let p = CookiePolicy::builder()
        .cookie("pre", CookieOverride::default().prefix(Prefix::Secure))
        .cookie(
            "prot",
            CookieOverride::default().protection(Protection::Signed),
        )
        .cookie("flag", CookieOverride::default().sensitive(true))
        .cookie("plain", CookieOverride::default().max_age(5))
        .keys(ring(K1, &[]))
        .build()
        .unwrap();
    let sensitive = |n| p.attributes(n).sensitive;
    assert!(sensitive("pre") && sensitive("prot") && sensitive("flag"));
    assert!(!sensitive("plain") && !sensitive("undeclared"));
}

#[test]
fn protected_cookies_need_keys() {
    let config = CookiePolicyConfig {
        overrides: [
            (
                "s".to_owned(),
                CookieOverride::default().protection(Protection::Signed),
            ),
            (
                "p".to_owned(),
                CookieOverride::default().protection(Protection::Private),
            ),
        ]
        .into(),
        ..CookiePolicyConfig::default()
    };
    let e = CookiePolicy::new(config.clone(), None).unwrap_err();
    assert_eq!(
        e,
        PolicyConfigError {
            key: "keys".to_owned(),
            message: "protected cookies (p, s) need keys: give a KeyRing made from a key of KeyRing::generate_key (the server: `cookie-policy keygen`), or KeyRing::ephemeral() for a development key that dies with the process".to_owned()
        }
    );
    let p = CookiePolicy::new(config, Some(KeyRing::ephemeral().unwrap())).unwrap();
    assert!(p.keys().unwrap().is_ephemeral());
    // Keys without protected cookies are kept, and harmless.
    let p = CookiePolicy::builder().keys(ring(K1, &[])).build().unwrap();
    assert!(!p.keys().unwrap().is_ephemeral());
}

#[test]
fn a_lifetime_given_in_code_is_refused_outside_1_to_400_days() {
    let refused = |build: CookiePolicyBuilder| build.build().unwrap_err().to_string();
    assert_eq!(
        refused(CookiePolicy::builder().max_age(0)),
        "cookies.max_age: 0 is not a number of seconds from 1 to 34560000 (400 days), nor \"session\" (R12)"
    );
    assert_eq!(
        refused(CookiePolicy::builder().max_age(MAX_LIFETIME_SECONDS + 1)),
        "cookies.max_age: 34560001 is not a number of seconds from 1 to 34560000 (400 days), nor \"session\" (R12)"
    );
    assert_eq!(
        refused(CookiePolicy::builder().cookie("x", CookieOverride::default().max_age(0))),
        "cookies.overrides.x.max_age: 0 is not a number of seconds from 1 to 34560000 (400 days), nor \"session\" (R12)"
    );
    for edge in [1, MAX_LIFETIME_SECONDS] {
        let p = CookiePolicy::builder()
            .cookie("x", CookieOverride::default().max_age(edge))
            .max_age(edge)
            .build()
            .unwrap();
        assert_eq!(p.attributes("x").max_age, Lifetime::Seconds(edge));
    }
}

#[test]
fn an_ip_address_is_refused_as_a_configured_domain() {
    let refused = |build: CookiePolicyBuilder| build.build().unwrap_err().to_string();
    assert_eq!(
        refused(CookiePolicy::builder().domain("127.0.0.1")),
        "cookies.domain: a domain cannot be an IP address, got \"127.0.0.1\"; leave Domain unset, which makes the cookie host-only (R6)"
    );
    assert_eq!(
        refused(CookiePolicy::builder().cookie("x", CookieOverride::default().domain("10.0.0.1"))),
        "cookies.overrides.x.domain: a domain cannot be an IP address, got \"10.0.0.1\"; leave Domain unset, which makes the cookie host-only (R6)"
    );
}

#[test]
fn a_policy_loads_from_a_deserialized_configuration() {
    let config: CookiePolicyConfig = serde_json::from_str(
        r#"{"same_site":"strict","max_age":"60","overrides":{"sid":{"prefix":"host","protection":"private"},"theme":{"http_only":false,"max_age":"session"}}}"#,
    )
    .unwrap();
    let p = CookiePolicy::new(config, Some(ring(K1, &[]))).unwrap();
    assert_eq!(
        p.cookie("theme", "dark").unwrap().to_string(),
        "theme=dark; SameSite=Strict; Secure; Path=/"
    );
    assert_eq!(
        p.cookie("sid", "1").unwrap().to_string(),
        "__Host-sid=1; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=60"
    );
    let config: CookiePolicyConfig =
        serde_json::from_str(r#"{"same_site":"None","secure":false}"#).unwrap();
    assert_eq!(
        CookiePolicy::new(config, None).unwrap_err().key,
        "cookies.same_site"
    );
}

#[test]
fn attributes_are_found_by_declared_or_wire_name() {
    let p = CookiePolicy::builder()
        .cookie(
            "sid",
            CookieOverride::default().prefix(Prefix::Host).max_age(5),
        )
        .build()
        .unwrap();
    assert_eq!(p.attributes("__Host-sid"), p.attributes("sid"));
    assert_eq!(p.attributes("sid").max_age, Lifetime::Seconds(5));
    assert_eq!(p.attributes("__Secure-sid").max_age, Lifetime::Session);
    let wire = |name: &'static str| p.attributes(name).wire_name(name.into()).into_owned();
    assert_eq!(wire("sid"), "__Host-sid");
    assert_eq!(wire("other"), "other");
    assert_eq!(wire("__Host-sid"), "__Host-sid");
    assert_eq!(wire("__Secure-sid"), "__Secure-sid");
}

/// How a name is read, as (name the app sees, sensitive), or `None` when
/// it is not read at all.
fn reads(p: &CookiePolicy, wire: &str) -> Option<(String, bool)> {
    match p.read_name(wire) {
        WireName::Read {
            name, sensitive, ..
        } => Some((name.unwrap_or(wire).to_owned(), sensitive)),
        WireName::MissingPrefix => None,
    }
}

#[test]
fn a_name_from_the_wire_is_read_as_declared_or_not_at_all() {
    let p = CookiePolicy::builder()
        .cookie("sid", CookieOverride::default().prefix(Prefix::Host))
        .cookie("flag", CookieOverride::default().sensitive(true))
        .build()
        .unwrap();
    assert_eq!(reads(&p, "__Host-sid"), Some(("sid".to_owned(), true)));
    assert_eq!(reads(&p, "sid"), None);
    assert_eq!(
        reads(&p, "__Secure-sid"),
        Some(("__Secure-sid".to_owned(), true))
    );
    assert_eq!(reads(&p, "__Http-x"), Some(("__Http-x".to_owned(), true)));
    assert_eq!(reads(&p, "flag"), Some(("flag".to_owned(), true)));
    assert_eq!(reads(&p, "plain"), Some(("plain".to_owned(), false)));
}

#[test]
fn prepare_fills_seals_and_checks_what_will_be_sent() {
    let p = CookiePolicy::builder()
        .cookie(
            "s",
            CookieOverride::default().protection(Protection::Signed),
        )
        .cookie(
            "p",
            CookieOverride::default().protection(Protection::Private),
        )
        .cookie("flag", CookieOverride::default().sensitive(true))
        .keys(ring(K1, &[]))
        .build()
        .unwrap();
    let now = SystemTime::now();
    let prepared = |header: &str, issued_at| {
        let mut c = SetCookie::parse(header).unwrap();
        let attrs = p.attributes(&c.name);
        p.prepare(&mut c, attrs, now, issued_at, &|| None)
            .map(|sensitive| (c.to_string(), sensitive))
    };
    let (sent, sensitive) = prepared("s=alice", Some(123)).unwrap();
    let tag = ring(K1, &[])
        .protect(Protection::Signed, "s", "alice", 123)
        .expect("sealed");
    assert_eq!(
        sent,
        format!("s={tag}; HttpOnly; SameSite=Lax; Secure; Path=/")
    );
    assert!(tag.starts_with("alice.123."), "{tag}");
    assert!(sensitive);
    let (sent, _) = prepared("p=alice", None).unwrap();
    let sealed = sent.split(';').next().unwrap().strip_prefix("p=").unwrap();
    let opened = ring(K1, &[])
        .unprotect(Protection::Private, "p", sealed, now, Some(60))
        .unwrap();
    assert_eq!(opened.value, "alice");
    // A removal is sent empty: nothing to protect, and the plain value of
    // a protected cookie never leaves, even in a removal (R21).
    for removal in [
        "s=; Max-Age=0",
        "s=topsecret; Max-Age=0",
        "p=topsecret; Max-Age=-1",
    ] {
        let name = &removal[..1];
        assert_eq!(
            prepared(removal, None).unwrap(),
            (
                format!("{name}=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0"),
                true
            ),
            "{removal}"
        );
    }
    assert_eq!(
        prepared("flag=1", None).unwrap(),
        (
            "flag=1; HttpOnly; SameSite=Lax; Secure; Path=/".to_owned(),
            true
        )
    );
    assert_eq!(
        prepared("__Secure-x=1", None).unwrap(),
        (
            "__Secure-x=1; HttpOnly; SameSite=Lax; Secure; Path=/".to_owned(),
            true
        )
    );
    assert_eq!(
        prepared("a=1", None).unwrap(),
        (
            "a=1; HttpOnly; SameSite=Lax; Secure; Path=/".to_owned(),
            false
        )
    );
    assert_eq!(
        prepared("s=\"q\"", None).unwrap_err().to_string(),
        "cookie `s`: a protected cookie's value cannot be quoted; drop the quotes (R2)"
    );
}

#[test]
fn the_size_limit_applies_to_the_protected_value() {
    let p = CookiePolicy::builder()
        .cookie(
            "s",
            CookieOverride::default().protection(Protection::Signed),
        )
        .keys(ring(K1, &[]))
        .build()
        .unwrap();
    let plain = "x".repeat(4050);
    assert!(p.check(&p.cookie("a", plain.as_str()).unwrap()).is_ok());
    let e = p
        .check(&p.cookie("s", plain.as_str()).unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ViolationKind::TooLarge);
    // Value, '.', ten digits of issue time, '.', a 43-byte tag; and the name.
    assert_eq!(
        e.to_string(),
        "cookie `s`: name and value are 4106 bytes, over the 4096 bytes browsers keep; store less in the cookie (R3)"
    );
}

#[test]
fn check_returns_what_the_layer_would_send_or_the_rule_it_breaks() {
    let p = CookiePolicy::builder()
        .secure(false)
        .priority(Priority::High)
        .build()
        .unwrap();
    let sent = p.check(&Cookie::new("a", "1")).unwrap();
    assert_eq!(
        sent.to_string(),
        "a=1; HttpOnly; SameSite=Lax; Path=/; Priority=High"
    );
    let mut none = p.cookie("a", "1").unwrap();
    none.set_same_site(cookie::SameSite::None);
    assert_eq!(
        p.check(&none).unwrap_err().to_string(),
        "cookie `a`: SameSite=None without Secure is ignored by browsers; set secure = true (R10)"
    );
    let mut long = p.cookie("a", "1").unwrap();
    long.set_max_age(Duration::seconds(34_560_001));
    assert_eq!(
        p.check(&long).unwrap_err().kind(),
        ViolationKind::InvalidLifetime
    );
    assert_eq!(
        p.check(&Cookie::new("a", "x y")).unwrap_err().kind(),
        ViolationKind::InvalidValue
    );
}

struct Unwritable;

impl serde::Serialize for Unwritable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("nope"))
    }
}

impl<'de> serde::Deserialize<'de> for Unwritable {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("nope"))
    }
}

struct Broken;
impl TypedCookie for Broken {
    const NAME: &'static str = "broken";
    type Value = Unwritable;
    type Codec = crate::typed::Json;
}

struct Visits;
impl TypedCookie for Visits {
    const NAME: &'static str = "visits";
    type Value = u32;
    type Codec = crate::typed::Text;
}

#[test]
fn typed_cookie_writes_the_codec_text_with_the_policy_attributes() {
    let p = CookiePolicy::builder()
        .cookie("visits", CookieOverride::default().max_age(60))
        .build()
        .unwrap();
    assert_eq!(
        p.typed_cookie::<Visits>(&7).unwrap().to_string(),
        "visits=7; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=60"
    );
    assert_eq!(
        p.typed_cookie::<Broken>(&Unwritable)
            .unwrap_err()
            .to_string(),
        "cookie `broken`: the value cannot be encoded: nope (R2)"
    );
}
