//! A real auth server on port 0, reached through `RemoteAuth` as the front door
//! reaches it: admin metadata and error details must survive the wire.

use portico_auth::{AuthService, MemoryTokenStore};
use portico_proto::auth::v1::{CreateApiTokenRequest, IntrospectTokenRequest};
use portico_proto::auth::{TokenIntrospector as _, UpstreamRef, UpstreamTokens as _};
use portico_proto::error::ErrorCode;
use portico_proto::remote::RemoteAuth;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request};
use tonic_types::StatusExt as _;

#[tokio::test]
async fn the_served_service_answers_over_grpc() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let service = AuthService::new(
        Arc::new(MemoryTokenStore::new()),
        Some("wire-admin-secret".to_owned()),
    );
    let server = tokio::spawn(portico_auth::serve_service(
        service,
        listener,
        shutdown.clone(),
    ));
    let remote = RemoteAuth::connect_lazy(&format!("http://{addr}")).expect("client");
    let mut auth = remote.client();

    let denied = auth
        .create_api_token(Request::new(CreateApiTokenRequest {
            name: "wire".to_owned(),
            scopes: vec![],
            ..Default::default()
        }))
        .await
        .expect_err("no admin secret");
    assert_eq!(denied.code(), Code::Unauthenticated);

    let mut bad = Request::new(CreateApiTokenRequest {
        name: String::new(),
        scopes: vec![],
        ..Default::default()
    });
    bad.metadata_mut().insert(
        "authorization",
        "Bearer wire-admin-secret".parse().expect("ascii"),
    );
    let bad = auth.create_api_token(bad).await.expect_err("empty name");
    assert_eq!(bad.code(), Code::InvalidArgument);
    let details = bad.get_details_bad_request().expect("BadRequest detail");
    assert_eq!(details.field_violations[0].field, "name");

    let mut good = Request::new(CreateApiTokenRequest {
        name: "wire".to_owned(),
        scopes: vec![],
        ..Default::default()
    });
    good.metadata_mut().insert(
        "authorization",
        "Bearer wire-admin-secret".parse().expect("ascii"),
    );
    let created = auth
        .create_api_token(good)
        .await
        .expect("create")
        .into_inner();
    let answer = auth
        .introspect_token(Request::new(IntrospectTokenRequest {
            token: created.token.clone(),
        }))
        .await
        .expect("introspect")
        .into_inner();
    assert!(answer.active);

    // The plain-Rust face over the same wire.
    let seen = remote
        .introspect(&created.token)
        .await
        .expect("introspect")
        .expect("active");
    assert_eq!(seen.principal, answer.principal.expect("principal"));
    assert_eq!(seen.expires_at, None);
    assert_eq!(remote.introspect("portico_pat_nope").await, Ok(None));
    // No podio connection configured: a clear FAILED_PRECONDITION.
    let upstream = UpstreamRef::of(&seen.principal);
    let err = remote
        .upstream_token(&upstream, None)
        .await
        .expect_err("no podio account");
    assert_eq!(err.code, ErrorCode::FailedPrecondition);
    assert!(err.message.contains("PORTICO_PODIO_USERNAME"), "{err:?}");

    shutdown.cancel();
    server.await.expect("join").expect("clean shutdown");
}
