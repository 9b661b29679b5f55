//! Rendering of world objects to Podio's JSON shapes (§7 and §12 of
//! podio-api.md). Links point at podio.com, as real responses do.

mod activity;
mod fields;
mod members;
mod search;
mod users;
mod views;

use serde_json::{Value, json};

pub use activity::{author, comment, notification_groups, task};
pub use fields::{embed, field_config, field_definition, field_values};
pub use members::{org_member, space_member};
pub use search::hit;
pub use users::{profile, status, user};
pub use views::view;

use super::model::{App, FieldValue, Item, Org, Role, Space, User};
use super::{Caller, World};

/// Base of the web links Podio puts in responses.
pub const WEB_BASE: &str = "https://podio.com";

/// Which representation of an item to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemView {
    /// GET /item/{id}: fields carry their `config`.
    Full,
    /// An element of a filter response: fields without `config`.
    Listed,
}

/// A user byline (`created_by` and the like).
pub fn byline(user: &User) -> Value {
    json!({
        "type": "user",
        "id": user.user_id,
        "user_id": user.user_id,
        "name": user.name,
        "url": format!("{WEB_BASE}/users/{}", user.user_id),
        "avatar": user.avatar,
        "avatar_type": "file",
        "avatar_id": user.avatar,
        "image": image(user.avatar),
        "last_seen_on": Value::Null,
    })
}

fn image(file_id: u64) -> Value {
    json!({
        "file_id": file_id,
        "link": format!("https://files.podio.com/{file_id}"),
        "thumbnail_link": format!("https://files.podio.com/{file_id}/small"),
        "hosted_by": "podio",
    })
}

/// A user as the value of a contact field.
pub fn contact(user: &User) -> Value {
    json!({
        "profile_id": user.profile_id,
        "user_id": user.user_id,
        "name": user.name,
        "type": "user",
        "avatar": user.avatar,
        "image": image(user.avatar),
        "link": format!("{WEB_BASE}/users/{}", user.user_id),
        "mail": [user.mail],
        "last_seen_on": Value::Null,
    })
}

fn space_rights(role: Role) -> Vec<&'static str> {
    match role {
        Role::Admin => vec![
            "view",
            "update",
            "delete",
            "add_app",
            "add_task",
            "add_status",
            "add_conversation",
            "add_file",
            "subscribe",
            "comment",
            "rate",
        ],
        Role::Regular => vec![
            "view",
            "add_app",
            "add_task",
            "add_status",
            "add_conversation",
            "add_file",
            "subscribe",
            "comment",
            "rate",
        ],
        Role::Light => vec!["view", "add_task", "subscribe", "comment", "rate"],
    }
}

fn app_rights(role: Role) -> Vec<&'static str> {
    match role {
        Role::Admin => vec![
            "view",
            "update",
            "delete",
            "add_item",
            "export",
            "add_task",
            "add_file",
            "subscribe",
            "comment",
            "rate",
            "add_conversation",
        ],
        Role::Regular => vec![
            "view",
            "add_item",
            "export",
            "add_task",
            "add_file",
            "subscribe",
            "comment",
            "rate",
        ],
        Role::Light => vec!["view", "subscribe", "comment", "rate"],
    }
}

fn item_rights(role: Role) -> Vec<&'static str> {
    match role {
        Role::Admin | Role::Regular => vec![
            "view",
            "update",
            "delete",
            "comment",
            "rate",
            "subscribe",
            "add_task",
            "add_file",
            "add_conversation",
        ],
        Role::Light => vec!["view", "comment", "rate", "subscribe"],
    }
}

fn role_in_space(world: &World, caller: Caller, space_id: u64) -> Role {
    world
        .spaces
        .get(&space_id)
        .and_then(|s| world.space_role(caller, s))
        .unwrap_or(Role::Light)
}

fn org_label(world: &World, org_id: u64) -> &str {
    world
        .orgs
        .get(&org_id)
        .map_or("org", |o| o.url_label.as_str())
}

/// Web URL of a space.
pub fn space_url(world: &World, space: &Space) -> String {
    format!(
        "{WEB_BASE}/{}/{}",
        org_label(world, space.org_id),
        space.url_label
    )
}

