//! Remote adapters: a gRPC client wrapped so it implements the trait its
//! callers hold. Callers hold an `Arc<dyn Trait>` and do not know whether the
//! service runs in the same process (`portico dev`) or behind the network (the
//! microservices shape). The auth and tools services' consumers hold narrow
//! plain-Rust traits (`crate::auth`, `crate::tools`); the connector is still
//! reached through its generated server trait, with request metadata (the
//! bearer token) travelling with the request.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::auth::v1 as auth;
use crate::auth::{
    AuditLog, Introspection, OAuthEndpoints, TokenIntrospector, UpstreamRef, UpstreamToken,
    UpstreamTokens,
};
use crate::connector::v1 as connector;
use crate::error::{AUTHORIZATION, ErrorCode, ServiceError};
use crate::tools::v1 as tools;
use crate::tools::{ToolCalls, ToolEvents};
use portico_runtime::grpc::{GrpcError, TracedChannel, channel};
use portico_runtime::secret::Secret;
use tokio_stream::StreamExt as _;

/// The auth service reached over gRPC, behind the plain-Rust traits its
/// consumers hold.
#[derive(Clone)]
pub struct RemoteAuth(auth::auth_client::AuthClient<TracedChannel>);

impl RemoteAuth {
    /// A client of the auth service at `url` (e.g. `http://auth:50051`).
    pub fn connect_lazy(url: &str) -> Result<RemoteAuth, GrpcError> {
        Ok(Self(auth::auth_client::AuthClient::new(channel(url)?)))
    }

    /// The generated client, for operator tooling that needs every RPC
    /// (`portico admin`).
    pub fn client(&self) -> auth::auth_client::AuthClient<TracedChannel> {
        self.0.clone()
    }
}

