//! get_org_members: an organization's members, searchable and paged by
//! Podio; only organization admins may list them.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::get_space_members::{member_line, member_schema};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, plural, schema};
use crate::args::Args;
use crate::decode::json::get;
use crate::decode::member;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Members per page when the caller does not say.
const DEFAULT_LIMIT: i64 = 20;
/// The largest page this tool asks Podio for.
const MAX_LIMIT: i64 = 100;
/// Longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;
/// How podio::errors words a 403, which Podio answers to non-admins here.
const DENIED: &str = "Podio denied access";

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
            input_schema: schema::input(
                &[
                    (
                        "org_id",
                        schema::id("The id of the organization whose members to list."),
                    ),
                    (
                        "query",
                        schema::typed(
                            "string",
                            "Only members whose name or e-mail contains this text.",
                        ),
                    ),
                    ("limit", schema::limit(DEFAULT_LIMIT, MAX_LIMIT, "members")),
                    ("offset", schema::offset("members")),
                ],
                &["org_id"],
            ),
            output_schema: schema::output(&[
                (
                    "org_id",
                    schema::typed("integer", "The organization asked for."),
                ),
                (
                    "query",
                    schema::nullable("string", "The search text used, if any."),
                ),
                (
                    "offset",
                    schema::typed("integer", "The offset of the first member returned."),
                ),
                (
                    "limit",
                    schema::typed("integer", "The page size asked for."),
                ),
                (
                    "count",
                    schema::typed("integer", "How many members are in this page."),
                ),
                (
                    "next_offset",
                    schema::nullable(
                        "integer",
                        "The offset of the next page when this page was full (there may be more), else null.",
                    ),
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
            ]),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(&self, podio: &Podio, mut args: Args) -> Result<ToolOutput, ToolError> {
        let org_id = args.id("org_id", "organization id");
        let query = args.opt_text("query", MAX_QUERY_CHARS);
        let limit = args.int_in("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT);
        let offset = args.int_in("offset", 0, 0..=i64::MAX);
        args.finish()?;

        let target = Target::new(
            format!("the members of organization {org_id}"),
            "use get_organizations to find org ids",
        );
        let mut params = vec![("limit", limit.to_string()), ("offset", offset.to_string())];
        if let Some(q) = &query {
            params.push(("query", q.clone()));
        }
        let raw = podio
            .get(format!("/org/{org_id}/member/"), &params, &target)
            .await
            .map_err(|e| match e {
                ToolError::Failed(message) if message.starts_with(DENIED) => {
                    ToolError::Failed(format!(
                        "{message}. Only organization admins can list an organization's members; \
                         use get_space_members to list the members of a workspace instead."
                    ))
                }
                other => other,
            })?;
        let members: Vec<Value> = expect_array(&raw, "GET /org/{org_id}/member/")?
            .iter()
            .map(member::org_member)
            .collect();
        let full = i64::try_from(members.len()).unwrap_or(i64::MAX) >= limit;
        let next_offset = full.then(|| offset.saturating_add(limit));

        let text = render(org_id, query.as_deref(), offset, &members, next_offset);
        Ok(ToolOutput {
            text,
            structured: json!({
                "org_id": org_id,
                "query": query,
                "offset": offset,
                "limit": limit,
                "count": members.len(),
                "next_offset": next_offset,
                "members": members,
            }),
        })
    }
}

fn render(
    org_id: u64,
    query: Option<&str>,
    offset: i64,
    members: &[Value],
    next_offset: Option<i64>,
) -> String {
    let matching = query.map_or(String::new(), |q| format!(" matching \"{q}\""));
    if members.is_empty() {
        return if offset == 0 {
            format!("Organization {org_id} has no members{matching}.")
        } else {
            format!("No more members of organization {org_id}{matching} at offset {offset}.")
        };
    }
    let mut header = format!(
        "{} of organization {org_id}{matching}, from offset {offset}",
        plural(members.len(), "member", "members")
    );
    match next_offset {
        Some(next) => header.push_str(&format!("; there may be more: pass offset={next}:")),
        None => header.push(':'),
    }
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
