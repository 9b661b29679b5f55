//! The authorize flow's short-lived secrets: login tickets (a user logged in
//! on the authorize page and has not yet allowed or denied) and
//! authorization codes (allowed, not yet exchanged at the token endpoint).
//!
//! Both are random, single-use and held in memory only. A ticket is what the
//! allow page's form carries instead of a user id, so a forged form cannot
//! act for someone else.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::tokens::random_token;

/// Lifetime of an authorization code. Podio does not document it; ten
/// minutes is the maximum RFC 6749 §4.1.2 recommends.
pub const CODE_TTL: Duration = Duration::from_secs(600);
/// How long the allow page stays usable after the login.
pub const TICKET_TTL: Duration = Duration::from_secs(600);

/// What a user is asked to allow, or allowed: an API key acting for the user,
/// returning to `redirect_uri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The user who logged in.
    pub user_id: u64,
    /// The client id of the API key asking.
    pub client_id: &'static str,
    /// The redirect URI exactly as the authorize request gave it.
    pub redirect_uri: String,
    /// The client's `state`, echoed on the redirect.
    pub state: Option<String>,
    /// The requested scope (`None`: Podio's default, `global:all`).
    pub scope: Option<String>,
}

/// Why an authorization code is refused (all `invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Never issued, or already exchanged.
    #[error("the authorization code is unknown or was already used")]
    Unknown,
    /// Older than [`CODE_TTL`].
    #[error("the authorization code has expired")]
    Expired,
    /// Issued to another API key.
    #[error("the authorization code was issued to another client_id")]
    OtherClient,
    /// Issued for another redirect URI.
    #[error("redirect_uri does not match the one the authorization code was issued for")]
    OtherRedirect,
}

#[derive(Debug)]
struct Entry {
    authorization: Authorization,
    expires_at: Instant,
}

/// Live login tickets and authorization codes.
#[derive(Debug, Default)]
pub struct Pending {
    tickets: HashMap<String, Entry>,
    codes: HashMap<String, Entry>,
}

fn insert(
    map: &mut HashMap<String, Entry>,
    authorization: Authorization,
    ttl: Duration,
    now: Instant,
) -> String {
    // Drop what has expired so memory stays bounded.
    map.retain(|_, e| e.expires_at > now);
    let secret = random_token();
    map.insert(
        secret.clone(),
        Entry {
            authorization,
            expires_at: now + ttl,
        },
    );
    secret
}

impl Pending {
    /// A new login ticket for `authorization`.
    pub fn ticket(&mut self, authorization: Authorization, now: Instant) -> String {
        insert(&mut self.tickets, authorization, TICKET_TTL, now)
    }

    /// Spends `ticket`; `None` when it is unknown, used or expired.
    pub fn take_ticket(&mut self, ticket: &str, now: Instant) -> Option<Authorization> {
        let entry = self.tickets.remove(ticket)?;
        (entry.expires_at > now).then_some(entry.authorization)
    }

    /// A new authorization code for `authorization`.
    pub fn code(&mut self, authorization: Authorization, now: Instant) -> String {
        insert(&mut self.codes, authorization, CODE_TTL, now)
    }

    /// Exchanges `code` presented by `client_id` with `redirect_uri`. Any
    /// attempt spends the code, as a code seen by the wrong party must not
    /// stay usable.
    pub fn take_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        now: Instant,
    ) -> Result<Authorization, CodeError> {
        let entry = self.codes.remove(code).ok_or(CodeError::Unknown)?;
        if entry.expires_at <= now {
            return Err(CodeError::Expired);
        }
        let authorization = entry.authorization;
        if authorization.client_id != client_id {
            return Err(CodeError::OtherClient);
        }
        if authorization.redirect_uri != redirect_uri {
            return Err(CodeError::OtherRedirect);
        }
        Ok(authorization)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorization() -> Authorization {
        Authorization {
            user_id: 7,
            client_id: "key",
            redirect_uri: "http://localhost/cb".to_owned(),
            state: Some("s".to_owned()),
            scope: None,
        }
    }

    #[test]
    fn tickets_are_single_use_and_expire() {
        let mut pending = Pending::default();
        let now = Instant::now();
        let ticket = pending.ticket(authorization(), now);
        assert_eq!(pending.take_ticket(&ticket, now), Some(authorization()));
        assert_eq!(pending.take_ticket(&ticket, now), None);
        let ticket = pending.ticket(authorization(), now);
        assert_eq!(pending.take_ticket(&ticket, now + TICKET_TTL), None);
    }

    #[test]
    fn codes_are_bound_single_use_and_expire() {
        let mut pending = Pending::default();
        let now = Instant::now();
        let uri = "http://localhost/cb";
        let code = pending.code(authorization(), now);
        assert_eq!(
            pending.take_code(&code, "key", uri, now),
            Ok(authorization())
        );
        assert_eq!(
            pending.take_code(&code, "key", uri, now),
            Err(CodeError::Unknown)
        );
        let code = pending.code(authorization(), now);
        assert_eq!(
            pending.take_code(&code, "other", uri, now),
            Err(CodeError::OtherClient)
        );
        assert_eq!(
            pending.take_code(&code, "key", uri, now),
            Err(CodeError::Unknown)
        );
        let code = pending.code(authorization(), now);
        assert_eq!(
            pending.take_code(&code, "key", "http://localhost/cb2", now),
            Err(CodeError::OtherRedirect)
        );
        let code = pending.code(authorization(), now);
        assert_eq!(
            pending.take_code(&code, "key", uri, now + CODE_TTL),
            Err(CodeError::Expired)
        );
    }
}
