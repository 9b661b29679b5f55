//! Encryption at rest of the upstream Podio secrets and tokens the auth
//! service keeps (client secrets, access and refresh tokens), so a database
//! dump or backup yields no usable Podio credential without the keys.
//!
//! The keys come from [`ENCRYPTION_KEYS_VAR`], a comma-separated list of
//! `id:base64key` entries (32 random bytes each, standard or url-safe base64).
//! The first key is the current one: every new ciphertext uses it. Every
//! ciphertext names its key, so after an operator prepends a new key the old
//! ones still decrypt; they can be dropped once every row has been rewritten
//! (see [`Keyring::needs_rewrap`]). That is rotation without downtime.
//!
//! Ciphertext format, version 1 (all of it is authenticated):
//!
//! ```text
//! 0x01 | key id length (1 byte) | key id (1–16 bytes) | nonce (12 bytes) | AES-256-GCM ciphertext and 16-byte tag
//! ```
//!
//! The caller's associated data (`aad`, e.g. the row id and column name) is
//! authenticated too but not stored: it binds a ciphertext to its row, so one
//! cannot be copied into another row or column and still decrypt.

use std::fmt;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead as _, KeyInit as _, Nonce, Payload};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use portico_runtime::secret::Secret;

/// The configuration variable holding the encryption keys.
pub const ENCRYPTION_KEYS_VAR: &str = "PORTICO_ENCRYPTION_KEYS";
/// The longest key id; ids are short because every ciphertext carries one.
pub const MAX_KEY_ID_LEN: usize = 16;

/// The format version this module writes (and the only one it reads).
const FORMAT_VERSION: u8 = 1;
/// AES-256 keys are 32 bytes.
const KEY_LEN: usize = 32;
/// GCM's standard 96-bit nonce. Random nonces are safe for far more messages
/// under one key than Portico will write (the bound is about 2^32), and
/// rotation resets the count anyway.
const NONCE_LEN: usize = 12;
/// GCM's authentication tag.
const TAG_LEN: usize = 16;
/// The key id of [`Keyring::generate`].
const GENERATED_KEY_ID: &str = "dev";

/// Why [`ENCRYPTION_KEYS_VAR`] could not be parsed. Entries are numbered from
/// 1; no message ever contains key material, only valid key ids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// No entry at all.
    #[error(
        "{ENCRYPTION_KEYS_VAR} is empty: give at least one `id:base64key` entry (32 random bytes in base64)"
    )]
    Empty,
    /// An entry between two commas is blank.
    #[error("{ENCRYPTION_KEYS_VAR} entry {entry} is empty")]
    EmptyEntry {
        /// The entry's position, from 1.
        entry: usize,
    },
    /// An entry has no `:` separating the id from the key.
    #[error("{ENCRYPTION_KEYS_VAR} entry {entry} has no key id: write it as `id:base64key`")]
    MissingId {
        /// The entry's position, from 1.
        entry: usize,
    },
    /// The id is empty, too long or uses other characters. Not echoed, in case
    /// the entry was written the wrong way round (key first).
    #[error(
        "{ENCRYPTION_KEYS_VAR} entry {entry} has an invalid key id: use 1 to {MAX_KEY_ID_LEN} characters of A-Z, a-z, 0-9, `_` or `-`"
    )]
    BadId {
        /// The entry's position, from 1.
        entry: usize,
    },
    /// The key is not base64 (standard or url-safe, padded or not).
    #[error(
        "{ENCRYPTION_KEYS_VAR} entry {entry}: key `{id}` is not valid base64 (standard or url-safe)"
    )]
    BadBase64 {
        /// The entry's position, from 1.
        entry: usize,
        /// The entry's key id.
        id: String,
    },
    /// The key decodes to something other than 32 bytes.
    #[error(
        "{ENCRYPTION_KEYS_VAR} entry {entry}: key `{id}` is {len} bytes, but AES-256 needs exactly 32"
    )]
    WrongLength {
        /// The entry's position, from 1.
        entry: usize,
        /// The entry's key id.
        id: String,
        /// How many bytes the key decoded to.
        len: usize,
    },
    /// Two entries share an id, so a ciphertext could not name its key.
    #[error(
        "{ENCRYPTION_KEYS_VAR} entry {entry}: key id `{id}` is already used by an earlier entry"
    )]
    DuplicateId {
        /// The position of the second entry with this id, from 1.
        entry: usize,
        /// The repeated key id.
        id: String,
    },
}

