//! Safe retries of write tool calls: a write repeated with the same
//! idempotency key gets the first call's result, marked
//! `_meta["io.portico/replayed"] = true`, instead of writing twice, on any
//! replica (the entries live in the [`IdempotencyStore`], Redis when
//! deployed).
//!
//! - **Which calls.** Only writes: tools whose annotations do not say
//!   read-only. The catalog is the tools service's `list_tools`, cached per
//!   process for [`CATALOG_TTL`]; a name it lacks is looked up again at most
//!   every [`MISS_REFRESH`] (the tools service refuses unknown tools, so
//!   those are not writes). If the catalog cannot be fetched, a tool it does
//!   not know is treated as a write: deduplicating a read costs nothing,
//!   writing twice does.
//! - **Which key.** The client's `_meta["io.portico/idempotencyKey"]` when
//!   sent (kept for `PORTICO_IDEMPOTENCY_KEY_TTL_SECS`), else one derived
//!   from the tool and its canonical arguments (sorted object keys), kept
//!   for `PORTICO_IDEMPOTENCY_WINDOW_SECS`. Either is scoped by the
//!   principal's subject (the store's owner) and the tool name, so keys of
//!   different users never meet, and the same arguments under another
//!   explicit key are a new write. An explicit key reused with other
//!   arguments is refused with a tool error.
//! - **The first call** claims the key with an in-progress marker that
//!   outlives the longest a call may run (the request timeout, plus
//!   [`MARKER_MARGIN`]). It runs in a task of its own, so a client that
//!   hangs up mid-call does not lose the result its retry will ask for. A
//!   successful result (not `isError`) completes the key; a failed call
//!   releases it, so it may be retried. A call that timed out or panicked
//!   leaves its marker to expire: whether it wrote is unknown.
//! - **A repeat** finding a result answers it without calling the tool.
//!   Finding a call in progress it polls until that one finishes, for at
//!   most a little less than the request timeout, then answers a tool error
//!   asking to retry. If the first call failed meanwhile, the repeat claims
//!   the key and runs.
//! - **Large results** (over `max_result_bytes`, 256 KiB) are not kept; a
//!   repeat then gets a tool error saying the call already ran, so it still
//!   does not write twice.
//! - **Store outage**: the call is refused with 503 rather than run
//!   unprotected.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use portico_proto::tools::ToolCalls;
use portico_proto::tools::v1 as proto;
use rmcp::model::RequestId;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::auth::Caller;
use crate::errors::HttpError;
use crate::mcp::McpError;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::reply::Outcome;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::idempotency::{Claim, Completed, Entry, IdempotencyStore, Ticket};

/// `_meta` key set on a replayed result.
pub(crate) const REPLAYED: &str = "io.portico/replayed";

/// How long the cached catalog's verdicts are trusted.
const CATALOG_TTL: Duration = Duration::from_secs(300);

/// How often, at most, a tool name the catalog lacks triggers a new fetch.
const MISS_REFRESH: Duration = Duration::from_secs(10);

/// How much longer than the request timeout an in-progress marker lives:
/// time to store the result after the call's last moment.
const MARKER_MARGIN: Duration = Duration::from_secs(10);

/// Polling a call in progress starts this often, doubling up to
/// [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(20);
const MAX_POLL: Duration = Duration::from_millis(250);

/// Which tools write, from the tools service's catalog.
#[derive(Default)]
pub(crate) struct WriteCatalog {
    snapshot: RwLock<Option<Snapshot>>,
}

struct Snapshot {
    /// Tool name → whether it writes.
    writes: HashMap<String, bool>,
    fetched_at: Instant,
}

impl Snapshot {
    /// The cached verdict on `name`, if it may be trusted now.
    fn verdict(&self, name: &str, now: Instant) -> Option<bool> {
        let age = now.saturating_duration_since(self.fetched_at);
        match self.writes.get(name) {
            Some(&writes) if age < CATALOG_TTL => Some(writes),
            None if age < MISS_REFRESH => Some(false),
            _ => None,
        }
    }
}

impl WriteCatalog {
    /// Whether the cached catalog lists `name` (no fetch: a call has just
    /// refreshed it, or it is not known).
    pub(crate) async fn knows(&self, name: &str) -> bool {
        self.snapshot
            .read()
            .await
            .as_ref()
            .is_some_and(|s| s.writes.contains_key(name))
    }

