//! The auth service's error type and its one mapping to gRPC.
//!
//! Callers get a code from the shared vocabulary and a message they can act on;
//! validation errors also carry a `BadRequest` detail naming each bad field.
//! Store and system failures reach the caller as an opaque message, while the
//! cause goes to the log.

use portico_proto::error::{ErrorCode, ServiceError};
use tonic::Status;

use crate::store::StoreError;
use crate::tokens::RandomnessError;
use crate::upstream::podio::PodioGrantError;

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
    /// No integration OAuth client has this client id.
    #[error("no oauth client with client id {0:?}: list them with `portico admin client list`")]
    ClientNotFound(String),
    /// The integration OAuth client was revoked, so it cannot change.
    #[error("the oauth client {0:?} is revoked: create a new one")]
    ClientRevoked(String),
    /// An OAuth client RPC on a service without its OAuth server.
    #[error(
        "this auth service runs without its oauth server: set PORTICO_ENCRYPTION_KEYS and REDIS_URL"
    )]
    OAuthDisabled,
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
    /// The service mode was asked for, but no Podio account is configured.
    #[error(
        "the server has no podio account configured: set PORTICO_PODIO_CLIENT_ID, \
         PORTICO_PODIO_CLIENT_SECRET, PORTICO_PODIO_USERNAME and PORTICO_PODIO_PASSWORD"
    )]
    NoServiceAccount,
    /// The principal's credential mode has no stored upstream credential.
    #[error("no podio credential is stored for the {0} credential mode: sign in again")]
    NoUpstreamCredential(&'static str),
    /// Podio's token endpoint refused or failed.
    #[error(transparent)]
    Upstream(PodioGrantError),
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
            AuthError::NotFound(_) | AuthError::ClientNotFound(_) => ErrorCode::NotFound,
            AuthError::AlreadyExists | AuthError::Store(StoreError::AlreadyExists) => {
                ErrorCode::Conflict
            }
            AuthError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AuthError::Store(StoreError::Unavailable(_)) => ErrorCode::Unavailable,
            AuthError::Store(StoreError::Internal(_)) | AuthError::Randomness(_) => {
                ErrorCode::Internal
            }
            AuthError::NoServiceAccount
            | AuthError::NoUpstreamCredential(_)
            | AuthError::ClientRevoked(_)
            | AuthError::OAuthDisabled => ErrorCode::FailedPrecondition,
            AuthError::Upstream(PodioGrantError::Refused { .. }) => ErrorCode::Unauthenticated,
            AuthError::Upstream(PodioGrantError::Unavailable(_)) => ErrorCode::Unavailable,
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

/// The one mapping of auth failures onto the shared vocabulary. Causes of
/// opaque failures go to the log here, never to the caller.
impl From<AuthError> for ServiceError {
    fn from(err: AuthError) -> ServiceError {
        let code = err.code();
        match &err {
            AuthError::InvalidArgument(violations) => ServiceError::invalid(
                violations
                    .iter()
                    .map(|v| portico_proto::error::FieldViolation {
                        field: v.field.to_owned(),
                        description: v.description.clone(),
                    })
                    .collect(),
            ),
            AuthError::NotFound(_)
            | AuthError::ClientNotFound(_)
            | AuthError::ClientRevoked(_)
            | AuthError::OAuthDisabled
            | AuthError::AlreadyExists
            | AuthError::Unauthenticated(_)
            | AuthError::NoServiceAccount
            | AuthError::NoUpstreamCredential(_) => ServiceError::new(code, err.to_string()),
            AuthError::Store(StoreError::AlreadyExists) => {
                ServiceError::new(code, "the token already exists")
            }
            AuthError::Upstream(PodioGrantError::Refused { .. }) => {
                tracing::warn!(error = %err, "podio refused to renew an upstream token");
                ServiceError::new(
                    code,
                    "podio refused to renew the upstream credential: sign in again",
                )
            }
            AuthError::Store(StoreError::Unavailable(_)) => {
                tracing::error!(error = %err, "token store unavailable");
                ServiceError::new(code, "the token store is unavailable; retry later")
            }
            AuthError::Upstream(PodioGrantError::Unavailable(_)) => {
                tracing::error!(error = %err, "podio token endpoint unavailable");
                ServiceError::new(code, "podio's token endpoint is unavailable; retry later")
            }
            AuthError::Store(StoreError::Internal(_)) | AuthError::Randomness(_) => {
                tracing::error!(error = %err, "auth request failed");
                ServiceError::new(code, "internal error")
            }
        }
    }
}

impl From<AuthError> for Status {
    fn from(err: AuthError) -> Status {
        Status::from(ServiceError::from(err))
    }
}
