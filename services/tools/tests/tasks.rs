//! The task tools: get_tasks, get_task, create_task, update_task and
//! complete_task — requests sent to Podio, decoded results, bad input and
//! Podio's errors.

mod common;

use common::{Harness, Reply, failure, fixture, invalid, pairs, podio_refusal, query_of};
use serde_json::{Value, json};
use tonic::Status;

fn harness() -> Harness {
    let h = Harness::new();
    for (route, file) in [
        ("GET /user/status", "user_status.json"),
        ("GET /task/", "tasks.json"),
        ("GET /task/15126", "task.json"),
    ] {
        h.connector.reply(route, Reply::Json(fixture(file)));
    }
    h
}

fn body_of(request: &portico_proto::connector::v1::PodioRequest) -> Value {
    serde_json::from_str(&request.body_json).expect("json body")
}

#[tokio::test]
async fn get_tasks_without_filters_lists_the_callers_own_open_tasks() {
    let h = harness();
    let (text, out) = h.ok("get_tasks", "{}").await;

    let requests = h.connector.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("GET", "/user/status")
    );
    assert_eq!(
        (requests[1].method.as_str(), requests[1].path.as_str()),
        ("GET", "/task/")
    );
    assert_eq!(
        query_of(&requests[1]),
        pairs(&[
            ("responsible", "1337749"),
            ("completed", "false"),
            ("limit", "20"),
            ("offset", "0")
        ])
    );
    assert_eq!(
        out["query"],
        json!({"responsible": "1337749", "completed": "false", "limit": "20", "offset": "0"})
    );
    assert!(
        out["note"].as_str().expect("note").contains("your tasks"),
        "{out}"
    );
    assert_eq!(out["count"], 2);
    assert_eq!(out["next_offset"], Value::Null);

    let first = &out["tasks"][0];
    assert_eq!(first["task_id"], 15126);
    assert_eq!(first["status"], "active");
    assert_eq!(first["due_date"], "2024-04-10");
    assert_eq!(first["due_time"], "17:00:00");
    assert_eq!(first["due_on"], "2024-04-10 15:00:00");
    assert_eq!(
        first["responsible"],
        json!({"user_id": 1337749, "profile_id": 67160609, "name": "Jane Doe"})
    );
    assert_eq!(first["created_by"], "Bob Roe");
    assert_eq!(first["labels"], json!([{"label_id": 9, "text": "Sales"}]));
    assert_eq!(
        first["ref"],
        json!({"type": "item", "id": 987654321, "title": "Acme Corp renewal", "link": "https://podio.com/acme/sales/apps/deals/items/42"})
    );
    let second = &out["tasks"][1];
    assert_eq!(
        second["ref"],
        json!({"type": "space", "id": 2501470, "title": "Support", "link": "https://podio.com/acme/support"}),
        "the older flat ref keys are read"
    );
    assert_eq!(second["private"], true);
    assert_eq!(second["description"], Value::Null);

    assert!(text.contains("your tasks"), "{text}");
    assert!(text.contains("\nOpen tasks 1–2:\n"), "{text}");
    assert!(
        text.contains(
            "- Send contract to Acme (task 15126): open, due 2024-04-10 17:00, responsible Jane Doe, on item 987654321 \"Acme Corp renewal\", labels: Sales"
        ),
        "{text}"
    );
    assert!(
        text.contains("- Plan Q3 review (task 15130): open, responsible Jane Doe, on space 2501470 \"Support\", private"),
        "{text}"
    );
}

#[tokio::test]
async fn get_tasks_sends_every_filter_podio_takes() {
    let h = harness();
    let (text, out) = h
        .ok(
            "get_tasks",
            r#"{"space_id": 2501464, "item_id": 987654321, "responsible": 1337750,
                "completed": true, "due_from": "2024-04-01", "due_to": "2024-04-30",
                "label": 9, "sort_by": "created_on", "sort_desc": true, "limit": 2, "offset": 4}"#,
        )
        .await;
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 1, "no /user/status lookup is needed");
    assert_eq!(
        query_of(&requests[0]),
        pairs(&[
            ("space", "2501464"),
            ("reference", "item:987654321"),
            ("responsible", "1337750"),
            ("completed", "true"),
            ("due_date", "2024-04-01-2024-04-30"),
            ("label", "9"),
            ("sort_by", "created_on"),
            ("sort_desc", "true"),
            ("limit", "2"),
            ("offset", "4"),
        ])
    );
    assert_eq!(out["note"], Value::Null);
    assert_eq!(out["next_offset"], 6, "a full page may have a successor");
    assert!(text.contains("pass offset=6"), "{text}");

    // An open-ended due range and "me".
    let h = harness();
    h.ok(
        "get_tasks",
        r#"{"app_id": 5551234, "responsible": "me", "due_to": "2024-04-30"}"#,
    )
    .await;
    let requests = h.connector.requests();
    assert_eq!(requests[0].path, "/user/status");
    assert_eq!(
        query_of(&requests[1]),
        pairs(&[
            ("app", "5551234"),
            ("responsible", "1337749"),
            ("completed", "false"),
            ("due_date", "-2024-04-30"),
            ("limit", "20"),
            ("offset", "0"),
        ])
    );
}

