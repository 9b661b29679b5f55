//! Fault injection: the simulator can misbehave the ways a real Podio (or
//! the network to it) does, so that Portico's handling of each can be tested.
//! Off by default: with no rule set, a request costs one atomic load here.
//!
//! A [`Rule`] picks requests (by method, path prefix, calling user) and does
//! one [`Fault`] to them: an error status (500, 502, 503, 504, Podio's 420,
//! 429 with `Retry-After`), added latency, a hang past any sane client
//! timeout, a connection cut without an answer, or a body that is not JSON. A fault
//! can strike `before` the request is handled (the request has no effect)
//! or `after` (a write is applied, then its answer is lost: the case an
//! idempotency key exists for). A rule strikes every matching request, the
//! first `times` of them, or each with a `probability`.
//!
//! Rules are set at start from [`FAULTS_VAR`] (a JSON array of rules) or at
//! run time through the control routes, which are the simulator's own and
//! never faulted:
//!
//! - `GET /_sim/faults`: the rules, each with its `id` and `hits` so far;
//! - `POST /_sim/faults`: adds one rule (an object) or several (an array),
//!   answers their ids;
//! - `DELETE /_sim/faults`: removes every rule; `DELETE /_sim/faults/{id}`
//!   removes one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{ApiError, FinalBody, RATE_LIMIT_STATUS};
use crate::sim::Sim;
use crate::world::Caller;

/// Variable holding the rules to start with: a JSON array of [`Rule`]s.
pub const FAULTS_VAR: &str = "PODIO_SIM_FAULTS";

/// Where the control routes live; no Podio path starts so.
pub const CONTROL_PATH: &str = "/_sim/faults";

/// Most rules held at once: a test needs a handful; more is a mistake.
const MAX_RULES: usize = 100;
/// Longest `path_prefix` or `method` accepted.
const MAX_MATCH_LEN: usize = 200;
/// Longest added latency.
const MAX_LATENCY_MS: u64 = 60_000;
/// Longest hang: past any client timeout worth testing, short enough that a
/// forgotten rule cannot hold a connection for ever.
const MAX_HANG_MS: u64 = 600_000;
/// Longest `Retry-After` or 420 wait announced.
const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// Which requests a rule picks, what it does to them and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Only requests with this HTTP method (any case); every method when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose path starts with this, e.g. `/item/` or
    /// `/oauth/token`; every path when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// Only calls made with an access token of this Podio user; anyone's
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u64>,
    /// What happens to a picked request.
    pub fault: Fault,
    /// Whether the fault strikes instead of handling the request, or after
    /// it was handled.
    #[serde(default)]
    pub when: When,
    /// How many picked requests get the fault before the rule is spent;
    /// every one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// The chance, from 0 to 1, that a picked request gets the fault;
    /// always when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

/// One way to misbehave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this error status and Podio's error body: 500, 502, 503
    /// and 504 as Podio's front ends do, 420 as Podio's rate limit (with
    /// its `X-Rate-Limit-*` headers and wait text), 429 with `Retry-After`.
    Status {
        /// An HTTP status from 400 to 599.
        status: u16,
        /// Seconds announced in `Retry-After` (for 420: in the wait text);
        /// 429 and 420 announce 1 and 60 when absent, others nothing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_secs: Option<u64>,
    },
    /// Hold the answer back this long, then answer normally.
    Latency {
        /// Milliseconds, at most 60000.
        ms: u64,
    },
    /// Answer nothing for this long, then cut the connection.
    Hang {
        /// Milliseconds, at most 600000.
        ms: u64,
    },
    /// Cut the connection without an answer (after handling the request,
    /// with `when: after`): to the client, a connection reset mid-request.
    Reset,
    /// Answer 200 with a JSON content type and a body that is not JSON.
    Malformed,
}

/// When a fault strikes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Instead of handling the request: it has no effect.
    #[default]
    Before,
    /// After handling it: a write is applied, then its answer goes wrong.
    After,
}

/// A rule refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(String);

