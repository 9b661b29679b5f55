//! The foundation scenario, run against both shapes: the microservices shape
//! (every service its own server, gRPC over loopback, real Postgres and
//! Redis, two front doors) and `portico dev` (one process, in memory).
//! Driven by rmcp's MCP client, a client no one on the team wrote, and by
//! raw HTTP where the wire itself is the subject.

use std::collections::BTreeSet;

use anyhow::Context;
use portico_tests::mcp::{TOOL_NAMES, call, connect, list, structured, text};
use portico_tests::{Stack, podio_get, start_dev, start_microservices};
use serde_json::{Value, json};

async fn scenario(stack: &Stack) -> anyhow::Result<()> {
    let client = connect(&stack.mcp_url(0), &stack.token).await?;
    let info = client.peer_info().context("no initialize result")?;
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("portico")
    );

    // tools/list: exactly the 22 tools, in catalog order, each with schemas.
    let tools = client.list_all_tools().await?;
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, TOOL_NAMES);
    for tool in &tools {
        assert!(
            tool.description.is_some(),
            "{} has no description",
            tool.name
        );
        assert!(
            tool.output_schema.is_some(),
            "{} has no outputSchema",
            tool.name
        );
    }

    // Walk down from the organization, comparing with the simulator's truth.
    let sim = &stack.podio_sim_url;
    let raw_orgs = podio_get(sim, "/org/").await?;
    let orgs = call(&client, "get_organizations", json!({})).await?;
    let orgs_value = structured(&orgs)?;
    let orgs_list = list(orgs_value, "organizations")?;
    assert_eq!(orgs_list.len(), raw_orgs.as_array().map_or(0, Vec::len));
    let acme = orgs_list
        .iter()
        .find(|o| o["org_id"] == json!(podio_sim::seed::ORG_ID))
        .context("seeded org missing from get_organizations")?;
    assert_eq!(acme["name"], "Acme Inc");
    assert!(
        text(&orgs).contains("Acme Inc"),
        "text content lacks the org name"
    );

    let spaces = call(
        &client,
        "get_spaces_in_organization",
        json!({"org_id": podio_sim::seed::ORG_ID}),
    )
    .await?;
    let spaces = list(structured(&spaces)?, "spaces")?;
    assert!(
        spaces.iter().any(
            |s| s["space_id"] == json!(podio_sim::seed::SALES_SPACE_ID) && s["name"] == "Sales"
        ),
        "Sales workspace missing: {spaces:?}"
    );

    let apps = call(
        &client,
        "get_apps_in_space",
        json!({"space_id": podio_sim::seed::SALES_SPACE_ID}),
    )
    .await?;
    let apps = list(structured(&apps)?, "apps")?;
    assert!(
        apps.iter()
            .any(|a| a["app_id"] == json!(podio_sim::seed::DEALS_APP_ID)),
        "Deals app missing: {apps:?}"
    );

    // get_app: every active field of the simulator's app, categories with
    // their live options only.
    let raw_app = podio_get(sim, &format!("/app/{}", podio_sim::seed::DEALS_APP_ID)).await?;
    let app = call(
        &client,
        "get_app",
        json!({"app_id": podio_sim::seed::DEALS_APP_ID}),
    )
    .await?;
    let app = structured(&app)?;
    let fields = list(app, "fields")?;
    let raw_fields: Vec<&Value> = raw_app["fields"]
        .as_array()
        .context("app without fields")?
        .iter()
        .filter(|f| f["status"] == "active")
        .collect();
    assert_eq!(fields.len(), raw_fields.len());
    for raw in &raw_fields {
        let field = fields
            .iter()
            .find(|f| f["external_id"] == raw["external_id"])
            .with_context(|| format!("field {} missing", raw["external_id"]))?;
        assert_eq!(field["type"], raw["type"]);
        assert_eq!(field["label"], raw["label"]);
    }

    // get_item: decoded values match the upstream item.
    let raw_item = podio_get(sim, &format!("/item/{}", podio_sim::seed::DEMO_ITEM_ID)).await?;
    let item = call(
        &client,
        "get_item",
        json!({"item_id": podio_sim::seed::DEMO_ITEM_ID}),
    )
    .await?;
    let item_text = text(&item);
    let item = structured(&item)?;
    assert_eq!(item["item_id"], json!(podio_sim::seed::DEMO_ITEM_ID));
    assert_eq!(item["title"], raw_item["title"]);
    assert!(item_text.contains(raw_item["title"].as_str().unwrap_or("?")));
    check_decoded_fields(&item["fields"], &raw_item)?;

    // get_items: paging with the simulator's totals.
    let raw_page = portico_tests::podio_get(
        sim,
        &format!("/item/app/{}/count", podio_sim::seed::DEALS_APP_ID),
    )
    .await?;
    let total = raw_page["count"].as_u64().context("no count")?;
    let page = call(
        &client,
        "get_items",
        json!({"app_id": podio_sim::seed::DEALS_APP_ID, "limit": 5, "offset": 2}),
    )
    .await?;
    let page = structured(&page)?;
    assert_eq!(page["total"], json!(total));
    assert_eq!(list(page, "items")?.len(), 5);
    assert_eq!(page["next_offset"], json!(7));
    let last = call(
        &client,
        "get_items",
        json!({"app_id": podio_sim::seed::DEALS_APP_ID, "limit": 500, "offset": 0}),
    )
    .await?;
    let last = structured(&last)?;
    assert_eq!(list(last, "items")?.len() as u64, total);
    assert_eq!(last["next_offset"], Value::Null);

    // A nonexistent item is a tool error the model can act on.
    let missing = call(&client, "get_item", json!({"item_id": 999_999_999u64})).await?;
    assert_eq!(missing.is_error, Some(true));
    let message = text(&missing).to_lowercase();
    assert!(
        message.contains("999999999") && message.contains("not found"),
        "unclear message: {message}"
    );

    // Bad arguments name the field.
    let bad = call(&client, "get_item", json!({"item_id": "abc"})).await?;
    assert_eq!(bad.is_error, Some(true));
    assert!(text(&bad).contains("item_id"), "{}", text(&bad));

    client.cancel().await?;
    Ok(())
}

