//! The gRPC face of [`AuthService`]: unpacks requests, checks the admin secret
//! on admin RPCs, calls the plain-Rust logic and packs the answer. No decisions
//! are made here.

use portico_proto::auth::v1::{
    ApiTokenInfo, CreateApiTokenRequest, CreateApiTokenResponse, IntrospectTokenRequest,
    IntrospectTokenResponse, ListApiTokensRequest, ListApiTokensResponse, Principal,
    RevokeApiTokenRequest, RevokeApiTokenResponse, auth_server::Auth,
};
use portico_proto::error::bearer_token;
use tonic::{Request, Response, Status};

use crate::service::AuthService;
use crate::store::ApiTokenRecord;

/// The `kind` of a principal authenticated by a personal API token.
pub const KIND_API_TOKEN: &str = "api_token";
/// The only upstream credential mode so far: the server's configured credentials.
pub const CREDENTIAL_MODE_DEFAULT: &str = "default";

#[tonic::async_trait]
impl Auth for AuthService {
    async fn create_api_token(
        &self,
        request: Request<CreateApiTokenRequest>,
    ) -> Result<Response<CreateApiTokenResponse>, Status> {
        self.authorize_admin(bearer_token(request.metadata()))?;
        let request = request.into_inner();
        let created = self.create_token(&request.name, &request.scopes).await?;
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
        let response = match self.introspect(&request.into_inner().token).await? {
            Some(record) => IntrospectTokenResponse {
                active: true,
                principal: Some(principal(record)),
                expires_at: 0,
            },
            None => IntrospectTokenResponse::default(),
        };
        Ok(Response::new(response))
    }
}

fn info(record: ApiTokenRecord) -> ApiTokenInfo {
    ApiTokenInfo {
        id: record.id,
        name: record.name,
        scopes: record.scopes,
        created_at: record.created_at,
        revoked_at: record.revoked_at.unwrap_or(0),
        token_hint: record.token_hint,
    }
}

fn principal(record: ApiTokenRecord) -> Principal {
    Principal {
        subject: format!("token:{}", record.id),
        token_id: record.id,
        kind: KIND_API_TOKEN.to_owned(),
        scopes: record.scopes,
        display_name: record.name,
        credential_mode: CREDENTIAL_MODE_DEFAULT.to_owned(),
    }
}