    /// Whether tool `name` writes, fetching the catalog with the caller's
    /// token when the cached one is stale or lacks the name.
    pub(crate) async fn is_write(&self, tools: &dyn ToolCalls, token: &str, name: &str) -> bool {
        if let Some(verdict) = self
            .snapshot
            .read()
            .await
            .as_ref()
            .and_then(|s| s.verdict(name, Instant::now()))
        {
            return verdict;
        }
        let mut snapshot = self.snapshot.write().await;
        // Another call may have fetched it while this one waited.
        if let Some(verdict) = snapshot
            .as_ref()
            .and_then(|s| s.verdict(name, Instant::now()))
        {
            return verdict;
        }
        match tools.list_tools(token).await {
            Ok(catalog) => {
                let writes: HashMap<String, bool> = catalog
                    .into_iter()
                    .map(|tool| {
                        let read_only = tool.annotations.is_some_and(|a| a.read_only_hint);
                        (tool.name, !read_only)
                    })
                    .collect();
                let verdict = writes.get(name).copied().unwrap_or(false);
                *snapshot = Some(Snapshot {
                    writes,
                    fetched_at: Instant::now(),
                });
                verdict
            }
            Err(err) => {
                tracing::warn!(error = %err.message, "could not fetch the tool catalog; treating an unknown tool as a write");
                snapshot
                    .as_ref()
                    .and_then(|s| s.writes.get(name).copied())
                    .unwrap_or(true)
            }
        }
    }
}

/// How a `tools/call` is served.
pub(crate) enum Plan {
    /// Not a write (or derived keys are off and none was sent): call as usual.
    Direct,
    /// Answered without calling the tool: a replayed result or a refusal.
    Answer(Outcome),
    /// This call holds the key: run it through [`Held::run`].
    Held(Held),
}

/// Decides how `call` is served for `caller`, waiting for an identical call
/// in progress if there is one.
pub(crate) async fn plan(
    state: &AppState,
    caller: &Caller,
    id: &RequestId,
    call: &proto::ToolCall,
) -> Plan {
    let settings = state.settings.idempotency;
    let explicit = !call.idempotency_key.is_empty();
    if !explicit && settings.window.is_zero() {
        return Plan::Direct;
    }
    if !state
        .writes
        .is_write(state.deps.tools.as_ref(), &caller.token, &call.name)
        .await
    {
        return Plan::Direct;
    }
    let fingerprint = fingerprint(&call.arguments_json);
    let (key, ttl) = if explicit {
        (
            scoped("key", &call.name, &call.idempotency_key),
            settings.key_ttl,
        )
    } else {
        (scoped("args", &call.name, &fingerprint), settings.window)
    };
    let request_timeout = state.settings.limits.request_timeout;
    let scope = Scope {
        store: state.deps.idempotency.clone(),
        owner: caller.principal.subject.clone(),
        key,
        fingerprint,
        ttl,
        max_result_bytes: settings.max_result_bytes,
        call_limit: request_timeout,
    };
    // Answer before the HTTP layer's 408 would.
    let wait = request_timeout
        .saturating_sub(Duration::from_secs(1))
        .max(request_timeout / 2);
    scope.claim(id, request_timeout + MARKER_MARGIN, wait).await
}

/// `{kind}:{len}:{tool}:{value}`: unambiguous for any tool name and value.
fn scoped(kind: &str, tool: &str, value: &str) -> String {
    format!("{kind}:{}:{tool}:{value}", tool.len())
}

/// SHA-256 (hex) of the arguments in canonical form (object keys sorted,
/// no whitespace), so the same arguments in another key order match.
fn fingerprint(arguments_json: &str) -> String {
    let canonical = match serde_json::from_str::<Value>(arguments_json) {
        Ok(value) => {
            let mut out = String::with_capacity(arguments_json.len());
            canonical_json(&value, &mut out);
            out
        }
        Err(_) => arguments_json.to_owned(),
    };
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `value` as JSON with every object's keys in sorted order,
/// whatever order the map keeps them in.
fn canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical_json(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A write call's key and what to do with it.
struct Scope {
    store: Arc<dyn IdempotencyStore>,
    owner: String,
    key: String,
    fingerprint: String,
    /// How long the result is kept.
    ttl: Duration,
    max_result_bytes: usize,
    /// How long the call may run.
    call_limit: Duration,
}

/// A write call's key, claimed by this call.
pub(crate) struct Held {
    scope: Scope,
    ticket: Ticket,
}

impl Scope {
    /// Claims the key with a marker living `marker_ttl`, or answers what an
    /// earlier call left, waiting up to `wait` for one in progress.
    async fn claim(self, id: &RequestId, marker_ttl: Duration, wait: Duration) -> Plan {
        let deadline = Instant::now() + wait;
        let mut poll = FIRST_POLL;
        loop {
            let claim = self
                .store
                .claim(&self.owner, &self.key, &self.fingerprint, marker_ttl)
                .await;
            let entry = match claim {
                Ok(Claim::Claimed(ticket)) => {
                    return Plan::Held(Held {
                        scope: self,
                        ticket,
                    });
                }
                Ok(Claim::Taken(entry)) => entry,
                Err(err) => return Plan::Answer(Err(store_failed(&err))),
            };
            if entry.fingerprint() != self.fingerprint {
                return Plan::Answer(tool_error(
                    id,
                    "this idempotency key was already used for a call with different \
                     arguments: send a new key for a new call, or the same arguments to \
                     get the first call's result",
                ));
            }
            match entry {
                Entry::Completed(completed) => return Plan::Answer(replay(id, completed)),
                Entry::InProgress { .. } => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Plan::Answer(tool_error(
                            id,
                            "an identical call (same idempotency key) is still in progress: \
                             retry in a few seconds to get its result",
                        ));
                    }
                    tokio::time::sleep(poll.min(deadline - now)).await;
                    poll = (poll * 2).min(MAX_POLL);
                }
            }
        }
    }
}

