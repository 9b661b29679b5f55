//! `resources/list`, `resources/templates/list`, `resources/read` and (legacy
//! sessions) `resources/subscribe` / `resources/unsubscribe`, answered by the
//! tools service. A URI no resource has is -32602 with the URI in `data`
//! (SEP-2164), never an empty `contents`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use portico_proto::tools::v1::{EmbeddedResource, embedded_resource::Contents};
use rmcp::model::RequestId;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::mcp::McpError;
use crate::mcp::features::{failure, non_empty, string_param};
use crate::state::AppState;

/// `resources/list`.
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
) -> Result<Value, McpError> {
    let resources = state
        .deps
        .tools
        .list_resources(&caller.token)
        .await
        .map_err(|err| failure(state, id, err, None))?;
    let resources: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            described(
                json!({"uri": r.uri, "name": r.name}),
                r.title,
                r.description,
                r.mime_type,
            )
        })
        .collect();
    Ok(json!({ "resources": resources }))
}

/// `resources/templates/list`.
pub(crate) async fn templates(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
) -> Result<Value, McpError> {
    let templates = state
        .deps
        .tools
        .list_resource_templates(&caller.token)
        .await
        .map_err(|err| failure(state, id, err, None))?;
    let templates: Vec<Value> = templates
        .into_iter()
        .map(|t| {
            described(
                json!({"uriTemplate": t.uri_template, "name": t.name}),
                t.title,
                t.description,
                t.mime_type,
            )
        })
        .collect();
    Ok(json!({ "resourceTemplates": templates }))
}

/// `resources/read`.
pub(crate) async fn read(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    params: Option<&Value>,
) -> Result<Value, McpError> {
    let uri = string_param(&id, params, "uri", "resources/read")?;
    let contents = state
        .deps
        .tools
        .read_resource(&caller.token, uri)
        .await
        .map_err(|err| failure(state, id, err, Some(json!({ "uri": uri }))))?;
    let contents: Vec<Value> = contents.into_iter().map(contents_json).collect();
    Ok(json!({ "contents": contents }))
}

/// `resources/subscribe` and `resources/unsubscribe` (legacy sessions):
/// `{}` for a resource that exists. Resources never change while the tools
/// service runs, so no `notifications/resources/updated` is ever due and
/// there is nothing to remember.
pub(crate) async fn subscribe(
    state: &AppState,
    caller: &Caller,
    id: RequestId,
    method: &str,
    params: Option<&Value>,
) -> Result<Value, McpError> {
    let uri = string_param(&id, params, "uri", method)?;
    state
        .deps
        .tools
        .read_resource(&caller.token, uri)
        .await
        .map_err(|err| failure(state, id, err, Some(json!({ "uri": uri }))))?;
    Ok(json!({}))
}

/// One resource's contents in MCP's shape (a blob base64-encoded); also
/// what an embedded resource holds.
pub(crate) fn contents_json(resource: EmbeddedResource) -> Value {
    let mut contents = json!({ "uri": resource.uri });
    if let Some(mime_type) = non_empty(resource.mime_type) {
        contents["mimeType"] = json!(mime_type);
    }
    match resource.contents {
        Some(Contents::Blob(blob)) => contents["blob"] = json!(BASE64.encode(blob)),
        Some(Contents::Text(text)) => contents["text"] = json!(text),
        None => contents["text"] = json!(""),
    }
    contents
}

/// `object` with the optional `title`, `description` and `mimeType` that
/// are set.
fn described(mut object: Value, title: String, description: String, mime_type: String) -> Value {
    for (key, value) in [
        ("title", title),
        ("description", description),
        ("mimeType", mime_type),
    ] {
        if let Some(value) = non_empty(value) {
            object[key] = json!(value);
        }
    }
    object
}
