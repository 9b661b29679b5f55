//! get_spaces_in_organization: the workspaces of one organization that the
//! connected user is a member of.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::page::{self, Next, Paging, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::space;
use crate::error::ToolError;
use crate::podio::{Podio, Target};
use crate::scope::id_at;

/// Workspaces per page: 100 unless the caller says, up to 500.
const PAGING: Paging = Paging {
    default: 100,
    max: 500,
};

/// The get_spaces_in_organization tool.
pub struct GetSpacesInOrganization;

#[async_trait]
impl Tool for GetSpacesInOrganization {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_spaces_in_organization",
            title: "Get spaces in organization",
            description: "List the workspaces (spaces) of a Podio organization that the connected \
                user is a member of, with their ids, names, privacy and the user's role. Use \
                get_organizations to find org ids, then get_apps_in_space with a space_id. Pages \
                of 100 by default (up to 500), in Podio's order; the result gives total and \
                next_offset.",
            input_schema: PAGING.input(
                "workspaces",
                vec![("org_id", schema::id("The organization's id."))],
                &["org_id"],
            ),
            output_schema: page::output(
                "workspace",
                Next::Exact,
                vec![
                    (
                        "org_id",
                        schema::typed("integer", "The organization asked for."),
                    ),
                    (
                        "total",
                        schema::typed(
                            "integer",
                            "How many of the organization's workspaces the user is a member of.",
                        ),
                    ),
                    (
                        "spaces",
                        schema::array_of(
                            schema::space(),
                            "The organization's workspaces the user is a member of, in this page.",
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
        let org_id = args.id("org_id", "organization id");
        let window = PAGING.parse(&mut args);
        args.finish()?;
        let scope = podio.scope();
        // A token listing no workspace, and not this organization, can see
        // nothing in it: no need to ask Podio.
        if !scope.allows_org(org_id) && !scope.lists_spaces() {
            return Err(scope.org_refusal(org_id));
        }

        let target = Target::new(
            format!("organization {org_id}"),
            "use get_organizations to find organization ids",
        );
        let raw = podio
            .get(format!("/org/{org_id}/space/"), &[], &target)
            .await?;
        let all = expect_array(&raw, "GET /org/{org_id}/space/")?;
        let visible: Vec<Value>;
        let all = if scope.allows_org(org_id) {
            all
        } else {
            visible = all
                .iter()
                .filter(|s| {
                    id_at(s, "space_id").is_some_and(|id| scope.allows_space_in(id, Some(org_id)))
                })
                .cloned()
                .collect();
            &visible
        };
        let hidden = raw.as_array().map_or(0, Vec::len) - all.len();
        let (spaces, page) = window.local(all);
        let spaces: Vec<Value> = spaces.iter().map(space::space).collect();
        let mut lines = vec![page.header(&Words {
            noun: ("workspace", "workspaces"),
            place: &format!(" in organization {org_id}"),
            order: "",
            empty: &format!("You are a member of no workspace in organization {org_id}."),
        })];
        lines.extend(spaces.iter().map(|s| format!("- {}", space::space_line(s))));
        let mut structured = json!({"org_id": org_id, "total": all.len(), "spaces": spaces});
        let mut text = lines.join("\n");
        if !scope.allows_org(org_id) {
            scope.annotate(
                hidden,
                ("workspace", "workspaces"),
                &mut text,
                &mut structured,
            );
        }
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
        })
    }
}
