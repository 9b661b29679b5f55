//! The auth service through its gRPC trait (`Arc<dyn Auth>`, as the front door
//! holds it), over the in-memory store so what was stored can be inspected.

use std::sync::Arc;

use portico_auth::{AuthService, MemoryTokenStore, TOKEN_PREFIX, TokenStore};
use portico_proto::auth::v1::auth_server::Auth;
use portico_proto::auth::v1::{
    ApiTokenInfo, CreateApiTokenRequest, CreateApiTokenResponse, IntrospectTokenRequest,
    IntrospectTokenResponse, ListApiTokensRequest, Principal, RevokeApiTokenRequest,
};
use portico_proto::vocab::{CredentialMode, Scope};
use tonic::{Code, Request};

use crate::support::{ADMIN, admin, assert_bad_field};

fn service(admin_secret: Option<&str>) -> (Arc<dyn Auth>, Arc<MemoryTokenStore>) {
    let store = Arc::new(MemoryTokenStore::new());
    let service = AuthService::new(store.clone(), admin_secret.map(str::to_owned));
    (Arc::new(service), store)
}

const READ: i32 = Scope::PodioRead as i32;
const WRITE: i32 = Scope::PodioWrite as i32;

fn create_request(name: &str, scopes: &[i32]) -> CreateApiTokenRequest {
    CreateApiTokenRequest {
        name: name.to_owned(),
        scopes: scopes.to_vec(),
        ..Default::default()
    }
}

async fn create(auth: &Arc<dyn Auth>, name: &str, scopes: &[i32]) -> CreateApiTokenResponse {
    auth.create_api_token(admin(create_request(name, scopes)))
        .await
        .expect("create token")
        .into_inner()
}

/// Every token, as the admin lists them.
async fn list(auth: &Arc<dyn Auth>) -> Vec<ApiTokenInfo> {
    auth.list_api_tokens(admin(ListApiTokensRequest {}))
        .await
        .expect("list")
        .into_inner()
        .tokens
}

async fn introspect(auth: &Arc<dyn Auth>, token: &str) -> IntrospectTokenResponse {
    // No admin secret: introspection must never need it.
    auth.introspect_token(Request::new(IntrospectTokenRequest {
        token: token.to_owned(),
    }))
    .await
    .expect("introspect")
    .into_inner()
}

#[tokio::test]
async fn created_token_introspects_to_its_principal() {
    let (auth, _) = service(Some(ADMIN));
    let created = create(&auth, "  laptop inspector ", &[READ]).await;

    let body = created.token.strip_prefix(TOKEN_PREFIX).expect("prefixed");
    assert_eq!(body.len(), 43);
    let info = created.info.expect("info");
    assert_eq!(info.name, "laptop inspector");
    assert_eq!(info.scopes, [READ]);
    assert_eq!(info.revoked_at, 0);
    assert!(info.created_at > 1_600_000_000);
    assert_eq!(info.token_hint, created.token[..16]);
    uuid::Uuid::parse_str(&info.id).expect("id is a uuid");

    let answer = introspect(&auth, &created.token).await;
    assert!(answer.active);
    assert_eq!(answer.expires_at, 0);
    assert_eq!(
        answer.principal,
        Some(Principal {
            subject: format!("token:{}", info.id),
            token_id: info.id.clone(),
            kind: "api_token".to_owned(),
            scopes: vec![READ],
            display_name: "laptop inspector".to_owned(),
            credential_mode: CredentialMode::Service as i32,
            upstream_ref: String::new(),
            space_ids: vec![],
            org_ids: vec![],
            client_id: String::new(),
        })
    );
}

#[tokio::test]
async fn scopes_default_to_read_and_write() {
    let (auth, _) = service(Some(ADMIN));
    let created = create(&auth, "all", &[]).await;
    assert_eq!(created.info.expect("info").scopes, [READ, WRITE]);
}

