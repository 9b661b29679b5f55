//! `portico.auth.v1` and the plain-Rust faces of the auth service that its
//! consumers hold: each consumer sees only what it needs, as a trait with
//! [`ServiceError`]s, implemented in process by the auth service itself
//! (`portico dev`) and over gRPC by [`crate::remote::RemoteAuth`]. The tonic
//! server trait stays at the edge, in the auth crate's gRPC adapter.

use crate::error::ServiceError;
use crate::vocab::CredentialMode;
use portico_runtime::secret::Secret;

/// Version 1 of the auth API.
pub mod v1 {
    #![allow(missing_docs, clippy::all)]
    tonic::include_proto!("portico.auth.v1");
}

pub use v1::Principal;

/// What introspection says of an active token.
#[derive(Debug, Clone, PartialEq)]
pub struct Introspection {
    /// Who the token stands for.
    pub principal: Principal,
    /// Unix seconds at which the token expires; `None` if it does not.
    pub expires_at: Option<i64>,
}

/// Resolves Portico bearer tokens (the front door and the tools service).
#[async_trait::async_trait]
pub trait TokenIntrospector: Send + Sync + 'static {
    /// The principal behind `token` when it is active; `None` for unknown,
    /// revoked or expired tokens, which are not errors. Errors mean the
    /// question could not be answered (e.g. the store is down).
    async fn introspect(&self, token: &str) -> Result<Option<Introspection>, ServiceError>;
}

/// The audit log, as the tools service writes to it: what the holder of
/// `token` did (a write tool call). Who it was comes from the token alone.
#[async_trait::async_trait]
pub trait AuditLog: Send + Sync + 'static {
    /// Records `event` (its action, target, outcome and trace id; the rest
    /// is filled in by the log's owner, the auth service).
    async fn record(&self, token: &str, event: v1::AuditEvent) -> Result<(), ServiceError>;
}

/// Which upstream credential a call uses, as the principal names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UpstreamRef {
    /// The principal's subject.
    pub subject: String,
    /// Whose Podio key and login.
    pub mode: CredentialMode,
    /// The principal's opaque `upstream_ref` (empty in the service mode).
    pub reference: String,
}

impl UpstreamRef {
    /// The upstream credential of `principal`.
    pub fn of(principal: &Principal) -> UpstreamRef {
        UpstreamRef {
            subject: principal.subject.clone(),
            mode: principal.credential_mode(),
            reference: principal.upstream_ref.clone(),
        }
    }
}

/// A Podio access token as the auth service hands it to the connector.
#[derive(Debug, Clone)]
pub struct UpstreamToken {
    /// The token; never logged, never passed beyond the connector.
    pub access_token: Secret,
    /// Unix seconds at which Podio said it expires.
    pub expires_at: i64,
}

/// Hands out the current Podio access token of a principal (the connector).
#[async_trait::async_trait]
pub trait UpstreamTokens: Send + Sync + 'static {
    /// The current token for `upstream`. With `rejected` (the SHA-256 hex of
    /// a token Podio just refused), a renewed one unless it was already
    /// renewed since.
    async fn upstream_token(
        &self,
        upstream: &UpstreamRef,
        rejected: Option<&str>,
    ) -> Result<UpstreamToken, ServiceError>;
}

/// The OAuth 2.1 authorization server's endpoints, as the front door calls
/// them: the front door translates HTTP to these messages and back, and the
/// auth service decides everything. OAuth refusals are in the responses;
/// errors mean the request could not be handled.
#[async_trait::async_trait]
pub trait OAuthEndpoints: Send + Sync + 'static {
    /// `POST /oauth/register`.
    async fn register_client(
        &self,
        request: v1::RegisterClientRequest,
    ) -> Result<v1::RegisterClientResponse, ServiceError>;

    /// `GET /oauth/authorize`.
    async fn authorize(
        &self,
        request: v1::AuthorizeRequest,
    ) -> Result<v1::NavigationResponse, ServiceError>;

    /// `GET /oauth/callback`.
    async fn callback(
        &self,
        request: v1::CallbackRequest,
    ) -> Result<v1::NavigationResponse, ServiceError>;

    /// `POST /oauth/token`.
    async fn token(&self, request: v1::TokenRequest) -> Result<v1::TokenResponse, ServiceError>;

    /// `POST /oauth/revoke`.
    async fn revoke(&self, request: v1::RevokeRequest) -> Result<v1::RevokeResponse, ServiceError>;

    /// What the server is configured to offer (for `/health` and the
    /// metadata documents).
    async fn server_info(&self) -> Result<v1::ServerInfo, ServiceError>;
}
