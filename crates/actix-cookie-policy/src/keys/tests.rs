//! The key ring's formats, checks and errors, and the fixed keys other
//! modules' tests share.

use super::*;
use std::time::Duration;

/// Two fixed keys for tests.
pub(crate) const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub(crate) const K2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// A ring of `current` with `previous` keys, from base64.
pub(crate) fn ring(current: &str, previous: &[&str]) -> KeyRing {
    KeyRing::from_base64(current, previous).unwrap()
}

fn now() -> SystemTime {
    SystemTime::now()
}

#[test]
fn both_protections_round_trip_into_cookie_values() {
    let r = ring(K1, &[]);
    let t = unix_seconds(now());
    for p in [Protection::Signed, Protection::Private] {
        let sealed = r.protect(p, "sid", "alice", t).expect("sealed");
        let v = r.unprotect(p, "sid", &sealed, now(), Some(60)).unwrap();
        assert_eq!(
            (v.value.as_str(), v.issued_at, v.rotated),
            ("alice", t, false)
        );
        assert!(
            crate::grammar::check_value(sealed.as_bytes()).is_ok(),
            "{sealed}"
        );
    }
}

#[test]
fn private_values_keep_their_wire_form() {
    // base64url(nonce ‖ AES-256-GCM(issued-at ‖ value) ‖ tag), aad =
    // context ‖ name: values sealed by earlier releases still open.
    let r = ring(K1, &[]);
    let t = unix_seconds(now());
    let aad = [PRIVATE_CONTEXT, b"sid"].concat();
    let nonce = [7u8; NONCE_BYTES];
    let plain = [&t.to_be_bytes()[..], b"alice"].concat();
    let payload = Payload {
        msg: &plain,
        aad: &aad,
    };
    let sealed = r.current.enc.encrypt((&nonce).into(), payload).unwrap();
    let wire = URL_SAFE_NO_PAD.encode([&nonce[..], &sealed].concat());
    let v = r
        .unprotect(Protection::Private, "sid", &wire, now(), Some(60))
        .unwrap();
    assert_eq!((v.value.as_str(), v.issued_at), ("alice", t));
    // Too short to hold a nonce, an issue time and a tag.
    let short = URL_SAFE_NO_PAD.encode([0u8; NONCE_BYTES + 7 + 16]);
    assert_eq!(
        r.unprotect(Protection::Private, "sid", &short, now(), None),
        Err(VerifyError::Tampered("the value does not decrypt"))
    );
}

#[test]
fn signed_values_stay_readable() {
    let sealed = ring(K1, &[])
        .protect(Protection::Signed, "theme", "dark.mode", 1_700_000_000)
        .expect("sealed");
    assert!(sealed.starts_with("dark.mode.1700000000."), "{sealed}");
}

#[test]
fn a_change_at_any_byte_is_tampering() {
    let r = ring(K1, &[]);
    let t = unix_seconds(now());
    for p in [Protection::Signed, Protection::Private] {
        let sealed = r.protect(p, "sid", "alice", t).expect("sealed");
        for i in 0..sealed.len() {
            let mut bytes = sealed.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(
                matches!(
                    r.unprotect(p, "sid", &changed, now(), None),
                    Err(VerifyError::Tampered(_))
                ),
                "{p:?} byte {i}: {changed}"
            );
        }
    }
}

#[test]
fn an_issue_time_verifies_only_as_written() {
    let r = ring(K1, &[]);
    let sealed = r
        .protect(Protection::Signed, "sid", "alice", 1_700_000_000)
        .expect("sealed");
    let (value, rest) = sealed.split_once('.').unwrap();
    let (_, tag) = rest.split_once('.').unwrap();
    for issued in ["+1700000000", "01700000000"] {
        let respelled = format!("{value}.{issued}.{tag}");
        assert_eq!(
            r.unprotect(Protection::Signed, "sid", &respelled, now(), None),
            Err(VerifyError::Tampered("the signature is malformed")),
            "{respelled}"
        );
    }
    assert!(
        r.unprotect(Protection::Signed, "sid", &sealed, now(), None)
            .is_ok()
    );
}

