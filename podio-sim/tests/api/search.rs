//! Search: hit shape, relevance order, scopes, kinds, visibility, paging,
//! and that new objects are found.

use axum::http::StatusCode;
use podio_sim::seed::*;
use serde_json::{Value, json};

use crate::helpers::{TestSim, assert_error_body, assert_error_mentions};

async fn search(sim: &TestSim, token: &str, path: &str, body: Value) -> Vec<Value> {
    let resp = sim.post_json(path, Some(token), &body).await;
    assert_eq!(resp.status, StatusCode::OK, "{body}: {}", resp.body);
    resp.body.as_array().expect("array of hits").clone()
}

fn refs(hits: &[Value]) -> Vec<(String, u64)> {
    hits.iter()
        .map(|h| {
            (
                h["type"].as_str().expect("type").to_owned(),
                h["id"].as_u64().expect("id"),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_item_hit_in_podio_shape() {
    let (sim, t) = TestSim::logged_in().await;
    let hits = search(&sim, &t, "/search/", json!({"query": "acme corp renewal"})).await;
    let hit = &hits[0];
    assert_eq!(hit["type"], "item");
    assert_eq!(hit["id"], DEMO_ITEM_ID);
    assert_eq!(hit["rank"], 1);
    assert_eq!(hit["title"], "Acme Corp renewal");
    assert_eq!(hit["created_on"], "2024-03-01 09:15:00");
    assert_eq!(hit["created_by"]["id"], DEMO_USER_ID);
    assert_eq!(
        hit["link"],
        "https://podio.com/acme/sales/apps/deals/items/21"
    );
    assert_eq!(
        hit["space"],
        json!({"space_id": SALES_SPACE_ID, "name": "Sales", "url": "https://podio.com/acme/sales"})
    );
    assert_eq!(hit["org"]["org_id"], ORG_ID);
    assert_eq!(hit["org"]["name"], "Acme Inc");
    assert_eq!(hit["org"]["url"], "https://podio.com/acme");
    assert_eq!(hit["app"]["app_id"], DEALS_APP_ID);
    assert_eq!(hit["app"]["name"], "Deals");
    assert_eq!(hit["app"]["item_name"], "Deal");
    assert!(hit["app"]["icon"].is_string());
    let ranks: Vec<u64> = hits
        .iter()
        .map(|h| h["rank"].as_u64().expect("rank"))
        .collect();
    assert_eq!(ranks, (1..=hits.len() as u64).collect::<Vec<_>>());
}

#[tokio::test]
async fn title_matches_rank_above_text_matches() {
    let (sim, t) = TestSim::logged_in().await;
    // Created out of order: the description match first.
    for body in [
        json!({"text": "Order paper", "description": "zebra stripes pattern", "ref_type": "space", "ref_id": SALES_SPACE_ID}),
        json!({"text": "Stripes zebra", "ref_type": "space", "ref_id": SALES_SPACE_ID}),
        json!({"text": "Zebra stripes", "ref_type": "space", "ref_id": SALES_SPACE_ID}),
    ] {
        let resp = sim.post_json("/task/", Some(&t), &body).await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    }
    let hits = search(&sim, &t, "/search/", json!({"query": "zebra stripes"})).await;
    let titles: Vec<&str> = hits
        .iter()
        .map(|h| h["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles, ["Zebra stripes", "Stripes zebra", "Order paper"]);
    assert!(hits.iter().all(|h| h["type"] == "task"));
    assert_eq!(hits[0]["space"]["space_id"], SALES_SPACE_ID);
    assert_eq!(hits[0]["created_by"]["id"], DEMO_USER_ID);
}

#[tokio::test]
async fn field_text_is_searched() {
    let (sim, t) = TestSim::logged_in().await;
    // Category text: every Negotiation deal, none by title.
    let mut found = Vec::new();
    for offset in (0..60).step_by(20) {
        let page = search(
            &sim,
            &t,
            &format!("/search/app/{DEALS_APP_ID}/"),
            json!({"query": "negotiation", "limit": 20, "offset": offset}),
        )
        .await;
        found.extend(page);
    }
    let filter = sim
        .post_json(
            &format!("/item/app/{DEALS_APP_ID}/filter/"),
            Some(&t),
            &json!({"filters": {"stage": [deals::STAGE_NEGOTIATION]}, "limit": 500}),
        )
        .await;
    assert_eq!(
        found.len() as u64,
        filter.body["filtered"].as_u64().expect("filtered")
    );
    assert!(!found.is_empty());
    // Ticket description text (HTML stripped).
    let hits = search(&sim, &t, "/search/", json!({"query": "dark theme"})).await;
    assert_eq!(hits[0]["title"], "Request: dark mode");
    // Email and location values.
    let hits = search(&sim, &t, "/search/", json!({"query": "vesterbrogade"})).await;
    assert!(
        refs(&hits).contains(&("item".into(), DEMO_ITEM_ID)),
        "{hits:?}"
    );
}

#[tokio::test]
async fn scopes_kinds_and_visibility() {
    let (sim, t) = TestSim::logged_in().await;
    // Apps and spaces are found by name.
    let hits = search(&sim, &t, "/search/", json!({"query": "tickets"})).await;
    assert!(refs(&hits).contains(&("app".into(), TICKETS_APP_ID)));
    let hits = search(&sim, &t, "/search/", json!({"query": "marketing"})).await;
    assert!(refs(&hits).contains(&("space".into(), MARKETING_SPACE_ID)));
    let tasks = search(
        &sim,
        &t,
        "/search/",
        json!({"query": "ticket", "ref_type": "task"}),
    )
    .await;
    assert!(!tasks.is_empty() && tasks.iter().all(|h| h["type"] == "task"));
    let files = search(
        &sim,
        &t,
        "/search/",
        json!({"query": "acme", "ref_type": "file"}),
    )
    .await;
    assert!(files.is_empty());

    // Nothing from Leadership, nor Bob's private task.
    let hits = search(&sim, &t, "/search/", json!({"query": "board"})).await;
    assert!(
        hits.iter()
            .all(|h| h["space"]["space_id"] != PRIVATE_SPACE_ID),
        "{hits:?}"
    );
    assert!(!refs(&hits).contains(&("task".into(), HIDDEN_TASK_ID)));
    let hits = search(&sim, &t, "/search/", json!({"query": "salary"})).await;
    assert!(hits.is_empty(), "{hits:?}");

    let support = search(
        &sim,
        &t,
        &format!("/search/space/{SUPPORT_SPACE_ID}/"),
        json!({"query": "e"}),
    )
    .await;
    assert!(!support.is_empty());
    assert!(
        support
            .iter()
            .all(|h| h["space"]["space_id"] == SUPPORT_SPACE_ID),
        "{support:?}"
    );
    let northwind = search(
        &sim,
        &t,
        &format!("/search/org/{SECOND_ORG_ID}/"),
        json!({"query": "project"}),
    )
    .await;
    assert_eq!(
        refs(&northwind)
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>(),
        [
            ("space".to_owned(), SECOND_ORG_SPACE_ID),
            ("task".to_owned(), 15_137)
        ]
        .into()
    );
    let in_app = search(
        &sim,
        &t,
        &format!("/search/app/{TICKETS_APP_ID}/"),
        json!({"query": "e"}),
    )
    .await;
    assert_eq!(in_app.len(), TICKET_COUNT as usize);
    assert!(
        in_app
            .iter()
            .all(|h| h["type"] == "item" && h["app"]["app_id"] == TICKETS_APP_ID)
    );

    let private = format!("/search/space/{PRIVATE_SPACE_ID}/");
    let resp = sim
        .post_json(&private, Some(&t), &json!({"query": "board"}))
        .await;
    assert_error_body(&resp, 403, "forbidden", "POST", &private);
    let resp = sim
        .post_json("/search/app/1/", Some(&t), &json!({"query": "x"}))
        .await;
    assert_error_body(&resp, 404, "not_found", "POST", "/search/app/1/");
    // Only org, space and app scope a search.
    let path = format!("/search/item/{DEMO_ITEM_ID}/");
    let resp = sim.post_json(&path, Some(&t), &json!({"query": "x"})).await;
    assert_error_body(&resp, 404, "not_found", "POST", &path);
}

#[tokio::test]
async fn paging_and_bad_requests() {
    let (sim, t) = TestSim::logged_in().await;
    let all = search(&sim, &t, "/search/", json!({"query": "acme", "limit": 20})).await;
    assert!(all.len() > 3);
    let page = search(
        &sim,
        &t,
        "/search/",
        json!({"query": "acme", "limit": 2, "offset": 1}),
    )
    .await;
    assert_eq!(refs(&page), refs(&all[1..3]));
    assert_eq!(page[0]["rank"], 2);
    for (body, fragment) in [
        (json!({}), "query is required"),
        (json!({"query": "  "}), "query is required"),
        (
            json!({"query": "a", "limit": 21}),
            "limit must be between 1 and 20",
        ),
        (
            json!({"query": "a", "offset": -1}),
            "offset must be 0 or more",
        ),
        (
            json!({"query": "a", "ref_type": "widget"}),
            "ref_type must be one of item, app",
        ),
        (json!({"query": 5}), "the body must be"),
    ] {
        let resp = sim.post_json("/search/", Some(&t), &body).await;
        assert_error_mentions(&resp, 400, "invalid_value", "POST", "/search/", fragment);
    }
}

#[tokio::test]
async fn created_items_are_found() {
    let (sim, t) = TestSim::logged_in().await;
    let created = sim
        .post_json(
            &format!("/item/app/{DEALS_APP_ID}/"),
            Some(&t),
            &json!({"fields": {"title": "Quuxly onboarding", "notes": "<p>Needs a xyzzy adapter</p>"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let item_id = created.body["item_id"].as_u64().expect("item_id");
    let hits = search(&sim, &t, "/search/", json!({"query": "quuxly"})).await;
    assert_eq!(refs(&hits), [("item".to_owned(), item_id)]);
    let hits = search(&sim, &t, "/search/", json!({"query": "xyzzy adapter"})).await;
    assert_eq!(refs(&hits), [("item".to_owned(), item_id)]);
}
