//! A user's notifications (§6 get_notifications, §12.7 of podio-api.md):
//! what happened, on which item or task, and whether it was seen.

use super::{Caller, World};
use crate::error::ApiError;

/// What a notification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// Someone commented (carries the comment id).
    Comment(u64),
    /// Someone created the item.
    Creation,
    /// Someone changed the item.
    Update,
    /// Someone assigned the recipient a task.
    Task,
}

impl NotificationKind {
    /// Podio's `type`.
    pub fn type_name(self) -> &'static str {
        match self {
            NotificationKind::Comment(_) => "comment",
            NotificationKind::Creation => "creation",
            NotificationKind::Update => "update",
            NotificationKind::Task => "task",
        }
    }
}

/// What a notification is about (its group's `context.ref`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    /// An item.
    Item(u64),
    /// A task.
    Task(u64),
}

/// One notification of one user.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Notification id.
    pub notification_id: u64,
    /// The user notified.
    pub recipient: u64,
    /// What happened.
    pub kind: NotificationKind,
    /// What it happened to.
    pub context: Context,
    /// The user who did it.
    pub created_by: u64,
    /// When.
    pub created_on: String,
    /// When the recipient saw it; `None` = unread.
    pub viewed_on: Option<String>,
    /// Starred by the recipient.
    pub starred: bool,
}

/// The filters of `GET /notification/`.
#[derive(Debug, Clone, Default)]
pub struct NotificationQuery {
    /// Seen (true) or unseen (false) only.
    pub viewed: Option<bool>,
    /// Starred (true) or not (false) only.
    pub starred: Option<bool>,
    /// This `type` only.
    pub kind: Option<String>,
}

/// The user behind a caller; notifications belong to users, not apps.
pub fn user_of(caller: Caller) -> Result<u64, ApiError> {
    match caller {
        Caller::User(id) => Ok(id),
        Caller::App(_) => Err(ApiError::Forbidden(
            "this call needs a user: an app token (app grant) has no user, notifications or status; authenticate as a user".to_owned(),
        )),
    }
}

impl World {
    /// The caller's notifications matching `query`, newest first.
    pub fn notifications_of(
        &self,
        caller: Caller,
        query: &NotificationQuery,
    ) -> Result<Vec<&Notification>, ApiError> {
        let user = user_of(caller)?;
        let mut list: Vec<&Notification> = self
            .notifications
            .values()
            .filter(|n| n.recipient == user)
            .filter(|n| query.viewed.is_none_or(|v| v == n.viewed_on.is_some()))
            .filter(|n| query.starred.is_none_or(|s| s == n.starred))
            .filter(|n| {
                query
                    .kind
                    .as_deref()
                    .is_none_or(|k| k == n.kind.type_name())
            })
            .collect();
        list.sort_by(|a, b| {
            b.created_on
                .cmp(&a.created_on)
                .then(b.notification_id.cmp(&a.notification_id))
        });
        Ok(list)
    }

    /// How many of the caller's notifications are unread.
    pub fn unread_notifications(&self, user_id: u64) -> usize {
        self.notifications
            .values()
            .filter(|n| n.recipient == user_id && n.viewed_on.is_none())
            .count()
    }

    /// Marks one of the caller's notifications as seen (kept if already).
    pub fn mark_notification_viewed(
        &mut self,
        caller: Caller,
        notification_id: u64,
        now: &str,
    ) -> Result<(), ApiError> {
        let user = user_of(caller)?;
        let n = self
            .notifications
            .get_mut(&notification_id)
            .ok_or(ApiError::NotFound)?;
        if n.recipient != user {
            return Err(ApiError::Forbidden(format!(
                "notification {notification_id} belongs to another user"
            )));
        }
        n.viewed_on.get_or_insert_with(|| now.to_owned());
        Ok(())
    }
}
