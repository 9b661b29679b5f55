//! Item writes: `POST /item/app/{app_id}/` and `PUT /item/{item_id}` (§8 of
//! podio-api.md).
//!
//! A request body is parsed and checked against the app's active fields in
//! full before anything is stored ([`parse`]), so a rejected write changes
//! nothing. Each field value may come in any of Podio's four shapes: a list
//! of sub-value objects, a list of plain values, one sub-value object, or one
//! plain value. Errors name the field (external id and label) and say what
//! the field accepts.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::filter::{as_id, as_number};
use super::model::{App, DateValue, Field, FieldKind, FieldValue, Item, Location};
use super::{Caller, World};
use crate::dates;
use crate::error::ApiError;

/// Whether a write creates an item or updates one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST /item/app/{app_id}/`: required fields must be given.
    Create,
    /// `PUT /item/{item_id}`: only the given fields change.
    Update,
}

/// A validated write, ready to apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemWrite {
    /// New values per field id; an empty list clears the field.
    pub values: BTreeMap<u64, Vec<FieldValue>>,
    /// New tags, when given.
    pub tags: Option<Vec<String>>,
    /// New external id (`Some(None)` clears it), when given.
    pub external_id: Option<Option<String>>,
    /// The revision the client based an update on, when given.
    pub revision: Option<u64>,
}

/// Top-level body keys Podio documents for item create and update. Those
/// the simulator does not model (files, reminders, recurrence, …) are
/// accepted and ignored.
const BODY_KEYS: [&str; 9] = [
    "fields",
    "tags",
    "external_id",
    "revision",
    "file_ids",
    "reminder",
    "recurrence",
    "linked_account_id",
    "ref",
];

const EMAIL_TYPES: [&str; 3] = ["work", "home", "other"];
const PHONE_TYPES: [&str; 7] = [
    "mobile",
    "work",
    "home",
    "main",
    "work_fax",
    "private_fax",
    "other",
];

fn bad(msg: String) -> ApiError {
    ApiError::InvalidValue(msg)
}

/// Parses and validates a create or update body for `app`.
pub fn parse(
    world: &World,
    caller: Caller,
    app: &App,
    body: &Value,
    mode: Mode,
) -> Result<ItemWrite, ApiError> {
    let Value::Object(body) = body else {
        return Err(bad(format!(
            "the body must be a json object with \"fields\" (keyed by field external_id or \
             field_id), and optionally \"tags\" and \"external_id\"; got {body}"
        )));
    };
    if let Some(key) = body.keys().find(|k| !BODY_KEYS.contains(&k.as_str())) {
        return Err(bad(format!(
            "unknown key {key:?} in the item body; accepted keys: {}",
            BODY_KEYS.join(", ")
        )));
    }
    let mut write = ItemWrite {
        values: parse_fields(world, caller, app, body.get("fields"))?,
        tags: body.get("tags").map(parse_tags).transpose()?,
        external_id: body.get("external_id").map(parse_external_id).transpose()?,
        revision: None,
    };
    if let Some(revision) = body.get("revision") {
        if mode == Mode::Create {
            return Err(bad(
                "\"revision\" is only accepted when updating an item".to_owned()
            ));
        }
        write.revision = Some(as_id(revision).ok_or_else(|| {
            bad(format!(
                "\"revision\" must be the item's current revision number, got {revision}"
            ))
        })?);
    }
    if mode == Mode::Create {
        let missing: Vec<String> = app
            .fields
            .iter()
            .filter(|f| f.active && f.required)
            .filter(|f| write.values.get(&f.field_id).is_none_or(Vec::is_empty))
            .map(|f| format!("{:?} ({})", f.external_id, f.label))
            .collect();
        if !missing.is_empty() {
            return Err(bad(format!(
                "required fields have no value: {}",
                missing.join(", ")
            )));
        }
    }
    if let Some(field) = app
        .fields
        .iter()
        .find(|f| f.required && write.values.get(&f.field_id).is_some_and(Vec::is_empty))
    {
        return Err(bad(format!(
            "field {:?} ({}) is required and cannot be cleared",
            field.external_id, field.label
        )));
    }
    Ok(write)
}

