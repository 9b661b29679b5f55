//! Failures answered before a JSON-RPC message is even read (origin, body
//! size, bearer auth, rate limit, store outage), each mapped once to an HTTP
//! status, headers and body. Bodies are JSON-RPC errors without `id` where an
//! MCP client reads them, and RFC 6750 JSON where an OAuth client does.

use axum::Json;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rmcp::model::{ErrorCode, ErrorData, JsonRpcError, RequestId};
use serde_json::json;

/// JSON-RPC "server error" code for transport-level refusals (as the MCP SDKs use).
pub(crate) const SERVER_ERROR: ErrorCode = ErrorCode(-32000);

/// Why a request was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unauthorized {
    /// No `Authorization: Bearer` header.
    MissingToken,
    /// A token was sent in the query string, which RFC 6750 §2.3 allows but
    /// the MCP authorization spec forbids.
    TokenInQuery,
    /// The token is unknown, revoked, expired or not for this server.
    InvalidToken,
}

/// An HTTP-level refusal.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HttpError {
    #[error(
        "origin not allowed: browser requests must come from this server's own origin, \
         localhost, or an origin the operator allowed"
    )]
    OriginNotAllowed,
    #[error(
        "host {0:?} is not this server: send requests to the public url's host or \
         localhost, or ask the operator to add it to PORTICO_ALLOWED_HOSTS"
    )]
    HostNotAllowed(String),
    #[error(
        "too many requests in flight: at most {limit} at once per token; \
         wait for one to finish"
    )]
    TooManyInFlight { limit: usize },
    #[error(
        "unsupported content type: send the JSON-RPC message with Content-Type: application/json"
    )]
    UnsupportedMediaType,
    #[error("request body too large: at most {limit} bytes are accepted")]
    BodyTooLarge { limit: usize },
    #[error("{}", unauthorized_description(*.reason))]
    Unauthorized {
        reason: Unauthorized,
        resource_metadata: String,
    },
    #[error("{message}")]
    InsufficientScope {
        scope: String,
        message: String,
        resource_metadata: String,
    },
    #[error("the auth service is unavailable; retry shortly")]
    AuthUnavailable,
    #[error("the session store is unavailable; retry shortly")]
    StoreUnavailable,
    #[error(
        "rate limit exceeded: at most {limit} requests per minute per token; \
         retry in {retry_after_secs} seconds"
    )]
    RateLimited { limit: u64, retry_after_secs: u64 },
    #[error(
        "the server's shared podio key allows {limit} requests per hour per user: \
         connect with your own podio api key (give its client id and secret as the \
         oauth client id and secret) for higher limits, or retry in {retry_after_secs} seconds"
    )]
    DefaultModeQuota { limit: u64, retry_after_secs: u64 },
    #[error(
        "too many failed sign-ins from this address: at most {limit} unknown or \
         expired tokens per minute; retry in {retry_after_secs} seconds with a valid token"
    )]
    AuthThrottled { limit: u64, retry_after_secs: u64 },
    #[error(
        "this app (oauth client) is rate limited: at most {limit} requests per minute for all \
         its users together; retry in {retry_after_secs} seconds"
    )]
    ClientRateLimited { limit: u64, retry_after_secs: u64 },
}

