//! The authenticated user: `GET /user/status`, `GET /user/` and
//! `GET /user/profile/`. An app token has no user and gets 403.

use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Auth;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::model::User;
use crate::world::notifications::user_of;
use crate::world::{Caller, World, render};

/// The user routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/user/status", get(status))
        .route("/user/", get(user))
        .route("/user/profile/", get(profile))
}

fn the_user(world: &World, caller: Caller) -> Result<&User, ApiError> {
    let id = user_of(caller)?;
    world.users.get(&id).ok_or(ApiError::NotFound)
}

async fn status(State(sim): State<Sim>, Extension(caller): Auth) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    let user = the_user(&world, caller)?;
    Ok(Json(render::status(&world, user)))
}

async fn user(State(sim): State<Sim>, Extension(caller): Auth) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    Ok(Json(render::user(the_user(&world, caller)?)))
}

async fn profile(State(sim): State<Sim>, Extension(caller): Auth) -> Result<Json<Value>, ApiError> {
    let world = sim.world();
    Ok(Json(render::profile(the_user(&world, caller)?)))
}
