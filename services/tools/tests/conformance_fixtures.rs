//! The conformance suite's fixture tools: absent from a normal build's
//! catalog (unknown when called), present with the `conformance-fixtures`
//! feature and answering as the suite checks, through the same streaming
//! call as every tool.

// The helpers serve the feature's test; a normal build runs only the other.
#![cfg_attr(
    not(feature = "conformance-fixtures"),
    allow(dead_code, unused_imports)
)]

mod common;

use common::{Harness, TOKEN};
use portico_proto::tools::ToolCalls as _;
use portico_proto::tools::v1::tool_call_event::Event;
use portico_proto::tools::v1::{LogLevel, ToolCall, content_block::Kind};
use tokio_stream::StreamExt as _;

const FIXTURES: [&str; 23] = [
    "test_simple_text",
    "test_image_content",
    "test_audio_content",
    "test_embedded_resource",
    "test_multiple_content_types",
    "test_tool_with_logging",
    "test_tool_with_progress",
    "test_error_handling",
    "test_logging_tool",
    "test_streaming_elicitation",
    "test_sampling",
    "test_elicitation",
    "test_elicitation_sep1034_defaults",
    "test_elicitation_sep1330_enums",
    "test_missing_capability",
    "test_input_required_result_elicitation",
    "test_input_required_result_sampling",
    "test_input_required_result_list_roots",
    "test_input_required_result_request_state",
    "test_input_required_result_multiple_inputs",
    "test_input_required_result_multi_round",
    "test_input_required_result_tampered_state",
    "test_input_required_result_capabilities",
];

fn call(name: &str) -> ToolCall {
    ToolCall {
        name: name.to_owned(),
        arguments_json: "{}".to_owned(),
        progress: true,
        min_log_level: LogLevel::Debug as i32,
        ..ToolCall::default()
    }
}

async fn events(h: &Harness, name: &str) -> Vec<Event> {
    let mut stream = h
        .service
        .call_tool_stream(TOKEN, call(name))
        .await
        .expect("stream");
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.expect("event").event.expect("kind"));
    }
    events
}