#[tokio::test]
async fn the_store_never_holds_the_plaintext() {
    let (auth, store) = service(Some(ADMIN));
    let created = create(&auth, "ci", &[]).await;

    let stored = store.list().await.expect("list");
    assert_eq!(stored.len(), 1);
    let record = &stored[0];
    assert_ne!(record.token_hash, created.token);
    assert_eq!(record.token_hash.len(), 64);
    assert!(created.token.starts_with(&record.token_hint));
    assert_eq!(record.token_hint.len(), 16);
    assert!(
        !format!("{record:?}").contains(&created.token),
        "the record must not contain the token"
    );
    let secret_part = &created.token[TOKEN_PREFIX.len()..];
    assert!(!format!("{record:?}").contains(secret_part));
}

#[tokio::test]
async fn listing_shows_metadata_newest_first_and_never_the_secret() {
    let (auth, _) = service(Some(ADMIN));
    let first = create(&auth, "first", &[]).await;
    let second = create(&auth, "second", &[]).await;

    let listed = list(&auth).await;
    let names: Vec<&str> = listed.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["second", "first"]);
    let dump = format!("{listed:?}");
    for token in [&first.token, &second.token] {
        assert!(!dump.contains(token.as_str()), "listing leaks a token");
        assert!(!dump.contains(&token[TOKEN_PREFIX.len()..]));
    }
}

#[tokio::test]
async fn revoked_and_unknown_tokens_are_inactive() {
    let (auth, _) = service(Some(ADMIN));
    let created = create(&auth, "to revoke", &[]).await;
    let id = created.info.expect("info").id;

    auth.revoke_api_token(admin(RevokeApiTokenRequest { id: id.clone() }))
        .await
        .expect("revoke");
    let answer = introspect(&auth, &created.token).await;
    assert!(!answer.active);
    assert_eq!(answer.principal, None);

    // Revoking again succeeds; an unknown id is NOT_FOUND.
    auth.revoke_api_token(admin(RevokeApiTokenRequest { id: id.clone() }))
        .await
        .expect("revoke twice");
    let status = auth
        .revoke_api_token(admin(RevokeApiTokenRequest {
            id: "no-such-id".to_owned(),
        }))
        .await
        .expect_err("unknown id");
    assert_eq!(status.code(), Code::NotFound);

    let listed = list(&auth).await;
    assert!(listed[0].revoked_at > 0);

    assert!(!introspect(&auth, "portico_pat_unknown").await.active);
    assert!(!introspect(&auth, "").await.active);
}

#[tokio::test]
async fn bad_names_and_scopes_are_invalid_arguments_naming_the_field() {
    let (auth, store) = service(Some(ADMIN));

    let status = auth
        .create_api_token(admin(create_request("   ", &[])))
        .await
        .expect_err("empty name");
    assert_bad_field(&status, "name", "must not be empty");

    let long = "x".repeat(201);
    let status = auth
        .create_api_token(admin(create_request(&long, &[])))
        .await
        .expect_err("long name");
    assert_bad_field(&status, "name", "at most 200");

    let status = auth
        .create_api_token(admin(create_request("ok", &[READ, 42])))
        .await
        .expect_err("unknown scope");
    assert_bad_field(&status, "scopes", "podio:read (1), podio:write (2)");
    assert!(status.message().contains("42"), "{status:?}");

    // Both wrong: both reported at once.
    let status = auth
        .create_api_token(admin(create_request("", &[0])))
        .await
        .expect_err("both wrong");
    assert_bad_field(&status, "name", "must not be empty");
    assert_bad_field(&status, "scopes", "unknown scope value 0");

    assert!(store.list().await.expect("list").is_empty());
}

#[tokio::test]
async fn admin_rpcs_require_the_admin_secret_but_introspection_does_not() {
    let (auth, _) = service(Some(ADMIN));

    let missing = auth
        .create_api_token(Request::new(create_request("x", &[])))
        .await
        .expect_err("no secret");
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert!(missing.message().contains("Bearer"), "{missing:?}");

    let mut wrong = Request::new(ListApiTokensRequest {});
    wrong.metadata_mut().insert(
        "authorization",
        "Bearer admin-secret-for-testz".parse().expect("ascii"),
    );
    let wrong = auth.list_api_tokens(wrong).await.expect_err("wrong secret");
    assert_eq!(wrong.code(), Code::Unauthenticated);
    assert!(!wrong.message().contains(ADMIN), "{wrong:?}");

    let revoke = auth
        .revoke_api_token(Request::new(RevokeApiTokenRequest { id: "x".to_owned() }))
        .await
        .expect_err("no secret");
    assert_eq!(revoke.code(), Code::Unauthenticated);

    let created = create(&auth, "with secret", &[]).await;
    auth.list_api_tokens(admin(ListApiTokensRequest {}))
        .await
        .expect("right secret");
    assert!(introspect(&auth, &created.token).await.active);
}

