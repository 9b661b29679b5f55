//! Prometheus metrics of the microservices shape run as processes of the
//! real binary: after tool calls, an upstream error and a 429, each
//! process's own `/metrics` listener shows its counters moved (front door,
//! tools, connector, auth), and only its own.

use std::time::Duration;

use portico_tests::{mcp, start_processes};
use serde_json::json;

/// The value of the sample `series` (name and labels exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_move_with_tool_calls_upstream_errors_and_refusals() -> anyhow::Result<()> {
    let stack = start_processes(&[("PORTICO_RATE_LIMIT_PER_MINUTE", "6")]).await?;
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

        let mut scraped = std::collections::HashMap::new();
        for process in &stack.processes {
            let response = http.get(process.metrics_url()).send().await?;
            anyhow::ensure!(response.status().is_success(), "{}", process.name);
            scraped.insert(process.name.as_str(), response.text().await?);
        }
        let at_least = |process: &str, series: &str, floor: f64| -> anyhow::Result<()> {
            let text = scraped.get(process).map(String::as_str).unwrap_or_default();
            let value = sample(text, series).unwrap_or(0.0);
            anyhow::ensure!(
                value >= floor,
                "{process}: {series} = {value}, want >= {floor}:\n{text}"
            );
            Ok(())
        };
        let front = "frontdoor";
        at_least(
            front,
            "portico_frontdoor_tool_calls_total{tool=\"get_organizations\",outcome=\"ok\"}",
            1.0,
        )?;
        at_least(
            front,
            "portico_frontdoor_tool_calls_total{tool=\"get_item\",outcome=\"tool_error\"}",
            1.0,
        )?;
        at_least(
            front,
            "portico_frontdoor_rate_limited_total{tier=\"minute\"}",
            1.0,
        )?;
        at_least(
            front,
            "portico_frontdoor_http_requests_total{route=\"mcp\",status=\"429\"}",
            1.0,
        )?;
        at_least(front, "portico_frontdoor_legacy_sessions_opened_total", 1.0)?;
        at_least(
            "connector",
            "portico_connector_upstream_requests_total{status=\"200\"}",
            1.0,
        )?;
        at_least(
            "connector",
            "portico_connector_upstream_requests_total{status=\"404\"}",
            1.0,
        )?;
        at_least(
            "tools",
            "portico_tools_token_cache_lookups_total{outcome=\"miss\"}",
            1.0,
        )?;
        at_least(
            "tools",
            "portico_tools_token_cache_lookups_total{outcome=\"hit\"}",
            1.0,
        )?;
        // Every gRPC server counts and times its RPCs: the tools service
        // answered each call, the connector each Podio request, the auth
        // service the token checks and the connector's credential lookups.
        for (process, service, floor) in [
            // CallTool or CallToolStream: three calls passed the limiter.
            (
                "tools",
                "service=\"portico.tools.v1.Tools\",rpc=\"/portico.tools.v1.Tools/CallTool",
                3.0,
            ),
            ("auth", "service=\"portico.auth.v1.Auth\"", 1.0),
            (
                "connector",
                "service=\"portico.connector.v1.Connector\"",
                2.0,
            ),
        ] {
            let text = scraped.get(process).map(String::as_str).unwrap_or_default();
            let answered: f64 = text
                .lines()
                .filter(|l| {
                    l.starts_with(&format!("portico_grpc_server_requests_total{{{service}"))
                })
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum();
            anyhow::ensure!(
                answered >= floor,
                "{process} counted {answered} RPCs of {service}, want >= {floor}:\n{text}"
            );
            anyhow::ensure!(
                text.contains("portico_grpc_server_request_duration_seconds_bucket{"),
                "{process} has no RPC latency histogram:\n{text}"
            );
        }
        anyhow::ensure!(
            scraped[front].contains("portico_frontdoor_tool_call_duration_seconds_bucket{"),
            "{}",
            scraped[front]
        );
        // The front door logged one JSON line per request, the 429 included.
        let frontdoor = stack
            .processes
            .iter()
            .find(|p| p.name == front)
            .ok_or_else(|| anyhow::anyhow!("no front door process"))?;
        let finished: Vec<serde_json::Value> = frontdoor
            .log()
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|line| line["fields"]["message"] == "request finished")
            .collect();
        anyhow::ensure!(
            finished.iter().any(|l| l["fields"]["status"] == 429)
                && finished
                    .iter()
                    .all(|l| l["fields"].get("trace_id").is_some()),
            "{finished:#?}"
        );
        // One registry per process: the front door does not show what the
        // connector counted, nor the connector the front door's requests.
        anyhow::ensure!(
            !scraped[front].contains("portico_connector_"),
            "{}",
            scraped[front]
        );
        anyhow::ensure!(
            !scraped["connector"].contains("portico_frontdoor_"),
            "{}",
            scraped["connector"]
        );
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}
