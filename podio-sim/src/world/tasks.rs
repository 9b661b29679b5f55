//! Tasks (§6 get_tasks … complete_task and §12.5 of podio-api.md): the
//! model, who may see a task, the `GET /task/` query, and creating and
//! changing tasks.
//!
//! A task may reference an item, an app or a workspace; that reference puts
//! it in a workspace, and workspace members see it. A task without a
//! reference is personal. A private task is seen only by its creator and its
//! responsible.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::filter::as_id;
use super::model::{Space, User};
use super::{Caller, World, no_view_right};
use crate::dates;
use crate::error::ApiError;

/// What a task is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskRef {
    /// An item, by item id.
    Item(u64),
    /// An app, by app id.
    App(u64),
    /// A workspace, by space id.
    Space(u64),
}

/// The reference types a task accepts.
pub const REF_TYPES: &str = "item, app or space";

impl TaskRef {
    /// A reference from Podio's `ref_type` name and an id.
    pub fn parse(ref_type: &str, id: u64) -> Result<TaskRef, ApiError> {
        match ref_type {
            "item" => Ok(TaskRef::Item(id)),
            "app" => Ok(TaskRef::App(id)),
            "space" => Ok(TaskRef::Space(id)),
            other => Err(ApiError::InvalidValue(format!(
                "ref_type must be {REF_TYPES}, got {other:?}"
            ))),
        }
    }

    /// Podio's `ref.type`.
    pub fn type_name(self) -> &'static str {
        match self {
            TaskRef::Item(_) => "item",
            TaskRef::App(_) => "app",
            TaskRef::Space(_) => "space",
        }
    }

    /// Podio's `ref.id`.
    pub fn id(self) -> u64 {
        match self {
            TaskRef::Item(id) | TaskRef::App(id) | TaskRef::Space(id) => id,
        }
    }
}

/// A task label (labels are shared by text: adding a known text reuses it).
#[derive(Debug, Clone)]
pub struct Label {
    /// Label id.
    pub label_id: u64,
    /// Display text.
    pub text: String,
    /// Hex colour without `#`.
    pub color: String,
}

/// A task.
#[derive(Debug, Clone)]
pub struct Task {
    /// Task id.
    pub task_id: u64,
    /// What to do.
    pub text: String,
    /// Details (may be empty).
    pub description: String,
    /// Seen only by creator and responsible.
    pub private: bool,
    /// Local due date `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Local due time `HH:MM:SS` (only with a due date).
    pub due_time: Option<String>,
    /// Responsible user id; `None` = unassigned.
    pub responsible: Option<u64>,
    /// Who created it.
    pub created_by: Caller,
    /// Creation time.
    pub created_on: String,
    /// Completion time; `None` while active.
    pub completed_on: Option<String>,
    /// Who completed it.
    pub completed_by: Option<Caller>,
    /// What it is attached to.
    pub reference: Option<TaskRef>,
    /// Label ids.
    pub labels: Vec<u64>,
    /// The creator's own identifier.
    pub external_id: Option<String>,
}

impl Task {
    /// Due date and time as one `YYYY-MM-DD HH:MM:SS` (midnight when the
    /// task has no due time). The simulated users live in UTC, so local and
    /// UTC coincide.
    pub fn due_on(&self) -> Option<String> {
        self.due_date
            .as_ref()
            .map(|d| format!("{d} {}", self.due_time.as_deref().unwrap_or("00:00:00")))
    }

    /// Whether `caller` created the task or is responsible for it.
    pub fn involves(&self, caller: Caller) -> bool {
        self.created_by == caller
            || matches!(caller, Caller::User(id) if self.responsible == Some(id))
    }
}

/// Order of `GET /task/` results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskSort {
    /// Podio's default "rank": earliest due first, undated last.
    #[default]
    Rank,
    /// Creation time.
    CreatedOn,
    /// Completion time (active tasks last).
    CompletedOn,
    /// Due date and time (undated last).
    DueDate,
}

/// The `sort_by` values of `GET /task/`.
pub const TASK_SORTS: &str = "rank, created_on, completed_on or due_date";

impl TaskSort {
    /// A sort from its `sort_by` name.
    pub fn parse(name: &str) -> Result<TaskSort, ApiError> {
        match name {
            "rank" => Ok(TaskSort::Rank),
            "created_on" => Ok(TaskSort::CreatedOn),
            "completed_on" => Ok(TaskSort::CompletedOn),
            "due_date" | "due_on" => Ok(TaskSort::DueDate),
            other => Err(ApiError::InvalidValue(format!(
                "sort_by must be {TASK_SORTS}, got {other:?}"
            ))),
        }
    }
}

