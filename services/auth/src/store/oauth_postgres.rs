//! The Postgres [`OAuthStore`], the one deployments use. It shares the
//! connection pool (and the embedded migrations) of [`PgTokenStore`]. Queries
//! are plain `sqlx::query` with binds, and every `sqlx::Error` is translated
//! where the query runs.
//!
//! Operations that must be atomic are single statements: single-use codes and
//! refresh tokens are claimed with `UPDATE … WHERE used_at IS NULL`, which
//! only one of any number of concurrent callers can win, and the cascading
//! revocations are data-modifying CTEs, which commit or fail as one.

use sqlx::Row;
use sqlx::postgres::{PgPool, PgRow};

use super::StoreError;
use super::oauth::{
    ClientKind, ClientRecord, CodeRecord, CodeUse, GrantRecord, OAuthStore, TokenKind, TokenRecord,
    UpstreamCiphertexts, UpstreamRecord,
};
use super::postgres::{PgTokenStore, translate};

const CLIENT_COLUMNS: &str = "client_id, kind, name, redirect_uris, grant_types, \
     token_endpoint_auth_method, secret_hash, secret_hint, owner_subject, scopes, \
     podio_client_id, podio_client_secret_enc, metadata_json, created_at, revoked_at";
const UPSTREAM_COLUMNS: &str = "id, subject, podio_user_id, podio_client_id, \
     podio_client_secret_enc, access_token_enc, refresh_token_enc, expires_at, updated_at, version";
const GRANT_COLUMNS: &str = "id, client_id, subject, credential_mode, scopes, space_ids, \
     org_ids, upstream_id, resource, created_at, last_used_at, revoked_at";
const TOKEN_COLUMNS: &str =
    "token_hash, kind, grant_id, family_id, expires_at, created_at, used_at, revoked_at, scopes";
const CODE_COLUMNS: &str =
    "code_hash, grant_id, client_id, redirect_uri, code_challenge, resource, expires_at, used_at";

/// An [`OAuthStore`] backed by a Postgres connection pool.
#[derive(Debug, Clone)]
pub struct PgOAuthStore {
    pool: PgPool,
}

impl PgTokenStore {
    /// The OAuth store on this store's pool and schema, so one pool serves
    /// both.
    pub fn oauth(&self) -> PgOAuthStore {
        PgOAuthStore {
            pool: self.pool().clone(),
        }
    }
}

impl PgOAuthStore {
    /// Connects to `database_url` (`postgres://…`) and applies the embedded
    /// migrations, as [`PgTokenStore::connect`] does (it opens its own pool;
    /// prefer [`PgTokenStore::oauth`] to share one).
    pub async fn connect(database_url: &str) -> Result<PgOAuthStore, StoreError> {
        Ok(PgTokenStore::connect(database_url).await?.oauth())
    }

    /// Closes every pooled connection (shared with the [`PgTokenStore`] it
    /// came from); later calls fail with `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn fetch_optional<T>(
        &self,
        sql: String,
        key: &str,
        decode: fn(&PgRow) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(translate)?;
        row.as_ref().map(decode).transpose()
    }

    async fn fetch_all<T>(
        &self,
        sql: String,
        key: &str,
        decode: fn(&PgRow) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .fetch_all(&self.pool)
            .await
            .map_err(translate)?;
        rows.iter().map(decode).collect()
    }

    /// Rows of a keyset page: `sql` binds the bound `after` and the `limit`.
    async fn fetch_page<T>(
        &self,
        sql: String,
        after: &str,
        limit: u32,
        decode: fn(&PgRow) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(translate)?;
        rows.iter().map(decode).collect()
    }

    /// Runs a statement binding `key` and `at`; returns the rows affected.
    async fn execute_at(&self, sql: &'static str, key: &str, at: i64) -> Result<u64, StoreError> {
        let result = sqlx::query(sql)
            .bind(key)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(translate)?;
        Ok(result.rows_affected())
    }

    /// Runs a statement binding `key` and `at` that returns one count.
    async fn count_at(&self, sql: &'static str, key: &str, at: i64) -> Result<i64, StoreError> {
        let row = sqlx::query(sql)
            .bind(key)
            .bind(at)
            .fetch_one(&self.pool)
            .await
            .map_err(translate)?;
        row.try_get(0).map_err(translate)
    }
}

