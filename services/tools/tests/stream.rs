//! CallToolStream over real gRPC: the tools service on a loopback port 0
//! tonic server, driven by a generated client. Progress and log events
//! arrive in order before exactly one result; a client that drops the
//! stream cancels the call, and nothing more (no write) reaches Podio.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{FakeAuth, FakeConnector, Reply, TOKEN, WRITE_ONLY, fixture, with_token};
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::connector::v1::{PodioRequest, PodioResponse};
use portico_proto::tools::ToolCalls;
use portico_proto::tools::v1::tool_call_event::Event;
use portico_proto::tools::v1::tools_client::ToolsClient;
use portico_proto::tools::v1::tools_server::ToolsServer;
use portico_proto::tools::v1::{LogLevel, ToolCall, ToolCallEvent, content_block};
use portico_tools::ToolsService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};

/// The fake connector, but a request to `GET /app/…` waits until released
/// and says (through `dropped`) when the tools service gave up on it.
struct Gate {
    inner: FakeConnector,
    reached: Notify,
    dropped: Arc<AtomicBool>,
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tonic::async_trait]
impl Connector for Gate {
    async fn call(
        &self,
        request: Request<PodioRequest>,
    ) -> Result<Response<PodioResponse>, Status> {
        if request.get_ref().method == "GET" && request.get_ref().path.starts_with("/app/") {
            self.inner
                .requests
                .lock()
                .expect("lock")
                .push(request.get_ref().clone());
            let _armed = SetOnDrop(self.dropped.clone());
            self.reached.notify_one();
            std::future::pending::<()>().await;
        }
        self.inner.call(request).await
    }
}

/// A tools server on port 0 over `connector`; its client and shutdown.
async fn start(
    connector: Arc<dyn Connector>,
) -> (
    ToolsClient<Channel>,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let service = ToolsService::new(Arc::new(FakeAuth::default()), connector);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            portico_runtime::grpc::serve(
                listener,
                ToolsServer::new(service),
                portico_proto::FILE_DESCRIPTOR_SET,
                shutdown,
            )
            .await
            .expect("serve");
        }
    });
    let client = ToolsClient::connect(url).await.expect("connect");
    (client, shutdown, server)
}

fn search_connector() -> FakeConnector {
    let connector = FakeConnector::default();
    for (route, file) in [
        ("POST /search/", "search.json"),
        ("POST /item/app/5551234/filter/", "filter.json"),
        ("POST /item/app/5551200/filter/", "filter_companies.json"),
        ("GET /item/987654321", "item.json"),
    ] {
        connector.reply(route, Reply::Json(fixture(file)));
    }
    connector
}

fn call(name: &str, arguments: &str, progress: bool, level: LogLevel) -> ToolCall {
    ToolCall {
        name: name.to_owned(),
        arguments_json: arguments.to_owned(),
        progress,
        min_log_level: level as i32,
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
        ..ToolCall::default()
    }
}

async fn collect(mut stream: tonic::Streaming<ToolCallEvent>) -> Vec<Event> {
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.expect("event") {
        events.push(event.event.expect("an event kind"));
    }
    events
}

#[tokio::test]
async fn progress_and_logs_arrive_in_order_before_exactly_one_result() {
    let (mut client, shutdown, server) = start(Arc::new(search_connector())).await;
    let stream = client
        .call_tool_stream(with_token(
            call(
                "search_globally",
                r#"{"query": "acme", "limit": 4}"#,
                true,
                LogLevel::Debug,
            ),
            Some(TOKEN),
        ))
        .await
        .expect("stream")
        .into_inner();
    let events = collect(stream).await;

    let last = events.last().expect("events");
    let Event::Result(result) = last else {
        panic!("the last event is not the result: {last:?}");
    };
    assert!(!result.is_error);
    assert!(result.structured_content_json.contains("\"fields\""));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Result(_)))
            .count(),
        1
    );
    let progress: Vec<(f64, Option<f64>)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Progress(p) => Some((p.progress, p.total)),
            _ => None,
        })
        .collect();
    assert!(progress.len() >= 3, "{progress:?}");
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress decreased: {progress:?}"
    );
    let (done, total) = progress.last().copied().expect("progress");
    assert_eq!(Some(done), total, "the last progress is the whole");
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Log(l) if l.level == LogLevel::Debug as i32 && l.logger == "search_globally")
        ),
        "a debug log event: {events:?}"
    );

    // The same call without asking: the result alone.
    let quiet = client
        .call_tool_stream(with_token(
            call(
                "search_globally",
                r#"{"query": "acme", "limit": 4}"#,
                false,
                LogLevel::Unspecified,
            ),
            Some(TOKEN),
        ))
        .await
        .expect("stream")
        .into_inner();
    let events = collect(quiet).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(&events[0], Event::Result(r) if !r.is_error));

    shutdown.cancel();
    drop(client);
    server.await.expect("join");
}

