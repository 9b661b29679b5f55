//! The gRPC face of the tools service: a thin adapter from
//! `portico.tools.v1.Tools` to authentication, the catalog and the tools.

use std::sync::Arc;

use portico_proto::auth::TokenIntrospector;
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::tools::v1::tools_server::Tools;
use portico_proto::tools::v1::{
    CallToolRequest, CallToolResponse, ListToolsRequest, ListToolsResponse,
};
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use crate::args::Args;
use crate::authn::{Authenticator, require_scope};
use crate::error::{ToolError, text_content};
use crate::podio::Podio;
use crate::tools::catalog::Catalog;

/// The tools service: lists the tool catalog and runs tools for
/// authenticated callers, calling Podio through the connector.
#[derive(Clone)]
pub struct ToolsService {
    authn: Authenticator,
    connector: Arc<dyn Connector>,
    catalog: Arc<Catalog>,
}

impl ToolsService {
    /// A service that introspects tokens with `auth` and reaches Podio
    /// through `connector`.
    pub fn new(auth: Arc<dyn TokenIntrospector>, connector: Arc<dyn Connector>) -> ToolsService {
        ToolsService {
            authn: Authenticator::new(auth),
            connector,
            catalog: Arc::new(Catalog::new()),
        }
    }

    async fn list(&self, metadata: &MetadataMap) -> Result<ListToolsResponse, ToolError> {
        self.authn.authenticate(metadata).await?;
        Ok(ListToolsResponse {
            tools: self.catalog.list(),
        })
    }

    async fn call(
        &self,
        metadata: &MetadataMap,
        request: CallToolRequest,
    ) -> Result<CallToolResponse, ToolError> {
        let principal = self.authn.authenticate(metadata).await?;
        let entry = self
            .catalog
            .find(&request.name)
            .ok_or_else(|| ToolError::UnknownTool(request.name.clone()))?;
        require_scope(&principal, entry.spec.name, entry.spec.required_scope)?;
        let args = Args::parse(&request.arguments_json, &entry.spec.input_schema)?;
        let podio = Podio::new(self.connector.clone(), &principal);
        let output = entry.tool.call(&podio, args).await?;
        Ok(CallToolResponse {
            is_error: false,
            content: vec![text_content(output.text)],
            structured_content_json: output.structured.to_string(),
        })
    }
}

#[tonic::async_trait]
impl Tools for ToolsService {
    async fn list_tools(
        &self,
        request: Request<ListToolsRequest>,
    ) -> Result<Response<ListToolsResponse>, Status> {
        self.list(request.metadata())
            .await
            .map(Response::new)
            .map_err(ToolError::into_status)
    }

    async fn call_tool(
        &self,
        request: Request<CallToolRequest>,
    ) -> Result<Response<CallToolResponse>, Status> {
        let (metadata, _, request) = request.into_parts();
        let name = request.name.clone();
        let result = match self.call(&metadata, request).await {
            Ok(response) => Ok(response),
            Err(err) => err.into_call_response(),
        };
        match &result {
            Ok(response) if response.is_error => {
                tracing::info!(tool = %name, "tool call failed with an actionable error");
            }
            Ok(_) => tracing::debug!(tool = %name, "tool call succeeded"),
            Err(status) => {
                tracing::info!(tool = %name, code = ?status.code(), "tool call rejected");
            }
        }
        result.map(Response::new)
    }
}