fn unauthorized_description(reason: Unauthorized) -> &'static str {
    match reason {
        Unauthorized::MissingToken => {
            "missing bearer token: send the header Authorization: Bearer <token>"
        }
        Unauthorized::TokenInQuery => {
            "tokens in the query string are not accepted: send the header Authorization: Bearer <token>"
        }
        Unauthorized::InvalidToken => "the bearer token is unknown, revoked or expired",
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        match self {
            HttpError::OriginNotAllowed | HttpError::HostNotAllowed(_) => jsonrpc_error(
                StatusCode::FORBIDDEN,
                None,
                ErrorData::new(SERVER_ERROR, message, None),
            ),
            HttpError::TooManyInFlight { limit } => too_many(
                message,
                json!({"limit": limit, "inFlight": true, "retryAfterSeconds": 1}),
                1,
            ),
            HttpError::UnsupportedMediaType => jsonrpc_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                ErrorData::invalid_request(message, None),
            ),
            HttpError::BodyTooLarge { .. } => jsonrpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                ErrorData::invalid_request(message, None),
            ),
            HttpError::Unauthorized {
                reason,
                resource_metadata,
            } => {
                let challenge = match reason {
                    Unauthorized::MissingToken => {
                        format!("Bearer resource_metadata=\"{resource_metadata}\"")
                    }
                    Unauthorized::TokenInQuery => format!(
                        "Bearer resource_metadata=\"{resource_metadata}\", error=\"invalid_request\""
                    ),
                    Unauthorized::InvalidToken => format!(
                        "Bearer resource_metadata=\"{resource_metadata}\", error=\"invalid_token\""
                    ),
                };
                oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    &message,
                    &challenge,
                )
            }
            HttpError::InsufficientScope {
                scope,
                resource_metadata,
                ..
            } => {
                let challenge = format!(
                    "Bearer error=\"insufficient_scope\", scope=\"{}\", resource_metadata=\"{resource_metadata}\", error_description=\"{}\"",
                    quotable(&scope),
                    quotable(&message)
                );
                oauth_error(
                    StatusCode::FORBIDDEN,
                    "insufficient_scope",
                    &message,
                    &challenge,
                )
            }
            HttpError::AuthUnavailable | HttpError::StoreUnavailable => {
                let mut response = jsonrpc_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    None,
                    ErrorData::internal_error(message, None),
                );
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
            HttpError::RateLimited {
                limit,
                retry_after_secs,
            } => too_many(
                message,
                json!({"limit": limit, "window": "1m", "retryAfterSeconds": retry_after_secs}),
                retry_after_secs,
            ),
            HttpError::DefaultModeQuota {
                limit,
                retry_after_secs,
            } => too_many(
                message,
                json!({"limit": limit, "window": "1h", "tier": "default", "retryAfterSeconds": retry_after_secs}),
                retry_after_secs,
            ),
            HttpError::AuthThrottled {
                limit,
                retry_after_secs,
            } => too_many(
                message,
                json!({"limit": limit, "window": "1m", "failedAuthentication": true, "retryAfterSeconds": retry_after_secs}),
                retry_after_secs,
            ),
            HttpError::ClientRateLimited {
                limit,
                retry_after_secs,
            } => too_many(
                message,
                json!({"limit": limit, "window": "1m", "tier": "client", "retryAfterSeconds": retry_after_secs}),
                retry_after_secs,
            ),
        }
    }
}

/// 429 with a JSON-RPC error carrying `data` and a `Retry-After` header.
fn too_many(message: String, data: serde_json::Value, retry_after_secs: u64) -> Response {
    let mut response = jsonrpc_error(
        StatusCode::TOO_MANY_REQUESTS,
        None,
        ErrorData::new(SERVER_ERROR, message, Some(data)),
    );
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// A JSON-RPC error object as the whole response body.
pub(crate) fn jsonrpc_error(
    status: StatusCode,
    id: Option<RequestId>,
    error: ErrorData,
) -> Response {
    (status, Json(JsonRpcError::new(id, error))).into_response()
}

/// An RFC 6750 error: JSON body plus a `WWW-Authenticate` challenge.
fn oauth_error(status: StatusCode, error: &str, description: &str, challenge: &str) -> Response {
    let mut response = (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    // Challenges are built from our own URL and scope names; a value that is
    // not a valid header (it never should be) degrades to a bare challenge.
    let value = HeaderValue::from_str(challenge).unwrap_or(HeaderValue::from_static("Bearer"));
    response.headers_mut().insert(WWW_AUTHENTICATE, value);
    response
}

/// Makes text safe inside a quoted-string auth-param.
fn quotable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
        .collect()
}

/// The answer to a request whose handler panicked: a JSON-RPC internal
/// error, HTTP 500. What panicked is logged, never sent.
pub(crate) fn panicked(cause: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = cause
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| cause.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %what.escape_debug(), "a request handler panicked");
    jsonrpc_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        None,
        ErrorData::internal_error("internal error: the request failed; retry it", None),
    )
}
