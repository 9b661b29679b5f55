//! The catalog: every tool, in the order clients list them (the product
//! guide's order: items, apps and workspaces, organizations). New tools are
//! inserted at their place in that order. With the `conformance-fixtures`
//! feature the conformance suite's fixture tools follow the Podio tools.

use portico_proto::tools::v1 as proto;

use super::{Handler, ToolSpec};
use super::{
    add_comment::AddComment, complete_task::CompleteTask, create_task::CreateTask,
    get_item_comments::GetItemComments, get_notifications::GetNotifications, get_task::GetTask,
    get_tasks::GetTasks, update_task::UpdateTask,
};
use super::{create_item::CreateItem, update_item::UpdateItem};
use super::{
    get_app::GetApp, get_apps_in_space::GetAppsInSpace, get_item::GetItem, get_items::GetItems,
    get_organizations::GetOrganizations, get_spaces_in_organization::GetSpacesInOrganization,
};
use super::{
    get_app_summary::GetAppSummary, get_org_members::GetOrgMembers, get_space::GetSpace,
    get_space_members::GetSpaceMembers, list_views::ListViews, search_globally::SearchGlobally,
};

/// The tool names, in the order clients list them: a contract that MCP
/// clients, prompts and internal gRPC callers rely on (DESIGN.md), pinned
/// here once and checked against the catalog.
pub const TOOL_NAMES: [&str; 22] = [
    "get_item",
    "get_items",
    "get_app_summary",
    "create_item",
    "update_item",
    "get_app",
    "get_apps_in_space",
    "get_space",
    "get_space_members",
    "list-views",
    "get_organizations",
    "get_spaces_in_organization",
    "get_org_members",
    "search_globally",
    "get_tasks",
    "get_task",
    "create_task",
    "update_task",
    "complete_task",
    "get_item_comments",
    "add_comment",
    "get_notifications",
];

/// A tool with its definition, computed once.
pub struct Entry {
    /// The definition.
    pub spec: ToolSpec,
    /// The definition as sent on the wire.
    pub proto: proto::Tool,
    /// The handler.
    pub tool: Box<dyn Handler>,
}

/// Every tool, in a stable order.
pub struct Catalog {
    entries: Vec<Entry>,
}

impl Catalog {
    /// The full catalog.
    pub fn new() -> Self {
        #[allow(unused_mut)] // only the fixtures feature adds to it
        let mut tools: Vec<Box<dyn Handler>> = vec![
            // Items
            Box::new(GetItem),
            Box::new(GetItems),
            Box::new(GetAppSummary),
            Box::new(CreateItem),
            Box::new(UpdateItem),
            // Apps & workspaces
            Box::new(GetApp),
            Box::new(GetAppsInSpace),
            Box::new(GetSpace),
            Box::new(GetSpaceMembers),
            Box::new(ListViews),
            // Organizations
            Box::new(GetOrganizations),
            Box::new(GetSpacesInOrganization),
            Box::new(GetOrgMembers),
            // Search
            Box::new(SearchGlobally),
            // Tasks
            Box::new(GetTasks),
            Box::new(GetTask),
            Box::new(CreateTask),
            Box::new(UpdateTask),
            Box::new(CompleteTask),
            // Comments & notifications
            Box::new(GetItemComments),
            Box::new(AddComment),
            Box::new(GetNotifications),
        ];
        #[cfg(feature = "conformance-fixtures")]
        tools.extend(super::fixtures::toolset());
        #[cfg(feature = "conformance-fixtures")]
        tools.extend(super::fixture_inputs::toolset());
        let entries = tools
            .into_iter()
            .map(|tool| {
                let spec = tool.spec();
                let proto = to_proto(&spec);
                Entry { spec, proto, tool }
            })
            .collect();
        Catalog { entries }
    }

    /// The wire definitions, in order.
    pub fn list(&self) -> Vec<proto::Tool> {
        self.entries.iter().map(|e| e.proto.clone()).collect()
    }

    /// Where the tool named `name` sits, for [`Catalog::at`].
    pub fn position(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.spec.name == name)
    }

    /// The tool at `index`, a value [`Catalog::position`] returned.
    pub fn at(&self, index: usize) -> &Entry {
        &self.entries[index]
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

fn to_proto(spec: &ToolSpec) -> proto::Tool {
    proto::Tool {
        name: spec.name.to_owned(),
        title: spec.title.to_owned(),
        description: spec.description.to_owned(),
        input_schema_json: spec.input_schema.to_string(),
        // No output schema (Null) goes out as none, not as the text "null".
        output_schema_json: if spec.output_schema.is_null() {
            String::new()
        } else {
            spec.output_schema.to_string()
        },
        annotations: Some(proto::ToolAnnotations {
            read_only_hint: spec.annotations.read_only,
            destructive_hint: spec.annotations.destructive,
            idempotent_hint: spec.annotations.idempotent,
            open_world_hint: spec.annotations.open_world,
        }),
        required_scope: spec.required_scope.name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_are_unique_and_schemas_are_closed_objects() {
        let catalog = Catalog::new();
        let mut seen = HashSet::new();
        for entry in &catalog.entries {
            assert!(
                seen.insert(entry.spec.name),
                "duplicate {}",
                entry.spec.name
            );
            let input = &entry.spec.input_schema;
            assert_eq!(input["type"], "object");
            assert_eq!(input["additionalProperties"], false);
            assert!(input["required"].is_array());
            let output = &entry.spec.output_schema;
            assert!(output["type"] == "object" || output.is_null());
            assert!(catalog.position(entry.spec.name).is_some());
        }
        assert!(catalog.position("nope").is_none());
        let names: Vec<&str> = catalog.entries.iter().map(|e| e.spec.name).collect();
        assert_eq!(names[..TOOL_NAMES.len()], TOOL_NAMES);
        // Only the fixtures feature adds tools, and only test_* ones.
        let extra = &names[TOOL_NAMES.len()..];
        assert_eq!(cfg!(feature = "conformance-fixtures"), !extra.is_empty());
        assert!(extra.iter().all(|name| name.starts_with("test_")));
    }
}
