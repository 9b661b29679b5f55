//! The OAuth 2.1 authorization server: dynamic client registration, the
//! authorization code flow with PKCE through Podio's sign-in, the token
//! endpoint and revocation. Not served yet: every endpoint answers
//! `temporarily_unavailable` with a sentence saying so, so a client fails
//! clearly instead of half-way through a flow.

use portico_proto::auth::OAuthEndpoints;
use portico_proto::auth::v1::{
    AuthorizeRequest, CallbackRequest, NavigationResponse, OAuthError, RegisterClientRequest,
    RegisterClientResponse, RevokeRequest, RevokeResponse, TokenRequest, TokenResponse,
    navigation_response::Next,
};
use portico_proto::error::ServiceError;

use crate::service::AuthService;

/// HTTP 503, which OAuth clients read as "try again later".
const UNAVAILABLE_STATUS: u32 = 503;

fn not_yet() -> OAuthError {
    OAuthError {
        error: "temporarily_unavailable".to_owned(),
        error_description: "this portico server does not offer oauth sign-in yet: use a personal api token (portico admin token create)".to_owned(),
    }
}

#[async_trait::async_trait]
impl OAuthEndpoints for AuthService {
    async fn register_client(
        &self,
        _: RegisterClientRequest,
    ) -> Result<RegisterClientResponse, ServiceError> {
        Ok(RegisterClientResponse {
            error: Some(not_yet()),
            client_information_json: String::new(),
        })
    }

    async fn authorize(&self, _: AuthorizeRequest) -> Result<NavigationResponse, ServiceError> {
        Ok(NavigationResponse {
            next: Some(Next::ErrorPage(not_yet())),
            http_status: UNAVAILABLE_STATUS,
        })
    }

    async fn callback(&self, _: CallbackRequest) -> Result<NavigationResponse, ServiceError> {
        Ok(NavigationResponse {
            next: Some(Next::ErrorPage(not_yet())),
            http_status: UNAVAILABLE_STATUS,
        })
    }

    async fn token(&self, _: TokenRequest) -> Result<TokenResponse, ServiceError> {
        Ok(TokenResponse {
            error: Some(not_yet()),
            http_status: UNAVAILABLE_STATUS,
            token_json: String::new(),
        })
    }

    async fn revoke(&self, _: RevokeRequest) -> Result<RevokeResponse, ServiceError> {
        Ok(RevokeResponse {
            error: Some(not_yet()),
            http_status: UNAVAILABLE_STATUS,
        })
    }
}
