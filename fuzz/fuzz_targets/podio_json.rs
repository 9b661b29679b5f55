//! Decoding Podio's response bodies: the connector's reading of Podio's
//! error bodies (`PodioError::from_response` and its gRPC status), the tools
//! service's decoders of Podio JSON (`decode::*`, `AppSchema::from_app`),
//! and a whole tool call whose every Podio request is answered 200 with the
//! input as the body.
//!
//! Input: a first byte (which of the 22 tools to call), then the body.
//!
//! Invariants: nothing panics. Errors: the error code is Podio's (cut at
//! 100 characters) or one derived from the status, the description is
//! non-empty and at most 1000 characters whatever Podio sent, a wait is given
//! exactly for 420 and 429, the status is the code `connector.proto` gives
//! for the HTTP status, with an ErrorInfo naming it; Podio's own `error` and
//! `error_description` are kept. Decoders: an item decodes to the documented
//! keys with one field per Podio field; every decoder and text rendering
//! copes with any JSON. Tool calls: odd Podio JSON ends as a result or as
//! INTERNAL (a broken upstream contract), or INVALID_ARGUMENT naming `fields`
//! where values are checked against the app Podio sent; a successful result
//! validates against the tool's output schema.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use portico_connector::errors::{
    DEFAULT_RETRY_AFTER_SECS, ERROR_DOMAIN, MAX_DESCRIPTION_CHARS, MAX_ERROR_CHARS,
    code_for_http_status,
};
use portico_connector::{ConnectorError, PodioError};
use portico_fuzz::tools::{Tools, not_found, schema};
use portico_proto::error::ErrorCode;
use portico_tools::TOOL_NAMES;
use portico_tools::decode::json::array;
use portico_tools::decode::view::{Fields, view};
use portico_tools::decode::{app, comment, decode_item, member, notification, search, space, task};
use portico_tools::encode::schema::AppSchema;
use serde_json::Value;
use tonic::Status;
use tonic_types::StatusExt as _;