/// Why an encryption or decryption failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Randomness(String),
    /// The plaintext or associated data exceeds AES-GCM's limits.
    #[error("plaintext is too long to encrypt")]
    TooLong,
    /// The bytes are not a ciphertext of this module (truncated or garbage).
    #[error("ciphertext is malformed: {0}")]
    Malformed(&'static str),
    /// The ciphertext uses a format this version does not know.
    #[error("ciphertext has unknown format version {0}")]
    UnsupportedVersion(u8),
    /// The key the ciphertext names is not in the keyring: it was removed
    /// before every row under it had been rewritten.
    #[error("ciphertext was encrypted with key `{key_id}`, which is not in {ENCRYPTION_KEYS_VAR}")]
    UnknownKey {
        /// The key id the ciphertext names.
        key_id: String,
    },
    /// Authentication failed: the bytes were altered, the associated data is
    /// not the one used to encrypt (another row or column), or a key with the
    /// same id holds different bytes.
    #[error(
        "ciphertext under key `{key_id}` failed authentication: it was altered or belongs to another record"
    )]
    Inauthentic {
        /// The key id the ciphertext names.
        key_id: String,
    },
    /// A ciphertext made by [`Keyring::encrypt_str`] should hold UTF-8.
    #[error("decrypted secret is not valid utf-8")]
    NotUtf8,
}

/// One named key.
#[derive(Clone)]
struct Key {
    id: String,
    cipher: Aes256Gcm,
}

