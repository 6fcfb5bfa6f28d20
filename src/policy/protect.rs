//! Protected cookies: signed (readable value, HMAC-SHA256 tag) or private
//! (AES-256-GCM), both bound to the cookie's name and carrying their issue
//! time, with a key ring for rotation.
//!
//! No primitive is hand-written: RustCrypto's `hmac`, `sha2`, `hkdf` and
//! `aes-gcm` do the cryptography; this module only fixes the formats.
//!
//! - **signed**: `<value>.<issued-at>.<tag>`, where `issued-at` is Unix
//!   seconds in decimal and `tag` is base64url of
//!   HMAC-SHA256(k_sign, "cookie-policy/signed/v1" ‖ len(name) ‖ name ‖ issued-at ‖ value).
//!   Unlike the `cookie` crate's signed jar, the MAC covers the name (so a
//!   value signed for one cookie does not verify as another) and the issue
//!   time (so an old value expires even if a client keeps it). It is
//!   compared in constant time (`Mac::verify_slice`).
//! - **private**: base64url(nonce ‖ AES-256-GCM(k_enc, nonce, issued-at ‖ value,
//!   aad = "cookie-policy/private/v1" ‖ name)).
//!
//! Each configured key (at least 32 random bytes) is expanded with HKDF into
//! one signing and one encryption key, so the two never share key material.

use std::time::{SystemTime, UNIX_EPOCH};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How a cookie's value is protected: `protection = "signed"` or `"private"`
/// in its override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protection {
    /// Readable value with an HMAC-SHA256 tag over name, issue time and value.
    Signed,
    /// Encrypted with AES-256-GCM; the name is associated data.
    Private,
}

/// The fewest bytes a key may have.
pub const MIN_KEY_BYTES: usize = 32;

const SIGNED_CONTEXT: &[u8] = b"cookie-policy/signed/v1";
const PRIVATE_CONTEXT: &[u8] = b"cookie-policy/private/v1";
const NONCE_BYTES: usize = 12;
const GCM_TAG_BYTES: usize = 16;

/// A key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not base64.
    #[error("is not base64; generate a key with `cookie-policy keygen`")]
    Malformed,
    /// Too short.
    #[error(
        "is {0} bytes; a key needs at least {MIN_KEY_BYTES} random bytes; generate one with `cookie-policy keygen`"
    )]
    TooShort(usize),
}

/// One key, expanded into a signing key and an encryption key.
#[derive(Clone)]
struct Key {
    sign: Hmac<Sha256>,
    enc: Aes256Gcm,
}

impl Key {
    fn from_bytes(master: &[u8]) -> Result<Self, KeyError> {
        if master.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort(master.len()));
        }
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"cookie-policy"), master);
        let mut sign = [0u8; 32];
        let mut enc = [0u8; 32];
        // Expanding 32 bytes from SHA-256 HKDF cannot fail (the limit is 8160).
        hk.expand(b"signing", &mut sign)
            .map_err(|_| KeyError::TooShort(0))?;
        hk.expand(b"encryption", &mut enc)
            .map_err(|_| KeyError::TooShort(0))?;
        Ok(Self {
            sign: <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&sign)
                .map_err(|_| KeyError::TooShort(0))?,
            enc: Aes256Gcm::new_from_slice(&enc).map_err(|_| KeyError::TooShort(0))?,
        })
    }

    fn tag(&self, name: &str, issued_at: u64, value: &str) -> Hmac<Sha256> {
        let mut mac = self.sign.clone();
        mac.update(SIGNED_CONTEXT);
        mac.update(&(name.len() as u64).to_be_bytes());
        mac.update(name.as_bytes());
        mac.update(&issued_at.to_be_bytes());
        mac.update(value.as_bytes());
        mac
    }

    /// The associated data of a private value: context ‖ name. On the
    /// stack for the usual short name; only a long one allocates.
    fn aad(name: &str) -> Aad {
        let len = PRIVATE_CONTEXT.len() + name.len();
        let mut short = [0u8; 64];
        match short.get_mut(..len) {
            Some(aad) => {
                let (context, rest) = aad.split_at_mut(PRIVATE_CONTEXT.len());
                context.copy_from_slice(PRIVATE_CONTEXT);
                rest.copy_from_slice(name.as_bytes());
                Aad::Short(short, len)
            }
            None => Aad::Long([PRIVATE_CONTEXT, name.as_bytes()].concat()),
        }
    }
}

