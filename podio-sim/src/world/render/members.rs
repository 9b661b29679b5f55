//! Members of workspaces (`GET /space/{id}/member/`) and organizations
//! (`GET /org/{id}/member/`).

use serde_json::{Value, json};

use super::{profile, user};
use crate::world::World;
use crate::world::model::{Org, Role, Space, User};

/// Whether `user_id` is an employee of the organization: a full member
/// rather than an outside guest with the light role.
fn employee(org: Option<&Org>, user_id: u64) -> bool {
    org.is_some_and(|o| {
        o.members
            .iter()
            .any(|(id, role)| *id == user_id && *role != Role::Light)
    })
}

/// A workspace member with role and membership dates.
pub fn space_member(world: &World, space: &Space, u: &User, role: Role) -> Value {
    let dates = world.memberships.get(&(space.space_id, u.user_id));
    let started = dates.map_or(space.created_on.as_str(), |d| d.started_on.as_str());
    let invited = dates.map_or(space.created_on.as_str(), |d| d.invited_on.as_str());
    json!({
        "user": user(u),
        "profile": profile(u),
        "role": role.as_str(),
        "invited_on": invited,
        "started_on": started,
        "ended_on": Value::Null,
        "employee": employee(world.orgs.get(&space.org_id), u.user_id),
        "grants": 0,
    })
}

/// An organization member with role and the number of the org's
/// workspaces they belong to.
pub fn org_member(world: &World, org: &Org, u: &User, role: Role) -> Value {
    let space_memberships = world
        .spaces
        .values()
        .filter(|s| s.org_id == org.org_id && s.role_of(u.user_id).is_some())
        .count();
    json!({
        "user": user(u),
        "profile": profile(u),
        "employee": employee(Some(org), u.user_id),
        "role": role.as_str(),
        "space_memberships": space_memberships,
    })
}
