//! Decoding of one item field's `values` array (podio-api.md §7.2) into one
//! plain JSON value per field type. Unknown types and unexpected shapes fall
//! back to the raw values: a field is never dropped and never fails an item.

use serde_json::{Map, Value, json};

use super::html;
use super::json::{array, get, int_or_null, number, str_at, string_or_null};

/// A field's decoded value plus extra keys that sit beside it (location's
/// `lat`/`lng`).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The value, shaped per type.
    pub value: Value,
    /// Keys added next to `value` in the decoded field.
    pub extra: Map<String, Value>,
}

impl Decoded {
    fn plain(value: Value) -> Self {
        Decoded {
            value,
            extra: Map::new(),
        }
    }
}

/// Decodes `values` of a field whose Podio `type` is `kind`.
pub fn decode(kind: &str, values: &[Value]) -> Decoded {
    let decoded = match kind {
        "text" => text(values),
        "number" | "progress" | "duration" => {
            first_value(values).and_then(number).map(Value::Number)
        }
        "money" => money(values),
        "category" | "question" | "state" => list(values, category),
        "date" => values.first().map(date),
        "app" => list(values, app_reference),
        "contact" | "member" => list(values, contact),
        "email" | "phone" | "tel" => list(values, typed_value),
        "location" => return location(values),
        "calculation" => calculation(values),
        "embed" | "media" | "video" => list(values, embed),
        "image" | "file" => list(values, file),
        "tag" => list(values, |v| str_at(v, "value").map(|s| json!(s))),
        _ => None,
    };
    Decoded::plain(decoded.unwrap_or_else(|| Value::Array(values.to_vec())))
}

fn first_value(values: &[Value]) -> Option<&Value> {
    values.first().and_then(|v| get(v, "value"))
}

/// One entry per value; `None` (fall back to raw) when no entry decoded.
fn list(values: &[Value], one: impl Fn(&Value) -> Option<Value>) -> Option<Value> {
    let out: Vec<Value> = values.iter().filter_map(one).collect();
    (!out.is_empty() || values.is_empty()).then_some(Value::Array(out))
}

fn text(values: &[Value]) -> Option<Value> {
    let raw = first_value(values)?.as_str()?;
    let plain = if html::looks_like_html(raw) {
        html::to_text(raw)
    } else {
        raw.to_owned()
    };
    Some(Value::String(plain))
}

fn money(values: &[Value]) -> Option<Value> {
    let v = values.first()?;
    let amount = get(v, "value").and_then(number)?;
    Some(json!({"value": amount, "currency": string_or_null(v, "currency")}))
}

fn category(v: &Value) -> Option<Value> {
    let option = get(v, "value")?;
    if !option.is_object() {
        return None;
    }
    Some(json!({"id": int_or_null(option, "id"), "text": string_or_null(option, "text")}))
}

/// `{start, end}`: the date alone for date-only values, else
/// "YYYY-MM-DD HH:MM:SS" (the user's time zone, as Podio sends it).
pub fn date(v: &Value) -> Value {
    json!({"start": date_end(v, "start"), "end": date_end(v, "end")})
}

fn date_end(v: &Value, which: &str) -> Value {
    let date = str_at(v, &format!("{which}_date"));
    let time = str_at(v, &format!("{which}_time"));
    let full = str_at(v, which);
    let text = match (date, time, full) {
        (Some(d), None, _) => Some(d.to_owned()),
        (_, Some(_), Some(f)) => Some(f.to_owned()),
        (Some(d), Some(t), None) => Some(format!("{d} {t}")),
        (None, _, Some(f)) => Some(f.strip_suffix(" 00:00:00").unwrap_or(f).to_owned()),
        (None, _, None) => None,
    };
    text.map_or(Value::Null, Value::String)
}

fn app_reference(v: &Value) -> Option<Value> {
    let item = get(v, "value")?;
    if !item.is_object() {
        return None;
    }
    let mut out = Map::new();
    out.insert("item_id".into(), int_or_null(item, "item_id"));
    out.insert("title".into(), string_or_null(item, "title"));
    if let Some(app) = get(item, "app") {
        if let Some(id) = get(app, "app_id").and_then(number) {
            out.insert("app_id".into(), Value::Number(id));
        }
        if let Some(name) = str_at(app, "name") {
            out.insert("app_name".into(), json!(name));
        }
    }
    Some(Value::Object(out))
}

fn contact(v: &Value) -> Option<Value> {
    let profile = get(v, "value")?;
    if !profile.is_object() {
        return None;
    }
    let mut out = Map::new();
    out.insert("profile_id".into(), int_or_null(profile, "profile_id"));
    if let Some(user_id) = get(profile, "user_id").and_then(number) {
        out.insert("user_id".into(), Value::Number(user_id));
    }
    out.insert("name".into(), string_or_null(profile, "name"));
    Some(Value::Object(out))
}

fn typed_value(v: &Value) -> Option<Value> {
    let value = str_at(v, "value")?;
    Some(json!({"type": string_or_null(v, "type"), "value": value}))
}