impl Rule {
    /// Checks the rule's values are in range.
    pub fn check(&self) -> Result<(), RuleError> {
        let bad = |what: String| Err(RuleError(what));
        for (name, value) in [("method", &self.method), ("path_prefix", &self.path_prefix)] {
            if value.as_ref().is_some_and(|v| v.len() > MAX_MATCH_LEN) {
                return bad(format!(
                    "{name} is too long: at most {MAX_MATCH_LEN} characters"
                ));
            }
        }
        if self
            .path_prefix
            .as_ref()
            .is_some_and(|p| !p.starts_with('/'))
        {
            return bad("path_prefix must start with \"/\", e.g. \"/item/\"".to_owned());
        }
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return bad(format!("probability {p} is out of range: from 0 to 1"));
        }
        match self.fault {
            Fault::Status {
                status,
                retry_after_secs,
            } => {
                if !(400..=599).contains(&status) {
                    return bad(format!(
                        "status {status} is not an error: from 400 to 599, e.g. 500, 502, 503, 420, 429"
                    ));
                }
                if retry_after_secs.is_some_and(|s| s > MAX_RETRY_AFTER_SECS) {
                    return bad(format!(
                        "retry_after_secs is too long: at most {MAX_RETRY_AFTER_SECS}"
                    ));
                }
            }
            Fault::Latency { ms } if ms > MAX_LATENCY_MS => {
                return bad(format!("latency ms is too long: at most {MAX_LATENCY_MS}"));
            }
            Fault::Hang { ms } if ms > MAX_HANG_MS => {
                return bad(format!("hang ms is too long: at most {MAX_HANG_MS}"));
            }
            _ => {}
        }
        Ok(())
    }

    fn picks(&self, method: &str, path: &str, user: Option<u64>) -> bool {
        self.method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_prefix
                .as_ref()
                .is_none_or(|p| path.starts_with(p.as_str()))
            && self.user_id.is_none_or(|id| user == Some(id))
    }
}

/// Parses [`FAULTS_VAR`]'s value: a JSON array of rules.
pub fn parse_rules(value: &str) -> Result<Vec<Rule>, RuleError> {
    let rules: Vec<Rule> = serde_json::from_str(value).map_err(|e| {
        RuleError(format!(
            "not a JSON array of fault rules ({e}); e.g. \
             [{{\"path_prefix\": \"/item/\", \"fault\": {{\"kind\": \"status\", \"status\": 503}}}}]"
        ))
    })?;
    if rules.len() > MAX_RULES {
        return Err(RuleError(format!("at most {MAX_RULES} rules")));
    }
    rules.iter().try_for_each(Rule::check)?;
    Ok(rules)
}

#[derive(Debug, Clone, Serialize)]
struct Entry {
    id: u64,
    #[serde(flatten)]
    rule: Rule,
    /// Requests the fault struck.
    hits: u64,
}

impl Entry {
    fn live(&self) -> bool {
        self.rule.times.is_none_or(|t| self.hits < u64::from(t))
    }
}

/// The rules in force, shared by every request.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Whether any rule can still strike: the fast path when none can.
    armed: AtomicBool,
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    next_id: u64,
    list: Vec<Entry>,
}

