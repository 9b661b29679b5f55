//! A realistic session with every tool, through the microservices shape
//! (every service its own server, gRPC on loopback, real Postgres and Redis):
//! discover an app from the organization down, read its schema, create an
//! item with every writable field type, find it, change it, discuss it, find
//! it again by search, plan and finish a task on it, then read notifications
//! and members. Every answer is checked against what podio-sim itself holds.
//! A second test sends each tool one bad argument through the whole stack.

use anyhow::Context;
use podio_sim::seed::{self, deals};
use portico_tests::mcp::{CheckedClient, error_text, list, structured, text};
use portico_tests::{Stack, podio_get, start_microservices, start_microservices_with};
use serde_json::{Value, json};

/// A title no seeded item has, so searches and filters find only ours.
const TITLE: &str = "Zephyr Robotics pilot";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_realistic_session_uses_every_tool() -> anyhow::Result<()> {
    let stack = start_microservices().await?;
    let outcome = async {
        let client = CheckedClient::connect(&stack.mcp_url(0), &stack.token).await?;
        let sim = stack.podio_sim_url.as_str();
        // The schema check below can fail: a wrongly typed result is refused.
        assert!(
            client
                .check("get_item", &json!({"item_id": "not a number"}))
                .is_err()
        );
        discover(&client, sim).await?;
        let item_id = create(&client, sim).await?;
        find_with_filters(&client, item_id).await?;
        update(&client, sim, item_id).await?;
        comment(&client, sim, item_id).await?;
        search(&client, item_id).await?;
        tasks(&client, sim, item_id).await?;
        people_and_activity(&client, sim).await?;
        client.cancel().await?;
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}

/// Organization → workspace → app → schema, each checked against the sim.
async fn discover(client: &CheckedClient, sim: &str) -> anyhow::Result<()> {
    let orgs = client.call("get_organizations", json!({})).await?;
    let orgs = list(structured(&orgs)?, "organizations")?;
    let acme = orgs
        .iter()
        .find(|o| o["org_id"] == json!(seed::ORG_ID))
        .context("Acme missing")?;
    assert_eq!(acme["name"], "Acme Inc");

    let spaces = client
        .call(
            "get_spaces_in_organization",
            json!({"org_id": seed::ORG_ID}),
        )
        .await?;
    let spaces = list(structured(&spaces)?, "spaces")?;
    assert!(
        spaces
            .iter()
            .any(|s| s["space_id"] == json!(seed::SALES_SPACE_ID))
    );

    let raw_space = podio_get(sim, &format!("/space/{}", seed::SALES_SPACE_ID)).await?;
    let space = client
        .call("get_space", json!({"space_id": seed::SALES_SPACE_ID}))
        .await?;
    let space = structured(&space)?;
    assert_eq!(space["name"], raw_space["name"]);
    assert_eq!(space["privacy"], raw_space["privacy"]);
    assert_eq!(space["org_id"], json!(seed::ORG_ID));

    let apps = client
        .call(
            "get_apps_in_space",
            json!({"space_id": seed::SALES_SPACE_ID}),
        )
        .await?;
    let apps = list(structured(&apps)?, "apps")?;
    assert!(
        apps.iter()
            .any(|a| a["app_id"] == json!(seed::DEALS_APP_ID) && a["name"] == "Deals")
    );

    // The summary: purpose, every active field, the live item count.
    let raw_app = podio_get(sim, &format!("/app/{}", seed::DEALS_APP_ID)).await?;
    let raw_count = podio_get(sim, &format!("/item/app/{}/count", seed::DEALS_APP_ID)).await?;
    let summary = client
        .call(
            "get_app_summary",
            json!({"app_id": seed::DEALS_APP_ID, "recent_items": 3}),
        )
        .await?;
    let summary_text = text(&summary);
    let summary = structured(&summary)?;
    assert_eq!(summary["name"], "Deals");
    assert_eq!(summary["item_count"], raw_count["count"]);
    assert_eq!(list(summary, "recent_items")?.len(), 3);
    let active: Vec<&Value> = raw_app["fields"]
        .as_array()
        .context("app without fields")?
        .iter()
        .filter(|f| f["status"] == "active")
        .collect();
    assert_eq!(list(summary, "fields")?.len(), active.len());
    for field in &active {
        let label = field["label"].as_str().context("label")?;
        assert!(summary_text.contains(label), "summary text lacks {label}");
    }

    // get_app: the category options a model will write by label.
    let app = client
        .call("get_app", json!({"app_id": seed::DEALS_APP_ID}))
        .await?;
    let app = structured(&app)?;
    let stage = list(app, "fields")?
        .iter()
        .find(|f| f["external_id"] == "stage")
        .context("stage field")?;
    assert!(
        stage.to_string().contains("Negotiation"),
        "stage options: {stage}"
    );
    Ok(())
}

/// create_item with every writable field type, a category by label, money as
/// a bare number and a date as an ISO date; checked in the sim's own item.
async fn create(client: &CheckedClient, sim: &str) -> anyhow::Result<u64> {
    let before = podio_get(sim, &format!("/item/app/{}/count", seed::DEALS_APP_ID)).await?;
    let created = client
        .call(
            "create_item",
            json!({
                "app_id": seed::DEALS_APP_ID,
                "fields": {
                    "title": TITLE,
                    "notes": "Pilot for three warehouses",
                    "seats": 4242,
                    "deal-value": 18500,
                    "stage": "negotiation",
                    "products": ["CRM", deals::PRODUCT_ANALYTICS],
                    "close-date": "2026-12-15",
                    "company": [seed::ACME_COMPANY_ITEM_ID],
                    "owner": seed::DEMO_PROFILE_ID,
                    "buyer-email": "cto@zephyr.example",
                    "buyer-phone": "+45 11 22 33 44",
                    "site": "Nørrebrogade 1, 2200 Copenhagen",
                    "website": "https://zephyr.example/",
                    "time-spent": 5400,
                    "progress": 35,
                    "logo": seed::LOGO_FILE_ID,
                    "contract": [seed::CONTRACT_FILE_ID],
                },
                "tags": ["pilot"],
            }),
        )
        .await?;
    let created = structured(&created)?;
    let item_id = created["item_id"].as_u64().context("no item_id")?;
    assert_eq!(created["title"], TITLE);

    let after = podio_get(sim, &format!("/item/app/{}/count", seed::DEALS_APP_ID)).await?;
    assert_eq!(
        after["count"].as_u64(),
        before["count"].as_u64().map(|n| n + 1)
    );

    // What Podio now holds, field by field.
    let raw = podio_get(sim, &format!("/item/{item_id}")).await?;
    let first = |key: &str| -> anyhow::Result<Value> {
        raw["fields"]
            .as_array()
            .context("item without fields")?
            .iter()
            .find(|f| f["external_id"] == key)
            .map(|f| f["values"].clone())
            .with_context(|| format!("{key} not stored: {raw}"))
    };
    assert_eq!(first("title")?[0]["value"], TITLE);
    assert_eq!(
        first("seats")?[0]["value"].as_str().map(str::parse::<f64>),
        Some(Ok(4242.0))
    );
    let money = &first("deal-value")?[0];
    assert_eq!(money["currency"], "EUR");
    assert_eq!(
        money["value"].as_str().map(str::parse::<f64>),
        Some(Ok(18500.0))
    );
    assert_eq!(
        first("stage")?[0]["value"]["id"],
        json!(deals::STAGE_NEGOTIATION)
    );
    let products = first("products")?;
    let products: Vec<&Value> = products
        .as_array()
        .map(|v| v.iter().map(|p| &p["value"]["id"]).collect())
        .unwrap_or_default();
    assert_eq!(
        products,
        [&json!(deals::PRODUCT_CRM), &json!(deals::PRODUCT_ANALYTICS)]
    );
    assert_eq!(first("close-date")?[0]["start_date"], "2026-12-15");
    assert_eq!(
        first("company")?[0]["value"]["item_id"],
        json!(seed::ACME_COMPANY_ITEM_ID)
    );
    assert_eq!(
        first("owner")?[0]["value"]["profile_id"],
        json!(seed::DEMO_PROFILE_ID)
    );
    assert_eq!(first("buyer-email")?[0]["value"], "cto@zephyr.example");
    assert_eq!(first("buyer-phone")?[0]["value"], "+45 11 22 33 44");
    assert!(
        first("site")?[0]["value"]
            .as_str()
            .is_some_and(|s| s.contains("Nørrebrogade 1")),
        "site: {}",
        first("site")?
    );
    assert_eq!(
        first("website")?[0]["embed"]["original_url"],
        "https://zephyr.example/"
    );
    assert_eq!(first("time-spent")?[0]["value"], 5400);
    assert_eq!(first("progress")?[0]["value"], 35);
    assert_eq!(
        first("logo")?[0]["value"]["file_id"],
        json!(seed::LOGO_FILE_ID)
    );
    assert_eq!(
        first("contract")?[0]["value"]["file_id"],
        json!(seed::CONTRACT_FILE_ID)
    );

    // get_item reads it back decoded, keyed by external_id.
    let item = client.call("get_item", json!({"item_id": item_id})).await?;
    let item = structured(&item)?;
    let f = &item["fields"];
    assert_eq!(
        f["stage"]["value"],
        json!([{"id": deals::STAGE_NEGOTIATION, "text": "Negotiation"}])
    );
    assert_eq!(f["deal-value"]["value"]["currency"], "EUR");
    assert_eq!(f["deal-value"]["value"]["value"].as_f64(), Some(18500.0));
    assert_eq!(f["close-date"]["value"]["start"], "2026-12-15");
    assert_eq!(f["company"]["value"][0]["title"], "Acme Corp");
    Ok(item_id)
}

/// get_items finds exactly the new item by category label, number range and
/// date range.
async fn find_with_filters(client: &CheckedClient, item_id: u64) -> anyhow::Result<()> {
    let found = client
        .call(
            "get_items",
            json!({
                "app_id": seed::DEALS_APP_ID,
                "filters": {
                    "stage": ["Negotiation"],
                    "seats": {"from": 4000, "to": 4500},
                    "close-date": {"from": "2026-12-01", "to": "2026-12-31"},
                },
                "sort_by": "created_on",
                "sort_desc": true,
            }),
        )
        .await?;
    let found = structured(&found)?;
    assert_eq!(found["filtered"], 1, "{found}");
    let items = list(found, "items")?;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["item_id"], json!(item_id));
    assert_eq!(found["next_offset"], Value::Null);

    // A range that excludes it finds nothing, while the total stays.
    let none = client.call("get_items",
        json!({"app_id": seed::DEALS_APP_ID, "filters": {"seats": {"from": 5000}, "stage": ["Negotiation"], "close-date": {"from": "2026-12-01"}}}),
    )
    .await?;
    let none = structured(&none)?;
    assert_eq!(none["filtered"], 0);
    assert!(none["total"].as_u64().is_some_and(|t| t > 30));
    Ok(())
}