#[async_trait::async_trait]
impl OAuthStore for PgOAuthStore {
    async fn insert_client(&self, client: &ClientRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_clients \
             (client_id, kind, name, redirect_uris, grant_types, token_endpoint_auth_method, \
              secret_hash, secret_hint, owner_subject, scopes, podio_client_id, \
              podio_client_secret_enc, metadata_json, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&client.client_id)
        .bind(client.kind.as_str())
        .bind(&client.name)
        .bind(&client.redirect_uris)
        .bind(&client.grant_types)
        .bind(&client.token_endpoint_auth_method)
        .bind(&client.secret_hash)
        .bind(&client.secret_hint)
        .bind(&client.owner_subject)
        .bind(&client.scopes)
        .bind(&client.podio_client_id)
        .bind(&client.podio_client_secret_enc)
        .bind(&client.metadata_json)
        .bind(client.created_at)
        .bind(client.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(())
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1");
        self.fetch_optional(sql, client_id, client_record).await
    }

    async fn clients_owned_by(&self, subject: &str) -> Result<Vec<ClientRecord>, StoreError> {
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE owner_subject = $1 \
             ORDER BY created_at DESC, seq DESC"
        );
        self.fetch_all(sql, subject, client_record).await
    }

    async fn clients_of_kind(&self, kind: ClientKind) -> Result<Vec<ClientRecord>, StoreError> {
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE kind = $1 \
             ORDER BY created_at DESC, seq DESC"
        );
        self.fetch_all(sql, kind.as_str(), client_record).await
    }

    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        secret_hint: &str,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE oauth_clients SET secret_hash = $2, secret_hint = $3 WHERE client_id = $1",
        )
        .bind(client_id)
        .bind(secret_hash)
        .bind(secret_hint)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(result.rows_affected() > 0)
    }

    async fn revoke_client(&self, client_id: &str, at: i64) -> Result<bool, StoreError> {
        // The grants are reached through the client CTE, so a client id that
        // does not exist (e.g. the empty one of default-mode grants) revokes
        // nothing. COALESCE keeps first revocation times throughout.
        let revoked = self
            .count_at(
                "WITH client AS ( \
                   UPDATE oauth_clients SET revoked_at = COALESCE(revoked_at, $2) \
                   WHERE client_id = $1 RETURNING client_id), \
                 revoked_grants AS ( \
                   UPDATE grants SET revoked_at = COALESCE(revoked_at, $2) \
                   WHERE client_id IN (SELECT client_id FROM client) RETURNING id), \
                 revoked_tokens AS ( \
                   UPDATE oauth_tokens SET revoked_at = COALESCE(revoked_at, $2) \
                   WHERE grant_id IN (SELECT id FROM revoked_grants)) \
                 SELECT count(*) FROM client",
                client_id,
                at,
            )
            .await?;
        Ok(revoked > 0)
    }

    async fn insert_upstream(&self, upstream: &UpstreamRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO upstream_credentials \
             (id, subject, podio_user_id, podio_client_id, podio_client_secret_enc, \
              access_token_enc, refresh_token_enc, expires_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&upstream.id)
        .bind(&upstream.subject)
        .bind(upstream.podio_user_id)
        .bind(&upstream.podio_client_id)
        .bind(&upstream.podio_client_secret_enc)
        .bind(&upstream.access_token_enc)
        .bind(&upstream.refresh_token_enc)
        .bind(upstream.expires_at)
        .bind(upstream.updated_at)
        .bind(upstream.version)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(())
    }

    async fn upstream(&self, id: &str) -> Result<Option<UpstreamRecord>, StoreError> {
        let sql = format!("SELECT {UPSTREAM_COLUMNS} FROM upstream_credentials WHERE id = $1");
        self.fetch_optional(sql, id, upstream_record).await
    }

    async fn update_upstream_tokens(
        &self,
        id: &str,
        expected_version: i64,
        access_token_enc: &[u8],
        refresh_token_enc: &[u8],
        expires_at: i64,
        updated_at: i64,
    ) -> Result<bool, StoreError> {
        // The version check and the bump are one statement, so of two
        // concurrent updates from the same version exactly one matches.
        let result = sqlx::query(
            "UPDATE upstream_credentials SET access_token_enc = $3, refresh_token_enc = $4, \
             expires_at = $5, updated_at = $6, version = version + 1 \
             WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected_version)
        .bind(access_token_enc)
        .bind(refresh_token_enc)
        .bind(expires_at)
        .bind(updated_at)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(result.rows_affected() > 0)
    }

    async fn clients_after(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<ClientRecord>, StoreError> {
        // The primary key's index serves both the bound and the order, so a
        // page costs `limit` rows however large the table is.
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id > $1 \
             ORDER BY client_id LIMIT $2"
        );
        self.fetch_page(sql, after, limit, client_record).await
    }

    async fn replace_client_secret_enc(
        &self,
        client_id: &str,
        expected: &[u8],
        new: &[u8],
    ) -> Result<bool, StoreError> {
        // The comparison and the write are one statement, so a concurrent
        // change of the ciphertext makes this match nothing.
        let result = sqlx::query(
            "UPDATE oauth_clients SET podio_client_secret_enc = $3 \
             WHERE client_id = $1 AND podio_client_secret_enc = $2",
        )
        .bind(client_id)
        .bind(expected)
        .bind(new)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(result.rows_affected() > 0)
    }

    async fn upstreams_after(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<UpstreamRecord>, StoreError> {
        let sql = format!(
            "SELECT {UPSTREAM_COLUMNS} FROM upstream_credentials WHERE id > $1 \
             ORDER BY id LIMIT $2"
        );
        self.fetch_page(sql, after, limit, upstream_record).await
    }

    async fn replace_upstream_ciphertexts(
        &self,
        id: &str,
        expected_version: i64,
        ciphertexts: &UpstreamCiphertexts,
    ) -> Result<bool, StoreError> {
        // As in update_upstream_tokens: the version check and the bump are
        // one statement, so of this and a concurrent refresh exactly one wins.
        let result = sqlx::query(
            "UPDATE upstream_credentials SET podio_client_secret_enc = $3, \
             access_token_enc = $4, refresh_token_enc = $5, version = version + 1 \
             WHERE id = $1 AND version = $2",
        )
        .bind(id)
        .bind(expected_version)
        .bind(&ciphertexts.podio_client_secret_enc)
        .bind(&ciphertexts.access_token_enc)
        .bind(&ciphertexts.refresh_token_enc)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(result.rows_affected() > 0)
    }

    async fn insert_grant(&self, grant: &GrantRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO grants \
             (id, client_id, subject, credential_mode, scopes, space_ids, org_ids, \
              upstream_id, resource, created_at, last_used_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&grant.id)
        .bind(&grant.client_id)
        .bind(&grant.subject)
        .bind(&grant.credential_mode)
        .bind(&grant.scopes)
        .bind(&grant.space_ids)
        .bind(&grant.org_ids)
        .bind(&grant.upstream_id)
        .bind(&grant.resource)
        .bind(grant.created_at)
        .bind(grant.last_used_at)
        .bind(grant.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(())
    }

    async fn grant(&self, id: &str) -> Result<Option<GrantRecord>, StoreError> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1");
        self.fetch_optional(sql, id, grant_record).await
    }

    async fn grants_of(&self, subject: &str) -> Result<Vec<GrantRecord>, StoreError> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM grants WHERE subject = $1 \
             ORDER BY created_at DESC, seq DESC"
        );
        self.fetch_all(sql, subject, grant_record).await
    }

    async fn touch_grant(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        // GREATEST ignores NULL, and keeps the later time when uses are
        // recorded out of order.
        let touched = self
            .execute_at(
                "UPDATE grants SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1",
                id,
                at,
            )
            .await?;
        Ok(touched > 0)
    }

    async fn revoke_grant(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        let revoked = self
            .count_at(
                "WITH revoked_grant AS ( \
                   UPDATE grants SET revoked_at = COALESCE(revoked_at, $2) \
                   WHERE id = $1 RETURNING id), \
                 revoked_tokens AS ( \
                   UPDATE oauth_tokens SET revoked_at = COALESCE(revoked_at, $2) \
                   WHERE grant_id IN (SELECT id FROM revoked_grant)) \
                 SELECT count(*) FROM revoked_grant",
                id,
                at,
            )
            .await?;
        Ok(revoked > 0)
    }

    async fn insert_code(&self, code: &CodeRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO authorization_codes \
             (code_hash, grant_id, client_id, redirect_uri, code_challenge, resource, \
              expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&code.code_hash)
        .bind(&code.grant_id)
        .bind(&code.client_id)
        .bind(&code.redirect_uri)
        .bind(&code.code_challenge)
        .bind(&code.resource)
        .bind(code.expires_at)
        .bind(code.used_at)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(())
    }

    async fn consume_code(&self, code_hash: &str, now: i64) -> Result<CodeUse, StoreError> {
        // Only one caller can move used_at off NULL; a concurrent one waits
        // for the row lock, then finds the condition false.
        let claim = format!(
            "UPDATE authorization_codes SET used_at = $2 \
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 \
             RETURNING {CODE_COLUMNS}"
        );
        let claimed = sqlx::query(sqlx::AssertSqlSafe(claim))
            .bind(code_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(translate)?;
        if let Some(row) = claimed {
            return Ok(CodeUse::Fresh(code_record(&row)?));
        }
        // Not claimed: tell apart why, from the row as it is now.
        let sql = format!("SELECT {CODE_COLUMNS} FROM authorization_codes WHERE code_hash = $1");
        Ok(
            match self.fetch_optional(sql, code_hash, code_record).await? {
                None => CodeUse::Unknown,
                Some(code) if code.used_at.is_some() => CodeUse::Replayed(code),
                Some(_) => CodeUse::Expired,
            },
        )
    }

    async fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_tokens \
             (token_hash, kind, grant_id, family_id, expires_at, created_at, used_at, revoked_at, scopes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&token.token_hash)
        .bind(token.kind.as_str())
        .bind(&token.grant_id)
        .bind(&token.family_id)
        .bind(token.expires_at)
        .bind(token.created_at)
        .bind(token.used_at)
        .bind(token.revoked_at)
        .bind(&token.scopes)
        .execute(&self.pool)
        .await
        .map_err(translate)?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE token_hash = $1");
        self.fetch_optional(sql, token_hash, token_record).await
    }

    async fn mark_refresh_used(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<TokenRecord>, StoreError> {
        // As for codes: one statement claims the token, so only one caller
        // sets used_at; everyone else reads the row with the earlier time.
        let claim = format!(
            "UPDATE oauth_tokens SET used_at = $2 \
             WHERE token_hash = $1 AND kind = 'refresh' AND used_at IS NULL \
             RETURNING {TOKEN_COLUMNS}"
        );
        let claimed = sqlx::query(sqlx::AssertSqlSafe(claim))
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(translate)?;
        if let Some(row) = claimed {
            // The WHERE clause guarantees used_at was NULL before.
            return Ok(Some(TokenRecord {
                used_at: None,
                ..token_record(&row)?
            }));
        }
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE token_hash = $1 AND kind = 'refresh'"
        );
        self.fetch_optional(sql, token_hash, token_record).await
    }

    async fn revoke_family(&self, family_id: &str, at: i64) -> Result<u64, StoreError> {
        self.execute_at(
            "UPDATE oauth_tokens SET revoked_at = $2 \
             WHERE family_id = $1 AND revoked_at IS NULL",
            family_id,
            at,
        )
        .await
    }

    async fn revoke_token(&self, token_hash: &str, at: i64) -> Result<bool, StoreError> {
        let revoked = self
            .execute_at(
                "UPDATE oauth_tokens SET revoked_at = COALESCE(revoked_at, $2) \
                 WHERE token_hash = $1",
                token_hash,
                at,
            )
            .await?;
        Ok(revoked > 0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(translate)?;
        Ok(())
    }
}

