//! OAuth 2.0 Protected Resource Metadata (RFC 9728) for the MCP endpoint,
//! served at both the path-inserted and the root well-known URI because
//! clients try them in that order.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use portico_proto::vocab::Scope;
use serde_json::{Value, json};

use crate::state::AppState;

/// `/.well-known/oauth-protected-resource[/mcp]`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/oauth-protected-resource/mcp", get(metadata))
        .route("/.well-known/oauth-protected-resource", get(metadata))
}

async fn metadata(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "resource": state.settings.resource_url(),
        "authorization_servers": [state.settings.public_url],
        "bearer_methods_supported": ["header"],
        "scopes_supported": Scope::all_names(),
        "resource_name": "Portico",
    }))
}