#[tokio::test]
async fn get_tasks_asks_each_organization_when_podio_refuses_a_responsible_only_query() {
    let h = harness();
    h.connector.reply(
        "GET /task/?responsible=1337749&completed=false&sort_by=created_on&sort_desc=true&limit=2&offset=1",
        Reply::Fail(podio_refusal(
            tonic::Code::InvalidArgument,
            400,
            "forbidden",
            "Query not secure enough, please add more filters",
        )),
    );
    h.connector.reply(
        "GET /org/",
        Reply::Json(
            r#"[{"org_id": 720690, "name": "Acme"}, {"org_id": 720700, "name": "Beta"}]"#
                .to_owned(),
        ),
    );
    let task = |id: u64, created: &str| json!({"task_id": id, "text": format!("Task {id}"), "status": "active", "created_on": created});
    h.connector.reply(
        "GET /task/?responsible=1337749&completed=false&sort_by=created_on&sort_desc=true&org=720690&limit=100&offset=0",
        Reply::Json(json!([task(1, "2024-03-05 10:00:00"), task(2, "2024-03-01 10:00:00")]).to_string()),
    );
    h.connector.reply(
        "GET /task/?responsible=1337749&completed=false&sort_by=created_on&sort_desc=true&org=720700&limit=100&offset=0",
        Reply::Json(json!([task(3, "2024-03-04 10:00:00"), task(4, "2024-02-01 10:00:00")]).to_string()),
    );

    let (text, out) = h
        .ok(
            "get_tasks",
            r#"{"sort_by": "created_on", "sort_desc": true, "limit": 2, "offset": 1}"#,
        )
        .await;
    assert_eq!(
        h.routes(),
        [
            "GET /user/status",
            "GET /task/",
            "GET /org/",
            "GET /task/",
            "GET /task/"
        ]
    );
    let ids: Vec<u64> = out["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["task_id"].as_u64())
        .collect();
    assert_eq!(
        ids,
        [3, 2],
        "merged newest first, then paged: offset 1, limit 2"
    );
    assert_eq!(out["next_offset"], 3, "task 4 is still to come");
    assert_eq!(out["query"]["org"], "720690,720700");
    assert_eq!(out["query"]["limit"], "2");
    let note = out["note"].as_str().expect("note");
    assert!(note.contains("each of your organizations"), "{note}");
    assert!(text.contains("each of your organizations"), "{text}");
}

#[tokio::test]
async fn get_tasks_rejects_bad_filters_naming_each() {
    let h = harness();
    let (_, violations) = invalid(
        &h,
        "get_tasks",
        r#"{"responsible": "bob", "due_from": "2024-13-01", "sort_by": "due_date", "limit": 101, "completed": "maybe"}"#,
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[
            (
                "responsible",
                "expected a positive integer user id or the word \"me\", got \"bob\""
            ),
            (
                "due_from",
                "expected a date \"YYYY-MM-DD\" (e.g. \"2026-04-30\"), got \"2024-13-01\""
            ),
            ("completed", "expected true or false, got \"maybe\""),
            (
                "sort_by",
                "expected one of created_on, completed_on, rank, got \"due_date\""
            ),
            ("limit", "expected an integer from 1 to 100, got 101"),
        ])
    );
    let (message, _) = invalid(
        &h,
        "get_tasks",
        r#"{"due_from": "2024-05-01", "due_to": "2024-04-30"}"#,
    )
    .await;
    assert_eq!(
        message,
        "due_to: due_to (2024-04-30) is before due_from (2024-05-01); give a range whose end is on or after its start"
    );
    assert!(h.connector.requests().is_empty());
}

#[tokio::test]
async fn get_task_decodes_one_task() {
    let h = harness();
    let (text, task) = h.ok("get_task", r#"{"task_id": 15126}"#).await;
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("GET", "/task/15126")
    );
    assert!(requests[0].query.is_empty());
    assert_eq!(task["text"], "Send contract to Acme");
    assert_eq!(
        task["description"], "Use the 2024 template",
        "HTML descriptions become plain text"
    );
    assert_eq!(task["link"], "https://podio.com/tasks/15126");
    assert_eq!(task["space_id"], 2501464);
    assert_eq!(task["completed_on"], Value::Null);
    assert_eq!(task["created_on"], "2024-03-05 11:02:00");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "Send contract to Acme (task 15126): open, due 2024-04-10 17:00, responsible Jane Doe, on item 987654321 \"Acme Corp renewal\", labels: Sales",
            "Link: https://podio.com/tasks/15126",
            "Created 2024-03-05 11:02:00 by Bob Roe",
            "Description: Use the 2024 template",
        ]
    );
}

