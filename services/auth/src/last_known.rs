//! Introspection through a Postgres outage. Every token check reads the
//! store, so without this a database restart would turn every caller away
//! at once. Each active answer is remembered (by token hash, never the
//! token); while the store is *unavailable*, and only then, a token seen
//! active within the grace period is still answered active. The cost is
//! bounded and deliberate: a token revoked during the outage (which cannot
//! happen: revoking needs the store) or in the last check before it keeps
//! working for at most the grace period. Tokens with an expiry still expire.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use portico_proto::auth::Introspection;

/// Most tokens remembered, so a flood of tokens cannot grow memory.
const CAPACITY: usize = 10_000;

/// Active introspection answers, kept for a store outage.
pub(crate) struct LastKnown {
    grace: Duration,
    entries: Mutex<HashMap<String, (Instant, Introspection)>>,
}

impl LastKnown {
    /// Answers kept for `grace`; zero keeps none.
    pub(crate) fn new(grace: Duration) -> LastKnown {
        LastKnown {
            grace,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Introspection)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers that the token hashing to `hash` was just found active.
    pub(crate) fn remember(&self, hash: String, found: &Introspection) {
        if self.grace.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut entries = self.entries();
        if entries.len() >= CAPACITY && !entries.contains_key(&hash) {
            entries.retain(|_, (at, _)| now.duration_since(*at) < self.grace);
            if entries.len() >= CAPACITY {
                return;
            }
        }
        entries.insert(hash, (now, found.clone()));
    }

    /// Forgets the token hashing to `hash` (found inactive).
    pub(crate) fn forget(&self, hash: &str) {
        if !self.grace.is_zero() {
            self.entries().remove(hash);
        }
    }

    /// The answer last given for `hash`, if it is within the grace period
    /// and the token has not expired since (`now_unix`).
    pub(crate) fn recall(&self, hash: &str, now_unix: i64) -> Option<Introspection> {
        let entries = self.entries();
        let (at, found) = entries.get(hash)?;
        let fresh = at.elapsed() < self.grace;
        let unexpired = found.expires_at.is_none_or(|at| at > now_unix);
        (fresh && unexpired).then(|| found.clone())
    }
}

#[cfg(test)]
mod tests {
    use portico_proto::auth::Principal;

    use super::*;

    fn active(expires_at: Option<i64>) -> Introspection {
        Introspection {
            principal: Principal {
                subject: "token:1".to_owned(),
                ..Principal::default()
            },
            expires_at,
        }
    }

    #[test]
    fn answers_are_recalled_within_the_grace_and_forgotten_when_inactive() {
        let known = LastKnown::new(Duration::from_secs(60));
        known.remember("h".to_owned(), &active(None));
        assert_eq!(known.recall("h", 0), Some(active(None)));
        assert_eq!(known.recall("other", 0), None);
        known.forget("h");
        assert_eq!(known.recall("h", 0), None);
    }

    #[test]
    fn an_expired_token_or_a_zero_grace_recalls_nothing() {
        let known = LastKnown::new(Duration::from_secs(60));
        known.remember("h".to_owned(), &active(Some(100)));
        assert_eq!(known.recall("h", 99), Some(active(Some(100))));
        assert_eq!(known.recall("h", 100), None);
        let off = LastKnown::new(Duration::ZERO);
        off.remember("h".to_owned(), &active(None));
        assert_eq!(off.recall("h", 0), None);
    }

    #[test]
    fn answers_older_than_the_grace_are_not_recalled() {
        let known = LastKnown::new(Duration::from_millis(20));
        known.remember("h".to_owned(), &active(None));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(known.recall("h", 0), None);
    }
}
