//! OAuth clients created for a user's custom integration: the admin RPCs
//! (create, list, rotate, revoke) through the gRPC trait, their validation,
//! and the client credentials and authorization code grants against
//! podio-sim, acting as the owner.

use podio_sim::seed;
use portico_auth::AuthService;
use portico_proto::auth::OAuthEndpoints;
use portico_proto::auth::v1::auth_server::Auth;
use portico_proto::auth::v1::{
    BasicCredentials, CreateOAuthClientRequest, CreateOAuthClientResponse, ListOAuthClientsRequest,
    OAuthClientInfo, RevokeOAuthClientRequest, RotateOAuthClientSecretRequest, TokenRequest,
    TokenResponse, navigation_response::Next,
};
use portico_proto::vocab::{CredentialMode, Scope};
use tonic::{Code, Request, Status};

use crate::oauth_flow::{CLAUDE, Harness, JANE, params, query, token_json};
use crate::support::{ADMIN, admin, assert_bad_field};

const NOT_SIGNED_IN: &str = "the owner has not signed in to Portico through Podio yet: sign in once (any OAuth client) so Portico holds their Podio credential";

fn jane() -> String {
    format!("podio:{}", seed::DEMO_USER_ID)
}

async fn harness() -> Harness {
    Harness::builder().admin_secret(ADMIN).start().await
}

fn request(name: &str, grants: &[&str], redirects: &[&str]) -> CreateOAuthClientRequest {
    CreateOAuthClientRequest {
        owner_subject: jane(),
        name: name.to_owned(),
        grant_types: grants.iter().map(|g| (*g).to_owned()).collect(),
        redirect_uris: redirects.iter().map(|r| (*r).to_owned()).collect(),
        scopes: Vec::new(),
    }
}

async fn create(
    service: &AuthService,
    request: CreateOAuthClientRequest,
) -> (String, OAuthClientInfo) {
    let created: CreateOAuthClientResponse = Auth::create_o_auth_client(service, admin(request))
        .await
        .expect("create client")
        .into_inner();
    (created.client_secret, created.info.expect("info"))
}

async fn create_error(service: &AuthService, request: CreateOAuthClientRequest) -> Status {
    Auth::create_o_auth_client(service, admin(request))
        .await
        .expect_err("refused")
}

/// A client credentials request, with the secret in the Basic header or
/// the form.
async fn client_credentials(
    service: &AuthService,
    client_id: &str,
    secret: &str,
    basic: bool,
    scope: Option<&str>,
) -> TokenResponse {
    let mut pairs = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    let basic = if basic {
        BasicCredentials {
            client_id: client_id.to_owned(),
            client_secret: secret.to_owned(),
        }
    } else {
        pairs.push(("client_id", client_id));
        pairs.push(("client_secret", secret));
        BasicCredentials::default()
    };
    OAuthEndpoints::token(
        service,
        TokenRequest {
            params: params(&pairs),
            basic: Some(basic),
        },
    )
    .await
    .expect("token")
}

fn error_of(response: &TokenResponse) -> (String, String, u32) {
    let error = response.error.as_ref().expect("refused");
    (
        error.error.clone(),
        error.error_description.clone(),
        response.http_status,
    )
}

