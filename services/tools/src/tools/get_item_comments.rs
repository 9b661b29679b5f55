//! get_item_comments: the comments on a Podio item, oldest first, paged here
//! because Podio returns them all at once.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, plural, schema};
use crate::args::Args;
use crate::decode::comment;
use crate::decode::json::{get, str_at};
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Comments per page when the caller does not say.
const DEFAULT_LIMIT: i64 = 50;
/// The largest page.
const MAX_LIMIT: i64 = 200;

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
            input_schema: schema::input(
                &[
                    (
                        "item_id",
                        schema::id("The id of the item whose comments to list."),
                    ),
                    (
                        "limit",
                        json!({
                            "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT,
                            "description": "How many comments to return, 1 to 200. Default 50.",
                        }),
                    ),
                    (
                        "offset",
                        json!({
                            "type": "integer", "minimum": 0, "default": 0,
                            "description": "How many comments to skip (oldest first), for paging: pass the previous result's next_offset. Default 0.",
                        }),
                    ),
                ],
                &["item_id"],
            ),
            output_schema: schema::output(&[
                ("item_id", schema::typed("integer", "The item asked for.")),
                (
                    "total",
                    schema::typed("integer", "How many comments the item has."),
                ),
                (
                    "offset",
                    schema::typed("integer", "The offset of the first comment returned."),
                ),
                (
                    "limit",
                    schema::typed("integer", "The page size asked for."),
                ),
                (
                    "count",
                    schema::typed("integer", "How many comments are in this page."),
                ),
                (
                    "next_offset",
                    schema::nullable(
                        "integer",
                        "The offset of the next page, or null when this page is the last.",
                    ),
                ),
                (
                    "comments",
                    schema::array_of(comment_output(), "The comments of this page, oldest first."),
                ),
            ]),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(&self, podio: &Podio, mut args: Args) -> Result<ToolOutput, ToolError> {
        let item_id = args.id("item_id", "item id");
        let limit = args.int_in("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT);
        let offset = args.int_in("offset", 0, 0..=i64::MAX);
        args.finish()?;

        let target = Target::new(
            format!("item {item_id}"),
            "use get_items or search_globally to find item ids",
        );
        let raw = podio
            .get(format!("/comment/item/{item_id}/"), &[], &target)
            .await?;
        let all = expect_array(&raw, "GET /comment/item/{item_id}/")?;
        let total = all.len();
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let size = usize::try_from(limit).unwrap_or(usize::MAX);
        let comments: Vec<Value> = all
            .iter()
            .skip(start)
            .take(size)
            .map(comment::comment)
            .collect();
        let end = start.saturating_add(comments.len());
        let next_offset = (!comments.is_empty() && end < total).then_some(end);

        let text = render(item_id, &comments, total, start, next_offset);
        Ok(ToolOutput {
            text,
            structured: json!({
                "item_id": item_id,
                "total": total,
                "offset": offset,
                "limit": limit,
                "count": comments.len(),
                "next_offset": next_offset,
                "comments": comments,
            }),
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

fn render(
    item_id: u64,
    comments: &[Value],
    total: usize,
    start: usize,
    next_offset: Option<usize>,
) -> String {
    if total == 0 {
        return format!("Item {item_id} has no comments.");
    }
    if comments.is_empty() {
        return format!(
            "No comments at offset {start}: item {item_id} has {}; use an offset below {total}.",
            plural(total, "comment", "comments")
        );
    }
    let mut header = format!(
        "Comments {}–{} of {total} on item {item_id}, oldest first",
        start + 1,
        start + comments.len()
    );
    match next_offset {
        Some(next) => header.push_str(&format!("; pass offset={next} for more:")),
        None => header.push(':'),
    }
    let mut lines = vec![header];
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
