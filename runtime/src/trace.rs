//! W3C trace context across every hop: read from what arrives (an HTTP
//! request's `traceparent`/`tracestate` headers, a gRPC request's metadata)
//! into the span that serves it, and written from the current span into
//! what leaves (gRPC metadata on every channel from [`crate::grpc::channel`],
//! the headers of an upstream HTTP call). With no OpenTelemetry layer
//! installed spans carry no context, and nothing is read or written.
//!
//! The W3C format is used directly rather than through the global
//! propagator, so propagation does not depend on how (or whether) a process
//! set that up.

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::service::Interceptor;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Makes `span` a child of the trace context in `headers`, when they carry
/// a valid one; otherwise `span` starts (or continues) its own trace.
pub fn adopt(span: &Span, headers: &HeaderMap) {
    adopt_from(span, &Headers(headers));
}

/// Makes `span` a child of the W3C trace context given as its values, as an
/// MCP request's `_meta` carries them (SEP-414: the `traceparent` and
/// `tracestate` keys, in the W3C formats). Returns whether `traceparent`
/// was a valid context; an invalid one changes nothing. Must be called
/// before `span` is first entered: a started span keeps its parent.
pub fn adopt_w3c(span: &Span, traceparent: &str, tracestate: Option<&str>) -> bool {
    adopt_from(
        span,
        &Pairs {
            traceparent,
            tracestate,
        },
    )
}

fn adopt_from(span: &Span, carrier: &dyn Extractor) -> bool {
    let context = TraceContextPropagator::new().extract(carrier);
    let valid = context.span().span_context().is_valid();
    if valid {
        let _ = span.set_parent(context);
    }
    valid
}

/// Writes the current span's trace context into `headers`.
pub fn inject(headers: &mut HeaderMap) {
    let context = Span::current().context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeadersMut(headers));
    }
}

/// The trace id of the current span (32 hex digits), when it has one: for
/// error messages and logs a person can look a request up by.
pub fn current_trace_id() -> Option<String> {
    let context = Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// A gRPC client interceptor writing the caller's trace context into each
/// request's metadata.
#[derive(Debug, Clone, Copy, Default)]
pub struct Propagate;

impl Interceptor for Propagate {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let mut headers = std::mem::take(request.metadata_mut()).into_headers();
        inject(&mut headers);
        *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers);
        Ok(request)
    }
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// The two W3C values, from wherever a protocol carries them.
struct Pairs<'a> {
    traceparent: &'a str,
    tracestate: Option<&'a str>,
}

impl Extractor for Pairs<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => Some(self.traceparent),
            "tracestate" => self.tracestate,
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        let mut keys = vec!["traceparent"];
        if self.tracestate.is_some() {
            keys.push("tracestate");
        }
        keys
    }
}

struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_trace_nothing_is_written_or_adopted() {
        let mut headers = HeaderMap::new();
        inject(&mut headers);
        assert!(headers.is_empty());
        assert_eq!(current_trace_id(), None);
        headers.insert("traceparent", HeaderValue::from_static("garbage"));
        adopt(&Span::none(), &headers);
        assert!(!adopt_w3c(&Span::none(), "garbage", None));
    }

    #[test]
    fn values_from_meta_are_read_as_w3c_trace_context() {
        let pairs = Pairs {
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            tracestate: Some("vendor=value"),
        };
        let context = TraceContextPropagator::new().extract(&pairs);
        let span = context.span();
        let span_context = span.span_context();
        assert_eq!(span_context.span_id().to_string(), "00f067aa0ba902b7");
        assert_eq!(span_context.trace_state().get("vendor"), Some("value"));
        assert!(span_context.is_remote() && span_context.is_sampled());
        assert!(adopt_w3c(
            &Span::none(),
            pairs.traceparent,
            pairs.tracestate
        ));
    }

    #[test]
    fn a_traceparent_is_read_as_w3c_trace_context() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "traceparent",
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        let context = TraceContextPropagator::new().extract(&Headers(&headers));
        let span = context.span();
        assert_eq!(
            span.span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(span.span_context().is_remote());
    }
}
