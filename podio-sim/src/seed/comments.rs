//! Seeded comments. The demo item has exactly one; a few other items have
//! some. Each comment is dated within its item's life (between creation
//! and last activity), so no item's `last_event_on` needs to move.

use super::*;
use crate::world::comments::Comment;
use crate::world::{Caller, World};

/// A second deal with comments ("the deal before the demo item").
const OTHER_DEAL_ID: u64 = DEMO_ITEM_ID - 1;
/// The first ticket, "Cannot log in after password reset".
const LOGIN_TICKET_ID: u64 = 987_655_001;
/// The "Webhook deliveries delayed" ticket.
const WEBHOOK_TICKET_ID: u64 = 987_655_005;

/// Adds the comments (ids in creation order per item).
pub(super) fn add(world: &mut World) {
    let mut add = |comment_id: u64, item_id: u64, author: u64, value: &str, at: Option<&str>| {
        let Some(item) = world.items.get(&item_id) else {
            return;
        };
        // Seeded items vary; a comment at the item's last activity is
        // always within its life.
        let created_on = at.map_or_else(|| item.last_event_on.clone(), str::to_owned);
        world.comments.insert(
            comment_id,
            Comment {
                comment_id,
                item_id,
                value: value.to_owned(),
                external_id: None,
                created_on,
                created_by: Caller::User(author),
            },
        );
    };
    add(
        DEMO_COMMENT_ID,
        DEMO_ITEM_ID,
        BOB_USER_ID,
        "Contract sent, waiting for signature",
        Some("2024-03-05 10:45:00"),
    );
    add(
        3_344_560,
        OTHER_DEAL_ID,
        CARLA_USER_ID,
        "They asked for a discount on the second year",
        None,
    );
    add(
        3_344_561,
        OTHER_DEAL_ID,
        DEMO_USER_ID,
        "Fine up to 10%, more needs Bob's approval",
        None,
    );
    add(
        3_344_570,
        LOGIN_TICKET_ID,
        CARLA_USER_ID,
        "Reproduced with a fresh account; the reset token expires too early",
        None,
    );
    add(
        3_344_571,
        LOGIN_TICKET_ID,
        DEMO_USER_ID,
        "Raised with the identity team",
        None,
    );
    add(
        3_344_580,
        WEBHOOK_TICKET_ID,
        DEMO_USER_ID,
        "Queue depth looks normal, checking the workers",
        None,
    );
    add(
        3_344_590,
        PRIVATE_ITEM_ID,
        DEV_PATEL_USER_ID,
        "Agenda attached",
        None,
    );
}
