//! Tasks (§12.5), comments (§12.6) and notification groups (§12.7) in
//! Podio's JSON shapes.

use serde_json::{Value, json};

use super::{WEB_BASE, app_url, byline, contact, created_via, item_url, space_url, title};
use crate::world::comments::Comment;
use crate::world::notifications::{Context, Notification, NotificationKind};
use crate::world::tasks::{Label, Task, TaskRef};
use crate::world::{Caller, World};

/// The byline of whoever acted: a user, or an app for app-token writes.
pub fn author(world: &World, who: Caller) -> Value {
    match who {
        Caller::User(id) => world.users.get(&id).map_or(Value::Null, byline),
        Caller::App(id) => world.apps.get(&id).map_or(Value::Null, |app| {
            json!({
                "type": "app",
                "id": app.app_id,
                "name": app.name,
                "url": app_url(world, app),
                "avatar": Value::Null,
                "avatar_type": "icon",
                "avatar_id": Value::Null,
                "image": Value::Null,
                "last_seen_on": Value::Null,
            })
        }),
    }
}

/// Web URL of a task.
pub fn task_url(task_id: u64) -> String {
    format!("{WEB_BASE}/tasks/{task_id}")
}

/// A task label.
pub fn label(label: &Label) -> Value {
    json!({ "label_id": label.label_id, "text": label.text, "color": label.color })
}

/// The `{type, id, title, link}` of what a task is attached to.
fn task_ref(world: &World, reference: TaskRef) -> Value {
    let (title, link) = match reference {
        TaskRef::Item(id) => world
            .items
            .get(&id)
            .and_then(|i| world.apps.get(&i.app_id).map(|a| (a, i)))
            .map_or((Value::Null, Value::Null), |(app, item)| {
                (json!(title(app, item)), json!(item_url(world, app, item)))
            }),
        TaskRef::App(id) => world.apps.get(&id).map_or((Value::Null, Value::Null), |a| {
            (json!(a.name), json!(app_url(world, a)))
        }),
        TaskRef::Space(id) => world
            .spaces
            .get(&id)
            .map_or((Value::Null, Value::Null), |s| {
                (json!(s.name), json!(space_url(world, s)))
            }),
    };
    json!({
        "type": reference.type_name(),
        "id": reference.id(),
        "title": title,
        "link": link,
    })
}

/// A task (`GET /task/{id}`, an element of `GET /task/`).
pub fn task(world: &World, caller: Caller, task: &Task) -> Value {
    let space = world.task_space(task);
    let manage =
        task.involves(caller) || space.is_some_and(|s| world.space_role(caller, s).is_some());
    let rights: Vec<&str> = if manage {
        vec!["view", "update", "delete", "comment"]
    } else {
        vec!["view", "comment"]
    };
    json!({
        "task_id": task.task_id,
        "status": if task.completed_on.is_some() { "completed" } else { "active" },
        "text": task.text,
        "description": task.description,
        "private": task.private,
        "due_on": task.due_on(),
        "due_date": task.due_date,
        "due_time": task.due_time,
        "responsible": task
            .responsible
            .and_then(|id| world.users.get(&id))
            .map_or(Value::Null, contact),
        "created_by": author(world, task.created_by),
        "created_on": task.created_on,
        "created_via": created_via(),
        "completed_on": task.completed_on,
        "completed_by": task.completed_by.map_or(Value::Null, |c| author(world, c)),
        "space_id": space.map(|s| s.space_id),
        "link": task_url(task.task_id),
        "external_id": task.external_id,
        "labels": task
            .labels
            .iter()
            .filter_map(|id| world.task_labels.get(id))
            .map(label)
            .collect::<Vec<_>>(),
        "ref": task.reference.map_or(Value::Null, |r| task_ref(world, r)),
        "rights": rights,
        "comment_count": 0,
        "file_count": 0,
        "files": [],
        "reminder": Value::Null,
        "recurrence": Value::Null,
    })
}

/// Minimal HTML escaping for `rich_value`.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A comment (element of `GET /comment/item/{id}/`, or the answer to
/// adding one).
pub fn comment(world: &World, caller: Caller, comment: &Comment) -> Value {
    let space_id = world
        .items
        .get(&comment.item_id)
        .and_then(|i| world.apps.get(&i.app_id))
        .map(|a| a.space_id);
    let rights: Vec<&str> = if comment.created_by == caller {
        vec!["view", "update", "delete"]
    } else {
        vec!["view"]
    };
    json!({
        "comment_id": comment.comment_id,
        "value": comment.value,
        "rich_value": format!("<p>{}</p>", escape_html(&comment.value)),
        "external_id": comment.external_id,
        "space_id": space_id,
        "created_on": comment.created_on,
        "last_edit_on": Value::Null,
        "created_by": author(world, comment.created_by),
        "created_via": created_via(),
        "ref": { "type": "item", "id": comment.item_id },
        "files": [],
        "embed": Value::Null,
        "embed_file": Value::Null,
        "questions": [],
        "like_count": 0,
        "is_liked": false,
        "rights": rights,
    })
}

