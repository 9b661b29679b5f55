//! Input a tool or prompt needs from the client before it can finish
//! (elicitation, sampling, roots), in each generation's way.
//!
//! The tools service asks by answering `InputRequired` (the requests, keyed,
//! and a state) and expects the call again with the answers; it keeps
//! nothing in between. The front door carries that to the client:
//!
//! - **2026-07-28**: as the spec's `InputRequiredResult` (SEP-2322). The
//!   client retries with `inputResponses` and `requestState`. The state
//!   stays here, in the shared store, and the client holds only a random
//!   handle to it, so a tampered or foreign state names nothing and is
//!   refused with -32602; any replica serves the retry.
//! - **Handshake revisions**: as JSON-RPC requests on the call's response
//!   stream (the client must accept `text/event-stream`). The client POSTs
//!   each answer to the session (on any replica); the POST leaves it in the
//!   store, where the waiting call picks it up, and the call goes to the
//!   tools service again with the answers, for at most [`MAX_ROUNDS`].
//!
//! In both, a request needing a capability the client did not declare is
//! refused with -32021 before anything is asked.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_proto::tools::v1 as proto;
use rand::RngCore as _;
use rmcp::model::RequestId;
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::errors::HttpError;
use crate::mcp::McpError;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::protocol::{MAX_CLIENT_STRING, clip};
use crate::mcp::reply::Notifier;
use crate::state::AppState;

/// Rounds of questions one handshake-revision call may ask before it is
/// given up (each round is one set of requests to the client).
pub(crate) const MAX_ROUNDS: usize = 8;
/// How long a round-trip state stays valid for its retry.
const STATE_TTL: Duration = Duration::from_secs(10 * 60);
/// How long the server waits for the client's answer to one request: an
/// elicitation waits on a person.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How long an answer nobody is waiting for is kept.
const ANSWER_TTL: Duration = Duration::from_secs(2 * 60);
/// The first and the longest pause between looks for an answer.
const FIRST_LOOK: Duration = Duration::from_millis(20);
const LONGEST_LOOK: Duration = Duration::from_millis(250);
/// Most answers a retry may carry; more is not a retry of ours.
const MAX_ANSWERS: usize = 32;
/// Longest `requestState` handle accepted (ours are 32 characters).
const MAX_HANDLE: usize = 128;
/// Prefix of the ids of requests the server sends, so a client's response
/// to anything else is told apart before the store is asked.
const REQUEST_ID_PREFIX: &str = "portico-input-";

/// The capabilities object a client declared (`initialize` params or
/// `_meta`), as the tools service takes it.
pub(crate) fn capabilities_of(declared: Option<&Value>) -> proto::ClientCapabilities {
    let has = |name: &str| {
        declared
            .and_then(|c| c.get(name))
            .is_some_and(Value::is_object)
    };
    proto::ClientCapabilities {
        sampling: has("sampling"),
        elicitation: has("elicitation"),
        roots: has("roots"),
    }
}

/// Whether the client can be asked anything at all.
pub(crate) fn can_answer(capabilities: &proto::ClientCapabilities) -> bool {
    capabilities.sampling || capabilities.elicitation || capabilities.roots
}

/// What a 2026-07-28 retry brings: `inputResponses` (each answer as JSON)
/// and the `requestState` handle. Either may be absent; anything else than
/// an object of answers and a string is refused with -32602.
pub(crate) fn retry_of(
    id: &RequestId,
    params: &Value,
) -> Result<(HashMap<String, String>, Option<String>), RpcError> {
    let responses = match params.get("inputResponses") {
        None => HashMap::new(),
        Some(Value::Object(answers)) if answers.len() <= MAX_ANSWERS => answers
            .iter()
            .map(|(key, answer)| (clip(key, MAX_CLIENT_STRING).to_owned(), answer.to_string()))
            .collect(),
        Some(_) => {
            return Err(RpcError::invalid_params(
                id.clone(),
                format!(
                    "inputResponses must be an object of at most {MAX_ANSWERS} answers, each under the key of the inputRequests entry it answers"
                ),
            ));
        }
    };
    let handle = match params.get("requestState") {
        None => None,
        Some(Value::String(handle)) if handle.len() <= MAX_HANDLE => Some(handle.clone()),
        Some(_) => {
            return Err(RpcError::invalid_params(
                id.clone(),
                "requestState must be the string the InputRequiredResult carried, unchanged",
            ));
        }
    };
    Ok((responses, handle))
}

