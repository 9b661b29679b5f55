//! Saved views (GET /view/app/{app_id}/) made readable: each filter's field
//! id becomes the field's label and external_id and category option ids
//! become their texts, using the app's definition (GET /app/{app_id}).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::json::{array, get, int_or_null, number, str_at, string_or_null};

/// What a view filter needs to know about one field of the app.
struct FieldInfo<'a> {
    external_id: Option<&'a str>,
    label: Option<&'a str>,
    kind: &'a str,
    /// Category option id → text (deleted options included: an old view may
    /// still filter on one).
    options: HashMap<i64, &'a str>,
}

/// The fields of an app definition, by field id; empty when the app could
/// not be read, so views then show raw keys.
pub struct Fields<'a>(HashMap<i64, FieldInfo<'a>>);

impl<'a> Fields<'a> {
    /// The fields of `app` (a GET /app/{id} answer), or none.
    pub fn of(app: Option<&'a Value>) -> Self {
        let map = app
            .map(|app| array(app, "fields"))
            .unwrap_or_default()
            .iter()
            .filter_map(|f| {
                let id = get(f, "field_id").and_then(number)?.as_i64()?;
                let config = get(f, "config").unwrap_or(&Value::Null);
                let options = get(config, "settings")
                    .map(|s| array(s, "options"))
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|o| Some((get(o, "id")?.as_i64()?, str_at(o, "text")?)))
                    .collect();
                let info = FieldInfo {
                    external_id: str_at(f, "external_id"),
                    label: str_at(f, "label").or_else(|| str_at(config, "label")),
                    kind: str_at(f, "type").unwrap_or("unknown"),
                    options,
                };
                Some((id, info))
            })
            .collect();
        Fields(map)
    }

    fn get(&self, key: &Value) -> Option<(i64, &FieldInfo<'a>)> {
        let id = number(key)?.as_i64()?;
        self.0.get(&id).map(|info| (id, info))
    }

    /// "Close date (close-date)" for a field key, else the key as text.
    fn name(&self, key: &Value) -> String {
        match self.get(key) {
            Some((id, info)) => field_name(id, info),
            None => match number(key) {
                Some(id) => format!("field {id}"),
                None => key_text(key),
            },
        }
    }
}

