//! update_item: changes some fields (and optionally the tags) of an item,
//! checked against its app's fields first; the result shows each changed
//! field before and after.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::create_item::{
    FIELDS_EXPECTED, MAX_TAG_CHARS, MAX_TAGS, field_value_forms, read_back, stored_item_schema,
};
use super::{SCOPE_WRITE, Tool, ToolOutput, ToolSpec, UPDATES, expect_object, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::display;
use crate::decode::json::{get, int_or_null, number, str_at, string_or_null};
use crate::decode::{DecodedItem, decode_item};
use crate::encode::schema::FieldDef;
use crate::encode::values::{FieldWrites, Mode};
use crate::encode::{FIELD_VALUES, field_writes};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// The update_item tool.
pub struct UpdateItem;

#[async_trait]
impl Tool for UpdateItem {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "update_item",
            title: "Update item",
            description: concat!(
                "Change one or more field values (and optionally the tags) of an existing Podio \
                item; fields not given keep their values. Give the values keyed by the field's \
                external_id (get_item shows the current values, get_app what each field \
                accepts); null or [] clears a field. Values are checked against the item's app \
                before anything is sent, and every problem is reported with what is accepted. ",
                field_value_forms!(),
                " Pass revision (from get_item or a previous update) to refuse the change if \
                someone else edited the item since; on such a conflict, read the item again with \
                get_item and retry. The result lists each changed field before and after, read \
                back from Podio."
            ),
            input_schema: schema::input(
                &[
                    (
                        "item_id",
                        schema::id(
                            "The id of the item to change (item_id, from get_items or get_item).",
                        ),
                    ),
                    (
                        "fields",
                        schema::free_object(
                            &FIELD_VALUES,
                            "The new field values, keyed by field external_id (or field_id, or label), e.g. {\"stage\": \"Won\", \"notes\": null}. Only these fields change; null or [] clears a field.",
                            "The new value for this field, or null to clear it.",
                        ),
                    ),
                    (
                        "tags",
                        schema::strings(
                            MAX_TAGS,
                            MAX_TAG_CHARS,
                            "Optional: replaces the item's tags with this list ([] removes every tag).",
                        ),
                    ),
                    (
                        "revision",
                        json!({
                            "type": "integer", "minimum": 0,
                            "description": "Optional: the revision the change is based on; Podio refuses the update if the item has changed since.",
                        }),
                    ),
                ],
                &["item_id"],
            ),
            output_schema: schema::output(&[
                ("item_id", schema::typed("integer", "The item's id.")),
                (
                    "revision",
                    schema::nullable("integer", "The item's revision after the change."),
                ),
                (
                    "title",
                    schema::nullable("string", "The item's title after the change."),
                ),
                (
                    "link",
                    schema::nullable("string", "URL of the item in Podio's web UI."),
                ),
                (
                    "changed",
                    schema::array_of(
                        schema::output(&[
                            ("field", schema::typed("string", "The field's external_id.")),
                            ("label", schema::typed("string", "The field's label.")),
                            ("type", schema::typed("string", "The field's type.")),
                            (
                                "before",
                                json!({"description": "The decoded value before the change (null when empty), as in get_item."}),
                            ),
                            (
                                "after",
                                json!({"description": "The decoded value after the change (null when empty or not read back)."}),
                            ),
                        ]),
                        "The fields given, each with its value before and after.",
                    ),
                ),
                ("item", stored_item_schema()),
            ]),
            annotations: UPDATES,
            required_scope: SCOPE_WRITE,
        }
    }

    async fn call(
        &self,
        _cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let item_id = args.id("item_id", "item id");
        let fields = args
            .opt_object("fields", FIELDS_EXPECTED, &FIELD_VALUES)
            .unwrap_or_default();
        let tags = if args.is_empty_list("tags") {
            Some(Vec::new())
        } else {
            args.opt_string_list("tags", MAX_TAGS, MAX_TAG_CHARS)
        };
        let revision = args
            .has("revision")
            .then(|| args.int_in("revision", 0, 0..=i64::MAX));
        // Fields over their bounds are already reported as such.
        if fields.is_empty() && tags.is_none() && !args.is_refused("fields") {
            args.reject(
                "fields",
                format!("expected {FIELDS_EXPECTED}; give fields, tags or both to change"),
            );
        }
        let target = Target::new(
            format!("item {item_id}"),
            "use get_items on its app to find item ids",
        );
        let checked = if args.ok_so_far() {
            let raw = podio
                .get(
                    format!("/item/{item_id}"),
                    &[("mark_as_viewed", "false".to_owned())],
                    &target,
                )
                .await?;
            let before = decode_item(expect_object(&raw, "GET /item/{item_id}")?);
            podio
                .scope()
                .check_item(podio, &raw, &format!("item {item_id}"))
                .await?;
            let app_id = get(&raw, "app")
                .and_then(|a| get(a, "app_id"))
                .and_then(number)
                .and_then(|n| n.as_u64())
                .ok_or_else(|| {
                    ToolError::Internal("podio sent an item without app.app_id".into())
                })?;
            // A tags-only change has no values to check against the app.
            let writes = if fields.is_empty() {
                FieldWrites::default()
            } else {
                field_writes(podio, &mut args, app_id, &fields, Mode::Update)
                    .await?
                    .1
            };
            Some((before, writes))
        } else {
            None
        };
        args.finish()?;
        let Some((before, writes)) = checked else {
            return Err(ToolError::Internal(
                "update_item arguments checked without the item".into(),
            ));
        };

        let written: Vec<FieldDef> = writes.fields().cloned().collect();
        let mut body = Map::new();
        let values = writes.into_podio(podio).await?;
        if !values.is_empty() {
            body.insert("fields".into(), Value::Object(values));
        }
        if let Some(tags) = tags {
            body.insert("tags".into(), json!(tags));
        }
        if let Some(revision) = revision {
            body.insert("revision".into(), json!(revision));
        }
        let target = Target::new(
            match revision {
                Some(r) => format!("item {item_id} at revision {r}"),
                None => format!("item {item_id}"),
            },
            "use get_items on its app to find item ids",
        );
        let raw = podio
            .put(format!("/item/{item_id}"), &Value::Object(body), &target)
            .await?;
        let after = read_back(podio, item_id).await;

        let value_of = |item: &DecodedItem, key: &str| {
            item.json["fields"]
                .get(key)
                .map_or(Value::Null, |f| f["value"].clone())
        };
        let changed: Vec<Value> = written
            .iter()
            .map(|f| {
                let key = f.key();
                json!({
                    "field": key,
                    "label": f.label,
                    "type": f.kind,
                    "before": value_of(&before, &key),
                    "after": after.as_ref().map_or(Value::Null, |a| value_of(a, &key)),
                })
            })
            .collect();
        let title = str_at(&raw, "title")
            .map(|t| json!(t))
            .or_else(|| after.as_ref().ok().map(|a| a.json["title"].clone()))
            .unwrap_or(Value::Null);
        let structured = json!({
            "item_id": item_id,
            "revision": int_or_null(&raw, "revision"),
            "title": title,
            "link": string_or_null(&before.json, "link"),
            "changed": changed,
            "item": after.as_ref().map_or(Value::Null, |a| a.json.clone()),
        });
        let text = render(&before, &structured, after.as_ref().err());
        Ok(ToolOutput { text, structured })
    }
}

