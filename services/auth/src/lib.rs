//! Portico's auth service: the only holder of secrets.
//!
//! This first cut issues and checks personal API tokens; the OAuth 2.1
//! authorization server (clients, grants, refresh tokens, upstream Podio
//! credentials) grows in this crate beside it. Layout: `store/` is storage
//! behind the [`TokenStore`] trait (Postgres and in-memory), `tokens` the token
//! material, `validate` the request checks, `service` the logic, `grpc` the
//! tonic adapter, `config` the typed configuration, and [`serve`] runs it all.

mod config;
mod error;
mod grpc;

mod service;
mod store;
mod tokens;
mod validate;

use std::sync::Arc;

use portico_proto::auth::v1::auth_server::AuthServer;
use portico_proto::grpc::GrpcError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

pub use config::{ADMIN_SECRET_VAR, Config, DATABASE_URL_VAR, DEFAULT_PORT, LISTEN_VAR};
pub use error::{AuthError, FieldViolation};
pub use grpc::{CREDENTIAL_MODE_DEFAULT, KIND_API_TOKEN};
pub use portico_proto::secret::Secret;
pub use service::{AuthService, CreatedToken};
pub use store::{ApiTokenRecord, MemoryTokenStore, PgTokenStore, StoreError, TokenStore};
pub use tokens::{HINT_LEN, TOKEN_PREFIX};
pub use validate::{MAX_NAME_CHARS, MIN_CHOSEN_TOKEN_CHARS, SCOPES};

/// The fully qualified gRPC service name, as reported by health checks.
pub const SERVICE_NAME: &str = "portico.auth.v1.Auth";

/// Why the auth service stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The token store could not be reached or migrated at startup.
    #[error("auth service could not open its token store: {0}")]
    Store(#[from] StoreError),
    /// The gRPC server failed.
    #[error(transparent)]
    Grpc(#[from] GrpcError),
}

/// Runs the auth service on `listener` with a Postgres token store until
/// `shutdown` is cancelled.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let store = PgTokenStore::connect(config.database_url.expose()).await?;
    if config.admin_secret.is_none() {
        tracing::warn!(
            "{ADMIN_SECRET_VAR} is not set: admin rpcs are open to anyone who can reach the auth service"
        );
    }
    let service = AuthService::new(
        Arc::new(store),
        config.admin_secret.map(|s| s.expose().to_owned()),
    );
    serve_service(service, listener, shutdown).await
}

/// Serves an already built [`AuthService`] (any store) on `listener` until
/// `shutdown` is cancelled; `portico dev` uses it with an in-memory store.
pub async fn serve_service(
    service: AuthService,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let routes = Routes::new(AuthServer::new(service));
    portico_proto::grpc::serve(listener, routes, SERVICE_NAME, shutdown).await?;
    Ok(())
}
