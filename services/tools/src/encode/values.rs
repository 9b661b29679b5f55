//! Field values as a language model writes them, checked against the app's
//! fields and turned into the compact forms Podio's item create and update
//! take (podio-api.md §8). Every problem is collected; nothing is sent when
//! any value is wrong. Link (embed) values given as URLs are only turned into
//! embeds, one `POST /embed/` each, once every value has passed.

use serde_json::{Map, Number, Value, json};

use super::moment::{self, Moment};
use super::schema::{AppSchema, FieldDef};
use crate::args::render as short;
use crate::decode::json::number;
use crate::error::{ToolError, Violation};
use crate::podio::{Podio, Target};

/// Whether values are for a new item or change an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// create_item: required fields must be present, nothing can be cleared.
    Create,
    /// update_item: only the given fields change; null or [] clears one.
    Update,
}

/// The e-mail value types Podio knows (podio-api.md §7.2).
const EMAIL_TYPES: [&str; 3] = ["work", "home", "other"];
/// The phone value types Podio knows (podio-api.md §7.2).
const PHONE_TYPES: [&str; 7] = [
    "mobile",
    "work",
    "home",
    "main",
    "work_fax",
    "private_fax",
    "other",
];

/// One link value: an existing embed, or a URL still to be turned into one.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// An embed Podio already has, by its embed_id.
    Embed(u64),
    /// An absolute http(s) URL, turned into an embed (`POST /embed/`) when
    /// the write is sent.
    Url(String),
}

/// A checked value, ready to send once links are resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Ready {
    /// The value exactly as Podio's item create and update take it.
    Value(Value),
    /// A link (embed) field's links; their embed ids are the value.
    Links(Vec<Link>),
}

/// Checked field values of one write (none by default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldWrites {
    entries: Vec<(FieldDef, Ready)>,
}

impl FieldWrites {
    /// Each field being written with its checked value, in the app's order.
    pub fn entries(&self) -> &[(FieldDef, Ready)] {
        &self.entries
    }

    /// The fields being written, in the app's order.
    pub fn fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.entries.iter().map(|(f, _)| f)
    }

    /// The item ids that relationship (app reference) fields point at.
    pub fn referenced_items(&self) -> impl Iterator<Item = u64> + '_ {
        self.entries
            .iter()
            .filter(|(field, _)| field.kind == "app")
            .filter_map(|(_, ready)| match ready {
                Ready::Value(Value::Array(ids)) => Some(ids.iter().filter_map(Value::as_u64)),
                _ => None,
            })
            .flatten()
    }

    /// Podio's `fields` object, creating the embeds of link URLs first.
    /// A token limited to some workspaces may not link to items outside
    /// them: every referenced item is checked before anything is written
    /// (embeds included).
    pub(crate) async fn into_podio(self, podio: &Podio) -> Result<Map<String, Value>, ToolError> {
        for item_id in self.referenced_items() {
            podio.scope().check_item_id(podio, item_id).await?;
        }
        let mut out = Map::new();
        for (field, ready) in self.entries {
            let value = match ready {
                Ready::Value(v) => v,
                Ready::Links(links) => {
                    let mut ids = Vec::with_capacity(links.len());
                    for link in links {
                        ids.push(json!(match link {
                            Link::Embed(id) => id,
                            Link::Url(url) => create_embed(podio, &url).await?,
                        }));
                    }
                    Value::Array(ids)
                }
            };
            out.insert(field.key(), value);
        }
        Ok(out)
    }
}

/// `POST /embed/ {"url"}` → the new embed's id.
async fn create_embed(podio: &Podio, url: &str) -> Result<u64, ToolError> {
    let target = Target::new(
        format!("the link {url}"),
        "check that the URL is an absolute http(s) address",
    );
    let raw = podio
        .post("/embed/".to_owned(), &json!({"url": url}), &target)
        .await?;
    raw.get("embed_id")
        .and_then(number)
        .and_then(|n| n.as_u64())
        .ok_or_else(|| ToolError::Internal("podio answered POST /embed/ without embed_id".into()))
}

