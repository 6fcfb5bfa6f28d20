//! Properties of the layer over generated input: every `Set-Cookie` it
//! sends parses back strictly and complies with the policy; what a handler
//! reads is exactly what the client sent; and every value the policy
//! accepts comes back unchanged.

mod common;

use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, HeaderValue, SET_COOKIE};
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, HttpRequest, HttpResponse, web};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use actix_cookie_policy::{
    CookieOverride, CookiePolicy, CookiePolicyLayer, OnViolation, Policy, Prefix, Protection,
    testing,
};

/// A policy with one cookie of each kind: sensitive, prefixed, protected,
/// with a `Domain`; secure or not, rejecting or dropping violations.
fn policy(secure: bool, drop: bool) -> CookiePolicy {
    CookiePolicy::builder()
        .secure(secure)
        .on_violation(if drop {
            OnViolation::Drop
        } else {
            OnViolation::Reject
        })
        .cookie("sid", CookieOverride::default().sensitive(true))
        .cookie("pre", CookieOverride::default().prefix(Prefix::Host))
        .cookie(
            "prot",
            CookieOverride::default().protection(Protection::Signed),
        )
        .cookie("dom", CookieOverride::default().domain("example.com"))
        .keys(common::ring(common::KEY, &[]))
        .build()
        .unwrap()
}

/// A `Set-Cookie` an app might write: a name of each kind, a value good
/// or bad, and attributes in and out of the rules.
fn set_cookie() -> impl Strategy<Value = String> {
    let names = vec![
        "a",
        "theme",
        "sid",
        "pre",
        "prot",
        "dom",
        "__Secure-x",
        "__Host-y",
        "__host-z",
    ];
    let values = vec!["1", "", "\"q\"", "x%41", "a b", "50%", "v.1.2"];
    let attrs = vec![
        "HttpOnly",
        "Secure",
        "SameSite=None",
        "SameSite=Strict",
        "Path=/x",
        "Domain=example.com",
        "Domain=other.org",
        "Max-Age=0",
        "Max-Age=60",
        "Max-Age=34560001",
        "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "Partitioned",
        "Priority=High",
        "Comment=x",
    ];
    (select(names), select(values), subsequence(attrs, 0..4)).prop_map(|(n, v, attrs)| {
        let mut h = format!("{n}={v}");
        for a in attrs {
            h.push_str("; ");
            h.push_str(a);
        }
        h
    })
}

/// Whether a name on the wire is sensitive under `policy` (R20, R22).
fn sensitive(policy: &CookiePolicy, name: &str) -> bool {
    policy.attributes(name).sensitive
        || ["__Secure-", "__Host-", "__Http-"]
            .iter()
            .any(|p| name.starts_with(p))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the app writes, what the layer sends parses strictly and
    /// is what the policy writes (`testing::check_compliance`); a response
    /// setting a sensitive cookie is not cached; a refused response sends
    /// no cookie at all.
    #[test]
    fn every_header_the_layer_sends_complies_with_the_policy(
        headers in proptest::collection::vec(set_cookie(), 1..4),
        secure in any::<bool>(),
        drop in any::<bool>(),
    ) {
        let p = policy(secure, drop);
        let (status, sent) = actix_web::rt::System::new().block_on(async {
            let written = headers.clone();
            let app = init_service(App::new().wrap(CookiePolicyLayer::new(p.clone())).route(
                "/",
                web::get().to(move || {
                    let written = written.clone();
                    async move {
                        let mut res = HttpResponse::Ok();
                        for h in written {
                            res.append_header((SET_COOKIE, h));
                        }
                        res.finish()
                    }
                }),
            ))
            .await;
            let req = TestRequest::get().uri("/").insert_header(("host", "www.example.com"));
            let res = call_service(&app, req.to_request()).await;
            (res.status(), res)
        });
        match status {
            StatusCode::OK => {
                prop_assert_eq!(
                    testing::check_compliance(sent.headers(), &p),
                    Ok(()),
                    "{:?}",
                    headers
                );
                let cookies = testing::set_cookies(&sent);
                let no_store = sent.headers().get("cache-control").is_some_and(|v| v == "no-store");
                let any_sensitive = cookies.iter().any(|c| sensitive(&p, &c.name));
                prop_assert_eq!(no_store, any_sensitive, "{:?}", headers);
            }
            StatusCode::INTERNAL_SERVER_ERROR => {
                prop_assert!(!drop, "drop mode never refuses the response: {:?}", headers);
                prop_assert_eq!(sent.headers().get_all(SET_COOKIE).count(), 0);
            }
            other => prop_assert!(false, "status {} for {:?}", other, headers),
        }
    }
}

/// One `Cookie` field from the bytes that matter to the parser.
fn cookie_field() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        6 => select(vec!["a", "b", "theme", "sid"]),
        2 => select(vec!["__Host-x", "__host-x", "a%41", "%5F%5FHost-x", "", "a b", "(x)"]),
    ];
    let value = prop_oneof![
        6 => select(vec!["1", "2", "\"q\"", "", "=1", "x%41", "%25", "\"\""]),
        2 => select(vec!["50%", "a b", "%", "\"", "a\"b", "\"a"]),
    ];
    let sep = select(vec!["; ", ";", ";  ", ";\t", " ; ", ";;"]);
    let ows = prop_oneof![6 => Just(""), 1 => select(vec![" ", "\t"])];
    let eq = prop_oneof![8 => Just("="), 1 => Just("")];
    let pair = (sep, name, ows.clone(), eq, ows, value)
        .prop_map(|(sep, n, before, eq, after, v)| format!("{sep}{n}{before}{eq}{after}{v}"));
    proptest::collection::vec(pair, 1..6).prop_map(|pairs| pairs.concat())
}

