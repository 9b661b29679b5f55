//! Each tool's happy path against Podio fixtures: the request sent to the
//! connector, the decoded values and the text a language model reads.

mod common;

use common::{Harness, Reply, TOKEN};
use serde_json::{Value, json};

#[tokio::test]
async fn get_item_decodes_every_field_type() {
    let h = Harness::new();
    let (text, item) = h.ok("get_item", r#"{"item_id": 987654321}"#).await;

    let requests = h.connector.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", "/item/987654321")
    );
    let query: Vec<(&str, &str)> = r
        .query
        .iter()
        .map(|q| (q.name.as_str(), q.value.as_str()))
        .collect();
    assert_eq!(query, [("mark_as_viewed", "false")]);
    assert!(r.body_json.is_empty());
    let caller = r.caller.clone().expect("caller");
    assert_eq!(
        (caller.subject.as_str(), caller.credential_mode()),
        ("token:abc", portico_proto::vocab::CredentialMode::Service)
    );

    assert_eq!(item["item_id"], 987654321);
    assert_eq!(item["app_item_id"], 42);
    assert_eq!(item["title"], "Acme Corp renewal");
    assert_eq!(
        item["link"],
        "https://podio.com/acme/sales/apps/deals/items/42"
    );
    assert_eq!(
        item["app"],
        json!({"app_id": 5551234, "name": "Deals", "item_name": "Deal"})
    );
    assert_eq!(item["created_on"], "2024-03-01 09:15:00");
    assert_eq!(item["created_by"], "Jane Doe");
    assert_eq!(item["last_event_on"], "2024-03-05 11:00:00");
    assert_eq!(item["tags"], json!(["renewal", "priority"]));
    assert_eq!(item["comment_count"], 1);

    let f = &item["fields"];
    let value = |key: &str| f[key]["value"].clone();
    assert_eq!(
        f["deal-value"],
        json!({"field_id": 69524911, "label": "Deal value", "type": "money", "value": {"value": 12500, "currency": "EUR"}})
    );
    assert_eq!(value("title"), json!("Acme Corp renewal"));
    assert_eq!(value("notes"), json!("Call Jane & Bob\nSecond line"));
    assert_eq!(value("seats"), json!(25));
    assert_eq!(value("stage"), json!([{"id": 2, "text": "Negotiation"}]));
    assert_eq!(
        value("close-date"),
        json!({"start": "2024-04-30", "end": null})
    );
    assert_eq!(
        value("company"),
        json!([{"item_id": 123450001, "title": "Acme Corp", "app_id": 5551200, "app_name": "Companies"}])
    );
    assert_eq!(
        value("owner"),
        json!([{"profile_id": 67160609, "user_id": 1337749, "name": "Jane Doe"}])
    );
    assert_eq!(
        value("email"),
        json!([{"type": "work", "value": "buyer@acme.example"}])
    );
    assert_eq!(
        value("phone"),
        json!([{"type": "mobile", "value": "+45 20 30 40 50"}])
    );
    assert_eq!(
        value("location"),
        json!("Vesterbrogade 34, 1620 Copenhagen V, Denmark")
    );
    assert_eq!(f["location"]["lat"], json!(55.6725581));
    assert_eq!(f["location"]["lng"], json!(12.5564512));
    assert_eq!(value("time-spent"), json!(5400));
    assert_eq!(value("progress"), json!(60));
    assert_eq!(value("value-per-seat"), json!(500));
    assert_eq!(
        value("website"),
        json!([{"url": "https://acme.example/", "title": "Acme"}])
    );
    assert_eq!(
        value("logo"),
        json!([{"file_id": 1012345674, "name": "logo.png", "link": "https://files.podio.com/1012345674"}])
    );
    assert_eq!(value("labels"), json!(["vip", "eu"]));
    assert_eq!(
        value("rating"),
        json!([{"stars": 4}]),
        "unknown types keep their raw values"
    );
    assert_eq!(f.as_object().map(|m| m.len()), Some(18));

    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Deal 42: Acme Corp renewal (item 987654321)");
    for expected in [
        "Link: https://podio.com/acme/sales/apps/deals/items/42",
        "- Stage (stage, category): Negotiation",
        "- Deal value (deal-value, money): 12500 EUR",
        "- Close date (close-date, date): 2024-04-30",
        "- Company (company, app): Acme Corp (item 123450001)",
        "- Owner (owner, contact): Jane Doe (profile 67160609)",
        "- Time spent (time-spent, duration): 1h 30m (5400 seconds)",
        "- Notes (notes, text): Call Jane & Bob / Second line",
    ] {
        assert!(
            lines.contains(&expected),
            "missing line {expected:?} in:\n{text}"
        );
    }
}

