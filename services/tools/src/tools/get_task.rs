//! get_task: one Podio task; also home of the task output schema and the
//! task text rendering every task tool shares.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_object, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::json::str_at;
use crate::decode::task;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Advice when a task id is unknown.
pub(super) const FIND_TASKS: &str = "use get_tasks to find task ids";

/// The get_task tool.
pub struct GetTask;

#[async_trait]
impl Tool for GetTask {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_task",
            title: "Get task",
            description: "Fetch one Podio task by its task_id: text, description, status (active \
                or completed), due date and time, responsible user, creator, labels, the item, app \
                or workspace it is attached to, and its link. Use get_tasks to find task ids.",
            input_schema: schema::input(
                &[("task_id", schema::id("The task's id (from get_tasks)."))],
                &["task_id"],
            ),
            output_schema: task_output(),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(
        &self,
        _cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let task_id = args.id("task_id", "task id");
        args.finish()?;
        let decoded = fetch(podio, task_id).await?;
        podio
            .scope()
            .check_in(
                podio,
                crate::scope::id_at(&decoded, "space_id"),
                &format!("task {task_id}"),
            )
            .await?;
        Ok(ToolOutput {
            text: render(&decoded),
            structured: decoded,
        })
    }
}

/// GET /task/{task_id}, decoded.
pub(super) async fn fetch(podio: &Podio, task_id: u64) -> Result<Value, ToolError> {
    let target = Target::new(format!("task {task_id}"), FIND_TASKS);
    let raw = podio.get(format!("/task/{task_id}"), &[], &target).await?;
    Ok(task::task(expect_object(&raw, "GET /task/{task_id}")?))
}

/// A task as several lines: its summary line, then link and description.
pub(super) fn render(t: &Value) -> String {
    let mut lines = vec![task::task_line(t)];
    if let Some(link) = str_at(t, "link") {
        lines.push(format!("Link: {link}"));
    }
    if let Some(on) = str_at(t, "created_on") {
        match str_at(t, "created_by") {
            Some(by) => lines.push(format!("Created {on} by {by}")),
            None => lines.push(format!("Created {on}")),
        }
    }
    if let Some(description) = str_at(t, "description").filter(|d| !d.trim().is_empty()) {
        lines.push(format!("Description: {description}"));
    }
    lines.join("\n")
}

/// The properties of a decoded task.
pub(super) fn task_properties() -> Vec<(&'static str, Value)> {
    vec![
        (
            "task_id",
            schema::nullable(
                "integer",
                "The task's id; use it with get_task, update_task, complete_task.",
            ),
        ),
        (
            "text",
            schema::nullable("string", "What is to be done (the task's title)."),
        ),
        (
            "description",
            schema::nullable("string", "Longer description, plain text."),
        ),
        (
            "status",
            schema::nullable("string", "active (open) or completed."),
        ),
        (
            "due_date",
            schema::nullable(
                "string",
                "Due date \"YYYY-MM-DD\", in the responsible user's time zone.",
            ),
        ),
        (
            "due_time",
            schema::nullable("string", "Due time of day \"HH:MM:SS\" (local), if set."),
        ),
        (
            "due_on",
            schema::nullable(
                "string",
                "Due date and time in UTC, \"YYYY-MM-DD HH:MM:SS\".",
            ),
        ),
        (
            "responsible",
            json!({
                "type": ["object", "null"],
                "description": "The user who is to do the task, or null when nobody is.",
                "properties": {
                    "user_id": schema::nullable("integer", "The user's id (what responsible arguments take)."),
                    "profile_id": schema::nullable("integer", "The user's profile id (what contact fields take)."),
                    "name": schema::nullable("string", "The user's name."),
                },
            }),
        ),
        (
            "created_by",
            schema::nullable("string", "Name of who created the task."),
        ),
        ("created_on", schema::created_on()),
        (
            "completed_on",
            schema::nullable(
                "string",
                "When it was completed, \"YYYY-MM-DD HH:MM:SS\" UTC; null while open.",
            ),
        ),
        (
            "labels",
            schema::array_of(
                json!({
                    "type": "object",
                    "properties": {
                        "label_id": schema::nullable("integer", "The label's id (what get_tasks' label argument takes)."),
                        "text": schema::nullable("string", "The label's text."),
                    },
                }),
                "The task's labels.",
            ),
        ),
        (
            "ref",
            json!({
                "type": ["object", "null"],
                "description": "What the task is attached to, or null.",
                "properties": {
                    "type": schema::nullable("string", "item, app, space, status or another Podio object type."),
                    "id": schema::nullable("integer", "The object's id (an item_id for items)."),
                    "title": schema::nullable("string", "The object's title."),
                    "link": schema::nullable("string", "URL of the object in Podio's web UI."),
                },
            }),
        ),
        (
            "link",
            schema::nullable("string", "URL of the task in Podio's web UI."),
        ),
        (
            "private",
            schema::typed(
                "boolean",
                "Whether only the creator and the responsible user see it.",
            ),
        ),
        (
            "space_id",
            schema::nullable("integer", "The workspace the task belongs to, if any."),
        ),
    ]
}

/// A decoded task as an output schema.
pub(super) fn task_output() -> Value {
    schema::output(&task_properties())
}
