//! One trace across every hop of the microservices shape: a tool call's
//! spans from the front door, the tools, connector and auth services and the
//! upstream Podio call, under one trace id and parented along the calls —
//! the trace context travelling in gRPC metadata and HTTP headers over real
//! loopback connections. The spans are collected in process by an exporter
//! of the test's (the services run in this process; each test here is its
//! own process under nextest, so the global subscriber is the test's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use portico_tests::start_microservices;
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The RPCs of one tool call's hops, as the gRPC servers' spans name them.
const TOOLS_CALL: &str = "/portico.tools.v1.Tools/CallToolStream";
const CONNECTOR_CALL: &str = "/portico.connector.v1.Connector/Call";
const INTROSPECT: &str = "/portico.auth.v1.Auth/IntrospectToken";

/// Every span the process ends, as exported.
#[derive(Debug, Clone, Default)]
struct Collected(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Collected {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        if let Ok(mut spans) = self.0.lock() {
            spans.extend(batch);
        }
        std::future::ready(Ok(()))
    }
}

impl Collected {
    fn spans(&self) -> Vec<SpanData> {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// The process's collector, installed once (a process may run both tests).
fn install() -> Collected {
    static COLLECTED: OnceLock<Collected> = OnceLock::new();
    COLLECTED
        .get_or_init(|| {
            let collected = Collected::default();
            let provider = SdkTracerProvider::builder()
                .with_simple_exporter(collected.clone())
                .build();
            let _ = tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("traces-test")))
                .try_init();
            collected
        })
        .clone()
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

/// The spans of `trace`, by span id.
fn of_trace(spans: &[SpanData], trace: TraceId) -> HashMap<SpanId, SpanData> {
    spans
        .iter()
        .filter(|s| s.span_context.trace_id() == trace)
        .map(|s| (s.span_context.span_id(), s.clone()))
        .collect()
}

/// Whether `ancestor` is `span` or above it in `spans`.
fn descends(spans: &HashMap<SpanId, SpanData>, span: &SpanData, ancestor: SpanId) -> bool {
    let mut current = span;
    for _ in 0..64 {
        if current.span_context.span_id() == ancestor {
            return true;
        }
        match spans.get(&current.parent_span_id) {
            Some(parent) => current = parent,
            None => return current.parent_span_id == ancestor,
        }
    }
    false
}

/// Where a call carries the caller's trace.
#[derive(Default)]
struct Carried<'a> {
    /// The W3C `traceparent` HTTP header.
    header: Option<&'a str>,
    /// `params._meta.traceparent` (SEP-414).
    meta: Option<&'a str>,
}

