//! The service over real gRPC: `serve` on port 0, with the fake auth and
//! connector served as real gRPC servers too, driven by a generated client.

mod common;

use std::sync::Arc;

use common::{FakeAuth, FakeConnector, Reply, TOKEN, fixture, with_token};
use portico_proto::auth::TokenIntrospector as _;
use portico_proto::auth::v1::auth_server::{Auth, AuthServer};
use portico_proto::auth::v1::*;
use portico_proto::connector::v1::connector_server::ConnectorServer;
use portico_proto::tools::v1::tools_client::ToolsClient;
use portico_proto::tools::v1::{CallToolRequest, ListToolsRequest};
use portico_tools::{Config, serve};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// The fake auth service on the wire: introspection only, as the tools
/// service uses it.
struct WireAuth(Arc<FakeAuth>);

#[tonic::async_trait]
impl Auth for WireAuth {
    async fn record_audit_event(
        &self,
        _: Request<RecordAuditEventRequest>,
    ) -> Result<Response<RecordAuditEventResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn list_audit_events(
        &self,
        _: Request<ListAuditEventsRequest>,
    ) -> Result<Response<ListAuditEventsResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn rekey(&self, _: Request<RekeyRequest>) -> Result<Response<RekeyResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn create_api_token(
        &self,
        _: Request<CreateApiTokenRequest>,
    ) -> Result<Response<CreateApiTokenResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn list_api_tokens(
        &self,
        _: Request<ListApiTokensRequest>,
    ) -> Result<Response<ListApiTokensResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn revoke_api_token(
        &self,
        _: Request<RevokeApiTokenRequest>,
    ) -> Result<Response<RevokeApiTokenResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn get_upstream_token(
        &self,
        _: Request<GetUpstreamTokenRequest>,
    ) -> Result<Response<GetUpstreamTokenResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn register_client(
        &self,
        _: Request<RegisterClientRequest>,
    ) -> Result<Response<RegisterClientResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn authorize(
        &self,
        _: Request<AuthorizeRequest>,
    ) -> Result<Response<NavigationResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn callback(
        &self,
        _: Request<CallbackRequest>,
    ) -> Result<Response<NavigationResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn token(&self, _: Request<TokenRequest>) -> Result<Response<TokenResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn revoke(&self, _: Request<RevokeRequest>) -> Result<Response<RevokeResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn create_o_auth_client(
        &self,
        _: Request<CreateOAuthClientRequest>,
    ) -> Result<Response<CreateOAuthClientResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn list_o_auth_clients(
        &self,
        _: Request<ListOAuthClientsRequest>,
    ) -> Result<Response<ListOAuthClientsResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn rotate_o_auth_client_secret(
        &self,
        _: Request<RotateOAuthClientSecretRequest>,
    ) -> Result<Response<RotateOAuthClientSecretResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn revoke_o_auth_client(
        &self,
        _: Request<RevokeOAuthClientRequest>,
    ) -> Result<Response<RevokeOAuthClientResponse>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn get_server_info(
        &self,
        _: Request<GetServerInfoRequest>,
    ) -> Result<Response<ServerInfo>, Status> {
        Err(Status::unimplemented("not in this fake"))
    }

    async fn introspect_token(
        &self,
        request: Request<IntrospectTokenRequest>,
    ) -> Result<Response<IntrospectTokenResponse>, Status> {
        let answer = self.0.introspect(&request.get_ref().token).await?;
        Ok(Response::new(match answer {
            Some(answer) => IntrospectTokenResponse {
                active: true,
                principal: Some(answer.principal),
                expires_at: answer.expires_at.unwrap_or(0),
            },
            None => IntrospectTokenResponse::default(),
        }))
    }
}

async fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    (listener, url)
}

#[tokio::test]
async fn serves_tools_over_grpc_until_shutdown() {
    let shutdown = CancellationToken::new();

    let (auth_listener, auth_url) = listener().await;
    let auth = Arc::new(FakeAuth::default());
    let auth_server = tokio::spawn(portico_runtime::grpc::serve(
        auth_listener,
        AuthServer::new(WireAuth(auth.clone())),
        portico_proto::FILE_DESCRIPTOR_SET,
        shutdown.clone(),
    ));

    let (connector_listener, connector_url) = listener().await;
    let connector = Arc::new(FakeConnector::default());
    connector.reply("GET /org/", Reply::Json(fixture("orgs.json")));
    let connector_server = tokio::spawn(portico_runtime::grpc::serve(
        connector_listener,
        ConnectorServer::from_arc(connector.clone()),
        portico_proto::FILE_DESCRIPTOR_SET,
        shutdown.clone(),
    ));

    let (tools_listener, tools_url) = listener().await;
    let config = Config {
        listen: tools_listener.local_addr().expect("addr"),
        auth_url,
        connector_url,
    };
    let tools_server = tokio::spawn(serve(config, tools_listener, shutdown.clone()));

    let mut client = ToolsClient::connect(tools_url).await.expect("connect");
    let tools = client
        .list_tools(with_token(ListToolsRequest {}, Some(TOKEN)))
        .await
        .expect("list")
        .into_inner()
        .tools;
    let in_process = common::Harness::new()
        .list(Some(TOKEN))
        .await
        .expect("list");
    assert_eq!(tools.len(), in_process.len());
    let response = client
        .call_tool(with_token(
            CallToolRequest {
                name: "get_organizations".to_owned(),
                arguments_json: String::new(),
            },
            Some(TOKEN),
        ))
        .await
        .expect("call")
        .into_inner();
    assert!(!response.is_error);
    assert!(
        response
            .structured_content_json
            .contains("\"org_id\":720690")
    );
    let status = client
        .list_tools(with_token(ListToolsRequest {}, None))
        .await
        .expect_err("no token");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    shutdown.cancel();
    drop(client);
    tools_server.await.expect("join").expect("clean shutdown");
    auth_server.await.expect("join").expect("clean shutdown");
    connector_server
        .await
        .expect("join")
        .expect("clean shutdown");
}
