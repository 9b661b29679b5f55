//! Comments on items (§6 get_item_comments / add_comment, §12.6 of
//! podio-api.md). An item's `comment_count` is counted from this store, so
//! the count and the list cannot disagree.

use super::{Caller, World};
use crate::error::ApiError;

/// A comment on an item.
#[derive(Debug, Clone)]
pub struct Comment {
    /// Comment id (ids grow with time, so id order is creation order).
    pub comment_id: u64,
    /// The item commented on.
    pub item_id: u64,
    /// The text.
    pub value: String,
    /// The author's own identifier.
    pub external_id: Option<String>,
    /// Creation time.
    pub created_on: String,
    /// Author.
    pub created_by: Caller,
}

/// A new comment as `POST /comment/item/{id}/` receives it.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// The text (non-empty).
    pub value: String,
    /// Optional identifier of the author's own.
    pub external_id: Option<String>,
    /// `silent=true`: do not bump the item's activity time.
    pub silent: bool,
}

impl World {
    /// The comments on `item_id`, oldest first.
    pub fn comments_on(&self, item_id: u64) -> impl Iterator<Item = &Comment> {
        self.comments.values().filter(move |c| c.item_id == item_id)
    }

    /// How many comments `item_id` has.
    pub fn comment_count(&self, item_id: u64) -> usize {
        self.comments_on(item_id).count()
    }

    /// Adds a comment to an item the caller can see and returns its id. The
    /// item's `last_event_on` moves to `now` unless the write is silent.
    pub fn add_comment(
        &mut self,
        caller: Caller,
        item_id: u64,
        comment: NewComment,
        now: &str,
    ) -> Result<u64, ApiError> {
        self.item(caller, item_id)?;
        let comment_id = self.comments.keys().last().map_or(1, |id| id + 1);
        self.comments.insert(
            comment_id,
            Comment {
                comment_id,
                item_id,
                value: comment.value,
                external_id: comment.external_id,
                created_on: now.to_owned(),
                created_by: caller,
            },
        );
        if !comment.silent
            && let Some(item) = self.items.get_mut(&item_id)
        {
            item.last_event_on = now.to_owned();
        }
        Ok(comment_id)
    }
}