/// The (name, value) pairs a client sent, as the layer splits them.
fn pieces(fields: &[String]) -> Vec<(String, String)> {
    fields
        .iter()
        .flat_map(|f| f.split(';'))
        .map(|p| p.trim_matches([' ', '\t']))
        .filter_map(|p| p.split_once('='))
        .map(|(n, v)| {
            (
                n.trim_matches([' ', '\t']).to_owned(),
                v.trim_matches([' ', '\t']).to_owned(),
            )
        })
        .collect()
}

/// A value as actix-web's parse reads it: one pair of quotes off.
fn unquoted(v: &str) -> &str {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner,
        None => v,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// With no middleware reading cookies before it, the layer never
    /// answers 500; each cookie the app reads (decoded, and raw with each
    /// `%` as `%25`) is a pair the client sent, byte for byte; and no name
    /// is read twice.
    #[test]
    fn what_the_app_reads_is_exactly_what_the_client_sent(
        fields in proptest::collection::vec(cookie_field(), 1..3)
    ) {
        let (status, body) = actix_web::rt::System::new().block_on(async {
            let app = init_service(
                App::new()
                    .wrap(CookiePolicyLayer::new(policy(true, false)))
                    .route("/", web::get().to(|req: HttpRequest| async move {
                        let list = |cs: &[actix_web::cookie::Cookie<'static>]| {
                            cs.iter()
                                .map(|c| (c.name().to_owned(), c.value().to_owned()))
                                .collect::<Vec<_>>()
                        };
                        let decoded = req.cookies().map(|cs| list(&cs)).unwrap_or_default();
                        let raw = req.cookies_raw().map(|cs| list(&cs)).unwrap_or_default();
                        HttpResponse::Ok().json((decoded, raw))
                    })),
            )
            .await;
            let mut req = TestRequest::get().uri("/");
            for f in &fields {
                req = req.append_header((COOKIE, HeaderValue::from_str(f).unwrap()));
            }
            let res = call_service(&app, req.to_request()).await;
            let status = res.status();
            (status, read_body(res).await)
        });
        prop_assert_eq!(status, StatusCode::OK, "{:?}: {:?}", fields, body);
        type Pairs = Vec<(String, String)>;
        let (decoded, raw): (Pairs, Pairs) = serde_json::from_slice(&body).unwrap();
        let sent = pieces(&fields);
        prop_assert_eq!(decoded.len(), raw.len());
        for ((name, value), (raw_name, raw_value)) in decoded.iter().zip(&raw) {
            prop_assert!(
                sent.iter().any(|(n, v)| n == name && unquoted(v) == value),
                "{}={} not sent in {:?}", name, value, fields
            );
            prop_assert_eq!(raw_name, &name.replace('%', "%25"));
            prop_assert_eq!(raw_value, &value.replace('%', "%25"));
        }
        let mut names: Vec<&String> = decoded.iter().map(|(n, _)| n).collect();
        names.sort();
        names.dedup();
        prop_assert_eq!(names.len(), decoded.len(), "{:?}", fields);
    }
}

const TCHAR: &str = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn token() -> impl Strategy<Value = String> {
    proptest::collection::vec(select(TCHAR.chars().collect::<Vec<_>>()), 1..24)
        .prop_map(|cs| cs.into_iter().collect())
}

/// Cookie-octets, each `%` starting an escape (R2).
fn cookie_octets() -> impl Strategy<Value = String> {
    let octets: Vec<char> = (0x21u8..=0x7E)
        .filter(|b| !matches!(b, b'"' | b',' | b';' | b'\\'))
        .map(char::from)
        .collect();
    proptest::collection::vec(select(octets), 0..64)
        .prop_map(|cs| cs.into_iter().collect::<String>().replace('%', "%25"))
}

fn percent(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every name and value `policy.cookie` accepts goes out as it was
    /// given, and, sent back, is what `req.cookie` reads.
    #[test]
    fn every_value_the_policy_accepts_round_trips_unchanged(
        name in token(),
        value in cookie_octets(),
    ) {
        prop_assume!(!name.to_ascii_lowercase().starts_with("__"));
        let p = CookiePolicy::default();
        prop_assert!(p.cookie(name.as_str(), value.as_str()).is_ok());
        let (set, read) = actix_web::rt::System::new().block_on(async {
            let app = init_service(
                App::new()
                    .wrap(CookiePolicyLayer::new(p))
                    .route(
                        "/set",
                        web::get().to(|p: Policy, q: web::Query<Vec<(String, String)>>| async move {
                            let (n, v) = q.into_inner().remove(0);
                            HttpResponse::Ok().cookie(p.cookie(n, v).unwrap()).finish()
                        }),
                    )
                    .route(
                        "/get/{name}",
                        web::get().to(|req: HttpRequest, name: web::Path<String>| async move {
                            HttpResponse::Ok().body(
                                req.cookie(&name).map(|c| c.value().to_owned()).unwrap_or_default(),
                            )
                        }),
                    ),
            )
            .await;
            let uri = format!("/set?{}={}", percent(&name), percent(&value));
            let res = call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
            let set = common::set_cookies(&res);
            let sent = common::pair(&set[0]);
            let req = TestRequest::get()
                .uri(&format!("/get/{}", percent(&name)))
                .insert_header((COOKIE, sent));
            let res = call_service(&app, req.to_request()).await;
            (set, read_body(res).await)
        });
        prop_assert_eq!(
            &set,
            &[format!("{name}={value}; HttpOnly; SameSite=Lax; Secure; Path=/")]
        );
        prop_assert_eq!(String::from_utf8(read.to_vec()).unwrap(), unquoted(&value));
    }
}
