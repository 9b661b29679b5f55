//! HTTP routes, one module per Podio API area. Each exposes `router()`.

pub mod apps;
pub mod authorize;
pub mod comments;
pub mod embed;
pub mod input;
pub mod items;
pub mod members;
pub mod notifications;
pub mod oauth;
pub mod orgs;
pub mod search;
pub mod spaces;
pub mod tasks;
pub mod users;
pub mod views;

use axum::Extension;

use crate::world::Caller;

/// The authenticated caller, put in place by `auth::require_token`.
pub type Auth = Extension<Caller>;
