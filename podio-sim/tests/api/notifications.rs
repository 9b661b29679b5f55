//! Notifications: grouping, filters, paging, marking as viewed.

use axum::http::StatusCode;
use podio_sim::seed::*;
use serde_json::Value;

use crate::helpers::{TestSim, assert_error_body};

/// Notification ids in response order, across groups.
fn notification_ids(groups: &Value) -> Vec<u64> {
    groups
        .as_array()
        .unwrap_or_else(|| panic!("expected groups: {groups}"))
        .iter()
        .flat_map(|g| g["notifications"].as_array().expect("notifications").iter())
        .map(|n| n["notification_id"].as_u64().expect("id"))
        .collect()
}

#[tokio::test]
async fn notifications_come_newest_first_grouped_by_context() {
    let (sim, t) = TestSim::logged_in().await;
    let resp = sim.get("/notification/", Some(&t)).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let groups = &resp.body;
    assert_eq!(
        notification_ids(groups),
        [
            778_901, 778_902, 778_900, 778_899, 778_892, 778_890, 778_891, 778_893
        ]
    );
    assert_eq!(notification_ids(groups).len(), DEMO_NOTIFICATIONS);
    assert_eq!(groups.as_array().map(Vec::len), Some(7));

    let task_group = &groups[0];
    assert_eq!(task_group["context"]["ref"]["type"], "task");
    assert_eq!(task_group["context"]["ref"]["id"], 15_129);
    assert_eq!(task_group["context"]["title"], "Review Q2 pipeline");
    assert_eq!(task_group["notifications"][0]["type"], "task");
    assert_eq!(
        task_group["notifications"][0]["text"],
        "Bob Roe assigned you the task Review Q2 pipeline"
    );

    let demo = &groups[2];
    let context = &demo["context"];
    assert_eq!(context["ref"]["type"], "item");
    assert_eq!(context["ref"]["id"], DEMO_ITEM_ID);
    assert_eq!(context["title"], "Acme Corp renewal");
    assert_eq!(context["comment_count"], 1);
    assert_eq!(context["space"]["space_id"], SALES_SPACE_ID);
    assert_eq!(context["space"]["name"], "Sales");
    assert_eq!(context["data"]["item_id"], DEMO_ITEM_ID);
    let comment = &demo["notifications"][1];
    assert_eq!(comment["notification_id"], 778_899);
    assert_eq!(comment["type"], "comment");
    assert_eq!(comment["text"], "Bob Roe commented on Acme Corp renewal");
    assert_eq!(comment["viewed_on"], Value::Null);
    assert_eq!(comment["starred"], false);
    assert_eq!(comment["created_on"], "2024-03-05 10:45:00");
    assert_eq!(comment["created_by"]["id"], BOB_USER_ID);
    assert_eq!(comment["data"]["comment_id"], DEMO_COMMENT_ID);
    assert_eq!(
        comment["data"]["value"],
        "Contract sent, waiting for signature"
    );
}

#[tokio::test]
async fn filters_and_paging() {
    let (sim, t) = TestSim::logged_in().await;
    let get = |q: &'static str| {
        let sim = &sim;
        let t = t.clone();
        async move {
            let resp = sim.get(&format!("/notification/?{q}"), Some(&t)).await;
            assert_eq!(resp.status, StatusCode::OK, "{q}: {}", resp.body);
            notification_ids(&resp.body)
        }
    };
    assert_eq!(
        get("viewed=false").await,
        [778_901, 778_902, 778_900, 778_899]
    );
    assert_eq!(get("viewed=false").await.len(), DEMO_UNREAD_NOTIFICATIONS);
    assert_eq!(
        get("viewed=true").await,
        [778_892, 778_890, 778_891, 778_893]
    );
    assert_eq!(get("starred=true").await, [778_902]);
    assert_eq!(get("type=comment").await, [778_899, 778_891]);
    assert_eq!(get("limit=2").await, [778_901, 778_902]);
    assert_eq!(get("limit=2&offset=2").await, [778_900, 778_899]);
    assert_eq!(get("offset=50").await, Vec::<u64>::new());
    for q in ["limit=101", "limit=0", "viewed=maybe", "offset=-3"] {
        let path = format!("/notification/?{q}");
        let resp = sim.get(&path, Some(&t)).await;
        assert_error_body(&resp, 400, "invalid_value", "GET", "/notification/");
    }
}

#[tokio::test]
async fn marking_viewed_updates_lists_and_status() {
    let (sim, t) = TestSim::logged_in().await;
    let resp = sim.post_empty("/notification/778899/viewed", &t).await;
    assert_eq!(resp.status, StatusCode::NO_CONTENT);
    let unread = sim.get("/notification/?viewed=false", Some(&t)).await;
    assert_eq!(notification_ids(&unread.body), [778_901, 778_902, 778_900]);
    let status = sim.get("/user/status", Some(&t)).await;
    assert_eq!(status.body["inbox_new"], DEMO_UNREAD_NOTIFICATIONS - 1);
    let all = sim.get("/notification/", Some(&t)).await.body;
    let viewed_on = &all[2]["notifications"][1]["viewed_on"];
    assert!(viewed_on.is_string(), "{all}");

    let bobs = sim.post_empty("/notification/778950/viewed", &t).await;
    assert_error_body(
        &bobs,
        403,
        "forbidden",
        "POST",
        "/notification/778950/viewed",
    );
    let unknown = sim.post_empty("/notification/1/viewed", &t).await;
    assert_error_body(&unknown, 404, "not_found", "POST", "/notification/1/viewed");
}

#[tokio::test]
async fn apps_have_no_notifications() {
    let sim = TestSim::default_config();
    let app = sim.app_token(DEALS_APP_ID).await;
    let resp = sim.get("/notification/", Some(&app)).await;
    assert_error_body(&resp, 403, "forbidden", "GET", "/notification/");
}