#[async_trait::async_trait]
impl AuditLog for RemoteAuth {
    async fn record(&self, token: &str, event: auth::AuditEvent) -> Result<(), ServiceError> {
        let mut request = Request::new(auth::RecordAuditEventRequest { event: Some(event) });
        let bearer = format!("Bearer {token}")
            .parse()
            .map_err(|_| ServiceError::new(ErrorCode::Unauthenticated, "malformed token"))?;
        request.metadata_mut().insert(AUTHORIZATION, bearer);
        self.0.clone().record_audit_event(request).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl TokenIntrospector for RemoteAuth {
    async fn introspect(&self, token: &str) -> Result<Option<Introspection>, ServiceError> {
        let answer = self
            .0
            .clone()
            .introspect_token(auth::IntrospectTokenRequest {
                token: token.to_owned(),
            })
            .await?
            .into_inner();
        Ok(match answer.principal {
            Some(principal) if answer.active => Some(Introspection {
                principal,
                expires_at: (answer.expires_at > 0).then_some(answer.expires_at),
            }),
            _ => None,
        })
    }
}

#[async_trait::async_trait]
impl UpstreamTokens for RemoteAuth {
    async fn upstream_token(
        &self,
        upstream: &UpstreamRef,
        rejected: Option<&str>,
    ) -> Result<UpstreamToken, ServiceError> {
        let answer = self
            .0
            .clone()
            .get_upstream_token(auth::GetUpstreamTokenRequest {
                subject: upstream.subject.clone(),
                credential_mode: upstream.mode as i32,
                upstream_ref: upstream.reference.clone(),
                rejected_sha256: rejected.unwrap_or_default().to_owned(),
            })
            .await?
            .into_inner();
        Ok(UpstreamToken {
            access_token: Secret::new(answer.access_token),
            expires_at: answer.expires_at,
        })
    }
}

#[async_trait::async_trait]
impl OAuthEndpoints for RemoteAuth {
    async fn register_client(
        &self,
        request: auth::RegisterClientRequest,
    ) -> Result<auth::RegisterClientResponse, ServiceError> {
        Ok(self.0.clone().register_client(request).await?.into_inner())
    }

    async fn authorize(
        &self,
        request: auth::AuthorizeRequest,
    ) -> Result<auth::NavigationResponse, ServiceError> {
        Ok(self.0.clone().authorize(request).await?.into_inner())
    }

    async fn callback(
        &self,
        request: auth::CallbackRequest,
    ) -> Result<auth::NavigationResponse, ServiceError> {
        Ok(self.0.clone().callback(request).await?.into_inner())
    }

    async fn token(
        &self,
        request: auth::TokenRequest,
    ) -> Result<auth::TokenResponse, ServiceError> {
        Ok(self.0.clone().token(request).await?.into_inner())
    }

    async fn revoke(
        &self,
        request: auth::RevokeRequest,
    ) -> Result<auth::RevokeResponse, ServiceError> {
        Ok(self.0.clone().revoke(request).await?.into_inner())
    }

    async fn server_info(&self) -> Result<auth::ServerInfo, ServiceError> {
        Ok(self
            .0
            .clone()
            .get_server_info(auth::GetServerInfoRequest {})
            .await?
            .into_inner())
    }
}

/// The tools service reached over gRPC, behind [`ToolCalls`].
#[derive(Clone)]
pub struct RemoteTools(tools::tools_client::ToolsClient<TracedChannel>);

impl RemoteTools {
    /// A client of the tools service at `url` (e.g. `http://tools:50052`),
    /// connecting on first use.
    pub fn lazy(url: &str) -> Result<RemoteTools, GrpcError> {
        Ok(Self(tools::tools_client::ToolsClient::new(channel(url)?)))
    }
}

/// `message` with the caller's bearer token in its metadata.
fn with_bearer<T>(token: &str, message: T) -> Result<Request<T>, ServiceError> {
    let mut request = Request::new(message);
    let value = format!("Bearer {token}").parse().map_err(|_| {
        ServiceError::new(
            ErrorCode::Unauthenticated,
            "the bearer token is not a valid header value",
        )
    })?;
    request.metadata_mut().insert(AUTHORIZATION, value);
    Ok(request)
}

#[async_trait::async_trait]
impl ToolCalls for RemoteTools {
    async fn list_tools(&self, token: &str) -> Result<Vec<tools::Tool>, ServiceError> {
        let request = with_bearer(token, tools::ListToolsRequest {})?;
        Ok(self.0.clone().list_tools(request).await?.into_inner().tools)
    }

    async fn call_tool(
        &self,
        token: &str,
        call: tools::ToolCall,
    ) -> Result<tools::ToolResult, ServiceError> {
        // The streaming RPC, events off: the unary one carries text only.
        let call = tools::ToolCall {
            progress: false,
            min_log_level: tools::LogLevel::Unspecified as i32,
            ..call
        };
        self.call_tool_stream(token, call).await?.result().await
    }

    async fn call_tool_stream(
        &self,
        token: &str,
        call: tools::ToolCall,
    ) -> Result<ToolEvents, ServiceError> {
        let request = with_bearer(token, call)?;
        let stream = self.0.clone().call_tool_stream(request).await?.into_inner();
        // Dropping `stream` resets the HTTP/2 stream, which the service sees
        // as a disconnect and cancels the call.
        Ok(ToolEvents::new(
            stream.map(|event| event.map_err(ServiceError::from)),
        ))
    }

    async fn features(&self, token: &str) -> Result<tools::Features, ServiceError> {
        let request = with_bearer(token, tools::GetFeaturesRequest {})?;
        Ok(self.0.clone().get_features(request).await?.into_inner())
    }

    async fn list_resources(&self, token: &str) -> Result<Vec<tools::Resource>, ServiceError> {
        let request = with_bearer(token, tools::ListResourcesRequest {})?;
        let answer = self.0.clone().list_resources(request).await?;
        Ok(answer.into_inner().resources)
    }

    async fn list_resource_templates(
        &self,
        token: &str,
    ) -> Result<Vec<tools::ResourceTemplate>, ServiceError> {
        let request = with_bearer(token, tools::ListResourceTemplatesRequest {})?;
        let answer = self.0.clone().list_resource_templates(request).await?;
        Ok(answer.into_inner().resource_templates)
    }

    async fn read_resource(
        &self,
        token: &str,
        uri: &str,
    ) -> Result<Vec<tools::EmbeddedResource>, ServiceError> {
        let request = with_bearer(
            token,
            tools::ReadResourceRequest {
                uri: uri.to_owned(),
            },
        )?;
        let answer = self.0.clone().read_resource(request).await?;
        Ok(answer.into_inner().contents)
    }

    async fn list_prompts(&self, token: &str) -> Result<Vec<tools::Prompt>, ServiceError> {
        let request = with_bearer(token, tools::ListPromptsRequest {})?;
        Ok(self
            .0
            .clone()
            .list_prompts(request)
            .await?
            .into_inner()
            .prompts)
    }

    async fn get_prompt(
        &self,
        token: &str,
        request: tools::GetPromptRequest,
    ) -> Result<tools::GetPromptResponse, ServiceError> {
        let request = with_bearer(token, request)?;
        Ok(self.0.clone().get_prompt(request).await?.into_inner())
    }

    async fn complete(
        &self,
        token: &str,
        request: tools::CompleteRequest,
    ) -> Result<tools::CompleteResponse, ServiceError> {
        let request = with_bearer(token, request)?;
        Ok(self.0.clone().complete(request).await?.into_inner())
    }
}

/// The connector service reached over gRPC.
#[derive(Clone)]
pub struct RemoteConnector(connector::connector_client::ConnectorClient<TracedChannel>);

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
