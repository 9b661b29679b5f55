//! The Redis implementation of [`SessionStore`] and [`RateLimiter`], used by
//! every deployed replica so that any replica serves any session and a limit
//! holds across all of them.
//!
//! Keys (all under the caller's prefix, e.g. `portico:`):
//! - `{prefix}session:{id}`: the session as JSON, expiring `ttl` after last use;
//! - `{prefix}rl:{key}`: a fixed-window request counter that expires when its
//!   window ends.
//!
//! Every read-modify-write is one Redis command or one Lua script, so two
//! replicas never race each other. Needs Redis 6.2 or later (GETEX).

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisResult, Script};

use super::{Decision, RateLimiter, Session, SessionStore, StoreError};

/// Upper bound on establishing the connection at start (and each reconnect
/// attempt): long enough for a slow network, short enough to fail startup
/// with a clear message instead of hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one command may wait for its reply. Redis answers these commands
/// in well under a millisecond; anything near this means it is unhealthy.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Upper bound on a whole store operation. The manager's response timeout
/// does not cover waiting for a reconnect in progress, so each operation is
/// also bounded here; a caller then answers 503 rather than hanging.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);

/// Reconnect attempts after the connection drops, with exponential backoff
/// capped at [`MAX_RECONNECT_DELAY`]; the manager tries again on later
/// requests once these are spent.
const RECONNECT_RETRIES: usize = 3;
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Counts one request in the current fixed window of `KEYS[1]` and returns
/// `{count, pttl}`. The window starts at its first request (PEXPIRE on the
/// first INCR). A counter left without an expiry (which the script itself
/// never produces) is given one, so it can never block a key forever.
const RATE_LIMIT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
";

