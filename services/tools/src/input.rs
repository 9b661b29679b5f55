//! Input a tool (or prompt) needs from the MCP client before it can finish:
//! an elicitation, a sampled message, the client's roots.
//!
//! The exchange is the one of MCP 2026-07-28 (SEP-2322, "multi round-trip
//! requests"), used for both protocol generations: a call that lacks an
//! answer ends with [`InputRequired`] (the requests, keyed, and a
//! `request_state`); the caller gets the answers from the client and calls
//! again with the same arguments, the answers and that state. The tool runs
//! again from the start, so it asks before it changes anything, and each
//! [`Inputs::ask`] either returns every answer it asks for or ends the call.
//! The state carries the answers of earlier rounds, so a tool may ask in
//! several rounds. The service stays stateless: nothing waits here for a
//! client, and any replica serves any round.
//!
//! The state is plain JSON the caller must keep from the client's hands or
//! protect (the front door keeps it in its store and hands out a handle): it
//! holds nothing but the client's own answers, so a caller that forges it
//! gains nothing it could not send as answers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use portico_proto::tools::v1::{self, ClientCapabilities};
use serde_json::{Map, Value, json};

use crate::error::{ToolError, Violation};

/// Most answers one call carries (in its state and its retry together);
/// more are dropped, so a client cannot make the state grow without bound.
const MAX_ANSWERS: usize = 32;
/// Longest request state accepted, in bytes.
const MAX_STATE: usize = 256 * 1024;

/// What the client is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `elicitation/create`: the user fills in a form.
    Elicit,
    /// `sampling/createMessage`: the client's model writes a message.
    Sample,
    /// `roots/list`: the client's roots.
    ListRoots,
}

impl Method {
    /// The MCP method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Elicit => "elicitation/create",
            Method::Sample => "sampling/createMessage",
            Method::ListRoots => "roots/list",
        }
    }

    /// Whether `answer` has the shape of this method's result: an
    /// `ElicitResult` (`action` accept, decline or cancel), a
    /// `CreateMessageResult` (`role` and `content`) or a `ListRootsResult`
    /// (`roots`, a list). An answer of another shape counts as missing and
    /// is asked for again.
    fn accepts(self, answer: &Value) -> bool {
        let Some(answer) = answer.as_object() else {
            return false;
        };
        match self {
            Method::Elicit => answer
                .get("action")
                .and_then(Value::as_str)
                .is_some_and(|a| matches!(a, "accept" | "decline" | "cancel")),
            Method::Sample => {
                answer.get("role").is_some_and(Value::is_string)
                    && answer
                        .get("content")
                        .is_some_and(|c| c.is_object() || c.is_array())
            }
            Method::ListRoots => answer.get("roots").is_some_and(Value::is_array),
        }
    }

    /// Whether `capabilities` lets the client answer this method.
    fn allowed_by(self, capabilities: &ClientCapabilities) -> bool {
        match self {
            Method::Elicit => capabilities.elicitation,
            Method::Sample => capabilities.sampling,
            Method::ListRoots => capabilities.roots,
        }
    }
}

/// One request to the client.
#[derive(Debug, Clone)]
pub struct Request {
    key: String,
    method: Method,
    params: Value,
}

impl Request {
    /// An `elicitation/create` showing `message` with a form of
    /// `requested_schema` (a flat object schema).
    pub fn elicit(key: &str, message: &str, requested_schema: Value) -> Request {
        Request {
            key: key.to_owned(),
            method: Method::Elicit,
            params: json!({"message": message, "requestedSchema": requested_schema}),
        }
    }

    /// A `sampling/createMessage` of one user message `prompt`, at most
    /// `max_tokens` long.
    pub fn sample(key: &str, prompt: &str, max_tokens: u32) -> Request {
        Request {
            key: key.to_owned(),
            method: Method::Sample,
            params: json!({
                "messages": [{"role": "user", "content": {"type": "text", "text": prompt}}],
                "maxTokens": max_tokens,
            }),
        }
    }

    /// A `roots/list`.
    pub fn list_roots(key: &str) -> Request {
        Request {
            key: key.to_owned(),
            method: Method::ListRoots,
            params: json!({}),
        }
    }
}

/// The answers one [`Inputs::ask`] asked for, all present and well-formed.
#[derive(Debug, Clone, Default)]
pub struct Answers(BTreeMap<String, Value>);

impl Answers {
    /// How many answers there are.
    pub fn count(&self) -> usize {
        self.0.len()
    }

    /// The answer to the request of `key` (`Null` for a key not asked).
    pub fn get(&self, key: &str) -> &Value {
        self.0.get(key).unwrap_or(&Value::Null)
    }

