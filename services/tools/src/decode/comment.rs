//! Podio comments (GET /comment/item/{id}/, POST answers) reduced to their
//! text, author and counts.

use serde_json::{Value, json};

use super::html;
use super::json::{array, get, int_or_null, str_at, string_or_null};

/// One comment: comment_id, text, author, author_user_id, created_on, files
/// (count), like_count.
pub fn comment(c: &Value) -> Value {
    // `value` is the plain text; `rich_value` (HTML) only stands in for it.
    let text = match str_at(c, "value") {
        Some(v) => json!(v),
        None => str_at(c, "rich_value").map_or(Value::Null, |r| json!(html::to_text(r))),
    };
    let by = get(c, "created_by");
    let author_user_id = by
        .filter(|b| str_at(b, "type").is_none_or(|t| t == "user"))
        .map_or(Value::Null, |b| match int_or_null(b, "user_id") {
            Value::Null => int_or_null(b, "id"),
            id => id,
        });
    json!({
        "comment_id": int_or_null(c, "comment_id"),
        "text": text,
        "author": by.map_or(Value::Null, |b| string_or_null(b, "name")),
        "author_user_id": author_user_id,
        "created_on": string_or_null(c, "created_on"),
        "files": array(c, "files").len(),
        "like_count": get(c, "like_count").and_then(Value::as_u64).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_value_stands_in_for_a_missing_value() {
        let c = comment(&json!({
            "comment_id": 1, "rich_value": "<p>Hello &amp; bye</p>",
            "created_by": {"type": "app", "id": 9, "name": "Bot"}, "files": [{}, {}]
        }));
        assert_eq!(c["text"], "Hello & bye");
        assert_eq!(c["author"], "Bot");
        assert_eq!(c["author_user_id"], Value::Null, "an app is not a user");
        assert_eq!(c["files"], 2);
        assert_eq!(c["like_count"], 0);
    }
}
