//! Test helpers: a Postgres token store in a schema of its own, dropped when
//! the test ends (pass or fail), so tests run in parallel and leave nothing;
//! likewise a Redis pending store under a key prefix of its own, whose keys
//! are deleted at the end. And what the admin RPC tests share: a request
//! with the admin secret, and the check of a refusal's bad field.

use std::future::Future;
use std::panic::resume_unwind;
use std::time::Duration;

use portico_auth::{PgTokenStore, RedisPendingStore};
use sqlx::{Connection, PgConnection};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt as _;

/// The admin secret the services under test are given.
pub const ADMIN: &str = "admin-secret-for-tests";

/// `message` as an admin RPC request, with [`ADMIN`] as its bearer.
pub fn admin<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {ADMIN}").parse().expect("ascii header"),
    );
    request
}

/// `status` is INVALID_ARGUMENT with a BadRequest detail whose violation of
/// `field` mentions `needle`.
pub fn assert_bad_field(status: &Status, field: &str, needle: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let bad_request = status
        .get_details_bad_request()
        .expect("a BadRequest detail");
    let violation = bad_request
        .field_violations
        .iter()
        .find(|v| v.field == field)
        .unwrap_or_else(|| panic!("no violation of {field}: {bad_request:?}"));
    assert!(
        violation.description.contains(needle),
        "{:?} lacks {needle:?}",
        violation.description
    );
}

/// The test database, from `TEST_DATABASE_URL` or the local default.
pub fn database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// `base` with every connection's `search_path` set to `schema`.
pub fn url_with_search_path(base: &str, schema: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-c%20search_path%3D{schema}")
}

/// Runs `test` with a migrated [`PgTokenStore`] in a fresh schema, then drops
/// the schema. The test runs in its own task so a failing assertion still
/// reaches the cleanup before the panic is passed on.
pub async fn with_pg_store<F, Fut>(test: F)
where
    F: FnOnce(PgTokenStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let base = database_url();
    let schema = format!("auth_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&base)
        .await
        .expect("connect to the test database");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&mut admin)
        .await
        .expect("create test schema");

    let outcome = match PgTokenStore::connect(&url_with_search_path(&base, &schema)).await {
        Ok(store) => {
            let cleanup = store.clone();
            let outcome = tokio::spawn(test(store)).await;
            cleanup.close().await;
            outcome.map_err(|e| e.into_panic())
        }
        Err(e) => Err(Box::new(format!("connecting the store failed: {e}")) as _),
    };

    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA \"{schema}\" CASCADE"
    )))
    .execute(&mut admin)
    .await
    .expect("drop test schema");
    if let Err(panic) = outcome {
        resume_unwind(panic);
    }
}

/// The test Redis, from `TEST_REDIS_URL` or the local default.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
}

/// Runs `test` with a [`RedisPendingStore`] under a fresh key prefix, then
/// deletes every key under it. As with [`with_pg_store`], the test runs in its
/// own task so a failing assertion still reaches the cleanup.
pub async fn with_redis_pending_store<F, Fut>(test: F)
where
    F: FnOnce(RedisPendingStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let prefix = format!("portico-auth-test:{}:", uuid::Uuid::new_v4().simple());
    let store = RedisPendingStore::connect(&redis_url(), &prefix)
        .await
        .expect("these tests need a Redis at TEST_REDIS_URL or redis://127.0.0.1:6379");
    let outcome = tokio::spawn(test(store)).await;
    for key in redis_keys_under(&prefix).await {
        let mut con = redis_connection().await;
        let _: () = redis::cmd("DEL")
            .arg(&key)
            .query_async(&mut con)
            .await
            .expect("delete test key");
    }
    if let Err(e) = outcome {
        resume_unwind(e.into_panic());
    }
}

/// Every Redis key starting with `prefix` (which must contain no glob
/// characters; test prefixes are hex).
pub async fn redis_keys_under(prefix: &str) -> Vec<String> {
    let mut con = redis_connection().await;
    let mut keys = Vec::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(500)
            .query_async(&mut con)
            .await
            .expect("scan test keys");
        keys.extend(batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

/// Polls until Redis holds no key under `prefix`, for expiry tests: waiting
/// exactly the time to live would be flaky, and a long fixed sleep slow.
pub async fn wait_until_no_redis_keys(prefix: &str, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while !redis_keys_under(prefix).await.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "keys under {prefix} still there after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn redis_connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .expect("valid redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect to the test redis")
}