#[tokio::test]
async fn get_item_passes_mark_as_viewed_and_accepts_string_ids() {
    let h = Harness::new();
    h.ok(
        "get_item",
        r#"{"item_id": "987654321", "mark_as_viewed": true}"#,
    )
    .await;
    let r = &h.connector.requests()[0];
    assert_eq!(r.path, "/item/987654321");
    assert_eq!(r.query[0].value, "true");
}

#[tokio::test]
async fn get_items_pages_and_says_what_is_left() {
    let h = Harness::new();
    let (text, page) = h.ok("get_items", r#"{"app_id": 5551234}"#).await;
    let r = &h.connector.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/item/app/5551234/filter/")
    );
    let body: Value = serde_json::from_str(&r.body_json).expect("body");
    assert_eq!(body, json!({"limit": 30, "offset": 0}));

    assert_eq!(page["total"], 312);
    assert_eq!(page["filtered"], 2);
    assert_eq!(page["count"], 2);
    assert_eq!(page["next_offset"], Value::Null);
    assert_eq!(
        page["items"][0]["fields"]["stage"]["value"],
        json!([{"id": 2, "text": "Negotiation"}])
    );
    assert_eq!(page["items"][1]["title"], "Globex expansion");
    assert!(
        text.starts_with("Items 1–2 of 2 in app 5551234 (312 in the app):\n"),
        "{text}"
    );
    assert!(
        text.contains("- Acme Corp renewal (item 987654321, #42)\n  Stage: Negotiation"),
        "{text}"
    );

    // A middle page: more items remain, and the text says how to get them.
    h.connector.reply(
        "POST /item/app/5551234/filter/",
        Reply::Json(json!({"total": 312, "filtered": 312, "items": [{"item_id": 1, "title": "One"}, {"item_id": 2, "title": "Two"}]}).to_string()),
    );
    let (text, page) = h
        .ok(
            "get_items",
            r#"{"app_id": 5551234, "limit": 2, "offset": 10}"#,
        )
        .await;
    let body: Value = serde_json::from_str(&h.connector.requests()[1].body_json).expect("body");
    assert_eq!(body, json!({"limit": 2, "offset": 10}));
    assert_eq!(
        (page["offset"].clone(), page["limit"].clone()),
        (json!(10), json!(2))
    );
    assert_eq!(page["next_offset"], 12);
    assert!(
        text.starts_with("Items 11–12 of 312 in app 5551234; pass offset=12 for more:\n"),
        "{text}"
    );

    // Past the end: nothing is returned and the text says why.
    h.connector.reply(
        "POST /item/app/5551234/filter/",
        Reply::Json(json!({"total": 312, "filtered": 312, "items": []}).to_string()),
    );
    let (text, page) = h
        .ok("get_items", r#"{"app_id": 5551234, "offset": 400}"#)
        .await;
    assert_eq!(page["next_offset"], Value::Null);
    assert_eq!(page["count"], 0);
    assert_eq!(
        text,
        "No items in app 5551234 at offset 400: there are only 312 items; use an offset below 312."
    );
}

#[tokio::test]
async fn get_app_lists_active_fields_with_what_they_accept() {
    let h = Harness::new();
    let (text, app) = h.ok("get_app", r#"{"app_id": 5551234}"#).await;
    assert_eq!(h.connector.requests()[0].path, "/app/5551234");
    assert_eq!(app["name"], "Deals");
    assert_eq!(app["item_name"], "Deal");
    assert_eq!(app["description"], "Sales pipeline");
    assert_eq!(app["space_id"], 2501464);
    assert_eq!(app["link"], "https://podio.com/acme/sales/apps/deals");
    let fields = app["fields"].as_array().expect("fields");
    let keys: Vec<&str> = fields
        .iter()
        .filter_map(|f| f["external_id"].as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "title",
            "deal-value",
            "stage",
            "close-date",
            "company",
            "value-per-seat"
        ]
    );
    let by_key = |k: &str| {
        fields
            .iter()
            .find(|f| f["external_id"] == k)
            .cloned()
            .expect(k)
    };
    let stage = by_key("stage");
    assert_eq!(
        stage["options"],
        json!([{"id": 1, "text": "Lead"}, {"id": 2, "text": "Negotiation"}])
    );
    assert_eq!(stage["multiple"], false);
    assert_eq!(by_key("title")["required"], true);
    assert_eq!(by_key("company")["referenced_app_ids"], json!([5551200]));
    assert_eq!(
        by_key("deal-value")["allowed_currencies"],
        json!(["EUR", "USD"])
    );
    assert_eq!(by_key("deal-value")["description"], "Annual contract value");
    assert_eq!(
        (
            by_key("close-date")["end"].clone(),
            by_key("close-date")["time"].clone()
        ),
        (json!("disabled"), json!("disabled"))
    );
    assert_eq!(by_key("value-per-seat")["return_type"], "number");

    assert!(
        text.starts_with("App Deals (app 5551234), items are called \"Deal\", in space 2501464"),
        "{text}"
    );
    assert!(
        text.contains("- Stage (stage, category): one of 1 Lead, 2 Negotiation"),
        "{text}"
    );
    assert!(
        !text.contains("Old stage") && !text.contains("Legacy"),
        "{text}"
    );
}

#[tokio::test]
async fn get_apps_in_space_lists_apps() {
    let h = Harness::new();
    let (text, out) = h
        .ok(
            "get_apps_in_space",
            r#"{"space_id": 2501464, "include_inactive": true}"#,
        )
        .await;
    let r = &h.connector.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", "/app/space/2501464/")
    );
    assert_eq!(
        (r.query[0].name.as_str(), r.query[0].value.as_str()),
        ("include_inactive", "true")
    );
    assert_eq!(out["space_id"], 2501464);
    assert_eq!(
        out["apps"][0],
        json!({"app_id": 5551234, "name": "Deals", "item_name": "Deal", "description": "Sales pipeline", "status": "active", "link": "https://podio.com/acme/sales/apps/deals"})
    );
    assert_eq!(out["apps"][1]["description"], Value::Null);
    assert_eq!(
        out["apps"][1]["link"],
        "https://podio.com/acme/sales/apps/companies"
    );
    assert!(
        text.contains("- Deals (app 5551234, items: Deal): Sales pipeline"),
        "{text}"
    );
    assert!(
        text.contains("- Companies (app 5551200, items: Company, inactive)"),
        "{text}"
    );

    h.ok("get_apps_in_space", r#"{"space_id": 2501464}"#).await;
    assert_eq!(h.connector.requests()[1].query[0].value, "false");
}

#[tokio::test]
async fn get_organizations_lists_orgs_with_their_spaces() {
    let h = Harness::new();
    let (text, out) = h.ok("get_organizations", "").await;
    assert_eq!(h.connector.requests()[0].path, "/org/");
    let org = &out["organizations"][0];
    assert_eq!(org["org_id"], 720690);
    assert_eq!(org["name"], "Acme");
    assert_eq!(org["url"], "https://podio.com/acme");
    assert_eq!(org["role"], "admin");
    assert_eq!(
        org["spaces"][0],
        json!({"space_id": 2501464, "name": "Sales", "url": "https://podio.com/acme/sales", "role": "regular", "privacy": "closed"})
    );
    assert!(
        text.contains("- Acme (org 720690, your role: admin, https://podio.com/acme)"),
        "{text}"
    );
    assert!(
        text.contains("  - Sales (space 2501464, closed, your role: regular)"),
        "{text}"
    );
}

#[tokio::test]
async fn get_spaces_in_organization_lists_spaces() {
    let h = Harness::new();
    let (text, out) = h
        .ok("get_spaces_in_organization", r#"{"org_id": 720690}"#)
        .await;
    assert_eq!(h.connector.requests()[0].path, "/org/720690/space/");
    assert_eq!(out["org_id"], 720690);
    assert_eq!(out["spaces"].as_array().map(Vec::len), Some(2));
    assert_eq!(out["spaces"][1]["privacy"], "open");
    assert!(
        text.starts_with("Workspaces 1–2 of 2 in organization 720690:\n"),
        "{text}"
    );
}

#[tokio::test]
async fn odd_podio_payloads_do_not_fail_the_call() {
    let h = Harness::new();
    h.connector.reply(
        "GET /item/5",
        Reply::Json(json!({"item_id": 5, "fields": [{"type": "money", "values": [{}]}, {"external_id": "x", "values": "nope"}, 7]}).to_string()),
    );
    let response = h.call("get_item", r#"{"item_id": 5}"#).await.expect("call");
    assert!(!response.is_error);
    let _ = TOKEN;
    // A regression the podio_json fuzz target found: a fractional field_id
    // was passed on, breaking the output schema (field_id is an integer).
    h.connector.reply(
        "GET /item/6",
        Reply::Json(json!({"item_id": 6, "fields": [{"field_id": 6.5, "type": "text", "values": [{"value": "x"}]}]}).to_string()),
    );
    let (_, out) = h.ok("get_item", r#"{"item_id": 6}"#).await;
    assert_eq!(out["fields"]["unknown"]["field_id"], Value::Null, "{out}");
    // Likewise a fractional referenced app id (an integer in get_app's).
    h.connector.reply(
        "GET /app/77",
        Reply::Json(
            json!({"app_id": 77, "fields": [{"field_id": 1, "type": "app", "status": "active",
            "config": {"settings": {"referenced_apps": [{"app_id": 1.5}, {"app_id": 7}]}}}]})
            .to_string(),
        ),
    );
    let (_, out) = h.ok("get_app", r#"{"app_id": 77}"#).await;
    assert_eq!(out["fields"][0]["referenced_app_ids"], json!([7]), "{out}");
}
