//! A reply to one MCP request: one outcome at once, or a stream of
//! notifications (progress, log messages) ending with the outcome; and how
//! either is framed for the client's `Accept`, as `application/json` or as
//! a `text/event-stream` scoped to the request.
//!
//! A stream commits to HTTP 200 only when its first notification arrives:
//! if the outcome comes first, the reply is framed exactly like a single
//! one, so HTTP-level refusals (403 with a step-up challenge, 503) keep
//! their status. Dropping the response body (the client closed the stream)
//! drops the work in progress, which is the 2026-07-28 cancellation rule.

use std::future::Future;
use std::pin::Pin;

use axum::body::{Body, Bytes};
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, BoxStream, StreamExt};
use portico_proto::tools::v1::ClientCapabilities;
use rmcp::model::{ErrorData, RequestId};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::mcp::McpError;
use crate::mcp::jsonrpc::{notification, success};
use crate::mcp::protocol::{SESSION_HEADER, meta};

/// What a request produced: its result, or why it failed.
pub(crate) type Outcome = Result<Value, McpError>;

/// One item of a reply stream.
pub(crate) enum Event {
    /// A notification related to the request, sent before its outcome.
    Notification(Value),
    /// The outcome; nothing follows it.
    Done(Outcome),
}

enum Content {
    Single(Outcome),
    Stream(BoxStream<'static, Event>),
}

/// A reply before it is framed for HTTP.
pub(crate) struct Reply {
    content: Content,
    /// Set by a legacy `initialize`.
    session_id: Option<String>,
}

impl Reply {
    /// A reply that is one outcome.
    pub(crate) fn single(outcome: Outcome) -> Reply {
        Reply {
            content: Content::Single(outcome),
            session_id: None,
        }
    }

    /// A reply that runs `work`, streaming whatever it sends through its
    /// [`Notifier`] before its outcome.
    pub(crate) fn streamed<F, Fut>(context: &CallContext, work: F) -> Reply
    where
        F: FnOnce(Notifier) -> Fut,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        // A small buffer: a tool that outpaces the client waits for it.
        let (tx, rx) = mpsc::channel(16);
        let notifier = Notifier {
            tx,
            level: context.log_level,
            progress_token: context.progress_token.clone(),
        };
        let work: Pin<Box<dyn Future<Output = Outcome> + Send>> = Box::pin(work(notifier));
        let events = stream::unfold(Stage::Running(work, rx), |stage| async move {
            match stage {
                Stage::Running(mut work, mut rx) => {
                    tokio::select! {
                        // Notifications first, so none is overtaken by the outcome.
                        biased;
                        Some(message) = rx.recv() => {
                            Some((Event::Notification(message), Stage::Running(work, rx)))
                        }
                        outcome = &mut work => Some(drain(rx, outcome)),
                    }
                }
                Stage::Draining(rx, outcome) => Some(drain(rx, outcome)),
                Stage::Finished => None,
            }
        });
        Reply {
            content: Content::Stream(events.boxed()),
            session_id: None,
        }
    }

    /// The same reply with `Mcp-Session-Id` set on the response.
    pub(crate) fn with_session(mut self, session_id: String) -> Reply {
        self.session_id = Some(session_id);
        self
    }

    /// The same reply with `f` applied to its result (not to errors).
    pub(crate) fn map_result(self, f: impl Fn(Value) -> Value + Send + 'static) -> Reply {
        let content = match self.content {
            Content::Single(outcome) => Content::Single(outcome.map(f)),
            Content::Stream(events) => Content::Stream(
                events
                    .map(move |event| match event {
                        Event::Done(outcome) => Event::Done(outcome.map(&f)),
                        other => other,
                    })
                    .boxed(),
            ),
        };
        Reply { content, ..self }
    }

