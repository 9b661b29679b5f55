//! Prometheus metrics through the microservices shape: after tool calls, an
//! upstream error and a 429, the process's `/metrics` listener (the
//! services run in this process, so they share its registry) shows the
//! front door's, the tools service's and the connector's counters moved.

use std::time::Duration;

use portico_tests::{mcp, start_microservices_configured};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The value of the sample `series` (name and labels exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_move_with_tool_calls_upstream_errors_and_refusals() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let metrics_url = format!("http://{}/metrics", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(portico_runtime::metrics::serve(listener, shutdown.clone()));
    let stack = start_microservices_configured(
        podio_sim::Config::default(),
        &[("PORTICO_RATE_LIMIT_PER_MINUTE", "6")],
    )
    .await?;
    let outcome = async {
        let http = portico_tests::http_client(Duration::from_secs(30)).build()?;
        let client = mcp::connect(&stack.mcp_url(0), &stack.token).await?;
        let orgs = mcp::call(&client, "get_organizations", json!({})).await?;
        anyhow::ensure!(orgs.is_error != Some(true), "{orgs:?}");
        // An item that does not exist: Podio answers 404, the tool an error.
        let missing = mcp::call(&client, "get_item", json!({"item_id": 999_999_999})).await?;
        anyhow::ensure!(missing.is_error == Some(true), "{missing:?}");
        // Spend the rest of the minute's six requests, then one more.
        let mut refused = false;
        for _ in 0..6 {
            if mcp::call(&client, "get_organizations", json!({}))
                .await
                .is_err()
            {
                refused = true;
                break;
            }
        }
        anyhow::ensure!(refused, "the seventh request of the minute was refused");

        let text = http.get(&metrics_url).send().await?.text().await?;
        let at_least = |series: &str, floor: f64| -> anyhow::Result<()> {
            let value = sample(&text, series).unwrap_or(0.0);
            anyhow::ensure!(
                value >= floor,
                "{series} = {value}, want >= {floor}:\n{text}"
            );
            Ok(())
        };
        at_least(
            "portico_frontdoor_tool_calls_total{tool=\"get_organizations\",outcome=\"ok\"}",
            1.0,
        )?;
        at_least(
            "portico_frontdoor_tool_calls_total{tool=\"get_item\",outcome=\"tool_error\"}",
            1.0,
        )?;
        at_least(
            "portico_connector_upstream_requests_total{status=\"200\"}",
            1.0,
        )?;
        at_least(
            "portico_connector_upstream_requests_total{status=\"404\"}",
            1.0,
        )?;
        at_least("portico_frontdoor_rate_limited_total{tier=\"minute\"}", 1.0)?;
        at_least(
            "portico_frontdoor_http_requests_total{route=\"mcp\",status=\"429\"}",
            1.0,
        )?;
        at_least("portico_frontdoor_legacy_sessions_opened_total", 1.0)?;
        at_least(
            "portico_tools_token_cache_lookups_total{outcome=\"miss\"}",
            1.0,
        )?;
        at_least(
            "portico_tools_token_cache_lookups_total{outcome=\"hit\"}",
            1.0,
        )?;
        anyhow::ensure!(
            text.contains("portico_frontdoor_tool_call_duration_seconds_bucket{"),
            "{text}"
        );
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    shutdown.cancel();
    server.await??;
    outcome
}
