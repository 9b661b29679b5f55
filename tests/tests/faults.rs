//! Outages, through the microservices shape with a fault proxy on every
//! link and podio-sim's fault injection: for each fault, what a client sees
//! while it lasts, that service resumes after it without a restart, and
//! that nothing a client was told succeeded is lost.

use std::time::{Duration, Instant};

use anyhow::Context;
use podio_sim::seed;
use portico_tests::oauth::{Authorize, OAuthClient, RawAnswer, RawMcp, loopback_redirect};
use portico_tests::proxy::Link;
use portico_tests::{
    PROXIED_PODIO_TIMEOUT_SECS, Stack, podio_item_count, start_microservices_proxied,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn proxied() -> anyhow::Result<Stack> {
    start_microservices_proxied(podio_sim::Config::default(), &[]).await
}

/// Sets podio-sim's fault rules to `rules` (replacing any).
async fn podio_faults(stack: &Stack, rules: Value) -> anyhow::Result<()> {
    let http = portico_tests::http_client(Duration::from_secs(10)).build()?;
    let url = format!("{}/_sim/faults", stack.podio_sim_url);
    http.delete(&url).send().await?.error_for_status()?;
    if rules != json!([]) {
        http.post(&url)
            .json(&rules)
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(())
}

/// How many requests each of podio-sim's rules struck, in order.
async fn podio_hits(stack: &Stack) -> anyhow::Result<Vec<u64>> {
    let http = portico_tests::http_client(Duration::from_secs(10)).build()?;
    let listed: Value = http
        .get(format!("{}/_sim/faults", stack.podio_sim_url))
        .send()
        .await?
        .json()
        .await?;
    listed["rules"]
        .as_array()
        .context("no rules")?
        .iter()
        .map(|rule| rule["hits"].as_u64().context("no hits"))
        .collect()
}

/// The items of the Deals app podio-sim holds.
async fn deals(stack: &Stack) -> anyhow::Result<u64> {
    podio_item_count(&stack.podio_sim_url, seed::DEALS_APP_ID).await
}

fn create_deal(title: &str) -> Value {
    json!({"app_id": seed::DEALS_APP_ID, "fields": {"title": title}})
}

/// The tool result of a JSON-RPC answer, if the call got one.
fn result(answer: &RawAnswer) -> Option<&Value> {
    answer.body.as_ref()?.get("result")
}

fn succeeded(answer: &RawAnswer) -> bool {
    answer.succeeded()
}

/// The text a failed tool call shows the model.
fn tool_error(answer: &RawAnswer) -> anyhow::Result<String> {
    let result = result(answer).with_context(|| format!("no tool result: {:?}", answer.body))?;
    anyhow::ensure!(
        result["isError"] == json!(true),
        "expected a tool error: {result}"
    );
    Ok(result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Calls `name` until it succeeds, for at most 15 s: recovery without a
/// restart.
async fn until_served(mcp: &RawMcp, name: &str, args: &Value) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let answer = mcp.call_tool(name, args.clone()).await?;
        if succeeded(&answer) {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{name} still fails 15 s after the fault ended: {} {:?}",
            answer.status,
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs `scenario` against a proxied stack, then stops the stack whatever
/// the outcome.
async fn with_proxied<F>(scenario: F) -> anyhow::Result<()>
where
    F: AsyncFnOnce(&mut Stack) -> anyhow::Result<()>,
{
    let mut stack = proxied().await?;
    let outcome = scenario(&mut stack).await;
    stack.stop().await?;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podio_failing_reads_are_retried_within_a_bound_and_writes_never() -> anyhow::Result<()> {
    with_proxied(async |stack| {
        let mcp = RawMcp::open(&stack.mcp_url(0), &stack.token).await?;
        let orgs = json!({});

        // One 503 on a read: retried, and the caller never knows.
        podio_faults(
            stack,
            json!([{"method": "GET", "path_prefix": "/org/", "times": 1,
                "fault": {"kind": "status", "status": 503}}]),
        )
        .await?;
        let answer = mcp.call_tool("get_organizations", orgs.clone()).await?;
        assert!(succeeded(&answer), "{:?}", answer.body);
        assert_eq!(podio_hits(stack).await?, vec![1]);

        // Podio down for reads: 1 try + 2 retries, then a clear error.
        podio_faults(
            stack,
            json!([{"method": "GET", "path_prefix": "/org/",
                "fault": {"kind": "status", "status": 503}}]),
        )
        .await?;
        let answer = mcp.call_tool("get_organizations", orgs.clone()).await?;
        let text = tool_error(&answer)?;
        assert!(
            text.to_lowercase().contains("podio") && text.contains("503"),
            "{text}"
        );
        assert_eq!(podio_hits(stack).await?, vec![3], "bounded retries");

        // A write refused by a 502 is not retried, and made nothing.
        let before = deals(stack).await?;
        podio_faults(
            stack,
            json!([{"method": "POST", "path_prefix": "/item/app/",
                "fault": {"kind": "status", "status": 502}}]),
        )
        .await?;
        let answer = mcp
            .call_tool("create_item", create_deal("Refused by a 502"))
            .await?;
        tool_error(&answer)?;
        assert_eq!(podio_hits(stack).await?, vec![1], "a write is sent once");
        assert_eq!(deals(stack).await?, before);

        // A write whose answer is lost: sent once, so made once.
        podio_faults(
            stack,
            json!([{"method": "POST", "path_prefix": "/item/app/",
                "when": "after", "fault": {"kind": "reset"}}]),
        )
        .await?;
        let answer = mcp
            .call_tool("create_item", create_deal("Answer lost"))
            .await?;
        tool_error(&answer)?;
        assert_eq!(podio_hits(stack).await?, vec![1], "never resent");
        assert_eq!(deals(stack).await?, before + 1, "made once, not twice");

        // A body that is not JSON, and a hang past the connector's
        // timeout, are clear errors too.
        podio_faults(
            stack,
            json!([{"path_prefix": "/org/", "fault": {"kind": "malformed"}}]),
        )
        .await?;
        let text = tool_error(&mcp.call_tool("get_organizations", orgs.clone()).await?)?;
        assert!(!text.is_empty());
        podio_faults(
            stack,
            json!([{"path_prefix": "/org/", "times": 1,
                "fault": {"kind": "hang", "ms": 30_000}}]),
        )
        .await?;
        let started = Instant::now();
        let answer = mcp.call_tool("get_organizations", orgs.clone()).await?;
        // The hang is retried once it timed out, and the retry answers.
        assert!(succeeded(&answer), "{:?}", answer.body);
        assert!(started.elapsed() < Duration::from_secs(15));

        // Podio back: everything answers, and every write acknowledged
        // is upstream.
        podio_faults(stack, json!([])).await?;
        let answer = mcp
            .call_tool("create_item", create_deal("After the outage"))
            .await?;
        assert!(succeeded(&answer), "{:?}", answer.body);
        assert_eq!(deals(stack).await?, before + 2);
        anyhow::Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_podio_hanging_for_one_call_does_not_hold_up_the_others() -> anyhow::Result<()> {
    with_proxied(async |stack| {
        let mcp = RawMcp::open(&stack.mcp_url(0), &stack.token).await?;
        // Every task read hangs past the connector's timeout (and its
        // retries); organizations answer.
        podio_faults(
            stack,
            json!([{"path_prefix": "/task/",
                "fault": {"kind": "hang", "ms": 30_000}}]),
        )
        .await?;
        let mcp = std::sync::Arc::new(mcp);
        let mut stuck = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let mcp = mcp.clone();
            stuck.spawn(async move {
                mcp.call_tool("get_task", json!({"task_id": seed::DEMO_TASK_ID}))
                    .await
            });
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        for _ in 0..5 {
            let started = Instant::now();
            let answer = mcp.call_tool("get_organizations", json!({})).await?;
            assert!(succeeded(&answer), "{:?}", answer.body);
            // Well inside one Podio timeout: it did not wait behind the
            // stuck calls.
            assert!(
                started.elapsed() < Duration::from_secs(PROXIED_PODIO_TIMEOUT_SECS),
                "a call waited for the stuck ones: {:?}",
                started.elapsed()
            );
        }
        while let Some(answer) = stuck.join_next().await {
            let answer = answer??;
            assert_eq!(answer.status, StatusCode::OK);
            tool_error(&answer)?;
        }
        anyhow::Ok(())
    })
    .await
}

/// The bulkhead: one user's calls to a Podio that hangs for them hold at
/// most their own in-flight allowance; another user is served as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_podio_hanging_for_one_user_holds_only_that_users_calls() -> anyhow::Result<()> {
    with_proxied(async |stack| {
        let oauth = OAuthClient::new(stack)?;
        let redirect = loopback_redirect();
        let (_, client_id) = oauth
            .registered(&json!({"client_name": "Carla's agent", "redirect_uris": [redirect]}))
            .await?;
        let request = Authorize::new(&client_id, &redirect).podio_key(seed::DEV_CLIENT_ID);
        let carla = oauth
            .tokens(&request, (seed::CARLA_USERNAME, seed::CARLA_PASSWORD), None)
            .await?;
        let carla = std::sync::Arc::new(RawMcp::open(&stack.mcp_url(0), &carla.access).await?);
        let demo = RawMcp::open(&stack.mcp_url(0), &stack.token).await?;
        podio_faults(
            stack,
            json!([{"user_id": seed::CARLA_USER_ID, "path_prefix": "/org/",
                "fault": {"kind": "hang", "ms": 30_000}}]),
        )
        .await?;
        // Carla fills her allowance of calls in flight (16 per replica).
        let mut stuck = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let carla = carla.clone();
            stuck.spawn(async move { carla.call_tool("get_organizations", json!({})).await });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let beyond = carla.call_tool("get_organizations", json!({})).await?;
        assert_eq!(
            beyond.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{:?}",
            beyond.body
        );
        for _ in 0..5 {
            let started = Instant::now();
            let answer = demo.call_tool("get_organizations", json!({})).await?;
            assert!(succeeded(&answer), "{:?}", answer.body);
            assert!(
                started.elapsed() < Duration::from_secs(PROXIED_PODIO_TIMEOUT_SECS),
                "another user waited for Carla's calls: {:?}",
                started.elapsed()
            );
        }
        while let Some(answer) = stuck.join_next().await {
            tool_error(&answer??)?;
        }
        anyhow::Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_unreachable_is_a_retriable_503_and_service_resumes() -> anyhow::Result<()> {
    with_proxied(async |stack| {
        let mcp = RawMcp::open(&stack.mcp_url(0), &stack.token).await?;
        let proxies = stack.proxies.as_ref().context("proxies")?;
        assert!(succeeded(
            &mcp.call_tool("get_organizations", json!({})).await?
        ));

        proxies.redis.cut();
        let started = Instant::now();
        let answer = mcp.call_tool("get_organizations", json!({})).await?;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{:?}",
            answer.body
        );
        assert!(started.elapsed() < Duration::from_secs(10), "no hang");
        let message = answer
            .body
            .as_ref()
            .map(|b| b["error"]["message"].to_string());
        assert!(
            message.as_deref().is_some_and(|m| m.contains("retry")),
            "{message:?}"
        );

        // Slow rather than gone: still an answer, in bounded time.
        proxies.redis.set(Link::Slow(Duration::from_secs(30)));
        let started = Instant::now();
        let answer = mcp.call_tool("get_organizations", json!({})).await?;
        assert!(started.elapsed() < Duration::from_secs(10), "no hang");
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);

        proxies.redis.restore();
        // The same session goes on: nothing was lost.
        until_served(&mcp, "get_organizations", &json!({})).await?;
        anyhow::Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tools_service_killed_under_load_fails_calls_cleanly_and_comes_back()
-> anyhow::Result<()> {
    with_proxied(async |stack| {
        let mcp = std::sync::Arc::new(RawMcp::open(&stack.mcp_url(0), &stack.token).await?);
        let before = deals(stack).await?;
        // Load: writes in a loop, each either acknowledged or not.
        let load = {
            let mcp = mcp.clone();
            tokio::spawn(async move {
                let mut acknowledged = 0u64;
                let mut failed = 0u64;
                let deadline = Instant::now() + Duration::from_secs(4);
                let mut n = 0;
                while Instant::now() < deadline {
                    n += 1;
                    let answer = tokio::time::timeout(
                        Duration::from_secs(20),
                        mcp.call_tool("create_item", create_deal(&format!("Under load {n}"))),
                    )
                    .await
                    .context("a call hung")??;
                    if succeeded(&answer) {
                        acknowledged += 1;
                    } else {
                        // A clean failure: an HTTP error or a JSON-RPC
                        // or tool error, never a hang or a dropped line.
                        anyhow::ensure!(
                            answer.body.is_some(),
                            "a failure without a JSON body: {}",
                            answer.status
                        );
                        failed += 1;
                    }
                    // A steady load, well under the per-token rate limit.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                anyhow::Ok((acknowledged, failed))
            })
        };
        tokio::time::sleep(Duration::from_millis(800)).await;
        stack.kill_tools()?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        stack.restart_tools().await?;
        let (acknowledged, failed) = load.await??;
        assert!(acknowledged > 0, "some calls succeeded");
        assert!(failed > 0, "the outage was seen by some calls");
        // The same session, after the restart.
        until_served(&mcp, "get_organizations", &json!({})).await?;
        let made = deals(stack).await? - before;
        assert!(
            made >= acknowledged,
            "every acknowledged write is in Podio: {made} made, {acknowledged} acknowledged"
        );
        anyhow::Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unreachable_keeps_known_tokens_working_for_a_while_and_refuses_changes()
-> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .try_init();
    with_proxied(async |stack| {
        let mcp = RawMcp::open(&stack.mcp_url(0), &stack.token).await?;
        let proxies = stack.proxies.as_ref().context("proxies")?;
        assert!(succeeded(
            &mcp.call_tool("get_organizations", json!({})).await?
        ));
        let mut auth = portico_tests::oauth::auth_grpc(stack)?;
        let new_token = || {
            portico_tests::oauth::as_admin(portico_proto::auth::v1::CreateApiTokenRequest {
                name: "during the outage".to_owned(),
                ..Default::default()
            })
        };

        proxies.postgres.cut();
        // Past every introspection cache (2 s at the front door and at
        // the tools service): the auth service answers from what it
        // last knew of the token.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let answer = mcp.call_tool("get_organizations", json!({})).await?;
        assert!(succeeded(&answer), "{:?}", answer.body);
        // A token never seen before cannot be checked: a retriable 503.
        let unknown = RawMcp::open(&stack.mcp_url(0), "pt_never_seen_0123456789abcdef").await;
        let Err(refused) = unknown else {
            anyhow::bail!("an unknown token was let in during the outage");
        };
        assert!(refused.to_string().contains("503"), "{refused}");
        // Token changes need the store: a clear, retriable error, soon.
        let started = Instant::now();
        let status = auth
            .create_api_token(new_token()?)
            .await
            .expect_err("refused");
        assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "no hang");

        proxies.postgres.restore();
        let deadline = Instant::now() + Duration::from_secs(15);
        let created = loop {
            match auth.create_api_token(new_token()?).await {
                Ok(created) => break created.into_inner(),
                Err(status) if Instant::now() < deadline => {
                    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(status) => anyhow::bail!("no recovery within 15 s: {status:?}"),
            }
        };
        let fresh = RawMcp::open(&stack.mcp_url(0), &created.token).await?;
        assert!(succeeded(
            &fresh.call_tool("get_organizations", json!({})).await?
        ));
        assert!(succeeded(
            &mcp.call_tool("get_organizations", json!({})).await?
        ));
        anyhow::Ok(())
    })
    .await
}
