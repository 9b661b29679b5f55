//! `portico dev`: every service and podio-sim in one process, on loopback,
//! with in-memory stores — no Postgres, Redis or network needed.
//!
//! The services are wired through their Rust traits directly (no gRPC hop),
//! which is what makes the one-process shape cheap; the microservices shape
//! puts the same traits behind gRPC clients.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use portico_auth::{
    AuthService, FetchPolicy, Keyring, MemoryOAuthStore, MemoryPendingStore, MemoryTokenStore,
    OAuthSettings, PodioKey, PodioOAuth, PodioSettings, Secret, ServiceAccount, Upstream,
};
use portico_connector::ConnectorService;
use portico_frontdoor::store::idempotency::memory::MemoryIdempotencyStore;
use portico_frontdoor::store::memory::MemoryStore;
use portico_frontdoor::{Deps, Settings};
use portico_runtime::env::Env;
use portico_tools::ToolsService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What `portico dev` is asked to do.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Address to bind the MCP front door to (default 127.0.0.1).
    pub host: IpAddr,
    /// Port for the MCP front door; 0 picks a free one.
    pub port: u16,
    /// Use this bearer token instead of a random one.
    pub dev_token: Option<String>,
    /// Requests per minute per token (the production default applies if unset).
    pub rate_limit_per_minute: Option<u64>,
}

impl Default for DevOptions {
    fn default() -> Self {
        DevOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            dev_token: None,
            rate_limit_per_minute: None,
        }
    }
}

/// A running `portico dev`.
pub struct DevHandle {
    /// The MCP endpoint, e.g. `http://127.0.0.1:8080/mcp`.
    pub mcp_url: String,
    /// The front door's base URL.
    pub base_url: String,
    /// A bearer token valid for this instance.
    pub token: String,
    /// The simulator's base URL, when the simulator stands in for Podio.
    pub podio_sim_url: Option<String>,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl DevHandle {
    /// Waits until shutdown is requested or a server fails, then stops the
    /// rest and waits for them to drain.
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        tokio::select! {
            _ = self.shutdown.cancelled() => {}
            Some(done) = self.tasks.join_next() => {
                first_error = flatten(done).err();
                self.shutdown.cancel();
            }
        }
        while let Some(done) = self.tasks.join_next().await {
            if let Err(err) = flatten(done) {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Requests shutdown (used by tests).
    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for DevHandle {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn flatten(done: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    done.map_err(|err| anyhow::anyhow!("a dev server task panicked: {err}"))?
}

/// Starts every service in this process. Podio is the built-in simulator
/// unless `PORTICO_PODIO_API_URL` (with the `PORTICO_PODIO_*` credentials) in
/// `env` points at a real Podio.
pub async fn start(
    options: DevOptions,
    env: &HashMap<String, String>,
    shutdown: CancellationToken,
) -> anyhow::Result<DevHandle> {
    let mut tasks = JoinSet::new();

    // The connector reaches Podio's API and the auth service its token
    // endpoint at the same base: the simulator's unless a real Podio is named.
    let (connector_config, podio, podio_sim_url) =
        if Env(env).get("PORTICO_PODIO_API_URL").is_some() {
            (
                portico_connector::Config::from_env(env)?,
                PodioSettings::from_env(env)?,
                None,
            )
        } else {
            // The simulator hands out Podio logins for seeded users; it never
            // listens beyond this machine, whatever --host says.
            let listener =
                TcpListener::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await?;
            let sim_url = format!("http://{}", listener.local_addr()?);
            let sim_config = podio_sim::Config::from_env(env)?;
            let sim_shutdown = shutdown.clone();
            tasks.spawn(async move {
                podio_sim::serve(sim_config, listener, sim_shutdown).await?;
                Ok(())
            });
            let account = ServiceAccount {
                key: PodioKey {
                    client_id: podio_sim::seed::DEV_CLIENT_ID.to_owned(),
                    client_secret: Secret::new(podio_sim::seed::DEV_CLIENT_SECRET),
                },
                username: podio_sim::seed::DEV_USERNAME.to_owned(),
                password: Secret::new(podio_sim::seed::DEV_PASSWORD),
            };
            let mut podio = PodioSettings::from_env(env)?;
            podio.api_url = sim_url.clone();
            podio.shared_key = Some(account.key.clone());
            podio.service_account = Some(account);
            (
                portico_connector::Config::new(sim_url.clone()),
                podio,
                Some(sim_url),
            )
        };

    let listener = TcpListener::bind(SocketAddr::new(options.host, options.port)).await?;
    let base_url = Env(env)
        .get("PORTICO_PUBLIC_URL")
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| match listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(_) => format!("http://{}:{}", options.host, options.port),
        });

    // The OAuth server in memory: sign-ins go to the simulator's authorize
    // page (or Podio's), and a fresh key encrypts the Podio tokens it keeps;
    // both are lost at exit, like everything else in dev.
    let mut oauth = OAuthSettings::from_env(env, podio.shared_key.clone())?;
    oauth.public_url = base_url.clone();
    if let Some(sim_url) = &podio_sim_url {
        oauth.podio_authorize_url = format!("{sim_url}/oauth/authorize");
    }
    // Local clients may serve their metadata documents over loopback http.
    oauth.client_metadata = FetchPolicy {
        allow_loopback_http: true,
    };
    let upstream = Upstream::new(
        PodioOAuth::new(&podio.api_url, podio.timeout)?,
        podio.service_account,
    );
    // No admin secret: in one process nothing serves the admin rpcs; the dev
    // token is minted by calling the service directly.
    let auth = Arc::new(
        AuthService::new(Arc::new(MemoryTokenStore::new()), None)
            .with_upstream(upstream)
            .with_oauth(
                oauth,
                Arc::new(MemoryOAuthStore::new()),
                Arc::new(MemoryPendingStore::new()),
                Keyring::generate()?,
            ),
    );
    let token = match &options.dev_token {
        Some(token) => {
            auth.register_api_token("dev", token, &[]).await?;
            token.clone()
        }
        None => auth
            .create_token("dev", &[])
            .await?
            .token
            .expose()
            .to_owned(),
    };
    let connector = Arc::new(ConnectorService::new(&connector_config, auth.clone())?);
    let tools = Arc::new(ToolsService::new(auth.clone(), connector).with_audit(auth.clone()));

    let mut settings = Settings::for_dev(&base_url)?;
    let env_limit = Env(env).parse_or(
        "PORTICO_RATE_LIMIT_PER_MINUTE",
        settings.rate_limit_per_minute,
        "a whole number of requests per minute",
    )?;
    settings.rate_limit_per_minute = options.rate_limit_per_minute.unwrap_or(env_limit);
    let store = Arc::new(MemoryStore::new());
    let deps = Deps {
        oauth: auth.clone(),
        auth,
        tools,
        sessions: store.clone(),
        handoffs: store.clone(),
        limiter: store,
        idempotency: Arc::new(MemoryIdempotencyStore::new()),
    };
    let frontdoor_shutdown = shutdown.clone();
    tasks.spawn(async move {
        portico_frontdoor::serve_with(settings, deps, listener, frontdoor_shutdown).await?;
        Ok(())
    });

    Ok(DevHandle {
        mcp_url: format!("{base_url}/mcp"),
        base_url,
        token,
        podio_sim_url,
        shutdown,
        tasks,
    })
}