/// Web URL of an app.
pub fn app_url(world: &World, app: &App) -> String {
    let space = world
        .spaces
        .get(&app.space_id)
        .map_or_else(|| format!("{WEB_BASE}/space"), |s| space_url(world, s));
    format!("{space}/apps/{}", app.url_label)
}

/// Web URL of an item.
pub fn item_url(world: &World, app: &App, item: &Item) -> String {
    format!("{}/items/{}", app_url(world, app), item.app_item_id)
}

/// A workspace as listed in `GET /org/` and `GET /org/{id}/space/`.
pub fn space_short(world: &World, caller: Caller, space: &Space) -> Value {
    let role = role_in_space(world, caller, space.space_id);
    json!({
        "space_id": space.space_id,
        "name": space.name,
        "url": space_url(world, space),
        "url_label": space.url_label,
        "org_id": space.org_id,
        "role": role.as_str(),
        "rights": space_rights(role),
        "privacy": space.privacy,
        "type": "regular",
        "premium": true,
        "archived": false,
        "created_on": space.created_on,
    })
}

/// A workspace as returned by `GET /space/{id}`.
pub fn space_full(world: &World, caller: Caller, space: &Space) -> Value {
    let mut value = space_short(world, caller, space);
    let org = world.orgs.get(&space.org_id);
    if let Value::Object(map) = &mut value {
        map.insert("description".into(), json!(space.description));
        map.insert(
            "org".into(),
            org.map_or(Value::Null, |o| {
                json!({
                    "org_id": o.org_id,
                    "name": o.name,
                    "url": format!("{WEB_BASE}/{}", o.url_label),
                    "url_label": o.url_label,
                    "type": o.kind,
                    "logo": o.logo,
                    "image": image(o.logo),
                })
            }),
        );
        map.insert("auto_join".into(), json!(false));
        map.insert("post_on_new_app".into(), json!(true));
        map.insert("post_on_new_member".into(), json!(true));
        map.insert("subscribed".into(), json!(true));
        map.insert("member_count".into(), json!(space.members.len()));
        map.insert(
            "created_by".into(),
            world
                .users
                .get(&space.created_by)
                .map_or(Value::Null, byline),
        );
        map.insert("last_activity_on".into(), json!(space.created_on));
        map.insert("push".into(), Value::Null);
    }
    value
}

/// An organization with the caller's workspaces in it (`GET /org/`).
pub fn org(world: &World, caller: Caller, org: &Org) -> Value {
    let role = world.org_role(caller, org).unwrap_or(Role::Light);
    let spaces: Vec<Value> = world
        .spaces_of(caller, org.org_id)
        .into_iter()
        .map(|s| space_short(world, caller, s))
        .collect();
    json!({
        "org_id": org.org_id,
        "name": org.name,
        "url": format!("{WEB_BASE}/{}", org.url_label),
        "url_label": org.url_label,
        "type": org.kind,
        "status": "active",
        "role": role.as_str(),
        "rights": if role == Role::Admin { vec!["view", "update", "add_space", "admin"] } else { vec!["view", "add_space"] },
        "rank": 1,
        "premium": org.kind == "premium",
        "logo": org.logo,
        "image": image(org.logo),
        "created_on": org.created_on,
        "user_limit": 0,
        "domains": [],
        "spaces": spaces,
    })
}

/// An app with its configuration and field definitions (`GET /app/{id}`).
pub fn app(world: &World, caller: Caller, app: &App) -> Value {
    let role = role_in_space(world, caller, app.space_id);
    let url = app_url(world, app);
    json!({
        "app_id": app.app_id,
        "status": "active",
        "space_id": app.space_id,
        "original": Value::Null,
        "original_revision": Value::Null,
        "current_revision": app.current_revision,
        "token": app.token,
        "mailbox": format!("{}.{}@podio.example", app.url_label, app.app_id),
        "owner": world.users.get(&app.owner).map_or(Value::Null, byline),
        "rights": app_rights(role),
        "link": url,
        "link_add": format!("{url}/items/new"),
        "url": url,
        "url_add": format!("{url}/items/new"),
        "url_label": app.url_label,
        "default_view_id": Value::Null,
        "subscribed": true,
        "integration": Value::Null,
        "layouts": Value::Null,
        "config": {
            "type": "standard",
            "name": app.name,
            "item_name": app.item_name,
            "description": app.description,
            "usage": Value::Null,
            "external_id": Value::Null,
            "icon": app.icon,
            "icon_id": Value::Null,
            "allow_edit": true,
            "allow_comments": true,
            "allow_tags": true,
            "allow_attachments": true,
            "default_view": "table",
            "silent_creates": false,
            "silent_edits": false,
            "show_app_item_id": false,
            "fivestar": false,
            "approved": false,
            "thumbs": false,
            "rsvp": false,
            "yesno": false,
        },
        "fields": app.fields.iter().enumerate()
            .map(|(delta, f)| field_definition(world, f, delta))
            .collect::<Vec<_>>(),
    })
}