/// A label filter: by id or by text (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelKey {
    /// Label id.
    Id(u64),
    /// Label text.
    Text(String),
}

/// The filters of `GET /task/`. Several values of one filter are
/// alternatives; different filters must all match.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// Apps the task's reference belongs to.
    pub apps: Vec<u64>,
    /// Workspaces.
    pub spaces: Vec<u64>,
    /// Organizations.
    pub orgs: Vec<u64>,
    /// Responsible user ids.
    pub responsible: Vec<u64>,
    /// Creators.
    pub created_by: Vec<Caller>,
    /// Exact references.
    pub references: Vec<TaskRef>,
    /// Completed (true) or active (false) only.
    pub completed: Option<bool>,
    /// Due date range, inclusive (`YYYY-MM-DD`).
    pub due: Option<(Option<String>, Option<String>)>,
    /// Labels.
    pub labels: Vec<LabelKey>,
    /// External id.
    pub external_id: Option<String>,
    /// Order.
    pub sort: TaskSort,
    /// Descending order.
    pub sort_desc: bool,
}

impl TaskQuery {
    /// Whether the query names one of the filters Podio requires before it
    /// lists tasks (org, space, app, responsible, reference, created_by).
    pub fn is_secure(&self) -> bool {
        !(self.apps.is_empty()
            && self.spaces.is_empty()
            && self.orgs.is_empty()
            && self.responsible.is_empty()
            && self.created_by.is_empty()
            && self.references.is_empty())
    }
}

/// A due-date range as `GET /task/` takes it: `FROM-TO` where each side is
/// `YYYY-MM-DD` or empty (`2024-04-01-2024-04-30`, `-2024-04-30`,
/// `2024-04-01-`); a single date means that day.
pub fn parse_due_range(raw: &str) -> Result<(Option<String>, Option<String>), ApiError> {
    let bad = || {
        ApiError::InvalidValue(format!(
            "due_date must be a range FROM-TO of YYYY-MM-DD dates, either side may be empty (e.g. 2024-04-01-2024-04-30 or -2024-04-30), got {raw:?}"
        ))
    };
    let side = |s: &str| -> Result<Option<String>, ApiError> {
        if s.is_empty() {
            Ok(None)
        } else if valid_date(s) {
            Ok(Some(s.to_owned()))
        } else {
            Err(bad())
        }
    };
    let (from, to) = match raw.len() {
        10 => (side(raw)?, side(raw)?),
        11 if raw.starts_with('-') => (None, side(&raw[1..])?),
        11 if raw.ends_with('-') => (side(&raw[..10])?, None),
        21 if raw.as_bytes()[10] == b'-' => (side(&raw[..10])?, side(&raw[11..])?),
        _ => return Err(bad()),
    };
    if from.is_none() && to.is_none() {
        return Err(bad());
    }
    Ok((from, to))
}

/// Whether `s` is `YYYY-MM-DD` and names a real calendar day.
pub fn valid_date(s: &str) -> bool {
    if !dates::is_date(s) {
        return false;
    }
    let part = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap_or(0);
    let (y, m, d) = (part(0..4), part(5..7), part(8..10));
    (1..=12).contains(&m)
        && (1..=31).contains(&d)
        && dates::date_from_days(dates::days_from_date(y, m, d)) == s
}

/// A due time `HH:MM` or `HH:MM:SS` normalised to `HH:MM:SS`.
fn parse_due_time(raw: &str) -> Result<String, ApiError> {
    let parts: Vec<&str> = raw.split(':').collect();
    let ok = matches!(parts.len(), 2 | 3)
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()));
    let n = |i: usize| {
        parts
            .get(i)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    if !ok || n(0) > 23 || n(1) > 59 || n(2) > 59 {
        return Err(ApiError::InvalidValue(format!(
            "due_time must be HH:MM or HH:MM:SS (24-hour clock), got {raw:?}"
        )));
    }
    Ok(format!("{:02}:{:02}:{:02}", n(0), n(1), n(2)))
}