fn render(before: &DecodedItem, result: &Value, reread_error: Option<&String>) -> String {
    let heading = before.heading();
    let revision = result["revision"]
        .as_u64()
        .map(|r| format!(", now at revision {r}"))
        .unwrap_or_default();
    let mut lines = vec![format!("Updated {heading}{revision}.")];
    let changed = result["changed"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !changed.is_empty() {
        lines.push("Changed (label (external_id): before → after):".to_owned());
    }
    for c in changed {
        let kind = c["type"].as_str().unwrap_or_default();
        let show = |v: &Value| {
            if v.is_null() {
                "(empty)".to_owned()
            } else {
                display::render(kind, v)
            }
        };
        let after = if reread_error.is_some() {
            "(not read back)".to_owned()
        } else {
            show(&c["after"])
        };
        lines.push(format!(
            "- {} ({}): {} → {after}",
            c["label"].as_str().unwrap_or_default(),
            c["field"].as_str().unwrap_or_default(),
            show(&c["before"]),
        ));
    }
    if let Some(tags) = result["item"]["tags"].as_array() {
        let tags: Vec<&str> = tags.iter().filter_map(Value::as_str).collect();
        if !tags.is_empty() {
            lines.push(format!("Tags: {}", tags.join(", ")));
        }
    }
    if let Some(e) = reread_error {
        lines.push(format!(
            "The update was saved, but reading the item back failed ({e}); use get_item to see it."
        ));
    }
    lines.join("\n")
}
