//! The gRPC face of [`AuthService`]: unpacks requests, checks the admin secret
//! on admin RPCs, calls the plain-Rust logic and packs the answer. No decisions
//! are made here.

use portico_proto::auth::v1::{
    ApiTokenInfo, AuthorizeRequest, CallbackRequest, CreateApiTokenRequest, CreateApiTokenResponse,
    GetUpstreamTokenRequest, GetUpstreamTokenResponse, IntrospectTokenRequest,
    IntrospectTokenResponse, ListApiTokensRequest, ListApiTokensResponse, NavigationResponse,
    RegisterClientRequest, RegisterClientResponse, RevokeApiTokenRequest, RevokeApiTokenResponse,
    RevokeRequest, RevokeResponse, TokenRequest, TokenResponse, auth_server::Auth,
};
use portico_proto::auth::{OAuthEndpoints, TokenIntrospector, UpstreamRef, UpstreamTokens};
use portico_proto::error::bearer_token;
use portico_proto::vocab::{Scope, scope_values};
use tonic::{Request, Response, Status};

use crate::service::AuthService;
use crate::store::ApiTokenRecord;

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
