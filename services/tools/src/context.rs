//! The per-call context every tool gets: who is calling, where progress and
//! log events go, the cancellation of the call, and what the caller passed
//! along for later hops (trace context, idempotency key), and what the
//! client can answer and has answered (`input`). One `Arc`, so cloning it
//! into a spawned task costs a reference count.

use std::sync::Arc;

use portico_proto::auth::Principal;
use portico_proto::error::ServiceError;
use portico_proto::tools::v1::{
    LogEvent, LogLevel, ProgressEvent, ToolCall, ToolCallEvent, tool_call_event::Event,
};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::ToolError;
use crate::input::{Answers, Inputs, Request};

/// Longest string (in characters) a log event carries; longer ones are cut,
/// so a huge Podio value or client string cannot flood a client's log.
pub const MAX_LOG_STRING: usize = 500;

/// Longest idempotency key accepted; a longer one is ignored (and logged).
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Longest W3C `traceparent` value accepted (the version 00 form is 55).
const MAX_TRACEPARENT: usize = 128;

/// Where a streaming call's events go: the bounded channel the stream reads.
pub(crate) type EventSender = mpsc::Sender<Result<ToolCallEvent, ServiceError>>;

/// The context of one tool call. Cheap to clone; pass it by reference.
#[derive(Clone)]
pub struct CallContext(Arc<Inner>);

struct Inner {
    tool: &'static str,
    principal: Principal,
    cancel: CancellationToken,
    events: Option<EventSender>,
    progress: bool,
    min_log_level: LogLevel,
    traceparent: Option<String>,
    idempotency_key: Option<String>,
    #[cfg_attr(not(feature = "conformance-fixtures"), allow(dead_code))]
    inputs: Inputs,
}

/// What the caller asked for, from a [`ToolCall`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Wants {
    /// Progress events.
    pub progress: bool,
    /// Log events at or above this level (UNSPECIFIED: none).
    pub min_log_level: LogLevel,
    /// The caller's trace context, checked for shape.
    pub traceparent: Option<String>,
    /// The caller's idempotency key, checked for length.
    pub idempotency_key: Option<String>,
}

impl Wants {
    /// What `call` asks for. Malformed pass-through values are dropped
    /// rather than refused: they are hints for later hops, not arguments.
    pub fn of(call: &ToolCall) -> Wants {
        Wants {
            progress: call.progress,
            min_log_level: LogLevel::try_from(call.min_log_level).unwrap_or(LogLevel::Unspecified),
            traceparent: traceparent(&call.traceparent),
            idempotency_key: idempotency_key(&call.idempotency_key),
        }
    }
}

impl CallContext {
    /// The context of a call by `principal` to `tool`, sending events (if
    /// any are wanted) to `events` and stopping when `cancel` fires.
    pub(crate) fn new(
        tool: &'static str,
        principal: Principal,
        wants: Wants,
        inputs: Inputs,
        cancel: CancellationToken,
        events: Option<EventSender>,
    ) -> CallContext {
        CallContext(Arc::new(Inner {
            inputs,
            tool,
            principal,
            cancel,
            events,
            progress: wants.progress,
            min_log_level: wants.min_log_level,
            traceparent: wants.traceparent,
            idempotency_key: wants.idempotency_key,
        }))
    }

    /// The name of the tool being called.
    pub fn tool(&self) -> &'static str {
        self.0.tool
    }

    /// Who is calling.
    pub fn principal(&self) -> &Principal {
        &self.0.principal
    }

    /// Fires when the call is cancelled (the caller went away).
    pub fn cancellation(&self) -> &CancellationToken {
        &self.0.cancel
    }

    /// The caller's W3C `traceparent`, when it sent a well-formed one.
    pub fn traceparent(&self) -> Option<&str> {
        self.0.traceparent.as_deref()
    }

    /// The caller's idempotency key, when it sent one.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.0.idempotency_key.as_deref()
    }

    /// Whether the caller listens to progress; tools may skip the work of
    /// counting when not.
    pub fn wants_progress(&self) -> bool {
        self.0.progress && self.0.events.is_some()
    }

    /// Reports that `progress` of `total` (when known) is done. A no-op
    /// unless the caller asked for progress. Callers keep `progress`
    /// non-decreasing.
    pub async fn progress(&self, progress: f64, total: Option<f64>, message: &str) {
        if !self.wants_progress() {
            return;
        }
        self.send(Event::Progress(ProgressEvent {
            progress,
            total,
            message: cap(message),
        }))
        .await;
    }

    /// Logs `message` at `level` to the caller (when it listens at that
    /// level). Never pass a secret, a token or Podio's raw data.
    pub async fn log(&self, level: LogLevel, message: &str) {
        self.log_json(level, Value::String(cap(message))).await;
    }

    /// Logs a JSON value at `level`; its strings are capped.
    pub async fn log_json(&self, level: LogLevel, data: Value) {
        if self.0.events.is_none() || !level.passes(self.0.min_log_level) {
            return;
        }
        self.send(Event::Log(LogEvent {
            level: level as i32,
            logger: self.0.tool.to_owned(),
            data_json: capped(data).to_string(),
        }))
        .await;
    }

    /// [`CallContext::log`] at debug level.
    pub async fn debug(&self, message: &str) {
        self.log(LogLevel::Debug, message).await;
    }

    async fn send(&self, event: Event) {
        let Some(events) = &self.0.events else {
            return;
        };
        // Waiting for room bounds the memory a slow reader can pin; a reader
        // that is gone means the caller left, which cancels the call.
        let event = Ok(ToolCallEvent { event: Some(event) });
        if events.send(event).await.is_err() {
            self.0.cancel.cancel();
        }
    }
}

