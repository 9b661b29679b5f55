//! Clients no one on the team wrote: both generations of the official Python
//! MCP SDK (`mcp` 1.x running the reference guide's snippet as written, and
//! the current 2.x) connect with a bearer token, list the tools and call
//! one — against the microservices shape and against `portico dev`.

use portico_tests::mcp::TOOL_NAMES;
use portico_tests::python::{run_client, venvs};
use portico_tests::{Stack, start_dev, start_microservices};
use serde_json::Value;

async fn check_clients(stack: &Stack, venvs: &portico_tests::python::Venvs) -> anyhow::Result<()> {
    for (python, script, major) in [
        (&venvs.mcp1, "client_v1.py", "1."),
        (&venvs.mcp2, "client_v2.py", "2."),
    ] {
        let out = run_client(python, script, &stack.mcp_url(0), &stack.token).await?;
        let sdk = out["sdk"].as_str().unwrap_or_default();
        assert!(sdk.starts_with(major), "{script} ran SDK {sdk}");
        let tools: Vec<&str> = out["tools"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(tools, TOOL_NAMES, "{script}: {out}");
        assert_eq!(
            out["call"]["isError"],
            Value::Bool(false),
            "{script}: {out}"
        );
        let orgs = out["call"]["structuredContent"]["organizations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            orgs.iter().any(|o| o["name"] == "Acme Inc"),
            "{script} did not get the simulator's organizations: {out}"
        );
        assert!(
            out["call"]["text"]
                .as_str()
                .unwrap_or_default()
                .contains("Acme Inc"),
            "{script}: {out}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdks_connect() -> anyhow::Result<()> {
    let venvs = venvs().await?;

    let stack = start_microservices().await?;
    let outcome = check_clients(&stack, &venvs).await;
    stack.stop().await?;
    outcome?;

    let stack = start_dev().await?;
    let outcome = check_clients(&stack, &venvs).await;
    stack.stop().await?;
    outcome
}
