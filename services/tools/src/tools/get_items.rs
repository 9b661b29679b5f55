//! get_items: one page of an app's items, each decoded like get_item.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{
    READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, expect_object, schema,
};
use crate::args::Args;
use crate::decode::json::{get, number};
use crate::decode::{DecodedItem, decode_item};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Items per page when the caller does not say.
const DEFAULT_LIMIT: i64 = 30;
/// Podio's largest filter page.
const MAX_LIMIT: i64 = 500;

/// The get_items tool.
pub struct GetItems;

#[async_trait]
impl Tool for GetItems {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_items",
            title: "Get items",
            description: "List the items of a Podio app, one page at a time (up to 500 per call), \
                newest first as Podio orders them, each with its field values decoded and keyed by \
                external_id as in get_item. The result says how many items exist and gives \
                next_offset for the next page (null when there are no more). Use \
                get_apps_in_space to find app ids and get_app to learn the app's fields.",
            input_schema: schema::input(
                &[
                    (
                        "app_id",
                        schema::id("The id of the app whose items to list."),
                    ),
                    (
                        "limit",
                        json!({
                            "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT,
                            "description": "How many items to return, 1 to 500. Default 30.",
                        }),
                    ),
                    (
                        "offset",
                        json!({
                            "type": "integer", "minimum": 0, "default": 0,
                            "description": "How many items to skip, for paging: pass the previous result's next_offset. Default 0.",
                        }),
                    ),
                ],
                &["app_id"],
            ),
            output_schema: schema::output(&[
                (
                    "total",
                    schema::typed("integer", "How many items the app has."),
                ),
                (
                    "filtered",
                    schema::typed(
                        "integer",
                        "How many items match (all of them, as no filter is applied).",
                    ),
                ),
                (
                    "offset",
                    schema::typed("integer", "The offset of the first item returned."),
                ),
                (
                    "limit",
                    schema::typed("integer", "The page size asked for."),
                ),
                (
                    "count",
                    schema::typed("integer", "How many items are in this page."),
                ),
                (
                    "next_offset",
                    schema::nullable(
                        "integer",
                        "The offset of the next page, or null when this page is the last.",
                    ),
                ),
                (
                    "items",
                    schema::array_of(schema::item(), "The items of this page."),
                ),
            ]),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(&self, podio: &Podio, mut args: Args) -> Result<ToolOutput, ToolError> {
        let app_id = args.id("app_id", "app id");
        let limit = args.int_in("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT);
        let offset = args.int_in("offset", 0, 0..=i64::MAX);
        args.finish()?;

        let target = Target::new(
            format!("app {app_id}"),
            "use get_apps_in_space to find app ids",
        );
        let body = json!({"limit": limit, "offset": offset});
        let raw = podio
            .post(format!("/item/app/{app_id}/filter/"), &body, &target)
            .await?;
        let request = "POST /item/app/{app_id}/filter/";
        let raw = expect_object(&raw, request)?;
        let items: Vec<DecodedItem> =
            expect_array(get(raw, "items").unwrap_or(&json!([])), request)?
                .iter()
                .map(decode_item)
                .collect();
        let page = Page::new(raw, offset, items.len());

        let text = render(app_id, &page, &items);
        let structured = json!({
            "total": page.total,
            "filtered": page.filtered,
            "offset": offset,
            "limit": limit,
            "count": page.count,
            "next_offset": page.next_offset,
            "items": items.into_iter().map(|i| i.json).collect::<Vec<_>>(),
        });
        Ok(ToolOutput { text, structured })
    }
}

/// Where a page sits among the matching items.
struct Page {
    total: i64,
    filtered: i64,
    offset: i64,
    count: i64,
    next_offset: Option<i64>,
}

impl Page {
    fn new(raw: &Value, offset: i64, count: usize) -> Page {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let int = |key: &str| get(raw, key).and_then(number).and_then(|n| n.as_i64());
        // Without `filtered`, the best lower bound is what this page proves exists.
        let filtered = int("filtered")
            .or_else(|| int("total"))
            .unwrap_or(offset + count);
        let total = int("total").unwrap_or(filtered);
        let end = offset.saturating_add(count);
        let next_offset = (count > 0 && end < filtered).then_some(end);
        Page {
            total,
            filtered,
            offset,
            count,
            next_offset,
        }
    }
}

fn render(app_id: u64, page: &Page, items: &[DecodedItem]) -> String {
    let in_app = if page.total != page.filtered {
        format!(" ({} in the app)", page.total)
    } else {
        String::new()
    };
    let mut header = if page.count == 0 {
        if page.filtered == 0 {
            format!("App {app_id} has no items{in_app}.")
        } else {
            format!(
                "No items at offset {}: app {app_id} has {} items{in_app}; use an offset below {}.",
                page.offset, page.filtered, page.filtered
            )
        }
    } else {
        format!(
            "Showing items {}–{} of {} in app {app_id}{in_app}",
            page.offset + 1,
            page.offset + page.count,
            page.filtered
        )
    };
    if page.count > 0 {
        match page.next_offset {
            Some(next) => header.push_str(&format!("; pass offset={next} for more.")),
            None => header.push('.'),
        }
    }
    let mut lines = vec![header];
    for item in items {
        let j = &item.json;
        let title = j["title"].as_str().unwrap_or("(untitled)");
        let id = crate::decode::item::render_id(j, "item_id");
        let number = get(j, "app_item_id")
            .map(|n| format!(", #{n}"))
            .unwrap_or_default();
        lines.push(format!("- {title} (item {id}{number})"));
        if !item.fields.is_empty() {
            let values: Vec<String> = item.fields.iter().map(|f| f.short()).collect();
            lines.push(format!("  {}", values.join("; ")));
        }
    }
    lines.join("\n")
}
