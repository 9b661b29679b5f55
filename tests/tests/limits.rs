//! Limits across front door replicas, through the microservices shape: two
//! front doors on one Redis count one token's requests exactly together,
//! serve each other's legacy sessions even after one of them is gone, and
//! throttle a flood of bad tokens from one address without locking out
//! other addresses.
//!
//! (`e2e.rs` covers opening a session on one replica, using it and ending it
//! on the other; here the first replica is stopped while the session goes
//! on.)

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anyhow::Context;
use portico_tests::{Stack, start_microservices_configured};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The per-minute limit of the concurrency test.
const LIMIT: u64 = 150;
/// Concurrent clients, spread over both replicas.
const CLIENTS: usize = 120;
/// Requests each client sends: 360 in all, well over the limit.
const REQUESTS_PER_CLIENT: usize = 3;
/// Failed authentications one address may make per minute.
const AUTH_FAILURES: u64 = 8;

async fn stack(extra: &[(&str, &str)]) -> anyhow::Result<Stack> {
    start_microservices_configured(podio_sim::Config::default(), extra).await
}

/// Runs `test` against `stack`, then stops the stack, failing with the
/// test's error first.
async fn run<F, Fut>(stack: Stack, test: F) -> anyhow::Result<()>
where
    F: FnOnce(std::sync::Arc<Stack>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let stack = std::sync::Arc::new(stack);
    let outcome = test(stack.clone()).await;
    let stack = std::sync::Arc::into_inner(stack).context("stack still shared")?;
    stack.stop().await?;
    outcome
}

fn http() -> anyhow::Result<reqwest::Client> {
    Ok(portico_tests::http_client(Duration::from_secs(30)).build()?)
}

/// A 2026-07-28 request: everything it needs is in the request itself.
fn modern(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    id: u64,
    method: &str,
) -> reqwest::RequestBuilder {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "limits-test", "version": "1"},
    }}});
    http.post(url)
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer {token}"))
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", method)
        .json(&body)
}

