//! A bounded, short-lived cache of token introspection results, so the hot
//! path of a tool call makes no round trip to the auth service.
//!
//! Keys are SHA-256 digests of the token, so the cache never holds a usable
//! credential. Negative results are cached too: a client retrying with a dead
//! token must not turn into a stream of auth calls. Revocation therefore takes
//! up to one TTL to take effect, which is the accepted trade-off.

use std::collections::HashMap;
use std::time::Duration;

use portico_proto::auth::Principal;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

/// How long an introspection result is trusted. With the front door's own
/// cache of the same length in front, a revoked token keeps working for at
/// most twice this: within the 5 seconds revocation promises.
pub const DEFAULT_TTL: Duration = Duration::from_secs(2);
/// How many tokens are remembered at most.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// The SHA-256 digest of a bearer token, used as the cache key.
pub type TokenKey = [u8; 32];

/// Digests a bearer token into its cache key.
pub fn token_key(token: &str) -> TokenKey {
    Sha256::digest(token.as_bytes()).into()
}

#[derive(Debug, Clone)]
struct Entry {
    /// `None` for an inactive token.
    principal: Option<Principal>,
    inserted_at: Instant,
    expires_at: Instant,
}

/// Introspection results keyed by token digest, each kept for at most the TTL.
#[derive(Debug)]
pub struct IntrospectionCache {
    entries: HashMap<TokenKey, Entry>,
    ttl: Duration,
    capacity: usize,
}

impl IntrospectionCache {
    /// An empty cache keeping up to `capacity` results for `ttl` each.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        IntrospectionCache {
            entries: HashMap::new(),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// The cached result for `key`: `Some(None)` for a known inactive token,
    /// `None` when nothing fresh is cached.
    pub fn get(&mut self, key: &TokenKey, now: Instant) -> Option<Option<Principal>> {
        match self.entries.get(key) {
            Some(entry) if entry.expires_at > now => Some(entry.principal.clone()),
            Some(_) => {
                self.entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remembers a result. `valid_for` shortens the TTL, e.g. for a token
    /// that expires sooner than the TTL.
    pub fn insert(
        &mut self,
        key: TokenKey,
        principal: Option<Principal>,
        now: Instant,
        valid_for: Option<Duration>,
    ) {
        let ttl = valid_for.map_or(self.ttl, |d| d.min(self.ttl));
        if ttl.is_zero() {
            return;
        }
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            self.evict(now);
        }
        self.entries.insert(
            key,
            Entry {
                principal,
                inserted_at: now,
                expires_at: now + ttl,
            },
        );
    }

    /// Drops expired entries; if the cache is still full, drops the oldest.
    fn evict(&mut self, now: Instant) {
        self.entries.retain(|_, e| e.expires_at > now);
        if self.entries.len() >= self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.inserted_at)
                .map(|(k, _)| *k);
            if let Some(key) = oldest {
                self.entries.remove(&key);
            }
        }
    }

    /// How many results are held (fresh or not yet evicted).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(subject: &str) -> Principal {
        Principal {
            subject: subject.to_owned(),
            ..Principal::default()
        }
    }

    #[test]
    fn results_expire_after_the_ttl() {
        let mut cache = IntrospectionCache::new(Duration::from_secs(30), 10);
        let now = Instant::now();
        let key = token_key("a");
        cache.insert(key, Some(principal("a")), now, None);
        cache.insert(token_key("dead"), None, now, None);
        let hit = cache.get(&key, now + Duration::from_secs(29));
        assert_eq!(hit.flatten().map(|p| p.subject), Some("a".to_owned()));
        assert_eq!(cache.get(&token_key("dead"), now), Some(None));
        assert_eq!(cache.get(&key, now + Duration::from_secs(30)), None);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_shorter_validity_wins() {
        let mut cache = IntrospectionCache::new(Duration::from_secs(30), 10);
        let now = Instant::now();
        cache.insert(token_key("a"), None, now, Some(Duration::from_secs(5)));
        assert!(
            cache
                .get(&token_key("a"), now + Duration::from_secs(6))
                .is_none()
        );
        cache.insert(token_key("b"), None, now, Some(Duration::ZERO));
        assert!(cache.is_empty());
    }

    #[test]
    fn size_is_bounded_evicting_expired_then_oldest() {
        let mut cache = IntrospectionCache::new(Duration::from_secs(30), 2);
        let t0 = Instant::now();
        cache.insert(token_key("old"), None, t0, Some(Duration::from_secs(1)));
        cache.insert(token_key("a"), None, t0 + Duration::from_secs(2), None);
        cache.insert(token_key("b"), None, t0 + Duration::from_secs(3), None);
        assert_eq!(cache.len(), 2);
        let now = t0 + Duration::from_secs(3);
        assert!(cache.get(&token_key("a"), now).is_some());
        assert!(cache.get(&token_key("b"), now).is_some());

        cache.insert(token_key("c"), None, t0 + Duration::from_secs(4), None);
        assert_eq!(cache.len(), 2);
        let now = t0 + Duration::from_secs(4);
        assert!(cache.get(&token_key("a"), now).is_none(), "oldest evicted");
        assert!(cache.get(&token_key("c"), now).is_some());
    }
}
