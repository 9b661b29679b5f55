//! Parsing and validation of a tool's arguments object.
//!
//! [`Args::parse`] checks what every tool shares (a JSON object, no unknown
//! properties, required properties present) against the tool's input schema;
//! typed getters then check each value. Problems are collected, not returned
//! one at a time, so a caller learns everything that is wrong in one answer;
//! [`Args::finish`] turns them into one INVALID_ARGUMENT error. A getter's
//! return value is only meaningful once `finish` has succeeded.
//!
//! Sizes are bounded twice: the whole arguments JSON at
//! [`MAX_ARGUMENTS_BYTES`] before it is parsed, and every value by its getter
//! (strings by a character cap, lists by an item cap, free-form objects by
//! [`ObjectBounds`]). The tools' input schemas declare the same caps
//! (`maxLength`, `maxItems`, `maxProperties`) from the same constants.

use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use crate::error::{ToolError, Violation};

/// The largest integer a JSON number carries exactly (2^53), so ids beyond it
/// given as floats are refused rather than silently rounded.
const MAX_EXACT_FLOAT_INT: f64 = 9_007_199_254_740_992.0;

/// The largest arguments JSON a tool call may carry, in bytes (256 KiB):
/// larger calls are refused before they are parsed.
pub const MAX_ARGUMENTS_BYTES: usize = 256 * 1024;

/// The longest id given as a string (a u64 has at most 20 digits); also the
/// `maxLength` of arguments that take an id or a word such as "me".
pub const MAX_ID_CHARS: usize = 20;

/// The length of a date "YYYY-MM-DD".
pub const MAX_DATE_CHARS: usize = 10;

/// The length of the longest date and time accepted, "YYYY-MM-DDTHH:MM:SS".
pub const MAX_DATE_TIME_CHARS: usize = 19;

