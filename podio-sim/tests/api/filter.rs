//! `POST /item/app/{id}/filter/` and `GET /item/app/{id}/count`.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use podio_sim::seed::*;
use serde_json::{Value, json};

use crate::helpers::{TestSim, assert_error_body, assert_error_mentions, field_values, ids};

fn filter_path(app_id: u64) -> String {
    format!("/item/app/{app_id}/filter/")
}

/// The ids of the items on a filter page.
fn item_ids(body: &Value) -> Vec<u64> {
    ids(&body["items"], "/item_id")
}

/// The first value of field `ext` on a listed item.
fn first_value<'a>(item: &'a Value, ext: &str) -> Option<&'a Value> {
    field_values(item, ext).map(|v| &v[0])
}

fn number(item: &Value, ext: &str) -> Option<f64> {
    first_value(item, ext)?["value"].as_str()?.parse().ok()
}

#[tokio::test]
async fn paging_covers_every_deal_exactly_once() {
    let (sim, token) = TestSim::logged_in().await;
    let mut seen = BTreeSet::new();
    let mut offset = 0;
    loop {
        let resp = sim
            .post_json(
                &filter_path(DEALS_APP_ID),
                Some(&token),
                &json!({"limit": 7, "offset": offset}),
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
        assert_eq!(resp.body["total"], DEAL_COUNT);
        assert_eq!(resp.body["filtered"], DEAL_COUNT);
        let page = item_ids(&resp.body);
        assert!(page.len() <= 7);
        if page.is_empty() {
            break;
        }
        for id in page {
            assert!(seen.insert(id), "item {id} on two pages");
        }
        offset += 7;
    }
    assert_eq!(seen.len() as u64, DEAL_COUNT);
    assert!(seen.contains(&DEMO_ITEM_ID));

    // Empty body: default limit 30, newest first.
    let resp = sim
        .post_json(&filter_path(DEALS_APP_ID), Some(&token), &json!({}))
        .await;
    let items = resp.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 30);
    let created: Vec<&str> = items
        .iter()
        .map(|i| i["created_on"].as_str().expect("date"))
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    assert!(
        items[0]["fields"][0].get("config").is_none(),
        "listed fields carry no config"
    );

    let count = sim
        .get(&format!("/item/app/{DEALS_APP_ID}/count"), Some(&token))
        .await;
    assert_eq!(count.body, json!({"count": DEAL_COUNT}));
}

#[tokio::test]
async fn category_and_number_range_filters_match_the_data() {
    let (sim, token) = TestSim::logged_in().await;
    let all = sim
        .post_json(
            &filter_path(DEALS_APP_ID),
            Some(&token),
            &json!({"limit": 500}),
        )
        .await;
    let wanted_stages = [deals::STAGE_NEGOTIATION, deals::STAGE_WON];
    let expected: BTreeSet<u64> = all.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|item| {
            let stage = first_value(item, "stage").and_then(|v| v["value"]["id"].as_u64());
            let seats = number(item, "seats");
            stage.is_some_and(|s| wanted_stages.contains(&s))
                && seats.is_some_and(|s| (20.0..=150.0).contains(&s))
        })
        .map(|item| item["item_id"].as_u64().expect("id"))
        .collect();
    assert!(!expected.is_empty(), "seed data should have matches");
    assert!(expected.len() < DEAL_COUNT as usize);

    // By external id and by field id: same result.
    for filters in [
        json!({"stage": wanted_stages, "seats": {"from": 20, "to": 150}}),
        json!({deals::STAGE.to_string(): wanted_stages, deals::SEATS.to_string(): {"from": "20", "to": 150}}),
    ] {
        let resp = sim
            .post_json(
                &filter_path(DEALS_APP_ID),
                Some(&token),
                &json!({"filters": filters, "limit": 500}),
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
        assert_eq!(resp.body["total"], DEAL_COUNT);
        assert_eq!(resp.body["filtered"], expected.len());
        let got: BTreeSet<u64> = item_ids(&resp.body).into_iter().collect();
        assert_eq!(got, expected);
    }
}

