//! The audit log through the microservices shape: a create and an update
//! by MCP tool calls (recorded by the tools service in the auth service's
//! log, who from the token) and a token revocation by an operator, read
//! back with the real binary's `portico admin audit`, filtered by user and
//! by time.

use podio_sim::seed::DEALS_APP_ID;
use portico::admin::AdminClient;
use portico_runtime::env::map;
use portico_tests::processes::run_portico;
use portico_tests::{ADMIN_SECRET, mcp, start_microservices};
use serde_json::json;

/// One row of `portico admin audit`'s tab-separated listing.
#[derive(Debug)]
struct Row {
    time: String,
    user: String,
    client: String,
    mode: String,
    action: String,
    target: String,
    outcome: String,
}

/// Runs `portico admin audit <args>` against `auth_url` with `env` and
/// parses its listing (header checked).
async fn audit(auth_url: &str, secret: Option<&str>, args: &[&str]) -> anyhow::Result<Vec<Row>> {
    let mut env = vec![("PORTICO_AUTH_URL", auth_url)];
    env.extend(secret.map(|s| ("PORTICO_ADMIN_SECRET", s)));
    let mut argv = vec!["admin", "audit"];
    argv.extend_from_slice(args);
    let (status, stdout, stderr) = run_portico(&argv, &env).await?;
    anyhow::ensure!(status.success(), "portico {argv:?}: {status}: {stderr}");
    let mut lines = stdout.lines();
    anyhow::ensure!(
        lines.next() == Some("time\tuser\tclient\tmode\taction\ttarget\toutcome\ttrace"),
        "{stdout}"
    );
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            anyhow::ensure!(cells.len() == 8, "a row of 8 cells: {line:?}");
            Ok(Row {
                time: cells[0].to_owned(),
                user: cells[1].to_owned(),
                client: cells[2].to_owned(),
                mode: cells[3].to_owned(),
                action: cells[4].to_owned(),
                target: cells[5].to_owned(),
                outcome: cells[6].to_owned(),
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_a_token_revocation_are_in_the_audit_log() -> anyhow::Result<()> {
    let stack = start_microservices().await?;
    let outcome = async {
        let auth_url = stack.grpc_url(portico_auth::SERVICE_NAME)?;
        let admin = AdminClient::from_env(&map(&[
            ("PORTICO_AUTH_URL", &auth_url),
            ("PORTICO_ADMIN_SECRET", ADMIN_SECRET),
        ]))?;

        let client = mcp::connect(&stack.mcp_url(0), &stack.token).await?;
        let created = mcp::call(
            &client,
            "create_item",
            json!({"app_id": DEALS_APP_ID, "fields": {"title": "Audited deal"}}),
        )
        .await?;
        let item_id = mcp::structured(&created)?["item_id"]
            .as_u64()
            .ok_or_else(|| anyhow::anyhow!("no item id: {created:?}"))?;
        let updated = mcp::call(
            &client,
            "update_item",
            json!({"item_id": item_id, "fields": {"title": "Audited deal, renamed"}}),
        )
        .await?;
        anyhow::ensure!(updated.is_error != Some(true), "{updated:?}");
        // A read is not audited.
        mcp::call(&client, "get_item", json!({"item_id": item_id})).await?;

        let doomed = admin.create_token("doomed", &[], &[], &[]).await?;
        let doomed_id = doomed.info.map(|i| i.id).unwrap_or_default();
        admin.revoke_token(&doomed_id).await?;

        let events = audit(&auth_url, Some(ADMIN_SECRET), &[]).await?;
        let find = |action: &str| {
            events
                .iter()
                .find(|e| e.action == action)
                .ok_or_else(|| anyhow::anyhow!("no {action} in {events:#?}"))
        };
        let create = find("tool.create_item")?;
        anyhow::ensure!(create.target == format!("item:{item_id}"), "{create:?}");
        anyhow::ensure!(create.outcome == "ok" && create.user.starts_with("token:"));
        anyhow::ensure!(create.mode == "service", "{create:?}");
        // A personal token goes through no OAuth client.
        anyhow::ensure!(create.client == "-", "{create:?}");
        anyhow::ensure!(create.time.ends_with('Z'), "RFC 3339 UTC: {create:?}");
        let update = find("tool.update_item")?;
        anyhow::ensure!(update.target == format!("item:{item_id}") && update.outcome == "ok");
        anyhow::ensure!(update.user == create.user);
        anyhow::ensure!(!events.iter().any(|e| e.action == "tool.get_item"));
        let revoke = find("api_token.revoke")?;
        anyhow::ensure!(revoke.target == format!("api_token:{doomed_id}"));
        anyhow::ensure!(revoke.user == "admin");
        // Newest first (RFC 3339 UTC sorts as text).
        anyhow::ensure!(events.windows(2).all(|w| w[0].time >= w[1].time));

        // Filtered by user: only that principal's writes, newest first.
        let mine = audit(&auth_url, Some(ADMIN_SECRET), &["--user", &create.user]).await?;
        anyhow::ensure!(mine.len() == 2, "{mine:#?}");
        anyhow::ensure!(mine.iter().all(|e| e.user == create.user));
        anyhow::ensure!(mine[0].action == "tool.update_item", "{mine:#?}");
        // Filtered by time: nothing is from the future, all from the last hour.
        let recent = audit(&auth_url, Some(ADMIN_SECRET), &["--since", "1h"]).await?;
        anyhow::ensure!(recent.len() == events.len(), "{recent:#?}");
        let later = audit(
            &auth_url,
            Some(ADMIN_SECRET),
            &["--since", "2999-01-01T00:00:00Z"],
        )
        .await?;
        anyhow::ensure!(later.is_empty(), "{later:#?}");
        // A bad filter is refused, saying what is accepted.
        let (status, _, stderr) = run_portico(
            &["admin", "audit", "--since", "yesterday"],
            &[
                ("PORTICO_AUTH_URL", &auth_url),
                ("PORTICO_ADMIN_SECRET", ADMIN_SECRET),
            ],
        )
        .await?;
        anyhow::ensure!(!status.success() && stderr.contains("RFC 3339"), "{stderr}");
        // Without the admin secret the log stays closed.
        anyhow::ensure!(audit(&auth_url, None, &[]).await.is_err());
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}