/// Someone named as `responsible`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// By user id (a bare integer or `{"type": "user", "id": …}`).
    User(u64),
    /// By profile id (`{"type": "profile", "id": …}`).
    Profile(u64),
    /// By e-mail (`{"type": "mail", "id": "…"}`).
    Mail(String),
}

/// The keys of a create or update body; `None` = not given.
/// `Some(None)` = explicitly cleared with `null`.
#[derive(Debug, Clone, Default)]
pub struct TaskInput {
    /// `text`.
    pub text: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `private`.
    pub private: Option<bool>,
    /// `due_date` (or the date part of `due_on`).
    pub due_date: Option<Option<String>>,
    /// `due_time` (or the time part of `due_on`), as `HH:MM:SS`.
    pub due_time: Option<Option<String>>,
    /// `responsible`; an empty list unassigns.
    pub responsible: Option<Vec<Assignee>>,
    /// `labels` (texts).
    pub labels: Option<Vec<String>>,
    /// `label_ids`.
    pub label_ids: Option<Vec<u64>>,
    /// `external_id`.
    pub external_id: Option<Option<String>>,
    /// `ref_type` + `ref_id`.
    pub reference: Option<TaskRef>,
}

fn bad(msg: String) -> ApiError {
    ApiError::InvalidValue(msg)
}

fn string_or_null(key: &str, v: &Value) -> Result<Option<String>, ApiError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        other => Err(bad(format!("{key} must be a string, got {other}"))),
    }
}

fn assignee(v: &Value) -> Result<Assignee, ApiError> {
    let bad_one = || {
        bad(format!(
            "responsible takes a user id, {{\"type\": \"user\"|\"profile\"|\"mail\", \"id\": …}}, or a list of those; got {v}"
        ))
    };
    if let Some(id) = as_id(v) {
        return Ok(Assignee::User(id));
    }
    let Value::Object(map) = v else {
        return Err(bad_one());
    };
    let kind = map.get("type").and_then(Value::as_str).unwrap_or("user");
    let id = map.get("id").ok_or_else(bad_one)?;
    match kind {
        "user" => as_id(id).map(Assignee::User).ok_or_else(bad_one),
        "profile" => as_id(id).map(Assignee::Profile).ok_or_else(bad_one),
        "mail" => id
            .as_str()
            .map(|m| Assignee::Mail(m.trim().to_owned()))
            .ok_or_else(bad_one),
        other => Err(bad(format!(
            "responsible type must be user, profile or mail, got {other:?}"
        ))),
    }
}

