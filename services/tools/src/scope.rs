//! Workspace scoping through the token: a principal whose `space_ids` or
//! `org_ids` are non-empty may see or touch only those Podio workspaces
//! (spaces), plus every workspace of the listed organizations, through any
//! tool. Both empty means no limit, and every check is then a no-op that
//! costs nothing (no Podio call, no allocation).
//!
//! Which organization a workspace belongs to is known only to Podio, so
//! "is space S in org O" is answered by `GET /space/{S}` (its `org_id`),
//! asked at most once per space and call (the cache lives with the
//! [`crate::podio::Podio`] client, which is made per call).
//!
//! A refusal is an actionable tool error (an `is_error` result), never a
//! gRPC error, and refusals happen before anything is written upstream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use portico_proto::auth::Principal;
use portico_proto::error::ErrorCode;
use serde_json::{Value, json};

use crate::decode::json::{get, number};
use crate::error::{Refusal, ToolError};
use crate::podio::{Podio, Target};

/// What the token allows, as far as it is known without asking Podio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The workspace may be seen and touched.
    Allowed,
    /// It may not.
    Denied,
    /// It may if it belongs to one of the token's organizations: its
    /// `org_id` must be looked up.
    NeedsOrg,
}

/// The workspaces a principal is limited to (none: no limit).
#[derive(Debug, Clone, Default)]
pub struct WorkspaceScope {
    spaces: Arc<[u64]>,
    orgs: Arc<[u64]>,
    /// space id → its org id (None when Podio did not say), per call.
    space_orgs: Arc<Mutex<HashMap<u64, Option<u64>>>>,
}

impl WorkspaceScope {
    /// The scope of `principal`'s token.
    pub fn of(principal: &Principal) -> WorkspaceScope {
        // A negative id can match no Podio object; it still limits the token.
        let ids = |ids: &[i64]| -> Arc<[u64]> {
            ids.iter()
                .map(|&id| u64::try_from(id).unwrap_or(0))
                .collect()
        };
        WorkspaceScope {
            spaces: ids(&principal.space_ids),
            orgs: ids(&principal.org_ids),
            space_orgs: Arc::default(),
        }
    }

    /// Whether the token may reach every workspace (today's behaviour).
    pub fn is_unlimited(&self) -> bool {
        self.spaces.is_empty() && self.orgs.is_empty()
    }

    /// Whether organization `org_id` is one the token lists (all its
    /// workspaces are allowed).
    pub fn allows_org(&self, org_id: u64) -> bool {
        self.is_unlimited() || self.orgs.contains(&org_id)
    }

    /// Whether workspace `space_id` is allowed, given its organization when
    /// known (`org_id`).
    pub fn allows_space_in(&self, space_id: u64, org_id: Option<u64>) -> bool {
        self.is_unlimited()
            || self.spaces.contains(&space_id)
            || org_id.is_some_and(|o| self.orgs.contains(&o))
    }

    /// What can be said about `space_id` without asking Podio.
    pub fn decide(&self, space_id: u64) -> Decision {
        if self.allows_space_in(space_id, None) {
            Decision::Allowed
        } else if self.orgs.is_empty() {
            Decision::Denied
        } else if let Some(org) = self.cached_org(space_id) {
            if org.is_some_and(|o| self.orgs.contains(&o)) {
                Decision::Allowed
            } else {
                Decision::Denied
            }
        } else {
            Decision::NeedsOrg
        }
    }

    fn cached_org(&self, space_id: u64) -> Option<Option<u64>> {
        self.space_orgs
            .lock()
            .ok()
            .and_then(|cache| cache.get(&space_id).copied())
    }

    /// Remembers that `space_id` belongs to `org_id` (from any Podio answer
    /// that says so), sparing a later `GET /space/{id}`.
    pub fn learn(&self, space_id: u64, org_id: Option<u64>) {
        if self.is_unlimited() {
            return;
        }
        if let Ok(mut cache) = self.space_orgs.lock() {
            let known = cache.entry(space_id).or_insert(org_id);
            if known.is_none() {
                *known = org_id;
            }
        }
    }

