//! Remote adapters: a gRPC client wrapped so it implements the service's own
//! server trait. Callers hold an `Arc<dyn Trait>` and do not know whether the
//! service runs in the same process (`portico dev`) or behind the network (the
//! microservices shape). Request metadata, including the bearer token,
//! travels with the request either way.

use std::sync::Arc;

use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use crate::auth::v1 as auth;
use crate::connector::v1 as connector;
use crate::grpc::{GrpcError, channel};
use crate::tools::v1 as tools;

/// The auth service reached over gRPC.
#[derive(Clone)]
pub struct RemoteAuth(auth::auth_client::AuthClient<Channel>);

impl RemoteAuth {
    /// A client of the auth service at `url` (e.g. `http://auth:50051`).
    pub fn connect_lazy(url: &str) -> Result<Arc<dyn auth::auth_server::Auth>, GrpcError> {
        Ok(Arc::new(Self(auth::auth_client::AuthClient::new(channel(
            url,
        )?))))
    }
}

#[tonic::async_trait]
impl auth::auth_server::Auth for RemoteAuth {
    async fn create_api_token(
        &self,
        request: Request<auth::CreateApiTokenRequest>,
    ) -> Result<Response<auth::CreateApiTokenResponse>, Status> {
        self.0.clone().create_api_token(request).await
    }

    async fn list_api_tokens(
        &self,
        request: Request<auth::ListApiTokensRequest>,
    ) -> Result<Response<auth::ListApiTokensResponse>, Status> {
        self.0.clone().list_api_tokens(request).await
    }

    async fn revoke_api_token(
        &self,
        request: Request<auth::RevokeApiTokenRequest>,
    ) -> Result<Response<auth::RevokeApiTokenResponse>, Status> {
        self.0.clone().revoke_api_token(request).await
    }

    async fn introspect_token(
        &self,
        request: Request<auth::IntrospectTokenRequest>,
    ) -> Result<Response<auth::IntrospectTokenResponse>, Status> {
        self.0.clone().introspect_token(request).await
    }
}

/// The tools service reached over gRPC.
#[derive(Clone)]
pub struct RemoteTools(tools::tools_client::ToolsClient<Channel>);

impl RemoteTools {
    /// A client of the tools service at `url` (e.g. `http://tools:50052`).
    pub fn connect_lazy(url: &str) -> Result<Arc<dyn tools::tools_server::Tools>, GrpcError> {
        Ok(Arc::new(Self(tools::tools_client::ToolsClient::new(
            channel(url)?,
        ))))
    }
}

#[tonic::async_trait]
impl tools::tools_server::Tools for RemoteTools {
    async fn list_tools(
        &self,
        request: Request<tools::ListToolsRequest>,
    ) -> Result<Response<tools::ListToolsResponse>, Status> {
        self.0.clone().list_tools(request).await
    }

    async fn call_tool(
        &self,
        request: Request<tools::CallToolRequest>,
    ) -> Result<Response<tools::CallToolResponse>, Status> {
        self.0.clone().call_tool(request).await
    }
}

/// The connector service reached over gRPC.
#[derive(Clone)]
pub struct RemoteConnector(connector::connector_client::ConnectorClient<Channel>);

impl RemoteConnector {
    /// A client of the connector service at `url` (e.g. `http://connector:50053`).
    pub fn connect_lazy(
        url: &str,
    ) -> Result<Arc<dyn connector::connector_server::Connector>, GrpcError> {
        Ok(Arc::new(Self(
            connector::connector_client::ConnectorClient::new(channel(url)?),
        )))
    }
}

#[tonic::async_trait]
impl connector::connector_server::Connector for RemoteConnector {
    async fn call(
        &self,
        request: Request<connector::PodioRequest>,
    ) -> Result<Response<connector::PodioResponse>, Status> {
        self.0.clone().call(request).await
    }
}