#[tokio::test]
async fn problems_with_the_call_are_statuses_before_any_event() {
    let (mut client, shutdown, server) = start(Arc::new(search_connector())).await;
    let denied = client
        .call_tool_stream(with_token(
            call(
                "search_globally",
                r#"{"query": "a"}"#,
                true,
                LogLevel::Debug,
            ),
            Some(WRITE_ONLY),
        ))
        .await
        .expect_err("denied");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let unauthenticated = client
        .call_tool_stream(with_token(
            call("get_item", "{}", true, LogLevel::Debug),
            None,
        ))
        .await
        .expect_err("no token");
    assert_eq!(unauthenticated.code(), Code::Unauthenticated);
    // A bad value is found by the tool itself: the stream ends with the
    // status and no result.
    let mut invalid = client
        .call_tool_stream(with_token(
            call("get_item", r#"{"item_id": "x"}"#, true, LogLevel::Debug),
            Some(TOKEN),
        ))
        .await
        .expect("stream")
        .into_inner();
    let status = loop {
        match invalid.message().await {
            Ok(Some(event)) => assert!(
                !matches!(event.event, Some(Event::Result(_))),
                "no result after a bad argument"
            ),
            Ok(None) => panic!("the stream ended without a status"),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("item_id"), "{}", status.message());
    shutdown.cancel();
    drop(client);
    server.await.expect("join");
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_call_before_its_write() {
    let dropped = Arc::new(AtomicBool::new(false));
    let gate = Arc::new(Gate {
        inner: FakeConnector::default(),
        reached: Notify::new(),
        dropped: dropped.clone(),
    });
    gate.inner.reply(
        "POST /item/app/5551234/",
        Reply::Json(r#"{"item_id": 1, "title": "x"}"#.to_owned()),
    );
    let (mut client, shutdown, server) = start(gate.clone()).await;
    // create_item reads the app's fields (held at the gate), then writes.
    let stream = client
        .call_tool_stream(with_token(
            call(
                "create_item",
                r#"{"app_id": 5551234, "fields": {"title": "x"}}"#,
                true,
                LogLevel::Debug,
            ),
            Some(TOKEN),
        ))
        .await
        .expect("stream")
        .into_inner();
    gate.reached.notified().await;
    drop(stream);

    // The service gives up on the pending read once the stream is gone.
    tokio::time::timeout(Duration::from_secs(10), async {
        while !dropped.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the call was not cancelled");
    let methods: Vec<String> = gate
        .inner
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(methods, vec!["GET /app/5551234"], "no write after cancel");

    shutdown.cancel();
    drop(client);
    server.await.expect("join");
}

#[tokio::test]
async fn the_in_process_trait_answers_like_the_wire() {
    let service = ToolsService::new(Arc::new(FakeAuth::default()), Arc::new(search_connector()));
    let tools = service.list_tools(TOKEN).await.expect("list");
    assert_eq!(
        tools.len(),
        portico_tools::TOOL_NAMES.len() + fixture_count()
    );
    let result = service
        .call_tool(
            TOKEN,
            call(
                "search_globally",
                r#"{"query": "acme"}"#,
                true,
                LogLevel::Debug,
            ),
        )
        .await
        .expect("call");
    assert!(!result.is_error);
    assert!(matches!(
        result.content[0].kind,
        Some(content_block::Kind::Text(_))
    ));
    let denied = service
        .call_tool(
            WRITE_ONLY,
            call(
                "search_globally",
                r#"{"query": "a"}"#,
                false,
                LogLevel::Unspecified,
            ),
        )
        .await
        .expect_err("denied");
    assert_eq!(denied.required_scope.as_deref(), Some("podio:read"));
    let events = service
        .call_tool_stream(
            TOKEN,
            call(
                "search_globally",
                r#"{"query": "acme"}"#,
                true,
                LogLevel::Debug,
            ),
        )
        .await
        .expect("stream");
    let streamed = events.result().await.expect("result");
    assert_eq!(streamed, result);
}

/// How many fixture tools this build adds.
fn fixture_count() -> usize {
    if cfg!(feature = "conformance-fixtures") {
        23
    } else {
        0
    }
}