/// update_item changes only the given fields.
async fn update(client: &CheckedClient, sim: &str, item_id: u64) -> anyhow::Result<()> {
    let updated = client
        .call(
            "update_item",
            json!({"item_id": item_id, "fields": {"stage": "Won", "seats": 4300}}),
        )
        .await?;
    let updated = structured(&updated)?;
    assert!(updated["revision"].as_u64().is_some_and(|r| r >= 1));

    let item = client.call("get_item", json!({"item_id": item_id})).await?;
    let f = &structured(&item)?["fields"];
    assert_eq!(f["stage"]["value"][0]["text"], "Won");
    assert_eq!(f["seats"]["value"].as_f64(), Some(4300.0));
    // Untouched fields keep their values.
    assert_eq!(f["deal-value"]["value"]["value"].as_f64(), Some(18500.0));
    assert_eq!(f["buyer-email"]["value"][0]["value"], "cto@zephyr.example");

    let raw = podio_get(sim, &format!("/item/{item_id}")).await?;
    assert_eq!(raw["current_revision"]["revision"], updated["revision"]);
    Ok(())
}

/// add_comment, then get_item_comments shows it, as does the sim.
async fn comment(client: &CheckedClient, sim: &str, item_id: u64) -> anyhow::Result<()> {
    let words = "Pilot approved, sending the contract Monday";
    let added = client
        .call("add_comment", json!({"item_id": item_id, "text": words}))
        .await?;
    let added = structured(&added)?;
    let comment_id = added["comment_id"].as_u64().context("no comment_id")?;

    let comments = client
        .call("get_item_comments", json!({"item_id": item_id}))
        .await?;
    let comments = structured(&comments)?;
    assert_eq!(comments["total"], 1);
    let first = &list(comments, "comments")?[0];
    assert_eq!(first["comment_id"], json!(comment_id));
    assert_eq!(first["text"], words);

    let raw = podio_get(sim, &format!("/comment/item/{item_id}/")).await?;
    assert_eq!(raw[0]["comment_id"], json!(comment_id));
    assert_eq!(raw[0]["value"], words);
    Ok(())
}

