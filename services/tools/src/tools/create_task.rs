//! create_task: a new Podio task, on its own or attached to an item, app or
//! workspace.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::get_task::task_output;
use super::{CREATES, SCOPE_WRITE, Tool, ToolOutput, ToolSpec, plural, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::task;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Longest task text accepted (a one-line title).
pub(super) const MAX_TEXT: usize = 1_000;
/// Longest task description accepted.
pub(super) const MAX_DESCRIPTION: usize = 20_000;
/// Longest label text accepted.
pub(super) const MAX_LABEL: usize = 100;
/// Most labels on one task.
pub(super) const MAX_LABELS: usize = 50;
/// Most responsible users in one create_task call (one task is created per
/// user).
const MAX_RESPONSIBLE: usize = 50;
/// What a task can be attached to through this tool.
const REF_TYPES: [&str; 3] = ["item", "app", "space"];

/// The create_task tool.
pub struct CreateTask;

#[async_trait]
impl Tool for CreateTask {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "create_task",
            title: "Create task",
            description: "Create a Podio task, optionally attached to an item, app or workspace \
                (ref_type + ref_id, e.g. ref_type \"item\" with an item_id from get_items), with a \
                due date (and time), responsible user(s), labels and a description. Giving several \
                responsible users creates one task per user; all are returned. Find user ids with \
                get_space_members or get_org_members (user_id, not profile_id).",
            input_schema: schema::input(
                &[
                    (
                        "text",
                        schema::string(
                            MAX_TEXT,
                            "What is to be done: the task's title. Required, not empty.",
                        ),
                    ),
                    (
                        "description",
                        schema::string(MAX_DESCRIPTION, "A longer description."),
                    ),
                    (
                        "due_date",
                        schema::date_time(
                            "When it is due: \"YYYY-MM-DD\", or \"YYYY-MM-DD HH:MM\" for a time of day, in the responsible user's local time.",
                        ),
                    ),
                    (
                        "responsible",
                        json!({
                            "type": ["integer", "array"], "items": {"type": "integer", "minimum": 1},
                            "maxItems": MAX_RESPONSIBLE,
                            "description": "Who is to do it: a user_id, or a list of user_ids (one task is created per user). Omitted: nobody.",
                        }),
                    ),
                    (
                        "labels",
                        schema::strings(
                            MAX_LABELS,
                            MAX_LABEL,
                            "Label texts to put on the task; Podio creates labels that do not exist yet.",
                        ),
                    ),
                    (
                        "private",
                        schema::typed(
                            "boolean",
                            "Whether only the creator and the responsible user may see it. Default: Podio's default.",
                        ),
                    ),
                    (
                        "ref_type",
                        schema::one_of(
                            &REF_TYPES,
                            "What to attach the task to: item, app or space. Give ref_id with it.",
                        ),
                    ),
                    (
                        "ref_id",
                        schema::id(
                            "The id of the item, app or workspace named by ref_type (an item_id for items).",
                        ),
                    ),
                ],
                &["text"],
            ),
            output_schema: schema::output(&[
                (
                    "tasks",
                    schema::array_of(
                        task_output(),
                        "The created tasks: one, or one per responsible user.",
                    ),
                ),
                (
                    "count",
                    schema::typed("integer", "How many tasks were created."),
                ),
            ]),
            annotations: CREATES,
            required_scope: SCOPE_WRITE,
        }
    }

    async fn call(
        &self,
        _cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let text = args.opt_text("text", MAX_TEXT);
        let mut body = task_body(&mut args, true);
        let ref_type = args.opt_enum("ref_type", &REF_TYPES);
        let ref_id = args.opt_id("ref_id", "id of the item, app or workspace");
        match (args.has("ref_type"), args.has("ref_id")) {
            (true, false) => args.reject(
                "ref_id",
                "missing: ref_type needs ref_id, the id of the object to attach the task to",
            ),
            (false, true) => args.reject(
                "ref_type",
                "missing: ref_id needs ref_type, one of item, app, space",
            ),
            _ => {}
        }
        args.finish()?;
        body.insert("text".to_owned(), json!(text.unwrap_or_default()));
        check_reference(podio, ref_type, ref_id).await?;

        let (path, target) = match (ref_type, ref_id) {
            (Some(kind), Some(id)) => (
                format!("/task/{kind}/{id}/"),
                Target::new(format!("{kind} {id}"), find_advice(kind)),
            ),
            _ => (
                "/task/".to_owned(),
                Target::new("the new task", "check the responsible user ids"),
            ),
        };
        let raw = podio.post(path, &Value::Object(body), &target).await?;
        let tasks: Vec<Value> = match &raw {
            Value::Array(list) => list.iter().map(task::task).collect(),
            Value::Object(_) => vec![task::task(&raw)],
            _ => {
                return Err(ToolError::Internal(
                    "podio answered POST /task/ with neither a task nor a list".to_owned(),
                ));
            }
        };
        let mut lines = vec![format!("Created {}:", plural(tasks.len(), "task", "tasks"))];
        lines.extend(tasks.iter().map(|t| format!("- {}", task::task_line(t))));
        Ok(ToolOutput {
            text: lines.join("\n"),
            structured: json!({"count": tasks.len(), "tasks": tasks}),
        })
    }
}

