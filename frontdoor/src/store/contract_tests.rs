//! The one contract both stores honour, run against each: `memory` uses a
//! fresh [`MemoryStore`]; `redis` uses the Redis at `REDIS_URL` (default
//! `redis://127.0.0.1:6379`) under a unique key prefix per test, and deletes
//! every key under it afterwards, pass or fail.
//!
//! Expiry cases use short real TTLs and a bounded wait, so the same test runs
//! against a real server; exact timing at the edges is tested with paused
//! time in `memory`'s own tests.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::{Instant, sleep};

use super::{Decision, RateLimiter, Session, SessionStore};

/// What the front door needs from one store value.
trait Store: SessionStore + RateLimiter + Clone {}
impl<T: SessionStore + RateLimiter + Clone> Store for T {}

/// How long any bounded wait may take before the test fails; generous
/// because the test machines are shared and busy.
const WAIT_LIMIT: Duration = Duration::from_secs(5);

/// Slack added to every wait for an expiry, for clock granularity.
const MARGIN: Duration = Duration::from_millis(50);

fn new_id() -> String {
    format!("sess-{}", uuid::Uuid::new_v4().simple())
}

fn session(id: &str) -> Session {
    Session {
        id: id.to_owned(),
        subject: "podio-user-42".to_owned(),
        protocol_version: "2025-11-25".to_owned(),
        client_name: "contract-test".to_owned(),
        client_version: "0.1.0".to_owned(),
        created_at: 1_767_225_600,
        log_level: None,
    }
}

/// Waits until `id` is gone, checking only after more than `ttl` has passed
/// since the previous check (a check extends the session by `ttl`, so an
/// earlier one would keep it alive).
async fn wait_until_gone<S: Store>(store: &S, id: &str, ttl: Duration) {
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        sleep(ttl + MARGIN).await;
        if store.get_and_touch(id, ttl).await.expect("get").is_none() {
            return;
        }
        assert!(Instant::now() < deadline, "session {id} outlived its ttl");
    }
}

/// Checks `key` until a request is allowed again, sleeping until each
/// refusal's `reset_after` (refused requests do not extend the window).
async fn wait_for_new_window<S: Store>(
    store: &S,
    key: &str,
    limit: u64,
    window: Duration,
    mut reset_after: Duration,
) -> Decision {
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        sleep(reset_after + MARGIN).await;
        let decision = store.check(key, limit, window).await.expect("check");
        if decision.allowed {
            return decision;
        }
        assert!(Instant::now() < deadline, "window of {key} never ended");
        reset_after = decision.reset_after;
    }
}

async fn ping_succeeds<S: Store>(store: S) {
    store.ping().await.expect("ping");
}

async fn created_session_can_be_read<S: Store>(store: S) {
    let id = new_id();
    let ttl = Duration::from_secs(60);
    store.create(&session(&id), ttl).await.expect("create");
    let found = store.get_and_touch(&id, ttl).await.expect("get");
    assert_eq!(found, Some(session(&id)));
}

async fn unknown_session_is_none<S: Store>(store: S) {
    let found = store
        .get_and_touch(&new_id(), Duration::from_secs(60))
        .await
        .expect("get");
    assert_eq!(found, None);
}

async fn session_expires_after_ttl<S: Store>(store: S) {
    let id = new_id();
    let ttl = Duration::from_millis(400);
    store.create(&session(&id), ttl).await.expect("create");
    assert!(store.get_and_touch(&id, ttl).await.expect("get").is_some());
    wait_until_gone(&store, &id, ttl).await;
    assert!(!store.delete(&id).await.expect("delete"));
}

async fn touch_slides_expiry<S: Store>(store: S) {
    let id = new_id();
    let short = Duration::from_millis(300);
    store.create(&session(&id), short).await.expect("create");
    // Touching with a longer TTL outlives the one it was created with...
    let found = store
        .get_and_touch(&id, Duration::from_secs(60))
        .await
        .expect("get");
    assert!(found.is_some());
    sleep(short * 2).await;
    assert!(
        store
            .get_and_touch(&id, short)
            .await
            .expect("get")
            .is_some()
    );
    // ...and each touch resets the TTL from now, to exactly what it says.
    wait_until_gone(&store, &id, short).await;
}

