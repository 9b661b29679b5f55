//! The in-process implementation of [`SessionStore`] and [`RateLimiter`] for
//! `portico dev` and tests: one process, so a mutex-guarded map gives the same
//! semantics as the Redis store without a server.
//!
//! Time comes from `tokio::time::Instant`, so tests with paused time control
//! expiry exactly. Expired entries are dropped when touched and by a sweep at
//! most every [`SWEEP_INTERVAL`], so memory holds only what is live plus what
//! expired since the last sweep.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{Admission, Admitted, Handoffs, Limit, RateLimiter, Session, SessionStore, StoreError};

/// How often, at most, a call scans all entries for expired ones. A sweep is
/// linear in the number of entries, so it runs rarely rather than per call.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// Sessions and rate-limit counters in this process's memory. Clones share
/// the same state.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("MemoryStore")
            .field("sessions", &inner.sessions.len())
            .field("windows", &inner.windows.len())
            .finish()
    }
}

#[derive(Default)]
struct Inner {
    /// By [`key`] of subject and session id.
    sessions: HashMap<String, StoredSession>,
    /// By [`key`] of partition and limit name.
    windows: HashMap<String, Window>,
    /// By [`key`] of partition and handoff key: the value and its expiry.
    handoffs: HashMap<String, (String, Instant)>,
    /// When the next full sweep is due; `None` until the first call.
    next_sweep: Option<Instant>,
}

struct StoredSession {
    session: Session,
    expires_at: Instant,
}

/// One fixed window of a counter: it starts at its first counted request.
struct Window {
    count: u64,
    ends_at: Instant,
}

/// The map key of `name` in `partition`. A NUL cannot occur in a subject or
/// a header value, so two different pairs never share a key.
fn key(partition: &str, name: &str) -> String {
    let mut key = String::with_capacity(partition.len() + name.len() + 1);
    key.push_str(partition);
    key.push('\0');
    key.push_str(name);
    key
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks the state. No critical section can leave it half-updated (each
    /// is a few map operations with no await), so a panic elsewhere that
    /// poisoned the lock is safe to ignore.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the state after dropping expired entries if a sweep is due.
    fn lock_swept(&self, now: Instant) -> MutexGuard<'_, Inner> {
        let mut inner = self.lock();
        if inner.next_sweep.is_none_or(|due| now >= due) {
            inner.sessions.retain(|_, stored| now < stored.expires_at);
            inner.windows.retain(|_, window| now < window.ends_at);
            inner
                .handoffs
                .retain(|_, (_, expires_at)| now < *expires_at);
            inner.next_sweep = Some(now + SWEEP_INTERVAL);
        }
        inner
    }
}

impl Inner {
    /// The live session under `key`, touched; an expired one is dropped.
    fn touch_session(&mut self, key: &str, ttl: Duration, now: Instant) -> Option<Session> {
        match self.sessions.get_mut(key) {
            Some(stored) if now < stored.expires_at => {
                stored.expires_at = now + expiry(ttl);
                Some(stored.session.clone())
            }
            Some(_) => {
                self.sessions.remove(key);
                None
            }
            None => None,
        }
    }
}

