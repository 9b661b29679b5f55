//! An MCP client for the end-to-end tests: rmcp's client (a client no one on
//! the team wrote) over Streamable HTTP with a bearer token, and small helpers
//! to call a tool and read its result.

use anyhow::Context;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::Value;

/// Every tool, in the order tools/list gives them.
pub use portico_tools::TOOL_NAMES;

/// A connected MCP client session.
pub type Client = RunningService<rmcp::RoleClient, ()>;

/// Connects to the MCP endpoint `url` with `token` as the bearer token and
/// completes `initialize`.
pub async fn connect(url: &str, token: &str) -> anyhow::Result<Client> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url.to_owned()).auth_header(token.to_owned()),
    );
    Ok(().serve(transport).await?)
}

/// Calls tool `name` with `args` (a JSON object).
pub async fn call(client: &Client, name: &str, args: Value) -> anyhow::Result<CallToolResult> {
    let Value::Object(args) = args else {
        anyhow::bail!("arguments must be an object")
    };
    Ok(client
        .call_tool(CallToolRequestParams::new(name.to_owned()).with_arguments(args))
        .await?)
}

/// The text content of a result, joined by newlines.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The structured content of a successful result; fails with the tool's text
/// when the result is an error.
pub fn structured(result: &CallToolResult) -> anyhow::Result<&Value> {
    anyhow::ensure!(
        result.is_error != Some(true),
        "tool failed: {}",
        text(result)
    );
    result
        .structured_content
        .as_ref()
        .context("no structuredContent")
}

/// The array under `key` in `value`, or fails naming the key.
pub fn list<'a>(value: &'a Value, key: &str) -> anyhow::Result<&'a Vec<Value>> {
    value[key]
        .as_array()
        .with_context(|| format!("no {key:?} array in {value}"))
}

/// The text of a result that must be a tool error (`isError`), or fails.
pub fn error_text(result: &CallToolResult) -> anyhow::Result<String> {
    anyhow::ensure!(
        result.is_error == Some(true),
        "expected a tool error, got: {}",
        text(result)
    );
    Ok(text(result))
}
