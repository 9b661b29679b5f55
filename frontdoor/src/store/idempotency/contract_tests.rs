//! The one contract both idempotency stores honour, run against each:
//! `memory` uses a fresh [`MemoryIdempotencyStore`]; `redis` uses the Redis
//! at `REDIS_URL` (default `redis://127.0.0.1:6379`) under a unique key
//! prefix per test, and deletes every key under it afterwards, pass or fail.
//!
//! Expiry cases use short real TTLs and a bounded wait, so the same test runs
//! against a real server.

use std::time::Duration;

use tokio::time::{Instant, sleep};

use super::{Claim, Completed, Entry, IdempotencyStore, Ticket};

/// What the tests need from one store value.
trait Store: IdempotencyStore + Clone {}
impl<T: IdempotencyStore + Clone> Store for T {}

const ALICE: &str = "token:alice";
const BOB: &str = "token:bob";
const FP: &str = "fingerprint-1";
const LONG: Duration = Duration::from_secs(60);
const SHORT: Duration = Duration::from_millis(150);
/// How long a bounded wait may take before the test fails.
const WAIT_LIMIT: Duration = Duration::from_secs(5);

fn new_key() -> String {
    format!("key-{}", uuid::Uuid::new_v4().simple())
}

async fn claimed<S: Store>(store: &S, owner: &str, key: &str, ttl: Duration) -> Ticket {
    match store.claim(owner, key, FP, ttl).await.expect("claim") {
        Claim::Claimed(ticket) => ticket,
        Claim::Taken(entry) => panic!("{key} was already taken: {entry:?}"),
    }
}

fn completed(result: Option<&str>) -> Entry {
    Entry::Completed(Completed {
        fingerprint: FP.to_owned(),
        result: result.map(str::to_owned),
    })
}

fn in_progress() -> Entry {
    Entry::InProgress {
        fingerprint: FP.to_owned(),
    }
}

/// Waits until `owner`'s `key` holds nothing.
async fn wait_until_gone<S: Store>(store: &S, owner: &str, key: &str) {
    let deadline = Instant::now() + WAIT_LIMIT;
    while store.get(owner, key).await.expect("get").is_some() {
        assert!(Instant::now() < deadline, "{key} outlived its ttl");
        sleep(Duration::from_millis(25)).await;
    }
}

async fn unknown_key_holds_nothing<S: Store>(store: S) {
    assert_eq!(store.get(ALICE, &new_key()).await.expect("get"), None);
}

async fn a_claim_is_seen_in_progress<S: Store>(store: S) {
    let key = new_key();
    claimed(&store, ALICE, &key, LONG).await;
    assert_eq!(
        store.get(ALICE, &key).await.expect("get"),
        Some(in_progress())
    );
    let again = store
        .claim(ALICE, &key, "other", LONG)
        .await
        .expect("claim");
    assert_eq!(again, Claim::Taken(in_progress()));
}

async fn a_completed_key_answers_its_result<S: Store>(store: S) {
    let key = new_key();
    let ticket = claimed(&store, ALICE, &key, LONG).await;
    let result = r#"{"content":[{"type":"text","text":"created"}]}"#;
    assert!(
        store
            .complete(ALICE, &key, &ticket, Some(result), LONG)
            .await
            .expect("complete")
    );
    assert_eq!(
        store.get(ALICE, &key).await.expect("get"),
        Some(completed(Some(result)))
    );
    let again = store.claim(ALICE, &key, FP, LONG).await.expect("claim");
    assert_eq!(again, Claim::Taken(completed(Some(result))));
    // Completing twice changes nothing: the marker is gone.
    assert!(
        !store
            .complete(ALICE, &key, &ticket, Some("{}"), LONG)
            .await
            .expect("complete")
    );
    assert!(!store.release(ALICE, &key, &ticket).await.expect("release"));
    assert_eq!(
        store.get(ALICE, &key).await.expect("get"),
        Some(completed(Some(result)))
    );
}

async fn a_result_too_large_to_keep_still_completes<S: Store>(store: S) {
    let key = new_key();
    let ticket = claimed(&store, ALICE, &key, LONG).await;
    assert!(
        store
            .complete(ALICE, &key, &ticket, None, LONG)
            .await
            .expect("complete")
    );
    assert_eq!(
        store.claim(ALICE, &key, FP, LONG).await.expect("claim"),
        Claim::Taken(completed(None))
    );
}

