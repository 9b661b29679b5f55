//! Tool argument validation, for each of the 22 tools: the first byte picks
//! the tool, the rest is its arguments JSON, called through the tools
//! service (`ToolCalls::call_tool`) as the front door calls it. Podio answers
//! `GET /app/{id}` with an app that has a field of every type (so field
//! values and filters are checked against real definitions) and 404 to
//! everything else, so no valid call gets far.
//!
//! Invariants: nothing panics; a call either runs (a result, an `is_error`
//! one for Podio's 404) or is refused INVALID_ARGUMENT, never INTERNAL or
//! anything else; a refusal lists each bad argument once, by its name (one
//! the input schema has, or the unknown one given; `arguments` for the whole
//! object, `name.key` inside an object argument), with a description; an
//! arguments text that is not a JSON object, an unknown argument and a
//! missing required one are always refused by name; a successful result is
//! a JSON object that validates against the tool's output schema.

#![no_main]

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use portico_fuzz::tools::{APP_ALL, Tools, not_found, schema};
use portico_proto::error::ErrorCode;
use portico_tools::{MAX_ARGUMENTS_BYTES, TOOL_NAMES};
use serde_json::Value;

struct Catalog {
    tools: Tools,
    /// Per tool: its input schema's properties and required ones, and its
    /// output schema's validator.
    schemas: HashMap<&'static str, (HashSet<String>, Vec<String>, jsonschema::Validator)>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let tools = Tools::new();
    tools.answer(|request| {
        if request.method == "GET" && request.path.starts_with("/app/") {
            Ok(APP_ALL.to_owned())
        } else {
            Err(not_found(request))
        }
    });
    let schemas = TOOL_NAMES
        .iter()
        .map(|name| {
            let tool = tools.tool(name);
            let input = schema(&tool.input_schema_json);
            let properties = input["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            let required = input["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let output = jsonschema::validator_for(&schema(&tool.output_schema_json))
                .expect("output schemas compile");
            (*name, (properties, required, output))
        })
        .collect();
    Catalog { tools, schemas }
});

fuzz_target!(|data: &[u8]| {
    let Some((selector, arguments)) = portico_fuzz::selector_and_text(data) else {
        return;
    };
    let catalog = &*CATALOG;
    let name = TOOL_NAMES[usize::from(selector) % TOOL_NAMES.len()];
    let (properties, required, output) = &catalog.schemas[name];
    let parsed: Option<Value> = if arguments.trim().is_empty() {
        Some(Value::Object(Default::default()))
    } else {
        serde_json::from_str(&arguments).ok()
    };
    match catalog.tools.call(name, &arguments) {
        Ok(result) => {
            let object = parsed
                .as_ref()
                .and_then(Value::as_object)
                .unwrap_or_else(|| panic!("{name} ran with non-object arguments {arguments:?}"));
            for key in object.keys() {
                assert!(
                    properties.contains(key),
                    "{name} ran with unknown argument {key:?}"
                );
            }
            for key in required {
                assert!(
                    object.get(key).is_some_and(|v| !v.is_null()),
                    "{name} ran without required argument {key:?}"
                );
            }
            if result.input_required.is_some() {
                return;
            }
            assert!(
                !result.content.is_empty(),
                "{name}: a result without content"
            );
            if !result.is_error {
                let structured: Value = serde_json::from_str(&result.structured_content_json)
                    .unwrap_or_else(|e| panic!("{name}: structured content is not JSON: {e}"));
                assert!(structured.is_object(), "{name}: {structured}");
                let problems: Vec<String> = output
                    .iter_errors(&structured)
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    problems.is_empty(),
                    "{name} output breaks its schema: {problems:?}"
                );
            }
        }
        Err(error) => {
            assert_eq!(
                error.code,
                ErrorCode::InvalidArgument,
                "{name} {arguments:?}: {error:?}"
            );
            assert!(!error.violations.is_empty(), "{error:?}");
            let mut seen = HashSet::new();
            for v in &error.violations {
                assert!(
                    seen.insert(v.field.as_str()),
                    "{} reported twice: {error:?}",
                    v.field
                );
                assert!(!v.description.trim().is_empty(), "{error:?}");
                let root = v.field.split('.').next().unwrap_or_default();
                let given = parsed
                    .as_ref()
                    .and_then(Value::as_object)
                    .is_some_and(|o| o.contains_key(&v.field));
                assert!(
                    v.field == "arguments" || properties.contains(root) || given,
                    "{name}: violation of {:?}, which is neither an argument given nor one the schema has",
                    v.field
                );
                assert!(error.message.contains(&v.description), "{error:?}");
            }
            let named = |field: &str| error.violations.iter().any(|v| v.field == field);
            if arguments.len() > MAX_ARGUMENTS_BYTES {
                assert!(named("arguments"), "{error:?}");
                return;
            }
            match parsed.as_ref().and_then(Value::as_object) {
                None => assert!(named("arguments"), "{error:?}"),
                Some(object) => {
                    for key in object.keys().filter(|k| !properties.contains(*k)) {
                        assert!(
                            named(key),
                            "{name}: unknown {key:?} not reported: {error:?}"
                        );
                    }
                    for key in required {
                        if object.get(key).is_none_or(Value::is_null) {
                            assert!(named(key), "{name}: missing {key:?} not reported");
                        }
                    }
                }
            }
        }
    }
});
