//! Logging and tracing for every Portico process, set up once in `main`.
//!
//! Logs go to stderr, as JSON (`PORTICO_LOG_FORMAT=json`, for deployments) or
//! text; the filter comes from `PORTICO_LOG` (default `info`). When the
//! standard `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans are also exported over
//! OTLP/gRPC with W3C trace context propagation.

use std::collections::HashMap;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
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
    // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and the other standard
    // OTEL_* variables) itself.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()?;
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
