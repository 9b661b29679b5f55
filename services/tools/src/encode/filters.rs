//! get_items' `filters` and `sort_by` as a language model writes them,
//! checked against the app's fields and turned into Podio's filter body
//! (podio-api.md §10): fields by external_id, field_id or label; category
//! options by id or label; ranges as {"from", "to"}.

use serde_json::{Map, Value, json};

use super::moment::{self, Moment};
use super::schema::{AppSchema, FieldDef};
use super::values::{decimal, duration, ids, options};
use crate::args::render as short;
use crate::error::Violation;

/// Filter keys that are not fields: item metadata Podio filters on.
pub const BUILT_IN_FILTERS: [&str; 4] = ["created_on", "last_edit_on", "created_by", "item_id"];

/// Sort keys that are not fields.
pub const BUILT_IN_SORTS: [&str; 5] = [
    "created_on",
    "last_edit_on",
    "title",
    "app_item_id",
    "item_id",
];

/// Field types Podio can sort by (podio-api.md §10).
const SORTABLE: [&str; 13] = [
    "text",
    "number",
    "money",
    "calculation",
    "progress",
    "duration",
    "app",
    "date",
    "contact",
    "category",
    "location",
    "state",
    "question",
];

fn built_in(key: &str, list: &[&str]) -> Option<&'static str> {
    let key = key.trim();
    [BUILT_IN_FILTERS.as_slice(), BUILT_IN_SORTS.as_slice()]
        .concat()
        .into_iter()
        .filter(|b| list.contains(b))
        .find(|b| b.eq_ignore_ascii_case(key))
}

/// Whether checking these filters and this sort needs the app's fields.
pub fn needs_schema(filters: Option<&Map<String, Value>>, sort_by: Option<&str>) -> bool {
    let field_filter =
        filters.is_some_and(|f| f.keys().any(|k| built_in(k, &BUILT_IN_FILTERS).is_none()));
    let field_sort = sort_by.is_some_and(|s| built_in(s, &BUILT_IN_SORTS).is_none());
    field_filter || field_sort
}

/// Podio's `filters` object for `given`; problems are named `filters.<key>`.
/// `schema` must be present when [`needs_schema`] says so.
pub fn encode_filters(
    schema: Option<&AppSchema>,
    given: &Map<String, Value>,
) -> (Map<String, Value>, Vec<Violation>) {
    let mut out = Map::new();
    let mut problems = Vec::new();
    for (key, value) in given {
        let arg = format!("filters.{key}");
        let encoded = match built_in(key, &BUILT_IN_FILTERS) {
            Some(name) => built_in_filter(name, value).map(|v| (name.to_owned(), v)),
            None => match schema.map(|s| s.find(key)) {
                Some(Ok(field)) => field_filter(field, value)
                    .map(|v| (field.key(), v))
                    .map_err(|e| format!("{}: {e}", field.describe())),
                Some(Err(e)) => Err(format!(
                    "{e}; built-in filters: {}",
                    BUILT_IN_FILTERS.join(", ")
                )),
                None => Err("the app's fields could not be checked".to_owned()),
            },
        };
        match encoded {
            Ok((name, _)) if out.contains_key(&name) => problems.push(Violation::new(
                arg,
                format!("{name} is filtered twice; give each field once"),
            )),
            Ok((name, v)) => {
                out.insert(name, v);
            }
            Err(e) => problems.push(Violation::new(arg, e)),
        }
    }
    (out, problems)
}

/// Podio's `sort_by` for `given`: a built-in key, or a field's field_id.
pub fn encode_sort(schema: Option<&AppSchema>, given: &str) -> Result<Value, String> {
    if let Some(name) = built_in(given, &BUILT_IN_SORTS) {
        return Ok(json!(name));
    }
    let built_ins = BUILT_IN_SORTS.join(", ");
    let field = schema
        .ok_or_else(|| "the app's fields could not be checked".to_owned())?
        .find(given)
        .map_err(|e| format!("{e}; or sort by one of {built_ins}"))?;
    if !SORTABLE.contains(&field.kind.as_str()) {
        return Err(format!(
            "{} cannot be sorted by (Podio sorts by fields of type {}); or sort by one of {built_ins}",
            field.describe(),
            SORTABLE.join(", ")
        ));
    }
    Ok(json!(field.field_id))
}

fn built_in_filter(name: &str, value: &Value) -> Result<Value, String> {
    match name {
        "created_on" | "last_edit_on" => date_range(value),
        "created_by" => {
            let users = ids(value, &["user_id", "id"], "user id")?;
            Ok(json!(
                users
                    .into_iter()
                    .map(|id| json!({"type": "user", "id": id}))
                    .collect::<Vec<_>>()
            ))
        }
        _ => non_empty(ids(value, &["item_id"], "item id")?),
    }
}

