//! The in-memory [`OAuthStore`] used by `portico dev` and tests. Everything is
//! lost when the process exits, which is what a local dev run wants.
//!
//! One mutex guards all the maps, so every operation (including revoking a
//! client with its grants and tokens) is atomic, as the Postgres statements
//! are.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::StoreError;
use super::oauth::{
    ClientKind, ClientRecord, CodeRecord, CodeUse, GrantRecord, OAuthStore, TokenKind, TokenRecord,
    UpstreamCiphertexts, UpstreamRecord,
};

/// An [`OAuthStore`] held in process memory.
#[derive(Debug, Default)]
pub struct MemoryOAuthStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    // Clients and grants are listed newest first, so they are kept in
    // insertion order: a stable sort by time then yields "later inserted
    // first" among records of the same second, as Postgres's `seq` does.
    clients: Vec<ClientRecord>,
    grants: Vec<GrantRecord>,
    upstreams: HashMap<String, UpstreamRecord>,
    codes: HashMap<String, CodeRecord>,
    tokens: HashMap<String, TokenRecord>,
}

impl State {
    fn grant_mut(&mut self, id: &str) -> Option<&mut GrantRecord> {
        self.grants.iter_mut().find(|g| g.id == id)
    }

    /// Fails as Postgres's foreign key does when `grant_id` is dangling.
    fn require_grant(&self, grant_id: &str) -> Result<(), StoreError> {
        if self.grants.iter().any(|g| g.id == grant_id) {
            Ok(())
        } else {
            Err(StoreError::Internal(format!(
                "grant {grant_id} does not exist"
            )))
        }
    }

    fn revoke_tokens_of_grant(&mut self, grant_id: &str, at: i64) {
        for token in self.tokens.values_mut().filter(|t| t.grant_id == grant_id) {
            token.revoked_at.get_or_insert(at);
        }
    }
}