// No Podio tool asks the client anything yet; the conformance fixtures do.
#[cfg_attr(not(feature = "conformance-fixtures"), allow(dead_code))]
impl CallContext {
    /// What the client can answer and has answered so far.
    pub fn inputs(&self) -> &Inputs {
        &self.0.inputs
    }

    /// Every answer `requests` ask of the client, or (with `?`) the end of
    /// this run with an InputRequired result asking for the missing ones;
    /// the call then comes again with them (see [`crate::input`]). Ask
    /// before changing anything: the tool runs again from the start.
    pub fn input(&self, requests: &[Request]) -> Result<Answers, ToolError> {
        self.0
            .inputs
            .ask(requests)
            .map_err(ToolError::InputRequired)
    }
}

/// Progress counted in steps that may finish concurrently (e.g. requests in
/// a `try_join!`): each [`Steps::done`] reports one more of `total`, in
/// order, so the values a client sees never decrease.
pub struct Steps<'a> {
    cx: &'a CallContext,
    total: usize,
    /// Steps done; held across the send so concurrent steps report in order.
    done: tokio::sync::Mutex<usize>,
}

impl<'a> Steps<'a> {
    /// `total` steps of the call of `cx`; reports 0 of `total` at once.
    pub async fn start(cx: &'a CallContext, total: usize, message: &str) -> Steps<'a> {
        cx.progress(0.0, Some(total as f64), message).await;
        Steps {
            cx,
            total,
            done: tokio::sync::Mutex::new(0),
        }
    }

    /// One more step is done; `message` says what comes next (or what was
    /// done).
    pub async fn done(&self, message: &str) {
        if !self.cx.wants_progress() {
            return;
        }
        let mut done = self.done.lock().await;
        *done = (*done + 1).min(self.total);
        self.cx
            .progress(*done as f64, Some(self.total as f64), message)
            .await;
    }
}

/// `text` cut to [`MAX_LOG_STRING`] characters, with an ellipsis when cut.
fn cap(text: &str) -> String {
    match text.char_indices().nth(MAX_LOG_STRING) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// `value` with every string capped by [`cap`].
fn capped(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(cap(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(capped).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (cap(&k), capped(v))).collect())
        }
        other => other,
    }
}

/// A `traceparent` kept only when it looks like one (visible ASCII, bounded):
/// it is passed on to later hops and must not smuggle anything.
fn traceparent(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let well_formed = !raw.is_empty()
        && raw.len() <= MAX_TRACEPARENT
        && raw.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    well_formed.then(|| raw.to_owned())
}

