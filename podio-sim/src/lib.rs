//! podio-sim: a faithful simulator of the subset of the Podio REST API that
//! Portico uses, the stand-in for api.podio.com in local runs and tests.
//!
//! It follows /work/shared/podio-api.md: OAuth token endpoints (password,
//! refresh and app grants), `OAuth2` bearer authentication, per-token hourly
//! rate limits with Podio's headers and HTTP 420, Podio's error body, and the
//! org/space/app/item read endpoints over a deterministic seeded world (see
//! [`seed`] for the well-known ids).

mod auth;
mod config;
mod dates;
mod error;
mod ratelimit;
mod routes;
pub mod seed;
mod sim;
mod tokens;
mod world;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use auth::{LIMIT_HEADER, REMAINING_HEADER};
pub use config::{Config, RATE_LIMIT_VAR, TOKEN_TTL_VAR};
pub use error::RATE_LIMIT_STATUS;
pub use sim::Sim;

/// Serves a freshly seeded simulator on `listener` until `shutdown` is
/// cancelled, then lets in-flight requests finish.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let sim = Sim::new(config);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "podio-sim listening");
    }
    // Answer like a real API server: no Nagle delay on small responses.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, sim.router())
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}
