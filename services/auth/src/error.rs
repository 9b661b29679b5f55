//! The auth service's error type and its one mapping to gRPC.
//!
//! Callers get a code from the shared vocabulary and a message they can act on;
//! validation errors also carry a `BadRequest` detail naming each bad field.
//! Store and system failures reach the caller as an opaque message, while the
//! cause goes to the log.

use portico_proto::error::ErrorCode;
use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt as _};

use crate::store::StoreError;
use crate::tokens::RandomnessError;

/// One bad field in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The request field, as named in the proto (e.g. `name`, `scopes`).
    pub field: &'static str,
    /// What was wrong and what is accepted.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: &'static str, description: impl Into<String>) -> FieldViolation {
        FieldViolation {
            field,
            description: description.into(),
        }
    }
}

/// Why an auth operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// One or more request fields are not accepted.
    #[error("{}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// No API token has this id.
    #[error("no api token with id {0:?}")]
    NotFound(String),
    /// The token is already registered.
    #[error("this token is already registered")]
    AlreadyExists,
    /// An admin call without the configured admin secret; says which is wrong.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness to mint a token with.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
}

impl AuthError {
    /// A single-field validation error.
    pub fn invalid(violation: FieldViolation) -> AuthError {
        AuthError::InvalidArgument(vec![violation])
    }

    /// Where this error sits in the shared vocabulary.
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::InvalidArgument(_) => ErrorCode::InvalidArgument,
            AuthError::NotFound(_) => ErrorCode::NotFound,
            AuthError::AlreadyExists | AuthError::Store(StoreError::AlreadyExists) => {
                ErrorCode::Conflict
            }
            AuthError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AuthError::Store(StoreError::Unavailable(_)) => ErrorCode::Unavailable,
            AuthError::Store(StoreError::Internal(_)) | AuthError::Randomness(_) => {
                ErrorCode::Internal
            }
        }
    }
}

fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| v.description.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<AuthError> for Status {
    fn from(err: AuthError) -> Status {
        let code = err.code();
        match &err {
            AuthError::InvalidArgument(violations) => {
                let details = ErrorDetails::with_bad_request(
                    violations
                        .iter()
                        .map(|v| tonic_types::FieldViolation::new(v.field, &v.description))
                        .collect::<Vec<_>>(),
                );
                Status::with_error_details(code.grpc_code(), err.to_string(), details)
            }
            AuthError::NotFound(_) | AuthError::AlreadyExists | AuthError::Unauthenticated(_) => {
                Status::new(code.grpc_code(), err.to_string())
            }
            AuthError::Store(StoreError::AlreadyExists) => {
                Status::new(code.grpc_code(), "the token already exists")
            }
            AuthError::Store(StoreError::Unavailable(_)) => {
                tracing::error!(error = %err, "token store unavailable");
                Status::new(
                    code.grpc_code(),
                    "the token store is unavailable; retry later",
                )
            }
            AuthError::Store(StoreError::Internal(_)) | AuthError::Randomness(_) => {
                tracing::error!(error = %err, "auth request failed");
                Status::new(code.grpc_code(), "internal error")
            }
        }
    }
}