/// Arguments every tool accepts, by tool.
const CALLS: [(&str, &str); 22] = [
    ("get_item", r#"{"item_id": 987654321}"#),
    ("get_items", r#"{"app_id": 5551234}"#),
    ("get_app_summary", r#"{"app_id": 5551234}"#),
    (
        "create_item",
        r#"{"app_id": 5551234, "fields": {"title": "Acme"}}"#,
    ),
    (
        "update_item",
        r#"{"item_id": 987654321, "fields": {"title": "Acme"}}"#,
    ),
    ("get_app", r#"{"app_id": 5551234}"#),
    ("get_apps_in_space", r#"{"space_id": 2501464}"#),
    ("get_space", r#"{"space_id": 2501464}"#),
    ("get_space_members", r#"{"space_id": 2501464}"#),
    ("list-views", r#"{"app_id": 5551234}"#),
    ("get_organizations", "{}"),
    ("get_spaces_in_organization", r#"{"org_id": 720690}"#),
    ("get_org_members", r#"{"org_id": 720690}"#),
    ("search_globally", r#"{"query": "acme"}"#),
    ("get_tasks", "{}"),
    ("get_task", r#"{"task_id": 15126}"#),
    ("create_task", r#"{"text": "Call Acme"}"#),
    ("update_task", r#"{"task_id": 15126, "text": "Call Acme"}"#),
    ("complete_task", r#"{"task_id": 15126}"#),
    ("get_item_comments", r#"{"item_id": 987654321}"#),
    ("add_comment", r#"{"item_id": 987654321, "text": "Hello"}"#),
    ("get_notifications", "{}"),
];

struct Harness {
    tools: Tools,
    /// Per entry of [`CALLS`], the output schema's validator.
    outputs: Vec<jsonschema::Validator>,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let tools = Tools::new();
    let outputs = CALLS
        .iter()
        .map(|(name, arguments)| {
            assert!(TOOL_NAMES.contains(name), "{name}");
            // With Podio answering 404 the arguments must pass.
            tools.answer(|r| Err(not_found(r)));
            if let Err(e) = tools.call(name, arguments) {
                assert_ne!(
                    e.code,
                    ErrorCode::InvalidArgument,
                    "{name} {arguments}: {e:?}"
                );
            }
            jsonschema::validator_for(&schema(&tools.tool(name).output_schema_json))
                .expect("output schemas compile")
        })
        .collect();
    Harness { tools, outputs }
});

/// Podio's error body, as its API documents it.
#[derive(serde::Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

const STATUSES: [u16; 12] = [400, 401, 402, 403, 404, 409, 410, 420, 429, 500, 502, 302];

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = portico_fuzz::selector_and_text(data) else {
        return;
    };
    let retry_header = body.lines().next().filter(|l| l.len() < 32);
    for (i, status) in STATUSES.into_iter().enumerate() {
        let header = if i % 2 == 0 { None } else { retry_header };
        check_podio_error(status, header, &body);
    }
    if let Ok(value) = serde_json::from_str::<Value>(&body) {
        check_decoders(&value);
        if let Value::Array(items) = &value {
            items.iter().for_each(check_decoders);
        }
    }
    check_tool(usize::from(selector) % CALLS.len(), &body);
});

fn check_podio_error(http_status: u16, retry_header: Option<&str>, body: &str) {
    let e = PodioError::from_response(http_status, retry_header, body);
    assert_eq!(e.http_status, http_status);
    assert!(!e.error.is_empty(), "{e:?}");
    assert!(!e.description.trim().is_empty(), "{e:?}");
    assert!(
        e.description.chars().count() <= MAX_DESCRIPTION_CHARS,
        "{e:?}"
    );
    assert!(e.error.chars().count() <= MAX_ERROR_CHARS, "{e:?}");
    assert_eq!(
        e.retry_after_seconds.is_some(),
        matches!(http_status, 420 | 429),
        "{e:?}"
    );
    if let Some(secs) = retry_header.and_then(|h| h.trim().parse::<u64>().ok())
        && matches!(http_status, 420 | 429)
    {
        assert_eq!(e.retry_after_seconds, Some(secs), "{e:?}");
    }
    if retry_header.is_none() && body.trim().is_empty() && matches!(http_status, 420 | 429) {
        assert_eq!(e.retry_after_seconds, Some(DEFAULT_RETRY_AFTER_SECS));
    }
    // Podio's own words are kept, when its body is its error object (each
    // key once, both strings or null).
    if let Ok(ErrorBody {
        error,
        error_description,
    }) = serde_json::from_str::<ErrorBody>(body)
    {
        if let Some(error) = error.filter(|e| !e.is_empty()) {
            let kept: String = error.chars().take(MAX_ERROR_CHARS).collect();
            assert_eq!(e.error, kept);
        }
        if let Some(d) = error_description.filter(|d| !d.trim().is_empty()) {
            let kept: String = d.chars().take(MAX_DESCRIPTION_CHARS).collect();
            assert_eq!(e.description, kept);
        }
    }
    let status = Status::from(ConnectorError::Podio(e.clone()));
    assert_eq!(status.code(), code_for_http_status(http_status));
    assert!(
        !matches!(
            status.code(),
            tonic::Code::Ok | tonic::Code::Unknown | tonic::Code::Internal
        ),
        "{status:?}"
    );
    assert_eq!(status.message(), e.description);
    let info = status
        .get_details_error_info()
        .expect("an ErrorInfo detail");
    assert_eq!(info.domain, ERROR_DOMAIN);
    assert_eq!(info.reason, e.error);
    assert_eq!(
        info.metadata.get("http_status"),
        Some(&http_status.to_string())
    );
}

const ITEM_KEYS: [&str; 11] = [
    "item_id",
    "app_item_id",
    "title",
    "link",
    "app",
    "created_on",
    "created_by",
    "last_event_on",
    "tags",
    "comment_count",
    "fields",
];

fn check_decoders(v: &Value) {
    let item = decode_item(v);
    let object = item.json.as_object().expect("an item decodes to an object");
    assert_eq!(object.len(), ITEM_KEYS.len(), "{object:?}");
    assert!(ITEM_KEYS.iter().all(|k| object.contains_key(*k)));
    assert!(item.json["fields"].is_object());
    assert_eq!(item.fields.len(), array(v, "fields").len());
    for field in &item.fields {
        assert_eq!(field.json["type"], field.kind.as_str());
        assert_eq!(field.json["value"], field.value);
        field.line();
        field.short();
    }
    assert!(!item.heading().is_empty());

    let _ = (app::summary(v), app::definition(v));
    for f in array(v, "fields") {
        app::field_line(f);
    }
    let schema = AppSchema::from_app(1, v);
    for field in &schema.fields {
        field.describe();
        field.option_list();
    }
    schema.field_list();
    let fields = Fields::of(Some(v));
    view(v, &fields);
    view(v, &Fields::of(None));
    comment::comment(v);
    member::space_member(v);
    member::org_member(v);
    member::who(v);
    if let Value::Array(groups) = v {
        for n in notification::flatten(groups) {
            notification::notification_line(&n);
        }
    }
    search::place_line(&search::hit(v));
    space::organization(v);
    space::space_line(&space::space(v));
    task::task_line(&task::task(v));
}

fn check_tool(index: usize, body: &str) {
    let harness = &*HARNESS;
    let (name, arguments) = CALLS[index];
    let answer = body.to_owned();
    harness.tools.answer(move |_| Ok(answer.clone()));
    match harness.tools.call(name, arguments) {
        Ok(result) => {
            assert!(result.input_required.is_none(), "{name}");
            assert!(
                !result.content.is_empty(),
                "{name}: a result without content"
            );
            if result.is_error {
                return;
            }
            let structured: Value = serde_json::from_str(&result.structured_content_json)
                .unwrap_or_else(|e| panic!("{name}: structured content is not JSON: {e}"));
            assert!(structured.is_object(), "{name}: {structured}");
            let problems: Vec<String> = harness.outputs[index]
                .iter_errors(&structured)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                problems.is_empty(),
                "{name} output breaks its schema: {problems:?}\noutput: {structured}"
            );
        }
        Err(e) => match e.code {
            ErrorCode::Internal => {}
            ErrorCode::InvalidArgument if matches!(name, "create_item" | "update_item") => {
                assert!(
                    e.violations.iter().all(|v| v.field.starts_with("fields")),
                    "{name}: {e:?}"
                );
            }
            _ => panic!("{name} with Podio answering {body:?}: {e:?}"),
        },
    }
}
