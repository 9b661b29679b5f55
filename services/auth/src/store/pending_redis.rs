//! The Redis [`PendingStore`], the one deployments use: every replica sees
//! every pending authorization, and Redis expires them itself.
//!
//! Keys: `{prefix}oauth_pending:{state_key}`, holding the JSON, set with
//! `SET … PX … NX` and read with `GETDEL`, so a value is written once and
//! handed out once, whatever the number of replicas. Needs Redis 6.2 or later
//! (GETDEL).

use std::future::Future;
use std::time::Duration;

use redis::RedisResult;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::StoreError;
use super::pending::PendingStore;

/// Upper bound on establishing the connection at start (and each reconnect
/// attempt): long enough for a slow network, short enough to fail startup
/// with a clear message instead of hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one command may wait for its reply; Redis answers these in well
/// under a millisecond, so anything near this means it is unhealthy.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Upper bound on a whole operation, which the response timeout does not
/// cover while a reconnect is in progress; a caller then fails instead of
/// hanging.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);
/// Reconnect attempts after the connection drops, with exponential backoff
/// capped at [`MAX_RECONNECT_DELAY`]; later operations try again.
const RECONNECT_RETRIES: usize = 3;
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Pending authorizations in Redis. Cloning is cheap: clones share one
/// multiplexed connection that reconnects by itself.
#[derive(Clone)]
pub struct RedisPendingStore {
    manager: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisPendingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPendingStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisPendingStore {
    /// Connects to Redis at `redis_url` and checks it answers. Every key the
    /// store writes starts with `prefix` (e.g. `portico:`). Fails within
    /// about five seconds if Redis is unreachable; errors show the URL
    /// without its password.
    pub async fn connect(redis_url: &str, prefix: &str) -> Result<RedisPendingStore, StoreError> {
        let shown = redact(redis_url);
        let client = redis::Client::open(redis_url).map_err(|err| {
            StoreError::Internal(format!(
                "not a valid redis url ({shown}): {}",
                scrub(&err.to_string(), redis_url)
            ))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_max_delay(MAX_RECONNECT_DELAY);
        // The manager retries a refused first connection with backoff; the
        // outer timeout keeps the whole attempt bounded.
        let manager = tokio::time::timeout(
            CONNECT_TIMEOUT,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| {
            StoreError::Unavailable(format!(
                "could not reach redis at {shown} within {}s",
                CONNECT_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|err| {
            StoreError::Unavailable(format!(
                "could not connect to redis at {shown}: {}",
                scrub(&err.to_string(), redis_url)
            ))
        })?;
        let store = RedisPendingStore {
            manager,
            prefix: prefix.to_owned(),
        };
        // A connection can open and still refuse commands (ACLs, a replica in
        // a bad state); find out now rather than on the first sign-in.
        store.ping().await?;
        Ok(store)
    }

    /// The prefix every key of this store starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, state_key: &str) -> String {
        format!("{}oauth_pending:{state_key}", self.prefix)
    }

    /// Runs one Redis operation under [`OPERATION_TIMEOUT`]; a failure is an
    /// outage from the caller's point of view, worth retrying.
    async fn bounded<T>(
        what: &str,
        operation: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(OPERATION_TIMEOUT, operation).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(StoreError::Unavailable(format!(
                "redis {what} failed: {err}"
            ))),
            Err(_) => Err(StoreError::Unavailable(format!(
                "redis {what} timed out after {}s",
                OPERATION_TIMEOUT.as_secs()
            ))),
        }
    }
}

#[async_trait::async_trait]
impl PendingStore for RedisPendingStore {
    async fn put(&self, state_key: &str, json: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut con = self.manager.clone();
        // NX: never overwrite; the reply is nil when the key was taken.
        let set: Option<String> = Self::bounded(
            "pending put",
            redis::cmd("SET")
                .arg(self.key(state_key))
                .arg(json)
                .arg("PX")
                .arg(millis(ttl))
                .arg("NX")
                .query_async(&mut con),
        )
        .await?;
        match set {
            Some(_) => Ok(()),
            None => Err(StoreError::AlreadyExists),
        }
    }

    async fn take(&self, state_key: &str) -> Result<Option<String>, StoreError> {
        let mut con = self.manager.clone();
        Self::bounded(
            "pending take",
            redis::cmd("GETDEL")
                .arg(self.key(state_key))
                .query_async(&mut con),
        )
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut con = self.manager.clone();
        Self::bounded("ping", redis::cmd("PING").query_async::<()>(&mut con)).await
    }
}

/// A duration as whole milliseconds for PX, at least 1: Redis rejects a zero
/// expiry.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The URL as safe to log: scheme, host, port and path, never credentials.
fn redact(redis_url: &str) -> String {
    match url::Url::parse(redis_url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only fails for URLs that cannot carry credentials, which
                // then have none to hide.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "<unparseable url>".to_owned(),
    }
}

/// Removes the URL's password from a driver error, in case one ever echoes
/// the URL it was given; the URL keeps it percent-encoded, so both forms go.
fn scrub(text: &str, redis_url: &str) -> String {
    let Ok(parsed) = url::Url::parse(redis_url) else {
        return text.replace(redis_url, "<redacted url>");
    };
    match parsed.password().filter(|p| !p.is_empty()) {
        Some(password) => text
            .replace(password, "***")
            .replace(&percent_decode(password), "***"),
        None => text.to_owned(),
    }
}

/// Decodes `%XX` escapes; anything malformed is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (byte, escaped) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{millis, redact, scrub};
    use std::time::Duration;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(
            redact("redis://user:s3cret@cache.internal:6380/2"),
            "redis://user:***@cache.internal:6380/2"
        );
        assert_eq!(redact("redis://localhost:6379"), "redis://localhost:6379");
        assert_eq!(redact("not a url"), "<unparseable url>");
    }

    #[test]
    fn scrub_removes_encoded_and_decoded_password() {
        let url = "redis://:p%40ss@host:6379";
        assert_eq!(scrub("bad p%40ss and p@ss", url), "bad *** and ***");
        assert_eq!(scrub("nothing here", "redis://host"), "nothing here");
    }

    #[test]
    fn millis_is_never_zero() {
        assert_eq!(millis(Duration::ZERO), 1);
        assert_eq!(millis(Duration::from_secs(2)), 2000);
    }
}