/// The Redis store's expiries are whole milliseconds and at least 1 ms; the
/// same here keeps the two implementations identical at the edges.
fn expiry(ttl: Duration) -> Duration {
    Duration::from_millis(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1))
}

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, session: &Session, ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        let stored = StoredSession {
            session: session.clone(),
            expires_at: now + expiry(ttl),
        };
        self.lock_swept(now)
            .sessions
            .insert(key(&session.subject, &session.id), stored);
        Ok(())
    }

    async fn get_and_touch(
        &self,
        subject: &str,
        id: &str,
        ttl: Duration,
    ) -> Result<Option<Session>, StoreError> {
        let now = Instant::now();
        Ok(self
            .lock_swept(now)
            .touch_session(&key(subject, id), ttl, now))
    }

    async fn delete(&self, subject: &str, id: &str) -> Result<bool, StoreError> {
        let now = Instant::now();
        let removed = self.lock_swept(now).sessions.remove(&key(subject, id));
        // An expired session that no sweep has dropped yet did not exist.
        Ok(removed.is_some_and(|stored| now < stored.expires_at))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[async_trait::async_trait]
impl Handoffs for MemoryStore {
    async fn put(
        &self,
        partition: &str,
        handoff: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let now = Instant::now();
        self.lock_swept(now).handoffs.insert(
            key(partition, handoff),
            (value.to_owned(), now + expiry(ttl)),
        );
        Ok(())
    }

    async fn get(&self, partition: &str, handoff: &str) -> Result<Option<String>, StoreError> {
        let now = Instant::now();
        Ok(self
            .lock_swept(now)
            .handoffs
            .get(&key(partition, handoff))
            .filter(|(_, expires_at)| now < *expires_at)
            .map(|(value, _)| value.clone()))
    }

    async fn take(&self, partition: &str, handoff: &str) -> Result<Option<String>, StoreError> {
        let now = Instant::now();
        Ok(self
            .lock_swept(now)
            .handoffs
            .remove(&key(partition, handoff))
            .filter(|(_, expires_at)| now < *expires_at)
            .map(|(value, _)| value))
    }
}

#[async_trait::async_trait]
impl RateLimiter for MemoryStore {
    async fn admit(&self, admission: &Admission<'_>) -> Result<Admitted, StoreError> {
        let now = Instant::now();
        let mut inner = self.lock_swept(now);
        let need = admission.cost.max(1);
        // First every limit's current window (a missing or ended one counts
        // as a fresh, empty window), then the verdict, then the charge: as
        // the Redis script does, so both count exactly alike.
        let keys: Vec<String> = admission
            .limits
            .iter()
            .map(|limit| key(admission.partition, limit.name))
            .collect();
        let current: Vec<(u64, Duration)> = admission
            .limits
            .iter()
            .zip(&keys)
            .map(|(limit, key)| match inner.windows.get(key) {
                Some(window) if now < window.ends_at => (window.count, window.ends_at - now),
                _ => (0, expiry(limit.window)),
            })
            .collect();
        let refused = admission
            .limits
            .iter()
            .zip(&current)
            .position(|(limit, (count, _))| count.saturating_add(need) > limit.limit);
        let charge = refused.is_none() && admission.cost > 0;
        let mut counts = Vec::with_capacity(current.len());
        for (key, (count, left)) in keys.into_iter().zip(current) {
            if !charge {
                counts.push((count, left));
                continue;
            }
            let window = inner.windows.entry(key).or_insert(Window {
                count: 0,
                ends_at: now,
            });
            if now >= window.ends_at {
                *window = Window {
                    count: 0,
                    ends_at: now + left,
                };
            }
            window.count = window.count.saturating_add(admission.cost);
            counts.push((window.count, left));
        }
        let decisions = super::decisions(admission, refused, &counts);
        let session = admission.session.and_then(|touch| {
            inner.touch_session(&key(admission.partition, touch.id), touch.ttl, now)
        });
        Ok(Admitted {
            decisions,
            refused,
            session,
        })
    }

    async fn refund(&self, partition: &str, cost: u64, limits: &[Limit]) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut inner = self.lock_swept(now);
        for limit in limits {
            if let Some(window) = inner.windows.get_mut(&key(partition, limit.name))
                && now < window.ends_at
            {
                window.count = window.count.saturating_sub(cost);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Exact timing at the edges, with paused time; the behaviour shared with
    //! Redis is in `contract_tests`.

    use std::time::Duration;

    use tokio::time::advance;

    use super::{MemoryStore, SWEEP_INTERVAL};
    use crate::store::{RateLimiter, Session, SessionStore};

    fn session(id: &str) -> Session {
        Session {
            id: id.to_owned(),
            subject: "user-1".to_owned(),
            protocol_version: "2025-11-25".to_owned(),
            client_name: "test".to_owned(),
            client_version: "1.0".to_owned(),
            created_at: 0,
            log_level: None,
            can_answer: Default::default(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn session_expires_exactly_ttl_after_last_use() {
        let store = MemoryStore::new();
        let ttl = Duration::from_secs(10);
        store.create(&session("s"), ttl).await.expect("create");
        advance(Duration::from_secs(9)).await;
        assert!(
            store
                .get_and_touch("user-1", "s", ttl)
                .await
                .expect("get")
                .is_some()
        );
        advance(Duration::from_millis(9_999)).await;
        assert!(
            store
                .get_and_touch("user-1", "s", ttl)
                .await
                .expect("get")
                .is_some()
        );
        advance(ttl).await;
        assert_eq!(
            store.get_and_touch("user-1", "s", ttl).await.expect("get"),
            None
        );
        assert!(!store.delete("user-1", "s").await.expect("delete"));
    }

    #[tokio::test(start_paused = true)]
    async fn window_ends_exactly_after_its_length() {
        let store = MemoryStore::new();
        let window = Duration::from_secs(60);
        assert!(store.check("k", 1, window).await.expect("check").allowed);
        advance(Duration::from_millis(59_999)).await;
        let refused = store.check("k", 1, window).await.expect("check");
        assert!(!refused.allowed);
        assert_eq!(refused.reset_after, Duration::from_millis(1));
        advance(Duration::from_millis(1)).await;
        let fresh = store.check("k", 1, window).await.expect("check");
        assert!(fresh.allowed);
        assert_eq!(fresh.reset_after, window);
    }

    #[tokio::test(start_paused = true)]
    async fn expired_entries_are_swept() {
        let store = MemoryStore::new();
        for i in 0..100 {
            let id = format!("s{i}");
            store
                .create(&session(&id), Duration::from_secs(1))
                .await
                .expect("create");
            store
                .check(&id, 5, Duration::from_secs(1))
                .await
                .expect("check");
        }
        advance(SWEEP_INTERVAL + Duration::from_secs(1)).await;
        store.ping().await.expect("ping");
        store
            .create(&session("live"), Duration::from_secs(60))
            .await
            .expect("create");
        let inner = store.lock();
        assert_eq!(inner.sessions.len(), 1);
        assert!(inner.windows.is_empty());
    }
}
