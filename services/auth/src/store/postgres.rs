//! The Postgres [`TokenStore`], the one deployments use. Queries are plain
//! `sqlx::query` with binds (no compile-time database needed), and every
//! `sqlx::Error` is translated here, where the query runs, so callers see
//! [`StoreError::AlreadyExists`] rather than a driver error.

use std::time::Duration;

use sqlx::Row;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};

use super::{ApiTokenRecord, StoreError, TokenStore};

/// Migrations embedded in the binary, so a deployment needs nothing but the URL.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Enough for the auth service's short queries; more would only let one replica
/// hog the database's connection limit.
const MAX_CONNECTIONS: u32 = 10;
/// Bounds waiting for a pooled connection, which includes opening a new one
/// (TCP, TLS and authentication), so an unreachable database fails fast.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

const COLUMNS: &str = "id, name, scopes, token_hash, token_hint, created_at, revoked_at, \
                       space_ids, org_ids, last_used_at";

/// A [`TokenStore`] backed by a Postgres connection pool.
#[derive(Debug, Clone)]
pub struct PgTokenStore {
    pool: PgPool,
}

impl PgTokenStore {
    /// Connects to `database_url` (`postgres://…`) and applies the embedded
    /// migrations. The schema used is the connection's `search_path`.
    pub async fn connect(database_url: &str) -> Result<PgTokenStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(database_url)
            .await
            .map_err(translate)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Internal(format!("applying migrations failed: {e}")))?;
        Ok(PgTokenStore { pool })
    }

    /// Closes every pooled connection; later calls fail with `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The pool, for the other Postgres stores of this crate to share.
    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait::async_trait]
impl TokenStore for PgTokenStore {
    async fn insert(&self, token: &ApiTokenRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens \
             (id, name, scopes, token_hash, token_hint, created_at, revoked_at, \
              space_ids, org_ids, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&token.id)
        .bind(&token.name)
        .bind(&token.scopes)
        .bind(&token.token_hash)
        .bind(&token.token_hint)
        .bind(token.created_at)
        .bind(token.revoked_at)
        .bind(&token.space_ids)
        .bind(&token.org_ids)
        .bind(token.last_used_at)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(())
    }

    async fn find_by_hash(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(translate)?;
        row.as_ref().map(record).transpose()
    }

    async fn list(&self) -> Result<Vec<ApiTokenRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_tokens ORDER BY created_at DESC, seq DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(translate)?;
        rows.iter().map(record).collect()
    }

    async fn revoke(&self, id: &str, at_unix: i64) -> Result<bool, StoreError> {
        // COALESCE keeps the first revocation time, which audits rely on.
        let result = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
        )
        .bind(id)
        .bind(at_unix)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(result.rows_affected() > 0)
    }

    async fn touch(&self, id: &str, at_unix: i64) -> Result<bool, StoreError> {
        // The WHERE on last_used_at keeps a busy token to one row write a
        // minute; the row still counts as found.
        let result = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2 - 60)",
        )
        .bind(id)
        .bind(at_unix)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        if result.rows_affected() > 0 {
            return Ok(true);
        }
        let exists = sqlx::query("SELECT 1 FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(translate)?;
        Ok(exists.is_some())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(translate)?;
        Ok(())
    }
}

fn record(row: &PgRow) -> Result<ApiTokenRecord, StoreError> {
    Ok(ApiTokenRecord {
        id: row.try_get("id").map_err(translate)?,
        name: row.try_get("name").map_err(translate)?,
        scopes: row.try_get("scopes").map_err(translate)?,
        token_hash: row.try_get("token_hash").map_err(translate)?,
        token_hint: row.try_get("token_hint").map_err(translate)?,
        created_at: row.try_get("created_at").map_err(translate)?,
        revoked_at: row.try_get("revoked_at").map_err(translate)?,
        space_ids: row.try_get("space_ids").map_err(translate)?,
        org_ids: row.try_get("org_ids").map_err(translate)?,
        last_used_at: row.try_get("last_used_at").map_err(translate)?,
    })
}

/// Sorts driver errors into what a caller can act on: a conflict, a transient
/// outage worth retrying, or a bug. Shared by every Postgres store here.
pub(super) fn translate(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists,
        // SQLSTATE class 08 (connection exception) and 57P (operator
        // intervention, e.g. the server shutting down) are outages, not bugs.
        sqlx::Error::Database(db)
            if db
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) =>
        {
            StoreError::Unavailable(err.to_string())
        }
        // A protocol error is the peer not speaking Postgres at all: most
        // often something between us and the server (a proxy, a load
        // balancer, a restarting pooler) that accepted the connection and
        // closed it, e.g. "unexpected response from SSLRequest: 0x00". That
        // is an outage a retry can outlast, not a bug here.
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        _ => StoreError::Internal(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_closed_by_something_in_between_are_outages() {
        // What sqlx reports when a proxy accepts the connection and closes
        // it before the server could answer.
        let closed = sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into());
        assert!(matches!(translate(closed), StoreError::Unavailable(_)));
        let reset = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(matches!(translate(reset), StoreError::Unavailable(_)));
        assert!(matches!(
            translate(sqlx::Error::RowNotFound),
            StoreError::Internal(_)
        ));
    }
}