fn field_name(id: i64, info: &FieldInfo<'_>) -> String {
    match (info.label, info.external_id) {
        (Some(label), Some(ext)) => format!("{label} ({ext})"),
        (Some(label), None) => format!("{label} (field {id})"),
        (None, Some(ext)) => ext.to_owned(),
        (None, None) => format!("field {id}"),
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One view: view_id, name, type, created_by, created_on, sort_by (and its
/// readable name), sort_desc, filters (each with a readable `text`), items.
pub fn view(v: &Value, fields: &Fields<'_>) -> Value {
    let sort_by = get(v, "sort_by");
    let filters: Vec<Value> = array(v, "filters")
        .iter()
        .map(|f| filter(f, fields))
        .collect();
    json!({
        "view_id": int_or_null(v, "view_id"),
        "name": string_or_null(v, "name"),
        "type": string_or_null(v, "type"),
        "created_by": get(v, "created_by").map_or(Value::Null, |b| string_or_null(b, "name")),
        "created_on": string_or_null(v, "created_on"),
        "sort_by": sort_by.map_or(Value::Null, |k| json!(key_text(k))),
        "sort_by_name": sort_by.map_or(Value::Null, |k| json!(fields.name(k))),
        "sort_desc": get(v, "sort_desc").and_then(Value::as_bool).unwrap_or(false),
        "filters": filters,
        "items": int_or_null(v, "items"),
    })
}

/// One filter `{key, values}`: key, field_id, external_id, label, type,
/// the raw values and a readable `text`.
fn filter(f: &Value, fields: &Fields<'_>) -> Value {
    let key = get(f, "key").unwrap_or(&Value::Null);
    let values = get(f, "values").unwrap_or(&Value::Null);
    let (field_id, info) = match fields.get(key) {
        Some((id, info)) => (json!(id), Some(info)),
        None => (
            number(key)
                .filter(|n| n.is_i64() || n.is_u64())
                .map_or(Value::Null, Value::Number),
            None,
        ),
    };
    let kind = info.map(|i| i.kind);
    let text = format!(
        "{} {}",
        fields.name(key),
        condition(kind, info, &key_text(key), values)
    );
    json!({
        "key": key_text(key),
        "field_id": field_id,
        "external_id": info.and_then(|i| i.external_id),
        "label": info.and_then(|i| i.label),
        "type": kind,
        "values": values,
        "text": text,
    })
}

/// "is Lead or Won", "from 10 to 20", "is item 5" …
fn condition(
    kind: Option<&str>,
    info: Option<&FieldInfo<'_>>,
    key: &str,
    values: &Value,
) -> String {
    if let Some(range) = range(values) {
        return range;
    }
    let Value::Array(list) = values else {
        return format!("is {}", scalar(values));
    };
    let one = |v: &Value| -> String {
        match (kind, v) {
            (_, Value::Null) => "(empty)".to_owned(),
            (Some("category" | "question" | "state"), v) => v
                .as_i64()
                .and_then(|id| info.and_then(|i| i.options.get(&id)))
                .map_or_else(|| format!("option {}", scalar(v)), |t| (*t).to_owned()),
            (Some("app"), v) => format!("item {}", scalar(v)),
            (Some("contact" | "member"), v) => format!("profile {}", scalar(v)),
            (_, Value::Object(_)) => match (str_at(v, "type"), get(v, "id")) {
                (Some(t), Some(id)) => format!("{t} {id}"),
                _ => v.to_string(),
            },
            (None, v) if key.ends_with("_by") => format!("user {}", scalar(v)),
            (_, v) => scalar(v),
        }
    };
    let names: Vec<String> = list.iter().map(one).collect();
    match names.as_slice() {
        [] => "is any value".to_owned(),
        [only] => format!("is {only}"),
        [rest @ .., last] => format!("is {} or {last}", rest.join(", ")),
    }
}

/// A `{from, to}` range as words, either end optional.
fn range(values: &Value) -> Option<String> {
    if !values.is_object() || (values.get("from").is_none() && values.get("to").is_none()) {
        return None;
    }
    let from = get(values, "from").map(scalar);
    let to = get(values, "to").map(scalar);
    Some(match (from, to) {
        (Some(from), Some(to)) => format!("from {from} to {to}"),
        (Some(from), None) => format!("at least {from}"),
        (None, Some(to)) => format!("at most {to}"),
        (None, None) => "is any value".to_owned(),
    })
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_as_words_even_without_the_app() {
        let app = json!({"fields": [{"field_id": 7, "external_id": "stage", "label": "Stage", "type": "category",
            "config": {"settings": {"options": [{"id": 1, "text": "Lead"}, {"id": 2, "text": "Won", "status": "deleted"}]}}}]});
        let fields = Fields::of(Some(&app));
        let v = view(
            &json!({"view_id": 3, "sort_by": 7, "filters": [
                {"key": 7, "values": [1, 2, 9]},
                {"key": "created_by", "values": [{"type": "user", "id": 4}]},
                {"key": 8, "values": {"from": 5}}
            ]}),
            &fields,
        );
        assert_eq!(v["sort_by"], "7");
        assert_eq!(v["sort_by_name"], "Stage (stage)");
        assert_eq!(
            v["filters"][0]["text"],
            "Stage (stage) is Lead, Won or option 9"
        );
        assert_eq!(v["filters"][0]["external_id"], "stage");
        assert_eq!(v["filters"][1]["text"], "created_by is user 4");
        assert_eq!(v["filters"][2]["text"], "field 8 at least 5");
        assert_eq!(v["filters"][2]["field_id"], 8);

        let bare = view(
            &json!({"filters": [{"key": "7", "values": [1]}]}),
            &Fields::of(None),
        );
        assert_eq!(bare["filters"][0]["text"], "field 7 is 1");
        assert_eq!(bare["sort_desc"], false);
    }
}