    /// Frames the reply to request `id` for what the client accepts.
    pub(crate) async fn into_response(self, id: RequestId, accept: Accept) -> Response {
        let mut response = match self.content {
            Content::Single(outcome) => single(id, outcome, accept),
            Content::Stream(mut events) => match events.next().await {
                Some(Event::Done(outcome)) => single(id, outcome, accept),
                Some(Event::Notification(first)) if accept.event_stream => {
                    event_stream(id, first, events)
                }
                // A client that takes JSON only gets the outcome alone.
                Some(Event::Notification(_)) => {
                    let outcome = loop {
                        match events.next().await {
                            Some(Event::Done(outcome)) => break outcome,
                            Some(Event::Notification(_)) => {}
                            None => break Err(ended_early(&id)),
                        }
                    };
                    single(id, outcome, accept)
                }
                None => {
                    let outcome = Err(ended_early(&id));
                    single(id, outcome, accept)
                }
            },
        };
        if let Some(value) = self
            .session_id
            .and_then(|id| HeaderValue::from_str(&id).ok())
        {
            response.headers_mut().insert(SESSION_HEADER, value);
        }
        response
    }
}

enum Stage {
    Running(
        Pin<Box<dyn Future<Output = Outcome> + Send>>,
        mpsc::Receiver<Value>,
    ),
    Draining(mpsc::Receiver<Value>, Outcome),
    Finished,
}

/// After the work finished: what it sent and nobody read yet, then the outcome.
fn drain(mut rx: mpsc::Receiver<Value>, outcome: Outcome) -> (Event, Stage) {
    match rx.try_recv() {
        Ok(message) => (Event::Notification(message), Stage::Draining(rx, outcome)),
        Err(_) => (Event::Done(outcome), Stage::Finished),
    }
}

fn ended_early(id: &RequestId) -> McpError {
    crate::mcp::jsonrpc::RpcError::internal(id.clone(), &crate::trace::request_id()).into()
}

/// One outcome: JSON when the client takes it, else a one-event stream.
/// Errors are always JSON: their HTTP status is part of the answer.
fn single(id: RequestId, outcome: Outcome, accept: Accept) -> Response {
    match outcome {
        Ok(result) if !accept.json => {
            let message = success(id, result);
            sse_response(stream::iter([Ok::<_, std::convert::Infallible>(
                sse_event(&message),
            )]))
        }
        Ok(result) => {
            let mut response = success(id, result).to_string().into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(err) => err.into_response(),
    }
}

fn event_stream(id: RequestId, first: Value, rest: BoxStream<'static, Event>) -> Response {
    let rest = rest
        .scan(false, move |done, event| {
            if *done {
                return std::future::ready(None);
            }
            let message = match event {
                Event::Notification(message) => message,
                Event::Done(outcome) => {
                    *done = true;
                    in_stream(id.clone(), outcome)
                }
            };
            std::future::ready(Some(message))
        })
        .map(|message| Ok::<_, std::convert::Infallible>(sse_event(&message)));
    let first = stream::iter([Ok(sse_event(&first))]);
    sse_response(first.chain(rest))
}

/// The outcome as the stream's last message. The status line has been sent,
/// so an HTTP-level refusal becomes a JSON-RPC error.
fn in_stream(id: RequestId, outcome: Outcome) -> Value {
    match outcome {
        Ok(result) => success(id, result),
        Err(McpError::Rpc(err)) => err.into_message(),
        Err(McpError::Http(err)) => crate::mcp::jsonrpc::RpcError::new(
            StatusCode::OK,
            Some(id),
            ErrorData::internal_error(err.to_string(), None),
        )
        .into_message(),
    }
}

fn sse_event(message: &Value) -> Bytes {
    Bytes::from(format!("event: message\ndata: {message}\n\n"))
}

fn sse_response<S>(events: S) -> Response
where
    S: futures::Stream<Item = Result<Bytes, std::convert::Infallible>> + Send + 'static,
{
    let mut response = Response::new(Body::from_stream(events));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Reverse proxies must not hold events back (both revisions advise it).
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// Which reply framings the client's `Accept` allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Accept {
    pub(crate) json: bool,
    pub(crate) event_stream: bool,
}

impl Accept {
    /// Reads `Accept`; absent allows anything.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Accept {
        let mut values = headers.get_all(ACCEPT).iter().peekable();
        if values.peek().is_none() {
            return Accept {
                json: true,
                event_stream: true,
            };
        }
        let mut accept = Accept {
            json: false,
            event_stream: false,
        };
        for range in values
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            if refused {
                continue;
            }
            match media.as_str() {
                "application/json" | "application/*" => accept.json = true,
                "text/event-stream" | "text/*" => accept.event_stream = true,
                "*/*" => {
                    accept.json = true;
                    accept.event_stream = true;
                }
                _ => {}
            }
        }
        accept
    }

    /// Whether any framing is left.
    pub(crate) fn any(self) -> bool {
        self.json || self.event_stream
    }
}