async fn a_released_key_can_be_claimed_again<S: Store>(store: S) {
    let key = new_key();
    let ticket = claimed(&store, ALICE, &key, LONG).await;
    assert!(store.release(ALICE, &key, &ticket).await.expect("release"));
    assert_eq!(store.get(ALICE, &key).await.expect("get"), None);
    assert!(!store.release(ALICE, &key, &ticket).await.expect("release"));
    let second = claimed(&store, ALICE, &key, LONG).await;
    assert_ne!(second, ticket);
}

async fn concurrent_claims_have_one_winner<S: Store>(store: S) {
    let key = new_key();
    let claims = futures::future::join_all((0..20).map(|_| {
        let (store, key) = (store.clone(), key.clone());
        tokio::spawn(async move { store.claim(ALICE, &key, FP, LONG).await })
    }))
    .await;
    let winners = claims
        .into_iter()
        .map(|joined| joined.expect("task").expect("claim"))
        .filter(|claim| matches!(claim, Claim::Claimed(_)))
        .count();
    assert_eq!(winners, 1);
}

async fn an_abandoned_claim_expires<S: Store>(store: S) {
    let key = new_key();
    claimed(&store, ALICE, &key, SHORT).await;
    wait_until_gone(&store, ALICE, &key).await;
    claimed(&store, ALICE, &key, LONG).await;
}

async fn a_result_expires_with_its_ttl<S: Store>(store: S) {
    let key = new_key();
    let ticket = claimed(&store, ALICE, &key, LONG).await;
    assert!(
        store
            .complete(ALICE, &key, &ticket, Some("{}"), SHORT)
            .await
            .expect("complete")
    );
    wait_until_gone(&store, ALICE, &key).await;
}

/// A call that outlived its marker cannot complete or release the claim of
/// the call that took the key after it.
async fn a_stale_ticket_changes_nothing<S: Store>(store: S) {
    let key = new_key();
    let stale = claimed(&store, ALICE, &key, SHORT).await;
    wait_until_gone(&store, ALICE, &key).await;
    let current = claimed(&store, ALICE, &key, LONG).await;
    assert!(
        !store
            .complete(ALICE, &key, &stale, Some("{}"), LONG)
            .await
            .expect("complete")
    );
    assert!(!store.release(ALICE, &key, &stale).await.expect("release"));
    assert_eq!(
        store.get(ALICE, &key).await.expect("get"),
        Some(in_progress())
    );
    assert!(store.release(ALICE, &key, &current).await.expect("release"));
}

/// The same key under another owner is another entry: one principal never
/// sees, blocks or completes another's.
async fn entries_belong_to_their_owner<S: Store>(store: S) {
    let key = new_key();
    let alice = claimed(&store, ALICE, &key, LONG).await;
    assert!(
        store
            .complete(ALICE, &key, &alice, Some("alice's result"), LONG)
            .await
            .expect("complete")
    );
    assert_eq!(store.get(BOB, &key).await.expect("get"), None);
    let bob = claimed(&store, BOB, &key, LONG).await;
    assert!(
        !store
            .complete(ALICE, &key, &bob, Some("bob's result"), LONG)
            .await
            .expect("complete")
    );
    assert!(!store.release(ALICE, &key, &bob).await.expect("release"));
    assert_eq!(
        store.get(BOB, &key).await.expect("get"),
        Some(in_progress())
    );
    assert_eq!(
        store.get(ALICE, &key).await.expect("get"),
        Some(completed(Some("alice's result")))
    );
}

async fn keys_are_independent<S: Store>(store: S) {
    let (first, second) = (new_key(), new_key());
    claimed(&store, ALICE, &first, LONG).await;
    claimed(&store, ALICE, &second, LONG).await;
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
            unknown_key_holds_nothing,
            a_claim_is_seen_in_progress,
            a_completed_key_answers_its_result,
            a_result_too_large_to_keep_still_completes,
            a_released_key_can_be_claimed_again,
            concurrent_claims_have_one_winner,
            an_abandoned_claim_expires,
            a_result_expires_with_its_ttl,
            a_stale_ticket_changes_nothing,
            entries_belong_to_their_owner,
            keys_are_independent,
        );
    };
}

mod memory {
    use std::future::Future;

    use crate::store::idempotency::memory::MemoryIdempotencyStore;