#[tokio::test]
async fn admin_rpcs_create_list_rotate_and_revoke_and_refuse_without_the_secret() {
    let h = harness().await;
    let (secret, info) = create(
        &h.service,
        request("nightly report", &["client_credentials"], &[]),
    )
    .await;
    assert!(secret.starts_with("portico_cs_"), "{secret}");
    assert!(info.client_id.starts_with("mcp-client-"), "{info:?}");
    assert_eq!(info.name, "nightly report");
    assert_eq!(info.owner_subject, jane());
    assert_eq!(info.grant_types, ["client_credentials"]);
    assert_eq!(info.scopes.len(), 2);
    assert!(secret.starts_with(&info.secret_hint) && info.secret_hint.len() < secret.len());
    assert!(info.created_at > 0 && info.revoked_at == 0);
    assert!(!format!("{info:?}").contains(&secret));

    let mut code_request = request("web app", &["authorization_code"], &[CLAUDE]);
    code_request.owner_subject = format!("podio:{}", seed::BOB_USER_ID);
    code_request.scopes = vec![Scope::PodioRead as i32];
    let (_, web) = create(&h.service, code_request).await;
    assert_eq!(web.grant_types, ["authorization_code", "refresh_token"]);
    assert_eq!(web.redirect_uris, [CLAUDE]);
    assert_eq!(web.scopes, [Scope::PodioRead as i32]);

    let list = |owner: String| {
        let service = &h.service;
        async move {
            Auth::list_o_auth_clients(
                service,
                admin(ListOAuthClientsRequest {
                    owner_subject: owner,
                }),
            )
            .await
            .expect("list")
            .into_inner()
            .clients
        }
    };
    let all = list(String::new()).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(list(jane()).await, vec![info.clone()]);
    assert_eq!(list("podio:42".to_owned()).await, Vec::new());

    let rotated = Auth::rotate_o_auth_client_secret(
        &h.service,
        admin(RotateOAuthClientSecretRequest {
            client_id: info.client_id.clone(),
        }),
    )
    .await
    .expect("rotate")
    .into_inner();
    assert!(rotated.client_secret.starts_with("portico_cs_"));
    assert_ne!(rotated.client_secret, secret);
    let rotated_info = rotated.info.expect("info");
    assert!(rotated.client_secret.starts_with(&rotated_info.secret_hint));

    let revoke = |id: String| {
        let service = &h.service;
        async move {
            Auth::revoke_o_auth_client(service, admin(RevokeOAuthClientRequest { client_id: id }))
                .await
        }
    };
    revoke(info.client_id.clone()).await.expect("revoke");
    revoke(info.client_id.clone())
        .await
        .expect("revoking twice succeeds");
    let listed = list(jane()).await;
    assert!(listed[0].revoked_at > 0, "{listed:?}");
    let status = revoke("mcp-client-00000000-0000-0000-0000-000000000000".to_owned())
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = Auth::rotate_o_auth_client_secret(
        &h.service,
        admin(RotateOAuthClientSecretRequest {
            client_id: info.client_id.clone(),
        }),
    )
    .await
    .expect_err("revoked");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");

    // Without the admin secret, or with a wrong one: refused, nothing done.
    let status = Auth::create_o_auth_client(
        &h.service,
        Request::new(request("x", &["client_credentials"], &[])),
    )
    .await
    .expect_err("no secret");
    assert_eq!(status.code(), Code::Unauthenticated);
    let mut wrong = Request::new(ListOAuthClientsRequest::default());
    wrong
        .metadata_mut()
        .insert("authorization", "Bearer nope".parse().expect("ascii"));
    let status = Auth::list_o_auth_clients(&h.service, wrong)
        .await
        .expect_err("wrong secret");
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = Auth::rotate_o_auth_client_secret(
        &h.service,
        Request::new(RotateOAuthClientSecretRequest {
            client_id: web.client_id.clone(),
        }),
    )
    .await
    .expect_err("no secret");
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = Auth::revoke_o_auth_client(
        &h.service,
        Request::new(RevokeOAuthClientRequest {
            client_id: web.client_id.clone(),
        }),
    )
    .await
    .expect_err("no secret");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(list(String::new()).await.len(), 2);
    assert_eq!(
        list(String::new()).await[0].revoked_at,
        0,
        "web app untouched"
    );
}

