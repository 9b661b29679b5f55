//! `prompts/list` and `prompts/get`, answered by the tools service.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use portico_proto::tools::v1::{ContentBlock, GetPromptRequest, Role, content_block::Kind};
use rmcp::model::RequestId;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::mcp::McpError;
use crate::mcp::features::{failure, non_empty, string_param};
use crate::mcp::input;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::reply::{AskVia, CallContext};
use crate::mcp::resources::contents_json;
use crate::state::AppState;
use axum::http::StatusCode;

/// `prompts/list`.
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
) -> Result<Value, McpError> {
    let prompts = state
        .deps
        .tools
        .list_prompts(&caller.token)
        .await
        .map_err(|err| failure(state, id, err, None))?;
    let prompts: Vec<Value> = prompts
        .into_iter()
        .map(|p| {
            let mut prompt = json!({ "name": p.name });
            if let Some(title) = non_empty(p.title) {
                prompt["title"] = json!(title);
            }
            if let Some(description) = non_empty(p.description) {
                prompt["description"] = json!(description);
            }
            if !p.arguments.is_empty() {
                let arguments: Vec<Value> = p
                    .arguments
                    .into_iter()
                    .map(|a| {
                        let mut argument = json!({"name": a.name, "required": a.required});
                        if let Some(description) = non_empty(a.description) {
                            argument["description"] = json!(description);
                        }
                        argument
                    })
                    .collect();
                prompt["arguments"] = json!(arguments);
            }
            prompt
        })
        .collect();
    Ok(json!({ "prompts": prompts }))
}

/// `prompts/get`: `params.name`, and `params.arguments` as an object of
/// strings.
pub(crate) async fn get(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    params: Option<&Value>,
    context: &CallContext,
) -> Result<Value, McpError> {
    let name = string_param(&id, params, "name", "prompts/get")?.to_owned();
    let arguments = string_map(&id, params.and_then(|p| p.get("arguments")), "arguments")?;
    let (input_responses_json, handle) = match (context.ask_via, params) {
        (AskVia::InputRequiredResult, Some(params)) => input::retry_of(&id, params)?,
        _ => Default::default(),
    };
    let request_state = match handle {
        Some(handle) => input::resume(state, caller, &id, &name, &handle).await?,
        None => String::new(),
    };
    let request = GetPromptRequest {
        name: name.clone(),
        arguments,
        client_capabilities: Some(context.capabilities),
        input_responses_json,
        request_state,
    };
    let mut answer = state
        .deps
        .tools
        .get_prompt(&caller.token, request)
        .await
        .map_err(|err| failure(state, id.clone(), err, None))?;
    if let Some(required) = answer.input_required.take() {
        if context.ask_via != AskVia::InputRequiredResult {
            // prompts/get has no response stream to ask on in these revisions.
            return Err(RpcError::invalid_params(
                id,
                "this prompt needs input from the client first, which prompts/get can only ask for in protocol version 2026-07-28",
            )
            .into());
        }
        input::check_capabilities(
            &id,
            &context.capabilities,
            &required,
            StatusCode::BAD_REQUEST,
        )?;
        return input::required_result(state, caller, &id, &name, required).await;
    }
    let messages: Vec<Value> = answer
        .messages
        .into_iter()
        .filter_map(|m| {
            let role = match Role::try_from(m.role).ok()? {
                Role::User => "user",
                Role::Assistant => "assistant",
                Role::Unspecified => return None,
            };
            Some(json!({"role": role, "content": content_json(m.content?)?}))
        })
        .collect();
    let mut result = json!({ "messages": messages });
    if let Some(description) = non_empty(answer.description) {
        result["description"] = json!(description);
    }
    Ok(result)
}

/// An optional object of string values (prompt arguments, completion
/// context), or -32602 naming the field.
pub(crate) fn string_map(
    id: &RequestId,
    value: Option<&Value>,
    field: &str,
) -> Result<HashMap<String, String>, McpError> {
    let invalid = || -> McpError {
        RpcError::invalid_params(
            id.clone(),
            format!("params.{field} must be an object whose values are strings"),
        )
        .into()
    };
    match value {
        None | Some(Value::Null) => Ok(HashMap::new()),
        Some(Value::Object(object)) => object
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.as_str().ok_or_else(invalid)?.to_owned())))
            .collect(),
        Some(_) => Err(invalid()),
    }
}

/// A prompt message's content block in MCP's shape.
fn content_json(block: ContentBlock) -> Option<Value> {
    Some(match block.kind? {
        Kind::Text(text) => json!({"type": "text", "text": text}),
        Kind::Image(image) => json!({
            "type": "image",
            "data": BASE64.encode(image.data),
            "mimeType": image.mime_type,
        }),
        Kind::Audio(audio) => json!({
            "type": "audio",
            "data": BASE64.encode(audio.data),
            "mimeType": audio.mime_type,
        }),
        Kind::Resource(resource) => {
            json!({"type": "resource", "resource": contents_json(resource)})
        }
    })
}