#[test]
fn a_value_from_another_cookie_does_not_verify() {
    let r = ring(K1, &[]);
    for p in [Protection::Signed, Protection::Private] {
        let sealed = r
            .protect(p, "role", "admin", unix_seconds(now()))
            .expect("sealed");
        assert!(matches!(
            r.unprotect(p, "sid", &sealed, now(), None),
            Err(VerifyError::Tampered(_))
        ));
    }
}

#[test]
fn a_stripped_or_stretched_signature_is_tampering() {
    let r = ring(K1, &[]);
    let sealed = r
        .protect(Protection::Signed, "sid", "alice", 123)
        .expect("sealed");
    let (_, tag) = sealed.rsplit_once('.').unwrap();
    let cut = format!("alice.123.{}", &tag[..tag.len() - 2]);
    let long = format!("{sealed}{}", "A".repeat(40));
    for stripped in ["alice", "alice.123", "alice.123.", "", "a.b.c", &cut, &long] {
        for p in [Protection::Signed, Protection::Private] {
            assert!(
                matches!(
                    r.unprotect(p, "sid", stripped, now(), None),
                    Err(VerifyError::Tampered(_))
                ),
                "{p:?} {stripped}"
            );
        }
    }
}

#[test]
fn an_old_value_expires_even_with_a_valid_tag() {
    let r = ring(K1, &[]);
    let issued = unix_seconds(now()) - 120;
    for p in [Protection::Signed, Protection::Private] {
        let sealed = r.protect(p, "sid", "alice", issued).expect("sealed");
        assert_eq!(
            r.unprotect(p, "sid", &sealed, now(), Some(60)),
            Err(VerifyError::Expired)
        );
        assert!(r.unprotect(p, "sid", &sealed, now(), Some(3600)).is_ok());
        let later = now() + Duration::from_secs(3600);
        assert!(r.unprotect(p, "sid", &sealed, later, Some(3600)).is_err());
    }
}

#[test]
fn a_previous_key_verifies_and_asks_for_rotation_and_a_retired_key_does_not() {
    let old = ring(K1, &[]);
    let rotated = ring(K2, &[K1]);
    let retired = ring(K2, &[]);
    for p in [Protection::Signed, Protection::Private] {
        let sealed = old
            .protect(p, "sid", "alice", unix_seconds(now()))
            .expect("sealed");
        assert!(
            rotated
                .unprotect(p, "sid", &sealed, now(), None)
                .unwrap()
                .rotated
        );
        assert!(matches!(
            retired.unprotect(p, "sid", &sealed, now(), None),
            Err(VerifyError::Tampered(_))
        ));
    }
}

#[test]
fn keys_must_be_base64_of_at_least_32_bytes_and_errors_name_them_without_their_text() {
    let e = KeyRing::from_base64("not base64!", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "current: is not base64; make a key with KeyRing::generate_key"
    );
    let e = KeyRing::from_base64("c2hvcnQ=", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "current: is 5 bytes; a key needs at least 32 random bytes; make a key with KeyRing::generate_key"
    );
    let e = KeyRing::from_base64(K1, &["AAAA"]).unwrap_err();
    assert_eq!(
        (e.which(), e.problem().starts_with("is 3 bytes")),
        ("previous[0]", true)
    );
    assert!(!e.to_string().contains("AAAA"));
    let url_safe = K1.replace('+', "-").replace('/', "_");
    assert!(KeyRing::from_base64(url_safe.trim_end_matches('='), &[]).is_ok());
    let generated = KeyRing::generate_key().unwrap();
    assert_eq!(STANDARD.decode(&generated).unwrap().len(), 32);
    assert!(KeyRing::from_base64(&generated, &[]).is_ok());
}

#[test]
fn an_ephemeral_ring_says_so_and_never_prints_its_key() {
    let r = KeyRing::ephemeral().unwrap();
    assert!(r.is_ephemeral());
    assert_eq!(
        format!("{r:?}"),
        "KeyRing { previous: 0, context: \"\", ephemeral: true, .. }"
    );
}

