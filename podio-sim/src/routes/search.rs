//! Search: `POST /search/` and the scoped `POST /search/org/{id}/`,
//! `/search/space/{id}/`, `/search/app/{id}/`.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Extension, Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use super::Auth;
use super::input::{page, typed_body};
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::search::{HitKind, REF_TYPES, SearchScope};
use crate::world::{Caller, render};

/// Results per call when `limit` is not given, and the most Podio returns.
const MAX_LIMIT: i64 = 20;

/// The search routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/search/", post(everywhere))
        .route("/search/{scope}/{id}/", post(scoped))
}

/// The search body (`search_fields` and other keys are ignored).
#[derive(Debug, Deserialize)]
struct SearchBody {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
    #[serde(default)]
    ref_type: Option<String>,
}

/// The kinds a `ref_type` asks for: all simulated kinds when absent, none
/// for a real Podio kind the simulator does not hold (files, statuses, …).
fn kinds(ref_type: Option<&str>) -> Result<Vec<HitKind>, ApiError> {
    let all = [HitKind::Item, HitKind::App, HitKind::Space, HitKind::Task];
    match ref_type.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(all.to_vec()),
        Some(r) if REF_TYPES.contains(&r) => {
            Ok(all.into_iter().filter(|k| k.type_name() == r).collect())
        }
        Some(other) => Err(ApiError::InvalidValue(format!(
            "ref_type must be one of {}, got {other:?}",
            REF_TYPES.join(", ")
        ))),
    }
}

fn run(
    sim: &Sim,
    caller: Caller,
    scope: SearchScope,
    body: &Bytes,
) -> Result<Json<Vec<Value>>, ApiError> {
    let body: SearchBody = typed_body(
        body,
        "query (text), limit (1-20), offset and ref_type (a kind)",
    )?;
    let query = body
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| {
            ApiError::InvalidValue("query is required: the text to search for".to_owned())
        })?;
    let page = page(body.limit, body.offset, MAX_LIMIT, MAX_LIMIT)?;
    let kinds = kinds(body.ref_type.as_deref())?;
    let world = sim.world();
    match scope {
        SearchScope::All => {}
        SearchScope::Org(id) => {
            world.org(caller, id)?;
        }
        SearchScope::Space(id) => {
            world.space(caller, id)?;
        }
        SearchScope::App(id) => {
            world.app(caller, id)?;
        }
    }
    let hits = world.search(caller, scope, query, &kinds);
    Ok(Json(
        page.apply(hits)
            .enumerate()
            .filter_map(|(i, hit)| render::hit(&world, hit, page.offset + i + 1))
            .collect(),
    ))
}

async fn everywhere(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    body: Bytes,
) -> Result<Json<Vec<Value>>, ApiError> {
    run(&sim, caller, SearchScope::All, &body)
}

/// `POST /search/{org|space|app}/{id}/`; other scopes are unknown paths.
async fn scoped(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path((scope, id)): Path<(String, u64)>,
    body: Bytes,
) -> Result<Json<Vec<Value>>, ApiError> {
    let scope = match scope.as_str() {
        "org" => SearchScope::Org(id),
        "space" => SearchScope::Space(id),
        "app" => SearchScope::App(id),
        _ => return Err(ApiError::NotFound),
    };
    run(&sim, caller, scope, &body)
}
