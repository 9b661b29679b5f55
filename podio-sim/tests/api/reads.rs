//! Organizations, workspaces, apps and items as the demo user sees them.

use axum::http::StatusCode;
use podio_sim::seed::*;
use serde_json::Value;

use crate::helpers::{TestSim, assert_error_body};

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|v| v[key].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn orgs_list_acme_with_the_users_spaces() {
    let (sim, token) = TestSim::logged_in().await;
    let resp = sim.get("/org/", Some(&token)).await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(names(&resp.body, "name"), ["Acme Inc", "Northwind Studio"]);
    let acme = &resp.body[0];
    assert_eq!(acme["org_id"], ORG_ID);
    assert_eq!(acme["role"], "admin");
    assert_eq!(
        names(&acme["spaces"], "name"),
        ["Sales", "Support", "Marketing"]
    );
    let sales = &acme["spaces"][0];
    assert_eq!(sales["space_id"], SALES_SPACE_ID);
    assert_eq!(sales["org_id"], ORG_ID);
    assert_eq!(sales["role"], "regular");
    assert_eq!(sales["url"], "https://podio.com/acme/sales");

    let spaces = sim
        .get(&format!("/org/{ORG_ID}/space/"), Some(&token))
        .await;
    assert_eq!(
        names(&spaces.body, "name"),
        ["Sales", "Support", "Marketing"]
    );
    let unknown = sim.get("/org/1/space/", Some(&token)).await;
    assert_error_body(&unknown, 404, "not_found", "GET", "/org/1/space/");
}

#[tokio::test]
async fn spaces_and_apps_respect_membership() {
    let (sim, token) = TestSim::logged_in().await;
    let space = sim
        .get(&format!("/space/{SALES_SPACE_ID}"), Some(&token))
        .await;
    assert_eq!(space.status, StatusCode::OK);
    assert_eq!(space.body["name"], "Sales");
    assert_eq!(space.body["org"]["name"], "Acme Inc");

    let private = format!("/space/{PRIVATE_SPACE_ID}");
    let resp = sim.get(&private, Some(&token)).await;
    assert_error_body(&resp, 403, "forbidden", "GET", &private);
    let private_item = format!("/item/{PRIVATE_ITEM_ID}");
    let resp = sim.get(&private_item, Some(&token)).await;
    assert_error_body(&resp, 403, "forbidden", "GET", &private_item);

    let apps = sim
        .get(&format!("/app/space/{SALES_SPACE_ID}/"), Some(&token))
        .await;
    assert_eq!(names(&apps.body, "url_label"), ["companies", "deals"]);
}

#[tokio::test]
async fn app_definition_has_settings_and_keeps_deleted_things() {
    let (sim, token) = TestSim::logged_in().await;
    let app = sim.get(&format!("/app/{DEALS_APP_ID}"), Some(&token)).await;
    assert_eq!(app.status, StatusCode::OK);
    let body = &app.body;
    assert_eq!(body["space_id"], SALES_SPACE_ID);
    assert_eq!(body["config"]["name"], "Deals");
    assert_eq!(body["config"]["item_name"], "Deal");
    assert_eq!(body["token"].as_str().map(str::len), Some(32));
    let fields = body["fields"].as_array().expect("fields");
    let field = |ext: &str| {
        fields
            .iter()
            .find(|f| f["external_id"] == ext)
            .unwrap_or_else(|| panic!("no field {ext}"))
    };
    let stage = field("stage");
    assert_eq!(stage["field_id"], deals::STAGE);
    let options = stage["config"]["settings"]["options"]
        .as_array()
        .expect("options");
    assert_eq!(options.len(), 6);
    let deleted = options
        .iter()
        .find(|o| o["id"] == deals::STAGE_DELETED)
        .expect("deleted option kept");
    assert_eq!(deleted["status"], "deleted");
    assert_eq!(field("legacy-notes")["status"], "deleted");
    assert_eq!(
        field("deal-value")["config"]["settings"]["allowed_currencies"][0],
        "EUR"
    );
    assert_eq!(
        field("close-date")["config"]["settings"]["time"],
        "disabled"
    );
    assert_eq!(
        field("company")["config"]["settings"]["referenced_apps"][0]["app_id"],
        COMPANIES_APP_ID
    );
    assert_eq!(field("notes")["config"]["settings"]["size"], "large");
    assert_eq!(
        field("value-per-seat")["config"]["settings"]["return_type"],
        "number"
    );
}

#[tokio::test]
async fn unknown_objects_and_paths_are_podio_404s() {
    let (sim, token) = TestSim::logged_in().await;
    let resp = sim.get("/item/42", Some(&token)).await;
    assert_error_body(&resp, 404, "not_found", "GET", "/item/42");
    assert_eq!(resp.body["error_description"], "Object not found");
    let resp = sim.get("/nowhere/at/all", None).await;
    assert_error_body(&resp, 404, "not_found", "GET", "/nowhere/at/all");
    // Trailing slashes are part of the path.
    let resp = sim.get("/org", Some(&token)).await;
    assert_error_body(&resp, 404, "not_found", "GET", "/org");
    // Errors axum raises itself get Podio bodies as well.
    let resp = sim
        .post_json("/org/", Some(&token), &serde_json::json!({}))
        .await;
    assert_error_body(&resp, 405, "method_not_allowed", "POST", "/org/");
    let resp = sim.get("/item/abc", Some(&token)).await;
    assert_error_body(&resp, 400, "invalid_value", "GET", "/item/abc");
}

