//! The comment and notification tools: get_item_comments, add_comment and
//! get_notifications — requests sent to Podio, decoded results, paging, bad
//! input and Podio's errors.

mod common;

use common::{Harness, Reply, failure, fixture, invalid, pairs, query_of};
use serde_json::{Value, json};
use tonic::Status;

fn harness() -> Harness {
    let h = Harness::new();
    for (route, file) in [
        ("GET /comment/item/987654321/", "comments.json"),
        ("POST /comment/item/987654321/", "comment_added.json"),
        ("GET /notification/", "notifications.json"),
    ] {
        h.connector.reply(route, Reply::Json(fixture(file)));
    }
    h
}

#[tokio::test]
async fn get_item_comments_pages_podios_full_list_oldest_first() {
    let h = harness();
    let (text, out) = h
        .ok("get_item_comments", r#"{"item_id": 987654321, "limit": 2}"#)
        .await;
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("GET", "/comment/item/987654321/")
    );
    assert!(requests[0].query.is_empty());
    assert_eq!(out["total"], 3);
    assert_eq!(out["count"], 2);
    assert_eq!(out["next_offset"], 2);
    assert_eq!(
        out["comments"][0],
        json!({
            "comment_id": 3344556, "text": "Contract sent, waiting for signature",
            "author": "Bob Roe", "author_user_id": 1337750, "created_on": "2024-03-06 08:30:00",
            "files": 1, "like_count": 2,
        })
    );
    assert_eq!(
        out["comments"][1]["text"], "Signed & returned\nThanks @Bob",
        "rich_value stands in when value is missing"
    );
    assert_eq!(
        text,
        "Comments 1–2 of 3 on item 987654321, oldest first; pass offset=2 for more:\n\
         - Bob Roe, 2024-03-06 08:30:00 (comment 3344556, 1 file, 2 likes):\n  Contract sent, waiting for signature\n\
         - Jane Doe, 2024-03-08 10:00:00 (comment 3344560):\n  Signed & returned\n  Thanks @Bob"
    );

    let (text, out) = h
        .ok(
            "get_item_comments",
            r#"{"item_id": 987654321, "limit": 2, "offset": 2}"#,
        )
        .await;
    assert_eq!(out["count"], 1);
    assert_eq!(out["next_offset"], Value::Null);
    assert_eq!(out["comments"][0]["author"], "Deals");
    assert_eq!(
        out["comments"][0]["author_user_id"],
        Value::Null,
        "an app is not a user"
    );
    assert!(text.starts_with("Comments 3–3 of 3"), "{text}");

    let (text, out) = h
        .ok(
            "get_item_comments",
            r#"{"item_id": 987654321, "offset": 9}"#,
        )
        .await;
    assert_eq!(out["count"], 0);
    assert_eq!(
        text,
        "No comments on item 987654321 at offset 9: there are only 3 comments; use an offset below 3."
    );
}

#[tokio::test]
async fn get_item_comments_rejects_bad_paging_and_names_missing_items() {
    let h = harness();
    let (_, violations) = invalid(
        &h,
        "get_item_comments",
        r#"{"item_id": 987654321, "limit": 201, "offset": -1}"#,
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[
            ("limit", "expected an integer from 1 to 200, got 201"),
            (
                "offset",
                "expected an integer from 0 to 9223372036854775807, got -1"
            ),
        ])
    );
    h.connector.reply(
        "GET /comment/item/5/",
        Reply::Fail(Status::not_found("Object not found")),
    );
    let message = failure(&h, "get_item_comments", r#"{"item_id": 5}"#).await;
    assert_eq!(
        message,
        "item 5 was not found in Podio: it may have been deleted or the id is wrong; use get_items or search_globally to find item ids"
    );
    h.connector.reply(
        "GET /comment/item/6/",
        Reply::Fail(Status::permission_denied(
            "You are not allowed to view this item",
        )),
    );
    let message = failure(&h, "get_item_comments", r#"{"item_id": 6}"#).await;
    assert!(
        message.starts_with("Podio denied access to item 6"),
        "{message}"
    );
}

#[tokio::test]
async fn add_comment_posts_the_value_and_returns_the_comment() {
    let h = harness();
    let (text, out) = h
        .ok(
            "add_comment",
            r#"{"item_id": 987654321, "text": "Follow up next week"}"#,
        )
        .await;
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/comment/item/987654321/")
    );
    assert!(requests[0].query.is_empty());
    let body: Value = serde_json::from_str(&requests[0].body_json).expect("json");
    assert_eq!(body, json!({"value": "Follow up next week"}));
    assert_eq!(out["comment_id"], 3344580);
    assert_eq!(out["created_on"], "2024-03-10 09:00:00");
    assert_eq!(out["author"], "Jane Doe");
    assert_eq!(
        text,
        "Comment added to item 987654321:\n- Jane Doe, 2024-03-10 09:00:00 (comment 3344580):\n  Follow up next week"
    );
}

