//! The simulator's shared state and its HTTP router.

use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use axum::middleware;
use tokio::time::Instant;

use crate::config::Config;
use crate::faults::Faults;
use crate::pending::{Authorization, CodeError, Pending};
use crate::ratelimit::{RateLimiter, Verdict};
use crate::tokens::{Issued, Subject, TokenError, TokenStore};
use crate::world::{Caller, World};
use crate::{auth, error, faults, routes, seed};

/// A running simulated Podio: seeded world, issued tokens, pending
/// authorizations, rate counters.
/// Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Shared>,
}

struct Shared {
    config: Config,
    // Writes take the write lock; handlers never hold a guard across an
    // await.
    world: RwLock<World>,
    tokens: Mutex<TokenStore>,
    pending: Mutex<Pending>,
    limiter: Mutex<RateLimiter>,
    faults: Faults,
}

impl Sim {
    /// A simulator over the seeded demo world.
    pub fn new(config: Config) -> Sim {
        let limiter = RateLimiter::new(config.rate_limit_per_hour);
        let faults = Faults::new(config.faults.clone());
        Sim {
            inner: Arc::new(Shared {
                config,
                world: RwLock::new(seed::world()),
                tokens: Mutex::new(TokenStore::default()),
                pending: Mutex::new(Pending::default()),
                limiter: Mutex::new(limiter),
                faults,
            }),
        }
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The fault rules in force.
    pub(crate) fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// The HTTP API: OAuth token endpoints and authorize pages, the
    /// authenticated REST routes,
    /// an unauthenticated `GET /health` for container healthchecks (not a
    /// Podio endpoint), the fault-injection control routes (see
    /// [`crate::faults`]), and Podio-shaped 404s for everything else.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .merge(routes::orgs::router())
            .merge(routes::spaces::router())
            .merge(routes::apps::router())
            .merge(routes::items::router())
            .merge(routes::embed::router())
            .merge(routes::views::router())
            .merge(routes::members::router())
            .merge(routes::tasks::router())
            .merge(routes::comments::router())
            .merge(routes::notifications::router())
            .merge(routes::users::router())
            .merge(routes::search::router())
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                auth::require_token,
            ))
            // Outermost of the API routes: every answer, refusals included,
            // takes the configured latency, as a distant Podio would.
            .route_layer(middleware::from_fn_with_state(self.clone(), delayed));
        Router::new()
            .route(
                "/health",
                axum::routing::get(|| async {
                    axum::Json(serde_json::json!({"status": "healthy"}))
                }),
            )
            .merge(routes::oauth::router())
            .merge(routes::authorize::router())
            .merge(api)
            .merge(faults::router())
            .fallback(error::unknown_path)
            // Inside the error-body layer, so injected errors are
            // Podio-shaped too.
            .layer(middleware::from_fn_with_state(self.clone(), faults::inject))
            .layer(middleware::from_fn(error::podio_error_bodies))
            .with_state(self.clone())
    }

    /// Read access to the world.
    pub(crate) fn world(&self) -> RwLockReadGuard<'_, World> {
        // A panic while holding the lock cannot leave the world half-written
        // in a way worse than refusing service, so poisoning is ignored.
        self.inner
            .world
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Write access to the world. Writers validate everything before the
    /// first mutation, so a rejected request leaves the world untouched.
    pub(crate) fn world_mut(&self) -> RwLockWriteGuard<'_, World> {
        self.inner
            .world
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Issues a token pair for `subject`.
    pub(crate) fn issue_token(&self, subject: Subject) -> Issued {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .issue(subject, self.inner.config.token_ttl, Instant::now())
    }

    /// Exchanges a refresh token issued to `client_id` for a new pair.
    pub(crate) fn refresh_token(&self, refresh_token: &str, client_id: &str) -> Option<Issued> {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .refresh(
                refresh_token,
                client_id,
                self.inner.config.token_ttl,
                Instant::now(),
            )
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A login ticket for the allow page.
    pub(crate) fn login_ticket(&self, authorization: Authorization) -> String {
        self.pending().ticket(authorization, Instant::now())
    }

    /// Spends a login ticket.
    pub(crate) fn take_ticket(&self, ticket: &str) -> Option<Authorization> {
        self.pending().take_ticket(ticket, Instant::now())
    }

    /// An authorization code for the redirect after "allow".
    pub(crate) fn authorization_code(&self, authorization: Authorization) -> String {
        self.pending().code(authorization, Instant::now())
    }

    /// Spends an authorization code presented by `client_id` with
    /// `redirect_uri`.
    pub(crate) fn take_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<Authorization, CodeError> {
        self.pending()
            .take_code(code, client_id, redirect_uri, Instant::now())
    }

    /// Who an access token acts for.
    pub(crate) fn check_token(&self, token: &str, now: Instant) -> Result<Caller, TokenError> {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .check(token, now)
    }

    /// Counts one call by `token`; returns the ceiling and the verdict.
    pub(crate) fn count_call(&self, token: &str, now: Instant) -> (u32, Verdict) {
        let mut limiter = self
            .inner
            .limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (limiter.limit(), limiter.hit(token, now))
    }
}

/// Middleware: holds an API answer back by the configured latency (without
/// holding a thread: the task sleeps).
async fn delayed(
    axum::extract::State(sim): axum::extract::State<Sim>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let latency = sim.config().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    next.run(request).await
}
