//! Search hits (`POST /search/…`) in Podio's shape: `{type, id, rank,
//! title, created_on, created_by, link, space, org, app}`.

use serde_json::{Map, Value, json};

use super::activity::{author, task_url};
use super::{WEB_BASE, app_url, byline, item_author, item_url, space_url, title};
use crate::world::World;
use crate::world::search::{Hit, HitKind};

/// The hit's `space` and `org` entries for workspace `space_id`.
fn place(world: &World, space_id: Option<u64>, out: &mut Map<String, Value>) {
    let Some(space) = space_id.and_then(|id| world.spaces.get(&id)) else {
        return;
    };
    out.insert(
        "space".into(),
        json!({"space_id": space.space_id, "name": space.name, "url": space_url(world, space)}),
    );
    if let Some(org) = world.orgs.get(&space.org_id) {
        out.insert(
            "org".into(),
            json!({
                "org_id": org.org_id,
                "name": org.name,
                "url": format!("{WEB_BASE}/{}", org.url_label),
                "logo": org.logo,
            }),
        );
    }
}

fn app_entry(world: &World, app_id: Option<u64>, out: &mut Map<String, Value>) {
    if let Some(app) = app_id.and_then(|id| world.apps.get(&id)) {
        out.insert(
            "app".into(),
            json!({"app_id": app.app_id, "name": app.name, "item_name": app.item_name, "icon": app.icon}),
        );
    }
}

/// A hit at 1-based position `rank`; `None` if the object vanished.
pub fn hit(world: &World, hit: Hit, rank: usize) -> Option<Value> {
    let mut out = Map::new();
    out.insert("type".into(), json!(hit.kind.type_name()));
    out.insert("id".into(), json!(hit.id));
    out.insert("rank".into(), json!(rank));
    let (title_text, created_on, created_by, link) = match hit.kind {
        HitKind::Item => {
            let item = world.items.get(&hit.id)?;
            let app = world.apps.get(&item.app_id)?;
            place(world, Some(app.space_id), &mut out);
            app_entry(world, Some(app.app_id), &mut out);
            (
                title(app, item),
                json!(item.created_on),
                item_author(world, item),
                item_url(world, app, item),
            )
        }
        HitKind::App => {
            let app = world.apps.get(&hit.id)?;
            place(world, Some(app.space_id), &mut out);
            app_entry(world, Some(app.app_id), &mut out);
            let created_on = world
                .spaces
                .get(&app.space_id)
                .map(|s| s.created_on.clone());
            (
                app.name.clone(),
                json!(created_on),
                world.users.get(&app.owner).map_or(Value::Null, byline),
                app_url(world, app),
            )
        }
        HitKind::Space => {
            let space = world.spaces.get(&hit.id)?;
            place(world, Some(space.space_id), &mut out);
            (
                space.name.clone(),
                json!(space.created_on),
                world
                    .users
                    .get(&space.created_by)
                    .map_or(Value::Null, byline),
                space_url(world, space),
            )
        }
        HitKind::Task => {
            let task = world.tasks.get(&hit.id)?;
            place(world, world.task_space(task).map(|s| s.space_id), &mut out);
            app_entry(world, world.task_app_id(task), &mut out);
            (
                task.text.clone(),
                json!(task.created_on),
                author(world, task.created_by),
                task_url(task.task_id),
            )
        }
    };
    out.insert("title".into(), json!(title_text));
    out.insert("created_on".into(), created_on);
    out.insert("created_by".into(), created_by);
    out.insert("link".into(), json!(link));
    Some(Value::Object(out))
}
