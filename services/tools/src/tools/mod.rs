//! The tools: one file per tool (its name, title, description for a language
//! model, input and output schemas, annotations, required scope and handler),
//! gathered in one [`catalog::Catalog`] in a fixed order.

pub mod catalog;
#[cfg(feature = "conformance-fixtures")]
mod fixture_inputs;
#[cfg(feature = "conformance-fixtures")]
pub(crate) mod fixture_prompts;
#[cfg(feature = "conformance-fixtures")]
pub(crate) mod fixture_resources;
#[cfg(feature = "conformance-fixtures")]
mod fixtures;
pub mod schema;

mod add_comment;
mod complete_task;
mod create_item;
mod create_task;
mod get_app;
mod get_app_summary;
mod get_apps_in_space;
mod get_item;
mod get_item_comments;
mod get_items;
mod get_notifications;
mod get_org_members;
mod get_organizations;
mod get_space;
mod get_space_members;
mod get_spaces_in_organization;
mod get_task;
mod get_tasks;
mod list_views;
mod page;
mod search_globally;
mod update_item;
mod update_task;

use async_trait::async_trait;
use portico_proto::tools::v1::{ContentBlock, ToolResult};
use portico_proto::vocab::Scope;
use serde_json::Value;

use crate::args::Args;
use crate::context::CallContext;
use crate::error::ToolError;
use crate::podio::Podio;

/// The scope every read-only tool requires.
pub const SCOPE_READ: Scope = Scope::PodioRead;

/// The scope every tool that changes Podio requires.
pub const SCOPE_WRITE: Scope = Scope::PodioWrite;

/// MCP behaviour hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    /// The tool does not change anything.
    pub read_only: bool,
    /// The tool may delete or overwrite data.
    pub destructive: bool,
    /// Calling it twice with the same arguments has no further effect.
    pub idempotent: bool,
    /// The tool reaches an external system (Podio).
    pub open_world: bool,
}

/// Hints of a tool that only reads Podio.
pub const READ_ONLY: Annotations = Annotations {
    read_only: true,
    destructive: false,
    idempotent: true,
    open_world: true,
};

/// Hints of a tool that adds something new to Podio (an item, a task, a
/// comment): nothing existing is overwritten, and a repeated call adds again.
pub const CREATES: Annotations = Annotations {
    read_only: false,
    destructive: false,
    idempotent: false,
    open_world: true,
};

/// Hints of a tool that changes existing Podio data in place: the values it
/// replaces are lost (destructive), and repeating the same call leaves the
/// same state (idempotent).
pub const UPDATES: Annotations = Annotations {
    read_only: false,
    destructive: true,
    idempotent: true,
    open_world: true,
};

/// Everything a client needs to know about a tool.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    /// Unique name, e.g. "get_item".
    pub name: &'static str,
    /// Short title, e.g. "Get item".
    pub title: &'static str,
    /// What the tool does and when to use it, for a language model.
    pub description: &'static str,
    /// JSON Schema of the arguments object.
    pub input_schema: Value,
    /// JSON Schema of the structured result (always an object).
    pub output_schema: Value,
    /// Behaviour hints.
    pub annotations: Annotations,
    /// The scope a token needs to call the tool.
    pub required_scope: Scope,
}

/// A successful result of a Podio tool: one text block and the structured
/// result.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// Concise text for a language model.
    pub text: String,
    /// The structured result; a JSON object matching the output schema.
    pub structured: Value,
}

impl From<ToolOutput> for ToolResult {
    fn from(output: ToolOutput) -> ToolResult {
        ToolResult {
            is_error: false,
            content: vec![ContentBlock::text(output.text)],
            structured_content_json: output.structured.to_string(),
            input_required: None,
        }
    }
}

/// One Podio tool.
#[async_trait]
pub trait Tool: Send + Sync {
    /// The tool's definition.
    fn spec(&self) -> ToolSpec;

    /// Runs the tool for the caller of `cx`. `args` has been checked against
    /// the input schema's property names; the tool checks the values and
    /// calls `finish`. Progress and log events go through `cx`; the service
    /// stops the call at its next wait when `cx` is cancelled.
    async fn call(
        &self,
        cx: &CallContext,
        podio: &Podio,
        args: Args,
    ) -> Result<ToolOutput, ToolError>;
}

/// What the catalog runs: every [`Tool`], and tools whose results are not
/// one text block plus structured content (the conformance fixtures' images,
/// audio and embedded resources), which implement this directly.
#[async_trait]
pub trait Handler: Send + Sync {
    /// The tool's definition.
    fn spec(&self) -> ToolSpec;

    /// Runs the tool to its wire result.
    async fn handle(
        &self,
        cx: &CallContext,
        podio: &Podio,
        args: Args,
    ) -> Result<ToolResult, ToolError>;
}

#[async_trait]
impl<T: Tool> Handler for T {
    fn spec(&self) -> ToolSpec {
        Tool::spec(self)
    }

    async fn handle(
        &self,
        cx: &CallContext,
        podio: &Podio,
        args: Args,
    ) -> Result<ToolResult, ToolError> {
        self.call(cx, podio, args).await.map(ToolResult::from)
    }
}

/// `value` as an array, or an INTERNAL error naming the request.
fn expect_array<'a>(value: &'a Value, request: &str) -> Result<&'a [Value], ToolError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| ToolError::Internal(format!("podio answered {request} with a non-array")))
}

/// `value` if it is an object, or an INTERNAL error naming the request.
pub(crate) fn expect_object<'a>(value: &'a Value, request: &str) -> Result<&'a Value, ToolError> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(ToolError::Internal(format!(
            "podio answered {request} with a non-object"
        )))
    }
}

/// "1 app" / "3 apps".
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}
