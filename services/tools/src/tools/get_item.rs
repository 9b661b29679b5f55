//! get_item: one Podio item with every field value decoded.

use async_trait::async_trait;
use serde_json::json;

use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_object, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::{DecodedItem, decode_item};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// The get_item tool.
pub struct GetItem;

#[async_trait]
impl Tool for GetItem {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_item",
            title: "Get item",
            description: "Fetch one Podio item by its item_id: title, link, app, creation and \
                last-activity dates, tags, comment count and every field value, decoded and keyed \
                by the field's external_id (category options as {id, text}, money as {value, \
                currency}, dates as {start, end}, references to other items as {item_id, title}). \
                Use get_items to find item ids in an app, and get_app to learn what the fields mean.",
            input_schema: schema::input(
                &[
                    (
                        "item_id",
                        schema::id(
                            "The item's id (item_id, unique across Podio; not the per-app number app_item_id).",
                        ),
                    ),
                    (
                        "mark_as_viewed",
                        json!({
                            "type": "boolean",
                            "default": false,
                            "description": "Whether reading the item marks it as viewed for the connected user, clearing its notifications. Default false.",
                        }),
                    ),
                ],
                &["item_id"],
            ),
            output_schema: schema::item(),
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
        let item_id = args.id("item_id", "item id");
        let mark_as_viewed = args.bool_or("mark_as_viewed", false);
        args.finish()?;

        let target = Target::new(
            format!("item {item_id}"),
            "use get_items on its app to find item ids",
        );
        let scope = podio.scope();
        // A scoped token reads the item unmarked first, so an item outside
        // its workspaces is never marked as viewed.
        let first_mark = mark_as_viewed && scope.is_unlimited();
        let mut raw = podio
            .get(
                format!("/item/{item_id}"),
                &[("mark_as_viewed", first_mark.to_string())],
                &target,
            )
            .await?;
        if !scope.is_unlimited() {
            scope
                .check_item(podio, &raw, &format!("item {item_id}"))
                .await?;
            if mark_as_viewed {
                raw = podio
                    .get(
                        format!("/item/{item_id}"),
                        &[("mark_as_viewed", "true".to_owned())],
                        &target,
                    )
                    .await?;
            }
            scope.redact_references(podio, &mut raw).await;
        }
        let item = decode_item(expect_object(&raw, "GET /item/{item_id}")?);
        Ok(ToolOutput {
            text: render(&item),
            structured: item.json,
        })
    }
}

fn render(item: &DecodedItem) -> String {
    let j = &item.json;
    let mut lines = vec![item.heading()];
    if let Some(app) = j["app"].as_object() {
        let name = app
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("(unnamed)");
        let id = app
            .get("app_id")
            .map_or("?".to_owned(), ToString::to_string);
        lines.push(format!("App: {name} (app {id})"));
    }
    if let Some(link) = j["link"].as_str() {
        lines.push(format!("Link: {link}"));
    }
    let mut about = Vec::new();
    if let Some(on) = j["created_on"].as_str() {
        match j["created_by"].as_str() {
            Some(by) => about.push(format!("created {on} by {by}")),
            None => about.push(format!("created {on}")),
        }
    }
    if let Some(on) = j["last_event_on"].as_str() {
        about.push(format!("last activity {on}"));
    }
    if let Some(n) = j["comment_count"].as_u64() {
        about.push(super::plural(n as usize, "comment", "comments"));
    }
    if !about.is_empty() {
        lines.push(capitalize(&about.join("; ")));
    }
    if let Some(tags) = j["tags"].as_array().filter(|t| !t.is_empty()) {
        let tags: Vec<&str> = tags.iter().filter_map(|t| t.as_str()).collect();
        lines.push(format!("Tags: {}", tags.join(", ")));
    }
    if item.fields.is_empty() {
        lines.push("No field has a value.".to_owned());
    } else {
        lines.push("Fields (label (external_id, type): value):".to_owned());
        lines.extend(item.fields.iter().map(|f| format!("- {}", f.line())));
    }
    lines.join("\n")
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
