//! The official MCP conformance suite's authorization-server scenarios
//! (`@modelcontextprotocol/conformance` 0.2.0-alpha.12, installed by
//! tests/conformance/setup.sh) against `portico dev`:
//!
//! - `authorization-server-metadata-endpoint`: the RFC 8414 document at the
//!   well-known URL derived from the issuer (endpoints, `code` response
//!   type, S256, `issuer` equal to the URL, CIMD support advertised);
//! - `authorization-code-grant`: a PKCE authorize request with `state` and
//!   `resource` for a public client registered through RFC 7591, the
//!   sign-in at podio-sim (answered by the harness, as the suite has no
//!   hook for it), the redirect with `code`, `state` and `iss`, and the
//!   token response (200, JSON, `Cache-Control: no-store`, `access_token`,
//!   `token_type`).
//!
//! Every check must be SUCCESS: a WARNING (which would not fail the suite's
//! own exit code) fails here too.

use std::time::Duration;

use podio_sim::seed;
use portico_tests::conformance::{self, AuthorizationRun};
use portico_tests::start_dev;

const SCENARIOS: [&str; 2] = [
    "authorization-server-metadata-endpoint",
    "authorization-code-grant",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_server_passes_the_conformance_suite() -> anyhow::Result<()> {
    let suite = conformance::setup().await?;
    let stack = start_dev().await?;
    let stack_issuer = stack.frontdoors[0].clone();
    let outcome = async {
        let issuer = &stack.frontdoors[0];
        let resource = stack.mcp_url(0);
        let mut run = AuthorizationRun {
            issuer,
            client_id: "",
            resource: &resource,
            callback_port: conformance::free_port()?,
            username: seed::DEV_USERNAME,
            password: seed::DEV_PASSWORD,
            timeout: Duration::from_secs(60),
        };
        let client_id = conformance::register_public_client(issuer, &run.redirect_uri()).await?;
        run.client_id = &client_id;
        suite.authorization(&run).await
    }
    .await;
    stack.stop().await?;
    let outcome = outcome?;

    eprintln!("{}", outcome.transcript);
    let mut unmet = Vec::new();
    for scenario in SCENARIOS {
        for check in outcome.unmet(scenario)? {
            unmet.push(format!("{scenario}: {check:#}"));
        }
    }
    assert!(
        unmet.is_empty() && outcome.status.success(),
        "conformance authorization ({}) left checks unmet:\n{}\n--- suite output ---\n{}",
        outcome.status,
        unmet.join("\n"),
        outcome.transcript
    );

    // The suite checks `iss` only when present; Portico always sends it
    // (RFC 9207, advertised in the metadata), so its absence is a bug too.
    let grant = &outcome.scenarios["authorization-code-grant"][0]["details"];
    let callback = grant["authorizationResponseUrl"]
        .as_str()
        .unwrap_or_default();
    let callback = reqwest::Url::parse(callback)?;
    let iss: Vec<_> = callback
        .query_pairs()
        .filter(|(k, _)| k == "iss")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(iss, [stack_issuer.as_str()], "{grant:#}");
    assert_eq!(grant["body"]["token_type"], "Bearer", "{grant:#}");
    Ok(())
}
