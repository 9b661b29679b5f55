//! Members: `GET /space/{space_id}/member/`, `GET /space/{space_id}/member/v2/`
//! and `GET /org/{org_id}/member/` (org admins only).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Auth;
use super::input::{Page, QueryParams};
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::model::{Role, User};
use crate::world::{Caller, World, render};

/// Largest accepted `limit` of the member lists.
const MAX_LIMIT: i64 = 500;
/// Members per page of `/member/v2/` and the org list without `limit`.
const DEFAULT_LIMIT: i64 = 100;

/// The member routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/space/{space_id}/member/", get(space_members))
        .route("/space/{space_id}/member/v2/", get(space_members_v2))
        .route("/org/{org_id}/member/", get(org_members))
}

/// Whether the user's name or mail contains `query` (case-insensitive).
fn matches_query(user: &User, query: Option<&str>) -> bool {
    query.is_none_or(|q| {
        let q = q.to_lowercase();
        user.name.to_lowercase().contains(&q) || user.mail.to_lowercase().contains(&q)
    })
}

/// `(user, role)` of each member, ordered by name.
fn by_name<'a>(world: &'a World, members: &[(u64, Role)]) -> Vec<(&'a User, Role)> {
    let mut list: Vec<(&User, Role)> = members
        .iter()
        .filter_map(|(id, role)| world.users.get(id).map(|u| (u, *role)))
        .collect();
    list.sort_by(|(a, _), (b, _)| a.name.cmp(&b.name).then(a.user_id.cmp(&b.user_id)));
    list
}

/// The role named by `member_type`, when one of `allowed` is given.
fn member_type<'a>(params: &'a QueryParams, allowed: &[&str]) -> Result<Option<&'a str>, ApiError> {
    match params.get("member_type") {
        Some(t) if !allowed.contains(&t) => Err(ApiError::InvalidValue(format!(
            "member_type must be one of {}, got {t:?}",
            allowed.join(", ")
        ))),
        other => Ok(other),
    }
}

/// One page of the members of workspace `space_id` that `keep` accepts,
/// ordered by name.
fn space_member_page(
    sim: &Sim,
    caller: Caller,
    space_id: u64,
    page: Page,
    keep: impl Fn(&User, Role) -> bool,
) -> Result<Json<Vec<Value>>, ApiError> {
    let world = sim.world();
    let space = world.space(caller, space_id)?;
    let members = by_name(&world, &space.members)
        .into_iter()
        .filter(|(u, role)| keep(u, *role));
    Ok(Json(
        page.apply(members)
            .map(|(u, role)| render::space_member(&world, space, u, role))
            .collect(),
    ))
}

/// The active members of a workspace (all of them unless `limit` is given).
async fn space_members(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(space_id): Path<u64>,
    params: QueryParams,
) -> Result<Json<Vec<Value>>, ApiError> {
    let page = params.page(MAX_LIMIT, MAX_LIMIT)?;
    space_member_page(&sim, caller, space_id, page, |_, _| true)
}

/// Paged workspace members, optionally by role (`member_type`) and
/// name/mail text (`query`).
async fn space_members_v2(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(space_id): Path<u64>,
    params: QueryParams,
) -> Result<Json<Vec<Value>>, ApiError> {
    let page = params.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    let role = member_type(&params, &["admin", "regular", "light"])?;
    let query = params.get("query");
    space_member_page(&sim, caller, space_id, page, |u, r| {
        matches_query(u, query) && role.is_none_or(|t| t == r.as_str())
    })
}

/// The members of an organization; only its admins may list them.
async fn org_members(
    State(sim): State<Sim>,
    Extension(caller): Auth,
    Path(org_id): Path<u64>,
    params: QueryParams,
) -> Result<Json<Vec<Value>>, ApiError> {
    let page = params.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    let kind = member_type(
        &params,
        &["employee", "external", "admin", "regular", "light"],
    )?;
    let sort_desc = params.bool("sort_desc")?.unwrap_or(false);
    match params.get("sort_by") {
        None | Some("name" | "last_seen_on") => {}
        Some(other) => {
            return Err(ApiError::InvalidValue(format!(
                "sort_by must be name or last_seen_on, got {other:?}"
            )));
        }
    }
    let world = sim.world();
    let org = world.org(caller, org_id)?;
    if world.org_role(caller, org) != Some(Role::Admin) {
        return Err(ApiError::Forbidden(format!(
            "only administrators of organization {org_id} may list its members"
        )));
    }
    // last_seen_on is not tracked (null for everyone), so both sort keys
    // order by name.
    let mut members: Vec<(&User, Role)> = by_name(&world, &org.members)
        .into_iter()
        .filter(|(u, role)| {
            matches_query(u, params.get("query"))
                && kind.is_none_or(|k| match k {
                    "employee" => *role != Role::Light,
                    "external" => *role == Role::Light,
                    other => other == role.as_str(),
                })
        })
        .collect();
    if sort_desc {
        members.reverse();
    }
    Ok(Json(
        page.apply(members)
            .map(|(u, role)| render::org_member(&world, org, u, role))
            .collect(),
    ))
}
