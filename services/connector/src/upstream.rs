//! Podio access tokens, borrowed from the auth service: the auth service owns
//! every upstream credential (API keys, passwords, refresh tokens) and hands
//! the connector the caller's current access token; the connector keeps it
//! for a short time and asks for a renewal, naming the refused token by its
//! SHA-256, when Podio says it expired. Tokens never leave this process and
//! are never logged.
//!
//! Concurrent misses for one [`UpstreamRef`] coalesce: each key has its own
//! async slot, held across the auth call, so N callers arriving together wait
//! for one `upstream_token` call instead of sending N. Different keys never
//! wait on each other. (After the capacity-triggered clear, a caller may find
//! a fresh slot while an old one is still fetching; that costs one extra
//! fetch, never a wrong token.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use portico_proto::auth::{UpstreamRef, UpstreamTokens};
use portico_runtime::secret::Secret;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::errors::ConnectorError;

/// A token is dropped from the cache this long before Podio's stated expiry,
/// so it never dies in flight.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Longest a token is kept without asking the auth service again, so a
/// credential the auth service revokes stops being used within this time.
pub const MAX_CACHE_TTL: Duration = Duration::from_secs(60);
/// Upper bound on cached upstream credentials, so memory stays bounded.
pub const CACHE_CAPACITY: usize = 10_000;

#[derive(Debug)]
struct Cached {
    token: Secret,
    until: Instant,
}

/// One key's cached token; locked across a fetch so misses coalesce.
type Slot = tokio::sync::Mutex<Option<Cached>>;

/// Recent upstream tokens by [`UpstreamRef`], in front of the auth service.
pub(crate) struct UpstreamCache {
    upstream: Arc<dyn UpstreamTokens>,
    slots: Mutex<HashMap<UpstreamRef, Arc<Slot>>>,
    capacity: usize,
}

