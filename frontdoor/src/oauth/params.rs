//! Reading an OAuth request's parameters (query string or
//! `application/x-www-form-urlencoded` body) into the [`Param`] list the
//! auth service decides on: every pair kept in order, repeated names
//! included (OAuth requires refusing them, which is the auth service's
//! call), each bounded so nothing unbounded crosses the seam.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use portico_proto::auth::v1::Param;

use crate::oauth::refusal::Refusal;

/// Most parameters one request may carry; OAuth requests use about a dozen.
pub const MAX_PARAMS: usize = 64;
/// Longest parameter name, in bytes (decoded).
pub const MAX_NAME_BYTES: usize = 64;
/// Longest parameter value, in bytes (decoded): redirect URIs, `state`,
/// PKCE challenges and refresh tokens are long-ish but bounded.
pub const MAX_VALUE_BYTES: usize = 8 * 1024;
/// Largest OAuth request body (forms and registration metadata), unless the
/// operator's `PORTICO_MAX_BODY_BYTES` is smaller.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The media type of form bodies.
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";
/// The media type of registration bodies.
pub(crate) const JSON: &str = "application/json";

/// The parameters of a query string (none if there is none).
pub(crate) fn from_query(query: Option<&str>) -> Result<Vec<Param>, Refusal> {
    parse(query.unwrap_or_default().as_bytes())
}

/// Decodes `application/x-www-form-urlencoded` pairs (`+` is a space,
/// `%XX` a byte; invalid UTF-8 is replaced), keeping their order and
/// repeats, and enforcing the caps ([`MAX_PARAMS`], [`MAX_NAME_BYTES`],
/// [`MAX_VALUE_BYTES`]) as it goes.
pub fn parse(encoded: &[u8]) -> Result<Vec<Param>, Refusal> {
    let mut params = Vec::new();
    for (name, value) in url::form_urlencoded::parse(encoded) {
        if params.len() == MAX_PARAMS {
            return Err(Refusal::TooManyParams { limit: MAX_PARAMS });
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(Refusal::NameTooLong {
                limit: MAX_NAME_BYTES,
            });
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(Refusal::ValueTooLong {
                // Already capped at MAX_NAME_BYTES just above.
                name: name.into_owned(),
                limit: MAX_VALUE_BYTES,
            });
        }
        params.push(Param {
            name: name.into_owned(),
            value: value.into_owned(),
        });
    }
    Ok(params)
}

/// A registration body as the auth service takes it: the text as sent,
/// once it is known to be UTF-8 and one JSON object
/// ([`Refusal::NotJsonObject`] otherwise).
pub fn metadata_json(body: &[u8]) -> Result<String, Refusal> {
    let text = std::str::from_utf8(body).map_err(|_| Refusal::NotJsonObject)?;
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
        .map_err(|_| Refusal::NotJsonObject)?;
    Ok(text.to_owned())
}

/// Whether `name` is among `params`.
pub(crate) fn has(params: &[Param], name: &str) -> bool {
    params.iter().any(|p| p.name == name)
}

/// The request's media type, lowercased, without parameters such as
/// `charset` (`None` without a `Content-Type`).
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

/// Whether the request declares the media type `expected`.
pub(crate) fn is_media_type(headers: &HeaderMap, expected: &str) -> bool {
    media_type(headers).is_some_and(|m| m == expected)
}

/// The body, at most `limit` bytes.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, Refusal> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.into_inner().is::<http_body_util::LengthLimitError>() {
            Refusal::BodyTooLarge { limit }
        } else {
            Refusal::BodyUnreadable
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(params: &[Param]) -> Vec<(&str, &str)> {
        params
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect()
    }

    #[test]
    fn decodes_and_keeps_order_and_repeats() -> Result<(), Refusal> {
        let params = parse(b"a=1+2&b=%41%2B&a=x&empty=&flag")?;
        assert_eq!(
            pairs(&params),
            vec![
                ("a", "1 2"),
                ("b", "A+"),
                ("a", "x"),
                ("empty", ""),
                ("flag", "")
            ]
        );
        assert!(from_query(None)?.is_empty());
        Ok(())
    }

    #[test]
    fn caps_are_enforced() {
        let many = vec!["a=1"; MAX_PARAMS + 1].join("&");
        assert!(matches!(
            parse(many.as_bytes()),
            Err(Refusal::TooManyParams { .. })
        ));
        assert!(parse(vec!["a=1"; MAX_PARAMS].join("&").as_bytes()).is_ok());
        let long_name = format!("{}=1", "n".repeat(MAX_NAME_BYTES + 1));
        assert!(matches!(
            parse(long_name.as_bytes()),
            Err(Refusal::NameTooLong { .. })
        ));
        let long_value = format!("state={}", "v".repeat(MAX_VALUE_BYTES + 1));
        match parse(long_value.as_bytes()) {
            Err(Refusal::ValueTooLong { name, .. }) => assert_eq!(name, "state"),
            other => panic!("expected ValueTooLong, got {other:?}"),
        }
        let at_cap = format!("state={}", "v".repeat(MAX_VALUE_BYTES));
        assert!(parse(at_cap.as_bytes()).is_ok());
    }

    #[test]
    fn media_type_ignores_parameters_and_case() {
        let mut headers = HeaderMap::new();
        assert_eq!(media_type(&headers), None);
        headers.insert(
            CONTENT_TYPE,
            axum::http::HeaderValue::from_static(
                "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
            ),
        );
        assert!(is_media_type(&headers, FORM));
        assert!(!is_media_type(&headers, JSON));
    }
}
