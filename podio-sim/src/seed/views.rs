//! Seeded saved views: team and private views on Deals, and a standard
//! "All …" view on every app.

use serde_json::json;

use super::*;
use crate::world::World;
use crate::world::model::{View, ViewKind};

#[allow(clippy::too_many_arguments)]
fn view(
    view_id: u64,
    name: &str,
    kind: ViewKind,
    created_by: u64,
    created_on: &str,
    sort: Option<(u64, bool)>,
    filters: Vec<(u64, serde_json::Value)>,
) -> View {
    View {
        view_id,
        app_id: DEALS_APP_ID,
        name: name.to_owned(),
        kind,
        created_on: created_on.to_owned(),
        created_by,
        sort_by: sort.map(|(field_id, _)| field_id.to_string()),
        sort_desc: sort.is_some_and(|(_, desc)| desc),
        filters: filters
            .into_iter()
            .map(|(field_id, values)| (field_id.to_string(), values))
            .collect(),
        layout: "table",
    }
}

/// Adds the views.
pub(super) fn add(world: &mut World) {
    let deals_views = [
        view(
            OPEN_DEALS_VIEW_ID,
            "Open deals",
            ViewKind::Team,
            BOB_USER_ID,
            "2024-01-10 09:00:00",
            Some((deals::CLOSE_DATE, false)),
            vec![(
                deals::STAGE,
                json!([
                    deals::STAGE_LEAD,
                    deals::STAGE_QUALIFIED,
                    deals::STAGE_NEGOTIATION
                ]),
            )],
        ),
        view(
            BIG_DEALS_VIEW_ID,
            "Big deals",
            ViewKind::Team,
            DEMO_USER_ID,
            "2024-01-12 14:30:00",
            Some((deals::DEAL_VALUE, true)),
            vec![(deals::DEAL_VALUE, json!({"from": 20_000, "to": null}))],
        ),
        view(
            MY_DEALS_VIEW_ID,
            "My deals",
            ViewKind::Private,
            DEMO_USER_ID,
            "2024-02-01 08:15:00",
            None,
            vec![(deals::OWNER, json!([DEMO_PROFILE_ID]))],
        ),
        view(
            CARLA_PRIVATE_VIEW_ID,
            "Carla's follow-ups",
            ViewKind::Private,
            CARLA_USER_ID,
            "2024-02-03 16:45:00",
            None,
            vec![(deals::OWNER, json!([CARLA_PROFILE_ID]))],
        ),
    ];
    for v in deals_views {
        world.views.insert(v.view_id, v);
    }
    // Deals gets the well-known id; the other apps follow in id order.
    let mut next = ALL_DEALS_VIEW_ID + 1;
    let apps: Vec<(u64, String, u64)> = world
        .apps
        .values()
        .map(|a| (a.app_id, a.name.clone(), a.owner))
        .collect();
    for (app_id, name, owner) in apps {
        let view_id = if app_id == DEALS_APP_ID {
            ALL_DEALS_VIEW_ID
        } else {
            next += 1;
            next - 1
        };
        world.views.insert(
            view_id,
            View {
                view_id,
                app_id,
                name: format!("All {name}"),
                kind: ViewKind::Standard,
                created_on: "2019-02-01 10:30:00".to_owned(),
                created_by: owner,
                sort_by: None,
                sort_desc: true,
                filters: Vec::new(),
                layout: "table",
            },
        );
    }
}
