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

use super::{
    Admission, Decision, Handoffs, Limit, RateLimiter, Session, SessionStore, SessionTouch,
};

/// What the front door needs from one store value.
trait Store: SessionStore + RateLimiter + Handoffs + Clone {}
impl<T: SessionStore + RateLimiter + Handoffs + Clone> Store for T {}

/// How long any bounded wait may take before the test fails; generous
/// because the test machines are shared and busy.
const WAIT_LIMIT: Duration = Duration::from_secs(5);

/// Slack added to every wait for an expiry, for clock granularity.
const MARGIN: Duration = Duration::from_millis(50);

/// The subject every test session belongs to.
const SUBJECT: &str = "podio-user-42";

fn new_id() -> String {
    format!("sess-{}", uuid::Uuid::new_v4().simple())
}

fn session(id: &str) -> Session {
    Session {
        id: id.to_owned(),
        subject: SUBJECT.to_owned(),
        protocol_version: "2025-11-25".to_owned(),
        client_name: "contract-test".to_owned(),
        client_version: "0.1.0".to_owned(),
        created_at: 1_767_225_600,
        log_level: None,
        can_answer: Default::default(),
    }
}

/// Waits until `id` is gone, checking only after more than `ttl` has passed
/// since the previous check (a check extends the session by `ttl`, so an
/// earlier one would keep it alive).
async fn wait_until_gone<S: Store>(store: &S, id: &str, ttl: Duration) {
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        sleep(ttl + MARGIN).await;
        if store
            .get_and_touch(SUBJECT, id, ttl)
            .await
            .expect("get")
            .is_none()
        {
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
    let found = store.get_and_touch(SUBJECT, &id, ttl).await.expect("get");
    assert_eq!(found, Some(session(&id)));
}

async fn unknown_session_is_none<S: Store>(store: S) {
    let found = store
        .get_and_touch(SUBJECT, &new_id(), Duration::from_secs(60))
        .await
        .expect("get");
    assert_eq!(found, None);
}

async fn session_expires_after_ttl<S: Store>(store: S) {
    let id = new_id();
    let ttl = Duration::from_millis(400);
    store.create(&session(&id), ttl).await.expect("create");
    assert!(
        store
            .get_and_touch(SUBJECT, &id, ttl)
            .await
            .expect("get")
            .is_some()
    );
    wait_until_gone(&store, &id, ttl).await;
    assert!(!store.delete(SUBJECT, &id).await.expect("delete"));
}

async fn touch_slides_expiry<S: Store>(store: S) {
    let id = new_id();
    let short = Duration::from_millis(300);
    store.create(&session(&id), short).await.expect("create");
    // Touching with a longer TTL outlives the one it was created with...
    let found = store
        .get_and_touch(SUBJECT, &id, Duration::from_secs(60))
        .await
        .expect("get");
    assert!(found.is_some());
    sleep(short * 2).await;
    assert!(
        store
            .get_and_touch(SUBJECT, &id, short)
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
    assert!(store.delete(SUBJECT, &id).await.expect("delete"));
    assert!(!store.delete(SUBJECT, &id).await.expect("delete again"));
    let found = store
        .get_and_touch(SUBJECT, &id, Duration::from_secs(60))
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

const MINUTE: Duration = Duration::from_secs(60);

fn limits(per_minute: u64, per_hour: u64) -> [Limit; 2] {
    [
        Limit {
            name: "minute",
            limit: per_minute,
            window: MINUTE,
        },
        Limit {
            name: "hour",
            limit: per_hour,
            window: Duration::from_secs(3600),
        },
    ]
}

fn admission<'a>(partition: &'a str, cost: u64, limits: &'a [Limit]) -> Admission<'a> {
    Admission {
        partition,
        cost,
        limits,
        session: None,
    }
}

async fn admission_returns_and_touches_the_session<S: Store>(store: S) {
    let id = new_id();
    let short = Duration::from_millis(300);
    store.create(&session(&id), short).await.expect("create");
    let limits = limits(10, 10);
    let touch = SessionTouch {
        id: &id,
        ttl: Duration::from_secs(60),
    };
    let admitted = store
        .admit(&Admission {
            session: Some(touch),
            ..admission(SUBJECT, 1, &limits)
        })
        .await
        .expect("admit");
    assert!(admitted.allowed());
    assert_eq!(admitted.session, Some(session(&id)));
    // The touch gave it the longer TTL.
    sleep(short * 2).await;
    assert!(
        store
            .get_and_touch(SUBJECT, &id, Duration::from_secs(60))
            .await
            .expect("get")
            .is_some()
    );
    // An unknown id is simply absent; the request is still counted.
    let admitted = store
        .admit(&Admission {
            session: Some(SessionTouch {
                id: &new_id(),
                ..touch
            }),
            ..admission(SUBJECT, 1, &limits)
        })
        .await
        .expect("admit");
    assert!(admitted.allowed());
    assert_eq!(admitted.session, None);
    assert_eq!(admitted.decisions[0].remaining, 8);
}

async fn a_session_belongs_to_its_subject<S: Store>(store: S) {
    let id = new_id();
    let ttl = Duration::from_secs(60);
    store.create(&session(&id), ttl).await.expect("create");
    let limits = limits(10, 10);
    let admitted = store
        .admit(&Admission {
            session: Some(SessionTouch { id: &id, ttl }),
            ..admission("someone-else", 1, &limits)
        })
        .await
        .expect("admit");
    assert_eq!(admitted.session, None);
    assert_eq!(
        store
            .get_and_touch("someone-else", &id, ttl)
            .await
            .expect("get"),
        None
    );
    assert!(!store.delete("someone-else", &id).await.expect("delete"));
    assert!(
        store
            .get_and_touch(SUBJECT, &id, ttl)
            .await
            .expect("get")
            .is_some()
    );
}

async fn a_refused_admission_still_finds_the_session<S: Store>(store: S) {
    let id = new_id();
    let ttl = Duration::from_secs(60);
    store.create(&session(&id), ttl).await.expect("create");
    let limits = limits(1, 10);
    let with_session = Admission {
        session: Some(SessionTouch { id: &id, ttl }),
        ..admission(SUBJECT, 1, &limits)
    };
    assert!(store.admit(&with_session).await.expect("admit").allowed());
    let refused = store.admit(&with_session).await.expect("admit");
    assert_eq!(refused.refused, Some(0));
    assert_eq!(refused.session, Some(session(&id)));
}

async fn all_limits_are_charged_or_none<S: Store>(store: S) {
    let partition = new_id();
    let limits = limits(5, 2);
    for remaining in [(4, 1), (3, 0)] {
        let admitted = store
            .admit(&admission(&partition, 1, &limits))
            .await
            .expect("admit");
        assert!(admitted.allowed());
        assert_eq!(
            (
                admitted.decisions[0].remaining,
                admitted.decisions[1].remaining
            ),
            remaining
        );
    }
    // The hourly limit refuses; the minute's count is left as it was.
    let refused = store
        .admit(&admission(&partition, 1, &limits))
        .await
        .expect("admit");
    assert_eq!(refused.refused, Some(1));
    assert!(refused.decisions[0].allowed && !refused.decisions[1].allowed);
    assert_eq!(refused.decisions[0].remaining, 3);
    assert_eq!(refused.decisions[1].remaining, 0);
    let hour = refused.decisions[1].reset_after;
    assert!(
        hour > MINUTE && hour <= Duration::from_secs(3600),
        "{hour:?}"
    );
    // The same names in another partition are other counters.
    assert!(
        store
            .admit(&admission(&new_id(), 1, &limits))
            .await
            .expect("admit")
            .allowed()
    );
}

async fn costs_are_charged_and_zero_peeks<S: Store>(store: S) {
    let partition = new_id();
    let one = [Limit {
        name: "minute",
        limit: 5,
        window: MINUTE,
    }];
    let remaining = |admitted: &super::Admitted| admitted.decisions[0].remaining;
    let peek = store
        .admit(&admission(&partition, 0, &one))
        .await
        .expect("peek");
    assert!(peek.allowed());
    assert_eq!(remaining(&peek), 5);
    let first = store
        .admit(&admission(&partition, 3, &one))
        .await
        .expect("admit");
    assert!(first.allowed());
    assert_eq!(remaining(&first), 2);
    // Too dear for what is left: refused, and nothing is taken.
    let dear = store
        .admit(&admission(&partition, 3, &one))
        .await
        .expect("admit");
    assert_eq!(dear.refused, Some(0));
    assert_eq!(remaining(&dear), 2);
    let peek = store
        .admit(&admission(&partition, 0, &one))
        .await
        .expect("peek");
    assert!(peek.allowed());
    assert_eq!(remaining(&peek), 2);
    let last = store
        .admit(&admission(&partition, 2, &one))
        .await
        .expect("admit");
    assert!(last.allowed());
    assert_eq!(remaining(&last), 0);
    let peek = store
        .admit(&admission(&partition, 0, &one))
        .await
        .expect("peek");
    assert_eq!(peek.refused, Some(0));
    assert!(peek.decisions[0].reset_after > Duration::ZERO);
}

async fn a_peek_or_refusal_creates_no_window<S: Store>(store: S) {
    let partition = new_id();
    let window = Duration::from_millis(400);
    let one = [Limit {
        name: "minute",
        limit: 2,
        window,
    }];
    // A peek and a refusal on an unknown counter leave it unknown: the
    // window starts with the first counted request, not with them.
    assert!(
        store
            .admit(&admission(&partition, 0, &one))
            .await
            .expect("peek")
            .allowed()
    );
    assert!(
        !store
            .admit(&admission(&partition, 3, &one))
            .await
            .expect("admit")
            .allowed()
    );
    sleep(window / 2).await;
    let first = store
        .admit(&admission(&partition, 1, &one))
        .await
        .expect("admit");
    assert_eq!(first.decisions[0].reset_after, window);
}

/// Generates one `#[tokio::test]` per contract case, each running the case
/// through `$harness`, which builds the store (and cleans up after it).
async fn a_refund_gives_back_within_the_window_only<S: Store>(store: S) {
    let limits = [Limit {
        name: "minute",
        limit: 2,
        window: Duration::from_secs(60),
    }];
    let admit = || Admission {
        partition: SUBJECT,
        cost: 1,
        limits: &limits,
        session: None,
    };
    assert_eq!(store.admit(&admit()).await.expect("admit").refused, None);
    assert_eq!(store.admit(&admit()).await.expect("admit").refused, None);
    assert_eq!(store.admit(&admit()).await.expect("admit").refused, Some(0));
    store.refund(SUBJECT, 1, &limits).await.expect("refund");
    let again = store.admit(&admit()).await.expect("admit");
    assert_eq!(again.refused, None, "the refunded unit is usable again");
    assert_eq!(again.decisions[0].remaining, 0);
    // Never below zero, and a counter that does not exist is not created.
    store.refund(SUBJECT, 10, &limits).await.expect("refund");
    let peek = store
        .admit(&Admission { cost: 0, ..admit() })
        .await
        .expect("peek");
    assert_eq!(peek.decisions[0].remaining, 2);
    let other = [Limit {
        name: "never-counted",
        ..limits[0]
    }];
    store.refund(SUBJECT, 1, &other).await.expect("refund");
    let fresh = store
        .admit(&Admission {
            cost: 0,
            limits: &other,
            ..admit()
        })
        .await
        .expect("peek");
    assert_eq!(fresh.decisions[0].remaining, 2);
}

async fn handoffs_are_taken_once_read_many_times_and_expire<S: Store>(store: S) {
    let ttl = Duration::from_secs(60);
    store.put(SUBJECT, "a", "one", ttl).await.expect("put");
    assert_eq!(
        store.get(SUBJECT, "a").await.expect("get").as_deref(),
        Some("one")
    );
    assert_eq!(
        store.get(SUBJECT, "a").await.expect("get").as_deref(),
        Some("one")
    );
    // Another partition sees nothing under the same key.
    assert_eq!(store.get("someone-else", "a").await.expect("get"), None);
    assert_eq!(store.take("someone-else", "a").await.expect("take"), None);
    // Of two concurrent takers exactly one gets it.
    let (x, y) = tokio::join!(store.take(SUBJECT, "a"), store.take(SUBJECT, "a"));
    let got: Vec<String> = [x.expect("take"), y.expect("take")]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(got, ["one"]);
    assert_eq!(store.get(SUBJECT, "a").await.expect("get"), None);
    // A put replaces; a short one expires.
    store.put(SUBJECT, "b", "old", ttl).await.expect("put");
    store
        .put(SUBJECT, "b", "new", Duration::from_millis(100))
        .await
        .expect("put");
    assert_eq!(
        store.get(SUBJECT, "b").await.expect("get").as_deref(),
        Some("new")
    );
    sleep(Duration::from_millis(100) + MARGIN).await;
    assert_eq!(store.take(SUBJECT, "b").await.expect("take"), None);
}

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
            admission_returns_and_touches_the_session,
            a_session_belongs_to_its_subject,
            a_refused_admission_still_finds_the_session,
            all_limits_are_charged_or_none,
            costs_are_charged_and_zero_peeks,
            a_peek_or_refusal_creates_no_window,
            handoffs_are_taken_once_read_many_times_and_expire,
            a_refund_gives_back_within_the_window_only,
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

    use super::{SUBJECT, assert_exactly_twenty_allowed, check_concurrently, new_id, session};
    use crate::store::redis::RedisStore;
    use crate::store::{RateLimiter, SessionStore};

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
            let found = second.get_and_touch(SUBJECT, &id, ttl).await.expect("get");
            assert_eq!(found, Some(session(&id)));
            assert!(second.delete(SUBJECT, &id).await.expect("delete"));
            assert_eq!(
                first.get_and_touch(SUBJECT, &id, ttl).await.expect("get"),
                None
            );
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

    /// Every key one admission touches carries the same hash tag, so the
    /// script runs on Redis Cluster; the subject itself is not in any key.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_admission_touches_one_hash_slot() {
        with_prefix(|prefix| async move {
            let store = connect(&prefix).await;
            let id = new_id();
            let ttl = Duration::from_secs(60);
            store.create(&session(&id), ttl).await.expect("create");
            let limits = super::limits(10, 10);
            let admitted = store
                .admit(&crate::store::Admission {
                    partition: SUBJECT,
                    cost: 1,
                    limits: &limits,
                    session: Some(crate::store::SessionTouch { id: &id, ttl }),
                })
                .await
                .expect("admit");
            assert!(admitted.session.is_some());
            let keys = portico_keys(&prefix).await;
            assert_eq!(keys.len(), 3, "{keys:?}");
            let tags: std::collections::BTreeSet<&str> = keys
                .iter()
                .filter_map(|k| k.split_once('{').and_then(|(_, rest)| rest.split_once('}')))
                .map(|(tag, _)| tag)
                .collect();
            assert_eq!(tags.len(), 1, "{keys:?}");
            assert!(keys.iter().all(|k| !k.contains(SUBJECT)), "{keys:?}");
        })
        .await;
    }

    async fn portico_keys(prefix: &str) -> Vec<String> {
        let client = ::redis::Client::open(redis_url()).expect("url");
        let mut con = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect");
        ::redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut con)
            .await
            .expect("keys")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn prefixes_do_not_share_keys() {
        with_prefix(|prefix| async move {
            let mine = connect(&prefix).await;
            let other = connect(&format!("{prefix}other:")).await;
            let id = new_id();
            let ttl = Duration::from_secs(60);
            mine.create(&session(&id), ttl).await.expect("create");
            assert_eq!(
                other.get_and_touch(SUBJECT, &id, ttl).await.expect("get"),
                None
            );
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