/// See [`Key::aad`].
enum Aad {
    Short([u8; 64], usize),
    Long(Vec<u8>),
}

impl std::ops::Deref for Aad {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Short(bytes, len) => &bytes[..*len],
            Self::Long(bytes) => bytes,
        }
    }
}

/// The keys: the current one protects and verifies; previous ones only
/// verify, so that cookies issued before a rotation still read, and are
/// re-issued under the current key.
#[derive(Clone)]
pub struct KeyRing {
    current: Key,
    previous: Vec<Key>,
    ephemeral: bool,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("KeyRing")
            .field("previous", &self.previous.len())
            .field("ephemeral", &self.ephemeral)
            .finish_non_exhaustive()
    }
}

impl PartialEq for KeyRing {
    /// Key rings are never compared by content; two rings are equal only
    /// when both are ephemeral or both configured with as many old keys.
    fn eq(&self, other: &Self) -> bool {
        self.ephemeral == other.ephemeral && self.previous.len() == other.previous.len()
    }
}

/// Decodes a key from base64 (standard or URL-safe, padded or not).
pub fn decode_key(text: &str) -> Result<Vec<u8>, KeyError> {
    let text = text.trim();
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .map_err(|_| KeyError::Malformed)
}

/// A fresh random key, base64 encoded: what `cookie-policy keygen` prints.
pub fn generate_key() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; MIN_KEY_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(STANDARD.encode(bytes))
}

impl KeyRing {
    /// A ring from base64 keys: `current` protects, `previous` only verify.
    /// The error names the key that cannot be used (`current` or
    /// `previous[i]`).
    pub fn from_base64(current: &str, previous: &[String]) -> Result<Self, (String, KeyError)> {
        let key = |label: String, text: &str| {
            decode_key(text)
                .and_then(|b| Key::from_bytes(&b))
                .map_err(|e| (label, e))
        };
        Ok(Self {
            current: key("current".to_owned(), current)?,
            previous: previous
                .iter()
                .enumerate()
                .map(|(i, p)| key(format!("previous[{i}]"), p))
                .collect::<Result<_, _>>()?,
            ephemeral: false,
        })
    }