impl TaskInput {
    /// Reads a create/update body. Unknown keys (reminder, recurrence,
    /// file_ids, …) are ignored, as the simulator does not model them.
    pub fn from_json(body: &Value) -> Result<TaskInput, ApiError> {
        let Value::Object(map) = body else {
            return Err(bad(format!(
                "the body must be a json object with text, description, due_date, responsible, …; got {body}"
            )));
        };
        let mut input = TaskInput::default();
        if let Some(v) = map.get("text") {
            input.text = Some(
                v.as_str()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| bad(format!("text must be a non-empty string, got {v}")))?
                    .to_owned(),
            );
        }
        if let Some(v) = map.get("description") {
            input.description = Some(string_or_null("description", v)?.unwrap_or_default());
        }
        if let Some(v) = map.get("private") {
            input.private = Some(
                v.as_bool()
                    .ok_or_else(|| bad(format!("private must be true or false, got {v}")))?,
            );
        }
        input.read_due(map)?;
        if let Some(v) = map.get("responsible") {
            input.responsible = Some(match v {
                Value::Null => Vec::new(),
                Value::Array(list) => list.iter().map(assignee).collect::<Result<_, _>>()?,
                one => vec![assignee(one)?],
            });
        }
        if let Some(v) = map.get("labels") {
            let list = v.as_array().ok_or_else(|| {
                bad(format!(
                    "labels must be a list of label texts, e.g. [\"Sales\"], got {v}"
                ))
            })?;
            input.labels = Some(
                list.iter()
                    .map(|l| match l {
                        Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                        Value::Object(o) => o
                            .get("text")
                            .and_then(Value::as_str)
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .ok_or_else(|| bad(format!("labels: {l} has no text"))),
                        other => Err(bad(format!("labels must be non-empty texts, got {other}"))),
                    })
                    .collect::<Result<_, _>>()?,
            );
        }
        if let Some(v) = map.get("label_ids") {
            let list = v
                .as_array()
                .ok_or_else(|| bad(format!("label_ids must be a list of label ids, got {v}")))?;
            input.label_ids = Some(
                list.iter()
                    .map(|l| as_id(l).ok_or_else(|| bad(format!("label_ids: {l} is not an id"))))
                    .collect::<Result<_, _>>()?,
            );
        }
        if let Some(v) = map.get("external_id") {
            input.external_id = Some(string_or_null("external_id", v)?);
        }
        match (map.get("ref_type"), map.get("ref_id")) {
            (None | Some(Value::Null), None | Some(Value::Null)) => {}
            (Some(Value::String(t)), Some(id)) => {
                let id = as_id(id).ok_or_else(|| bad(format!("ref_id must be an id, got {id}")))?;
                input.reference = Some(TaskRef::parse(t, id)?);
            }
            _ => {
                return Err(bad(format!(
                    "ref_type ({REF_TYPES}) and ref_id (an id) must be given together"
                )));
            }
        }
        Ok(input)
    }

    fn read_due(&mut self, map: &Map<String, Value>) -> Result<(), ApiError> {
        if let Some(v) = map.get("due_on") {
            match v {
                Value::Null => {
                    self.due_date = Some(None);
                    self.due_time = Some(None);
                }
                Value::String(s)
                    if dates::is_timestamp(s.trim()) && valid_date(&s.trim()[..10]) =>
                {
                    let s = s.trim();
                    self.due_date = Some(Some(s[..10].to_owned()));
                    self.due_time = Some(Some(s[11..].to_owned()));
                }
                other => {
                    return Err(bad(format!(
                        "due_on must be \"YYYY-MM-DD HH:MM:SS\" (UTC), got {other}"
                    )));
                }
            }
        }
        if let Some(v) = map.get("due_date") {
            self.due_date = Some(match string_or_null("due_date", v)? {
                None => None,
                Some(d) if valid_date(&d) => Some(d),
                Some(d) => {
                    return Err(bad(format!(
                        "due_date must be a date YYYY-MM-DD, got {d:?}"
                    )));
                }
            });
        }
        if let Some(v) = map.get("due_time") {
            self.due_time = Some(
                string_or_null("due_time", v)?
                    .map(|t| parse_due_time(&t))
                    .transpose()?,
            );
        }
        Ok(())
    }
}

/// The labels a write ends up with: known label ids, and texts of labels
/// to create once the write is known to succeed.
#[derive(Debug)]
struct LabelPlan {
    ids: Vec<u64>,
    new: Vec<String>,
}

/// Colours given to new labels in turn.
const LABEL_COLORS: [&str; 6] = ["E9F3F7", "F7D1D0", "DCEBD8", "FFF1C2", "E1E1E1", "D2E4EB"];

impl World {
    /// The workspace a task lives in, through its reference.
    pub fn task_space(&self, task: &Task) -> Option<&Space> {
        self.ref_space(task.reference?)
    }

    /// The workspace a task reference lies in.
    pub fn ref_space(&self, reference: TaskRef) -> Option<&Space> {
        let space_id = match reference {
            TaskRef::Item(id) => {
                let item = self.items.get(&id)?;
                self.apps.get(&item.app_id)?.space_id
            }
            TaskRef::App(id) => self.apps.get(&id)?.space_id,
            TaskRef::Space(id) => id,
        };
        self.spaces.get(&space_id)
    }

    /// The app a task's reference belongs to (item or app references).
    pub fn task_app_id(&self, task: &Task) -> Option<u64> {
        match task.reference? {
            TaskRef::Item(id) => self.items.get(&id).map(|i| i.app_id),
            TaskRef::App(id) => Some(id),
            TaskRef::Space(_) => None,
        }
    }

    /// Whether the reference exists and the caller may see it (404/403).
    fn check_ref(&self, caller: Caller, reference: TaskRef) -> Result<(), ApiError> {
        match reference {
            TaskRef::Item(id) => self.item(caller, id).map(|_| ()),
            TaskRef::App(id) => self.app(caller, id).map(|_| ()),
            TaskRef::Space(id) => self.space(caller, id).map(|_| ()),
        }
    }

    /// Whether `caller` may see `task`.
    pub fn can_see_task(&self, caller: Caller, task: &Task) -> bool {
        let involved = task.involves(caller);
        if task.private {
            return involved;
        }
        involved
            || task
                .reference
                .is_some_and(|r| self.check_ref(caller, r).is_ok())
    }

