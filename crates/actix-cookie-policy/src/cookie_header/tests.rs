//! Tests of the parent module.

use super::*;
use crate::config::{CookieOverride, Prefix, Protection};
use crate::keys::tests::{K1, K2, ring};
use crate::keys::unix_seconds;

/// What the app is handed, and what was skipped, by name and kind.
type Seen = (String, Vec<(String, DiagnosticKind)>);

fn fields(raw: &[&[u8]]) -> Vec<HeaderValue> {
    raw.iter()
        .map(|f| HeaderValue::from_bytes(f).unwrap())
        .collect()
}

fn run(policy: &CookiePolicy, raw: &[&[u8]]) -> Result<Seen, LimitExceeded> {
    let fields = fields(raw);
    let read = parse(policy, &fields)?;
    let skipped = read
        .diagnostics
        .iter()
        .map(|d| (d.name.clone(), d.kind))
        .collect();
    Ok((read.to_string(), skipped))
}

/// The diagnostics of `raw` under `policy`, with their sentences.
fn details(policy: &CookiePolicy, raw: &[u8]) -> Vec<Diagnostic> {
    let fields = fields(&[raw]);
    parse(policy, &fields).unwrap().diagnostics
}

fn diagnostic(name: &str, kind: DiagnosticKind, detail: &str) -> Diagnostic {
    Diagnostic {
        name: name.to_owned(),
        kind,
        detail: detail.to_owned(),
    }
}

fn with(name: &str, o: CookieOverride) -> CookiePolicy {
    CookiePolicy::builder().cookie(name, o).build().unwrap()
}

fn skipped(name: &str, kind: DiagnosticKind) -> (String, DiagnosticKind) {
    (name.to_owned(), kind)
}

#[test]
fn a_canonical_header_is_handed_over_as_it_is() {
    let (h, d) = run(&CookiePolicy::default(), &[b"a=1; b=2; q=\"v\"; e="]).unwrap();
    assert_eq!((h.as_str(), d), ("a=1; b=2; q=\"v\"; e=", vec![]));
}