/// A legacy request, in session `session` when given.
fn legacy(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    session: Option<&str>,
    body: &Value,
) -> reqwest::RequestBuilder {
    let mut request = http
        .post(url)
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer {token}"));
    if let Some(session) = session {
        request = request
            .header("Mcp-Session-Id", session)
            .header("MCP-Protocol-Version", "2025-11-25");
    }
    request.json(body)
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_admit_exactly_the_limit_together() -> anyhow::Result<()> {
    let limit = LIMIT.to_string();
    let stack = stack(&[
        ("PORTICO_RATE_LIMIT_PER_MINUTE", &limit),
        // The in-flight bound per principal is not what is measured here.
        ("PORTICO_MAX_CALLS_PER_PRINCIPAL", "1000"),
    ])
    .await?;
    run(stack, |stack| async move {
        let http = http()?;
        let mut clients = tokio::task::JoinSet::new();
        for client in 0..CLIENTS {
            let (http, stack) = (http.clone(), stack.clone());
            clients.spawn(async move {
                let mut answers = Vec::new();
                for n in 0..REQUESTS_PER_CLIENT {
                    // Each client alternates replicas, and so do neighbours.
                    let replica = (client + n) % 2;
                    let id = (client * REQUESTS_PER_CLIENT + n) as u64;
                    let response = modern(
                        &http,
                        &stack.mcp_url(replica),
                        &stack.token,
                        id,
                        "server/discover",
                    )
                    .send()
                    .await?;
                    let status = response.status();
                    let retry_after = header(&response, "retry-after");
                    let limit_header = header(&response, "ratelimit-limit");
                    let remaining = header(&response, "ratelimit-remaining");
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    answers.push((status, retry_after, limit_header, remaining, body));
                }
                anyhow::Ok(answers)
            });
        }
        let mut admitted = 0u64;
        let mut refused = 0u64;
        let mut remainings = std::collections::BTreeSet::new();
        while let Some(done) = clients.join_next().await {
            for (status, retry_after, limit_header, remaining, body) in done?? {
                assert_eq!(limit_header.as_deref(), Some(limit.as_str()), "{status} {body}");
                match status {
                    StatusCode::OK => {
                        admitted += 1;
                        remainings.insert(remaining.context("RateLimit-Remaining")?);
                    }
                    StatusCode::TOO_MANY_REQUESTS => {
                        refused += 1;
                        let retry: u64 = retry_after.context("429 without Retry-After")?.parse()?;
                        assert!((1..=60).contains(&retry), "Retry-After {retry}");
                        assert_eq!(remaining.as_deref(), Some("0"));
                        assert_eq!(body["error"]["data"]["window"], "1m", "{body}");
                    }
                    other => anyhow::bail!("unexpected {other}: {body}"),
                }
            }
        }
        let total = (CLIENTS * REQUESTS_PER_CLIENT) as u64;
        let ratio = admitted as f64 / LIMIT as f64;
        println!(
            "admitted {admitted} of {total} with a limit of {LIMIT} across two replicas (ratio {ratio:.4})"
        );
        assert_eq!(admitted + refused, total);
        assert!(admitted <= LIMIT, "admitted {admitted} > limit {LIMIT}");
        assert!(
            admitted * 100 >= LIMIT * 99,
            "admitted {admitted} < 99% of {LIMIT}"
        );
        // Every admitted request saw its own place in the window.
        assert_eq!(remainings.len() as u64, admitted);
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_outlives_the_replica_that_opened_it() -> anyhow::Result<()> {
    let stack = stack(&[]).await?;
    run(stack, |stack| async move {
        let http = http()?;
        let token = stack.token.as_str();

        // 2026-07-28 needs no session: requests alternate between replicas.
        for id in 0..6u64 {
            let replica = (id % 2) as usize;
            let method = if id % 3 == 0 {
                "server/discover"
            } else {
                "tools/list"
            };
            let response = modern(&http, &stack.mcp_url(replica), token, id, method)
                .send()
                .await?;
            let status = response.status();
            let body: Value = response.json().await?;
            anyhow::ensure!(status == 200, "{method} on {replica}: {status} {body}");
            anyhow::ensure!(body.get("result").is_some(), "{body}");
        }

        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "limits-test", "version": "1"}}});
        let response = legacy(&http, &stack.mcp_url(0), token, None, &init)
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "initialize: {}",
            response.status()
        );
        let session = header(&response, "mcp-session-id").context("no Mcp-Session-Id")?;
        let list = |id: u64| json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"});
        let response = legacy(&http, &stack.mcp_url(1), token, Some(&session), &list(2))
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "on replica 1: {}",
            response.status()
        );

        stack.stop_frontdoor(0).await?;
        anyhow::ensure!(
            http.get(format!("{}/health", stack.frontdoors[0]))
                .send()
                .await
                .is_err(),
            "replica 0 still answers"
        );
        for id in 3..6 {
            let response = legacy(&http, &stack.mcp_url(1), token, Some(&session), &list(id))
                .send()
                .await?;
            let status = response.status();
            let body: Value = response.json().await?;
            anyhow::ensure!(status == 200, "after replica 0 stopped: {status} {body}");
            anyhow::ensure!(
                body["result"]["tools"]
                    .as_array()
                    .is_some_and(|t| !t.is_empty()),
                "{body}"
            );
        }
        let ping = json!({"jsonrpc": "2.0", "id": 9, "method": "ping"});
        let response = legacy(&http, &stack.mcp_url(1), token, Some(&session), &ping)
            .send()
            .await?;
        anyhow::ensure!(response.status() == 200, "ping: {}", response.status());
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_flood_is_throttled_per_source_address() -> anyhow::Result<()> {
    let failures = AUTH_FAILURES.to_string();
    let stack = stack(&[("PORTICO_AUTH_FAILURES_PER_MINUTE", &failures)]).await?;
    run(stack, |stack| async move {
        // Every client here connects from 127.0.0.1 unless bound elsewhere;
        // all of 127.0.0.0/8 is loopback, so 127.0.0.2 is another address.
        let flood = http()?;
        let other = portico_tests::http_client(Duration::from_secs(30))
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
            .build()?;
        let bad = "portico_pat_not-a-real-token";

        // The budget is shared by both replicas.
        for n in 0..AUTH_FAILURES {
            let replica = (n % 2) as usize;
            let response = modern(&flood, &stack.mcp_url(replica), bad, n, "server/discover")
                .send()
                .await?;
            anyhow::ensure!(
                response.status() == 401,
                "failure {n} on {replica}: {}",
                response.status()
            );
        }
        for replica in [0, 1] {
            let response = modern(&flood, &stack.mcp_url(replica), bad, 99, "server/discover")
                .send()
                .await?;
            anyhow::ensure!(
                response.status() == 429,
                "over the budget on {replica}: {}",
                response.status()
            );
            let retry: u64 = header(&response, "retry-after")
                .context("429 without Retry-After")?
                .parse()?;
            anyhow::ensure!((1..=60).contains(&retry), "Retry-After {retry}");
            anyhow::ensure!(
                header(&response, "www-authenticate").is_none(),
                "a throttled request is not an auth challenge"
            );
            let body: Value = response.json().await?;
            anyhow::ensure!(
                body["error"]["data"]["failedAuthentication"] == json!(true),
                "{body}"
            );
        }

        // The decision: the address as a whole waits out the minute, a good
        // token too unless this replica verified it within the last two
        // seconds. The stack's token has never been used over HTTP.
        let response = modern(
            &flood,
            &stack.mcp_url(1),
            &stack.token,
            100,
            "server/discover",
        )
        .send()
        .await?;
        anyhow::ensure!(
            response.status() == 429,
            "good token from the throttled address: {}",
            response.status()
        );

        // Another address is not affected, for bad tokens or good ones.
        let response = modern(&other, &stack.mcp_url(0), bad, 101, "server/discover")
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 401,
            "bad token from elsewhere: {}",
            response.status()
        );
        let response = modern(
            &other,
            &stack.mcp_url(1),
            &stack.token,
            102,
            "server/discover",
        )
        .send()
        .await?;
        anyhow::ensure!(
            response.status() == 200,
            "good token from elsewhere: {}",
            response.status()
        );
        Ok(())
    })
    .await
}
