//! The OAuth 2.1 authorization server's HTTP surface. The auth service
//! implements it (`OAuthEndpoints`); the front door only translates HTTP to
//! its messages and back, and owns no OAuth logic.
//!
//! - metadata (RFC 8414) at `/.well-known/oauth-authorization-server`, the
//!   path-inserted `…/mcp` form clients derive from the resource, and
//!   `/.well-known/openid-configuration`;
//! - `/oauth/authorize` and `/oauth/callback`, browser navigations answered
//!   with redirects or an HTML error page;
//! - `/oauth/token`, `/oauth/register`, `/oauth/revoke`, JSON for clients,
//!   with CORS for browser-based ones (as the metadata has).
//!
//! Every body is bounded (`params::MAX_BODY_BYTES`), and so is every
//! parameter passed on. The parsers of request bytes (`params`, `basic`)
//! and their [`refusal::Refusal`] are public, for the fuzz targets and
//! property tests.

pub mod basic;
mod endpoints;
mod metadata;

pub(crate) use metadata::{GRANT_TYPES, oauth_is_off};
mod page;
pub mod params;
pub mod refusal;
mod reply;

use axum::Router;
use axum::routing::{get, post};

use crate::cors;
use crate::state::AppState;

/// Where sign-in starts (and, by POST, where Copilot Studio refreshes).
pub(crate) const AUTHORIZE_PATH: &str = "/oauth/authorize";
/// Where Podio sends the user back.
pub(crate) const CALLBACK_PATH: &str = "/oauth/callback";
/// The token endpoint.
pub(crate) const TOKEN_PATH: &str = "/oauth/token";
/// Dynamic client registration (RFC 7591).
pub(crate) const REGISTER_PATH: &str = "/oauth/register";
/// Token revocation (RFC 7009).
pub(crate) const REVOKE_PATH: &str = "/oauth/revoke";

/// The metadata documents and the OAuth endpoints.
pub(crate) fn router() -> Router<AppState> {
    let metadata = Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::document),
        )
        .route(
            "/.well-known/oauth-authorization-server/mcp",
            get(metadata::document),
        )
        .route("/.well-known/openid-configuration", get(metadata::document));
    let client_endpoints = Router::new()
        .route(TOKEN_PATH, post(endpoints::token))
        .route(REGISTER_PATH, post(endpoints::register))
        .route(REVOKE_PATH, post(endpoints::revoke));
    // Browser navigations: CORS does not apply, and none is offered.
    let navigations = Router::new()
        .route(
            AUTHORIZE_PATH,
            get(endpoints::authorize).post(endpoints::authorize_post),
        )
        .route(CALLBACK_PATH, get(endpoints::callback));
    Router::new()
        .merge(cors::any_origin(metadata, "GET, HEAD, OPTIONS"))
        .merge(cors::any_origin(client_endpoints, "POST, OPTIONS"))
        .merge(navigations)
}
