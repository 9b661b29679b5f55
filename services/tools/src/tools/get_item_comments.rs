//! get_item_comments: the comments on a Podio item, oldest first, paged here
//! because Podio returns them all at once.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::page::{self, Next, Page, Paging, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, plural, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::comment;
use crate::decode::json::{get, str_at};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Comments per page: 50 unless the caller says, up to 200.
const PAGING: Paging = Paging {
    default: 50,
    max: 200,
};

/// The get_item_comments tool.
pub struct GetItemComments;

#[async_trait]
impl Tool for GetItemComments {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_item_comments",
            title: "Get item comments",
            description: "List the comments on a Podio item, oldest first: text, author (name and \
                user id), when it was posted, attached file count and likes. Pages of 50 by \
                default (up to 200); the result gives total and next_offset. Use get_items or \
                search_globally to find item ids, add_comment to reply.",
            input_schema: PAGING.input(
                "comments",
                vec![(
                    "item_id",
                    schema::id("The id of the item whose comments to list."),
                )],
                &["item_id"],
            ),
            output_schema: page::output(
                "comment",
                Next::Exact,
                vec![
                    ("item_id", schema::typed("integer", "The item asked for.")),
                    (
                        "total",
                        schema::typed("integer", "How many comments the item has."),
                    ),
                    (
                        "comments",
                        schema::array_of(
                            comment_output(),
                            "The comments of this page, oldest first.",
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
        let item_id = args.id("item_id", "item id");
        let window = PAGING.parse(&mut args);
        args.finish()?;
        podio.scope().check_item_id(podio, item_id).await?;

        let target = Target::new(
            format!("item {item_id}"),
            "use get_items or search_globally to find item ids",
        );
        let raw = podio
            .get(format!("/comment/item/{item_id}/"), &[], &target)
            .await?;
        let all = expect_array(&raw, "GET /comment/item/{item_id}/")?;
        let (comments, page) = window.local(all);
        let comments: Vec<Value> = comments.iter().map(comment::comment).collect();

        let text = render(item_id, &comments, &page);
        let structured = json!({
            "item_id": item_id,
            "total": all.len(),
            "comments": comments,
        });
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
        })
    }
}

/// A decoded comment as an output schema (shared with add_comment).
pub(super) fn comment_output() -> Value {
    schema::output(&[
        (
            "comment_id",
            schema::nullable("integer", "The comment's id."),
        ),
        (
            "text",
            schema::nullable(
                "string",
                "The comment's text (mentions look like @[Name](user:ID)).",
            ),
        ),
        (
            "author",
            schema::nullable("string", "Name of who wrote it."),
        ),
        (
            "author_user_id",
            schema::nullable(
                "integer",
                "The author's user_id, when a user (not an app) wrote it.",
            ),
        ),
        (
            "created_on",
            schema::nullable("string", "When it was posted, \"YYYY-MM-DD HH:MM:SS\" UTC."),
        ),
        (
            "files",
            schema::typed("integer", "How many files are attached."),
        ),
        (
            "like_count",
            schema::typed("integer", "How many people liked it."),
        ),
    ])
}

fn render(item_id: u64, comments: &[Value], page: &Page) -> String {
    let mut lines = vec![page.header(&Words {
        noun: ("comment", "comments"),
        place: &format!(" on item {item_id}"),
        order: ", oldest first",
        empty: &format!("Item {item_id} has no comments."),
    })];
    lines.extend(comments.iter().map(comment_lines));
    lines.join("\n")
}

/// "- Bob Roe, 2024-03-06 08:30:00 (comment 3344556, 1 like):" and the text
/// indented below.
pub(super) fn comment_lines(c: &Value) -> String {
    let author = str_at(c, "author").unwrap_or("(unknown author)");
    let on = str_at(c, "created_on").unwrap_or("?");
    let mut details = vec![format!(
        "comment {}",
        crate::decode::item::render_id(c, "comment_id")
    )];
    for (key, one, many) in [("files", "file", "files"), ("like_count", "like", "likes")] {
        if let Some(n) = get(c, key).and_then(Value::as_u64).filter(|n| *n > 0) {
            details.push(plural(usize::try_from(n).unwrap_or(usize::MAX), one, many));
        }
    }
    let text = str_at(c, "text").unwrap_or("(no text)");
    let body: Vec<String> = text.lines().map(|l| format!("  {l}")).collect();
    format!(
        "- {author}, {on} ({}):\n{}",
        details.join(", "),
        body.join("\n")
    )
}