    /// Whether workspace `space_id` is allowed, asking Podio for its
    /// organization when that decides it.
    pub async fn allows_space(&self, podio: &Podio, space_id: u64) -> Result<bool, ToolError> {
        match self.decide(space_id) {
            Decision::Allowed => Ok(true),
            Decision::Denied => Ok(false),
            Decision::NeedsOrg => {
                let target = Target::new(
                    format!("space {space_id}"),
                    "use get_organizations or get_spaces_in_organization to find space ids",
                );
                let raw = podio
                    .get(format!("/space/{space_id}"), &[], &target)
                    .await?;
                let org = org_of_space(&raw);
                self.learn(space_id, org);
                Ok(org.is_some_and(|o| self.orgs.contains(&o)))
            }
        }
    }

    /// Like [`Self::allows_space`] for filtering lists: a workspace whose
    /// organization cannot be learned is left out.
    pub async fn shows(&self, podio: &Podio, space_id: Option<u64>, org_id: Option<u64>) -> bool {
        if self.is_unlimited() {
            return true;
        }
        let Some(space_id) = space_id else {
            return false;
        };
        if self.allows_space_in(space_id, org_id) {
            return true;
        }
        if let Some(org) = org_id {
            self.learn(space_id, Some(org));
            return false;
        }
        self.allows_space(podio, space_id).await.unwrap_or(false)
    }

    /// Refuses unless workspace `space_id` is allowed; `what` names the
    /// object that lives there, e.g. "item 42" (or "space 7" itself).
    pub async fn check_space(
        &self,
        podio: &Podio,
        space_id: u64,
        what: &str,
    ) -> Result<(), ToolError> {
        if self.allows_space(podio, space_id).await? {
            Ok(())
        } else {
            Err(self.refusal(what, Some(space_id)))
        }
    }

    /// Refuses unless `space_id` (the workspace `what` is in, when known)
    /// is allowed.
    pub async fn check_in(
        &self,
        podio: &Podio,
        space_id: Option<u64>,
        what: &str,
    ) -> Result<(), ToolError> {
        if self.is_unlimited() {
            return Ok(());
        }
        match space_id {
            Some(space_id) => self.check_space(podio, space_id, what).await,
            None => Err(self.refusal(what, None)),
        }
    }

    /// Refuses unless app `app_id` is in an allowed workspace (one
    /// `GET /app/{id}` when scoped, none otherwise).
    pub async fn check_app(&self, podio: &Podio, app_id: u64) -> Result<(), ToolError> {
        if self.is_unlimited() {
            return Ok(());
        }
        let target = Target::new(
            format!("app {app_id}"),
            "use get_apps_in_space to find app ids",
        );
        let raw = podio.get(format!("/app/{app_id}"), &[], &target).await?;
        self.check_in(podio, id_at(&raw, "space_id"), &format!("app {app_id}"))
            .await
    }

    /// Refuses unless the item `raw` (a Podio item, `what` e.g. "item 42")
    /// is in an allowed workspace: its `app.space_id`, else its app's.
    pub async fn check_item(
        &self,
        podio: &Podio,
        raw: &Value,
        what: &str,
    ) -> Result<(), ToolError> {
        if self.is_unlimited() {
            return Ok(());
        }
        let app = get(raw, "app").unwrap_or(&Value::Null);
        let space = id_at(app, "space_id").or_else(|| id_at(raw, "space_id"));
        match (space, id_at(app, "app_id")) {
            (Some(space), _) => self.check_space(podio, space, what).await,
            (None, Some(app_id)) => {
                let target = Target::new(
                    format!("app {app_id}"),
                    "use get_apps_in_space to find app ids",
                );
                let raw_app = podio.get(format!("/app/{app_id}"), &[], &target).await?;
                self.check_in(podio, id_at(&raw_app, "space_id"), what)
                    .await
            }
            (None, None) => Err(self.refusal(what, None)),
        }
    }

    /// Refuses unless item `item_id` is in an allowed workspace (one
    /// `GET /item/{id}` when scoped, none otherwise).
    pub async fn check_item_id(&self, podio: &Podio, item_id: u64) -> Result<(), ToolError> {
        if self.is_unlimited() {
            return Ok(());
        }
        let target = Target::new(
            format!("item {item_id}"),
            "use get_items or search_globally to find item ids",
        );
        let raw = podio
            .get(
                format!("/item/{item_id}"),
                &[("mark_as_viewed", "false".to_owned())],
                &target,
            )
            .await?;
        self.check_item(podio, &raw, &format!("item {item_id}"))
            .await
    }

