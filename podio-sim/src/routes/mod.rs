//! HTTP routes, one module per Podio API area. Each exposes `router()`.

pub mod apps;
pub mod items;
pub mod oauth;
pub mod orgs;
pub mod spaces;

use axum::Extension;

use crate::world::Caller;

/// The authenticated caller, put in place by `auth::require_token`.
pub type Auth = Extension<Caller>;
