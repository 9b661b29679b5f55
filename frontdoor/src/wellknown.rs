//! OAuth 2.0 Protected Resource Metadata (RFC 9728) for the MCP endpoint,
//! served at both the path-inserted and the root well-known URI because
//! clients try them in that order. Its one authorization server is this
//! server's own issuer (`oauth::metadata`), and like that document it is
//! readable cross-origin, for browser-based clients.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use portico_proto::vocab::Scope;
use serde_json::{Value, json};

use crate::cors;
use crate::state::AppState;

/// `/.well-known/oauth-protected-resource[/mcp]`.
pub(crate) fn router() -> Router<AppState> {
    let documents = Router::new()
        .route("/.well-known/oauth-protected-resource/mcp", get(metadata))
        .route("/.well-known/oauth-protected-resource", get(metadata));
    cors::any_origin(documents, "GET, HEAD, OPTIONS")
}

/// The document; without `authorization_servers` when OAuth sign-in is
/// switched off (the field is optional, and naming a server that cannot
/// sign anyone in would send clients into a dead end).
async fn metadata(State(state): State<AppState>) -> Json<Value> {
    let mut document = json!({
        "resource": state.settings.resource_url(),
        "bearer_methods_supported": ["header"],
        "scopes_supported": Scope::all_names(),
        "resource_name": "Portico",
    });
    if !crate::oauth::oauth_is_off(&state).await {
        document["authorization_servers"] = json!([state.settings.issuer()]);
    }
    Json(document)
}