/// search_globally finds the item, enriched with its current values.
async fn search(client: &CheckedClient, item_id: u64) -> anyhow::Result<()> {
    let hits = client
        .call(
            "search_globally",
            json!({"query": "Zephyr Robotics", "ref_type": "item", "org_id": seed::ORG_ID}),
        )
        .await?;
    let hits = structured(&hits)?;
    let results = list(hits, "results")?;
    let hit = results
        .iter()
        .find(|h| h["id"] == json!(item_id))
        .with_context(|| format!("item {item_id} not found by search: {hits}"))?;
    assert_eq!(hit["type"], "item");
    assert_eq!(hit["title"], TITLE);
    assert_eq!(hit["fields"]["seats"]["value"].as_f64(), Some(4300.0));
    assert_eq!(hit["fields"]["stage"]["value"][0]["text"], "Won");
    Ok(())
}

/// A task on the item: created, listed among open tasks, changed, completed.
async fn tasks(client: &CheckedClient, sim: &str, item_id: u64) -> anyhow::Result<()> {
    let created = client
        .call(
            "create_task",
            json!({
                "text": "Send Zephyr the signed contract",
                "description": "Use the 2026 template",
                "due_date": "2026-12-01",
                "responsible": seed::DEMO_USER_ID,
                "labels": ["Sales"],
                "ref_type": "item",
                "ref_id": item_id,
            }),
        )
        .await?;
    let created = structured(&created)?;
    let task = &list(created, "tasks")?[0];
    let task_id = task["task_id"].as_u64().context("no task_id")?;
    assert_eq!(task["ref"]["id"], json!(item_id));

    let open = client
        .call(
            "get_tasks",
            json!({"app_id": seed::DEALS_APP_ID, "completed": false, "limit": 100}),
        )
        .await?;
    let open = structured(&open)?;
    assert!(
        list(open, "tasks")?
            .iter()
            .any(|t| t["task_id"] == json!(task_id)),
        "new task not among open tasks: {open}"
    );

    let changed = client
        .call(
            "update_task",
            json!({"task_id": task_id, "due_date": "2026-12-03"}),
        )
        .await?;
    assert_eq!(structured(&changed)?["due_date"], "2026-12-03");

    let one = client.call("get_task", json!({"task_id": task_id})).await?;
    let one = structured(&one)?;
    assert_eq!(one["text"], "Send Zephyr the signed contract");
    assert_eq!(one["due_date"], "2026-12-03");
    assert_eq!(one["status"], "active");

    let done = client
        .call("complete_task", json!({"task_id": task_id}))
        .await?;
    assert_eq!(structured(&done)?["completed"], true);
    let raw = podio_get(sim, &format!("/task/{task_id}")).await?;
    assert_eq!(raw["status"], "completed");

    let still_open = client
        .call("get_tasks", json!({"item_id": item_id, "completed": false}))
        .await?;
    assert!(list(structured(&still_open)?, "tasks")?.is_empty());
    let finished = client
        .call("get_tasks", json!({"item_id": item_id, "completed": true}))
        .await?;
    let finished = list(structured(&finished)?, "tasks")?;
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0]["task_id"], json!(task_id));
    Ok(())
}