/// The encryption keys, current one first. `Debug` shows the key ids only.
#[derive(Clone)]
pub struct Keyring {
    // Split so that "there is a current key" holds by construction.
    current: Key,
    older: Vec<Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("key_ids", &self.key_ids())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Parses the value of [`ENCRYPTION_KEYS_VAR`]: comma-separated
    /// `id:base64key` entries, current key first. Spaces around entries are
    /// ignored.
    pub fn parse(value: &str) -> Result<Keyring, KeyringError> {
        if value.trim().is_empty() {
            return Err(KeyringError::Empty);
        }
        let mut keys: Vec<Key> = Vec::new();
        for (index, raw) in value.split(',').enumerate() {
            let entry = index + 1;
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(KeyringError::EmptyEntry { entry });
            }
            let (id, encoded) = raw
                .split_once(':')
                .ok_or(KeyringError::MissingId { entry })?;
            let id = id.trim();
            if !valid_key_id(id) {
                return Err(KeyringError::BadId { entry });
            }
            let id = id.to_owned();
            if keys.iter().any(|k| k.id == id) {
                return Err(KeyringError::DuplicateId { entry, id });
            }
            let bytes = decode_key(encoded.trim()).ok_or_else(|| KeyringError::BadBase64 {
                entry,
                id: id.clone(),
            })?;
            let cipher =
                Aes256Gcm::new_from_slice(&bytes).map_err(|_| KeyringError::WrongLength {
                    entry,
                    id: id.clone(),
                    len: bytes.len(),
                })?;
            keys.push(Key { id, cipher });
        }
        let mut keys = keys.into_iter();
        let current = keys.next().ok_or(KeyringError::Empty)?;
        Ok(Keyring {
            current,
            older: keys.collect(),
        })
    }

    /// A keyring of one fresh random key (id `dev`), for `portico dev`, where
    /// nothing outlives the process.
    pub fn generate() -> Result<Keyring, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        OsRng
            .try_fill_bytes(bytes.as_mut())
            .map_err(|e| CryptoError::Randomness(e.to_string()))?;
        // 32 bytes is AES-256's key length, so this cannot fail.
        let cipher = Aes256Gcm::new_from_slice(bytes.as_ref())
            .map_err(|_| CryptoError::Malformed("generated key has the wrong length"))?;
        Ok(Keyring {
            current: Key {
                id: GENERATED_KEY_ID.to_owned(),
                cipher,
            },
            older: Vec::new(),
        })
    }

    /// The id of the key new ciphertexts use.
    pub fn current_key_id(&self) -> &str {
        self.current.id.as_str()
    }

    /// Every key id, current first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys().map(|k| k.id.as_str()).collect()
    }

    /// Encrypts `plaintext` under the current key, bound to `aad` (which must
    /// be given again, byte for byte, to decrypt).
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = &self.current;
        let mut nonce = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|e| CryptoError::Randomness(e.to_string()))?;
        let header = header(&key.id);
        let sealed = key
            .cipher
            .encrypt(
                &Nonce::<Aes256Gcm>::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &full_aad(&header, aad),
                },
            )
            .map_err(|_| CryptoError::TooLong)?;
        let mut out = Vec::with_capacity(header.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts a ciphertext of [`Keyring::encrypt`] with the key it names,
    /// checking it was made with the same `aad`.
    pub fn decrypt(&self, ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let parsed = parse(ciphertext)?;
        let key =
            self.keys()
                .find(|k| k.id == parsed.key_id)
                .ok_or_else(|| CryptoError::UnknownKey {
                    key_id: parsed.key_id.to_owned(),
                })?;
        key.cipher
            .decrypt(
                &Nonce::<Aes256Gcm>::from(parsed.nonce),
                Payload {
                    msg: parsed.sealed,
                    aad: &full_aad(parsed.header, aad),
                },
            )
            .map_err(|_| CryptoError::Inauthentic {
                key_id: parsed.key_id.to_owned(),
            })
    }

    /// [`Keyring::encrypt`] of a secret string.
    pub fn encrypt_str(&self, plaintext: &Secret, aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.encrypt(plaintext.expose().as_bytes(), aad)
    }

    /// [`Keyring::decrypt`] of a ciphertext made by [`Keyring::encrypt_str`].
    pub fn decrypt_str(&self, ciphertext: &[u8], aad: &[u8]) -> Result<Secret, CryptoError> {
        let plaintext = self.decrypt(ciphertext, aad)?;
        match String::from_utf8(plaintext) {
            Ok(text) => Ok(Secret::new(text)),
            Err(err) => {
                // Wipe the rejected plaintext rather than leave it in freed memory.
                drop(Zeroizing::new(err.into_bytes()));
                Err(CryptoError::NotUtf8)
            }
        }
    }

    /// Whether `ciphertext` should be decrypted and encrypted again: it is not
    /// under the current key (or is not a readable ciphertext at all, which
    /// decrypting will report). Once nothing needs rewrapping, keys other than
    /// the current one can be removed.
    pub fn needs_rewrap(&self, ciphertext: &[u8]) -> bool {
        parse(ciphertext).map_or(true, |p| p.key_id != self.current_key_id())
    }

    fn keys(&self) -> impl Iterator<Item = &Key> {
        std::iter::once(&self.current).chain(&self.older)
    }
}

/// A ciphertext split into its parts.
struct Parsed<'a> {
    header: &'a [u8],
    key_id: &'a str,
    nonce: [u8; NONCE_LEN],
    sealed: &'a [u8],
}

