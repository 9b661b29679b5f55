//! Builders for the JSON Schemas (draft 2020-12) of tool inputs and outputs,
//! and the output shapes several tools share (items, spaces).

use serde_json::{Map, Value, json};

use crate::args::{self, ObjectBounds};

/// An input schema: a closed object whose every property has a description.
pub fn input(properties: &[(&str, Value)], required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": props(properties),
        "required": required,
        "additionalProperties": false,
    })
}

/// An output schema: an object with the given properties, all present.
pub fn output(properties: &[(&str, Value)]) -> Value {
    let required: Vec<&str> = properties.iter().map(|(name, _)| *name).collect();
    json!({
        "type": "object",
        "properties": props(properties),
        "required": required,
    })
}

fn props(properties: &[(&str, Value)]) -> Value {
    let map: Map<String, Value> = properties
        .iter()
        .map(|(name, schema)| ((*name).to_owned(), schema.clone()))
        .collect();
    Value::Object(map)
}

/// A positive integer id argument.
pub fn id(description: &str) -> Value {
    json!({"type": "integer", "minimum": 1, "description": description})
}

/// A string argument of at most `max_chars` characters: pass the constant
/// the tool checks the argument with, so the schema and the check agree.
pub fn string(max_chars: usize, description: &str) -> Value {
    json!({"type": "string", "maxLength": max_chars, "description": description})
}

/// A list argument of at most `max_items` strings of at most `max_chars`
/// characters each (the caps the tool checks with).
pub fn strings(max_items: usize, max_chars: usize, description: &str) -> Value {
    json!({
        "type": "array",
        "items": {"type": "string", "maxLength": max_chars},
        "maxItems": max_items,
        "description": description,
    })
}

/// A string argument that is one of `words`, as `Args::opt_enum` checks it.
pub fn one_of(words: &[&str], description: &str) -> Value {
    json!({
        "type": "string",
        "enum": words,
        "maxLength": args::longest(words),
        "description": description,
    })
}

/// A date argument "YYYY-MM-DD", as `Args::opt_date` checks it.
pub fn date(description: &str) -> Value {
    string(args::MAX_DATE_CHARS, description)
}

/// A date or date-and-time argument, as `Args::opt_date_time` checks it.
pub fn date_time(description: &str) -> Value {
    string(args::MAX_DATE_TIME_CHARS, description)
}

/// A free-form object argument within `bounds` (`maxProperties`; the
/// bounds inside its values, which JSON Schema cannot state for values of
/// any form, are checked by `Args::opt_object` and added to `description`),
/// each value described by `value_description`.
pub fn free_object(bounds: &ObjectBounds, description: &str, value_description: &str) -> Value {
    let description = format!(
        "{description} At most {} properties; any text in a value up to {} characters, any list up to {} values.",
        bounds.max_properties, bounds.max_string_chars, bounds.max_list_items
    );
    json!({
        "type": "object",
        "maxProperties": bounds.max_properties,
        "propertyNames": {"maxLength": bounds.max_key_chars},
        "description": description,
        "additionalProperties": {"description": value_description},
    })
}

/// A value of JSON type `ty` (e.g. "string") that may also be `null`.
pub fn nullable(ty: &str, description: &str) -> Value {
    json!({"type": [ty, "null"], "description": description})
}

/// A value of JSON type `ty`.
pub fn typed(ty: &str, description: &str) -> Value {
    json!({"type": ty, "description": description})
}

/// A `created_on` output property: a UTC timestamp or null.
pub fn created_on() -> Value {
    nullable(
        "string",
        "When it was created, \"YYYY-MM-DD HH:MM:SS\" UTC.",
    )
}

/// A `created_by` output property: the creator's name or null.
pub fn created_by() -> Value {
    nullable("string", "Name of who created it.")
}

/// An array whose items follow `items`.
pub fn array_of(items: Value, description: &str) -> Value {
    json!({"type": "array", "items": items, "description": description})
}

/// A decoded item, as returned by get_item and in get_items' list.
pub fn item() -> Value {
    output(&item_properties())
}

