//! get_organizations: the organizations the connected Podio user belongs to,
//! each with the workspaces the user is a member of.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::page::{self, Next, Page, Paging, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::json::array;
use crate::decode::space;
use crate::error::ToolError;
use crate::podio::{Podio, Target};
use crate::scope::{WorkspaceScope, id_at};

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

    async fn call(
        &self,
        _cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let window = PAGING.parse(&mut args);
        args.finish()?;
        let target = Target::new(
            "the list of organizations",
            "check that the Podio account is connected",
        );
        let raw = podio.get("/org/".to_owned(), &[], &target).await?;
        let all = expect_array(&raw, "GET /org/")?;
        let scope = podio.scope();
        if scope.is_unlimited() {
            let (orgs, page) = window.local(all);
            let orgs: Vec<Value> = orgs.iter().map(space::organization).collect();
            let structured = json!({"total": all.len(), "organizations": orgs});
            return Ok(ToolOutput {
                text: render(&orgs, &page),
                structured: page.add_keys(structured),
            });
        }
        let (visible, hidden) = visible_orgs(scope, all);
        let (orgs, page) = window.local(&visible);
        let orgs: Vec<Value> = orgs.iter().map(space::organization).collect();
        let mut structured = json!({"total": visible.len(), "organizations": orgs});
        let mut text = render(&orgs, &page);
        scope.annotate(
            hidden,
            ("workspace", "workspaces"),
            &mut text,
            &mut structured,
        );
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
        })
    }
}

/// The organizations a scoped token may see, each with only its allowed
/// workspaces (an organization the token lists keeps them all; one with no
/// allowed workspace is left out), and how many workspaces were hidden.
fn visible_orgs(scope: &WorkspaceScope, all: &[Value]) -> (Vec<Value>, usize) {
    let mut hidden = 0;
    let mut visible = Vec::new();
    for org in all {
        let org_id = id_at(org, "org_id");
        let spaces = array(org, "spaces");
        let kept: Vec<Value> = spaces
            .iter()
            .filter(|s| {
                id_at(s, "space_id").is_some_and(|id| {
                    scope.allows_space_in(id, org_id.or_else(|| id_at(s, "org_id")))
                })
            })
            .cloned()
            .collect();
        hidden += spaces.len() - kept.len();
        if kept.is_empty() && !org_id.is_some_and(|id| scope.allows_org(id)) {
            continue;
        }
        let mut org = org.clone();
        if let Value::Object(map) = &mut org {
            map.insert("spaces".to_owned(), Value::Array(kept));
        }
        visible.push(org);
    }
    (visible, hidden)
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
