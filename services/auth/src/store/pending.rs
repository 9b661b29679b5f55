//! Pending authorizations: an `/oauth/authorize` request parked while the user
//! signs in at Podio, found again by the `state` Podio sends back. Behind the
//! [`PendingStore`] trait, kept in Redis for deployment (shared by every
//! replica, expired by Redis itself) and in memory for `portico dev` and
//! tests; both pass one contract suite (`tests/it/pending_store_contract.rs`).
//!
//! The value is opaque JSON the service writes; the store only keeps it for
//! its time to live and hands it out once.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::StoreError;

/// Short-lived, single-use storage of pending authorizations.
#[async_trait::async_trait]
pub trait PendingStore: Send + Sync + 'static {
    /// Keeps `json` under `state_key` for `ttl`. [`StoreError::AlreadyExists`]
    /// if an unexpired value is already there: state keys are random, so a
    /// clash is a bug, and overwriting would hijack someone's sign-in.
    async fn put(&self, state_key: &str, json: &str, ttl: Duration) -> Result<(), StoreError>;

    /// Removes and returns the value under `state_key`, atomically: of
    /// concurrent callers exactly one gets it. `None` if there is none or it
    /// expired.
    async fn take(&self, state_key: &str) -> Result<Option<String>, StoreError>;

    /// Checks that the store is reachable, for readiness probes.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// A [`PendingStore`] held in process memory. Expiry uses tokio's clock, so
/// tests with paused time control it.
#[derive(Debug, Default)]
pub struct MemoryPendingStore {
    entries: Mutex<HashMap<String, Pending>>,
}

#[derive(Debug)]
struct Pending {
    json: String,
    expires: Instant,
}

impl MemoryPendingStore {
    /// An empty store.
    pub fn new() -> MemoryPendingStore {
        MemoryPendingStore::default()
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Pending>> {
        // Each operation is a single map update, so a poisoned lock still
        // guards consistent data.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl PendingStore for MemoryPendingStore {
    async fn put(&self, state_key: &str, json: &str, ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut entries = self.entries();
        // Abandoned sign-ins are never taken; dropping the expired ones here
        // keeps the map from growing without bound.
        entries.retain(|_, pending| pending.expires > now);
        if entries.contains_key(state_key) {
            return Err(StoreError::AlreadyExists);
        }
        let expires = now
            .checked_add(ttl)
            .ok_or_else(|| StoreError::Internal(format!("ttl {ttl:?} is too long")))?;
        entries.insert(
            state_key.to_owned(),
            Pending {
                json: json.to_owned(),
                expires,
            },
        );
        Ok(())
    }

    async fn take(&self, state_key: &str) -> Result<Option<String>, StoreError> {
        let now = Instant::now();
        Ok(self
            .entries()
            .remove(state_key)
            .filter(|pending| pending.expires > now)
            .map(|pending| pending.json))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
