//! One-line, human-readable renderings of decoded field values, for the text
//! content a language model reads first.

use serde_json::Value;

use super::json::{get, str_at};

/// Longest rendering kept in a line; longer values are cut with "…" (the full
/// value is in the structured content).
const MAX_CHARS: usize = 300;

/// `value` (decoded from a field of Podio type `kind`) as one line.
pub fn render(kind: &str, value: &Value) -> String {
    let text = match (kind, value) {
        (_, Value::Null) => "(empty)".to_owned(),
        ("money", v) if v.is_object() => {
            let amount = get(v, "value").map(scalar).unwrap_or_default();
            match str_at(v, "currency") {
                Some(currency) => format!("{amount} {currency}"),
                None => amount,
            }
        }
        ("progress", Value::Number(n)) => format!("{n}%"),
        ("duration", Value::Number(n)) => duration(n.as_u64().unwrap_or(0)),
        (_, v) if v.get("start").is_some() && v.get("end").is_some() => {
            let start = str_at(v, "start").unwrap_or("?");
            match str_at(v, "end") {
                Some(end) => format!("{start} – {end}"),
                None => start.to_owned(),
            }
        }
        (_, Value::Array(entries)) => entries.iter().map(entry).collect::<Vec<_>>().join(", "),
        (_, v) => scalar(v),
    };
    shorten(&text.replace('\n', " / "))
}

fn entry(v: &Value) -> String {
    let Some(obj) = v.as_object() else {
        return scalar(v);
    };
    if obj.contains_key("item_id") {
        let title = str_at(v, "title").unwrap_or("untitled");
        return format!("{title} (item {})", scalar_at(v, "item_id"));
    }
    if obj.contains_key("profile_id") {
        let name = str_at(v, "name").unwrap_or("unknown");
        return format!("{name} (profile {})", scalar_at(v, "profile_id"));
    }
    if obj.contains_key("file_id") {
        let name = str_at(v, "name").unwrap_or("file");
        return format!("{name} (file {})", scalar_at(v, "file_id"));
    }
    if let Some(url) = str_at(v, "url") {
        return match str_at(v, "title") {
            Some(title) => format!("{title} ({url})"),
            None => url.to_owned(),
        };
    }
    if let (Some(text), true) = (str_at(v, "text"), obj.contains_key("id")) {
        return text.to_owned();
    }
    if let Some(value) = str_at(v, "value") {
        return match str_at(v, "type") {
            Some(kind) => format!("{value} ({kind})"),
            None => value.to_owned(),
        };
    }
    v.to_string()
}

fn scalar_at(v: &Value, key: &str) -> String {
    get(v, key).map(scalar).unwrap_or_else(|| "?".to_owned())
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    format!("{} ({seconds} seconds)", parts.join(" "))
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX_CHARS).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn renders_each_shape() {
        assert_eq!(
            render("money", &json!({"value": 12500, "currency": "EUR"})),
            "12500 EUR"
        );
        assert_eq!(
            render("category", &json!([{"id": 2, "text": "Negotiation"}])),
            "Negotiation"
        );
        assert_eq!(
            render("date", &json!({"start": "2024-04-30", "end": null})),
            "2024-04-30"
        );
        assert_eq!(
            render("app", &json!([{"item_id": 1, "title": "Acme Corp"}])),
            "Acme Corp (item 1)"
        );
        assert_eq!(render("duration", &json!(5400)), "1h 30m (5400 seconds)");
        assert_eq!(render("progress", &json!(60)), "60%");
        assert_eq!(
            render("email", &json!([{"type": "work", "value": "a@b"}])),
            "a@b (work)"
        );
        assert_eq!(render("tag", &json!(["a", "b"])), "a, b");
        assert_eq!(
            render("text", &json!("line one\nline two")),
            "line one / line two"
        );
        assert_eq!(render("text", &Value::Null), "(empty)");
        assert!(render("text", &json!("x".repeat(400))).ends_with('…'));
    }
}