/// The body keys create_task and update_task share, from the arguments
/// given: description, due_date (+ due_time), responsible, labels, private.
/// `many_responsible` allows a list of users (creation only: a task has one).
pub(super) fn task_body(args: &mut Args, many_responsible: bool) -> Map<String, Value> {
    let mut body = Map::new();
    if let Some(description) = args.opt_string("description", MAX_DESCRIPTION) {
        body.insert("description".to_owned(), json!(description));
    }
    if let Some((date, time)) = args.opt_date_time("due_date") {
        body.insert("due_date".to_owned(), json!(date));
        if let Some(time) = time {
            body.insert("due_time".to_owned(), json!(time));
        }
    }
    let responsible = if many_responsible {
        args.opt_id_list("responsible", "user id", MAX_RESPONSIBLE)
            .map(|ids| match ids.as_slice() {
                [one] => json!(one),
                _ => json!(ids),
            })
    } else {
        args.opt_id("responsible", "user id").map(|id| json!(id))
    };
    if let Some(responsible) = responsible {
        body.insert("responsible".to_owned(), responsible);
    }
    if let Some(labels) = args.opt_string_list("labels", MAX_LABELS, MAX_LABEL) {
        body.insert("labels".to_owned(), json!(labels));
    }
    if let Some(private) = args.opt_bool("private") {
        body.insert("private".to_owned(), json!(private));
    }
    body
}

/// For a scoped token: refuses a task attached to an object outside its
/// workspaces, or to none (a task with no workspace), before it is created.
async fn check_reference(
    podio: &Podio,
    ref_type: Option<&str>,
    ref_id: Option<u64>,
) -> Result<(), ToolError> {
    let scope = podio.scope();
    if scope.is_unlimited() {
        return Ok(());
    }
    match (ref_type, ref_id) {
        (Some("item"), Some(id)) => scope.check_item_id(podio, id).await,
        (Some("app"), Some(id)) => scope.check_app(podio, id).await,
        (Some("space"), Some(id)) => scope.check_space(podio, id, &format!("space {id}")).await,
        (kind, id) => Err(crate::scope::refused(format!(
            "This token is limited to {}, so a task must be attached to an item, app or \
             workspace in them: give ref_type and ref_id{}.",
            scope.limits(),
            match (kind, id) {
                (Some(kind), Some(id)) => format!(" (not {kind} {id})"),
                _ => String::new(),
            }
        ))),
    }
}

fn find_advice(kind: &str) -> &'static str {
    match kind {
        "item" => "use get_items or search_globally to find item ids",
        "app" => "use get_apps_in_space to find app ids",
        _ => "use get_organizations to find workspace ids",
    }
}
