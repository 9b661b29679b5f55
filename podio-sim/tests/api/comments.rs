//! Comments on items: listing, adding, and the item's count staying true.

use axum::http::StatusCode;
use podio_sim::seed::*;
use serde_json::{Value, json};

use crate::helpers::{TestSim, assert_error_body, assert_error_mentions};

#[tokio::test]
async fn the_demo_item_has_one_comment_in_podio_shape() {
    let (sim, t) = TestSim::logged_in().await;
    let path = format!("/comment/item/{DEMO_ITEM_ID}/");
    let resp = sim.get(&path, Some(&t)).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let list = resp.body.as_array().expect("array");
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(c["comment_id"], DEMO_COMMENT_ID);
    assert_eq!(c["value"], "Contract sent, waiting for signature");
    assert_eq!(
        c["rich_value"],
        "<p>Contract sent, waiting for signature</p>"
    );
    assert_eq!(c["external_id"], Value::Null);
    assert_eq!(c["space_id"], SALES_SPACE_ID);
    assert_eq!(c["created_on"], "2024-03-05 10:45:00");
    assert_eq!(c["created_by"]["type"], "user");
    assert_eq!(c["created_by"]["id"], BOB_USER_ID);
    assert_eq!(c["created_by"]["name"], "Bob Roe");
    assert_eq!(c["ref"], json!({"type": "item", "id": DEMO_ITEM_ID}));
    assert_eq!(c["files"], json!([]));
    assert_eq!(c["like_count"], 0);
    assert_eq!(c["is_liked"], false);

    let item = sim.get(&format!("/item/{DEMO_ITEM_ID}"), Some(&t)).await;
    assert_eq!(item.body["comment_count"], 1);
    assert_eq!(item.body["comments"][0]["comment_id"], DEMO_COMMENT_ID);
}

#[tokio::test]
async fn added_comments_are_listed_oldest_first_and_counted() {
    let (sim, t) = TestSim::logged_in().await;
    let path = format!("/comment/item/{DEMO_ITEM_ID}/");
    let before = sim
        .get(&format!("/item/{DEMO_ITEM_ID}"), Some(&t))
        .await
        .body;
    let resp = sim
        .post_json(
            &path,
            Some(&t),
            &json!({"value": "Follow up <next> week", "external_id": "x-1"}),
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let added = resp.body;
    assert!(added["comment_id"].as_u64().expect("comment_id") > DEMO_COMMENT_ID);
    assert_eq!(added["value"], "Follow up <next> week");
    assert_eq!(added["rich_value"], "<p>Follow up &lt;next&gt; week</p>");
    assert_eq!(added["external_id"], "x-1");
    assert_eq!(added["created_by"]["id"], DEMO_USER_ID);
    assert_eq!(added["ref"]["id"], DEMO_ITEM_ID);

    let list = sim.get(&path, Some(&t)).await.body;
    let ids: Vec<&Value> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|c| &c["comment_id"])
        .collect();
    assert_eq!(ids, [&json!(DEMO_COMMENT_ID), &added["comment_id"]]);
    assert_eq!(list[1], added);

    let item = sim
        .get(&format!("/item/{DEMO_ITEM_ID}"), Some(&t))
        .await
        .body;
    assert_eq!(item["comment_count"], 2);
    assert_eq!(item["last_event_on"], added["created_on"]);
    assert_ne!(item["last_event_on"], before["last_event_on"]);

    // A silent comment counts but does not move the item's activity time.
    let silent = sim
        .post_json(
            &format!("{path}?silent=true&hook=false&alert_invite=true"),
            Some(&t),
            &json!({"value": "quiet"}),
        )
        .await;
    assert_eq!(silent.status, StatusCode::OK, "{}", silent.body);
    let after = sim
        .get(&format!("/item/{DEMO_ITEM_ID}"), Some(&t))
        .await
        .body;
    assert_eq!(after["comment_count"], 3);
    assert_eq!(after["last_event_on"], item["last_event_on"]);

    let page = sim
        .get(&format!("{path}?limit=1&offset=1"), Some(&t))
        .await
        .body;
    assert_eq!(page.as_array().map(Vec::len), Some(1));
    assert_eq!(page[0]["comment_id"], added["comment_id"]);
}

#[tokio::test]
async fn bad_comments_and_hidden_items_are_refused() {
    let (sim, t) = TestSim::logged_in().await;
    let path = format!("/comment/item/{DEMO_ITEM_ID}/");
    for (body, fragment) in [
        (json!({}), "value is required"),
        (json!({"value": "   "}), "non-empty string"),
        (json!({"value": 5}), "non-empty string"),
        (
            json!({"value": "x", "external_id": 5}),
            "external_id must be a string",
        ),
        (json!("text"), "json object"),
    ] {
        let resp = sim.post_json(&path, Some(&t), &body).await;
        assert_error_mentions(&resp, 400, "invalid_value", "POST", &path, fragment);
    }
    let bad_flag = sim
        .post_json(
            &format!("{path}?silent=maybe"),
            Some(&t),
            &json!({"value": "x"}),
        )
        .await;
    assert_error_body(&bad_flag, 400, "invalid_value", "POST", &path);
    assert_eq!(
        sim.get(&path, Some(&t)).await.body.as_array().map(Vec::len),
        Some(1)
    );

    let hidden = format!("/comment/item/{PRIVATE_ITEM_ID}/");
    assert_error_body(
        &sim.get(&hidden, Some(&t)).await,
        403,
        "forbidden",
        "GET",
        &hidden,
    );
    let resp = sim
        .post_json(&hidden, Some(&t), &json!({"value": "x"}))
        .await;
    assert_error_body(&resp, 403, "forbidden", "POST", &hidden);
    assert_error_body(
        &sim.get("/comment/item/1/", Some(&t)).await,
        404,
        "not_found",
        "GET",
        "/comment/item/1/",
    );
    let over = sim.get(&format!("{path}?limit=501"), Some(&t)).await;
    assert_error_body(&over, 400, "invalid_value", "GET", &path);
}
