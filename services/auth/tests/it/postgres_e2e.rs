//! The service end to end over the Postgres store, in a schema of its own.

use std::sync::Arc;

use portico_auth::{AuthService, TokenStore};
use portico_proto::auth::v1::auth_server::Auth;
use portico_proto::auth::v1::{
    CreateApiTokenRequest, IntrospectTokenRequest, RevokeApiTokenRequest,
};
use portico_proto::vocab::Scope;
use tonic::Request;

use crate::support::{ADMIN, admin, with_pg_store};

#[tokio::test]
async fn create_introspect_revoke_through_postgres() {
    with_pg_store(|store| async move {
        let store = Arc::new(store);
        let auth: Arc<dyn Auth> = Arc::new(AuthService::new(store.clone(), Some(ADMIN.to_owned())));

        let created = auth
            .create_api_token(admin(CreateApiTokenRequest {
                name: "postgres e2e".to_owned(),
                scopes: vec![Scope::PodioWrite as i32],
                ..Default::default()
            }))
            .await
            .expect("create")
            .into_inner();
        let id = created.info.expect("info").id;

        let answer = auth
            .introspect_token(Request::new(IntrospectTokenRequest {
                token: created.token.clone(),
            }))
            .await
            .expect("introspect")
            .into_inner();
        assert!(answer.active);
        let principal = answer.principal.expect("principal");
        assert_eq!(principal.subject, format!("token:{id}"));
        assert_eq!(principal.scopes, [Scope::PodioWrite as i32]);
        assert_eq!(principal.display_name, "postgres e2e");

        let stored = store.list().await.expect("list");
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0].token_hash, created.token);
        assert!(created.token.starts_with(&stored[0].token_hint));

        auth.revoke_api_token(admin(RevokeApiTokenRequest { id }))
            .await
            .expect("revoke");
        let answer = auth
            .introspect_token(Request::new(IntrospectTokenRequest {
                token: created.token,
            }))
            .await
            .expect("introspect")
            .into_inner();
        assert!(!answer.active);
    })
    .await;
}