fn field_names(app: &App) -> String {
    app.fields
        .iter()
        .filter(|f| f.active)
        .map(|f| format!("{} ({})", f.external_id, f.field_id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_fields(
    world: &World,
    caller: Caller,
    app: &App,
    fields: Option<&Value>,
) -> Result<BTreeMap<u64, Vec<FieldValue>>, ApiError> {
    // The verbose form some SDKs send: [{"external_id"|"field_id": k, "values": [..]}].
    let pairs: Vec<(String, &Value)> = match fields {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|entry| {
                let key = entry
                    .get("external_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| {
                        entry
                            .get("field_id")
                            .and_then(as_id)
                            .map(|id| id.to_string())
                    });
                match (key, entry.get("values")) {
                    (Some(key), Some(values)) => Ok((key, values)),
                    _ => Err(bad(format!(
                        "each element of a \"fields\" list needs \"external_id\" or \"field_id\" \
                         and \"values\", got {entry}"
                    ))),
                }
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(bad(format!(
                "\"fields\" must be an object keyed by field external_id or field_id, got {other}"
            )));
        }
    };
    let mut values = BTreeMap::new();
    for (key, value) in pairs {
        let field = app.field_by_key(&key).filter(|f| f.active).ok_or_else(|| {
            bad(format!(
                "unknown field {key:?}: app {} has no active field with that external_id or \
                     field_id; its fields are: {}",
                app.app_id,
                field_names(app)
            ))
        })?;
        let parsed = parse_field(world, caller, app, field, value).map_err(|problem| {
            bad(format!(
                "invalid value for field {}: {problem}",
                about(field)
            ))
        })?;
        if values.insert(field.field_id, parsed).is_some() {
            return Err(bad(format!(
                "field {} is given twice (by external_id and by field_id)",
                about(field)
            )));
        }
    }
    Ok(values)
}

/// How errors name a field: `"seats" (Seats, number)`.
fn about(field: &Field) -> String {
    format!(
        "{:?} ({}, {})",
        field.external_id,
        field.label,
        field.kind.type_name()
    )
}

fn parse_tags(value: &Value) -> Result<Vec<String>, ApiError> {
    let list = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(list) => list,
        other => {
            return Err(bad(format!(
                "\"tags\" must be a list of strings, got {other}"
            )));
        }
    };
    list.iter()
        .map(|t| match t {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            other => Err(bad(format!(
                "\"tags\" must be a list of non-empty strings, got {other}"
            ))),
        })
        .collect()
}

fn parse_external_id(value: &Value) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(bad(format!(
            "\"external_id\" must be a string or null, got {other}"
        ))),
    }
}

/// The elements of a field value: `null` and `[]` are none, a list is its
/// elements, anything else is one element.
fn elements(value: &Value) -> Vec<&Value> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    }
}

/// `el` with a `{"value": …}` wrapper removed.
fn unwrap_value(el: &Value) -> &Value {
    match el {
        Value::Object(map) if map.len() == 1 => map.get("value").unwrap_or(el),
        _ => el,
    }
}

/// An id given plainly, as `{"value": id}`, or in the shape Podio returns
/// (`{"value": {"item_id": id}}`, `{"item_id": id}`) under one of `keys`.
fn id_in(el: &Value, keys: &[&str]) -> Option<u64> {
    match el {
        Value::Object(map) => match map.get("value") {
            Some(inner) => id_in(inner, keys),
            None => keys.iter().find_map(|k| map.get(*k)).and_then(as_id),
        },
        other => as_id(other),
    }
}