    /// Refuses unless task `task_id` is in an allowed workspace (one
    /// `GET /task/{id}` when scoped, none otherwise).
    pub async fn check_task_id(&self, podio: &Podio, task_id: u64) -> Result<(), ToolError> {
        if self.is_unlimited() {
            return Ok(());
        }
        let target = Target::new(format!("task {task_id}"), "use get_tasks to find task ids");
        let raw = podio.get(format!("/task/{task_id}"), &[], &target).await?;
        self.check_in(podio, id_at(&raw, "space_id"), &format!("task {task_id}"))
            .await
    }

    /// Refuses an organization-wide request (e.g. its member list) unless
    /// the token lists organization `org_id`.
    pub fn check_whole_org(&self, org_id: u64, what: &str) -> Result<(), ToolError> {
        if self.allows_org(org_id) {
            Ok(())
        } else {
            Err(refused(format!(
                "This token is limited to {}; {what} covers all of organization {org_id}, which \
                 the token does not list in full. Use get_space_members for the members of an \
                 allowed workspace instead.",
                self.limits()
            )))
        }
    }

    /// Whether the token lists single workspaces (which may lie in any
    /// organization).
    pub fn lists_spaces(&self) -> bool {
        !self.spaces.is_empty()
    }

    /// The refusal for organization `org_id`, which the token does not list
    /// and which can hold none of its workspaces.
    pub fn org_refusal(&self, org_id: u64) -> ToolError {
        refused(format!(
            "This token is limited to {}; organization {org_id} is not one of its \
             organizations. Use get_organizations to list the workspaces this token can reach.",
            self.limits()
        ))
    }

    /// The refusal for `what`, in workspace `space_id` (None: unknown).
    pub fn refusal(&self, what: &str, space_id: Option<u64>) -> ToolError {
        let place = match space_id {
            Some(space) if what == format!("space {space}") => {
                format!("{what} is not one of them")
            }
            Some(space) => format!("{what} is in workspace {space}, which is not one of them"),
            None => format!("the workspace of {what} cannot be determined, so it is not allowed"),
        };
        refused(format!(
            "This token is limited to {}; {place}. Use get_organizations to list the workspaces \
             this token can reach.",
            self.limits()
        ))
    }

