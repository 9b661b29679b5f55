//! Portico's connector service: the only client of the Podio REST API,
//! serving `portico.connector.v1.Connector` to the tools service.
//!
//! It holds no credential. Every Podio token belongs to the auth service
//! (which does the password, authorization-code and refresh grants and keeps
//! refresh tokens); for each call the connector asks it, through
//! [`UpstreamTokens`], for the current access token of the caller's
//! `(subject, credential mode, upstream_ref)`, keeps that token for at most a
//! minute (and never past a minute before its expiry), and on Podio's
//! expired-token 401 asks once for a renewal, naming the refused token by its
//! SHA-256, and retries once. Access tokens never leave the connector and are
//! never logged.
//!
//! Around that it applies timeouts, retries safe calls within a bound, passes
//! Podio's rate-limit headers on and maps Podio's errors (and the auth
//! service's refusals) to gRPC statuses as `connector.proto` specifies.
//!
//! Not in this cut: the read cache (GET answers are not cached yet).

mod client;
pub mod config;
pub mod errors;
mod metrics;
pub mod quota;
mod request;
mod upstream;

pub mod service;

use portico_proto::FILE_DESCRIPTOR_SET;
use std::sync::Arc;

use portico_proto::connector::v1::connector_server::ConnectorServer;
use portico_proto::remote::RemoteAuth;
use portico_runtime::grpc::GrpcError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, VARIABLES};
pub use errors::{ConnectorError, PodioError};
pub use portico_proto::auth::{UpstreamRef, UpstreamToken, UpstreamTokens};
pub use portico_runtime::secret::Secret;
pub use quota::QuotaBook;
pub use service::ConnectorService;
pub use upstream::{CACHE_CAPACITY, EXPIRY_MARGIN, MAX_CACHE_TTL, sha256_hex};

/// The fully qualified gRPC service name, as reported by health checks.
pub const SERVICE_NAME: &str =
    <ConnectorServer<ConnectorService> as tonic::server::NamedService>::NAME;

/// Why the connector could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The service could not be built from its configuration.
    #[error("connector setup failed: {0}")]
    Setup(#[from] ConnectorError),
    /// The auth service's URL (`PORTICO_AUTH_URL`) cannot be used.
    #[error("PORTICO_AUTH_URL: {0}")]
    AuthUrl(#[source] GrpcError),
    /// The gRPC server failed.
    #[error(transparent)]
    Grpc(#[from] GrpcError),
    /// Redis (`REDIS_URL`, for Podio budgets shared by replicas) could not
    /// be reached at start.
    #[error("could not connect to redis (REDIS_URL): {0}")]
    Redis(#[source] redis::RedisError),
}

/// Serves the connector on `listener` until `shutdown` is cancelled, getting
/// Podio tokens from the auth service at `config.auth_url`.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let auth = RemoteAuth::connect_lazy(&config.auth_url).map_err(ServeError::AuthUrl)?;
    let service = match &config.redis_url {
        Some(url) => {
            let quota = QuotaBook::redis(url, &config.redis_prefix, config.quota_reserve)
                .await
                .map_err(ServeError::Redis)?;
            ConnectorService::with_quota(&config, Arc::new(auth), quota)?
        }
        None => {
            tracing::warn!(
                "REDIS_URL is not set: podio budgets are tracked per connector replica only"
            );
            ConnectorService::new(&config, Arc::new(auth))?
        }
    };
    tracing::info!(
        addr = ?listener.local_addr().ok(),
        podio = %config.podio_api_url,
        auth = %config.auth_url,
        "connector serving"
    );
    serve_service(service, listener, shutdown).await
}

/// Serves an already built `service` on `listener` until `shutdown` is
/// cancelled (for `portico dev` and tests, which bring their own
/// [`UpstreamTokens`]).
pub async fn serve_service(
    service: ConnectorService,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let server = ConnectorServer::new(service);
    Ok(portico_runtime::grpc::serve(listener, server, FILE_DESCRIPTOR_SET, shutdown).await?)
}
