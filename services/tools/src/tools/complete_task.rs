//! complete_task: marks a Podio task as done.

use async_trait::async_trait;
use serde_json::json;

use super::get_task::FIND_TASKS;
use super::{Annotations, SCOPE_WRITE, Tool, ToolOutput, ToolSpec, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::json::int_or_null;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Completing changes the task but loses nothing, and completing a completed
/// task changes nothing more.
const COMPLETES: Annotations = Annotations {
    read_only: false,
    destructive: false,
    idempotent: true,
    open_world: true,
};

/// The complete_task tool.
pub struct CompleteTask;

#[async_trait]
impl Tool for CompleteTask {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "complete_task",
            title: "Complete task",
            description: "Mark a Podio task as completed. When the task recurs, Podio creates its \
                next occurrence and the result gives that task's id (recurring_task_id). Use \
                get_tasks to find task ids.",
            input_schema: schema::input(
                &[(
                    "task_id",
                    schema::id("The id of the task to complete (from get_tasks)."),
                )],
                &["task_id"],
            ),
            output_schema: schema::output(&[
                (
                    "task_id",
                    schema::typed("integer", "The completed task's id."),
                ),
                (
                    "completed",
                    schema::typed("boolean", "Always true: the task is completed."),
                ),
                (
                    "recurring_task_id",
                    schema::nullable(
                        "integer",
                        "The id of the task's next occurrence when it recurs, else null.",
                    ),
                ),
            ]),
            annotations: COMPLETES,
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
        args.finish()?;
        podio.scope().check_task_id(podio, task_id).await?;
        let target = Target::new(format!("task {task_id}"), FIND_TASKS);
        let raw = podio
            .post_with_query(format!("/task/{task_id}/complete"), &[], None, &target)
            .await?;
        let recurring = int_or_null(&raw, "recurring_task_id");
        let text = match recurring.as_u64() {
            Some(next) => format!(
                "Task {task_id} is completed. It recurs: its next occurrence is task {next}."
            ),
            None => format!("Task {task_id} is completed."),
        };
        Ok(ToolOutput {
            text,
            structured: json!({"task_id": task_id, "completed": true, "recurring_task_id": recurring}),
        })
    }
}