#[tokio::test]
async fn get_task_of_an_unknown_task_says_where_to_find_ids() {
    let h = harness();
    h.connector.reply(
        "GET /task/999",
        Reply::Fail(Status::not_found("Object not found")),
    );
    let message = failure(&h, "get_task", r#"{"task_id": 999}"#).await;
    assert_eq!(
        message,
        "task 999 was not found in Podio: it may have been deleted or the id is wrong; use get_tasks to find task ids"
    );
    let (message, _) = invalid(&h, "get_task", r#"{"task_id": "abc"}"#).await;
    assert_eq!(
        message,
        r#"task_id: expected a positive integer task id, got "abc""#
    );
}

#[tokio::test]
async fn create_task_on_an_item_for_two_users_returns_both_tasks() {
    let h = harness();
    h.connector.reply(
        "POST /task/item/987654321/",
        Reply::Json(fixture("tasks_created.json")),
    );
    let (text, out) = h
        .ok(
            "create_task",
            r#"{"text": "  Follow up with Acme Corp ", "description": "Ask about the contract",
                "due_date": "2026-04-04 14:30", "responsible": [1337749, 1337750],
                "labels": ["Sales", "Follow-up"], "private": false,
                "ref_type": "item", "ref_id": 987654321}"#,
        )
        .await;
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/task/item/987654321/")
    );
    assert_eq!(
        body_of(&requests[0]),
        json!({
            "text": "Follow up with Acme Corp",
            "description": "Ask about the contract",
            "due_date": "2026-04-04",
            "due_time": "14:30",
            "responsible": [1337749, 1337750],
            "labels": ["Sales", "Follow-up"],
            "private": false,
        })
    );
    assert_eq!(out["count"], 2);
    assert_eq!(out["tasks"][0]["task_id"], 15200);
    assert_eq!(out["tasks"][1]["responsible"]["name"], "Bob Roe");
    assert_eq!(
        out["tasks"][1]["labels"],
        json!([{"label_id": 9, "text": "Sales"}, {"label_id": 12, "text": "Follow-up"}])
    );
    assert!(text.starts_with("Created 2 tasks:\n- Follow up with Acme Corp (task 15200): open, due 2026-04-04 14:30, responsible Jane Doe"), "{text}");
}

#[tokio::test]
async fn create_task_without_a_reference_posts_to_the_task_list() {
    let h = harness();
    h.connector
        .reply("POST /task/", Reply::Json(fixture("task.json")));
    let (text, out) = h
        .ok(
            "create_task",
            r#"{"text": "Send contract to Acme", "due_date": "2024-04-10", "responsible": 1337749}"#,
        )
        .await;
    let requests = h.connector.requests();
    assert_eq!(requests[0].path, "/task/");
    assert_eq!(
        body_of(&requests[0]),
        json!({"text": "Send contract to Acme", "due_date": "2024-04-10", "responsible": 1337749})
    );
    assert_eq!(out["count"], 1);
    assert_eq!(out["tasks"][0]["task_id"], 15126);
    assert!(text.starts_with("Created 1 task:"), "{text}");
}

#[tokio::test]
async fn create_task_rejects_bad_input_before_calling_podio() {
    let h = harness();
    let (_, violations) = invalid(
        &h,
        "create_task",
        r#"{"text": "   ", "due_date": "next friday", "responsible": [1, "x"], "labels": ["ok", ""], "ref_type": "task"}"#,
    )
    .await;
    assert_eq!(
        violations,
        pairs(&[
            ("text", "expected a non-empty text, got an empty string"),
            (
                "due_date",
                "expected a date \"YYYY-MM-DD\" or a date and time \"YYYY-MM-DD HH:MM\" (e.g. \"2026-04-30 14:00\"), got \"next friday\""
            ),
            (
                "responsible",
                "expected a positive integer user id or a non-empty list of them, got [1,\"x\"]"
            ),
            (
                "labels",
                "expected a list of non-empty strings of at most 100 characters, got [\"ok\",\"\"]"
            ),
            ("ref_type", "expected one of item, app, space, got \"task\""),
            (
                "ref_id",
                "missing: ref_type needs ref_id, the id of the object to attach the task to"
            ),
        ])
    );
    let (message, _) = invalid(
        &h,
        "create_task",
        r#"{"text": "x", "ref_id": 5, "due_on": "2024-01-01"}"#,
    )
    .await;
    assert_eq!(
        message,
        "due_on: unknown argument; accepted arguments: description, due_date, labels, private, ref_id, ref_type, responsible, text; ref_type: missing: ref_id needs ref_type, one of item, app, space"
    );
    assert!(h.connector.requests().is_empty());
}

