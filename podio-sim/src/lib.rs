//! podio-sim: a faithful simulator of the part of the Podio REST API that
//! Portico's tools use, the stand-in for api.podio.com in local runs and
//! tests. It follows /work/shared/podio-api.md, closely enough that real
//! Podio clients (podio-js) work against it.
//!
//! - **OAuth**: `POST /oauth/token` and `/oauth/token/v2` (form or JSON) with
//!   the authorization_code, password, refresh_token and app grants, for
//!   each of the seeded API keys (the server's shared key and keys Jane and
//!   Bob created, see [`seed`]); tokens are bound to their key. Access tokens
//!   expire (8 h by default), refresh tokens are single-use. API calls
//!   authenticate with `Authorization: OAuth2 <token>` or the `oauth_token`
//!   query parameter.
//! - **Authorize pages** (server-side flow), plain HTML forms that work
//!   without JavaScript: `GET /oauth/authorize` checks `client_id` and that
//!   `redirect_uri` is on the key's registered domain (else a 400 error
//!   page, never a redirect) and shows the login page; `POST
//!   /oauth/authorize` logs in and shows the allow page; `POST
//!   /oauth/authorize/decision` redirects to `redirect_uri` with a
//!   single-use, 10-minute `code` or `error=access_denied`, and the `state`.
//!   [`login`] helps tests drive the pages over HTTP.
//! - **Endpoints**, by area:
//!   - organizations, workspaces, apps: `GET /org/`, `/org/{id}/space/`,
//!     `/space/{id}`, `/app/{id}`, `/app/space/{id}/`;
//!   - items: `GET /item/{id}`, `POST /item/app/{id}/` (create),
//!     `PUT /item/{id}` (update) with per-field-type validation,
//!     `POST /item/app/{id}/filter/[{view_id}/]`, `GET /item/app/{id}/count`,
//!     and `POST /embed/` for link fields;
//!   - saved views: `GET /view/app/{id}/[{view_id}]`;
//!   - members: `GET /space/{id}/member/[v2/]`, `GET /org/{id}/member/`
//!     (org admins only);
//!   - tasks: `GET /task/` (needs a bounding filter), `GET`/`PUT /task/{id}`,
//!     `POST /task/` and `/task/{ref_type}/{ref_id}/`,
//!     `POST /task/{id}/complete` and `/incomplete`;
//!   - comments: `GET`/`POST /comment/item/{id}/`;
//!   - notifications: `GET /notification/`,
//!     `POST /notification/{id}/viewed`;
//!   - users: `GET /user/status`, `/user/`, `/user/profile/`;
//!   - search: `POST /search/` and `/search/{org|space|app}/{id}/`.
//!
//!   Files cannot be uploaded: image and file fields take the seeded file ids.
//! - **Rate limits**: a per-token hourly budget ([`Config`], from
//!   [`RATE_LIMIT_VAR`]) reported in Podio's `X-Rate-Limit-*` headers; past
//!   it, HTTP 420 until the hour's window ends.
//! - **Errors**: every error, including unknown paths and axum's own
//!   rejections, has Podio's body (`error`, `error_description`,
//!   `error_detail`, `error_parameters`, `error_propagate`, `request`).
//! - **Seeded world**: the same on every run: four users (three can log in,
//!   each seeing different workspaces), two organizations,
//!   five workspaces (one the demo user is not in), Companies, Deals (every
//!   field type) and Tickets apps plus a hidden one, with their items, saved
//!   views, tasks, comments, notifications, files and embeds. [`seed`] names
//!   the well-known ids. Writes change the world in memory only.
//!
//! - **Faults**, off by default: error statuses, latency, hangs, cut
//!   connections and malformed bodies, per endpoint, user or for all, set
//!   from [`FAULTS_VAR`] or at run time under `/_sim/faults` ([`faults`]).
//!
//! `GET /health` (not a Podio endpoint) answers without a token, for
//! container healthchecks.

mod auth;
mod clients;
mod config;
mod dates;
mod error;
pub mod faults;
mod html;
pub mod login;
mod pages;
mod pending;
mod ratelimit;
mod routes;
pub mod seed;
mod sim;
mod tokens;
mod world;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use auth::{LIMIT_HEADER, REMAINING_HEADER};
pub use config::{Config, RATE_LIMIT_VAR, TOKEN_TTL_VAR, VARIABLES};
pub use error::RATE_LIMIT_STATUS;
pub use faults::{FAULTS_VAR, Fault, Rule, When};
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
