//! get_notifications: the connected user's recent notifications, newest
//! first, flattened from Podio's per-context groups.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::page::{self, Next, Page, Paging, Words};
use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_array, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::json::{array, get};
use crate::decode::notification;
use crate::error::ToolError;
use crate::podio::{Podio, Target};
use crate::scope::{id_at, org_of_space};

/// Notifications per page: Podio's default of 20 unless the caller says, up
/// to Podio's largest page of 100.
const PAGING: Paging = Paging {
    default: 20,
    max: 100,
};

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
            input_schema: PAGING.input(
                "notifications",
                vec![(
                    "viewed",
                    schema::typed(
                        "boolean",
                        "false: unread notifications only; true: read ones only; omitted: all.",
                    ),
                )],
                &[],
            ),
            output_schema: page::output(
                "notification",
                Next::WhenFull,
                vec![(
                    "notifications",
                    schema::array_of(
                        notification_output(),
                        "The notifications of this page, newest first.",
                    ),
                )],
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
        let viewed = args.opt_bool("viewed");
        let window = PAGING.parse(&mut args);
        args.finish()?;

        let mut query = Vec::new();
        if let Some(viewed) = viewed {
            query.push(("viewed", viewed.to_string()));
        }
        query.extend(window.query());
        let target = Target::new(
            "the notification list",
            "check that the Podio account is connected",
        );
        let raw = podio
            .get("/notification/".to_owned(), &query, &target)
            .await?;
        let groups = expect_array(&raw, "GET /notification/")?;
        let scope = podio.scope();
        let visible: Vec<Value>;
        let mut hidden = 0;
        let shown = if scope.is_unlimited() {
            groups
        } else {
            // A group's context names the workspace it happened in; a group
            // without one is left out.
            let mut kept = Vec::new();
            for group in groups {
                let space = get(group, "context").and_then(|c| get(c, "space"));
                let space_id = space.and_then(|s| id_at(s, "space_id"));
                let org_id = space.and_then(org_of_space).or_else(|| {
                    get(group, "context")
                        .and_then(|c| get(c, "org"))
                        .and_then(|o| id_at(o, "org_id"))
                });
                if scope.shows(podio, space_id, org_id).await {
                    kept.push(group.clone());
                } else {
                    hidden += array(group, "notifications").len();
                }
            }
            visible = kept;
            &visible
        };
        let notifications = notification::flatten(shown);
        // Whether Podio's limit counts notifications or groups is not
        // documented: a page holding as many of either as asked for may have
        // a successor.
        let full = |n: usize| i64::try_from(n).unwrap_or(i64::MAX) >= window.limit;
        let scanned = notification::flatten(groups).len();
        let more = full(scanned) || full(groups.len());
        let page = if scope.is_unlimited() {
            window.upstream_with_more(notifications.len(), more)
        } else {
            // The next page starts after what Podio sent, hidden or not.
            window.filtered(notifications.len(), scanned, more)
        };

        let mut text = render(&notifications, viewed, &page);
        let mut structured = json!({ "notifications": notifications });
        scope.annotate(
            hidden,
            ("notification", "notifications"),
            &mut text,
            &mut structured,
        );
        Ok(ToolOutput {
            text,
            structured: page.add_keys(structured),
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

fn render(notifications: &[Value], viewed: Option<bool>, page: &Page) -> String {
    let (one, many) = match viewed {
        Some(false) => ("unread notification", "unread notifications"),
        Some(true) => ("read notification", "read notifications"),
        None => ("notification", "notifications"),
    };
    let mut lines = vec![page.header(&Words {
        noun: (one, many),
        place: "",
        order: ", newest first",
        empty: &format!("No {many}."),
    })];
    lines.extend(
        notifications
            .iter()
            .map(|n| format!("- {}", notification::notification_line(n))),
    );
    lines.join("\n")
}
