//! get_space_members: a workspace's members with their roles and join
//! dates, paged here because Podio returns them all at once.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::page::{self, Next, Page, Paging, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::json::str_at;
use crate::decode::member;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Members per page: 50 unless the caller says, up to 500.
const PAGING: Paging = Paging {
    default: 50,
    max: 500,
};

/// The get_space_members tool.
pub struct GetSpaceMembers;

#[async_trait]
impl Tool for GetSpaceMembers {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_space_members",
            title: "Get space members",
            description: "List the members of a Podio workspace (space): name, user_id, \
                profile_id, e-mail, role (admin, regular or light), when they were invited and \
                when they joined, and whether they are an employee of the organization. Pages of \
                50 by default (up to 500), ordered as Podio returns them; the result gives total \
                and next_offset. Use a member's user_id as a task's responsible and their \
                profile_id for contact fields. Use get_organizations or \
                get_spaces_in_organization to find space ids.",
            input_schema: PAGING.input(
                "members",
                vec![(
                    "space_id",
                    schema::id("The id of the workspace whose members to list."),
                )],
                &["space_id"],
            ),
            output_schema: page::output(
                "member",
                Next::Exact,
                vec![
                    (
                        "space_id",
                        schema::typed("integer", "The workspace asked for."),
                    ),
                    (
                        "total",
                        schema::typed("integer", "How many members the workspace has."),
                    ),
                    (
                        "members",
                        schema::array_of(
                            member_schema(
                                "the workspace",
                                vec![
                                    (
                                        "invited_on",
                                        schema::nullable(
                                            "string",
                                            "When they were invited, \"YYYY-MM-DD HH:MM:SS\" UTC.",
                                        ),
                                    ),
                                    (
                                        "started_on",
                                        schema::nullable(
                                            "string",
                                            "When they joined the workspace, \"YYYY-MM-DD HH:MM:SS\" UTC.",
                                        ),
                                    ),
                                ],
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
        let space_id = args.id("space_id", "space id");
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
            .get(format!("/space/{space_id}/member/"), &[], &target)
            .await?;
        let all = expect_array(&raw, "GET /space/{space_id}/member/")?;
        let (members, page) = window.local(all);
        let members: Vec<Value> = members.iter().map(member::space_member).collect();

        let text = render(space_id, &members, &page);
        let structured = json!({
            "space_id": space_id,
            "total": all.len(),
            "members": members,
        });
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
        })
    }
}

/// A member's output schema: who they are, their role in `place` ("the
/// workspace" or "the organization"), whether they are an employee, then
/// `extra` properties.
pub(super) fn member_schema(place: &str, extra: Vec<(&str, Value)>) -> Value {
    let mut properties = vec![
        (
            "user_id",
            schema::nullable(
                "integer",
                "The member's user id (use it as a task's responsible).",
            ),
        ),
        (
            "profile_id",
            schema::nullable(
                "integer",
                "The member's profile id (use it as the value of contact fields).",
            ),
        ),
        ("name", schema::nullable("string", "The member's name.")),
        (
            "mail",
            schema::nullable("string", "The member's e-mail address, when visible."),
        ),
        (
            "role",
            schema::nullable(
                "string",
                &format!("Their role in {place}: admin, regular or light."),
            ),
        ),
        (
            "employee",
            schema::nullable(
                "boolean",
                "Whether they are an employee of the organization (false for outside guests).",
            ),
        ),
    ];
    properties.extend(extra);
    schema::output(&properties)
}

/// "- Jane Doe (user 1, profile 2, jane@x): admin, <details>, not an
/// employee".
pub(super) fn member_line(m: &Value, details: Vec<String>) -> String {
    let mut all: Vec<String> = str_at(m, "role").map(str::to_owned).into_iter().collect();
    all.extend(details);
    if m["employee"] == json!(false) {
        all.push("not an employee".to_owned());
    }
    let who = member::who(m);
    if all.is_empty() {
        format!("- {who}")
    } else {
        format!("- {who}: {}", all.join(", "))
    }
}

fn render(space_id: u64, members: &[Value], page: &Page) -> String {
    let mut lines = vec![page.header(&Words {
        noun: ("member", "members"),
        place: &format!(" in space {space_id}"),
        order: "",
        empty: &format!("Space {space_id} has no members."),
    })];
    for m in members {
        let joined = str_at(m, "started_on").map(|on| format!("joined {on}"));
        lines.push(member_line(m, joined.into_iter().collect()));
    }
    lines.join("\n")
}