fn client_record(row: &PgRow) -> Result<ClientRecord, StoreError> {
    let kind: String = row.try_get("kind").map_err(translate)?;
    Ok(ClientRecord {
        client_id: row.try_get("client_id").map_err(translate)?,
        kind: ClientKind::parse(&kind)
            .ok_or_else(|| StoreError::Internal(format!("unknown client kind {kind:?}")))?,
        name: row.try_get("name").map_err(translate)?,
        redirect_uris: row.try_get("redirect_uris").map_err(translate)?,
        grant_types: row.try_get("grant_types").map_err(translate)?,
        token_endpoint_auth_method: row
            .try_get("token_endpoint_auth_method")
            .map_err(translate)?,
        secret_hash: row.try_get("secret_hash").map_err(translate)?,
        secret_hint: row.try_get("secret_hint").map_err(translate)?,
        owner_subject: row.try_get("owner_subject").map_err(translate)?,
        scopes: row.try_get("scopes").map_err(translate)?,
        podio_client_id: row.try_get("podio_client_id").map_err(translate)?,
        podio_client_secret_enc: row.try_get("podio_client_secret_enc").map_err(translate)?,
        metadata_json: row.try_get("metadata_json").map_err(translate)?,
        created_at: row.try_get("created_at").map_err(translate)?,
        revoked_at: row.try_get("revoked_at").map_err(translate)?,
    })
}

