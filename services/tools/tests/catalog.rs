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

/// Every string an input schema accepts declares `maxLength`, every array
/// `maxItems`, every open object `maxProperties`, at every depth (array
/// items, union types such as `["integer", "string"]`): the caps the tools
/// enforce, so a client can tell before calling.
#[tokio::test]
async fn every_input_string_list_and_open_object_is_bounded() {
    let h = Harness::new();
    let mut missing = Vec::new();
    for tool in podio_tools(&h).await {
        let input: Value = serde_json::from_str(&tool.input_schema_json).expect("input json");
        let props = input["properties"].as_object().expect("properties");
        for (name, prop) in props {
            unbounded(&format!("{}.{name}", tool.name), prop, &mut missing);
        }
    }
    assert!(
        missing.is_empty(),
        "unbounded inputs:\n{}",
        missing.join("\n")
    );
}

/// The JSON types `schema` admits.
fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Records in `missing` every place under `schema` (named `at`) that lacks
/// its bound.
fn unbounded(at: &str, schema: &Value, missing: &mut Vec<String>) {
    let types = types(schema);
    let bounded = |key: &str| schema[key].as_u64().is_some();
    if types.contains(&"string") && !bounded("maxLength") {
        missing.push(format!("{at}: a string without maxLength"));
    }
    if types.contains(&"array") && !bounded("maxItems") {
        missing.push(format!("{at}: an array without maxItems"));
    }
    let open = schema
        .get("additionalProperties")
        .is_some_and(|a| a != false);
    if types.contains(&"object") && open && !bounded("maxProperties") {
        missing.push(format!("{at}: an open object without maxProperties"));
    }
    if types.is_empty() && !at.ends_with("{}") {
        missing.push(format!("{at}: no type"));
    }
    if let Some(items) = schema.get("items") {
        unbounded(&format!("{at}[]"), items, missing);
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            unbounded(&format!("{at}.{name}"), prop, missing);
        }
    }
    for key in ["anyOf", "oneOf"] {
        for (i, sub) in schema[key].as_array().into_iter().flatten().enumerate() {
            unbounded(&format!("{at}|{i}"), sub, missing);
        }
    }
}

/// The caps the schemas declare are the caps the tools enforce: for every
/// bounded argument, one character or one item too many is refused naming
/// the argument, before Podio is called.
#[tokio::test]
async fn every_declared_cap_is_enforced() {
    let h = Harness::new();
    let mut unenforced = Vec::new();
    let mut checked = 0;
    for tool in podio_tools(&h).await {
        let input: Value = serde_json::from_str(&tool.input_schema_json).expect("input json");
        let props = input["properties"].as_object().expect("properties");
        for (name, prop) in props {
            for (what, value) in over_the_cap(prop) {
                checked += 1;
                let args = json!({ name: value }).to_string();
                let status = h.call(&tool.name, &args).await.expect_err("refused");
                let named = status.code() == tonic::Code::InvalidArgument
                    && tonic_types::StatusExt::get_details_bad_request(&status)
                        .is_some_and(|b| b.field_violations.iter().any(|v| v.field == *name));
                if !named {
                    unenforced.push(format!(
                        "{}.{name} ({what}): {:?} {}",
                        tool.name,
                        status.code(),
                        status.message()
                    ));
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} caps checked");
    assert!(
        unenforced.is_empty(),
        "caps not enforced:\n{}",
        unenforced.join("\n")
    );
    assert!(h.connector.requests().is_empty(), "podio is never called");
}

/// Values just over `prop`'s declared caps: a string one character too
/// long, a list one item too long, a list with one string too long, an
/// object with one property too many.
fn over_the_cap(prop: &Value) -> Vec<(&'static str, Value)> {
    let mut values = Vec::new();
    let types = types(prop);
    let cap = |key: &str| prop[key].as_u64().and_then(|n| usize::try_from(n).ok());
    if let (true, Some(max)) = (types.contains(&"string"), cap("maxLength")) {
        values.push(("maxLength", json!("x".repeat(max + 1))));
    }
    if let (true, Some(max)) = (types.contains(&"array"), cap("maxItems")) {
        let item = match types_of_items(prop).as_slice() {
            ["string"] => json!("x"),
            _ => json!(1),
        };
        values.push(("maxItems", Value::Array(vec![item; max + 1])));
        let item_cap = prop["items"]["maxLength"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok());
        if let Some(chars) = item_cap {
            values.push(("items.maxLength", json!(["x".repeat(chars + 1)])));
        }
    }
    if let (true, Some(max)) = (types.contains(&"object"), cap("maxProperties")) {
        let map: serde_json::Map<String, Value> =
            (0..=max).map(|i| (format!("f{i}"), json!("x"))).collect();
        values.push(("maxProperties", Value::Object(map)));
    }
    values
}

fn types_of_items(prop: &Value) -> Vec<&str> {
    prop.get("items").map(types).unwrap_or_default()
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
