//! Field definitions and field values in Podio's JSON shapes (§7.2 and
//! §7.3 of podio-api.md).

use serde_json::{Value, json};

use super::{contact, item_short};
use crate::world::World;
use crate::world::model::{DateValue, Embed, Field, FieldKind, FieldValue, FileObject, Item};

/// Formats a decimal the way Podio returns number and money values.
pub fn decimal(n: f64) -> String {
    format!("{n:.4}")
}

fn settings(world: &World, kind: &FieldKind) -> Value {
    match kind {
        FieldKind::Text { large, format } => {
            json!({"size": if *large { "large" } else { "small" }, "format": format})
        }
        FieldKind::Number { decimals } => json!({ "decimals": decimals }),
        FieldKind::Money { currencies } => json!({ "allowed_currencies": currencies }),
        FieldKind::Category { options, multiple } => json!({
            "multiple": multiple,
            "display": "inline",
            "options": options.iter().map(|o| json!({
                "id": o.id,
                "text": o.text,
                "status": if o.active { "active" } else { "deleted" },
                "color": o.color,
            })).collect::<Vec<_>>(),
        }),
        FieldKind::Date { time } => json!({
            "calendar": true,
            "end": "disabled",
            "time": if *time { "enabled" } else { "disabled" },
            "color": "DCEBD8",
        }),
        FieldKind::App {
            referenced_apps,
            multiple,
        } => json!({
            "multiple": multiple,
            "referenceable_types": [],
            "apps": referenced_apps,
            "referenced_apps": referenced_apps.iter().map(|id| {
                let app = world.apps.get(id);
                json!({
                    "app_id": id,
                    "view_id": Value::Null,
                    "app": app.map_or(Value::Null, |a| json!({
                        "app_id": a.app_id,
                        "name": a.name,
                        "item_name": a.item_name,
                        "icon": a.icon,
                        "space_id": a.space_id,
                    })),
                })
            }).collect::<Vec<_>>(),
        }),
        FieldKind::Contact => json!({
            "type": "space_users",
            "valid_types": ["user"],
        }),
        FieldKind::Email => json!({
            "size": "small",
            "include_in_cc": false,
            "include_in_bcc": false,
        }),
        FieldKind::Phone => json!({
            "possible_types": ["mobile", "work", "home", "main", "work_fax", "private_fax", "other"],
            "call_link_scheme": "tel",
        }),
        FieldKind::Location => json!({ "structured": false, "has_map": true }),
        FieldKind::Duration => json!({ "fields": ["hours", "minutes"] }),
        FieldKind::Calculation { decimals, .. } => json!({
            "return_type": "number",
            "decimals": decimals,
            "unit": Value::Null,
            "expression": Value::Null,
        }),
        FieldKind::Image => json!({ "allowed_mimetypes": ["image/*"] }),
        FieldKind::File => json!({ "allowed_mimetypes": [] }),
        FieldKind::Embed | FieldKind::Progress => Value::Null,
    }
}

/// A field's `config` object.
pub fn field_config(world: &World, field: &Field, delta: usize) -> Value {
    json!({
        "label": field.label,
        "description": field.description,
        "delta": delta,
        "required": field.required,
        "visible": true,
        "hidden": false,
        "hidden_create_view_edit": false,
        "unique": false,
        "mapping": Value::Null,
        "default_value": Value::Null,
        "settings": settings(world, &field.kind),
    })
}

/// A field definition as listed in `GET /app/{id}`.
pub fn field_definition(world: &World, field: &Field, delta: usize) -> Value {
    json!({
        "field_id": field.field_id,
        "external_id": field.external_id,
        "type": field.kind.type_name(),
        "label": field.label,
        "status": if field.active { "active" } else { "deleted" },
        "config": field_config(world, field, delta),
    })
}

fn date_parts(date: Option<&DateValue>, prefix: &str) -> Vec<(String, Value)> {
    let (full, day, time) = match date {
        Some(d) => (
            json!(d.timestamp()),
            json!(d.date),
            d.time.as_ref().map_or(Value::Null, |t| json!(t)),
        ),
        None => (Value::Null, Value::Null, Value::Null),
    };
    // Podio gives `start_utc` as a bare date for date-only values.
    let utc = match date {
        Some(d) if d.time.is_some() => json!(d.timestamp()),
        Some(d) => json!(d.date),
        None => Value::Null,
    };
    vec![
        (prefix.to_owned(), full),
        (format!("{prefix}_date"), day.clone()),
        (format!("{prefix}_time"), time.clone()),
        (format!("{prefix}_utc"), utc),
        (format!("{prefix}_date_utc"), day),
        (format!("{prefix}_time_utc"), time),
    ]
}

