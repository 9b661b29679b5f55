//! No secret or token reaches a log line: every service of the microservices
//! shape logs at debug level (trace for Portico's own crates) into one
//! buffer while a full OAuth sign-in, tool calls, a refresh, a revocation, an
//! admin call and an upstream token hand-out run, and then no log line holds
//! any credential the run used or saw. Alone in its test binary, because the
//! subscriber is process-wide.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use podio_sim::seed;
use portico_proto::auth::v1::{GetUpstreamTokenRequest, IntrospectTokenRequest};
use portico_tests::oauth::{Authorize, OAuthClient};
use portico_tests::{ADMIN_SECRET, mcp, start_microservices};
use serde_json::json;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Every log line written, in one buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_holds_a_secret_or_token() -> anyhow::Result<()> {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(
            "debug,portico_auth=trace,portico_frontdoor=trace,portico_tools=trace,\
             portico_connector=trace,podio_sim=trace,h2=info,hyper=info,hyper_util=info,tower=info",
        ))
        .with_writer(captured.clone())
        .with_ansi(false)
        .init();

    let stack = start_microservices().await?;
    let mut secrets: Vec<String> = vec![
        ADMIN_SECRET.to_owned(),
        stack.token.clone(),
        seed::BOB_CLIENT_SECRET.to_owned(),
        seed::BOB_PASSWORD.to_owned(),
        seed::DEV_CLIENT_SECRET.to_owned(),
        seed::DEV_PASSWORD.to_owned(),
    ];
    let outcome = async {
        let oauth = OAuthClient::new(&stack)?;
        let redirect = "http://127.0.0.1:9/callback";
        let (_, info) = oauth
            .register(&json!({
                "client_name": "log check",
                "redirect_uris": [redirect],
                "podio_client_id": seed::BOB_CLIENT_ID,
                "podio_client_secret": seed::BOB_CLIENT_SECRET,
            }))
            .await?;
        let client_id = info["client_id"].as_str().context("client_id")?.to_owned();
        let request = Authorize::new(&client_id, redirect).podio_key(seed::BOB_CLIENT_ID);
        let code = oauth
            .sign_in(&request, (seed::BOB_USERNAME, seed::BOB_PASSWORD))
            .await?;
        secrets.push(code.clone());
        secrets.push(request.verifier.clone());
        let (_, json) = oauth.exchange(&request, &code, None).await?;
        let tokens = portico_tests::oauth::issued(reqwest::StatusCode::OK, json)?;
        secrets.push(tokens.access.clone());
        secrets.push(tokens.refresh.clone());

        // Tool calls with the OAuth token and the personal token.
        for token in [&tokens.access, &stack.token] {
            let client = mcp::connect(&stack.mcp_url(0), token).await?;
            mcp::structured(&mcp::call(&client, "get_organizations", json!({})).await?)?;
            client.cancel().await?;
        }
        // The Podio token behind the OAuth principal, as the connector gets it.
        let auth_url = stack.grpc_url(portico_auth::SERVICE_NAME)?;
        let mut auth = portico_proto::remote::RemoteAuth::connect_lazy(&auth_url)?.client();
        let principal = auth
            .introspect_token(IntrospectTokenRequest {
                token: tokens.access.clone(),
            })
            .await?
            .into_inner()
            .principal
            .context("active")?;
        let podio = auth
            .get_upstream_token(GetUpstreamTokenRequest {
                subject: principal.subject.clone(),
                credential_mode: principal.credential_mode,
                upstream_ref: principal.upstream_ref.clone(),
                rejected_sha256: String::new(),
            })
            .await?
            .into_inner();
        secrets.push(podio.access_token);

        let (_, rotated) = oauth.refresh(&client_id, &tokens.refresh, None).await?;
        let rotated = portico_tests::oauth::issued(reqwest::StatusCode::OK, rotated)?;
        secrets.push(rotated.access.clone());
        secrets.push(rotated.refresh.clone());
        oauth.revoke(&client_id, &rotated.refresh, None).await?;
        // A wrong admin secret and a bogus bearer token are logged as
        // refusals, never echoed.
        let bogus = "portico_at_bogus-token-that-must-not-be-logged";
        secrets.push(bogus.to_owned());
        let raw = reqwest::Client::new()
            .post(stack.mcp_url(0))
            .bearer_auth(bogus)
            .json(&portico_tests::oauth::initialize_body())
            .send()
            .await?;
        anyhow::ensure!(raw.status() == reqwest::StatusCode::UNAUTHORIZED);
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome?;

    let logs = captured.text();
    let lines = logs.lines().count();
    anyhow::ensure!(
        lines > 50 && logs.contains("podio token acquired"),
        "the capture did not see the services' logs ({lines} lines)"
    );
    for secret in &secrets {
        // The part after a token's prefix (`portico_xx_`) is the secret itself.
        let body = secret
            .strip_prefix("portico_")
            .and_then(|rest| rest.split_once('_'))
            .map_or(secret.as_str(), |(_, body)| body);
        for needle in [secret.as_str(), body] {
            if needle.len() < 8 {
                continue;
            }
            if let Some(line) = logs.lines().find(|l| l.contains(needle)) {
                anyhow::bail!("a log line holds a secret ({} chars): {line}", needle.len());
            }
        }
    }
    Ok(())
}