#[tokio::test]
async fn create_task_on_a_missing_item_names_it() {
    let h = harness();
    h.connector.reply(
        "POST /task/item/5/",
        Reply::Fail(Status::not_found("Object not found")),
    );
    let message = failure(
        &h,
        "create_task",
        r#"{"text": "x", "ref_type": "item", "ref_id": 5}"#,
    )
    .await;
    assert_eq!(
        message,
        "item 5 was not found in Podio: it may have been deleted or the id is wrong; use get_items or search_globally to find item ids"
    );
}

#[tokio::test]
async fn update_task_sends_only_the_given_keys() {
    let h = harness();
    h.connector
        .reply("PUT /task/15126", Reply::Json(fixture("task.json")));
    let (text, task) = h
        .ok(
            "update_task",
            r#"{"task_id": 15126, "due_date": "2024-04-10T17:00:00", "responsible": 1337749, "labels": ["Sales"]}"#,
        )
        .await;
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("PUT", "/task/15126")
    );
    assert_eq!(
        body_of(&requests[0]),
        json!({"due_date": "2024-04-10", "due_time": "17:00", "responsible": 1337749, "labels": ["Sales"]})
    );
    assert_eq!(task["task_id"], 15126);
    assert!(
        text.starts_with("Updated task 15126:\nSend contract to Acme (task 15126)"),
        "{text}"
    );
}

#[tokio::test]
async fn update_task_reads_the_task_back_when_podio_answers_no_body() {
    let h = harness();
    h.connector
        .reply("PUT /task/15126", Reply::Json(String::new()));
    let (_, task) = h
        .ok("update_task", r#"{"task_id": 15126, "description": ""}"#)
        .await;
    let requests = h.connector.requests();
    assert_eq!(h.routes(), ["PUT /task/15126", "GET /task/15126"]);
    assert_eq!(body_of(&requests[0]), json!({"description": ""}));
    assert_eq!(task["text"], "Send contract to Acme");
}

#[tokio::test]
async fn update_task_needs_something_to_change() {
    let h = harness();
    let (message, _) = invalid(&h, "update_task", r#"{"task_id": 15126}"#).await;
    assert_eq!(
        message,
        "arguments: nothing to change: give at least one of text, description, due_date, responsible, labels, private"
    );
    let (message, _) = invalid(
        &h,
        "update_task",
        r#"{"task_id": 15126, "responsible": [1, 2]}"#,
    )
    .await;
    assert_eq!(
        message,
        "responsible: expected a positive integer user id, got [1,2]"
    );
    assert!(h.connector.requests().is_empty());
}

#[tokio::test]
async fn complete_task_posts_without_a_body() {
    let h = harness();
    h.connector.reply(
        "POST /task/15126/complete",
        Reply::Json(r#"{"recurring_task_id": null}"#.to_owned()),
    );
    let (text, out) = h.ok("complete_task", r#"{"task_id": 15126}"#).await;
    let requests = h.connector.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/task/15126/complete")
    );
    assert!(requests[0].body_json.is_empty() && requests[0].query.is_empty());
    assert_eq!(
        out,
        json!({"task_id": 15126, "completed": true, "recurring_task_id": null})
    );
    assert_eq!(text, "Task 15126 is completed.");

    h.connector.reply(
        "POST /task/15127/complete",
        Reply::Json(r#"{"recurring_task_id": 15300}"#.to_owned()),
    );
    let (text, out) = h.ok("complete_task", r#"{"task_id": 15127}"#).await;
    assert_eq!(out["recurring_task_id"], 15300);
    assert!(text.contains("next occurrence is task 15300"), "{text}");

    let (message, _) = invalid(&h, "complete_task", "{}").await;
    assert!(
        message.starts_with("task_id: missing required argument"),
        "{message}"
    );
}

#[tokio::test]
async fn write_tools_need_the_write_scope() {
    let h = harness();
    let tools = h.list(Some(common::TOKEN)).await.expect("list");
    for name in ["create_task", "update_task", "complete_task", "add_comment"] {
        let tool = tools.iter().find(|t| t.name == name).expect(name);
        assert_eq!(tool.required_scope, "podio:write", "{name}");
        let a = tool.annotations.expect("annotations");
        assert!(!a.read_only_hint, "{name}");
    }
    let complete = tools
        .iter()
        .find(|t| t.name == "complete_task")
        .expect("complete");
    let a = complete.annotations.expect("annotations");
    assert!(!a.destructive_hint && a.idempotent_hint);
}
