//! list-views: an app's saved views, with their filters in words.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::page::{self, Next, Page, Paging, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, plural, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::json::{get, str_at};
use crate::decode::view::{self, Fields};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Views per page: 50 unless the caller says (apps rarely have more), up
/// to 200.
const PAGING: Paging = Paging {
    default: 50,
    max: 200,
};

/// The list-views tool.
pub struct ListViews;

#[async_trait]
impl Tool for ListViews {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list-views",
            title: "List views",
            description: "List the saved views of a Podio app: each view's id, name, type \
                (private or team), who created it, its sort order, its filters written out in \
                words (field labels and external_ids, category option texts) with the raw \
                values, and how many items it shows. A view's filters can be reused with \
                get_items by passing the same values keyed by the field's external_id. Pages \
                of 50 by default (up to 200) with total and next_offset. Use \
                get_apps_in_space to find app ids.",
            input_schema: PAGING.input(
                "views",
                vec![
                    (
                        "app_id",
                        schema::id("The id of the app whose views to list."),
                    ),
                    (
                        "include_standard_views",
                        json!({
                            "type": "boolean", "default": false,
                            "description": "Whether to include Podio's built-in standard views (e.g. \"All items\") besides the saved ones. Default false.",
                        }),
                    ),
                ],
                &["app_id"],
            ),
            output_schema: page::output(
                "view",
                Next::Exact,
                vec![
                    ("app_id", schema::typed("integer", "The app asked for.")),
                    (
                        "total",
                        schema::typed("integer", "How many views the app has."),
                    ),
                (
                    "fields_resolved",
                    schema::typed(
                        "boolean",
                        "Whether the app's fields could be read to name the filtered fields and options; when false, filters show raw field ids and values.",
                    ),
                ),
                (
                    "views",
                    schema::array_of(view_schema(), "The views of this page, in Podio's order."),
                ),
            ],
            ),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(
        &self,
        _cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let app_id = args.id("app_id", "app id");
        let include_standard = args.bool_or("include_standard_views", false);
        let window = PAGING.parse(&mut args);
        args.finish()?;

        let target = Target::new(
            format!("app {app_id}"),
            "use get_apps_in_space to find app ids",
        );
        let query = [("include_standard_views", include_standard.to_string())];
        let scope = podio.scope();
        let (views, app) = if scope.is_unlimited() {
            tokio::join!(
                podio.get(format!("/view/app/{app_id}/"), &query, &target),
                podio.get(format!("/app/{app_id}"), &[], &target),
            )
        } else {
            // A scoped token must know the app's workspace before the views.
            let app = podio.get(format!("/app/{app_id}"), &[], &target).await?;
            scope
                .check_in(
                    podio,
                    crate::scope::id_at(&app, "space_id"),
                    &format!("app {app_id}"),
                )
                .await?;
            let views = podio
                .get(format!("/view/app/{app_id}/"), &query, &target)
                .await;
            (views, Ok(app))
        };
        let views = views?;
        // The app only names things; views without names beat no views.
        let app = app.ok().filter(Value::is_object);
        let fields = Fields::of(app.as_ref());

        let all = expect_array(&views, "GET /view/app/{app_id}/")?;
        let (views, page) = window.local(all);
        let decoded: Vec<Value> = views.iter().map(|v| view::view(v, &fields)).collect();

        let text = render(app_id, &decoded, &page, app.is_some());
        let structured = json!({
            "app_id": app_id,
            "total": all.len(),
            "fields_resolved": app.is_some(),
            "views": decoded,
        });
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
        })
    }
}

fn view_schema() -> Value {
    let filter = schema::output(&[
        (
            "key",
            schema::typed(
                "string",
                "Podio's filter key: a field id, or a built-in such as created_by or created_on.",
            ),
        ),
        (
            "field_id",
            schema::nullable(
                "integer",
                "The filtered field's id (null for built-in keys).",
            ),
        ),
        (
            "external_id",
            schema::nullable(
                "string",
                "The filtered field's external_id: the key to use in get_items filters.",
            ),
        ),
        (
            "label",
            schema::nullable("string", "The filtered field's label."),
        ),
        (
            "type",
            schema::nullable("string", "The filtered field's type."),
        ),
        (
            "values",
            json!({"description": "Podio's filter values as stored in the view: option ids, item ids, profile ids, or {from, to} ranges."}),
        ),
        (
            "text",
            schema::typed(
                "string",
                "The filter in words, e.g. \"Stage (stage) is Lead or Won\".",
            ),
        ),
    ]);
    schema::output(&[
        ("view_id", schema::nullable("integer", "The view's id.")),
        ("name", schema::nullable("string", "The view's name.")),
        (
            "type",
            schema::nullable(
                "string",
                "private (only its creator sees it), team (shared) or standard (built in).",
            ),
        ),
        ("created_by", schema::created_by()),
        ("created_on", schema::created_on()),
        (
            "sort_by",
            schema::nullable(
                "string",
                "What it sorts by: a field id or a built-in such as created_on.",
            ),
        ),
        (
            "sort_by_name",
            schema::nullable(
                "string",
                "The sort field's label and external_id, when known.",
            ),
        ),
        (
            "sort_desc",
            schema::typed("boolean", "Whether it sorts in descending order."),
        ),
        (
            "filters",
            schema::array_of(filter, "Its filters; an item must match all of them."),
        ),
        (
            "items",
            schema::nullable("integer", "How many items the view shows, when Podio says."),
        ),
    ])
}

fn render(app_id: u64, views: &[Value], page: &Page, resolved: bool) -> String {
    let mut lines = vec![page.header(&Words {
        noun: ("view", "views"),
        place: &format!(" in app {app_id}"),
        order: "",
        empty: &format!("App {app_id} has no views."),
    })];
    for v in views {
        let name = str_at(v, "name").unwrap_or("(unnamed)");
        let id = crate::decode::item::render_id(v, "view_id");
        let mut details = vec![format!("view {id}")];
        if let Some(kind) = str_at(v, "type") {
            details.push(kind.to_owned());
        }
        if let Some(n) = get(v, "items").and_then(Value::as_u64) {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            details.push(plural(n, "item", "items"));
        }
        if let Some(by) = str_at(v, "created_by") {
            details.push(format!("by {by}"));
        }
        lines.push(format!("- {name} ({})", details.join(", ")));
        if let Some(sort) = str_at(v, "sort_by_name") {
            let order = if v["sort_desc"] == json!(true) {
                "descending"
            } else {
                "ascending"
            };
            lines.push(format!("  sorted by {sort}, {order}"));
        }
        let filters = v["filters"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if filters.is_empty() {
            lines.push("  no filters".to_owned());
        }
        for f in filters {
            lines.push(format!("  where {}", str_at(f, "text").unwrap_or("?")));
        }
    }
    if !resolved && !views.is_empty() {
        lines.push(
            "(The app's fields could not be read, so filters show field ids and option ids; get_app names them.)"
                .to_owned(),
        );
    }
    lines.join("\n")
}