/// 2023-11-14T22:13:20Z, a fixed clock for tests that cross a boundary.
const AT: u64 = 1_700_000_000;

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

#[test]
fn an_issue_time_ahead_of_the_clock_verifies_only_within_the_skew() {
    let r = ring(K1, &[]);
    let future = Err(VerifyError::Tampered("the issue time is in the future"));
    for p in [Protection::Signed, Protection::Private] {
        let edge = r.protect(p, "sid", "alice", AT + MAX_CLOCK_SKEW_SECONDS);
        let edge = edge.expect("sealed");
        let v = r.unprotect(p, "sid", &edge, at(AT), Some(60)).unwrap();
        assert_eq!(v.issued_at, AT + MAX_CLOCK_SKEW_SECONDS, "{p:?}");
        let past = r.protect(p, "sid", "alice", AT + MAX_CLOCK_SKEW_SECONDS + 1);
        let past = past.expect("sealed");
        for max_age in [None, Some(60), Some(u32::MAX)] {
            assert_eq!(
                r.unprotect(p, "sid", &past, at(AT), max_age),
                future,
                "{p:?} {max_age:?}"
            );
        }
        // Once the clock catches up, the same value reads.
        assert!(r.unprotect(p, "sid", &past, at(AT + 1), Some(60)).is_ok());
    }
}

#[test]
fn the_largest_issue_time_never_verifies_and_nothing_overflows() {
    let r = ring(K1, &[]);
    let future = Err(VerifyError::Tampered("the issue time is in the future"));
    for p in [Protection::Signed, Protection::Private] {
        let forever = r.protect(p, "sid", "alice", u64::MAX).expect("sealed");
        for now in [at(AT), UNIX_EPOCH - Duration::from_secs(1)] {
            for max_age in [None, Some(0), Some(u32::MAX)] {
                let got = r.unprotect(p, "sid", &forever, now, max_age);
                assert_eq!(got, future, "{p:?} {max_age:?}");
            }
        }
        // A clock before 1970 reads as 0: a value of the epoch still reads.
        let epoch = r.protect(p, "sid", "alice", 0).expect("sealed");
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert!(r.unprotect(p, "sid", &epoch, before, Some(0)).is_ok());
    }
}

/// `bytes` as a base64 key.
fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The `Display` text of each weakness of a ring of `current` and `previous`.
fn weaknesses(current: &str, previous: &[&str]) -> Vec<String> {
    let r = ring(current, previous);
    r.weaknesses().iter().map(ToString::to_string).collect()
}

#[test]
fn a_key_of_one_repeated_byte_is_weak() {
    for byte in [0x00, 0xff, b'a'] {
        assert_eq!(
            weaknesses(&b64(&[byte; 32]), &[]),
            [
                "current: is one byte repeated, not random; use 32 random bytes, base64-encoded; make a key with KeyRing::generate_key"
            ],
            "{byte:#x}"
        );
    }
    let e = ring(&b64(&[0; 48]), &[]).weaknesses()[0].clone();
    assert_eq!(
        (e.which(), e.problem()),
        (
            "current",
            "is one byte repeated, not random; use 32 random bytes, base64-encoded"
        )
    );
    assert!(!e.to_string().contains("AAAA"), "{e}");
}

#[test]
fn a_key_of_fewer_than_16_distinct_bytes_is_weak_and_16_are_enough() {
    let cycle = |n: u8, len: usize| {
        (0..len)
            .map(|i| (i % usize::from(n)) as u8)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        weaknesses(&b64(&cycle(15, 32)), &[]),
        [
            "current: has 15 distinct byte values in 32 bytes, where random bytes have about 30 in 32; use 32 random bytes, base64-encoded; make a key with KeyRing::generate_key"
        ]
    );
    assert_eq!(
        weaknesses(K1, &[&b64(&cycle(2, 64))]),
        [
            "previous[0]: has 2 distinct byte values in 64 bytes, where random bytes have about 30 in 32; use 32 random bytes, base64-encoded; make a key with KeyRing::generate_key"
        ]
    );
    assert_eq!(weaknesses(&b64(&cycle(16, 32)), &[]), Vec::<String>::new());
}