/// The tools service's state behind a `requestState` handle the client
/// sent back for `name`. Refused with -32602 when the handle is not one
/// this server issued for this caller and this tool, or has expired.
pub(crate) async fn resume(
    state: &AppState,
    caller: &Caller,
    id: &RequestId,
    name: &str,
    handle: &str,
) -> Result<String, McpError> {
    let stored = state
        .deps
        .handoffs
        .get(&caller.principal.subject, &state_key(handle))
        .await
        .map_err(store_failed)?;
    let stored: Option<Value> = stored.and_then(|s| serde_json::from_str(&s).ok());
    match stored {
        Some(stored) if stored["name"] == name => {
            Ok(stored["state"].as_str().unwrap_or_default().to_owned())
        }
        _ => Err(RpcError::invalid_params(
            id.clone(),
            "requestState is not one this server issued for this call, or it expired (they last 10 minutes): it fails the integrity check; call again without inputResponses and requestState to start over",
        )
        .into()),
    }
}

/// Refuses `required` with -32021 when one of its requests needs a
/// capability the client did not declare.
pub(crate) fn check_capabilities(
    id: &RequestId,
    capabilities: &proto::ClientCapabilities,
    required: &proto::InputRequired,
    status: StatusCode,
) -> Result<(), McpError> {
    for request in &required.requests {
        let (capability, declared) = match request.method.as_str() {
            "sampling/createMessage" => ("sampling", capabilities.sampling),
            "elicitation/create" => ("elicitation", capabilities.elicitation),
            "roots/list" => ("roots", capabilities.roots),
            other => {
                let request_id = crate::trace::request_id();
                tracing::error!(%request_id, method = %clip(other, 64), "the tools service asked for an unknown client method");
                return Err(RpcError::internal(id.clone(), &request_id).into());
            }
        };
        if !declared {
            return Err(RpcError::missing_capability(
                id.clone(),
                capability,
                &request.method,
                status,
            )
            .into());
        }
    }
    Ok(())
}

/// `required` as a 2026-07-28 `InputRequiredResult` for a call of `name`:
/// its state kept in the store under a fresh handle.
pub(crate) async fn required_result(
    state: &AppState,
    caller: &Caller,
    id: &RequestId,
    name: &str,
    required: proto::InputRequired,
) -> Result<Value, McpError> {
    let mut requests = Map::new();
    for request in required.requests {
        let params: Value = serde_json::from_str(&request.params_json).map_err(|e| {
            let request_id = crate::trace::request_id();
            tracing::error!(%request_id, error = %e, "an input request's params are not JSON");
            McpError::from(RpcError::internal(id.clone(), &request_id))
        })?;
        requests.insert(
            request.key,
            json!({"method": request.method, "params": params}),
        );
    }
    let handle = random_id();
    let stored = json!({"name": name, "state": required.request_state}).to_string();
    state
        .deps
        .handoffs
        .put(
            &caller.principal.subject,
            &state_key(&handle),
            &stored,
            STATE_TTL,
        )
        .await
        .map_err(store_failed)?;
    Ok(json!({
        "resultType": "input_required",
        "inputRequests": requests,
        "requestState": handle,
    }))
}

/// What the client made of the server's requests.
pub(crate) enum Asked {
    /// Every answer, by key, for the call's retry.
    Answers(HashMap<String, String>),
    /// The client answered one with a JSON-RPC error: what it said, for a
    /// tool error result.
    Refused(String),
}

/// Asks the client every request of `required` on the call's response
/// stream and waits for its answers (each for at most
/// [`ANSWER_TIMEOUT`]).
pub(crate) async fn ask_on_stream(
    state: &AppState,
    caller: &Caller,
    id: &RequestId,
    notifier: &Notifier,
    required: &proto::InputRequired,
) -> Result<Asked, McpError> {
    let mut waiting = Vec::with_capacity(required.requests.len());
    for request in &required.requests {
        let params: Value = serde_json::from_str(&request.params_json).unwrap_or(json!({}));
        let request_id = format!("{REQUEST_ID_PREFIX}{}", random_id());
        notifier.request(&request_id, &request.method, params).await;
        waiting.push((request.key.clone(), request_id));
    }
    let answers =
        futures::future::try_join_all(waiting.into_iter().map(|(key, request_id)| async move {
            let answer = wait_for_answer(state, caller, id, &request_id).await?;
            Ok::<_, McpError>((key, request_id, answer))
        }))
        .await?;
    let mut by_key = HashMap::with_capacity(answers.len());
    for (key, request_id, answer) in answers {
        match answer {
            Ok(answer) => {
                by_key.insert(key, answer);
            }
            Err(error) => {
                let method = required
                    .requests
                    .iter()
                    .find(|r| r.key == key)
                    .map_or("", |r| r.method.as_str());
                return Ok(Asked::Refused(format!(
                    "the client could not answer the server's {method} request ({request_id}): {error}"
                )));
            }
        }
    }
    Ok(Asked::Answers(by_key))
}