/// Log levels (RFC 5424 severities), least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LogLevel {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl LogLevel {
    const ALL: [LogLevel; 8] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Notice,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
        LogLevel::Alert,
        LogLevel::Emergency,
    ];

    /// The wire name, e.g. `"warning"`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }

    /// Parses a wire name (exact, lowercase as the spec spells them).
    pub(crate) fn parse(name: &str) -> Option<LogLevel> {
        LogLevel::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// The accepted names, for error messages.
    pub(crate) fn names() -> String {
        LogLevel::ALL.map(LogLevel::as_str).join(", ")
    }
}

/// What a call may stream back, decided per request: the log level (from
/// the 2026-07-28 request's `_meta`, or the legacy session's
/// `logging/setLevel`) and the client's progress token; and what the client
/// can be asked mid-call (its declared capabilities) and how.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallContext {
    pub(crate) log_level: Option<LogLevel>,
    pub(crate) progress_token: Option<Value>,
    /// What the client declared it can answer.
    pub(crate) capabilities: ClientCapabilities,
    /// How the client is asked something mid-call.
    pub(crate) ask_via: AskVia,
}

/// How a call asks its client for input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum AskVia {
    /// 2026-07-28: an `InputRequiredResult`, answered by a retry.
    #[default]
    InputRequiredResult,
    /// The handshake revisions: requests on the response stream.
    ResponseStream,
    /// A handshake-revision client that takes no event stream: not at all.
    Nowhere,
}

impl CallContext {
    /// The context of a request with `params` and the generation's log level.
    pub(crate) fn new(log_level: Option<LogLevel>, params: Option<&Value>) -> CallContext {
        let progress_token = params
            .and_then(|p| p.get("_meta"))
            .and_then(|m| m.get(meta::PROGRESS_TOKEN))
            .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
            .cloned();
        CallContext {
            log_level,
            progress_token,
            ..CallContext::default()
        }
    }

    /// Whether the client asked for anything a stream could carry, or may
    /// be asked something on it.
    pub(crate) fn wants_events(&self) -> bool {
        self.log_level.is_some()
            || self.progress_token.is_some()
            || (self.ask_via == AskVia::ResponseStream
                && crate::mcp::input::can_answer(&self.capabilities))
    }
}

/// Sends a call's notifications onto its reply stream. Without a progress
/// token no progress is sent, and without a log level (or below it) no log
/// message is: the client opts in to each.
pub(crate) struct Notifier {
    tx: mpsc::Sender<Value>,
    level: Option<LogLevel>,
    progress_token: Option<Value>,
}

