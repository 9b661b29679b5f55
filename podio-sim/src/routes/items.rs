//! Items: `GET /item/{item_id}`, `POST /item/app/{app_id}/` (create),
//! `PUT /item/{item_id}` (update), `POST /item/app/{app_id}/filter/`,
//! `POST /item/app/{app_id}/filter/{view_id}/` and
//! `GET /item/app/{app_id}/count`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Auth;
use super::input::{QueryParams, json_body, typed_body};
use crate::dates;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::filter::{self, FilterRequest};
use crate::world::render::{self, ItemView};
use crate::world::write::{self, Mode};
use crate::world::{Caller, World};

/// The item routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/item/{item_id}", get(get_item).put(update_item))
        .route("/item/app/{app_id}/", post(create_item))
        .route("/item/app/{app_id}/filter/", post(filter_items))
        .route("/item/app/{app_id}/filter/{view_id}/", post(filter_by_view))
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

/// The body of an item write, once the write flags Podio accepts there are
/// checked. Notifications and webhooks are not simulated, so valid flag
/// values change nothing.
fn item_write_body(params: &QueryParams, body: &Bytes) -> Result<Value, ApiError> {
    params.bool("silent")?;
    params.bool("hook")?;
    json_body(body, "\"fields\" keyed by field external_id or field_id")
}

async fn create_item(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(app_id): Path<u64>,
    params: QueryParams,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = item_write_body(&params, &body)?;
    let mut world = sim.world_mut();
    let app = world.app(caller, app_id)?;
    let parsed = write::parse(&world, caller, app, &body, Mode::Create)?;
    let item_id = world.create_item(app_id, caller, parsed, &dates::now_timestamp());
    let (item, app) = world.item(caller, item_id)?;
    Ok(Json(json!({
        "item_id": item.item_id,
        "app_item_id": item.app_item_id,
        "title": render::title(app, item),
        "link": render::item_url(&world, app, item),
        "revision": item.revision,
    })))
}

async fn update_item(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(item_id): Path<u64>,
    params: QueryParams,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = item_write_body(&params, &body)?;
    let mut world = sim.world_mut();
    let (_, app) = world.item(caller, item_id)?;
    let parsed = write::parse(&world, caller, app, &body, Mode::Update)?;
    let revision = world.update_item(item_id, parsed, &dates::now_timestamp())?;
    let (item, app) = world.item(caller, item_id)?;
    Ok(Json(json!({
        "revision": revision,
        "title": render::title(app, item),
    })))
}

/// The filter body; an empty body means all defaults.
fn filter_request(body: &Bytes) -> Result<FilterRequest, ApiError> {
    typed_body(body, "filters, sort_by, sort_desc, limit and offset")
}

/// Runs `request` over app `app_id` and renders the page.
fn filter_page(
    world: &World,
    caller: Caller,
    app_id: u64,
    request: &FilterRequest,
) -> Result<Json<Value>, ApiError> {
    let app = world.app(caller, app_id)?;
    let page = filter::run(world, app, request)?;
    let items: Vec<Value> = page
        .item_ids
        .iter()
        .filter_map(|id| world.items.get(id))
        .map(|item| render::item(world, caller, app, item, ItemView::Listed))
        .collect();
    Ok(Json(json!({
        "total": page.total,
        "filtered": page.filtered,
        "items": items,
    })))
}

async fn filter_items(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(app_id): Path<u64>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request = filter_request(&body)?;
    filter_page(&sim.world(), caller, app_id, &request)
}

async fn filter_by_view(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path((app_id, view_id)): Path<(u64, u64)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = filter_request(&body)?;
    let world = sim.world();
    world.app(caller, app_id)?;
    let view = world.view(caller, app_id, view_id)?;
    let request = filter::view_request(view, body);
    filter_page(&world, caller, app_id, &request)
}

/// `{"count": n}`; with `view_id`, the items the saved view shows.
async fn count_items(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(app_id): Path<u64>,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    let app = world.app(caller, app_id)?;
    let count = match params.int("view_id")? {
        None => world.items_of(app.app_id).count(),
        Some(view_id) => {
            let view_id = u64::try_from(view_id).map_err(|_| {
                ApiError::InvalidValue(format!("view_id must be a view id, got {view_id}"))
            })?;
            let view = world.view(caller, app_id, view_id)?;
            let request = filter::view_request(view, FilterRequest::default());
            filter::run(&world, app, &request)?.filtered
        }
    };
    Ok(Json(json!({ "count": count })))
}
