//! Upstream-aware throttling: what Podio last said about each credential's
//! hourly budget (`X-Rate-Limit-Remaining`, and any 420/429 with its wait),
//! remembered per upstream credential and shared by every connector replica
//! through Redis, so Portico pauses a credential before Podio refuses it.
//!
//! The rule, per credential: while a pause is on, calls are answered at once
//! with a rate-limit error naming the wait. A pause starts when Podio
//! answered 420/429 (for the wait it named, else a minute), or when the
//! remaining budget it reported fell to `reserve` or below (for a minute;
//! then one call probes Podio again and refreshes the count, since Podio
//! does not say when its window resets). Everything here is advisory:
//! Podio stays the authority, and a store that cannot be reached never
//! blocks a call (it is logged).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use portico_proto::auth::UpstreamRef;
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};

/// How long a credential is paused when its budget ran low, before one call
/// may probe Podio again.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(60);
/// How long a remembered count stays meaningful: Podio's window is an hour.
const REMEMBER_FOR: Duration = Duration::from_secs(3600);
/// Upper bound on credentials remembered in memory.
const MEMORY_CAPACITY: usize = 10_000;
/// Bound on one Redis round trip, so a slow store cannot slow every call.
const STORE_TIMEOUT: Duration = Duration::from_millis(250);

/// Whether a call may go to Podio now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send it.
    Go,
    /// The credential is paused for this many more seconds (at least 1);
    /// `remaining` is Podio's last reported budget, when known.
    Wait { secs: u64, remaining: Option<i64> },
}

/// What is remembered of one credential.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Budget {
    /// Podio's last `X-Rate-Limit-Remaining`, or -1.
    remaining: i64,
    /// Unix milliseconds until which calls are paused (0: not paused).
    paused_until: i64,
}

/// Where budgets live: one process, or Redis shared by every replica.
enum Store {
    Memory(Mutex<HashMap<String, Budget>>),
    Redis {
        connection: ConnectionManager,
        prefix: String,
    },
}

/// The budgets of every upstream credential this connector has used.
pub struct QuotaBook {
    store: Store,
    reserve: i64,
}

impl std::fmt::Debug for QuotaBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.store {
            Store::Memory(_) => "memory",
            Store::Redis { .. } => "redis",
        };
        f.debug_struct("QuotaBook")
            .field("store", &kind)
            .field("reserve", &self.reserve)
            .finish()
    }
}

impl QuotaBook {
    /// Budgets in this process only (`portico dev`, tests).
    pub fn in_memory(reserve: u32) -> QuotaBook {
        QuotaBook {
            store: Store::Memory(Mutex::new(HashMap::new())),
            reserve: i64::from(reserve),
        }
    }

    /// Budgets in Redis at `url`, under `prefix`, shared by every replica.
    pub async fn redis(url: &str, prefix: &str, reserve: u32) -> redis::RedisResult<QuotaBook> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(STORE_TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(QuotaBook {
            store: Store::Redis {
                connection,
                prefix: prefix.to_owned(),
            },
            reserve: i64::from(reserve),
        })
    }

    /// Whether a call with `upstream`'s credential may go to Podio now.
    pub async fn admit(&self, upstream: &UpstreamRef) -> Admission {
        let key = key_of(upstream);
        let now = now_ms();
        let budget = self.load(&key).await;
        if budget.paused_until > now {
            return wait(budget, now);
        }
        if budget.remaining >= 0 && budget.remaining <= self.reserve {
            // Low: pause for a minute; the first call after it probes Podio.
            let paused = Budget {
                paused_until: now + millis(PROBE_INTERVAL),
                ..budget
            };
            self.save(&key, paused).await;
            return wait(paused, now);
        }
        Admission::Go
    }

    /// Records Podio's answer to a call made with `upstream`'s credential:
    /// its remaining budget (`-1` when the header was absent), and for a
    /// 420/429 the wait it named.
    pub async fn record(&self, upstream: &UpstreamRef, remaining: i64, refused_for: Option<u64>) {
        if remaining < 0 && refused_for.is_none() {
            return;
        }
        let key = key_of(upstream);
        let mut budget = self.load(&key).await;
        if remaining >= 0 {
            budget.remaining = remaining;
        }
        match refused_for {
            Some(secs) => budget.paused_until = now_ms() + millis(Duration::from_secs(secs.max(1))),
            // A successful probe ends a low-budget pause early if Podio
            // says there is room again.
            None if remaining > self.reserve => budget.paused_until = 0,
            None => {}
        }
        self.save(&key, budget).await;
    }