    /// An elicitation's `action` ("accept", "decline" or "cancel").
    pub fn action(&self, key: &str) -> &str {
        self.get(key)["action"].as_str().unwrap_or("cancel")
    }

    /// An accepted elicitation's `content` (an empty object otherwise).
    pub fn content(&self, key: &str) -> Value {
        match &self.get(key)["content"] {
            Value::Object(content) if self.action(key) == "accept" => {
                Value::Object(content.clone())
            }
            _ => Value::Object(Map::new()),
        }
    }

    /// A sampled message's text (its first text block).
    pub fn text(&self, key: &str) -> String {
        let content = &self.get(key)["content"];
        let blocks = match content {
            Value::Array(blocks) => blocks.iter().collect::<Vec<_>>(),
            other => vec![other],
        };
        blocks
            .into_iter()
            .find_map(|b| b["text"].as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

/// What one call knows of its client: its capabilities, and the answers it
/// gave so far (earlier rounds' from the state, this round's from the
/// retry).
#[derive(Debug, Default)]
pub struct Inputs {
    capabilities: ClientCapabilities,
    /// Every answer the call carried, by key; shapes are checked on use.
    carried: BTreeMap<String, Value>,
    /// Whether the call carried a request state (it is a later round).
    resumed: bool,
    /// The keys asked so far in this run: only their answers are kept in
    /// the next state.
    asked: Mutex<BTreeSet<String>>,
}

impl Inputs {
    /// The inputs of a call with these fields (see `ToolCall`). A state
    /// that is not one this service made, or an answer that is not JSON,
    /// is refused as an invalid argument.
    pub fn of(
        capabilities: Option<ClientCapabilities>,
        responses: &HashMap<String, String>,
        request_state: &str,
    ) -> Result<Inputs, ToolError> {
        let mut carried = BTreeMap::new();
        let resumed = !request_state.is_empty();
        if resumed {
            let state = (request_state.len() <= MAX_STATE)
                .then(|| serde_json::from_str::<Value>(request_state).ok())
                .flatten();
            let Some(Value::Object(mut state)) = state else {
                return Err(ToolError::InvalidArguments(vec![Violation::new(
                    "request_state",
                    "is not a request state this service issued; send the one the InputRequired answer carried, unchanged, or none",
                )]));
            };
            if let Some(Value::Object(answers)) = state.remove("answers") {
                carried.extend(answers.into_iter().take(MAX_ANSWERS));
            }
        }
        for (key, raw) in responses {
            if carried.len() >= MAX_ANSWERS && !carried.contains_key(key) {
                continue;
            }
            let answer = serde_json::from_str(raw).map_err(|_| {
                ToolError::InvalidArguments(vec![Violation::new(
                    format!("input_responses_json[{key:?}]"),
                    "is not JSON; each answer is the JSON of the client's result",
                )])
            })?;
            carried.insert(key.clone(), answer);
        }
        Ok(Inputs {
            capabilities: capabilities.unwrap_or_default(),
            carried,
            resumed,
            asked: Mutex::new(BTreeSet::new()),
        })
    }

    /// Whether this call is a later round, carrying a request state.
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// Every answer `requests` ask for, or the [`v1::InputRequired`] that
    /// asks the client for those missing (or malformed). A request the
    /// client lacks the capability for is asked all the same: the caller
    /// refuses the call then, naming the capability.
    pub fn ask(&self, requests: &[Request]) -> Result<Answers, v1::InputRequired> {
        let mut asked = self.asked.lock().unwrap_or_else(|e| e.into_inner());
        asked.extend(requests.iter().map(|r| r.key.clone()));
        let missing: Vec<&Request> = requests
            .iter()
            .filter(|r| {
                !self
                    .carried
                    .get(&r.key)
                    .is_some_and(|a| r.method.accepts(a))
            })
            .collect();
        if missing.is_empty() {
            return Ok(Answers(
                requests
                    .iter()
                    .filter_map(|r| Some((r.key.clone(), self.carried.get(&r.key)?.clone())))
                    .collect(),
            ));
        }
        // Earlier answers ride in the state; a key asked again is dropped,
        // so its new answer is the one that counts.
        let kept: Map<String, Value> = self
            .carried
            .iter()
            .filter(|(key, _)| asked.contains(*key) && !missing.iter().any(|r| &&r.key == key))
            .map(|(key, answer)| (key.clone(), answer.clone()))
            .collect();
        Err(v1::InputRequired {
            requests: missing
                .into_iter()
                .map(|r| v1::InputRequest {
                    key: r.key.clone(),
                    method: r.method.as_str().to_owned(),
                    params_json: r.params.to_string(),
                })
                .collect(),
            request_state: json!({"answers": kept}).to_string(),
        })
    }

    /// Whether the client can answer `method`.
    pub fn can(&self, method: Method) -> bool {
        method.allowed_by(&self.capabilities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Option<ClientCapabilities> {
        Some(ClientCapabilities {
            sampling: true,
            elicitation: true,
            roots: true,
        })
    }

    fn name_form() -> Value {
        json!({"type": "object", "properties": {"name": {"type": "string"}}})
    }

    #[test]
    fn a_first_round_asks_and_a_retry_answers() {
        let first = Inputs::of(all(), &HashMap::new(), "").expect("inputs");
        assert!(!first.resumed());
        let required = first
            .ask(&[Request::elicit("who", "Name?", name_form())])
            .expect_err("asks");
        assert_eq!(required.requests.len(), 1);
        assert_eq!(required.requests[0].method, "elicitation/create");
        let params: Value = serde_json::from_str(&required.requests[0].params_json).expect("json");
        assert_eq!(params["message"], "Name?");

        let answers = HashMap::from([(
            "who".to_owned(),
            json!({"action": "accept", "content": {"name": "Ann"}}).to_string(),
        )]);
        let retry = Inputs::of(all(), &answers, &required.request_state).expect("inputs");
        assert!(retry.resumed());
        let got = retry
            .ask(&[Request::elicit("who", "Name?", name_form())])
            .expect("answered");
        assert_eq!(got.content("who")["name"], "Ann");
        assert_eq!(got.action("who"), "accept");
    }

    #[test]
    fn later_rounds_keep_earlier_answers_in_the_state() {
        let step1 = HashMap::from([(
            "step1".to_owned(),
            json!({"action": "accept", "content": {"name": "Ann"}}).to_string(),
        )]);
        let round2 = Inputs::of(all(), &step1, "").expect("inputs");
        round2
            .ask(&[Request::elicit("step1", "1", name_form())])
            .expect("step 1 answered");
        let required = round2
            .ask(&[Request::elicit("step2", "2", name_form())])
            .expect_err("asks step 2");
        assert_eq!(required.requests[0].key, "step2");

        let step2 = HashMap::from([(
            "step2".to_owned(),
            json!({"action": "accept", "content": {"name": "red"}}).to_string(),
        )]);
        let round3 = Inputs::of(all(), &step2, &required.request_state).expect("inputs");
        let one = round3
            .ask(&[Request::elicit("step1", "1", name_form())])
            .expect("step 1 from the state");
        let two = round3
            .ask(&[Request::elicit("step2", "2", name_form())])
            .expect("step 2 from the retry");
        assert_eq!(one.content("step1")["name"], "Ann");
        assert_eq!(two.content("step2")["name"], "red");
    }

    #[test]
    fn malformed_or_unasked_answers_do_not_count_and_are_not_kept() {
        let answers = HashMap::from([
            ("who".to_owned(), "12345".to_owned()),
            ("extra".to_owned(), json!({"action": "accept"}).to_string()),
        ]);
        let inputs = Inputs::of(all(), &answers, "").expect("inputs");
        let required = inputs
            .ask(&[Request::elicit("who", "Name?", name_form())])
            .expect_err("a number is no ElicitResult");
        assert_eq!(required.requests[0].key, "who");
        let state: Value = serde_json::from_str(&required.request_state).expect("json");
        assert_eq!(state["answers"], json!({}));

        let sample = Inputs::of(
            all(),
            &HashMap::from([("q".to_owned(), json!({"action": "accept"}).to_string())]),
            "",
        )
        .expect("inputs");
        assert!(sample.ask(&[Request::sample("q", "Hi", 10)]).is_err());
    }

    #[test]
    fn foreign_states_and_non_json_answers_are_refused() {
        for state in ["not json", "[1]", "\"x\""] {
            let err = Inputs::of(all(), &HashMap::new(), state).expect_err("refused");
            assert!(err.to_string().contains("request_state"), "{err}");
        }
        let err = Inputs::of(
            all(),
            &HashMap::from([("k".to_owned(), "{".to_owned())]),
            "",
        )
        .expect_err("refused");
        assert!(err.to_string().contains("not JSON"), "{err}");
    }

    #[test]
    fn sampled_text_and_capabilities_are_read() {
        let answers = Answers(BTreeMap::from([(
            "q".to_owned(),
            json!({"role": "assistant", "content": {"type": "text", "text": "Paris"}}),
        )]));
        assert_eq!(answers.text("q"), "Paris");
        assert_eq!(answers.content("q"), json!({}));
        let inputs = Inputs::of(
            Some(ClientCapabilities {
                sampling: true,
                ..ClientCapabilities::default()
            }),
            &HashMap::new(),
            "",
        )
        .expect("inputs");
        assert!(inputs.can(Method::Sample));
        assert!(!inputs.can(Method::Elicit));
        assert!(!inputs.can(Method::ListRoots));
    }
}
