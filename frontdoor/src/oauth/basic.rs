//! Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1): base64
//! of `client_id ":" client_secret`, each form-urlencoded first, so a colon
//! or non-ASCII character in either survives. Decoded here, judged by the
//! auth service.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use portico_proto::auth::v1::BasicCredentials;

use crate::oauth::params::MAX_VALUE_BYTES;
use crate::oauth::refusal::Refusal;

/// Standard base64, padded or not: clients differ, and both are unambiguous.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Longest base64 accepted: both parts at their caps, every byte
/// percent-escaped (3×), then base64 (4/3×), with room for the colon.
const MAX_ENCODED_BYTES: usize = (2 * 3 * MAX_VALUE_BYTES + 3) * 4 / 3;

/// The Basic credentials of the request: `None` without an `Authorization`
/// header or with another scheme (which the token endpoint does not use);
/// a [`Refusal::MalformedBasic`] naming what is wrong when a Basic header
/// cannot be decoded. Each part is at most
/// [`MAX_VALUE_BYTES`](crate::oauth::params::MAX_VALUE_BYTES) once decoded.
pub fn credentials(headers: &HeaderMap) -> Result<Option<BasicCredentials>, Refusal> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let malformed = |reason| Refusal::MalformedBasic { reason };
    if values.next().is_some() {
        return Err(malformed("more than one Authorization header"));
    }
    let value = value
        .to_str()
        .map_err(|_| malformed("not visible ASCII"))?
        .trim();
    let (scheme, encoded) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    if encoded.len() > MAX_ENCODED_BYTES {
        return Err(malformed("too long"));
    }
    let decoded = BASE64
        .decode(encoded.trim())
        .map_err(|_| malformed("not base64"))?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed("not UTF-8"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| malformed("no colon between client_id and client_secret"))?;
    let client_id = form_decode(id).ok_or_else(|| malformed("client_id is not UTF-8"))?;
    let client_secret =
        form_decode(secret).ok_or_else(|| malformed("client_secret is not UTF-8"))?;
    if client_id.len() > MAX_VALUE_BYTES || client_secret.len() > MAX_VALUE_BYTES {
        return Err(malformed("client_id or client_secret too long"));
    }
    Ok(Some(BasicCredentials {
        client_id,
        client_secret,
    }))
}

/// Form-urldecodes one value: `+` is a space, `%XX` a byte. A `%` not
/// followed by two hex digits is kept as written, as browsers' form decoding
/// does, so a client that sent its secret unencoded still gets through.
/// `None` if the bytes are not UTF-8.
fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (other, _) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(AUTHORIZATION, value);
        }
        headers
    }

    fn basic(raw: &str) -> HeaderMap {
        with(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        ))
    }

    #[test]
    fn decodes_each_part_after_the_first_colon() -> Result<(), Refusal> {
        let creds = credentials(&basic("my%3Aclient:s%25e+cr%C3%A9t:x"))?;
        assert_eq!(
            creds,
            Some(BasicCredentials {
                client_id: "my:client".into(),
                client_secret: "s%e crét:x".into(),
            })
        );
        Ok(())
    }

    #[test]
    fn unencoded_percent_is_kept() -> Result<(), Refusal> {
        let creds = credentials(&basic("id:50%off"))?;
        assert_eq!(creds.map(|c| c.client_secret), Some("50%off".to_owned()));
        Ok(())
    }

    #[test]
    fn unpadded_and_lowercase_scheme_are_accepted() -> Result<(), Refusal> {
        let creds = credentials(&with("basic aWQ6c2VjcmV0"))?;
        assert_eq!(creds.map(|c| c.client_id), Some("id".to_owned()));
        let creds = credentials(&with("Basic aWQ6cw"))?;
        assert_eq!(creds.map(|c| c.client_secret), Some("s".to_owned()));
        Ok(())
    }

    #[test]
    fn absent_or_other_scheme_is_none() -> Result<(), Refusal> {
        assert_eq!(credentials(&HeaderMap::new())?, None);
        assert_eq!(credentials(&with("Bearer abc"))?, None);
        Ok(())
    }

    #[test]
    fn malformed_is_refused() {
        for bad in [
            with("Basic !!!"),
            with("Basic"),
            basic("no-colon"),
            with(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode([0xff, b':', b'x'])
            )),
            basic("id:%FF"),
        ] {
            assert!(
                matches!(credentials(&bad), Err(Refusal::MalformedBasic { .. })),
                "{bad:?}"
            );
        }
    }
}