    async fn load(&self, key: &str) -> Budget {
        match &self.store {
            Store::Memory(map) => {
                map.lock()
                    .ok()
                    .and_then(|m| m.get(key).copied())
                    .unwrap_or(Budget {
                        remaining: -1,
                        paused_until: 0,
                    })
            }
            Store::Redis { connection, prefix } => {
                let mut connection = connection.clone();
                let fields: redis::RedisResult<(Option<i64>, Option<i64>)> = redis::cmd("HMGET")
                    .arg(redis_key(prefix, key))
                    .arg("remaining")
                    .arg("paused_until")
                    .query_async(&mut connection)
                    .await;
                match fields {
                    Ok((remaining, paused_until)) => Budget {
                        remaining: remaining.unwrap_or(-1),
                        paused_until: paused_until.unwrap_or(0),
                    },
                    Err(err) => {
                        tracing::warn!(error = %err, "podio budget store unreachable; calls go through unthrottled");
                        Budget {
                            remaining: -1,
                            paused_until: 0,
                        }
                    }
                }
            }
        }
    }

    async fn save(&self, key: &str, budget: Budget) {
        match &self.store {
            Store::Memory(map) => {
                if let Ok(mut map) = map.lock() {
                    if map.len() >= MEMORY_CAPACITY && !map.contains_key(key) {
                        map.clear();
                    }
                    map.insert(key.to_owned(), budget);
                }
            }
            Store::Redis { connection, prefix } => {
                let mut connection = connection.clone();
                let key = redis_key(prefix, key);
                let stored: redis::RedisResult<()> = redis::pipe()
                    .atomic()
                    .hset_multiple(
                        &key,
                        &[
                            ("remaining", budget.remaining),
                            ("paused_until", budget.paused_until),
                        ],
                    )
                    .ignore()
                    .expire(&key, REMEMBER_FOR.as_secs() as i64)
                    .ignore()
                    .query_async(&mut connection)
                    .await;
                if let Err(err) = stored {
                    tracing::warn!(error = %err, "could not record a podio budget");
                }
            }
        }
    }
}

fn wait(budget: Budget, now: i64) -> Admission {
    let secs = u64::try_from((budget.paused_until - now + 999) / 1000)
        .unwrap_or(1)
        .max(1);
    Admission::Wait {
        secs,
        remaining: (budget.remaining >= 0).then_some(budget.remaining),
    }
}

/// A stable, opaque name for a credential: no subject or reference appears
/// in store keys.
fn key_of(upstream: &UpstreamRef) -> String {
    let mut hash = Sha256::new();
    hash.update(upstream.subject.as_bytes());
    hash.update([0]);
    hash.update(upstream.mode.name().as_bytes());
    hash.update([0]);
    hash.update(upstream.reference.as_bytes());
    let digest = hash.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash tag keeps one credential's key in one Redis Cluster slot.
fn redis_key(prefix: &str, key: &str) -> String {
    format!("{prefix}{{{key}}}:podio-budget")
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(millis)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use portico_proto::vocab::CredentialMode;

    use super::*;

    fn jane() -> UpstreamRef {
        UpstreamRef {
            subject: "podio:1".to_owned(),
            mode: CredentialMode::Direct,
            reference: "grant-1".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_low_budget_pauses_its_credential_only() {
        let book = QuotaBook::in_memory(2);
        assert_eq!(
            book.admit(&jane()).await,
            Admission::Go,
            "nothing known yet"
        );
        book.record(&jane(), 3, None).await;
        assert_eq!(book.admit(&jane()).await, Admission::Go);
        book.record(&jane(), 2, None).await;
        let Admission::Wait { secs, remaining } = book.admit(&jane()).await else {
            panic!("paused");
        };
        assert!((1..=60).contains(&secs), "{secs}");
        assert_eq!(remaining, Some(2));
        let bob = UpstreamRef {
            subject: "podio:2".to_owned(),
            ..jane()
        };
        assert_eq!(book.admit(&bob).await, Admission::Go, "another credential");
    }

    #[tokio::test]
    async fn a_refusal_pauses_for_the_wait_podio_named_and_room_lifts_it() {
        let book = QuotaBook::in_memory(0);
        book.record(&jane(), -1, Some(120)).await;
        let Admission::Wait { secs, .. } = book.admit(&jane()).await else {
            panic!("paused");
        };
        assert!((119..=120).contains(&secs), "{secs}");
        // Headers absent and no refusal: nothing changes.
        book.record(&jane(), -1, None).await;
        assert!(matches!(book.admit(&jane()).await, Admission::Wait { .. }));
        book.record(&jane(), 500, None).await;
        assert_eq!(book.admit(&jane()).await, Admission::Go);
    }

    #[test]
    fn keys_hide_who_the_credential_belongs_to() {
        let key = key_of(&jane());
        assert_eq!(key.len(), 32);
        assert!(!key.contains("podio"));
        assert_eq!(redis_key("p:", &key), format!("p:{{{key}}}:podio-budget"));
    }
}
