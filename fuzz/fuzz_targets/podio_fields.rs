//! Podio field values both ways, against an app with a field of every type:
//! tool-level values into Podio's item field values (`encode::values`),
//! filters and sorting (`encode::filters`), and Podio's item values back into
//! tool output (`decode::values`).
//!
//! Input: a first byte (bit 0: create or update; bit 1: one field's value or
//! a whole `fields` object; bits 2-6: which field; bit 7: name it by label or
//! field id rather than external_id), then JSON.
//!
//! Invariants: nothing panics; every given key ends up exactly once, as a
//! write or as a problem named `fields.<key>` (and `fields` only for missing
//! required fields of a new item); writes come in the app's order, one per
//! field, never for a calculation, each in the shape Podio takes for its
//! type; and a written value, stored as Podio stores it and decoded as
//! get_item shows it, writes back unchanged (encode→decode→encode). Filters
//! likewise account for every key; a sort is a built-in name or a field id.
//! Any JSON as a field's Podio values decodes and renders.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use portico_fuzz::json::same;
use portico_fuzz::tools::APP_ALL;
use portico_tools::decode::{display, html, values};
use portico_tools::encode::filters::{
    BUILT_IN_FILTERS, BUILT_IN_SORTS, encode_filters, encode_sort,
};
use portico_tools::encode::moment::Moment;
use portico_tools::encode::schema::{AppSchema, FieldDef};
use portico_tools::encode::values::{Link, Mode, Ready, encode};
use serde_json::{Map, Value, json};

static SCHEMA: LazyLock<AppSchema> = LazyLock::new(|| {
    let raw: Value = serde_json::from_str(APP_ALL).expect("the app fixture");
    let app_id = raw["app_id"].as_u64().expect("app_id");
    AppSchema::from_app(app_id, &raw)
});

/// Every Podio field type, and one Podio does not have.
const KINDS: [&str; 22] = [
    "text",
    "number",
    "money",
    "progress",
    "duration",
    "category",
    "question",
    "state",
    "date",
    "app",
    "contact",
    "member",
    "email",
    "phone",
    "tel",
    "location",
    "calculation",
    "embed",
    "image",
    "file",
    "tag",
    "mystery",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    let schema = &*SCHEMA;
    let mode = if selector & 1 == 0 {
        Mode::Create
    } else {
        Mode::Update
    };
    let given: Map<String, Value> = if selector & 2 == 0 {
        let field = &schema.fields[usize::from(selector >> 2 & 0x1f) % schema.fields.len()];
        let key = match (selector >> 7, selector >> 2 & 1) {
            (0, _) => field.key(),
            (_, 0) => field.label.to_uppercase(),
            _ => format!(" {} ", field.field_id),
        };
        Map::from_iter([(key, value.clone())])
    } else {
        match &value {
            Value::Object(map) => map.clone(),
            _ => return,
        }
    };
    check_writes(schema, &given, mode);
    check_filters(schema, &given);
    for key in given.keys() {
        check_sort(schema, key);
    }
    let raw_values = match &value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    for kind in KINDS {
        let decoded = values::decode(kind, &raw_values);
        display::render(kind, &decoded.value);
    }
});

