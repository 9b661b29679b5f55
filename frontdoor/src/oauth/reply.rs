//! JSON answers to OAuth clients at the token, revocation and registration
//! endpoints: never cacheable (RFC 6749 §5.1: they carry or concern
//! credentials), errors as `{error, error_description}` (§5.2), and the
//! Basic challenge a 401 owes a client that authenticated with Basic.

use axum::body::Body;
use axum::http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_proto::auth::v1::OAuthError;
use serde_json::{Map, Value};

use crate::oauth::refusal::Refusal;

/// The challenge of a 401 to a client that used `Authorization: Basic`.
const BASIC_CHALLENGE: &str = "Basic realm=\"portico\"";

/// Marks a response as not to be stored by any cache.
pub(crate) fn no_store(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A JSON document the auth service produced, passed through as is.
pub(crate) fn json(status: StatusCode, body: String) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    no_store(headers);
    response
}

/// An empty, uncacheable answer (a successful revocation).
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut response = status.into_response();
    no_store(response.headers_mut());
    response
}

/// An OAuth error the auth service decided on. `basic_used` adds the Basic
/// challenge to a 401 (RFC 6749 §5.2).
pub(crate) fn oauth_error(status: StatusCode, error: &OAuthError, basic_used: bool) -> Response {
    let mut response = error_body(status, &error.error, &error.error_description);
    if basic_used && status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static(BASIC_CHALLENGE));
    }
    response
}

/// A refusal decided in the front door, with the headers it calls for.
pub(crate) fn refusal(refusal: &Refusal) -> Response {
    let mut response = error_body(refusal.status(), refusal.error_code(), &refusal.to_string());
    let headers = response.headers_mut();
    if let Some(secs) = refusal.retry_after_secs() {
        headers.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    match refusal {
        // Only a Basic header can be malformed, so Basic was attempted.
        Refusal::MalformedBasic { .. } => {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(BASIC_CHALLENGE));
        }
        Refusal::NotATokenRequest => {
            headers.insert(ALLOW, HeaderValue::from_static("GET, POST"));
        }
        Refusal::NotForm
        | Refusal::NotJson
        | Refusal::NotJsonObject
        | Refusal::BodyTooLarge { .. }
        | Refusal::BodyUnreadable
        | Refusal::TooManyParams { .. }
        | Refusal::NameTooLong { .. }
        | Refusal::ValueTooLong { .. }
        | Refusal::Unavailable { .. }
        | Refusal::ServerFault => {}
    }
    response
}

/// The status the auth service asked for, if it is an error status; 400
/// (RFC 6749 §5.2's default) otherwise.
pub(crate) fn error_status(requested: u32) -> StatusCode {
    u16::try_from(requested)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .filter(|status| status.is_client_error() || status.is_server_error())
        .unwrap_or(StatusCode::BAD_REQUEST)
}

/// `{"error": …, "error_description": …}`, the description left out when
/// empty (it is optional).
fn error_body(status: StatusCode, error: &str, description: &str) -> Response {
    let mut body = Map::new();
    body.insert("error".to_owned(), Value::from(error));
    if !description.is_empty() {
        body.insert("error_description".to_owned(), Value::from(description));
    }
    json(status, Value::Object(body).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_error_statuses_are_taken() {
        assert_eq!(error_status(401), StatusCode::UNAUTHORIZED);
        assert_eq!(error_status(503), StatusCode::SERVICE_UNAVAILABLE);
        for fallback in [0, 200, 302, 99, 600, 70_000] {
            assert_eq!(
                error_status(fallback),
                StatusCode::BAD_REQUEST,
                "{fallback}"
            );
        }
    }
}
