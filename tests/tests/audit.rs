//! The audit log through the microservices shape: a create and an update
//! by MCP tool calls (recorded by the tools service in the auth service's
//! log, who from the token) and a token revocation by an operator, read
//! back with the client behind `portico admin audit`, filtered by user.

use podio_sim::seed::DEALS_APP_ID;
use portico::admin::AdminClient;
use portico_runtime::env::map;
use portico_tests::{ADMIN_SECRET, mcp, start_microservices};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_a_token_revocation_are_in_the_audit_log() -> anyhow::Result<()> {
    let stack = start_microservices().await?;
    let outcome = async {
        let auth_url = stack
            .grpc_services
            .iter()
            .find(|(name, _)| *name == "portico.auth.v1.Auth")
            .map(|(_, url)| url.clone())
            .ok_or_else(|| anyhow::anyhow!("no auth service"))?;
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

        let events = admin.audit(None, None, None, 100).await?;
        let find = |action: &str| {
            events
                .iter()
                .find(|e| e.action == action)
                .ok_or_else(|| anyhow::anyhow!("no {action} in {events:#?}"))
        };
        let create = find("tool.create_item")?;
        anyhow::ensure!(create.target == format!("item:{item_id}"), "{create:?}");
        anyhow::ensure!(create.outcome == "ok" && create.subject.starts_with("token:"));
        anyhow::ensure!(create.credential_mode == "service", "{create:?}");
        anyhow::ensure!(create.at > 0 && create.id > 0);
        let update = find("tool.update_item")?;
        anyhow::ensure!(update.target == format!("item:{item_id}") && update.outcome == "ok");
        anyhow::ensure!(update.subject == create.subject);
        anyhow::ensure!(!events.iter().any(|e| e.action == "tool.get_item"));
        let revoke = find("api_token.revoke")?;
        anyhow::ensure!(revoke.target == format!("api_token:{doomed_id}"));
        anyhow::ensure!(revoke.subject == "admin");
        // Newest first.
        anyhow::ensure!(events.windows(2).all(|w| w[0].id > w[1].id));

        // Filtered by user: only that principal's writes.
        let mine = admin.audit(Some(&create.subject), None, None, 100).await?;
        anyhow::ensure!(mine.len() == 2, "{mine:#?}");
        anyhow::ensure!(mine.iter().all(|e| e.subject == create.subject));
        // Without the admin secret the log stays closed.
        let stranger = AdminClient::from_env(&map(&[("PORTICO_AUTH_URL", &auth_url)]))?;
        anyhow::ensure!(stranger.audit(None, None, None, 10).await.is_err());
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}
