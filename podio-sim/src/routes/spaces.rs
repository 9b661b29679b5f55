//! Workspaces: `GET /space/{space_id}`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Auth;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::render;

/// The workspace routes.
pub fn router() -> Router<Sim> {
    Router::new().route("/space/{space_id}", get(get_space))
}

async fn get_space(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(space_id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    let space = world.space(caller, space_id)?;
    Ok(Json(render::space_full(&world, caller, space)))
}
