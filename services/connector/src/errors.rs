//! The connector's error type and its one mapping to gRPC statuses, following
//! `connector.proto`: Podio's HTTP status decides the code, Podio's
//! `error_description` is the message, and a `google.rpc.ErrorInfo` detail
//! carries Podio's `error` code and the HTTP status for callers that branch.

use std::collections::HashMap;

use portico_proto::error::{ErrorCode, ServiceError};
use serde::Deserialize;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo` domain of every upstream error.
pub const ERROR_DOMAIN: &str = portico_proto::error::PODIO_ERROR_DOMAIN;
/// Wait suggested when Podio rate-limits without saying for how long.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 60;
/// Longest error description passed on, so an odd upstream page stays small.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Longest Podio `error` code passed on (Podio's are short words such as
/// "not_found"), so an odd one cannot grow the description built from it.
pub const MAX_ERROR_CHARS: usize = 100;

/// Everything that can go wrong in the connector.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The caller's request is malformed; the message names the problem.
    #[error("{0}")]
    InvalidRequest(String),
    /// The configured Podio API URL cannot be used.
    #[error("invalid podio api url {url:?}: expected {expected}")]
    InvalidBaseUrl {
        /// The URL as configured.
        url: String,
        /// What is accepted.
        expected: String,
    },
    /// The HTTP client could not be built (e.g. no TLS roots).
    #[error("could not build the podio http client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// The auth service gave no Podio token for the caller; the message
    /// depends on its code (see [`upstream_message`]).
    #[error("{}", upstream_message(.0))]
    Upstream(ServiceError),
    /// Podio answered an API call with a non-2xx status.
    #[error("{0}")]
    Podio(PodioError),
    /// Podio could not be reached, or did not answer in time, after retries.
    #[error("podio is unreachable: {message}")]
    Transport {
        /// What failed, without URLs carrying credentials (none do).
        message: String,
        /// Whether the request timed out (rather than failing to connect).
        timed_out: bool,
    },
}

/// A non-2xx answer from Podio, reduced to what callers need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodioError {
    /// The HTTP status Podio answered with.
    pub http_status: u16,
    /// Podio's `error` code (e.g. "not_found"), or one derived from the status
    /// when the body is not Podio's error JSON.
    pub error: String,
    /// Podio's `error_description`, or a summary naming the HTTP status.
    pub description: String,
    /// For 420/429: seconds to wait before trying again.
    pub retry_after_seconds: Option<u64>,
}

impl std::fmt::Display for PodioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

impl PodioError {
    /// Reads Podio's error body; `retry_after_header` is the raw `Retry-After`.
    pub fn from_response(http_status: u16, retry_after_header: Option<&str>, body: &str) -> Self {
        let parsed = serde_json::from_str::<ErrorBody>(body).ok();
        let (error, description) = match parsed {
            Some(ErrorBody {
                error,
                error_description,
            }) if error.is_some() || error_description.is_some() => (error, error_description),
            _ => (None, None),
        };
        let error = error
            .filter(|e| !e.is_empty())
            .map(|e| e.chars().take(MAX_ERROR_CHARS).collect())
            .unwrap_or_else(|| fallback_reason(http_status).to_owned());
        let description = match description.filter(|d| !d.trim().is_empty()) {
            Some(d) => d.chars().take(MAX_DESCRIPTION_CHARS).collect(),
            None => format!("podio answered http {http_status} ({error})"),
        };
        let retry_after_seconds = is_rate_limited(http_status).then(|| {
            retry_after_header
                .and_then(|h| h.trim().parse().ok())
                .or_else(|| wait_seconds_in(&description))
                .unwrap_or(DEFAULT_RETRY_AFTER_SECS)
        });
        Self {
            http_status,
            error,
            description,
            retry_after_seconds,
        }
    }

    /// The answer to a call Portico held back because the credential's Podio
    /// budget is paused (see `quota`): shaped like Podio's own 420, so
    /// callers treat it the same, with a sentence saying it was Portico.
    pub fn paused(secs: u64, remaining: Option<i64>) -> Self {
        let description = match remaining {
            Some(left) => format!(
                "podio reported only {left} calls left this hour for this podio account and api key, \
                 so portico paused its calls before podio refuses them (PORTICO_PODIO_QUOTA_RESERVE); \
                 retry in {secs} seconds"
            ),
            None => format!(
                "podio's rate limit for this podio account and api key was reached; retry in {secs} seconds"
            ),
        };
        Self {
            http_status: 420,
            error: "rate_limit".to_owned(),
            description,
            retry_after_seconds: Some(secs),
        }
    }

    /// Whether this is the 401 Podio sends for an expired or revoked access
    /// token, which a refresh can cure.
    pub fn is_expired_token(&self) -> bool {
        let says = |s: &str| s.contains("expired_token") || s.contains("invalid_token");
        self.http_status == 401 && (says(&self.error) || says(&self.description))
    }

    fn details(&self) -> ErrorDetails {
        let mut metadata =
            HashMap::from([("http_status".to_owned(), self.http_status.to_string())]);
        if let Some(secs) = self.retry_after_seconds {
            metadata.insert("retry_after_seconds".to_owned(), secs.to_string());
        }
        ErrorDetails::with_error_info(self.error.clone(), ERROR_DOMAIN, metadata)
    }
}

/// Parses "Please wait N seconds before trying again" (the 420 text third
/// parties report; unconfirmed by Podio's docs).
fn wait_seconds_in(description: &str) -> Option<u64> {
    let lower = description.to_ascii_lowercase();
    let rest = &lower[lower.find("wait ")? + "wait ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest[digits.len()..].trim_start();
    if after.starts_with("second") {
        digits.parse().ok()
    } else {
        None
    }
}

fn is_rate_limited(http_status: u16) -> bool {
    matches!(http_status, 420 | 429)
}

fn fallback_reason(http_status: u16) -> &'static str {
    match http_status {
        400 => "bad_request",
        401 => "unauthorized",
        402 => "payment_required",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        410 => "gone",
        420 | 429 => "rate_limit",
        500..=599 => "unavailable",
        _ => "unexpected_status",
    }
}

/// The gRPC code of a failure to get a Podio token from the auth service:
/// what the caller can act on passes through, anything else is the
/// connector's problem (`INTERNAL`).
pub fn upstream_code(code: ErrorCode) -> Code {
    match code {
        ErrorCode::FailedPrecondition => Code::FailedPrecondition,
        ErrorCode::Unauthenticated => Code::Unauthenticated,
        ErrorCode::Unavailable => Code::Unavailable,
        ErrorCode::NotFound
        | ErrorCode::InvalidArgument
        | ErrorCode::PermissionDenied
        | ErrorCode::Conflict
        | ErrorCode::RateLimited
        | ErrorCode::Internal => Code::Internal,
    }
}

/// The caller-facing message of a failure to get a Podio token. The auth
/// service's own message is passed on only for the codes whose messages are
/// meant for callers; the others are logged where they happen.
fn upstream_message(error: &ServiceError) -> String {
    match error.code {
        ErrorCode::FailedPrecondition => {
            format!("no usable podio credentials: {}", error.message)
        }
        ErrorCode::Unauthenticated => format!(
            "podio no longer accepts this sign-in ({}): sign in to portico again to reconnect podio",
            error.message
        ),
        ErrorCode::Unavailable => "the auth service is unavailable; retry shortly".to_owned(),
        ErrorCode::NotFound
        | ErrorCode::InvalidArgument
        | ErrorCode::PermissionDenied
        | ErrorCode::Conflict
        | ErrorCode::RateLimited
        | ErrorCode::Internal => "internal error obtaining the podio token".to_owned(),
    }
}

/// The gRPC code for a Podio HTTP status, per `connector.proto`.
pub fn code_for_http_status(http_status: u16) -> Code {
    match http_status {
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        // Payment required: the Podio organization's plan lacks the feature.
        402 => Code::FailedPrecondition,
        403 => Code::PermissionDenied,
        404 | 410 => Code::NotFound,
        409 => Code::Aborted,
        420 | 429 => Code::ResourceExhausted,
        // Other 4xx (405, 413, 422…) mean the request itself is wrong.
        405..=499 => Code::InvalidArgument,
        // 5xx, and statuses Podio should never send (1xx, 3xx): not the
        // caller's fault, maybe transient.
        _ => Code::Unavailable,
    }
}

impl From<ConnectorError> for Status {
    fn from(error: ConnectorError) -> Self {
        let message = error.to_string();
        match error {
            ConnectorError::InvalidRequest(_) => Status::invalid_argument(message),
            // Configuration problems are caught at startup; a caller cannot act on them.
            ConnectorError::InvalidBaseUrl { .. } | ConnectorError::HttpClient(_) => {
                Status::internal("connector misconfigured")
            }
            ConnectorError::Upstream(error) => Status::new(upstream_code(error.code), message),
            ConnectorError::Podio(podio) => Status::with_error_details(
                code_for_http_status(podio.http_status),
                message,
                podio.details(),
            ),
            ConnectorError::Transport { timed_out, .. } => {
                let reason = if timed_out {
                    "timeout"
                } else {
                    "connection_error"
                };
                Status::with_error_details(
                    Code::Unavailable,
                    message,
                    ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::new()),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podio_error_json_is_read() {
        let e = PodioError::from_response(
            404,
            None,
            r#"{"error":"not_found","error_description":"Object not found","error_detail":null}"#,
        );
        assert_eq!(e.error, "not_found");
        assert_eq!(e.description, "Object not found");
        assert_eq!(e.retry_after_seconds, None);
        let status = Status::from(ConnectorError::Podio(e));
        assert_eq!(status.code(), Code::NotFound);
        let info = status.get_details_error_info().expect("error info");
        assert_eq!(info.reason, "not_found");
        assert_eq!(info.domain, "podio.com");
        assert_eq!(
            info.metadata.get("http_status").map(String::as_str),
            Some("404")
        );
    }

    #[test]
    fn non_json_bodies_get_a_summary_naming_the_status() {
        let e = PodioError::from_response(502, None, "<html>bad gateway</html>");
        assert_eq!(e.error, "unavailable");
        assert_eq!(e.description, "podio answered http 502 (unavailable)");
        assert_eq!(code_for_http_status(502), Code::Unavailable);
    }

    #[test]
    fn retry_after_comes_from_header_then_text_then_default() {
        let body = r#"{"error":"rate_limit","error_description":"Please wait 42 seconds before trying again"}"#;
        assert_eq!(
            PodioError::from_response(420, Some("7"), body).retry_after_seconds,
            Some(7)
        );
        assert_eq!(
            PodioError::from_response(420, None, body).retry_after_seconds,
            Some(42)
        );
        assert_eq!(
            PodioError::from_response(429, None, "{}").retry_after_seconds,
            Some(DEFAULT_RETRY_AFTER_SECS)
        );
        assert_eq!(wait_seconds_in("please wait a moment"), None);
    }

    #[test]
    fn every_documented_status_maps_as_the_proto_says() {
        for (http, code) in [
            (400, Code::InvalidArgument),
            (401, Code::Unauthenticated),
            (403, Code::PermissionDenied),
            (404, Code::NotFound),
            (410, Code::NotFound),
            (409, Code::Aborted),
            (420, Code::ResourceExhausted),
            (429, Code::ResourceExhausted),
            (500, Code::Unavailable),
            (503, Code::Unavailable),
        ] {
            assert_eq!(code_for_http_status(http), code, "{http}");
        }
    }

    #[test]
    fn expired_token_is_recognised_in_code_or_description() {
        let by_desc = PodioError::from_response(
            401,
            None,
            r#"{"error":"unauthorized","error_description":"expired_token"}"#,
        );
        assert!(by_desc.is_expired_token());
        let by_code = PodioError::from_response(401, None, r#"{"error":"invalid_token"}"#);
        assert!(by_code.is_expired_token());
        let other = PodioError::from_response(401, None, r#"{"error":"unauthorized"}"#);
        assert!(!other.is_expired_token());
    }

    #[test]
    fn auth_failures_map_to_actionable_codes_without_internals() {
        for (code, grpc, needle) in [
            (
                ErrorCode::FailedPrecondition,
                Code::FailedPrecondition,
                "no usable podio credentials: DETAIL",
            ),
            (ErrorCode::Unauthenticated, Code::Unauthenticated, "sign in"),
            (
                ErrorCode::Unavailable,
                Code::Unavailable,
                "the auth service is unavailable; retry shortly",
            ),
            (ErrorCode::Internal, Code::Internal, "internal error"),
            (ErrorCode::InvalidArgument, Code::Internal, "internal error"),
        ] {
            let status = Status::from(ConnectorError::Upstream(ServiceError::new(code, "DETAIL")));
            assert_eq!(status.code(), grpc, "{code:?}");
            assert!(status.message().contains(needle), "{}", status.message());
            let leaks = matches!(
                code,
                ErrorCode::Unavailable | ErrorCode::Internal | ErrorCode::InvalidArgument
            );
            assert_eq!(
                status.message().contains("DETAIL"),
                !leaks,
                "{}",
                status.message()
            );
        }
    }
}
