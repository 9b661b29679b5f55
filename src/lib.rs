//! The `portico` binary's library half: how the services are composed.
//!
//! Each service is its own library crate with a `serve(config, listener,
//! shutdown)` entry; this crate only composes them — one per process for the
//! microservices shape, all of them in one process for `portico dev` — and
//! holds what only the binary needs (shutdown signals, the admin and
//! healthcheck commands). Telemetry and the rest of the process plumbing
//! are `portico-runtime`'s.

pub mod admin;
pub mod dev;
pub mod healthcheck;

use tokio_util::sync::CancellationToken;

/// A token cancelled on the first SIGINT or SIGTERM, so every server drains
/// and stops from one signal.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
        tracing::info!("shutdown signal received; draining");
        trigger.cancel();
    });
    token
}
