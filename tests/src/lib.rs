//! The end-to-end harness: starts Portico's real services on loopback
//! (port 0) against the real Postgres and Redis, each test in its own
//! Postgres schema and Redis key prefix, and cleans up after itself.
//!
//! Only podio.com is simulated (by podio-sim). The services are started
//! through the same `Config::from_env` + `serve` entries the binary uses, so
//! the test exercises the production wiring, gRPC hops included.

pub mod conformance;
pub mod js;
pub mod mcp;
pub mod oauth;
pub mod processes;
pub mod proxy;
pub mod python;
pub mod script;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use portico_runtime::env::map as env;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The Postgres server tests use (a database that already exists).
pub fn database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The Redis server tests use.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A Postgres schema of this test's own, dropped by [`PgSchema::drop_schema`].
pub struct PgSchema {
    name: String,
    /// A DATABASE_URL whose connections use only this schema.
    pub url: String,
}

impl PgSchema {
    /// Creates a fresh schema.
    pub async fn create() -> anyhow::Result<PgSchema> {
        let name = unique("e2e");
        let base = database_url();
        let mut conn = sqlx_connect(&base).await?;
        // The name is generated here (a uuid), never input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{name}\"")))
            .execute(&mut conn)
            .await
            .context("creating the test schema")?;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Ok(PgSchema { name, url })
    }

    /// Drops the schema and everything in it.
    pub async fn drop_schema(&self) -> anyhow::Result<()> {
        let mut conn = sqlx_connect(&database_url()).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            self.name
        )))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}

async fn sqlx_connect(url: &str) -> anyhow::Result<sqlx::PgConnection> {
    use sqlx::Connection;
    tokio::time::timeout(Duration::from_secs(10), sqlx::PgConnection::connect(url))
        .await
        .context("postgres did not answer within 10 s")?
        .context("connecting to postgres (is it running on 127.0.0.1:5432?)")
}

/// Deletes every Redis key under `prefix`.
pub async fn redis_cleanup(prefix: &str) -> anyhow::Result<()> {
    let client = redis::Client::open(redis_url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await?;
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL").arg(keys).query_async(&mut conn).await?;
    }
    Ok(())
}

