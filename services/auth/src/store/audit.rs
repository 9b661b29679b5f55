//! Where audit events are kept: [`AuditStore`], in Postgres for deployments
//! (on the token store's pool and schema) and in memory for `portico dev`.
//! Every string is capped before it is stored (see [`AuditEvent::capped`]).

use std::sync::{Mutex, PoisonError};

use portico_proto::auth::v1::AuditEvent;
use sqlx::Row;
use sqlx::postgres::PgPool;

use super::StoreError;
use super::postgres::{PgTokenStore, translate};

/// Longest stored field, in bytes (a trace id is 32; a target names one
/// object).
const MAX_FIELD: usize = 512;
/// Most events one listing returns.
pub const MAX_LIST: u32 = 1000;
/// Events a listing returns when it does not say.
pub const DEFAULT_LIST: u32 = 100;

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this subject's.
    pub subject: Option<String>,
    /// Only those through this OAuth client.
    pub client_id: Option<String>,
    /// At or after this Unix second.
    pub since: Option<i64>,
    /// Before this Unix second.
    pub until: Option<i64>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// The audit log's storage.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Appends `event` (its id is assigned here).
    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// Events matching `filter`, newest first.
    async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError>;
    /// Deletes events older than `before` (Unix seconds); how many.
    async fn purge(&self, before: i64) -> Result<u64, StoreError>;
}

/// `text` cut to [`MAX_FIELD`] bytes on a character boundary.
fn cap(text: &str) -> String {
    let mut end = text.len().min(MAX_FIELD);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// `event` with every string capped.
pub(crate) fn capped(event: &AuditEvent) -> AuditEvent {
    AuditEvent {
        id: 0,
        at: event.at,
        subject: cap(&event.subject),
        client_id: cap(&event.client_id),
        credential_mode: cap(&event.credential_mode),
        action: cap(&event.action),
        target: cap(&event.target),
        outcome: cap(&event.outcome),
        trace_id: cap(&event.trace_id),
    }
}

fn matches(filter: &AuditFilter, event: &AuditEvent) -> bool {
    filter.subject.as_ref().is_none_or(|s| *s == event.subject)
        && filter
            .client_id
            .as_ref()
            .is_none_or(|c| *c == event.client_id)
        && filter.since.is_none_or(|t| event.at >= t)
        && filter.until.is_none_or(|t| event.at < t)
}

fn limit(filter: &AuditFilter) -> u32 {
    match filter.limit {
        0 => DEFAULT_LIST,
        n => n.min(MAX_LIST),
    }
}

/// The in-memory audit log (`portico dev`, tests): lost with the process.
#[derive(Debug, Default)]
pub struct MemoryAuditStore {
    events: Mutex<Vec<AuditEvent>>,
}

#[async_trait::async_trait]
impl AuditStore for MemoryAuditStore {
    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        let mut event = capped(event);
        event.id = i64::try_from(events.len()).unwrap_or(i64::MAX) + 1;
        events.push(event);
        Ok(())
    }

    async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(events
            .iter()
            .rev()
            .filter(|e| matches(filter, e))
            .take(limit(filter) as usize)
            .cloned()
            .collect())
    }

    async fn purge(&self, before: i64) -> Result<u64, StoreError> {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        let len = events.len();
        events.retain(|e| e.at >= before);
        Ok((len - events.len()) as u64)
    }
}

/// The Postgres audit log, on the token store's pool.
#[derive(Debug, Clone)]
pub struct PgAuditStore {
    pool: PgPool,
}

impl PgTokenStore {
    /// The audit log on this store's pool and schema.
    pub fn audit(&self) -> PgAuditStore {
        PgAuditStore {
            pool: self.pool().clone(),
        }
    }
}

#[async_trait::async_trait]
impl AuditStore for PgAuditStore {
    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let e = capped(event);
        sqlx::query(
            "INSERT INTO audit_events (at, subject, client_id, credential_mode, action, target, outcome, trace_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.at)
        .bind(&e.subject)
        .bind(&e.client_id)
        .bind(&e.credential_mode)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.outcome)
        .bind(&e.trace_id)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(())
    }

    async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, subject, client_id, credential_mode, action, target, outcome, trace_id \
             FROM audit_events \
             WHERE ($1::text IS NULL OR subject = $1) AND ($2::text IS NULL OR client_id = $2) \
               AND ($3::bigint IS NULL OR at >= $3) AND ($4::bigint IS NULL OR at < $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(filter.subject.as_deref())
        .bind(filter.client_id.as_deref())
        .bind(filter.since)
        .bind(filter.until)
        .bind(i64::from(limit(filter)))
        .fetch_all(&self.pool)
        .await
        .map_err(translate)?;
        rows.iter()
            .map(|row| {
                Ok(AuditEvent {
                    id: row.try_get("id").map_err(translate)?,
                    at: row.try_get("at").map_err(translate)?,
                    subject: row.try_get("subject").map_err(translate)?,
                    client_id: row.try_get("client_id").map_err(translate)?,
                    credential_mode: row.try_get("credential_mode").map_err(translate)?,
                    action: row.try_get("action").map_err(translate)?,
                    target: row.try_get("target").map_err(translate)?,
                    outcome: row.try_get("outcome").map_err(translate)?,
                    trace_id: row.try_get("trace_id").map_err(translate)?,
                })
            })
            .collect()
    }

    async fn purge(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM audit_events WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(translate)?;
        Ok(done.rows_affected())
    }
}
