//! The Redis implementation of [`SessionStore`] and [`RateLimiter`], used by
//! every deployed replica so that any replica serves any session and a limit
//! holds across all of them.
//!
//! Keys (all under the caller's prefix, e.g. `portico:`), where `{tag}` is a
//! Redis Cluster hash tag: 32 hex digits of the SHA-256 of the partition
//! (the principal's subject, or a source address), so every key one request
//! touches lives in one slot, and no subject appears in the key space:
//! - `{prefix}{tag}:session:{id}`: the session as JSON, expiring `ttl` after
//!   last use;
//! - `{prefix}{tag}:rl:{name}`: a fixed-window counter that expires when its
//!   window ends.
//!
//! A prefix should not contain braces: its own `{…}` would become the hash
//! tag (still correct, but every key would share one slot).
//!
//! Every read-modify-write is one Redis command or one Lua script, so two
//! replicas never race each other. Needs Redis 6.2 or later (GETEX).

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisResult, Script};
use sha2::{Digest, Sha256};

use super::{Admission, Admitted, Handoffs, Limit, RateLimiter, Session, SessionStore, StoreError};

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

/// A refund: `ARGV[1]` units back to each counter in `KEYS` that still has
/// a window (a missing key is an ended window and is not created), never
/// below 0.
const REFUND_SCRIPT: &str = r"
local cost = tonumber(ARGV[1])
for i = 1, #KEYS do
  local count = tonumber(redis.call('GET', KEYS[i]) or '-1')
  if count > 0 then
    redis.call('DECRBY', KEYS[i], math.min(cost, count))
  end
end
return 0
";

/// One [`Admission`] in one round trip.
///
/// `KEYS[1..n]` are the counters, then the session key when `ARGV[2]` (the
/// session TTL in ms) is not 0. `ARGV[1]` is the cost; `ARGV[2 + 2i - 1]`,
/// `ARGV[2 + 2i]` are counter i's limit and window in ms.
///
/// Every counter is read first (a missing one is an empty window of the
/// full length); if one would go over its limit with the cost (at least 1),
/// nothing is counted. Otherwise each is charged with INCRBY, and a new one
/// is given its window with PEXPIRE. A counter left without an expiry
/// (which the script itself never produces) is given one, so it can never
/// block a key forever. Returns `{{refused, count1, pttl1, …}, session}`,
/// `refused` being the 1-based index of the first refusing counter or 0,
/// and `session` the session's JSON (touched with GETEX) or nil.
const ADMIT_SCRIPT: &str = r"
local cost = tonumber(ARGV[1])
local session_ttl = tonumber(ARGV[2])
local n = #KEYS
if session_ttl > 0 then n = n - 1 end
local need = math.max(cost, 1)
local counts, ttls, fresh = {}, {}, {}
local refused = 0
for i = 1, n do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  local ttl = redis.call('PTTL', KEYS[i])
  fresh[i] = false
  if ttl == -2 then
    count = 0
    ttl = window
    fresh[i] = true
  elseif ttl == -1 then
    redis.call('PEXPIRE', KEYS[i], window)
    ttl = window
  end
  counts[i], ttls[i] = count, ttl
  if refused == 0 and count + need > limit then refused = i end