#[tokio::test]
async fn validation_errors_name_each_field() {
    let h = harness().await;
    let status = create_error(
        &h.service,
        CreateOAuthClientRequest {
            owner_subject: "token:1".to_owned(),
            name: "  ".to_owned(),
            grant_types: Vec::new(),
            redirect_uris: Vec::new(),
            scopes: vec![99],
        },
    )
    .await;
    assert_bad_field(&status, "owner_subject", "podio:<podio user id>");
    assert_bad_field(&status, "name", "must not be empty");
    assert_bad_field(&status, "grant_types", "must not be empty");
    assert_bad_field(&status, "scopes", "99");

    let status = create_error(&h.service, request("x", &["password"], &[])).await;
    assert_bad_field(&status, "grant_types", "password");
    let status = create_error(&h.service, request("x", &["authorization_code"], &[])).await;
    assert_bad_field(&status, "redirect_uris", "required");
    let status = create_error(
        &h.service,
        request("x", &["client_credentials"], &["https://app.example/cb"]),
    )
    .await;
    assert_bad_field(
        &status,
        "redirect_uris",
        "only used by the authorization_code",
    );
    let status = create_error(
        &h.service,
        request("x", &["authorization_code"], &["http://app.example/cb"]),
    )
    .await;
    assert_bad_field(&status, "redirect_uris", "https");
    let eleven = vec!["https://app.example/cb"; 11];
    let status = create_error(&h.service, request("x", &["authorization_code"], &eleven)).await;
    assert_bad_field(&status, "redirect_uris", "at most 10");
    let status = create_error(
        &h.service,
        request(&"n".repeat(201), &["client_credentials"], &[]),
    )
    .await;
    assert_bad_field(&status, "name", "at most 200");
    let status = Auth::list_o_auth_clients(
        &h.service,
        admin(ListOAuthClientsRequest {
            owner_subject: "bob".to_owned(),
        }),
    )
    .await
    .expect_err("bad owner");
    assert_bad_field(&status, "owner_subject", "podio:");
    let status = Auth::revoke_o_auth_client(&h.service, admin(RevokeOAuthClientRequest::default()))
        .await
        .expect_err("empty id");
    assert_bad_field(&status, "client_id", "must not be empty");

    // A dynamically registered client is not an integration client.
    let registered = h
        .register(serde_json::json!({"client_name": "dcr", "redirect_uris": [CLAUDE]}))
        .await;
    let status = Auth::revoke_o_auth_client(
        &h.service,
        admin(RevokeOAuthClientRequest {
            client_id: registered["client_id"].as_str().expect("id").to_owned(),
        }),
    )
    .await
    .expect_err("not an integration client");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn client_credentials_act_as_the_owner_once_they_signed_in() {
    let h = harness().await;
    let (secret, info) = create(
        &h.service,
        request("nightly report", &["client_credentials"], &[]),
    )
    .await;
    let id = info.client_id.clone();

    let before = client_credentials(&h.service, &id, &secret, true, None).await;
    let (error, description, status) = error_of(&before);
    assert_eq!((error.as_str(), status), ("invalid_grant", 400));
    assert_eq!(description, NOT_SIGNED_IN);

    // Jane signs in once, through any client (here ChatGPT-style default mode).
    h.tokens_for("", CLAUDE, JANE).await;

    let tokens = token_json(&client_credentials(&h.service, &id, &secret, true, None).await);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "podio:read podio:write");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    let access = tokens["access_token"].as_str().expect("at").to_owned();
    assert!(access.starts_with("portico_at_"));
    let principal = h.check_access(&access, CredentialMode::Default).await;
    assert_eq!(principal.subject, jane());
    assert_eq!(principal.display_name, "nightly report");
    assert_eq!(principal.credential_mode(), CredentialMode::Default);

    // The form works as well as Basic, and the grant is reused.
    let again = token_json(&client_credentials(&h.service, &id, &secret, false, None).await);
    let again = again["access_token"].as_str().expect("at");
    let second = h.introspect(again).await.expect("active");
    assert_eq!(second.token_id, principal.token_id);
    // A narrower scope is a grant of its own.
    let read =
        token_json(&client_credentials(&h.service, &id, &secret, true, Some("podio:read")).await);
    assert_eq!(read["scope"], "podio:read");

    let wrong = client_credentials(&h.service, &id, "portico_cs_wrong", true, None).await;
    assert_eq!(error_of(&wrong).0, "invalid_client");
    assert_eq!(wrong.http_status, 401);

    // Rotation: the old secret is refused at once, the new one works.
    let rotated = Auth::rotate_o_auth_client_secret(
        &h.service,
        admin(RotateOAuthClientSecretRequest {
            client_id: id.clone(),
        }),
    )
    .await
    .expect("rotate")
    .into_inner()
    .client_secret;
    let old = client_credentials(&h.service, &id, &secret, true, None).await;
    assert_eq!(error_of(&old).0, "invalid_client");
    let new = token_json(&client_credentials(&h.service, &id, &rotated, true, None).await);
    let new_access = new["access_token"].as_str().expect("at").to_owned();
    assert!(h.introspect(&new_access).await.is_some());

    // Revocation: every token of the client is inactive, and no more are issued.
    Auth::revoke_o_auth_client(
        &h.service,
        admin(RevokeOAuthClientRequest {
            client_id: id.clone(),
        }),
    )
    .await
    .expect("revoke");
    for token in [access.as_str(), again, new_access.as_str()] {
        assert!(h.introspect(token).await.is_none(), "{token} still active");
    }
    let after = client_credentials(&h.service, &id, &rotated, true, None).await;
    assert_eq!(error_of(&after).0, "invalid_client");

    // Other clients may not use the grant.
    let registered = h
        .register(serde_json::json!({"client_name": "dcr", "redirect_uris": [CLAUDE]}))
        .await;
    let dcr = registered["client_id"].as_str().expect("id");
    let refused = client_credentials(&h.service, dcr, "", false, None).await;
    assert_eq!(error_of(&refused).0, "unauthorized_client");
    let refused = client_credentials(&h.service, "chatgpt", "", false, None).await;
    assert_eq!(error_of(&refused).0, "unauthorized_client");
}

