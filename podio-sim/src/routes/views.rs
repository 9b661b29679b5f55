//! Saved views: `GET /view/app/{app_id}/` and
//! `GET /view/app/{app_id}/{view_id}`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Auth;
use super::input::QueryParams;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::render;

/// The view routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/view/app/{app_id}/", get(list))
        .route("/view/app/{app_id}/{view_id}", get(one))
}

/// The app's views the caller may see; standard views only with
/// `include_standard_views=true`.
async fn list(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(app_id): Path<u64>,
    params: QueryParams,
) -> Result<Json<Vec<Value>>, ApiError> {
    let include_standard = params.bool("include_standard_views")?.unwrap_or(false);
    let world = sim.world();
    let app = world.app(caller, app_id)?;
    Ok(Json(
        world
            .views_of(caller, app_id, include_standard)
            .into_iter()
            .map(|v| render::view(&world, caller, app, v))
            .collect(),
    ))
}

async fn one(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path((app_id, view_id)): Path<(u64, u64)>,
) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    let app = world.app(caller, app_id)?;
    let view = world.view(caller, app_id, view_id)?;
    Ok(Json(render::view(&world, caller, app, view)))
}