fn upstream_record(row: &PgRow) -> Result<UpstreamRecord, StoreError> {
    Ok(UpstreamRecord {
        id: row.try_get("id").map_err(translate)?,
        subject: row.try_get("subject").map_err(translate)?,
        podio_user_id: row.try_get("podio_user_id").map_err(translate)?,
        podio_client_id: row.try_get("podio_client_id").map_err(translate)?,
        podio_client_secret_enc: row.try_get("podio_client_secret_enc").map_err(translate)?,
        access_token_enc: row.try_get("access_token_enc").map_err(translate)?,
        refresh_token_enc: row.try_get("refresh_token_enc").map_err(translate)?,
        expires_at: row.try_get("expires_at").map_err(translate)?,
        updated_at: row.try_get("updated_at").map_err(translate)?,
        version: row.try_get("version").map_err(translate)?,
    })
}

fn grant_record(row: &PgRow) -> Result<GrantRecord, StoreError> {
    Ok(GrantRecord {
        id: row.try_get("id").map_err(translate)?,
        client_id: row.try_get("client_id").map_err(translate)?,
        subject: row.try_get("subject").map_err(translate)?,
        credential_mode: row.try_get("credential_mode").map_err(translate)?,
        scopes: row.try_get("scopes").map_err(translate)?,
        space_ids: row.try_get("space_ids").map_err(translate)?,
        org_ids: row.try_get("org_ids").map_err(translate)?,
        upstream_id: row.try_get("upstream_id").map_err(translate)?,
        resource: row.try_get("resource").map_err(translate)?,
        created_at: row.try_get("created_at").map_err(translate)?,
        last_used_at: row.try_get("last_used_at").map_err(translate)?,
        revoked_at: row.try_get("revoked_at").map_err(translate)?,
    })
}