#[cfg(not(feature = "conformance-fixtures"))]
#[tokio::test]
async fn a_normal_build_has_no_fixtures() {
    let h = Harness::new();
    let tools = h.list(Some(TOKEN)).await.expect("list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, portico_tools::TOOL_NAMES);
    let err = h
        .service
        .call_tool(TOKEN, call("test_simple_text"))
        .await
        .expect_err("unknown");
    assert_eq!(err.code, portico_proto::error::ErrorCode::NotFound);
}

#[cfg(feature = "conformance-fixtures")]
#[tokio::test]
async fn the_fixtures_follow_the_podio_tools_and_answer_as_the_suite_checks() {
    let h = Harness::new();
    let tools = h.list(Some(TOKEN)).await.expect("list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names[..22], portico_tools::TOOL_NAMES);
    assert_eq!(names[22..], FIXTURES);
    for tool in &tools[22..] {
        assert!(!tool.description.is_empty());
        assert!(tool.output_schema_json.is_empty(), "{}", tool.name);
    }

    let result = |events: &[Event]| match events.last() {
        Some(Event::Result(result)) => result.clone(),
        other => panic!("no result last: {other:?}"),
    };
    let kinds = |name: &str, events: &[Event]| -> Vec<Kind> {
        let result = result(events);
        assert!(!result.is_error, "{name}");
        result.content.into_iter().filter_map(|b| b.kind).collect()
    };

    let text = kinds("test_simple_text", &events(&h, "test_simple_text").await);
    assert!(matches!(&text[..], [Kind::Text(t)] if !t.is_empty()));

    let image = kinds(
        "test_image_content",
        &events(&h, "test_image_content").await,
    );
    assert!(
        matches!(&image[..], [Kind::Image(i)] if i.mime_type == "image/png" && i.data.starts_with(b"\x89PNG"))
    );

    let audio = kinds(
        "test_audio_content",
        &events(&h, "test_audio_content").await,
    );
    assert!(
        matches!(&audio[..], [Kind::Audio(a)] if a.mime_type == "audio/wav" && a.data.starts_with(b"RIFF"))
    );

    let resource = kinds(
        "test_embedded_resource",
        &events(&h, "test_embedded_resource").await,
    );
    assert!(
        matches!(&resource[..], [Kind::Resource(r)] if !r.uri.is_empty() && !r.mime_type.is_empty() && r.contents.is_some())
    );

    let mixed = kinds(
        "test_multiple_content_types",
        &events(&h, "test_multiple_content_types").await,
    );
    assert!(matches!(
        &mixed[..],
        [Kind::Text(_), Kind::Image(_), Kind::Resource(_)]
    ));

    let logged = events(&h, "test_tool_with_logging").await;
    let logs = logged
        .iter()
        .filter(|e| matches!(e, Event::Log(l) if l.level == LogLevel::Info as i32))
        .count();
    assert_eq!(logs, 3);
    assert!(matches!(logged.last(), Some(Event::Result(_))));

    let progressed = events(&h, "test_tool_with_progress").await;
    let values: Vec<(f64, Option<f64>)> = progressed
        .iter()
        .filter_map(|e| match e {
            Event::Progress(p) => Some((p.progress, p.total)),
            _ => None,
        })
        .collect();
    assert_eq!(
        values,
        vec![
            (0.0, Some(100.0)),
            (50.0, Some(100.0)),
            (100.0, Some(100.0))
        ]
    );

    let failed = result(&events(&h, "test_error_handling").await);
    assert!(failed.is_error);
    assert!(matches!(&failed.content[0].kind, Some(Kind::Text(t)) if !t.is_empty()));

    // The unary RPC carries the text blocks only.
    let unary = h
        .call("test_multiple_content_types", "{}")
        .await
        .expect("call");
    assert_eq!(unary.content.len(), 1);
}

#[cfg(feature = "conformance-fixtures")]
#[tokio::test]
async fn the_fixture_resources_prompts_and_completion_answer_as_the_suite_checks() {
    use portico_proto::error::ErrorCode;
    use portico_proto::tools::v1::{
        CompleteRequest, GetPromptRequest, complete_request::Reference, embedded_resource::Contents,
    };

    let h = Harness::new();
    let features = h.service.features(TOKEN).await.expect("features");
    assert!(features.resources && features.resource_subscriptions);
    assert!(features.prompts && features.completions);

    let resources = h.service.list_resources(TOKEN).await.expect("resources");
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "test://static-text",
            "test://static-binary",
            "test://watched-resource"
        ]
    );
    let binary = h
        .service
        .read_resource(TOKEN, "test://static-binary")
        .await
        .expect("read");
    assert!(matches!(&binary[0].contents, Some(Contents::Blob(b)) if b.starts_with(b"\x89PNG")));
    let templates = h
        .service
        .list_resource_templates(TOKEN)
        .await
        .expect("templates");
    assert_eq!(templates[0].uri_template, "test://template/{id}/data");
    let missing = h
        .service
        .read_resource(TOKEN, "test://nonexistent")
        .await
        .expect_err("missing");
    assert_eq!(missing.code, ErrorCode::NotFound);

    let prompts = h.service.list_prompts(TOKEN).await.expect("prompts");
    assert!(prompts.iter().all(|p| !p.description.is_empty()));
    let image = h
        .service
        .get_prompt(
            TOKEN,
            GetPromptRequest {
                name: "test_prompt_with_image".to_owned(),
                ..GetPromptRequest::default()
            },
        )
        .await
        .expect("prompt");
    assert!(image.messages.iter().any(|m| matches!(
        m.content.as_ref().and_then(|c| c.kind.as_ref()),
        Some(Kind::Image(_))
    )));
    let completion = h
        .service
        .complete(
            TOKEN,
            CompleteRequest {
                reference: Some(Reference::PromptName(
                    "test_prompt_with_arguments".to_owned(),
                )),
                argument_name: "arg1".to_owned(),
                argument_value: "te".to_owned(),
                ..CompleteRequest::default()
            },
        )
        .await
        .expect("complete");
    assert_eq!(completion.values, ["test", "testing"]);

    // Every one needs an active token.
    let err = h
        .service
        .list_prompts("nope")
        .await
        .expect_err("unauthenticated");
    assert_eq!(err.code, ErrorCode::Unauthenticated);
}

