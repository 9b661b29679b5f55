//! Where the front door remembers write tool calls, so a call repeated with
//! the same idempotency key gets the first call's result instead of writing
//! twice, on whichever replica it lands.
//!
//! A key's life: the first call *claims* it with an in-progress marker (an
//! atomic set-if-absent that expires on its own, so a replica that dies
//! mid-call blocks the key only until then); when the call succeeds its
//! result *completes* the key and is kept for the key's lifetime; when it
//! fails the claim is *released*, so the caller may retry. Only the holder
//! of a claim (its [`Ticket`]) can complete or release it: a call that
//! outlived its marker cannot overwrite the next holder's.
//!
//! Every key belongs to an *owner*, the principal's subject. An owner's keys
//! are its own: the same key sent with another principal's token names
//! another entry, so no token ever reads another's result. As in the other
//! stores, on Redis the owner's digest is the key's hash tag and no subject
//! appears in the key space.
//!
//! [`memory`] is for `portico dev` and tests, [`redis`] for every deployed
//! replica; one contract suite (`contract_tests`) runs against both.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::StoreError;

pub mod memory;
pub mod redis;

#[cfg(test)]
mod contract_tests;

/// What a finished call left for the calls that repeat it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completed {
    /// Digest of the first call's arguments, so a key reused with other
    /// arguments can be told apart.
    pub fingerprint: String,
    /// The first call's result (MCP `CallToolResult` JSON); `None` when it
    /// was too large to keep (the call is still known to have happened).
    pub result: Option<String>,
}

/// The state of a key someone else holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A call holding the key is running; its arguments' fingerprint.
    InProgress {
        /// Digest of the running call's arguments.
        fingerprint: String,
    },
    /// A call with the key has finished.
    Completed(Completed),
}

impl Entry {
    /// The fingerprint of the arguments of the call that holds the key.
    pub fn fingerprint(&self) -> &str {
        match self {
            Entry::InProgress { fingerprint } => fingerprint,
            Entry::Completed(completed) => &completed.fingerprint,
        }
    }
}

/// Proof of a claim, needed to complete or release it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    token: String,
    fingerprint: String,
}

impl Ticket {
    fn new(fingerprint: &str) -> Ticket {
        Ticket {
            token: uuid::Uuid::new_v4().simple().to_string(),
            fingerprint: fingerprint.to_owned(),
        }
    }

    /// The marker this claim stores, in the form both stores compare.
    fn marker(&self) -> Record {
        Record::InProgress {
            token: self.token.clone(),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

/// The answer to a [`IdempotencyStore::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the key now: it runs the call, then completes or
    /// releases the claim.
    Claimed(Ticket),
    /// Another call holds the key, or has finished with it.
    Taken(Entry),
}

/// What one key holds, as stored (JSON on Redis). The in-progress form is
/// compared byte for byte on Redis, so its encoding must stay deterministic
/// (serde writes struct fields in declaration order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Record {
    InProgress { token: String, fingerprint: String },
    Completed(Completed),
}

impl Record {
    fn into_entry(self) -> Entry {
        match self {
            Record::InProgress { fingerprint, .. } => Entry::InProgress { fingerprint },
            Record::Completed(completed) => Entry::Completed(completed),
        }
    }

    fn encode(&self) -> Result<String, StoreError> {
        serde_json::to_string(self)
            .map_err(|err| StoreError(format!("could not encode an idempotency entry: {err}")))
    }

    fn decode(raw: &str) -> Result<Record, StoreError> {
        serde_json::from_str(raw)
            .map_err(|err| StoreError(format!("corrupt idempotency entry: {err}")))
    }
}

/// Remembers write tool calls by owner and key.
#[async_trait::async_trait]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `owner`'s `key` for a call whose arguments have `fingerprint`,
    /// with an in-progress marker that expires after `ttl`, unless the key
    /// is already held or completed (then that entry is returned). Atomic:
    /// of any number of concurrent claims, on any replicas, one wins.
    async fn claim(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        ttl: Duration,
    ) -> Result<Claim, StoreError>;

    /// `owner`'s `key` as it stands, if anything holds it.
    async fn get(&self, owner: &str, key: &str) -> Result<Option<Entry>, StoreError>;

    /// Replaces `ticket`'s in-progress marker with the call's `result`
    /// (`None`: the call happened but its result is not kept), kept for
    /// `ttl`. Returns false, changing nothing, if the claim is no longer
    /// held (its marker expired, and perhaps another call claimed the key).
    async fn complete(
        &self,
        owner: &str,
        key: &str,
        ticket: &Ticket,
        result: Option<&str>,
        ttl: Duration,
    ) -> Result<bool, StoreError>;

    /// Removes `ticket`'s in-progress marker (the call failed and may be
    /// retried). Returns false, changing nothing, if the claim is no longer
    /// held.
    async fn release(&self, owner: &str, key: &str, ticket: &Ticket) -> Result<bool, StoreError>;
}
