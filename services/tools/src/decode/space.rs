//! Podio organizations and workspaces (GET /org/, GET /org/{id}/space/)
//! reduced to what identifies them and the caller's role in them.

use serde_json::{Value, json};

use super::json::{array, int_or_null, string_or_null};

/// An organization: org_id, name, url, role and its spaces.
pub fn organization(org: &Value) -> Value {
    json!({
        "org_id": int_or_null(org, "org_id"),
        "name": string_or_null(org, "name"),
        "url": string_or_null(org, "url"),
        "role": string_or_null(org, "role"),
        "spaces": array(org, "spaces").iter().map(space).collect::<Vec<_>>(),
    })
}

/// A workspace: space_id, name, url, role, privacy.
pub fn space(space: &Value) -> Value {
    json!({
        "space_id": int_or_null(space, "space_id"),
        "name": string_or_null(space, "name"),
        "url": string_or_null(space, "url"),
        "role": string_or_null(space, "role"),
        "privacy": string_or_null(space, "privacy"),
    })
}

/// "Sales (space 2501464, closed, your role: regular)".
pub fn space_line(space: &Value) -> String {
    let name = space
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)");
    let id = space
        .get("space_id")
        .map_or("?".to_owned(), ToString::to_string);
    let mut details = vec![format!("space {id}")];
    if let Some(privacy) = space.get("privacy").and_then(Value::as_str) {
        details.push(privacy.to_owned());
    }
    if let Some(role) = space.get("role").and_then(Value::as_str) {
        details.push(format!("your role: {role}"));
    }
    format!("{name} ({})", details.join(", "))
}