impl std::fmt::Debug for UpstreamCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self
            .slots
            .lock()
            .map(|slots| slots.len())
            .unwrap_or_default();
        f.debug_struct("UpstreamCache")
            .field("entries", &entries)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl UpstreamCache {
    pub fn new(upstream: Arc<dyn UpstreamTokens>, capacity: usize) -> Self {
        Self {
            upstream,
            slots: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The current token of `upstream`, from the cache or the auth service.
    pub async fn current(&self, upstream: &UpstreamRef) -> Result<Secret, ConnectorError> {
        let slot = self.slot(upstream);
        let mut cached = slot.lock().await;
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.until
        {
            return Ok(c.token.clone());
        }
        self.fetch(upstream, None, &mut cached).await
    }

    /// A replacement for `rejected`, which Podio refused as expired. If
    /// another caller already replaced it, that token is reused; otherwise
    /// the auth service is asked for a renewal naming the refused token.
    pub async fn replace(
        &self,
        upstream: &UpstreamRef,
        rejected: &Secret,
    ) -> Result<Secret, ConnectorError> {
        let slot = self.slot(upstream);
        let mut cached = slot.lock().await;
        if let Some(c) = cached.as_ref()
            && c.token != *rejected
            && Instant::now() < c.until
        {
            return Ok(c.token.clone());
        }
        let hash = sha256_hex(rejected.expose());
        self.fetch(upstream, Some(&hash), &mut cached).await
    }

    async fn fetch(
        &self,
        upstream: &UpstreamRef,
        rejected: Option<&str>,
        cached: &mut Option<Cached>,
    ) -> Result<Secret, ConnectorError> {
        *cached = None;
        let token = self
            .upstream
            .upstream_token(upstream, rejected)
            .await
            .map_err(|error| {
                tracing::warn!(
                    mode = upstream.mode.name(),
                    code = error.code.as_str(),
                    %error,
                    renewal = rejected.is_some(),
                    "auth service gave no podio token"
                );
                ConnectorError::Upstream(error)
            })?;
        let ttl = cache_ttl(token.expires_at, unix_now());
        tracing::debug!(
            mode = upstream.mode.name(),
            renewal = rejected.is_some(),
            ttl_secs = ttl.as_secs(),
            "podio token obtained from the auth service"
        );
        if !ttl.is_zero() {
            *cached = Some(Cached {
                token: token.access_token.clone(),
                until: Instant::now() + ttl,
            });
        }
        Ok(token.access_token)
    }

    /// The slot of `upstream`, made if missing. When the map is full, slots
    /// without a live token (and not mid-fetch) go first; if that frees
    /// nothing, the map starts over rather than scanning for the oldest.
    fn slot(&self, upstream: &UpstreamRef) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get(upstream) {
            return slot.clone();
        }
        if slots.len() >= self.capacity {
            let now = Instant::now();
            slots.retain(|_, slot| match slot.try_lock() {
                Ok(cached) => cached.as_ref().is_some_and(|c| now < c.until),
                // Locked: a fetch is under way for it.
                Err(_) => true,
            });
            if slots.len() >= self.capacity {
                slots.clear();
            }
        }
        let slot = Arc::new(Slot::default());
        slots.insert(upstream.clone(), slot.clone());
        slot
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// How long a token expiring at `expires_at` (unix seconds) may be cached at
/// `now` (unix seconds): until [`EXPIRY_MARGIN`] before expiry, at most
/// [`MAX_CACHE_TTL`]; zero (not cached, used once) when it expires sooner.
pub(crate) fn cache_ttl(expires_at: i64, now: i64) -> Duration {
    let left = expires_at
        .saturating_sub(now)
        .saturating_sub(EXPIRY_MARGIN.as_secs() as i64);
    if left <= 0 {
        Duration::ZERO
    } else {
        Duration::from_secs(left as u64).min(MAX_CACHE_TTL)
    }
}

/// Lowercase hex SHA-256 of `token`: how a refused token is named to the
/// auth service, so the token itself travels only one way.
pub fn sha256_hex(token: &str) -> String {
    use std::fmt::Write as _;
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use portico_proto::auth::UpstreamToken;
    use portico_proto::error::ServiceError;
    use portico_proto::vocab::CredentialMode;

    use super::*;

    /// Hands out "t1", "t2", … valid for `lifetime` seconds, after `delay`.
    struct Counting {
        calls: AtomicUsize,
        lifetime: i64,
        delay: Duration,
    }

    #[async_trait::async_trait]
    impl UpstreamTokens for Counting {
        async fn upstream_token(
            &self,
            _upstream: &UpstreamRef,
            _rejected: Option<&str>,
        ) -> Result<UpstreamToken, ServiceError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(self.delay).await;
            Ok(UpstreamToken {
                access_token: Secret::new(format!("t{n}")),
                expires_at: unix_now() + self.lifetime,
            })
        }
    }

    fn counting(lifetime: i64, delay: Duration) -> Arc<Counting> {
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime,
            delay,
        })
    }

    fn key(subject: &str) -> UpstreamRef {
        UpstreamRef {
            subject: subject.to_owned(),
            mode: CredentialMode::Default,
            reference: String::new(),
        }
    }

    #[test]
    fn ttl_keeps_a_margin_and_a_ceiling() {
        assert_eq!(cache_ttl(1_000 + 3_600, 1_000), MAX_CACHE_TTL);
        assert_eq!(cache_ttl(1_000 + 90, 1_000), Duration::from_secs(30));
        assert_eq!(cache_ttl(1_000 + 60, 1_000), Duration::ZERO);
        assert_eq!(cache_ttl(500, 1_000), Duration::ZERO);
        assert_eq!(cache_ttl(i64::MIN, i64::MAX), Duration::ZERO);
        assert_eq!(cache_ttl(i64::MAX, i64::MIN), MAX_CACHE_TTL);
    }

    #[test]
    fn sha256_hex_is_lowercase_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_are_kept_until_the_ttl_then_fetched_again() {
        let fake = counting(90, Duration::ZERO);
        let cache = UpstreamCache::new(fake.clone(), CACHE_CAPACITY);
        let a = cache.current(&key("u")).await.expect("token");
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(cache.current(&key("u")).await.expect("token"), a);
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
        // 90 s lifetime − 60 s margin = 30 s in the cache.
        tokio::time::advance(Duration::from_secs(2)).await;
        let b = cache.current(&key("u")).await.expect("token");
        assert_ne!(a, b);
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn long_lived_tokens_are_still_reread_after_the_ceiling() {
        let fake = counting(28_800, Duration::ZERO);
        let cache = UpstreamCache::new(fake.clone(), CACHE_CAPACITY);
        cache.current(&key("u")).await.expect("token");
        tokio::time::advance(MAX_CACHE_TTL - Duration::from_secs(1)).await;
        cache.current(&key("u")).await.expect("token");
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        cache.current(&key("u")).await.expect("token");
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_misses_for_one_key_coalesce() {
        let fake = counting(3_600, Duration::from_millis(50));
        let cache = Arc::new(UpstreamCache::new(fake.clone(), CACHE_CAPACITY));
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let cache = cache.clone();
                let subject = if i % 2 == 0 { "even" } else { "odd" };
                tokio::spawn(async move { cache.current(&key(subject)).await })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("token");
        }
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_replaced_token_is_not_renewed_twice() {
        let fake = counting(3_600, Duration::ZERO);
        let cache = UpstreamCache::new(fake.clone(), CACHE_CAPACITY);
        let old = cache.current(&key("u")).await.expect("token");
        let new = cache.replace(&key("u"), &old).await.expect("renewed");
        // A second caller that also saw `old` refused gets `new` for free.
        assert_eq!(cache.replace(&key("u"), &old).await.expect("reused"), new);
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn capacity_is_bounded() {
        let fake = counting(3_600, Duration::ZERO);
        let cache = UpstreamCache::new(fake.clone(), 3);
        for subject in ["a", "b", "c", "d"] {
            cache.current(&key(subject)).await.expect("token");
        }
        assert!(cache.len() <= 3, "{}", cache.len());
        // Expired entries go before live ones are dropped.
        let short = counting(0, Duration::ZERO);
        let cache = UpstreamCache::new(short, 2);
        for subject in ["a", "b", "c"] {
            cache.current(&key(subject)).await.expect("token");
        }
        assert_eq!(cache.len(), 1);
    }
}