fn idempotency_key(raw: &str) -> Option<String> {
    if raw.is_empty() {
        return None;
    }
    if raw.chars().count() > MAX_IDEMPOTENCY_KEY || raw.chars().any(char::is_control) {
        tracing::info!(
            len = raw.len(),
            "ignoring an idempotency key longer than {MAX_IDEMPOTENCY_KEY} characters or with control characters"
        );
        return None;
    }
    Some(raw.to_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A context for unit tests: events on, progress wanted, debug logs.
    pub(crate) fn listening(
        capacity: usize,
    ) -> (
        CallContext,
        mpsc::Receiver<Result<ToolCallEvent, ServiceError>>,
    ) {
        let (tx, rx) = mpsc::channel(capacity);
        let wants = Wants {
            progress: true,
            min_log_level: LogLevel::Debug,
            ..Wants::default()
        };
        let cx = CallContext::new(
            "test_tool",
            Principal::default(),
            wants,
            Inputs::default(),
            CancellationToken::new(),
            Some(tx),
        );
        (cx, rx)
    }

    #[tokio::test]
    async fn events_arrive_in_order_and_only_when_asked_for() {
        let (cx, mut rx) = listening(8);
        cx.progress(0.0, Some(2.0), "start").await;
        cx.debug("looking").await;
        cx.progress(2.0, Some(2.0), "").await;
        let mut seen = Vec::new();
        drop(cx);
        while let Some(event) = rx.recv().await {
            seen.push(event.expect("ok").event.expect("event"));
        }
        assert_eq!(seen.len(), 3);
        assert!(
            matches!(&seen[0], Event::Progress(p) if p.progress == 0.0 && p.total == Some(2.0))
        );
        assert!(
            matches!(&seen[1], Event::Log(l) if l.data_json == "\"looking\"" && l.logger == "test_tool")
        );
        assert!(matches!(&seen[2], Event::Progress(p) if p.progress == 2.0));

        // Nothing asked for: nothing sent, even with a channel.
        let (tx, mut rx) = mpsc::channel(8);
        let wants = Wants {
            min_log_level: LogLevel::Warning,
            ..Wants::default()
        };
        let cx = CallContext::new(
            "t",
            Principal::default(),
            wants,
            Inputs::default(),
            CancellationToken::new(),
            Some(tx),
        );
        assert!(!cx.wants_progress());
        cx.progress(1.0, None, "x").await;
        cx.log(LogLevel::Info, "not at info").await;
        cx.log(LogLevel::Error, "but errors").await;
        drop(cx);
        let only = rx.recv().await.expect("one").expect("ok");
        assert!(matches!(only.event, Some(Event::Log(l)) if l.level == LogLevel::Error as i32));
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn a_reader_that_went_away_cancels_the_call() {
        let (cx, rx) = listening(1);
        drop(rx);
        assert!(!cx.cancellation().is_cancelled());
        cx.progress(1.0, None, "").await;
        assert!(cx.cancellation().is_cancelled());
        cx.cancellation().cancelled().await;
    }

    #[tokio::test]
    async fn concurrent_steps_report_in_order_up_to_the_total() {
        let (cx, mut rx) = listening(16);
        {
            let steps = Steps::start(&cx, 3, "begin").await;
            tokio::join!(
                steps.done("a"),
                steps.done("b"),
                steps.done("c"),
                steps.done("d")
            );
        }
        drop(cx);
        let mut values = Vec::new();
        while let Some(event) = rx.recv().await {
            if let Some(Event::Progress(p)) = event.expect("ok").event {
                assert_eq!(p.total, Some(3.0));
                values.push(p.progress);
            }
        }
        assert_eq!(values, vec![0.0, 1.0, 2.0, 3.0, 3.0]);
    }

    #[test]
    fn log_strings_are_capped() {
        let long = "é".repeat(MAX_LOG_STRING + 10);
        let cut = cap(&long);
        assert_eq!(cut.chars().count(), MAX_LOG_STRING + 1);
        assert!(cut.ends_with('…'));
        let nested = capped(serde_json::json!({"a": [long.clone()], "n": 1}));
        assert_eq!(
            nested["a"][0].as_str().expect("str").chars().count(),
            MAX_LOG_STRING + 1
        );
        assert_eq!(nested["n"], 1);
        assert_eq!(cap("short"), "short");
    }

    #[test]
    fn pass_through_values_are_checked_for_shape() {
        let call = ToolCall {
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
            idempotency_key: "key-1".to_owned(),
            min_log_level: 99,
            ..ToolCall::default()
        };
        let wants = Wants::of(&call);
        assert_eq!(
            wants.traceparent.as_deref(),
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        );
        assert_eq!(wants.idempotency_key.as_deref(), Some("key-1"));
        assert_eq!(wants.min_log_level, LogLevel::Unspecified);
        let bad = ToolCall {
            traceparent: "00-abc\r\nx-injected: 1".to_owned(),
            idempotency_key: "k".repeat(MAX_IDEMPOTENCY_KEY + 1),
            ..ToolCall::default()
        };
        let wants = Wants::of(&bad);
        assert_eq!(wants.traceparent, None);
        assert_eq!(wants.idempotency_key, None);
    }
}
