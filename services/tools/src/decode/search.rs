//! Search hits (POST /search/…) reduced to what identifies the object and
//! where it lives.

use serde_json::{Value, json};

use super::json::{get, int_or_null, str_at, string_or_null};

/// One hit: type, id, rank, title, link, created_on, created_by (name),
/// space {space_id, name}, org {org_id, name}, app {app_id, name,
/// item_name} (each null when Podio sent none), and `fields` (null until
/// enriched).
pub fn hit(h: &Value) -> Value {
    let space = get(h, "space").map_or(
        Value::Null,
        |s| json!({"space_id": int_or_null(s, "space_id"), "name": string_or_null(s, "name")}),
    );
    let org = get(h, "org").map_or(
        Value::Null,
        |o| json!({"org_id": int_or_null(o, "org_id"), "name": string_or_null(o, "name")}),
    );
    let app = get(h, "app").map_or(Value::Null, |a| {
        json!({
            "app_id": int_or_null(a, "app_id"),
            "name": string_or_null(a, "name"),
            "item_name": string_or_null(a, "item_name"),
        })
    });
    json!({
        "type": string_or_null(h, "type"),
        "id": int_or_null(h, "id"),
        "rank": int_or_null(h, "rank"),
        "title": string_or_null(h, "title"),
        "link": string_or_null(h, "link"),
        "created_on": string_or_null(h, "created_on"),
        "created_by": get(h, "created_by").map_or(Value::Null, |b| string_or_null(b, "name")),
        "space": space,
        "org": org,
        "app": app,
        "fields": Value::Null,
    })
}

/// "item 987654321 in Deals (app 5551234), Sales (space 2501464), Acme":
/// the hit's kind, id and place.
pub fn place_line(hit: &Value) -> String {
    let kind = str_at(hit, "type").unwrap_or("object");
    let id = get(hit, "id").map_or("?".to_owned(), ToString::to_string);
    let mut places = Vec::new();
    for (key, id_key, label) in [
        ("app", "app_id", "app"),
        ("space", "space_id", "space"),
        ("org", "org_id", "org"),
    ] {
        // An app hit's own app, or a space hit's own space, says nothing new.
        if key == kind {
            continue;
        }
        if let Some(p) = get(hit, key) {
            let name = str_at(p, "name").unwrap_or("(unnamed)");
            match get(p, id_key) {
                Some(pid) => places.push(format!("{name} ({label} {pid})")),
                None => places.push(name.to_owned()),
            }
        }
    }
    if places.is_empty() {
        format!("{kind} {id}")
    } else {
        format!("{kind} {id} in {}", places.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_named_once() {
        let h = hit(
            &json!({"type": "app", "id": 5, "app": {"app_id": 5, "name": "Deals"},
            "space": {"space_id": 2, "name": "Sales"}, "created_by": {"name": "Jo"}}),
        );
        assert_eq!(place_line(&h), "app 5 in Sales (space 2)");
        assert_eq!(h["created_by"], "Jo");
        assert_eq!(h["org"], Value::Null);
        assert_eq!(place_line(&hit(&json!({}))), "object ?");
    }
}