/// Notifications, members and views, compared with the sim.
async fn people_and_activity(client: &CheckedClient, sim: &str) -> anyhow::Result<()> {
    let raw = podio_get(sim, "/notification/?viewed=false&limit=100").await?;
    let unread: usize = raw
        .as_array()
        .context("notification groups")?
        .iter()
        .map(|g| g["notifications"].as_array().map_or(0, Vec::len))
        .sum();
    let notes = client
        .call("get_notifications", json!({"viewed": false, "limit": 100}))
        .await?;
    let notes = structured(&notes)?;
    let notes = list(notes, "notifications")?;
    assert_eq!(notes.len(), unread);
    assert!(unread > 0, "the seed has unread notifications");
    assert!(notes.iter().all(|n| n["viewed"] == false));

    let raw_members = podio_get(sim, &format!("/space/{}/member/", seed::SALES_SPACE_ID)).await?;
    let members = client
        .call(
            "get_space_members",
            json!({"space_id": seed::SALES_SPACE_ID}),
        )
        .await?;
    let members = structured(&members)?;
    assert_eq!(
        members["total"].as_u64(),
        raw_members.as_array().map(|a| a.len() as u64)
    );
    let me = list(members, "members")?
        .iter()
        .find(|m| m["user_id"] == json!(seed::DEMO_USER_ID))
        .context("demo user not a Sales member")?;
    assert!(me["started_on"].is_string(), "join date missing: {me}");

    let raw_org = podio_get(sim, &format!("/org/{}/member/?limit=500", seed::ORG_ID)).await?;
    let org = client
        .call(
            "get_org_members",
            json!({"org_id": seed::ORG_ID, "limit": 100}),
        )
        .await?;
    let org = structured(&org)?;
    assert_eq!(
        list(org, "members")?.len(),
        raw_org.as_array().map_or(0, Vec::len)
    );

    let raw_views = podio_get(sim, &format!("/view/app/{}/", seed::DEALS_APP_ID)).await?;
    let views = client
        .call("list-views", json!({"app_id": seed::DEALS_APP_ID}))
        .await?;
    let views = structured(&views)?;
    let names: Vec<&Value> = list(views, "views")?.iter().map(|v| &v["name"]).collect();
    let raw_names: Vec<&Value> = raw_views
        .as_array()
        .context("views")?
        .iter()
        .map(|v| &v["name"])
        .collect();
    assert_eq!(names, raw_names);
    Ok(())
}