    /// "workspaces 1, 2 and the workspaces of organization 3".
    pub fn limits(&self) -> String {
        let list = |ids: &[u64]| {
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let spaces = match self.spaces.len() {
            0 => None,
            1 => Some(format!("workspace {}", list(&self.spaces))),
            _ => Some(format!("workspaces {}", list(&self.spaces))),
        };
        let orgs = match self.orgs.len() {
            0 => None,
            1 => Some(format!(
                "the workspaces of organization {}",
                list(&self.orgs)
            )),
            _ => Some(format!(
                "the workspaces of organizations {}",
                list(&self.orgs)
            )),
        };
        match (spaces, orgs) {
            (Some(s), Some(o)) => format!("{s} and {o}"),
            (Some(s), None) => s,
            (None, Some(o)) => o,
            (None, None) => "no workspaces".to_owned(),
        }
    }

    /// What a filtered list says about the limit: null when unlimited, else
    /// {space_ids, org_ids, hidden}.
    pub fn note_json(&self, hidden: usize) -> Value {
        if self.is_unlimited() {
            return Value::Null;
        }
        json!({
            "space_ids": &*self.spaces,
            "org_ids": &*self.orgs,
            "hidden": hidden,
        })
    }

    /// The sentence a filtered list ends with (None when unlimited).
    pub fn note_text(&self, hidden: usize, noun: (&str, &str)) -> Option<String> {
        if self.is_unlimited() {
            return None;
        }
        Some(if hidden == 0 {
            format!(
                "(Results are limited to this token's workspaces: {}.)",
                self.limits()
            )
        } else {
            format!(
                "(Results are limited to this token's workspaces: {}; {hidden} {} outside them {} left out.)",
                self.limits(),
                if hidden == 1 { noun.0 } else { noun.1 },
                if hidden == 1 { "was" } else { "were" }
            )
        })
    }

    /// Adds the limit to a list tool's result: `limited_to_workspaces` in
    /// `structured` and the note line in `text`. Nothing when unlimited.
    pub fn annotate(
        &self,
        hidden: usize,
        noun: (&str, &str),
        text: &mut String,
        structured: &mut Value,
    ) {
        if let Some(note) = self.note_text(hidden, noun) {
            text.push('\n');
            text.push_str(&note);
            if let Value::Object(map) = structured {
                map.insert("limited_to_workspaces".to_owned(), self.note_json(hidden));
            }
        }
    }
}

impl WorkspaceScope {
    /// Hides what relationship fields of the Podio item `raw` say about
    /// items outside the allowed workspaces: such a reference keeps only its
    /// item id (the link exists, but its title and app are not shown). A
    /// reference whose workspace Podio did not name is hidden too. Returns
    /// how many were hidden; unlimited tokens return at once.
    pub async fn redact_references(&self, podio: &Podio, raw: &mut Value) -> usize {
        if self.is_unlimited() {
            return 0;
        }
        let Some(fields) = raw.get_mut("fields").and_then(Value::as_array_mut) else {
            return 0;
        };
        let mut hidden = 0;
        for field in fields {
            if field.get("type").and_then(Value::as_str) != Some("app") {
                continue;
            }
            let Some(values) = field.get_mut("values").and_then(Value::as_array_mut) else {
                continue;
            };
            for value in values {
                let Some(item) = value.get("value") else {
                    continue;
                };
                let space = item.get("app").and_then(|app| id_at(app, "space_id"));
                if self.shows(podio, space, None).await {
                    continue;
                }
                let item_id = item.get("item_id").cloned().unwrap_or(Value::Null);
                *value = json!({"value": {"item_id": item_id}});
                hidden += 1;
            }
        }
        hidden
    }
}

/// An actionable refusal (an `is_error` result) saying `message`.
pub fn refused(message: String) -> ToolError {
    ToolError::Refused(Refusal {
        message,
        code: ErrorCode::PermissionDenied,
        http_status: None,
        podio_error: None,
    })
}

/// `v[key]` as a positive id.
pub fn id_at(v: &Value, key: &str) -> Option<u64> {
    get(v, key).and_then(number).and_then(|n| n.as_u64())
}

/// A space's organization: `org_id`, else `org.org_id`.
pub fn org_of_space(space: &Value) -> Option<u64> {
    id_at(space, "org_id").or_else(|| get(space, "org").and_then(|o| id_at(o, "org_id")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(spaces: &[i64], orgs: &[i64]) -> WorkspaceScope {
        WorkspaceScope::of(&Principal {
            space_ids: spaces.to_vec(),
            org_ids: orgs.to_vec(),
            ..Principal::default()
        })
    }

    #[test]
    fn empty_lists_mean_no_limit() {
        let s = scope(&[], &[]);
        assert!(s.is_unlimited());
        assert!(s.allows_org(1));
        assert_eq!(s.decide(5), Decision::Allowed);
        assert!(s.note_json(0).is_null());
    }

    #[test]
    fn spaces_and_orgs_decide_what_they_can() {
        let s = scope(&[10], &[]);
        assert_eq!(s.decide(10), Decision::Allowed);
        assert_eq!(s.decide(11), Decision::Denied);
        assert!(!s.allows_org(1));

        let s = scope(&[10], &[7]);
        assert_eq!(s.decide(11), Decision::NeedsOrg);
        assert!(s.allows_space_in(11, Some(7)));
        s.learn(11, Some(7));
        s.learn(12, Some(8));
        assert_eq!(s.decide(11), Decision::Allowed);
        assert_eq!(s.decide(12), Decision::Denied);
        assert_eq!(
            s.limits(),
            "workspace 10 and the workspaces of organization 7"
        );
    }

    #[test]
    fn refusals_name_the_limit_and_the_object() {
        let s = scope(&[10, 11], &[]);
        let ToolError::Refused(r) = s.refusal("item 5", Some(12)) else {
            panic!("a refusal");
        };
        assert_eq!(r.code, ErrorCode::PermissionDenied);
        assert!(
            r.message.starts_with(
                "This token is limited to workspaces 10, 11; item 5 is in workspace 12"
            ),
            "{}",
            r.message
        );
    }
}