/// Sessions and rate-limit counters in Redis. Cloning is cheap: clones share
/// one multiplexed connection that reconnects by itself.
#[derive(Clone)]
pub struct RedisStore {
    manager: ConnectionManager,
    prefix: String,
    rate_limit: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Connects to Redis at `redis_url` (the value of `REDIS_URL`) and checks it
/// answers. Every key the store writes starts with `prefix`.
///
/// Fails within about five seconds if Redis is unreachable or rejects the
/// credentials; the error names `REDIS_URL` and shows the URL without its
/// password.
pub async fn connect(redis_url: &str, prefix: &str) -> Result<RedisStore, StoreError> {
    RedisStore::connect(redis_url, prefix).await
}

impl RedisStore {
    /// See [`connect`].
    pub async fn connect(redis_url: &str, prefix: &str) -> Result<Self, StoreError> {
        let shown = redact(redis_url);
        let client = redis::Client::open(redis_url).map_err(|err| {
            StoreError(format!(
                "REDIS_URL is not a valid redis url ({shown}): {}",
                scrub(&err.to_string(), redis_url)
            ))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_max_delay(MAX_RECONNECT_DELAY);
        // The manager retries a refused first connection with backoff; the
        // outer timeout keeps the whole start-up attempt bounded.
        let manager = tokio::time::timeout(
            CONNECT_TIMEOUT,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| {
            StoreError(format!(
                "could not reach redis at {shown} (REDIS_URL) within {}s",
                CONNECT_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|err| {
            StoreError(format!(
                "could not connect to redis at {shown} (REDIS_URL): {}",
                scrub(&err.to_string(), redis_url)
            ))
        })?;
        let store = Self {
            manager,
            prefix: prefix.to_owned(),
            rate_limit: Script::new(RATE_LIMIT_SCRIPT),
        };
        // A connection can open and still refuse commands (ACLs, a replica in
        // a bad state); find out now rather than on the first request.
        store.ping().await.map_err(|err| {
            StoreError(format!(
                "redis at {shown} (REDIS_URL) does not answer: {}",
                scrub(&err.0, redis_url)
            ))
        })?;
        Ok(store)
    }

    /// The prefix every key of this store starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn session_key(&self, id: &str) -> String {
        format!("{}session:{id}", self.prefix)
    }

    fn rate_key(&self, key: &str) -> String {
        format!("{}rl:{key}", self.prefix)
    }

    /// Runs one Redis operation under [`OPERATION_TIMEOUT`] and turns its
    /// failure into a [`StoreError`] naming what was being done.
    async fn bounded<T>(
        what: &str,
        operation: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(OPERATION_TIMEOUT, operation).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(StoreError(format!("redis {what} failed: {err}"))),
            Err(_) => Err(StoreError(format!(
                "redis {what} timed out after {}s",
                OPERATION_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Deletes every key under this store's prefix, so each test leaves
    /// Redis as it found it. Returns how many keys it deleted.
    #[cfg(test)]
    pub(super) async fn delete_all_keys(&self) -> Result<u64, StoreError> {
        let pattern = format!("{}*", glob_escape(&self.prefix));
        let mut con = self.manager.clone();
        let mut cursor: u64 = 0;
        let mut deleted = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = Self::bounded(
                "scan",
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(500)
                    .query_async(&mut con),
            )
            .await?;
            if !keys.is_empty() {
                let n: u64 =
                    Self::bounded("del", redis::cmd("DEL").arg(&keys).query_async(&mut con))
                        .await?;
                deleted += n;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for RedisStore {
    async fn create(&self, session: &Session, ttl: Duration) -> Result<(), StoreError> {
        let value = serde_json::to_string(session)
            .map_err(|err| StoreError(format!("could not encode session: {err}")))?;
        let mut con = self.manager.clone();
        Self::bounded(
            "session create",
            redis::cmd("SET")
                .arg(self.session_key(&session.id))
                .arg(value)
                .arg("PX")
                .arg(millis(ttl))
                .query_async::<()>(&mut con),
        )
        .await
    }

    async fn get_and_touch(&self, id: &str, ttl: Duration) -> Result<Option<Session>, StoreError> {
        let mut con = self.manager.clone();
        // GETEX reads and resets the expiry in one command, so a session
        // cannot expire between the read and the touch.
        let value: Option<String> = Self::bounded(
            "session get",
            redis::cmd("GETEX")
                .arg(self.session_key(id))
                .arg("PX")
                .arg(millis(ttl))
                .query_async(&mut con),
        )
        .await?;
        value
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|err| StoreError(format!("corrupt session value in redis: {err}")))
            })
            .transpose()
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let mut con = self.manager.clone();
        let removed: u64 = Self::bounded(
            "session delete",
            redis::cmd("DEL")
                .arg(self.session_key(id))
                .query_async(&mut con),
        )
        .await?;
        Ok(removed > 0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut con = self.manager.clone();
        Self::bounded("ping", redis::cmd("PING").query_async::<()>(&mut con)).await
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisStore {
    async fn check(&self, key: &str, limit: u64, window: Duration) -> Result<Decision, StoreError> {
        let mut con = self.manager.clone();
        let (count, pttl): (u64, i64) = Self::bounded(
            "rate limit",
            self.rate_limit
                .key(self.rate_key(key))
                .arg(millis(window))
                .invoke_async(&mut con),
        )
        .await?;
        Ok(Decision {
            allowed: count <= limit,
            limit,
            remaining: limit.saturating_sub(count),
            reset_after: Duration::from_millis(u64::try_from(pttl).unwrap_or(0)),
        })
    }
}

/// A duration as whole milliseconds for PX/PEXPIRE, at least 1: Redis
/// rejects a zero expiry, and a zero TTL would otherwise mean "forever".
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

/// Removes the URL's password from an error text, in case a driver error
/// ever echoes the URL it was given.
fn scrub(text: &str, redis_url: &str) -> String {
    let Ok(parsed) = url::Url::parse(redis_url) else {
        return text.replace(redis_url, "<redacted url>");
    };
    let Some(password) = parsed.password().filter(|p| !p.is_empty()) else {
        return text.to_owned();
    };
    // The URL keeps the password percent-encoded; a driver could show either
    // form.
    text.replace(password, "***")
        .replace(&percent_decode(password), "***")
}

/// Decodes `%XX` escapes; anything malformed is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes the characters SCAN's MATCH pattern treats specially, so a
/// prefix matches only itself.
#[cfg(test)]
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::{redact, scrub};

    #[test]
    fn redact_hides_the_password_only() {
        let shown = redact("redis://user:s3cret@cache.internal:6380/2");
        assert_eq!(shown, "redis://user:***@cache.internal:6380/2");
        assert_eq!(redact("redis://localhost:6379"), "redis://localhost:6379");
        assert_eq!(redact("not a url"), "<unparseable url>");
    }

    #[test]
    fn scrub_removes_encoded_and_decoded_password() {
        let url = "redis://:p%40ss@host:6379";
        assert_eq!(scrub("bad p%40ss and p@ss", url), "bad *** and ***");
        assert_eq!(scrub("nothing here", "redis://host"), "nothing here");
    }
}
