//! Personal API token material: minting, hashing and hinting.
//!
//! A token is `portico_pat_` followed by 43 base64url characters (32 bytes from
//! the operating system's generator). The prefix lets secret scanners spot a
//! leaked token; only the SHA-256 hash is ever stored, so a database dump
//! yields no usable credential. SHA-256 without salt or stretching is enough
//! here because the input has 256 bits of entropy: there is nothing to guess.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use sha2::{Digest as _, Sha256};

use portico_runtime::secret::Secret;

/// The prefix of every personal API token Portico mints.
pub const TOKEN_PREFIX: &str = "portico_pat_";
/// How many leading characters of a token are kept as its hint.
pub const HINT_LEN: usize = 16;
/// Random bytes per token.
const TOKEN_BYTES: usize = 32;

/// The operating system's random number generator failed.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomnessError(String);

/// Mints a new personal API token.
pub fn generate() -> Result<Secret, RandomnessError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| RandomnessError(e.to_string()))?;
    Ok(Secret::new(format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(bytes)
    )))
}

/// The lowercase hex SHA-256 of `token`, the form in which tokens are stored.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// The first [`HINT_LEN`] characters of `token`, shown in listings.
pub fn hint(token: &str) -> String {
    token.chars().take(HINT_LEN).collect()
}

/// Compares two secrets in time independent of where they differ, so a caller
/// cannot find the admin secret one character at a time. Hashing first also
/// hides the secret's length.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_have_the_prefix_and_43_base64url_characters() {
        let a = generate().expect("os rng");
        let b = generate().expect("os rng");
        let body = a.expose().strip_prefix(TOKEN_PREFIX).expect("prefix");
        assert_eq!(body.len(), 43);
        assert!(
            body.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a, b);
    }

    #[test]
    fn hash_is_lowercase_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hint_is_the_first_16_characters() {
        assert_eq!(hint("portico_pat_abcdefgh"), "portico_pat_abcd");
        assert_eq!(hint("short"), "short");
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq("s3cret-value", "s3cret-value"));
        assert!(!constant_time_eq("s3cret-value", "s3cret-valuE"));
        assert!(!constant_time_eq("s3cret", "s3cret-value"));
    }
}
