//! get_apps_in_space: the apps of one workspace.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::page::{self, Next, Page, Paging, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::app;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Apps per page: 100 unless the caller says, up to 500.
const PAGING: Paging = Paging {
    default: 100,
    max: 500,
};

/// The get_apps_in_space tool.
pub struct GetAppsInSpace;

#[async_trait]
impl Tool for GetAppsInSpace {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_apps_in_space",
            title: "Get apps in space",
            description: "List the apps in a Podio workspace (space) with their ids, names, what \
                their items are called and descriptions. Use get_organizations or \
                get_spaces_in_organization to find space ids, then get_app for an app's fields or \
                get_items for its items. Pages of 100 by default (up to 500), in Podio's order; \
                the result gives total and next_offset.",
            input_schema: PAGING.input(
                "apps",
                vec![
                    ("space_id", schema::id("The workspace's id.")),
                    (
                        "include_inactive",
                        json!({
                            "type": "boolean",
                            "default": false,
                            "description": "Whether to include deactivated apps. Default false.",
                        }),
                    ),
                ],
                &["space_id"],
            ),
            output_schema: page::output(
                "app",
                Next::Exact,
                vec![
                    (
                        "space_id",
                        schema::typed("integer", "The workspace asked for."),
                    ),
                    (
                        "total",
                        schema::typed("integer", "How many apps the workspace has."),
                    ),
                    (
                        "apps",
                        schema::array_of(
                            app_schema(),
                            "The workspace's apps in this page, in Podio's order.",
                        ),
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
        let space_id = args.id("space_id", "space id");
        let include_inactive = args.bool_or("include_inactive", false);
        let window = PAGING.parse(&mut args);
        args.finish()?;
        podio
            .scope()
            .check_space(podio, space_id, &format!("space {space_id}"))
            .await?;

        let target = Target::new(
            format!("space {space_id}"),
            "use get_organizations or get_spaces_in_organization to find space ids",
        );
        let raw = podio
            .get(
                format!("/app/space/{space_id}/"),
                &[("include_inactive", include_inactive.to_string())],
                &target,
            )
            .await?;
        let all = expect_array(&raw, "GET /app/space/{space_id}/")?;
        let (apps, page) = window.local(all);
        let apps: Vec<Value> = apps.iter().map(app::summary).collect();
        let text = render(space_id, &apps, &page);
        let structured = json!({"space_id": space_id, "total": all.len(), "apps": apps});
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
        })
    }
}

fn app_schema() -> Value {
    schema::output(&[
        (
            "app_id",
            schema::nullable(
                "integer",
                "The app's id; use it with get_app and get_items.",
            ),
        ),
        ("name", schema::nullable("string", "The app's name.")),
        (
            "item_name",
            schema::nullable("string", "What one item is called, e.g. \"Deal\"."),
        ),
        (
            "description",
            schema::nullable("string", "The app's description."),
        ),
        (
            "status",
            schema::nullable("string", "active, inactive or deleted."),
        ),
        (
            "link",
            schema::nullable("string", "URL of the app in Podio's web UI."),
        ),
    ])
}

fn render(space_id: u64, apps: &[Value], page: &Page) -> String {
    let mut lines = vec![page.header(&Words {
        noun: ("app", "apps"),
        place: &format!(" in space {space_id}"),
        order: "",
        empty: &format!("Space {space_id} has no apps."),
    })];
    for a in apps {
        let name = a["name"].as_str().unwrap_or("(unnamed)");
        let id = crate::decode::item::render_id(a, "app_id");
        let mut details = vec![format!("app {id}")];
        if let Some(item_name) = a["item_name"].as_str() {
            details.push(format!("items: {item_name}"));
        }
        if let Some(status) = a["status"].as_str().filter(|s| *s != "active") {
            details.push(status.to_owned());
        }
        let mut line = format!("- {name} ({})", details.join(", "));
        if let Some(description) = a["description"].as_str() {
            line.push_str(&format!(": {}", description.replace('\n', " ")));
        }
        lines.push(line);
    }
    lines.join("\n")
}
