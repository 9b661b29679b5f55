//! Logging and tracing for every Portico process, set up once in `main`.
//!
//! Logs go to stderr, as JSON (`PORTICO_LOG_FORMAT=json`, for deployments) or
//! text; the filter comes from `PORTICO_LOG` (default `info`). When the
//! standard `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans are also exported over
//! OTLP/gRPC with W3C trace context propagation.
//!
//! Text logs escape control characters: client-supplied strings (client and
//! tool names, arguments) reach log fields, and a newline or an ANSI escape
//! in one must not forge a log line or repaint a terminal. Each event stays
//! one line. JSON logs escape them by construction.

use std::collections::HashMap;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The environment variables every Portico process reads: logging, the
/// standard OpenTelemetry ones this module uses, and the metrics listener.
pub const VARIABLES: &[&str] = &[
    "PORTICO_LOG",
    "PORTICO_LOG_FORMAT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
    crate::metrics::LISTEN_VAR,
];

/// Keeps the trace exporter alive; dropping it flushes pending spans.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            // Flush last, after servers have drained, so the final spans of a
            // shutdown are not lost.
            if let Err(err) = provider.shutdown() {
                eprintln!("portico: flushing traces failed: {err}");
            }
        }
    }
}

/// Installs the global subscriber for a process running `service`.
pub fn init(service: &str, env: &HashMap<String, String>) -> Telemetry {
    let filter = EnvFilter::try_new(
        env.get("PORTICO_LOG")
            .map(String::as_str)
            .unwrap_or("info,h2=warn,hyper=warn,tower=warn,sqlx=warn"),
    )
    .unwrap_or_else(|err| {
        eprintln!("portico: PORTICO_LOG is not a valid filter ({err}); using \"info\"");
        EnvFilter::new("info")
    });
    let json = env
        .get("PORTICO_LOG_FORMAT")
        .is_some_and(|f| f.eq_ignore_ascii_case("json"));

    let provider = env
        .get("OTEL_EXPORTER_OTLP_ENDPOINT")
        .filter(|v| !v.trim().is_empty())
        .and_then(|_| match otlp_provider(service, env) {
            Ok(p) => Some(p),
            Err(err) => {
                eprintln!("portico: OTLP export disabled: {err}");
                None
            }
        });
    let otel_layer = provider.as_ref().map(|p| {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        opentelemetry::global::set_tracer_provider(p.clone());
        tracing_opentelemetry::layer().with_tracer(p.tracer("portico"))
    });

    let registry = tracing_subscriber::registry().with(filter).with(otel_layer);
    let result = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr),
            )
            .try_init()
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(|| EscapingWriter(std::io::stderr())),
            )
            .try_init()
    };
    if let Err(err) = result {
        eprintln!("portico: logging already initialised: {err}");
    }
    Telemetry { provider }
}

fn otlp_provider(
    service: &str,
    env: &HashMap<String, String>,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::WithExportConfig as _;
    // The endpoint comes from the map the process was configured with (so
    // a test, or a program embedding Portico, can set it without the
    // process environment); the exporter reads the other standard OTEL_*
    // variables (headers, timeout, compression) itself.
    let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_tonic();
    if let Some(endpoint) = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") {
        exporter = exporter.with_endpoint(endpoint.trim());
    }
    let exporter = exporter.build()?;
    let name = env
        .get("OTEL_SERVICE_NAME")
        .cloned()
        .unwrap_or_else(|| format!("portico-{service}"));
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(name)
                .build(),
        )
        .build())
}

/// A writer of whole text log events that escapes every control character
/// except each event's final newline (and tabs), so one event is one line.
struct EscapingWriter<W>(W);

impl<W: std::io::Write> std::io::Write for EscapingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&escape_controls(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `event` with control characters written as `\n`, `\r` or `\u{..}`; a
/// trailing newline is kept. Invalid UTF-8 is replaced, never passed on.
fn escape_controls(event: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(event);
    let (body, newline) = match text.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (&*text, ""),
    };
    if !body.chars().any(|c| c.is_control() && c != '\t') {
        return event.to_vec();
    }
    let mut out = String::with_capacity(body.len() + 16);
    for c in body.chars() {
        match c {
            '\t' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push_str(newline);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn control_characters_cannot_forge_a_line_or_paint_a_terminal() {
        let forged = "INFO client=\"evil\nERROR admin logged in\" \u{1b}[31mred\r\n";
        let escaped = String::from_utf8(escape_controls(forged.as_bytes())).expect("utf-8");
        assert_eq!(
            escaped,
            "INFO client=\"evil\\nERROR admin logged in\" \\u{1b}[31mred\\r\n"
        );
        assert_eq!(escaped.matches('\n').count(), 1);
    }

    #[test]
    fn ordinary_lines_are_untouched() {
        let line = "2026-12-02T07:00:00Z  INFO portico: listening\taddr=127.0.0.1\n";
        assert_eq!(escape_controls(line.as_bytes()), line.as_bytes());
    }
}