/// Checks each decoded field against the raw Podio field it came from.
fn check_decoded_fields(decoded: &Value, raw_item: &Value) -> anyhow::Result<()> {
    let raw_fields = raw_item["fields"]
        .as_array()
        .context("item without fields")?;
    let mut types = BTreeSet::new();
    for raw in raw_fields {
        let key = raw["external_id"]
            .as_str()
            .context("field without external_id")?;
        let field = &decoded[key];
        anyhow::ensure!(
            !field.is_null(),
            "field {key} missing from decoded item: {decoded}"
        );
        assert_eq!(field["label"], raw["label"], "{key}");
        assert_eq!(field["type"], raw["type"], "{key}");
        let value = &field["value"];
        let first = &raw["values"][0];
        match raw["type"].as_str().unwrap_or_default() {
            "text" => assert!(value.is_string(), "{key}: {value}"),
            "number" | "progress" | "duration" => {
                let expected: f64 = match &first["value"] {
                    Value::String(s) => s.parse()?,
                    other => other.as_f64().context("number")?,
                };
                assert_eq!(value.as_f64(), Some(expected), "{key}");
            }
            "money" => {
                let expected: f64 = first["value"].as_str().context("money value")?.parse()?;
                assert_eq!(value["value"].as_f64(), Some(expected), "{key}");
                assert_eq!(value["currency"], first["currency"], "{key}");
            }
            "category" => {
                assert_eq!(value[0]["text"], first["value"]["text"], "{key}");
                assert_eq!(value[0]["id"], first["value"]["id"], "{key}");
            }
            "date" => {
                let start = value["start"].as_str().context("date start")?;
                assert!(
                    start.starts_with(first["start_date"].as_str().context("start_date")?),
                    "{key}: {value}"
                );
            }
            "app" => {
                assert_eq!(value[0]["item_id"], first["value"]["item_id"], "{key}");
                assert_eq!(value[0]["title"], first["value"]["title"], "{key}");
            }
            "contact" => assert_eq!(value[0]["name"], first["value"]["name"], "{key}"),
            _ => {}
        }
        types.insert(raw["type"].as_str().unwrap_or_default().to_owned());
    }
    for expected in [
        "text", "number", "money", "category", "date", "app", "contact",
    ] {
        anyhow::ensure!(
            types.contains(expected),
            "the demo item should cover field type {expected}; it has {types:?}"
        );
    }
    Ok(())
}