#[tokio::test]
async fn reference_date_and_created_on_filters_and_sorting() {
    let (sim, token) = TestSim::logged_in().await;
    let resp = sim
        .post_json(
            &filter_path(DEALS_APP_ID),
            Some(&token),
            &json!({
                "filters": {
                    "company": [ACME_COMPANY_ITEM_ID],
                    "close-date": {"from": "2024-04-01", "to": "2024-06-30"},
                    "created_on": {"from": "2024-01-01 00:00:00", "to": "2024-12-31 23:59:59"},
                },
                "sort_by": "deal-value",
                "sort_desc": true,
            }),
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let items = resp.body["items"].as_array().expect("items");
    assert!(item_ids(&resp.body).contains(&DEMO_ITEM_ID));
    for item in items {
        assert_eq!(
            first_value(item, "company").map(|v| &v["value"]["item_id"]),
            Some(&json!(ACME_COMPANY_ITEM_ID))
        );
        let date = first_value(item, "close-date").expect("close date")["start_date"]
            .as_str()
            .expect("date");
        assert!(("2024-04-01"..="2024-06-30").contains(&date), "{date}");
    }
    let values: Vec<f64> = items
        .iter()
        .filter_map(|i| number(i, "deal-value"))
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");

    let by_title = sim
        .post_json(
            &filter_path(COMPANIES_APP_ID),
            Some(&token),
            &json!({"sort_by": "title", "sort_desc": false}),
        )
        .await;
    let titles: Vec<&str> = by_title.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles.len() as u64, COMPANY_COUNT);
    assert!(
        titles
            .windows(2)
            .all(|w| w[0].to_lowercase() <= w[1].to_lowercase())
    );
}

#[tokio::test]
async fn bad_filter_requests_are_400_with_podio_bodies() {
    let (sim, token) = TestSim::logged_in().await;
    let path = filter_path(DEALS_APP_ID);
    let resp = sim
        .post_json(&path, Some(&token), &json!({"limit": 501}))
        .await;
    assert_error_mentions(&resp, 400, "invalid_value", "POST", &path, "limit");
    let ok = sim
        .post_json(&path, Some(&token), &json!({"limit": 500}))
        .await;
    assert_eq!(ok.status, StatusCode::OK);

    for (body, needle) in [
        (json!({"filters": {"no-such-field": [1]}}), "no-such-field"),
        (
            json!({"filters": {"buyer-email": "a@b"}}),
            "cannot be filtered",
        ),
        (json!({"filters": {"title": {"to": "Acme"}}}), "from"),
        (json!({"filters": {"item_id": ["x"]}}), "item ids"),
        (json!({"filters": {"stage": ["Won"]}}), "option ids"),
        (json!({"filters": {"seats": [1, 2]}}), "from"),
        (
            json!({"filters": {"close-date": {"from": "April"}}}),
            "YYYY-MM-DD",
        ),
        (json!({"sort_by": "buyer-phone"}), "sort_by"),
        (json!({"offset": -1}), "offset"),
    ] {
        let resp = sim.post_json(&path, Some(&token), &body).await;
        assert_error_mentions(&resp, 400, "invalid_value", "POST", &path, needle);
    }
    let forbidden = filter_path(PRIVATE_APP_ID);
    let resp = sim.post_json(&forbidden, Some(&token), &json!({})).await;
    assert_error_body(&resp, 403, "forbidden", "POST", &forbidden);
}

