//! `GET /view/app/{id}/`, `GET /view/app/{id}/{view_id}` and filtering by a
//! saved view.

use axum::http::StatusCode;
use podio_sim::seed::*;
use serde_json::{Value, json};

use crate::helpers::{TestSim, assert_error_body, ids};

fn view_ids(list: &Value) -> Vec<u64> {
    ids(list, "/view_id")
}

#[tokio::test]
async fn views_list_team_and_own_private_views() {
    let (sim, token) = TestSim::logged_in().await;
    let path = format!("/view/app/{DEALS_APP_ID}/");
    let resp = sim.get(&path, Some(&token)).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    assert_eq!(
        view_ids(&resp.body),
        [OPEN_DEALS_VIEW_ID, BIG_DEALS_VIEW_ID, MY_DEALS_VIEW_ID],
        "Carla's private view and standard views are not listed"
    );
    let open = &resp.body[0];
    assert_eq!(open["name"], "Open deals");
    assert_eq!(open["type"], "team");
    assert_eq!(open["created_by"]["id"], BOB_USER_ID);
    assert_eq!(open["sort_by"], deals::CLOSE_DATE);
    assert_eq!(open["sort_desc"], false);
    assert_eq!(
        open["filters"],
        json!([{"key": deals::STAGE, "values": [1, 2, 3]}])
    );
    assert_eq!(open["rights"], json!(["view"]));
    assert_eq!(resp.body[2]["type"], "private");
    assert_eq!(resp.body[2]["rights"], json!(["view", "update", "delete"]));

    let with_standard = sim
        .get(&format!("{path}?include_standard_views=true"), Some(&token))
        .await;
    let ids = view_ids(&with_standard.body);
    assert!(ids.contains(&ALL_DEALS_VIEW_ID), "{ids:?}");
    let all = with_standard
        .body
        .as_array()
        .expect("views")
        .iter()
        .find(|v| v["view_id"] == ALL_DEALS_VIEW_ID)
        .expect("all deals");
    assert_eq!(all["name"], "All Deals");
    assert_eq!(all["items"], DEAL_COUNT);

    let bad = sim
        .get(
            &format!("{path}?include_standard_views=maybe"),
            Some(&token),
        )
        .await;
    assert_error_body(&bad, 400, "invalid_value", "GET", &path);
    let private = format!("/view/app/{PRIVATE_APP_ID}/");
    let resp = sim.get(&private, Some(&token)).await;
    assert_error_body(&resp, 403, "forbidden", "GET", &private);
}

#[tokio::test]
async fn a_views_items_count_matches_filtering_by_it() {
    let (sim, token) = TestSim::logged_in().await;
    for view_id in [OPEN_DEALS_VIEW_ID, BIG_DEALS_VIEW_ID, MY_DEALS_VIEW_ID] {
        let view = sim
            .get(&format!("/view/app/{DEALS_APP_ID}/{view_id}"), Some(&token))
            .await;
        assert_eq!(view.status, StatusCode::OK, "{}", view.body);
        assert_eq!(view.body["view_id"], view_id);
        let count = view.body["items"].as_u64().expect("items");
        assert!(count > 0 && count < DEAL_COUNT, "{view_id}: {count}");

        let resp = sim
            .post_json(
                &format!("/item/app/{DEALS_APP_ID}/filter/{view_id}/"),
                Some(&token),
                &json!({"limit": 500}),
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
        assert_eq!(resp.body["filtered"], count);
        assert_eq!(resp.body["total"], DEAL_COUNT);
        let counted = sim
            .get(
                &format!("/item/app/{DEALS_APP_ID}/count?view_id={view_id}"),
                Some(&token),
            )
            .await;
        assert_eq!(counted.body["count"], count);
    }
}

#[tokio::test]
async fn filtering_by_a_view_applies_its_filters_and_sort() {
    let (sim, token) = TestSim::logged_in().await;
    let resp = sim
        .post_json(
            &format!("/item/app/{DEALS_APP_ID}/filter/{BIG_DEALS_VIEW_ID}/"),
            Some(&token),
            &json!({"limit": 3, "offset": 1}),
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let amounts: Vec<f64> = resp.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            i["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .find(|f| f["external_id"] == "deal-value")
                .and_then(|f| f["values"][0]["value"].as_str())
                .and_then(|v| v.parse().ok())
                .expect("deal value")
        })
        .collect();
    assert_eq!(amounts.len(), 3);
    assert!(amounts.iter().all(|a| *a >= 20_000.0), "{amounts:?}");
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "{amounts:?}");

    // An empty body is fine; open deals sort by close date ascending.
    let open = sim
        .post_empty(
            &format!("/item/app/{DEALS_APP_ID}/filter/{OPEN_DEALS_VIEW_ID}/"),
            &token,
        )
        .await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.body);
    for item in open.body["items"].as_array().expect("items") {
        let stage = item["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|f| f["external_id"] == "stage")
            .map(|f| f["values"][0]["value"]["id"].clone());
        assert!(
            matches!(stage.and_then(|s| s.as_u64()), Some(1..=3)),
            "{item}"
        );
    }
}

#[tokio::test]
async fn hidden_and_unknown_views_are_refused() {
    let (sim, token) = TestSim::logged_in().await;
    let carla = format!("/view/app/{DEALS_APP_ID}/{CARLA_PRIVATE_VIEW_ID}");
    let resp = sim.get(&carla, Some(&token)).await;
    assert_error_body(&resp, 403, "forbidden", "GET", &carla);
    let by_carla = format!("/item/app/{DEALS_APP_ID}/filter/{CARLA_PRIVATE_VIEW_ID}/");
    let resp = sim.post_json(&by_carla, Some(&token), &json!({})).await;
    assert_error_body(&resp, 403, "forbidden", "POST", &by_carla);
    // A view of another app, and a view that does not exist.
    let wrong_app = format!("/view/app/{COMPANIES_APP_ID}/{OPEN_DEALS_VIEW_ID}");
    let resp = sim.get(&wrong_app, Some(&token)).await;
    assert_error_body(&resp, 404, "not_found", "GET", &wrong_app);
    let unknown = format!("/item/app/{DEALS_APP_ID}/filter/1/");
    let resp = sim.post_json(&unknown, Some(&token), &json!({})).await;
    assert_error_body(&resp, 404, "not_found", "POST", &unknown);
}