/// Counts the Redis keys under `prefix`.
pub async fn redis_keys(prefix: &str) -> anyhow::Result<Vec<String>> {
    let client = redis::Client::open(redis_url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    Ok(redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await?)
}

/// A running Portico, in either shape.
pub struct Stack {
    /// Base URLs of the front doors (two in the microservices shape, one in
    /// dev), e.g. `http://127.0.0.1:41234`.
    pub frontdoors: Vec<String>,
    /// A valid personal API token.
    pub token: String,
    /// The Redis key prefix of this stack (microservices shape).
    pub redis_prefix: Option<String>,
    /// The Podio simulator standing in for podio.com.
    pub podio_sim_url: String,
    /// The gRPC services of the microservices shape: (fully qualified
    /// service name, URL).
    pub grpc_services: Vec<(&'static str, String)>,
    shutdown: CancellationToken,
    /// One per front door (children of `shutdown`), to stop one replica.
    frontdoor_shutdowns: Vec<CancellationToken>,
    tasks: JoinSet<anyhow::Result<()>>,
    schema: Option<PgSchema>,
    dev: Option<portico::dev::DevHandle>,
    /// The services' own processes (the process shape), stopped with SIGTERM.
    pub processes: Vec<processes::Process>,
    /// The proxy on every link, when started with [`start_microservices_proxied`].
    pub proxies: Option<Proxies>,
    /// The tools service's task, configuration and link, to kill and restart it.
    tools: Option<Restartable>,
}

/// A fault proxy on each link of the microservices shape (see [`proxy`]):
/// every service reaches each dependency through one of these.
pub struct Proxies {
    /// Redis, as the front doors, auth and connector reach it.
    pub redis: proxy::FaultProxy,
    /// Postgres, as the auth service reaches it.
    pub postgres: proxy::FaultProxy,
    /// The Podio simulator, as the connector and auth reach it.
    pub podio: proxy::FaultProxy,
    /// The auth service's gRPC port, as every other service reaches it.
    pub auth: proxy::FaultProxy,
    /// The tools service's gRPC port, as the front doors reach it.
    pub tools: proxy::FaultProxy,
    /// The connector's gRPC port, as the tools service reaches it.
    pub connector: proxy::FaultProxy,
}

struct Restartable {
    config: portico_tools::Config,
    task: tokio::task::AbortHandle,
}

impl Stack {
    /// The URL of the gRPC service `name` (e.g. `portico_auth::SERVICE_NAME`).
    pub fn grpc_url(&self, name: &str) -> anyhow::Result<String> {
        self.grpc_services
            .iter()
            .find(|(service, _)| *service == name)
            .map(|(_, url)| url.clone())
            .with_context(|| format!("the stack has no {name} service"))
    }

    /// The auth service's DATABASE_URL (this stack's own schema), for a
    /// test that must put a record in place the API cannot write; `None` in
    /// the dev shape, which keeps everything in memory.
    pub fn database_url(&self) -> Option<&str> {
        self.schema.as_ref().map(|schema| schema.url.as_str())
    }

    /// Another personal API token (all scopes) named `name`, created
    /// through the auth service's admin API.
    pub async fn new_api_token(&self, name: &str) -> anyhow::Result<String> {
        create_api_token_named(&self.grpc_url(portico_auth::SERVICE_NAME)?, name).await
    }

    /// The MCP endpoint of front door `i`.
    pub fn mcp_url(&self, i: usize) -> String {
        format!("{}/mcp", self.frontdoors[i])
    }

    /// Stops front door `i` alone (a replica going away) and waits until it
    /// no longer accepts connections; the other replicas keep serving.
    pub async fn stop_frontdoor(&self, i: usize) -> anyhow::Result<()> {
        let token = self
            .frontdoor_shutdowns
            .get(i)
            .context("no such front door")?;
        token.cancel();
        let client = crate::http_client(Duration::from_secs(2)).build()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        let url = format!("{}/health", self.frontdoors[i]);
        while Instant::now() < deadline {
            if client.get(&url).send().await.is_err() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("front door {i} still answers 20 s after it was stopped")
    }

    /// Kills the tools service at once (in-flight calls are cut, as when its
    /// process dies); [`Stack::restart_tools`] brings it back. Only in a
    /// stack from [`start_microservices_proxied`].
    pub fn kill_tools(&mut self) -> anyhow::Result<()> {
        let tools = self
            .tools
            .as_ref()
            .context("only a proxied stack restarts tools")?;
        tools.task.abort();
        Ok(())
    }

    /// Starts the tools service again after [`Stack::kill_tools`], on a new
    /// port, and points the tools link at it (as a restarted pod comes
    /// back).
    pub async fn restart_tools(&mut self) -> anyhow::Result<()> {
        let proxies = self
            .proxies
            .as_ref()
            .context("only a proxied stack restarts tools")?;
        let tools = self
            .tools
            .as_mut()
            .context("only a proxied stack restarts tools")?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let config = tools.config.clone();
        let sd = self.shutdown.clone();
        tools.task = self.tasks.spawn(async move {
            portico_tools::serve(config, listener, sd)
                .await
                .map_err(Into::into)
        });
        proxies.tools.retarget(addr);
        Ok(())
    }

    /// Stops every server, waits for them, and removes this test's schema and
    /// Redis keys.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let mut stopped = Ok(());
        // Front door first, as an orchestrator drains traffic before backends.
        while let Some(process) = self.processes.pop() {
            let outcome = process.stop().await;
            if stopped.is_ok() {
                stopped = outcome;
            }
        }
        self.shutdown.cancel();
        if let Some(dev) = self.dev.take() {
            dev.stop();
            tokio::time::timeout(Duration::from_secs(15), dev.run_until_stopped())
                .await
                .context("dev shape did not stop within 15 s")??;
        }
        let drained = tokio::time::timeout(Duration::from_secs(15), async {
            while let Some(done) = self.tasks.join_next().await {
                match done {
                    // A service a test killed.
                    Err(err) if err.is_cancelled() => {}
                    done => done??,
                }
            }
            anyhow::Ok(())
        })
        .await;
        if let Some(schema) = &self.schema {
            schema.drop_schema().await?;
        }
        if let Some(prefix) = &self.redis_prefix {
            redis_cleanup(prefix).await?;
        }
        drained.context("services did not stop within 15 s")??;
        stopped
    }
}

async fn loopback() -> anyhow::Result<(TcpListener, String)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    Ok((listener, format!("http://{addr}")))
}

/// Polls `url` until it answers 200, for at most 30 s.
pub async fn wait_ready(url: &str) -> anyhow::Result<()> {
    let client = crate::http_client(Duration::from_secs(2)).build()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while Instant::now() < deadline {
        match client.get(url).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("{}: {}", r.status(), r.text().await.unwrap_or_default()),
            Err(err) => last = err.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("{url} not ready after 30 s; last answer: {last}")
}

/// A fresh random AES-256 key, base64, for one stack's encrypted Podio tokens.
fn test_encryption_key() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The admin secret of the auth service the microservices shape runs.
pub const ADMIN_SECRET: &str = "e2e-admin-secret-0123456789";

/// Starts the microservices shape: podio-sim, connector, auth (Postgres),
/// tools and two front doors (Redis), each its own server talking gRPC or
/// HTTP over loopback, then creates a personal API token through the auth
/// service's admin API.
pub async fn start_microservices() -> anyhow::Result<Stack> {
    start_microservices_with(podio_sim::Config::default()).await
}

/// [`start_microservices`] with the simulator configured by `sim` (a low
/// rate limit, short-lived upstream tokens).
pub async fn start_microservices_with(sim: podio_sim::Config) -> anyhow::Result<Stack> {
    start_microservices_configured(sim, &[]).await
}

/// [`start_microservices_with`], with `frontdoor_env` added to (or
/// overriding) both front doors' environment, e.g. a small
/// `PORTICO_RATE_LIMIT_PER_MINUTE`.
pub async fn start_microservices_configured(
    sim: podio_sim::Config,
    frontdoor_env: &[(&str, &str)],
) -> anyhow::Result<Stack> {
    start_microservices_shaped(sim, frontdoor_env, false).await
}

/// The connector's Podio timeout in a stack from
/// [`start_microservices_proxied`], in seconds.
pub const PROXIED_PODIO_TIMEOUT_SECS: u64 = 2;

/// [`start_microservices_configured`] with a [`proxy::FaultProxy`] on every
/// link (see [`Proxies`]), the tools service restartable, and a Podio
/// timeout of [`PROXIED_PODIO_TIMEOUT_SECS`].
pub async fn start_microservices_proxied(
    sim: podio_sim::Config,
    frontdoor_env: &[(&str, &str)],
) -> anyhow::Result<Stack> {
    start_microservices_shaped(sim, frontdoor_env, true).await
}

/// `url` with its host and port replaced by `proxy`'s address.
fn via(url: &str, proxy: &proxy::FaultProxy) -> anyhow::Result<String> {
    let mut url = url::Url::parse(url)?;
    let addr = proxy.addr();
    url.set_host(Some(&addr.ip().to_string()))?;
    url.set_port(Some(addr.port()))
        .map_err(|()| anyhow::anyhow!("{url} takes no port"))?;
    Ok(url.into())
}

/// The socket address of a URL's host and port.
async fn addr_of(url: &str) -> anyhow::Result<std::net::SocketAddr> {
    let url = url::Url::parse(url)?;
    let host = url.host_str().context("a URL without a host")?;
    let port = url.port_or_known_default().unwrap_or(match url.scheme() {
        "postgres" | "postgresql" => 5432,
        "redis" => 6379,
        _ => 80,
    });
    tokio::net::lookup_host((host, port))
        .await?
        .next()
        .with_context(|| format!("{host}:{port} does not resolve"))
}

async fn start_microservices_shaped(
    sim: podio_sim::Config,
    frontdoor_env: &[(&str, &str)],
    proxied: bool,
) -> anyhow::Result<Stack> {
    install_tls_provider();
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let schema = PgSchema::create().await?;
    let prefix = format!("portico-test:{}:", uuid::Uuid::new_v4().simple());

    let (sim_listener, sim_url) = loopback().await?;
    tasks.spawn(podio_sim_task(sim, sim_listener, shutdown.clone()));

    let (auth_listener, auth_url) = loopback().await?;
    let (connector_listener, connector_url) = loopback().await?;
    let (tools_listener, tools_url) = loopback().await?;
    // What each service is told: the real addresses, or the proxies'.
    let proxies = if proxied {
        Some(Proxies {
            redis: proxy::FaultProxy::start(addr_of(&redis_url()).await?).await?,
            postgres: proxy::FaultProxy::start(addr_of(&schema.url).await?).await?,
            podio: proxy::FaultProxy::start(addr_of(&sim_url).await?).await?,
            auth: proxy::FaultProxy::start(addr_of(&auth_url).await?).await?,
            tools: proxy::FaultProxy::start(addr_of(&tools_url).await?).await?,
            connector: proxy::FaultProxy::start(addr_of(&connector_url).await?).await?,
        })
    } else {
        None
    };
    let link = |url: &str, pick: fn(&Proxies) -> &proxy::FaultProxy| match &proxies {
        Some(proxies) => via(url, pick(proxies)),
        None => Ok(url.to_owned()),
    };
    let redis = link(&redis_url(), |p| &p.redis)?;
    let database = link(&schema.url, |p| &p.postgres)?;
    let podio = link(&sim_url, |p| &p.podio)?;
    let auth_link = link(&auth_url, |p| &p.auth)?;
    let tools_link = link(&tools_url, |p| &p.tools)?;
    let connector_link = link(&connector_url, |p| &p.connector)?;

    let mut connector_vars = env(&[
        ("PORTICO_PODIO_API_URL", &podio),
        ("PORTICO_AUTH_URL", &auth_link),
        ("REDIS_URL", &redis),
        ("PORTICO_REDIS_PREFIX", &prefix),
    ]);
    if proxied {
        // Fault tests make Podio hang: a short timeout keeps them short.
        connector_vars.insert(
            "PORTICO_PODIO_TIMEOUT_SECS".to_owned(),
            PROXIED_PODIO_TIMEOUT_SECS.to_string(),
        );
    }
    let config = portico_connector::Config::from_env(&connector_vars)?;
    let sd = shutdown.clone();
    tasks.spawn(async move {
        portico_connector::serve(config, connector_listener, sd)
            .await
            .map_err(Into::into)
    });

    // Both front doors are bound now, so the auth service knows the public
    // URL (the issuer) before it starts; in production every replica shares
    // one public URL behind a load balancer, here the first one stands for it.
    let mut frontdoor_listeners = Vec::new();
    for _ in 0..2 {
        frontdoor_listeners.push(loopback().await?);
    }
    let public_url = frontdoor_listeners[0].1.clone();
    let mut auth_vars: HashMap<String, String> = auth_env(&database, &public_url, &podio, &prefix)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    auth_vars.insert("REDIS_URL".to_owned(), redis.clone());
    // Users' browsers reach the simulator's sign-in pages directly.
    auth_vars.insert(
        "PORTICO_PODIO_AUTHORIZE_URL".to_owned(),
        format!("{sim_url}/oauth/authorize"),
    );
    let config = portico_auth::Config::from_env(&auth_vars)?;
    let sd = shutdown.clone();
    tasks.spawn(async move {
        portico_auth::serve(config, auth_listener, sd)
            .await
            .map_err(Into::into)
    });

    let tools_config = portico_tools::Config::from_env(&env(&[
        ("PORTICO_AUTH_URL", &auth_link),
        ("PORTICO_CONNECTOR_URL", &connector_link),
    ]))?;
    let config = tools_config.clone();
    let sd = shutdown.clone();
    let tools_task = tasks.spawn(async move {
        portico_tools::serve(config, tools_listener, sd)
            .await
            .map_err(Into::into)
    });

    let mut frontdoors = Vec::new();
    let mut frontdoor_shutdowns = Vec::new();
    for (listener, url) in frontdoor_listeners {
        let mut vars = env(&[
            ("PORTICO_PUBLIC_URL", &url),
            ("REDIS_URL", &redis),
            ("PORTICO_REDIS_PREFIX", &prefix),
            ("PORTICO_AUTH_URL", &auth_link),
            ("PORTICO_TOOLS_URL", &tools_link),
        ]);
        vars.extend(
            frontdoor_env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let config = portico_frontdoor::Config::from_env(&vars)?;
        let sd = shutdown.child_token();
        frontdoor_shutdowns.push(sd.clone());
        tasks.spawn(portico_frontdoor::serve(config, listener, sd));
        frontdoors.push(url);
    }

    let mut stack = Stack {
        frontdoors,
        token: String::new(),
        redis_prefix: Some(prefix),
        podio_sim_url: sim_url,
        grpc_services: vec![
            (portico_auth::SERVICE_NAME, auth_url.clone()),
            (portico_tools::SERVICE_NAME, tools_url.clone()),
            (portico_connector::SERVICE_NAME, connector_url.clone()),
        ],
        shutdown,
        frontdoor_shutdowns,
        tasks,
        schema: Some(schema),
        dev: None,
        processes: Vec::new(),
        tools: proxies.as_ref().map(|_| Restartable {
            config: tools_config,
            task: tools_task,
        }),
        proxies,
    };
    for url in &stack.frontdoors {
        if let Err(err) = wait_ready(&format!("{url}/ready")).await {
            let _ = stack.stop().await;
            return Err(err);
        }
    }
    stack.token = match create_api_token(&auth_url).await {
        Ok(token) => token,
        Err(err) => {
            let _ = stack.stop().await;
            return Err(err);
        }
    };
    Ok(stack)
}

/// The auth service's environment in both shapes: its own schema and
/// Redis prefix, the issuer `public_url`, a fresh encryption key, the
/// simulator as Podio with its demo key and user.
fn auth_env(
    database_url: &str,
    public_url: &str,
    sim_url: &str,
    prefix: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database_url.to_owned()),
        ("PORTICO_ADMIN_SECRET", ADMIN_SECRET.to_owned()),
        ("PORTICO_PUBLIC_URL", public_url.to_owned()),
        (
            "PORTICO_PODIO_AUTHORIZE_URL",
            format!("{sim_url}/oauth/authorize"),
        ),
        (
            "PORTICO_ENCRYPTION_KEYS",
            format!("e2e:{}", test_encryption_key()),
        ),
        ("REDIS_URL", redis_url()),
        ("PORTICO_REDIS_PREFIX", prefix.to_owned()),
        ("PORTICO_PODIO_API_URL", sim_url.to_owned()),
        (
            "PORTICO_PODIO_CLIENT_ID",
            podio_sim::seed::DEV_CLIENT_ID.to_owned(),
        ),
        (
            "PORTICO_PODIO_CLIENT_SECRET",
            podio_sim::seed::DEV_CLIENT_SECRET.to_owned(),
        ),
        (
            "PORTICO_PODIO_USERNAME",
            podio_sim::seed::DEV_USERNAME.to_owned(),
        ),
        (
            "PORTICO_PODIO_PASSWORD",
            podio_sim::seed::DEV_PASSWORD.to_owned(),
        ),
        // Tests serve Client ID Metadata Documents themselves, on loopback
        // over plain http (as `portico dev` allows); production refuses both.
        (
            "PORTICO_CLIENT_METADATA_ALLOW_LOOPBACK_HTTP",
            "true".to_owned(),
        ),
    ]
}

/// A personal API token (all scopes) created through the auth service's
/// admin API with [`ADMIN_SECRET`].
async fn create_api_token(auth_url: &str) -> anyhow::Result<String> {
    create_api_token_named(auth_url, "e2e").await
}

async fn create_api_token_named(auth_url: &str, name: &str) -> anyhow::Result<String> {
    let mut auth = portico_proto::remote::RemoteAuth::connect_lazy(auth_url)?.client();
    let mut request = tonic::Request::new(portico_proto::auth::v1::CreateApiTokenRequest {
        name: name.to_owned(),
        scopes: Vec::new(),
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {ADMIN_SECRET}").parse()?);
    Ok(auth.create_api_token(request).await?.into_inner().token)
}

/// The microservices shape with each service a process of the real
/// `portico` binary (see [`processes`]): auth, connector, tools and one
/// front door, with `frontdoor_env` added to the front door's environment;
/// podio-sim runs in this process. `processes` of the stack are in start
/// order, auth first.
pub async fn start_processes(frontdoor_env: &[(&str, &str)]) -> anyhow::Result<Stack> {
    start_processes_with(podio_sim::Config::default(), frontdoor_env).await
}

/// [`start_processes`] with the simulator configured by `sim`.
pub async fn start_processes_with(
    sim: podio_sim::Config,
    frontdoor_env: &[(&str, &str)],
) -> anyhow::Result<Stack> {
    use processes::Process;
    install_tls_provider();
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let schema = PgSchema::create().await?;
    let prefix = format!("portico-test:{}:", uuid::Uuid::new_v4().simple());
    let (sim_listener, sim_url) = loopback().await?;
    tasks.spawn(podio_sim_task(sim, sim_listener, shutdown.clone()));
    let mut stack = Stack {
        frontdoors: Vec::new(),
        token: String::new(),
        redis_prefix: Some(prefix.clone()),
        podio_sim_url: sim_url.clone(),
        grpc_services: Vec::new(),
        shutdown,
        frontdoor_shutdowns: Vec::new(),
        tasks,
        schema: None,
        dev: None,
        processes: Vec::new(),
        proxies: None,
        tools: None,
    };
    let url = schema.url.clone();
    stack.schema = Some(schema);
    let started = async {
        // The auth service needs the public URL (its issuer) before the
        // front door, which needs the auth service's address, exists: the
        // front door's port is picked here and handed over. Another process
        // could take it in between; then the front door fails to start and
        // says so.
        let public_url = loopback().await?.1;
        let frontdoor_listen = public_url.trim_start_matches("http://").to_owned();
        let redis = redis_url();
        let mut auth_vars = auth_env(&url, &public_url, &sim_url, &prefix);
        auth_vars.push(("PORTICO_AUTH_LISTEN", "127.0.0.1:0".to_owned()));
        let auth_vars: Vec<(&str, &str)> =
            auth_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let auth = Process::start("auth", &auth_vars).await?;
        let auth_url = auth.url();
        stack.processes.push(auth);
        let connector = Process::start(
            "connector",
            &[
                ("PORTICO_CONNECTOR_LISTEN", "127.0.0.1:0"),
                ("PORTICO_PODIO_API_URL", &sim_url),
                ("PORTICO_AUTH_URL", &auth_url),
                ("REDIS_URL", &redis),
                ("PORTICO_REDIS_PREFIX", &prefix),
            ],
        )
        .await?;
        let connector_url = connector.url();
        stack.processes.push(connector);
        let tools = Process::start(
            "tools",
            &[
                ("PORTICO_TOOLS_LISTEN", "127.0.0.1:0"),
                ("PORTICO_AUTH_URL", &auth_url),
                ("PORTICO_CONNECTOR_URL", &connector_url),
            ],
        )
        .await?;
        let tools_url = tools.url();
        stack.processes.push(tools);
        let mut vars = vec![
            ("PORTICO_FRONTDOOR_LISTEN", frontdoor_listen.as_str()),
            ("PORTICO_PUBLIC_URL", &public_url),
            ("REDIS_URL", &redis),
            ("PORTICO_REDIS_PREFIX", &prefix),
            ("PORTICO_AUTH_URL", &auth_url),
            ("PORTICO_TOOLS_URL", &tools_url),
        ];
        vars.extend_from_slice(frontdoor_env);
        let frontdoor = Process::start("frontdoor", &vars).await?;
        stack.processes.push(frontdoor);
        wait_ready(&format!("{public_url}/ready")).await?;
        stack.frontdoors.push(public_url);
        stack.grpc_services = vec![
            (portico_auth::SERVICE_NAME, auth_url.clone()),
            (portico_tools::SERVICE_NAME, tools_url),
            (portico_connector::SERVICE_NAME, connector_url),
        ];
        create_api_token(&auth_url).await
    }
    .await;
    match started {
        Ok(token) => {
            stack.token = token;
            Ok(stack)
        }
        Err(err) => {
            let _ = stack.stop().await;
            Err(err)
        }
    }
}

async fn podio_sim_task(
    config: podio_sim::Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    podio_sim::serve(config, listener, shutdown).await?;
    Ok(())
}

/// Starts the one-process shape exactly as `portico dev` does, on a free
/// port, with no Postgres or Redis.
pub async fn start_dev() -> anyhow::Result<Stack> {
    install_tls_provider();
    let shutdown = CancellationToken::new();
    let options = portico::dev::DevOptions {
        port: 0,
        ..Default::default()
    };
    let dev = portico::dev::start(options, &HashMap::new(), shutdown.clone()).await?;
    wait_ready(&format!("{}/ready", dev.base_url)).await?;
    Ok(Stack {
        frontdoors: vec![dev.base_url.clone()],
        token: dev.token.clone(),
        redis_prefix: None,
        grpc_services: Vec::new(),
        podio_sim_url: dev
            .podio_sim_url
            .clone()
            .context("dev shape started without the simulator")?,
        shutdown,
        frontdoor_shutdowns: Vec::new(),
        tasks: JoinSet::new(),
        schema: None,
        dev: Some(dev),
        processes: Vec::new(),
        proxies: None,
        tools: None,
    })
}

/// The variables the README's configuration table documents (a row's
/// `A_B_ID` / `_B_SECRET` names `A_B_SECRET` too, `A_USER` / `_PASSWORD`
/// names `A_PASSWORD`).
pub fn readme_variables() -> std::collections::BTreeSet<String> {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .expect("README.md beside the tests crate");
    readme
        .lines()
        .filter(|line| line.starts_with("| `"))
        .flat_map(|line| {
            let cell = line.split('|').nth(1).unwrap_or_default();
            let names: Vec<&str> = cell.split('`').skip(1).step_by(2).collect();
            let first = names.first().copied().unwrap_or_default();
            // `A_B_ID` / `_B_SECRET` names `A_B_SECRET` too.
            names
                .iter()
                .map(|name| match name.strip_prefix('_') {
                    // `_B_SECRET` replaces as many trailing segments of
                    // the row's first name as it has.
                    Some(rest) => {
                        let mut segments: Vec<&str> = first.split('_').collect();
                        segments.truncate(segments.len().saturating_sub(rest.split('_').count()));
                        format!("{}{name}", segments.join("_"))
                    }
                    None => (*name).to_owned(),
                })
                .collect::<Vec<_>>()
        })
        // Other tables (the metrics') name lowercase things.
        .filter(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect()
}

/// Installs the process-wide TLS provider the HTTP clients need (the binary
/// does this in `main`).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client builder with a whole-request `timeout`, after installing
/// the TLS provider: reqwest is built without one, and a builder made before
/// any harness started would otherwise panic.
pub fn http_client(timeout: Duration) -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder().timeout(timeout)
}

/// Reads `path` straight from the simulator with the demo credentials, to
/// compare what Portico returns with the upstream truth.
pub async fn podio_get(sim_url: &str, path: &str) -> anyhow::Result<serde_json::Value> {
    let client = crate::http_client(Duration::from_secs(10)).build()?;
    let token: serde_json::Value = client
        .post(format!("{sim_url}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", podio_sim::seed::DEV_CLIENT_ID),
            ("client_secret", podio_sim::seed::DEV_CLIENT_SECRET),
            ("username", podio_sim::seed::DEV_USERNAME),
            ("password", podio_sim::seed::DEV_PASSWORD),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let access = token["access_token"]
        .as_str()
        .context("no access_token from the simulator")?;
    Ok(client
        .get(format!("{sim_url}{path}"))
        .header("Authorization", format!("OAuth2 {access}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// How many items app `app_id` holds in the simulator (a fresh one per
/// stack, so only that test's writes change it).
pub async fn podio_item_count(sim_url: &str, app_id: u64) -> anyhow::Result<u64> {
    let count = podio_get(sim_url, &format!("/item/app/{app_id}/count")).await?;
    count["count"]
        .as_u64()
        .context("podio-sim answered no count")
}