fn parse_field(
    world: &World,
    caller: Caller,
    app: &App,
    field: &Field,
    value: &Value,
) -> Result<Vec<FieldValue>, String> {
    if matches!(field.kind, FieldKind::Calculation { .. }) {
        return Err(
            "calculation fields are read-only: Podio computes them, leave them out".to_owned(),
        );
    }
    let els = elements(value);
    let single = match &field.kind {
        FieldKind::Category { multiple, .. } | FieldKind::App { multiple, .. } => !multiple,
        FieldKind::Text { .. }
        | FieldKind::Number { .. }
        | FieldKind::Money { .. }
        | FieldKind::Date { .. }
        | FieldKind::Location
        | FieldKind::Progress
        | FieldKind::Duration => true,
        _ => false,
    };
    if single && els.len() > 1 {
        return Err(format!("takes one value, got {} values", els.len()));
    }
    let mut out = Vec::with_capacity(els.len());
    for el in els {
        if let Some(v) = parse_one(world, caller, app, field, el)?
            && !out.contains(&v)
        {
            out.push(v);
        }
    }
    Ok(out)
}

/// One value of `field`; `None` for an empty text (which clears).
fn parse_one(
    world: &World,
    caller: Caller,
    app: &App,
    field: &Field,
    el: &Value,
) -> Result<Option<FieldValue>, String> {
    Ok(Some(match &field.kind {
        FieldKind::Text { .. } => match unwrap_value(el) {
            Value::String(s) if s.trim().is_empty() => return Ok(None),
            Value::String(s) => FieldValue::Text(s.clone()),
            other => return Err(format!("expected a string, got {other}")),
        },
        FieldKind::Number { .. } => {
            let v = unwrap_value(el);
            FieldValue::Number(
                as_number(v)
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| format!("expected a number such as 12.5, got {v}"))?,
            )
        }
        FieldKind::Money { currencies } => money(el, currencies)?,
        FieldKind::Progress => {
            let v = unwrap_value(el);
            let n = whole(v).ok_or_else(|| {
                format!("expected a whole number from 0 to 100 (percent), got {v}")
            })?;
            FieldValue::Progress(
                u8::try_from(n)
                    .ok()
                    .filter(|p| *p <= 100)
                    .ok_or_else(|| format!("progress must be from 0 to 100, got {n}"))?,
            )
        }
        FieldKind::Duration => {
            let v = unwrap_value(el);
            FieldValue::Duration(whole(v).ok_or_else(|| {
                format!("expected a whole number of seconds (0 or more), got {v}")
            })?)
        }
        FieldKind::Category { options, .. } => {
            let active: Vec<String> = options
                .iter()
                .filter(|o| o.active)
                .map(|o| format!("{} ({})", o.id, o.text))
                .collect();
            let id = id_in(el, &["id"]).ok_or_else(|| {
                format!(
                    "expected an option id (integer); options: {}; got {el}",
                    active.join(", ")
                )
            })?;
            if !options.iter().any(|o| o.active && o.id == id) {
                return Err(format!(
                    "{id} is not an option of this field; options: {}",
                    active.join(", ")
                ));
            }
            FieldValue::Category(id)
        }
        FieldKind::Date { time } => date(el, *time)?,
        FieldKind::App {
            referenced_apps, ..
        } => {
            let names: Vec<String> = referenced_apps
                .iter()
                .map(|id| {
                    world
                        .apps
                        .get(id)
                        .map_or_else(|| id.to_string(), |a| format!("{} ({id})", a.name))
                })
                .collect();
            let id = id_in(el, &["item_id"])
                .ok_or_else(|| format!("expected an item id (integer), got {el}"))?;
            let reachable = world.items.get(&id).is_some_and(|item| {
                referenced_apps.contains(&item.app_id)
                    && world
                        .apps
                        .get(&item.app_id)
                        .is_some_and(|a| world.can_see_app(caller, a))
            });
            if !reachable {
                return Err(format!(
                    "item {id} is not an item of the referenced app(s) {}",
                    names.join(", ")
                ));
            }
            FieldValue::AppRef(id)
        }
        FieldKind::Contact => {
            let id = id_in(el, &["profile_id"])
                .ok_or_else(|| format!("expected a profile id (integer), got {el}"))?;
            let user = world.user_by_profile(id).ok_or_else(|| {
                format!("{id} is not a profile id (contact fields take profile_id, not user_id)")
            })?;
            let space = world.spaces.get(&app.space_id);
            if space.and_then(|s| s.role_of(user.user_id)).is_none() {
                return Err(format!(
                    "profile {id} ({}) is not a member of workspace {}",
                    user.name,
                    space.map_or("?", |s| s.name.as_str())
                ));
            }
            FieldValue::Contact(id)
        }
        FieldKind::Email => {
            let (kind, address) = typed_text(el, &EMAIL_TYPES)?;
            if !address.contains('@') || address.contains(char::is_whitespace) {
                return Err(format!("{address:?} is not an e-mail address"));
            }
            FieldValue::Email { kind, address }
        }
        FieldKind::Phone => {
            let (kind, number) = typed_text(el, &PHONE_TYPES)?;
            if !number.chars().any(|c| c.is_ascii_digit()) {
                return Err(format!("{number:?} is not a phone number"));
            }
            FieldValue::Phone { kind, number }
        }
        FieldKind::Location => location(el)?,
        FieldKind::Embed => {
            let id = match el {
                Value::Object(map) => map
                    .get("embed")
                    .and_then(|e| id_in(e, &["embed_id"]))
                    .or_else(|| map.get("embed_id").and_then(as_id)),
                other => as_id(other),
            }
            .ok_or_else(|| {
                format!(
                    "expected an embed id; create one from a URL with POST /embed/ \
                     {{\"url\": \"https://…\"}} and send its embed_id; got {el}"
                )
            })?;
            let embed = world
                .embeds
                .get(&id)
                .ok_or_else(|| format!("{id} is not an embed id; create one with POST /embed/"))?;
            FieldValue::Embed(embed.clone())
        }
        FieldKind::Image | FieldKind::File => {
            let id = id_in(el, &["file_id"])
                .ok_or_else(|| format!("expected a file id (integer), got {el}"))?;
            let file = world
                .files
                .get(&id)
                .ok_or_else(|| format!("{id} is not a file id"))?;
            if field.kind.type_name() == "image" && !file.mimetype.starts_with("image/") {
                return Err(format!(
                    "file {id} ({}) is {}, not an image",
                    file.name, file.mimetype
                ));
            }
            FieldValue::File(id)
        }
        FieldKind::Calculation { .. } => return Err("calculation fields are read-only".to_owned()),
    }))
}

