//! Running the front door: building the app from configuration, serving it
//! on a listener the caller owns, and shutting down gracefully.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use portico_proto::remote::{RemoteAuth, RemoteTools};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Settings};
use crate::state::{AppState, Deps};
use crate::store::redis::RedisStore;

/// How long in-flight requests may run once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the front door on `listener` until `shutdown` is cancelled; then
/// stops accepting, lets in-flight requests finish for at most
/// [`SHUTDOWN_GRACE`], and returns.
pub async fn serve_with(
    settings: Settings,
    deps: Deps,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = crate::build_router(AppState::new(settings, deps, shutdown.clone()));
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "front door listening");
    }
    // Small JSON-RPC answers must not wait on Nagle's algorithm.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server =
        axum::serve(listener, app).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let grace_over = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server => result,
        () = grace_over => {
            tracing::warn!(grace_secs = SHUTDOWN_GRACE.as_secs(), "in-flight requests did not finish in time; closing them");
            Ok(())
        }
    }
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
        sessions: store.clone(),
        limiter: store,
    };
    serve_with(Settings::from_config(&config), deps, listener, shutdown)
        .await
        .context("front door server failed")
}
