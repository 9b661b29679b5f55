//! `tools/list` and `tools/call`: proto tools and results converted to MCP
//! shapes, with the caller's Portico token forwarded as gRPC metadata, and
//! every gRPC error placed once in MCP terms (tool result, JSON-RPC error or
//! HTTP status).

use std::sync::Arc;

use portico_proto::error::{AUTHORIZATION, ErrorCode};
use portico_proto::tools::v1 as proto;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, ErrorData, JsonObject, RequestId, Tool,
    ToolAnnotations,
};
use serde_json::{Value, json};
use tonic_types::StatusExt;

use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::{Caller, unauthorized};
use crate::errors::{HttpError, SERVER_ERROR, Unauthorized};
use crate::mcp::McpError;
use crate::mcp::jsonrpc::{RpcError, success};
use crate::state::AppState;

/// `tools/list`.
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
) -> Result<Response, McpError> {
    let request = with_token(state, caller, proto::ListToolsRequest {})?;
    let tools = match state.deps.tools.list_tools(request).await {
        Ok(answer) => answer.into_inner().tools,
        Err(status) => {
            return Err(match classify(state, &id, None, &status) {
                Failure::ToolError(message) => RpcError::new(
                    StatusCode::OK,
                    Some(id),
                    ErrorData::new(SERVER_ERROR, message, None),
                )
                .into(),
                Failure::Fatal(err) => err,
            });
        }
    };
    let tools: Vec<Tool> = tools.into_iter().map(to_mcp_tool).collect();
    Ok(success(id, json!({ "tools": tools })))
}

/// `tools/call`.
pub(crate) async fn call(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    params: Option<Value>,
) -> Result<Response, McpError> {
    let params: CallToolRequestParams = match params {
        Some(params) => serde_json::from_value(params).map_err(|e| {
            RpcError::invalid_params(
                id.clone(),
                format!("invalid tools/call params ({e}): expected {{\"name\": string, \"arguments\": object}}"),
            )
        })?,
        None => {
            return Err(RpcError::invalid_params(
                id,
                "missing params: tools/call expects {\"name\": string, \"arguments\": object}",
            )
            .into());
        }
    };
    let name = params.name.to_string();
    tracing::Span::current().record("mcp.tool", name.as_str());
    let arguments_json = match params.arguments {
        Some(arguments) => Value::Object(arguments).to_string(),
        None => "{}".to_owned(),
    };
    let request = with_token(
        state,
        caller,
        proto::CallToolRequest {
            name: name.clone(),
            arguments_json,
        },
    )?;
    let result = match state.deps.tools.call_tool(request).await {
        Ok(answer) => to_mcp_result(answer.into_inner(), &id)?,
        Err(status) => match classify(state, &id, Some(&name), &status) {
            Failure::ToolError(message) => tool_error(message),
            Failure::Fatal(err) => return Err(err),
        },
    };
    let result = serde_json::to_value(result).map_err(|e| internal(&id, &e))?;
    Ok(success(id, result))
}

/// A gRPC request carrying the caller's own Portico token. It is a token
/// Portico issued for itself, never an upstream Podio one.
fn with_token<T>(
    state: &AppState,
    caller: &Caller,
    message: T,
) -> Result<tonic::Request<T>, McpError> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {}", caller.token)
        .parse()
        .map_err(|_| unauthorized(state, Unauthorized::InvalidToken))?;
    request.metadata_mut().insert(AUTHORIZATION, value);
    Ok(request)
}

/// How a gRPC failure reaches the client.
enum Failure {
    /// Something the model can act on: a tool result with `isError`.
    ToolError(String),
    /// A protocol or HTTP error.
    Fatal(McpError),
}

