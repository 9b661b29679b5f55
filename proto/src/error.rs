//! One error-code vocabulary for every Portico service, mapped once to gRPC
//! here; the front door maps it once more to HTTP, JSON-RPC and MCP tool
//! results. Matches are exhaustive on purpose: a new code must be placed in
//! every transport.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// What went wrong, in terms a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The named object does not exist (or is gone).
    NotFound,
    /// The request is malformed or names something that is not accepted.
    InvalidArgument,
    /// No credential, or one that is unknown, revoked or expired.
    Unauthenticated,
    /// The credential is valid but not allowed to do this.
    PermissionDenied,
    /// The request conflicts with the current state (e.g. a stale revision).
    Conflict,
    /// Too many requests; retry later.
    RateLimited,
    /// Something the request needs is not set up (e.g. no upstream credentials).
    FailedPrecondition,
    /// A dependency is unreachable or timed out; safe to retry with backoff.
    Unavailable,
    /// A bug. Details go to the log, never to the caller.
    Internal,
}

impl ErrorCode {
    /// The gRPC status code for this error.
    pub fn grpc_code(self) -> Code {
        match self {
            ErrorCode::NotFound => Code::NotFound,
            ErrorCode::InvalidArgument => Code::InvalidArgument,
            ErrorCode::Unauthenticated => Code::Unauthenticated,
            ErrorCode::PermissionDenied => Code::PermissionDenied,
            ErrorCode::Conflict => Code::Aborted,
            ErrorCode::RateLimited => Code::ResourceExhausted,
            ErrorCode::FailedPrecondition => Code::FailedPrecondition,
            ErrorCode::Unavailable => Code::Unavailable,
            ErrorCode::Internal => Code::Internal,
        }
    }

    /// The vocabulary code for a gRPC status code received from a service.
    pub fn from_grpc(code: Code) -> Self {
        match code {
            Code::NotFound => ErrorCode::NotFound,
            Code::InvalidArgument | Code::OutOfRange => ErrorCode::InvalidArgument,
            Code::Unauthenticated => ErrorCode::Unauthenticated,
            Code::PermissionDenied => ErrorCode::PermissionDenied,
            Code::Aborted | Code::AlreadyExists => ErrorCode::Conflict,
            Code::ResourceExhausted => ErrorCode::RateLimited,
            Code::FailedPrecondition => ErrorCode::FailedPrecondition,
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => ErrorCode::Unavailable,
            Code::Ok | Code::Unknown | Code::Internal | Code::Unimplemented | Code::DataLoss => {
                ErrorCode::Internal
            }
        }
    }

    /// A stable lowercase name, used in logs, metrics and error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::FailedPrecondition => "failed_precondition",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// One bad field of a request: which, and what is accepted instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field as named in the contract (e.g. `name`, `redirect_uris`).
    pub field: String,
    /// What was wrong and what is accepted.
    pub description: String,
}

/// The error of a call across a service seam: a code from the one vocabulary
/// and a message the caller can act on (for [`ErrorCode::Internal`] and
/// [`ErrorCode::Unavailable`] an opaque one; the cause is logged where it
/// happened). The plain-Rust service traits return it, so in `portico dev`
/// no `tonic::Status` crosses a boundary inside one process; the gRPC
/// adapters translate it with the `From` impls below, field violations
/// included (as a `google.rpc.BadRequest` detail).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ServiceError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What went wrong, for the caller.
    pub message: String,
    /// Each bad field, for [`ErrorCode::InvalidArgument`].
    pub violations: Vec<FieldViolation>,
    /// The scope the caller lacks, for [`ErrorCode::PermissionDenied`] (the
    /// front door names it in its `insufficient_scope` challenge). On gRPC
    /// it travels as a `google.rpc.ErrorInfo` detail (reason
    /// [`MISSING_SCOPE`], metadata `required_scope`).
    pub required_scope: Option<String>,
}

/// The `ErrorInfo` reason of a [`ErrorCode::PermissionDenied`] that names the
/// missing scope.
pub const MISSING_SCOPE: &str = "MISSING_SCOPE";

/// The `ErrorInfo` domain of a [`MISSING_SCOPE`] error: the tools service
/// is where scopes are checked.
pub const MISSING_SCOPE_DOMAIN: &str = "portico.tools";

/// The `google.rpc.ErrorInfo` domain of the connector's upstream errors
/// (`connector.proto`): the status describes what Podio did, not a hop of
/// Portico's.
pub const PODIO_ERROR_DOMAIN: &str = "podio.com";