/// Checks `given` (field key → value) against `schema`; the problems are
/// named `fields.<key>` (and `fields` for missing required fields).
pub fn encode(
    schema: &AppSchema,
    given: &Map<String, Value>,
    mode: Mode,
) -> (FieldWrites, Vec<Violation>) {
    let mut entries: Vec<(FieldDef, Ready)> = Vec::new();
    let mut problems = Vec::new();
    for (key, value) in given {
        let arg = format!("fields.{key}");
        let field = match schema.find(key) {
            Ok(f) => f,
            Err(e) => {
                problems.push(Violation::new(arg, e));
                continue;
            }
        };
        if entries.iter().any(|(f, _)| f.field_id == field.field_id) {
            problems.push(Violation::new(
                arg,
                format!("{} is given twice; give each field once", field.describe()),
            ));
            continue;
        }
        match encode_one(field, value, mode) {
            Ok(ready) => entries.push((field.clone(), ready)),
            Err(e) => problems.push(Violation::new(arg, format!("{}: {e}", field.describe()))),
        }
    }
    // Keys arrive sorted by name; the app's order reads better.
    entries.sort_by_key(|(f, _)| schema.fields.iter().position(|g| g.field_id == f.field_id));
    if mode == Mode::Create {
        let named: Vec<u64> = given
            .keys()
            .filter_map(|k| schema.find(k).ok())
            .map(|f| f.field_id)
            .collect();
        let missing: Vec<String> = schema
            .fields
            .iter()
            .filter(|f| f.required && f.kind != "calculation" && !named.contains(&f.field_id))
            .map(FieldDef::describe)
            .collect();
        if !missing.is_empty() {
            problems.push(Violation::new(
                "fields",
                format!(
                    "missing required field(s) of app {}: {}; give a value for each",
                    schema.app_id,
                    missing.join(", ")
                ),
            ));
        }
    }
    (FieldWrites { entries }, problems)
}

fn is_clear(value: &Value) -> bool {
    value.is_null()
        || value.as_array().is_some_and(Vec::is_empty)
        || value.as_str().is_some_and(|s| s.trim().is_empty())
}

fn encode_one(field: &FieldDef, value: &Value, mode: Mode) -> Result<Ready, String> {
    if is_clear(value) {
        return match mode {
            Mode::Update => Ok(Ready::Value(json!([]))),
            Mode::Create => Err(
                "null, \"\" and [] clear a field, which only update_item does; leave the field out instead"
                    .to_owned(),
            ),
        };
    }
    let value = match field.kind.as_str() {
        "text" => json!(text(value)?),
        "number" => Value::Number(decimal(value).ok_or_else(|| {
            format!("expected a number such as 12.5 (or a numeric string), got {value}")
        })?),
        "money" => money(field, value)?,
        "progress" => json!(progress(value)?),
        "duration" => json!(duration(value)?),
        "category" | "question" | "state" => json!(options(field, value, field.multiple)?),
        "date" => date(field, value)?,
        "app" => json!(references(field, value)?),
        "contact" | "member" => json!(contacts(value)?),
        "email" => typed_values(value, &EMAIL_TYPES, "an e-mail address")?,
        "phone" | "tel" => typed_values(value, &PHONE_TYPES, "a phone number")?,
        "location" => location(value)?,
        "embed" | "media" | "video" => return links(value).map(Ready::Links),
        "image" | "file" => json!(ids(value, &["file_id"], "file id")?),
        "tag" => json!(tags(value)?),
        "calculation" => {
            return Err(
                "calculation fields are read-only (Podio computes them); leave it out".to_owned(),
            );
        }
        other => return Err(format!("fields of type {other} cannot be written")),
    };
    Ok(Ready::Value(value))
}

/// Text from a string, or a number or boolean written without quotes.
fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("expected a string, got {}", short(other))),
    }
}

/// A finite number from a number or a numeric string.
pub(super) fn decimal(value: &Value) -> Option<Number> {
    number(value).filter(|n| n.as_f64().is_some_and(f64::is_finite))
}

fn money(field: &FieldDef, value: &Value) -> Result<Value, String> {
    let example_currency = field.currencies.first().map_or("EUR", String::as_str);
    let accepted = format!(
        "expected {{\"value\": 4999.99, \"currency\": \"{example_currency}\"}} or a plain amount (in the app's currency)"
    );
    let (amount, currency) = match value {
        Value::Object(map) => {
            if let Some(k) = map.keys().find(|k| *k != "value" && *k != "currency") {
                return Err(format!("unknown key {k:?}; {accepted}"));
            }
            let currency = match map.get("currency") {
                Some(Value::String(c)) => Some(c.trim().to_uppercase()),
                None | Some(Value::Null) => None,
                Some(other) => {
                    return Err(format!(
                        "currency must be a string such as \"{example_currency}\", got {other}"
                    ));
                }
            };
            (map.get("value").unwrap_or(&Value::Null), currency)
        }
        plain => (plain, None),
    };
    let amount = decimal(amount).ok_or_else(|| format!("{accepted}, got {}", short(value)))?;
    let currency = match currency {
        Some(c) => c,
        None => field.currencies.first().cloned().ok_or_else(|| {
            format!("the field names no default currency; {accepted} with a currency")
        })?,
    };
    if !field.currencies.is_empty() && !field.currencies.contains(&currency) {
        return Err(format!(
            "currency {currency:?} is not allowed; allowed: {}",
            field.currencies.join(", ")
        ));
    }
    Ok(json!({"value": amount.to_string(), "currency": currency}))
}

