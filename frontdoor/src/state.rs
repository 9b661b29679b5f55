//! The one state struct every handler shares, and the dependencies it is
//! built from. Everything in it is cheap to clone (an `Arc` each).

use std::sync::Arc;

use portico_proto::auth::{OAuthEndpoints, TokenIntrospector};
use portico_proto::tools::ToolCalls;
use tokio_util::sync::CancellationToken;

use crate::auth::IntrospectionCache;
use crate::config::Settings;
use crate::mcp::tools::replay::WriteCatalog;
use crate::origin::OriginPolicy;
use crate::ratelimit::InFlight;
use crate::server_info::ServerInfoCache;
use crate::store::idempotency::IdempotencyStore;
use crate::store::{Handoffs, RateLimiter, SessionStore};

/// The services and stores the front door talks to. In the microservices
/// shape these are gRPC clients and Redis; in `portico dev` the in-process
/// services and the in-memory store.
#[derive(Clone)]
pub struct Deps {
    /// Token introspection.
    pub auth: Arc<dyn TokenIntrospector>,
    /// The OAuth 2.1 authorization server's endpoints (the auth service too;
    /// the front door only translates HTTP to them and back).
    pub oauth: Arc<dyn OAuthEndpoints>,
    /// The tool catalog and tool calls.
    pub tools: Arc<dyn ToolCalls>,
    /// Legacy-generation MCP sessions.
    pub sessions: Arc<dyn SessionStore>,
    /// Per-principal request counting.
    pub limiter: Arc<dyn RateLimiter>,
    /// Outcomes of write tool calls, so a repeated write is answered with
    /// the first result instead of writing twice.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Values one request leaves for another: clients' answers to the
    /// server's mid-call requests, and input round-trip states.
    pub handoffs: Arc<dyn Handoffs>,
}

/// Shared state of the HTTP surface.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) settings: Arc<Settings>,
    pub(crate) deps: Deps,
    pub(crate) origins: Arc<OriginPolicy>,
    pub(crate) introspection: Arc<IntrospectionCache>,
    /// What the auth service offers, for `/health` and the metadata.
    pub(crate) server_info: Arc<ServerInfoCache>,
    /// MCP requests in flight per principal on this replica.
    pub(crate) in_flight: Arc<InFlight>,
    /// Which tools write, from the tool catalog (cached per process).
    pub(crate) writes: Arc<WriteCatalog>,
    /// Cancelled when shutdown begins, so `/ready` turns false before the
    /// listener closes and load balancers stop routing here first.
    pub(crate) shutdown: CancellationToken,
}

impl AppState {
    pub(crate) fn new(settings: Settings, deps: Deps, shutdown: CancellationToken) -> AppState {
        AppState {
            origins: Arc::new(OriginPolicy::new(&settings)),
            settings: Arc::new(settings),
            deps,
            introspection: Arc::new(IntrospectionCache::default()),
            server_info: Arc::new(ServerInfoCache::default()),
            in_flight: Arc::new(InFlight::default()),
            writes: Arc::new(WriteCatalog::default()),
            shutdown,
        }
    }
}
