//! `portico`: one binary for every Portico service, for local development
//! (`portico dev`) and for operators (`portico admin`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use portico::{admin, dev, healthcheck, shutdown_on_signal};
use portico_proto::vocab::{scope_string, scopes_of};
use portico_runtime::env::Env;
use portico_runtime::telemetry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// jemalloc rather than the system allocator: under a steady load of tool
/// calls glibc's malloc kept growing the services' resident memory (about
/// 1 MiB a minute in the tools service) while their live heap stayed under
/// 3 MiB (heaptrack), holding freed memory in its per-thread arenas;
/// jemalloc hands unused pages back after a few seconds. See the soak in
/// the README.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const ENVIRONMENT: &str = "\
Configuration (environment variables; same names in docker-compose and Kubernetes):
  all services   PORTICO_LOG (filter, default info), PORTICO_LOG_FORMAT (json|text),
                 OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME (OTLP/gRPC trace export)
  frontdoor      PORTICO_FRONTDOOR_LISTEN (0.0.0.0:8080), PORTICO_PUBLIC_URL (http://localhost:8080),
                 REDIS_URL (required), PORTICO_REDIS_PREFIX (portico:), PORTICO_AUTH_URL,
                 PORTICO_TOOLS_URL, PORTICO_RATE_LIMIT_PER_MINUTE (300),
                 PORTICO_DEFAULT_MODE_REQUESTS_PER_HOUR (40), PORTICO_SESSION_TTL_SECS (3600),
                 PORTICO_ALLOWED_ORIGINS, PORTICO_ALLOWED_HOSTS, PORTICO_MAX_BODY_BYTES (1048576),
                 PORTICO_MAX_CONNECTIONS (1024), PORTICO_HEADER_TIMEOUT_SECS (10),
                 PORTICO_REQUEST_TIMEOUT_SECS (120), PORTICO_MAX_CALLS_PER_PRINCIPAL (16),
                 PORTICO_SHUTDOWN_DELAY_SECS (0), PORTICO_AUTH_FAILURES_PER_MINUTE (30),
                 PORTICO_TRUSTED_PROXIES, PORTICO_IDEMPOTENCY_WINDOW_SECS,
                 PORTICO_IDEMPOTENCY_KEY_TTL_SECS
  auth           PORTICO_AUTH_LISTEN (0.0.0.0:50051), DATABASE_URL (required), PORTICO_ADMIN_SECRET
                 (admin rpcs are refused without it), PORTICO_PODIO_API_URL (https://api.podio.com),
                 PORTICO_PODIO_CLIENT_ID, PORTICO_PODIO_CLIENT_SECRET, PORTICO_PODIO_USERNAME,
                 PORTICO_PODIO_PASSWORD (the server's own Podio account), PORTICO_PODIO_TIMEOUT_SECS (20),
                 PORTICO_PUBLIC_URL (the issuer), PORTICO_ENCRYPTION_KEYS and REDIS_URL (both needed
                 for OAuth), PORTICO_REDIS_PREFIX, PORTICO_PODIO_AUTHORIZE_URL
                 (https://podio.com/oauth/authorize), PORTICO_DEFAULT_REDIRECT_ALLOWLIST,
                 PORTICO_DEFAULT_MODE_CLIENT_IDS
  tools          PORTICO_TOOLS_LISTEN (0.0.0.0:50052), PORTICO_AUTH_URL (http://127.0.0.1:50051),
                 PORTICO_CONNECTOR_URL (http://127.0.0.1:50053)
  connector      PORTICO_CONNECTOR_LISTEN (0.0.0.0:50053), PORTICO_PODIO_API_URL (https://api.podio.com),
                 PORTICO_AUTH_URL (http://127.0.0.1:50051), PORTICO_PODIO_TIMEOUT_SECS (20),
                 PORTICO_PODIO_MAX_RETRIES (2), PORTICO_PODIO_QUOTA_RESERVE (2), REDIS_URL,
                 PORTICO_REDIS_PREFIX (per-credential Podio budgets shared by replicas)
  podio-sim      PODIO_SIM_LISTEN (0.0.0.0:8090), PODIO_SIM_RATE_LIMIT_PER_HOUR (5000),
                 PODIO_SIM_TOKEN_TTL_SECS (28800), PODIO_SIM_LATENCY_MS (0),
                 PODIO_SIM_FAULTS (fault-injection rules, JSON; none)
  admin          PORTICO_AUTH_URL, PORTICO_ADMIN_SECRET";

#[derive(Parser)]
#[command(name = "portico", version, about = "Self-hosted remote MCP server for Podio", after_help = ENVIRONMENT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service and the Podio simulator in one process, in memory.
    Dev {
        /// Port for the MCP endpoint (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Use this bearer token instead of a random one (at least 16 characters).
        #[arg(long)]
        dev_token: Option<String>,
    },
    /// Run the MCP front door (HTTP).
    Frontdoor,
    /// Run the auth service (gRPC).
    Auth,
    /// Run the tools service (gRPC).
    Tools,
    /// Run the Podio connector service (gRPC).
    Connector,
    /// Run the Podio API simulator (HTTP).
    PodioSim,
    /// Apply the auth service's database migrations (DATABASE_URL) and exit.
    Migrate,
    /// Operator commands against a running auth service.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Probe a service; exits 0 when it is healthy (for container healthchecks).
    Healthcheck {
        /// An HTTP URL that must answer 2xx, e.g. http://127.0.0.1:8080/ready.
        #[arg(long, conflicts_with = "grpc", required_unless_present = "grpc")]
        http: Option<String>,
        /// A gRPC server that must report SERVING, e.g. http://127.0.0.1:50051.
        #[arg(long)]
        grpc: Option<String>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Personal API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// OAuth clients created for a user's custom integration.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// The audit log: write tool calls and token, client and grant changes, newest first.
    Audit {
        /// Only this user's (the principal's subject, e.g. podio:123 or token:<id>).
        #[arg(long)]
        user: Option<String>,
        /// Only those through this OAuth client id.
        #[arg(long)]
        client: Option<String>,
        /// Only since this time: RFC 3339, or an age like 24h or 7d.
        #[arg(long)]
        since: Option<String>,
        /// At most this many (default 100, at most 1000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Re-encrypt every stored Podio secret and token under the current encryption key.
    ///
    /// The current key is the first of the auth service's PORTICO_ENCRYPTION_KEYS.
    /// Prints, per kind of stored secret, how many were examined, rewrapped,
    /// already current, undecryptable (no key decrypts them; left as they are)
    /// and contended (changed by a token refresh meanwhile; run again). Exits
    /// non-zero when anything is undecryptable or contended: do not remove a
    /// key then. Sign-ins in flight are not rewritten; they expire within
    /// minutes. See the README's "Rotate the encryption key".
    Rekey {
        /// Only count what would be rewritten; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Create a client for a user and print its secret once.
    Create {
        /// The user it belongs to (and acts as, for client_credentials): podio:<podio user id>.
        #[arg(long)]
        owner: String,
        /// A descriptive name, e.g. "nightly report".
        #[arg(long)]
        name: String,
        /// Grant type (repeatable): authorization_code (with refresh), client_credentials.
        #[arg(long = "grant", required = true)]
        grants: Vec<String>,
        /// Redirect URI for authorization_code (repeatable): https, or http on localhost/127.0.0.1.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// Scopes it may be granted (repeatable): podio:read, podio:write. Default: all.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// List clients (never their secrets).
    List {
        /// Only the clients of this user (podio:<podio user id>).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Give a client a new secret, printed once; the old one stops working at once.
    Rotate {
        /// The client id (mcp-client-…).
        client_id: String,
    },
    /// Revoke a client and every token issued to it.
    Revoke {
        /// The client id (mcp-client-…).
        client_id: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it once.
    Create {
        /// A descriptive name, e.g. "laptop inspector".
        #[arg(long)]
        name: String,
        /// Scopes to grant (repeatable): podio:read, podio:write. Default: all.
        #[arg(long = "scope", conflicts_with = "read_only")]
        scopes: Vec<String>,
        /// Grant only podio:read.
        #[arg(long)]
        read_only: bool,
        /// Limit the token to this Podio workspace (space id; repeatable).
        #[arg(long = "space")]
        spaces: Vec<i64>,
        /// Limit the token to this Podio organization and its workspaces (repeatable).
        #[arg(long = "org")]
        orgs: Vec<i64>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token id shown by `list` or at creation.
        id: String,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // One TLS provider for every HTTPS client in the process (reqwest, sqlx).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = parse_cli();
    let env: HashMap<String, String> = std::env::vars().collect();
    match run(cli.command, &env).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("portico: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Each service command's environment variables, for its `--help`.
const SERVICE_VARIABLES: &[(&str, &[&str])] = &[
    ("frontdoor", portico_frontdoor::VARIABLES),
    ("auth", portico_auth::VARIABLES),
    ("tools", portico_tools::VARIABLES),
    ("connector", portico_connector::VARIABLES),
    ("podio-sim", podio_sim::VARIABLES),
];

/// The command line, with each service command's `--help` ending in the
/// environment variables it reads (the README's configuration table says
/// what each one means).
fn parse_cli() -> Cli {
    let mut command = Cli::command();
    for (name, variables) in SERVICE_VARIABLES {
        let help = environment_help(variables);
        command = command.mut_subcommand(*name, |sub| sub.after_help(help));
    }
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
}

fn environment_help(variables: &[&str]) -> String {
    let mut help = String::from("Environment (see the README's configuration table):\n");
    for name in variables.iter().chain(telemetry::VARIABLES) {
        help.push_str("  ");
        help.push_str(name);
        help.push('\n');
    }
    help
}

async fn bind(var: &str, addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({var})"))
}

/// `value`, or `-` when empty (for tab-separated listings).
fn or_dash(value: &str) -> &str {
    if value.is_empty() { "-" } else { value }
}

/// One service in a process of its own: its telemetry, then its
/// configuration and listener, served until SIGINT or SIGTERM.
async fn serve_alone<C, E, Fut>(
    service: &str,
    env: &HashMap<String, String>,
    listen_var: &str,
    config: impl FnOnce(&HashMap<String, String>) -> anyhow::Result<(SocketAddr, C)>,
    serve: impl FnOnce(C, TcpListener, CancellationToken) -> Fut,
) -> anyhow::Result<()>
where
    Fut: std::future::Future<Output = Result<(), E>>,
    E: Into<anyhow::Error>,
{
    let _telemetry = telemetry::init(service, env);
    start_metrics(env).await?;
    let (addr, config) = config(env)?;
    let listener = bind(listen_var, addr).await?;
    // The bound address, not the configured one: with port 0 this line is
    // how a supervisor (or a test) learns where the service is.
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "{service} listening");
    serve(config, listener, shutdown_on_signal())
        .await
        .map_err(Into::into)
}

/// Starts the process's metrics listener when `PORTICO_METRICS_LISTEN` is
/// set (every service command and `dev`; admin and healthcheck have none),
/// once telemetry is up so its address is logged.
async fn start_metrics(env: &HashMap<String, String>) -> anyhow::Result<()> {
    let var = portico_runtime::metrics::LISTEN_VAR;
    let Some(addr) = Env(env).get(var).filter(|v| !v.trim().is_empty()) else {
        return Ok(());
    };
    let addr: SocketAddr = addr
        .trim()
        .parse()
        .with_context(|| format!("{var} must be host:port, e.g. 0.0.0.0:9464"))?;
    let listener = bind(var, addr).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "metrics listening");
    let shutdown = shutdown_on_signal();
    tokio::spawn(async move {
        if let Err(err) = portico_runtime::metrics::serve(listener, shutdown).await {
            tracing::error!(%err, "the metrics listener failed");
        }
    });
    Ok(())
}

async fn run(command: Command, env: &HashMap<String, String>) -> anyhow::Result<()> {
    match command {
        Command::Dev {
            port,
            host,
            dev_token,
        } => {
            let _telemetry = telemetry::init("dev", env);
            start_metrics(env).await?;
            let options = dev::DevOptions {
                host,
                port,
                dev_token,
                rate_limit_per_minute: None,
            };
            let handle = dev::start(options, env, shutdown_on_signal()).await?;
            println!("Portico dev is running (every service in one process, in memory).");
            if let Some(sim) = &handle.podio_sim_url {
                println!("Podio simulator: {sim}");
            }
            println!("MCP endpoint: {}", handle.mcp_url);
            println!("Dev token: {}", handle.token);
            println!("Press Ctrl-C to stop.");
            handle.run_until_stopped().await
        }
        Command::Frontdoor => {
            let config = |env: &_| {
                let config = portico_frontdoor::Config::from_env(env)?;
                Ok((config.listen, config))
            };
            serve_alone(
                "frontdoor",
                env,
                "PORTICO_FRONTDOOR_LISTEN",
                config,
                portico_frontdoor::serve,
            )
            .await
        }
        Command::Auth => {
            let config = |env: &_| {
                let config = portico_auth::Config::from_env(env)?;
                Ok((config.listen, config))
            };
            serve_alone(
                "auth",
                env,
                "PORTICO_AUTH_LISTEN",
                config,
                portico_auth::serve,
            )
            .await
        }
        Command::Tools => {
            let config = |env: &_| {
                let config = portico_tools::Config::from_env(env)?;
                Ok((config.listen, config))
            };
            serve_alone(
                "tools",
                env,
                "PORTICO_TOOLS_LISTEN",
                config,
                portico_tools::serve,
            )
            .await
        }
        Command::Connector => {
            let config = |env: &_| {
                let config = portico_connector::Config::from_env(env)?;
                Ok((config.listen, config))
            };
            serve_alone(
                "connector",
                env,
                "PORTICO_CONNECTOR_LISTEN",
                config,
                portico_connector::serve,
            )
            .await
        }
        Command::Migrate => {
            let _telemetry = telemetry::init("migrate", env);
            let url = Env(env).required("DATABASE_URL", "a postgres:// URL")?;
            portico_auth::migrate(&url).await?;
            tracing::info!("database migrations applied");
            Ok(())
        }
        Command::PodioSim => {
            let config = |env: &HashMap<String, String>| {
                let addr = Env(env).parse_or(
                    "PODIO_SIM_LISTEN",
                    ([0, 0, 0, 0], 8090).into(),
                    "host:port",
                )?;
                Ok((addr, podio_sim::Config::from_env(env)?))
            };
            serve_alone(
                "podio-sim",
                env,
                "PODIO_SIM_LISTEN",
                config,
                podio_sim::serve,
            )
            .await
        }
        Command::Admin {
            command:
                AdminCommand::Audit {
                    user,
                    client,
                    since,
                    limit,
                },
        } => {
            let admin = admin::AdminClient::from_env(env)?;
            let now = chrono::Utc::now().timestamp();
            let since = since.as_deref().map(|s| admin::since(s, now)).transpose()?;
            let events = admin
                .audit(user.as_deref(), client.as_deref(), since, limit)
                .await?;
            println!("time\tuser\tclient\tmode\taction\ttarget\toutcome\ttrace");
            for e in events {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    admin::unix_time(e.at),
                    e.subject,
                    or_dash(&e.client_id),
                    or_dash(&e.credential_mode),
                    e.action,
                    or_dash(&e.target),
                    e.outcome,
                    or_dash(&e.trace_id)
                );
            }
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Rekey { dry_run },
        } => {
            let admin = admin::AdminClient::from_env(env)?;
            let report = admin.rekey(dry_run).await?;
            print!("{}", admin::rekey_listing(&report));
            eprintln!("{}", admin::rekey_verdict(&report)?);
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Token { command },
        } => {
            let client = admin::AdminClient::from_env(env)?;
            match command {
                TokenCommand::Create {
                    name,
                    scopes,
                    read_only,
                    spaces,
                    orgs,
                } => {
                    let scopes = if read_only {
                        vec!["podio:read".to_owned()]
                    } else {
                        scopes
                    };
                    let created = client.create_token(&name, &scopes, &spaces, &orgs).await?;
                    let info = created.info.unwrap_or_default();
                    eprintln!(
                        "Created token {:?} (id {}, scopes {}). It is shown only this once:",
                        info.name,
                        info.id,
                        scope_string(&scopes_of(&info.scopes))
                    );
                    println!("{}", created.token);
                }
                TokenCommand::List => {
                    println!("id\tprefix\tstate\tscopes\tlimited to\tcreated\tlast used\tname");
                    for t in client.list_tokens().await? {
                        let state = if t.revoked_at > 0 {
                            "revoked"
                        } else {
                            "active"
                        };
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            t.id,
                            t.token_hint,
                            state,
                            scope_string(&scopes_of(&t.scopes)),
                            admin::limits(&t.space_ids, &t.org_ids),
                            admin::unix_time(t.created_at),
                            admin::unix_time(t.last_used_at),
                            t.name
                        );
                    }
                }
                TokenCommand::Revoke { id } => {
                    client.revoke_token(&id).await?;
                    eprintln!("Revoked token {id}.");
                }
            }
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Client { command },
        } => {
            let client = admin::AdminClient::from_env(env)?;
            match command {
                ClientCommand::Create {
                    owner,
                    name,
                    grants,
                    redirect_uris,
                    scopes,
                } => {
                    let created = client
                        .create_client(&admin::NewOAuthClient {
                            owner_subject: owner,
                            name,
                            grant_types: grants,
                            redirect_uris,
                            scopes,
                        })
                        .await?;
                    let info = created.info.unwrap_or_default();
                    eprintln!(
                        "Created OAuth client {:?} for {} (client id {}, grants {}, scopes {}). Its secret is shown only this once:",
                        info.name,
                        info.owner_subject,
                        info.client_id,
                        info.grant_types.join(" "),
                        scope_string(&scopes_of(&info.scopes))
                    );
                    println!("{}", created.client_secret);
                }
                ClientCommand::List { owner } => {
                    let clients = client.list_clients(owner.as_deref().unwrap_or("")).await?;
                    println!(
                        "client id\towner\tstate\tgrants\tscopes\tredirect uris\tsecret prefix\tcreated\tname"
                    );
                    for c in clients {
                        let state = if c.revoked_at > 0 {
                            "revoked"
                        } else {
                            "active"
                        };
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            c.client_id,
                            c.owner_subject,
                            state,
                            admin::joined(&c.grant_types, ","),
                            scope_string(&scopes_of(&c.scopes)),
                            admin::joined(&c.redirect_uris, ","),
                            c.secret_hint,
                            admin::unix_time(c.created_at),
                            c.name
                        );
                    }
                }
                ClientCommand::Rotate { client_id } => {
                    let rotated = client.rotate_client(&client_id).await?;
                    eprintln!(
                        "Rotated the secret of OAuth client {client_id}; the old one no longer works. The new one is shown only this once:"
                    );
                    println!("{}", rotated.client_secret);
                }
                ClientCommand::Revoke { client_id } => {
                    client.revoke_client(&client_id).await?;
                    eprintln!("Revoked OAuth client {client_id} and every token issued to it.");
                }
            }
            Ok(())
        }
        Command::Healthcheck { http, grpc } => match (http, grpc) {
            (Some(url), _) => healthcheck::http(&url).await,
            (None, Some(url)) => healthcheck::grpc(&url).await,
            (None, None) => anyhow::bail!("give --http URL or --grpc URL"),
        },
    }
}
