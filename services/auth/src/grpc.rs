//! The gRPC face of [`AuthService`]: unpacks requests, checks the admin secret
//! on admin RPCs, calls the plain-Rust logic and packs the answer. No decisions
//! are made here.

use portico_proto::auth::v1::{
    ApiTokenInfo, AuditEvent, AuthorizeRequest, CallbackRequest, CreateApiTokenRequest,
    CreateApiTokenResponse, CreateOAuthClientRequest, CreateOAuthClientResponse,
    GetServerInfoRequest, GetUpstreamTokenRequest, GetUpstreamTokenResponse,
    IntrospectTokenRequest, IntrospectTokenResponse, ListApiTokensRequest, ListApiTokensResponse,
    ListAuditEventsRequest, ListAuditEventsResponse, ListOAuthClientsRequest,
    ListOAuthClientsResponse, NavigationResponse, OAuthClientInfo, RecordAuditEventRequest,
    RecordAuditEventResponse, RegisterClientRequest, RegisterClientResponse, RekeyCount,
    RekeyRequest, RekeyResponse, RevokeApiTokenRequest, RevokeApiTokenResponse,
    RevokeOAuthClientRequest, RevokeOAuthClientResponse, RevokeRequest, RevokeResponse,
    RotateOAuthClientSecretRequest, RotateOAuthClientSecretResponse, ServerInfo, TokenRequest,
    TokenResponse, auth_server::Auth,
};
use portico_proto::auth::{OAuthEndpoints, TokenIntrospector, UpstreamRef, UpstreamTokens};
use portico_proto::error::bearer_token;
use portico_proto::vocab::{Scope, scope_values};
use tonic::{Request, Response, Status};

use crate::oauth::NewClient;
use crate::service::AuthService;
use crate::store::{ApiTokenRecord, AuditFilter, ClientRecord};

