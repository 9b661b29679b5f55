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

    /// Records a problem the tool found itself (e.g. two arguments that only
    /// make sense together); `description` says what is accepted.
    pub fn reject(&mut self, name: &str, description: impl Into<String>) {
        self.record(name, description);
    }

    /// Whether `name` was given (JSON `null` counts as not given).
    pub fn has(&self, name: &str) -> bool {
        self.present(name).is_some()
    }

    /// Whether `name` is the string `word` (case and surrounding spaces
    /// ignored), for arguments that take an id or a keyword such as "me".
    pub fn is_word(&self, name: &str, word: &str) -> bool {
        self.present(name)
            .and_then(Value::as_str)
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(word))
    }

    /// An optional positive integer id; `what` names the object.
    pub fn opt_id(&mut self, name: &str, what: &str) -> Option<u64> {
        if self.has(name) {
            Some(self.id(name, what)).filter(|id| *id > 0)
        } else {
            None
        }
    }

    /// An optional list of ids: one id or a non-empty array of them.
    pub fn opt_id_list(&mut self, name: &str, what: &str) -> Option<Vec<u64>> {
        let value = self.present(name)?;
        let ids: Option<Vec<u64>> = match value {
            Value::Array(values) if !values.is_empty() => {
                values.iter().map(positive_integer).collect()
            }
            Value::Array(_) => None,
            one => positive_integer(one).map(|id| vec![id]),
        };
        if ids.is_none() {
            let got = render(value);
            self.record(
                name,
                format!(
                    "expected a positive integer {what} or a non-empty list of them, got {got}"
                ),
            );
        }
        ids
    }

    /// An optional boolean; `None` when absent.
    pub fn opt_bool(&mut self, name: &str) -> Option<bool> {
        self.has(name).then(|| self.bool_or(name, false))
    }

    /// An optional string of at most `max_chars` characters, as given (it may
    /// be empty, e.g. to clear a description).
    pub fn opt_string(&mut self, name: &str, max_chars: usize) -> Option<String> {
        let value = self.present(name)?;
        let Some(s) = value.as_str() else {
            let got = render(value);
            self.record(name, format!("expected a string, got {got}"));
            return None;
        };
        let chars = s.chars().count();
        if chars > max_chars {
            self.record(
                name,
                format!("expected at most {max_chars} characters, got {chars}"),
            );
            return None;
        }
        Some(s.to_owned())
    }

    /// An optional string that must not be blank, trimmed, of at most
    /// `max_chars` characters.
    pub fn opt_text(&mut self, name: &str, max_chars: usize) -> Option<String> {
        let s = self.opt_string(name, max_chars)?;
        let trimmed = s.trim();
        if trimmed.is_empty() {
            self.record(name, "expected a non-empty text, got an empty string");
            return None;
        }
        Some(trimmed.to_owned())
    }

    /// An optional list of non-blank strings (a single string counts as a
    /// list of one); each is trimmed and at most `max_chars` long.
    pub fn opt_string_list(&mut self, name: &str, max_chars: usize) -> Option<Vec<String>> {
        let value = self.present(name)?;
        let strings: Option<Vec<String>> = match value {
            Value::Array(values) => values
                .iter()
                .map(|v| v.as_str().map(str::trim))
                .map(|s| s.filter(|s| !s.is_empty() && s.chars().count() <= max_chars))
                .map(|s| s.map(str::to_owned))
                .collect(),
            Value::String(s) if !s.trim().is_empty() && s.trim().chars().count() <= max_chars => {
                Some(vec![s.trim().to_owned()])
            }
            _ => None,
        };
        if strings.is_none() {
            let got = render(value);
            self.record(
                name,
                format!(
                    "expected a list of non-empty strings of at most {max_chars} characters, got {got}"
                ),
            );
        }
        strings
    }

    /// An optional string that must be one of `accepted` (case-insensitive).
    pub fn opt_enum(&mut self, name: &str, accepted: &[&'static str]) -> Option<&'static str> {
        let value = self.present(name)?;
        let found = value.as_str().and_then(|s| {
            accepted
                .iter()
                .copied()
                .find(|a| a.eq_ignore_ascii_case(s.trim()))
        });
        if found.is_none() {
            let got = render(value);
            self.record(
                name,
                format!("expected one of {}, got {got}", accepted.join(", ")),
            );
        }
        found
    }

    /// An optional calendar date "YYYY-MM-DD".
    pub fn opt_date(&mut self, name: &str) -> Option<String> {
        let value = self.present(name)?;
        match value.as_str().map(str::trim).filter(|s| is_date(s)) {
            Some(date) => Some(date.to_owned()),
            None => {
                let got = render(value);
                self.record(
                    name,
                    format!("expected a date \"YYYY-MM-DD\" (e.g. \"2026-04-30\"), got {got}"),
                );
                None
            }
        }
    }

    /// An optional date with an optional time of day: "YYYY-MM-DD",
    /// "YYYY-MM-DD HH:MM" or "YYYY-MM-DDTHH:MM" (seconds allowed and
    /// dropped). Returns the date and the time as "HH:MM".
    pub fn opt_date_time(&mut self, name: &str) -> Option<(String, Option<String>)> {
        let value = self.present(name)?;
        let parsed = value.as_str().and_then(parse_date_time);
        if parsed.is_none() {
            let got = render(value);
            self.record(
                name,
                format!(
                    "expected a date \"YYYY-MM-DD\" or a date and time \"YYYY-MM-DD HH:MM\" (e.g. \"2026-04-30 14:00\"), got {got}"
                ),
            );
        }
        parsed
    }

    /// An optional JSON object (e.g. a map of field values), as given.
    pub fn opt_object(&mut self, name: &str, expected: &str) -> Option<Map<String, Value>> {
        let value = self.present(name)?;
        match value {
            Value::Object(map) => Some(map.clone()),
            other => {
                let got = render(other);
                self.record(name, format!("expected {expected}, got {got}"));
                None
            }
        }
    }

    /// Whether `name` was given as an empty array (e.g. `"tags": []` to
    /// clear something).
    pub fn is_empty_list(&self, name: &str) -> bool {
        self.present(name)
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
    }

    /// Whether no problem has been found so far, so a tool can skip Podio
    /// calls whose only purpose is checking values of arguments already
    /// known to be unusable.
    pub fn ok_so_far(&self) -> bool {
        self.violations.is_empty()
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

/// Whether `s` is a real calendar date written "YYYY-MM-DD".
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        s.get(r.clone())
            .filter(|part| part.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|part| part.parse().ok())
    };
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// "YYYY-MM-DD" with an optional " HH:MM[:SS]" or "THH:MM[:SS]": the date
/// and the time as "HH:MM".
pub fn parse_date_time(s: &str) -> Option<(String, Option<String>)> {
    let s = s.trim();
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((date, time)) => (date, Some(time.trim())),
        None => (s, None),
    };
    if !is_date(date) {
        return None;
    }
    let Some(time) = time else {
        return Some((date.to_owned(), None));
    };
    let parts: Vec<&str> = time.split(':').collect();
    let number = |p: &str, max: u32| {
        (p.len() == 2 && p.bytes().all(|c| c.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
            .filter(|n| *n <= max)
    };
    let (hour, minute) = match parts.as_slice() {
        [h, m] => (number(h, 23)?, number(m, 59)?),
        [h, m, sec] => {
            number(sec, 59)?;
            (number(h, 23)?, number(m, 59)?)
        }
        _ => return None,
    };
    Some((date.to_owned(), Some(format!("{hour:02}:{minute:02}"))))
}

/// The value as JSON, shortened so a huge argument does not flood the error.
pub(crate) fn render(value: &Value) -> String {
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

    #[test]
    fn dates_and_times() {
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2024-13-01"));
        assert!(!is_date("2024-1-01") && !is_date("2024-01-01x"));
        assert_eq!(
            parse_date_time("2026-04-04 14:30:59"),
            Some(("2026-04-04".to_owned(), Some("14:30".to_owned())))
        );
        assert_eq!(
            parse_date_time("2026-04-04T09:05"),
            Some(("2026-04-04".to_owned(), Some("09:05".to_owned())))
        );
        assert_eq!(
            parse_date_time(" 2026-04-04 "),
            Some(("2026-04-04".to_owned(), None))
        );
        for bad in [
            "2026-04-04 24:00",
            "2026-04-04 9:00",
            "tomorrow",
            "2026-04-04 14",
        ] {
            assert_eq!(parse_date_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn lists_and_enums() {
        let schema = json!({"properties": {"a": {}, "b": {}, "c": {}, "d": {}}});
        let mut args =
            Args::parse(r#"{"a": 5, "b": [1, 2], "c": "RANK", "d": "tag"}"#, &schema).expect("p");
        assert_eq!(args.opt_id_list("a", "user id"), Some(vec![5]));
        assert_eq!(args.opt_id_list("b", "user id"), Some(vec![1, 2]));
        assert_eq!(args.opt_enum("c", &["rank"]), Some("rank"));
        assert_eq!(args.opt_string_list("d", 10), Some(vec!["tag".to_owned()]));
        assert_eq!(args.opt_bool("zzz"), None);
        args.finish().expect("all valid");

        let mut args = Args::parse(r#"{"a": [], "b": "x"}"#, &schema).expect("p");
        assert_eq!(args.opt_id_list("a", "user id"), None);
        assert_eq!(args.opt_string_list("b", 0), None);
        let v = violations(args.finish().expect_err("both bad"));
        assert_eq!(
            v[0].description,
            "expected a positive integer user id or a non-empty list of them, got []"
        );
        assert_eq!(v[1].field, "b");
    }
}