/// Bounds on a free-form object argument (e.g. create_item's `fields`):
/// how many properties, how long a property name, and, anywhere inside a
/// property's value, how long a string and how many items a list.
#[derive(Debug, Clone, Copy)]
pub struct ObjectBounds {
    /// The most properties the object may have (`maxProperties`).
    pub max_properties: usize,
    /// The longest property name, in characters.
    pub max_key_chars: usize,
    /// The longest string anywhere inside a value, in characters.
    pub max_string_chars: usize,
    /// The most items of any list inside a value.
    pub max_list_items: usize,
}

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
    ///
    /// An arguments JSON of more than [`MAX_ARGUMENTS_BYTES`] bytes is
    /// refused before it is parsed.
    pub fn parse(raw: &str, input_schema: &Value) -> Result<Args, ToolError> {
        if raw.len() > MAX_ARGUMENTS_BYTES {
            return Err(ToolError::InvalidArguments(vec![Violation::new(
                "arguments",
                format!(
                    "the arguments JSON is {} bytes, more than the limit of {MAX_ARGUMENTS_BYTES} bytes (256 KiB); send shorter values",
                    raw.len()
                ),
            )]));
        }
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

    /// An optional list of ids: one id or a non-empty array of at most
    /// `max_items` of them.
    pub fn opt_id_list(&mut self, name: &str, what: &str, max_items: usize) -> Option<Vec<u64>> {
        let value = self.present(name)?;
        if let Some(n) = value.as_array().map(Vec::len).filter(|n| *n > max_items) {
            self.record(
                name,
                format!("expected at most {max_items} {what}s, got {n}"),
            );
            return None;
        }
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

    /// An optional list of at most `max_items` non-blank strings (a single
    /// string counts as a list of one); each is at most `max_chars` long as
    /// given, and trimmed.
    pub fn opt_string_list(
        &mut self,
        name: &str,
        max_items: usize,
        max_chars: usize,
    ) -> Option<Vec<String>> {
        let value = self.present(name)?;
        if let Some(n) = value.as_array().map(Vec::len).filter(|n| *n > max_items) {
            self.record(
                name,
                format!("expected at most {max_items} strings, got {n}"),
            );
            return None;
        }
        let one = |v: &Value| {
            v.as_str()
                .filter(|s| s.chars().count() <= max_chars)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let strings: Option<Vec<String>> = match value {
            Value::Array(values) => values.iter().map(one).collect(),
            Value::String(_) => one(value).map(|s| vec![s]),
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

    /// An optional string that must be one of `accepted` (case-insensitive,
    /// surrounding spaces ignored, no longer than the longest of them).
    pub fn opt_enum(&mut self, name: &str, accepted: &[&'static str]) -> Option<&'static str> {
        let value = self.present(name)?;
        let longest = longest(accepted);
        let found = value
            .as_str()
            .filter(|s| s.chars().count() <= longest)
            .and_then(|s| {
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

    /// An optional calendar date "YYYY-MM-DD" (at most
    /// [`MAX_DATE_CHARS`] characters as given).
    pub fn opt_date(&mut self, name: &str) -> Option<String> {
        const EXPECTED: &str = "expected a date \"YYYY-MM-DD\" (e.g. \"2026-04-30\")";
        if self.too_long(name, MAX_DATE_CHARS, EXPECTED) {
            return None;
        }
        let value = self.present(name)?;
        match value.as_str().map(str::trim).filter(|s| is_date(s)) {
            Some(date) => Some(date.to_owned()),
            None => {
                let got = render(value);
                self.record(name, format!("{EXPECTED}, got {got}"));
                None
            }
        }
    }

    /// An optional date with an optional time of day: "YYYY-MM-DD",
    /// "YYYY-MM-DD HH:MM" or "YYYY-MM-DDTHH:MM" (seconds allowed and
    /// dropped), at most [`MAX_DATE_TIME_CHARS`] characters as given.
    /// Returns the date and the time as "HH:MM".
    pub fn opt_date_time(&mut self, name: &str) -> Option<(String, Option<String>)> {
        const EXPECTED: &str = "expected a date \"YYYY-MM-DD\" or a date and time \"YYYY-MM-DD HH:MM\" (e.g. \"2026-04-30 14:00\")";
        if self.too_long(name, MAX_DATE_TIME_CHARS, EXPECTED) {
            return None;
        }
        let value = self.present(name)?;
        let parsed = value.as_str().and_then(parse_date_time);
        if parsed.is_none() {
            let got = render(value);
            self.record(name, format!("{EXPECTED}, got {got}"));
        }
        parsed
    }

    /// Whether `name` is a string of more than `max_chars` characters, then
    /// recorded as a problem of `name`: `expected`, the limit and the length.
    fn too_long(&mut self, name: &str, max_chars: usize, expected: &str) -> bool {
        let chars = self
            .present(name)
            .and_then(Value::as_str)
            .map_or(0, |s| s.chars().count());
        if chars > max_chars {
            self.record(
                name,
                format!("{expected} of at most {max_chars} characters, got {chars} characters"),
            );
        }
        chars > max_chars
    }

    /// Whether a problem has been recorded for `name` or inside it
    /// (`name.<key>`).
    pub fn is_refused(&self, name: &str) -> bool {
        self.violations.iter().any(|v| {
            v.field
                .strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// An optional JSON object (e.g. a map of field values), as given, within
    /// `bounds`: too many properties or too long a name is a problem of
    /// `name`; too long a string or too long a list inside a property's value
    /// is a problem of `name.<key>`. `None` when any bound is exceeded.
    pub fn opt_object(
        &mut self,
        name: &str,
        expected: &str,
        bounds: &ObjectBounds,
    ) -> Option<Map<String, Value>> {
        let value = self.present(name)?;
        let map = match value {
            Value::Object(map) => map,
            other => {
                let got = render(other);
                self.record(name, format!("expected {expected}, got {got}"));
                return None;
            }
        };
        if map.len() > bounds.max_properties {
            let (max, n) = (bounds.max_properties, map.len());
            self.record(name, format!("expected at most {max} properties, got {n}"));
            return None;
        }
        let mut problems = Vec::new();
        for (key, value) in map {
            let chars = key.chars().count();
            if chars > bounds.max_key_chars {
                let max = bounds.max_key_chars;
                problems.push((
                    name.to_owned(),
                    format!(
                        "expected property names of at most {max} characters, got one of {chars}: {}",
                        render(&Value::String(key.clone()))
                    ),
                ));
            } else if let Some(problem) = oversized(value, bounds) {
                problems.push((format!("{name}.{key}"), problem));
            }
        }
        if problems.is_empty() {
            Some(map.clone())
        } else {
            for (field, description) in problems {
                self.record(field, description);
            }
            None
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

/// The first bound `value` exceeds anywhere inside it, described.
fn oversized(value: &Value, bounds: &ObjectBounds) -> Option<String> {
    match value {
        Value::String(s) => {
            let chars = s.chars().count();
            (chars > bounds.max_string_chars).then(|| {
                let max = bounds.max_string_chars;
                format!("expected text of at most {max} characters, got {chars}")
            })
        }
        Value::Array(items) if items.len() > bounds.max_list_items => {
            let (max, n) = (bounds.max_list_items, items.len());
            Some(format!("expected a list of at most {max} values, got {n}"))
        }
        Value::Array(items) => items.iter().find_map(|v| oversized(v, bounds)),
        Value::Object(map) if map.len() > bounds.max_list_items => {
            let (max, n) = (bounds.max_list_items, map.len());
            Some(format!(
                "expected an object of at most {max} properties, got {n}"
            ))
        }
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            oversized(&Value::String(k.clone()), bounds).or_else(|| oversized(v, bounds))
        }),
        _ => None,
    }
}

/// The length in characters of the longest of `words`.
pub fn longest(words: &[&str]) -> usize {
    words.iter().map(|w| w.chars().count()).max().unwrap_or(0)
}

/// An integer from a JSON number (whole) or a numeric string.
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_EXACT_FLOAT_INT)
                .map(|f| f as i64)
        }),
        Value::String(s) if s.len() <= MAX_ID_CHARS => s.trim().parse().ok(),
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
        Value::String(s) if s.len() <= MAX_ID_CHARS => s.trim().parse().ok(),
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
    fn the_whole_call_is_capped_before_parsing() {
        let raw = format!("{{{}", " ".repeat(MAX_ARGUMENTS_BYTES));
        let v = violations(Args::parse(&raw, &schema()).expect_err("too big"));
        assert_eq!(v[0].field, "arguments");
        assert_eq!(
            v[0].description,
            "the arguments JSON is 262145 bytes, more than the limit of 262144 bytes (256 KiB); send shorter values"
        );
        let raw = format!("{{}}{}", " ".repeat(MAX_ARGUMENTS_BYTES - 2));
        Args::parse(&raw, &schema()).expect("at the limit");
    }

    #[test]
    fn objects_are_bounded_inside_and_out() {
        const BOUNDS: ObjectBounds = ObjectBounds {
            max_properties: 2,
            max_key_chars: 3,
            max_string_chars: 4,
            max_list_items: 2,
        };
        let schema = json!({"properties": {"f": {}}});
        let parse = |raw: &str| Args::parse(raw, &schema).expect("parses");
        let mut args = parse(r#"{"f": {"a": "abcd", "b": [1, {"c": ["ok"]}]}}"#);
        assert!(args.opt_object("f", "fields", &BOUNDS).is_some());
        args.finish().expect("within bounds");
        for (raw, field, want) in [
            (
                r#"{"f": {"a": 1, "b": 2, "c": 3}}"#,
                "f",
                "expected at most 2 properties, got 3",
            ),
            (
                r#"{"f": {"abcd": 1}}"#,
                "f",
                "expected property names of at most 3 characters, got one of 4: \"abcd\"",
            ),
            (
                r#"{"f": {"a": [{"v": "abcde"}]}}"#,
                "f.a",
                "expected text of at most 4 characters, got 5",
            ),
            (
                r#"{"f": {"a": {"v": [1, 2, 3]}}}"#,
                "f.a",
                "expected a list of at most 2 values, got 3",
            ),
        ] {
            let mut args = parse(raw);
            assert_eq!(args.opt_object("f", "fields", &BOUNDS), None, "{raw}");
            assert!(args.is_refused("f") && !args.is_refused("g"), "{raw}");
            let v = violations(args.finish().expect_err(raw));
            assert_eq!(
                (v[0].field.as_str(), v[0].description.as_str()),
                (field, want)
            );
        }
    }

    #[test]
    fn ids_as_strings_and_dates_have_their_lengths() {
        let schema = json!({"properties": {"a": {}, "b": {}, "c": {}}});
        let raw = json!({"a": format!("{}7", " ".repeat(MAX_ID_CHARS)), "b": "2026-04-04 ", "c": "2026-04-04T14:30:59 "});
        let mut args = Args::parse(&raw.to_string(), &schema).expect("parses");
        args.opt_id("a", "user id");
        args.opt_date("b");
        args.opt_date_time("c");
        let v = violations(args.finish().expect_err("all too long"));
        assert!(
            v[0].description
                .starts_with("expected a positive integer user id")
        );
        assert!(
            v[1].description
                .ends_with("of at most 10 characters, got 11 characters")
        );
        assert!(
            v[2].description
                .ends_with("of at most 19 characters, got 20 characters")
        );
    }

    #[test]
    fn lists_and_enums() {
        let schema = json!({"properties": {"a": {}, "b": {}, "c": {}, "d": {}}});
        let mut args =
            Args::parse(r#"{"a": 5, "b": [1, 2], "c": "RANK", "d": "tag"}"#, &schema).expect("p");
        assert_eq!(args.opt_id_list("a", "user id", 5), Some(vec![5]));
        assert_eq!(args.opt_id_list("b", "user id", 5), Some(vec![1, 2]));
        assert_eq!(args.opt_enum("c", &["rank"]), Some("rank"));
        assert_eq!(
            args.opt_string_list("d", 5, 10),
            Some(vec!["tag".to_owned()])
        );
        assert_eq!(args.opt_bool("zzz"), None);
        args.finish().expect("all valid");

        let mut args = Args::parse(r#"{"a": [], "b": "x"}"#, &schema).expect("p");
        assert_eq!(args.opt_id_list("a", "user id", 5), None);
        assert_eq!(args.opt_string_list("b", 5, 0), None);
        let v = violations(args.finish().expect_err("both bad"));
        assert_eq!(
            v[0].description,
            "expected a positive integer user id or a non-empty list of them, got []"
        );
        assert_eq!(v[1].field, "b");
    }
}