async fn delete_reports_existence<S: Store>(store: S) {
    let id = new_id();
    store
        .create(&session(&id), Duration::from_secs(60))
        .await
        .expect("create");
    assert!(store.delete(&id).await.expect("delete"));
    assert!(!store.delete(&id).await.expect("delete again"));
    let found = store
        .get_and_touch(&id, Duration::from_secs(60))
        .await
        .expect("get");
    assert_eq!(found, None);
}

async fn limit_counts_down_then_refuses<S: Store>(store: S) {
    let key = new_id();
    let window = Duration::from_secs(60);
    for remaining in (0..3).rev() {
        let decision = store.check(&key, 3, window).await.expect("check");
        assert!(decision.allowed);
        assert_eq!(decision.limit, 3);
        assert_eq!(decision.remaining, remaining);
        assert!(decision.reset_after > Duration::ZERO && decision.reset_after <= window);
    }
    let refused = store.check(&key, 3, window).await.expect("check");
    assert!(!refused.allowed);
    assert_eq!(refused.limit, 3);
    assert_eq!(refused.remaining, 0);
    assert!(refused.reset_after > Duration::ZERO && refused.reset_after <= window);
}

async fn new_window_allows_again<S: Store>(store: S) {
    let key = new_id();
    let window = Duration::from_millis(400);
    for _ in 0..2 {
        assert!(store.check(&key, 2, window).await.expect("check").allowed);
    }
    let refused = store.check(&key, 2, window).await.expect("check");
    assert!(!refused.allowed);
    let fresh = wait_for_new_window(&store, &key, 2, window, refused.reset_after).await;
    assert_eq!(fresh.remaining, 1);
    assert!(fresh.reset_after > Duration::ZERO && fresh.reset_after <= window);
}

async fn keys_are_independent<S: Store>(store: S) {
    let (a, b) = (new_id(), new_id());
    let window = Duration::from_secs(60);
    assert!(store.check(&a, 1, window).await.expect("check").allowed);
    assert!(!store.check(&a, 1, window).await.expect("check").allowed);
    assert!(store.check(&b, 1, window).await.expect("check").allowed);
    assert!(!store.check(&b, 1, window).await.expect("check").allowed);
}

/// Runs `tasks` concurrent checks of one key, spread over `stores` (several
/// stores stand for several replicas), and returns the decisions.
async fn check_concurrently<S: Store>(stores: &[S], key: &str, tasks: usize) -> Vec<Decision> {
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let key = key.to_owned();
            tokio::spawn(async move { store.check(&key, 20, Duration::from_secs(60)).await })
        })
        .collect();
    let mut decisions = Vec::with_capacity(tasks);
    for handle in handles {
        decisions.push(handle.await.expect("task").expect("check"));
    }
    decisions
}

/// Exactly `limit` of 50 concurrent requests pass, each seeing a distinct
/// `remaining`: the count is atomic, not read-then-written.
fn assert_exactly_twenty_allowed(decisions: &[Decision]) {
    let allowed: Vec<_> = decisions.iter().filter(|d| d.allowed).collect();
    assert_eq!(allowed.len(), 20);
    let remaining: BTreeSet<u64> = allowed.iter().map(|d| d.remaining).collect();
    assert_eq!(remaining, (0..20).collect());
    assert!(
        decisions
            .iter()
            .filter(|d| !d.allowed)
            .all(|d| d.remaining == 0)
    );
}

async fn concurrent_checks_are_exact<S: Store>(store: S) {
    let decisions = check_concurrently(&[store], &new_id(), 50).await;
    assert_exactly_twenty_allowed(&decisions);
}

/// Generates one `#[tokio::test]` per contract case, each running the case
/// through `$harness`, which builds the store (and cleans up after it).
macro_rules! contract_suite {
    ($harness:ident: $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $harness(super::$case).await;
            }
        )+
    };
}