#[tokio::test]
async fn text_item_id_created_by_and_open_ended_ranges() {
    let (sim, token) = TestSim::logged_in().await;
    let path = filter_path(DEALS_APP_ID);
    let all = sim
        .post_json(&path, Some(&token), &json!({"limit": 500}))
        .await;
    let items = all.body["items"].as_array().expect("items").clone();
    let matching = |pred: &dyn Fn(&Value) -> bool| -> BTreeSet<u64> {
        items
            .iter()
            .filter(|i| pred(i))
            .map(|i| i["item_id"].as_u64().expect("id"))
            .collect()
    };

    // Text: {"from": …} and a plain string, case-insensitive substring.
    let acme = matching(&|i| {
        i["title"]
            .as_str()
            .is_some_and(|t| t.to_lowercase().contains("acme"))
    });
    assert!(acme.len() > 1);
    for text in [json!({"from": "ACME"}), json!("acme")] {
        let resp = sim
            .post_json(
                &path,
                Some(&token),
                &json!({"filters": {"title": text}, "limit": 500}),
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
        assert_eq!(
            item_ids(&resp.body).into_iter().collect::<BTreeSet<_>>(),
            acme
        );
    }

    // item_id narrows to the listed items.
    let resp = sim
        .post_json(
            &path,
            Some(&token),
            &json!({"filters": {"item_id": [DEMO_ITEM_ID, DEMO_ITEM_ID - 1, 42]}}),
        )
        .await;
    assert_eq!(resp.body["filtered"], 2);

    // Progress with only a lower bound.
    let advanced = matching(&|i| {
        first_value(i, "progress")
            .and_then(|v| v["value"].as_u64())
            .is_some_and(|p| p >= 60)
    });
    let resp = sim
        .post_json(
            &path,
            Some(&token),
            &json!({"filters": {"progress": {"from": 60}}, "limit": 500}),
        )
        .await;
    assert_eq!(
        item_ids(&resp.body).into_iter().collect::<BTreeSet<_>>(),
        advanced
    );

    // A date-only "to" includes that whole day.
    let resp = sim
        .post_json(
            &path,
            Some(&token),
            &json!({"filters": {"close-date": {"to": "2024-04-30"}, "item_id": [DEMO_ITEM_ID]}}),
        )
        .await;
    assert_eq!(resp.body["filtered"], 1, "{}", resp.body);
    let resp = sim
        .post_json(
            &path,
            Some(&token),
            &json!({"filters": {"close-date": {"to": "2024-04-29"}, "item_id": [DEMO_ITEM_ID]}}),
        )
        .await;
    assert_eq!(resp.body["filtered"], 0);

    // created_by takes auth objects.
    let by_bob = matching(&|i| i["created_by"]["id"] == BOB_USER_ID);
    assert!(!by_bob.is_empty());
    let resp = sim
        .post_json(
            &path,
            Some(&token),
            &json!({"filters": {"created_by": [{"type": "user", "id": BOB_USER_ID}]}, "limit": 500}),
        )
        .await;
    assert_eq!(
        item_ids(&resp.body).into_iter().collect::<BTreeSet<_>>(),
        by_bob
    );
}

#[tokio::test]
async fn sorting_by_category_and_contact_fields() {
    let (sim, token) = TestSim::logged_in().await;
    let path = filter_path(DEALS_APP_ID);
    let resp = sim
        .post_json(
            &path,
            Some(&token),
            &json!({"sort_by": deals::STAGE, "sort_desc": false, "limit": 500}),
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let stages: Vec<u64> = resp.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            first_value(i, "stage")
                .and_then(|v| v["value"]["id"].as_u64())
                .expect("stage")
        })
        .collect();
    assert!(stages.windows(2).all(|w| w[0] <= w[1]), "{stages:?}");

    let resp = sim
        .post_json(
            &path,
            Some(&token),
            &json!({"sort_by": "owner", "sort_desc": true, "limit": 500}),
        )
        .await;
    let owners: Vec<String> = resp.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            first_value(i, "owner")
                .and_then(|v| v["value"]["name"].as_str())
                .expect("owner")
                .to_owned()
        })
        .collect();
    assert!(owners.windows(2).all(|w| w[0] >= w[1]), "{owners:?}");
    assert_eq!(owners.first().map(String::as_str), Some("Jane Doe"));
}