#[tokio::test]
async fn add_comment_silently_and_with_a_minimal_answer() {
    let h = harness();
    h.connector.reply(
        "POST /comment/item/987654321/",
        Reply::Json(r#"{"comment_id": 3344590}"#.to_owned()),
    );
    let (_, out) = h
        .ok(
            "add_comment",
            r#"{"item_id": 987654321, "text": "Quiet note", "silent": true}"#,
        )
        .await;
    let requests = h.connector.requests();
    assert_eq!(query_of(&requests[0]), pairs(&[("silent", "true")]));
    assert_eq!(out["comment_id"], 3344590);
    assert_eq!(out["text"], "Quiet note", "the text sent stands in");
}

#[tokio::test]
async fn add_comment_rejects_empty_or_huge_text() {
    let h = harness();
    let (_, violations) = invalid(&h, "add_comment", r#"{"item_id": 1, "text": " "}"#).await;
    assert_eq!(
        violations,
        pairs(&[("text", "expected a non-empty text, got an empty string")])
    );
    let huge = json!({"item_id": 1, "text": "x".repeat(10_001)}).to_string();
    let (message, _) = invalid(&h, "add_comment", &huge).await;
    assert_eq!(
        message,
        "text: expected at most 10000 characters, got 10001"
    );
    let (message, _) = invalid(&h, "add_comment", r#"{"text": "hi"}"#).await;
    assert!(
        message.starts_with("item_id: missing required argument"),
        "{message}"
    );
    assert!(h.connector.requests().is_empty());
}

#[tokio::test]
async fn get_notifications_flattens_groups() {
    let h = harness();
    let (text, out) = h.ok("get_notifications", r#"{"viewed": false}"#).await;
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/notification/");
    assert_eq!(
        query_of(&requests[0]),
        pairs(&[("viewed", "false"), ("limit", "20"), ("offset", "0")])
    );
    assert_eq!(out["count"], 3);
    assert_eq!(out["next_offset"], Value::Null);
    assert_eq!(
        out["notifications"][0],
        json!({
            "notification_id": 778899, "type": "comment",
            "text": "Bob Roe commented on Acme Corp renewal", "author": "Bob Roe",
            "created_on": "2024-03-06 08:30:00", "viewed": false,
            "context_title": "Acme Corp renewal", "ref": {"type": "item", "id": 987654321},
            "link": "https://podio.com/acme/sales/apps/deals/items/42", "space": "Sales",
        })
    );
    assert_eq!(out["notifications"][1]["viewed"], true);
    assert_eq!(out["notifications"][2]["text"], "Assigned you a task");
    assert_eq!(
        out["notifications"][2]["ref"],
        json!({"type": "task", "id": 15126})
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Unread notifications 1–3, newest first:");
    assert_eq!(
        lines[1],
        "- [unread] 2024-03-06 08:30:00 comment by Bob Roe on item 987654321 \"Acme Corp renewal\" (Sales): Bob Roe commented on Acme Corp renewal"
    );
}

#[tokio::test]
async fn get_notifications_pages_and_checks_its_arguments() {
    let h = harness();
    let (text, out) = h
        .ok("get_notifications", r#"{"limit": 3, "offset": 3}"#)
        .await;
    assert_eq!(
        query_of(&h.connector.requests()[0]),
        pairs(&[("limit", "3"), ("offset", "3")]),
        "no viewed filter when none is asked for"
    );
    assert_eq!(out["next_offset"], 6, "a full page may have a successor");
    assert!(text.contains("pass offset=6"), "{text}");

    let (_, violations) = invalid(
        &h,
        "get_notifications",
        r#"{"viewed": "maybe", "limit": 0}"#,
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[
            ("viewed", "expected true or false, got \"maybe\""),
            ("limit", "expected an integer from 1 to 100, got 0"),
        ])
    );
    h.connector.reply(
        "GET /notification/",
        Reply::Fail(Status::resource_exhausted("rate limit")),
    );
    let message = failure(&h, "get_notifications", "{}").await;
    assert_eq!(message, "Podio's rate limit was reached; retry later");
}