/// The `context` of a notification group: what the notifications are about.
fn context(world: &World, caller: Caller, ctx: Context) -> Value {
    let (reference, title, link, space_id, data, comment_count) = match ctx {
        Context::Item(id) => {
            let found = world
                .items
                .get(&id)
                .and_then(|i| world.apps.get(&i.app_id).map(|a| (a, i)));
            match found {
                Some((app, item)) => {
                    let t = title(app, item);
                    (
                        json!({"type": "item", "id": id}),
                        json!(t),
                        json!(item_url(world, app, item)),
                        Some(app.space_id),
                        json!({"item_id": id, "title": t, "app": {"app_id": app.app_id, "name": app.name, "item_name": app.item_name}}),
                        world.comment_count(id),
                    )
                }
                None => (
                    json!({"type": "item", "id": id}),
                    Value::Null,
                    Value::Null,
                    None,
                    Value::Null,
                    0,
                ),
            }
        }
        Context::Task(id) => match world.tasks.get(&id) {
            Some(t) => (
                json!({"type": "task", "id": id}),
                json!(t.text),
                json!(task_url(id)),
                world.task_space(t).map(|s| s.space_id),
                json!({"task_id": id, "text": t.text}),
                0,
            ),
            None => (
                json!({"type": "task", "id": id}),
                Value::Null,
                Value::Null,
                None,
                Value::Null,
                0,
            ),
        },
    };
    let space = space_id.and_then(|id| world.spaces.get(&id));
    let org = space.and_then(|s| world.orgs.get(&s.org_id));
    let rights: Vec<&str> = if space.is_some_and(|s| world.space_role(caller, s).is_some()) {
        vec!["view", "comment"]
    } else {
        vec!["view"]
    };
    json!({
        "ref": reference,
        "title": title,
        "link": link,
        "comment_count": comment_count,
        "rights": rights,
        "space": space.map_or(Value::Null, |s| json!({
            "space_id": s.space_id,
            "name": s.name,
            "url": space_url(world, s),
        })),
        "org": org.map_or(Value::Null, |o| json!({
            "org_id": o.org_id,
            "name": o.name,
            "url": format!("{WEB_BASE}/{}", o.url_label),
        })),
        "data": data,
    })
}

/// The sentence Podio shows for a notification.
fn notification_text(world: &World, n: &Notification, actor: &str) -> String {
    let subject = match n.context {
        Context::Item(id) => world
            .items
            .get(&id)
            .and_then(|i| world.apps.get(&i.app_id).map(|a| title(a, i)))
            .unwrap_or_default(),
        Context::Task(id) => world
            .tasks
            .get(&id)
            .map(|t| t.text.clone())
            .unwrap_or_default(),
    };
    match n.kind {
        NotificationKind::Comment(_) => format!("{actor} commented on {subject}"),
        NotificationKind::Creation => format!("{actor} added {subject}"),
        NotificationKind::Update => format!("{actor} updated {subject}"),
        NotificationKind::Task => format!("{actor} assigned you the task {subject}"),
    }
}

/// One notification inside a group.
fn notification(world: &World, n: &Notification) -> Value {
    let actor = world.users.get(&n.created_by);
    let data = match n.kind {
        NotificationKind::Comment(id) => world.comments.get(&id).map_or(
            Value::Null,
            |c| json!({"comment_id": c.comment_id, "value": c.value}),
        ),
        NotificationKind::Task => match n.context {
            Context::Task(id) => json!({ "task_id": id }),
            Context::Item(id) => json!({ "item_id": id }),
        },
        NotificationKind::Creation | NotificationKind::Update => match n.context {
            Context::Item(id) => json!({ "item_id": id }),
            Context::Task(id) => json!({ "task_id": id }),
        },
    };
    json!({
        "notification_id": n.notification_id,
        "type": n.kind.type_name(),
        "text": notification_text(world, n, actor.map_or("Someone", |u| u.name.as_str())),
        "viewed_on": n.viewed_on,
        "starred": n.starred,
        "created_on": n.created_on,
        "created_by": actor.map_or(Value::Null, byline),
        "created_via": created_via(),
        "data": data,
    })
}

/// Notifications grouped by context, groups in the order their first
/// notification appears in `list`.
pub fn notification_groups(world: &World, caller: Caller, list: &[&Notification]) -> Vec<Value> {
    let mut groups: Vec<(Context, Vec<Value>)> = Vec::new();
    for n in list {
        let rendered = notification(world, n);
        match groups.iter_mut().find(|(c, _)| *c == n.context) {
            Some((_, members)) => members.push(rendered),
            None => groups.push((n.context, vec![rendered])),
        }
    }
    groups
        .into_iter()
        .map(|(ctx, notifications)| {
            json!({ "context": context(world, caller, ctx), "notifications": notifications })
        })
        .collect()
}
