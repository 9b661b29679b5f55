//! get_tasks: one page of Podio tasks matching filters, by default the
//! connected user's own open tasks.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::get_task::task_output;
use super::page::{self, Next, Page, Paging, Window, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, schema};
use crate::args::{Args, MAX_ID_CHARS};
use crate::context::CallContext;
use crate::decode::json::{get, str_at};
use crate::decode::task;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Tasks per page: 20 unless the caller says, up to Podio's largest task
/// page.
const PAGING: Paging = Paging {
    default: 20,
    max: MAX_LIMIT,
};
/// Podio's largest task page.
const MAX_LIMIT: i64 = 100;
/// The orders Podio's task list accepts.
const SORTS: [&str; 3] = ["created_on", "completed_on", "rank"];

/// The get_tasks tool.
pub struct GetTasks;

#[async_trait]
impl Tool for GetTasks {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_tasks",
            title: "Get tasks",
            description: "List Podio tasks, one page at a time (default 20, up to 100 per call). \
                Filter by app (app_id), workspace (space_id), organization (org_id), the item the \
                tasks are attached to (item_id), responsible user (a user id, or \"me\"), \
                completion (completed: false = open tasks, the default; true = completed ones), \
                due date range (due_from/due_to) and label id. With none of app_id, space_id, \
                org_id, item_id or responsible, it lists the connected user's own tasks. Results \
                carry next_offset when the page was full (pass it as offset for more). Use \
                get_task for one task's full details; ids come from get_organizations, \
                get_apps_in_space and get_items.",
            input_schema: PAGING.input(
                "tasks",
                vec![
                    ("app_id", schema::id("Only tasks on this app or its items.")),
                    ("space_id", schema::id("Only tasks in this workspace.")),
                    ("org_id", schema::id("Only tasks in this organization.")),
                    ("item_id", schema::id("Only tasks attached to this item.")),
                    (
                        "responsible",
                        json!({
                            "type": ["integer", "string"], "maxLength": MAX_ID_CHARS,
                            "description": "Only tasks this user is responsible for: a user_id (not a profile_id), or \"me\" for the connected user.",
                        }),
                    ),
                    (
                        "completed",
                        json!({
                            "type": "boolean", "default": false,
                            "description": "false (default): open tasks only; true: completed tasks only.",
                        }),
                    ),
                    (
                        "due_from",
                        schema::date("Only tasks due on or after this date, \"YYYY-MM-DD\"."),
                    ),
                    (
                        "due_to",
                        schema::date("Only tasks due on or before this date, \"YYYY-MM-DD\"."),
                    ),
                    (
                        "label",
                        schema::id(
                            "Only tasks with this label: a label_id as shown in task results.",
                        ),
                    ),
                    (
                        "sort_by",
                        schema::one_of(
                            &SORTS,
                            "Order: created_on, completed_on or rank (Podio's manual order, the default).",
                        ),
                    ),
                    (
                        "sort_desc",
                        schema::typed("boolean", "Sort descending (newest first). Default false."),
                    ),
                ],
                &[],
            ),
            output_schema: page::output("task", Next::WhenFull, vec![
                (
                    "tasks",
                    schema::array_of(task_output(), "The tasks of this page."),
                ),
                (
                    "query",
                    json!({
                        "type": "object",
                        "description": "The query parameters sent to Podio's GET /task/ (org lists every organization asked when the search went organization by organization).",
                        "additionalProperties": {"type": "string"},
                    }),
                ),
                (
                    "note",
                    schema::nullable(
                        "string",
                        "How the filters were completed, e.g. that the connected user's own tasks were listed.",
                    ),
                ),
            ],
            ),
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
        let filters = Filters::parse(&mut args);
        args.finish()?;

        check_places(podio, &filters).await?;
        let mut notes = Vec::new();
        let me = filters.responsible_is_me || !filters.has_scope();
        let responsible = match filters.responsible {
            Some(id) => Some(id),
            None if me => Some(my_user_id(podio).await?),
            None => None,
        };
        if me && !filters.has_scope() && !filters.responsible_is_me {
            notes.push(
                "No app, workspace, organization, item or responsible user was given, so these are your tasks (responsible = you).".to_owned(),
            );
        }
        let query = filters.query(responsible);
        let target = Target::new("the task list", "check the ids given as filters");
        let found = match podio.get("/task/".to_owned(), &query, &target).await {
            Ok(raw) => {
                let tasks = decode_all(&raw)?;
                let scanned = tasks.len();
                let (tasks, hidden) = visible_tasks(podio, tasks).await;
                let page = if podio.scope().is_unlimited() {
                    filters.window.upstream(tasks.len(), None)
                } else {
                    let full = i64::try_from(scanned).unwrap_or(i64::MAX) >= filters.window.limit;
                    filters.window.filtered(tasks.len(), scanned, full)
                };
                Tasks {
                    page,
                    tasks,
                    query: query_object(&query),
                    hidden,
                }
            }
            // Podio's answer to a task query that names only a user
            // (podio-dotnet#29): 400 "forbidden", "Query not secure enough".
            Err(ToolError::Refused(refusal))
                if refusal.is(400, "forbidden")
                    && !filters.has_place()
                    && responsible.is_some() =>
            {
                notes.push(
                    "Podio refused a query by responsible user alone, so each of your organizations was asked in turn and the results merged.".to_owned(),
                );
                per_org(podio, &filters, &query).await?
            }
            Err(other) => return Err(other),
        };

