//! The OTLP export the binary sets up (`portico_runtime::telemetry::init`
//! with `OTEL_EXPORTER_OTLP_ENDPOINT`) delivers a tool call's spans to a
//! collector: an in-process OTLP/gRPC receiver here, with the microservices
//! shape in this process (each test here is its own process under nextest,
//! so the global subscriber is this test's).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use portico_tests::start_microservices;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

/// One exported span: its resource's service.name, its name, its trace id.
type Seen = (String, String, Vec<u8>);

/// What the collector received, every span.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Seen>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut seen = self.0.lock().map_err(|_| tonic::Status::internal("lock"))?;
        for resource in request.into_inner().resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| r.attributes.iter())
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| kv.value.as_ref())
                .map(|v| format!("{:?}", v.value))
                .unwrap_or_default();
            for scope in resource.scope_spans {
                for span in scope.spans {
                    seen.push((service.clone(), span.name, span.trace_id));
                }
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_calls_spans_reach_the_otlp_collector() -> anyhow::Result<()> {
    let receiver = Receiver::default();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let collector = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    let env = HashMap::from([
        ("OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(), endpoint),
        ("PORTICO_LOG".to_owned(), "info".to_owned()),
    ]);
    let telemetry = portico_runtime::telemetry::init("otlp-test", &env);

    let stack = start_microservices().await?;
    let outcome = async {
        let client = portico_tests::http_client(Duration::from_secs(30)).build()?;
        let call = json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {
                "name": "get_organizations", "arguments": {},
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                },
            },
        });
        let reply = client
            .post(stack.mcp_url(0))
            .bearer_auth(&stack.token)
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "get_organizations")
            .json(&call)
            .send()
            .await?;
        anyhow::ensure!(reply.status() == 200, "{}", reply.status());
        reply.text().await?;
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    // Dropping the telemetry flushes what the batch exporter still holds.
    tokio::task::spawn_blocking(move || drop(telemetry)).await?;
    outcome?;

    let seen = receiver.0.lock().map(|s| s.clone()).unwrap_or_default();
    let names: BTreeSet<&str> = seen.iter().map(|(_, name, _)| name.as_str()).collect();
    for wanted in ["http_request", "grpc_request", "podio_request"] {
        anyhow::ensure!(
            names.contains(wanted),
            "no {wanted} span exported: {names:?}"
        );
    }
    let request_traces: BTreeSet<&Vec<u8>> = seen
        .iter()
        .filter(|(_, name, _)| name == "http_request")
        .map(|(_, _, trace)| trace)
        .collect();
    anyhow::ensure!(
        seen.iter()
            .any(|(_, name, trace)| name == "podio_request" && request_traces.contains(trace)),
        "the podio call is exported in a front door request's trace"
    );
    anyhow::ensure!(
        seen.iter()
            .all(|(service, _, _)| service.contains("portico-otlp-test")),
        "spans carry the service name: {:?}",
        seen.first()
    );
    collector.abort();
    Ok(())
}