/// A non-negative whole number (`60`, `60.0` or `"60"`).
fn whole(v: &Value) -> Option<u64> {
    let n = as_number(v)?;
    // Checked integral and in range, so the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (n.fract() == 0.0 && (0.0..9.0e15).contains(&n)).then_some(n as u64)
}

fn money(el: &Value, currencies: &[String]) -> Result<FieldValue, String> {
    let allowed = currencies.join(", ");
    let (amount, currency) = match el {
        Value::Object(map) => {
            if let Some(k) = map.keys().find(|k| *k != "value" && *k != "currency") {
                return Err(format!(
                    "money takes {{\"value\": \"12.50\", \"currency\": \"{}\"}}, got key {k:?}",
                    currencies.first().map_or("EUR", String::as_str)
                ));
            }
            (map.get("value"), map.get("currency"))
        }
        plain => (Some(plain), None),
    };
    let amount = amount
        .and_then(as_number)
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("expected an amount such as {{\"value\": \"12.50\", \"currency\": \"{}\"}}, got {el}", currencies.first().map_or("EUR", String::as_str)))?;
    let currency = match currency {
        Some(Value::String(c)) => c.trim().to_uppercase(),
        // With one allowed currency there is nothing to choose.
        None if currencies.len() == 1 => currencies[0].clone(),
        None => return Err(format!("\"currency\" is required; allowed: {allowed}")),
        Some(other) => return Err(format!("\"currency\" must be a string, got {other}")),
    };
    if !currencies.contains(&currency) {
        return Err(format!(
            "currency {currency:?} is not allowed; allowed: {allowed}"
        ));
    }
    Ok(FieldValue::Money { amount, currency })
}

