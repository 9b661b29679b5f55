//! OAuth 2.0 Authorization Server Metadata (RFC 8414): where the endpoints
//! are and what they accept. Built from the public URL alone, so `issuer` is
//! exactly the URL every well-known location was derived from.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_proto::vocab::Scope;
use serde_json::json;

use crate::oauth::{AUTHORIZE_PATH, REGISTER_PATH, REVOKE_PATH, TOKEN_PATH};
use crate::state::AppState;

/// How clients may authenticate at the token and revocation endpoints:
/// public clients (PKCE only) and confidential ones, secret in the body or
/// in Basic.
const CLIENT_AUTH_METHODS: [&str; 3] = ["none", "client_secret_post", "client_secret_basic"];

/// The grants `/oauth/token` accepts.
pub(crate) const GRANT_TYPES: [&str; 3] =
    ["authorization_code", "refresh_token", "client_credentials"];

/// The metadata document, the same at every well-known location; a 404
/// with a sentence when the auth service says OAuth sign-in is switched
/// off, so no client starts a flow that cannot finish. While the auth
/// service has not answered, the document is served: it describes this
/// server's endpoints, which answer for themselves.
pub(crate) async fn document(State(state): State<AppState>) -> Response {
    if oauth_is_off(&state).await {
        let body = json!({
            "error": "not_found",
            "error_description": "oauth sign-in is switched off on this server: connect with a personal api token (Authorization: Bearer), or ask the operator to set PORTICO_ENCRYPTION_KEYS and REDIS_URL on the auth service",
        });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    let issuer = state.settings.issuer();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "registration_endpoint": format!("{issuer}{REGISTER_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOKE_PATH}"),
        "response_types_supported": ["code"],
        "grant_types_supported": GRANT_TYPES,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "scopes_supported": Scope::all_names(),
        // The auth service adds `iss` to every authorization response
        // (RFC 9207), errors included.
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": true,
    }))
    .into_response()
}

/// True only when the auth service said OAuth is off.
pub(crate) async fn oauth_is_off(state: &AppState) -> bool {
    state
        .server_info
        .get(state.deps.oauth.as_ref())
        .await
        .is_some_and(|info| !info.oauth)
}
