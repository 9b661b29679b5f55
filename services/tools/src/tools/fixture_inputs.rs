//! The conformance suite's fixture tools that need input from the client
//! (feature `conformance-fixtures`): sampling and elicitation mid-call for
//! the handshake revisions (`test_sampling`, `test_elicitation`,
//! `test_elicitation_sep1034_defaults`, `test_elicitation_sep1330_enums`),
//! the `InputRequiredResult` round trips of 2026-07-28
//! (`test_input_required_result_*`), and `test_missing_capability`, which
//! asks for sampling whatever the client declared. All of them ask through
//! [`CallContext::input`]; how the question reaches the client (a request
//! on the response stream, or an `InputRequiredResult`) is the caller's
//! business. They touch nothing upstream.

use async_trait::async_trait;
use portico_proto::tools::v1::{ContentBlock, ToolResult};
use serde_json::{Value, json};

use super::{Handler, ToolSpec, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::error::ToolError;
use crate::input::{Method, Request};
use crate::podio::Podio;

/// Longest `prompt` or `message` argument.
const MAX_TEXT: usize = 2000;

/// What one fixture asks and answers.
#[derive(Debug, Clone, Copy)]
enum Asks {
    Sampling,
    Elicitation,
    ElicitationDefaults,
    ElicitationEnums,
    MissingCapability,
    RequiredElicitation,
    RequiredSampling,
    RequiredRoots,
    RequiredWithState,
    RequiredMultiple,
    RequiredMultiRound,
    RequiredTamperedState,
    RequiredByCapabilities,
}

struct InputFixture {
    name: &'static str,
    description: &'static str,
    asks: Asks,
}

/// The fixtures, in the order of the suite's scenarios.
pub(super) fn toolset() -> Vec<Box<dyn Handler>> {
    let fixture = |name, description, asks| -> Box<dyn Handler> {
        Box::new(InputFixture {
            name,
            description,
            asks,
        })
    };
    vec![
        fixture(
            "test_sampling",
            "Conformance fixture: asks the client's model to answer `prompt` (sampling/createMessage) and answers with what it said.",
            Asks::Sampling,
        ),
        fixture(
            "test_elicitation",
            "Conformance fixture: asks the user for a username and an email (elicitation/create) showing `message`, and answers with the response.",
            Asks::Elicitation,
        ),
        fixture(
            "test_elicitation_sep1034_defaults",
            "Conformance fixture: an elicitation whose form has a default for every primitive type (SEP-1034).",
            Asks::ElicitationDefaults,
        ),
        fixture(
            "test_elicitation_sep1330_enums",
            "Conformance fixture: an elicitation whose form has all five kinds of enum (SEP-1330).",
            Asks::ElicitationEnums,
        ),
        fixture(
            "test_missing_capability",
            "Conformance fixture (2026-07-28): needs sampling; refused when the client did not declare it.",
            Asks::MissingCapability,
        ),
        fixture(
            "test_input_required_result_elicitation",
            "Conformance fixture (2026-07-28): asks the user's name, then greets them.",
            Asks::RequiredElicitation,
        ),
        fixture(
            "test_input_required_result_sampling",
            "Conformance fixture (2026-07-28): asks the client's model for the capital of France.",
            Asks::RequiredSampling,
        ),
        fixture(
            "test_input_required_result_list_roots",
            "Conformance fixture (2026-07-28): asks for the client's roots and lists them.",
            Asks::RequiredRoots,
        ),
        fixture(
            "test_input_required_result_request_state",
            "Conformance fixture (2026-07-28): asks for a confirmation and checks the request state came back.",
            Asks::RequiredWithState,
        ),
        fixture(
            "test_input_required_result_multiple_inputs",
            "Conformance fixture (2026-07-28): asks for a name, a greeting and the roots at once.",
            Asks::RequiredMultiple,
        ),
        fixture(
            "test_input_required_result_multi_round",
            "Conformance fixture (2026-07-28): asks a name, then a favourite colour, in two rounds.",
            Asks::RequiredMultiRound,
        ),
        fixture(
            "test_input_required_result_tampered_state",
            "Conformance fixture (2026-07-28): asks for a confirmation; a retry with an altered request state is refused.",
            Asks::RequiredTamperedState,
        ),
        fixture(
            "test_input_required_result_capabilities",
            "Conformance fixture (2026-07-28): asks only what the client declared it can answer.",
            Asks::RequiredByCapabilities,
        ),
    ]
}

#[async_trait]
impl Handler for InputFixture {
    fn spec(&self) -> ToolSpec {
        let input_schema = match self.asks {
            Asks::Sampling => schema::input(
                &[(
                    "prompt",
                    schema::string(MAX_TEXT, "The prompt to send to the client's model."),
                )],
                &["prompt"],
            ),
            Asks::Elicitation => schema::input(
                &[(
                    "message",
                    schema::string(MAX_TEXT, "The message to show the user."),
                )],
                &["message"],
            ),
            _ => schema::input(&[], &[]),
        };
        super::fixtures::spec(self.name, self.description, input_schema)
    }

    async fn handle(
        &self,
        cx: &CallContext,
        _podio: &Podio,
        mut args: Args,
    ) -> Result<ToolResult, ToolError> {
        let prompt = args.opt_string("prompt", MAX_TEXT);
        let message = args.opt_string("message", MAX_TEXT);
        args.finish()?;
        let text = match self.asks {
            Asks::Sampling => {
                let prompt = prompt.unwrap_or_default();
                let got = cx.input(&[Request::sample("sampling", &prompt, 100)])?;
                format!("LLM response: {}", got.text("sampling"))
            }
            Asks::Elicitation => {
                let form = json!({
                    "type": "object",
                    "properties": {
                        "username": {"type": "string", "description": "User's response"},
                        "email": {"type": "string", "description": "User's email address"},
                    },
                    "required": ["username", "email"],
                });
                let message = message.unwrap_or_default();
                let got = cx.input(&[Request::elicit("elicitation", &message, form)])?;
                format!(
                    "User response: action={}, content={}",
                    got.action("elicitation"),
                    got.content("elicitation")
                )
            }
            Asks::ElicitationDefaults => {
                let form = json!({
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "default": "John Doe"},
                        "age": {"type": "integer", "default": 30},
                        "score": {"type": "number", "default": 95.5},
                        "status": {
                            "type": "string",
                            "enum": ["active", "inactive", "pending"],
                            "default": "active",
                        },
                        "verified": {"type": "boolean", "default": true},
                    },
                });
                completed(cx, "Please review your profile", form)?
            }
            Asks::ElicitationEnums => {
                let titled = |values: [(&str, &str); 3]| -> Vec<Value> {
                    values
                        .iter()
                        .map(|(value, title)| json!({"const": value, "title": title}))
                        .collect()
                };
                let form = json!({
                    "type": "object",
                    "properties": {
                        "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
                        "titledSingle": {"type": "string", "oneOf": titled([
                            ("value1", "First Option"), ("value2", "Second Option"), ("value3", "Third Option"),
                        ])},
                        "legacyEnum": {
                            "type": "string",
                            "enum": ["opt1", "opt2", "opt3"],
                            "enumNames": ["Option One", "Option Two", "Option Three"],
                        },
                        "untitledMulti": {
                            "type": "array",
                            "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
                        },
                        "titledMulti": {"type": "array", "items": {"anyOf": titled([
                            ("value1", "First Choice"), ("value2", "Second Choice"), ("value3", "Third Choice"),
                        ])}},
                    },
                });
                completed(cx, "Please choose your options", form)?
            }
            Asks::MissingCapability => {
                let got = cx.input(&[Request::sample("needs_sampling", "Say hello", 20)])?;
                format!("Sampled: {}", got.text("needs_sampling"))
            }
            Asks::RequiredElicitation => {
                let got = cx.input(&[name_request("user_name", "What is your name?")])?;
                format!("Hello, {}!", name_of(&got.content("user_name"), "name"))
            }
            Asks::RequiredSampling => {
                let got = cx.input(&[Request::sample(
                    "capital_question",
                    "What is the capital of France?",
                    100,
                )])?;
                got.text("capital_question")
            }
            Asks::RequiredRoots => {
                let got = cx.input(&[Request::list_roots("client_roots")])?;
                format!("Roots: {}", roots(got.get("client_roots")))
            }
            Asks::RequiredWithState | Asks::RequiredTamperedState => {
                let form = json!({
                    "type": "object",
                    "properties": {"ok": {"type": "boolean"}},
                    "required": ["ok"],
                });
                let got = cx.input(&[Request::elicit("confirm", "Please confirm", form)])?;
                let ok = got.content("confirm")["ok"].as_bool().unwrap_or(false);
                // The answer arrived with the state this service issued
                // (the caller checked its integrity before passing it on).
                let state = if cx.inputs().resumed() {
                    "state-ok"
                } else {
                    "no state"
                };
                format!("{state}: confirmed={ok}")
            }
            Asks::RequiredMultiple => {
                let got = cx.input(&[
                    name_request("user_name", "What is your name?"),
                    Request::sample("greeting", "Generate a greeting", 50),
                    Request::list_roots("client_roots"),
                ])?;
                format!(
                    "{} {}; roots: {}",
                    got.text("greeting"),
                    name_of(&got.content("user_name"), "name"),
                    roots(got.get("client_roots"))
                )
            }
            Asks::RequiredMultiRound => {
                let first = cx.input(&[name_request("step1", "Step 1: What is your name?")])?;
                let form = json!({
                    "type": "object",
                    "properties": {"color": {"type": "string"}},
                    "required": ["color"],
                });
                let second = cx.input(&[Request::elicit(
                    "step2",
                    "Step 2: What is your favorite color?",
                    form,
                )])?;
                format!(
                    "{} likes {}",
                    name_of(&first.content("step1"), "name"),
                    name_of(&second.content("step2"), "color")
                )
            }
            Asks::RequiredByCapabilities => {
                let inputs = cx.inputs();
                let mut requests = Vec::new();
                if inputs.can(Method::Sample) {
                    requests.push(Request::sample("sampled", "Say hello", 20));
                }
                if inputs.can(Method::Elicit) {
                    requests.push(name_request("user_name", "What is your name?"));
                }
                if inputs.can(Method::ListRoots) {
                    requests.push(Request::list_roots("client_roots"));
                }
                if requests.is_empty() {
                    "The client declared nothing it could be asked.".to_owned()
                } else {
                    let got = cx.input(&requests)?;
                    format!("Answered {} request(s)", got.count())
                }
            }
        };
        Ok(ToolResult {
            content: vec![ContentBlock::text(text)],
            ..ToolResult::default()
        })
    }
}

/// Asks `form` with `message`, answering as the suite's reference server.
fn completed(cx: &CallContext, message: &str, form: Value) -> Result<String, ToolError> {
    let got = cx.input(&[Request::elicit("form", message, form)])?;
    Ok(format!(
        "Elicitation completed: action={}, content={}",
        got.action("form"),
        got.content("form")
    ))
}

/// An elicitation of one required string, `name`.
fn name_request(key: &str, message: &str) -> Request {
    let form = json!({
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    });
    Request::elicit(key, message, form)
}

fn name_of(content: &Value, field: &str) -> String {
    content[field].as_str().unwrap_or("stranger").to_owned()
}

/// The URIs of a `ListRootsResult`, comma-separated.
fn roots(answer: &Value) -> String {
    let uris: Vec<&str> = answer["roots"]
        .as_array()
        .map(|roots| roots.iter().filter_map(|r| r["uri"].as_str()).collect())
        .unwrap_or_default();
    if uris.is_empty() {
        "none".to_owned()
    } else {
        uris.join(", ")
    }
}