#[test]
fn a_key_that_decodes_to_text_is_weak() {
    // What `echo 'a passphrase' | base64` makes, line break included.
    let passphrase = "correct horse battery staple, and then some more\n";
    let text = [
        passphrase,
        "ThisIsMyVerySecretKeyForCookies!",
        "\t~ !\"#$%&'()*+,-./0123456789:;<=>?",
    ];
    for t in text {
        let key = b64(t.as_bytes());
        assert_eq!(
            weaknesses(&key, &[]),
            [
                "current: decodes to text, such as a passphrase, not random bytes; use 32 random bytes, base64-encoded; make a key with KeyRing::generate_key"
            ],
            "{t:?}"
        );
        let e = ring(&key, &[]).weaknesses()[0].clone();
        assert!(!e.to_string().contains(&key[..8]), "{e}");
        assert!(!e.to_string().contains(&t[..8]), "{e}");
    }
    // One byte outside text is enough not to be text.
    let mut almost = b"ThisIsMyVerySecretKeyForCookies!".to_vec();
    almost[7] = 0x80;
    assert_eq!(weaknesses(&b64(&almost), &[]), Vec::<String>::new());
}

#[test]
fn every_weak_key_of_a_ring_is_named_and_random_keys_are_not_weak() {
    assert_eq!(
        weaknesses(&b64(&[1; 32]), &[K1, &b64(&[2; 32])]),
        [
            "current: is one byte repeated, not random; use 32 random bytes, base64-encoded; make a key with KeyRing::generate_key",
            "previous[1]: is one byte repeated, not random; use 32 random bytes, base64-encoded; make a key with KeyRing::generate_key",
        ]
    );
    assert_eq!(weaknesses(K1, &[]), Vec::<String>::new());
    for _ in 0..100 {
        let generated = KeyRing::generate_key().unwrap();
        assert_eq!(weaknesses(&generated, &[]), Vec::<String>::new());
    }
    assert!(KeyRing::ephemeral().unwrap().weaknesses().is_empty());
}

#[test]
fn a_key_listed_twice_is_refused_naming_both_entries_without_their_text() {
    let url_safe = K1.replace('+', "-").replace('/', "_");
    let url_safe = url_safe.trim_end_matches('=');
    let spaced = format!("  {K1}\n");
    for (current, previous, message) in [
        (
            K1,
            vec![K1],
            "previous[0]: is the same key as current; list each key once",
        ),
        (
            K1,
            vec![K2, url_safe],
            "previous[1]: is the same key as current; list each key once",
        ),
        (
            K1,
            vec![K2, &spaced],
            "previous[1]: is the same key as current; list each key once",
        ),
        (
            K1,
            vec![K2, K2],
            "previous[1]: is the same key as previous[0]; list each key once",
        ),
    ] {
        let e = KeyRing::from_base64(current, &previous).unwrap_err();
        assert_eq!(e.to_string(), message);
        for key in [K1, K2] {
            assert!(!format!("{e} {e:?}").contains(&key[..8]), "{e:?}");
        }
    }
    let e = KeyRing::from_base64(K1, &[K2, K1]).unwrap_err();
    assert_eq!(
        (e.which(), e.problem()),
        (
            "previous[1]",
            "is the same key as current; list each key once"
        )
    );
    assert!(KeyRing::from_base64(K1, &[K2]).is_ok());
}

/// `"alice.in.wonderland"` for the cookie `sid`, issued at [`AT`] under
/// [`K1`] by a ring without a context, signed and private: what earlier
/// releases wrote, which must keep verifying.
const SIGNED_UNDER_K1: &str =
    "alice.in.wonderland.1700000000._LNujv93HJK9znBEzFQTd0_nlFpB3ssGui8T3aqwqrg";
