//! The in-process [`IdempotencyStore`] for `portico dev` and tests: one
//! process, so a mutex-guarded map gives the Redis store's semantics.
//!
//! Time comes from `tokio::time::Instant`, so tests with paused time control
//! expiry exactly. Expired entries are dropped when touched and by a sweep at
//! most every [`SWEEP_INTERVAL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{Claim, IdempotencyStore, Record, Ticket};
use crate::store::StoreError;

/// How often, at most, a call scans all entries for expired ones.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// Idempotency entries in this process's memory. Clones share the same
/// state.
#[derive(Clone, Default)]
pub struct MemoryIdempotencyStore {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for MemoryIdempotencyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryIdempotencyStore")
            .field("entries", &self.lock().entries.len())
            .finish()
    }
}

#[derive(Default)]
struct Inner {
    /// By owner and key.
    entries: HashMap<(String, String), Stored>,
    next_sweep: Option<Instant>,
}

struct Stored {
    record: Record,
    expires_at: Instant,
}

impl MemoryIdempotencyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks the state, first dropping expired entries if a sweep is due.
    /// No critical section awaits or can leave the map half-updated, so a
    /// poisoned lock is safe to take over.
    fn lock_swept(&self, now: Instant) -> MutexGuard<'_, Inner> {
        let mut inner = self.lock();
        if inner.next_sweep.is_none_or(|due| now >= due) {
            inner.entries.retain(|_, stored| now < stored.expires_at);
            inner.next_sweep = Some(now + SWEEP_INTERVAL);
        }
        inner
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    /// The live record under `key`; an expired one is dropped.
    fn live(&mut self, key: &(String, String), now: Instant) -> Option<&mut Stored> {
        if self
            .entries
            .get(key)
            .is_some_and(|stored| now >= stored.expires_at)
        {
            self.entries.remove(key);
        }
        self.entries.get_mut(key)
    }

    /// Whether `ticket` still holds `key`.
    fn held_by(&mut self, key: &(String, String), ticket: &Ticket, now: Instant) -> bool {
        self.live(key, now)
            .is_some_and(|stored| stored.record == ticket.marker())
    }
}

fn map_key(owner: &str, key: &str) -> (String, String) {
    (owner.to_owned(), key.to_owned())
}

#[async_trait::async_trait]
impl IdempotencyStore for MemoryIdempotencyStore {
    async fn claim(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        ttl: Duration,
    ) -> Result<Claim, StoreError> {
        let now = Instant::now();
        let key = map_key(owner, key);
        let mut inner = self.lock_swept(now);
        if let Some(stored) = inner.live(&key, now) {
            return Ok(Claim::Taken(stored.record.clone().into_entry()));
        }
        let ticket = Ticket::new(fingerprint);
        inner.entries.insert(
            key,
            Stored {
                record: ticket.marker(),
                expires_at: now + ttl,
            },
        );
        Ok(Claim::Claimed(ticket))
    }

    async fn get(&self, owner: &str, key: &str) -> Result<Option<super::Entry>, StoreError> {
        let now = Instant::now();
        let mut inner = self.lock_swept(now);
        Ok(inner
            .live(&map_key(owner, key), now)
            .map(|stored| stored.record.clone().into_entry()))
    }

    async fn complete(
        &self,
        owner: &str,
        key: &str,
        ticket: &Ticket,
        result: Option<&str>,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = Instant::now();
        let key = map_key(owner, key);
        let mut inner = self.lock_swept(now);
        if !inner.held_by(&key, ticket, now) {
            return Ok(false);
        }
        inner.entries.insert(
            key,
            Stored {
                record: Record::Completed(super::Completed {
                    fingerprint: ticket.fingerprint.clone(),
                    result: result.map(str::to_owned),
                }),
                expires_at: now + ttl,
            },
        );
        Ok(true)
    }

    async fn release(&self, owner: &str, key: &str, ticket: &Ticket) -> Result<bool, StoreError> {
        let now = Instant::now();
        let key = map_key(owner, key);
        let mut inner = self.lock_swept(now);
        if !inner.held_by(&key, ticket, now) {
            return Ok(false);
        }
        inner.entries.remove(&key);
        Ok(true)
    }
}
