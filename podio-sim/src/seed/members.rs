//! Seeded workspace membership dates: each member was invited the day
//! before joining; the creator joined when the space was made, the others
//! weeks to months later.

use crate::dates::{date_from_days, days_from_date};
use crate::world::World;
use crate::world::model::Membership;

/// The day number of a `YYYY-MM-DD…` timestamp (seeded data is well formed;
/// anything else counts as the epoch).
fn day_of(stamp: &str) -> i64 {
    let part = |range: std::ops::Range<usize>| -> i64 {
        stamp.get(range).and_then(|p| p.parse().ok()).unwrap_or(1)
    };
    days_from_date(part(0..4), part(5..7), part(8..10))
}

/// Adds the membership dates of every workspace member.
pub(super) fn add(world: &mut World) {
    let mut dates = Vec::new();
    for space in world.spaces.values() {
        let created = day_of(&space.created_on);
        for (n, (user_id, _)) in space.members.iter().enumerate() {
            let n = i64::try_from(n).unwrap_or(0);
            let joined = created + n * 37 + (n * 5) % 11;
            let started_on = format!("{} 09:{:02}:00", date_from_days(joined), 10 + n);
            let invited_on = format!("{} 16:{:02}:00", date_from_days(joined - 1), 20 + n);
            dates.push((
                (space.space_id, *user_id),
                Membership {
                    invited_on,
                    started_on,
                },
            ));
        }
    }
    world.memberships.extend(dates);
}
