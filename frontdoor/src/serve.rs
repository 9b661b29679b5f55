//! Running the front door: building the app from configuration, serving it
//! on a listener the caller owns, and shutting down gracefully.
//!
//! The accept loop is hyper's own rather than `axum::serve` so that every
//! connection is bounded: at most `max_connections` are open (more wait in
//! the kernel's backlog), a client must send its headers within
//! `header_timeout`, and the same timer closes a keep-alive connection that
//! stays idle that long, so hundreds of idle or slow sockets cannot make the
//! server unreachable.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use portico_proto::remote::{RemoteAuth, RemoteTools};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::config::{Config, Limits, Settings};
use crate::state::{AppState, Deps};
use crate::store::idempotency::redis::RedisIdempotencyStore;
use crate::store::redis::RedisStore;

/// How long in-flight requests may run once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long to wait before accepting again after an accept error (e.g. the
/// process is out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves the front door on `listener` until `shutdown` is cancelled. Then
/// `/ready` answers "shutting down" at once; after the configured shutdown
/// delay the listener stops accepting, and in-flight requests may finish
/// for at most [`SHUTDOWN_GRACE`] before their connections are closed.
pub async fn serve_with(
    settings: Settings,
    deps: Deps,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let limits = settings.limits;
    let app = crate::build_router(AppState::new(settings, deps, shutdown.clone()));
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, max_connections = limits.max_connections, "front door listening");
    }
    let graceful = GracefulShutdown::new();
    let stop_accepting = async {
        shutdown.cancelled().await;
        tokio::time::sleep(limits.shutdown_delay).await;
    };
    tokio::pin!(stop_accepting);
    let builder = connection_builder(&limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop_accepting => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed; backing off");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut stop_accepting => break,
        };
        // Small JSON-RPC answers must not wait on Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
        let header_timeout = limits.header_timeout;
        let builder = builder.clone();
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // hyper's header timer starts only once it knows the protocol,
            // which takes a first byte: a socket that never sends one is
            // closed here instead of holding a connection slot forever.
            let mut first = [0u8; 1];
            match tokio::time::timeout(header_timeout, tcp.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            // Every request knows its TCP peer, as axum's `ConnectInfo`
            // (failed sign-ins are throttled per source address).
            let app = app.map_request(move |mut request: axum::http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(tcp), TowerToHyperService::new(app));
            if let Err(err) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!(grace_secs = SHUTDOWN_GRACE.as_secs(), "in-flight requests did not finish in time; closing them");
        }
    }
    Ok(())
}

/// HTTP/1.1 and HTTP/2 with the connection-level timeouts.
fn connection_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        // An HTTP/2 peer that stops answering pings is gone.
        .keep_alive_interval(Some(limits.header_timeout))
        .keep_alive_timeout(limits.header_timeout)
        .max_concurrent_streams(limits.max_calls_per_principal.saturating_mul(4) as u32);
    builder
}

/// The microservices shape: sessions and rate limits in Redis, auth and
/// tools over gRPC, then [`serve_with`].
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let redis_url = config
        .redis_url
        .as_deref()
        .context("REDIS_URL is required: a redis:// URL for sessions and rate limits")?;
    let store = Arc::new(
        RedisStore::connect(redis_url, &config.redis_prefix)
            .await
            .context("could not connect to redis (REDIS_URL)")?,
    );
    // One channel to the auth service serves introspection and OAuth alike.
    let auth = Arc::new(RemoteAuth::connect_lazy(&config.auth_url).context("PORTICO_AUTH_URL")?);
    let deps = Deps {
        auth: auth.clone(),
        oauth: auth,
        tools: Arc::new(RemoteTools::lazy(&config.tools_url).context("PORTICO_TOOLS_URL")?),
        idempotency: Arc::new(RedisIdempotencyStore::new(&store)),
        sessions: store.clone(),
        handoffs: store.clone(),
        limiter: store,
    };
    serve_with(Settings::from_config(&config), deps, listener, shutdown)
        .await
        .context("front door server failed")
}
