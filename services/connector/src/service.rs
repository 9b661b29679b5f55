//! The connector's request path, and the thin tonic adapter over it: choose
//! the credentials, validate, send with a cached token, renew the token once
//! on an expired-token 401, and turn Podio's answer into a response or an
//! error.

use std::sync::Arc;

use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::connector::v1::{Caller, PodioRequest, PodioResponse};
use reqwest::StatusCode;
use tonic::{Request, Response, Status};

use crate::client::{PodioHttp, Reply};
use crate::config::Config;
use crate::credentials::TokenManager;
use crate::errors::{ConnectorError, PodioError};
use crate::request::ApiRequest;

/// The `credential_mode` that selects the server's configured credentials.
pub const DEFAULT_CREDENTIAL_MODE: &str = "default";

/// Serves `portico.connector.v1.Connector`. Cheap to clone: state is shared.
#[derive(Debug, Clone)]
pub struct ConnectorService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: PodioHttp,
    default_tokens: Option<TokenManager>,
}

impl ConnectorService {
    /// Builds the service (HTTP client, token cache) from `config`. No network
    /// traffic happens until the first call.
    pub fn new(config: &Config) -> Result<ConnectorService, ConnectorError> {
        let http = PodioHttp::new(config)?;
        let default_tokens = config
            .default_credentials
            .clone()
            .map(|credentials| TokenManager::new(http.clone(), credentials));
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                default_tokens,
            }),
        })
    }

    /// Performs one Podio request: the logic behind the `Call` RPC.
    pub async fn perform(&self, request: PodioRequest) -> Result<PodioResponse, ConnectorError> {
        let tokens = self.tokens_for(request.caller.as_ref())?;
        let api = ApiRequest::from_proto(request)?;
        let token = tokens.current().await?;
        let mut reply = self.inner.http.send(&api, &token.value).await?;
        if reply.status == StatusCode::UNAUTHORIZED && podio_error(&reply).is_expired_token() {
            // The request was refused before Podio acted on it, so sending it
            // again is safe for every method; once, so a token Podio keeps
            // refusing ends as UNAUTHENTICATED rather than a loop.
            tracing::info!(path = %api.path, "podio token expired; renewing and retrying once");
            let token = tokens.replace(&token).await?;
            reply = self.inner.http.send(&api, &token.value).await?;
        }
        if reply.status.is_success() {
            Ok(PodioResponse {
                status: u32::from(reply.status.as_u16()),
                body_json: reply.body,
                rate_limit_limit: reply.rate_limit_limit,
                rate_limit_remaining: reply.rate_limit_remaining,
            })
        } else {
            Err(ConnectorError::Podio(podio_error(&reply)))
        }
    }

    fn tokens_for(&self, caller: Option<&Caller>) -> Result<&TokenManager, ConnectorError> {
        let mode = caller.map(|c| c.credential_mode.as_str()).unwrap_or("");
        if !(mode.is_empty() || mode == DEFAULT_CREDENTIAL_MODE) {
            return Err(ConnectorError::UnsupportedCredentialMode(mode.to_owned()));
        }
        self.inner
            .default_tokens
            .as_ref()
            .ok_or(ConnectorError::NoDefaultCredentials)
    }
}

fn podio_error(reply: &Reply) -> PodioError {
    PodioError::from_response(
        reply.status.as_u16(),
        reply.retry_after.as_deref(),
        &reply.body,
    )
}

#[tonic::async_trait]
impl Connector for ConnectorService {
    async fn call(
        &self,
        request: Request<PodioRequest>,
    ) -> Result<Response<PodioResponse>, Status> {
        self.perform(request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}
