//! Upstream Podio credentials: the auth service owns every one of them and
//! hands the connector the current access token of a principal
//! (`GetUpstreamToken`), renewing it when it is about to expire or when
//! Podio refused it. Layout: `podio` is the token-endpoint client,
//! `service_account` the server's own Podio account (the service mode). The
//! per-user modes (default, direct, registered) keep their tokens encrypted
//! in the OAuth store and arrive with the authorization server.

pub mod podio;
pub mod service_account;

use portico_proto::auth::{UpstreamRef, UpstreamToken};
use portico_proto::vocab::CredentialMode;

use crate::error::AuthError;
use podio::{PodioGrantError, PodioOAuth};
use service_account::{ServiceAccount, ServiceTokens};

/// Everything the auth service knows about reaching Podio on a principal's
/// behalf.
#[derive(Debug)]
pub struct Upstream {
    pub(crate) podio: PodioOAuth,
    service: Option<ServiceTokens>,
}

impl Upstream {
    /// Upstream access through `podio`, with the server's own account when
    /// one is configured.
    pub fn new(podio: PodioOAuth, service_account: Option<ServiceAccount>) -> Upstream {
        Upstream {
            podio,
            service: service_account.map(ServiceTokens::new),
        }
    }

    /// Whether the server's own Podio account (the service mode) is set up.
    pub fn has_service_account(&self) -> bool {
        self.service.is_some()
    }

    /// The current Podio token for `upstream` (see `UpstreamTokens`).
    pub async fn token(
        &self,
        upstream: &UpstreamRef,
        rejected: Option<&str>,
    ) -> Result<UpstreamToken, AuthError> {
        match upstream.mode {
            CredentialMode::Service => {
                let service = self.service.as_ref().ok_or(AuthError::NoServiceAccount)?;
                service
                    .current(&self.podio, rejected)
                    .await
                    .map_err(AuthError::Upstream)
            }
            CredentialMode::Default | CredentialMode::Direct | CredentialMode::Registered => {
                Err(AuthError::NoUpstreamCredential(upstream.mode.name()))
            }
            CredentialMode::Unspecified => {
                Err(AuthError::invalid(crate::error::FieldViolation::new(
                    "credential_mode",
                    "credential_mode must be set: accepted are service, default, direct, registered",
                )))
            }
        }
    }
}

impl From<PodioGrantError> for AuthError {
    fn from(err: PodioGrantError) -> AuthError {
        AuthError::Upstream(err)
    }
}
