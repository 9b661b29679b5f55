//! The simulated Podio account: all objects, and who may see what.
//!
//! Visibility follows Podio's model: a user sees the organizations they
//! belong to, the workspaces they are members of, and those workspaces' apps
//! and items. An app token (the `app` grant) sees only its own app. Objects
//! that exist but are out of reach answer 403; unknown ones 404.

pub mod comments;
pub mod filter;
pub mod model;
pub mod notifications;
pub mod render;
pub mod search;
pub mod tasks;
pub mod views;
pub mod write;

use std::collections::BTreeMap;

use crate::error::ApiError;
use model::{App, Embed, FileObject, Item, Membership, Org, Role, Space, User, View};

/// Who an access token acts for (`ref` of the token response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A user, by user id (password or refresh grant).
    User(u64),
    /// An app, by app id (app grant).
    App(u64),
}

/// Every object of the simulated account.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// Users by user id.
    pub users: BTreeMap<u64, User>,
    /// Organizations by org id.
    pub orgs: BTreeMap<u64, Org>,
    /// Workspaces by space id.
    pub spaces: BTreeMap<u64, Space>,
    /// Apps by app id.
    pub apps: BTreeMap<u64, App>,
    /// Items by item id.
    pub items: BTreeMap<u64, Item>,
    /// Uploaded files by file id (what image and file fields reference).
    pub files: BTreeMap<u64, FileObject>,
    /// Link embeds by embed id (seeded, or made by `POST /embed/`).
    pub embeds: BTreeMap<u64, Embed>,
    /// Saved views by view id.
    pub views: BTreeMap<u64, View>,
    /// Workspace membership dates by (space id, user id).
    pub memberships: BTreeMap<(u64, u64), Membership>,
    /// Tasks by task id.
    pub tasks: BTreeMap<u64, tasks::Task>,
    /// Task labels by label id.
    pub task_labels: BTreeMap<u64, tasks::Label>,
    /// Comments by comment id.
    pub comments: BTreeMap<u64, comments::Comment>,
    /// Notifications (of every user) by notification id.
    pub notifications: BTreeMap<u64, notifications::Notification>,
}

impl World {
    /// The user who logs in with `mail` (case-insensitive).
    pub fn user_by_mail(&self, mail: &str) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.mail.eq_ignore_ascii_case(mail.trim()))
    }

    /// The user with login `mail` (case-insensitive) and `password`; `None`
    /// for wrong credentials and for users without a password.
    pub fn user_by_login(&self, mail: &str, password: &str) -> Option<&User> {
        self.user_by_mail(mail)
            .filter(|u| u.password.as_deref() == Some(password))
    }

    /// The user owning profile `profile_id`.
    pub fn user_by_profile(&self, profile_id: u64) -> Option<&User> {
        self.users.values().find(|u| u.profile_id == profile_id)
    }

    /// The caller's role in `space`, if it can see the space at all. An app
    /// token acts as a regular member of its own app's space.
    pub fn space_role(&self, caller: Caller, space: &Space) -> Option<Role> {
        match caller {
            Caller::User(user_id) => space.role_of(user_id),
            Caller::App(app_id) => self
                .apps
                .get(&app_id)
                .filter(|a| a.space_id == space.space_id)
                .map(|_| Role::Regular),
        }
    }

    /// The caller's role in `org`, if it belongs to it.
    pub fn org_role(&self, caller: Caller, org: &Org) -> Option<Role> {
        match caller {
            Caller::User(user_id) => org
                .members
                .iter()
                .find(|(id, _)| *id == user_id)
                .map(|(_, role)| *role),
            Caller::App(app_id) => self
                .apps
                .get(&app_id)
                .and_then(|a| self.spaces.get(&a.space_id))
                .filter(|s| s.org_id == org.org_id)
                .map(|_| Role::Light),
        }
    }

    /// Whether the caller may see `app`.
    pub fn can_see_app(&self, caller: Caller, app: &App) -> bool {
        match caller {
            Caller::User(_) => self
                .spaces
                .get(&app.space_id)
                .is_some_and(|s| self.space_role(caller, s).is_some()),
            Caller::App(app_id) => app_id == app.app_id,
        }
    }

    /// The organizations the caller belongs to, by id.
    pub fn orgs_of(&self, caller: Caller) -> Vec<&Org> {
        self.orgs
            .values()
            .filter(|o| self.org_role(caller, o).is_some())
            .collect()
    }

    /// The caller's workspaces in organization `org_id`, by id.
    pub fn spaces_of(&self, caller: Caller, org_id: u64) -> Vec<&Space> {
        self.spaces
            .values()
            .filter(|s| s.org_id == org_id && self.space_role(caller, s).is_some())
            .collect()
    }

    /// Organization `org_id`, if the caller belongs to it.
    pub fn org(&self, caller: Caller, org_id: u64) -> Result<&Org, ApiError> {
        let org = self.orgs.get(&org_id).ok_or(ApiError::NotFound)?;
        match self.org_role(caller, org) {
            Some(_) => Ok(org),
            None => Err(ApiError::Forbidden(format!(
                "the caller is not a member of organization {org_id}"
            ))),
        }
    }

    /// Workspace `space_id`, if the caller is a member.
    pub fn space(&self, caller: Caller, space_id: u64) -> Result<&Space, ApiError> {
        let space = self.spaces.get(&space_id).ok_or(ApiError::NotFound)?;
        match self.space_role(caller, space) {
            Some(_) => Ok(space),
            None => Err(no_view_right("space", space_id)),
        }
    }

    /// App `app_id`, if the caller may see it.
    pub fn app(&self, caller: Caller, app_id: u64) -> Result<&App, ApiError> {
        let app = self.apps.get(&app_id).ok_or(ApiError::NotFound)?;
        if self.can_see_app(caller, app) {
            Ok(app)
        } else {
            Err(no_view_right("app", app_id))
        }
    }

    /// Item `item_id` with its app, if the caller may see the app.
    pub fn item(&self, caller: Caller, item_id: u64) -> Result<(&Item, &App), ApiError> {
        let item = self.items.get(&item_id).ok_or(ApiError::NotFound)?;
        let app = self.apps.get(&item.app_id).ok_or(ApiError::NotFound)?;
        if self.can_see_app(caller, app) {
            Ok((item, app))
        } else {
            Err(no_view_right("item", item_id))
        }
    }

    /// The items of app `app_id`, by item id.
    pub fn items_of(&self, app_id: u64) -> impl Iterator<Item = &Item> {
        self.items.values().filter(move |i| i.app_id == app_id)
    }
}

/// Podio's refusal of object `what` `id` that exists but that the caller
/// may not see.
fn no_view_right(what: &str, id: u64) -> ApiError {
    ApiError::Forbidden(format!(
        "the caller does not have the right \"view\" on {what} {id}"
    ))
}
