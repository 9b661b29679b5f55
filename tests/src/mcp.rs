//! An MCP client for the end-to-end tests: rmcp's client (a client no one on
//! the team wrote) over Streamable HTTP with a bearer token, and small helpers
//! to call a tool and read its result.

use std::collections::HashMap;

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

/// A client that checks every successful result's structuredContent against
/// the tool's outputSchema from tools/list, as strict MCP clients (the
/// official SDKs among them) do: a result that does not match its own
/// schema is a failure even when its values are right.
pub struct CheckedClient {
    client: Client,
    schemas: HashMap<String, jsonschema::Validator>,
}

impl CheckedClient {
    /// Connects like [`connect`] and compiles every tool's output schema.
    pub async fn connect(url: &str, token: &str) -> anyhow::Result<Self> {
        let client = connect(url, token).await?;
        let mut schemas = HashMap::new();
        for tool in client.list_all_tools().await? {
            if let Some(schema) = &tool.output_schema {
                let schema = Value::Object(schema.as_ref().clone());
                let validator = jsonschema::validator_for(&schema)
                    .map_err(|e| anyhow::anyhow!("{}: bad outputSchema: {e}", tool.name))?;
                schemas.insert(tool.name.to_string(), validator);
            }
        }
        Ok(CheckedClient { client, schemas })
    }

    /// Calls tool `name` and checks a successful result against its schema.
    pub async fn call(&self, name: &str, args: Value) -> anyhow::Result<CallToolResult> {
        let result = call(&self.client, name, args).await?;
        if result.is_error != Some(true) {
            let content = result
                .structured_content
                .as_ref()
                .with_context(|| format!("{name} returned no structuredContent"))?;
            self.check(name, content)?;
        }
        Ok(result)
    }

    /// Checks `content` against the outputSchema of tool `name`.
    pub fn check(&self, name: &str, content: &Value) -> anyhow::Result<()> {
        let validator = self
            .schemas
            .get(name)
            .with_context(|| format!("{name} has no outputSchema"))?;
        let problems: Vec<String> = validator
            .iter_errors(content)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        anyhow::ensure!(
            problems.is_empty(),
            "{name}: structuredContent does not match its outputSchema: {}",
            problems.join("; ")
        );
        Ok(())
    }

    /// Ends the session.
    pub async fn cancel(self) -> anyhow::Result<()> {
        self.client.cancel().await?;
        Ok(())
    }
}
