//! The in-memory [`TokenStore`] used by `portico dev` and tests. Tokens are
//! lost when the process exits, which is what a local dev run wants.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{ApiTokenRecord, StoreError, TokenStore};

/// A [`TokenStore`] held in process memory.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    // Kept in insertion order, so a stable sort by time yields "later inserted
    // first" among tokens created in the same second, as Postgres does.
    tokens: Mutex<Vec<ApiTokenRecord>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> MemoryTokenStore {
        MemoryTokenStore::default()
    }

    fn tokens(&self) -> MutexGuard<'_, Vec<ApiTokenRecord>> {
        // No operation leaves the vector half-updated, so a poisoned lock still
        // guards consistent data.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl TokenStore for MemoryTokenStore {
    async fn insert(&self, token: &ApiTokenRecord) -> Result<(), StoreError> {
        let mut tokens = self.tokens();
        if tokens
            .iter()
            .any(|t| t.id == token.id || t.token_hash == token.token_hash)
        {
            return Err(StoreError::AlreadyExists);
        }
        tokens.push(token.clone());
        Ok(())
    }

    async fn find_by_hash(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>, StoreError> {
        Ok(self
            .tokens()
            .iter()
            .find(|t| t.token_hash == token_hash)
            .cloned())
    }

    async fn list(&self) -> Result<Vec<ApiTokenRecord>, StoreError> {
        let mut tokens: Vec<ApiTokenRecord> = self.tokens().iter().rev().cloned().collect();
        tokens.sort_by_key(|t| std::cmp::Reverse(t.created_at));
        Ok(tokens)
    }

    async fn revoke(&self, id: &str, at_unix: i64) -> Result<bool, StoreError> {
        let mut tokens = self.tokens();
        match tokens.iter_mut().find(|t| t.id == id) {
            Some(token) => {
                token.revoked_at.get_or_insert(at_unix);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn touch(&self, id: &str, at_unix: i64) -> Result<bool, StoreError> {
        let mut tokens = self.tokens();
        match tokens.iter_mut().find(|t| t.id == id) {
            Some(token) => {
                if token.last_used_at.is_none_or(|last| last < at_unix - 60) {
                    token.last_used_at = Some(at_unix);
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
