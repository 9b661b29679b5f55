//! OAuth 2.0 Authorization Server Metadata (RFC 8414): where the endpoints
//! are and what they accept. Built from the public URL alone, so `issuer` is
//! exactly the URL every well-known location was derived from.

use axum::Json;
use axum::extract::State;
use portico_proto::vocab::Scope;
use serde_json::{Value, json};

use crate::oauth::{AUTHORIZE_PATH, REGISTER_PATH, REVOKE_PATH, TOKEN_PATH};
use crate::state::AppState;

/// How clients may authenticate at the token and revocation endpoints:
/// public clients (PKCE only) and confidential ones, secret in the body or
/// in Basic.
const CLIENT_AUTH_METHODS: [&str; 3] = ["none", "client_secret_post", "client_secret_basic"];

/// The metadata document, the same at every well-known location.
pub(crate) async fn document(State(state): State<AppState>) -> Json<Value> {
    let issuer = state.settings.issuer();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "registration_endpoint": format!("{issuer}{REGISTER_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOKE_PATH}"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "scopes_supported": Scope::all_names(),
        // The auth service adds `iss` to every authorization response
        // (RFC 9207), errors included.
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": true,
    }))
}