#[tokio::test]
async fn tokens_can_be_limited_to_workspaces_and_show_their_last_use() {
    let (auth, _) = service(Some(ADMIN));
    let mut request = create_request("sales only", &[READ]);
    request.space_ids = vec![2_501_464];
    request.org_ids = vec![720_691];
    let created = auth
        .create_api_token(admin(request))
        .await
        .expect("create")
        .into_inner();
    let info = created.info.expect("info");
    assert_eq!(
        (info.space_ids.as_slice(), info.org_ids.as_slice()),
        (&[2_501_464][..], &[720_691][..])
    );
    assert_eq!(info.last_used_at, 0);

    let principal = introspect(&auth, &created.token)
        .await
        .principal
        .expect("active");
    assert_eq!(principal.space_ids, [2_501_464]);
    assert_eq!(principal.org_ids, [720_691]);
    assert_eq!(principal.scopes, [READ]);

    let listed = list(&auth).await;
    assert!(listed[0].last_used_at > 1_600_000_000, "{listed:?}");

    let mut bad = create_request("bad", &[]);
    bad.space_ids = vec![-1];
    bad.org_ids = vec![1; 101];
    let status = auth
        .create_api_token(admin(bad))
        .await
        .expect_err("bad limits");
    assert_bad_field(&status, "space_ids", "positive");
    assert_bad_field(&status, "org_ids", "at most 100");
}

#[tokio::test]
async fn without_an_admin_secret_admin_rpcs_are_refused() {
    let (auth, store) = service(None);
    for status in [
        auth.create_api_token(admin(create_request("x", &[])))
            .await
            .expect_err("closed"),
        auth.list_api_tokens(Request::new(ListApiTokensRequest {}))
            .await
            .expect_err("closed"),
        auth.revoke_api_token(Request::new(RevokeApiTokenRequest { id: "x".to_owned() }))
            .await
            .expect_err("closed"),
    ] {
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert!(
            status.message().contains("PORTICO_ADMIN_SECRET"),
            "{status:?}"
        );
    }
    assert!(store.list().await.expect("list").is_empty());
    // In-process callers (portico dev) still mint tokens, and introspection
    // never needs the secret.
    let service = AuthService::new(store.clone(), None);
    let created = service.create_token("dev", &[]).await.expect("in process");
    assert!(introspect(&auth, created.token.expose()).await.active);
}

#[tokio::test]
async fn registered_tokens_are_valid_and_short_ones_are_rejected() {
    let store = Arc::new(MemoryTokenStore::new());
    let service = AuthService::new(store.clone(), None);

    let record = service
        .register_api_token("dev", "dev-token-0123456789", &[])
        .await
        .expect("register");
    assert_eq!(record.scopes, ["podio:read", "podio:write"]);
    assert_eq!(
        portico_auth::principal_of(&record).credential_mode(),
        CredentialMode::Service
    );
    assert_eq!(record.token_hint, "dev-token-012345");
    assert_ne!(record.token_hash, "dev-token-0123456789");

    let auth: Arc<dyn Auth> = Arc::new(service.clone());
    let answer = introspect(&auth, "dev-token-0123456789").await;
    assert_eq!(
        answer.principal.map(|p| p.subject),
        Some(format!("token:{}", record.id))
    );

    let short = service
        .register_api_token("dev", "short", &[])
        .await
        .expect_err("too short");
    assert!(short.to_string().contains("at least 16"), "{short}");
    let spaced = service
        .register_api_token("dev", "has spaces but is long", &[])
        .await
        .expect_err("spaces");
    assert!(spaced.to_string().contains("no spaces"), "{spaced}");
    let again = service
        .register_api_token("dev again", "dev-token-0123456789", &[])
        .await
        .expect_err("already registered");
    assert!(
        matches!(again, portico_auth::AuthError::AlreadyExists),
        "{again:?}"
    );

    assert_eq!(store.list().await.expect("list").len(), 1);
}