fn location(values: &[Value]) -> Decoded {
    let Some(v) = values.first() else {
        return Decoded::plain(Value::Null);
    };
    let Some(address) = str_at(v, "value").or_else(|| str_at(v, "formatted")) else {
        return Decoded::plain(Value::Array(values.to_vec()));
    };
    let mut extra = Map::new();
    for key in ["lat", "lng"] {
        if let Some(n) = get(v, key).and_then(number) {
            extra.insert(key.into(), Value::Number(n));
        }
    }
    Decoded {
        value: Value::String(address.to_owned()),
        extra,
    }
}

fn calculation(values: &[Value]) -> Option<Value> {
    let v = values.first()?;
    if get(v, "start").is_some() || get(v, "start_date").is_some() {
        return Some(date(v));
    }
    let value = get(v, "value")?;
    if value.is_object() && (get(value, "start").is_some() || get(value, "start_date").is_some()) {
        return Some(date(value));
    }
    match number(value) {
        Some(n) => Some(Value::Number(n)),
        None => value.as_str().map(|s| json!(s)),
    }
}

fn embed(v: &Value) -> Option<Value> {
    let embed = get(v, "embed")?;
    let url = str_at(embed, "original_url")
        .or_else(|| str_at(embed, "url"))
        .or_else(|| str_at(embed, "resolved_url"))?;
    Some(json!({"url": url, "title": string_or_null(embed, "title")}))
}

fn file(v: &Value) -> Option<Value> {
    let file = get(v, "value")?;
    if !file.is_object() {
        return None;
    }
    Some(json!({
        "file_id": int_or_null(file, "file_id"),
        "name": string_or_null(file, "name"),
        "link": string_or_null(file, "link"),
    }))
}

/// The values of a field object, for callers that hold the whole field.
pub fn values_of(field: &Value) -> &[Value] {
    array(field, "values")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(kind: &str, values: Value) -> Value {
        let values = values.as_array().cloned().unwrap_or_default();
        decode(kind, &values).value
    }

    #[test]
    fn scalars() {
        assert_eq!(
            value("text", json!([{"value": "<p>Hi <i>there</i></p>"}])),
            json!("Hi there")
        );
        assert_eq!(value("text", json!([{"value": "a < b"}])), json!("a < b"));
        assert_eq!(value("number", json!([{"value": "12.5000"}])), json!(12.5));
        assert_eq!(value("duration", json!([{"value": 5400}])), json!(5400));
        assert_eq!(value("progress", json!([{"value": 60}])), json!(60));
        assert_eq!(
            value("money", json!([{"value": "12500.0000", "currency": "EUR"}])),
            json!({"value": 12500, "currency": "EUR"})
        );
    }

    #[test]
    fn dates_with_and_without_time() {
        let date_only = json!([{"start": "2024-04-30 00:00:00", "start_date": "2024-04-30", "start_time": null, "end": null, "end_date": null, "end_time": null}]);
        assert_eq!(
            value("date", date_only),
            json!({"start": "2024-04-30", "end": null})
        );
        let timed = json!([{"start": "2011-05-31 14:00:00", "start_date": "2011-05-31", "start_time": "14:00:00", "end": "2011-05-31 15:30:00", "end_date": "2011-05-31", "end_time": "15:30:00"}]);
        assert_eq!(
            value("date", timed),
            json!({"start": "2011-05-31 14:00:00", "end": "2011-05-31 15:30:00"})
        );
    }

    #[test]
    fn calculations() {
        assert_eq!(
            value("calculation", json!([{"value": "500.0000"}])),
            json!(500)
        );
        assert_eq!(
            value("calculation", json!([{"value": "n/a"}])),
            json!("n/a")
        );
        assert_eq!(
            value(
                "calculation",
                json!([{"start": "2024-01-02 00:00:00", "start_date": "2024-01-02", "start_time": null}])
            ),
            json!({"start": "2024-01-02", "end": null})
        );
    }

    #[test]
    fn location_keeps_coordinates_beside_the_address() {
        let d = decode(
            "location",
            &[json!({"value": "Main St 1", "lat": 55.5, "lng": 12.25})],
        );
        assert_eq!(d.value, json!("Main St 1"));
        assert_eq!(d.extra.get("lat"), Some(&json!(55.5)));
        let d = decode("location", &[json!({"formatted": "Elsewhere"})]);
        assert_eq!(d.value, json!("Elsewhere"));
        assert!(d.extra.is_empty());
    }

    #[test]
    fn odd_shapes_never_panic_and_fall_back_to_raw() {
        let raw = json!([{"weird": true}]);
        assert_eq!(value("mystery", raw.clone()), raw);
        assert_eq!(value("category", raw.clone()), raw);
        assert_eq!(value("app", json!([{"value": 5}])), json!([{"value": 5}]));
        assert_eq!(
            value("number", json!([{"value": "lots"}])),
            json!([{"value": "lots"}])
        );
        assert_eq!(value("category", json!([])), json!([]));
        assert_eq!(
            value("tag", json!([{"value": "a"}, {"value": "b"}])),
            json!(["a", "b"])
        );
        assert_eq!(
            value("phone", json!([{"type": "mobile", "value": "+45"}])),
            json!([{"type": "mobile", "value": "+45"}])
        );
        assert_eq!(
            value(
                "contact",
                json!([{"value": {"profile_id": 1, "name": "A"}}])
            ),
            json!([{"profile_id": 1, "name": "A"}])
        );
    }
}