/// A `(type, value)` pair of an e-mail or phone value, from
/// `{"type": "work", "value": "…"}` or a plain string (type `other`).
fn typed_text(el: &Value, types: &[&str]) -> Result<(String, String), String> {
    let (kind, text) = match el {
        Value::String(s) => ("other".to_owned(), s.trim().to_owned()),
        Value::Object(map) => {
            let kind = match map.get("type") {
                None | Some(Value::Null) => "other".to_owned(),
                Some(Value::String(t)) => t.clone(),
                Some(other) => return Err(format!("\"type\" must be a string, got {other}")),
            };
            match map.get("value") {
                Some(Value::String(s)) => (kind, s.trim().to_owned()),
                _ => {
                    return Err(format!(
                        "expected {{\"type\": \"{}\", \"value\": \"…\"}}, got {el}",
                        types[0]
                    ));
                }
            }
        }
        other => {
            return Err(format!(
                "expected {{\"type\": \"{}\", \"value\": \"…\"}} or a string, got {other}",
                types[0]
            ));
        }
    };
    if !types.contains(&kind.as_str()) {
        return Err(format!(
            "type {kind:?} is not accepted; types: {}",
            types.join(", ")
        ));
    }
    Ok((kind, text))
}

fn location(el: &Value) -> Result<FieldValue, String> {
    // Keys of the returned shape are tolerated so a read value can be sent
    // back; Podio derives the address parts from `value` itself.
    const KEYS: [&str; 11] = [
        "value",
        "formatted",
        "lat",
        "lng",
        "street_number",
        "street_name",
        "postal_code",
        "city",
        "state",
        "country",
        "map_in_sync",
    ];
    let (address, map) = match el {
        Value::String(s) => (s.trim().to_owned(), None),
        Value::Object(map) => match map.get("value") {
            Some(Value::String(s)) => (s.trim().to_owned(), Some(map)),
            _ => {
                return Err(format!(
                    "expected an address string or {{\"value\": \"address\", \"lat\": …, \"lng\": …}}, got {el}"
                ));
            }
        },
        other => return Err(format!("expected an address string, got {other}")),
    };
    if address.is_empty() {
        return Err("the address is empty".to_owned());
    }
    let coordinate =
        |map: &Map<String, Value>, key: &str, limit: f64| -> Result<Option<f64>, String> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => as_number(v)
                    .filter(|n| n.abs() <= limit)
                    .map(Some)
                    .ok_or_else(|| {
                        format!("{key:?} must be a number from -{limit} to {limit}, got {v}")
                    }),
            }
        };
    let (lat, lng) = match map {
        Some(map) => {
            if let Some(k) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
                return Err(format!("unknown key {k:?}; accepted: value, lat, lng"));
            }
            (
                coordinate(map, "lat", 90.0)?,
                coordinate(map, "lng", 180.0)?,
            )
        }
        None => (None, None),
    };
    Ok(FieldValue::Location(Location {
        street: address,
        postal_code: String::new(),
        city: String::new(),
        country: String::new(),
        lat,
        lng,
    }))
}

/// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS`, checked
/// against the calendar.
fn moment(text: &str) -> Option<DateValue> {
    let text = text.trim();
    let (day, time) = match text.split_once(' ') {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    valid_day(day)?;
    let time = match time {
        None => None,
        Some(t) => Some(clock(t)?),
    };
    Some(DateValue {
        date: day.to_owned(),
        time,
    })
}

fn valid_day(day: &str) -> Option<()> {
    if !dates::is_date(day) {
        return None;
    }
    let year: i64 = day[..4].parse().ok()?;
    let month: i64 = day[5..7].parse().ok()?;
    let dom: i64 = day[8..].parse().ok()?;
    // Round-tripping through the day count rejects 2024-02-30 and month 13.
    (dates::date_from_days(dates::days_from_date(year, month, dom)) == day).then_some(())
}

/// `HH:MM` or `HH:MM:SS` as `HH:MM:SS`.
fn clock(t: &str) -> Option<String> {
    let parts: Vec<&str> = t.split(':').collect();
    let nums: Vec<u32> = parts
        .iter()
        .map(|p| (p.len() == 2).then(|| p.parse().ok()).flatten())
        .collect::<Option<_>>()?;
    match nums.as_slice() {
        [h, m] if *h < 24 && *m < 60 => Some(format!("{h:02}:{m:02}:00")),
        [h, m, s] if *h < 24 && *m < 60 && *s < 60 => Some(format!("{h:02}:{m:02}:{s:02}")),
        _ => None,
    }
}

/// Keys of a date value; the `_date_utc`/`_time_utc` ones are tolerated so
/// a value read from an item can be sent back unchanged.
const DATE_KEYS: [&str; 12] = [
    "start",
    "start_date",
    "start_time",
    "start_utc",
    "end",
    "end_date",
    "end_time",
    "end_utc",
    "start_date_utc",
    "start_time_utc",
    "end_date_utc",
    "end_time_utc",
];

fn date(el: &Value, with_time: bool) -> Result<FieldValue, String> {
    const EXPECTED: &str = "expected {\"start_date\": \"YYYY-MM-DD\"}, {\"start\": \"YYYY-MM-DD HH:MM:SS\"}, \
         {\"start_utc\": …} (each optionally with an end) or a \"YYYY-MM-DD[ HH:MM:SS]\" string";
    let (start, end) = match el {
        Value::String(s) => (
            Some(moment(s).ok_or_else(|| format!("{EXPECTED}; got {s:?}"))?),
            None,
        ),
        Value::Object(map) => {
            if let Some(k) = map.keys().find(|k| !DATE_KEYS.contains(&k.as_str())) {
                return Err(format!("unknown key {k:?}; {EXPECTED}"));
            }
            (date_side(map, "start")?, date_side(map, "end")?)
        }
        other => return Err(format!("{EXPECTED}; got {other}")),
    };
    let start = start.ok_or_else(|| format!("a start is required; {EXPECTED}"))?;
    // A field without time of day keeps only the date, as Podio does.
    let strip = |d: DateValue| {
        if with_time {
            d
        } else {
            DateValue {
                date: d.date,
                time: None,
            }
        }
    };
    let (start, end) = (strip(start), end.map(strip));
    if let Some(end) = &end
        && end.timestamp() < start.timestamp()
    {
        return Err(format!(
            "the end {} is before the start {}",
            end.timestamp(),
            start.timestamp()
        ));
    }
    Ok(FieldValue::Date { start, end })
}

/// The start or end of a date object. The user's zone is UTC in the
/// simulator, so `_utc` and local forms mean the same instant.
fn date_side(map: &Map<String, Value>, side: &str) -> Result<Option<DateValue>, String> {
    let text = |key: String| -> Result<Option<String>, String> {
        match map.get(&key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("{key:?} must be a string, got {other}")),
        }
    };
    let full = match text(format!("{side}_utc"))? {
        Some(v) => Some((format!("{side}_utc"), v)),
        None => text(side.to_owned())?.map(|v| (side.to_owned(), v)),
    };
    if let Some((key, v)) = full {
        return moment(&v).map(Some).ok_or_else(|| {
            format!("{key:?} must be \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM:SS\", got {v:?}")
        });
    }
    let day = match text(format!("{side}_date"))? {
        Some(d) => Some(d),
        None => text(format!("{side}_date_utc"))?,
    };
    let Some(day) = day else {
        return match text(format!("{side}_time"))? {
            Some(_) => Err(format!("\"{side}_time\" needs \"{side}_date\"")),
            None => Ok(None),
        };
    };
    if valid_day(day.trim()).is_none() {
        return Err(format!(
            "\"{side}_date\" must be a calendar date \"YYYY-MM-DD\", got {day:?}"
        ));
    }
    let time = match text(format!("{side}_time"))? {
        None => None,
        Some(t) => Some(clock(&t).ok_or_else(|| {
            format!("\"{side}_time\" must be \"HH:MM\" or \"HH:MM:SS\", got {t:?}")
        })?),
    };
    Ok(Some(DateValue {
        date: day.trim().to_owned(),
        time,
    }))
}