/// 401 with the RFC 9728 pointer for a missing or bad token, and the document
/// it points to.
async fn unauthorized(stack: &Stack) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let init = initialize_body();
    for auth in [None, Some("Bearer not-a-real-token")] {
        let mut req = mcp_post(&http, &stack.mcp_url(0)).json(&init);
        if let Some(auth) = auth {
            req = req.header("Authorization", auth);
        }
        let resp = req.send().await?;
        assert_eq!(resp.status(), 401, "auth {auth:?}");
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .context("401 without WWW-Authenticate")?
            .to_str()?
            .to_owned();
        let prm = format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            stack.frontdoors[0]
        );
        assert!(
            challenge.starts_with("Bearer ")
                && challenge.contains(&format!("resource_metadata=\"{prm}\"")),
            "{challenge}"
        );
        let doc: Value = http
            .get(&prm)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        assert_eq!(doc["resource"], json!(stack.mcp_url(0)));
        assert!(
            doc["authorization_servers"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        );
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    }
    Ok(())
}

fn initialize_body() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "e2e-raw", "version": "1"}}})
}

fn mcp_post(http: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    http.post(url)
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
}

/// A session opened on front door 0 is served by front door 1: sessions live
/// in Redis, not in a process.
async fn second_front_door_serves_session(stack: &Stack) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let bearer = format!("Bearer {}", stack.token);
    let resp = mcp_post(&http, &stack.mcp_url(0))
        .header("Authorization", &bearer)
        .json(&initialize_body())
        .send()
        .await?;
    assert_eq!(resp.status(), 200);
    let session = resp
        .headers()
        .get("mcp-session-id")
        .context("initialize without Mcp-Session-Id")?
        .to_str()?
        .to_owned();
    let resp = mcp_post(&http, &stack.mcp_url(1))
        .header("Authorization", &bearer)
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .send()
        .await?;
    assert_eq!(resp.status(), 202);
    let resp = mcp_post(&http, &stack.mcp_url(1))
        .header("Authorization", &bearer)
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .send()
        .await?;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await?;
    assert_eq!(list(&body["result"], "tools")?.len(), TOOL_NAMES.len());

    // Ending it on front door 1 ends it everywhere.
    let resp = http
        .delete(stack.mcp_url(1))
        .header("Authorization", &bearer)
        .header("Mcp-Session-Id", &session)
        .send()
        .await?;
    assert!(
        resp.status().is_success(),
        "DELETE answered {}",
        resp.status()
    );
    let resp = mcp_post(&http, &stack.mcp_url(0))
        .header("Authorization", &bearer)
        .header("Mcp-Session-Id", &session)
        .json(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
        .send()
        .await?;
    assert_eq!(resp.status(), 404);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microservices_shape() -> anyhow::Result<()> {
    let stack = start_microservices().await?;
    let outcome = async {
        scenario(&stack).await?;
        unauthorized(&stack).await?;
        second_front_door_serves_session(&stack).await?;
        // The second front door serves the whole scenario as well.
        let client = connect(&stack.mcp_url(1), &stack.token).await?;
        let orgs = call(&client, "get_organizations", json!({})).await?;
        structured(&orgs)?;
        client.cancel().await?;
        anyhow::Ok(())
    }
    .await;
    let prefix = stack.redis_prefix.clone();
    stack.stop().await?;
    if let Some(prefix) = prefix {
        assert!(
            portico_tests::redis_keys(&prefix).await?.is_empty(),
            "the test left Redis keys behind"
        );
    }
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_shape() -> anyhow::Result<()> {
    let stack = start_dev().await?;
    let outcome = async {
        scenario(&stack).await?;
        unauthorized(&stack).await?;
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_keeps_the_simulator_on_loopback_whatever_the_host() -> anyhow::Result<()> {
    portico_tests::install_tls_provider();
    let options = portico::dev::DevOptions {
        host: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        port: 0,
        ..Default::default()
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    let dev =
        portico::dev::start(options, &std::collections::HashMap::new(), shutdown.clone()).await?;
    let sim = dev.podio_sim_url.clone().unwrap_or_default();
    dev.stop();
    anyhow::ensure!(
        sim.starts_with("http://127.0.0.1:"),
        "podio-sim must bind to loopback, not {sim:?}"
    );
    Ok(())
}
