//! The `PendingStore` contract: every test is a generic function over a
//! `PendingStore` and a [`Clock`] that lets time pass, and `pending_contract!`
//! runs each against the in-memory store (under paused tokio time, so expiry
//! is instant and exact) and against Redis (under a fresh key prefix, waiting
//! for Redis to expire the keys).

use std::sync::Arc;
use std::time::Duration;

use portico_auth::{MemoryPendingStore, PendingStore, StoreError};

use crate::support::{wait_until_no_redis_keys, with_redis_pending_store};

/// How each backend lets a time to live run out.
enum Clock {
    /// Tokio time is paused: sleeping advances it at once.
    Paused,
    /// Redis expires keys in real time; wait until none is left under the
    /// prefix.
    Redis(String),
}

impl Clock {
    /// Returns once everything put with `ttl` (or less) has expired.
    async fn wait_past(&self, ttl: Duration) {
        match self {
            Clock::Paused => tokio::time::sleep(ttl).await,
            Clock::Redis(prefix) => {
                wait_until_no_redis_keys(prefix, ttl + Duration::from_secs(5)).await
            }
        }
    }
}

macro_rules! pending_contract {
    ($($test:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(start_paused = true)]
                async fn $test() {
                    super::$test(
                        std::sync::Arc::new(super::MemoryPendingStore::new()),
                        super::Clock::Paused,
                    )
                    .await;
                }
            )*
        }

        mod redis {
            $(
                #[tokio::test]
                async fn $test() {
                    super::with_redis_pending_store(|store| async move {
                        let clock = super::Clock::Redis(store.prefix().to_owned());
                        super::$test(std::sync::Arc::new(store), clock).await
                    })
                    .await;
                }
            )*
        }
    };
}

pending_contract!(
    taken_once,
    unknown_key_is_none,
    keys_are_independent,
    held_key_cannot_be_overwritten,
    values_expire_after_their_ttl,
    expired_key_can_be_put_again,
    concurrent_takes_yield_one_value,
    ping_succeeds,
);

const TTL: Duration = Duration::from_secs(1);
const JSON: &str =
    r#"{"client_id":"c1","redirect_uri":"https://app.example/cb","scope":"podio:read"}"#;

async fn taken_once(store: Arc<dyn PendingStore>, _clock: Clock) {
    store.put("state-1", JSON, TTL).await.expect("put");
    assert_eq!(
        store.take("state-1").await.expect("take").as_deref(),
        Some(JSON)
    );
    assert_eq!(store.take("state-1").await.expect("take again"), None);
}

async fn unknown_key_is_none(store: Arc<dyn PendingStore>, _clock: Clock) {
    assert_eq!(store.take("never-put").await.expect("take"), None);
}

async fn keys_are_independent(store: Arc<dyn PendingStore>, _clock: Clock) {
    store.put("a", "{\"n\":1}", TTL).await.expect("put a");
    store.put("b", "{\"n\":2}", TTL).await.expect("put b");
    assert_eq!(
        store.take("b").await.expect("take b").as_deref(),
        Some("{\"n\":2}")
    );
    assert_eq!(
        store.take("a").await.expect("take a").as_deref(),
        Some("{\"n\":1}")
    );
}

async fn held_key_cannot_be_overwritten(store: Arc<dyn PendingStore>, _clock: Clock) {
    store.put("state-1", JSON, TTL).await.expect("put");
    let again = store.put("state-1", "{\"other\":true}", TTL).await;
    assert!(matches!(again, Err(StoreError::AlreadyExists)), "{again:?}");
    assert_eq!(
        store.take("state-1").await.expect("take").as_deref(),
        Some(JSON)
    );
}

async fn values_expire_after_their_ttl(store: Arc<dyn PendingStore>, clock: Clock) {
    store.put("short", JSON, TTL).await.expect("put");
    clock.wait_past(TTL).await;
    assert_eq!(store.take("short").await.expect("take"), None);
}

async fn expired_key_can_be_put_again(store: Arc<dyn PendingStore>, clock: Clock) {
    store
        .put("state-1", "{\"first\":true}", TTL)
        .await
        .expect("put");
    clock.wait_past(TTL).await;
    store
        .put("state-1", JSON, TTL)
        .await
        .expect("put after expiry");
    assert_eq!(
        store.take("state-1").await.expect("take").as_deref(),
        Some(JSON)
    );
}

async fn concurrent_takes_yield_one_value(store: Arc<dyn PendingStore>, _clock: Clock) {
    store.put("state-1", JSON, TTL * 30).await.expect("put");
    let takers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take("state-1").await.expect("take") })
        })
        .collect();
    let mut values = Vec::new();
    for taker in takers {
        values.extend(taker.await.expect("taker task"));
    }
    assert_eq!(values, [JSON]);
}

async fn ping_succeeds(store: Arc<dyn PendingStore>, _clock: Clock) {
    store.ping().await.expect("ping");
}

/// Expiry to the millisecond, which only paused time can check.
#[tokio::test(start_paused = true)]
async fn memory_values_live_until_exactly_their_ttl() {
    let store = MemoryPendingStore::new();
    store.put("a", JSON, TTL).await.expect("put");
    store.put("b", JSON, TTL).await.expect("put");
    tokio::time::advance(TTL - Duration::from_millis(1)).await;
    assert_eq!(store.take("a").await.expect("take").as_deref(), Some(JSON));
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(store.take("b").await.expect("take"), None);
}