fn token_record(row: &PgRow) -> Result<TokenRecord, StoreError> {
    let kind: String = row.try_get("kind").map_err(translate)?;
    Ok(TokenRecord {
        token_hash: row.try_get("token_hash").map_err(translate)?,
        kind: TokenKind::parse(&kind)
            .ok_or_else(|| StoreError::Internal(format!("unknown token kind {kind:?}")))?,
        grant_id: row.try_get("grant_id").map_err(translate)?,
        family_id: row.try_get("family_id").map_err(translate)?,
        expires_at: row.try_get("expires_at").map_err(translate)?,
        created_at: row.try_get("created_at").map_err(translate)?,
        used_at: row.try_get("used_at").map_err(translate)?,
        revoked_at: row.try_get("revoked_at").map_err(translate)?,
        scopes: row.try_get("scopes").map_err(translate)?,
    })
}

fn code_record(row: &PgRow) -> Result<CodeRecord, StoreError> {
    Ok(CodeRecord {
        code_hash: row.try_get("code_hash").map_err(translate)?,
        grant_id: row.try_get("grant_id").map_err(translate)?,
        client_id: row.try_get("client_id").map_err(translate)?,
        redirect_uri: row.try_get("redirect_uri").map_err(translate)?,
        code_challenge: row.try_get("code_challenge").map_err(translate)?,
        resource: row.try_get("resource").map_err(translate)?,
        expires_at: row.try_get("expires_at").map_err(translate)?,
        used_at: row.try_get("used_at").map_err(translate)?,
    })
}