/// The properties of a decoded item.
pub fn item_properties() -> Vec<(&'static str, Value)> {
    vec![
        (
            "item_id",
            nullable(
                "integer",
                "The item's id, unique across Podio; use it with get_item.",
            ),
        ),
        (
            "app_item_id",
            nullable(
                "integer",
                "The item's number within its app, as shown in Podio's web UI.",
            ),
        ),
        ("title", nullable("string", "The item's title.")),
        (
            "link",
            nullable("string", "URL of the item in Podio's web UI."),
        ),
        (
            "app",
            json!({
                "type": ["object", "null"],
                "description": "The app the item belongs to (null in get_items, where the app is the one asked for).",
                "properties": {
                    "app_id": nullable("integer", "The app's id."),
                    "name": nullable("string", "The app's name."),
                    "item_name": nullable("string", "What one item of the app is called, e.g. \"Deal\"."),
                },
            }),
        ),
        (
            "created_on",
            nullable(
                "string",
                "When the item was created, \"YYYY-MM-DD HH:MM:SS\" UTC.",
            ),
        ),
        (
            "created_by",
            nullable("string", "Name of the user or app that created the item."),
        ),
        (
            "last_event_on",
            nullable(
                "string",
                "When the item last changed, \"YYYY-MM-DD HH:MM:SS\" UTC.",
            ),
        ),
        (
            "tags",
            array_of(json!({"type": "string"}), "The item's tags."),
        ),
        (
            "comment_count",
            nullable("integer", "How many comments the item has."),
        ),
        ("fields", fields()),
    ]
}

fn fields() -> Value {
    json!({
        "type": "object",
        "description": "The item's field values keyed by field external_id (fields without a value are absent).",
        "additionalProperties": {
            "type": "object",
            "required": ["field_id", "label", "type", "value"],
            "properties": {
                "field_id": nullable("integer", "The field's id."),
                "label": typed("string", "The field's label."),
                "type": typed("string", "Podio's field type: text, number, money, category, date, app, contact, email, phone, location, duration, progress, calculation, embed, image, file, tag, ..."),
                "value": {
                    "description": "The decoded value. text: string; number, progress: number; duration: seconds; money: {value, currency}; category: [{id, text}]; date: {start, end} (\"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM:SS\", end may be null); app: [{item_id, title, app_id, app_name}]; contact: [{profile_id, user_id, name}]; email, phone: [{type, value}]; location: address string; calculation: number, string or date; embed: [{url, title}]; image, file: [{file_id, name, link}]; tag: [string]; other types: Podio's raw values."
                },
                "lat": typed("number", "Location fields: latitude, when known."),
                "lng": typed("number", "Location fields: longitude, when known."),
            },
        },
    })
}

/// A workspace, as returned by get_organizations and
/// get_spaces_in_organization.
pub fn space() -> Value {
    output(&[
        (
            "space_id",
            nullable(
                "integer",
                "The workspace's id; use it with get_apps_in_space.",
            ),
        ),
        ("name", nullable("string", "The workspace's name.")),
        (
            "url",
            nullable("string", "URL of the workspace in Podio's web UI."),
        ),
        (
            "role",
            nullable(
                "string",
                "The connected user's role in it: admin, regular or light.",
            ),
        ),
        (
            "privacy",
            nullable(
                "string",
                "open (anyone in the organization may join) or closed.",
            ),
        ),
    ])
}

/// A page-size argument: an integer from 1 to `max`, defaulting to `default`;
/// `what` names the listed objects, e.g. "members".
pub fn limit(default: i64, max: i64, what: &str) -> Value {
    json!({
        "type": "integer", "minimum": 1, "maximum": max, "default": default,
        "description": format!("How many {what} to return, 1 to {max}. Default {default}."),
    })
}

/// A paging offset argument; `what` names the listed objects.
pub fn offset(what: &str) -> Value {
    json!({
        "type": "integer", "minimum": 0, "default": 0,
        "description": format!("How many {what} to skip, for paging: pass the previous result's next_offset. Default 0."),
    })
}