        let note = (!notes.is_empty()).then(|| notes.join(" "));
        let mut text = render(
            &found.tasks,
            &found.page,
            filters.completed,
            note.as_deref(),
        );
        let mut structured = json!({
            "tasks": found.tasks,
            "query": found.query,
            "note": note,
        });
        podio
            .scope()
            .annotate(found.hidden, ("task", "tasks"), &mut text, &mut structured);
        Ok(ToolOutput {
            text,
            structured: found.page.add_keys(structured),
        })
    }
}

/// The checked arguments.
struct Filters {
    app: Option<u64>,
    space: Option<u64>,
    org: Option<u64>,
    item: Option<u64>,
    responsible: Option<u64>,
    responsible_is_me: bool,
    completed: bool,
    due_from: Option<String>,
    due_to: Option<String>,
    label: Option<u64>,
    sort_by: Option<&'static str>,
    sort_desc: Option<bool>,
    window: Window,
}

impl Filters {
    fn parse(args: &mut Args) -> Filters {
        let responsible_is_me = args.is_word("responsible", "me");
        let responsible = if responsible_is_me {
            None
        } else {
            args.opt_id("responsible", "user id or the word \"me\"")
        };
        let due_from = args.opt_date("due_from");
        let due_to = args.opt_date("due_to");
        if let (Some(from), Some(to)) = (&due_from, &due_to)
            && from > to
        {
            args.reject(
                "due_to",
                format!("due_to ({to}) is before due_from ({from}); give a range whose end is on or after its start"),
            );
        }
        Filters {
            app: args.opt_id("app_id", "app id"),
            space: args.opt_id("space_id", "space id"),
            org: args.opt_id("org_id", "organization id"),
            item: args.opt_id("item_id", "item id"),
            responsible,
            responsible_is_me,
            completed: args.bool_or("completed", false),
            due_from,
            due_to,
            label: args.opt_id("label", "label id"),
            sort_by: args.opt_enum("sort_by", &SORTS),
            sort_desc: args.opt_bool("sort_desc"),
            window: PAGING.parse(args),
        }
    }

    /// Whether an app, space, org or item narrows the search.
    fn has_place(&self) -> bool {
        self.app.is_some() || self.space.is_some() || self.org.is_some() || self.item.is_some()
    }

    /// Whether a filter Podio counts as secure enough was given.
    fn has_scope(&self) -> bool {
        self.has_place() || self.responsible.is_some() || self.responsible_is_me
    }

    /// The GET /task/ query for `responsible` (the resolved user id).
    fn query(&self, responsible: Option<u64>) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        let mut push = |name: &'static str, value: Option<String>| {
            if let Some(value) = value {
                q.push((name, value));
            }
        };
        push("app", self.app.map(|id| id.to_string()));
        push("space", self.space.map(|id| id.to_string()));
        push("org", self.org.map(|id| id.to_string()));
        push("reference", self.item.map(|id| format!("item:{id}")));
        push("responsible", responsible.map(|id| id.to_string()));
        push("completed", Some(self.completed.to_string()));
        if self.due_from.is_some() || self.due_to.is_some() {
            let from = self.due_from.as_deref().unwrap_or_default();
            let to = self.due_to.as_deref().unwrap_or_default();
            push("due_date", Some(format!("{from}-{to}")));
        }
        push("label", self.label.map(|id| id.to_string()));
        push("sort_by", self.sort_by.map(str::to_owned));
        push("sort_desc", self.sort_desc.map(|d| d.to_string()));
        q.extend(self.window.query());
        q
    }
}

/// One page of decoded tasks, where it sits and the query that produced it.
struct Tasks {
    tasks: Vec<Value>,
    page: Page,
    query: Value,
    /// Tasks read but left out as outside the token's workspaces.
    hidden: usize,
}

/// For a scoped token: refuses an app, workspace, organization or item
/// filter outside its workspaces before the task list is asked for.
async fn check_places(podio: &Podio, filters: &Filters) -> Result<(), ToolError> {
    let scope = podio.scope();
    if scope.is_unlimited() {
        return Ok(());
    }
    if let Some(id) = filters.space {
        scope.check_space(podio, id, &format!("space {id}")).await?;
    }
    if let Some(id) = filters.org
        && !scope.allows_org(id)
        && !scope.lists_spaces()
    {
        return Err(scope.org_refusal(id));
    }
    if let Some(id) = filters.app {
        scope.check_app(podio, id).await?;
    }
    if let Some(id) = filters.item {
        scope.check_item_id(podio, id).await?;
    }
    Ok(())
}

