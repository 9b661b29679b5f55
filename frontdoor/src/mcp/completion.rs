//! `completion/complete`: suggestions for a prompt's or resource template's
//! argument, answered by the tools service.

use portico_proto::tools::v1::{CompleteRequest, complete_request::Reference};
use rmcp::model::RequestId;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::mcp::McpError;
use crate::mcp::features::failure;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::prompts::string_map;
use crate::state::AppState;

/// `completion/complete` with `params.ref` (`ref/prompt` + `name`, or
/// `ref/resource` + `uri`), `params.argument` (`name`, `value`) and
/// optionally `params.context.arguments`.
pub(crate) async fn complete(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    params: Option<&Value>,
) -> Result<Value, McpError> {
    let request = request(&id, params)?;
    let answer = state
        .deps
        .tools
        .complete(&caller.token, request)
        .await
        .map_err(|err| failure(state, id, err, None))?;
    let mut completion = json!({ "values": answer.values, "hasMore": answer.has_more });
    if let Some(total) = answer.total {
        completion["total"] = json!(total);
    }
    Ok(json!({ "completion": completion }))
}

fn request(id: &RequestId, params: Option<&Value>) -> Result<CompleteRequest, McpError> {
    let invalid = |what: &str| -> McpError {
        RpcError::invalid_params(
            id.clone(),
            format!(
                "completion/complete expects {what}: params {{\"ref\": {{\"type\": \"ref/prompt\", \"name\": …}} or {{\"type\": \"ref/resource\", \"uri\": …}}, \"argument\": {{\"name\": …, \"value\": …}}}}"
            ),
        )
        .into()
    };
    let reference = params.and_then(|p| p.get("ref"));
    let field = |name: &str| {
        reference
            .and_then(|r| r.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let reference = match reference
        .and_then(|r| r.get("type"))
        .and_then(Value::as_str)
    {
        Some("ref/prompt") => {
            Reference::PromptName(field("name").ok_or_else(|| invalid("ref.name"))?)
        }
        Some("ref/resource") => {
            Reference::ResourceTemplateUri(field("uri").ok_or_else(|| invalid("ref.uri"))?)
        }
        _ => return Err(invalid("ref.type")),
    };
    let argument = params.and_then(|p| p.get("argument"));
    let text = |name: &str| argument.and_then(|a| a.get(name)).and_then(Value::as_str);
    let argument_name = text("name")
        .ok_or_else(|| invalid("argument.name"))?
        .to_owned();
    let argument_value = text("value").unwrap_or_default().to_owned();
    let context = params
        .and_then(|p| p.get("context"))
        .and_then(|c| c.get("arguments"));
    Ok(CompleteRequest {
        reference: Some(reference),
        argument_name,
        argument_value,
        context_arguments: string_map(id, context, "context.arguments")?,
    })
}
