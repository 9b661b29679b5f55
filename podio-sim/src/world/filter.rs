//! The item filter of `POST /item/app/{app_id}/filter/` (§10 of
//! podio-api.md): parsing of `filters`, sorting and paging.
//!
//! Filters are compiled into predicates first so that every bad key or value
//! is reported before any item is looked at, with a message naming the key
//! and what it accepts.

use std::cmp::Ordering;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::World;
use super::model::{App, Field, FieldKind, FieldValue, Item, View};
use super::render;
use crate::dates;
use crate::error::ApiError;

/// Items per page when the request gives no `limit`.
pub const DEFAULT_LIMIT: i64 = 30;
/// Largest accepted `limit`.
pub const MAX_LIMIT: i64 = 500;

/// The request body (unknown keys such as `remember` are ignored).
#[derive(Debug, Default, Deserialize)]
pub struct FilterRequest {
    /// Filter per field id, external id or built-in key.
    #[serde(default)]
    pub filters: Option<Value>,
    /// Sort key: a built-in name or a field id / external id.
    #[serde(default)]
    pub sort_by: Option<Value>,
    /// Descending order.
    #[serde(default)]
    pub sort_desc: Option<bool>,
    /// Page size, 1–500 (default 30).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    #[serde(default)]
    pub offset: Option<i64>,
}

/// One page of a filter result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterPage {
    /// Items in the app.
    pub total: usize,
    /// Items matching the filters.
    pub filtered: usize,
    /// Ids of the items on this page, in order.
    pub item_ids: Vec<u64>,
}

/// Built-in filter keys the simulator understands.
const BUILT_IN_FILTERS: &str = "item_id, created_on, last_edit_on, created_by";

#[derive(Debug)]
enum Predicate {
    /// The text contains this (lowercased) text.
    Text { field_id: u64, needle: String },
    /// The item is one of these.
    ItemIds(Vec<u64>),
    /// Any of these option ids is selected.
    Options { field_id: u64, ids: Vec<u64> },
    /// The numeric value lies in the range.
    Range {
        field: Field,
        from: Option<f64>,
        to: Option<f64>,
    },
    /// The start of the date lies in the range (timestamps).
    Dates {
        field_id: u64,
        from: Option<String>,
        to: Option<String>,
    },
    /// Any of these items is referenced.
    Refs { field_id: u64, ids: Vec<u64> },
    /// Any of these profiles is referenced.
    Contacts { field_id: u64, ids: Vec<u64> },
    /// Creation time in range.
    CreatedOn {
        from: Option<String>,
        to: Option<String>,
    },
    /// Last change in range.
    LastEditOn {
        from: Option<String>,
        to: Option<String>,
    },
    /// Created by one of these users.
    CreatedBy(Vec<u64>),
}

fn in_range<T: PartialOrd>(v: &T, from: Option<&T>, to: Option<&T>) -> bool {
    from.is_none_or(|f| v >= f) && to.is_none_or(|t| v <= t)
}

impl Predicate {
    fn matches(&self, item: &Item) -> bool {
        let values = |field_id: &u64| item.values.get(field_id).map(Vec::as_slice).unwrap_or(&[]);
        match self {
            Predicate::Text { field_id, needle } => values(field_id).iter().any(
                |v| matches!(v, FieldValue::Text(t) if t.to_lowercase().contains(needle.as_str())),
            ),
            Predicate::ItemIds(ids) => ids.contains(&item.item_id),
            Predicate::Options { field_id, ids } => values(field_id)
                .iter()
                .any(|v| matches!(v, FieldValue::Category(id) if ids.contains(id))),
            Predicate::Range { field, from, to } => item
                .numeric(field)
                .is_some_and(|n| in_range(&n, from.as_ref(), to.as_ref())),
            Predicate::Dates { field_id, from, to } => values(field_id).iter().any(|v| {
                matches!(v, FieldValue::Date { start, .. }
                    if in_range(&start.timestamp(), from.as_ref(), to.as_ref()))
            }),
            Predicate::Refs { field_id, ids } => values(field_id)
                .iter()
                .any(|v| matches!(v, FieldValue::AppRef(id) if ids.contains(id))),
            Predicate::Contacts { field_id, ids } => values(field_id)
                .iter()
                .any(|v| matches!(v, FieldValue::Contact(id) if ids.contains(id))),
            Predicate::CreatedOn { from, to } => {
                in_range(&item.created_on, from.as_ref(), to.as_ref())
            }
            Predicate::LastEditOn { from, to } => {
                in_range(&item.last_event_on, from.as_ref(), to.as_ref())
            }
            Predicate::CreatedBy(ids) => ids.contains(&item.created_by),
        }
    }
}