fn value_json(world: &World, field: &Field, value: &FieldValue) -> Value {
    match value {
        FieldValue::Text(t) => json!({ "value": t }),
        FieldValue::Number(n) => json!({ "value": decimal(*n) }),
        FieldValue::Money { amount, currency } => {
            json!({ "value": decimal(*amount), "currency": currency })
        }
        FieldValue::Category(id) => {
            let option = match &field.kind {
                FieldKind::Category { options, .. } => options.iter().find(|o| o.id == *id),
                _ => None,
            };
            match option {
                Some(o) => json!({ "value": {
                    "id": o.id,
                    "text": o.text,
                    "status": if o.active { "active" } else { "deleted" },
                    "color": o.color,
                }}),
                None => json!({ "value": { "id": id } }),
            }
        }
        FieldValue::Date { start, end } => {
            let mut map = serde_json::Map::new();
            map.extend(date_parts(Some(start), "start"));
            map.extend(date_parts(end.as_ref(), "end"));
            Value::Object(map)
        }
        FieldValue::AppRef(item_id) => match world.items.get(item_id) {
            Some(item) => json!({ "value": item_short(world, item) }),
            None => json!({ "value": { "item_id": item_id } }),
        },
        FieldValue::Contact(profile_id) => match world.user_by_profile(*profile_id) {
            Some(user) => json!({ "value": contact(user) }),
            None => json!({ "value": { "profile_id": profile_id } }),
        },
        FieldValue::Email { kind, address } => json!({ "type": kind, "value": address }),
        FieldValue::Phone { kind, number } => json!({ "type": kind, "value": number }),
        FieldValue::Location(l) => json!({
            "value": l.formatted(),
            "formatted": l.formatted(),
            "street_number": Value::Null,
            "street_name": l.street,
            "postal_code": l.postal_code,
            "city": l.city,
            "state": Value::Null,
            "country": l.country,
            "lat": l.lat,
            "lng": l.lng,
            "map_in_sync": true,
        }),
        FieldValue::Embed(e) => json!({ "embed": embed(e), "file": Value::Null }),
        FieldValue::Progress(p) => json!({ "value": p }),
        FieldValue::Duration(s) => json!({ "value": s }),
        FieldValue::File(file_id) => match world.files.get(file_id) {
            Some(f) => json!({ "value": file(f) }),
            None => json!({ "value": { "file_id": file_id } }),
        },
    }
}

/// A link embed (`POST /embed/` answer, and inside embed field values).
pub fn embed(e: &Embed) -> Value {
    json!({
        "embed_id": e.embed_id,
        "type": "link",
        "url": e.url,
        "original_url": e.url,
        "resolved_url": e.url,
        "title": e.title,
        "description": e.description,
        "hostname": e.url.split('/').nth(2).unwrap_or_default(),
        "embed_html": Value::Null,
        "embed_height": Value::Null,
        "embed_width": Value::Null,
        "created_on": Value::Null,
    })
}

/// A file as the value of an image or file field.
pub fn file(f: &FileObject) -> Value {
    let link = format!("https://files.podio.com/{}", f.file_id);
    json!({
        "file_id": f.file_id,
        "name": f.name,
        "mimetype": f.mimetype,
        "size": f.size,
        "link": link,
        "thumbnail_link": f.mimetype.starts_with("image/").then(|| format!("{link}/small")),
        "hosted_by": "podio",
        "created_on": f.created_on,
    })
}

/// The `values` array of `field` on `item`; empty when it has none.
pub fn field_values(world: &World, item: &Item, field: &Field) -> Vec<Value> {
    if matches!(field.kind, FieldKind::Calculation { .. }) {
        return item
            .numeric(field)
            .map(|n| vec![json!({ "value": decimal(n) })])
            .unwrap_or_default();
    }
    item.values
        .get(&field.field_id)
        .map(|values| values.iter().map(|v| value_json(world, field, v)).collect())
        .unwrap_or_default()
}
