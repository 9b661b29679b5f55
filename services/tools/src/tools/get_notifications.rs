//! get_notifications: the connected user's recent notifications, newest
//! first, flattened from Podio's per-context groups.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, plural, schema};
use crate::args::Args;
use crate::decode::notification;
use crate::error::ToolError;
use crate::podio::{Podio, Target};

/// Notifications per page when the caller does not say (Podio's default).
const DEFAULT_LIMIT: i64 = 20;
/// Podio's largest page.
const MAX_LIMIT: i64 = 100;

/// The get_notifications tool.
pub struct GetNotifications;

#[async_trait]
impl Tool for GetNotifications {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_notifications",
            title: "Get notifications",
            description: "List the connected user's Podio notifications, newest first (default \
                20, up to 100 per call): what happened (comment, creation, update, task, ...), who \
                did it, when, on which object (ref type and id, e.g. an item_id for get_item) in \
                which workspace, and whether it has been read. viewed=false lists unread ones \
                only, viewed=true read ones only; omit it for all. next_offset is set when the \
                page was full.",
            input_schema: schema::input(
                &[
                    (
                        "viewed",
                        schema::typed(
                            "boolean",
                            "false: unread notifications only; true: read ones only; omitted: all.",
                        ),
                    ),
                    (
                        "limit",
                        json!({
                            "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT,
                            "description": "How many notifications to return, 1 to 100. Default 20.",
                        }),
                    ),
                    (
                        "offset",
                        json!({
                            "type": "integer", "minimum": 0, "default": 0,
                            "description": "How many notifications to skip, for paging: pass the previous result's next_offset. Default 0.",
                        }),
                    ),
                ],
                &[],
            ),
            output_schema: schema::output(&[
                (
                    "notifications",
                    schema::array_of(
                        notification_output(),
                        "The notifications of this page, newest first.",
                    ),
                ),
                (
                    "count",
                    schema::typed("integer", "How many notifications are in this page."),
                ),
                (
                    "offset",
                    schema::typed("integer", "The offset of the first notification returned."),
                ),
                (
                    "limit",
                    schema::typed("integer", "The page size asked for."),
                ),
                (
                    "next_offset",
                    schema::nullable(
                        "integer",
                        "The offset of the next page when this one was full (there may be more), else null.",
                    ),
                ),
            ]),
            annotations: READ_ONLY,
            required_scope: SCOPE_READ,
        }
    }

    async fn call(&self, podio: &Podio, mut args: Args) -> Result<ToolOutput, ToolError> {
        let viewed = args.opt_bool("viewed");
        let limit = args.int_in("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT);
        let offset = args.int_in("offset", 0, 0..=i64::MAX);
        args.finish()?;

        let mut query = Vec::new();
        if let Some(viewed) = viewed {
            query.push(("viewed", viewed.to_string()));
        }
        query.push(("limit", limit.to_string()));
        query.push(("offset", offset.to_string()));
        let target = Target::new(
            "the notification list",
            "check that the Podio account is connected",
        );
        let raw = podio
            .get("/notification/".to_owned(), &query, &target)
            .await?;
        let groups = expect_array(&raw, "GET /notification/")?;
        let notifications = notification::flatten(groups);
        // Podio's limit counts notifications; a page holding as many groups or
        // notifications as asked for may have a successor.
        let count = notifications.len();
        let reached = |n: usize| i64::try_from(n).unwrap_or(i64::MAX) >= limit;
        let next_offset = (reached(count) || reached(groups.len()))
            .then(|| offset + i64::try_from(count).unwrap_or(i64::MAX));

        let text = render(&notifications, viewed, offset, next_offset);
        Ok(ToolOutput {
            text,
            structured: json!({
                "notifications": notifications,
                "count": count,
                "offset": offset,
                "limit": limit,
                "next_offset": next_offset,
            }),
        })
    }
}

fn notification_output() -> Value {
    schema::output(&[
        (
            "notification_id",
            schema::nullable("integer", "The notification's id."),
        ),
        (
            "type",
            schema::nullable(
                "string",
                "What happened: comment, creation, update, delete, alert, file, rating, task, space_invite, member_reference_add, ...",
            ),
        ),
        (
            "text",
            schema::nullable("string", "Podio's sentence about it."),
        ),
        (
            "author",
            schema::nullable("string", "Name of who caused it."),
        ),
        (
            "created_on",
            schema::nullable("string", "When it happened, \"YYYY-MM-DD HH:MM:SS\" UTC."),
        ),
        (
            "viewed",
            schema::typed("boolean", "Whether the user has read it."),
        ),
        (
            "context_title",
            schema::nullable(
                "string",
                "Title of the object it is about (e.g. the item's title).",
            ),
        ),
        (
            "ref",
            json!({
                "type": ["object", "null"],
                "description": "The object it is about.",
                "properties": {
                    "type": schema::nullable("string", "item, task, status, space, app, ..."),
                    "id": schema::nullable("integer", "The object's id (an item_id for items, a task_id for tasks)."),
                },
            }),
        ),
        (
            "link",
            schema::nullable("string", "URL of the object in Podio's web UI."),
        ),
        (
            "space",
            schema::nullable("string", "Name of the workspace it happened in."),
        ),
    ])
}

fn render(
    notifications: &[Value],
    viewed: Option<bool>,
    offset: i64,
    next_offset: Option<i64>,
) -> String {
    let kind = match viewed {
        Some(false) => "unread notifications",
        Some(true) => "read notifications",
        None => "notifications",
    };
    if notifications.is_empty() {
        return if offset > 0 {
            format!("No more {kind} at offset {offset}.")
        } else {
            format!("No {kind}.")
        };
    }
    let one = kind.trim_end_matches('s');
    let mut header = format!(
        "{}, newest first (from offset {offset})",
        plural(notifications.len(), one, kind)
    );
    match next_offset {
        Some(next) => header.push_str(&format!("; there may be more: pass offset={next}:")),
        None => header.push(':'),
    }
    let mut lines = vec![header];
    lines.extend(
        notifications
            .iter()
            .map(|n| format!("- {}", notification::notification_line(n))),
    );
    lines.join("\n")
}