fn bad(msg: String) -> ApiError {
    ApiError::InvalidValue(msg)
}

/// An id given as a JSON integer or a decimal string.
pub(crate) fn as_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A number given as a JSON number or a decimal string.
pub(crate) fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A list of ids (a single id is accepted as a list of one).
fn id_list(key: &str, value: &Value, what: &str) -> Result<Vec<u64>, ApiError> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    items
        .into_iter()
        .map(|v| {
            as_id(v).ok_or_else(|| {
                bad(format!(
                    "filter {key:?} takes a list of {what} (integers), got {v}"
                ))
            })
        })
        .collect()
}

fn range_object<'a>(
    key: &str,
    value: &'a Value,
    example: &str,
) -> Result<&'a Map<String, Value>, ApiError> {
    let Value::Object(map) = value else {
        return Err(bad(format!(
            "filter {key:?} takes an object {{\"from\": …, \"to\": …}} such as {example}, got {value}"
        )));
    };
    if let Some(other) = map.keys().find(|k| *k != "from" && *k != "to") {
        return Err(bad(format!(
            "filter {key:?} accepts only \"from\" and \"to\", got {other:?}"
        )));
    }
    Ok(map)
}

fn number_range(key: &str, value: &Value) -> Result<(Option<f64>, Option<f64>), ApiError> {
    let map = range_object(key, value, "{\"from\": 100, \"to\": 200}")?;
    let bound = |name: &str| -> Result<Option<f64>, ApiError> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => as_number(v).map(Some).ok_or_else(|| {
                bad(format!(
                    "filter {key:?}: {name:?} must be a number, got {v}"
                ))
            }),
        }
    };
    Ok((bound("from")?, bound("to")?))
}

type TimeRange = (Option<String>, Option<String>);

fn date_range(key: &str, value: &Value) -> Result<TimeRange, ApiError> {
    let map = range_object(
        key,
        value,
        "{\"from\": \"2024-01-01\", \"to\": \"2024-01-31 23:59:59\"}",
    )?;
    let bound = |name: &str, day_end: &str| -> Result<Option<String>, ApiError> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if dates::is_timestamp(s.trim()) => {
                Ok(Some(s.trim().to_owned()))
            }
            // A bare date covers the whole day.
            Some(Value::String(s)) if dates::is_date(s.trim()) => {
                Ok(Some(format!("{} {day_end}", s.trim())))
            }
            Some(v) => Err(bad(format!(
                "filter {key:?}: {name:?} must be \"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM:SS\", got {v}"
            ))),
        }
    };
    Ok((bound("from", "00:00:00")?, bound("to", "23:59:59")?))
}

fn created_by(key: &str, value: &Value) -> Result<Vec<u64>, ApiError> {
    let Value::Array(list) = value else {
        return Err(bad(format!(
            "filter {key:?} takes a list of {{\"type\": \"user\", \"id\": …}}, got {value}"
        )));
    };
    list.iter()
        .map(|v| {
            match v {
                Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("user") => {
                    o.get("id").and_then(as_id)
                }
                other => as_id(other),
            }
            .ok_or_else(|| {
                bad(format!(
                    "filter {key:?} takes a list of {{\"type\": \"user\", \"id\": …}}, got {v}"
                ))
            })
        })
        .collect()
}

/// The text of a text filter: `{"from": "text"}` (the documented form) or
/// a plain string; matched as a case-insensitive substring.
fn text_needle(key: &str, value: &Value) -> Result<String, ApiError> {
    let text = match value {
        Value::String(s) => Some(s),
        Value::Object(map) if map.len() == 1 => match map.get("from") {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    };
    text.map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            bad(format!(
                "filter {key:?} takes {{\"from\": \"some text\"}} (or a plain string), got {value}"
            ))
        })
}