fn classify(
    state: &AppState,
    id: &RequestId,
    tool: Option<&str>,
    status: &tonic::Status,
) -> Failure {
    let code = ErrorCode::from_grpc(status.code());
    match code {
        // MCP: argument validation errors are tool execution errors, so the
        // model sees what to fix.
        ErrorCode::InvalidArgument
        | ErrorCode::RateLimited
        | ErrorCode::Conflict
        | ErrorCode::FailedPrecondition => Failure::ToolError(status.message().to_owned()),
        ErrorCode::NotFound => Failure::Fatal(
            RpcError::invalid_params(
                id.clone(),
                match tool {
                    Some(tool) => format!("unknown tool: {tool}"),
                    None => status.message().to_owned(),
                },
            )
            .into(),
        ),
        ErrorCode::Unauthenticated => {
            Failure::Fatal(unauthorized(state, Unauthorized::InvalidToken).into())
        }
        ErrorCode::PermissionDenied => {
            let details = status.get_error_details();
            let scope = details
                .error_info()
                .and_then(|info| info.metadata.get("required_scope").cloned())
                .unwrap_or_else(|| "podio:read podio:write".to_owned());
            Failure::Fatal(
                HttpError::InsufficientScope {
                    message: format!("this token lacks the scope {scope} that the request needs"),
                    scope,
                    resource_metadata: state.settings.resource_metadata_url(),
                }
                .into(),
            )
        }
        ErrorCode::Unavailable => {
            tracing::warn!(
                message = status.message(),
                "the tools service is unavailable"
            );
            Failure::Fatal(RpcError::unavailable(id.clone()).into())
        }
        ErrorCode::Internal => {
            let request_id = uuid::Uuid::new_v4().to_string();
            tracing::error!(
                %request_id,
                grpc_code = ?status.code(),
                message = status.message(),
                "the tools service failed"
            );
            Failure::Fatal(RpcError::internal(id.clone(), &request_id).into())
        }
    }
}

fn to_mcp_tool(tool: proto::Tool) -> Tool {
    let input_schema = parse_schema(&tool.name, "input", &tool.input_schema_json)
        .unwrap_or_else(|| JsonObject::from_iter([("type".to_owned(), json!("object"))]));
    let output_schema = parse_schema(&tool.name, "output", &tool.output_schema_json);
    let title = (!tool.title.is_empty()).then_some(tool.title);
    let mut mcp = Tool::new_with_raw(
        tool.name,
        (!tool.description.is_empty()).then(|| tool.description.into()),
        Arc::new(input_schema),
    );
    let hints = tool.annotations.unwrap_or_default();
    mcp.annotations = Some(ToolAnnotations::from_raw(
        title.clone(),
        Some(hints.read_only_hint),
        Some(hints.destructive_hint),
        Some(hints.idempotent_hint),
        Some(hints.open_world_hint),
    ));
    mcp.title = title;
    mcp.output_schema = output_schema.map(Arc::new);
    mcp
}

/// A tool schema as a JSON object; `None` when absent (or, logged, broken:
/// one bad schema must not take down the whole list).
fn parse_schema(tool: &str, which: &str, raw: &str) -> Option<JsonObject> {
    if raw.trim().is_empty() {
        return None;
    }
    match serde_json::from_str::<JsonObject>(raw) {
        Ok(schema) => Some(schema),
        Err(e) => {
            tracing::warn!(tool, which, error = %e, "a tool schema is not a JSON object");
            None
        }
    }
}

fn to_mcp_result(
    answer: proto::CallToolResponse,
    id: &RequestId,
) -> Result<CallToolResult, McpError> {
    let content: Vec<ContentBlock> = answer
        .content
        .into_iter()
        .filter_map(|c| {
            // Exhaustive on purpose: a new content kind must be placed here.
            c.kind.map(|kind| match kind {
                proto::content::Kind::Text(text) => ContentBlock::text(text),
            })
        })
        .collect();
    let mut result = if answer.is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    // resultType exists only from 2026-07-28; legacy clients must not see it.
    result.result_type = None;
    if !answer.structured_content_json.trim().is_empty() {
        let structured: Value =
            serde_json::from_str(&answer.structured_content_json).map_err(|e| internal(id, &e))?;
        result.structured_content = Some(structured);
    }
    Ok(result)
}

fn tool_error(message: String) -> CallToolResult {
    let mut result = CallToolResult::error(vec![ContentBlock::text(message)]);
    result.result_type = None;
    result
}

fn internal(id: &RequestId, cause: &dyn std::fmt::Display) -> McpError {
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::error!(%request_id, error = %cause, "could not build a tool response");
    RpcError::internal(id.clone(), &request_id).into()
}
