//! An internal client no one on the team wrote: Python `grpcio` with
//! `grpcio-reflection` (tests/python/grpc_client.py), given only the tools
//! service's address and a client-credentials token, learns the API through
//! server reflection (no .proto files, no generated stubs), lists Portico's
//! gRPC services and calls `CallTool`, then is refused without the token.

use anyhow::Context;
use podio_sim::seed;
use portico_proto::auth::v1::CreateOAuthClientRequest;
use portico_tests::Stack;
use portico_tests::oauth::{
    Authorize, OAuthClient, create_integration_client, loopback_redirect, with_stack,
};
use portico_tests::python::{run_grpc_client, venvs};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A client-credentials access token of an integration client Bob owns,
/// after Bob signed in once through a dynamically registered client (as in
/// `oauth_clients.rs`).
async fn bobs_client_credentials_token(stack: &Stack) -> anyhow::Result<String> {
    let oauth = OAuthClient::new(stack)?;
    let (secret, info) = create_integration_client(
        stack,
        CreateOAuthClientRequest {
            owner_subject: format!("podio:{}", seed::BOB_USER_ID),
            name: "Bob's Python gRPC job".to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            redirect_uris: Vec::new(),
            scopes: Vec::new(),
        },
    )
    .await?;
    let redirect = loopback_redirect();
    let (_, dcr) = oauth
        .registered(&json!({"client_name": "Bob's desktop", "redirect_uris": [redirect]}))
        .await?;
    let request = Authorize::new(&dcr, &redirect).podio_key(seed::DEV_CLIENT_ID);
    oauth
        .tokens(&request, (seed::BOB_USERNAME, seed::BOB_PASSWORD), None)
        .await?;
    let (status, answer) = oauth.client_credentials(&info.client_id, &secret).await?;
    anyhow::ensure!(
        status == StatusCode::OK,
        "client credentials grant: {status} {answer}"
    );
    Ok(answer["access_token"]
        .as_str()
        .with_context(|| format!("no access_token: {answer}"))?
        .to_owned())
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_grpcio_finds_the_api_by_reflection_and_calls_a_tool() -> anyhow::Result<()> {
    let venvs = venvs().await?;
    with_stack(async |stack| {
        let token = bobs_client_credentials_token(stack).await?;
        let tools_url = stack.grpc_url(portico_tools::SERVICE_NAME)?;
        let out = run_grpc_client(&venvs.grpc, &tools_url, &token).await?;

        // The services, as reflection lists them.
        let services = strings(&out["services"]);
        for expected in [
            portico_tools::SERVICE_NAME,
            portico_auth::SERVICE_NAME,
            portico_connector::SERVICE_NAME,
            "grpc.health.v1.Health",
        ] {
            anyhow::ensure!(
                services.contains(&expected),
                "{expected} is not among the reflected services: {out}"
            );
        }
        // grpcio-reflection's client asked the v1alpha service (grpcurl and
        // newer clients use v1, which tests/grpc.rs covers).
        anyhow::ensure!(
            services.contains(&"grpc.reflection.v1alpha.ServerReflection"),
            "the v1alpha reflection service is not listed: {out}"
        );

        // CallTool, found and typed through reflection alone.
        anyhow::ensure!(
            out["tools_service"] == portico_tools::SERVICE_NAME,
            "CallTool found on {}: {out}",
            out["tools_service"]
        );
        anyhow::ensure!(
            strings(&out["methods"][portico_tools::SERVICE_NAME]).contains(&"CallTool"),
            "{out}"
        );
        anyhow::ensure!(
            out["input_type"] == "portico.tools.v1.CallToolRequest"
                && out["output_type"] == "portico.tools.v1.CallToolResponse",
            "CallTool resolved to {} -> {}",
            out["input_type"],
            out["output_type"]
        );

        // A successful result with the simulator's data, as Bob sees it:
        // Acme Inc with Leadership (which the demo user behind the stack's
        // own API token cannot see), and not the demo user's Northwind Studio.
        let result = &out["result"];
        anyhow::ensure!(
            result.get("is_error").is_none_or(|e| e == false),
            "get_organizations failed: {out}"
        );
        let text = result["content"]
            .as_array()
            .and_then(|c| c.first())
            .and_then(|c| c["text"].as_str())
            .with_context(|| format!("no text content: {out}"))?;
        anyhow::ensure!(text.contains("Acme Inc"), "text content: {text}");
        let structured: Value = serde_json::from_str(
            result["structured_content_json"]
                .as_str()
                .with_context(|| format!("no structured content: {out}"))?,
        )
        .context("structured_content_json is not JSON")?;
        let orgs = structured["organizations"]
            .as_array()
            .with_context(|| format!("no organizations: {structured}"))?;
        let acme = orgs
            .iter()
            .find(|o| o["org_id"] == seed::ORG_ID)
            .with_context(|| format!("Acme Inc is not among {structured}"))?;
        anyhow::ensure!(acme["name"] == "Acme Inc", "{acme}");
        let spaces: Vec<&str> = acme["spaces"]
            .as_array()
            .map(|s| s.iter().filter_map(|s| s["name"].as_str()).collect())
            .unwrap_or_default();
        anyhow::ensure!(
            spaces.contains(&"Leadership") && !spaces.contains(&"Support"),
            "Bob's workspaces in Acme: {spaces:?}"
        );
        anyhow::ensure!(
            orgs.iter().all(|o| o["org_id"] != seed::SECOND_ORG_ID),
            "Bob is not in Northwind Studio: {structured}"
        );

        // Without a token the same call is refused.
        anyhow::ensure!(
            out["unauthenticated_code"] == "UNAUTHENTICATED",
            "the call without a token answered {}: {out}",
            out["unauthenticated_code"]
        );
        Ok(())
    })
    .await
}
