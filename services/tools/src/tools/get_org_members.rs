//! get_org_members: an organization's members, searchable and paged by
//! Podio; only organization admins may list them.

use async_trait::async_trait;
use serde_json::{Value, json};

use portico_proto::error::ErrorCode;

use super::get_space_members::{member_line, member_schema};
use super::page::{self, Next, Page, Paging, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, plural, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::json::get;
use crate::decode::member;
use crate::error::{Refusal, ToolError};
use crate::podio::{Podio, Target};

/// Members per page: 20 unless the caller says, up to 100 (Podio pages).
const PAGING: Paging = Paging {
    default: 20,
    max: 100,
};
/// Longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;

/// The get_org_members tool.
pub struct GetOrgMembers;

#[async_trait]
impl Tool for GetOrgMembers {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_org_members",
            title: "Get organization members",
            description: "List the members of a Podio organization: name, user_id, profile_id, \
                e-mail, role, whether they are an employee, and in how many of the \
                organization's workspaces they are. Optionally search by name or e-mail with \
                query. Pages of 20 by default (up to 100); when a page is full the result gives \
                next_offset. Only organization admins may list organization members; for \
                anyone else, get_space_members lists the members of a workspace. Use \
                get_organizations to find org ids.",
            input_schema: PAGING.input(
                "members",
                vec![
                    (
                        "org_id",
                        schema::id("The id of the organization whose members to list."),
                    ),
                    (
                        "query",
                        schema::string(
                            MAX_QUERY_CHARS,
                            "Only members whose name or e-mail contains this text.",
                        ),
                    ),
                ],
                &["org_id"],
            ),
            output_schema: page::output(
                "member",
                Next::WhenFull,
                vec![
                    (
                        "org_id",
                        schema::typed("integer", "The organization asked for."),
                    ),
                    (
                        "query",
                        schema::nullable("string", "The search text used, if any."),
                    ),
                    (
                        "members",
                        schema::array_of(
                            member_schema(
                                "the organization",
                                vec![(
                                    "space_memberships",
                                    schema::nullable(
                                        "integer",
                                        "In how many of the organization's workspaces they are a member.",
                                    ),
                                )],
                            ),
                            "The members of this page.",
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
        let query = args.opt_text("query", MAX_QUERY_CHARS);
        let window = PAGING.parse(&mut args);
        args.finish()?;
        podio
            .scope()
            .check_whole_org(org_id, &format!("the member list of organization {org_id}"))?;

        let target = Target::new(
            format!("the members of organization {org_id}"),
            "use get_organizations to find org ids",
        );
        let mut params = window.query().to_vec();
        if let Some(q) = &query {
            params.push(("query", q.clone()));
        }
        let raw = podio
            .get(format!("/org/{org_id}/member/"), &params, &target)
            .await
            .map_err(|e| match e {
                // Podio answers 403 to anyone but an organization admin here.
                ToolError::Refused(refusal) if refusal.code == ErrorCode::PermissionDenied => {
                    ToolError::Refused(Refusal {
                        message: format!(
                            "{}. Only organization admins can list an organization's members; \
                             use get_space_members to list the members of a workspace instead.",
                            refusal.message
                        ),
                        ..refusal
                    })
                }
                other => other,
            })?;
        let members: Vec<Value> = expect_array(&raw, "GET /org/{org_id}/member/")?
            .iter()
            .map(member::org_member)
            .collect();
        let page = window.upstream(members.len(), None);

        let text = render(org_id, query.as_deref(), &members, &page);
        let structured = json!({
            "org_id": org_id,
            "query": query,
            "members": members,
        });
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
        })
    }
}

fn render(org_id: u64, query: Option<&str>, members: &[Value], page: &Page) -> String {
    let matching = query.map_or(String::new(), |q| format!(" matching \"{q}\""));
    let header = page.header(&Words {
        noun: ("member", "members"),
        place: &format!(" of organization {org_id}{matching}"),
        order: "",
        empty: &format!("Organization {org_id} has no members{matching}."),
    });
    let mut lines = vec![header];
    for m in members {
        let spaces = get(m, "space_memberships")
            .and_then(Value::as_u64)
            .map(|n| {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                format!("in {}", plural(n, "workspace", "workspaces"))
            });
        lines.push(member_line(m, spaces.into_iter().collect()));
    }
    lines.join("\n")
}