impl Notifier {
    /// `notifications/progress`, if the client sent a progress token.
    pub(crate) async fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.progress_token else {
            return;
        };
        let mut params = json!({"progressToken": token, "progress": progress});
        if let Some(total) = total {
            params["total"] = json!(total);
        }
        if let Some(message) = message {
            params["message"] = json!(message);
        }
        // A closed stream means the client went away; the work is dropped next.
        let _ = self
            .tx
            .send(notification("notifications/progress", params))
            .await;
    }

    /// A request to the client (`id` is the server's), related to the call
    /// the stream answers; always sent.
    pub(crate) async fn request(&self, id: &str, method: &str, params: Value) {
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let _ = self.tx.send(message).await;
    }

    /// `notifications/message`, if at or above the client's level.
    pub(crate) async fn log(&self, level: LogLevel, logger: &str, data: Value) {
        if self.level.is_none_or(|min| level < min) {
            return;
        }
        let params = json!({"level": level.as_str(), "logger": logger, "data": data});
        let _ = self
            .tx
            .send(notification("notifications/message", params))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Accept {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(ACCEPT, v);
        }
        Accept::from_headers(&headers)
    }

    #[test]
    fn accept_header_chooses_the_framing() {
        assert!(Accept::from_headers(&HeaderMap::new()).json);
        let both = accept("application/json, text/event-stream");
        assert!(both.json && both.event_stream);
        assert!(accept("*/*").event_stream);
        assert!(accept("Application/JSON;q=0.5").json);
        let sse = accept("text/event-stream");
        assert!(!sse.json && sse.event_stream);
        assert!(!accept("application/json;q=0").any());
        assert!(!accept("text/html").any());
    }

    #[test]
    fn log_levels_order_by_severity() {
        assert!(LogLevel::Debug < LogLevel::Emergency);
        assert_eq!(LogLevel::parse("warning"), Some(LogLevel::Warning));
        assert_eq!(LogLevel::parse("WARNING"), None);
        assert!(LogLevel::names().starts_with("debug, info"));
    }

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn both() -> Accept {
        Accept {
            json: true,
            event_stream: true,
        }
    }

    #[tokio::test]
    async fn a_stream_delivers_notifications_in_order_then_the_result() {
        let context = CallContext {
            log_level: Some(LogLevel::Info),
            progress_token: Some(json!("p1")),
            ..CallContext::default()
        };
        let reply = Reply::streamed(&context, |notifier| async move {
            notifier.progress(0.0, Some(100.0), None).await;
            notifier
                .log(LogLevel::Debug, "test", json!("dropped"))
                .await;
            notifier.log(LogLevel::Warning, "test", json!("kept")).await;
            notifier.progress(100.0, Some(100.0), Some("done")).await;
            Ok(json!({"ok": true}))
        });
        let response = reply.into_response(RequestId::Number(7), both()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        assert_eq!(
            response
                .headers()
                .get("x-accel-buffering")
                .and_then(|v| v.to_str().ok()),
            Some("no")
        );
        let text = body_text(response).await;
        let messages: Vec<Value> = text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect();
        assert_eq!(messages.len(), 4, "{text}");
        assert_eq!(messages[0]["params"]["progress"], 0.0);
        assert_eq!(messages[0]["params"]["progressToken"], "p1");
        assert_eq!(messages[1]["method"], "notifications/message");
        assert_eq!(messages[1]["params"]["data"], "kept");
        assert_eq!(messages[2]["params"]["message"], "done");
        assert_eq!(
            messages[3],
            json!({"jsonrpc": "2.0", "id": 7, "result": {"ok": true}})
        );
    }

    #[tokio::test]
    async fn without_opt_in_nothing_is_streamed_and_json_is_sent() {
        let reply = Reply::streamed(&CallContext::default(), |notifier| async move {
            notifier.progress(1.0, None, None).await;
            notifier.log(LogLevel::Emergency, "test", json!("x")).await;
            Ok(json!({}))
        });
        let response = reply.into_response(RequestId::Number(1), both()).await;
        assert_eq!(
            response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        assert_eq!(
            body_text(response).await,
            r#"{"id":1,"jsonrpc":"2.0","result":{}}"#
        );
    }

    #[tokio::test]
    async fn a_json_only_client_gets_the_outcome_of_a_stream() {
        let context = CallContext {
            log_level: Some(LogLevel::Debug),
            progress_token: None,
            ..CallContext::default()
        };
        let reply = Reply::streamed(&context, |notifier| async move {
            notifier.log(LogLevel::Info, "test", json!("x")).await;
            Ok(json!({"n": 1}))
        });
        let accept = Accept {
            json: true,
            event_stream: false,
        };
        let response = reply.into_response(RequestId::Number(2), accept).await;
        let body: Value = serde_json::from_str(&body_text(response).await).unwrap_or_default();
        assert_eq!(body["result"]["n"], 1);
    }

    #[tokio::test]
    async fn an_sse_only_client_gets_a_single_result_as_one_event() {
        let accept = Accept {
            json: false,
            event_stream: true,
        };
        let response = Reply::single(Ok(json!({})))
            .into_response(RequestId::Number(3), accept)
            .await;
        assert_eq!(
            body_text(response).await,
            "event: message\ndata: {\"id\":3,\"jsonrpc\":\"2.0\",\"result\":{}}\n\n"
        );
    }
}
