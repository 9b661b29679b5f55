//! get_spaces_in_organization: the workspaces of one organization that the
//! connected user is a member of.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, plural, schema};
use crate::args::Args;
use crate::decode::space;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

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
                get_organizations to find org ids, then get_apps_in_space with a space_id.",
            input_schema: schema::input(
                &[("org_id", schema::id("The organization's id."))],
                &["org_id"],
            ),
            output_schema: schema::output(&[
                (
                    "org_id",
                    schema::typed("integer", "The organization asked for."),
                ),
                (
                    "spaces",
                    schema::array_of(
                        schema::space(),
                        "The organization's workspaces the user is a member of.",
                    ),
                ),
            ]),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(&self, podio: &Podio, mut args: Args) -> Result<ToolOutput, ToolError> {
        let org_id = args.id("org_id", "organization id");
        args.finish()?;

        let target = Target::new(
            format!("organization {org_id}"),
            "use get_organizations to find organization ids",
        );
        let raw = podio
            .get(format!("/org/{org_id}/space/"), &[], &target)
            .await?;
        let spaces: Vec<Value> = expect_array(&raw, "GET /org/{org_id}/space/")?
            .iter()
            .map(space::space)
            .collect();
        let text = if spaces.is_empty() {
            format!("You are a member of no workspace in organization {org_id}.")
        } else {
            let mut lines = vec![format!(
                "{} in organization {org_id}:",
                plural(spaces.len(), "workspace", "workspaces")
            )];
            lines.extend(spaces.iter().map(|s| format!("- {}", space::space_line(s))));
            lines.join("\n")
        };
        Ok(ToolOutput {
            text,
            structured: json!({"org_id": org_id, "spaces": spaces}),
        })
    }
}