fn progress(value: &Value) -> Result<u64, String> {
    let plain = match value {
        Value::String(s) => json!(s.trim().trim_end_matches('%')),
        other => other.clone(),
    };
    decimal(&plain)
        .and_then(|n| n.as_u64())
        .filter(|n| *n <= 100)
        .ok_or_else(|| {
            format!(
                "expected a whole percentage from 0 to 100, got {}",
                short(value)
            )
        })
}

/// Seconds from a whole number of seconds or "HH:MM[:SS]".
pub(super) fn duration(value: &Value) -> Result<u64, String> {
    let accepted = "expected whole seconds (e.g. 5400) or \"HH:MM[:SS]\" (e.g. \"01:30\")";
    if let Some(clock) = value.as_str().filter(|s| s.contains(':')) {
        let parts: Option<Vec<u64>> = clock.trim().split(':').map(|p| p.parse().ok()).collect();
        // Hours so many that the seconds do not fit are refused, not wrapped.
        let seconds = |h: u64, m: u64, s: u64| h.checked_mul(3600)?.checked_add(m * 60 + s);
        let total = match parts.as_deref() {
            Some([h, m]) if *m < 60 => seconds(*h, *m, 0),
            Some([h, m, s]) if *m < 60 && *s < 60 => seconds(*h, *m, *s),
            _ => None,
        };
        return total.ok_or_else(|| format!("{accepted}, got {}", short(value)));
    }
    decimal(value)
        .and_then(|n| n.as_u64())
        .ok_or_else(|| format!("{accepted}, got {}", short(value)))
}

/// Category option ids from ids and labels (one or a list), checked against
/// the field's options; several only when `allow_many`.
pub(super) fn options(
    field: &FieldDef,
    value: &Value,
    allow_many: bool,
) -> Result<Vec<u64>, String> {
    let listed = || format!("options (id \"text\"): {}", field.option_list());
    let mut ids = Vec::new();
    for one in as_list(value) {
        let found = match one {
            Value::String(s) if s.trim().parse::<u64>().is_err() => field
                .options
                .iter()
                .filter(|o| o.active)
                .find(|o| o.text.trim().eq_ignore_ascii_case(s.trim())),
            Value::Object(map) => map
                .get("id")
                .and_then(id_of)
                .and_then(|id| field.options.iter().find(|o| o.id == id)),
            other => id_of(other).and_then(|id| field.options.iter().find(|o| o.id == id)),
        };
        match found {
            Some(o) if !o.active => {
                return Err(format!(
                    "option {} {:?} has been deleted from the app; {}",
                    o.id,
                    o.text,
                    listed()
                ));
            }
            Some(o) => {
                if !ids.contains(&o.id) {
                    ids.push(o.id);
                }
            }
            None => return Err(format!("{} is not an option; {}", short(one), listed())),
        }
    }
    if ids.len() > 1 && !allow_many {
        return Err(format!(
            "only one option may be chosen, got {}; {}",
            ids.len(),
            listed()
        ));
    }
    Ok(ids)
}

