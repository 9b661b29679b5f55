//! `portico healthcheck`: a dependency-free probe for container healthchecks
//! (the runtime image has no curl or grpcurl).

use std::time::Duration;

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Succeeds when `url` answers a GET with a 2xx status within 3 s.
pub async fn http(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().timeout(PROBE_TIMEOUT).build()?;
    let response = client.get(url).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    Ok(())
}

/// Succeeds when the gRPC server at `url` reports SERVING on `grpc.health.v1`
/// (overall server health, service name "").
pub async fn grpc(url: &str) -> anyhow::Result<()> {
    let channel = portico_runtime::grpc::channel(url)?;
    let mut client = HealthClient::new(channel);
    let response = tokio::time::timeout(
        PROBE_TIMEOUT,
        client.check(HealthCheckRequest {
            service: String::new(),
        }),
    )
    .await
    .map_err(|_| anyhow::anyhow!("{url} did not answer within {PROBE_TIMEOUT:?}"))??;
    let status = response.into_inner().status();
    anyhow::ensure!(status == ServingStatus::Serving, "{url} reports {status:?}");
    Ok(())
}