const PRIVATE_UNDER_K1: &str =
    "qOHYRCo2x3oyMxT3JUyS8q6v2X7BmmFBA2uLwzdznN30NTlUpWtJP9Eaof8TM7t4GahmN83OBw";

#[test]
fn values_protected_by_earlier_releases_still_verify() {
    let r = ring(K1, &[]);
    for (p, wire) in [
        (Protection::Signed, SIGNED_UNDER_K1),
        (Protection::Private, PRIVATE_UNDER_K1),
    ] {
        let v = r.unprotect(p, "sid", wire, at(AT), None).unwrap();
        assert_eq!(
            (v.value.as_str(), v.issued_at, v.rotated),
            ("alice.in.wonderland", AT, false),
            "{p:?}"
        );
    }
    let signed = r.protect(Protection::Signed, "sid", "alice.in.wonderland", AT);
    assert_eq!(signed.as_deref(), Ok(SIGNED_UNDER_K1));
}

#[test]
fn the_empty_context_derives_the_keys_of_a_ring_without_one() {
    let r = ring(K1, &[]).with_context("");
    assert_eq!(r.context(), "");
    for (p, wire) in [
        (Protection::Signed, SIGNED_UNDER_K1),
        (Protection::Private, PRIVATE_UNDER_K1),
    ] {
        let v = r.unprotect(p, "sid", wire, at(AT), None).unwrap();
        assert_eq!(v.value, "alice.in.wonderland", "{p:?}");
    }
    // Back to no context from another one.
    let back = ring(K1, &[]).with_context("billing").with_context("");
    let signed = back.protect(Protection::Signed, "sid", "alice.in.wonderland", AT);
    assert_eq!(signed.as_deref(), Ok(SIGNED_UNDER_K1));
}

#[test]
fn a_value_protected_in_one_context_is_tampered_in_any_other() {
    // Contexts that only a careless encoding would confuse: none with
    // another, nor with no context.
    let contexts = [
        "",
        "billing",
        "shop",
        "billing\0",
        "\0",
        "billin",
        "Billing",
    ];
    for p in [Protection::Signed, Protection::Private] {
        let refused = Err(VerifyError::Tampered(match p {
            Protection::Signed => "the signature does not match",
            Protection::Private => "the value does not decrypt",
        }));
        for writer in contexts {
            let sealed = ring(K1, &[])
                .with_context(writer)
                .protect(p, "sid", "alice", AT)
                .expect("sealed");
            for reader in contexts {
                let got =
                    ring(K1, &[])
                        .with_context(reader)
                        .unprotect(p, "sid", &sealed, at(AT), None);
                if reader == writer {
                    assert_eq!(got.map(|v| v.value), Ok("alice".to_owned()));
                } else {
                    assert_eq!(got, refused, "{p:?} {writer:?} read as {reader:?}");
                }
            }
        }
    }
}

#[test]
fn previous_keys_rotate_within_the_context() {
    let old = ring(K1, &[]).with_context("billing");
    let rotated = ring(K2, &[K1]).with_context("billing");
    for p in [Protection::Signed, Protection::Private] {
        let sealed = old.protect(p, "sid", "alice", AT).expect("sealed");
        let v = rotated.unprotect(p, "sid", &sealed, at(AT), None).unwrap();
        assert!(v.rotated, "{p:?}");
        assert!(matches!(
            ring(K2, &[K1]).unprotect(p, "sid", &sealed, at(AT), None),
            Err(VerifyError::Tampered(_))
        ));
    }
}

#[test]
fn the_context_shows_in_debug_and_the_key_never_does() {
    let r = ring(K1, &[K2]).with_context("billing");
    assert_eq!(r.context(), "billing");
    let debug = format!("{r:?}");
    assert_eq!(
        debug,
        "KeyRing { previous: 1, context: \"billing\", ephemeral: false, .. }"
    );
    let ephemeral = KeyRing::ephemeral().unwrap().with_context("billing");
    assert!(ephemeral.is_ephemeral() && ephemeral.weaknesses().is_empty());
    // Weaknesses are of the keys, whatever the context.
    let weak = ring(&b64(&[0; 32]), &[]).with_context("billing");
    assert_eq!(weak.weaknesses().len(), 1);
    assert!(!weak.weaknesses()[0].to_string().contains("billing"));
}