impl ServiceError {
    /// An error without field violations.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code,
            message: message.into(),
            violations: Vec::new(),
            required_scope: None,
        }
    }

    /// A [`ErrorCode::PermissionDenied`] naming the `scope` the caller lacks.
    pub fn missing_scope(scope: impl Into<String>, message: impl Into<String>) -> ServiceError {
        ServiceError {
            required_scope: Some(scope.into()),
            ..ServiceError::new(ErrorCode::PermissionDenied, message)
        }
    }

    /// An [`ErrorCode::InvalidArgument`] naming each bad field; the message
    /// joins their descriptions.
    pub fn invalid(violations: Vec<FieldViolation>) -> ServiceError {
        let message = violations
            .iter()
            .map(|v| v.description.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        ServiceError {
            code: ErrorCode::InvalidArgument,
            message,
            violations,
            required_scope: None,
        }
    }
}

impl From<ServiceError> for Status {
    fn from(err: ServiceError) -> Status {
        let code = err.code.grpc_code();
        if let Some(scope) = err.required_scope {
            let details = ErrorDetails::with_error_info(
                MISSING_SCOPE,
                MISSING_SCOPE_DOMAIN,
                std::collections::HashMap::from([("required_scope".to_owned(), scope)]),
            );
            return Status::with_error_details(code, err.message, details);
        }
        if err.violations.is_empty() {
            return Status::new(code, err.message);
        }
        let details = ErrorDetails::with_bad_request(
            err.violations
                .iter()
                .map(|v| tonic_types::FieldViolation::new(&v.field, &v.description))
                .collect::<Vec<_>>(),
        );
        Status::with_error_details(code, err.message, details)
    }
}

impl From<Status> for ServiceError {
    fn from(status: Status) -> ServiceError {
        let violations = status
            .get_details_bad_request()
            .map(|bad| {
                bad.field_violations
                    .into_iter()
                    .map(|v| FieldViolation {
                        field: v.field,
                        description: v.description,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let required_scope = status
            .get_details_error_info()
            .and_then(|info| info.metadata.get("required_scope").cloned());
        ServiceError {
            code: ErrorCode::from_grpc(status.code()),
            message: status.message().to_owned(),
            violations,
            required_scope,
        }
    }
}

/// The metadata key that carries the caller's Portico bearer token on gRPC.
pub const AUTHORIZATION: &str = "authorization";

/// Extracts the bearer token from gRPC request metadata
/// (`authorization: Bearer <token>`, scheme case-insensitive).
pub fn bearer_token(metadata: &tonic::metadata::MetadataMap) -> Option<&str> {
    let value = metadata.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_grpc() {
        for code in [
            ErrorCode::NotFound,
            ErrorCode::InvalidArgument,
            ErrorCode::Unauthenticated,
            ErrorCode::PermissionDenied,
            ErrorCode::Conflict,
            ErrorCode::RateLimited,
            ErrorCode::FailedPrecondition,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ] {
            assert_eq!(ErrorCode::from_grpc(code.grpc_code()), code);
        }
    }

    #[test]
    fn service_errors_survive_the_grpc_hop_with_their_fields() {
        let err = ServiceError::invalid(vec![FieldViolation {
            field: "name".to_owned(),
            description: "name must not be empty".to_owned(),
        }]);
        let back = ServiceError::from(Status::from(err.clone()));
        assert_eq!(back, err);
        let plain = ServiceError::new(ErrorCode::NotFound, "no such client");
        assert_eq!(ServiceError::from(Status::from(plain.clone())), plain);
        let denied = ServiceError::missing_scope("podio:write", "needs podio:write");
        let status = Status::from(denied.clone());
        assert_eq!(status.code(), Code::PermissionDenied);
        let info = status.get_details_error_info().expect("error info");
        assert_eq!(info.reason, MISSING_SCOPE);
        assert_eq!(ServiceError::from(status), denied);
    }

    #[test]
    fn bearer_token_is_parsed_case_insensitively() {
        let mut md = tonic::metadata::MetadataMap::new();
        md.insert(AUTHORIZATION, "bearer abc".parse().expect("ascii"));
        assert_eq!(bearer_token(&md), Some("abc"));
        md.insert(AUTHORIZATION, "Basic abc".parse().expect("ascii"));
        assert_eq!(bearer_token(&md), None);
        md.insert(AUTHORIZATION, "Bearer ".parse().expect("ascii"));
        assert_eq!(bearer_token(&md), None);
    }
}
