//! Portico's auth service: the only holder of secrets.
//!
//! It issues and checks personal API tokens and owns every upstream Podio
//! credential: the connector asks it for a principal's current Podio access
//! token, which it renews at Podio's token endpoint. The OAuth 2.1
//! authorization server (clients, grants, refresh tokens) grows in this crate
//! beside it. Layout: `store/` is storage behind the [`TokenStore`] trait
//! (Postgres and in-memory), `upstream/` the Podio token endpoint and the
//! server's own Podio account, `tokens` the token material, `validate` the
//! request checks, `service` the logic (implementing the plain-Rust traits
//! other services hold), `grpc` the tonic adapter, `config` the typed
//! configuration, and [`serve`] runs it all.

mod client_metadata;
mod config;
mod crypto;
mod error;
mod grpc;
mod last_known;
mod metrics;
mod oauth;

mod service;
mod store;
mod tokens;
pub mod upstream;
mod validate;

use portico_proto::FILE_DESCRIPTOR_SET;
use std::sync::Arc;

use portico_proto::auth::v1::auth_server::AuthServer;
use portico_runtime::grpc::GrpcError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use client_metadata::{
    ClientMetadata, ClientMetadataFetcher, FetchPolicy, MetadataError, is_metadata_client_id,
};
pub use config::{
    ADMIN_SECRET_VAR, CLIENT_METADATA_ALLOW_LOOPBACK_HTTP_VAR, Config, DATABASE_URL_VAR,
    DEFAULT_PORT, LISTEN_VAR, PODIO_API_URL_VAR, PodioSettings, REDIS_PREFIX_VAR, REDIS_URL_VAR,
    VARIABLES,
};
pub use crypto::{CryptoError, ENCRYPTION_KEYS_VAR, Keyring, KeyringError, MAX_KEY_ID_LEN};
pub use error::{AuthError, FieldViolation};
pub use oauth::{
    ACCESS_TOKEN_PREFIX, AUTHORIZATION_CODE, CLIENT_CREDENTIALS, CLIENT_ID_PREFIX,
    CLIENT_SECRET_PREFIX, CODE_PREFIX, CreatedClient, DEFAULT_MODE_CLIENT_IDS,
    DEFAULT_MODE_CLIENT_IDS_VAR, DEFAULT_PODIO_AUTHORIZE_URL, DEFAULT_PUBLIC_URL,
    DEFAULT_REDIRECT_ALLOWLIST, KIND_OAUTH, NewClient, OAuthSettings, PODIO_AUTHORIZE_URL_VAR,
    PUBLIC_URL_VAR, REDIRECT_ALLOWLIST_VAR, REFRESH_TOKEN, REFRESH_TOKEN_PREFIX,
};
pub use oauth::{
    CLIENT_PODIO_SECRET, RekeyCounts, RekeyReport, UPSTREAM_ACCESS_TOKEN, UPSTREAM_PODIO_SECRET,
    UPSTREAM_REFRESH_TOKEN,
};
pub use portico_runtime::secret::Secret;
pub use service::{AuthService, CreatedToken, KIND_API_TOKEN, principal_of};
pub use store::{ApiTokenRecord, MemoryTokenStore, PgTokenStore, StoreError, TokenStore};
pub use store::{AuditFilter, AuditStore, MemoryAuditStore, PgAuditStore};
pub use store::{
    ClientKind, ClientRecord, CodeRecord, CodeUse, GrantRecord, MemoryOAuthStore,
    MemoryPendingStore, OAuthStore, PendingStore, PgOAuthStore, RedisPendingStore, TokenKind,
    TokenRecord, UpstreamCiphertexts, UpstreamRecord,
};
pub use tokens::{HINT_LEN, TOKEN_PREFIX};
pub use upstream::Upstream;
pub use upstream::podio::{PodioGrantError, PodioKey, PodioOAuth};
pub use upstream::service_account::ServiceAccount;
pub use validate::{MAX_NAME_CHARS, MIN_CHOSEN_TOKEN_CHARS};

/// The fully qualified gRPC service name, as reported by health checks.
pub const SERVICE_NAME: &str = <AuthServer<AuthService> as tonic::server::NamedService>::NAME;

/// Why the auth service stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The token store could not be reached or migrated at startup.
    #[error("auth service could not open its token store: {0}")]
    Store(#[from] StoreError),
    /// The gRPC server failed.
    #[error(transparent)]
    Grpc(#[from] GrpcError),
    /// The Podio client could not be built.
    #[error("auth service could not set up its podio client: {0}")]
    Podio(#[from] PodioGrantError),
}

/// Applies the token store's migrations to `database_url` and returns:
/// what a deployment runs once before rolling out new replicas (the
/// service also applies them at start; concurrent runs wait on Postgres's
/// migration lock).
pub async fn migrate(database_url: &str) -> Result<(), ServeError> {
    let store = PgTokenStore::connect(database_url).await?;
    store.close().await;
    Ok(())
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
            "{ADMIN_SECRET_VAR} is not set: admin rpcs are refused (portico admin cannot be used)"
        );
    }
    let podio = PodioOAuth::new(&config.podio.api_url, config.podio.timeout)?;
    let oauth_store = store.oauth();
    let audit = Arc::new(store.audit());
    spawn_audit_purge(audit.clone(), config.audit_retention, shutdown.clone());
    let mut service = AuthService::new(
        Arc::new(store),
        config.admin_secret.map(|s| s.expose().to_owned()),
    )
    .with_upstream(Upstream::new(podio, config.podio.service_account))
    .with_audit(audit)
    .with_introspection_grace(config.introspection_grace);
    match (config.encryption_keys, &config.redis_url) {
        (Some(keyring), Some(redis_url)) => {
            let pending =
                RedisPendingStore::connect(redis_url.expose(), &config.redis_prefix).await?;
            service = service.with_oauth(
                config.oauth,
                Arc::new(oauth_store),
                Arc::new(pending),
                keyring,
            );
        }
        _ => tracing::warn!(
            "{ENCRYPTION_KEYS_VAR} or {REDIS_URL_VAR} is not set: the oauth endpoints answer temporarily_unavailable (personal api tokens still work)"
        ),
    }
    serve_service(service, listener, shutdown).await
}

/// Deletes audit events older than `retention` now and every hour, until
/// `shutdown`. A failed purge is logged and tried again the next hour.
fn spawn_audit_purge(
    audit: Arc<dyn AuditStore>,
    retention: std::time::Duration,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let before = i64::try_from(now.saturating_sub(retention.as_secs())).unwrap_or(0);
            match audit.purge(before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "old audit events purged"),
                Err(err) => tracing::error!(error = %err, "purging old audit events failed"),
            }
        }
    });
}

/// Serves an already built [`AuthService`] (any store) on `listener` until
/// `shutdown` is cancelled; `portico dev` uses it with an in-memory store.
pub async fn serve_service(
    service: AuthService,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let server = AuthServer::new(service);
    Ok(portico_runtime::grpc::serve(listener, server, FILE_DESCRIPTOR_SET, shutdown).await?)
}
