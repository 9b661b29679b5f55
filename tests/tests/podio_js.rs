//! A Podio client SDK no one on the team wrote — podio-js 1.6.1 from npm,
//! installed by tests/js/setup.sh, its `apiURL` pointed at podio-sim —
//! authenticates with the password grant, lists organizations, reads an app,
//! filters items, creates an item, a task on it and a comment, and survives
//! an access-token expiry through its own refresh logic. Every answer it got
//! is checked against the simulator itself over HTTP.

use std::time::Duration;

use anyhow::Context;
use podio_sim::seed::{self, deals};
use portico_tests::js;
use portico_tests::podio_get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Short enough that the script can wait one expiry out, long enough that
/// the calls before it normally run on the first token.
const TOKEN_TTL: Duration = Duration::from_secs(2);

const TITLE: &str = "Umbrella pilot (podio-js)";
const TASK_TEXT: &str = "Send the Umbrella pilot contract";
const COMMENT: &str = "Pilot agreed on the phone, contract follows";

fn item_body() -> Value {
    json!({
        "fields": {
            "title": TITLE,
            // Keyed by field id (as a string) rather than external id: both are accepted.
            (deals::SEATS.to_string()): 12,
            "deal-value": {"value": "4800", "currency": "EUR"},
            "stage": deals::STAGE_QUALIFIED,
            "close-date": {"start_date": "2026-09-30"},
            "company": [seed::ACME_COMPANY_ITEM_ID],
            "owner": [seed::DEMO_PROFILE_ID],
            "buyer-email": [{"type": "work", "value": "buyer@umbrella.example"}],
            "progress": 25,
            "time-spent": 5400,
        },
        "tags": ["podio-js"],
    })
}

/// Fewer than the seeded Deals in Negotiation, so the limit is exercised.
const FILTER_LIMIT: u64 = 3;

/// Deals in Negotiation, by title: the created item (Qualified) never
/// matches, so the answer is checkable after the script has run.
fn filter_body() -> Value {
    json!({
        "filters": {"stage": [deals::STAGE_NEGOTIATION]},
        "sort_by": "title",
        "sort_desc": false,
        "limit": FILTER_LIMIT,
    })
}

/// The first value of the field `external_id` of an item from GET /item.
fn first_value<'a>(item: &'a Value, external_id: &str) -> anyhow::Result<&'a Value> {
    item["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["external_id"] == external_id))
        .and_then(|f| f["values"].get(0))
        .with_context(|| format!("item has no value in field {external_id}: {item}"))
}

fn decimal(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) => s.parse().ok(),
        other => other.as_f64(),
    }
}

async fn check(sim_url: &str, out: &Value) -> anyhow::Result<()> {
    assert_eq!(out["sdk"], "podio-js 1.6.1", "{out}");
    assert_eq!(out["user_id"], seed::DEMO_USER_ID, "{out}");

    let orgs = podio_get(sim_url, "/org/").await?;
    let names: Vec<&Value> = orgs
        .as_array()
        .context("GET /org/ is not an array")?
        .iter()
        .map(|o| &o["name"])
        .collect();
    assert!(!names.is_empty(), "the simulator lists no organizations");
    assert_eq!(out["orgs"], json!(names), "{out}");

    let app = podio_get(sim_url, &format!("/app/{}", seed::DEALS_APP_ID)).await?;
    assert_eq!(out["app"]["app_id"], seed::DEALS_APP_ID, "{out}");
    assert_eq!(out["app"]["name"], app["config"]["name"], "{out}");
    assert_eq!(out["app"]["name"], "Deals", "{out}");

    let filter = &out["filter"];
    let ids = filter["item_ids"].as_array().context("no filter ids")?;
    let filtered = filter["filtered"].as_u64().context("no filtered count")?;
    assert!(!ids.is_empty(), "no Deal in Negotiation came back: {out}");
    assert_eq!(ids.len() as u64, filtered.min(FILTER_LIMIT), "{out}");
    assert!(filtered < filter["total"].as_u64().unwrap_or(0), "{out}");
    let mut titles = Vec::new();
    for id in ids {
        let item = podio_get(sim_url, &format!("/item/{id}")).await?;
        assert_eq!(item["app"]["app_id"], seed::DEALS_APP_ID, "{item}");
        assert_eq!(
            first_value(&item, "stage")?["value"]["id"],
            deals::STAGE_NEGOTIATION,
            "filter answered an item outside the filter: {item}"
        );
        titles.push(item["title"].as_str().unwrap_or_default().to_owned());
    }
    assert!(titles.is_sorted(), "not sorted by title: {titles:?}");

    let item_id = out["item"]["item_id"]
        .as_u64()
        .with_context(|| format!("no created item id: {out}"))?;
    assert_eq!(out["item"]["title"], TITLE, "{out}");
    let item = podio_get(sim_url, &format!("/item/{item_id}")).await?;
    assert_eq!(item["title"], TITLE, "{item}");
    assert_eq!(item["app"]["app_id"], seed::DEALS_APP_ID, "{item}");
    assert_eq!(item["app_item_id"], out["item"]["app_item_id"], "{item}");
    assert_eq!(first_value(&item, "title")?["value"], TITLE);
    assert_eq!(decimal(&first_value(&item, "seats")?["value"]), Some(12.0));
    let money = first_value(&item, "deal-value")?;
    assert_eq!(decimal(&money["value"]), Some(4800.0), "{money}");
    assert_eq!(money["currency"], "EUR", "{money}");
    assert_eq!(
        first_value(&item, "stage")?["value"]["id"],
        deals::STAGE_QUALIFIED
    );
    assert_eq!(
        first_value(&item, "close-date")?["start_date"],
        "2026-09-30"
    );
    assert_eq!(
        first_value(&item, "company")?["value"]["item_id"],
        seed::ACME_COMPANY_ITEM_ID
    );
    assert_eq!(
        first_value(&item, "owner")?["value"]["profile_id"],
        seed::DEMO_PROFILE_ID
    );
    let email = first_value(&item, "buyer-email")?;
    assert_eq!(
        (&email["type"], &email["value"]),
        (&json!("work"), &json!("buyer@umbrella.example"))
    );
    assert_eq!(first_value(&item, "progress")?["value"], 25);
    assert_eq!(first_value(&item, "time-spent")?["value"], 5400);
    assert!(
        item["tags"].as_array().is_some_and(|t| t
            .iter()
            .any(|tag| tag == "podio-js" || tag["text"] == "podio-js")),
        "tag missing: {item}"
    );
    assert_eq!(item["comment_count"], 1, "{item}");

    let task_id = out["task"]["task_id"]
        .as_u64()
        .with_context(|| format!("no task id: {out}"))?;
    assert_eq!(out["task"]["text"], TASK_TEXT, "{out}");
    assert_eq!(out["task"]["ref"], json!({"type": "item", "id": item_id}));
    assert_eq!(out["task"]["listed_on_item"], json!([task_id]), "{out}");
    let task = podio_get(sim_url, &format!("/task/{task_id}")).await?;
    assert_eq!(task["text"], TASK_TEXT, "{task}");
    assert_eq!(task["status"], "active", "{task}");
    assert_eq!(task["ref"]["type"], "item", "{task}");
    assert_eq!(task["ref"]["id"], item_id, "{task}");
    assert_eq!(task["responsible"]["user_id"], seed::DEMO_USER_ID, "{task}");

    let comment_id = out["comment"]["comment_id"]
        .as_u64()
        .with_context(|| format!("no comment id: {out}"))?;
    assert_eq!(out["comment"]["value"], COMMENT, "{out}");
    let comments = podio_get(sim_url, &format!("/comment/item/{item_id}/")).await?;
    let comments = comments.as_array().context("comments are not an array")?;
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["comment_id"], comment_id);
    assert_eq!(comments[0]["value"], COMMENT);
    assert_eq!(comments[0]["created_by"]["id"], seed::DEMO_USER_ID);

    // The script waited the short token out: podio-js must have refreshed it
    // on the 401 and repeated the call.
    assert_eq!(out["token_expires_in"], TOKEN_TTL.as_secs(), "{out}");
    assert_eq!(out["refresh"]["token_changed"], true, "{out}");
    assert_eq!(out["refresh"]["orgs_after"], names.len(), "{out}");
    Ok(())
}

