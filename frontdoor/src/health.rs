//! Liveness (`/health`: the process answers) and readiness (`/ready`: the
//! session store, the auth service and the tools service all answer), each
//! dependency check bounded so a hung dependency cannot hang the probe.

use std::future::Future;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use portico_proto::auth::v1::ServerInfo;
use portico_proto::error::ErrorCode;
use portico_proto::vocab::CredentialMode;
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

/// Liveness, and what this server really offers: always bearer tokens;
/// OAuth sign-in and its credential modes as the auth service reports them
/// (`"unknown"` while it has never answered: liveness never fails on a
/// dependency, `/ready` does).
async fn health(State(state): State<AppState>) -> Json<Value> {
    let info = state.server_info.get(state.deps.oauth.as_ref()).await;
    let oauth = match &info {
        None => json!({"status": "unknown", "reason": "the auth service has not answered yet"}),
        Some(info) if !info.oauth => json!({
            "status": "off",
            "reason": "the auth service has no PORTICO_ENCRYPTION_KEYS or REDIS_URL; personal api tokens still work",
        }),
        Some(info) => json!({
            "status": "on",
            "issuer": state.settings.issuer(),
            "metadata": format!("{}/.well-known/oauth-authorization-server", state.settings.issuer()),
            "grant_types": crate::oauth::GRANT_TYPES,
            "dynamic_client_registration": true,
            "client_id_metadata_documents": true,
            "credential_modes": mode_names(info),
        }),
    };
    Json(json!({
        "status": "healthy",
        "service": "portico",
        "version": env!("CARGO_PKG_VERSION"),
        "transport": "streamable-http",
        "endpoint": state.settings.resource_url(),
        "auth": {
            "bearer": "required",
            "personal_api_tokens": true,
            "oauth": oauth,
            "admin": info.as_ref().map(|i| i.admin),
        },
    }))
}

/// The credential modes a token can be issued in, by their wire names.
fn mode_names(info: &ServerInfo) -> Vec<&'static str> {
    info.credential_modes
        .iter()
        .filter_map(|m| CredentialMode::try_from(*m).ok())
        .map(CredentialMode::name)
        .collect()
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
    match state.deps.tools.list_tools("").await {
        Ok(_) => Ok(()),
        Err(err) if err.code == ErrorCode::Unauthenticated => Ok(()),
        Err(err) => Err(format!("{}: {}", err.code.as_str(), err.message)),
    }
}
