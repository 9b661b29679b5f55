//! Defensive reading of Podio JSON: every getter tolerates a missing key, a
//! `null` or an unexpected type, so one odd value never fails a whole result.

use serde_json::{Number, Value};

/// `v[key]`, treating `null` as absent.
pub fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

/// `v[key]` as a string.
pub fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, key).and_then(Value::as_str)
}

/// `v[key]` as a string, or JSON `null`.
pub fn string_or_null(v: &Value, key: &str) -> Value {
    str_at(v, key).map_or(Value::Null, |s| Value::String(s.to_owned()))
}

/// `v[key]` as a whole number, or `null`.
pub fn int_or_null(v: &Value, key: &str) -> Value {
    get(v, key)
        .and_then(number)
        .filter(|n| n.is_i64() || n.is_u64())
        .map_or(Value::Null, Value::Number)
}

/// `v[key]` as a boolean, or `false`.
pub fn bool_at(v: &Value, key: &str) -> bool {
    get(v, key).and_then(Value::as_bool).unwrap_or(false)
}

/// A JSON number from a number or a numeric string such as `"12.5000"`;
/// whole values become integers so `"25.0000"` reads as `25`, and integers
/// beyond `i64` (up to `u64::MAX`) stay exact, as they do given as numbers.
pub fn number(v: &Value) -> Option<Number> {
    match v {
        Value::Number(n) => Some(normalize(n)),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                return Some(Number::from(i));
            }
            if let Ok(u) = s.parse::<u64>() {
                return Some(Number::from(u));
            }
            let f: f64 = s.parse().ok()?;
            float(f)
        }
        _ => None,
    }
}

fn normalize(n: &Number) -> Number {
    if n.is_f64() {
        n.as_f64().and_then(float).unwrap_or_else(|| n.clone())
    } else {
        n.clone()
    }
}

/// Whole floats within the exactly representable range become integers.
fn float(f: f64) -> Option<Number> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && f.abs() <= EXACT {
        Some(Number::from(f as i64))
    } else {
        Number::from_f64(f)
    }
}

/// `v[key]` as an array, empty when absent.
pub fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    get(v, key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_from_podio_strings() {
        assert_eq!(number(&json!("25.0000")), Some(Number::from(25)));
        assert_eq!(
            number(&json!("12.5000")).and_then(|n| n.as_f64()),
            Some(12.5)
        );
        assert_eq!(number(&json!(7.0)), Some(Number::from(7)));
        assert_eq!(number(&json!("-3")), Some(Number::from(-3)));
        assert_eq!(number(&json!("abc")), None);
        assert_eq!(number(&json!("NaN")), None);
        assert_eq!(number(&json!(null)), None);
    }

    #[test]
    fn missing_keys_are_harmless() {
        let v = json!({"a": null, "b": "x"});
        assert_eq!(str_at(&v, "a"), None);
        assert_eq!(string_or_null(&v, "b"), json!("x"));
        assert_eq!(int_or_null(&v, "zzz"), Value::Null);
        assert!(array(&json!("not an object"), "k").is_empty());
    }
}
