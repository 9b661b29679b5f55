//! Podio notifications (GET /notification/, an array of groups, one per
//! context such as an item) flattened: each notification carries what its
//! group says about the context.

use serde_json::{Value, json};

use super::json::{array, bool_at, get, int_or_null, str_at, string_or_null};

/// Every notification of `groups`, in Podio's order, each as
/// {notification_id, type, text, author, created_on, viewed, context_title,
/// ref {type, id}, link, space}.
pub fn flatten(groups: &[Value]) -> Vec<Value> {
    groups
        .iter()
        .flat_map(|group| {
            let context = get(group, "context").unwrap_or(&Value::Null);
            array(group, "notifications")
                .iter()
                .map(move |n| notification(context, n))
        })
        .collect()
}

fn notification(context: &Value, n: &Value) -> Value {
    let reference = get(context, "ref").map_or(
        Value::Null,
        |r| json!({"type": string_or_null(r, "type"), "id": int_or_null(r, "id")}),
    );
    // `viewed_on` is null while unread; some answers carry a plain flag.
    let viewed = get(n, "viewed_on").is_some() || bool_at(n, "viewed");
    json!({
        "notification_id": int_or_null(n, "notification_id"),
        "type": string_or_null(n, "type"),
        "text": str_at(n, "text").or_else(|| str_at(n, "text_short")).map_or(Value::Null, |t| json!(t)),
        "author": get(n, "created_by").map_or(Value::Null, |b| string_or_null(b, "name")),
        "created_on": string_or_null(n, "created_on"),
        "viewed": viewed,
        "context_title": string_or_null(context, "title"),
        "ref": reference,
        "link": string_or_null(context, "link"),
        "space": get(context, "space").map_or(Value::Null, |s| string_or_null(s, "name")),
    })
}

/// A flattened notification as one line: "[unread] 2024-03-06 08:30:00
/// comment by Bob Roe on item 987654321 "Acme Corp renewal" (Sales): Bob Roe
/// commented on Acme Corp renewal".
pub fn notification_line(n: &Value) -> String {
    let mut line = String::from(if bool_at(n, "viewed") {
        "[read] "
    } else {
        "[unread] "
    });
    if let Some(on) = str_at(n, "created_on") {
        line.push_str(on);
        line.push(' ');
    }
    line.push_str(str_at(n, "type").unwrap_or("notification"));
    if let Some(author) = str_at(n, "author") {
        line.push_str(&format!(" by {author}"));
    }
    if let Some(r) = get(n, "ref") {
        let kind = str_at(r, "type").unwrap_or("object");
        line.push_str(&format!(" on {kind} {}", super::item::render_id(r, "id")));
    }
    if let Some(title) = str_at(n, "context_title") {
        line.push_str(&format!(" \"{title}\""));
    }
    if let Some(space) = str_at(n, "space") {
        line.push_str(&format!(" ({space})"));
    }
    if let Some(text) = str_at(n, "text") {
        line.push_str(&format!(": {text}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_without_context_still_flatten() {
        let flat = flatten(&[
            json!({"notifications": [{"notification_id": 1, "viewed_on": "2024-01-01 00:00:00"}]}),
        ]);
        assert_eq!(flat.len(), 1);
        assert_eq!(flat[0]["viewed"], true);
        assert_eq!(flat[0]["ref"], Value::Null);
        assert_eq!(notification_line(&flat[0]), "[read] notification");
    }
}
