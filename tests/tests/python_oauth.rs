//! The official Python MCP SDK's own OAuth client (`OAuthClientProvider`, mcp
//! 1.x) against `portico dev`, with no one at the keyboard: it discovers the
//! metadata, registers dynamically, runs the authorization-code flow with
//! PKCE through the simulator's sign-in pages (the script plays the
//! browser), calls a tool, then refreshes through the SDK's own refresh path
//! and calls again with the rotated token.

use portico_tests::python::{run_oauth_client, venvs};
use portico_tests::start_dev;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_oauth_sdk_client_signs_in_and_refreshes() -> anyhow::Result<()> {
    let venvs = venvs().await?;
    let stack = start_dev().await?;
    let outcome = run_oauth_client(
        &venvs.mcp1,
        &stack.frontdoors[0],
        podio_sim::seed::DEV_USERNAME,
        podio_sim::seed::DEV_PASSWORD,
    )
    .await;
    let base_url = stack.frontdoors[0].clone();
    stack.stop().await?;
    let out = outcome?;

    let sdk = out["sdk"].as_str().unwrap_or_default();
    assert!(sdk.starts_with("1."), "ran SDK {sdk}: {out}");
    for flag in [
        "tools_ok",
        "registered",
        "refreshed",
        "rotated",
        "new_access_token",
        "second_call_ok",
        "second_call_token_is_new",
    ] {
        assert_eq!(out[flag], Value::Bool(true), "{flag}: {out}");
    }
    assert!(
        out["client_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("mcp-client-")),
        "not a dynamically registered client: {out}"
    );
    assert_eq!(out["authorizations"], json!(1), "{out}");
    assert_eq!(out["pages"], json!(["login", "allow"]), "{out}");
    assert_eq!(out["iss"], json!(base_url), "{out}");
    assert_eq!(
        out["token_grants"],
        json!(["authorization_code", "refresh_token"]),
        "{out}"
    );
    assert_eq!(out["token_statuses"], json!([200, 200]), "{out}");
    let orgs = out["orgs"].as_array().cloned().unwrap_or_default();
    assert_eq!(out["org_count"], json!(orgs.len()), "{out}");
    assert!(orgs.iter().any(|o| o == "Acme Inc"), "{out}");
    assert_eq!(out["second_orgs"], out["orgs"], "{out}");
    Ok(())
}
