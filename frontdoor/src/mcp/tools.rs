//! `tools/list` and `tools/call`: proto tools and results converted to MCP
//! shapes, with the caller's Portico token passed to the tools service, and
//! every service error placed once in MCP terms (tool result, JSON-RPC
//! error or HTTP status).

use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::StreamExt as _;
use portico_proto::error::{ErrorCode, ServiceError};
use portico_proto::tools::v1 as proto;
use proto::content_block::Kind;
use proto::embedded_resource::Contents;
use proto::tool_call_event::Event;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, ErrorData, JsonObject, RequestId,
    ResourceContents, Tool, ToolAnnotations,
};
use serde_json::{Value, json};

use axum::http::StatusCode;

use crate::auth::{Caller, unauthorized};
use crate::errors::{HttpError, SERVER_ERROR, Unauthorized};
use crate::mcp::McpError;
use crate::mcp::input::{self, Asked};
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::protocol::{MAX_CLIENT_STRING, clip};
use crate::mcp::reply::{AskVia, CallContext, LogLevel, Notifier, Reply};
use crate::state::AppState;

pub(crate) mod replay;

use replay::Plan;

/// `tools/list`.
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
) -> Result<Value, McpError> {
    let tools = match state.deps.tools.list_tools(&caller.token).await {
        Ok(tools) => tools,
        Err(err) => {
            return Err(match classify(state, &id, None, &err) {
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
    Ok(json!({ "tools": tools }))
}

/// `tools/call`. When the client opted in to progress or log messages the
/// call runs through the tools service's streaming CallTool and the reply
/// is a stream, so whatever the tool reports reaches the client before its
/// result; otherwise it is one unary call and one answer.
pub(crate) async fn call(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    params: Option<Value>,
    context: CallContext,
) -> Reply {
    let call = match tool_call(&id, params, &context) {
        Ok(call) => call,
        Err(err) => return Reply::single(Err(err)),
    };
    let call = match resumed(state, caller, &id, call).await {
        Ok(call) => call,
        Err(err) => return Reply::single(Err(err)),
    };
    let held = match replay::plan(state, caller, &id, &call).await {
        Plan::Direct => None,
        Plan::Answer(outcome) => return Reply::single(outcome),
        Plan::Held(held) => Some(held),
    };
    match (context.wants_events(), held) {
        (false, None) => Reply::single(call_unary(state, caller, id, call, context).await),
        (true, None) => {
            let (state, caller) = (state.clone(), caller.clone());
            Reply::streamed(&context.clone(), move |notifier| async move {
                call_streaming(&state, &caller, id, call, notifier, context).await
            })
        }
        // A claimed write runs to its end even if the client goes away, so
        // the result its retry asks for is there.
        (true, Some(held)) => {
            let (state, caller) = (state.clone(), caller.clone());
            Reply::streamed(&context.clone(), move |notifier| async move {
                let work_id = id.clone();
                held.run(id, async move {
                    call_streaming(&state, &caller, work_id, call, notifier, context).await
                })
                .await
            })
        }
        (false, Some(held)) => {
            let (state, caller) = (state.clone(), caller.clone());
            let work_id = id.clone();
            Reply::single(
                held.run(id, async move {
                    call_unary(&state, &caller, work_id, call, context).await
                })
                .await,
            )
        }
    }
}

/// A 2026-07-28 retry's call with the tools service's state behind its
/// `requestState` handle (which `tool_call` left there).
async fn resumed(
    state: &AppState,
    caller: &Caller,
    id: &RequestId,
    mut call: proto::ToolCall,
) -> Result<proto::ToolCall, McpError> {
    if !call.request_state.is_empty() {
        call.request_state =
            input::resume(state, caller, id, &call.name, &call.request_state).await?;
    }
    Ok(call)
}

/// The tools service's request for `tools/call` params. For a 2026-07-28
/// retry, `request_state` holds the client's handle until [`resumed`]
/// swaps in the state.
fn tool_call(
    id: &RequestId,
    params: Option<Value>,
    context: &CallContext,
) -> Result<proto::ToolCall, McpError> {
    let Some(params) = params else {
        return Err(RpcError::invalid_params(
            id.clone(),
            "missing params: tools/call expects {\"name\": string, \"arguments\": object}",
        )
        .into());
    };
    let (input_responses_json, handle) = match context.ask_via {
        AskVia::InputRequiredResult => input::retry_of(id, &params)?,
        AskVia::ResponseStream | AskVia::Nowhere => Default::default(),
    };
    let idempotency_key = params
        .get("_meta")
        .and_then(|m| m.get(IDEMPOTENCY_KEY))
        .and_then(Value::as_str)
        .map(|k| clip(k, MAX_IDEMPOTENCY_KEY).to_owned())
        .unwrap_or_default();
    let params: CallToolRequestParams = serde_json::from_value(params).map_err(|e| {
        RpcError::invalid_params(
            id.clone(),
            format!("invalid tools/call params ({e}): expected {{\"name\": string, \"arguments\": object}}"),
        )
    })?;
    let name = params.name.to_string();
    tracing::Span::current().record("mcp.tool", clip(&name, MAX_CLIENT_STRING));
    let arguments_json = match params.arguments {
        Some(arguments) => Value::Object(arguments).to_string(),
        None => "{}".to_owned(),
    };
    Ok(proto::ToolCall {
        name,
        arguments_json,
        progress: context.progress_token.is_some(),
        min_log_level: context
            .log_level
            .map_or(proto::LogLevel::Unspecified, to_proto_level) as i32,
        traceparent: String::new(),
        idempotency_key,
        client_capabilities: Some(context.capabilities),
        input_responses_json,
        request_state: handle.unwrap_or_default(),
    })
}

async fn call_unary(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    call: proto::ToolCall,
    context: CallContext,
) -> Result<Value, McpError> {
    let (name, started) = (call.name.clone(), Instant::now());
    let outcome = call_unary_untimed(state, caller, id, call, context).await;
    measured(state, &name, started, &outcome).await;
    outcome
}

async fn call_unary_untimed(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    call: proto::ToolCall,
    context: CallContext,
) -> Result<Value, McpError> {
    let name = call.name.clone();
    match state.deps.tools.call_tool(&caller.token, call).await {
        Ok(answer) => answered(state, caller, &id, &name, &context, answer).await,
        Err(err) => match classify(state, &id, Some(&name), &err) {
            Failure::ToolError(message) => {
                serde_json::to_value(tool_error(message)).map_err(|e| internal(&id, &e))
            }
            Failure::Fatal(err) => Err(err),
        },
    }
}

/// The MCP result of the tool's answer: its content, or what it needs the
/// client to answer first, in this call's way (see `input`). Asking on the
/// response stream happens in [`call_streaming`]; here it is not possible.
async fn answered(
    state: &AppState,
    caller: &Caller,
    id: &RequestId,
    name: &str,
    context: &CallContext,
    mut answer: proto::ToolResult,
) -> Result<Value, McpError> {
    let Some(required) = answer.input_required.take() else {
        let result = to_mcp_result(answer, id)?;
        return serde_json::to_value(result).map_err(|e| internal(id, &e));
    };
    let status = match context.ask_via {
        AskVia::InputRequiredResult => StatusCode::BAD_REQUEST,
        AskVia::ResponseStream | AskVia::Nowhere => StatusCode::OK,
    };
    input::check_capabilities(id, &context.capabilities, &required, status)?;
    let message = match context.ask_via {
        AskVia::InputRequiredResult => {
            return input::required_result(state, caller, id, name, required).await;
        }
        AskVia::Nowhere => format!(
            "this tool needs to ask the client something ({}) on the response stream, and this request does not accept one: send Accept: application/json, text/event-stream",
            methods(&required)
        ),
        AskVia::ResponseStream => format!(
            "this tool kept asking the client ({}) after {} rounds of answers; it was stopped",
            methods(&required),
            input::MAX_ROUNDS
        ),
    };
    serde_json::to_value(tool_error(message)).map_err(|e| internal(id, &e))
}

fn methods(required: &proto::InputRequired) -> String {
    required
        .requests
        .iter()
        .map(|r| clip(&r.method, 64))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Relays the call's progress and log events to the client, then answers
/// with its result. When the tool needs input and the client is asked on
/// the stream, asks it and calls the tool again with the answers. Dropping
/// this future (the client went away) drops the event stream, which
/// cancels the call in the tools service.
async fn call_streaming(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    call: proto::ToolCall,
    notifier: Notifier,
    context: CallContext,
) -> Result<Value, McpError> {
    let (name, started) = (call.name.clone(), Instant::now());
    let outcome = call_streaming_untimed(state, caller, id, call, notifier, context).await;
    measured(state, &name, started, &outcome).await;
    outcome
}

/// Counts a finished call in the metrics, by tool (`unknown` for a name
/// the catalog does not list: clients choose names, the metrics must not
/// grow with them) and outcome.
async fn measured(
    state: &AppState,
    name: &str,
    started: Instant,
    outcome: &Result<Value, McpError>,
) {
    let kind = match outcome {
        Ok(result) if result.get("isError") == Some(&Value::Bool(true)) => "tool_error",
        Ok(result) if result.get("resultType") == Some(&Value::from("input_required")) => {
            "input_required"
        }
        Ok(_) => "ok",
        Err(_) => "error",
    };
    let tool = if state.writes.knows(name).await {
        name
    } else {
        "unknown"
    };
    crate::metrics::tool_call(tool, kind, started.elapsed());
}

async fn call_streaming_untimed(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    mut call: proto::ToolCall,
    notifier: Notifier,
    context: CallContext,
) -> Result<Value, McpError> {
    let name = call.name.clone();
    let failed = |err: &ServiceError| match classify(state, &id, Some(&name), err) {
        Failure::ToolError(message) => {
            serde_json::to_value(tool_error(message)).map_err(|e| internal(&id, &e))
        }
        Failure::Fatal(err) => Err(err),
    };
    let mut round = 0;
    'rounds: loop {
        let mut events = match state
            .deps
            .tools
            .call_tool_stream(&caller.token, call.clone())
            .await
        {
            Ok(events) => events,
            Err(err) => return failed(&err),
        };
        while let Some(event) = events.next().await {
            match event.map(|e| e.event) {
                Ok(Some(Event::Progress(p))) => {
                    let message = (!p.message.is_empty()).then_some(p.message.as_str());
                    notifier.progress(p.progress, p.total, message).await;
                }
                Ok(Some(Event::Log(log))) => {
                    let Some(level) = from_proto_level(log.level) else {
                        continue;
                    };
                    let data = serde_json::from_str(&log.data_json)
                        .unwrap_or(Value::String(log.data_json));
                    notifier.log(level, &log.logger, data).await;
                }
                Ok(Some(Event::Result(result))) => {
                    // The call is over: let its stream end rather than reset it.
                    events.finish();
                    let asks =
                        context.ask_via == AskVia::ResponseStream && round < input::MAX_ROUNDS;
                    let Some(required) = result.input_required.as_ref().filter(|_| asks) else {
                        return answered(state, caller, &id, &name, &context, result).await;
                    };
                    input::check_capabilities(
                        &id,
                        &context.capabilities,
                        required,
                        StatusCode::OK,
                    )?;
                    match input::ask_on_stream(state, caller, &id, &notifier, required).await? {
                        Asked::Answers(answers) => {
                            call.input_responses_json = answers;
                            call.request_state = required.request_state.clone();
                            round += 1;
                            continue 'rounds;
                        }
                        Asked::Refused(message) => {
                            return serde_json::to_value(tool_error(message))
                                .map_err(|e| internal(&id, &e));
                        }
                    }
                }
                Ok(None) => {}
                Err(err) => return failed(&err),
            }
        }
        return failed(&ServiceError::new(
            ErrorCode::Unavailable,
            "the tool call ended without a result",
        ));
    }
}

/// `_meta` key of an idempotency key for a write (Portico's own key, as
/// MCP reserves no name for one).
const IDEMPOTENCY_KEY: &str = "io.portico/idempotencyKey";
/// The tools service takes idempotency keys of at most this many bytes.
const MAX_IDEMPOTENCY_KEY: usize = 200;

fn to_proto_level(level: LogLevel) -> proto::LogLevel {
    match level {
        LogLevel::Debug => proto::LogLevel::Debug,
        LogLevel::Info => proto::LogLevel::Info,
        LogLevel::Notice => proto::LogLevel::Notice,
        LogLevel::Warning => proto::LogLevel::Warning,
        LogLevel::Error => proto::LogLevel::Error,
        LogLevel::Critical => proto::LogLevel::Critical,
        LogLevel::Alert => proto::LogLevel::Alert,
        LogLevel::Emergency => proto::LogLevel::Emergency,
    }
}

fn from_proto_level(level: i32) -> Option<LogLevel> {
    Some(match proto::LogLevel::try_from(level).ok()? {
        proto::LogLevel::Unspecified => return None,
        proto::LogLevel::Debug => LogLevel::Debug,
        proto::LogLevel::Info => LogLevel::Info,
        proto::LogLevel::Notice => LogLevel::Notice,
        proto::LogLevel::Warning => LogLevel::Warning,
        proto::LogLevel::Error => LogLevel::Error,
        proto::LogLevel::Critical => LogLevel::Critical,
        proto::LogLevel::Alert => LogLevel::Alert,
        proto::LogLevel::Emergency => LogLevel::Emergency,
    })
}

/// How a failure reaches the client.
enum Failure {
    /// Something the model can act on: a tool result with `isError`.
    ToolError(String),
    /// A protocol or HTTP error.
    Fatal(McpError),
}

fn classify(state: &AppState, id: &RequestId, tool: Option<&str>, err: &ServiceError) -> Failure {
    match err.code {
        // MCP: argument validation errors are tool execution errors, so the
        // model sees what to fix.
        ErrorCode::InvalidArgument
        | ErrorCode::RateLimited
        | ErrorCode::Conflict
        | ErrorCode::FailedPrecondition => Failure::ToolError(err.message.clone()),
        ErrorCode::NotFound => Failure::Fatal(
            RpcError::invalid_params(
                id.clone(),
                match tool {
                    Some(tool) => format!("unknown tool: {}", clip(tool, MAX_CLIENT_STRING)),
                    None => err.message.clone(),
                },
            )
            .into(),
        ),
        ErrorCode::Unauthenticated => {
            Failure::Fatal(unauthorized(state, Unauthorized::InvalidToken).into())
        }
        ErrorCode::PermissionDenied => {
            let scope = err
                .required_scope
                .clone()
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
            tracing::warn!(message = %err.message, "the tools service is unavailable");
            Failure::Fatal(RpcError::unavailable(id.clone()).into())
        }
        ErrorCode::Internal => {
            let request_id = crate::trace::request_id();
            tracing::error!(%request_id, message = %err.message, "the tools service failed");
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

fn to_mcp_result(answer: proto::ToolResult, id: &RequestId) -> Result<CallToolResult, McpError> {
    let content: Vec<ContentBlock> = answer
        .content
        .into_iter()
        .filter_map(|c| c.kind.map(to_mcp_content))
        .collect();
    let mut result = if answer.is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    // resultType exists only from 2026-07-28, where the dispatch adds it;
    // legacy clients must not see it.
    result.result_type = None;
    if !answer.structured_content_json.trim().is_empty() {
        let structured: Value =
            serde_json::from_str(&answer.structured_content_json).map_err(|e| internal(id, &e))?;
        result.structured_content = Some(structured);
    }
    Ok(result)
}

/// One content block in MCP's JSON shape (binary data base64-encoded).
fn to_mcp_content(kind: Kind) -> ContentBlock {
    // Exhaustive on purpose: a new content kind must be placed here.
    match kind {
        Kind::Text(text) => ContentBlock::text(text),
        Kind::Image(image) => ContentBlock::image(BASE64.encode(&image.data), image.mime_type),
        Kind::Audio(audio) => ContentBlock::audio(BASE64.encode(&audio.data), audio.mime_type),
        Kind::Resource(resource) => {
            let mime_type = (!resource.mime_type.is_empty()).then_some(resource.mime_type);
            let contents = match resource.contents {
                Some(Contents::Blob(blob)) => ResourceContents::BlobResourceContents {
                    uri: resource.uri,
                    mime_type,
                    blob: BASE64.encode(&blob),
                    meta: None,
                },
                Some(Contents::Text(text)) => ResourceContents::TextResourceContents {
                    uri: resource.uri,
                    mime_type,
                    text,
                    meta: None,
                },
                None => ResourceContents::TextResourceContents {
                    uri: resource.uri,
                    mime_type,
                    text: String::new(),
                    meta: None,
                },
            };
            ContentBlock::resource(contents)
        }
    }
}

fn tool_error(message: String) -> CallToolResult {
    let mut result = CallToolResult::error(vec![ContentBlock::text(message)]);
    result.result_type = None;
    result
}

fn internal(id: &RequestId, cause: &dyn std::fmt::Display) -> McpError {
    let request_id = crate::trace::request_id();
    tracing::error!(%request_id, error = %cause, "could not build a tool response");
    RpcError::internal(id.clone(), &request_id).into()
}
