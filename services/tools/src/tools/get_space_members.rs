//! get_space_members: a workspace's members with their roles and join
//! dates, paged here because Podio returns them all at once.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, plural, schema};
use crate::args::Args;
use crate::decode::json::str_at;
use crate::decode::member;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Members per page when the caller does not say.
const DEFAULT_LIMIT: i64 = 50;
/// The largest page.
const MAX_LIMIT: i64 = 500;

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
            input_schema: schema::input(
                &[
                    (
                        "space_id",
                        schema::id("The id of the workspace whose members to list."),
                    ),
                    ("limit", schema::limit(DEFAULT_LIMIT, MAX_LIMIT, "members")),
                    ("offset", schema::offset("members")),
                ],
                &["space_id"],
            ),
            output_schema: schema::output(&[
                (
                    "space_id",
                    schema::typed("integer", "The workspace asked for."),
                ),
                (
                    "total",
                    schema::typed("integer", "How many members the workspace has."),
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
                        "The offset of the next page, or null when this page is the last.",
                    ),
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
            ]),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(&self, podio: &Podio, mut args: Args) -> Result<ToolOutput, ToolError> {
        let space_id = args.id("space_id", "space id");
        let limit = args.int_in("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT);
        let offset = args.int_in("offset", 0, 0..=i64::MAX);
        args.finish()?;

        let target = Target::new(
            format!("space {space_id}"),
            "use get_organizations or get_spaces_in_organization to find space ids",
        );
        let raw = podio
            .get(format!("/space/{space_id}/member/"), &[], &target)
            .await?;
        let all = expect_array(&raw, "GET /space/{space_id}/member/")?;
        let page = LocalPage::of(all, offset, limit);
        let members: Vec<Value> = page.items.iter().map(member::space_member).collect();

        let text = render(space_id, &members, &page);
        Ok(ToolOutput {
            text,
            structured: json!({
                "space_id": space_id,
                "total": page.total,
                "offset": offset,
                "limit": limit,
                "count": members.len(),
                "next_offset": page.next_offset,
                "members": members,
            }),
        })
    }
}

/// One page cut from a list Podio returns whole.
pub(super) struct LocalPage<'a> {
    /// The entries of the page.
    pub items: &'a [Value],
    /// How many entries the whole list has.
    pub total: usize,
    /// Index of the first entry of the page.
    pub start: usize,
    /// Where the next page starts, when there is one.
    pub next_offset: Option<usize>,
}

impl<'a> LocalPage<'a> {
    /// The page of `all` at `offset` of at most `limit` entries (both
    /// already validated as non-negative).
    pub fn of(all: &'a [Value], offset: i64, limit: i64) -> Self {
        let total = all.len();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
        let size = usize::try_from(limit).unwrap_or(usize::MAX);
        let end = start.saturating_add(size).min(total);
        LocalPage {
            items: &all[start..end],
            total,
            start: usize::try_from(offset).unwrap_or(usize::MAX),
            next_offset: (end > start && end < total).then_some(end),
        }
    }

    /// The header line: "Members 1–50 of 120 in space 7; pass offset=50 for
    /// more:", or why the page is empty. `what` is the plural noun.
    pub fn header(&self, what: &str, one: &str, place: &str) -> String {
        if self.total == 0 {
            return format!("{place} has no {what}.");
        }
        if self.items.is_empty() {
            return format!(
                "No {what} at offset {}: {place} has {}; use an offset below {}.",
                self.start,
                plural(self.total, one, what),
                self.total
            );
        }
        let mut header = format!(
            "{} {}–{} of {} in {place}",
            capitalized(what),
            self.start + 1,
            self.start + self.items.len(),
            self.total
        );
        match self.next_offset {
            Some(next) => header.push_str(&format!("; pass offset={next} for more:")),
            None => header.push(':'),
        }
        header
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
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

fn render(space_id: u64, members: &[Value], page: &LocalPage<'_>) -> String {
    let mut lines = vec![page.header("members", "member", &format!("space {space_id}"))];
    for m in members {
        let joined = str_at(m, "started_on").map(|on| format!("joined {on}"));
        lines.push(member_line(m, joined.into_iter().collect()));
    }
    lines.join("\n")
}