/// Each tool, given one bad argument through the whole stack, answers a tool
/// error naming what was wrong; nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_names_its_bad_argument() -> anyhow::Result<()> {
    let stack = start_microservices().await?;
    let outcome = bad_arguments(&stack).await;
    stack.stop().await?;
    outcome
}

async fn bad_arguments(stack: &Stack) -> anyhow::Result<()> {
    let client = CheckedClient::connect(&stack.mcp_url(0), &stack.token).await?;
    let cases: Vec<(&str, Value, &[&str])> = vec![
        ("get_item", json!({"item_id": "abc"}), &["item_id"]),
        (
            "get_items",
            json!({"app_id": seed::DEALS_APP_ID, "limit": 501}),
            &["limit", "500"],
        ),
        ("get_app_summary", json!({"app_id": -4}), &["app_id"]),
        (
            "create_item",
            json!({"app_id": seed::DEALS_APP_ID, "fields": {"title": "x", "colour": "red"}}),
            &["colour", "seats"],
        ),
        (
            "update_item",
            json!({"item_id": seed::DEMO_ITEM_ID, "fields": {"stage": "Sleeping"}}),
            &["stage", "Sleeping", "Negotiation"],
        ),
        ("get_app", json!({}), &["app_id"]),
        (
            "get_apps_in_space",
            json!({"space_id": "sales"}),
            &["space_id"],
        ),
        ("get_space", json!({"space_id": 0}), &["space_id"]),
        (
            "get_space_members",
            json!({"space_id": seed::SALES_SPACE_ID, "limit": 0}),
            &["limit"],
        ),
        (
            "list-views",
            json!({"app_id": seed::DEALS_APP_ID, "include_standard_views": "yes"}),
            &["include_standard_views"],
        ),
        ("get_organizations", json!({"org": 1}), &["org"]),
        ("get_spaces_in_organization", json!({}), &["org_id"]),
        (
            "get_org_members",
            json!({"org_id": seed::ORG_ID, "offset": -1}),
            &["offset"],
        ),
        ("search_globally", json!({"query": "   "}), &["query"]),
        ("get_tasks", json!({"completed": "maybe"}), &["completed"]),
        ("get_task", json!({"task_id": "next"}), &["task_id"]),
        (
            "create_task",
            json!({"text": "Call", "ref_type": "item"}),
            &["ref_id"],
        ),
        (
            "update_task",
            json!({"task_id": seed::DEMO_TASK_ID}),
            &["text", "due_date"],
        ),
        ("complete_task", json!({}), &["task_id"]),
        (
            "get_item_comments",
            json!({"item_id": seed::DEMO_ITEM_ID, "limit": 100000}),
            &["limit"],
        ),
        (
            "add_comment",
            json!({"item_id": seed::DEMO_ITEM_ID, "text": ""}),
            &["text"],
        ),
        (
            "get_notifications",
            json!({"limit": 101}),
            &["limit", "100"],
        ),
    ];
    let names: Vec<&str> = cases.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(
        names,
        portico_tests::mcp::TOOL_NAMES,
        "one case per tool, in order"
    );

    let before = podio_get(
        &stack.podio_sim_url,
        &format!("/item/app/{}/count", seed::DEALS_APP_ID),
    )
    .await?;
    for (name, args, expected) in cases {
        let result = client.call(name, args.clone()).await?;
        let message = error_text(&result).with_context(|| format!("{name} {args}"))?;
        for word in expected {
            assert!(
                message.contains(word),
                "{name} {args}: the error should name {word:?}: {message}"
            );
        }
    }
    let after = podio_get(
        &stack.podio_sim_url,
        &format!("/item/app/{}/count", seed::DEALS_APP_ID),
    )
    .await?;
    assert_eq!(
        before["count"], after["count"],
        "a rejected create wrote an item"
    );
    let demo = podio_get(
        &stack.podio_sim_url,
        &format!("/item/{}", seed::DEMO_ITEM_ID),
    )
    .await?;
    assert_eq!(
        demo["current_revision"]["revision"], 3,
        "a rejected update changed the item"
    );

    client.cancel().await?;
    Ok(())
}

