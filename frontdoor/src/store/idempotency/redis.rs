//! The Redis [`IdempotencyStore`], shared by every replica so a repeated
//! write is recognised wherever it lands.
//!
//! One key per owner and idempotency key, under the front door's prefix:
//! `{prefix}{tag}:idem:{digest}`, where `{tag}` is the same Redis Cluster
//! hash tag as the owner's sessions and counters (32 hex digits of the
//! SHA-256 of the subject) and `{digest}` the SHA-256 of owner and key, so
//! neither the subject nor a client's key appears in the key space and keys
//! of any length are fine. The value is the entry as JSON with the entry's
//! own expiry.
//!
//! Each operation is one command or one Lua script over that single key:
//! a claim is `SET NX PX` (answering the existing entry when it loses), and
//! complete and release compare the caller's in-progress marker before they
//! write, so two replicas never race each other.

use std::future::Future;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{RedisResult, Script};
use sha2::{Digest, Sha256};

use super::{Claim, Entry, IdempotencyStore, Record, Ticket};
use crate::store::StoreError;
use crate::store::redis::RedisStore;

/// Upper bound on one store operation, as in the session store: a caller
/// then answers 503 rather than hanging.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);

/// Sets the marker `ARGV[1]` for `ARGV[2]` ms unless the key exists; answers
/// nil when it did, else the entry that was there.
const CLAIM_SCRIPT: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('GET', KEYS[1])
";

/// Replaces the marker `ARGV[1]` with `ARGV[2]` for `ARGV[3]` ms; 1 if the
/// marker was there, else 0 and nothing changes.
const COMPLETE_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
";

/// Deletes the marker `ARGV[1]`; 1 if it was there, else 0.
const RELEASE_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
";

/// Idempotency entries in Redis. Cloning is cheap: clones share one
/// multiplexed connection that reconnects by itself.
#[derive(Clone)]
pub struct RedisIdempotencyStore {
    manager: ConnectionManager,
    prefix: String,
    claim: Script,
    complete: Script,
    release: Script,
}

impl std::fmt::Debug for RedisIdempotencyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisIdempotencyStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisIdempotencyStore {
    /// A store on the session store's connection and key prefix.
    pub fn new(store: &RedisStore) -> Self {
        Self::with_connection(store.connection(), store.prefix())
    }

    /// A store on `manager` whose keys start with `prefix`.
    pub fn with_connection(manager: ConnectionManager, prefix: &str) -> Self {
        Self {
            manager,
            prefix: prefix.to_owned(),
            claim: Script::new(CLAIM_SCRIPT),
            complete: Script::new(COMPLETE_SCRIPT),
            release: Script::new(RELEASE_SCRIPT),
        }
    }

    /// The Redis key of `owner`'s `key`: see the module comment.
    fn redis_key(&self, owner: &str, key: &str) -> String {
        let tag = Sha256::digest(owner.as_bytes());
        let mut digest = Sha256::new();
        digest.update(owner.as_bytes());
        // A NUL cannot occur in a subject, so (owner, key) pairs never meet.
        digest.update([0]);
        digest.update(key.as_bytes());
        let digest = digest.finalize();
        format!(
            "{}{{{}}}:idem:{}",
            self.prefix,
            hex(&tag[..16]),
            hex(&digest)
        )
    }

    async fn bounded<T>(
        what: &str,
        operation: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(OPERATION_TIMEOUT, operation).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(StoreError(format!("redis {what} failed: {err}"))),
            Err(_) => Err(StoreError(format!(
                "redis {what} timed out after {}s",
                OPERATION_TIMEOUT.as_secs()
            ))),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// A duration as whole milliseconds for PX, at least 1 (Redis rejects 0).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

#[async_trait::async_trait]
impl IdempotencyStore for RedisIdempotencyStore {
    async fn claim(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        ttl: Duration,
    ) -> Result<Claim, StoreError> {
        let ticket = Ticket::new(fingerprint);
        let mut invocation = self.claim.prepare_invoke();
        invocation
            .key(self.redis_key(owner, key))
            .arg(ticket.marker().encode()?)
            .arg(millis(ttl));
        let mut con = self.manager.clone();
        let existing: Option<String> =
            Self::bounded("idempotency claim", invocation.invoke_async(&mut con)).await?;
        Ok(match existing {
            None => Claim::Claimed(ticket),
            Some(raw) => Claim::Taken(Record::decode(&raw)?.into_entry()),
        })
    }

    async fn get(&self, owner: &str, key: &str) -> Result<Option<Entry>, StoreError> {
        let mut con = self.manager.clone();
        let raw: Option<String> = Self::bounded(
            "idempotency get",
            redis::cmd("GET")
                .arg(self.redis_key(owner, key))
                .query_async(&mut con),
        )
        .await?;
        raw.as_deref()
            .map(|raw| Record::decode(raw).map(Record::into_entry))
            .transpose()
    }

    async fn complete(
        &self,
        owner: &str,
        key: &str,
        ticket: &Ticket,
        result: Option<&str>,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let completed = Record::Completed(super::Completed {
            fingerprint: ticket.fingerprint.clone(),
            result: result.map(str::to_owned),
        });
        let mut invocation = self.complete.prepare_invoke();
        invocation
            .key(self.redis_key(owner, key))
            .arg(ticket.marker().encode()?)
            .arg(completed.encode()?)
            .arg(millis(ttl));
        let mut con = self.manager.clone();
        let replaced: i64 =
            Self::bounded("idempotency complete", invocation.invoke_async(&mut con)).await?;
        Ok(replaced == 1)
    }

    async fn release(&self, owner: &str, key: &str, ticket: &Ticket) -> Result<bool, StoreError> {
        let mut invocation = self.release.prepare_invoke();
        invocation
            .key(self.redis_key(owner, key))
            .arg(ticket.marker().encode()?);
        let mut con = self.manager.clone();
        let removed: i64 =
            Self::bounded("idempotency release", invocation.invoke_async(&mut con)).await?;
        Ok(removed == 1)
    }
}