/// `base64url` with its last character's unused low bits set: the same
/// bytes to a decoder that ignores them.
fn with_trailing_bits(base64url: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (head, last) = base64url.split_at(base64url.len() - 1);
    let at = ALPHABET.iter().position(|&c| c == last.as_bytes()[0]);
    let respelled = head.to_owned() + &char::from(ALPHABET[at.unwrap() | 1]).to_string();
    let lenient = GeneralPurpose::new(
        &alphabet::URL_SAFE,
        base64::engine::general_purpose::NO_PAD.with_decode_allow_trailing_bits(true),
    );
    assert_eq!(
        lenient.decode(&respelled).unwrap(),
        BASE64URL.decode(base64url).unwrap(),
        "{respelled} is another spelling of {base64url}"
    );
    respelled
}

#[test]
fn a_signed_value_verifies_only_as_written() {
    let r = ring(K1, &[]);
    let read = |wire: &str| r.unprotect(Protection::Signed, "sid", wire, at(AT), None);
    let malformed = Err(VerifyError::Tampered("the signature is malformed"));
    let no_match = Err(VerifyError::Tampered("the signature does not match"));
    let (signed, tag) = SIGNED_UNDER_K1.rsplit_once('.').unwrap();
    assert!(tag.contains('_'), "{tag}");
    for (respelled, want) in [
        // The tag: padded, standard alphabet, unused bits set, quoted.
        (format!("{SIGNED_UNDER_K1}="), &malformed),
        (format!("{signed}.{}", tag.replace('_', "/")), &malformed),
        (format!("{signed}.{}", with_trailing_bits(tag)), &malformed),
        (format!("\"{SIGNED_UNDER_K1}\""), &malformed),
        (format!(" {SIGNED_UNDER_K1} "), &malformed),
        // The issue time: past u64, empty, spaced.
        (
            format!("alice.in.wonderland.18446744073709551616.{tag}"),
            &malformed,
        ),
        (format!("alice.in.wonderland..{tag}"), &malformed),
        (format!("alice.in.wonderland. 1700000000.{tag}"), &malformed),
        // The dots: one more, one fewer, or moved, and the MAC sees it.
        (format!("alice.in.wonderland..1700000000.{tag}"), &no_match),
        (format!("alice.inwonderland.1700000000.{tag}"), &no_match),
        (format!("alice.in.wonderland1700000000.{tag}"), &malformed),
        (format!("{SIGNED_UNDER_K1}."), &malformed),
    ] {
        assert_eq!(&read(&respelled), want, "{respelled}");
    }
    assert_eq!(
        read(SIGNED_UNDER_K1).map(|v| v.value),
        Ok("alice.in.wonderland".to_owned())
    );
}

#[test]
fn a_private_value_opens_only_as_written() {
    let r = ring(K1, &[]);
    let read = |wire: &str| r.unprotect(Protection::Private, "sid", wire, at(AT), None);
    let not_ours = Err(VerifyError::Tampered(
        "the value is not encrypted by this server",
    ));
    // A nonce of 0xff bytes writes `_` in base64url, `/` in standard base64.
    let plain = [&AT.to_be_bytes()[..], b"alice"].concat();
    let aad = [PRIVATE_CONTEXT, b"sid"].concat();
    let nonce = [0xff; NONCE_BYTES];
    let payload = Payload {
        msg: &plain,
        aad: &aad,
    };
    let sealed = r.current.enc.encrypt((&nonce).into(), payload).unwrap();
    let wire = BASE64URL.encode([&nonce[..], &sealed].concat());
    assert!(wire.starts_with("________________"), "{wire}");
    assert_eq!(read(&wire).map(|v| v.value), Ok("alice".to_owned()));
    for respelled in [
        format!("{wire}="),
        format!("{PRIVATE_UNDER_K1}=="),
        wire.replace('_', "/"),
        with_trailing_bits(&wire),
        with_trailing_bits(PRIVATE_UNDER_K1),
        format!("\"{PRIVATE_UNDER_K1}\""),
        format!("{PRIVATE_UNDER_K1}."),
    ] {
        assert_eq!(read(&respelled), not_ours, "{respelled}");
    }
}