impl World {
    /// Stores a new item in `app_id` made from a validated write; returns
    /// its id. `caller` becomes the creator (an app token's app owner, with
    /// the app shown as author).
    pub fn create_item(&mut self, app_id: u64, caller: Caller, write: ItemWrite, now: &str) -> u64 {
        let item_id = self.items.keys().next_back().map_or(1, |id| id + 1);
        let app_item_id = self
            .items_of(app_id)
            .map(|i| i.app_item_id)
            .max()
            .unwrap_or(0)
            + 1;
        let (created_by, created_by_app) = match caller {
            Caller::User(user_id) => (user_id, None),
            Caller::App(id) => (self.apps.get(&id).map_or(0, |a| a.owner), Some(id)),
        };
        let item = Item {
            item_id,
            app_id,
            app_item_id,
            created_on: now.to_owned(),
            created_by,
            last_event_on: now.to_owned(),
            revision: 0,
            values: write
                .values
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect(),
            external_id: write.external_id.flatten(),
            tags: write.tags.unwrap_or_default(),
            created_by_app,
        };
        self.items.insert(item_id, item);
        item_id
    }

    /// Applies a validated write to item `item_id`. The revision goes up by
    /// one when something changed; a stale `revision` in the write is a
    /// conflict. Returns the item's revision afterwards.
    pub fn update_item(
        &mut self,
        item_id: u64,
        write: ItemWrite,
        now: &str,
    ) -> Result<u64, ApiError> {
        let item = self.items.get_mut(&item_id).ok_or(ApiError::NotFound)?;
        if let Some(revision) = write.revision.filter(|r| *r != item.revision) {
            return Err(ApiError::Conflict(format!(
                "the item was changed since revision {revision}; its current revision is {}",
                item.revision
            )));
        }
        let mut changed = false;
        for (field_id, values) in write.values {
            let old = if values.is_empty() {
                item.values.remove(&field_id)
            } else {
                item.values.insert(field_id, values.clone())
            };
            changed |= old.as_ref() != (!values.is_empty()).then_some(&values);
        }
        if let Some(tags) = write.tags.filter(|t| *t != item.tags) {
            item.tags = tags;
            changed = true;
        }
        if let Some(external_id) = write.external_id.filter(|e| *e != item.external_id) {
            item.external_id = external_id;
            changed = true;
        }
        if changed {
            item.revision += 1;
            now.clone_into(&mut item.last_event_on);
        }
        Ok(item.revision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_checked_against_the_calendar() {
        assert_eq!(
            moment("2024-02-29 14:05"),
            Some(DateValue {
                date: "2024-02-29".to_owned(),
                time: Some("14:05:00".to_owned())
            })
        );
        assert!(moment("2023-02-29").is_none());
        assert!(moment("2024-13-01").is_none());
        assert!(moment("2024-01-01 24:00").is_none());
        assert!(moment("2024-01-01T10:00:00").is_none());
    }

    #[test]
    fn whole_numbers_accept_integral_forms_only() {
        assert_eq!(whole(&serde_json::json!(60)), Some(60));
        assert_eq!(whole(&serde_json::json!(60.0)), Some(60));
        assert_eq!(whole(&serde_json::json!("60")), Some(60));
        assert_eq!(whole(&serde_json::json!(60.5)), None);
        assert_eq!(whole(&serde_json::json!(-1)), None);
    }
}
