//! Tasks: `GET /task/`, `GET /task/{id}`, `POST /task/`,
//! `POST /task/{ref_type}/{ref_id}/`, `PUT /task/{id}`,
//! `POST /task/{id}/complete` and `POST /task/{id}/incomplete`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Auth;
use super::input::{QueryParams, json_body};
use crate::dates;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::tasks::{LabelKey, TaskInput, TaskQuery, TaskRef, TaskSort, parse_due_range};
use crate::world::{Caller, render};

/// Tasks per page when `limit` is not given.
const DEFAULT_LIMIT: i64 = 100;
/// Largest accepted `limit`.
const MAX_LIMIT: i64 = 100;

/// Keys a task body may carry, for error messages.
const BODY_KEYS: &str = "text, description, private, due_date, due_time, due_on, responsible, labels, label_ids, external_id, ref_type and ref_id";

/// The task routes. The first segment after `/task/` is a task id, except
/// in `POST /task/{ref_type}/{ref_id}/`; axum needs one name for both.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/task/", get(list).post(create))
        .route("/task/{id}", get(get_task).put(update))
        .route("/task/{id}/complete", post(complete))
        .route("/task/{id}/incomplete", post(incomplete))
        .route("/task/{id}/{ref_id}/", post(create_on_ref))
}

/// A `created_by` value: `123`, `user:123` or `app:5`.
fn creator(raw: &str) -> Result<Caller, ApiError> {
    let bad = || {
        ApiError::InvalidValue(format!(
            "created_by takes user ids or type:id pairs (user:123, app:5), got {raw:?}"
        ))
    };
    let (kind, id) = raw.split_once(':').unwrap_or(("user", raw));
    let id = id.trim().parse::<u64>().map_err(|_| bad())?;
    match kind.trim() {
        "user" => Ok(Caller::User(id)),
        "app" => Ok(Caller::App(id)),
        _ => Err(bad()),
    }
}

/// A `reference` value: `item:123` (also app:…, space:…).
fn reference(raw: &str) -> Result<TaskRef, ApiError> {
    let (kind, id) = raw.split_once(':').ok_or_else(|| {
        ApiError::InvalidValue(format!(
            "reference takes type:id pairs such as item:123 (several separated by ;), got {raw:?}"
        ))
    })?;
    let id = id.trim().parse::<u64>().map_err(|_| {
        ApiError::InvalidValue(format!("reference {raw:?}: the id must be an integer"))
    })?;
    TaskRef::parse(kind.trim(), id)
}

fn task_query(q: &QueryParams) -> Result<TaskQuery, ApiError> {
    Ok(TaskQuery {
        apps: q.ids("app")?,
        spaces: q.ids("space")?,
        orgs: q.ids("org")?,
        responsible: q.ids("responsible")?,
        created_by: q
            .list("created_by")
            .into_iter()
            .map(creator)
            .collect::<Result<_, _>>()?,
        references: q
            .list("reference")
            .into_iter()
            .map(reference)
            .collect::<Result<_, _>>()?,
        completed: q.bool("completed")?,
        due: q.get("due_date").map(parse_due_range).transpose()?,
        labels: q
            .list("label")
            .into_iter()
            .map(|l| match l.parse::<u64>() {
                Ok(id) => LabelKey::Id(id),
                Err(_) => LabelKey::Text(l.to_owned()),
            })
            .collect(),
        external_id: q.get("external_id").map(str::to_owned),
        sort: q
            .get("sort_by")
            .map(TaskSort::parse)
            .transpose()?
            .unwrap_or_default(),
        sort_desc: q.bool("sort_desc")?.unwrap_or(false),
    })
}

async fn list(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    params: QueryParams,
) -> Result<Json<Vec<Value>>, ApiError> {
    let query = task_query(&params)?;
    let page = params.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    let world = sim.world();
    let tasks = world.query_tasks(caller, &query)?;
    Ok(Json(
        page.apply(tasks)
            .map(|t| render::task(&world, caller, t))
            .collect(),
    ))
}

async fn get_task(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(task_id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    let task = world.task(caller, task_id)?;
    Ok(Json(render::task(&world, caller, task)))
}

/// Creates the task(s) and answers one task, or a list when several
/// responsibles got one each.
fn create_tasks(sim: &Sim, caller: Caller, input: TaskInput) -> Result<Json<Value>, ApiError> {
    let mut world = sim.world_mut();
    let ids = world.create_tasks(caller, input, &dates::now_timestamp())?;
    let mut tasks: Vec<Value> = ids
        .iter()
        .filter_map(|id| world.tasks.get(id))
        .map(|t| render::task(&world, caller, t))
        .collect();
    Ok(Json(if tasks.len() == 1 {
        tasks.remove(0)
    } else {
        Value::Array(tasks)
    }))
}

async fn create(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input = TaskInput::from_json(&json_body(&body, BODY_KEYS)?)?;
    create_tasks(&sim, caller, input)
}

async fn create_on_ref(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path((ref_type, ref_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ref_id = ref_id.parse::<u64>().map_err(|_| {
        ApiError::InvalidValue(format!("ref_id in the path must be an id, got {ref_id:?}"))
    })?;
    let path_ref = TaskRef::parse(&ref_type, ref_id)?;
    let mut input = TaskInput::from_json(&json_body(&body, BODY_KEYS)?)?;
    if let Some(body_ref) = input.reference
        && body_ref != path_ref
    {
        return Err(ApiError::InvalidValue(format!(
            "the body's ref_type/ref_id ({}:{}) contradict the path ({ref_type}:{ref_id}); send one of them",
            body_ref.type_name(),
            body_ref.id()
        )));
    }
    input.reference = Some(path_ref);
    create_tasks(&sim, caller, input)
}

async fn update(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(task_id): Path<u64>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input = TaskInput::from_json(&json_body(&body, BODY_KEYS)?)?;
    let mut world = sim.world_mut();
    world.update_task(caller, task_id, input)?;
    // Read back without a visibility check: the update may have made the
    // task private to others, and the caller still gets what it wrote.
    let task = world.tasks.get(&task_id).ok_or(ApiError::NotFound)?;
    Ok(Json(render::task(&world, caller, task)))
}

async fn complete(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(task_id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    sim.world_mut()
        .complete_task(caller, task_id, &dates::now_timestamp())?;
    Ok(Json(json!({ "recurring_task_id": null })))
}

/// Podio answers an undone completion with no body.
async fn incomplete(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(task_id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    sim.world_mut().reopen_task(caller, task_id)?;
    Ok(StatusCode::NO_CONTENT)
}
