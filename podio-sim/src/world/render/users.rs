//! The user, profile and status objects of `GET /user/`, `GET /user/status`
//! and `GET /user/profile/`.

use serde_json::{Value, json};

use super::{WEB_BASE, contact};
use crate::world::World;
use crate::world::model::User;

/// Locale of the simulated users.
const LOCALE: &str = "en_GB";
/// Time zone of the simulated users (dates in the world are UTC).
const TIMEZONE: &str = "UTC";

/// The user object (`GET /user/`).
pub fn user(user: &User) -> Value {
    json!({
        "user_id": user.user_id,
        "mail": user.mail,
        "status": "active",
        "locale": LOCALE,
        "timezone": TIMEZONE,
        "flags": [],
        "created_on": "2019-02-01 09:00:00",
        "mails": [{"mail": user.mail, "verified": true, "primary": true, "disabled": false}],
    })
}

/// The profile object (`GET /user/profile/`): the contact shape plus the
/// details a profile page shows.
pub fn profile(user: &User) -> Value {
    let mut value = contact(user);
    value["about"] = Value::Null;
    value["title"] = json!([]);
    value["phone"] = json!([]);
    value["skill"] = json!([]);
    value["url"] = json!([format!("{WEB_BASE}/users/{}", user.user_id)]);
    value
}

/// `GET /user/status`: user, profile and unread notification count.
pub fn status(world: &World, u: &User) -> Value {
    json!({
        "user": user(u),
        "profile": profile(u),
        "properties": {},
        "inbox_new": world.unread_notifications(u.user_id),
        "message_unread_count": 0,
        "calendar_code": format!("cal{:x}", u.user_id.wrapping_mul(0x9E37_79B9)),
        "mailbox": format!("user.{}@podio.example", u.user_id),
        "task_mailbox": format!("tasks.{}@podio.example", u.user_id),
        "flags": [],
        "betas": [],
        "push": Value::Null,
    })
}
