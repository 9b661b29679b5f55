//! get_organizations: the organizations the connected Podio user belongs to,
//! each with the workspaces the user is a member of.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::page::{self, Next, Page, Paging, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, schema};
use crate::args::Args;
use crate::decode::space;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Organizations per page: 100 unless the caller says (few users have
/// more), up to 500.
const PAGING: Paging = Paging {
    default: 100,
    max: 500,
};

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
                get_apps_in_space, from an org_id with get_spaces_in_organization. Pages of 100 \
                by default (up to 500), in Podio's order; the result gives total and \
                next_offset.",
            input_schema: PAGING.input("organizations", vec![], &[]),
            output_schema: page::output(
                "organization",
                Next::Exact,
                vec![
                    (
                        "total",
                        schema::typed("integer", "How many organizations the user belongs to."),
                    ),
                    (
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
                            "The user's organizations in this page.",
                        ),
                    ),
                ],
            ),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(&self, podio: &Podio, mut args: Args) -> Result<ToolOutput, ToolError> {
        let window = PAGING.parse(&mut args);
        args.finish()?;
        let target = Target::new(
            "the list of organizations",
            "check that the Podio account is connected",
        );
        let raw = podio.get("/org/".to_owned(), &[], &target).await?;
        let all = expect_array(&raw, "GET /org/")?;
        let (orgs, page) = window.local(all);
        let orgs: Vec<Value> = orgs.iter().map(space::organization).collect();
        let structured = json!({"total": all.len(), "organizations": orgs});
        Ok(ToolOutput {
            text: render(&orgs, &page),
            structured: page.add_keys(structured),
        })
    }
}

fn render(orgs: &[Value], page: &Page) -> String {
    let mut lines = vec![page.header(&Words {
        noun: ("organization", "organizations"),
        place: " the connected Podio user belongs to",
        order: "",
        empty: "The connected Podio user belongs to no organization.",
    })];
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