fn parse(ciphertext: &[u8]) -> Result<Parsed<'_>, CryptoError> {
    let (&version, rest) = ciphertext
        .split_first()
        .ok_or(CryptoError::Malformed("empty"))?;
    if version != FORMAT_VERSION {
        return Err(CryptoError::UnsupportedVersion(version));
    }
    let (&id_len, rest) = rest
        .split_first()
        .ok_or(CryptoError::Malformed("truncated header"))?;
    let id_len = usize::from(id_len);
    if id_len == 0 || id_len > MAX_KEY_ID_LEN {
        return Err(CryptoError::Malformed("invalid key id length"));
    }
    let (id, rest) = rest
        .split_at_checked(id_len)
        .ok_or(CryptoError::Malformed("truncated key id"))?;
    let key_id = std::str::from_utf8(id)
        .ok()
        .filter(|id| valid_key_id(id))
        .ok_or(CryptoError::Malformed("invalid key id"))?;
    let (nonce, sealed) = rest
        .split_at_checked(NONCE_LEN)
        .ok_or(CryptoError::Malformed("truncated nonce"))?;
    if sealed.len() < TAG_LEN {
        return Err(CryptoError::Malformed("truncated tag"));
    }
    let nonce: [u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|_| CryptoError::Malformed("truncated nonce"))?;
    Ok(Parsed {
        header: &ciphertext[..2 + id_len],
        key_id,
        nonce,
        sealed,
    })
}

/// The version byte, key id length and key id.
fn header(key_id: &str) -> Vec<u8> {
    let mut header = Vec::with_capacity(2 + key_id.len());
    header.push(FORMAT_VERSION);
    // Key ids are at most 16 ASCII bytes, as parsing ensures.
    header.push(u8::try_from(key_id.len()).unwrap_or(u8::MAX));
    header.extend_from_slice(key_id.as_bytes());
    header
}

/// What GCM authenticates besides the message: the header, so the version and
/// key id cannot be altered, then the caller's data. The header has its own
/// length inside, so the concatenation is unambiguous.
fn full_aad(header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(header.len() + aad.len());
    full.extend_from_slice(header);
    full.extend_from_slice(aad);
    full
}

