//! Podio items (GET /item/{id}, and the items of a filter) shaped for a
//! language model: the useful metadata plus every field decoded, keyed by the
//! field's external_id.

use serde_json::{Map, Value, json};

use super::display;
use super::json::{array, get, int_or_null, number, str_at, string_or_null};
use super::values;

/// One decoded field, kept in Podio's order for the text rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedField {
    /// The field's external_id (its field_id when Podio sent none).
    pub key: String,
    /// Podio's field type, e.g. "category".
    pub kind: String,
    /// The field's label.
    pub label: String,
    /// `{field_id, label, type, value}` (plus `lat`/`lng` for locations).
    pub json: Value,
    /// The decoded value alone.
    pub value: Value,
}

impl DecodedField {
    /// "Label (external-id, type): value".
    pub fn line(&self) -> String {
        format!(
            "{} ({}, {}): {}",
            self.label,
            self.key,
            self.kind,
            display::render(&self.kind, &self.value)
        )
    }

    /// "Label: value", for compact listings.
    pub fn short(&self) -> String {
        format!(
            "{}: {}",
            self.label,
            display::render(&self.kind, &self.value)
        )
    }
}

/// A decoded item: its JSON and its fields in order.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedItem {
    /// The item as returned in structured content.
    pub json: Value,
    /// Its fields, in Podio's order.
    pub fields: Vec<DecodedField>,
}

impl DecodedItem {
    /// "Deal 42: Acme Corp renewal (item 987654321)" — the app's item name and
    /// the per-app number when known.
    pub fn heading(&self) -> String {
        let item_name = self
            .json
            .get("app")
            .and_then(|a| str_at(a, "item_name"))
            .unwrap_or("Item");
        let title = str_at(&self.json, "title").unwrap_or("(untitled)");
        let item_id = render_id(&self.json, "item_id");
        match get(&self.json, "app_item_id") {
            Some(n) => format!("{item_name} {n}: {title} (item {item_id})"),
            None => format!("{item_name}: {title} (item {item_id})"),
        }
    }
}

/// Decodes one item. Never fails: missing keys become `null`.
pub fn decode_item(item: &Value) -> DecodedItem {
    let fields: Vec<DecodedField> = array(item, "fields").iter().map(decode_field).collect();
    let mut by_key = Map::new();
    for field in &fields {
        by_key
            .entry(field.key.clone())
            .or_insert_with(|| field.json.clone());
    }
    let app = get(item, "app").map_or(Value::Null, |app| {
        json!({
            "app_id": int_or_null(app, "app_id"),
            "name": string_or_null(app, "name"),
            "item_name": string_or_null(app, "item_name"),
        })
    });
    let created_by = get(item, "created_by").map_or(Value::Null, |b| string_or_null(b, "name"));
    let tags: Vec<Value> = array(item, "tags")
        .iter()
        .filter_map(|t| t.as_str().or_else(|| str_at(t, "text")))
        .map(|t| json!(t))
        .collect();
    let json = json!({
        "item_id": int_or_null(item, "item_id"),
        "app_item_id": int_or_null(item, "app_item_id"),
        "title": string_or_null(item, "title"),
        "link": string_or_null(item, "link"),
        "app": app,
        "created_on": string_or_null(item, "created_on"),
        "created_by": created_by,
        "last_event_on": string_or_null(item, "last_event_on"),
        "tags": tags,
        "comment_count": int_or_null(item, "comment_count"),
        "fields": by_key,
    });
    DecodedItem { json, fields }
}

fn decode_field(field: &Value) -> DecodedField {
    let kind = str_at(field, "type").unwrap_or("unknown").to_owned();
    // Whole numbers only: the output schema's field_id is an integer.
    let field_id = get(field, "field_id")
        .and_then(number)
        .filter(|n| n.is_i64() || n.is_u64());
    let key = str_at(field, "external_id")
        .map(str::to_owned)
        .or_else(|| field_id.as_ref().map(ToString::to_string))
        .unwrap_or_else(|| "unknown".to_owned());
    let label = str_at(field, "label")
        .or_else(|| get(field, "config").and_then(|c| str_at(c, "label")))
        .unwrap_or(&key)
        .to_owned();
    let decoded = values::decode(&kind, values::values_of(field));
    let mut json = Map::new();
    json.insert(
        "field_id".into(),
        field_id.map_or(Value::Null, Value::Number),
    );
    json.insert("label".into(), json!(label));
    json.insert("type".into(), json!(kind));
    json.insert("value".into(), decoded.value.clone());
    json.extend(decoded.extra);
    DecodedField {
        key,
        kind,
        label,
        json: Value::Object(json),
        value: decoded.value,
    }
}

/// `v[key]` rendered for text, "?" when missing.
pub fn render_id(v: &Value, key: &str) -> String {
    match get(v, key) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_object_decodes_to_nulls() {
        let item = decode_item(&json!({}));
        assert_eq!(item.json["item_id"], Value::Null);
        assert_eq!(item.json["fields"], json!({}));
        assert_eq!(item.heading(), "Item: (untitled) (item ?)");
    }

    #[test]
    fn fields_without_external_id_are_keyed_by_field_id() {
        let item = decode_item(&json!({
            "item_id": 1,
            "fields": [{"field_id": 9, "type": "number", "values": [{"value": "3.0000"}]}]
        }));
        assert_eq!(item.json["fields"]["9"]["value"], json!(3));
        assert_eq!(item.fields[0].line(), "9 (9, number): 3");
    }
}