    /// How many active tasks the caller can see on item `item_id`.
    pub fn open_task_count(&self, caller: Caller, item_id: u64) -> usize {
        self.tasks
            .values()
            .filter(|t| {
                t.reference == Some(TaskRef::Item(item_id))
                    && t.completed_on.is_none()
                    && self.can_see_task(caller, t)
            })
            .count()
    }

    /// Task `task_id`, if the caller may see it.
    pub fn task(&self, caller: Caller, task_id: u64) -> Result<&Task, ApiError> {
        let task = self.tasks.get(&task_id).ok_or(ApiError::NotFound)?;
        if self.can_see_task(caller, task) {
            Ok(task)
        } else {
            Err(no_view_right("task", task_id))
        }
    }

    fn task_matches(&self, task: &Task, q: &TaskQuery) -> bool {
        let space = self.task_space(task);
        let any =
            |list: &[u64], v: Option<u64>| list.is_empty() || v.is_some_and(|v| list.contains(&v));
        let labels_match = q.labels.is_empty()
            || q.labels.iter().any(|key| {
                task.labels.iter().any(|id| match key {
                    LabelKey::Id(want) => want == id,
                    LabelKey::Text(text) => self
                        .task_labels
                        .get(id)
                        .is_some_and(|l| l.text.eq_ignore_ascii_case(text)),
                })
            });
        let due_match = q.due.as_ref().is_none_or(|(from, to)| {
            task.due_date.as_ref().is_some_and(|d| {
                from.as_ref().is_none_or(|f| d >= f) && to.as_ref().is_none_or(|t| d <= t)
            })
        });
        any(&q.apps, self.task_app_id(task))
            && any(&q.spaces, space.map(|s| s.space_id))
            && any(&q.orgs, space.map(|s| s.org_id))
            && any(&q.responsible, task.responsible)
            && (q.created_by.is_empty() || q.created_by.contains(&task.created_by))
            && (q.references.is_empty()
                || task.reference.is_some_and(|r| q.references.contains(&r)))
            && q.completed.is_none_or(|c| c == task.completed_on.is_some())
            && due_match
            && labels_match
            && q.external_id
                .as_ref()
                .is_none_or(|e| task.external_id.as_ref() == Some(e))
    }