/// The short `app` object inside items.
fn app_short(app: &App) -> Value {
    json!({
        "app_id": app.app_id,
        "name": app.name,
        "item_name": app.item_name,
        "icon": app.icon,
        "space_id": app.space_id,
        "url_label": app.url_label,
        "status": "active",
    })
}

/// The title of an item: its title field's text, else item name and number.
pub fn title(app: &App, item: &Item) -> String {
    app.title_field()
        .and_then(|f| item.values.get(&f.field_id))
        .and_then(|v| match v.first() {
            Some(FieldValue::Text(t)) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_else(|| format!("{} {}", app.item_name, item.app_item_id))
}

/// A referenced item as the value of an app-reference field.
pub(super) fn item_short(world: &World, item: &Item) -> Value {
    match world.apps.get(&item.app_id) {
        Some(app) => json!({
            "item_id": item.item_id,
            "app_item_id": item.app_item_id,
            "title": title(app, item),
            "link": item_url(world, app, item),
            "app": app_short(app),
            "created_on": item.created_on,
        }),
        None => json!({ "item_id": item.item_id }),
    }
}

/// An item (`GET /item/{id}`, or one element of a filter response).
pub fn item(world: &World, caller: Caller, app: &App, item: &Item, view: ItemView) -> Value {
    let role = role_in_space(world, caller, app.space_id);
    let creator = item_author(world, item);
    let fields: Vec<Value> = app
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.active)
        .filter_map(|(delta, f)| {
            let values = field_values(world, item, f);
            if values.is_empty() {
                return None;
            }
            let mut field = json!({
                "field_id": f.field_id,
                "external_id": f.external_id,
                "type": f.kind.type_name(),
                "label": f.label,
                "values": values,
            });
            if view == ItemView::Full {
                field["config"] = field_config(world, f, delta);
            }
            Some(field)
        })
        .collect();
    let revision = json!({
        "revision": item.revision,
        "app_revision": app.current_revision,
        "created_by": creator,
        "created_via": created_via(),
        "created_on": item.last_event_on,
    });
    let mut value = json!({
        "item_id": item.item_id,
        "app_item_id": item.app_item_id,
        "app_item_id_formatted": item.app_item_id.to_string(),
        "external_id": item.external_id,
        "title": title(app, item),
        "link": item_url(world, app, item),
        "rights": item_rights(role),
        "app": app_short(app),
        "created_on": item.created_on,
        "created_by": creator,
        "created_via": created_via(),
        "current_revision": revision,
        "last_event_on": item.last_event_on,
        "fields": fields,
        "tags": item.tags,
        "comment_count": world.comment_count(item.item_id),
        "file_count": 0,
        "like_count": 0,
        "subscribed": true,
    });
    if view == ItemView::Full {
        value["initial_revision"] = json!({
            "revision": 0,
            "app_revision": app.current_revision,
            "created_by": creator,
            "created_via": created_via(),
            "created_on": item.created_on,
        });
        value["files"] = json!([]);
        value["comments"] = world
            .comments_on(item.item_id)
            .map(|c| comment(world, caller, c))
            .collect();
        value["task_count"] = json!(world.open_task_count(caller, item.item_id));
        value["ref"] = Value::Null;
        value["reminder"] = Value::Null;
        value["recurrence"] = Value::Null;
    }
    value
}

/// The byline of an item's creator: the app for items made with an app
/// token, else the user.
fn item_author(world: &World, item: &Item) -> Value {
    let who = item
        .created_by_app
        .map_or(Caller::User(item.created_by), Caller::App);
    author(world, who)
}

/// The `created_via` of content made through the web UI.
fn created_via() -> Value {
    json!({ "id": 1, "name": "Podio", "url": "https://podio.com", "display": false })
}