#[test]
fn no_error_and_no_debug_output_holds_key_material() {
    let zeros = b64(&[0; 32]);
    let text = b64(b"correct horse battery staple, and then some more");
    let few = b64(&[1, 2, 3, 4].repeat(8));
    let short = "c2hvcnQ=";
    let not_base64 = "s3cr3t!passw0rd!s3cr3t";
    let keys = [K1, K2, &zeros, &text, &few, short, not_base64];
    let mut outputs = Vec::new();
    let refused: [(&str, Vec<&str>); 5] = [
        (short, vec![]),
        (not_base64, vec![]),
        (K1, vec![short]),
        (K1, vec![K2, K1]),
        (&zeros, vec![&text, &few, &zeros]),
    ];
    for (current, previous) in refused {
        let e = KeyRing::from_base64(current, &previous).unwrap_err();
        outputs.push(format!("{e} {e:?}"));
    }
    let weak = ring(&zeros, &[&text, &few, K1, K2]).with_context("billing");
    assert_eq!(weak.weaknesses().len(), 4);
    for e in weak.weaknesses() {
        outputs.push(format!("{e} {e:?}"));
    }
    outputs.push(format!("{weak:?}"));
    for output in &outputs {
        // No eight characters of any key's text, nor a word of a
        // passphrase's.
        for key in keys {
            for window in key.as_bytes().windows(8) {
                let window = std::str::from_utf8(window).unwrap();
                assert!(!output.contains(window), "{window} in {output}");
            }
        }
        assert!(!output.contains("horse"), "{output}");
    }
}

#[test]
fn a_key_file_reads_as_the_same_ring_as_the_keys_given_inline() {
    let file = KeyRing::from_key_file_contents(&format!(
        "# rotated: the new key first\n\n  {K2}\r\n# retired\n{K1}\n"
    ))
    .unwrap();
    let inline = ring(K2, &[K1]);
    let t = unix_seconds(now());
    let sealed = inline
        .protect(Protection::Signed, "sid", "alice", t)
        .unwrap();
    let opened = file.unprotect(Protection::Signed, "sid", &sealed, now(), None);
    assert_eq!(opened.map(|v| v.rotated), Ok(false));
    let under_k1 = ring(K1, &[])
        .protect(Protection::Signed, "sid", "alice", t)
        .unwrap();
    let opened = file.unprotect(Protection::Signed, "sid", &under_k1, now(), None);
    assert_eq!(opened.map(|v| v.rotated), Ok(true), "K1 only verifies");
    assert_eq!(file.previous_count(), 1);
}

#[test]
fn a_key_file_names_each_key_by_its_line() {
    let problem = |contents: &str| {
        let e = KeyRing::from_key_file_contents(contents).unwrap_err();
        (e.which().to_owned(), e.problem().to_owned())
    };
    assert_eq!(
        problem(&format!("{K1}\n# a comment\n{K1}\n")),
        (
            "line 3".to_owned(),
            "is the same key as line 1; list each key once".to_owned()
        )
    );
    // A `#` after a key is not a comment: the line is not base64.
    assert_eq!(
        problem(&format!("{K1} # current\n")),
        ("line 1".to_owned(), "is not base64".to_owned())
    );
    assert_eq!(
        problem("\n# none\n"),
        (
            "file".to_owned(),
            "holds no key; write one base64 key a line, the current one first".to_owned()
        )
    );
    let zeros = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let weak = KeyRing::from_key_file_contents(&format!("{K1}\n{zeros}\n")).unwrap();
    let named: Vec<&str> = weak.weaknesses().iter().map(KeyError::which).collect();
    assert_eq!(named, ["line 2"]);
}
