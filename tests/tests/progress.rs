//! Progress through every hop of the microservices shape: a 2026-07-28
//! `tools/call` with a progress token gets its `notifications/progress`
//! (from the tools service's streaming CallTool, through the front door)
//! in order on an SSE reply, before its result.

use podio_sim::seed::DEALS_APP_ID;
use portico_tests::start_microservices;
use serde_json::{Value, json};

const MODERN: &str = "2026-07-28";

async fn call_with_progress(
    mcp_url: &str,
    token: &str,
    name: &str,
    arguments: Value,
) -> anyhow::Result<(String, Vec<Value>)> {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {
            "name": name, "arguments": arguments,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientInfo": {"name": "progress-test", "version": "1"},
                "io.modelcontextprotocol/clientCapabilities": {},
                "progressToken": "summary-1",
            },
        },
    });
    let reply = reqwest::Client::new()
        .post(mcp_url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", "tools/call")
        .header("mcp-name", name)
        .json(&body)
        .send()
        .await?;
    let content_type = reply
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = reply.text().await?;
    let events = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(serde_json::from_str)
        .collect::<Result<Vec<Value>, _>>()?;
    Ok((content_type, events))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_call_with_a_progress_token_streams_ordered_progress_before_its_result()
-> anyhow::Result<()> {
    let stack = start_microservices().await?;
    let outcome = async {
        let (content_type, events) = call_with_progress(
            &stack.mcp_url(0),
            &stack.token,
            "get_app_summary",
            json!({"app_id": DEALS_APP_ID}),
        )
        .await?;
        anyhow::ensure!(content_type == "text/event-stream", "{content_type}");
        let (result, notes) = events
            .split_last()
            .ok_or_else(|| anyhow::anyhow!("no events"))?;
        anyhow::ensure!(
            result["id"] == 1 && result["result"]["isError"] == false,
            "{result}"
        );
        let progress: Vec<f64> = notes
            .iter()
            .filter(|n| n["method"] == "notifications/progress")
            .map(|n| {
                anyhow::ensure!(n["params"]["progressToken"] == "summary-1", "{n}");
                n["params"]["progress"]
                    .as_f64()
                    .ok_or_else(|| anyhow::anyhow!("{n}"))
            })
            .collect::<anyhow::Result<_>>()?;
        anyhow::ensure!(progress.len() >= 2, "too little progress: {events:?}");
        anyhow::ensure!(
            progress.windows(2).all(|w| w[0] <= w[1]),
            "progress went backwards: {progress:?}"
        );
        let total = notes
            .iter()
            .rev()
            .find(|n| n["method"] == "notifications/progress")
            .and_then(|n| n["params"]["total"].as_f64());
        anyhow::ensure!(
            total == progress.last().copied(),
            "the last progress is not the total: {events:?}"
        );
        Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}