/// The client's answer to the request `request_id`, as left by the POST
/// that carried it (on this replica or another): its result as JSON, or
/// the message of its error.
async fn wait_for_answer(
    state: &AppState,
    caller: &Caller,
    id: &RequestId,
    request_id: &str,
) -> Result<Result<String, String>, McpError> {
    let deadline = tokio::time::Instant::now() + ANSWER_TIMEOUT;
    let mut pause = FIRST_LOOK;
    loop {
        let found = state
            .deps
            .handoffs
            .take(&caller.principal.subject, &answer_key(request_id))
            .await
            .map_err(store_failed)?;
        if let Some(message) = found {
            let message: Value = serde_json::from_str(&message).unwrap_or(Value::Null);
            return Ok(match (message.get("result"), message.get("error")) {
                (Some(result), _) => Ok(result.to_string()),
                (None, Some(error)) => Err(clip(
                    error["message"].as_str().unwrap_or("no message"),
                    MAX_CLIENT_STRING,
                )
                .to_owned()),
                (None, None) => Err("an empty response".to_owned()),
            });
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(RpcError::invalid_params(
                id.clone(),
                format!(
                    "the client did not answer the server's request {request_id} within {} minutes",
                    ANSWER_TIMEOUT.as_secs() / 60
                ),
            )
            .into());
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_LOOK);
    }
}

/// A client's POSTed response (`message` holds its `result` or `error`):
/// left for the call waiting on it, if it answers a request of ours.
/// Responses to anything else are accepted and dropped.
pub(crate) async fn deliver(
    state: &AppState,
    caller: &Caller,
    id: Option<&RequestId>,
    message: &Value,
) -> Result<(), McpError> {
    let Some(RequestId::String(request_id)) = id else {
        return Ok(());
    };
    if !request_id.starts_with(REQUEST_ID_PREFIX) || request_id.len() > MAX_HANDLE {
        return Ok(());
    }
    state
        .deps
        .handoffs
        .put(
            &caller.principal.subject,
            &answer_key(request_id),
            &message.to_string(),
            ANSWER_TTL,
        )
        .await
        .map_err(store_failed)
}

fn state_key(handle: &str) -> String {
    format!("input-state:{handle}")
}

fn answer_key(request_id: &str) -> String {
    format!("input-answer:{request_id}")
}

/// 24 random bytes, base64url (32 characters).
fn random_id() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn store_failed(err: crate::store::StoreError) -> McpError {
    tracing::error!(error = %err, "handoff store failed");
    HttpError::StoreUnavailable.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_read_from_the_declared_object() {
        let caps = capabilities_of(Some(
            &json!({"sampling": {}, "roots": {"listChanged": true}}),
        ));
        assert!(caps.sampling && caps.roots && !caps.elicitation);
        assert!(can_answer(&caps));
        assert!(!can_answer(&capabilities_of(None)));
        assert!(!capabilities_of(Some(&json!({"sampling": true}))).sampling);
    }

    #[test]
    fn retries_must_bring_an_object_and_a_string() {
        let id = RequestId::Number(1);
        let (answers, handle) = retry_of(
            &id,
            &json!({"inputResponses": {"k": {"action": "accept"}}, "requestState": "h"}),
        )
        .expect("ok");
        assert_eq!(answers["k"], r#"{"action":"accept"}"#);
        assert_eq!(handle.as_deref(), Some("h"));
        assert!(retry_of(&id, &json!({})).expect("ok").0.is_empty());
        for bad in [
            json!({"inputResponses": null}),
            json!({"inputResponses": [1]}),
            json!({"requestState": 5}),
        ] {
            assert!(retry_of(&id, &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_capability_is_named() {
        let required = proto::InputRequired {
            requests: vec![proto::InputRequest {
                key: "k".to_owned(),
                method: "sampling/createMessage".to_owned(),
                params_json: "{}".to_owned(),
            }],
            request_state: String::new(),
        };
        let none = proto::ClientCapabilities::default();
        let Err(McpError::Rpc(err)) = check_capabilities(
            &RequestId::Number(1),
            &none,
            &required,
            StatusCode::BAD_REQUEST,
        ) else {
            panic!("refused as a JSON-RPC error");
        };
        let message = err.into_message();
        assert_eq!(message["error"]["code"], -32021);
        assert_eq!(
            message["error"]["data"]["requiredCapabilities"],
            json!({"sampling": {}})
        );
        let sampling = proto::ClientCapabilities {
            sampling: true,
            ..none
        };
        assert!(
            check_capabilities(&RequestId::Number(1), &sampling, &required, StatusCode::OK).is_ok()
        );
    }
}