    /// A ring with one random key that lives as long as the process: for
    /// development and tests. Cookies it protects do not survive a restart.
    pub fn ephemeral() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; MIN_KEY_BYTES];
        getrandom::fill(&mut bytes)?;
        let current = Key::from_bytes(&bytes).map_err(|_| getrandom::Error::UNSUPPORTED)?;
        Ok(Self {
            current,
            previous: Vec::new(),
            ephemeral: true,
        })
    }

    /// Whether this ring was made up at start-up rather than configured.
    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    /// Protects `value` for the cookie `name`, issued at `issued_at` (Unix seconds).
    pub fn protect(
        &self,
        protection: Protection,
        name: &str,
        value: &str,
        issued_at: u64,
    ) -> String {
        match protection {
            Protection::Signed => {
                let tag = self
                    .current
                    .tag(name, issued_at, value)
                    .finalize()
                    .into_bytes();
                format!("{value}.{issued_at}.{}", URL_SAFE_NO_PAD.encode(tag))
            }
            Protection::Private => {
                let mut nonce = [0u8; NONCE_BYTES];
                if getrandom::fill(&mut nonce).is_err() {
                    // Without randomness a nonce could repeat, which breaks GCM:
                    // fail closed with a value that never decrypts.
                    return String::new();
                }
                // One buffer, nonce ‖ issued-at ‖ value ‖ tag, sealed in
                // place: the wire form with no intermediate copies.
                let mut out = Vec::with_capacity(NONCE_BYTES + 8 + value.len() + GCM_TAG_BYTES);
                out.extend_from_slice(&nonce);
                out.extend_from_slice(&issued_at.to_be_bytes());
                out.extend_from_slice(value.as_bytes());
                let Ok(tag) = self.current.enc.encrypt_inout_detached(
                    (&nonce).into(),
                    &Key::aad(name),
                    (&mut out[NONCE_BYTES..]).into(),
                ) else {
                    return String::new();
                };
                out.extend_from_slice(&tag);
                URL_SAFE_NO_PAD.encode(out)
            }
        }
    }

    /// Verifies or decrypts a protected value of the cookie `name`.
    ///
    /// `max_age`, when given, is the most seconds since the issue time the
    /// value is good for.
    pub fn unprotect(
        &self,
        protection: Protection,
        name: &str,
        protected: &str,
        now: SystemTime,
        max_age: Option<u32>,
    ) -> Result<Verified, Failure> {
        let keys = std::iter::once(&self.current).chain(&self.previous);
        let (value, issued_at, key_index) = match protection {
            Protection::Signed => {
                let mut parts = protected.rsplitn(3, '.');
                let (Some(tag), Some(issued), Some(value)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(Failure::Tampered("the signature is missing"));
                };
                let issued_at: u64 = issued
                    .parse()
                    .map_err(|_| Failure::Tampered("the signature is malformed"))?;
                // An HMAC-SHA256 tag is 32 bytes: decoded on the stack, and
                // anything longer than the buffer is malformed anyway.
                let mut tag_bytes = [0u8; 48];
                let len = URL_SAFE_NO_PAD
                    .decode_slice(tag, &mut tag_bytes)
                    .map_err(|_| Failure::Tampered("the signature is malformed"))?;
                let tag = &tag_bytes[..len];
                let index = keys
                    .enumerate()
                    .find(|(_, k)| k.tag(name, issued_at, value).verify_slice(tag).is_ok())
                    .map(|(i, _)| i)
                    .ok_or(Failure::Tampered("the signature does not match"))?;
                (value.to_owned(), issued_at, index)
            }
            Protection::Private => {
                const NOT_OURS: Failure =
                    Failure::Tampered("the value is not encrypted by this server");
                // Decoded once, opened in place, and the same buffer becomes
                // the plain value: one allocation in all.
                let mut raw = URL_SAFE_NO_PAD.decode(protected).map_err(|_| NOT_OURS)?;
                let Some(sealed_len) = raw
                    .len()
                    .checked_sub(NONCE_BYTES + GCM_TAG_BYTES)
                    .filter(|&n| n >= 8)
                else {
                    return Err(NOT_OURS);
                };
                let (nonce, rest) = raw.split_at_mut(NONCE_BYTES);
                let (sealed, tag) = rest.split_at_mut(sealed_len);
                // Both lengths are fixed by the split above.
                let (Ok(nonce), Ok(tag)) = ((&*nonce).try_into(), (&*tag).try_into()) else {
                    return Err(NOT_OURS);
                };
                let aad = Key::aad(name);
                // After a key fails, the next one must see the ciphertext as
                // it came. aes-gcm checks the tag before it decrypts, so the
                // buffer is untouched, but the AEAD contract does not promise
                // that: with previous keys, a copy restores it.
                let pristine = (!self.previous.is_empty()).then(|| sealed.to_vec());
                let index = keys
                    .enumerate()
                    .find(|(i, k)| {
                        if let (true, Some(pristine)) = (*i > 0, &pristine) {
                            sealed.copy_from_slice(pristine);
                        }
                        k.enc
                            .decrypt_inout_detached(nonce, &aad, (&mut *sealed).into(), tag)
                            .is_ok()
                    })
                    .map(|(i, _)| i)
                    .ok_or(Failure::Tampered("the value does not decrypt"))?;
                let issued = &sealed[..8];
                let issued_at = u64::from_be_bytes(issued.try_into().map_err(|_| NOT_OURS)?);
                raw.truncate(NONCE_BYTES + sealed_len);
                raw.drain(..NONCE_BYTES + 8);
                let value = String::from_utf8(raw)
                    .map_err(|_| Failure::Tampered("the value is not text"))?;
                (value, issued_at, index)
            }
        };
        if let Some(max_age) = max_age {
            let now = unix_seconds(now);
            if now.saturating_sub(issued_at) > u64::from(max_age) {
                return Err(Failure::Expired);
            }
        }
        Ok(Verified {
            value,
            issued_at,
            rotated: key_index > 0,
        })
    }
}

/// A protected value that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The plain value.
    pub value: String,
    /// When it was issued, in Unix seconds.
    pub issued_at: u64,
    /// It verified with a previous key, so it should be re-issued.
    pub rotated: bool,
}

