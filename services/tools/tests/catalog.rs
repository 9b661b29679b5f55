//! The tool catalog as clients see it through ListTools.

mod common;

use common::{Harness, TOKEN};
use portico_tools::TOOL_NAMES;
use serde_json::{Value, json};

#[tokio::test]
async fn lists_the_tools_in_order() {
    let h = Harness::new();
    let tools = podio_tools(&h).await;
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, TOOL_NAMES);
    for tool in &tools {
        let a = tool.annotations.expect("annotations");
        assert!(a.open_world_hint, "{}", tool.name);
        // Reads need podio:read and are read-only; writes need podio:write.
        if a.read_only_hint {
            assert_eq!(tool.required_scope, "podio:read", "{}", tool.name);
            assert!(!a.destructive_hint && a.idempotent_hint, "{}", tool.name);
        } else {
            assert_eq!(tool.required_scope, "podio:write", "{}", tool.name);
        }
        assert!(
            !tool.title.is_empty() && tool.description.len() > 80,
            "{}",
            tool.name
        );
    }
}

#[tokio::test]
async fn every_schema_is_a_described_object_schema() {
    let h = Harness::new();
    for tool in podio_tools(&h).await {
        let input: Value = serde_json::from_str(&tool.input_schema_json).expect("input json");
        assert_eq!(input["type"], "object", "{}", tool.name);
        assert_eq!(input["additionalProperties"], false, "{}", tool.name);
        let props = input["properties"].as_object().expect("properties");
        for (name, prop) in props {
            let description = prop["description"].as_str().unwrap_or_default();
            assert!(
                !description.is_empty(),
                "{}.{name} has no description",
                tool.name
            );
        }
        for required in input["required"].as_array().expect("required list") {
            let name = required.as_str().expect("name");
            assert!(
                props.contains_key(name),
                "{}: required {name} not a property",
                tool.name
            );
        }
        let output: Value = serde_json::from_str(&tool.output_schema_json).expect("output json");
        assert_eq!(output["type"], "object", "{}", tool.name);
        assert_no_undescribed_properties(&tool.name, &output);
    }
}

/// Output properties carry descriptions too, at every depth.
fn assert_no_undescribed_properties(tool: &str, schema: &Value) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            assert!(
                prop.get("description").is_some(),
                "{tool}: output {name} has no description"
            );
            assert_no_undescribed_properties(tool, prop);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = schema.get(key).filter(|s| s.is_object()) {
            assert_no_undescribed_properties(tool, sub);
        }
    }
}

#[tokio::test]
async fn the_catalog_matches_its_snapshot() {
    let h = Harness::new();
    let tools: Vec<Value> = podio_tools(&h)
        .await
        .into_iter()
        .map(|t| {
            let a = t.annotations.unwrap_or_default();
            json!({
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "inputSchema": serde_json::from_str::<Value>(&t.input_schema_json).expect("json"),
                "outputSchema": serde_json::from_str::<Value>(&t.output_schema_json).expect("json"),
                "annotations": {
                    "readOnlyHint": a.read_only_hint,
                    "destructiveHint": a.destructive_hint,
                    "idempotentHint": a.idempotent_hint,
                    "openWorldHint": a.open_world_hint,
                },
                "requiredScope": t.required_scope,
            })
        })
        .collect();
    let actual = serde_json::to_string_pretty(&tools).expect("pretty") + "\n";
    let path = format!("{}/tests/snapshots/tools.json", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; run with UPDATE_SNAPSHOTS=1 to create it"));
    assert!(
        actual == expected,
        "the tool catalog changed; review and run with UPDATE_SNAPSHOTS=1 to accept"
    );
}

/// The listed Podio tools: the catalog without the conformance fixtures a
/// `conformance-fixtures` build appends (tests/conformance_fixtures.rs).
async fn podio_tools(h: &Harness) -> Vec<portico_proto::tools::v1::Tool> {
    let mut tools = h.list(Some(TOKEN)).await.expect("list");
    tools.retain(|t| TOOL_NAMES.contains(&t.name.as_str()));
    tools
}
