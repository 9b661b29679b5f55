//! Apps: `GET /app/{app_id}` and `GET /app/space/{space_id}/`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Auth;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::render;

/// The app routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/app/{app_id}", get(get_app))
        .route("/app/space/{space_id}/", get(apps_in_space))
}

async fn get_app(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(app_id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    let app = world.app(caller, app_id)?;
    Ok(Json(render::app(&world, caller, app)))
}

/// The workspace's apps the caller can see, ordered by name.
async fn apps_in_space(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(space_id): Path<u64>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let world = sim.world();
    let space = world.space(caller, space_id)?;
    let mut apps: Vec<_> = world
        .apps
        .values()
        .filter(|a| a.space_id == space.space_id && world.can_see_app(caller, a))
        .collect();
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(
        apps.into_iter()
            .map(|a| render::app(&world, caller, a))
            .collect(),
    ))
}
