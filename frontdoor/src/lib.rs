//! The MCP front door: the only public HTTP surface of Portico.
//!
//! It owns no business logic: HTTP and MCP in, gRPC out. Requests to the
//! MCP endpoint pass an origin check, a body limit, bearer authentication
//! (introspected through the auth service, cached briefly) and a
//! per-principal rate limit before their JSON-RPC message is handled;
//! tool calls go to the tools service with the caller's own token. The
//! OAuth 2.1 authorization server's endpoints (`/oauth/*` and its metadata)
//! are translated to the auth service the same way.
//!
//! Build with [`router`] (tests, embedding) or run with [`serve_with`] /
//! [`serve`]. What turns request bytes into a message or a refusal is
//! public, for the fuzz targets (`fuzz/`) and property tests:
//! [`mcp::jsonrpc`], [`mcp::modern`] and [`mcp::protocol`] for MCP,
//! [`oauth::params`] and [`oauth::basic`] for the OAuth endpoints.

pub mod config;
pub mod mcp;
pub mod oauth;
pub mod store;

mod auth;
mod cors;
mod errors;
mod health;
mod metrics;
mod origin;
mod ratelimit;
mod serve;
mod server_info;
mod state;
mod trace;
mod wellknown;

pub use config::{Config, Settings, VARIABLES};
pub use serve::{SHUTDOWN_GRACE, serve, serve_with};
pub use state::Deps;

use axum::Router;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// The whole HTTP surface: `/mcp` and `/` (MCP), `/health`, `/ready`, the
/// OAuth endpoints (`/oauth/*`) and the protected resource and
/// authorization server metadata documents.
pub fn router(settings: Settings, deps: Deps) -> Router {
    build_router(AppState::new(settings, deps, CancellationToken::new()))
}

pub(crate) fn build_router(state: AppState) -> Router {
    let limits = state.settings.limits;
    Router::new()
        .merge(mcp::router(&state))
        .merge(health::router())
        .merge(wellknown::router())
        .merge(oauth::router())
        // A request (body included) that takes too long gets 408; a
        // streamed reply, once started, is bounded by the call it streams.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            limits.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trace::request_span,
        ))
        // A panic in one request answers 500 and leaves the process up.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            errors::panicked,
        ))
        .with_state(state)
}