fn date(field: &FieldDef, value: &Value) -> Result<Value, String> {
    let accepted = format!(
        "expected a date string or {{\"start\": …, \"end\": …}} (also {{\"start_date\", \"end_date\"}}), dates written {}",
        moment::ACCEPTED
    );
    let side = |v: Option<&Value>, which: &str| -> Result<Option<Moment>, String> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Moment::parse(s)
                .map(Some)
                .ok_or_else(|| format!("{which} {s:?} is not a date; {accepted}")),
            Some(other) => Err(format!("{which} must be a string; {accepted}, got {other}")),
        }
    };
    let (start, end) = match value {
        Value::String(_) => (side(Some(value), "start")?, None),
        Value::Object(map) => {
            const KEYS: [&str; 6] = [
                "start",
                "end",
                "start_date",
                "end_date",
                "start_utc",
                "end_utc",
            ];
            if let Some(k) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
                return Err(format!("unknown key {k:?}; {accepted}"));
            }
            let pick = |plain: &str| {
                ["", "_date", "_utc"]
                    .iter()
                    .find_map(|suffix| map.get(&format!("{plain}{suffix}")))
            };
            let mut start = side(pick("start"), "start")?;
            let mut end = side(pick("end"), "end")?;
            // `start_utc` carries a UTC time even without a trailing "Z".
            for (m, key) in [(&mut start, "start_utc"), (&mut end, "end_utc")] {
                if let Some(m) = m.as_mut().filter(|m| m.time.is_some()) {
                    m.utc |= map.contains_key(key);
                }
            }
            (start, end)
        }
        other => return Err(format!("{accepted}, got {}", short(other))),
    };
    let Some(mut start) = start else {
        return Err(format!("a start is required; {accepted}"));
    };
    if end.is_some() && field.date_end.as_deref() == Some("disabled") {
        return Err("this date field has no end date; give only a start".to_owned());
    }
    let mut end = end;
    if field.date_time.as_deref() == Some("disabled") {
        for m in std::iter::once(&mut start).chain(end.iter_mut()) {
            if !m.is_midnight() {
                return Err(format!(
                    "this date field takes no time of day; give a date \"YYYY-MM-DD\", got {:?}",
                    m.render()
                ));
            }
            *m = m.date_only();
        }
    }
    if let Some(e) = &end {
        if e.time.is_some() != start.time.is_some() || e.utc != start.utc {
            return Err(
                "give start and end in the same form: both dates, or both dates with a time"
                    .to_owned(),
            );
        }
        if e.render() < start.render() {
            return Err(format!(
                "the end {:?} is before the start {:?}",
                e.render(),
                start.render()
            ));
        }
    }
    let (start_key, end_key) = match (&start.time, start.utc) {
        (None, _) => ("start_date", "end_date"),
        (Some(_), false) => ("start", "end"),
        (Some(_), true) => ("start_utc", "end_utc"),
    };
    let mut out = Map::new();
    out.insert(start_key.into(), json!(start.render()));
    if let Some(e) = end {
        out.insert(end_key.into(), json!(e.render()));
    }
    Ok(Value::Object(out))
}

fn references(field: &FieldDef, value: &Value) -> Result<Vec<u64>, String> {
    let ids = ids(value, &["item_id", "app_item_id"], "item id")?;
    if ids.len() > 1 && !field.multiple {
        return Err(format!(
            "only one item may be referenced, got {}",
            ids.len()
        ));
    }
    Ok(ids)
}

fn contacts(value: &Value) -> Result<Vec<u64>, String> {
    let has_user_id = as_list(value)
        .iter()
        .any(|v| v.get("user_id").is_some() && v.get("profile_id").is_none());
    if has_user_id {
        return Err(
            "contact fields take profile ids, not user ids: give {\"profile_id\": …} or the profile id"
                .to_owned(),
        );
    }
    ids(value, &["profile_id"], "profile id")
}

