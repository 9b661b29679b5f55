//! Liveness (`/health`: the process answers) and readiness (`/ready`: the
//! session store, the auth service and the tools service all answer), each
//! dependency check bounded so a hung dependency cannot hang the probe.

use std::future::Future;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use portico_proto::error::ErrorCode;
use portico_proto::tools::v1::ListToolsRequest;
use serde_json::{Value, json};

use crate::state::AppState;

/// Bound on each readiness check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `/health` and `/ready`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
}

async fn health() -> Json<Value> {
    Json(json!({
        "status": "healthy",
        "service": "portico",
        "version": env!("CARGO_PKG_VERSION"),
        "transport": "streamable-http",
        "auth": "oauth2_authorization_code",
    }))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (sessions, auth, tools) = tokio::join!(
        bounded(check_sessions(&state)),
        bounded(check_auth(&state)),
        bounded(check_tools(&state)),
    );
    let draining = state.shutdown.is_cancelled();
    let all_ok = sessions.is_ok() && auth.is_ok() && tools.is_ok() && !draining;
    let verdict = |r: Result<(), String>| r.err().unwrap_or_else(|| "ok".to_owned());
    let mut body = json!({
        "status": if all_ok { "ready" } else { "not_ready" },
        "checks": {"sessions": verdict(sessions), "auth": verdict(auth), "tools": verdict(tools)},
    });
    if draining {
        body["reason"] = json!("shutting down");
    }
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

async fn bounded(check: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    tokio::time::timeout(CHECK_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())))
}

async fn check_sessions(state: &AppState) -> Result<(), String> {
    state.deps.sessions.ping().await.map_err(|e| e.to_string())
}

/// Introspecting a token that cannot exist must succeed with `active =
/// false`; any error status means the service is not usable.
async fn check_auth(state: &AppState) -> Result<(), String> {
    match state.deps.auth.introspect("portico-readiness-probe").await {
        Ok(_) => Ok(()),
        Err(err) => Err(format!("{}: {}", err.code.as_str(), err.message)),
    }
}

/// Listing tools without a token must be refused with UNAUTHENTICATED: that
/// proves the service is up and enforcing auth.
async fn check_tools(state: &AppState) -> Result<(), String> {
    match state
        .deps
        .tools
        .list_tools(tonic::Request::new(ListToolsRequest {}))
        .await
    {
        Ok(_) => Ok(()),
        Err(status) if status.code() == tonic::Code::Unauthenticated => Ok(()),
        Err(status) => Err(grpc_failure(&status)),
    }
}

fn grpc_failure(status: &tonic::Status) -> String {
    format!(
        "{}: {}",
        ErrorCode::from_grpc(status.code()).as_str(),
        status.message()
    )
}
