//! get_items filters and sorting: keys and values checked against the app's
//! fields, labels resolved to option ids, sent in Podio's filter forms and
//! echoed in the result.

mod common;

use common::{Harness, Reply, failure, fixture, invalid};
use serde_json::{Value, json};
use tonic::Status;

const APP: &str = "GET /app/5551300";
const FILTER: &str = "POST /item/app/5551300/filter/";

fn harness() -> Harness {
    let h = Harness::new();
    h.connector.reply(APP, Reply::Json(fixture("app_all.json")));
    h.connector
        .reply(FILTER, Reply::Json(fixture("filter.json")));
    h
}

fn filter_body(h: &Harness) -> Value {
    let requests = h.connector.requests();
    let r = requests.last().expect("a request");
    assert_eq!(format!("{} {}", r.method, r.path), FILTER);
    serde_json::from_str(&r.body_json).expect("json body")
}

#[tokio::test]
async fn every_filter_type_is_sent_in_podio_form_and_echoed() {
    let h = harness();
    let args = json!({
        "app_id": 5551300,
        "filters": {
            "stage": ["Lead", 2],
            "labels": "blue",
            "budget": {"from": 1000, "to": "50000"},
            "seats": 10,
            "close-date": {"from": "2026-04-01", "to": "2026-06-30"},
            "meeting": {"from": "2026-04-01 08:00"},
            "company": [123450001],
            "owner": 67160609,
            "notes": "renewal",
            "Title": {"from": "Acme"},
            "time-spent": {"to": "02:00"},
            "progress": {"from": 50},
            "total": {"from": 1},
            "created_on": {"from": "2026-01-01"},
            "created_by": 1337749,
            "item_id": [987654321]
        },
        "sort_by": "close-date",
        "sort_desc": true,
        "limit": 50
    });
    let (text, out) = h.ok("get_items", &args.to_string()).await;

    assert_eq!(h.routes(), [APP, FILTER]);
    let sent_filters = json!({
        "stage": [1, 2],
        "labels": [12],
        "budget": {"from": 1000, "to": 50000},
        "seats": {"from": 10, "to": 10},
        "close-date": {"from": "2026-04-01", "to": "2026-06-30"},
        "meeting": {"from": "2026-04-01 08:00:00"},
        "company": [123450001],
        "owner": [67160609],
        "notes": {"from": "renewal"},
        "title": {"from": "Acme"},
        "time-spent": {"to": 7200},
        "progress": {"from": 50},
        "total": {"from": 1},
        "created_on": {"from": "2026-01-01"},
        "created_by": [{"type": "user", "id": 1337749}],
        "item_id": [987654321]
    });
    assert_eq!(
        filter_body(&h),
        json!({"filters": sent_filters, "sort_by": 1006, "sort_desc": true, "limit": 50, "offset": 0})
    );
    assert_eq!(out["filters"], sent_filters);
    assert_eq!(out["sort_by"], 1006);
    assert_eq!(out["sort_desc"], true);
    assert_eq!(
        (out["total"].clone(), out["filtered"].clone()),
        (json!(312), json!(2))
    );
    assert_eq!(out["count"], 2);
    assert_eq!(out["next_offset"], Value::Null);
    assert!(
        text.starts_with("Items 1–2 of 2 in app 5551300 (312 in the app):\n"),
        "{text}"
    );
    assert!(text.contains("Sent to Podio: filters {"), "{text}");
    assert!(text.contains("sort_by 1006; sort_desc true."), "{text}");
}

#[tokio::test]
async fn built_in_filters_and_sorts_need_no_app_definition() {
    let h = harness();
    let args = json!({
        "app_id": 5551300,
        "filters": {"last_edit_on": "2026-03-01"},
        "sort_by": "Title",
        "sort_desc": false,
        "offset": 1,
        "limit": 1
    });
    let (text, out) = h.ok("get_items", &args.to_string()).await;
    assert_eq!(h.routes(), [FILTER]);
    assert_eq!(
        filter_body(&h),
        json!({"filters": {"last_edit_on": {"from": "2026-03-01", "to": "2026-03-01"}}, "sort_by": "title", "sort_desc": false, "limit": 1, "offset": 1})
    );
    assert_eq!(out["sort_by"], "title");
    assert_eq!(
        (out["offset"].clone(), out["limit"].clone()),
        (json!(1), json!(1))
    );
    assert!(!text.contains("Sent to Podio: filters {}"), "{text}");
}

#[tokio::test]
async fn without_filters_the_body_and_result_stay_plain() {
    let h = harness();
    let (_, out) = h.ok("get_items", r#"{"app_id": 5551300}"#).await;
    assert_eq!(filter_body(&h), json!({"limit": 30, "offset": 0}));
    assert_eq!(out["filters"], json!({}));
    assert_eq!(out["sort_by"], Value::Null);
    assert_eq!(out["sort_desc"], Value::Null);
    assert_eq!(h.routes(), [FILTER]);
}

#[tokio::test]
async fn bad_filters_are_all_reported_and_nothing_is_filtered() {
    let h = harness();
    let args = json!({
        "app_id": 5551300,
        "filters": {
            "colour": ["red"],
            "stage": ["Closed"],
            "close-date": {"from": "next week"},
            "budget": {"from": 500, "to": 100},
            "email": "a@b.example",
            "seats": {"above": 3}
        },
        "sort_by": "website",
        "limit": 501
    });
    let (_, v) = invalid(&h, "get_items", &args.to_string()).await;
    let v: std::collections::HashMap<String, String> = v.into_iter().collect();
    assert_eq!(v["limit"], "expected an integer from 1 to 500, got 501");
    assert!(h.routes().is_empty(), "limit alone makes the call unusable");

    let mut args = args;
    args["limit"] = json!(30);
    let (_, v) = invalid(&h, "get_items", &args.to_string()).await;
    let v: std::collections::HashMap<String, String> = v.into_iter().collect();
    assert!(
        v["filters.colour"].starts_with("app 5551300 has no field \"colour\"; its fields (label (external_id, type)): Title (title, text)"),
        "{}",
        v["filters.colour"]
    );
    assert!(
        v["filters.colour"]
            .ends_with("; built-in filters: created_on, last_edit_on, created_by, item_id"),
        "{}",
        v["filters.colour"]
    );
    assert_eq!(
        v["filters.stage"],
        "Stage (stage, category): \"Closed\" is not an option; options (id \"text\"): 1 \"Lead\", 2 \"Negotiation\", 3 \"Won\""
    );
    assert!(
        v["filters.close-date"].contains("got \"next week\""),
        "{}",
        v["filters.close-date"]
    );
    assert_eq!(
        v["filters.budget"],
        "Budget (budget, money): from (500) is greater than to (100)"
    );
    assert!(v["filters.email"].contains("cannot be filtered; use search_globally"));
    assert!(v["filters.seats"].contains("unknown key \"above\""));
    assert!(
        v["sort_by"].starts_with("Website (website, embed) cannot be sorted by"),
        "{}",
        v["sort_by"]
    );
    assert_eq!(h.routes(), [APP], "only the definition was read");
}

#[tokio::test]
async fn filters_on_a_missing_app_name_the_app() {
    let h = harness();
    h.connector.reply(
        "GET /app/42",
        Reply::Fail(Status::not_found("Object not found")),
    );
    let message = failure(
        &h,
        "get_items",
        r#"{"app_id": 42, "filters": {"stage": 1}}"#,
    )
    .await;
    assert!(
        message.starts_with("app 42 was not found in Podio"),
        "{message}"
    );
}