#[cfg(not(feature = "conformance-fixtures"))]
#[tokio::test]
async fn a_normal_build_offers_no_resources_prompts_or_completion() {
    let h = Harness::new();
    let features = h.service.features(TOKEN).await.expect("features");
    assert_eq!(features, portico_proto::tools::v1::Features::default());
    assert!(
        h.service
            .list_resources(TOKEN)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        h.service
            .list_prompts(TOKEN)
            .await
            .expect("list")
            .is_empty()
    );
    let err = h
        .service
        .read_resource(TOKEN, "test://static-text")
        .await
        .expect_err("none");
    assert_eq!(err.code, portico_proto::error::ErrorCode::NotFound);
}

/// One round of `name`: its result (the last event) for `call`.
#[cfg(feature = "conformance-fixtures")]
async fn round(h: &Harness, call: ToolCall) -> portico_proto::tools::v1::ToolResult {
    let mut stream = h
        .service
        .call_tool_stream(TOKEN, call)
        .await
        .expect("stream");
    let mut last = None;
    while let Some(event) = stream.next().await {
        last = event.expect("event").event;
    }
    match last {
        Some(Event::Result(result)) => result,
        other => panic!("no result last: {other:?}"),
    }
}

#[cfg(feature = "conformance-fixtures")]
#[tokio::test]
async fn a_tool_asks_the_client_over_rounds_carrying_earlier_answers_in_its_state() {
    use portico_proto::tools::v1::ClientCapabilities;
    let h = Harness::new();
    let everything = ClientCapabilities {
        sampling: true,
        elicitation: true,
        roots: true,
    };
    let start = ToolCall {
        client_capabilities: Some(everything),
        ..call("test_input_required_result_multi_round")
    };
    let first = round(&h, start.clone()).await;
    let asked = first.input_required.expect("asks step 1");
    assert!(first.content.is_empty() && !first.is_error);
    assert_eq!(asked.requests.len(), 1);
    assert_eq!(asked.requests[0].key, "step1");
    assert_eq!(asked.requests[0].method, "elicitation/create");

    let answer = |key: &str, field: &str, value: &str| {
        std::collections::HashMap::from([(
            key.to_owned(),
            serde_json::json!({"action": "accept", "content": {field: value}}).to_string(),
        )])
    };
    let second = round(
        &h,
        ToolCall {
            input_responses_json: answer("step1", "name", "Ann"),
            request_state: asked.request_state,
            ..start.clone()
        },
    )
    .await;
    let asked = second.input_required.expect("asks step 2");
    assert_eq!(asked.requests[0].key, "step2");

    let third = round(
        &h,
        ToolCall {
            input_responses_json: answer("step2", "color", "red"),
            request_state: asked.request_state,
            ..start.clone()
        },
    )
    .await;
    assert!(third.input_required.is_none());
    assert!(
        matches!(&third.content[0].kind, Some(Kind::Text(t)) if t == "Ann likes red"),
        "{third:?}"
    );

    // A state this service never issued is refused as an argument.
    let err = h
        .service
        .call_tool_stream(
            TOKEN,
            ToolCall {
                request_state: "forged".to_owned(),
                ..start
            },
        )
        .await
        .expect_err("refused");
    assert_eq!(err.code, portico_proto::error::ErrorCode::InvalidArgument);

    // What is asked follows what the client declared.
    let sampling_only = ToolCall {
        client_capabilities: Some(ClientCapabilities {
            sampling: true,
            ..ClientCapabilities::default()
        }),
        ..call("test_input_required_result_capabilities")
    };
    let asked = round(&h, sampling_only).await.input_required.expect("asks");
    let methods: Vec<&str> = asked.requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["sampling/createMessage"]);
}