fn check_writes(schema: &AppSchema, given: &Map<String, Value>, mode: Mode) {
    let (writes, problems) = encode(schema, given, mode);
    let mut per_key = 0;
    for problem in &problems {
        assert!(!problem.description.trim().is_empty(), "{problem:?}");
        match problem.field.strip_prefix("fields.") {
            Some(key) => {
                assert!(given.contains_key(key), "{problem:?} names no given key");
                per_key += 1;
            }
            None => {
                assert_eq!(problem.field, "fields", "{problem:?}");
                assert_eq!(mode, Mode::Create, "{problem:?}");
            }
        }
    }
    let entries = writes.entries();
    assert_eq!(
        entries.len() + per_key,
        given.len(),
        "given {given:?}: writes {entries:?}, problems {problems:?}"
    );
    let positions: Vec<usize> = entries
        .iter()
        .map(|(f, _)| {
            schema
                .fields
                .iter()
                .position(|g| g.field_id == f.field_id)
                .expect("writes are of the app's fields")
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    if mode == Mode::Create && !problems.iter().any(|p| p.field == "fields") {
        for required in schema
            .fields
            .iter()
            .filter(|f| f.required && f.kind != "calculation")
        {
            assert!(
                given.keys().any(|k| schema
                    .find(k)
                    .is_ok_and(|f| f.field_id == required.field_id)),
                "{} is required but was not asked for",
                required.describe()
            );
        }
    }
    for (field, ready) in entries {
        check_shape(field, ready);
        check_round_trip(schema, field, ready);
    }
}

fn ids(v: &Value) -> Vec<u64> {
    let list = v
        .as_array()
        .unwrap_or_else(|| panic!("expected a list of ids, got {v}"));
    assert!(!list.is_empty(), "an empty list of ids is only a clear");
    let ids: Vec<u64> = list
        .iter()
        .map(|id| {
            id.as_u64()
                .filter(|n| *n > 0)
                .unwrap_or_else(|| panic!("id {id}"))
        })
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "repeated ids {ids:?}");
    ids
}

/// The write is in the shape Podio's item create and update take for the
/// field's type (podio-api.md §8).
fn check_shape(field: &FieldDef, ready: &Ready) {
    let kind = field.kind.as_str();
    let v = match ready {
        Ready::Links(links) => {
            assert!(
                ["embed", "media", "video"].contains(&kind),
                "links for {kind}"
            );
            assert!(!links.is_empty());
            for link in links {
                match link {
                    Link::Embed(id) => assert!(*id > 0),
                    Link::Url(url) => {
                        assert!(
                            url.starts_with("https://") || url.starts_with("http://"),
                            "{url}"
                        )
                    }
                }
            }
            return;
        }
        Ready::Value(v) => v,
    };
    if *v == json!([]) {
        return; // a clear (update only: create refuses it)
    }
    match kind {
        "text" => assert!(v.is_string(), "{v}"),
        "number" => assert!(v.as_f64().is_some_and(f64::is_finite), "{v}"),
        "money" => {
            let map = v.as_object().expect("money is an object");
            assert_eq!(map.len(), 2, "{v}");
            let amount = map["value"].as_str().expect("the amount is a string");
            assert!(amount.parse::<f64>().is_ok_and(f64::is_finite), "{v}");
            let currency = map["currency"].as_str().expect("the currency is a string");
            assert!(
                field.currencies.is_empty() || field.currencies.iter().any(|c| c == currency),
                "{v}"
            );
        }
        "progress" => assert!(v.as_u64().is_some_and(|n| n <= 100), "{v}"),
        "duration" => assert!(v.as_u64().is_some(), "{v}"),
        "category" | "question" | "state" => {
            let ids = ids(v);
            assert!(field.multiple || ids.len() == 1, "{v}");
            for id in ids {
                assert!(
                    field.options.iter().any(|o| o.id == id && o.active),
                    "{id} is not an active option"
                );
            }
        }
        "date" => {
            let map = v.as_object().expect("a date is an object");
            let pair = [
                ("start_date", "end_date"),
                ("start", "end"),
                ("start_utc", "end_utc"),
            ]
            .into_iter()
            .find(|(s, _)| map.contains_key(*s))
            .unwrap_or_else(|| panic!("a date without start: {v}"));
            assert!(map.keys().all(|k| k == pair.0 || k == pair.1), "{v}");
            let moment = |key: &str| {
                map.get(key).map(|s| {
                    Moment::parse(s.as_str().expect("a date string")).expect("a valid date")
                })
            };
            let start = moment(pair.0).expect("start");
            assert_eq!(start.time.is_none(), pair.0 == "start_date", "{v}");
            if let Some(end) = moment(pair.1) {
                assert!(end.render() >= start.render(), "{v}");
                assert_ne!(field.date_end.as_deref(), Some("disabled"), "{v}");
            }
            if field.date_time.as_deref() == Some("disabled") {
                assert_eq!(pair.0, "start_date", "{v}");
            }
        }
        "app" => assert!(field.multiple || ids(v).len() == 1, "{v}"),
        "contact" | "member" | "image" | "file" => {
            ids(v);
        }
        "email" | "phone" | "tel" => {
            for entry in v.as_array().expect("a list") {
                assert!(
                    entry["type"].is_string() && entry["value"].is_string(),
                    "{v}"
                );
                assert_eq!(entry.as_object().map(Map::len), Some(2), "{v}");
            }
        }
        "location" => match v {
            Value::String(_) => {}
            Value::Object(map) => {
                assert!(
                    map["value"].as_str().is_some_and(|s| !s.trim().is_empty()),
                    "{v}"
                );
                for (key, limit) in [("lat", 90.0), ("lng", 180.0)] {
                    if let Some(n) = map.get(key) {
                        assert!(n.as_f64().is_some_and(|f| f.abs() <= limit), "{v}");
                    }
                }
            }
            _ => panic!("location {v}"),
        },
        other => panic!("a write for a field of type {other}: {v}"),
    }
}

/// Field values as Podio stores and returns them for `write` (podio-api.md
/// §7.2); `None` where the stored form is not the write's own (clears, UTC
/// times, which Podio converts, rich text, links Podio still has to embed).
fn stored(field: &FieldDef, ready: &Ready) -> Option<Vec<Value>> {
    let v = match ready {
        Ready::Value(v) if *v == json!([]) => return None,
        Ready::Value(v) => v,
        Ready::Links(links) => {
            return links
                .iter()
                .map(|link| match link {
                    Link::Embed(id) => Some(json!({"embed": {
                        "embed_id": id,
                        "url": format!("https://example.com/embed/{id}"),
                        "original_url": format!("https://example.com/embed/{id}"),
                        "title": "An embed",
                    }})),
                    Link::Url(_) => None,
                })
                .collect();
        }
    };
    let each = |f: &dyn Fn(&Value) -> Value| -> Vec<Value> {
        v.as_array()
            .map(|list| list.iter().map(f).collect())
            .unwrap_or_default()
    };
    Some(match field.kind.as_str() {
        "text" => {
            if html::looks_like_html(v.as_str()?) {
                return None;
            }
            vec![json!({"value": v})]
        }
        "number" | "progress" | "duration" => vec![json!({"value": v})],
        "money" => vec![v.clone()],
        "category" | "question" | "state" => each(&|id| {
            let option = field.options.iter().find(|o| json!(o.id) == *id);
            json!({"value": {"id": id, "text": option.map(|o| o.text.clone()), "status": "active"}})
        }),
        "date" => {
            let map = v.as_object()?;
            if map.contains_key("start_utc") {
                return None;
            }
            let mut out = Map::new();
            for side in ["start", "end"] {
                let text = map
                    .get(side)
                    .or_else(|| map.get(&format!("{side}_date")))
                    .and_then(Value::as_str);
                let (date, time) = match text.map(|t| t.split_once(' ')) {
                    Some(Some((d, t))) => (json!(d), json!(t)),
                    Some(None) => (json!(text), Value::Null),
                    None => (Value::Null, Value::Null),
                };
                let full = match (&date, &time) {
                    (Value::String(d), Value::String(t)) => json!(format!("{d} {t}")),
                    (Value::String(d), _) => json!(format!("{d} 00:00:00")),
                    _ => Value::Null,
                };
                out.insert(side.to_owned(), full);
                out.insert(format!("{side}_date"), date);
                out.insert(format!("{side}_time"), time);
            }
            vec![Value::Object(out)]
        }
        "app" => each(
            &|id| json!({"value": {"item_id": id, "title": "An item", "app": {"app_id": 5551200, "name": "Companies"}}}),
        ),
        "contact" | "member" => each(
            &|id| json!({"value": {"profile_id": id, "user_id": 7, "name": "Someone", "type": "user"}}),
        ),
        "email" | "phone" | "tel" => each(&Value::clone),
        "location" => match v {
            Value::String(address) => vec![json!({"value": address, "formatted": address})],
            Value::Object(map) => {
                let mut out = map.clone();
                out.insert("formatted".to_owned(), map["value"].clone());
                vec![Value::Object(out)]
            }
            _ => return None,
        },
        "image" | "file" => each(
            &|id| json!({"value": {"file_id": id, "name": "logo.png", "link": "https://files.example/1"}}),
        ),
        _ => return None,
    })
}

/// A stored value, decoded as get_item shows it, is accepted by update_item
/// and writes the same value again.
fn check_round_trip(schema: &AppSchema, field: &FieldDef, ready: &Ready) {
    let Some(stored) = stored(field, ready) else {
        return;
    };
    let decoded = values::decode(&field.kind, &stored);
    display::render(&field.kind, &decoded.value);
    let shown = if decoded.extra.is_empty() {
        decoded.value.clone()
    } else {
        let mut object = decoded.extra.clone();
        object.insert("value".to_owned(), decoded.value.clone());
        Value::Object(object)
    };
    let given = Map::from_iter([(field.key(), shown.clone())]);
    let (again, problems) = encode(schema, &given, Mode::Update);
    assert!(
        problems.is_empty(),
        "{} decoded as {shown} from {stored:?} is refused: {problems:?}",
        field.describe()
    );
    let (_, rewritten) = &again.entries()[0];
    let expected = match ready {
        Ready::Links(links) => Ready::Links(
            links
                .iter()
                .map(|link| match link {
                    Link::Embed(id) => Link::Url(format!("https://example.com/embed/{id}")),
                    url @ Link::Url(_) => url.clone(),
                })
                .collect(),
        ),
        value => value.clone(),
    };
    let unchanged = match (rewritten, &expected) {
        (Ready::Value(a), Ready::Value(b)) => same(a, b),
        (a, b) => a == b,
    };
    assert!(
        unchanged,
        "{}: {ready:?} stored as {stored:?}, shown as {shown}, writes back as {rewritten:?}",
        field.describe()
    );
}

fn check_filters(schema: &AppSchema, given: &Map<String, Value>) {
    let (filters, problems) = encode_filters(Some(schema), given);
    for problem in &problems {
        let key = problem
            .field
            .strip_prefix("filters.")
            .unwrap_or_else(|| panic!("{problem:?}"));
        assert!(given.contains_key(key), "{problem:?}");
        assert!(!problem.description.trim().is_empty());
    }
    assert_eq!(
        filters.len() + problems.len(),
        given.len(),
        "{filters:?} {problems:?}"
    );
    for key in filters.keys() {
        assert!(
            BUILT_IN_FILTERS.contains(&key.as_str())
                || schema.fields.iter().any(|f| f.key() == *key),
            "filter on {key:?}"
        );
    }
}

fn check_sort(schema: &AppSchema, key: &str) {
    match encode_sort(Some(schema), key) {
        Ok(Value::String(name)) => assert!(BUILT_IN_SORTS.contains(&name.as_str()), "{name}"),
        Ok(Value::Number(id)) => assert!(
            schema
                .fields
                .iter()
                .any(|f| Some(f.field_id) == id.as_u64()),
            "sort by {id}"
        ),
        Ok(other) => panic!("sort_by {other}"),
        Err(e) => assert!(!e.trim().is_empty()),
    }
}
