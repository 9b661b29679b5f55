//! get_app: an app's definition, with what each active field accepts.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_object, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::app;
use crate::decode::json::{get, str_at};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// The get_app tool.
pub struct GetApp;

#[async_trait]
impl Tool for GetApp {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_app",
            title: "Get app",
            description: "Get a Podio app's definition: its name, what its items are called, its \
                workspace, and every active field with its external_id, type, label, whether it is \
                required, and what it accepts (category options with their ids, referenced app ids \
                for relationship fields, currencies for money, end-date and time settings for \
                dates). Call it before reading or writing items to learn the field external_ids \
                and option ids. Use get_apps_in_space to find app ids.",
            input_schema: schema::input(&[("app_id", schema::id("The app's id."))], &["app_id"]),
            output_schema: schema::output(&definition_properties()),
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
        args.finish()?;

        let target = Target::new(
            format!("app {app_id}"),
            "use get_apps_in_space to find app ids",
        );
        let raw = podio.get(format!("/app/{app_id}"), &[], &target).await?;
        podio
            .scope()
            .check_in(
                podio,
                crate::scope::id_at(&raw, "space_id"),
                &format!("app {app_id}"),
            )
            .await?;
        let definition = app::definition(expect_object(&raw, "GET /app/{app_id}")?);
        Ok(ToolOutput {
            text: render(&definition),
            structured: definition,
        })
    }
}

/// The output-schema properties of an app's definition (shared with
/// get_app_summary).
pub(super) fn definition_properties() -> Vec<(&'static str, Value)> {
    vec![
        ("app_id", schema::nullable("integer", "The app's id.")),
        ("name", schema::nullable("string", "The app's name.")),
        (
            "item_name",
            schema::nullable("string", "What one item is called, e.g. \"Deal\"."),
        ),
        (
            "description",
            schema::nullable("string", "The app's description: what it is for."),
        ),
        (
            "space_id",
            schema::nullable("integer", "The workspace the app belongs to."),
        ),
        (
            "link",
            schema::nullable("string", "URL of the app in Podio's web UI."),
        ),
        (
            "fields",
            schema::array_of(
                field_schema(),
                "The app's active fields, in the app's order.",
            ),
        ),
    ]
}

/// The output schema of one app field.
pub(super) fn field_schema() -> Value {
    let option = schema::output(&[
        (
            "id",
            schema::nullable(
                "integer",
                "The option's id, used to set and filter the field.",
            ),
        ),
        ("text", schema::nullable("string", "The option's text.")),
    ]);
    json!({
        "type": "object",
        "required": ["field_id", "external_id", "label", "type", "required", "description"],
        "properties": {
            "field_id": schema::nullable("integer", "The field's id."),
            "external_id": schema::nullable("string", "The field's external_id: the key of its value in items."),
            "label": schema::nullable("string", "The field's label."),
            "type": schema::typed("string", "Podio's field type, e.g. text, number, money, category, date, app, contact."),
            "required": schema::typed("boolean", "Whether an item must have a value for this field."),
            "description": schema::nullable("string", "The field's help text."),
            "options": schema::array_of(option, "Category fields: the selectable options (deleted ones left out)."),
            "multiple": schema::typed("boolean", "Category and app fields: whether several values may be chosen."),
            "referenced_app_ids": schema::array_of(json!({"type": "integer"}), "App (relationship) fields: the apps whose items may be referenced."),
            "allowed_currencies": schema::array_of(json!({"type": "string"}), "Money fields: the accepted ISO 4217 currencies."),
            "end": schema::nullable("string", "Date fields: whether an end date is disabled, enabled or required."),
            "time": schema::nullable("string", "Date fields: whether a time is disabled, enabled or required."),
            "return_type": schema::nullable("string", "Calculation fields: what the calculation returns (number, date or text)."),
        },
    })
}

fn render(definition: &Value) -> String {
    let mut lines = vec![heading(definition)];
    if let Some(description) = str_at(definition, "description") {
        lines.push(format!("Description: {description}"));
    }
    if let Some(link) = str_at(definition, "link") {
        lines.push(format!("Link: {link}"));
    }
    lines.extend(field_lines(definition));
    lines.join("\n")
}

/// "App Deals (app 5551234), items are called "Deal", in space 2501464".
pub(super) fn heading(definition: &Value) -> String {
    let name = str_at(definition, "name").unwrap_or("(unnamed)");
    let id = crate::decode::item::render_id(definition, "app_id");
    let mut heading = format!("App {name} (app {id})");
    if let Some(item_name) = str_at(definition, "item_name") {
        heading.push_str(&format!(", items are called \"{item_name}\""));
    }
    if let Some(space_id) = get(definition, "space_id") {
        heading.push_str(&format!(", in space {space_id}"));
    }
    heading
}

/// The definition's active fields, one line each under a header line.
pub(super) fn field_lines(definition: &Value) -> Vec<String> {
    let fields = definition["fields"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if fields.is_empty() {
        return vec!["The app has no active fields.".to_owned()];
    }
    let mut lines = vec![
        "Fields (label (external_id, type)); item values are keyed by external_id:".to_owned(),
    ];
    lines.extend(fields.iter().map(|f| format!("- {}", app::field_line(f))));
    lines
}