/// Positive ids from an id, a numeric string, an object with one of `keys`,
/// or a list of those.
pub(super) fn ids(value: &Value, keys: &[&str], what: &str) -> Result<Vec<u64>, String> {
    let objects = keys
        .iter()
        .map(|k| format!("{{\"{k}\": …}}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = Vec::new();
    for one in as_list(value) {
        let id = match one {
            Value::Object(map) => keys.iter().find_map(|k| map.get(*k)).and_then(id_of),
            other => id_of(other),
        };
        let id = id.ok_or_else(|| {
            format!(
                "expected a {what}, {objects} or a list of them, got {}",
                short(one)
            )
        })?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

fn typed_values(value: &Value, types: &[&str], what: &str) -> Result<Value, String> {
    let default = types[0];
    let accepted = format!(
        "expected {what} as a string, {{\"type\": \"{default}\", \"value\": \"…\"}} or a list of them (types: {})",
        types.join(", ")
    );
    let mut out = Vec::new();
    for one in as_list(value) {
        let (kind, text) = match one {
            Value::String(s) => (default.to_owned(), s.trim().to_owned()),
            Value::Object(map) => {
                if let Some(k) = map.keys().find(|k| *k != "type" && *k != "value") {
                    return Err(format!("unknown key {k:?}; {accepted}"));
                }
                let kind = match map.get("type") {
                    None | Some(Value::Null) => default.to_owned(),
                    Some(Value::String(t)) => t.trim().to_lowercase(),
                    Some(other) => {
                        return Err(format!("type must be a string; {accepted}, got {other}"));
                    }
                };
                let Some(text) = map.get("value").and_then(Value::as_str) else {
                    return Err(format!("{accepted}, got {}", short(one)));
                };
                (kind, text.trim().to_owned())
            }
            other => return Err(format!("{accepted}, got {}", short(other))),
        };
        if !types.contains(&kind.as_str()) {
            return Err(format!(
                "type {kind:?} is not accepted; types: {}",
                types.join(", ")
            ));
        }
        let plausible = if what.contains("e-mail") {
            text.contains('@') && !text.contains(char::is_whitespace)
        } else {
            text.chars().any(|c| c.is_ascii_digit())
        };
        if !plausible {
            return Err(format!("{text:?} is not {what}"));
        }
        out.push(json!({"type": kind, "value": text}));
    }
    Ok(Value::Array(out))
}

fn location(value: &Value) -> Result<Value, String> {
    let accepted =
        "expected an address string or {\"value\": \"address\", \"lat\": 55.67, \"lng\": 12.55}";
    match value {
        Value::String(s) => Ok(json!(s.trim())),
        Value::Object(map) => {
            if let Some(k) = map
                .keys()
                .find(|k| !["value", "lat", "lng"].contains(&k.as_str()))
            {
                return Err(format!("unknown key {k:?}; {accepted}"));
            }
            let address = map
                .get("value")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| format!("{accepted}; \"value\" (the address) is required"))?;
            let mut out = Map::new();
            out.insert("value".into(), json!(address.trim()));
            for (key, limit) in [("lat", 90.0), ("lng", 180.0)] {
                match map.get(key) {
                    None | Some(Value::Null) => {}
                    Some(v) => {
                        let n = decimal(v)
                            .filter(|n| n.as_f64().is_some_and(|f| f.abs() <= limit))
                            .ok_or_else(|| {
                                format!("{key} must be a number from -{limit} to {limit}, got {v}")
                            })?;
                        out.insert(key.into(), Value::Number(n));
                    }
                }
            }
            Ok(Value::Object(out))
        }
        other => Err(format!("{accepted}, got {}", short(other))),
    }
}

fn links(value: &Value) -> Result<Vec<Link>, String> {
    let accepted = "expected a URL (\"https://…\"), an embed id, {\"embed\": id}, {\"url\": \"https://…\"} (as get_item shows links) or a list of them";
    let url = |s: &str| {
        let url = s.trim();
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .and_then(|rest| rest.split('/').next())
            .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace));
        match host {
            Some(_) => Ok(Link::Url(url.to_owned())),
            None => Err(format!("{s:?} is not an absolute http(s) URL; {accepted}")),
        }
    };
    as_list(value)
        .into_iter()
        .map(|one| match one {
            Value::String(s) if s.trim().parse::<u64>().is_err() => url(s),
            Value::Object(map) => {
                let embed = map
                    .get("embed")
                    .and_then(|e| e.get("embed_id").and_then(id_of).or_else(|| id_of(e)))
                    .or_else(|| map.get("embed_id").and_then(id_of));
                match (embed, map.get("url").and_then(Value::as_str)) {
                    (Some(id), _) => Ok(Link::Embed(id)),
                    // A link as get_item shows it: {"url", "title"}.
                    (None, Some(s)) => url(s),
                    (None, None) => Err(format!("{accepted}, got {}", short(one))),
                }
            }
            other => id_of(other)
                .map(Link::Embed)
                .ok_or_else(|| format!("{accepted}, got {}", short(other))),
        })
        .collect()
}

fn tags(value: &Value) -> Result<Vec<String>, String> {
    as_list(value)
        .into_iter()
        .map(|v| {
            v.as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| format!("expected a tag text or a list of them, got {}", short(v)))
        })
        .collect()
}

/// The elements of a list, or the value itself as a list of one.
pub(super) fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(values) => values.iter().collect(),
        one => vec![one],
    }
}

/// A positive whole id from a number or a numeric string.
pub(super) fn id_of(value: &Value) -> Option<u64> {
    decimal(value).and_then(|n| n.as_u64()).filter(|n| *n > 0)
}
