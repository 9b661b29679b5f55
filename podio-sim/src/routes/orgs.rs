//! Organizations: `GET /org/` and `GET /org/{org_id}/space/`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Auth;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::render;

/// The organization routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/org/", get(list))
        .route("/org/{org_id}/space/", get(spaces))
}

/// The caller's organizations, each with the caller's workspaces in it.
async fn list(State(sim): State<Sim>, Extension(caller): Auth) -> Json<Vec<Value>> {
    let world = sim.world();
    Json(
        world
            .orgs_of(caller)
            .into_iter()
            .map(|o| render::org(&world, caller, o))
            .collect(),
    )
}

/// The caller's workspaces in one organization.
async fn spaces(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(org_id): Path<u64>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let world = sim.world();
    let org = world.org(caller, org_id)?;
    Ok(Json(
        world
            .spaces_of(caller, org.org_id)
            .into_iter()
            .map(|s| render::space_short(&world, caller, s))
            .collect(),
    ))
}