/// A simulator on a free loopback port with short-lived access tokens.
struct RunningSim {
    url: String,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningSim {
    async fn start() -> anyhow::Result<RunningSim> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shutdown = CancellationToken::new();
        let config = podio_sim::Config {
            token_ttl: TOKEN_TTL,
            ..podio_sim::Config::default()
        };
        let server = tokio::spawn(podio_sim::serve(config, listener, shutdown.clone()));
        Ok(RunningSim {
            url,
            shutdown,
            server,
        })
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        Ok(self.server.await??)
    }

    /// The script's environment, logging in with `password`.
    fn vars(&self, password: &str) -> Vec<(&'static str, String)> {
        vec![
            ("PODIO_API_URL", self.url.clone()),
            ("PODIO_CLIENT_ID", seed::DEV_CLIENT_ID.to_owned()),
            ("PODIO_CLIENT_SECRET", seed::DEV_CLIENT_SECRET.to_owned()),
            ("PODIO_USERNAME", seed::DEV_USERNAME.to_owned()),
            ("PODIO_PASSWORD", password.to_owned()),
            ("PODIO_APP_ID", seed::DEALS_APP_ID.to_string()),
            ("PODIO_FILTER", filter_body().to_string()),
            ("PODIO_ITEM", item_body().to_string()),
            ("PODIO_TASK_TEXT", TASK_TEXT.to_owned()),
            ("PODIO_COMMENT", COMMENT.to_owned()),
        ]
    }
}

const SCRIPT: &str = "podio_js_check.js";
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podio_js_sdk_works_against_the_simulator() -> anyhow::Result<()> {
    portico_tests::install_tls_provider();
    let node = js::setup().await?;
    let sim = RunningSim::start().await?;
    let outcome = async {
        let vars = sim.vars(seed::DEV_PASSWORD);
        let out = js::run_script(&node, SCRIPT, &vars, SCRIPT_TIMEOUT).await?;
        check(&sim.url, &out).await
    }
    .await;
    sim.stop().await?;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podio_js_reports_the_simulators_login_error() -> anyhow::Result<()> {
    let node = js::setup().await?;
    let sim = RunningSim::start().await?;
    let outcome =
        js::run_script(&node, SCRIPT, &sim.vars("not-the-password"), SCRIPT_TIMEOUT).await;
    sim.stop().await?;
    let err = outcome.expect_err("logging in with a wrong password succeeded");
    let message = format!("{err:#}");
    // podio-js builds its message from the error_description of Podio's body.
    assert!(
        message.contains("step authenticate failed")
            && message.contains("PodioAuthorizationError")
            && message.contains("invalid username or password"),
        "{message}"
    );
    Ok(())
}
