//! The gRPC face of [`ToolsService`]: unpacks requests (the bearer token from
//! the metadata), calls the plain-Rust logic and packs the answer. No
//! decisions are made here. Resource, prompt and completion errors are
//! already `ServiceError`s, which `?` turns into a `Status`.

use std::pin::Pin;

use portico_proto::error::bearer_token;
use portico_proto::tools::v1::tools_server::Tools;
use portico_proto::tools::v1::{
    CallToolRequest, CallToolResponse, CompleteRequest, CompleteResponse, Features,
    GetFeaturesRequest, GetPromptRequest, GetPromptResponse, ListPromptsRequest,
    ListPromptsResponse, ListResourceTemplatesRequest, ListResourceTemplatesResponse,
    ListResourcesRequest, ListResourcesResponse, ListToolsRequest, ListToolsResponse,
    ReadResourceRequest, ReadResourceResponse, ToolCall, ToolCallEvent,
};
use tokio_stream::{Stream, StreamExt as _};
use tonic::{Request, Response, Status};

use crate::error::ToolError;
use crate::service::ToolsService;

/// The event stream of CallToolStream on the wire.
type EventStream = Pin<Box<dyn Stream<Item = Result<ToolCallEvent, Status>> + Send>>;

#[tonic::async_trait]
impl Tools for ToolsService {
    type CallToolStreamStream = EventStream;

    async fn list_tools(
        &self,
        request: Request<ListToolsRequest>,
    ) -> Result<Response<ListToolsResponse>, Status> {
        let tools = self
            .list(bearer_token(request.metadata()))
            .await
            .map_err(ToolError::into_status)?;
        Ok(Response::new(ListToolsResponse { tools }))
    }

    async fn call_tool(
        &self,
        request: Request<CallToolRequest>,
    ) -> Result<Response<CallToolResponse>, Status> {
        let token = bearer_token(request.metadata()).map(str::to_owned);
        let request = request.into_inner();
        let call = ToolCall {
            name: request.name,
            arguments_json: request.arguments_json,
            ..ToolCall::default()
        };
        let answer = match self.call(token.as_deref(), call).await {
            Ok(result) => Ok(result.into_text_only()),
            Err(err) => err.into_call_response(),
        };
        answer.map(Response::new)
    }

    async fn call_tool_stream(
        &self,
        request: Request<ToolCall>,
    ) -> Result<Response<EventStream>, Status> {
        let token = bearer_token(request.metadata()).map(str::to_owned);
        let events = self
            .call_streaming(token.as_deref(), request.into_inner())
            .await
            .map_err(ToolError::into_status)?;
        // tonic drops this stream when the client goes away, which cancels
        // the call.
        Ok(Response::new(Box::pin(
            events.map(|event| event.map_err(Status::from)),
        )))
    }

    async fn get_features(
        &self,
        request: Request<GetFeaturesRequest>,
    ) -> Result<Response<Features>, Status> {
        let features = self.features_for(bearer_token(request.metadata())).await?;
        Ok(Response::new(features))
    }

    async fn list_resources(
        &self,
        request: Request<ListResourcesRequest>,
    ) -> Result<Response<ListResourcesResponse>, Status> {
        let resources = self.resources_for(bearer_token(request.metadata())).await?;
        Ok(Response::new(ListResourcesResponse { resources }))
    }

    async fn list_resource_templates(
        &self,
        request: Request<ListResourceTemplatesRequest>,
    ) -> Result<Response<ListResourceTemplatesResponse>, Status> {
        let resource_templates = self.templates_for(bearer_token(request.metadata())).await?;
        Ok(Response::new(ListResourceTemplatesResponse {
            resource_templates,
        }))
    }

    async fn read_resource(
        &self,
        request: Request<ReadResourceRequest>,
    ) -> Result<Response<ReadResourceResponse>, Status> {
        let token = bearer_token(request.metadata()).map(str::to_owned);
        let contents = self
            .read_for(token.as_deref(), &request.into_inner().uri)
            .await?;
        Ok(Response::new(ReadResourceResponse { contents }))
    }

    async fn list_prompts(
        &self,
        request: Request<ListPromptsRequest>,
    ) -> Result<Response<ListPromptsResponse>, Status> {
        let prompts = self.prompts_for(bearer_token(request.metadata())).await?;
        Ok(Response::new(ListPromptsResponse { prompts }))
    }

    async fn get_prompt(
        &self,
        request: Request<GetPromptRequest>,
    ) -> Result<Response<GetPromptResponse>, Status> {
        let token = bearer_token(request.metadata()).map(str::to_owned);
        let answer = self
            .prompt_for(token.as_deref(), &request.into_inner())
            .await?;
        Ok(Response::new(answer))
    }

    async fn complete(
        &self,
        request: Request<CompleteRequest>,
    ) -> Result<Response<CompleteResponse>, Status> {
        let token = bearer_token(request.metadata()).map(str::to_owned);
        let answer = self
            .complete_for(token.as_deref(), &request.into_inner())
            .await?;
        Ok(Response::new(answer))
    }
}
