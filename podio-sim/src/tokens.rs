//! Access and refresh tokens issued by the simulated OAuth endpoint.
//!
//! Tokens are random (128 hex characters, like Podio's), held in memory and
//! never logged. Podio binds tokens to the API key they were issued to, so a
//! refresh token only works with that key's client id; a refresh consumes
//! it. Expired access tokens are remembered for a while so a client is told
//! "expired" rather than "unknown" and knows to refresh.

use std::collections::HashMap;
use std::time::Duration;

use rand::RngCore;
use tokio::time::Instant;

use crate::world::Caller;

/// Podio's refresh-token lifetime (28 days).
pub const REFRESH_TTL: Duration = Duration::from_secs(28 * 24 * 3600);
/// How long an expired access token is still recognised as expired.
const EXPIRED_MEMORY: Duration = Duration::from_secs(24 * 3600);

/// What a token pair is for: who it acts for, through which API key, with
/// which granted scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Who the tokens act for.
    pub caller: Caller,
    /// The client id of the API key the tokens were issued to.
    pub client_id: String,
    /// The granted scope, as the token response reports it. Recorded, not
    /// enforced.
    pub scope: String,
}

/// A freshly issued token pair.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// What the tokens are for.
    pub subject: Subject,
}

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token this simulator issued (or forgotten long ago).
    #[error("unknown access token")]
    Unknown,
    /// Issued here but past its lifetime.
    #[error("access token expired")]
    Expired,
}

#[derive(Debug)]
struct Grant {
    subject: Subject,
    expires_at: Instant,
}

/// All live tokens.
#[derive(Debug, Default)]
pub struct TokenStore {
    access: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
}

/// A random secret of 128 hex characters, like Podio's tokens.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TokenStore {
    /// Issues a new pair for `subject` whose access token lives `ttl`.
    pub fn issue(&mut self, subject: Subject, ttl: Duration, now: Instant) -> Issued {
        self.forget_stale(now);
        let access_token = random_token();
        let refresh_token = random_token();
        self.access.insert(
            access_token.clone(),
            Grant {
                subject: subject.clone(),
                expires_at: now + ttl,
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            Grant {
                subject: subject.clone(),
                expires_at: now + REFRESH_TTL,
            },
        );
        Issued {
            access_token,
            refresh_token,
            subject,
        }
    }

    /// Exchanges `refresh_token`, issued to `client_id`, for a new pair; the
    /// old refresh token stops working. `None` when it is unknown, used,
    /// expired or another key's (which leaves it usable by its own key).
    pub fn refresh(
        &mut self,
        refresh_token: &str,
        client_id: &str,
        ttl: Duration,
        now: Instant,
    ) -> Option<Issued> {
        if self.refresh.get(refresh_token)?.subject.client_id != client_id {
            return None;
        }
        let grant = self.refresh.remove(refresh_token)?;
        (grant.expires_at > now).then(|| self.issue(grant.subject, ttl, now))
    }

    /// Who `access_token` acts for, if it is valid at `now`.
    pub fn check(&self, access_token: &str, now: Instant) -> Result<Caller, TokenError> {
        let grant = self.access.get(access_token).ok_or(TokenError::Unknown)?;
        if now < grant.expires_at {
            Ok(grant.subject.caller)
        } else {
            Err(TokenError::Expired)
        }
    }

    /// Drops tokens long past expiry so memory stays bounded.
    fn forget_stale(&mut self, now: Instant) {
        self.access
            .retain(|_, g| g.expires_at + EXPIRED_MEMORY > now);
        self.refresh.retain(|_, g| g.expires_at > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(client_id: &str) -> Subject {
        Subject {
            caller: Caller::User(1),
            client_id: client_id.to_owned(),
            scope: "global:all".to_owned(),
        }
    }

    #[test]
    fn tokens_are_128_hex_chars_and_refresh_is_single_use() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(60);
        let issued = store.issue(subject("a"), ttl, now);
        assert_eq!(issued.access_token.len(), 128);
        assert!(issued.access_token.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(store.check(&issued.access_token, now), Ok(Caller::User(1)));
        assert_eq!(
            store.check(&issued.access_token, now + ttl),
            Err(TokenError::Expired)
        );
        assert_eq!(store.check("nope", now), Err(TokenError::Unknown));
        let next = store
            .refresh(&issued.refresh_token, "a", ttl, now)
            .expect("refresh once");
        assert_ne!(next.refresh_token, issued.refresh_token);
        assert_eq!(next.subject, subject("a"));
        assert!(
            store
                .refresh(&issued.refresh_token, "a", ttl, now)
                .is_none()
        );
    }

    #[test]
    fn refresh_tokens_only_work_with_their_key() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(60);
        let issued = store.issue(subject("a"), ttl, now);
        assert!(
            store
                .refresh(&issued.refresh_token, "b", ttl, now)
                .is_none()
        );
        // The refused attempt did not spend it.
        assert!(
            store
                .refresh(&issued.refresh_token, "a", ttl, now)
                .is_some()
        );
    }
}
