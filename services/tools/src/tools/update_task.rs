//! update_task: changes some of a Podio task's properties.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::create_task::{MAX_DESCRIPTION, MAX_LABEL, MAX_LABELS, MAX_TEXT, task_body};
use super::get_task::{FIND_TASKS, fetch, render, task_output};
use super::{SCOPE_WRITE, Tool, ToolOutput, ToolSpec, UPDATES, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::task;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// The arguments that change something.
const UPDATABLE: &str = "text, description, due_date, responsible, labels, private";

/// The update_task tool.
pub struct UpdateTask;

#[async_trait]
impl Tool for UpdateTask {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "update_task",
            title: "Update task",
            description: "Change a Podio task's text, description, due date, responsible user \
                (reassign), labels or privacy. Only the arguments given change; give at least one. \
                labels replaces the task's labels. Returns the updated task. Use get_tasks to find \
                task ids, complete_task to mark one done.",
            input_schema: schema::input(
                &[
                    ("task_id", schema::id("The task's id (from get_tasks).")),
                    (
                        "text",
                        schema::string(MAX_TEXT, "New text (title); not empty."),
                    ),
                    (
                        "description",
                        schema::string(MAX_DESCRIPTION, "New description; \"\" clears it."),
                    ),
                    (
                        "due_date",
                        schema::date_time(
                            "New due date: \"YYYY-MM-DD\", or \"YYYY-MM-DD HH:MM\" for a time of day, in the responsible user's local time.",
                        ),
                    ),
                    (
                        "responsible",
                        schema::id("The user_id of the new responsible user (reassigns the task)."),
                    ),
                    (
                        "labels",
                        schema::strings(
                            MAX_LABELS,
                            MAX_LABEL,
                            "Label texts; replaces the task's labels.",
                        ),
                    ),
                    (
                        "private",
                        schema::typed(
                            "boolean",
                            "Whether only the creator and the responsible user may see it.",
                        ),
                    ),
                ],
                &["task_id"],
            ),
            output_schema: task_output(),
            annotations: UPDATES,
            required_scope: SCOPE_WRITE,
        }
    }

    async fn call(
        &self,
        _cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let task_id = args.id("task_id", "task id");
        let text = args.opt_text("text", MAX_TEXT);
        let mut body = task_body(&mut args, false);
        if let Some(text) = text {
            body.insert("text".to_owned(), json!(text));
        }
        let nothing_given = UPDATABLE.split(", ").all(|name| !args.has(name));
        if nothing_given {
            args.reject(
                "arguments",
                format!("nothing to change: give at least one of {UPDATABLE}"),
            );
        }
        args.finish()?;
        podio.scope().check_task_id(podio, task_id).await?;

        let target = Target::new(format!("task {task_id}"), FIND_TASKS);
        let raw = podio
            .put(format!("/task/{task_id}"), &Value::Object(body), &target)
            .await?;
        // Podio may answer with no body; the task is then read back.
        let updated = if raw.get("task_id").is_some() {
            task::task(&raw)
        } else {
            fetch(podio, task_id).await?
        };
        Ok(ToolOutput {
            text: format!("Updated task {task_id}:\n{}", render(&updated)),
            structured: updated,
        })
    }
}
