//! Podio tasks (GET /task/, GET /task/{id}, task writes) reduced to what a
//! reader needs, accepting both the current `ref` object and the older flat
//! `ref_type`/`ref_id`/`ref_title`/`ref_link` keys.

use serde_json::{Value, json};

use super::html;
use super::json::{array, bool_at, get, int_or_null, str_at, string_or_null};

/// One task: task_id, text, description, status, due date/time, responsible,
/// creator, dates, labels, reference, link, privacy and space.
pub fn task(t: &Value) -> Value {
    let description = str_at(t, "description").map_or(Value::Null, |d| {
        if html::looks_like_html(d) {
            json!(html::to_text(d))
        } else {
            json!(d)
        }
    });
    let status = str_at(t, "status").map_or_else(
        || {
            if get(t, "completed_on").is_some() {
                json!("completed")
            } else {
                Value::Null
            }
        },
        |s| json!(s),
    );
    let labels: Vec<Value> = array(t, "labels")
        .iter()
        .filter_map(|l| match l {
            Value::String(text) => Some(json!({"label_id": null, "text": text})),
            Value::Object(_) => Some(json!({
                "label_id": int_or_null(l, "label_id"),
                "text": string_or_null(l, "text"),
            })),
            _ => None,
        })
        .collect();
    json!({
        "task_id": int_or_null(t, "task_id"),
        "text": string_or_null(t, "text"),
        "description": description,
        "status": status,
        "due_date": string_or_null(t, "due_date"),
        "due_time": string_or_null(t, "due_time"),
        "due_on": string_or_null(t, "due_on"),
        "responsible": get(t, "responsible").map_or(Value::Null, person),
        "created_by": get(t, "created_by").map_or(Value::Null, |b| string_or_null(b, "name")),
        "created_on": string_or_null(t, "created_on"),
        "completed_on": string_or_null(t, "completed_on"),
        "labels": labels,
        "ref": reference(t),
        "link": string_or_null(t, "link"),
        "private": bool_at(t, "private"),
        "space_id": int_or_null(t, "space_id"),
    })
}

/// A user as Podio embeds it in a task (a contact with user_id and
/// profile_id, or a byline {type: "user", id, name}).
fn person(p: &Value) -> Value {
    let user_id = match int_or_null(p, "user_id") {
        Value::Null if str_at(p, "type") == Some("user") => int_or_null(p, "id"),
        id => id,
    };
    json!({
        "user_id": user_id,
        "profile_id": int_or_null(p, "profile_id"),
        "name": string_or_null(p, "name"),
    })
}

/// `{type, id, title, link}` from `ref`, else from the older flat keys; null
/// when the task is not attached to anything.
fn reference(t: &Value) -> Value {
    let (kind, id, title, link) = match get(t, "ref") {
        Some(r) => (
            string_or_null(r, "type"),
            int_or_null(r, "id"),
            string_or_null(r, "title"),
            string_or_null(r, "link"),
        ),
        None => (
            string_or_null(t, "ref_type"),
            int_or_null(t, "ref_id"),
            string_or_null(t, "ref_title"),
            string_or_null(t, "ref_link"),
        ),
    };
    if kind.is_null() && id.is_null() {
        return Value::Null;
    }
    json!({"type": kind, "id": id, "title": title, "link": link})
}

/// A decoded task as one line: "Send contract (task 15126): open, due
/// 2024-04-10 17:00, responsible Jane Doe, on item 987654321 "Acme", labels:
/// Sales".
pub fn task_line(t: &Value) -> String {
    let text = str_at(t, "text").unwrap_or("(no text)");
    let id = super::item::render_id(t, "task_id");
    let mut details = vec![match str_at(t, "status") {
        Some("completed") => match str_at(t, "completed_on") {
            Some(on) => format!("completed {on}"),
            None => "completed".to_owned(),
        },
        Some("active") | None => "open".to_owned(),
        Some(other) => other.to_owned(),
    }];
    if let Some(date) = str_at(t, "due_date") {
        match str_at(t, "due_time") {
            Some(time) => details.push(format!("due {date} {}", short_time(time))),
            None => details.push(format!("due {date}")),
        }
    }
    if let Some(name) = get(t, "responsible").and_then(|r| str_at(r, "name")) {
        details.push(format!("responsible {name}"));
    }
    if let Some(r) = get(t, "ref") {
        let kind = str_at(r, "type").unwrap_or("object");
        let ref_id = super::item::render_id(r, "id");
        match str_at(r, "title") {
            Some(title) => details.push(format!("on {kind} {ref_id} \"{title}\"")),
            None => details.push(format!("on {kind} {ref_id}")),
        }
    }
    let labels: Vec<&str> = array(t, "labels")
        .iter()
        .filter_map(|l| str_at(l, "text"))
        .collect();
    if !labels.is_empty() {
        details.push(format!("labels: {}", labels.join(", ")));
    }
    if bool_at(t, "private") {
        details.push("private".to_owned());
    }
    format!("{text} (task {id}): {}", details.join(", "))
}

/// "17:00:00" → "17:00".
fn short_time(time: &str) -> &str {
    match time.len() {
        8 if time.ends_with(":00") => &time[..5],
        _ => time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_flat_reference_keys_are_read() {
        let t = task(&json!({
            "task_id": 7, "text": "Call", "ref_type": "item", "ref_id": 42,
            "ref_title": "Acme", "ref_link": "https://podio.com/x",
            "responsible": {"type": "user", "id": 5, "name": "Bob"},
            "labels": ["Sales"], "completed_on": "2024-01-01 10:00:00",
        }));
        assert_eq!(
            t["ref"],
            json!({"type": "item", "id": 42, "title": "Acme", "link": "https://podio.com/x"})
        );
        assert_eq!(
            t["responsible"],
            json!({"user_id": 5, "profile_id": null, "name": "Bob"})
        );
        assert_eq!(t["status"], "completed");
        assert_eq!(t["labels"], json!([{"label_id": null, "text": "Sales"}]));
        assert_eq!(
            task_line(&t),
            "Call (task 7): completed 2024-01-01 10:00:00, responsible Bob, on item 42 \"Acme\", labels: Sales"
        );
    }

    #[test]
    fn an_empty_task_decodes_to_nulls() {
        let t = task(&json!({}));
        assert_eq!(t["ref"], Value::Null);
        assert_eq!(t["responsible"], Value::Null);
        assert_eq!(t["private"], false);
        assert_eq!(task_line(&t), "(no text) (task ?): open");
    }
}
