//! The `TokenStore` contract: every test is a generic function over
//! `&dyn TokenStore`, and `store_contract!` runs each against the in-memory
//! store and against Postgres (in a fresh schema), so both behave alike.

use portico_auth::{ApiTokenRecord, MemoryTokenStore, StoreError, TokenStore};

use crate::support::with_pg_store;

macro_rules! store_contract {
    ($($test:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(&super::MemoryTokenStore::new()).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    super::with_pg_store(|store| async move { super::$test(&store).await }).await;
                }
            )*
        }
    };
}

store_contract!(
    inserted_tokens_are_found_by_hash,
    unknown_hash_is_none,
    list_is_newest_first,
    revoke_marks_and_keeps_the_first_time,
    revoking_an_unknown_id_is_false,
    duplicate_hash_or_id_already_exists,
    ping_succeeds,
    limits_are_stored,
    touch_records_use_at_most_once_a_minute,
);

fn record(id: &str, token_hash: &str, created_at: i64) -> ApiTokenRecord {
    ApiTokenRecord {
        id: id.to_owned(),
        name: format!("token {id}"),
        scopes: vec!["podio:read".to_owned(), "podio:write".to_owned()],
        token_hash: token_hash.to_owned(),
        token_hint: "portico_pat_abcd".to_owned(),
        created_at,
        revoked_at: None,
        space_ids: Vec::new(),
        org_ids: Vec::new(),
        last_used_at: None,
    }
}

async fn inserted_tokens_are_found_by_hash(store: &dyn TokenStore) {
    let mut token = record("a", "hash-a", 100);
    token.scopes = vec!["podio:read".to_owned()];
    token.last_used_at = Some(110);
    store.insert(&token).await.expect("insert");
    let revoked = ApiTokenRecord {
        revoked_at: Some(150),
        ..record("b", "hash-b", 120)
    };
    store.insert(&revoked).await.expect("insert revoked");

    assert_eq!(
        store.find_by_hash("hash-a").await.expect("find"),
        Some(token)
    );
    assert_eq!(
        store.find_by_hash("hash-b").await.expect("find"),
        Some(revoked)
    );
}

async fn unknown_hash_is_none(store: &dyn TokenStore) {
    store
        .insert(&record("a", "hash-a", 100))
        .await
        .expect("insert");
    assert_eq!(store.find_by_hash("hash-z").await.expect("find"), None);
    assert_eq!(store.find_by_hash("").await.expect("find"), None);
}

async fn list_is_newest_first(store: &dyn TokenStore) {
    assert_eq!(store.list().await.expect("list"), vec![]);
    for (id, created_at) in [("old", 100), ("new", 300), ("mid", 200), ("mid-later", 200)] {
        store
            .insert(&record(id, &format!("hash-{id}"), created_at))
            .await
            .expect("insert");
    }
    let ids: Vec<String> = store
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    // Same second: the later insert counts as newer.
    assert_eq!(ids, ["new", "mid-later", "mid", "old"]);
}

async fn revoke_marks_and_keeps_the_first_time(store: &dyn TokenStore) {
    store
        .insert(&record("a", "hash-a", 100))
        .await
        .expect("insert");
    store
        .insert(&record("b", "hash-b", 100))
        .await
        .expect("insert");

    assert!(store.revoke("a", 500).await.expect("revoke"));
    assert!(store.revoke("a", 900).await.expect("revoke again"));

    let a = store
        .find_by_hash("hash-a")
        .await
        .expect("find")
        .expect("a");
    assert_eq!(a.revoked_at, Some(500));
    let b = store
        .find_by_hash("hash-b")
        .await
        .expect("find")
        .expect("b");
    assert_eq!(b.revoked_at, None, "revoking a must not touch b");
}

async fn revoking_an_unknown_id_is_false(store: &dyn TokenStore) {
    store
        .insert(&record("a", "hash-a", 100))
        .await
        .expect("insert");
    assert!(!store.revoke("nope", 500).await.expect("revoke"));
    let a = store
        .find_by_hash("hash-a")
        .await
        .expect("find")
        .expect("a");
    assert_eq!(a.revoked_at, None);
}

async fn duplicate_hash_or_id_already_exists(store: &dyn TokenStore) {
    let original = record("a", "hash-a", 100);
    store.insert(&original).await.expect("insert");

    let same_hash = store.insert(&record("b", "hash-a", 200)).await;
    assert!(
        matches!(same_hash, Err(StoreError::AlreadyExists)),
        "{same_hash:?}"
    );
    let same_id = store.insert(&record("a", "hash-other", 200)).await;
    assert!(
        matches!(same_id, Err(StoreError::AlreadyExists)),
        "{same_id:?}"
    );
    // Nothing of the rejected inserts was kept.
    assert_eq!(store.list().await.expect("list"), vec![original]);
}

async fn ping_succeeds(store: &dyn TokenStore) {
    store.ping().await.expect("ping");
}

async fn limits_are_stored(store: &dyn TokenStore) {
    let token = ApiTokenRecord {
        space_ids: vec![2_501_464, 2_501_470],
        org_ids: vec![720_690],
        ..record("limited", "hash-limited", 100)
    };
    store.insert(&token).await.expect("insert");
    let found = store
        .find_by_hash("hash-limited")
        .await
        .expect("find")
        .expect("stored");
    assert_eq!(found.space_ids, [2_501_464, 2_501_470]);
    assert_eq!(found.org_ids, [720_690]);
}

async fn touch_records_use_at_most_once_a_minute(store: &dyn TokenStore) {
    store
        .insert(&record("t", "hash-t", 100))
        .await
        .expect("insert");
    assert_eq!(last_used(store, "hash-t").await, None);
    assert!(store.touch("t", 1_000).await.expect("touch"));
    assert_eq!(last_used(store, "hash-t").await, Some(1_000));
    // Within the minute: kept, so a busy token costs one write a minute.
    assert!(store.touch("t", 1_059).await.expect("touch"));
    assert_eq!(last_used(store, "hash-t").await, Some(1_000));
    assert!(store.touch("t", 1_061).await.expect("touch"));
    assert_eq!(last_used(store, "hash-t").await, Some(1_061));
    assert!(!store.touch("missing", 1_100).await.expect("touch"));
}

async fn last_used(store: &dyn TokenStore, hash: &str) -> Option<i64> {
    store
        .find_by_hash(hash)
        .await
        .expect("find")
        .and_then(|t| t.last_used_at)
}