impl MemoryOAuthStore {
    /// An empty store.
    pub fn new() -> MemoryOAuthStore {
        MemoryOAuthStore::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every operation checks before it changes anything, so a panic never
        // leaves the maps half-updated and a poisoned lock still guards
        // consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A page size as a `take` count (a `u32` always fits a `usize` here).
fn page_len(limit: u32) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// Records newest first, later insertions first within one second.
fn newest_first<T: Clone>(
    records: &[T],
    matches: impl Fn(&T) -> bool,
    time: fn(&T) -> i64,
) -> Vec<T> {
    let mut found: Vec<T> = records
        .iter()
        .rev()
        .filter(|r| matches(r))
        .cloned()
        .collect();
    found.sort_by_key(|r| std::cmp::Reverse(time(r)));
    found
}

#[async_trait::async_trait]
impl OAuthStore for MemoryOAuthStore {
    async fn insert_client(&self, client: &ClientRecord) -> Result<(), StoreError> {
        let mut state = self.state();
        if state
            .clients
            .iter()
            .any(|c| c.client_id == client.client_id)
        {
            return Err(StoreError::AlreadyExists);
        }
        state.clients.push(client.clone());
        Ok(())
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        Ok(self
            .state()
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
            .cloned())
    }

    async fn clients_owned_by(&self, subject: &str) -> Result<Vec<ClientRecord>, StoreError> {
        Ok(newest_first(
            &self.state().clients,
            |c| c.owner_subject.as_deref() == Some(subject),
            |c| c.created_at,
        ))
    }

    async fn clients_of_kind(&self, kind: ClientKind) -> Result<Vec<ClientRecord>, StoreError> {
        Ok(newest_first(
            &self.state().clients,
            |c| c.kind == kind,
            |c| c.created_at,
        ))
    }

    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        secret_hint: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        match state.clients.iter_mut().find(|c| c.client_id == client_id) {
            Some(client) => {
                client.secret_hash = Some(secret_hash.to_owned());
                client.secret_hint = Some(secret_hint.to_owned());
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn revoke_client(&self, client_id: &str, at: i64) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(client) = state.clients.iter_mut().find(|c| c.client_id == client_id) else {
            return Ok(false);
        };
        client.revoked_at.get_or_insert(at);
        let mut grant_ids = Vec::new();
        for grant in state.grants.iter_mut().filter(|g| g.client_id == client_id) {
            grant.revoked_at.get_or_insert(at);
            grant_ids.push(grant.id.clone());
        }
        for grant_id in grant_ids {
            state.revoke_tokens_of_grant(&grant_id, at);
        }
        Ok(true)
    }

    async fn insert_upstream(&self, upstream: &UpstreamRecord) -> Result<(), StoreError> {
        match self.state().upstreams.entry(upstream.id.clone()) {
            Entry::Occupied(_) => Err(StoreError::AlreadyExists),
            Entry::Vacant(slot) => {
                slot.insert(upstream.clone());
                Ok(())
            }
        }
    }

    async fn upstream(&self, id: &str) -> Result<Option<UpstreamRecord>, StoreError> {
        Ok(self.state().upstreams.get(id).cloned())
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
        let mut state = self.state();
        match state.upstreams.get_mut(id) {
            Some(upstream) if upstream.version == expected_version => {
                upstream.access_token_enc = access_token_enc.to_vec();
                upstream.refresh_token_enc = refresh_token_enc.to_vec();
                upstream.expires_at = expires_at;
                upstream.updated_at = updated_at;
                upstream.version += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn clients_after(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<ClientRecord>, StoreError> {
        let state = self.state();
        let mut page: Vec<&ClientRecord> = state
            .clients
            .iter()
            .filter(|c| c.client_id.as_str() > after)
            .collect();
        page.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(page.into_iter().take(page_len(limit)).cloned().collect())
    }

    async fn replace_client_secret_enc(
        &self,
        client_id: &str,
        expected: &[u8],
        new: &[u8],
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        match state.clients.iter_mut().find(|c| c.client_id == client_id) {
            Some(client) if client.podio_client_secret_enc.as_deref() == Some(expected) => {
                client.podio_client_secret_enc = Some(new.to_vec());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn upstreams_after(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<UpstreamRecord>, StoreError> {
        let state = self.state();
        let mut page: Vec<&UpstreamRecord> = state
            .upstreams
            .values()
            .filter(|u| u.id.as_str() > after)
            .collect();
        page.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(page.into_iter().take(page_len(limit)).cloned().collect())
    }

    async fn replace_upstream_ciphertexts(
        &self,
        id: &str,
        expected_version: i64,
        ciphertexts: &UpstreamCiphertexts,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        match state.upstreams.get_mut(id) {
            Some(upstream) if upstream.version == expected_version => {
                upstream
                    .podio_client_secret_enc
                    .clone_from(&ciphertexts.podio_client_secret_enc);
                upstream
                    .access_token_enc
                    .clone_from(&ciphertexts.access_token_enc);
                upstream
                    .refresh_token_enc
                    .clone_from(&ciphertexts.refresh_token_enc);
                upstream.version += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn insert_grant(&self, grant: &GrantRecord) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.grants.iter().any(|g| g.id == grant.id) {
            return Err(StoreError::AlreadyExists);
        }
        if let Some(upstream_id) = &grant.upstream_id
            && !state.upstreams.contains_key(upstream_id)
        {
            return Err(StoreError::Internal(format!(
                "upstream credentials {upstream_id} do not exist"
            )));
        }
        state.grants.push(grant.clone());
        Ok(())
    }

    async fn grant(&self, id: &str) -> Result<Option<GrantRecord>, StoreError> {
        Ok(self.state().grants.iter().find(|g| g.id == id).cloned())
    }

    async fn grants_of(&self, subject: &str) -> Result<Vec<GrantRecord>, StoreError> {
        Ok(newest_first(
            &self.state().grants,
            |g| g.subject == subject,
            |g| g.created_at,
        ))
    }

    async fn touch_grant(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        let mut state = self.state();
        match state.grant_mut(id) {
            Some(grant) => {
                grant.last_used_at = Some(grant.last_used_at.map_or(at, |last| last.max(at)));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn revoke_grant(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(grant) = state.grant_mut(id) else {
            return Ok(false);
        };
        grant.revoked_at.get_or_insert(at);
        state.revoke_tokens_of_grant(id, at);
        Ok(true)
    }

    async fn insert_code(&self, code: &CodeRecord) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.codes.contains_key(&code.code_hash) {
            return Err(StoreError::AlreadyExists);
        }
        state.require_grant(&code.grant_id)?;
        state.codes.insert(code.code_hash.clone(), code.clone());
        Ok(())
    }

    async fn consume_code(&self, code_hash: &str, now: i64) -> Result<CodeUse, StoreError> {
        let mut state = self.state();
        let Some(code) = state.codes.get_mut(code_hash) else {
            return Ok(CodeUse::Unknown);
        };
        Ok(if code.used_at.is_some() {
            CodeUse::Replayed(code.clone())
        } else if now >= code.expires_at {
            CodeUse::Expired
        } else {
            code.used_at = Some(now);
            CodeUse::Fresh(code.clone())
        })
    }

    async fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.tokens.contains_key(&token.token_hash) {
            return Err(StoreError::AlreadyExists);
        }
        state.require_grant(&token.grant_id)?;
        state.tokens.insert(token.token_hash.clone(), token.clone());
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self.state().tokens.get(token_hash).cloned())
    }

    async fn mark_refresh_used(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let mut state = self.state();
        Ok(match state.tokens.get_mut(token_hash) {
            Some(token) if token.kind == TokenKind::Refresh => {
                let before = token.clone();
                token.used_at.get_or_insert(now);
                Some(before)
            }
            _ => None,
        })
    }

    async fn revoke_family(&self, family_id: &str, at: i64) -> Result<u64, StoreError> {
        let mut state = self.state();
        let mut revoked = 0;
        for token in state
            .tokens
            .values_mut()
            .filter(|t| t.family_id == family_id && t.revoked_at.is_none())
        {
            token.revoked_at = Some(at);
            revoked += 1;
        }
        Ok(revoked)
    }

    async fn revoke_token(&self, token_hash: &str, at: i64) -> Result<bool, StoreError> {
        let mut state = self.state();
        match state.tokens.get_mut(token_hash) {
            Some(token) => {
                token.revoked_at.get_or_insert(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