#[tonic::async_trait]
impl Auth for AuthService {
    async fn create_api_token(
        &self,
        request: Request<CreateApiTokenRequest>,
    ) -> Result<Response<CreateApiTokenResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        let request = request.into_inner();
        let created = self
            .create_limited_token(
                &request.name,
                &request.scopes,
                &request.space_ids,
                &request.org_ids,
            )
            .await?;
        Ok(Response::new(CreateApiTokenResponse {
            token: created.token.expose().to_owned(),
            info: Some(info(created.record)),
        }))
    }

    async fn record_audit_event(
        &self,
        request: Request<RecordAuditEventRequest>,
    ) -> Result<Response<RecordAuditEventResponse>, Status> {
        let token = bearer_token(request.metadata())
            .map(str::to_owned)
            .ok_or_else(|| Status::unauthenticated("missing bearer token"))?;
        let event = request.into_inner().event.unwrap_or_default();
        // Only what happened comes from the caller; who, from the token.
        let event = AuditEvent {
            action: event.action,
            target: event.target,
            outcome: event.outcome,
            trace_id: event.trace_id,
            ..AuditEvent::default()
        };
        if event.action.is_empty() {
            return Err(Status::invalid_argument(
                "event.action is required, e.g. \"tool.create_item\"",
            ));
        }
        self.record_for_token(&token, event).await?;
        Ok(Response::new(RecordAuditEventResponse {}))
    }

    async fn list_audit_events(
        &self,
        request: Request<ListAuditEventsRequest>,
    ) -> Result<Response<ListAuditEventsResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        let request = request.into_inner();
        let filter = AuditFilter {
            subject: Some(request.subject).filter(|s| !s.is_empty()),
            client_id: Some(request.client_id).filter(|s| !s.is_empty()),
            since: (request.since > 0).then_some(request.since),
            until: (request.until > 0).then_some(request.until),
            limit: request.limit,
        };
        let events = self.audit_events(&filter).await?;
        Ok(Response::new(ListAuditEventsResponse { events }))
    }

    async fn rekey(
        &self,
        request: Request<RekeyRequest>,
    ) -> Result<Response<RekeyResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        let report = self.rekey_secrets(request.into_inner().dry_run).await?;
        Ok(Response::new(RekeyResponse {
            current_key_id: report.current_key_id,
            kinds: report
                .kinds
                .into_iter()
                .map(|k| RekeyCount {
                    kind: k.kind.to_owned(),
                    examined: k.examined,
                    rewrapped: k.rewrapped,
                    already_current: k.already_current,
                    undecryptable: k.undecryptable,
                    contended: k.contended,
                })
                .collect(),
            dry_run: report.dry_run,
        }))
    }

    async fn list_api_tokens(
        &self,
        request: Request<ListApiTokensRequest>,
    ) -> Result<Response<ListApiTokensResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        let tokens = self.list_tokens().await?;
        Ok(Response::new(ListApiTokensResponse {
            tokens: tokens.into_iter().map(info).collect(),
        }))
    }

    async fn revoke_api_token(
        &self,
        request: Request<RevokeApiTokenRequest>,
    ) -> Result<Response<RevokeApiTokenResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        self.revoke_token(&request.into_inner().id).await?;
        Ok(Response::new(RevokeApiTokenResponse {}))
    }

    async fn create_o_auth_client(
        &self,
        request: Request<CreateOAuthClientRequest>,
    ) -> Result<Response<CreateOAuthClientResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        let request = request.into_inner();
        let created = self
            .create_oauth_client(&NewClient {
                owner_subject: request.owner_subject,
                name: request.name,
                grant_types: request.grant_types,
                redirect_uris: request.redirect_uris,
                scopes: request.scopes,
            })
            .await?;
        Ok(Response::new(CreateOAuthClientResponse {
            client_secret: created.secret.expose().to_owned(),
            info: Some(client_info(created.record)),
        }))
    }

    async fn list_o_auth_clients(
        &self,
        request: Request<ListOAuthClientsRequest>,
    ) -> Result<Response<ListOAuthClientsResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        let clients = self
            .list_oauth_clients(&request.into_inner().owner_subject)
            .await?;
        Ok(Response::new(ListOAuthClientsResponse {
            clients: clients.into_iter().map(client_info).collect(),
        }))
    }

    async fn rotate_o_auth_client_secret(
        &self,
        request: Request<RotateOAuthClientSecretRequest>,
    ) -> Result<Response<RotateOAuthClientSecretResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        let rotated = self
            .rotate_oauth_client_secret(&request.into_inner().client_id)
            .await?;
        Ok(Response::new(RotateOAuthClientSecretResponse {
            client_secret: rotated.secret.expose().to_owned(),
            info: Some(client_info(rotated.record)),
        }))
    }

    async fn revoke_o_auth_client(
        &self,
        request: Request<RevokeOAuthClientRequest>,
    ) -> Result<Response<RevokeOAuthClientResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        self.revoke_oauth_client(&request.into_inner().client_id)
            .await?;
        Ok(Response::new(RevokeOAuthClientResponse {}))
    }

    async fn introspect_token(
        &self,
        request: Request<IntrospectTokenRequest>,
    ) -> Result<Response<IntrospectTokenResponse>, Status> {
        let token = request.into_inner().token;
        let response = match TokenIntrospector::introspect(self, &token).await? {
            Some(found) => IntrospectTokenResponse {
                active: true,
                principal: Some(found.principal),
                expires_at: found.expires_at.unwrap_or(0),
            },
            None => IntrospectTokenResponse::default(),
        };
        Ok(Response::new(response))
    }

    async fn get_upstream_token(
        &self,
        request: Request<GetUpstreamTokenRequest>,
    ) -> Result<Response<GetUpstreamTokenResponse>, Status> {
        let request = request.into_inner();
        let upstream = UpstreamRef {
            mode: request.credential_mode(),
            subject: request.subject,
            reference: request.upstream_ref,
        };
        let rejected = Some(request.rejected_sha256.as_str()).filter(|r| !r.is_empty());
        let token = self.upstream_token(&upstream, rejected).await?;
        Ok(Response::new(GetUpstreamTokenResponse {
            access_token: token.access_token.expose().to_owned(),
            expires_at: token.expires_at,
        }))
    }

    async fn register_client(
        &self,
        request: Request<RegisterClientRequest>,
    ) -> Result<Response<RegisterClientResponse>, Status> {
        let answer = OAuthEndpoints::register_client(self, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn authorize(
        &self,
        request: Request<AuthorizeRequest>,
    ) -> Result<Response<NavigationResponse>, Status> {
        let answer = OAuthEndpoints::authorize(self, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn callback(
        &self,
        request: Request<CallbackRequest>,
    ) -> Result<Response<NavigationResponse>, Status> {
        let answer = OAuthEndpoints::callback(self, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn token(
        &self,
        request: Request<TokenRequest>,
    ) -> Result<Response<TokenResponse>, Status> {
        let answer = OAuthEndpoints::token(self, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn revoke(
        &self,
        request: Request<RevokeRequest>,
    ) -> Result<Response<RevokeResponse>, Status> {
        let answer = OAuthEndpoints::revoke(self, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn get_server_info(
        &self,
        _request: Request<GetServerInfoRequest>,
    ) -> Result<Response<ServerInfo>, Status> {
        Ok(Response::new(OAuthEndpoints::server_info(self).await?))
    }
}

fn info(record: ApiTokenRecord) -> ApiTokenInfo {
    let scopes: Vec<Scope> = record
        .scopes
        .iter()
        .filter_map(|name| Scope::parse(name).ok())
        .collect();
    ApiTokenInfo {
        id: record.id,
        name: record.name,
        scopes: scope_values(&scopes),
        created_at: record.created_at,
        revoked_at: record.revoked_at.unwrap_or(0),
        token_hint: record.token_hint,
        space_ids: record.space_ids,
        org_ids: record.org_ids,
        last_used_at: record.last_used_at.unwrap_or(0),
    }
}

fn client_info(record: ClientRecord) -> OAuthClientInfo {
    let scopes: Vec<Scope> = record
        .scopes
        .iter()
        .filter_map(|name| Scope::parse(name).ok())
        .collect();
    OAuthClientInfo {
        client_id: record.client_id,
        name: record.name,
        owner_subject: record.owner_subject.unwrap_or_default(),
        grant_types: record.grant_types,
        redirect_uris: record.redirect_uris,
        scopes: scope_values(&scopes),
        secret_hint: record.secret_hint.unwrap_or_default(),
        created_at: record.created_at,
        revoked_at: record.revoked_at.unwrap_or(0),
    }
}
