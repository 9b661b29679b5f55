//! add_comment: posts a comment on a Podio item.

use async_trait::async_trait;
use serde_json::json;

use super::get_item_comments::{comment_lines, comment_output};
use super::{CREATES, SCOPE_WRITE, Tool, ToolOutput, ToolSpec, expect_object, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::comment;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Longest comment accepted.
const MAX_TEXT: usize = 10_000;

/// The add_comment tool.
pub struct AddComment;

#[async_trait]
impl Tool for AddComment {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "add_comment",
            title: "Add comment",
            description: "Post a comment on a Podio item as the connected user. Mention someone \
                with @[Name](user:USER_ID). silent=true posts without notifying followers or \
                bumping the item in activity streams. Use get_items or search_globally to find \
                item ids, get_item_comments to read the discussion first.",
            input_schema: schema::input(
                &[
                    ("item_id", schema::id("The id of the item to comment on.")),
                    (
                        "text",
                        schema::string(
                            MAX_TEXT,
                            "The comment's text, up to 10,000 characters; not empty.",
                        ),
                    ),
                    (
                        "silent",
                        json!({
                            "type": "boolean", "default": false,
                            "description": "true: no notifications and no activity-stream bump. Default false.",
                        }),
                    ),
                ],
                &["item_id", "text"],
            ),
            output_schema: comment_output(),
            annotations: CREATES,
            required_scope: SCOPE_WRITE,
        }
    }

    async fn call(
        &self,
        _cx: &CallContext,
        podio: &Podio,
        mut args: Args,
    ) -> Result<ToolOutput, ToolError> {
        let item_id = args.id("item_id", "item id");
        let text = args.opt_text("text", MAX_TEXT);
        let silent = args.bool_or("silent", false);
        args.finish()?;
        podio.scope().check_item_id(podio, item_id).await?;

        let target = Target::new(
            format!("item {item_id}"),
            "use get_items or search_globally to find item ids",
        );
        let query: Vec<(&str, String)> = if silent {
            vec![("silent", "true".to_owned())]
        } else {
            Vec::new()
        };
        let body = json!({"value": text.unwrap_or_default()});
        let raw = podio
            .post_with_query(
                format!("/comment/item/{item_id}/"),
                &query,
                Some(&body),
                &target,
            )
            .await?;
        let mut added = comment::comment(expect_object(&raw, "POST /comment/item/{item_id}/")?);
        // Podio only promises comment_id in its answer; the text is what was sent.
        if added["text"].is_null() {
            added["text"] = body["value"].clone();
        }
        Ok(ToolOutput {
            text: format!(
                "Comment added to item {item_id}:\n{}",
                comment_lines(&added)
            ),
            structured: added,
        })
    }
}
