//! Notifications: `GET /notification/` and
//! `POST /notification/{notification_id}/viewed`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Auth;
use super::input::QueryParams;
use crate::dates;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::notifications::NotificationQuery;
use crate::world::render;

/// Notifications per page when `limit` is not given.
const DEFAULT_LIMIT: i64 = 20;
/// Largest accepted `limit`.
const MAX_LIMIT: i64 = 100;

/// The notification routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/notification/", get(list))
        .route("/notification/{notification_id}/viewed", post(mark_viewed))
}

/// The caller's notifications, newest first, paged by notification and
/// grouped by what they are about.
async fn list(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    params: QueryParams,
) -> Result<Json<Vec<Value>>, ApiError> {
    let query = NotificationQuery {
        viewed: params.bool("viewed")?,
        starred: params.bool("starred")?,
        kind: params.get("type").map(str::to_owned),
    };
    let page = params.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    let world = sim.world();
    let list: Vec<_> = page
        .apply(world.notifications_of(caller, &query)?)
        .collect();
    Ok(Json(render::notification_groups(&world, caller, &list)))
}

async fn mark_viewed(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(notification_id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    sim.world_mut()
        .mark_notification_viewed(caller, notification_id, &dates::now_timestamp())?;
    Ok(StatusCode::NO_CONTENT)
}