#[test]
fn several_fields_and_loose_separators_are_merged() {
    let (h, d) = run(
        &CookiePolicy::default(),
        &[b"a=1;b=2 ;  c = 3;", b" d=4", b";;", b"e\t=\t5\t;\tf=6"],
    )
    .unwrap();
    assert_eq!(h, "a=1; b=2; c=3; d=4; e=5; f=6");
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn an_equals_sign_after_the_first_belongs_to_the_value() {
    let (h, d) = run(&CookiePolicy::default(), &[b"a=b=c; d=="]).unwrap();
    assert_eq!((h.as_str(), d), ("a=b=c; d==", vec![]));
}

#[test]
fn a_malformed_pair_is_skipped_and_the_rest_kept() {
    let (h, d) = run(
        &CookiePolicy::default(),
        &[b"ok=1; novalue; =x; a b=2; c=d e; bad=\xc3\xa9; p=50%; q=%zz; r=%41; (x)=1; ok2=\"quoted\"; s=\"half"],
    )
    .unwrap();
    assert_eq!(h, "ok=1; r=%2541; ok2=\"quoted\"");
    assert_eq!(
        d,
        [
            skipped("", DiagnosticKind::Nameless),
            skipped("", DiagnosticKind::InvalidName),
            skipped("a b", DiagnosticKind::InvalidName),
            skipped("c", DiagnosticKind::InvalidValue),
            skipped("bad", DiagnosticKind::InvalidValue),
            skipped("p", DiagnosticKind::BadPercentEscape),
            skipped("q", DiagnosticKind::BadPercentEscape),
            skipped("(x)", DiagnosticKind::InvalidName),
            skipped("s", DiagnosticKind::InvalidValue),
        ]
    );
}

#[test]
fn each_skipped_pair_says_why_in_a_sentence() {
    let d = details(
        &CookiePolicy::default(),
        b"novalue; =x; a b=2; c=d e; bad=\xc3\xa9; p=50%; \xff=1",
    );
    assert_eq!(
        d,
        [
            diagnostic(
                "",
                DiagnosticKind::Nameless,
                "a pair without '=': \"novalue\""
            ),
            diagnostic("", DiagnosticKind::InvalidName, "an empty name"),
            diagnostic(
                "a b",
                DiagnosticKind::InvalidName,
                "byte 0x20 (space) at position 1 is not allowed in a cookie name"
            ),
            diagnostic(
                "c",
                DiagnosticKind::InvalidValue,
                "byte 0x20 (space) at position 1 is not allowed in a cookie value"
            ),
            diagnostic(
                "bad",
                DiagnosticKind::InvalidValue,
                "byte 0xC3 at position 0 is not allowed in a cookie value"
            ),
            diagnostic(
                "p",
                DiagnosticKind::BadPercentEscape,
                "'%' at position 2 of the value is not followed by two hex digits"
            ),
            // A name that is not UTF-8 is named printably, never raw.
            diagnostic(
                "\\u{fffd}",
                DiagnosticKind::InvalidName,
                "byte 0xFF at position 0 is not allowed in a cookie name"
            ),
        ]
    );
}

#[test]
fn names_are_never_decoded_or_case_folded() {
    let p = with("sid", CookieOverride::default().prefix(Prefix::Host));
    let (h, d) = run(
        &p,
        &[b"%5F%5FHost-sid=evil; __host-sid=evil2; user%6Eame=y; __Host-sid=good"],
    )
    .unwrap();
    assert_eq!(h, "%255F%255FHost-sid=evil; user%256Eame=y; sid=good");
    assert_eq!(
        d,
        [skipped("__host-sid", DiagnosticKind::NonCanonicalPrefix)]
    );
    assert_eq!(
        details(&p, b"__SECURE-x=1")[0].detail,
        "browsers treat this name as __Secure- prefixed; only that exact spelling is read"
    );
}

#[test]
fn a_declared_prefixed_cookie_sent_plain_is_ignored() {
    let p = with("sid", CookieOverride::default().prefix(Prefix::Secure));
    let (h, d) = run(&p, &[b"sid=planted; other=1; __Secure-sid=real"]).unwrap();
    assert_eq!(h, "other=1; sid=real");
    assert_eq!(d, [skipped("sid", DiagnosticKind::MissingPrefix)]);
    assert_eq!(
        details(&p, b"sid=planted")[0].detail,
        "this cookie is read only as __Secure-sid; a plain copy can be set by anyone"
    );
    // Another prefix than the declared one is another cookie, read as itself.
    let (h, d) = run(&p, &[b"__Host-sid=x"]).unwrap();
    assert_eq!((h.as_str(), d), ("__Host-sid=x", vec![]));
}

#[test]
fn duplicates_of_sensitive_names_are_absent_and_others_first_wins() {
    let p = with("sid", CookieOverride::default().sensitive(true));
    let (h, d) = run(
        &p,
        &[
            b"sid=a; theme=dark; sid=b; theme=light; __Host-x=1; theme=blue",
            b"__Host-x=2",
        ],
    )
    .unwrap();
    assert_eq!(h, "theme=dark");
    assert_eq!(
        d,
        [
            skipped("sid", DiagnosticKind::Tossing),
            skipped("theme", DiagnosticKind::Duplicate),
            skipped("__Host-x", DiagnosticKind::Tossing),
            skipped("theme", DiagnosticKind::Duplicate),
        ]
    );
    let d = details(&p, b"sid=a; sid=b; theme=1; theme=2");
    assert_eq!(
        d,
        [
            diagnostic(
                "sid",
                DiagnosticKind::Tossing,
                "a sensitive cookie arrived more than once, so none of the copies is trusted"
            ),
            diagnostic(
                "theme",
                DiagnosticKind::Duplicate,
                "a later copy of this name; the first one is used"
            ),
        ]
    );
}

#[test]
fn a_declared_prefixed_cookie_sent_twice_is_absent_under_its_declared_name() {
    let p = with("sid", CookieOverride::default().prefix(Prefix::Host));
    let (h, d) = run(&p, &[b"__Host-sid=1; a=1", b"__Host-sid=2"]).unwrap();
    assert_eq!(h, "a=1");
    assert_eq!(d, [skipped("sid", DiagnosticKind::Tossing)]);
}

#[test]
fn protected_and_prefixed_names_are_sensitive_without_saying_so() {
    let p = CookiePolicy::builder()
        .cookie(
            "s",
            CookieOverride::default().protection(Protection::Signed),
        )
        .keys(ring(K1, &[]))
        .build()
        .unwrap();
    let sealed = ring(K1, &[])
        .protect(
            Protection::Signed,
            "s",
            "v",
            unix_seconds(SystemTime::now()),
        )
        .expect("sealed");
    let header = format!("s={sealed}; s={sealed}; __Secure-y=1; __Secure-y=1");
    let (h, d) = run(&p, &[header.as_bytes()]).unwrap();
    assert_eq!(h, "");
    assert_eq!(
        d,
        [
            skipped("s", DiagnosticKind::Tossing),
            skipped("__Secure-y", DiagnosticKind::Tossing)
        ]
    );
}

#[test]
fn nothing_accepted_makes_an_empty_header() {
    let (h, d) = run(&CookiePolicy::default(), &[b"a b=1"]).unwrap();
    assert_eq!((h.as_str(), d.len()), ("", 1));
}

#[test]
fn the_header_writes_each_percent_as_percent_25() {
    let (h, _) = run(&CookiePolicy::default(), &[b"a%41=%25%41; b=%"]).unwrap();
    assert_eq!(h, "a%2541=%2525%2541");
    assert_eq!(escaped("100"), Cow::Borrowed("100"));
    assert_eq!(escaped("%%"), "%25%25");
}

#[test]
fn limits_count_every_field_and_every_pair() {
    let p = CookiePolicy::builder().limits(10, 2).build().unwrap();
    assert_eq!(
        run(&p, &[b"a=123", b"b=1234"]).unwrap_err(),
        LimitExceeded::Bytes {
            bytes: 11,
            limit: 10
        }
    );
    assert_eq!(
        run(&p, &[b"a=123", b"b=1234"]).unwrap_err().to_string(),
        "the Cookie header is 11 bytes, over the limit of 10; clear this site's cookies and try again"
    );
    assert!(run(&p, &[b"a=123", b"b=123"]).is_ok(), "10 bytes fit");
    // Malformed pairs count: they cost the parser as much.
    assert_eq!(
        run(&p, &[b"a=1;b=2;c"]).unwrap_err(),
        LimitExceeded::Pairs { limit: 2 }
    );
    assert_eq!(
        run(&p, &[b"a=1", b"b=2", b"c=3"]).unwrap_err(),
        LimitExceeded::Pairs { limit: 2 }
    );
    assert_eq!(
        LimitExceeded::Pairs { limit: 2 }.to_string(),
        "the request carries more than 2 cookies; clear this site's cookies and try again"
    );
    let (h, _) = run(&p, &[b"a=1;;b=2;"]).unwrap();
    assert_eq!(h, "a=1; b=2", "empty pieces are not pairs");
}

#[test]
fn the_default_limits_are_8192_bytes_and_100_pairs() {
    let p = CookiePolicy::default();
    let at_limit = format!("a={}", "x".repeat(8190));
    assert!(run(&p, &[at_limit.as_bytes()]).is_ok());
    let over = format!("a={}", "x".repeat(8191));
    assert_eq!(
        run(&p, &[over.as_bytes()]).unwrap_err(),
        LimitExceeded::Bytes {
            bytes: 8193,
            limit: 8192
        }
    );
    let pairs: Vec<String> = (0..101).map(|i| format!("c{i}=1")).collect();
    assert!(run(&p, &[pairs[..100].join("; ").as_bytes()]).is_ok());
    assert_eq!(
        run(&p, &[pairs.join("; ").as_bytes()]).unwrap_err(),
        LimitExceeded::Pairs { limit: 100 }
    );
}

/// A policy with one cookie of each protection, a prefixed private one
/// and a protected session cookie, under `K1` with `K2` as previous key.
fn protected() -> CookiePolicy {
    CookiePolicy::builder()
        .max_session_age(3600)
        .cookie(
            "session",
            CookieOverride::default()
                .protection(Protection::Private)
                .max_age(60),
        )
        .cookie(
            "prefs",
            CookieOverride::default().protection(Protection::Signed),
        )
        .cookie(
            "sid",
            CookieOverride::default()
                .prefix(Prefix::Host)
                .protection(Protection::Private),
        )
        .keys(ring(K1, &[K2]))
        .build()
        .unwrap()
}

fn seal(key: &str, how: Protection, name: &str, value: &str, at: u64) -> String {
    ring(key, &[])
        .protect(how, name, value, at)
        .expect("sealed")
}

#[test]
fn protected_values_are_opened_for_the_app() {
    let p = protected();
    let now = unix_seconds(SystemTime::now());
    let header = format!(
        "a=1; session={}; prefs={}; __Host-sid={}; b=2",
        seal(K1, Protection::Private, "session", "alice", now),
        seal(K1, Protection::Signed, "prefs", "x%41", now),
        seal(K1, Protection::Private, "__Host-sid", "s1", now),
    );
    let fields = fields(&[header.as_bytes()]);
    let read = parse(&p, &fields).unwrap();
    assert_eq!(
        read.to_string(),
        "a=1; session=alice; prefs=x%2541; sid=s1; b=2"
    );
    assert!(read.diagnostics.is_empty() && read.reissue.is_empty());
}

#[test]
fn a_value_under_a_previous_key_is_opened_and_to_be_reissued_with_its_issue_time() {
    let p = protected();
    let at = unix_seconds(SystemTime::now()) - 5;
    let header = format!(
        "session={}; __Host-sid={}",
        seal(K2, Protection::Private, "session", "bob", at),
        seal(K2, Protection::Private, "__Host-sid", "s1", at),
    );
    let fields = fields(&[header.as_bytes()]);
    let read = parse(&p, &fields).unwrap();
    assert_eq!(read.to_string(), "session=bob; sid=s1");
    assert_eq!(
        read.reissue,
        [
            Reissue {
                name: "session".to_owned(),
                value: "bob".to_owned(),
                issued_at: at
            },
            Reissue {
                name: "__Host-sid".to_owned(),
                value: "s1".to_owned(),
                issued_at: at
            }
        ]
    );
}

#[test]
fn a_protected_value_that_does_not_open_is_absent_with_the_reason() {
    let p = protected();
    let now = unix_seconds(SystemTime::now());
    let session = seal(K1, Protection::Private, "session", "alice", now);
    // One byte of the ciphertext changed, the base64 still well formed.
    let flipped = {
        let mut b = session.clone().into_bytes();
        b[20] = if b[20] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let prefs = seal(K1, Protection::Signed, "prefs", "dark", now);
    let gone = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";
    let cases = [
        (
            format!("session={flipped}"),
            "session",
            DiagnosticKind::Tampered,
            "the value does not decrypt; the cookie is ignored",
        ),
        (
            format!(
                "session={}",
                seal(K1, Protection::Private, "other", "alice", now)
            ),
            "session",
            DiagnosticKind::Tampered,
            "the value does not decrypt; the cookie is ignored",
        ),
        (
            format!(
                "session={}",
                seal(gone, Protection::Private, "session", "alice", now)
            ),
            "session",
            DiagnosticKind::Tampered,
            "the value does not decrypt; the cookie is ignored",
        ),
        (
            "session=alice".to_owned(),
            "session",
            DiagnosticKind::Tampered,
            "the value is not encrypted by this server; the cookie is ignored",
        ),
        (
            "prefs=dark".to_owned(),
            "prefs",
            DiagnosticKind::Tampered,
            "the signature is missing; the cookie is ignored",
        ),
        (
            format!("prefs={}", prefs.replacen("dark", "lite", 1)),
            "prefs",
            DiagnosticKind::Tampered,
            "the signature does not match; the cookie is ignored",
        ),
        (
            "prefs=dark.soon.tag".to_owned(),
            "prefs",
            DiagnosticKind::Tampered,
            "the signature is malformed; the cookie is ignored",
        ),
        (
            format!(
                "session={}",
                seal(K1, Protection::Private, "session", "alice", now - 61)
            ),
            "session",
            DiagnosticKind::Expired,
            "the protected value is older than the cookie's max_age (or max_session_age)",
        ),
        (
            format!(
                "prefs={}",
                seal(K1, Protection::Signed, "prefs", "dark", now - 3601)
            ),
            "prefs",
            DiagnosticKind::Expired,
            "the protected value is older than the cookie's max_age (or max_session_age)",
        ),
        // What the app would read must be a cookie value, even sealed.
        (
            format!(
                "session={}",
                seal(K1, Protection::Private, "session", "a b", now)
            ),
            "session",
            DiagnosticKind::Tampered,
            "the protected value is not a cookie value",
        ),
        // Sealed for the prefixed name, sent under the declared one.
        (
            format!(
                "sid={}",
                seal(K1, Protection::Private, "__Host-sid", "s1", now)
            ),
            "sid",
            DiagnosticKind::MissingPrefix,
            "this cookie is read only as __Host-sid; a plain copy can be set by anyone",
        ),
        // Sealed for the declared name, sent under the prefixed one.
        (
            format!(
                "__Host-sid={}",
                seal(K1, Protection::Private, "sid", "s1", now)
            ),
            "sid",
            DiagnosticKind::Tampered,
            "the value does not decrypt; the cookie is ignored",
        ),
    ];
    for (header, name, kind, detail) in cases {
        let full = format!("a=1; {header}");
        let fields = fields(&[full.as_bytes()]);
        let read = parse(&p, &fields).unwrap();
        assert_eq!(read.to_string(), "a=1", "{header}");
        assert_eq!(
            read.diagnostics,
            [diagnostic(name, kind, detail)],
            "{header}"
        );
        assert!(read.reissue.is_empty(), "{header}");
    }
}

#[test]
fn a_fresh_value_within_its_lifetime_opens() {
    let p = protected();
    let now = unix_seconds(SystemTime::now());
    let header = format!(
        "session={}; prefs={}",
        seal(K1, Protection::Private, "session", "alice", now - 50),
        seal(K1, Protection::Signed, "prefs", "dark", now - 3500),
    );
    let (h, d) = run(&p, &[header.as_bytes()]).unwrap();
    assert_eq!((h.as_str(), d), ("session=alice; prefs=dark", vec![]));
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// Fields built from the bytes that matter to the parser: names plain,
    /// declared, prefixed or not tokens; values good, quoted, escaped or
    /// not cookie-octets; loose separators and stray white space.
    fn field() -> impl Strategy<Value = Vec<u8>> {
        let name = prop_oneof![
            6 => select(vec!["a", "b", "theme", "sid"]),
            2 => select(vec!["__Host-x", "__host-x", "__Secure-y", "a%41", "", "a b", "(x)"]),
            1 => Just("\u{e9}"),
        ];
        let value = prop_oneof![
            6 => select(vec!["1", "2", "\"q\"", "", "=1", "x%41"]),
            2 => select(vec!["50%", "a b", "%", "\"", "a;b", "\u{e9}"]),
        ];
        let sep = select(vec!["; ", ";", ";  ", ";\t", " ; ", ";;", "; ;"]);
        let ows = prop_oneof![6 => Just(""), 1 => select(vec![" ", "\t"])];
        let eq = prop_oneof![8 => Just("="), 1 => Just("")];
        let pair = (sep, name, ows.clone(), eq, ows, value)
            .prop_map(|(sep, n, before, eq, after, v)| format!("{sep}{n}{before}{eq}{after}{v}"));
        proptest::collection::vec(pair, 0..6).prop_map(|pairs| pairs.concat().into_bytes())
    }

    fn policy() -> CookiePolicy {
        CookiePolicy::builder()
            .limits(8192, 16)
            .cookie("sid", CookieOverride::default().sensitive(true))
            .build()
            .unwrap()
    }

    /// The name and value of a non-empty piece, as the parser splits it.
    fn split(piece: &[u8]) -> (String, &[u8]) {
        match piece.iter().position(|&b| b == b'=') {
            None => (String::new(), piece),
            Some(eq) => (lossy(trim(&piece[..eq])), trim(&piece[eq + 1..])),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// The parser never panics; each piece is either handed to the app
        /// with the exact bytes the client sent, or has a diagnostic under
        /// its name; and nothing is handed over twice.
        #[test]
        fn every_piece_is_handed_over_exactly_or_accounted_for(
            raw in proptest::collection::vec(field(), 1..3)
        ) {
            let p = policy();
            let values: Vec<HeaderValue> = raw
                .iter()
                .filter_map(|f| HeaderValue::from_bytes(f).ok())
                .collect();
            let Ok(read) = parse(&p, &values) else { return Ok(()) };
            for field in &values {
                for piece in field.as_bytes().split(|&b| b == b';').map(trim) {
                    if piece.is_empty() {
                        continue;
                    }
                    let (name, value) = split(piece);
                    let handed = read
                        .pairs
                        .iter()
                        .any(|pair| pair.name == name && pair.value.as_bytes() == value);
                    let explained = read.diagnostics.iter().any(|d| d.name == name);
                    prop_assert!(handed || explained, "{:?} in {:?}", piece, values);
                }
            }
            let mut names: Vec<&str> = read.pairs.iter().map(|pair| pair.name).collect();
            names.sort_unstable();
            names.dedup();
            prop_assert_eq!(names.len(), read.pairs.len());
        }

        /// The header the app reads holds exactly what was accepted: read
        /// again under the same policy it gives the same pairs (with `%`
        /// escaped), without a diagnostic.
        #[test]
        fn the_header_for_the_app_is_accepted_whole(
            raw in proptest::collection::vec(field(), 1..3)
        ) {
            let p = policy();
            let values: Vec<HeaderValue> = raw
                .iter()
                .filter_map(|f| HeaderValue::from_bytes(f).ok())
                .collect();
            let Ok(read) = parse(&p, &values) else { return Ok(()) };
            let header = read.to_string();
            let again = [HeaderValue::from_str(&header).unwrap()];
            let reread = parse(&p, &again).unwrap();
            prop_assert!(reread.diagnostics.is_empty(), "{}: {:?}", header, reread.diagnostics);
            // The same pairs, each `%` written `%25` in the app's header.
            let pairs = |r: &RequestCookies<'_>| -> Vec<(String, String)> {
                r.pairs.iter().map(|p| (p.name.to_owned(), p.value.to_string())).collect()
            };
            let unescaped: Vec<(String, String)> = pairs(&reread)
                .into_iter()
                .map(|(n, v)| (n.replace("%25", "%"), v.replace("%25", "%")))
                .collect();
            prop_assert_eq!(unescaped, pairs(&read), "{}", header);
        }
    }
}
