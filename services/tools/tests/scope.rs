//! Workspace scoping through the token: a principal with `space_ids` or
//! `org_ids` sees and touches only those workspaces (and every workspace of
//! the listed organizations), through every tool. Refusals are `is_error`
//! results sent before any write; lists are filtered and say so.

mod common;

use common::{
    ACME, ELSEWHERE, Harness, ORG_SCOPED, OTHER_ORG, Reply, SALES, SCOPED, SUPPORT, TOKEN,
    failure_as, fixture, query_of,
};
use serde_json::{Value, json};

/// An item in the ELSEWHERE workspace.
const FOREIGN_ITEM: u64 = 111;
/// Its app.
const FOREIGN_APP: u64 = 6000001;
/// A task in the ELSEWHERE workspace.
const FOREIGN_TASK: u64 = 15999;

fn foreign_item() -> Value {
    json!({
        "item_id": FOREIGN_ITEM, "title": "Secret deal",
        "app": {"app_id": FOREIGN_APP, "name": "Secrets", "space_id": ELSEWHERE},
        "fields": [],
    })
}

/// The usual fixtures plus objects outside the scoped tokens' workspaces.
fn harness() -> Harness {
    let h = Harness::new();
    let c = &h.connector;
    c.reply(
        &format!("GET /item/{FOREIGN_ITEM}"),
        Reply::Json(foreign_item().to_string()),
    );
    c.reply(
        &format!("GET /app/{FOREIGN_APP}"),
        Reply::Json(
            json!({"app_id": FOREIGN_APP, "space_id": ELSEWHERE, "config": {"name": "Secrets"},
                "fields": [{"field_id": 1, "external_id": "title", "type": "text", "label": "Title",
                    "status": "active", "config": {"label": "Title", "required": true, "settings": {}}}]})
            .to_string(),
        ),
    );
    c.reply(
        &format!("GET /task/{FOREIGN_TASK}"),
        Reply::Json(
            json!({"task_id": FOREIGN_TASK, "text": "Secret task", "status": "active", "space_id": ELSEWHERE})
                .to_string(),
        ),
    );
    c.reply("GET /task/15126", Reply::Json(fixture("task.json")));
    c.reply(
        &format!("GET /space/{SALES}"),
        Reply::Json(fixture("space.json")),
    );
    c.reply(
        &format!("GET /space/{SUPPORT}"),
        Reply::Json(json!({"space_id": SUPPORT, "name": "Support", "org_id": ACME}).to_string()),
    );
    c.reply(
        &format!("GET /space/{ELSEWHERE}"),
        Reply::Json(
            json!({"space_id": ELSEWHERE, "name": "Elsewhere", "org_id": OTHER_ORG}).to_string(),
        ),
    );
    h
}

fn writes(h: &Harness) -> Vec<String> {
    h.routes()
        .into_iter()
        .filter(|r| !r.starts_with("GET "))
        .collect()
}