fn field_predicate(key: &str, field: &Field, value: &Value) -> Result<Predicate, ApiError> {
    let field_id = field.field_id;
    Ok(match &field.kind {
        FieldKind::Text { .. } => Predicate::Text {
            field_id,
            needle: text_needle(key, value)?,
        },
        FieldKind::Category { .. } => Predicate::Options {
            field_id,
            ids: id_list(key, value, "option ids")?,
        },
        FieldKind::App { .. } => Predicate::Refs {
            field_id,
            ids: id_list(key, value, "item ids")?,
        },
        FieldKind::Contact => Predicate::Contacts {
            field_id,
            ids: id_list(key, value, "profile ids")?,
        },
        FieldKind::Number { .. }
        | FieldKind::Money { .. }
        | FieldKind::Progress
        | FieldKind::Duration
        | FieldKind::Calculation { .. } => {
            let (from, to) = number_range(key, value)?;
            Predicate::Range {
                field: field.clone(),
                from,
                to,
            }
        }
        FieldKind::Date { .. } => {
            let (from, to) = date_range(key, value)?;
            Predicate::Dates { field_id, from, to }
        }
        FieldKind::Email
        | FieldKind::Phone
        | FieldKind::Location
        | FieldKind::Embed
        | FieldKind::Image
        | FieldKind::File => {
            return Err(bad(format!(
                "filter {key:?}: fields of type {} cannot be filtered; filterable types are text, \
                 category, app, contact, number, money, progress, duration, calculation and date",
                field.kind.type_name()
            )));
        }
    })
}

fn compile(app: &App, filters: Option<&Value>) -> Result<Vec<Predicate>, ApiError> {
    let map = match filters {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(bad(format!(
                "filters must be an object keyed by field id, external_id or built-in key, got {other}"
            )));
        }
    };
    map.iter()
        .map(|(key, value)| match key.as_str() {
            "created_on" => {
                date_range(key, value).map(|(from, to)| Predicate::CreatedOn { from, to })
            }
            "last_edit_on" => {
                date_range(key, value).map(|(from, to)| Predicate::LastEditOn { from, to })
            }
            "created_by" => created_by(key, value).map(Predicate::CreatedBy),
            "item_id" => id_list(key, value, "item ids").map(Predicate::ItemIds),
            _ => match app.field_by_key(key).filter(|f| f.active) {
                Some(field) => field_predicate(key, field, value),
                None => Err(bad(format!(
                    "filter key {key:?} is not a field id or external_id of app {} \
                     nor a supported built-in ({BUILT_IN_FILTERS})",
                    app.app_id
                ))),
            },
        })
        .collect()
}

/// What items are ordered by.
enum SortBy {
    CreatedOn,
    LastEditOn,
    Title,
    ItemId,
    AppItemId,
    Field(Field),
}

/// A sort key of one item; `Missing` always sorts last.
#[derive(PartialEq, PartialOrd)]
enum Key {
    Num(f64),
    Text(String),
    Missing,
}

const SORTABLE: &str = "created_on, last_edit_on, title, item_id, app_item_id, or the id or \
                        external_id of a text, number, money, progress, duration, calculation, date, \
                        category, app, contact or location field";

fn sort_by(app: &App, value: Option<&Value>) -> Result<SortBy, ApiError> {
    let key = match value {
        None | Some(Value::Null) => return Ok(SortBy::CreatedOn),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(bad(format!(
                "sort_by must be one of {SORTABLE}, got {other}"
            )));
        }
    };
    Ok(match key.as_str() {
        "created_on" => SortBy::CreatedOn,
        "last_edit_on" => SortBy::LastEditOn,
        "title" => SortBy::Title,
        "item_id" => SortBy::ItemId,
        "app_item_id" => SortBy::AppItemId,
        _ => match app.field_by_key(&key).filter(|f| f.active) {
            Some(field)
                if matches!(
                    field.kind,
                    FieldKind::Text { .. }
                        | FieldKind::Number { .. }
                        | FieldKind::Money { .. }
                        | FieldKind::Progress
                        | FieldKind::Duration
                        | FieldKind::Calculation { .. }
                        | FieldKind::Date { .. }
                        | FieldKind::Category { .. }
                        | FieldKind::App { .. }
                        | FieldKind::Contact
                        | FieldKind::Location
                ) =>
            {
                SortBy::Field(field.clone())
            }
            _ => {
                return Err(bad(format!(
                    "sort_by must be one of {SORTABLE}, got {key:?}"
                )));
            }
        },
    })
}

