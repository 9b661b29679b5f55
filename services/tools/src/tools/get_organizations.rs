//! get_organizations: the organizations the connected Podio user belongs to,
//! each with the workspaces the user is a member of.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, plural, schema};
use crate::args::Args;
use crate::decode::space;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// The get_organizations tool.
pub struct GetOrganizations;

#[async_trait]
impl Tool for GetOrganizations {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_organizations",
            title: "Get organizations",
            description: "List the Podio organizations the connected user belongs to, each with \
                its id, name, the user's role and the workspaces (spaces) the user is a member of. \
                This is the usual starting point: from a space_id continue with \
                get_apps_in_space, from an org_id with get_spaces_in_organization.",
            input_schema: schema::input(&[], &[]),
            output_schema: schema::output(&[(
                "organizations",
                schema::array_of(
                    schema::output(&[
                        (
                            "org_id",
                            schema::nullable("integer", "The organization's id."),
                        ),
                        (
                            "name",
                            schema::nullable("string", "The organization's name."),
                        ),
                        (
                            "url",
                            schema::nullable(
                                "string",
                                "URL of the organization in Podio's web UI.",
                            ),
                        ),
                        (
                            "role",
                            schema::nullable(
                                "string",
                                "The connected user's role: admin, regular or light.",
                            ),
                        ),
                        (
                            "spaces",
                            schema::array_of(
                                schema::space(),
                                "The workspaces of the organization the user is a member of.",
                            ),
                        ),
                    ]),
                    "The user's organizations.",
                ),
            )]),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(&self, podio: &Podio, args: Args) -> Result<ToolOutput, ToolError> {
        args.finish()?;
        let target = Target::new(
            "the list of organizations",
            "check that the Podio account is connected",
        );
        let raw = podio.get("/org/".to_owned(), &[], &target).await?;
        let orgs: Vec<Value> = expect_array(&raw, "GET /org/")?
            .iter()
            .map(space::organization)
            .collect();
        Ok(ToolOutput {
            text: render(&orgs),
            structured: json!({"organizations": orgs}),
        })
    }
}

fn render(orgs: &[Value]) -> String {
    if orgs.is_empty() {
        return "The connected Podio user belongs to no organization.".to_owned();
    }
    let mut lines = vec![format!(
        "The connected Podio user belongs to {}:",
        plural(orgs.len(), "organization", "organizations")
    )];
    for org in orgs {
        let name = org["name"].as_str().unwrap_or("(unnamed)");
        let id = crate::decode::item::render_id(org, "org_id");
        let mut details = vec![format!("org {id}")];
        if let Some(role) = org["role"].as_str() {
            details.push(format!("your role: {role}"));
        }
        if let Some(url) = org["url"].as_str() {
            details.push(url.to_owned());
        }
        lines.push(format!("- {name} ({})", details.join(", ")));
        let spaces = org["spaces"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if spaces.is_empty() {
            lines.push("  (no workspaces you are a member of)".to_owned());
        }
        lines.extend(
            spaces
                .iter()
                .map(|s| format!("  - {}", space::space_line(s))),
        );
    }
    lines.join("\n")
}
