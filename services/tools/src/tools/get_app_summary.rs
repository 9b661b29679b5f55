//! get_app_summary: in one call, what an app is for, what its fields
//! accept, how many items it has and its newest items.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::get_app::{definition_properties, field_lines, heading};
use super::{
    READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, expect_object, schema,
};
use crate::args::Args;
use crate::context::{CallContext, Steps};
use crate::decode::json::{get, number, str_at};
use crate::decode::{DecodedItem, app, decode_item, html};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Recent items shown when the caller does not say.
const DEFAULT_RECENT: i64 = 5;
/// The most recent items shown.
const MAX_RECENT: i64 = 20;

/// The get_app_summary tool.
pub struct GetAppSummary;

#[async_trait]
impl Tool for GetAppSummary {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_app_summary",
            title: "Get app summary",
            description: "Understand a Podio app in one call: its purpose (name, what items are \
                called, description and usage notes), every active field with its external_id, \
                type, whether it is required and what it accepts (category options with ids, \
                referenced apps, currencies, date settings), how many items it has, and its \
                newest items (5 by default, up to 20) with decoded field values. Use it first \
                when asked about an app you do not know; then get_items pages through all \
                items with filters. Use get_apps_in_space to find app ids.",
            input_schema: schema::input(
                &[
                    ("app_id", schema::id("The id of the app to summarize.")),
                    (
                        "recent_items",
                        json!({
                            "type": "integer", "minimum": 0, "maximum": MAX_RECENT, "default": DEFAULT_RECENT,
                            "description": "How many of the newest items to include, 0 to 20. Default 5; 0 leaves items out.",
                        }),
                    ),
                ],
                &["app_id"],
            ),
            output_schema: schema::output(
                &[
                    definition_properties(),
                    vec![
                        (
                            "usage",
                            schema::nullable("string", "The app's usage notes: how to fill it in."),
                        ),
                        (
                            "item_count",
                            schema::nullable("integer", "How many items the app has."),
                        ),
                        (
                            "recent_items",
                            schema::array_of(
                                schema::item(),
                                "The newest items, newest first, with decoded field values.",
                            ),
                        ),
                    ],
                ]
                .concat(),
            ),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(
        &self,
        cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let app_id = args.id("app_id", "app id");
        let recent = args.int_in("recent_items", DEFAULT_RECENT, 0..=MAX_RECENT);
        args.finish()?;

        let target = Target::new(
            format!("app {app_id}"),
            "use get_apps_in_space to find app ids",
        );
        // Three reads (the app, its item count, its newest items), reported
        // as each one finishes.
        let steps = Steps::start(cx, 3, "reading the app, its item count and newest items").await;
        let recent_items = async {
            if recent == 0 {
                steps.done("no recent items asked for").await;
                return Ok(Value::Null);
            }
            let body = json!({"limit": recent, "sort_by": "created_on", "sort_desc": true});
            let items = podio
                .post(format!("/item/app/{app_id}/filter/"), &body, &target)
                .await?;
            steps.done("read the newest items").await;
            Ok(items)
        };
        let count = async {
            let count = podio
                .get(format!("/item/app/{app_id}/count"), &[], &target)
                .await?;
            steps.done("read the item count").await;
            Ok(count)
        };
        let definition = async {
            let raw_app = podio.get(format!("/app/{app_id}"), &[], &target).await?;
            steps.done("read the app definition").await;
            Ok::<_, ToolError>(raw_app)
        };
        let scope = podio.scope();
        let (raw_app, raw_count, raw_items) = if scope.is_unlimited() {
            tokio::try_join!(definition, count, recent_items)?
        } else {
            // A scoped token learns the app's workspace before reading items.
            let raw_app = definition.await?;
            scope
                .check_in(
                    podio,
                    crate::scope::id_at(&raw_app, "space_id"),
                    &format!("app {app_id}"),
                )
                .await?;
            let (raw_count, raw_items) = tokio::try_join!(count, recent_items)?;
            (raw_app, raw_count, raw_items)
        };

        let raw_app = expect_object(&raw_app, "GET /app/{app_id}")?;
        let mut summary = app::definition(raw_app);
        let config = get(raw_app, "config").unwrap_or(&Value::Null);
        let usage = str_at(config, "usage")
            .map(|u| {
                if html::looks_like_html(u) {
                    html::to_text(u)
                } else {
                    u.to_owned()
                }
            })
            .filter(|u| !u.trim().is_empty());
        let items: Vec<DecodedItem> = if raw_items.is_null() {
            Vec::new()
        } else {
            let raw_items = expect_object(&raw_items, "POST /item/app/{app_id}/filter/")?;
            expect_array(
                get(raw_items, "items").unwrap_or(&json!([])),
                "POST /item/app/{app_id}/filter/",
            )?
            .iter()
            .map(decode_item)
            .collect()
        };
        // The filter's `total` stands in should the count answer lack its key.
        let item_count = get(&raw_count, "count")
            .or_else(|| get(&raw_items, "total"))
            .and_then(number)
            .and_then(|n| n.as_u64());

        if let Value::Object(map) = &mut summary {
            map.insert("usage".into(), usage.map_or(Value::Null, Value::String));
            map.insert("item_count".into(), json!(item_count));
            map.insert(
                "recent_items".into(),
                items.iter().map(|i| i.json.clone()).collect(),
            );
        }
        let text = render(&summary, &items, recent);
        Ok(ToolOutput {
            text,
            structured: summary,
        })
    }
}

fn render(summary: &Value, items: &[DecodedItem], recent: i64) -> String {
    let mut lines = vec![heading(summary)];
    if let Some(d) = str_at(summary, "description") {
        lines.push(format!("Purpose: {d}"));
    }
    if let Some(u) = str_at(summary, "usage") {
        lines.push(format!("Usage: {u}"));
    }
    match get(summary, "item_count") {
        Some(n) => lines.push(format!("Items: {n}")),
        None => lines.push("Items: unknown (Podio gave no count)".to_owned()),
    }
    if let Some(link) = str_at(summary, "link") {
        lines.push(format!("Link: {link}"));
    }
    lines.extend(field_lines(summary));
    if recent > 0 {
        if items.is_empty() {
            lines.push("No items yet.".to_owned());
        } else {
            lines.push(format!("Newest {} items, newest first:", items.len()));
            let item_name = str_at(summary, "item_name").unwrap_or("Item");
            for item in items {
                let j = &item.json;
                let title = str_at(j, "title").unwrap_or("(untitled)");
                let item_id = crate::decode::item::render_id(j, "item_id");
                let number = get(j, "app_item_id").map_or(String::new(), |n| format!(" {n}"));
                let mut line = format!("- {item_name}{number}: {title} (item {item_id})");
                if let Some(on) = str_at(j, "created_on") {
                    line.push_str(&format!(", created {on}"));
                }
                lines.push(line);
                if !item.fields.is_empty() {
                    let values: Vec<String> = item.fields.iter().map(|f| f.short()).collect();
                    lines.push(format!("  {}", values.join("; ")));
                }
            }
        }
    }
    lines.join("\n")
}
