//! The auth service's OAuth authorization server over in-memory stores, with
//! a shared Podio key (so default mode reaches Podio's sign-in), an
//! unreachable Podio API (code exchanges fail as when Podio is down), and two
//! clients registered through its own registration endpoint: a public one
//! and a confidential one. Targets write `@public@`, `@client@`, `@secret@`
//! and `@challenge@` in parameter values to reach the paths that need them.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_auth::{
    AuthService, Keyring, MemoryOAuthStore, MemoryPendingStore, MemoryTokenStore, OAuthSettings,
    PodioKey, PodioOAuth, Secret, Upstream,
};
use portico_proto::auth::OAuthEndpoints;
use portico_proto::auth::v1::{Param, RegisterClientRequest};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The server's public URL.
pub const PUBLIC_URL: &str = "https://portico.example";
/// The redirect URI both test clients registered.
pub const REDIRECT_URI: &str = "https://app.example/callback";
/// A PKCE verifier; `@challenge@` stands for its S256 challenge.
pub const VERIFIER: &str = "verifier-verifier-verifier-verifier-verifier-01";
/// Podio's API: a port nothing listens on, so Podio is unreachable at once
/// (its code exchange then fails as Podio being down does).
pub const PODIO_API_URL: &str = "http://127.0.0.1:9";
/// The client id of the shared Podio key.
pub const SHARED_PODIO_CLIENT_ID: &str = "portico-shared";

/// The OAuth endpoints and what the targets need to call them.
pub struct OAuthServer {
    runtime: tokio::runtime::Runtime,
    service: AuthService,
    public_client: String,
    client: String,
    secret: String,
}

impl OAuthServer {
    /// A fresh server (fresh stores) with its two clients registered.
    pub fn new() -> OAuthServer {
        let runtime = crate::runtime();
        let mut settings = OAuthSettings::new(PUBLIC_URL);
        settings.shared_key = Some(PodioKey {
            client_id: SHARED_PODIO_CLIENT_ID.to_owned(),
            client_secret: Secret::new("shared-secret".to_owned()),
        });
        let podio = PodioOAuth::new(PODIO_API_URL, Duration::from_secs(2)).expect("a podio client");
        let service = AuthService::new(Arc::new(MemoryTokenStore::new()), None)
            .with_upstream(Upstream::new(podio, None))
            .with_oauth(
                settings,
                Arc::new(MemoryOAuthStore::new()),
                Arc::new(MemoryPendingStore::new()),
                Keyring::generate().expect("a keyring"),
            );
        let register = |method: &str| -> Value {
            let metadata = json!({
                "client_name": format!("fuzz {method}"),
                "redirect_uris": [REDIRECT_URI],
                "token_endpoint_auth_method": method,
            });
            let answer = runtime
                .block_on(service.register_client(RegisterClientRequest {
                    metadata_json: metadata.to_string(),
                }))
                .expect("registration answers");
            assert!(answer.error.is_none(), "{:?}", answer.error);
            serde_json::from_str(&answer.client_information_json).expect("client information")
        };
        let public = register("none");
        let confidential = register("client_secret_post");
        let text = |v: &Value, key: &str| v[key].as_str().expect(key).to_owned();
        OAuthServer {
            public_client: text(&public, "client_id"),
            client: text(&confidential, "client_id"),
            secret: text(&confidential, "client_secret"),
            runtime,
            service,
        }
    }

    /// The endpoints.
    pub fn endpoints(&self) -> &AuthService {
        &self.service
    }

    /// Runs `future` to completion.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Replaces the placeholders in `text`.
    pub fn substitute(&self, text: &str) -> String {
        if !text.contains('@') {
            return text.to_owned();
        }
        text.replace("@public@", &self.public_client)
            .replace("@client@", &self.client)
            .replace("@secret@", &self.secret)
            .replace("@challenge@", &challenge(VERIFIER))
    }

    /// `params` with the placeholders of their values replaced.
    pub fn substitute_params(&self, params: Vec<Param>) -> Vec<Param> {
        params
            .into_iter()
            .map(|p| Param {
                value: self.substitute(&p.value),
                name: p.name,
            })
            .collect()
    }
}

impl Default for OAuthServer {
    fn default() -> Self {
        OAuthServer::new()
    }
}

/// The PKCE S256 challenge of `verifier`.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}