impl Faults {
    pub(crate) fn new(rules: Vec<Rule>) -> Faults {
        let faults = Faults::default();
        // Rules from the environment were checked and counted when parsed.
        let _ = faults.add(rules);
        faults
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn rearm(&self, entries: &Entries) {
        self.armed
            .store(entries.list.iter().any(Entry::live), Ordering::Release);
    }

    fn add(&self, rules: Vec<Rule>) -> Result<Vec<u64>, RuleError> {
        let mut entries = self.entries();
        if entries.list.len() + rules.len() > MAX_RULES {
            return Err(RuleError(format!(
                "at most {MAX_RULES} rules at once: DELETE {CONTROL_PATH} first"
            )));
        }
        let mut ids = Vec::with_capacity(rules.len());
        for rule in rules {
            entries.next_id += 1;
            let id = entries.next_id;
            entries.list.push(Entry { id, rule, hits: 0 });
            ids.push(id);
        }
        self.rearm(&entries);
        Ok(ids)
    }

    fn remove(&self, id: Option<u64>) -> bool {
        let mut entries = self.entries();
        let before = entries.list.len();
        entries.list.retain(|e| id.is_some_and(|id| e.id != id));
        let removed = entries.list.len() < before;
        self.rearm(&entries);
        removed
    }

    fn list(&self) -> Vec<Entry> {
        self.entries().list.clone()
    }

    fn wants_user(&self) -> bool {
        self.entries()
            .list
            .iter()
            .any(|e| e.live() && e.rule.user_id.is_some())
    }

    /// The fault for this request: the first live rule, in the order
    /// added, that picks it and whose chance comes up.
    fn draw(&self, method: &str, path: &str, user: Option<u64>) -> Option<(Fault, When)> {
        let mut entries = self.entries();
        let entry = entries.list.iter_mut().find(|e| {
            e.live()
                && e.rule.picks(method, path, user)
                && e.rule.probability.is_none_or(|p| rand::random::<f64>() < p)
        })?;
        entry.hits += 1;
        let drawn = (entry.rule.fault.clone(), entry.rule.when);
        self.rearm(&entries);
        Some(drawn)
    }
}

/// Middleware over every route but the health check and the control
/// routes: does what a rule says to the requests it picks.
pub(crate) async fn inject(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let faults = sim.faults();
    if !faults.armed.load(Ordering::Acquire) {
        return next.run(request).await;
    }
    let path = request.uri().path();
    if path == "/health" || path.starts_with(CONTROL_PATH) {
        return next.run(request).await;
    }
    // Only when a rule asks who is calling is the token looked up.
    let user = if faults.wants_user() {
        crate::auth::access_token(&request).and_then(|token| {
            match sim.check_token(&token, tokio::time::Instant::now()) {
                Ok(Caller::User(id)) => Some(id),
                _ => None,
            }
        })
    } else {
        None
    };
    let Some((fault, when)) = faults.draw(request.method().as_str(), path, user) else {
        return next.run(request).await;
    };
    tracing::debug!(?fault, ?when, %path, "injecting a fault");
    match when {
        When::Before => strike(fault, None, || next.run(request)).await,
        When::After => {
            let handled = next.run(request).await;
            strike(fault, Some(handled), || async {
                // Unreachable: with a handled answer, `strike` never asks
                // for one; an empty 200 keeps the types honest.
                StatusCode::OK.into_response()
            })
            .await
        }
    }
}

/// Applies `fault`, to the `handled` answer when the request already ran,
/// else instead of running it (`run` handles it, for faults that answer
/// normally in the end).
async fn strike<F, Fut>(fault: Fault, handled: Option<Response>, run: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    match fault {
        Fault::Status {
            status,
            retry_after_secs,
        } => status_answer(status, retry_after_secs),
        Fault::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            match handled {
                Some(answer) => answer,
                None => run().await,
            }
        }
        Fault::Hang { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            cut()
        }
        Fault::Reset => cut(),
        Fault::Malformed => {
            let body = match handled {
                // Half of the real answer: it starts right and never ends.
                Some(answer) => {
                    let bytes = axum::body::to_bytes(answer.into_body(), 1 << 20)
                        .await
                        .unwrap_or_default();
                    bytes.slice(..bytes.len() / 2)
                }
                None => bytes::Bytes::from_static(b"{\"item_id\": 1, \"title\": \"unfinis"),
            };
            let mut answer = (StatusCode::OK, body).into_response();
            answer.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            answer.extensions_mut().insert(FinalBody);
            answer
        }
    }
}

/// An error answer with `status`, shaped as Podio's by the error-body
/// middleware outside.
fn status_answer(status: u16, retry_after_secs: Option<u64>) -> Response {
    if status == RATE_LIMIT_STATUS {
        let wait_secs = retry_after_secs.unwrap_or(60);
        let mut answer = ApiError::RateLimited { wait_secs }.into_response();
        answer
            .headers_mut()
            .insert(crate::auth::REMAINING_HEADER, HeaderValue::from(0));
        return answer;
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut answer = status.into_response();
    let retry_after = match (status, retry_after_secs) {
        (_, Some(secs)) => Some(secs),
        (StatusCode::TOO_MANY_REQUESTS, None) => Some(1),
        _ => None,
    };
    if let Some(secs) = retry_after {
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    answer
}

/// A response whose body fails before its first byte, which makes the
/// server drop the connection before even the status line goes out (the
/// server writes the head with the first body bytes).
fn cut() -> Response {
    let failing = futures::stream::once(async {
        Err::<bytes::Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "podio-sim: injected connection reset",
        ))
    });
    let mut answer = Response::new(Body::from_stream(failing));
    answer.extensions_mut().insert(FinalBody);
    answer
}

/// The control routes (see the module documentation).
pub(crate) fn router() -> axum::Router<Sim> {
    axum::Router::new()
        .route(
            CONTROL_PATH,
            get(list_rules).post(add_rules).delete(clear_rules),
        )
        .route(&format!("{CONTROL_PATH}/{{id}}"), delete(remove_rule))
}

async fn list_rules(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({ "rules": sim.faults().list() }))
}

/// One rule or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum NewRules {
    One(Rule),
    Many(Vec<Rule>),
}

