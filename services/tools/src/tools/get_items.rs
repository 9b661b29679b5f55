//! get_items: one page of an app's items, each decoded like get_item.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::page::{self, Next, Page, Paging, Words};
use super::{
    READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, expect_object, schema,
};
use crate::args::Args;
use crate::context::{CallContext, Steps};
use crate::decode::json::{get, number};
use crate::decode::{DecodedItem, decode_item};
use crate::encode::{AppSchema, FILTERS, filters};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Items per page: 30 unless the caller says, up to Podio's largest filter
/// page of 500.
const PAGING: Paging = Paging {
    default: 30,
    max: 500,
};

/// The longest `sort_by` accepted.
const MAX_SORT_CHARS: usize = 200;

/// The get_items tool.
pub struct GetItems;

#[async_trait]
impl Tool for GetItems {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_items",
            title: "Get items",
            description: "List the items of a Podio app, one page at a time (default 30, up to \
                500 per call), each with its field values decoded and keyed by external_id as in \
                get_item. Optionally filter by field values and sort by a field or by item \
                metadata. filters is an object keyed by field external_id (or field_id, or \
                label): text {\"from\": \"text to find\"}; category a list of option ids or \
                labels; date {\"from\": \"2026-01-01\", \"to\": \"2026-12-31\"} (either end \
                optional, a date-only to includes that day); number, money, progress, duration \
                {\"from\": 10, \"to\": 100}; app reference a list of item ids; contact a list of \
                profile ids; also created_on and last_edit_on date ranges, created_by a list of \
                user ids, item_id a list of item ids. Filters and field sorts are checked against \
                the app's fields; an unknown field or option is reported with the valid ones. The \
                result says how many items the app has (total) and how many match (filtered), \
                echoes the filters as sent to Podio, and gives next_offset for the next page \
                (null when there are no more). Use get_apps_in_space to find app ids and get_app \
                to learn the app's fields and option ids.",
            input_schema: PAGING.input(
                "items",
                vec![
                    (
                        "app_id",
                        schema::id("The id of the app whose items to list."),
                    ),
                    (
                        "filters",
                        schema::free_object(
                            &FILTERS,
                            "Optional filters keyed by field external_id (or field_id, or label) or created_on, last_edit_on, created_by, item_id; forms per field type are listed in the tool description, e.g. {\"stage\": [\"Lead\"], \"close-date\": {\"from\": \"2026-01-01\"}}. All filters must match.",
                            "The filter value for this field, in the form its type takes.",
                        ),
                    ),
                    (
                        "sort_by",
                        schema::string(
                            MAX_SORT_CHARS,
                            "Optional sort key: created_on, last_edit_on, title, app_item_id, item_id, or a field's external_id (or field_id) of a text, number, money, calculation, progress, duration, app, date, contact, category or location field. Default: Podio's order (newest first).",
                        ),
                    ),
                    (
                        "sort_desc",
                        schema::typed(
                            "boolean",
                            "Optional: true sorts descending, false ascending.",
                        ),
                    ),
                ],
                &["app_id"],
            ),
            output_schema: page::output("item", Next::Exact, vec![
                (
                    "total",
                    schema::typed("integer", "How many items the app has."),
                ),
                (
                    "filtered",
                    schema::typed(
                        "integer",
                        "How many items match the filters (all of them when no filter is given).",
                    ),
                ),
                (
                    "items",
                    schema::array_of(schema::item(), "The items of this page."),
                ),
                (
                    "filters",
                    schema::typed(
                        "object",
                        "The filters as sent to Podio: keyed by field external_id, category labels resolved to option ids, dates as \"YYYY-MM-DD[ HH:MM:SS]\" ({} when none).",
                    ),
                ),
                (
                    "sort_by",
                    json!({"type": ["string", "integer", "null"], "description": "The sort key as sent to Podio (a field's field_id for field sorts), or null."}),
                ),
                (
                    "sort_desc",
                    schema::nullable("boolean", "The sort direction as sent to Podio, or null."),
                ),
            ],
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
        let window = PAGING.parse(&mut args);
        let given = args.opt_object(
            "filters",
            "an object of filters keyed by field external_id, e.g. {\"stage\": [1, 2]}",
            &FILTERS,
        );
        let sort_text = args.opt_text("sort_by", MAX_SORT_CHARS);
        let sort_desc = args.opt_bool("sort_desc");

        let target = Target::new(
            format!("app {app_id}"),
            "use get_apps_in_space to find app ids",
        );
        let mut filters = Map::new();
        let mut sort_by = Value::Null;
        // Steps: access and the app's fields, then the filter call.
        let steps = Steps::start(cx, 2, "checking the app and its fields").await;
        if args.ok_so_far() {
            podio.scope().check_app(podio, app_id).await?;
            let app = if filters::needs_schema(given.as_ref(), sort_text.as_deref()) {
                Some(AppSchema::fetch(podio, app_id).await?)
            } else {
                None
            };
            steps.done("filtering the items").await;
            if let Some(given) = &given {
                let (encoded, problems) = filters::encode_filters(app.as_ref(), given);
                for problem in problems {
                    args.reject(&problem.field, problem.description);
                }
                filters = encoded;
            }
            if let Some(sort) = &sort_text {
                match filters::encode_sort(app.as_ref(), sort) {
                    Ok(key) => sort_by = key,
                    Err(e) => args.reject("sort_by", e),
                }
            }
        }
        args.finish()?;

        let mut body = json!({"limit": window.limit, "offset": window.offset});
        if !filters.is_empty() {
            body["filters"] = Value::Object(filters.clone());
        }
        if !sort_by.is_null() {
            body["sort_by"] = sort_by.clone();
        }
        if let Some(desc) = sort_desc {
            body["sort_desc"] = json!(desc);
        }
        let mut raw = podio
            .post(format!("/item/app/{app_id}/filter/"), &body, &target)
            .await?;
        let request = "POST /item/app/{app_id}/filter/";
        if let Some(found) = raw.get_mut("items").and_then(Value::as_array_mut) {
            for item in found {
                podio.scope().redact_references(podio, item).await;
            }
        }
        let raw = expect_object(&raw, request)?;
        let items: Vec<DecodedItem> =
            expect_array(get(raw, "items").unwrap_or(&json!([])), request)?
                .iter()
                .map(decode_item)
                .collect();
        let counts = Counts::of(raw, window.offset, items.len());
        let page = window.upstream(items.len(), Some(counts.filtered));
        steps.done("decoded the items").await;
        cx.debug(&format!(
            "app {app_id}: {} items in this page, {} match the filters, {} in all",
            items.len(),
            counts.filtered,
            counts.total
        ))
        .await;

        let mut text = render(app_id, &counts, &page, &items);
        if !filters.is_empty() || !sort_by.is_null() {
            text.push_str(&format!(
                "\nSent to Podio: filters {}; sort_by {sort_by}; sort_desc {}.",
                Value::Object(filters.clone()),
                sort_desc.map_or("default".to_owned(), |d| d.to_string())
            ));
        }
        let structured = json!({
            "total": counts.total,
            "filtered": counts.filtered,
            "items": items.into_iter().map(|i| i.json).collect::<Vec<_>>(),
            "filters": filters,
            "sort_by": sort_by,
            "sort_desc": sort_desc,
        });
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
        })
    }
}

/// How many items the app has and how many match.
struct Counts {
    total: usize,
    filtered: usize,
}

impl Counts {
    fn of(raw: &Value, offset: i64, count: usize) -> Counts {
        let int = |key: &str| {
            get(raw, key)
                .and_then(number)
                .and_then(|n| n.as_u64())
                .and_then(|n| usize::try_from(n).ok())
        };
        // Without `filtered`, the best lower bound is what this page proves exists.
        let filtered = int("filtered").or_else(|| int("total")).unwrap_or_else(|| {
            usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .saturating_add(count)
        });
        Counts {
            total: int("total").unwrap_or(filtered),
            filtered,
        }
    }
}

fn render(app_id: u64, counts: &Counts, page: &Page, items: &[DecodedItem]) -> String {
    let in_app = if counts.total != counts.filtered {
        format!(" ({} in the app)", counts.total)
    } else {
        String::new()
    };
    let empty = if in_app.is_empty() {
        format!("App {app_id} has no items.")
    } else {
        format!("No items in app {app_id} match the filters{in_app}.")
    };
    let header = page.header(&Words {
        noun: ("item", "items"),
        place: &format!(" in app {app_id}{in_app}"),
        order: "",
        empty: &empty,
    });
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
