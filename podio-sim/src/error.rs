//! Podio's error body (§4 of podio-api.md) and the middleware that gives every
//! error response that shape.
//!
//! Handlers return [`ApiError`]; its response carries the error as an
//! extension because only the outermost middleware knows the request line
//! that Podio echoes back in `request`. Errors that axum produces itself
//! (unparseable path parameters, wrong method) are rewritten there too, so a
//! client never sees a body that is not Podio-shaped.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// HTTP status Podio uses when the rate limit is exceeded.
pub const RATE_LIMIT_STATUS: u16 = 420;

/// Largest body of a non-Podio error response that is read to reuse its text.
const MAX_FOREIGN_ERROR_BODY: usize = 16 * 1024;

/// Marks a response whose body is already final, such as the HTML pages of
/// the authorize flow: [`podio_error_bodies`] leaves it alone even when its
/// status is an error, because a browser must see the page, not JSON.
#[derive(Debug, Clone, Copy)]
pub struct FinalBody;

/// An error the simulated API answers with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or names something that is not accepted.
    #[error("{0}")]
    InvalidValue(String),
    /// An OAuth request lacks a parameter or has a malformed one.
    #[error("{0}")]
    InvalidRequest(String),
    /// Bad credentials, unknown or used refresh token, bad app token.
    #[error("{0}")]
    InvalidGrant(String),
    /// The OAuth client id or secret is wrong.
    #[error("invalid client_id or client_secret")]
    InvalidClient,
    /// The grant type is not one the simulator accepts.
    #[error(
        "grant_type {0:?} is not supported: use authorization_code, password, refresh_token or app"
    )]
    UnsupportedGrantType(String),
    /// No token was sent, or it is not one the simulator issued.
    #[error("{0}")]
    Unauthorized(String),
    /// The access token was valid but has expired; the client should refresh.
    #[error("expired_token")]
    ExpiredToken,
    /// The caller may not see the object.
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist.
    #[error("Object not found")]
    NotFound,
    /// A list query without any of the filters Podio requires to bound it
    /// (`GET /task/`); Podio answers 400 with the code `forbidden`.
    #[error("Query not secure enough, please add more filters")]
    QueryNotSecure,
    /// A write based on a stale `revision`.
    #[error("{0}")]
    Conflict(String),
    /// The path exists but not for this method.
    #[error("method not allowed: this path does not accept {0}")]
    MethodNotAllowed(String),
    /// The per-token hourly budget is spent.
    #[error("You have hit the rate limit. Please wait {wait_secs} seconds before trying again")]
    RateLimited {
        /// Seconds until the current window ends.
        wait_secs: u64,
    },
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidValue(_)
            | ApiError::InvalidRequest(_)
            | ApiError::InvalidGrant(_)
            | ApiError::UnsupportedGrantType(_)
            | ApiError::QueryNotSecure => StatusCode::BAD_REQUEST,
            ApiError::InvalidClient | ApiError::Unauthorized(_) | ApiError::ExpiredToken => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            // 420 is a valid status code, just not a named one.
            ApiError::RateLimited { .. } => {
                StatusCode::from_u16(RATE_LIMIT_STATUS).unwrap_or(StatusCode::TOO_MANY_REQUESTS)
            }
        }
    }

    /// The short code Podio puts in `error`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidValue(_) => "invalid_value",
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::InvalidGrant(_) => "invalid_grant",
            ApiError::InvalidClient => "invalid_client",
            ApiError::UnsupportedGrantType(_) => "unsupported_grant_type",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::ExpiredToken => "invalid_token",
            ApiError::Forbidden(_) | ApiError::QueryNotSecure => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::RateLimited { .. } => "rate_limit",
        }
    }
}

/// The request line Podio echoes in `request`.
#[derive(Debug, Clone, Default)]
struct RequestLine {
    url: String,
    query_string: String,
    method: String,
}

/// The error carried from a handler to [`podio_error_bodies`].
#[derive(Debug, Clone)]
struct PendingError {
    code: &'static str,
    description: String,
}

fn body_json(pending: &PendingError, request: &RequestLine) -> Value {
    json!({
        "error": pending.code,
        "error_description": pending.description,
        "error_detail": Value::Null,
        "error_parameters": Value::Object(Map::new()),
        "error_propagate": false,
        "request": {
            "url": request.url,
            "query_string": request.query_string,
            "method": request.method,
        },
    })
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let pending = PendingError {
            code: self.code(),
            description: self.to_string(),
        };
        // Complete on its own (request left empty) in case it is used outside
        // the middleware; the middleware fills `request` in.
        let mut response =
            json_response(self.status(), &body_json(&pending, &RequestLine::default()));
        response.extensions_mut().insert(pending);
        response
    }
}

/// Removes `oauth_token` values so a token sent in the query is not echoed.
fn redacted_query(query: &str) -> String {
    if !query.contains("oauth_token") {
        return query.to_owned();
    }
    let pairs = url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| {
        if k == "oauth_token" {
            (k.into_owned(), "[redacted]".to_owned())
        } else {
            (k.into_owned(), v.into_owned())
        }
    });
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn request_line(req: &Request) -> RequestLine {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    RequestLine {
        url: format!("http://{host}{}", req.uri().path()),
        query_string: redacted_query(req.uri().query().unwrap_or("")),
        method: req.method().to_string(),
    }
}

/// The code for an error response axum produced on its own.
fn foreign_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        s if s.is_server_error() => "server_error",
        _ => "invalid_value",
    }
}

/// Middleware: gives every 4xx/5xx response Podio's error body, with the
/// request line filled in. Other headers (e.g. rate-limit ones) are kept.
pub async fn podio_error_bodies(req: Request, next: Next) -> Response {
    let line = request_line(&req);
    let method = line.method.clone();
    let response = next.run(req).await;
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    if !is_error || response.extensions().get::<FinalBody>().is_some() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let pending = match parts.extensions.remove::<PendingError>() {
        Some(pending) => pending,
        None if status == StatusCode::METHOD_NOT_ALLOWED => PendingError {
            code: foreign_code(status),
            description: ApiError::MethodNotAllowed(method).to_string(),
        },
        None => {
            let text = axum::body::to_bytes(body, MAX_FOREIGN_ERROR_BODY)
                .await
                .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
                .unwrap_or_default();
            let description = if text.is_empty() {
                status
                    .canonical_reason()
                    .unwrap_or("request failed")
                    .to_lowercase()
            } else if status.is_server_error() {
                // 5xx bodies stay opaque.
                "internal error".to_owned()
            } else {
                text.to_lowercase()
            };
            PendingError {
                code: foreign_code(status),
                description,
            }
        }
    };
    let rendered = body_json(&pending, &line).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    Response::from_parts(parts, Body::from(rendered))
}

/// Fallback for paths the simulator does not know.
pub async fn unknown_path() -> ApiError {
    ApiError::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tokens_are_redacted() {
        assert_eq!(
            redacted_query("a=1&oauth_token=secret"),
            "a=1&oauth_token=%5Bredacted%5D"
        );
        assert_eq!(redacted_query("a=1"), "a=1");
    }

    #[test]
    fn rate_limit_uses_status_420() {
        let err = ApiError::RateLimited { wait_secs: 12 };
        assert_eq!(err.status().as_u16(), 420);
        assert_eq!(
            err.to_string(),
            "You have hit the rate limit. Please wait 12 seconds before trying again"
        );
    }
}