end
local out = {refused}
for i = 1, n do
  if refused == 0 and cost > 0 then
    counts[i] = redis.call('INCRBY', KEYS[i], cost)
    if fresh[i] then redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 + 2 * i])) end
  end
  out[#out + 1] = counts[i]
  out[#out + 1] = ttls[i]
end
local session = false
if session_ttl > 0 then
  session = redis.call('GETEX', KEYS[n + 1], 'PX', session_ttl)
end
return {out, session}
";

/// Sessions and rate-limit counters in Redis. Cloning is cheap: clones share
/// one multiplexed connection that reconnects by itself.
#[derive(Clone)]
pub struct RedisStore {
    manager: ConnectionManager,
    prefix: String,
    admit: Script,
    refund: Script,
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
            admit: Script::new(ADMIT_SCRIPT),
            refund: Script::new(REFUND_SCRIPT),
        };
        // A connection can open and still refuse commands (ACLs, a replica in
        // a bad state); find out now rather than on the first request.
        store.ping().await.map_err(|err| {
            StoreError(format!(
                "redis at {shown} (REDIS_URL) does not answer: {}",
                scrub(&err.0, redis_url)
            ))
        })?;
        // Loaded once here so the first request's EVALSHA finds it; each
        // call still falls back to loading it again (after a Redis restart
        // or failover the script cache is empty).
        let mut con = store.manager.clone();
        Self::bounded("script load", store.admit.load_async(&mut con))
            .await
            .map_err(|err| {
                StoreError(format!(
                    "redis at {shown} (REDIS_URL) does not run scripts: {}",
                    scrub(&err.0, redis_url)
                ))
            })?;
        Ok(store)
    }

    /// The prefix every key of this store starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The shared connection, for other stores on the same Redis (e.g.
    /// idempotency entries).
    pub fn connection(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// `{prefix}{tag}:` of a partition: see the module comment.
    fn partition_prefix(&self, partition: &str) -> String {
        let digest = Sha256::digest(partition.as_bytes());
        let mut key = String::with_capacity(self.prefix.len() + 36);
        key.push_str(&self.prefix);
        key.push('{');
        for byte in &digest[..16] {
            key.push_str(&format!("{byte:02x}"));
        }
        key.push_str("}:");
        key
    }

    fn session_key(&self, subject: &str, id: &str) -> String {
        format!("{}session:{id}", self.partition_prefix(subject))
    }

    fn handoff_key(&self, partition: &str, key: &str) -> String {
        format!("{}handoff:{key}", self.partition_prefix(partition))
    }

    fn counter_key(&self, partition: &str, name: &str) -> String {
        format!("{}rl:{name}", self.partition_prefix(partition))
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
impl Handoffs for RedisStore {
    async fn put(
        &self,
        partition: &str,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut con = self.manager.clone();
        Self::bounded(
            "handoff put",
            redis::cmd("SET")
                .arg(self.handoff_key(partition, key))
                .arg(value)
                .arg("PX")
                .arg(millis(ttl))
                .query_async::<()>(&mut con),
        )
        .await
    }

    async fn get(&self, partition: &str, key: &str) -> Result<Option<String>, StoreError> {
        let mut con = self.manager.clone();
        Self::bounded(
            "handoff get",
            redis::cmd("GET")
                .arg(self.handoff_key(partition, key))
                .query_async(&mut con),
        )
        .await
    }

    async fn take(&self, partition: &str, key: &str) -> Result<Option<String>, StoreError> {
        let mut con = self.manager.clone();
        // GETDEL: of two takers, exactly one gets the value.
        Self::bounded(
            "handoff take",
            redis::cmd("GETDEL")
                .arg(self.handoff_key(partition, key))
                .query_async(&mut con),
        )
        .await
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
                .arg(self.session_key(&session.subject, &session.id))
                .arg(value)
                .arg("PX")
                .arg(millis(ttl))
                .query_async::<()>(&mut con),
        )
        .await
    }

    async fn get_and_touch(
        &self,
        subject: &str,
        id: &str,
        ttl: Duration,
    ) -> Result<Option<Session>, StoreError> {
        let mut con = self.manager.clone();
        // GETEX reads and resets the expiry in one command, so a session
        // cannot expire between the read and the touch.
        let value: Option<String> = Self::bounded(
            "session get",
            redis::cmd("GETEX")
                .arg(self.session_key(subject, id))
                .arg("PX")
                .arg(millis(ttl))
                .query_async(&mut con),
        )
        .await?;
        value.as_deref().map(decode_session).transpose()
    }

    async fn delete(&self, subject: &str, id: &str) -> Result<bool, StoreError> {
        let mut con = self.manager.clone();
        let removed: u64 = Self::bounded(
            "session delete",
            redis::cmd("DEL")
                .arg(self.session_key(subject, id))
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
    async fn admit(&self, admission: &Admission<'_>) -> Result<Admitted, StoreError> {
        let mut invocation = self.admit.prepare_invoke();
        for limit in admission.limits {
            invocation.key(self.counter_key(admission.partition, limit.name));
        }
        invocation.arg(admission.cost);
        match admission.session {
            Some(touch) => {
                invocation
                    .key(self.session_key(admission.partition, touch.id))
                    .arg(millis(touch.ttl));
            }
            None => {
                invocation.arg(0);
            }
        }
        for limit in admission.limits {
            invocation.arg(limit.limit).arg(millis(limit.window));
        }
        let mut con = self.manager.clone();
        let (counters, session): (Vec<i64>, Option<String>) =
            Self::bounded("rate limit", invocation.invoke_async(&mut con)).await?;
        let (refused, pairs) = counters
            .split_first()
            .ok_or_else(|| StoreError("redis rate limit script answered nothing".to_owned()))?;
        if pairs.len() != admission.limits.len() * 2 {
            return Err(StoreError(format!(
                "redis rate limit script answered {} values for {} limits",
                pairs.len(),
                admission.limits.len()
            )));
        }
        let counts: Vec<(u64, Duration)> = pairs
            .chunks_exact(2)
            .map(|pair| {
                let count = u64::try_from(pair[0]).unwrap_or(0);
                let ttl = Duration::from_millis(u64::try_from(pair[1]).unwrap_or(0));
                (count, ttl)
            })
            .collect();
        let refused = usize::try_from(*refused)
            .ok()
            .and_then(|i| i.checked_sub(1));
        Ok(Admitted {
            decisions: super::decisions(admission, refused, &counts),
            refused,
            session: session.as_deref().map(decode_session).transpose()?,
        })
    }

    async fn refund(&self, partition: &str, cost: u64, limits: &[Limit]) -> Result<(), StoreError> {
        let mut invocation = self.refund.prepare_invoke();
        for limit in limits {
            invocation.key(self.counter_key(partition, limit.name));
        }
        invocation.arg(cost);
        let mut con = self.manager.clone();
        Self::bounded(
            "rate limit refund",
            invocation.invoke_async::<i64>(&mut con),
        )
        .await
        .map(drop)
    }
}

fn decode_session(json: &str) -> Result<Session, StoreError> {
    serde_json::from_str(json)
        .map_err(|err| StoreError(format!("corrupt session value in redis: {err}")))
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