#[tokio::test]
async fn authorization_code_integration_clients_need_their_secret() {
    let h = harness().await;
    let (secret, info) = create(
        &h.service,
        request("web app", &["authorization_code"], &[CLAUDE]),
    )
    .await;
    let id = info.client_id;

    let code = h.code_for(&id, CLAUDE, JANE).await;
    let without = h.exchange(&id, CLAUDE, &code, None).await;
    assert_eq!(error_of(&without).0, "invalid_client");
    assert_eq!(without.http_status, 401);
    let tokens = token_json(&h.exchange(&id, CLAUDE, &code, Some(&secret)).await);
    let access = tokens["access_token"].as_str().expect("at");
    let principal = h.check_access(access, CredentialMode::Default).await;
    assert_eq!(principal.display_name, "web app");

    let refresh = tokens["refresh_token"].as_str().expect("rt");
    let no_secret = h.refresh(&id, refresh, None).await;
    assert_eq!(error_of(&no_secret).0, "invalid_client");
    let rotated = token_json(&h.refresh(&id, refresh, Some(&secret)).await);
    h.check_access(
        rotated["access_token"].as_str().expect("at"),
        CredentialMode::Default,
    )
    .await;

    // Only the owner may sign in with it: Bob is sent back with an error,
    // and nothing is kept of his sign-in.
    let back = h
        .sign_in(&id, CLAUDE, (seed::BOB_USERNAME, seed::BOB_PASSWORD))
        .await;
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert!(query(&back, "code").is_none(), "{back}");
    let bob = format!("podio:{}", seed::BOB_USER_ID);
    assert!(
        h.oauth_store
            .grants_of(&bob)
            .await
            .expect("grants")
            .is_empty()
    );

    // Not a client credentials client.
    let refused = client_credentials(&h.service, &id, &secret, true, None).await;
    assert_eq!(error_of(&refused).0, "unauthorized_client");

    // A client credentials client cannot start the code flow.
    let (_, cc) = create(&h.service, request("cc", &["client_credentials"], &[])).await;
    let nav = h.authorize(&cc.client_id, CLAUDE).await;
    match nav.next {
        Some(Next::ErrorPage(e)) => assert_eq!(e.error, "unauthorized_client"),
        other => panic!("expected an error page, got {other:?}"),
    }
}