fn field_filter(field: &FieldDef, value: &Value) -> Result<Value, String> {
    if value.is_null() || value.as_array().is_some_and(Vec::is_empty) {
        return Err("a filter needs a value; leave the key out to not filter on it".to_owned());
    }
    let kind = match (field.kind.as_str(), field.return_type.as_deref()) {
        ("calculation", Some("date")) => "date",
        ("calculation", Some("text")) => "text",
        ("calculation", _) => "number",
        (kind, _) => kind,
    };
    match kind {
        "text" => text_filter(value),
        "category" | "question" | "state" => non_empty(options(field, value, true)?),
        "app" => non_empty(ids(value, &["item_id", "app_item_id"], "item id")?),
        "contact" | "member" => non_empty(ids(value, &["profile_id"], "profile id")?),
        "number" | "money" | "progress" => range(value, "a number such as 100", |v| {
            decimal(v).map(Value::Number)
        }),
        "duration" => range(value, "seconds or \"HH:MM\"", |v| {
            duration(v).ok().map(|s| json!(s))
        }),
        "date" => date_range(value),
        other => Err(format!(
            "fields of type {other} cannot be filtered; use search_globally to find text in them"
        )),
    }
}

fn non_empty(ids: Vec<u64>) -> Result<Value, String> {
    if ids.is_empty() {
        return Err(
            "a filter needs at least one value; leave the key out to not filter on it".to_owned(),
        );
    }
    Ok(json!(ids))
}

fn text_filter(value: &Value) -> Result<Value, String> {
    let accepted = "expected {\"from\": \"text to find\"} or the text itself";
    let text = match value {
        Value::String(s) => s,
        Value::Object(map) if map.len() == 1 => map
            .get("from")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{accepted}, got {}", short(value)))?,
        other => return Err(format!("{accepted}, got {}", short(other))),
    };
    if text.trim().is_empty() {
        return Err(format!("{accepted}; the text is empty"));
    }
    Ok(json!({"from": text.trim()}))
}

/// `{"from", "to"}` (either end optional) or one value meaning both ends.
fn range(
    value: &Value,
    what: &str,
    end: impl Fn(&Value) -> Option<Value>,
) -> Result<Value, String> {
    let accepted = format!(
        "expected {{\"from\": …, \"to\": …}} (either end optional) with {what}, or one value for an exact match"
    );
    let (from, to) = match value {
        Value::Object(map) => {
            if let Some(k) = map.keys().find(|k| *k != "from" && *k != "to") {
                return Err(format!("unknown key {k:?}; {accepted}"));
            }
            (
                map.get("from").filter(|v| !v.is_null()),
                map.get("to").filter(|v| !v.is_null()),
            )
        }
        one => (Some(one), Some(one)),
    };
    if from.is_none() && to.is_none() {
        return Err(format!("{accepted}; both ends are missing"));
    }
    let mut out = Map::new();
    for (key, v) in [("from", from), ("to", to)] {
        if let Some(v) = v {
            let n = end(v).ok_or_else(|| format!("{key}: {accepted}, got {}", short(v)))?;
            out.insert(key.into(), n);
        }
    }
    if let (Some(f), Some(t)) = (
        out.get("from").and_then(Value::as_f64),
        out.get("to").and_then(Value::as_f64),
    ) && f > t
    {
        return Err(format!("from ({f}) is greater than to ({t})"));
    }
    Ok(Value::Object(out))
}

fn date_range(value: &Value) -> Result<Value, String> {
    let what = format!("dates {}", moment::ACCEPTED);
    let out = range(value, &what, |v| {
        v.as_str()
            .and_then(Moment::parse)
            .filter(|m| !m.utc)
            .map(|m| json!(m.render()))
    })?;
    let end_of = |key: &str, pad: &str| {
        out.get(key).and_then(Value::as_str).map(|s| {
            if s.len() == 10 {
                format!("{s} {pad}")
            } else {
                s.to_owned()
            }
        })
    };
    // A date-only `to` covers its whole day.
    if let (Some(f), Some(t)) = (end_of("from", "00:00:00"), end_of("to", "23:59:59"))
        && f > t
    {
        return Err(format!("from ({f}) is after to ({t})"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_accept_one_end_or_an_exact_value() {
        let n = |v: &Value| decimal(v).map(Value::Number);
        assert_eq!(range(&json!({"from": 10}), "n", n), Ok(json!({"from": 10})));
        assert_eq!(range(&json!("7"), "n", n), Ok(json!({"from": 7, "to": 7})));
        assert!(range(&json!({"from": 10, "to": 1}), "n", n).is_err());
        assert!(range(&json!({}), "n", n).is_err());
    }

    #[test]
    fn date_ranges_compare_whole_days() {
        assert_eq!(
            date_range(&json!({"from": "2026-06-30 10:00", "to": "2026-06-30"})),
            Ok(json!({"from": "2026-06-30 10:00:00", "to": "2026-06-30"}))
        );
        let err =
            date_range(&json!({"from": "2026-07-01", "to": "2026-06-30"})).expect_err("reversed");
        assert_eq!(
            err,
            "from (2026-07-01 00:00:00) is after to (2026-06-30 23:59:59)"
        );
        assert!(date_range(&json!({"from": "2026-06-30T10:00:00Z"})).is_err());
    }

    #[test]
    fn only_field_keys_need_the_schema() {
        let filters: Map<String, Value> =
            serde_json::from_value(json!({"created_on": {"from": "2026-01-01"}})).expect("map");
        assert!(!needs_schema(Some(&filters), Some("title")));
        assert!(needs_schema(Some(&filters), Some("stage")));
        assert!(!needs_schema(None, None));
    }
}
