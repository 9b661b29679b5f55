//! Size caps: the whole arguments JSON, and every argument by its own cap
//! (strings, lists, free-form objects and the values inside them). A call
//! over a cap is refused naming the argument, the limit and what was given,
//! before anything reaches Podio. (catalog.rs checks that every schema
//! declares its caps and that each declared cap is enforced.)

mod common;

use common::{Harness, invalid, pairs};
use serde_json::{Map, Value, json};

/// The whole-call cap: 256 KiB of arguments JSON.
const MAX_ARGUMENTS_BYTES: usize = 256 * 1024;

/// `args` padded with trailing spaces (still valid JSON) to `len` bytes.
fn padded(args: &str, len: usize) -> String {
    format!("{args}{}", " ".repeat(len - args.len()))
}

#[tokio::test]
async fn a_call_over_256_kib_is_refused_before_it_is_parsed() {
    let h = Harness::new();
    // Not even valid JSON: the size is checked first.
    let huge = format!(
        "{{\"item_id\": 1, \"x\": \"{}",
        "a".repeat(MAX_ARGUMENTS_BYTES)
    );
    let (message, violations) = invalid(&h, "get_item", &huge).await;
    let size = huge.len();
    assert_eq!(
        violations,
        pairs(&[(
            "arguments",
            &format!(
                "the arguments JSON is {size} bytes, more than the limit of 262144 bytes (256 KiB); send shorter values"
            )
        )])
    );
    assert!(
        message.starts_with("arguments: the arguments JSON is"),
        "{message}"
    );

    let one_over = padded(r#"{"item_id": "abc"}"#, MAX_ARGUMENTS_BYTES + 1);
    let (_, violations) = invalid(&h, "get_item", &one_over).await;
    assert_eq!(violations[0].0, "arguments");
    assert!(violations[0].1.contains("262145 bytes"), "{violations:?}");

    // At the limit the arguments are parsed and checked as usual.
    let at_limit = padded(r#"{"item_id": "abc"}"#, MAX_ARGUMENTS_BYTES);
    let (_, violations) = invalid(&h, "get_item", &at_limit).await;
    assert_eq!(
        violations,
        pairs(&[(
            "item_id",
            "expected a positive integer item id, got \"abc\""
        )])
    );
    assert!(h.connector.requests().is_empty());
}

#[tokio::test]
async fn over_long_strings_are_refused_naming_the_argument_and_the_limit() {
    let h = Harness::new();
    let cases = [
        (
            "search_globally",
            json!({"query": "q".repeat(501)}),
            "query",
            "expected at most 500 characters, got 501",
        ),
        (
            "create_task",
            json!({"text": "t".repeat(1_001)}),
            "text",
            "expected at most 1000 characters, got 1001",
        ),
        (
            "update_task",
            json!({"task_id": 1, "description": "d".repeat(20_001)}),
            "description",
            "expected at most 20000 characters, got 20001",
        ),
        (
            "get_items",
            json!({"app_id": 1, "sort_by": "s".repeat(201)}),
            "sort_by",
            "expected at most 200 characters, got 201",
        ),
        (
            "create_item",
            json!({"app_id": 1, "fields": {"title": "x"}, "external_id": "e".repeat(201)}),
            "external_id",
            "expected at most 200 characters, got 201",
        ),
    ];
    for (tool, args, field, description) in cases {
        let (_, violations) = invalid(&h, tool, &args.to_string()).await;
        assert_eq!(violations, pairs(&[(field, description)]), "{tool}");
    }
    // Dates have their format's length: a padded or long one is no date.
    let (_, violations) = invalid(
        &h,
        "get_tasks",
        &json!({"due_from": format!("2024-04-01{}", " ".repeat(5_000))}).to_string(),
    )
    .await;
    assert_eq!(violations[0].0, "due_from");
    assert!(
        violations[0].1.contains("at most 10 characters, got 5010"),
        "{violations:?}"
    );
    // An id given as a string is at most 20 characters.
    let (_, violations) = invalid(
        &h,
        "get_tasks",
        &json!({"responsible": format!("{}1", " ".repeat(100))}).to_string(),
    )
    .await;
    assert_eq!(violations[0].0, "responsible");
    assert!(h.connector.requests().is_empty());
}

#[tokio::test]
async fn too_long_lists_are_refused_naming_the_argument_the_limit_and_the_count() {
    let h = Harness::new();
    let tags: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
    let (_, violations) = invalid(
        &h,
        "create_item",
        &json!({"app_id": 1, "fields": {"title": "x"}, "tags": tags}).to_string(),
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[("tags", "expected at most 100 strings, got 101")])
    );
    let users: Vec<u64> = (1..=51).collect();
    let (_, violations) = invalid(
        &h,
        "create_task",
        &json!({"text": "Call", "responsible": users, "labels": vec!["l"; 51]}).to_string(),
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[
            ("responsible", "expected at most 50 user ids, got 51"),
            ("labels", "expected at most 50 strings, got 51"),
        ])
    );
    let (_, violations) = invalid(
        &h,
        "update_item",
        &json!({"item_id": 1, "tags": ["ok", "x".repeat(201)]}).to_string(),
    )
    .await;
    assert_eq!(violations[0].0, "tags");
    assert!(
        violations[0].1.contains("at most 200 characters"),
        "{violations:?}"
    );
    assert!(h.connector.requests().is_empty());
}

#[tokio::test]
async fn field_values_and_filters_are_bounded_naming_the_key() {
    let h = Harness::new();
    let (_, violations) = invalid(
        &h,
        "create_item",
        &json!({"app_id": 1, "fields": {"title": "ok", "notes": "n".repeat(100_001)}}).to_string(),
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[(
            "fields.notes",
            "expected text of at most 100000 characters, got 100001"
        )])
    );
    // Strings and lists at any depth of a value.
    let (_, violations) = invalid(
        &h,
        "update_item",
        &json!({"item_id": 1, "fields": {
            "address": {"value": "a".repeat(100_001)},
            "stage": vec![1; 501],
        }})
        .to_string(),
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[
            (
                "fields.address",
                "expected text of at most 100000 characters, got 100001"
            ),
            (
                "fields.stage",
                "expected a list of at most 500 values, got 501"
            ),
        ])
    );
    let many: Map<String, Value> = (0..201).map(|i| (format!("f{i}"), json!(i))).collect();
    let (_, violations) = invalid(
        &h,
        "update_item",
        &json!({"item_id": 1, "fields": many}).to_string(),
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[("fields", "expected at most 200 properties, got 201")])
    );

    let (_, violations) = invalid(
        &h,
        "get_items",
        &json!({"app_id": 1, "filters": {"title": {"from": "x".repeat(1_001)}}}).to_string(),
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[(
            "filters.title",
            "expected text of at most 1000 characters, got 1001"
        )])
    );
    let many: Map<String, Value> = (0..51).map(|i| (format!("f{i}"), json!([i]))).collect();
    let (_, violations) = invalid(
        &h,
        "get_items",
        &json!({"app_id": 1, "filters": many}).to_string(),
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[("filters", "expected at most 50 properties, got 51")])
    );
    let (_, violations) = invalid(
        &h,
        "get_items",
        &json!({"app_id": 1, "filters": {"k".repeat(201): [1]}}).to_string(),
    )
    .await;
    assert_eq!(violations[0].0, "filters");
    assert!(
        violations[0]
            .1
            .starts_with("expected property names of at most 200 characters, got one of 201"),
        "{violations:?}"
    );
    assert!(h.connector.requests().is_empty(), "podio is never called");
}
