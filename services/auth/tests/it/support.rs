//! Test helpers: a Postgres token store in a schema of its own, dropped when
//! the test ends (pass or fail), so tests run in parallel and leave nothing.

use std::future::Future;
use std::panic::resume_unwind;

use portico_auth::PgTokenStore;
use sqlx::{Connection, PgConnection};

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