#[allow(clippy::cast_precision_loss)] // ids are far below 2^53
fn sort_key(world: &World, app: &App, item: &Item, by: &SortBy) -> Key {
    match by {
        SortBy::CreatedOn => Key::Text(item.created_on.clone()),
        SortBy::LastEditOn => Key::Text(item.last_event_on.clone()),
        SortBy::Title => Key::Text(render::title(app, item).to_lowercase()),
        SortBy::ItemId => Key::Num(item.item_id as f64),
        SortBy::AppItemId => Key::Num(item.app_item_id as f64),
        SortBy::Field(field) => {
            let first = item.values.get(&field.field_id).and_then(|v| v.first());
            match (&field.kind, first) {
                (FieldKind::Text { .. }, Some(FieldValue::Text(t))) => Key::Text(t.to_lowercase()),
                (FieldKind::Date { .. }, Some(FieldValue::Date { start, .. })) => {
                    Key::Text(start.timestamp())
                }
                // Options sort in the order the app lists them.
                (FieldKind::Category { options, .. }, Some(FieldValue::Category(id))) => options
                    .iter()
                    .position(|o| o.id == *id)
                    .map_or(Key::Missing, |p| Key::Num(p as f64)),
                (FieldKind::App { .. }, Some(FieldValue::AppRef(id))) => {
                    match (
                        world.items.get(id),
                        world.items.get(id).and_then(|i| world.apps.get(&i.app_id)),
                    ) {
                        (Some(target), Some(target_app)) => {
                            Key::Text(render::title(target_app, target).to_lowercase())
                        }
                        _ => Key::Missing,
                    }
                }
                (FieldKind::Contact, Some(FieldValue::Contact(id))) => world
                    .user_by_profile(*id)
                    .map_or(Key::Missing, |u| Key::Text(u.name.to_lowercase())),
                (FieldKind::Location, Some(FieldValue::Location(l))) => {
                    Key::Text(l.formatted().to_lowercase())
                }
                (
                    FieldKind::Number { .. }
                    | FieldKind::Money { .. }
                    | FieldKind::Progress
                    | FieldKind::Duration
                    | FieldKind::Calculation { .. },
                    _,
                ) => item.numeric(field).map_or(Key::Missing, Key::Num),
                _ => Key::Missing,
            }
        }
    }
}

fn compare(a: &Key, b: &Key, desc: bool) -> Ordering {
    match (a, b) {
        (Key::Missing, Key::Missing) => Ordering::Equal,
        (Key::Missing, _) => Ordering::Greater,
        (_, Key::Missing) => Ordering::Less,
        _ => {
            let ord = a.partial_cmp(b).unwrap_or(Ordering::Equal);
            if desc { ord.reverse() } else { ord }
        }
    }
}

/// Runs `request` over the items of `app`.
pub fn run(world: &World, app: &App, request: &FilterRequest) -> Result<FilterPage, ApiError> {
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad(format!(
            "limit must be between 1 and {MAX_LIMIT}, got {limit}"
        )));
    }
    let offset = request.offset.unwrap_or(0);
    let offset = usize::try_from(offset)
        .map_err(|_| bad(format!("offset must be 0 or more, got {offset}")))?;
    let predicates = compile(app, request.filters.as_ref())?;
    let by = sort_by(app, request.sort_by.as_ref())?;
    // Newest first unless a sort key is named; then ascending unless asked.
    let desc = request.sort_desc.unwrap_or(request.sort_by.is_none());

    let all: Vec<&Item> = world.items_of(app.app_id).collect();
    let total = all.len();
    let mut matched: Vec<(Key, &Item)> = all
        .into_iter()
        .filter(|item| predicates.iter().all(|p| p.matches(item)))
        .map(|item| (sort_key(world, app, item, &by), item))
        .collect();
    matched.sort_by(|(ka, a), (kb, b)| {
        compare(ka, kb, desc).then_with(|| {
            let ord = a.item_id.cmp(&b.item_id);
            if desc { ord.reverse() } else { ord }
        })
    });
    let filtered = matched.len();
    let item_ids = matched
        .into_iter()
        .skip(offset)
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|(_, item)| item.item_id)
        .collect();
    Ok(FilterPage {
        total,
        filtered,
        item_ids,
    })
}

/// The filter request of saved `view`: its filters and sort order, with
/// `body`'s paging. Sort keys and filters in `body` take precedence, so a
/// client can narrow a view further.
pub fn view_request(view: &View, body: FilterRequest) -> FilterRequest {
    let mut filters: Map<String, Value> = view.filters.iter().cloned().collect();
    if let Some(Value::Object(extra)) = body.filters {
        filters.extend(extra);
    }
    FilterRequest {
        filters: Some(Value::Object(filters)),
        sort_by: body
            .sort_by
            .or_else(|| view.sort_by.clone().map(Value::String)),
        // A view without a sort key keeps the default order (newest first).
        sort_desc: body
            .sort_desc
            .or(view.sort_by.is_some().then_some(view.sort_desc)),
        limit: body.limit,
        offset: body.offset,
    }
}
