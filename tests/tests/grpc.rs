//! Every gRPC service of the microservices shape serves `grpc.health.v1`
//! (what `portico healthcheck --grpc` and Kubernetes probes use) and server
//! reflection listing its own API, so grpcurl and other tools work without
//! the .proto files.

use anyhow::Context;
use portico_tests::start_microservices;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

async fn reflected_services(url: &str) -> anyhow::Result<Vec<String>> {
    let mut client = ServerReflectionClient::new(portico_runtime::grpc::channel(url)?);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::once(request))
        .await?
        .into_inner();
    let response = stream.message().await?.context("empty reflection stream")?;
    match response.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            Ok(list.service.into_iter().map(|s| s.name).collect())
        }
        other => anyhow::bail!("unexpected reflection answer: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_services_serve_health_and_reflection() -> anyhow::Result<()> {
    let stack = start_microservices().await?;
    let outcome = async {
        anyhow::ensure!(
            stack.grpc_services.len() == 3,
            "expected three gRPC services"
        );
        for (name, url) in &stack.grpc_services {
            portico::healthcheck::grpc(url)
                .await
                .with_context(|| format!("{name} is not SERVING"))?;
            let services = reflected_services(url).await?;
            anyhow::ensure!(
                services.iter().any(|s| s == name)
                    && services.iter().any(|s| s == "grpc.health.v1.Health"),
                "{name} reflects {services:?}"
            );
        }
        // The HTTP probe of the same command, against the front door.
        portico::healthcheck::http(&format!("{}/ready", stack.frontdoors[0])).await?;
        let unreachable = portico::healthcheck::grpc("http://127.0.0.1:1").await;
        anyhow::ensure!(unreachable.is_err(), "a closed port must fail the probe");
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}