/// Podio's refusals reach the model as tool errors it can act on, through
/// the whole stack: not found, no access, a validation error naming the
/// field, and Podio's rate limit (HTTP 420) with when to retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podio_refusals_become_actionable_tool_errors() -> anyhow::Result<()> {
    let stack = start_microservices_with(podio_sim::Config {
        rate_limit_per_hour: 6,
        ..podio_sim::Config::default()
    })
    .await?;
    let outcome = refusals(&stack).await;
    stack.stop().await?;
    outcome
}

async fn refusals(stack: &Stack) -> anyhow::Result<()> {
    let client = CheckedClient::connect(&stack.mcp_url(0), &stack.token).await?;

    let missing = client
        .call("get_task", json!({"task_id": 4_040_404}))
        .await?;
    let message = error_text(&missing)?;
    assert!(
        message.contains("4040404") && message.contains("not found"),
        "{message}"
    );

    let hidden = client
        .call("get_item", json!({"item_id": seed::PRIVATE_ITEM_ID}))
        .await?;
    let message = error_text(&hidden)?;
    assert!(
        message.contains("denied access") && message.contains(&seed::PRIVATE_ITEM_ID.to_string()),
        "{message}"
    );

    // A value only Podio can judge: the contact must be a workspace member.
    let outsider = client
        .call(
            "create_item",
            json!({"app_id": seed::DEALS_APP_ID, "fields": {"title": "Outsider", "owner": 1}}),
        )
        .await?;
    let message = error_text(&outsider)?;
    assert!(
        message.contains("Podio rejected") && message.contains("owner"),
        "{message}"
    );

    // Keep calling until the simulator's hourly budget of 6 calls is spent.
    let mut limited = None;
    for _ in 0..10 {
        let result = client.call("get_organizations", json!({})).await?;
        if result.is_error == Some(true) {
            limited = Some(text(&result));
            break;
        }
    }
    let message = limited.context("the rate limit was never reached")?;
    let seconds: u64 = message
        .split("retry after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no retry time in {message:?}"))?;
    assert!(message.contains("rate limit"), "{message}");
    assert!((1..=3600).contains(&seconds), "{message}");

    client.cancel().await
}
