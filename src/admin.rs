//! `portico admin`: operator commands against a running auth service.

use std::collections::HashMap;

use portico_proto::auth::v1 as pb;
use portico_proto::auth::v1::auth_client::AuthClient;
use portico_proto::env::Env;
use portico_proto::vocab::Scope;
use tonic::Request;
use tonic::transport::Channel;

/// Connects to the auth service named by `PORTICO_AUTH_URL` and prepares
/// requests carrying `PORTICO_ADMIN_SECRET` when one is set.
pub struct AdminClient {
    auth: AuthClient<Channel>,
    admin_secret: Option<String>,
}

impl AdminClient {
    /// A client for the auth service configured in `env`.
    pub fn from_env(env: &HashMap<String, String>) -> anyhow::Result<AdminClient> {
        let env = Env(env);
        let url = env.string_or("PORTICO_AUTH_URL", "http://127.0.0.1:50051");
        Ok(AdminClient {
            auth: portico_proto::remote::RemoteAuth::connect_lazy(&url)?.client(),
            admin_secret: env.get("PORTICO_ADMIN_SECRET").map(str::to_owned),
        })
    }

    fn request<T>(&self, message: T) -> anyhow::Result<Request<T>> {
        let mut request = Request::new(message);
        if let Some(secret) = &self.admin_secret {
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {secret}").parse()?);
        }
        Ok(request)
    }

    /// Creates a personal API token with the scopes named (e.g.
    /// `podio:read`; all when none); the plaintext is in the response only.
    pub async fn create_token(
        &self,
        name: &str,
        scopes: &[String],
    ) -> anyhow::Result<pb::CreateApiTokenResponse> {
        let scopes = scopes
            .iter()
            .map(|name| Scope::parse(name).map(|s| s as i32))
            .collect::<Result<Vec<_>, _>>()?;
        let request = self.request(pb::CreateApiTokenRequest {
            name: name.to_owned(),
            scopes,
        })?;
        Ok(self
            .auth
            .clone()
            .create_api_token(request)
            .await?
            .into_inner())
    }

    /// Lists personal API tokens (never their secrets).
    pub async fn list_tokens(&self) -> anyhow::Result<Vec<pb::ApiTokenInfo>> {
        let request = self.request(pb::ListApiTokensRequest {})?;
        Ok(self
            .auth
            .clone()
            .list_api_tokens(request)
            .await?
            .into_inner()
            .tokens)
    }

    /// Revokes a personal API token by id.
    pub async fn revoke_token(&self, id: &str) -> anyhow::Result<()> {
        let request = self.request(pb::RevokeApiTokenRequest { id: id.to_owned() })?;
        self.auth.clone().revoke_api_token(request).await?;
        Ok(())
    }
}