/// Calls `get_organizations` through the microservices shape, carrying the
/// trace given (if any), and returns the spans of the trace the front
/// door's request span is in, once every hop's span has ended, with that
/// request span.
async fn traced_call(
    carried: Carried<'_>,
) -> anyhow::Result<(HashMap<SpanId, SpanData>, SpanData)> {
    let collected = install();
    let stack = start_microservices().await?;
    let outcome = async {
        let client = portico_tests::http_client(Duration::from_secs(30)).build()?;
        let mut call = json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {
                "name": "get_organizations", "arguments": {},
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                },
            },
        });
        if let Some(traceparent) = carried.meta {
            call["params"]["_meta"]["traceparent"] = json!(traceparent);
            call["params"]["_meta"]["tracestate"] = json!("portico=test");
        }
        let mut request = client
            .post(stack.mcp_url(0))
            .bearer_auth(&stack.token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "get_organizations");
        if let Some(traceparent) = carried.header {
            request = request.header("traceparent", traceparent);
        }
        let reply = request.json(&call).send().await?;
        let status = reply.status();
        let body = reply.text().await?;
        anyhow::ensure!(
            status == 200 && body.contains("\"isError\":false"),
            "{status} {body}"
        );

        // Every hop's span ends soon after the reply; wait for the last.
        let complete = |spans: &HashMap<SpanId, SpanData>| {
            [TOOLS_CALL, CONNECTOR_CALL, INTROSPECT]
                .iter()
                .all(|rpc| find(spans, "grpc_request", Some(rpc)).is_ok())
                && find(spans, "podio_request", None).is_ok()
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let all = collected.spans();
            // The front door's request spans: one per test in this process.
            let found = all
                .iter()
                .filter(|s| s.name == "http_request")
                .map(|request| (of_trace(&all, request.span_context.trace_id()), request))
                .find(|(spans, _)| complete(spans));
            if let Some((spans, request)) = found {
                return Ok((spans, request.clone()));
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "no complete trace among {} spans",
                all.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    .await;
    stack.stop().await?;
    outcome
}

fn find(
    spans: &HashMap<SpanId, SpanData>,
    name: &str,
    rpc: Option<&str>,
) -> anyhow::Result<SpanData> {
    spans
        .values()
        .find(|s| s.name == name && rpc.is_none_or(|r| attribute(s, "rpc").as_deref() == Some(r)))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no {name} {rpc:?} span"))
}

/// The hops of one tool call, each under the one that made it.
fn check_hops(spans: &HashMap<SpanId, SpanData>, request: &SpanData) -> anyhow::Result<()> {
    let tools = find(spans, "grpc_request", Some(TOOLS_CALL))?;
    anyhow::ensure!(
        tools.parent_span_is_remote && descends(spans, &tools, request.span_context.span_id()),
        "the tools service's span descends from the front door's, across the gRPC hop"
    );
    let introspection = find(spans, "grpc_request", Some(INTROSPECT))?;
    anyhow::ensure!(
        descends(spans, &introspection, request.span_context.span_id()),
        "the auth service's introspection descends from the front door's span"
    );
    let connector = find(spans, "grpc_request", Some(CONNECTOR_CALL))?;
    anyhow::ensure!(
        descends(spans, &connector, tools.span_context.span_id()),
        "the connector's span descends from the tools service's"
    );
    let upstream = find(spans, "podio_request", None)?;
    anyhow::ensure!(
        descends(spans, &upstream, connector.span_context.span_id()),
        "the podio call descends from the connector's span"
    );
    anyhow::ensure!(attribute(&upstream, "http.status").as_deref() == Some("200"));
    // Nothing along the way started a trace of its own: every span of the
    // trace hangs off the front door's request span.
    for span in spans.values() {
        anyhow::ensure!(
            span.span_context.span_id() == request.span_context.span_id()
                || descends(spans, span, request.span_context.span_id()),
            "{} ({:?}) is not under the front door's request span",
            span.name,
            attribute(span, "rpc")
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_carries_a_traceparent_is_traced_in_the_callers_trace() -> anyhow::Result<()> {
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let traceparent = format!("00-{caller_trace}-{caller_span}-01");
    let (spans, request) = traced_call(Carried {
        header: Some(&traceparent),
        meta: None,
    })
    .await?;
    anyhow::ensure!(request.span_context.trace_id() == TraceId::from_hex(caller_trace)?);
    anyhow::ensure!(
        request.parent_span_id == SpanId::from_hex(caller_span)? && request.parent_span_is_remote,
        "the front door's span is a child of the caller's"
    );
    check_hops(&spans, &request)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_meta_carries_a_traceparent_is_traced_in_that_trace_over_the_header()
-> anyhow::Result<()> {
    let meta_trace = "0af7651916cd43dd8448eb211c80319c";
    let meta_span = "b7ad6b7169203331";
    let meta = format!("00-{meta_trace}-{meta_span}-01");
    // A proxy's header trace too: the MCP client's own `_meta` one wins.
    let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let (spans, request) = traced_call(Carried {
        header: Some(header),
        meta: Some(&meta),
    })
    .await?;
    anyhow::ensure!(request.span_context.trace_id() == TraceId::from_hex(meta_trace)?);
    anyhow::ensure!(
        request.parent_span_id == SpanId::from_hex(meta_span)? && request.parent_span_is_remote,
        "the front door's span is a child of the span named in _meta"
    );
    anyhow::ensure!(
        request.span_context.trace_state().get("portico") == Some("test"),
        "the _meta tracestate is carried: {:?}",
        request.span_context.trace_state()
    );
    check_hops(&spans, &request)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_without_one_is_one_new_trace_across_every_service_and_the_upstream_call()
-> anyhow::Result<()> {
    let (spans, request) = traced_call(Carried::default()).await?;
    anyhow::ensure!(
        request.parent_span_id == SpanId::INVALID,
        "the front door's span starts the trace"
    );
    check_hops(&spans, &request)
}
