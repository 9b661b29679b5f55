//! The process's Prometheus metrics: one registry per process, which every
//! crate registers its metric families in (once, on first use), served in
//! the text exposition format at `/metrics` on a small HTTP listener of its
//! own (`PORTICO_METRICS_LISTEN`), beside the process's public or gRPC port,
//! so that scraping never goes through the public front door. The listener
//! also answers `/livez`.
//!
//! Label values must come from a closed set (a tool name from the catalog,
//! a status code, a tier name), never from a client's free text: every
//! distinct value is a time series kept for the life of the process.

use std::sync::{Mutex, OnceLock, PoisonError};

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::text::encode;
use prometheus_client::registry::{Metric, Registry};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The variable naming the metrics listener's address (`host:port`).
pub const LISTEN_VAR: &str = "PORTICO_METRICS_LISTEN";

/// The content type of the text exposition format.
const CONTENT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(Registry::with_prefix("portico")))
}

/// Registers `metric` as `portico_<name>` with `help` (a sentence), and
/// returns it (a handle sharing the registered one's values). Call once per
/// family, e.g. from a `LazyLock`.
pub fn register<M: Metric + Clone>(name: &str, help: &str, metric: M) -> M {
    // prometheus-client ends the help text with a period itself.
    let help = help.strip_suffix('.').unwrap_or(help);
    registry()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .register(name, help, metric.clone());
    metric
}

/// Every registered family in the text exposition format.
pub fn render() -> String {
    let mut text = String::new();
    let registry = registry().lock().unwrap_or_else(PoisonError::into_inner);
    if let Err(err) = encode(&mut text, &registry) {
        tracing::error!(%err, "could not encode the metrics");
    }
    text
}

/// Serves `/metrics` and `/livez` on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
    let router = Router::new()
        .route(
            "/metrics",
            get(|| async { ([(CONTENT_TYPE, CONTENT)], render()) }),
        )
        .route("/livez", get(|| async { StatusCode::OK.into_response() }));
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

#[cfg(test)]
mod tests {
    use prometheus_client::metrics::counter::Counter;

    use super::*;

    #[test]
    fn registered_metrics_are_rendered_with_the_prefix() {
        let counter = register(
            "test_things",
            "Things counted in a test.",
            Counter::<u64>::default(),
        );
        counter.inc_by(3);
        let text = render();
        assert!(text.contains("portico_test_things_total 3"), "{text}");
        assert!(
            text.contains("# HELP portico_test_things Things counted in a test.\n"),
            "{text}"
        );
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