/// The tasks a scoped token may see (those in its workspaces; a task with no
/// workspace is left out), and how many were left out.
async fn visible_tasks(podio: &Podio, tasks: Vec<Value>) -> (Vec<Value>, usize) {
    let scope = podio.scope();
    if scope.is_unlimited() {
        return (tasks, 0);
    }
    let total = tasks.len();
    let mut kept = Vec::with_capacity(total);
    for task in tasks {
        let space = get(&task, "space_id").and_then(Value::as_u64);
        if scope.shows(podio, space, None).await {
            kept.push(task);
        }
    }
    let hidden = total - kept.len();
    (kept, hidden)
}

/// The connected user's id, from GET /user/status.
async fn my_user_id(podio: &Podio) -> Result<u64, ToolError> {
    let target = Target::new(
        "the connected user's status",
        "check that the Podio account is connected",
    );
    let status = podio.get("/user/status".to_owned(), &[], &target).await?;
    get(&status, "user")
        .and_then(|u| get(u, "user_id"))
        .and_then(Value::as_u64)
        .ok_or_else(|| {
            ToolError::Internal("podio answered GET /user/status without user.user_id".to_owned())
        })
}

/// The same query asked once per organization of the connected user, merged
/// and paged here: each organization is read from its start up to the end of
/// the requested page (Podio pages of at most 100).
async fn per_org(
    podio: &Podio,
    filters: &Filters,
    query: &[(&'static str, String)],
) -> Result<Tasks, ToolError> {
    let target = Target::new(
        "the list of organizations",
        "check that the Podio account is connected",
    );
    let orgs = podio.get("/org/".to_owned(), &[], &target).await?;
    let org_ids: Vec<u64> = expect_array(&orgs, "GET /org/")?
        .iter()
        .filter_map(|o| get(o, "org_id").and_then(Value::as_u64))
        .collect();
    let window = filters.window;
    let wanted = usize::try_from(window.offset.saturating_add(window.limit)).unwrap_or(usize::MAX);
    let base: Vec<(&'static str, String)> = query
        .iter()
        .filter(|(name, _)| !matches!(*name, "limit" | "offset"))
        .cloned()
        .collect();
    let task_target = Target::new("the task list", "check the ids given as filters");
    let mut merged = Vec::new();
    for org in &org_ids {
        let mut offset = 0usize;
        loop {
            let mut q = base.clone();
            q.push(("org", org.to_string()));
            q.push(("limit", MAX_LIMIT.to_string()));
            q.push(("offset", offset.to_string()));
            let raw = podio.get("/task/".to_owned(), &q, &task_target).await?;
            let tasks = decode_all(&raw)?;
            let got = tasks.len();
            merged.extend(tasks);
            offset += got;
            // One more than the page end tells whether another page follows.
            if got < MAX_LIMIT as usize || offset > wanted {
                break;
            }
        }
    }
    let (mut merged, hidden) = visible_tasks(podio, merged).await;
    if let Some(key) = filters.sort_by.filter(|k| *k != "rank") {
        // Podio's timestamps sort as text; tasks lacking the key go last.
        merged.sort_by(|a, b| {
            let (a, b) = (str_at(a, key), str_at(b, key));
            let order = match (a, b) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            if filters.sort_desc == Some(true) && a.is_some() && b.is_some() {
                order.reverse()
            } else {
                order
            }
        });
    }
    let (tasks, page) = window.local(&merged);
    let mut shown = base;
    let ids: Vec<String> = org_ids.iter().map(ToString::to_string).collect();
    shown.push(("org", ids.join(",")));
    shown.extend(window.query());
    Ok(Tasks {
        tasks: tasks.to_vec(),
        // Only the first organizations were read to the page's end: the
        // merged list's length is not the total, only whether more follow.
        page: window.upstream_with_more(page.count, page.next_offset.is_some()),
        query: query_object(&shown),
        hidden,
    })
}

fn decode_all(raw: &Value) -> Result<Vec<Value>, ToolError> {
    Ok(expect_array(raw, "GET /task/")?
        .iter()
        .map(task::task)
        .collect())
}

fn query_object(query: &[(&'static str, String)]) -> Value {
    let map: Map<String, Value> = query
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    Value::Object(map)
}

fn render(tasks: &[Value], page: &Page, completed: bool, note: Option<&str>) -> String {
    let state = if completed { "completed" } else { "open" };
    let mut lines: Vec<String> = note.map(str::to_owned).into_iter().collect();
    lines.push(page.header(&Words {
        noun: (&format!("{state} task"), &format!("{state} tasks")),
        place: "",
        order: "",
        empty: &format!("No {state} tasks match."),
    }));
    lines.extend(tasks.iter().map(|t| format!("- {}", task::task_line(t))));
    lines.join("\n")
}
