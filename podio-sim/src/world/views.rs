//! Saved views of apps and who may use them.
//!
//! Team and standard views are visible to everyone who sees the app; a
//! private view only to the user who made it.

use super::model::{View, ViewKind};
use super::{Caller, World};
use crate::error::ApiError;

impl World {
    /// Whether `caller` may see and apply `view` (the app's visibility is
    /// checked separately).
    pub fn can_use_view(caller: Caller, view: &View) -> bool {
        view.kind != ViewKind::Private || caller == Caller::User(view.created_by)
    }

    /// View `view_id` of app `app_id`, if the caller may see the app and the
    /// view.
    pub fn view(&self, caller: Caller, app_id: u64, view_id: u64) -> Result<&View, ApiError> {
        self.app(caller, app_id)?;
        let view = self
            .views
            .get(&view_id)
            .filter(|v| v.app_id == app_id)
            .ok_or(ApiError::NotFound)?;
        if World::can_use_view(caller, view) {
            Ok(view)
        } else {
            Err(ApiError::Forbidden(format!(
                "view {view_id} is a private view of another user"
            )))
        }
    }

    /// The views of app `app_id` the caller may see, standard ones only when
    /// asked for, by view id.
    pub fn views_of(&self, caller: Caller, app_id: u64, include_standard: bool) -> Vec<&View> {
        self.views
            .values()
            .filter(|v| v.app_id == app_id && World::can_use_view(caller, v))
            .filter(|v| include_standard || v.kind != ViewKind::Standard)
            .collect()
    }
}