fn valid_key_id(id: &str) -> bool {
    (1..=MAX_KEY_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Decodes standard or url-safe base64, padded or not; `None` if it is
/// neither. The decoder's own error is dropped because it quotes the
/// offending character, which is key material.
fn decode_key(encoded: &str) -> Option<Zeroizing<Vec<u8>>> {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    [
        GeneralPurpose::new(&alphabet::STANDARD, config),
        GeneralPurpose::new(&alphabet::URL_SAFE, config),
    ]
    .iter()
    .find_map(|engine| engine.decode(encoded).ok())
    .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    use super::*;

    fn key_b64(byte: u8) -> String {
        STANDARD.encode([byte; KEY_LEN])
    }

    fn ring(spec: &[(&str, u8)]) -> Keyring {
        let value: Vec<String> = spec
            .iter()
            .map(|(id, byte)| format!("{id}:{}", key_b64(*byte)))
            .collect();
        Keyring::parse(&value.join(",")).expect("valid keyring")
    }

    #[test]
    fn round_trip() {
        let keyring = ring(&[("k1", 1)]);
        let ciphertext = keyring
            .encrypt(b"podio refresh token", b"upstream:u1:refresh")
            .expect("encrypt");
        assert_eq!(
            keyring
                .decrypt(&ciphertext, b"upstream:u1:refresh")
                .expect("decrypt"),
            b"podio refresh token"
        );
        assert_eq!(
            keyring
                .decrypt(&keyring.encrypt(b"", b"").expect("encrypt"), b"")
                .expect("decrypt"),
            b""
        );
    }

    #[test]
    fn ciphertexts_are_self_describing_and_randomised() {
        let keyring = ring(&[("key-2025", 1)]);
        let a = keyring.encrypt(b"same", b"aad").expect("encrypt");
        let b = keyring.encrypt(b"same", b"aad").expect("encrypt");
        assert_ne!(a, b, "a fresh nonce every time");
        assert_eq!(a[0], FORMAT_VERSION);
        assert_eq!(usize::from(a[1]), "key-2025".len());
        assert_eq!(&a[2..10], b"key-2025");
        assert_eq!(a.len(), 2 + 8 + NONCE_LEN + 4 + TAG_LEN);
    }

    #[test]
    fn str_helpers_round_trip() {
        let keyring = ring(&[("k1", 1)]);
        let ciphertext = keyring
            .encrypt_str(&Secret::new("s3cret"), b"client:c1:secret")
            .expect("encrypt");
        assert_eq!(
            keyring
                .decrypt_str(&ciphertext, b"client:c1:secret")
                .expect("decrypt")
                .expose(),
            "s3cret"
        );
        let not_text = keyring.encrypt(&[0xff, 0xfe], b"aad").expect("encrypt");
        assert_eq!(
            keyring.decrypt_str(&not_text, b"aad"),
            Err(CryptoError::NotUtf8)
        );
    }

    #[test]
    fn wrong_aad_fails() {
        let keyring = ring(&[("k1", 1)]);
        let ciphertext = keyring
            .encrypt(b"token", b"upstream:u1:access")
            .expect("encrypt");
        for aad in [&b"upstream:u2:access"[..], b"upstream:u1:refresh", b""] {
            assert_eq!(
                keyring.decrypt(&ciphertext, aad),
                Err(CryptoError::Inauthentic {
                    key_id: "k1".to_owned()
                })
            );
        }
    }

    #[test]
    fn tampering_fails() {
        let keyring = ring(&[("k1", 1)]);
        let ciphertext = keyring.encrypt(b"token", b"aad").expect("encrypt");
        // Flip every bit after the header, one at a time: nonce, body and tag.
        for i in 4..ciphertext.len() {
            let mut altered = ciphertext.clone();
            altered[i] ^= 0x01;
            assert!(
                matches!(
                    keyring.decrypt(&altered, b"aad"),
                    Err(CryptoError::Inauthentic { .. })
                ),
                "byte {i}"
            );
        }
        assert!(matches!(
            keyring.decrypt(&ciphertext[..ciphertext.len() - 1], b"aad"),
            Err(CryptoError::Inauthentic { .. })
        ));
        assert_eq!(
            keyring.decrypt(&[], b"aad"),
            Err(CryptoError::Malformed("empty"))
        );
        assert_eq!(
            keyring.decrypt(&ciphertext[..12], b"aad"),
            Err(CryptoError::Malformed("truncated nonce"))
        );
        let mut other_version = ciphertext.clone();
        other_version[0] = 2;
        assert_eq!(
            keyring.decrypt(&other_version, b"aad"),
            Err(CryptoError::UnsupportedVersion(2))
        );
    }

    #[test]
    fn the_key_id_is_authenticated() {
        // Two ids holding the same key bytes: relabelling a ciphertext to the
        // other id must still fail, because the header is authenticated.
        let keyring = ring(&[("k1", 1), ("k2", 1)]);
        let mut ciphertext = keyring.encrypt(b"token", b"aad").expect("encrypt");
        ciphertext[3] = b'2';
        assert_eq!(
            keyring.decrypt(&ciphertext, b"aad"),
            Err(CryptoError::Inauthentic {
                key_id: "k2".to_owned()
            })
        );
    }

    #[test]
    fn rotation_keeps_old_ciphertexts_readable_while_the_old_key_is_listed() {
        let old = ring(&[("k1", 1)]);
        let ciphertext = old.encrypt(b"token", b"aad").expect("encrypt");
        assert!(!old.needs_rewrap(&ciphertext));

        let rotated = ring(&[("k2", 2), ("k1", 1)]);
        assert_eq!(rotated.current_key_id(), "k2");
        assert_eq!(rotated.key_ids(), ["k2", "k1"]);
        assert_eq!(
            rotated.decrypt(&ciphertext, b"aad").expect("decrypt"),
            b"token"
        );
        assert!(rotated.needs_rewrap(&ciphertext));

        let rewrapped = rotated.encrypt(b"token", b"aad").expect("encrypt");
        assert!(!rotated.needs_rewrap(&rewrapped));
        assert_eq!(&rewrapped[2..4], b"k2");

        let old_key_removed = ring(&[("k2", 2)]);
        let err = old_key_removed
            .decrypt(&ciphertext, b"aad")
            .expect_err("k1 is gone");
        assert_eq!(
            err,
            CryptoError::UnknownKey {
                key_id: "k1".to_owned()
            }
        );
        assert!(err.to_string().contains("`k1`"), "{err}");
        assert_eq!(
            old_key_removed
                .decrypt(&rewrapped, b"aad")
                .expect("decrypt"),
            b"token"
        );
        assert!(old_key_removed.needs_rewrap(b"garbage"));
    }

    #[test]
    fn generated_keyrings_work_and_differ() {
        let a = Keyring::generate().expect("os rng");
        let b = Keyring::generate().expect("os rng");
        assert_eq!(a.current_key_id(), "dev");
        let ciphertext = a.encrypt(b"token", b"aad").expect("encrypt");
        assert_eq!(a.decrypt(&ciphertext, b"aad").expect("decrypt"), b"token");
        assert!(
            b.decrypt(&ciphertext, b"aad").is_err(),
            "another random key"
        );
    }

    #[test]
    fn parse_accepts_every_base64_flavour_and_spaces() {
        let url_safe = URL_SAFE_NO_PAD.encode([0xfb; KEY_LEN]);
        assert!(url_safe.contains('-') || url_safe.contains('_'));
        let standard = STANDARD.encode([0xfb; KEY_LEN]);
        let unpadded = standard.trim_end_matches('=');
        let keyring = Keyring::parse(&format!(" a:{standard} , b_2:{url_safe},C-3:{unpadded} "))
            .expect("parse");
        assert_eq!(keyring.key_ids(), ["a", "b_2", "C-3"]);
        let ciphertext = keyring.encrypt(b"x", b"").expect("encrypt");
        // All three are the same bytes, so any of them decrypts the others' output.
        let only_c = Keyring::parse(&format!("a:{url_safe}")).expect("parse");
        assert_eq!(only_c.decrypt(&ciphertext, b"").expect("decrypt"), b"x");
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let good = key_b64(7);
        let short = STANDARD.encode([7u8; 31]);
        let cases = [
            (String::new(), KeyringError::Empty),
            ("  ".to_owned(), KeyringError::Empty),
            (format!("k1:{good},"), KeyringError::EmptyEntry { entry: 2 }),
            (good.clone(), KeyringError::MissingId { entry: 1 }),
            (format!(":{good}"), KeyringError::BadId { entry: 1 }),
            (
                format!("k1:{good},bad id:{good}"),
                KeyringError::BadId { entry: 2 },
            ),
            (
                format!("{}:{good}", "a".repeat(17)),
                KeyringError::BadId { entry: 1 },
            ),
            (format!("{good}:k1"), KeyringError::BadId { entry: 1 }),
            (
                "k1:not*base64".to_owned(),
                KeyringError::BadBase64 {
                    entry: 1,
                    id: "k1".to_owned(),
                },
            ),
            (
                format!("k1:{short}"),
                KeyringError::WrongLength {
                    entry: 1,
                    id: "k1".to_owned(),
                    len: 31,
                },
            ),
            (
                format!("k1:{good},k1:{good}"),
                KeyringError::DuplicateId {
                    entry: 2,
                    id: "k1".to_owned(),
                },
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(Keyring::parse(&value).expect_err(&value), expected);
        }
    }

    #[test]
    fn parse_errors_and_debug_never_show_key_material() {
        let good = key_b64(7);
        let short = STANDARD.encode([9u8; 31]);
        let long = STANDARD.encode([9u8; 33]);
        let bad = format!("{}*", &good[..20]);
        for value in [
            format!("k1:{short}"),
            format!("k1:{long}"),
            format!("k1:{bad}"),
            good.clone(),
            format!("{good}:k1"),
            format!("k1:{good},k1:{good}"),
        ] {
            let err = Keyring::parse(&value).expect_err(&value);
            let shown = format!("{err} {err:?}");
            for material in [&good, &short, &long, &bad] {
                assert!(!shown.contains(&material[..8]), "{shown}");
            }
        }

        let keyring = ring(&[("k2", 2), ("k1", 1)]);
        let shown = format!("{keyring:?}");
        assert_eq!(shown, r#"Keyring { key_ids: ["k2", "k1"], .. }"#);
    }
}