    async fn run<F, Fut>(case: F)
    where
        F: FnOnce(MemoryIdempotencyStore) -> Fut,
        Fut: Future<Output = ()>,
    {
        case(MemoryIdempotencyStore::new()).await;
    }

    all_cases!(run);
}

mod redis {
    use std::future::Future;

    use super::{ALICE, FP, LONG, claimed, new_key};
    use crate::store::idempotency::redis::RedisIdempotencyStore;
    use crate::store::idempotency::{Claim, IdempotencyStore};
    use crate::store::redis::RedisStore;

    fn redis_url() -> String {
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
    }

    async fn connect(prefix: &str) -> RedisStore {
        RedisStore::connect(&redis_url(), prefix)
            .await
            .expect("these tests need a Redis at REDIS_URL or redis://127.0.0.1:6379")
    }

    async fn replica(prefix: &str) -> RedisIdempotencyStore {
        RedisIdempotencyStore::new(&connect(prefix).await)
    }

    /// Every key under `prefix`.
    async fn keys(prefix: &str) -> Vec<String> {
        let store = connect(prefix).await;
        let mut con = store.connection();
        ::redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut con)
            .await
            .expect("keys")
    }

    /// Runs `case` with a fresh key prefix, then deletes every key under it
    /// whether the case passed or panicked, and re-raises its panic.
    async fn with_prefix<F, Fut>(case: F)
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let prefix = format!("portico-test:{}:", uuid::Uuid::new_v4().simple());
        let outcome = tokio::spawn(case(prefix.clone())).await;
        let leftover = keys(&prefix).await;
        if !leftover.is_empty() {
            let mut con = connect(&prefix).await.connection();
            let _: u64 = ::redis::cmd("DEL")
                .arg(&leftover)
                .query_async(&mut con)
                .await
                .expect("cleanup");
        }
        if let Err(err) = outcome {
            std::panic::resume_unwind(err.into_panic());
        }
    }

    async fn run<F, Fut>(case: F)
    where
        F: FnOnce(RedisIdempotencyStore) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        with_prefix(|prefix| async move { case(replica(&prefix).await).await }).await;
    }

    all_cases!(run);

    /// Two replicas (two connections) on one Redis: a claim on one is seen,
    /// and its result answered, on the other; concurrent claims across both
    /// have one winner.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn replicas_share_entries() {
        with_prefix(|prefix| async move {
            let (first, second) = (replica(&prefix).await, replica(&prefix).await);
            let key = new_key();
            let ticket = claimed(&first, ALICE, &key, LONG).await;
            assert!(matches!(
                second.claim(ALICE, &key, FP, LONG).await.expect("claim"),
                Claim::Taken(_)
            ));
            assert!(
                first
                    .complete(ALICE, &key, &ticket, Some("{}"), LONG)
                    .await
                    .expect("complete")
            );
            assert!(matches!(
                second.get(ALICE, &key).await.expect("get"),
                Some(super::Entry::Completed(_))
            ));

            let key = new_key();
            let claims = futures::future::join_all((0..20).map(|i| {
                let store = if i % 2 == 0 {
                    first.clone()
                } else {
                    second.clone()
                };
                let key = key.clone();
                tokio::spawn(async move { store.claim(ALICE, &key, FP, LONG).await })
            }))
            .await;
            let winners = claims
                .into_iter()
                .map(|joined| joined.expect("task").expect("claim"))
                .filter(|claim| matches!(claim, Claim::Claimed(_)))
                .count();
            assert_eq!(winners, 1);
        })
        .await;
    }

    /// Keys carry the owner's hash tag and the prefix; neither the subject
    /// nor the client's key appears in them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keys_are_tagged_and_opaque() {
        with_prefix(|prefix| async move {
            let store = replica(&prefix).await;
            let key = new_key();
            claimed(&store, ALICE, &key, LONG).await;
            claimed(&store, ALICE, &new_key(), LONG).await;
            let found = keys(&prefix).await;
            assert_eq!(found.len(), 2, "{found:?}");
            let tags: std::collections::BTreeSet<&str> = found
                .iter()
                .filter_map(|k| k.split_once('{').and_then(|(_, rest)| rest.split_once('}')))
                .map(|(tag, _)| tag)
                .collect();
            assert_eq!(tags.len(), 1, "{found:?}");
            assert!(
                found
                    .iter()
                    .all(|k| k.starts_with(&prefix) && !k.contains(ALICE) && !k.contains(&key)),
                "{found:?}"
            );
        })
        .await;
    }
}