/// Why a protected value did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// Changed, stripped of its protection, taken from another cookie, or
    /// protected with a key no longer in the ring.
    #[error("tampered: {0}")]
    Tampered(&'static str),
    /// Older than the cookie's max_age.
    #[error("expired")]
    Expired,
}

/// Seconds since the Unix epoch (0 for a clock before it).
pub fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Duration;

    /// Two fixed keys for tests, here and in the inbound module's.
    pub(crate) const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    pub(crate) const K2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    /// A ring of `current` with `previous` keys, from base64.
    pub(crate) fn ring(current: &str, previous: &[&str]) -> KeyRing {
        let previous: Vec<String> = previous.iter().map(|s| (*s).to_owned()).collect();
        KeyRing::from_base64(current, &previous).unwrap()
    }

    fn now() -> SystemTime {
        SystemTime::now()
    }

    #[test]
    fn both_protections_round_trip() {
        let r = ring(K1, &[]);
        let t = unix_seconds(now());
        for p in [Protection::Signed, Protection::Private] {
            let sealed = r.protect(p, "sid", "alice", t);
            let v = r.unprotect(p, "sid", &sealed, now(), Some(60)).unwrap();
            assert_eq!(
                (v.value.as_str(), v.issued_at, v.rotated),
                ("alice", t, false)
            );
            assert!(
                crate::policy::grammar::check_value(sealed.as_bytes()).is_ok(),
                "{sealed}"
            );
        }
    }

    #[test]
    fn private_values_keep_their_wire_form() {
        // base64url(nonce ‖ AES-256-GCM(issued-at ‖ value) ‖ tag), aad =
        // context ‖ name, as the one-shot `Aead` API writes and reads it:
        // cookies sealed before the in-place code still open, and after it.
        use aes_gcm::aead::{Aead, Payload};
        let r = ring(K1, &[]);
        let t = unix_seconds(now());
        let aad = [PRIVATE_CONTEXT, b"sid"].concat();
        let nonce = [7u8; NONCE_BYTES];
        let plain = [&t.to_be_bytes()[..], b"alice"].concat();
        let sealed = r
            .current
            .enc
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .unwrap();
        let wire = URL_SAFE_NO_PAD.encode([&nonce[..], &sealed].concat());
        let v = r
            .unprotect(Protection::Private, "sid", &wire, now(), Some(60))
            .unwrap();
        assert_eq!((v.value.as_str(), v.issued_at), ("alice", t));

        let ours = URL_SAFE_NO_PAD
            .decode(r.protect(Protection::Private, "sid", "alice", t))
            .unwrap();
        let (nonce, sealed) = ours.split_at(NONCE_BYTES);
        let opened = r
            .current
            .enc
            .decrypt(
                nonce.try_into().unwrap(),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(opened, plain);
        // Too short to hold a nonce, an issue time and a tag.
        let short = URL_SAFE_NO_PAD.encode([0u8; NONCE_BYTES + 7 + GCM_TAG_BYTES]);
        assert_eq!(
            r.unprotect(Protection::Private, "sid", &short, now(), None),
            Err(Failure::Tampered(
                "the value is not encrypted by this server"
            ))
        );
    }

    #[test]
    fn names_of_any_length_bind_the_value() {
        // Short names build the associated data on the stack, long ones on
        // the heap: both must bind the value to exactly that name.
        let r = ring(K1, &[]);
        let t = unix_seconds(now());
        for len in [1, 39, 40, 41, 200] {
            let name = "n".repeat(len);
            let sealed = r.protect(Protection::Private, &name, "alice", t);
            let v = r.unprotect(Protection::Private, &name, &sealed, now(), None);
            assert_eq!(v.map(|v| v.value), Ok("alice".to_owned()), "{len}");
            let other = format!("{name}x");
            assert!(
                r.unprotect(Protection::Private, &other, &sealed, now(), None)
                    .is_err(),
                "{len}"
            );
        }
    }

    #[test]
    fn signed_values_stay_readable() {
        let sealed = ring(K1, &[]).protect(Protection::Signed, "theme", "dark.mode", 1_700_000_000);
        assert!(sealed.starts_with("dark.mode.1700000000."), "{sealed}");
    }

    #[test]
    fn a_change_at_any_byte_is_tampering() {
        let r = ring(K1, &[]);
        let t = unix_seconds(now());
        for p in [Protection::Signed, Protection::Private] {
            let sealed = r.protect(p, "sid", "alice", t);
            for i in 0..sealed.len() {
                let mut bytes = sealed.clone().into_bytes();
                bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
                let changed = String::from_utf8(bytes).unwrap();
                if changed == sealed {
                    continue;
                }
                assert!(
                    matches!(
                        r.unprotect(p, "sid", &changed, now(), None),
                        Err(Failure::Tampered(_))
                    ),
                    "{p:?} byte {i}: {changed}"
                );
            }
        }
    }

    #[test]
    fn a_value_from_another_cookie_does_not_verify() {
        let r = ring(K1, &[]);
        for p in [Protection::Signed, Protection::Private] {
            let sealed = r.protect(p, "role", "admin", unix_seconds(now()));
            assert!(matches!(
                r.unprotect(p, "sid", &sealed, now(), None),
                Err(Failure::Tampered(_))
            ));
        }
    }

    #[test]
    fn a_stripped_signature_is_tampering() {
        let r = ring(K1, &[]);
        let sealed = r.protect(Protection::Signed, "sid", "alice", 123);
        let (_, tag) = sealed.rsplit_once('.').unwrap();
        // The right tag cut short, or followed by more base64 (longer than
        // any tag, so over the decode buffer).
        let cut = format!("alice.123.{}", &tag[..tag.len() - 2]);
        let long = format!("{sealed}{}", "A".repeat(40));
        for stripped in ["alice", "alice.123", "alice.123.", "", "a.b.c", &cut, &long] {
            assert!(
                matches!(
                    r.unprotect(Protection::Signed, "sid", stripped, now(), None),
                    Err(Failure::Tampered(_))
                ),
                "{stripped}"
            );
            assert!(
                matches!(
                    r.unprotect(Protection::Private, "sid", stripped, now(), None),
                    Err(Failure::Tampered(_))
                ),
                "{stripped}"
            );
        }
    }

    #[test]
    fn an_old_value_expires_even_with_a_valid_tag() {
        let r = ring(K1, &[]);
        let issued = unix_seconds(now()) - 120;
        for p in [Protection::Signed, Protection::Private] {
            let sealed = r.protect(p, "sid", "alice", issued);
            assert_eq!(
                r.unprotect(p, "sid", &sealed, now(), Some(60)),
                Err(Failure::Expired)
            );
            assert!(r.unprotect(p, "sid", &sealed, now(), Some(3600)).is_ok());
            assert!(
                r.unprotect(
                    p,
                    "sid",
                    &sealed,
                    now() + Duration::from_secs(3600),
                    Some(3600)
                )
                .is_err()
            );
        }
    }

    #[test]
    fn a_previous_key_verifies_and_asks_for_rotation_and_a_retired_key_does_not() {
        let old = ring(K1, &[]);
        let rotated = ring(K2, &[K1]);
        let retired = ring(K2, &[]);
        for p in [Protection::Signed, Protection::Private] {
            let sealed = old.protect(p, "sid", "alice", unix_seconds(now()));
            let v = rotated.unprotect(p, "sid", &sealed, now(), None).unwrap();
            assert!(v.rotated);
            assert!(matches!(
                retired.unprotect(p, "sid", &sealed, now(), None),
                Err(Failure::Tampered(_))
            ));
        }
    }

    #[test]
    fn keys_must_be_base64_of_at_least_32_bytes() {
        assert_eq!(
            KeyRing::from_base64("not base64!", &[]).unwrap_err(),
            ("current".to_owned(), KeyError::Malformed)
        );
        assert_eq!(
            KeyRing::from_base64("c2hvcnQ=", &[]).unwrap_err(),
            ("current".to_owned(), KeyError::TooShort(5))
        );
        assert_eq!(
            KeyRing::from_base64(K1, &["AAAA".to_owned()]).unwrap_err(),
            ("previous[0]".to_owned(), KeyError::TooShort(3))
        );
        let url_safe = K1
            .replace('+', "-")
            .replace('/', "_")
            .trim_end_matches('=')
            .to_owned();
        assert!(KeyRing::from_base64(&url_safe, &[]).is_ok());
        let generated = generate_key().unwrap();
        assert_eq!(decode_key(&generated).unwrap().len(), 32);
        assert!(KeyRing::from_base64(&generated, &[]).is_ok());
    }
}