async fn add_rules(State(sim): State<Sim>, body: bytes::Bytes) -> Result<Json<Value>, ApiError> {
    let rules = match serde_json::from_slice::<NewRules>(&body) {
        Ok(NewRules::One(rule)) => vec![rule],
        Ok(NewRules::Many(rules)) => rules,
        Err(_) => {
            // Untagged enums hide the reason; the single rule's is the one
            // worth showing.
            let reason = serde_json::from_slice::<Rule>(&body)
                .err()
                .map_or_else(|| "not a rule".to_owned(), |e| e.to_string());
            return Err(ApiError::InvalidValue(format!(
                "not a fault rule or an array of rules: {reason}"
            )));
        }
    };
    for rule in &rules {
        rule.check()
            .map_err(|e| ApiError::InvalidValue(e.to_string()))?;
    }
    let ids = sim
        .faults()
        .add(rules)
        .map_err(|e| ApiError::InvalidValue(e.to_string()))?;
    Ok(Json(json!({ "ids": ids })))
}

async fn clear_rules(State(sim): State<Sim>) -> StatusCode {
    sim.faults().remove(None);
    StatusCode::NO_CONTENT
}

async fn remove_rule(State(sim): State<Sim>, Path(id): Path<u64>) -> Result<StatusCode, ApiError> {
    if sim.faults().remove(Some(id)) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(value: Value) -> Rule {
        serde_json::from_value(value).expect("a rule")
    }

    #[test]
    fn rules_pick_by_method_path_and_user() {
        let r = rule(
            json!({"method": "post", "path_prefix": "/item/", "user_id": 7,
            "fault": {"kind": "reset"}}),
        );
        assert!(r.picks("POST", "/item/app/1/", Some(7)));
        assert!(!r.picks("GET", "/item/1", Some(7)));
        assert!(!r.picks("POST", "/task/", Some(7)));
        assert!(!r.picks("POST", "/item/app/1/", Some(8)));
        assert!(!r.picks("POST", "/item/app/1/", None));
        let any = rule(json!({"fault": {"kind": "malformed"}}));
        assert!(any.picks("DELETE", "/anything", None));
    }

    #[test]
    fn times_spends_a_rule_and_disarms_the_fast_path() {
        let faults = Faults::new(vec![rule(json!({"times": 2,
            "fault": {"kind": "status", "status": 503}}))]);
        assert!(faults.armed.load(Ordering::Acquire));
        assert!(faults.draw("GET", "/org/", None).is_some());
        assert!(faults.draw("GET", "/org/", None).is_some());
        assert!(faults.draw("GET", "/org/", None).is_none());
        assert!(!faults.armed.load(Ordering::Acquire));
        assert_eq!(faults.list()[0].hits, 2);
    }

    #[test]
    fn the_first_live_rule_in_order_wins_and_probability_zero_never_strikes() {
        let faults = Faults::new(vec![
            rule(json!({"probability": 0.0, "fault": {"kind": "reset"}})),
            rule(json!({"path_prefix": "/item/", "fault": {"kind": "malformed"}})),
        ]);
        for _ in 0..100 {
            assert_eq!(faults.draw("GET", "/org/", None), None);
        }
        assert_eq!(
            faults.draw("GET", "/item/1", None),
            Some((Fault::Malformed, When::Before))
        );
    }

    #[test]
    fn bad_rules_say_what_is_accepted() {
        let cases = [
            (
                json!({"fault": {"kind": "status", "status": 200}}),
                "from 400 to 599",
            ),
            (
                json!({"fault": {"kind": "hang", "ms": 600_001}}),
                "at most 600000",
            ),
            (
                json!({"fault": {"kind": "latency", "ms": 60_001}}),
                "at most 60000",
            ),
            (
                json!({"probability": 1.5, "fault": {"kind": "reset"}}),
                "from 0 to 1",
            ),
            (
                json!({"path_prefix": "item", "fault": {"kind": "reset"}}),
                "start with",
            ),
        ];
        for (value, expected) in cases {
            let err = rule(value.clone()).check().expect_err("refused");
            assert!(err.to_string().contains(expected), "{value}: {err}");
        }
        let err = parse_rules(r#"[{"fault": {"kind": "explode"}}]"#).expect_err("unknown kind");
        assert!(err.to_string().contains("explode"), "{err}");
        let err = parse_rules(r#"{"fault": {"kind": "reset"}}"#).expect_err("not an array");
        assert!(err.to_string().contains("JSON array"), "{err}");
    }
}
