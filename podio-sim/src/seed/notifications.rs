//! Seeded notifications: eight for the demo user (four unread, one
//! starred) about comments, new and changed items and assigned tasks, and
//! one for Bob that the demo user must never see.

use super::*;
use crate::world::World;
use crate::world::notifications::{Context, Notification, NotificationKind};

/// The company whose creation the demo user was told about.
const NOTICED_COMPANY_ITEM_ID: u64 = ACME_COMPANY_ITEM_ID + 1;

/// An unread, unstarred notification.
fn notice(
    notification_id: u64,
    recipient: u64,
    kind: NotificationKind,
    context: Context,
    created_by: u64,
    created_on: &str,
) -> Notification {
    Notification {
        notification_id,
        recipient,
        kind,
        context,
        created_by,
        created_on: created_on.to_owned(),
        viewed_on: None,
        starred: false,
    }
}

/// The same notification, seen at `on`.
fn viewed(n: Notification, on: &str) -> Notification {
    Notification {
        viewed_on: Some(on.to_owned()),
        ..n
    }
}

/// Adds the notifications.
pub(super) fn add(world: &mut World) {
    use Context::{Item, Task};
    use NotificationKind::{Comment, Creation, Update};
    let demo = DEMO_USER_ID;
    let list = [
        notice(
            778_899,
            demo,
            Comment(DEMO_COMMENT_ID),
            Item(DEMO_ITEM_ID),
            BOB_USER_ID,
            "2024-03-05 10:45:00",
        ),
        notice(
            778_900,
            demo,
            Update,
            Item(DEMO_ITEM_ID),
            BOB_USER_ID,
            "2024-03-05 11:00:00",
        ),
        notice(
            778_901,
            demo,
            NotificationKind::Task,
            Task(15_129),
            BOB_USER_ID,
            "2024-03-10 08:00:00",
        ),
        Notification {
            starred: true,
            ..notice(
                778_902,
                demo,
                Update,
                Item(DEMO_ITEM_ID - 1),
                CARLA_USER_ID,
                "2024-03-08 13:20:00",
            )
        },
        viewed(
            notice(
                778_890,
                demo,
                Creation,
                Item(987_655_002),
                CARLA_USER_ID,
                "2024-02-05 10:00:00",
            ),
            "2024-02-05 12:00:00",
        ),
        viewed(
            notice(
                778_891,
                demo,
                Comment(3_344_570),
                Item(987_655_001),
                CARLA_USER_ID,
                "2024-02-02 09:10:00",
            ),
            "2024-02-02 11:00:00",
        ),
        viewed(
            notice(
                778_892,
                demo,
                NotificationKind::Task,
                Task(15_130),
                CARLA_USER_ID,
                "2024-02-06 10:15:00",
            ),
            "2024-02-06 10:30:00",
        ),
        viewed(
            notice(
                778_893,
                demo,
                Creation,
                Item(NOTICED_COMPANY_ITEM_ID),
                BOB_USER_ID,
                "2024-01-20 09:00:00",
            ),
            "2024-01-20 09:30:00",
        ),
        notice(
            778_950,
            BOB_USER_ID,
            Comment(3_344_561),
            Item(DEMO_ITEM_ID - 1),
            demo,
            "2024-03-08 14:00:00",
        ),
    ];
    for n in list {
        world.notifications.insert(n.notification_id, n);
    }
}
