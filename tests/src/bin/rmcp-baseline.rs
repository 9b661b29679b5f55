//! The benchmark's baseline: a bare rmcp server (the Rust MCP SDK under
//! axum, legacy sessions, nothing else) with one tool, `get_item(item_id)`,
//! that fetches the same podio-sim item Portico's `get_item` does and
//! returns its body as text. What Portico costs per call beyond this is
//! what Portico adds. `portico-bench` starts it; see BENCHMARKS.md.
//!
//! Usage: rmcp-baseline --listen 127.0.0.1:PORT --upstream http://SIM
//! It signs in to podio-sim once with the demo credentials, prints
//! `MCP endpoint: <url>` when it listens, and serves until killed.

use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct GetItemArgs {
    /// The Podio item id.
    item_id: u64,
}

#[derive(Clone)]
struct Baseline {
    http: reqwest::Client,
    upstream: Arc<str>,
    authorization: Arc<str>,
    // Built once: the macro's default rebuilds the router on every call.
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Baseline {
    #[tool(description = "Fetch one Podio item by id and return it as JSON text")]
    async fn get_item(
        &self,
        Parameters(GetItemArgs { item_id }): Parameters<GetItemArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let answer = self
            .http
            .get(format!("{}/item/{item_id}", self.upstream))
            .header("Authorization", &*self.authorization)
            .send()
            .await;
        let failed = |what: String| Ok(CallToolResult::error(vec![ContentBlock::text(what)]));
        let answer = match answer {
            Ok(answer) => answer,
            Err(err) => return failed(format!("upstream request failed: {err}")),
        };
        let status = answer.status();
        match answer.text().await {
            Ok(body) if status.is_success() => {
                Ok(CallToolResult::success(vec![ContentBlock::text(body)]))
            }
            Ok(body) => failed(format!("upstream answered {status}: {body}")),
            Err(err) => failed(format!("upstream body failed: {err}")),
        }
    }
}

#[tool_handler(router = self.tool_router, name = "rmcp-baseline")]
impl ServerHandler for Baseline {}

/// An access token of the demo user (password grant).
async fn sign_in(http: &reqwest::Client, upstream: &str) -> anyhow::Result<String> {
    use podio_sim::seed::{DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_PASSWORD, DEV_USERNAME};
    let answer: serde_json::Value = http
        .post(format!("{upstream}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", DEV_CLIENT_ID),
            ("client_secret", DEV_CLIENT_SECRET),
            ("username", DEV_USERNAME),
            ("password", DEV_PASSWORD),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(answer["access_token"]
        .as_str()
        .context("podio-sim answered no access_token")?
        .to_owned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    portico_tests::install_tls_provider();
    let (mut listen, mut upstream) = ("127.0.0.1:0".to_owned(), String::new());
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = value()?,
            "--upstream" => upstream = value()?,
            other => anyhow::bail!("unknown flag {other}; accepted: --listen ADDR, --upstream URL"),
        }
    }
    anyhow::ensure!(!upstream.is_empty(), "--upstream URL is required");
    let upstream: Arc<str> = upstream.trim_end_matches('/').into();
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(1024)
        .timeout(std::time::Duration::from_secs(20))
        .build()?;
    let token = sign_in(&http, &upstream).await?;
    let server = Baseline {
        http,
        upstream,
        authorization: format!("OAuth2 {token}").into(),
        tool_router: Baseline::tool_router(),
    };
    // Legacy sessions, as the benchmark's clients open with Portico. rmcp
    // answers them as a one-event SSE stream; the client reads either.
    let config = StreamableHttpServerConfig::default();
    let service: StreamableHttpService<Baseline, LocalSessionManager> =
        StreamableHttpService::new(move || Ok(server.clone()), Default::default(), config);
    let app = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let addr = listener.local_addr()?;
    println!("MCP endpoint: http://{addr}/mcp");
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}
