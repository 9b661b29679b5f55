//! Personal API tokens limited to a workspace and to reading, made through the
//! operator's admin API and used through `/mcp` in the microservices shape:
//! the limits hold through every layer, and a write with a read-only token
//! gets HTTP 403 with the step-up challenge.

use podio_sim::seed::{SALES_SPACE_ID, SUPPORT_SPACE_ID};
use portico_proto::auth::v1::{CreateApiTokenRequest, ListApiTokensRequest, RevokeApiTokenRequest};
use portico_proto::vocab::Scope;
use portico_tests::oauth::{RawMcp, as_admin, auth_grpc, sessions_on_every_replica, with_stack};
use portico_tests::{Stack, mcp};
use reqwest::StatusCode;
use serde_json::json;

async fn limited_token(stack: &Stack, request: CreateApiTokenRequest) -> anyhow::Result<String> {
    Ok(auth_grpc(stack)?
        .create_api_token(as_admin(request)?)
        .await?
        .into_inner()
        .token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_limited_to_one_workspace_cannot_reach_another() -> anyhow::Result<()> {
    with_stack(async |stack| {
        let token = limited_token(
            stack,
            CreateApiTokenRequest {
                name: "sales only".to_owned(),
                space_ids: vec![i64::try_from(SALES_SPACE_ID)?],
                ..Default::default()
            },
        )
        .await?;
        let client = mcp::connect(&stack.mcp_url(0), &token).await?;
        let sales = mcp::call(&client, "get_space", json!({"space_id": SALES_SPACE_ID})).await?;
        mcp::structured(&sales)?;
        let support =
            mcp::call(&client, "get_space", json!({"space_id": SUPPORT_SPACE_ID})).await?;
        let refusal = mcp::error_text(&support)?;
        anyhow::ensure!(
            refusal.contains("limited to workspace")
                && refusal.contains(&SUPPORT_SPACE_ID.to_string()),
            "unexpected refusal: {refusal}"
        );
        // Lists are filtered and say so.
        let orgs = mcp::call(&client, "get_organizations", json!({})).await?;
        let orgs = mcp::structured(&orgs)?;
        let shown = orgs.to_string();
        anyhow::ensure!(
            shown.contains(&SALES_SPACE_ID.to_string())
                && !shown.contains(&format!("\"space_id\":{SUPPORT_SPACE_ID}")),
            "organizations not filtered to the token's workspace: {shown}"
        );
        anyhow::ensure!(
            orgs.get("limited_to_workspaces").is_some(),
            "the filtered list does not say it was limited: {shown}"
        );
        client.cancel().await?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_gets_the_step_up_challenge_on_a_write() -> anyhow::Result<()> {
    with_stack(async |stack| {
        let token = limited_token(
            stack,
            CreateApiTokenRequest {
                name: "reader".to_owned(),
                scopes: vec![Scope::PodioRead as i32],
                ..Default::default()
            },
        )
        .await?;
        let raw = RawMcp::open(&stack.mcp_url(0), &token).await?;
        let read = raw.call_tool("get_organizations", json!({})).await?;
        anyhow::ensure!(read.status == StatusCode::OK, "read refused: {read:?}");
        let write = raw
            .call_tool(
                "create_task",
                json!({"text": "should not exist", "space_id": SALES_SPACE_ID}),
            )
            .await?;
        anyhow::ensure!(
            write.status == StatusCode::FORBIDDEN,
            "write answered {:?}",
            write
        );
        let challenge = write.challenge.clone().unwrap_or_default();
        anyhow::ensure!(
            challenge.contains("error=\"insufficient_scope\"")
                && challenge.contains("scope=\"podio:write")
                && challenge.contains("resource_metadata="),
            "challenge: {challenge}"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_personal_token_is_refused_on_every_replica_within_5_s() -> anyhow::Result<()> {
    with_stack(async |stack| {
        let created = auth_grpc(stack)?
            .create_api_token(as_admin(CreateApiTokenRequest {
                name: "nightly script".to_owned(),
                ..Default::default()
            })?)
            .await?
            .into_inner();
        let info = created.info.clone().unwrap_or_default();
        let args = json!({"space_id": SALES_SPACE_ID});
        let sessions =
            sessions_on_every_replica(stack, &[&created.token], "get_space", &args).await?;

        auth_grpc(stack)?
            .revoke_api_token(as_admin(RevokeApiTokenRequest {
                id: info.id.clone(),
            })?)
            .await?;
        for raw in &sessions {
            let answer = raw.until_refused("get_space", &args).await?;
            let challenge = answer.challenge.unwrap_or_default();
            anyhow::ensure!(challenge.contains("resource_metadata="), "{challenge}");
        }
        // A new session with it is refused too, and the list shows when.
        match RawMcp::open(&stack.mcp_url(0), &created.token).await {
            Ok(_) => anyhow::bail!("a revoked token opened a session"),
            Err(e) => anyhow::ensure!(e.to_string().contains("401"), "{e:#}"),
        }
        let listed = auth_grpc(stack)?
            .list_api_tokens(as_admin(ListApiTokensRequest::default())?)
            .await?
            .into_inner();
        let row = listed
            .tokens
            .iter()
            .find(|t| t.id == info.id)
            .ok_or_else(|| anyhow::anyhow!("revoked token not listed: {listed:?}"))?;
        anyhow::ensure!(row.revoked_at > 0, "{row:?}");
        Ok(())
    })
    .await
}