#[tokio::test]
async fn get_item_in_scope_and_out_of_scope() {
    let h = harness();
    let (_, out) = h
        .ok_as(SCOPED, "get_item", r#"{"item_id": 987654321}"#)
        .await;
    assert_eq!(out["item_id"], 987654321);

    let message = failure_as(
        &h,
        SCOPED,
        "get_item",
        &json!({"item_id": FOREIGN_ITEM, "mark_as_viewed": true}).to_string(),
    )
    .await;
    assert_eq!(
        message,
        "This token is limited to workspace 2501464; item 111 is in workspace 3000001, which is \
         not one of them. Use get_organizations to list the workspaces this token can reach."
    );
    // The foreign item was never marked as viewed.
    let requests = h.connector.requests();
    let last = requests.last().expect("a request");
    assert_eq!(last.path, "/item/111");
    assert_eq!(
        query_of(last),
        vec![("mark_as_viewed".to_owned(), "false".to_owned())]
    );
}

#[tokio::test]
async fn unscoped_tokens_pay_nothing() {
    let h = harness();
    h.ok("get_item", &json!({"item_id": FOREIGN_ITEM}).to_string())
        .await;
    assert_eq!(h.routes(), ["GET /item/111"]);
    let (text, out) = h.ok("get_organizations", "{}").await;
    assert!(out.get("limited_to_workspaces").is_none());
    assert!(!text.contains("limited"));
}

#[tokio::test]
async fn create_item_into_a_foreign_app_sends_nothing() {
    let h = harness();
    let message = failure_as(
        &h,
        SCOPED,
        "create_item",
        &json!({"app_id": FOREIGN_APP, "fields": {"title": "x", "nope": 1}}).to_string(),
    )
    .await;
    assert!(
        message.contains("app 6000001 is in workspace 3000001"),
        "{message}"
    );
    // Refused before the values were checked (which would describe the app).
    assert!(!message.contains("nope"), "{message}");
    assert!(writes(&h).is_empty(), "{:?}", h.routes());
}

#[tokio::test]
async fn update_item_out_of_scope_sends_no_put() {
    let h = harness();
    let message = failure_as(
        &h,
        SCOPED,
        "update_item",
        &json!({"item_id": FOREIGN_ITEM, "fields": {"title": "changed"}}).to_string(),
    )
    .await;
    assert!(
        message.contains("item 111 is in workspace 3000001"),
        "{message}"
    );
    assert!(writes(&h).is_empty(), "{:?}", h.routes());
}

#[tokio::test]
async fn space_tools_refuse_a_foreign_space_without_asking_podio() {
    let h = harness();
    for tool in ["get_apps_in_space", "get_space", "get_space_members"] {
        let message = failure_as(
            &h,
            SCOPED,
            tool,
            &json!({"space_id": ELSEWHERE}).to_string(),
        )
        .await;
        assert!(
            message.contains("space 3000001 is not one of them"),
            "{tool}: {message}"
        );
    }
    assert!(h.routes().is_empty(), "{:?}", h.routes());

    let (_, out) = h
        .ok_as(
            SCOPED,
            "get_apps_in_space",
            &json!({"space_id": SALES}).to_string(),
        )
        .await;
    assert!(out["total"].as_u64().is_some_and(|n| n > 0));
}

#[tokio::test]
async fn org_scoping_allows_the_workspaces_of_a_listed_org() {
    let h = harness();
    let (_, out) = h
        .ok_as(
            ORG_SCOPED,
            "get_space",
            &json!({"space_id": SUPPORT}).to_string(),
        )
        .await;
    assert_eq!(out["space_id"], SUPPORT);

    let message = failure_as(
        &h,
        ORG_SCOPED,
        "get_space",
        &json!({"space_id": ELSEWHERE}).to_string(),
    )
    .await;
    assert!(
        message.starts_with(
            "This token is limited to the workspaces of organization 720690; space 3000001"
        ),
        "{message}"
    );
    // Each space's organization was asked once, by the very GET /space.
    assert_eq!(h.routes(), ["GET /space/2501470", "GET /space/3000001"]);

    // An app in a workspace of the org: its space's org is looked up.
    let (_, out) = h
        .ok_as(ORG_SCOPED, "get_app", r#"{"app_id": 5551234}"#)
        .await;
    assert_eq!(out["space_id"], SALES);
    let message = failure_as(
        &h,
        ORG_SCOPED,
        "add_comment",
        &json!({"item_id": FOREIGN_ITEM, "text": "hi"}).to_string(),
    )
    .await;
    assert!(
        message.contains("item 111 is in workspace 3000001"),
        "{message}"
    );
    assert!(writes(&h).is_empty(), "{:?}", h.routes());
}

fn two_orgs() -> String {
    json!([
        {"org_id": ACME, "name": "Acme", "spaces": [
            {"space_id": SALES, "name": "Sales", "org_id": ACME},
            {"space_id": SUPPORT, "name": "Support", "org_id": ACME},
        ]},
        {"org_id": OTHER_ORG, "name": "Other", "spaces": [
            {"space_id": ELSEWHERE, "name": "Elsewhere", "org_id": OTHER_ORG},
        ]},
    ])
    .to_string()
}

#[tokio::test]
async fn get_organizations_shows_only_allowed_workspaces() {
    let h = harness();
    h.connector.reply("GET /org/", Reply::Json(two_orgs()));
    let (text, out) = h.ok_as(SCOPED, "get_organizations", "{}").await;
    assert_eq!(out["total"], 1);
    let orgs = out["organizations"].as_array().expect("orgs");
    assert_eq!(orgs.len(), 1);
    let spaces = orgs[0]["spaces"].as_array().expect("spaces");
    assert_eq!(spaces.len(), 1);
    assert_eq!(spaces[0]["space_id"], SALES);
    assert_eq!(
        out["limited_to_workspaces"],
        json!({"space_ids": [SALES], "org_ids": [], "hidden": 2})
    );
    assert!(
        !text.contains("Support") && !text.contains("Elsewhere"),
        "{text}"
    );
    assert!(
        text.contains("2 workspaces outside them were left out"),
        "{text}"
    );

    let (_, out) = h.ok_as(ORG_SCOPED, "get_organizations", "{}").await;
    assert_eq!(out["total"], 1);
    assert_eq!(
        out["organizations"][0]["spaces"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(out["limited_to_workspaces"]["hidden"], 1);
}

#[tokio::test]
async fn get_spaces_in_organization_is_filtered_or_refused() {
    let h = harness();
    let (text, out) = h
        .ok_as(
            SCOPED,
            "get_spaces_in_organization",
            &json!({"org_id": ACME}).to_string(),
        )
        .await;
    assert_eq!(out["total"], 1);
    assert_eq!(out["spaces"][0]["space_id"], SALES);
    assert_eq!(out["limited_to_workspaces"]["hidden"], 1);
    assert!(!text.contains("Support"), "{text}");

    let (_, out) = h
        .ok_as(
            ORG_SCOPED,
            "get_spaces_in_organization",
            &json!({"org_id": ACME}).to_string(),
        )
        .await;
    assert_eq!(out["total"], 2);
    assert!(out.get("limited_to_workspaces").is_none());

    let before = h.routes().len();
    let message = failure_as(
        &h,
        ORG_SCOPED,
        "get_spaces_in_organization",
        &json!({"org_id": OTHER_ORG}).to_string(),
    )
    .await;
    assert!(
        message.contains("organization 800000 is not one of its"),
        "{message}"
    );
    let message = failure_as(
        &h,
        SCOPED,
        "get_org_members",
        &json!({"org_id": ACME}).to_string(),
    )
    .await;
    assert!(message.contains("get_space_members"), "{message}");
    assert_eq!(h.routes().len(), before, "no Podio call for a refused org");
}

#[tokio::test]
async fn search_globally_drops_hits_outside_the_workspaces_before_enriching_them() {
    let h = harness();
    let hits = json!([
        {"type": "item", "id": 987654321, "title": "Acme Corp renewal",
            "space": {"space_id": SALES, "name": "Sales"}, "org": {"org_id": ACME, "name": "Acme"},
            "app": {"app_id": 5551234, "name": "Deals"}},
        {"type": "item", "id": FOREIGN_ITEM, "title": "Secret deal",
            "space": {"space_id": ELSEWHERE, "name": "Elsewhere"}, "org": {"org_id": OTHER_ORG, "name": "Other"},
            "app": {"app_id": FOREIGN_APP, "name": "Secrets"}},
        {"type": "profile", "id": 5, "title": "Jane Doe"},
    ]);
    h.connector
        .reply("POST /search/", Reply::Json(hits.to_string()));
    let (text, out) = h
        .ok_as(
            SCOPED,
            "search_globally",
            r#"{"query": "deal", "limit": 3}"#,
        )
        .await;
    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["id"], 987654321);
    assert_eq!(out["count"], 1);
    assert_eq!(out["limited_to_workspaces"]["hidden"], 2);
    // Podio's page was full: the next page starts after all three hits.
    assert_eq!(out["next_offset"], 3);
    assert!(!text.contains("Secret"), "{text}");
    assert!(
        text.contains("2 results outside them were left out"),
        "{text}"
    );
    let routes = h.routes();
    assert!(
        !routes
            .iter()
            .any(|r| r.contains("6000001") || r.contains("/item/111")),
        "{routes:?}"
    );

    let message = failure_as(
        &h,
        SCOPED,
        "search_globally",
        &json!({"query": "deal", "space_id": ELSEWHERE}).to_string(),
    )
    .await;
    assert!(
        message.contains("space 3000001 is not one of them"),
        "{message}"
    );
}

#[tokio::test]
async fn get_tasks_is_filtered_and_counts_say_so() {
    let h = harness();
    h.connector
        .reply("GET /task/", Reply::Json(fixture("tasks.json")));
    let (text, out) = h
        .ok_as(SCOPED, "get_tasks", &json!({"org_id": ACME}).to_string())
        .await;
    let tasks = out["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["space_id"], SALES);
    assert_eq!(out["count"], 1);
    assert_eq!(out["limited_to_workspaces"]["hidden"], 1);
    assert!(text.contains("1 task outside them was left out"), "{text}");

    // The listed organization's workspaces all show (Support's org is asked).
    let (_, out) = h
        .ok_as(
            ORG_SCOPED,
            "get_tasks",
            &json!({"org_id": ACME}).to_string(),
        )
        .await;
    assert_eq!(out["count"], 2);
    assert_eq!(out["limited_to_workspaces"]["hidden"], 0);

    let before = h.routes().len();
    let message = failure_as(
        &h,
        SCOPED,
        "get_tasks",
        &json!({"space_id": ELSEWHERE}).to_string(),
    )
    .await;
    assert!(
        message.contains("space 3000001 is not one of them"),
        "{message}"
    );
    assert_eq!(h.routes().len(), before);
}

#[tokio::test]
async fn task_tools_check_the_tasks_workspace_before_acting() {
    let h = harness();
    let (_, out) = h.ok_as(SCOPED, "get_task", r#"{"task_id": 15126}"#).await;
    assert_eq!(out["task_id"], 15126);
    let task = json!({"task_id": FOREIGN_TASK}).to_string();
    let message = failure_as(&h, SCOPED, "get_task", &task).await;
    assert!(
        message.contains("task 15999 is in workspace 3000001"),
        "{message}"
    );
    let message = failure_as(&h, SCOPED, "complete_task", &task).await;
    assert!(
        message.contains("task 15999 is in workspace 3000001"),
        "{message}"
    );
    let message = failure_as(
        &h,
        SCOPED,
        "update_task",
        &json!({"task_id": FOREIGN_TASK, "text": "mine now"}).to_string(),
    )
    .await;
    assert!(message.contains("task 15999"), "{message}");
    let message = failure_as(
        &h,
        SCOPED,
        "create_task",
        &json!({"text": "x", "ref_type": "item", "ref_id": FOREIGN_ITEM}).to_string(),
    )
    .await;
    assert!(
        message.contains("item 111 is in workspace 3000001"),
        "{message}"
    );
    let message = failure_as(&h, SCOPED, "create_task", r#"{"text": "x"}"#).await;
    assert!(message.contains("give ref_type and ref_id"), "{message}");
    assert!(writes(&h).is_empty(), "{:?}", h.routes());
}

#[tokio::test]
async fn comments_and_app_tools_check_the_workspace() {
    let h = harness();
    let message = failure_as(
        &h,
        SCOPED,
        "add_comment",
        &json!({"item_id": FOREIGN_ITEM, "text": "hello"}).to_string(),
    )
    .await;
    assert!(
        message.contains("item 111 is in workspace 3000001"),
        "{message}"
    );
    let item = json!({"item_id": FOREIGN_ITEM}).to_string();
    failure_as(&h, SCOPED, "get_item_comments", &item).await;
    let app = json!({"app_id": FOREIGN_APP}).to_string();
    for tool in ["get_app", "get_items", "get_app_summary", "list-views"] {
        let message = failure_as(&h, SCOPED, tool, &app).await;
        assert!(
            message.contains("app 6000001 is in workspace 3000001"),
            "{tool}: {message}"
        );
    }
    let routes = h.routes();
    assert!(writes(&h).is_empty(), "{routes:?}");
    assert!(
        !routes
            .iter()
            .any(|r| r.contains("/comment/") || r.contains("/view/") || r.contains("/count")),
        "{routes:?}"
    );
}

#[tokio::test]
async fn get_notifications_keeps_only_the_tokens_workspaces() {
    let h = harness();
    let mut groups: Vec<Value> =
        serde_json::from_str(&fixture("notifications.json")).expect("fixture");
    let sales = groups.len();
    groups.push(json!({
        "context": {"ref": {"type": "item", "id": FOREIGN_ITEM}, "title": "Secret deal",
            "space": {"space_id": ELSEWHERE, "name": "Elsewhere"}},
        "notifications": [{"notification_id": 1, "type": "comment", "text": "Secret comment"}],
    }));
    groups.push(json!({
        "context": {"ref": {"type": "profile", "id": 9}, "title": "Nowhere"},
        "notifications": [{"notification_id": 2, "type": "message", "text": "No workspace"}],
    }));
    h.connector.reply(
        "GET /notification/",
        Reply::Json(Value::Array(groups.clone()).to_string()),
    );
    let (text, out) = h.ok_as(SCOPED, "get_notifications", "{}").await;
    let shown = out["notifications"].as_array().expect("list").len();
    let (_, all) = h.ok_as(TOKEN, "get_notifications", "{}").await;
    let everything = all["notifications"].as_array().expect("list").len();
    assert!(sales > 0);
    assert_eq!(shown, everything - 2);
    assert_eq!(out["count"], shown);
    assert_eq!(out["limited_to_workspaces"]["hidden"], 2);
    assert!(
        !text.contains("Secret") && !text.contains("No workspace"),
        "{text}"
    );
}

/// An item in Sales whose relationship field links one item in Sales and
/// one in the ELSEWHERE workspace.
const LINKING_ITEM: u64 = 222;

fn linking_item() -> Value {
    let reference = |item_id: u64, title: &str, app: &str, space: i64| {
        json!({"value": {"item_id": item_id, "title": title,
            "app": {"app_id": 1, "name": app, "space_id": space}}})
    };
    json!({
        "item_id": LINKING_ITEM, "title": "Renewal",
        "app": {"app_id": 5551234, "name": "Deals", "space_id": SALES},
        "fields": [{"field_id": 9, "external_id": "related", "type": "app", "label": "Related",
            "values": [
                reference(123450001, "Acme Corp", "Companies", SALES),
                reference(FOREIGN_ITEM, "Secret deal", "Secrets", ELSEWHERE),
            ]}],
    })
}

#[tokio::test]
async fn a_scoped_read_shows_only_the_ids_of_linked_items_in_other_workspaces() {
    let h = harness();
    h.connector.reply(
        &format!("GET /item/{LINKING_ITEM}"),
        Reply::Json(linking_item().to_string()),
    );
    let args = json!({"item_id": LINKING_ITEM}).to_string();
    let (text, out) = h.ok_as(SCOPED, "get_item", &args).await;
    let shown = format!("{text}\n{out}");
    assert!(shown.contains("Acme Corp"), "{shown}");
    assert!(!shown.contains("Secret deal"), "{shown}");
    assert!(!shown.contains("Secrets"), "{shown}");
    assert!(shown.contains(&FOREIGN_ITEM.to_string()), "{shown}");

    // Unlimited tokens see both, as before.
    let (text, out) = h.ok_as(TOKEN, "get_item", &args).await;
    assert!(format!("{text}\n{out}").contains("Secret deal"));
}

#[tokio::test]
async fn a_scoped_write_may_not_link_an_item_in_another_workspace() {
    let h = harness();
    let message = failure_as(
        &h,
        SCOPED,
        "create_item",
        &json!({"app_id": 5551234, "fields": {"title": "x", "company": FOREIGN_ITEM}}).to_string(),
    )
    .await;
    assert!(
        message.contains("item 111 is in workspace 3000001"),
        "{message}"
    );
    assert!(writes(&h).is_empty(), "{:?}", h.routes());
}