#[tokio::test]
async fn demo_item_has_every_field_type_in_podio_shape() {
    let (sim, token) = TestSim::logged_in().await;
    let resp = sim
        .get(&format!("/item/{DEMO_ITEM_ID}"), Some(&token))
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let item = &resp.body;
    assert_eq!(item["item_id"], DEMO_ITEM_ID);
    assert_eq!(item["title"], "Acme Corp renewal");
    assert_eq!(item["app"]["app_id"], DEALS_APP_ID);
    assert_eq!(item["app"]["space_id"], SALES_SPACE_ID);
    assert_eq!(item["created_by"]["id"], DEMO_USER_ID);
    assert_eq!(item["created_on"], "2024-03-01 09:15:00");
    assert_eq!(item["current_revision"]["revision"], 3);
    assert!(
        item["link"]
            .as_str()
            .is_some_and(|l| l.ends_with("/apps/deals/items/21"))
    );

    let fields = item["fields"].as_array().expect("fields");
    let value = |ext: &str| -> &Value {
        let field = fields
            .iter()
            .find(|f| f["external_id"] == ext)
            .unwrap_or_else(|| panic!("no field {ext}"));
        assert!(field["config"]["label"].is_string(), "config on {ext}");
        assert!(field["field_id"].is_u64());
        &field["values"][0]
    };
    let types: Vec<&str> = fields
        .iter()
        .map(|f| f["type"].as_str().expect("type"))
        .collect();
    for t in [
        "text",
        "number",
        "money",
        "category",
        "date",
        "app",
        "contact",
        "email",
        "phone",
        "location",
        "embed",
        "duration",
        "progress",
        "calculation",
        "image",
        "file",
    ] {
        assert!(types.contains(&t), "no {t} field");
    }
    assert!(!fields.iter().any(|f| f["external_id"] == "legacy-notes"));

    assert_eq!(value("title")["value"], "Acme Corp renewal");
    assert_eq!(value("seats")["value"], "25.0000");
    assert_eq!(value("deal-value")["value"], "12500.0000");
    assert_eq!(value("deal-value")["currency"], "EUR");
    let stage = &value("stage")["value"];
    assert_eq!(stage["id"], deals::STAGE_NEGOTIATION);
    assert_eq!(stage["text"], "Negotiation");
    assert_eq!(stage["status"], "active");
    assert!(stage["color"].is_string());
    let date = value("close-date");
    assert_eq!(date["start"], "2024-04-30 00:00:00");
    assert_eq!(date["start_date"], "2024-04-30");
    assert_eq!(date["start_time"], Value::Null);
    assert_eq!(date["start_date_utc"], "2024-04-30");
    assert_eq!(date["end"], Value::Null);
    let company = &value("company")["value"];
    assert_eq!(company["item_id"], ACME_COMPANY_ITEM_ID);
    assert_eq!(company["title"], "Acme Corp");
    assert_eq!(company["app"]["app_id"], COMPANIES_APP_ID);
    let owner = &value("owner")["value"];
    assert_eq!(owner["profile_id"], DEMO_PROFILE_ID);
    assert_eq!(owner["user_id"], DEMO_USER_ID);
    assert_eq!(owner["name"], "Jane Doe");
    assert_eq!(owner["type"], "user");
    assert_eq!(value("buyer-email")["type"], "work");
    assert_eq!(value("buyer-email")["value"], "buyer@acme.example");
    assert_eq!(value("buyer-phone")["type"], "mobile");
    let site = value("site");
    assert_eq!(site["city"], "Copenhagen");
    assert!(
        site["value"]
            .as_str()
            .is_some_and(|v| v.contains("Vesterbrogade"))
    );
    assert!(site["lat"].is_f64() && site["lng"].is_f64());
    assert_eq!(
        value("website")["embed"]["original_url"],
        "https://acme.example/"
    );
    assert_eq!(value("website")["file"], Value::Null);
    assert_eq!(value("time-spent")["value"], 5400);
    assert_eq!(value("progress")["value"], 60);
    assert_eq!(value("value-per-seat")["value"], "500.0000");
    let logo = &value("logo")["value"];
    assert_eq!(logo["file_id"], LOGO_FILE_ID);
    assert_eq!(logo["name"], "logo.png");
    assert_eq!(logo["mimetype"], "image/png");
    assert_eq!(
        logo["link"],
        format!("https://files.podio.com/{LOGO_FILE_ID}")
    );
    assert!(logo["thumbnail_link"].is_string(), "{logo}");
    let contract = &value("contract")["value"];
    assert_eq!(contract["file_id"], CONTRACT_FILE_ID);
    assert_eq!(contract["name"], "contract.pdf");
    assert_eq!(contract["mimetype"], "application/pdf");
    assert!(
        contract["size"].as_u64().is_some_and(|s| s > 0),
        "{contract}"
    );
    assert_eq!(contract["thumbnail_link"], Value::Null);
}
