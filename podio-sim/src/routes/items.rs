//! Items: `GET /item/{item_id}`, `POST /item/app/{app_id}/filter/` and
//! `GET /item/app/{app_id}/count`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Auth;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::filter::{self, FilterRequest};
use crate::world::render::{self, ItemView};

/// The item routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/item/{item_id}", get(get_item))
        .route("/item/app/{app_id}/filter/", post(filter_items))
        .route("/item/app/{app_id}/count", get(count_items))
}

async fn get_item(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(item_id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    let (item, app) = world.item(caller, item_id)?;
    Ok(Json(render::item(
        &world,
        caller,
        app,
        item,
        ItemView::Full,
    )))
}

/// The filter body; an empty body means all defaults.
fn filter_request(body: &Bytes) -> Result<FilterRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(FilterRequest::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::InvalidValue(format!(
            "the body must be a json object with filters, sort_by, sort_desc, limit and offset: {e}"
        ))
    })
}

async fn filter_items(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(app_id): Path<u64>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request = filter_request(&body)?;
    let world = sim.world();
    let app = world.app(caller, app_id)?;
    let page = filter::run(app, world.items_of(app_id), &request)?;
    let items: Vec<Value> = page
        .item_ids
        .iter()
        .filter_map(|id| world.items.get(id))
        .map(|item| render::item(&world, caller, app, item, ItemView::Listed))
        .collect();
    Ok(Json(json!({
        "total": page.total,
        "filtered": page.filtered,
        "items": items,
    })))
}

async fn count_items(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(app_id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    let app = world.app(caller, app_id)?;
    Ok(Json(json!({ "count": world.items_of(app.app_id).count() })))
}
