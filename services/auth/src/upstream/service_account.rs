//! The server's own Podio account (the service credential mode): a Podio API
//! key plus a Podio login, used with the password grant. Its token pair is
//! cached in memory; one tokio mutex is held across renewal so concurrent
//! callers wait for one token request instead of each sending their own.
//! Tokens never leave the server's internal network and are never logged.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use portico_proto::auth::UpstreamToken;
use portico_runtime::secret::Secret;
use tokio::sync::Mutex;

use super::podio::{Grant, PodioGrantError, PodioKey, PodioOAuth, PodioTokens};
use crate::tokens;

/// Renew this long before Podio's stated expiry, so a token never dies in
/// flight (shortened for tokens that live less than twice this).
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// The configured Podio account of the service mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    /// The API key the password grant uses.
    pub key: PodioKey,
    /// The Podio user's login (e-mail).
    pub username: String,
    /// The Podio user's password.
    pub password: Secret,
}

#[derive(Debug)]
struct Cached {
    access: Secret,
    access_sha256: String,
    refresh: Option<Secret>,
    renew_at: Instant,
    expires_at: i64,
}

/// The service account's token pair, fetched and renewed on demand.
#[derive(Debug)]
pub(crate) struct ServiceTokens {
    account: ServiceAccount,
    cached: Mutex<Option<Cached>>,
}

impl ServiceTokens {
    pub(crate) fn new(account: ServiceAccount) -> ServiceTokens {
        ServiceTokens {
            account,
            cached: Mutex::new(None),
        }
    }

    /// A token good for at least the expiry margin. With `rejected` (the
    /// hash of a token Podio refused), renews unless the cached token is
    /// already another one.
    pub(crate) async fn current(
        &self,
        podio: &PodioOAuth,
        rejected: Option<&str>,
    ) -> Result<UpstreamToken, PodioGrantError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            let refused = rejected.is_some_and(|r| tokens::constant_time_eq(r, &c.access_sha256));
            if !refused && Instant::now() < c.renew_at {
                return Ok(token_of(c));
            }
        }
        let refresh = cached.take().and_then(|c| c.refresh);
        let issued = self.renew(podio, refresh).await?;
        let fresh = cache_entry(issued);
        let token = token_of(&fresh);
        *cached = Some(fresh);
        Ok(token)
    }

    /// Refreshes when there is a refresh token, and falls back to a new
    /// password grant when Podio refuses it (dead or revoked refresh token).
    async fn renew(
        &self,
        podio: &PodioOAuth,
        refresh: Option<Secret>,
    ) -> Result<PodioTokens, PodioGrantError> {
        let password = Grant::Password {
            username: &self.account.username,
            password: &self.account.password,
        };
        let Some(refresh) = refresh else {
            return podio.grant(&self.account.key, password).await;
        };
        match podio
            .grant(&self.account.key, Grant::Refresh(&refresh))
            .await
        {
            Err(PodioGrantError::Refused {
                status: 400 | 401,
                error,
                ..
            }) => {
                tracing::info!(%error, "podio refused the refresh token; using the password grant");
                podio.grant(&self.account.key, password).await
            }
            other => other,
        }
    }
}

fn cache_entry(issued: PodioTokens) -> Cached {
    let margin = EXPIRY_MARGIN.min(issued.expires_in / 2);
    let now_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    Cached {
        access_sha256: tokens::hash(issued.access.expose()),
        expires_at: i64::try_from(now_unix.saturating_add(issued.expires_in.as_secs()))
            .unwrap_or(i64::MAX),
        renew_at: Instant::now() + issued.expires_in - margin,
        access: issued.access,
        refresh: issued.refresh,
    }
}

fn token_of(cached: &Cached) -> UpstreamToken {
    UpstreamToken {
        access_token: cached.access.clone(),
        expires_at: cached.expires_at,
    }
}
