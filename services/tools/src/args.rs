//! Parsing and validation of a tool's arguments object.
//!
//! [`Args::parse`] checks what every tool shares (a JSON object, no unknown
//! properties, required properties present) against the tool's input schema;
//! typed getters then check each value. Problems are collected, not returned
//! one at a time, so a caller learns everything that is wrong in one answer;
//! [`Args::finish`] turns them into one INVALID_ARGUMENT error. A getter's
//! return value is only meaningful once `finish` has succeeded.

use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use crate::error::{ToolError, Violation};

/// The largest integer a JSON number carries exactly (2^53), so ids beyond it
/// given as floats are refused rather than silently rounded.
const MAX_EXACT_FLOAT_INT: f64 = 9_007_199_254_740_992.0;

/// A tool's arguments, with the problems found so far.
#[derive(Debug)]
pub struct Args {
    map: Map<String, Value>,
    violations: Vec<Violation>,
}

impl Args {
    /// Parses `raw` (empty means `{}`) and checks it against the `properties`
    /// and `required` lists of `input_schema`. A body that is not a JSON object
    /// fails at once; unknown and missing properties are recorded.
    pub fn parse(raw: &str, input_schema: &Value) -> Result<Args, ToolError> {
        let value = if raw.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            serde_json::from_str(raw).map_err(|e| {
                ToolError::InvalidArguments(vec![Violation::new(
                    "arguments",
                    format!("not valid JSON ({e}); expected a JSON object of named arguments"),
                )])
            })?
        };
        let Value::Object(map) = value else {
            return Err(ToolError::InvalidArguments(vec![Violation::new(
                "arguments",
                format!(
                    "expected a JSON object of named arguments, got {}",
                    kind_of(&value)
                ),
            )]));
        };
        let mut args = Args {
            map,
            violations: Vec::new(),
        };
        args.check_against(input_schema);
        Ok(args)
    }

    fn check_against(&mut self, schema: &Value) {
        let empty = Map::new();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let accepted: Vec<&str> = properties.keys().map(String::as_str).collect();
        let mut unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !properties.contains_key(k.as_str()))
            .cloned()
            .collect();
        unknown.sort();
        for name in unknown {
            let description = if accepted.is_empty() {
                "unknown argument; this tool takes no arguments".to_owned()
            } else {
                format!(
                    "unknown argument; accepted arguments: {}",
                    accepted.join(", ")
                )
            };
            self.record(name, description);
        }
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for name in required.iter().filter_map(Value::as_str) {
            if self.present(name).is_none() {
                let expected = properties
                    .get(name)
                    .and_then(|p| p.get("description"))
                    .and_then(Value::as_str)
                    .unwrap_or("see the tool's input schema");
                self.record(
                    name,
                    format!("missing required argument; expected: {expected}"),
                );
            }
        }
    }

    /// Records a problem with `field`, once per field: the first problem found
    /// is the one reported.
    fn record(&mut self, field: impl Into<String>, description: impl Into<String>) {
        let field = field.into();
        if self.violations.iter().all(|v| v.field != field) {
            self.violations.push(Violation::new(field, description));
        }
    }

    /// The value of `name`, treating JSON `null` as absent.
    fn present(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A required positive integer id (a JSON number or a numeric string).
    /// `what` names the object, e.g. "item id".
    pub fn id(&mut self, name: &str, what: &str) -> u64 {
        let Some(value) = self.present(name) else {
            self.record(
                name,
                format!("missing required argument; expected a positive integer {what}"),
            );
            return 0;
        };
        match positive_integer(value) {
            Some(id) => id,
            None => {
                let got = render(value);
                self.record(
                    name,
                    format!("expected a positive integer {what}, got {got}"),
                );
                0
            }
        }
    }

    /// An optional boolean (`true`/`false`, also as strings), or `default`.
    pub fn bool_or(&mut self, name: &str, default: bool) -> bool {
        let Some(value) = self.present(name) else {
            return default;
        };
        match value {
            Value::Bool(b) => *b,
            Value::String(s) if s.trim().eq_ignore_ascii_case("true") => true,
            Value::String(s) if s.trim().eq_ignore_ascii_case("false") => false,
            other => {
                let got = render(other);
                self.record(name, format!("expected true or false, got {got}"));
                default
            }
        }
    }

    /// An optional integer within `range` (a JSON number or a numeric
    /// string), or `default`.
    pub fn int_in(&mut self, name: &str, default: i64, range: RangeInclusive<i64>) -> i64 {
        let Some(value) = self.present(name) else {
            return default;
        };
        match integer(value).filter(|n| range.contains(n)) {
            Some(n) => n,
            None => {
                let got = render(value);
                self.record(
                    name,
                    format!(
                        "expected an integer from {} to {}, got {got}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    /// Succeeds when no problem was found, else one INVALID_ARGUMENT error
    /// listing every problem.
    pub fn finish(self) -> Result<(), ToolError> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(ToolError::InvalidArguments(self.violations))
        }
    }
}

/// An integer from a JSON number (whole) or a numeric string.
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_EXACT_FLOAT_INT)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn positive_integer(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f <= MAX_EXACT_FLOAT_INT)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
}

/// The value as JSON, shortened so a huge argument does not flood the error.
fn render(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "item_id": {"type": "integer", "description": "the item id"},
                "limit": {"type": "integer", "description": "page size"}
            },
            "required": ["item_id"],
            "additionalProperties": false
        })
    }

    fn violations(err: ToolError) -> Vec<Violation> {
        match err {
            ToolError::InvalidArguments(v) => v,
            other => panic!("expected invalid arguments, got {other:?}"),
        }
    }

    #[test]
    fn empty_means_an_empty_object() {
        let args = Args::parse("  ", &json!({"type": "object"})).expect("parses");
        args.finish().expect("no problems");
    }

    #[test]
    fn non_objects_and_bad_json_are_rejected() {
        let v = violations(Args::parse("[1]", &schema()).expect_err("array"));
        assert_eq!(v[0].field, "arguments");
        assert!(v[0].description.contains("got an array"));
        let v = violations(Args::parse("{", &schema()).expect_err("bad json"));
        assert!(v[0].description.starts_with("not valid JSON"));
    }

    #[test]
    fn ids_accept_numbers_and_numeric_strings_only() {
        for (raw, want) in [(r#"{"item_id": 5}"#, 5), (r#"{"item_id": " 77 "}"#, 77)] {
            let mut args = Args::parse(raw, &schema()).expect("parses");
            assert_eq!(args.id("item_id", "item id"), want);
            args.finish().expect("valid");
        }
        for raw in [
            r#"{"item_id": "abc"}"#,
            r#"{"item_id": 0}"#,
            r#"{"item_id": -3}"#,
            r#"{"item_id": 1.5}"#,
            r#"{"item_id": true}"#,
        ] {
            let mut args = Args::parse(raw, &schema()).expect("parses");
            args.id("item_id", "item id");
            let v = violations(args.finish().expect_err(raw));
            assert_eq!(v.len(), 1, "{raw}");
            assert!(
                v[0].description
                    .starts_with("expected a positive integer item id, got ")
            );
        }
        let mut args = Args::parse(r#"{"item_id": "abc"}"#, &schema()).expect("parses");
        args.id("item_id", "item id");
        let err = args.finish().expect_err("invalid");
        assert_eq!(
            err.to_string(),
            r#"item_id: expected a positive integer item id, got "abc""#
        );
    }

    #[test]
    fn unknown_and_missing_are_all_reported_once() {
        let mut args = Args::parse(r#"{"zeta": 1, "alpha": 2}"#, &schema()).expect("parses");
        args.id("item_id", "item id");
        let v = violations(args.finish().expect_err("invalid"));
        let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["alpha", "zeta", "item_id"]);
        assert_eq!(
            v[0].description,
            "unknown argument; accepted arguments: item_id, limit"
        );
        assert_eq!(
            v[2].description,
            "missing required argument; expected: the item id"
        );
    }

    #[test]
    fn ranges_are_enforced() {
        let mut args = Args::parse(r#"{"item_id": 1, "limit": 501}"#, &schema()).expect("parses");
        args.id("item_id", "item id");
        assert_eq!(args.int_in("limit", 30, 1..=500), 30);
        let err = args.finish().expect_err("out of range");
        assert_eq!(
            err.to_string(),
            "limit: expected an integer from 1 to 500, got 501"
        );

        let mut args = Args::parse(r#"{"item_id": 1, "limit": "20"}"#, &schema()).expect("parses");
        assert_eq!(args.int_in("limit", 30, 1..=500), 20);
        assert_eq!(args.int_in("absent", 30, 1..=500), 30);
    }

    #[test]
    fn booleans() {
        let schema = json!({"properties": {"a": {}, "b": {}, "c": {}, "d": {}}});
        let mut args = Args::parse(r#"{"a": true, "b": "false", "c": 1}"#, &schema).expect("p");
        assert!(args.bool_or("a", false));
        assert!(!args.bool_or("b", true));
        assert!(args.bool_or("c", true));
        assert!(args.bool_or("d", true));
        let v = violations(args.finish().expect_err("c is bad"));
        assert!(
            v.iter()
                .any(|v| v.field == "c" && v.description == "expected true or false, got 1")
        );
    }
}