    /// The tasks matching `query` that the caller may see, in order.
    pub fn query_tasks(&self, caller: Caller, query: &TaskQuery) -> Result<Vec<&Task>, ApiError> {
        if !query.is_secure() {
            return Err(ApiError::QueryNotSecure);
        }
        let mut tasks: Vec<&Task> = self
            .tasks
            .values()
            .filter(|t| self.can_see_task(caller, t) && self.task_matches(t, query))
            .collect();
        // Missing values sort last whatever the direction.
        let key = |t: &Task| -> Option<String> {
            match query.sort {
                TaskSort::Rank | TaskSort::DueDate => t.due_on(),
                TaskSort::CreatedOn => Some(t.created_on.clone()),
                TaskSort::CompletedOn => t.completed_on.clone(),
            }
        };
        tasks.sort_by(|a, b| {
            let order = match (key(a), key(b)) {
                (Some(x), Some(y)) if query.sort_desc => y.cmp(&x),
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            order.then(a.task_id.cmp(&b.task_id))
        });
        Ok(tasks)
    }

    fn resolve_assignee(&self, who: &Assignee) -> Result<&User, ApiError> {
        let found = match who {
            Assignee::User(id) => self.users.get(id),
            Assignee::Profile(id) => self.user_by_profile(*id),
            Assignee::Mail(mail) => self.user_by_mail(mail),
        };
        found.ok_or_else(|| {
            let what = match who {
                Assignee::User(id) => format!("user id {id}"),
                Assignee::Profile(id) => format!("profile id {id}"),
                Assignee::Mail(mail) => format!("e-mail {mail:?}"),
            };
            bad(format!("responsible: there is no user with {what}"))
        })
    }

    /// Checks the responsible users against the task's workspace (they must
    /// be members) and returns their user ids.
    fn responsible_ids(
        &self,
        who: &[Assignee],
        space: Option<&Space>,
    ) -> Result<Vec<u64>, ApiError> {
        let mut ids = Vec::new();
        for w in who {
            let user = self.resolve_assignee(w)?;
            if let Some(space) = space
                && space.role_of(user.user_id).is_none()
            {
                return Err(bad(format!(
                    "responsible: {} (user {}) is not a member of workspace {:?} ({}), so cannot be responsible for a task there",
                    user.name, user.user_id, space.name, space.space_id
                )));
            }
            if !ids.contains(&user.user_id) {
                ids.push(user.user_id);
            }
        }
        Ok(ids)
    }

    /// Label ids for the given ids and texts; texts not yet known are
    /// returned separately, to be created once everything is validated.
    fn label_plan(&self, input: &TaskInput) -> Result<Option<LabelPlan>, ApiError> {
        if input.labels.is_none() && input.label_ids.is_none() {
            return Ok(None);
        }
        let mut ids = Vec::new();
        for id in input.label_ids.iter().flatten() {
            if !self.task_labels.contains_key(id) {
                return Err(bad(format!(
                    "label_ids: there is no label {id}; pass labels as texts to create one"
                )));
            }
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        let mut new = Vec::new();
        for text in input.labels.iter().flatten() {
            match self
                .task_labels
                .values()
                .find(|l| l.text.eq_ignore_ascii_case(text))
            {
                Some(l) if !ids.contains(&l.label_id) => ids.push(l.label_id),
                Some(_) => {}
                None if !new.iter().any(|n: &String| n.eq_ignore_ascii_case(text)) => {
                    new.push(text.clone());
                }
                None => {}
            }
        }
        Ok(Some(LabelPlan { ids, new }))
    }

    /// Creates the planned labels and returns all label ids.
    fn apply_label_plan(&mut self, plan: LabelPlan) -> Vec<u64> {
        let LabelPlan { mut ids, new } = plan;
        for text in new {
            let label_id = self.task_labels.keys().last().map_or(1, |id| id + 1);
            let color = LABEL_COLORS[self.task_labels.len() % LABEL_COLORS.len()].to_owned();
            self.task_labels.insert(
                label_id,
                Label {
                    label_id,
                    text,
                    color,
                },
            );
            ids.push(label_id);
        }
        ids
    }

    fn next_task_id(&self) -> u64 {
        self.tasks.keys().last().map_or(1, |id| id + 1)
    }

    /// Creates one task per responsible (one unassigned-or-caller task when
    /// none is named) and returns their ids. Everything is validated before
    /// anything is stored.
    pub fn create_tasks(
        &mut self,
        caller: Caller,
        input: TaskInput,
        now: &str,
    ) -> Result<Vec<u64>, ApiError> {
        let text = input
            .text
            .clone()
            .ok_or_else(|| bad("text is required: what is to be done".to_owned()))?;
        if let Some(r) = input.reference {
            self.check_ref(caller, r)?;
        }
        let space = input.reference.and_then(|r| self.ref_space(r));
        let mut responsible: Vec<Option<u64>> = self
            .responsible_ids(input.responsible.as_deref().unwrap_or(&[]), space)?
            .into_iter()
            .map(Some)
            .collect();
        if responsible.is_empty() {
            // Podio assigns a task nobody was named for to its creator.
            responsible.push(match caller {
                Caller::User(id) => Some(id),
                Caller::App(_) => None,
            });
        }
        let due_date = input.due_date.clone().flatten();
        let due_time = input.due_time.clone().flatten();
        if due_time.is_some() && due_date.is_none() {
            return Err(bad(
                "due_time needs a due_date (YYYY-MM-DD) as well".to_owned()
            ));
        }
        let plan = self.label_plan(&input)?;
        let labels = plan.map(|p| self.apply_label_plan(p)).unwrap_or_default();
        let mut ids = Vec::new();
        for who in responsible {
            let task_id = self.next_task_id();
            self.tasks.insert(
                task_id,
                Task {
                    task_id,
                    text: text.clone(),
                    description: input.description.clone().unwrap_or_default(),
                    private: input.private.unwrap_or(false),
                    due_date: due_date.clone(),
                    due_time: due_time.clone(),
                    responsible: who,
                    created_by: caller,
                    created_on: now.to_owned(),
                    completed_on: None,
                    completed_by: None,
                    reference: input.reference,
                    labels: labels.clone(),
                    external_id: input.external_id.clone().flatten(),
                },
            );
            ids.push(task_id);
        }
        Ok(ids)
    }

    /// Applies the given keys to task `task_id`; keys not given stay.
    pub fn update_task(
        &mut self,
        caller: Caller,
        task_id: u64,
        input: TaskInput,
    ) -> Result<(), ApiError> {
        let mut task = self.task(caller, task_id)?.clone();
        if let Some(r) = input.reference {
            self.check_ref(caller, r)?;
            task.reference = Some(r);
        }
        let space = self.task_space(&task);
        if let Some(who) = &input.responsible {
            if who.len() > 1 {
                return Err(bad(
                    "responsible: a task has one responsible; create a task per person to assign several"
                        .to_owned(),
                ));
            }
            task.responsible = self.responsible_ids(who, space)?.first().copied();
        } else if input.reference.is_some()
            && let Some(id) = task.responsible
        {
            // Moving the task must not leave it with a non-member responsible.
            self.responsible_ids(&[Assignee::User(id)], space)?;
        }
        let label_plan = self.label_plan(&input)?;
        if let Some(text) = input.text {
            task.text = text;
        }
        if let Some(d) = input.description {
            task.description = d;
        }
        if let Some(p) = input.private {
            task.private = p;
        }
        if let Some(d) = input.due_date {
            if d.is_none() {
                task.due_time = None;
            }
            task.due_date = d;
        }
        if let Some(t) = input.due_time {
            task.due_time = t;
        }
        if task.due_time.is_some() && task.due_date.is_none() {
            return Err(bad(
                "due_time needs a due_date (YYYY-MM-DD) as well".to_owned()
            ));
        }
        if let Some(e) = input.external_id.clone() {
            task.external_id = e;
        }
        // Labels are created last, once nothing else can fail.
        if let Some(plan) = label_plan {
            task.labels = self.apply_label_plan(plan);
        }
        self.tasks.insert(task_id, task);
        Ok(())
    }

    /// Marks task `task_id` completed (no change if it already is).
    pub fn complete_task(
        &mut self,
        caller: Caller,
        task_id: u64,
        now: &str,
    ) -> Result<(), ApiError> {
        self.task(caller, task_id)?;
        if let Some(task) = self.tasks.get_mut(&task_id)
            && task.completed_on.is_none()
        {
            task.completed_on = Some(now.to_owned());
            task.completed_by = Some(caller);
        }
        Ok(())
    }

    /// Marks task `task_id` active again.
    pub fn reopen_task(&mut self, caller: Caller, task_id: u64) -> Result<(), ApiError> {
        self.task(caller, task_id)?;
        if let Some(task) = self.tasks.get_mut(&task_id) {
            task.completed_on = None;
            task.completed_by = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn due_ranges_accept_open_ends() {
        assert_eq!(
            parse_due_range("2024-04-01-2024-04-30"),
            Ok((Some("2024-04-01".into()), Some("2024-04-30".into())))
        );
        assert_eq!(
            parse_due_range("-2024-04-30"),
            Ok((None, Some("2024-04-30".into())))
        );
        assert_eq!(
            parse_due_range("2024-04-01-"),
            Ok((Some("2024-04-01".into()), None))
        );
        assert!(parse_due_range("2024-02-30-").is_err());
        assert!(parse_due_range("april").is_err());
        assert!(parse_due_range("-").is_err());
    }

    #[test]
    fn bodies_are_read_strictly() {
        let input = TaskInput::from_json(&json!({
            "text": " Call ", "due_date": "2024-07-01", "due_time": "9:00",
        }));
        assert!(input.is_err(), "single-digit hour is rejected");
        let input = TaskInput::from_json(&json!({
            "text": "Call", "due_on": "2024-07-01 09:30:00",
            "responsible": [{"type": "profile", "id": 5}, 7],
            "ref_type": "item", "ref_id": "12",
        }))
        .expect("valid body");
        assert_eq!(input.text.as_deref(), Some("Call"));
        assert_eq!(input.due_date, Some(Some("2024-07-01".into())));
        assert_eq!(input.due_time, Some(Some("09:30:00".into())));
        assert_eq!(
            input.responsible,
            Some(vec![Assignee::Profile(5), Assignee::User(7)])
        );
        assert_eq!(input.reference, Some(TaskRef::Item(12)));
        assert!(TaskInput::from_json(&json!({"text": ""})).is_err());
        assert!(TaskInput::from_json(&json!({"ref_type": "item"})).is_err());
        assert!(TaskInput::from_json(&json!({"ref_type": "task", "ref_id": 1})).is_err());
        assert!(TaskInput::from_json(&json!([])).is_err());
    }
}
