//! Paging of the lists Podio returns whole (organizations, an organization's
//! workspaces, a workspace's apps): cut here, with a total, and a
//! continuation the text explains; without paging arguments the result is
//! the whole list.

mod common;

use common::{Harness, Reply, invalid};
use serde_json::{Value, json};

/// Three organizations, so that pages of one and two have successors.
fn orgs() -> String {
    json!([
        {"org_id": 1, "name": "One", "spaces": []},
        {"org_id": 2, "name": "Two", "spaces": []},
        {"org_id": 3, "name": "Three", "spaces": []},
    ])
    .to_string()
}

#[tokio::test]
async fn get_organizations_pages_the_whole_list_podio_returns() {
    let h = Harness::new();
    h.connector.reply("GET /org/", Reply::Json(orgs()));

    let (text, out) = h.ok("get_organizations", "{}").await;
    let request = &h.connector.requests()[0];
    assert_eq!(request.path, "/org/");
    assert!(request.query.is_empty(), "Podio's list is not paged");
    assert_eq!(
        (
            &out["total"],
            &out["count"],
            &out["offset"],
            &out["limit"],
            &out["next_offset"]
        ),
        (&json!(3), &json!(3), &json!(0), &json!(100), &Value::Null)
    );
    assert_eq!(out["organizations"].as_array().map(Vec::len), Some(3));
    assert!(
        text.starts_with("Organizations 1–3 of 3 the connected Podio user belongs to:\n- One"),
        "{text}"
    );

    let (text, out) = h
        .ok("get_organizations", r#"{"limit": 1, "offset": 1}"#)
        .await;
    let names: Vec<&str> = out["organizations"]
        .as_array()
        .expect("organizations")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(names, ["Two"]);
    assert_eq!(out["next_offset"], 2);
    assert_eq!(out["total"], 3);
    assert!(
        text.starts_with(
            "Organizations 2–2 of 3 the connected Podio user belongs to; pass offset=2 for more:\n- Two (org 2"
        ),
        "{text}"
    );

    let (text, out) = h.ok("get_organizations", r#"{"offset": 5}"#).await;
    assert_eq!(out["organizations"], json!([]));
    assert_eq!(out["next_offset"], Value::Null);
    assert_eq!(
        text,
        "No organizations the connected Podio user belongs to at offset 5: there are only 3 \
         organizations; use an offset below 3."
    );
}

#[tokio::test]
async fn get_spaces_in_organization_pages_the_workspaces() {
    let h = Harness::new();
    let (text, out) = h
        .ok(
            "get_spaces_in_organization",
            r#"{"org_id": 720690, "limit": 1}"#,
        )
        .await;
    assert_eq!(h.connector.requests()[0].path, "/org/720690/space/");
    assert!(h.connector.requests()[0].query.is_empty());
    assert_eq!(out["spaces"].as_array().map(Vec::len), Some(1));
    assert_eq!(out["spaces"][0]["name"], "Sales");
    assert_eq!((&out["total"], &out["next_offset"]), (&json!(2), &json!(1)));
    assert!(
        text.starts_with(
            "Workspaces 1–1 of 2 in organization 720690; pass offset=1 for more:\n- Sales"
        ),
        "{text}"
    );

    let (text, out) = h
        .ok(
            "get_spaces_in_organization",
            r#"{"org_id": 720690, "limit": 1, "offset": 1}"#,
        )
        .await;
    assert_eq!(out["spaces"][0]["name"], "Support");
    assert_eq!(out["next_offset"], Value::Null, "the last page");
    assert!(
        text.starts_with("Workspaces 2–2 of 2 in organization 720690:\n- Support"),
        "{text}"
    );

    let (message, violations) = invalid(
        &h,
        "get_spaces_in_organization",
        r#"{"org_id": 720690, "limit": 501}"#,
    )
    .await;
    assert_eq!(message, "limit: expected an integer from 1 to 500, got 501");
    assert_eq!(violations[0].0, "limit");
}

#[tokio::test]
async fn get_apps_in_space_pages_the_apps() {
    let h = Harness::new();
    let (text, out) = h
        .ok("get_apps_in_space", r#"{"space_id": 2501464, "limit": 1}"#)
        .await;
    assert_eq!(
        out["apps"],
        json!([{"app_id": 5551234, "name": "Deals", "item_name": "Deal", "description": "Sales pipeline", "status": "active", "link": "https://podio.com/acme/sales/apps/deals"}])
    );
    assert_eq!(
        (&out["total"], &out["count"], &out["next_offset"]),
        (&json!(2), &json!(1), &json!(1))
    );
    assert!(
        text.starts_with("Apps 1–1 of 2 in space 2501464; pass offset=1 for more:\n- Deals"),
        "{text}"
    );

    let (_, violations) = invalid(
        &h,
        "get_apps_in_space",
        r#"{"space_id": 2501464, "offset": "next"}"#,
    )
    .await;
    assert_eq!(violations[0].0, "offset");
    assert!(
        violations[0].1.starts_with("expected an integer from 0"),
        "{violations:?}"
    );
    assert_eq!(
        h.connector.requests().len(),
        1,
        "bad arguments reach nothing"
    );
}
