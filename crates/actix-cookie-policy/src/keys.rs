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
//!   Unlike the `cookie` crate's signed jar, the MAC covers the name (a value
//!   signed for one cookie does not verify as another) and the issue time (an
//!   old value expires even if a client keeps it). The tag is compared in
//!   constant time (`Mac::verify_slice`).
//! - **private**: base64url(nonce ‖ AES-256-GCM(k_enc, nonce, issued-at ‖ value,
//!   aad = "cookie-policy/private/v1" ‖ name)).
//!
//! An issue time is accepted up to [`MAX_CLOCK_SKEW_SECONDS`] ahead of the
//! reader's clock, never further, so that no value lives past its lifetime
//! by more than that.
//!
//! Each configured key (at least 32 random bytes) is expanded with HKDF into
//! one signing and one encryption key, so the two never share key material;
//! an application context, when set, is part of that expansion, so that
//! applications sharing keys do not accept each other's cookies.

use std::time::{SystemTime, UNIX_EPOCH};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::alphabet;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Protection;

/// How many seconds after `now` a protected value's issue time may be and
/// still verify: the difference between the clocks of two instances that
/// share keys, which NTP keeps far below a second, with room for a host
/// whose clock has drifted. It is also the most a value can outlive its
/// lifetime, so it stays small: one minute, the leeway token libraries
/// commonly give. A later issue time was not written by a server with a
/// sane clock, and without this bound an issue time of `u64::MAX` would
/// never expire.
pub const MAX_CLOCK_SKEW_SECONDS: u64 = 60;

/// The fewest bytes a key may have.
const MIN_KEY_BYTES: usize = 32;
/// Fewer distinct byte values than this mark a key as not random: 32
/// random bytes have about 30, and fewer than 16 with a probability of
/// about 3 × 10⁻¹⁷ (longer keys, less still).
const MIN_DISTINCT_BYTES: usize = 16;
/// What a weak key's problem says to do instead.
const USE_RANDOM_BYTES: &str = "use 32 random bytes, base64-encoded";
const SIGNED_CONTEXT: &[u8] = b"cookie-policy/signed/v1";
const PRIVATE_CONTEXT: &[u8] = b"cookie-policy/private/v1";
const NONCE_BYTES: usize = 12;

/// base64url without padding, as protected values are written, read with
/// one spelling for each byte string: no `=`, no `+` or `/` of the standard
/// alphabet, and the unused low bits of the last character zero (a decoder
/// that ignores them reads up to 16 spellings of the same bytes). The
/// crate's `URL_SAFE_NO_PAD` is this; it is spelled out here so that the
/// rule does not rest on a default.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// A key that cannot be used, or that [`KeyRing::weaknesses`] reports. The
/// message names the key (`current`, `previous[1]`) and never contains key
/// material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{which}: {problem}{advice}")]
pub struct KeyError {
    which: String,
    problem: String,
    /// How to make a key, for a problem that another key solves.
    advice: &'static str,
}

impl KeyError {
    fn new(which: &str, problem: impl Into<String>) -> Self {
        Self {
            which: which.to_owned(),
            problem: problem.into(),
            advice: "; make a key with KeyRing::generate_key",
        }
    }

    /// The same key listed twice: a new key is not the remedy.
    fn duplicate(which: &str, first: &str) -> Self {
        Self {
            advice: "",
            ..Self::new(
                which,
                format!("is the same key as {first}; list each key once"),
            )
        }
    }

    /// Which key: `current`, `previous[<i>]`, `line <n>` for a key of
    /// [`KeyRing::from_key_file_contents`] (`file` for a file without any),
    /// or `random` for the key of [`KeyRing::ephemeral`].
    pub fn which(&self) -> &str {
        &self.which
    }

    /// What is wrong with it, without the advice of the `Display` text.
    pub fn problem(&self) -> &str {
        &self.problem
    }

    /// Whether a new key is the remedy: not for a key listed twice.
    pub fn wants_a_new_key(&self) -> bool {
        !self.advice.is_empty()
    }
}

/// The name of the `i`th key of a ring, the current one first, as errors
/// give it.
fn key_name(i: usize) -> String {
    match i.checked_sub(1) {
        None => "current".to_owned(),
        Some(p) => format!("previous[{p}]"),
    }
}

