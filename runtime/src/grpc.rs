//! The gRPC server scaffolding every Portico service uses, so each one serves
//! `grpc.health.v1` and server reflection the same way and shuts down the same
//! way, and the client channel settings (timeouts, keep-alive) every caller
//! uses.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint, Server};

use crate::trace::Propagate;
use tonic_health::ServingStatus;

/// How long a client waits to establish a connection to a Portico service.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Upper bound on any single internal RPC. Podio calls have their own, shorter
/// timeout inside the connector; this bounds everything else.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Errors starting or running a gRPC server or client channel.
#[derive(Debug, thiserror::Error)]
pub enum GrpcError {
    /// The server failed while serving.
    #[error("grpc server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
    /// Reflection could not be built from the embedded descriptors (a bug).
    #[error("grpc reflection setup failed: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// A configured service URL is not a valid URI.
    #[error("invalid service url {url:?}: expected e.g. http://127.0.0.1:50051")]
    InvalidUrl {
        /// The URL as configured.
        url: String,
    },
}

/// Serves `service` (a generated tonic server, e.g. `AuthServer::new(…)`)
/// plus `grpc.health.v1` and server reflection (of the encoded
/// `FileDescriptorSet` `descriptors`, e.g. the contracts crate's) on
/// `listener` until `shutdown` is cancelled. The service's health (under its
/// fully qualified name) turns NOT_SERVING as soon as shutdown begins so load
/// balancers stop sending traffic while in-flight calls finish.
pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    descriptors: &'static [u8],
    shutdown: CancellationToken,
) -> Result<(), GrpcError>
where
    S: tower::Service<http::Request<tonic::body::Body>, Error = std::convert::Infallible>
        + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Response: axum::response::IntoResponse,
    S::Future: Send + 'static,
{
    let service_name = S::NAME;
    let routes = Routes::new(service);
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(service_name, ServingStatus::Serving)
        .await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(descriptors)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    // Both reflection versions: grpcurl asks v1, while grpcio-reflection's
    // Python client (and other older ones) only know v1alpha.
    let routes = routes
        .add_service(health)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?);

    let on_shutdown = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            reporter
                .set_service_status(service_name, ServingStatus::NotServing)
                .await;
        }
    };
    // The builder's `tcp_nodelay` only applies to sockets tonic accepts itself;
    // ours come from the caller's listener, so set it here. Without it every
    // gRPC answer (headers, data and trailers in separate writes) waits on
    // Nagle's algorithm and the peer's delayed ACK: ~40 ms a hop.
    let incoming = TcpListenerStream::new(listener).map(|stream| {
        if let Ok(stream) = &stream
            && let Err(err) = stream.set_nodelay(true)
        {
            tracing::warn!(%err, "could not disable nagle on a grpc connection");
        }
        stream
    });
    Server::builder()
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        // One span per RPC, a child of the caller's when it sent a trace.
        .trace_fn(move |request| {
            let span = tracing::info_span!(
                "grpc_request",
                otel.kind = "server",
                service = service_name,
                rpc = request.uri().path(),
            );
            crate::trace::adopt(&span, request.headers());
            span
        })
        .layer(tower::layer::layer_fn(move |inner| Measure {
            inner,
            service: service_name,
        }))
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, on_shutdown)
        .await?;
    Ok(())
}

/// Latency buckets from 1 ms to about 16 s.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcCode {
    service: &'static str,
    rpc: String,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Rpc {
    service: &'static str,
    rpc: String,
}

/// Every gRPC server's metric families (one set per process, labelled by
/// the serving service).
struct ServerMetrics {
    requests: Family<RpcCode, Counter>,
    seconds: Family<Rpc, Histogram, fn() -> Histogram>,
}

static SERVER_METRICS: LazyLock<ServerMetrics> = LazyLock::new(|| ServerMetrics {
    requests: crate::metrics::register(
        "grpc_server_requests",
        "RPCs answered, by serving service, method and gRPC status code.",
        Family::default(),
    ),
    seconds: crate::metrics::register(
        "grpc_server_request_duration_seconds",
        "Time to an RPC's response head (the whole call for a unary RPC), by service and method.",
        Family::new_with_constructor(latency as fn() -> Histogram),
    ),
});

/// The name of a gRPC status code as Prometheus label value.
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Counts and times every RPC a server answers. The status comes from the
/// response head: tonic sends an error status there (a trailers-only
/// answer), so a head without one is a call that went on to succeed or, for
/// a stream, that started.
#[derive(Clone)]
struct Measure<S> {
    inner: S,
    service: &'static str,
}

impl<S, B, R> tower::Service<http::Request<B>> for Measure<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let service = self.service;
        let path = request.uri().path().to_owned();
        let started = Instant::now();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            let code = response
                .headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<i32>().ok())
                .map_or(tonic::Code::Ok, tonic::Code::from);
            // Unknown paths are a client's free text: one series for all.
            let rpc = if code == tonic::Code::Unimplemented {
                "unknown".to_owned()
            } else {
                path
            };
            let metrics = &*SERVER_METRICS;
            metrics
                .seconds
                .get_or_create(&Rpc {
                    service,
                    rpc: rpc.clone(),
                })
                .observe(started.elapsed().as_secs_f64());
            metrics
                .requests
                .get_or_create(&RpcCode {
                    service,
                    rpc,
                    code: code_name(code),
                })
                .inc();
            Ok(response)
        })
    }
}

/// A channel to another Portico service that carries the caller's trace
/// context in every request's metadata.
pub type TracedChannel = InterceptedService<Channel, Propagate>;

/// A lazily connecting channel to another Portico service. Lazy, so services
/// can start in any order; the channel reconnects by itself and multiplexes
/// every call over one HTTP/2 connection; each request carries the current
/// span's trace context.
pub fn channel(url: &str) -> Result<TracedChannel, GrpcError> {
    let endpoint = Endpoint::from_shared(url.to_owned()).map_err(|_| GrpcError::InvalidUrl {
        url: url.to_owned(),
    })?;
    let channel = endpoint
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true)
        .connect_lazy();
    Ok(InterceptedService::new(channel, Propagate))
}
