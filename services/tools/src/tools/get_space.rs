//! get_space: one workspace's details.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{READ_ONLY, SCOPE_READ, Tool, ToolOutput, ToolSpec, expect_object, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::decode::html;
use crate::decode::json::{get, int_or_null, str_at, string_or_null};
use crate::error::ToolError;
use crate::podio::{Podio, Target};
use crate::scope::{Decision, org_of_space};

/// The get_space tool.
pub struct GetSpace;

#[async_trait]
impl Tool for GetSpace {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_space",
            title: "Get space",
            description: "Get a Podio workspace (space): its name, description, web link, \
                organization, privacy (open or closed), the connected user's role in it, its \
                type, when it was created and how many members it has. Use get_organizations \
                or get_spaces_in_organization to find space ids; get_apps_in_space lists its \
                apps and get_space_members its members.",
            input_schema: schema::input(
                &[("space_id", schema::id("The workspace's id."))],
                &["space_id"],
            ),
            output_schema: schema::output(&[
                (
                    "space_id",
                    schema::nullable("integer", "The workspace's id."),
                ),
                ("name", schema::nullable("string", "The workspace's name.")),
                (
                    "description",
                    schema::nullable("string", "The workspace's description, as plain text."),
                ),
                (
                    "url",
                    schema::nullable("string", "URL of the workspace in Podio's web UI."),
                ),
                (
                    "org_id",
                    schema::nullable("integer", "The organization the workspace belongs to."),
                ),
                (
                    "org_name",
                    schema::nullable("string", "That organization's name."),
                ),
                (
                    "privacy",
                    schema::nullable(
                        "string",
                        "open (anyone in the organization may join) or closed (by invitation).",
                    ),
                ),
                (
                    "role",
                    schema::nullable(
                        "string",
                        "The connected user's role in it: admin, regular or light.",
                    ),
                ),
                (
                    "type",
                    schema::nullable("string", "The workspace type, e.g. regular or demo."),
                ),
                ("created_on", schema::created_on()),
                ("created_by", schema::created_by()),
                (
                    "member_count",
                    schema::nullable("integer", "How many members it has, when Podio says."),
                ),
            ]),
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
        args.finish()?;

        let target = Target::new(
            format!("space {space_id}"),
            "use get_organizations or get_spaces_in_organization to find space ids",
        );
        let scope = podio.scope();
        let what = format!("space {space_id}");
        if scope.decide(space_id) == Decision::Denied {
            return Err(scope.refusal(&what, Some(space_id)));
        }
        let raw = podio
            .get(format!("/space/{space_id}"), &[], &target)
            .await?;
        // Whether a workspace is in one of the token's organizations is
        // what this very answer says.
        if scope.decide(space_id) == Decision::NeedsOrg
            && !scope.allows_space_in(space_id, org_of_space(&raw))
        {
            return Err(scope.refusal(&what, Some(space_id)));
        }
        let space = decode(expect_object(&raw, "GET /space/{space_id}")?);
        Ok(ToolOutput {
            text: render(&space),
            structured: space,
        })
    }
}

fn decode(s: &Value) -> Value {
    let description = str_at(s, "description")
        .map(|d| {
            if html::looks_like_html(d) {
                html::to_text(d)
            } else {
                d.to_owned()
            }
        })
        .filter(|d| !d.trim().is_empty());
    let org = get(s, "org");
    let org_id = match int_or_null(s, "org_id") {
        Value::Null => org.map_or(Value::Null, |o| int_or_null(o, "org_id")),
        id => id,
    };
    // Podio names the count member_count, older answers `members`.
    let member_count = match int_or_null(s, "member_count") {
        Value::Null => int_or_null(s, "members"),
        n => n,
    };
    json!({
        "space_id": int_or_null(s, "space_id"),
        "name": string_or_null(s, "name"),
        "description": description,
        "url": string_or_null(s, "url"),
        "org_id": org_id,
        "org_name": org.map_or(Value::Null, |o| string_or_null(o, "name")),
        "privacy": string_or_null(s, "privacy"),
        "role": string_or_null(s, "role"),
        "type": string_or_null(s, "type"),
        "created_on": string_or_null(s, "created_on"),
        "created_by": get(s, "created_by").map_or(Value::Null, |b| string_or_null(b, "name")),
        "member_count": member_count,
    })
}

fn render(s: &Value) -> String {
    let name = str_at(s, "name").unwrap_or("(unnamed)");
    let id = crate::decode::item::render_id(s, "space_id");
    let mut lines = vec![format!("Workspace {name} (space {id})")];
    let org = match (str_at(s, "org_name"), get(s, "org_id")) {
        (Some(n), Some(oid)) => Some(format!("{n} (org {oid})")),
        (None, Some(oid)) => Some(format!("org {oid}")),
        (Some(n), None) => Some(n.to_owned()),
        (None, None) => None,
    };
    if let Some(org) = org {
        lines.push(format!("Organization: {org}"));
    }
    for (key, label) in [
        ("privacy", "Privacy"),
        ("role", "Your role"),
        ("type", "Type"),
        ("member_count", "Members"),
        ("created_on", "Created"),
        ("created_by", "Created by"),
        ("url", "Link"),
    ] {
        match get(s, key) {
            Some(Value::String(v)) => lines.push(format!("{label}: {v}")),
            Some(v) => lines.push(format!("{label}: {v}")),
            None => {}
        }
    }
    if let Some(d) = str_at(s, "description") {
        lines.push(format!("Description: {d}"));
    }
    lines.join("\n")
}
