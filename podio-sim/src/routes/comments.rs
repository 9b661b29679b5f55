//! Comments on items: `GET /comment/item/{item_id}/` and
//! `POST /comment/item/{item_id}/`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use bytes::Bytes;
use serde_json::Value;

use super::Auth;
use super::input::{QueryParams, json_body};
use crate::dates;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::comments::NewComment;
use crate::world::render;

/// Comments are returned all at once unless the caller pages; whether
/// Podio honours `limit`/`offset` here is unconfirmed, so both are accepted.
const MAX_LIMIT: i64 = 500;

/// The comment routes.
pub fn router() -> Router<Sim> {
    Router::new().route("/comment/item/{item_id}/", get(list).post(add))
}

async fn list(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(item_id): Path<u64>,
    params: QueryParams,
) -> Result<Json<Vec<Value>>, ApiError> {
    let page = params.page(MAX_LIMIT, MAX_LIMIT)?;
    let world = sim.world();
    world.item(caller, item_id)?;
    Ok(Json(
        page.apply(world.comments_on(item_id))
            .map(|c| render::comment(&world, caller, c))
            .collect(),
    ))
}

/// Reads `{"value": "...", "external_id": ...}`; other keys (file_ids,
/// embed_id, embed_url) are accepted and ignored.
fn new_comment(body: &Value, silent: bool) -> Result<NewComment, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::InvalidValue(format!(
            "the body must be a json object {{\"value\": \"the comment text\"}}, got {body}"
        )));
    };
    let value = match map.get("value") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(other) => {
            return Err(ApiError::InvalidValue(format!(
                "value must be the comment text, a non-empty string; got {other}"
            )));
        }
        None => {
            return Err(ApiError::InvalidValue(
                "value is required: the comment text".to_owned(),
            ));
        }
    };
    let external_id = match map.get("external_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(ApiError::InvalidValue(format!(
                "external_id must be a string, got {other}"
            )));
        }
    };
    Ok(NewComment {
        value,
        external_id,
        silent,
    })
}

async fn add(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(item_id): Path<u64>,
    params: QueryParams,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    // alert_invite and hook only affect e-mail and webhooks, which the
    // simulator does not send; they are still checked to be booleans.
    params.bool("alert_invite")?;
    params.bool("hook")?;
    let silent = params.bool("silent")?.unwrap_or(false);
    let comment = new_comment(&json_body(&body, "value and optional external_id")?, silent)?;
    let mut world = sim.world_mut();
    let comment_id = world.add_comment(caller, item_id, comment, &dates::now_timestamp())?;
    let comment = world.comments.get(&comment_id).ok_or(ApiError::NotFound)?;
    Ok(Json(render::comment(&world, caller, comment)))
}
