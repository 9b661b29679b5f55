//! Portico's connector service: the only client of the Podio REST API,
//! serving `portico.connector.v1.Connector` to the tools service.
//!
//! It holds the server's default Podio credentials, obtains and refreshes
//! upstream tokens (which never leave it), applies timeouts, retries safe
//! calls within a bound, passes Podio's rate-limit headers on and maps Podio's
//! errors to gRPC statuses as `connector.proto` specifies.
//!
//! Not in this cut: the read cache (GET answers are not cached yet).

mod client;
pub mod config;
mod credentials;
pub mod errors;
mod request;

pub mod service;

use portico_proto::connector::v1::connector_server::ConnectorServer;
use portico_proto::grpc::GrpcError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, PodioCredentials};
pub use errors::{ConnectorError, PodioError};
pub use portico_proto::secret::Secret;
pub use service::ConnectorService;

/// The fully qualified gRPC service name, as reported by health checks.
pub const SERVICE_NAME: &str = "portico.connector.v1.Connector";

/// Why the connector could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The service could not be built from its configuration.
    #[error("connector setup failed: {0}")]
    Setup(#[from] ConnectorError),
    /// The gRPC server failed.
    #[error(transparent)]
    Grpc(#[from] GrpcError),
}

/// Serves the connector on `listener` until `shutdown` is cancelled.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let service = ConnectorService::new(&config)?;
    let routes = tonic::service::Routes::new(ConnectorServer::new(service));
    tracing::info!(
        addr = ?listener.local_addr().ok(),
        podio = %config.podio_api_url,
        default_credentials = config.default_credentials.is_some(),
        "connector serving"
    );
    portico_proto::grpc::serve(listener, routes, SERVICE_NAME, shutdown).await?;
    Ok(())
}
