//! The connector's request path, and the thin tonic adapter over it: check
//! the caller, validate, send with the caller's Podio token (borrowed from
//! the auth service through a short cache), have it renewed once on an
//! expired-token 401, and turn Podio's answer into a response or an error.

use std::sync::Arc;

use portico_proto::auth::{UpstreamRef, UpstreamTokens};
use portico_proto::connector::v1::connector_server::Connector;
use portico_proto::connector::v1::{Caller, PodioRequest, PodioResponse};
use portico_proto::vocab::CredentialMode;
use reqwest::StatusCode;
use tonic::{Request, Response, Status};

use crate::client::{PodioHttp, Reply};
use crate::config::Config;
use crate::errors::{ConnectorError, DEFAULT_RETRY_AFTER_SECS, PodioError};
use crate::quota::{Admission, QuotaBook};
use crate::request::ApiRequest;
use crate::upstream::{CACHE_CAPACITY, UpstreamCache};

/// The credential modes a caller may name (every one but `Unspecified`);
/// which of them a principal can actually use is the auth service's call.
pub const ACCEPTED_MODES: [CredentialMode; 4] = [
    CredentialMode::Service,
    CredentialMode::Default,
    CredentialMode::Direct,
    CredentialMode::Registered,
];

/// Serves `portico.connector.v1.Connector`. Cheap to clone: state is shared.
#[derive(Debug, Clone)]
pub struct ConnectorService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: PodioHttp,
    tokens: UpstreamCache,
    quota: QuotaBook,
}

impl ConnectorService {
    /// Builds the service (HTTP client, token cache) from `config`, getting
    /// Podio tokens from `upstream` (the auth service). No network traffic
    /// happens until the first call.
    pub fn new(
        config: &Config,
        upstream: Arc<dyn UpstreamTokens>,
    ) -> Result<ConnectorService, ConnectorError> {
        let quota = QuotaBook::in_memory(config.quota_reserve);
        Self::with_quota(config, upstream, quota)
    }

    /// [`ConnectorService::new`] keeping Podio's per-credential budgets in
    /// `quota` (Redis, so every replica pauses a credential together).
    pub fn with_quota(
        config: &Config,
        upstream: Arc<dyn UpstreamTokens>,
        quota: QuotaBook,
    ) -> Result<ConnectorService, ConnectorError> {
        let http = PodioHttp::new(config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                tokens: UpstreamCache::new(upstream, CACHE_CAPACITY),
                quota,
            }),
        })
    }

    /// Performs one Podio request: the logic behind the `Call` RPC.
    pub async fn perform(&self, request: PodioRequest) -> Result<PodioResponse, ConnectorError> {
        let upstream = upstream_ref(request.caller.as_ref())?;
        let api = ApiRequest::from_proto(request)?;
        if let Admission::Wait { secs, remaining } = self.inner.quota.admit(&upstream).await {
            tracing::info!(path = %api.path, mode = upstream.mode.name(), secs, "podio credential paused before podio refuses it");
            return Err(ConnectorError::Podio(PodioError::paused(secs, remaining)));
        }
        let tokens = &self.inner.tokens;
        let token = tokens.current(&upstream).await?;
        let mut reply = self.inner.http.send(&api, &token).await?;
        if reply.status == StatusCode::UNAUTHORIZED && podio_error(&reply).is_expired_token() {
            // The request was refused before Podio acted on it, so sending it
            // again is safe for every method; once, so a token Podio keeps
            // refusing ends as UNAUTHENTICATED rather than a loop.
            tracing::info!(path = %api.path, mode = upstream.mode.name(), "podio token expired; renewing and retrying once");
            let token = tokens.replace(&upstream, &token).await?;
            reply = self.inner.http.send(&api, &token).await?;
        }
        let refused_for = matches!(reply.status.as_u16(), 420 | 429).then(|| {
            podio_error(&reply)
                .retry_after_seconds
                .unwrap_or(DEFAULT_RETRY_AFTER_SECS)
        });
        self.inner
            .quota
            .record(&upstream, reply.rate_limit_remaining, refused_for)
            .await;
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
}

/// Whose Podio token a request uses, or why the caller cannot be served.
fn upstream_ref(caller: Option<&Caller>) -> Result<UpstreamRef, ConnectorError> {
    let caller = caller.ok_or_else(|| {
        ConnectorError::InvalidRequest(
            "caller is required: every podio call is made on behalf of a principal".to_owned(),
        )
    })?;
    if caller.subject.is_empty() {
        return Err(ConnectorError::InvalidRequest(
            "caller.subject must not be empty: pass the principal's subject".to_owned(),
        ));
    }
    let mode = match CredentialMode::try_from(caller.credential_mode) {
        Ok(CredentialMode::Unspecified) => Err("must be set".to_owned()),
        Ok(mode) => Ok(mode),
        Err(_) => Err(format!("{} is not a known mode", caller.credential_mode)),
    }
    .map_err(|problem| {
        let accepted: Vec<&str> = ACCEPTED_MODES.iter().map(|m| m.name()).collect();
        ConnectorError::InvalidRequest(format!(
            "caller.credential_mode {problem}: accepted modes are {}",
            accepted.join(", ")
        ))
    })?;
    Ok(UpstreamRef {
        subject: caller.subject.clone(),
        mode,
        reference: caller.upstream_ref.clone(),
    })
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