impl Held {
    /// Runs `work` (the tool call) in a task of its own, so that it finishes
    /// and its result is stored even if the client goes away, then
    /// completes or releases the key.
    pub(crate) async fn run<F>(self, id: RequestId, work: F) -> Outcome
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let request_id = id.clone();
        let task = tokio::spawn(
            async move {
                match tokio::time::timeout(self.scope.call_limit, work).await {
                    Ok(outcome) => {
                        self.finish(&outcome).await;
                        outcome
                    }
                    Err(_) => {
                        // Whether it wrote is unknown: the marker stays
                        // until it expires, so no retry writes meanwhile.
                        tracing::warn!(
                            limit_secs = self.scope.call_limit.as_secs(),
                            "a write tool call did not finish in time"
                        );
                        Err(RpcError::unavailable(id).into())
                    }
                }
            }
            .instrument(tracing::Span::current()),
        );
        match task.await {
            Ok(outcome) => outcome,
            // The same as a panic in the handler itself (answered 500).
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(err) => {
                tracing::error!(error = %err, "a write tool call's task was cancelled");
                Err(RpcError::unavailable(request_id).into())
            }
        }
    }

    /// Keeps a successful result for repeats; releases the key otherwise.
    async fn finish(&self, outcome: &Outcome) {
        let (scope, ticket) = (&self.scope, &self.ticket);
        let succeeded = match outcome {
            // A call that still asks the client has not happened yet.
            Ok(result) => {
                result.get("isError") != Some(&Value::Bool(true))
                    && result.get("resultType") != Some(&Value::from("input_required"))
            }
            Err(_) => false,
        };
        let stored = if succeeded {
            let result = outcome
                .as_ref()
                .ok()
                .and_then(|r| serde_json::to_string(r).ok());
            let kept = result.filter(|r| r.len() <= scope.max_result_bytes);
            if kept.is_none() {
                tracing::info!(
                    max_bytes = scope.max_result_bytes,
                    "a write's result is too large to keep for replay; repeats will be refused"
                );
            }
            scope
                .store
                .complete(&scope.owner, &scope.key, ticket, kept.as_deref(), scope.ttl)
                .await
        } else {
            scope.store.release(&scope.owner, &scope.key, ticket).await
        };
        match stored {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                "a write tool call outlived its idempotency marker; its outcome was not recorded"
            ),
            Err(err) => tracing::error!(error = %err, "could not record a write's outcome"),
        }
    }
}

/// The stored result, marked as replayed.
fn replay(id: &RequestId, completed: Completed) -> Outcome {
    let Some(raw) = completed.result else {
        return tool_error(
            id,
            "this call already ran (same idempotency key) and was not repeated, but its \
             result was too large to keep: read the data back instead of retrying",
        );
    };
    let mut result = match serde_json::from_str::<Value>(&raw) {
        Ok(Value::Object(result)) => result,
        Ok(_) | Err(_) => {
            return Err(super::internal(
                id,
                &"a stored idempotent result is not a JSON object",
            ));
        }
    };
    tracing::debug!("answered a repeated write with its first result");
    let meta = result
        .entry("_meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(meta) = meta {
        meta.insert(REPLAYED.to_owned(), Value::Bool(true));
    }
    Ok(Value::Object(result))
}

fn tool_error(id: &RequestId, message: &str) -> Outcome {
    serde_json::to_value(super::tool_error(message.to_owned())).map_err(|e| super::internal(id, &e))
}

fn store_failed(err: &StoreError) -> McpError {
    tracing::error!(error = %err, "idempotency store failed");
    HttpError::StoreUnavailable.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_key_order_and_whitespace() {
        let a =
            fingerprint(r#"{"app_id": 1, "fields": {"title": "x", "b": [1, {"z": 1, "a": 2}]}}"#);
        let b = fingerprint(r#"{"fields":{"b":[1,{"a":2,"z":1}],"title":"x"},"app_id":1}"#);
        assert_eq!(a, b);
        assert_ne!(a, fingerprint(r#"{"app_id": 2, "fields": {"title": "x"}}"#));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn scoped_keys_cannot_collide_across_tools() {
        assert_ne!(scoped("key", "a:b", "c"), scoped("key", "a", "b:c"));
    }
}
