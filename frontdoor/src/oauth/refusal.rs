//! The answers the front door gives on its own at the OAuth endpoints: a
//! request it cannot even pass on (wrong media type, over a cap, malformed
//! Basic credentials), or an auth service that could not handle it. Each is
//! mapped once to an HTTP status and an OAuth error code; `reply.rs` renders
//! them as JSON for clients and `page.rs` as HTML for browsers.

use axum::http::StatusCode;
use portico_proto::error::{ErrorCode, ServiceError};

use crate::oauth::params::{FORM, JSON};

/// How long to wait before retrying when the auth service is down.
const RETRY_UNAVAILABLE_SECS: u64 = 1;
/// How long to wait before retrying when the auth service sheds load.
const RETRY_RATE_LIMITED_SECS: u64 = 5;

/// A refusal decided in the front door; its `Display` is the sentence the
/// client gets as `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the request body must be sent with Content-Type: {FORM}")]
    NotForm,
    #[error("client metadata must be sent with Content-Type: {JSON}")]
    NotJson,
    #[error("the request body must be a JSON object of client metadata (RFC 7591 section 2)")]
    NotJsonObject,
    #[error("request body too large: at most {limit} bytes are accepted")]
    BodyTooLarge { limit: usize },
    #[error("the request body could not be read")]
    BodyUnreadable,
    #[error("too many parameters: at most {limit} are accepted")]
    TooManyParams { limit: usize },
    #[error("a parameter name is too long: at most {limit} bytes are accepted")]
    NameTooLong { limit: usize },
    #[error("the parameter {name} is too long: at most {limit} bytes are accepted")]
    ValueTooLong { name: String, limit: usize },
    #[error(
        "malformed Authorization: Basic header ({reason}): send base64 of the form-urlencoded \
         client_id, a colon, and the form-urlencoded client_secret (RFC 6749 section 2.3.1)"
    )]
    MalformedBasic { reason: &'static str },
    #[error(
        "POST /oauth/authorize is accepted only as a token request (a form body with \
         grant_type); sign-in starts with GET /oauth/authorize"
    )]
    NotATokenRequest,
    #[error("the authorization server is unavailable; retry shortly")]
    Unavailable { retry_after_secs: u64 },
    #[error(
        "the authorization server could not handle the request; retry later, and tell the \
         server's operator if it persists"
    )]
    ServerFault,
}

impl Refusal {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::NotForm
            | Refusal::NotJson
            | Refusal::NotJsonObject
            | Refusal::BodyUnreadable
            | Refusal::TooManyParams { .. }
            | Refusal::NameTooLong { .. }
            | Refusal::ValueTooLong { .. } => StatusCode::BAD_REQUEST,
            Refusal::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::MalformedBasic { .. } => StatusCode::UNAUTHORIZED,
            Refusal::NotATokenRequest => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::ServerFault => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The OAuth `error` code (RFC 6749 §5.2, RFC 7591 §3.2.2).
    pub fn error_code(&self) -> &'static str {
        match self {
            Refusal::NotJson | Refusal::NotJsonObject => "invalid_client_metadata",
            Refusal::NotForm
            | Refusal::BodyTooLarge { .. }
            | Refusal::BodyUnreadable
            | Refusal::TooManyParams { .. }
            | Refusal::NameTooLong { .. }
            | Refusal::ValueTooLong { .. }
            | Refusal::NotATokenRequest => "invalid_request",
            Refusal::MalformedBasic { .. } => "invalid_client",
            Refusal::Unavailable { .. } => "temporarily_unavailable",
            Refusal::ServerFault => "server_error",
        }
    }

    /// Seconds for `Retry-After`, when retrying is the advice.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Refusal::Unavailable { retry_after_secs } => Some(*retry_after_secs),
            Refusal::NotForm
            | Refusal::NotJson
            | Refusal::NotJsonObject
            | Refusal::BodyTooLarge { .. }
            | Refusal::BodyUnreadable
            | Refusal::TooManyParams { .. }
            | Refusal::NameTooLong { .. }
            | Refusal::ValueTooLong { .. }
            | Refusal::MalformedBasic { .. }
            | Refusal::NotATokenRequest
            | Refusal::ServerFault => None,
        }
    }

    /// The answer when the auth service could not handle a request: retry
    /// later if it is down or shedding load, otherwise a server fault whose
    /// cause goes to the log and never to the client.
    pub(crate) fn from_service(err: &ServiceError, rpc: &'static str) -> Refusal {
        let code = err.code.as_str();
        match err.code {
            ErrorCode::Unavailable => {
                tracing::warn!(rpc, code, message = %err.message, "auth service unavailable");
                Refusal::Unavailable {
                    retry_after_secs: RETRY_UNAVAILABLE_SECS,
                }
            }
            ErrorCode::RateLimited => {
                tracing::warn!(rpc, code, message = %err.message, "auth service shed load");
                Refusal::Unavailable {
                    retry_after_secs: RETRY_RATE_LIMITED_SECS,
                }
            }
            // OAuth refusals arrive inside the response, so any of these is
            // the auth service failing at its contract.
            ErrorCode::NotFound
            | ErrorCode::InvalidArgument
            | ErrorCode::Unauthenticated
            | ErrorCode::PermissionDenied
            | ErrorCode::Conflict
            | ErrorCode::FailedPrecondition
            | ErrorCode::Internal => {
                tracing::error!(rpc, code, message = %err.message, "auth service failed");
                Refusal::ServerFault
            }
        }
    }

    /// The answer when the auth service's response breaks the contract
    /// (e.g. neither an error nor a result).
    pub(crate) fn broken_response(rpc: &'static str, what: &'static str) -> Refusal {
        tracing::error!(rpc, what, "auth service answered outside its contract");
        Refusal::ServerFault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_map_to_retry_or_opaque_fault() {
        let unavailable = Refusal::from_service(
            &ServiceError::new(ErrorCode::Unavailable, "redis down"),
            "Token",
        );
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(unavailable.error_code(), "temporarily_unavailable");
        assert_eq!(unavailable.retry_after_secs(), Some(1));
        let busy = Refusal::from_service(
            &ServiceError::new(ErrorCode::RateLimited, "slow down"),
            "Token",
        );
        assert_eq!(busy.retry_after_secs(), Some(5));
        let fault = Refusal::from_service(
            &ServiceError::new(ErrorCode::Internal, "null pointer in row 7"),
            "Token",
        );
        assert_eq!(fault.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(fault.error_code(), "server_error");
        assert!(!fault.to_string().contains("row 7"));
    }
}
