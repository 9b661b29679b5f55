//! create_item: a new item in an app, its values checked against the app's
//! fields first, then read back so the result shows what Podio stored.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::{CREATES, SCOPE_WRITE, Tool, ToolOutput, ToolSpec, expect_object, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::json::{get, int_or_null, number, string_or_null};
use crate::decode::{DecodedItem, decode_item};
use crate::encode::values::Mode;
use crate::encode::{AppSchema, FIELD_VALUES, field_writes};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Longest tag or external_id accepted.
pub(super) const MAX_TAG_CHARS: usize = 200;
/// Most tags on one item.
pub(super) const MAX_TAGS: usize = 100;

/// What the `fields` argument accepts, shared by create_item and update_item
/// (a macro so it can be part of their `concat!`ed descriptions).
macro_rules! field_value_forms {
    () => {
        "Values per field type: text \"string\"; number 12.5; money {\"value\": 4999.99, \
        \"currency\": \"USD\"} or a plain amount in the field's first currency; category an \
        option id, an option label or a list of them; date \"2026-06-30\", \"2026-06-30 14:00\" \
        or {\"start\": …, \"end\": …}; app reference an item id or a list of item ids; contact a \
        profile id (not a user id) or a list; email/phone \"a@b.com\" or [{\"type\": \"work\", \
        \"value\": …}]; location an address string or {\"value\", \"lat\", \"lng\"}; duration \
        seconds or \"HH:MM\"; progress 0-100; link a URL; image/file a file id. Calculation \
        fields are read-only."
    };
}
pub(super) use field_value_forms;

/// The create_item tool.
pub struct CreateItem;

#[async_trait]
impl Tool for CreateItem {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "create_item",
            title: "Create item",
            description: concat!(
                "Create a new item in a Podio app. Give the field values keyed by the field's \
                external_id (get_app lists the fields, their types, category options and which \
                are required). Values are checked against the app before anything is sent: an \
                unknown field, an unknown category option, a value of the wrong form or a missing \
                required field is reported with what is accepted, and nothing is created. ",
                field_value_forms!(),
                " After creating, the item is read back once so the result shows the values \
                Podio stored (item is null if that read failed; the item was still created, so \
                do not create it again)."
            ),
            input_schema: schema::input(
                &[
                    (
                        "app_id",
                        schema::id(
                            "The id of the app to add the item to (from get_apps_in_space).",
                        ),
                    ),
                    ("fields", {
                        let mut fields = schema::free_object(
                            &FIELD_VALUES,
                            "The field values, keyed by field external_id (or field_id, or label), e.g. {\"title\": \"Acme Corp\", \"stage\": \"Lead\", \"close-date\": \"2026-06-30\"}. Every required field must be given. Call get_app to learn the fields.",
                            "The value for this field, in one of the forms listed in the tool description.",
                        );
                        fields["minProperties"] = json!(1);
                        fields
                    }),
                    (
                        "tags",
                        schema::strings(
                            MAX_TAGS,
                            MAX_TAG_CHARS,
                            "Optional tags to put on the item, e.g. [\"pilot\"].",
                        ),
                    ),
                    (
                        "external_id",
                        schema::string(
                            MAX_TAG_CHARS,
                            "Optional id of the item in another system, stored on the item as its external_id.",
                        ),
                    ),
                ],
                &["app_id", "fields"],
            ),
            output_schema: schema::output(&[
                (
                    "item_id",
                    schema::typed(
                        "integer",
                        "The new item's id; use it with get_item, update_item, add_comment.",
                    ),
                ),
                (
                    "app_item_id",
                    schema::nullable("integer", "The item's number within its app."),
                ),
                ("title", schema::nullable("string", "The new item's title.")),
                (
                    "link",
                    schema::nullable("string", "URL of the item in Podio's web UI."),
                ),
                (
                    "revision",
                    schema::nullable(
                        "integer",
                        "The item's revision (pass it to update_item to guard against concurrent edits).",
                    ),
                ),
                ("item", stored_item_schema()),
            ]),
            annotations: CREATES,
            required_scope: SCOPE_WRITE,
        }
    }

    async fn call(
        &self,
        _cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let app_id = args.id("app_id", "app id");
        let fields = args.opt_object("fields", FIELDS_EXPECTED, &FIELD_VALUES);
        let tags = args.opt_string_list("tags", MAX_TAGS, MAX_TAG_CHARS);
        let external_id = args.opt_text("external_id", MAX_TAG_CHARS);
        if fields.as_ref().is_some_and(Map::is_empty) {
            args.reject(
                "fields",
                format!("expected {FIELDS_EXPECTED}; got an empty object"),
            );
        }
        let checked = match fields {
            Some(fields) if args.ok_so_far() => {
                // Before the values are checked (their problems would
                // describe the app) and long before anything is written.
                podio.scope().check_app(podio, app_id).await?;
                Some(field_writes(podio, &mut args, app_id, &fields, Mode::Create).await?)
            }
            _ => None,
        };
        args.finish()?;
        let Some((app, writes)) = checked else {
            return Err(ToolError::Internal(
                "create_item arguments checked without fields".into(),
            ));
        };

        let mut body = Map::new();
        body.insert(
            "fields".into(),
            Value::Object(writes.into_podio(podio).await?),
        );
        if let Some(tags) = tags {
            body.insert("tags".into(), json!(tags));
        }
        if let Some(external_id) = external_id {
            body.insert("external_id".into(), json!(external_id));
        }
        let target = Target::new(
            format!("app {app_id}"),
            "use get_apps_in_space to find app ids",
        );
        let raw = podio
            .post(
                format!("/item/app/{app_id}/"),
                &Value::Object(body),
                &target,
            )
            .await?;
        let raw = expect_object(&raw, "POST /item/app/{app_id}/")?;
        let item_id = get(raw, "item_id")
            .and_then(number)
            .and_then(|n| n.as_u64())
            .ok_or_else(|| {
                ToolError::Internal("podio answered an item create without item_id".into())
            })?;
        let stored = read_back(podio, item_id).await;

        let created = json!({
            "item_id": item_id,
            "app_item_id": int_or_null(raw, "app_item_id"),
            "title": string_or_null(raw, "title"),
            "link": string_or_null(raw, "link"),
            "revision": int_or_null(raw, "revision"),
        });
        let text = render(&app, &created, &stored);
        let mut structured = created;
        structured["item"] = stored.as_ref().map_or(Value::Null, |i| i.json.clone());
        Ok(ToolOutput { text, structured })
    }
}

