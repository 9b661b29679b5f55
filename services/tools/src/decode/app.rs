//! Podio app definitions (GET /app/{id}, GET /app/space/{id}/) shaped for a
//! language model: what the app is, and for each active field what a value
//! must look like.

use serde_json::{Map, Value, json};

use super::json::{array, bool_at, get, int_or_null, number, str_at, string_or_null};

/// An app's summary: app_id, name, item_name, description, status, link.
pub fn summary(app: &Value) -> Value {
    let config = get(app, "config").unwrap_or(&Value::Null);
    json!({
        "app_id": int_or_null(app, "app_id"),
        "name": string_or_null(config, "name"),
        "item_name": string_or_null(config, "item_name"),
        "description": description(config),
        "status": string_or_null(app, "status"),
        "link": link(app),
    })
}

/// An app with its active fields, in the app's order.
pub fn definition(app: &Value) -> Value {
    let config = get(app, "config").unwrap_or(&Value::Null);
    let mut fields: Vec<&Value> = array(app, "fields")
        .iter()
        .filter(|f| str_at(f, "status").is_none_or(|s| s == "active"))
        .collect();
    // Podio usually sends fields in order already; `delta` is the real order.
    fields.sort_by_key(|f| {
        get(f, "config")
            .and_then(|c| get(c, "delta"))
            .and_then(Value::as_i64)
            .unwrap_or(i64::MAX)
    });
    json!({
        "app_id": int_or_null(app, "app_id"),
        "name": string_or_null(config, "name"),
        "item_name": string_or_null(config, "item_name"),
        "description": description(config),
        "space_id": int_or_null(app, "space_id"),
        "link": link(app),
        "fields": fields.into_iter().map(field).collect::<Vec<_>>(),
    })
}

fn description(config: &Value) -> Value {
    str_at(config, "description")
        .filter(|d| !d.trim().is_empty())
        .map_or(Value::Null, |d| json!(d))
}

fn link(app: &Value) -> Value {
    str_at(app, "link")
        .or_else(|| str_at(app, "url"))
        .map_or(Value::Null, |l| json!(l))
}

fn field(f: &Value) -> Value {
    let config = get(f, "config").unwrap_or(&Value::Null);
    let settings = get(config, "settings").unwrap_or(&Value::Null);
    let kind = str_at(f, "type").unwrap_or("unknown");
    let label = str_at(f, "label").or_else(|| str_at(config, "label"));
    let mut out = Map::new();
    out.insert("field_id".into(), int_or_null(f, "field_id"));
    out.insert("external_id".into(), string_or_null(f, "external_id"));
    out.insert("label".into(), label.map_or(Value::Null, |l| json!(l)));
    out.insert("type".into(), json!(kind));
    out.insert("required".into(), json!(bool_at(config, "required")));
    out.insert("description".into(), description(config));
    match kind {
        "category" | "question" | "state" => {
            let options: Vec<Value> = array(settings, "options")
                .iter()
                .filter(|o| str_at(o, "status") != Some("deleted"))
                .map(|o| json!({"id": int_or_null(o, "id"), "text": string_or_null(o, "text")}))
                .collect();
            out.insert("options".into(), Value::Array(options));
            out.insert("multiple".into(), json!(bool_at(settings, "multiple")));
        }
        "app" => {
            let ids: Vec<Value> = array(settings, "referenced_apps")
                .iter()
                .filter_map(|r| get(r, "app_id").and_then(number))
                .filter(|n| n.is_i64() || n.is_u64())
                .map(Value::Number)
                .collect();
            out.insert("referenced_app_ids".into(), Value::Array(ids));
            out.insert("multiple".into(), json!(bool_at(settings, "multiple")));
        }
        "money" => {
            out.insert(
                "allowed_currencies".into(),
                Value::Array(array(settings, "allowed_currencies").to_vec()),
            );
        }
        "date" => {
            out.insert("end".into(), string_or_null(settings, "end"));
            out.insert("time".into(), string_or_null(settings, "time"));
        }
        "calculation" => {
            out.insert(
                "return_type".into(),
                string_or_null(settings, "return_type"),
            );
        }
        _ => {}
    }
    Value::Object(out)
}

/// One line describing a field for the text content, e.g.
/// "Stage (stage, category): options 1 Lead, 2 Negotiation".
pub fn field_line(f: &Value) -> String {
    let label = str_at(f, "label").unwrap_or("(no label)");
    let key = str_at(f, "external_id").unwrap_or("?");
    let kind = str_at(f, "type").unwrap_or("unknown");
    let mut line = format!("{label} ({key}, {kind}");
    if bool_at(f, "required") {
        line.push_str(", required");
    }
    line.push(')');
    let mut notes = Vec::new();
    if let Some(options) = get(f, "options").and_then(Value::as_array) {
        let list: Vec<String> = options
            .iter()
            .map(|o| {
                let id = get(o, "id").map_or("?".to_owned(), ToString::to_string);
                format!("{id} {}", str_at(o, "text").unwrap_or(""))
            })
            .collect();
        let choice = if bool_at(f, "multiple") {
            "one or more of"
        } else {
            "one of"
        };
        notes.push(format!("{choice} {}", list.join(", ")));
    }
    if let Some(ids) = get(f, "referenced_app_ids").and_then(Value::as_array) {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        notes.push(format!("references items of app {}", ids.join(", ")));
    }
    if let Some(currencies) = get(f, "allowed_currencies").and_then(Value::as_array) {
        let list: Vec<&str> = currencies.iter().filter_map(Value::as_str).collect();
        if !list.is_empty() {
            notes.push(format!("currencies {}", list.join(", ")));
        }
    }
    if kind == "date" {
        notes.push(format!(
            "end date {}, time {}",
            str_at(f, "end").unwrap_or("unknown"),
            str_at(f, "time").unwrap_or("unknown")
        ));
    }
    if let Some(rt) = str_at(f, "return_type") {
        notes.push(format!("returns {rt}"));
    }
    if let Some(d) = str_at(f, "description") {
        notes.push(format!("“{d}”"));
    }
    if notes.is_empty() {
        line
    } else {
        format!("{line}: {}", notes.join("; "))
    }
}
