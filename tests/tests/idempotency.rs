//! Safe retries of writes across front door replicas, through the
//! microservices shape (two front doors on one Redis, every service its own
//! server, podio-sim upstream): the same `create_item` sent to one replica
//! and then the other, or to both at once, leaves exactly one new item in
//! podio-sim, and the repeats answer the first call's item; the same
//! arguments under two different explicit idempotency keys create two.
//! `portico dev` does the same in memory.

use std::time::Duration;

use anyhow::Context;
use podio_sim::seed;
use portico_tests::{Stack, podio_get, start_dev, start_microservices};
use serde_json::{Value, json};

const REPLAYED: &str = "io.portico/replayed";

/// A 2026-07-28 `tools/call` of `create_item` (stateless, so any replica
/// serves it), with `key` as its explicit idempotency key when given; the
/// JSON-RPC result.
async fn create_item(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    title: &str,
    key: Option<&str>,
) -> anyhow::Result<Value> {
    let mut meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "idempotency-test", "version": "1"},
    });
    if let Some(key) = key {
        meta["io.portico/idempotencyKey"] = json!(key);
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "create_item",
        "arguments": {"app_id": seed::DEALS_APP_ID, "fields": {"title": title}},
        "_meta": meta,
    }});
    let response = http
        .post(url)
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer {token}"))
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "create_item")
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await?;
    anyhow::ensure!(
        status.is_success(),
        "create_item answered {status}: {answer}"
    );
    let result = answer
        .get("result")
        .cloned()
        .with_context(|| format!("no result: {answer}"))?;
    anyhow::ensure!(
        result["isError"] == json!(false),
        "create_item failed: {result}"
    );
    Ok(result)
}

fn item_id(result: &Value) -> anyhow::Result<u64> {
    result["structuredContent"]["item_id"]
        .as_u64()
        .with_context(|| format!("no item_id in {result}"))
}

fn replayed(result: &Value) -> bool {
    result["_meta"][REPLAYED] == json!(true)
}

/// How many items the Deals app holds in podio-sim (a fresh simulator
/// per test, so only this test's writes change it).
async fn deals(stack: &Stack) -> anyhow::Result<u64> {
    portico_tests::podio_item_count(&stack.podio_sim_url, seed::DEALS_APP_ID).await
}

/// The title podio-sim holds for item `id`.
async fn title_of(stack: &Stack, id: u64) -> anyhow::Result<String> {
    let item = podio_get(&stack.podio_sim_url, &format!("/item/{id}")).await?;
    item["title"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("item {id} without a title: {item}"))
}

async fn scenarios(stack: &Stack) -> anyhow::Result<()> {
    let http = portico_tests::http_client(Duration::from_secs(30)).build()?;
    let (first, second) = (stack.mcp_url(0), stack.mcp_url(1));
    let token = stack.token.as_str();

    // Replica 0, then the very same call on replica 1.
    let before = deals(stack).await?;
    let title = "Idempotent deal: one replica then the other";
    let original = create_item(&http, &first, token, title, None).await?;
    let repeat = create_item(&http, &second, token, title, None).await?;
    assert!(!replayed(&original), "{original}");
    assert!(replayed(&repeat), "{repeat}");
    assert_eq!(item_id(&repeat)?, item_id(&original)?);
    assert_eq!(title_of(stack, item_id(&original)?).await?, title);
    assert_eq!(
        deals(stack).await?,
        before + 1,
        "one item upstream, not two"
    );

    // Both replicas at once.
    let title = "Idempotent deal: both replicas at once";
    let (a, b) = tokio::join!(
        create_item(&http, &first, token, title, None),
        create_item(&http, &second, token, title, None),
    );
    let (a, b) = (a?, b?);
    assert_eq!(item_id(&a)?, item_id(&b)?);
    assert_eq!(
        [replayed(&a), replayed(&b)].iter().filter(|r| **r).count(),
        1,
        "one original, one replay: {a} {b}"
    );
    assert_eq!(title_of(stack, item_id(&a)?).await?, title);
    assert_eq!(deals(stack).await?, before + 2, "one more item, not two");

    // Two explicit keys are two writes; each key repeated is still one.
    let title = "Idempotent deal: two explicit keys";
    let k1 = create_item(&http, &first, token, title, Some("retry-test-k1")).await?;
    let k2 = create_item(&http, &second, token, title, Some("retry-test-k2")).await?;
    assert!(!replayed(&k1) && !replayed(&k2));
    assert_ne!(item_id(&k1)?, item_id(&k2)?);
    let k1_again = create_item(&http, &second, token, title, Some("retry-test-k1")).await?;
    assert!(replayed(&k1_again));
    assert_eq!(item_id(&k1_again)?, item_id(&k1)?);
    assert_eq!(deals(stack).await?, before + 4, "two keys, two more items");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_write_on_two_replicas_creates_one_item() -> anyhow::Result<()> {
    let stack = start_microservices().await?;
    let outcome = scenarios(&stack).await;
    stack.stop().await?;
    outcome
}

/// `portico dev` remembers writes in memory: the same call twice on its one
/// front door is one item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portico_dev_replays_a_repeated_write() -> anyhow::Result<()> {
    let stack = start_dev().await?;
    let outcome = async {
        let http = portico_tests::http_client(Duration::from_secs(30)).build()?;
        let url = stack.mcp_url(0);
        let before = deals(&stack).await?;
        let title = "Idempotent deal in dev";
        let original = create_item(&http, &url, &stack.token, title, None).await?;
        let repeat = create_item(&http, &url, &stack.token, title, None).await?;
        assert!(!replayed(&original) && replayed(&repeat), "{repeat}");
        assert_eq!(item_id(&repeat)?, item_id(&original)?);
        assert_eq!(deals(&stack).await?, before + 1);
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}