/// What `fields` must be.
pub(super) const FIELDS_EXPECTED: &str =
    "an object of field values keyed by field external_id, e.g. {\"title\": \"Acme Corp\"}";

/// The decoded item read back after a write, or null.
pub(super) fn stored_item_schema() -> Value {
    let mut item = schema::item();
    item["type"] = json!(["object", "null"]);
    item["description"] = json!(
        "The item as Podio stored it, decoded like get_item; null when reading it back failed."
    );
    item
}

/// `GET /item/{item_id}` after a write. A failure is not the write's
/// failure: the caller reports the write and says the values could not be
/// shown, so a model does not repeat a write that happened.
pub(super) async fn read_back(podio: &Podio, item_id: u64) -> Result<DecodedItem, String> {
    let target = Target::new(format!("item {item_id}"), "use get_item to read it later");
    let mut raw = podio
        .get(
            format!("/item/{item_id}"),
            &[("mark_as_viewed", "false".to_owned())],
            &target,
        )
        .await
        .map_err(|e| e.to_string())?;
    podio.scope().redact_references(podio, &mut raw).await;
    expect_object(&raw, "GET /item/{item_id}")
        .map(decode_item)
        .map_err(|e| e.to_string())
}

fn render(app: &AppSchema, created: &Value, stored: &Result<DecodedItem, String>) -> String {
    let item_name = app.item_name.as_deref().unwrap_or("item");
    let app_name = app.name.as_deref().unwrap_or("(unnamed)");
    let title = created["title"].as_str().unwrap_or("(untitled)");
    let number = created["app_item_id"]
        .as_u64()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    let mut lines = vec![format!(
        "Created {item_name}{number} \"{title}\" (item {}) in app {app_name} (app {}).",
        created["item_id"], app.app_id
    )];
    if let Some(link) = created["link"].as_str() {
        lines.push(format!("Link: {link}"));
    }
    match stored {
        Ok(item) if item.fields.is_empty() => lines.push("Stored values: none.".to_owned()),
        Ok(item) => {
            lines.push("Stored values (label (external_id, type): value):".to_owned());
            lines.extend(item.fields.iter().map(|f| format!("- {}", f.line())));
        }
        Err(e) => lines.push(format!(
            "The item was created, but reading it back failed ({e}); use get_item to see its values. Do not create it again."
        )),
    }
    lines.join("\n")
}