/// The bytes of a base64 key (standard or URL-safe, padded or not) of at
/// least [`MIN_KEY_BYTES`].
fn decode_key(which: &str, text: &str) -> Result<Vec<u8>, KeyError> {
    let text = text.trim();
    let bytes = [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| KeyError::new(which, "is not base64"))?;
    if bytes.len() < MIN_KEY_BYTES {
        return Err(KeyError::new(
            which,
            format!(
                "is {} bytes; a key needs at least {MIN_KEY_BYTES} random bytes",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
}

/// Why the bytes of a key are obviously not random, if they are.
fn weakness(which: &str, key: &[u8]) -> Option<KeyError> {
    let mut seen = [false; 256];
    for &b in key {
        seen[usize::from(b)] = true;
    }
    let distinct = seen.iter().filter(|&&s| s).count();
    let problem = if distinct == 1 {
        format!("is one byte repeated, not random; {USE_RANDOM_BYTES}")
    } else if distinct < MIN_DISTINCT_BYTES {
        format!(
            "has {distinct} distinct byte values in {} bytes, where random bytes have about 30 in 32; {USE_RANDOM_BYTES}",
            key.len()
        )
    } else if key
        .iter()
        .all(|&b| b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        format!("decodes to text, such as a passphrase, not random bytes; {USE_RANDOM_BYTES}")
    } else {
        return None;
    };
    Some(KeyError::new(which, problem))
}

/// One key, expanded into a signing key and an encryption key.
#[derive(Clone)]
struct Key {
    /// HKDF's pseudorandom key, kept to expand the two keys again for
    /// another application context.
    hkdf: Hkdf<Sha256>,
    sign: Hmac<Sha256>,
    enc: Aes256Gcm,
}

impl Key {
    /// `master`, at least [`MIN_KEY_BYTES`] long, expanded with HKDF for no
    /// application context.
    fn new(master: &[u8]) -> Self {
        Self::expand(Hkdf::new(Some(b"cookie-policy"), master), "")
    }

    /// The signing and encryption keys of `hkdf` for `context`.
    fn expand(hkdf: Hkdf<Sha256>, context: &str) -> Self {
        let subkey = |label: &[u8]| {
            // info = label, or label ‖ 0x00 ‖ context: without a context,
            // exactly the keys a ring has always derived; with one, keys
            // that differ for every context (the label is fixed, so the
            // bytes after it name exactly one context).
            let info: &[&[u8]] = if context.is_empty() {
                &[label]
            } else {
                &[label, &[0], context.as_bytes()]
            };
            let mut key = [0u8; 32];
            // HKDF-SHA256 fails only for more than 8160 bytes.
            let expanded = hkdf.expand_multi_info(info, &mut key);
            expanded.expect("HKDF-SHA256 expands into 32 bytes");
            key
        };
        Self {
            sign: <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&subkey(b"signing"))
                .expect("HMAC takes a key of any length"),
            enc: Aes256Gcm::new((&subkey(b"encryption")).into()),
            hkdf,
        }
    }

    /// This key for another application context.
    fn in_context(&self, context: &str) -> Self {
        Self::expand(self.hkdf.clone(), context)
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
}

fn random_bytes<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| KeyError::new("random", format!("no randomness available: {e}")))?;
    Ok(bytes)
}

/// The keys of protected cookies: the current one protects and verifies;
/// previous ones only verify, so that cookies issued before a rotation still
/// read, and the layer re-issues them under the current key.
///
/// ```
/// use actix_cookie_policy::KeyRing;
///
/// let key = KeyRing::generate_key()?; // what `cookie-policy keygen` prints
/// let ring = KeyRing::from_base64(&key, &[])?;
/// assert!(!ring.is_ephemeral());
/// # Ok::<(), actix_cookie_policy::KeyError>(())
/// ```
#[derive(Clone)]
pub struct KeyRing {
    current: Key,
    previous: Vec<Key>,
    context: String,
    weaknesses: Vec<KeyError>,
    ephemeral: bool,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("KeyRing")
            .field("previous", &self.previous.len())
            .field("context", &self.context)
            .field("ephemeral", &self.ephemeral)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring from base64 keys (standard or URL-safe, padded or not) of at
    /// least 32 bytes: `current` protects, `previous` (newest first) only
    /// verify. The error names the key that cannot be used, or the second
    /// of a key listed twice (the same bytes, however spelled). A key that
    /// is not random enough is accepted, so that tests can use fixed keys:
    /// [`KeyRing::weaknesses`] reports it.
    pub fn from_base64(current: &str, previous: &[&str]) -> Result<Self, KeyError> {
        let keys: Vec<(String, &str)> = std::iter::once(current)
            .chain(previous.iter().copied())
            .enumerate()
            .map(|(i, text)| (key_name(i), text))
            .collect();
        Self::from_named(&keys)
    }

    /// A ring from the text of a key file, the way secret stores mount
    /// them (a Docker or Kubernetes secret): one base64 key a line, the
    /// first the current one and the rest previous ones, newest first.
    /// Blank lines and lines that start with `#` are ignored. The same
    /// checks as [`KeyRing::from_base64`]; errors and
    /// [`KeyRing::weaknesses`] name a key by its line (`line 3`), never by
    /// its value.
    ///
    /// ```
    /// use actix_cookie_policy::KeyRing;
    ///
    /// let (new, old) = (KeyRing::generate_key()?, KeyRing::generate_key()?);
    /// let ring = KeyRing::from_key_file_contents(&format!("# rotated in\n{new}\n{old}\n"))?;
    /// assert_eq!(ring.previous_count(), 1);
    /// let err = KeyRing::from_key_file_contents(&format!("{new}\n\nnot a key\n")).unwrap_err();
    /// assert_eq!(err.which(), "line 3");
    /// assert_eq!(err.problem(), "is not base64");
    /// # Ok::<(), actix_cookie_policy::KeyError>(())
    /// ```
    pub fn from_key_file_contents(contents: &str) -> Result<Self, KeyError> {
        let keys: Vec<(String, &str)> = (contents.lines().enumerate())
            .map(|(i, line)| (format!("line {}", i + 1), line.trim()))
            .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
            .collect();
        if keys.is_empty() {
            return Err(KeyError::new(
                "file",
                "holds no key; write one base64 key a line, the current one first",
            ));
        }
        Self::from_named(&keys)
    }

    /// A ring from `(name, base64)` pairs, the current key first; errors
    /// and weaknesses say each key's name.
    fn from_named(keys: &[(String, &str)]) -> Result<Self, KeyError> {
        let bytes = (keys.iter())
            .map(|(name, text)| decode_key(name, text))
            .collect::<Result<Vec<_>, _>>()?;
        for (later, key) in bytes.iter().enumerate() {
            if let Some(first) = bytes[..later].iter().position(|k| k == key) {
                return Err(KeyError::duplicate(&keys[later].0, &keys[first].0));
            }
        }
        let Some((current, previous)) = bytes.split_first() else {
            return Err(KeyError::new("current", "is missing"));
        };
        Ok(Self {
            weaknesses: (keys.iter().zip(&bytes))
                .filter_map(|((name, _), key)| weakness(name, key))
                .collect(),
            current: Key::new(current),
            previous: previous.iter().map(|key| Key::new(key)).collect(),
            context: String::new(),
            ephemeral: false,
        })
    }

    /// How many previous keys the ring holds: keys that only verify.
    pub fn previous_count(&self) -> usize {
        self.previous.len()
    }

    /// A ring with one random key that lives as long as the process, for
    /// development and tests: cookies it protects do not survive a restart,
    /// and two processes reject each other's. [`CookiePolicyLayer`] logs a
    /// warning when it applies a policy with such a ring.
    ///
    /// [`CookiePolicyLayer`]: crate::CookiePolicyLayer
    pub fn ephemeral() -> Result<Self, KeyError> {
        let key = random_bytes::<MIN_KEY_BYTES>()?;
        Ok(Self {
            current: Key::new(&key),
            previous: Vec::new(),
            context: String::new(),
            // A source of randomness that is broken shows here.
            weaknesses: weakness("random", &key).into_iter().collect(),
            ephemeral: true,
        })
    }

    /// This ring for one application among several that share its keys:
    /// `context` (a name such as `"billing"`, as Django's salt or Rails'
    /// purpose) is mixed into the derivation of each of its keys, so that a
    /// cookie one application protects is [`VerifyError::Tampered`] in
    /// another, even under the same name. The empty context, a ring's
    /// default, derives the keys a ring without a context always has, so
    /// cookies protected before a context was set keep verifying only
    /// while it stays empty: setting one logs everyone out once. The
    /// context is not secret, and replaces any context set before.
    ///
    /// ```
    /// use actix_cookie_policy::{KeyRing, Protection};
    ///
    /// let key = KeyRing::generate_key()?;
    /// let billing = KeyRing::from_base64(&key, &[])?.with_context("billing");
    /// let shop = KeyRing::from_base64(&key, &[])?.with_context("shop");
    /// let now = std::time::SystemTime::now();
    /// let issued = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    /// let sid = shop.protect(Protection::Signed, "sid", "alice", issued)?;
    /// assert!(shop.unprotect(Protection::Signed, "sid", &sid, now, None).is_ok());
    /// assert!(billing.unprotect(Protection::Signed, "sid", &sid, now, None).is_err());
    /// # Ok::<(), actix_cookie_policy::KeyError>(())
    /// ```
    pub fn with_context(self, context: &str) -> Self {
        Self {
            current: self.current.in_context(context),
            previous: self
                .previous
                .iter()
                .map(|k| k.in_context(context))
                .collect(),
            context: context.to_owned(),
            ..self
        }
    }

    /// The application context of [`KeyRing::with_context`]; empty unless
    /// one was set.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The keys of this ring that are obviously not random, each as a
    /// [`KeyError`] that names the key (as [`KeyRing::from_base64`]'s errors
    /// do) and says what is wrong; empty for a good ring. A server should
    /// refuse to run with any in production. A key is reported when its
    /// bytes are
    ///
    /// - one byte repeated (such as all zeros, `AAAA…` in base64);
    /// - fewer than 16 distinct byte values: 32 random bytes have about 30,
    ///   and fewer than 16 with a probability of about 3 × 10⁻¹⁷;
    /// - all text (printable ASCII, spaces, tabs, line breaks): a passphrase
    ///   encoded as base64, which has far less entropy than its length
    ///   suggests; 32 random bytes are all text with a probability of about
    ///   5 × 10⁻¹⁴.
    ///
    /// No check can prove a key random (a key copied from an example looks
    /// as random as any): these catch the keys that obviously are not.
    ///
    /// ```
    /// use actix_cookie_policy::KeyRing;
    ///
    /// let zeros = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    /// let ring = KeyRing::from_base64(zeros, &[])?;
    /// let weak: Vec<String> = ring.weaknesses().iter().map(|e| e.to_string()).collect();
    /// assert_eq!(
    ///     weak,
    ///     ["current: is one byte repeated, not random; use 32 random bytes, base64-encoded; make a key with KeyRing::generate_key"]
    /// );
    /// let good = KeyRing::from_base64(&KeyRing::generate_key()?, &[])?;
    /// assert!(good.weaknesses().is_empty());
    /// # Ok::<(), actix_cookie_policy::KeyError>(())
    /// ```
    pub fn weaknesses(&self) -> &[KeyError] {
        &self.weaknesses
    }

    /// A fresh random key, base64 encoded, for [`KeyRing::from_base64`]:
    /// what `cookie-policy keygen` prints.
    pub fn generate_key() -> Result<String, KeyError> {
        Ok(STANDARD.encode(random_bytes::<MIN_KEY_BYTES>()?))
    }

    /// Whether this ring is [`KeyRing::ephemeral`].
    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    /// Protects `value` for the cookie `name` (its name on the wire),
    /// issued at `issued_at` (Unix seconds). The layer does this for every
    /// protected cookie on the way out; call it to make such a value by hand.
    /// Fails only without randomness for a private value's nonce (a repeated
    /// nonce would break AES-GCM), never with a value that does not open.
    pub fn protect(
        &self,
        protection: Protection,
        name: &str,
        value: &str,
        issued_at: u64,
    ) -> Result<String, KeyError> {
        match protection {
            Protection::Signed => {
                let tag = self.current.tag(name, issued_at, value).finalize();
                let tag = BASE64URL.encode(tag.into_bytes());
                Ok(format!("{value}.{issued_at}.{tag}"))
            }
            Protection::Private => {
                let nonce = random_bytes::<NONCE_BYTES>()?;
                let plain = [&issued_at.to_be_bytes()[..], value.as_bytes()].concat();
                let aad = [PRIVATE_CONTEXT, name.as_bytes()].concat();
                let payload = Payload {
                    msg: &plain,
                    aad: &aad,
                };
                let sealed = self.current.enc.encrypt((&nonce).into(), payload);
                let sealed = sealed.map_err(|_| KeyError::new("current", "cannot encrypt"))?;
                Ok(BASE64URL.encode([&nonce[..], &sealed].concat()))
            }
        }
    }

    /// Verifies or decrypts the protected value of the cookie `name` (its
    /// name on the wire). `max_age`, when given, is the most seconds after
    /// its issue time that the value is good for at `now`. An issue time
    /// more than [`MAX_CLOCK_SKEW_SECONDS`] after `now` is refused as
    /// [`VerifyError::Tampered`], with or without `max_age`.
    pub fn unprotect(
        &self,
        protection: Protection,
        name: &str,
        protected: &str,
        now: SystemTime,
        max_age: Option<u32>,
    ) -> Result<Verified, VerifyError> {
        let keys = std::iter::once(&self.current).chain(&self.previous);
        let (value, issued_at, key_index) = match protection {
            Protection::Signed => {
                // The value may hold dots; the issue time (digits) and the
                // tag (base64url) cannot, so the last two dots split a
                // signed value one way only, and the MAC covers the value
                // whole.
                let mut parts = protected.rsplitn(3, '.');
                let (Some(tag), Some(issued), Some(value)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(VerifyError::Tampered("the signature is missing"));
                };
                let malformed = VerifyError::Tampered("the signature is malformed");
                let issued_at: u64 = issued.parse().map_err(|_| malformed)?;
                // One spelling per value: the digits `protect` writes (no
                // sign, no leading zero), so that no byte can change and
                // still verify.
                if issued != issued_at.to_string() {
                    return Err(malformed);
                }
                let tag = BASE64URL.decode(tag).map_err(|_| malformed)?;
                let index = keys
                    .enumerate()
                    .find(|(_, k)| k.tag(name, issued_at, value).verify_slice(&tag).is_ok())
                    .map(|(i, _)| i)
                    .ok_or(VerifyError::Tampered("the signature does not match"))?;
                (value.to_owned(), issued_at, index)
            }
            Protection::Private => {
                const NOT_OURS: VerifyError =
                    VerifyError::Tampered("the value is not encrypted by this server");
                let raw = BASE64URL.decode(protected).map_err(|_| NOT_OURS)?;
                let (nonce, sealed) = raw.split_at_checked(NONCE_BYTES).ok_or(NOT_OURS)?;
                let nonce: &[u8; NONCE_BYTES] = nonce.try_into().map_err(|_| NOT_OURS)?;
                let aad = [PRIVATE_CONTEXT, name.as_bytes()].concat();
                let (index, plain) = keys
                    .enumerate()
                    .find_map(|(i, k)| {
                        let payload = Payload {
                            msg: sealed,
                            aad: &aad,
                        };
                        Some((i, k.enc.decrypt(nonce.into(), payload).ok()?))
                    })
                    .ok_or(VerifyError::Tampered("the value does not decrypt"))?;
                let (issued, value) = plain.split_at_checked(8).ok_or(NOT_OURS)?;
                let issued_at = u64::from_be_bytes(issued.try_into().map_err(|_| NOT_OURS)?);
                let value = String::from_utf8(value.to_vec())
                    .map_err(|_| VerifyError::Tampered("the value is not text"))?;
                (value, issued_at, index)
            }
        };
        // Checked once the issue time is authentic: before, it is only text.
        let now = unix_seconds(now);
        if issued_at > now.saturating_add(MAX_CLOCK_SKEW_SECONDS) {
            return Err(VerifyError::Tampered("the issue time is in the future"));
        }
        if let Some(max_age) = max_age
            && now.saturating_sub(issued_at) > u64::from(max_age)
        {
            return Err(VerifyError::Expired);
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
pub enum VerifyError {
    /// Changed, stripped of its protection, taken from another cookie, or
    /// protected with a key no longer in the ring.
    #[error("tampered: {0}")]
    Tampered(&'static str),
    /// Older than the cookie's lifetime.
    #[error("expired")]
    Expired,
}

/// A protected cookie that verified with a previous key: the layer
/// re-issues it under the current key, with its original issue time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reissue {
    /// The cookie's name on the wire.
    pub name: String,
    /// The plain value.
    pub value: String,
    /// The original issue time, in Unix seconds.
    pub issued_at: u64,
}

/// Seconds since the Unix epoch (0 for a clock before it).
pub(crate) fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
pub(crate) mod tests;