macro_rules! all_cases {
    ($harness:ident) => {
        contract_suite!($harness:
            ping_succeeds,
            created_session_can_be_read,
            unknown_session_is_none,
            session_expires_after_ttl,
            touch_slides_expiry,
            delete_reports_existence,
            limit_counts_down_then_refuses,
            new_window_allows_again,
            keys_are_independent,
            concurrent_checks_are_exact,
        );
    };
}

mod memory {
    use std::future::Future;

    use crate::store::memory::MemoryStore;

    async fn run<F, Fut>(case: F)
    where
        F: FnOnce(MemoryStore) -> Fut,
        Fut: Future<Output = ()>,
    {
        case(MemoryStore::new()).await;
    }

    all_cases!(run);
}

mod redis {
    use std::future::Future;
    use std::time::Duration;

    use super::{assert_exactly_twenty_allowed, check_concurrently, new_id, session};
    use crate::store::SessionStore;
    use crate::store::redis::RedisStore;

    fn redis_url() -> String {
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
    }

    async fn connect(prefix: &str) -> RedisStore {
        RedisStore::connect(&redis_url(), prefix)
            .await
            .expect("these tests need a Redis at REDIS_URL or redis://127.0.0.1:6379")
    }

    /// Runs `case` with a fresh key prefix, then deletes every key under it
    /// whether the case passed or panicked, and re-raises its panic.
    async fn with_prefix<F, Fut>(case: F)
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let prefix = format!("portico-test:{}:", uuid::Uuid::new_v4().simple());
        let cleaner = connect(&prefix).await;
        // A spawned task turns a panic into a JoinError, so cleanup still runs.
        let outcome = tokio::spawn(case(prefix)).await;
        cleaner.delete_all_keys().await.expect("cleanup");
        if let Err(err) = outcome {
            std::panic::resume_unwind(err.into_panic());
        }
    }

    async fn run<F, Fut>(case: F)
    where
        F: FnOnce(RedisStore) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        with_prefix(|prefix| async move { case(connect(&prefix).await).await }).await;
    }

    all_cases!(run);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn second_replica_sees_sessions() {
        with_prefix(|prefix| async move {
            let (first, second) = (connect(&prefix).await, connect(&prefix).await);
            let id = new_id();
            let ttl = Duration::from_secs(60);
            first.create(&session(&id), ttl).await.expect("create");
            let found = second.get_and_touch(&id, ttl).await.expect("get");
            assert_eq!(found, Some(session(&id)));
            assert!(second.delete(&id).await.expect("delete"));
            assert_eq!(first.get_and_touch(&id, ttl).await.expect("get"), None);
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn limit_is_exact_across_replicas() {
        with_prefix(|prefix| async move {
            let replicas = [connect(&prefix).await, connect(&prefix).await];
            let decisions = check_concurrently(&replicas, &new_id(), 50).await;
            assert_exactly_twenty_allowed(&decisions);
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn prefixes_do_not_share_keys() {
        with_prefix(|prefix| async move {
            let mine = connect(&prefix).await;
            let other = connect(&format!("{prefix}other:")).await;
            let id = new_id();
            let ttl = Duration::from_secs(60);
            mine.create(&session(&id), ttl).await.expect("create");
            assert_eq!(other.get_and_touch(&id, ttl).await.expect("get"), None);
        })
        .await;
    }

    #[tokio::test]
    async fn unreachable_redis_fails_fast_naming_redis_url() {
        let started = tokio::time::Instant::now();
        // Port 1 on loopback refuses connections.
        let err = RedisStore::connect("redis://:hunter2secret@127.0.0.1:1", "portico-test:")
            .await
            .expect_err("nothing listens on port 1");
        assert!(started.elapsed() < Duration::from_secs(7));
        let message = err.to_string();
        assert!(message.contains("REDIS_URL"), "{message}");
        assert!(!message.contains("hunter2secret"), "{message}");
    }

    #[tokio::test]
    async fn invalid_url_names_redis_url() {
        let err = RedisStore::connect("http://:hunter2secret@example", "portico-test:")
            .await
            .expect_err("not a redis url");
        let message = err.to_string();
        assert!(message.contains("REDIS_URL"), "{message}");
        assert!(!message.contains("hunter2secret"), "{message}");
    }
}
