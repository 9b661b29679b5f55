//! Startup: connects (lazily) to the auth and connector services and serves
//! the tools API on a listener the caller bound, until shutdown.

use portico_proto::FILE_DESCRIPTOR_SET;
use portico_proto::remote::{RemoteAuth, RemoteConnector};
use portico_proto::tools::v1::tools_server::ToolsServer;
use portico_runtime::grpc::GrpcError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{Config, ToolsService};

/// The fully qualified gRPC service name, as reported by health checks.
pub const SERVICE_NAME: &str = <ToolsServer<ToolsService> as tonic::server::NamedService>::NAME;

/// Why the tools service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A dependency URL is invalid, or the gRPC server failed.
    #[error(transparent)]
    Grpc(#[from] GrpcError),
}

/// Serves `portico.tools.v1.Tools` on `listener` until `shutdown` is
/// cancelled. `config.listen` is not used here: the caller binds the
/// listener, so tests can use port 0.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let auth = RemoteAuth::connect_lazy(&config.auth_url)?;
    let connector = RemoteConnector::connect_lazy(&config.connector_url)?;
    let auth = std::sync::Arc::new(auth);
    let service = ToolsService::new(auth.clone(), connector).with_audit(auth);
    tracing::info!(
        addr = ?listener.local_addr().ok(),
        auth = %config.auth_url,
        connector = %config.connector_url,
        "tools service listening"
    );
    let server = ToolsServer::new(service);
    Ok(portico_runtime::grpc::serve(listener, server, FILE_DESCRIPTOR_SET, shutdown).await?)
}
