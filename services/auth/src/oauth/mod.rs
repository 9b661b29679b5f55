//! The OAuth 2.1 authorization server: dynamic client registration
//! (`register`), the authorization code flow with PKCE through Podio's
//! sign-in (`authorize`: authorize and callback), the token endpoint and
//! revocation (`token`), and what its tokens stand for afterwards (`access`:
//! introspection of `portico_at_` tokens and the per-user Podio tokens).
//! Integration clients, which users create for their own back ends through
//! the admin RPCs, live in `clients`; their client credentials grant act as
//! their owner with the owner's Podio credential. `rekey` re-encrypts the
//! stored Podio secrets under the current key, so old keys can be retired.
//!
//! Without [`AuthService::with_oauth`] every endpoint answers
//! `temporarily_unavailable` with a sentence saying so, so a client fails
//! clearly instead of half-way through a flow.
//!
//! # Which credential mode a `client_id` selects
//!
//! At `/oauth/authorize`:
//! - a client registered here (`mcp-client-…`): **registered** mode when it
//!   brought a Podio key, else **default**; its redirect URI must be one it
//!   registered (exactly; loopback ones on any port).
//! - an `mcp-client-…` id not known here: an error page (`invalid_client`,
//!   register again), never a redirect.
//! - a URL naming a Client ID Metadata Document (`https://…`, or loopback
//!   `http://` with [`OAuthSettings::client_metadata`]'s
//!   `allow_loopback_http`): the document is fetched
//!   ([`crate::client_metadata`]); a failed fetch or an invalid document is an
//!   error page (`invalid_client`, saying why), never a redirect. The
//!   redirect URI must be one of the document's `redirect_uris` (exactly;
//!   loopback ones on any port). Such a client is public (no secret, PKCE)
//!   and gets **default** mode; its grant keeps its client_id, so only it
//!   can redeem the code and refresh, and its `client_name` names it.
//! - anything else is not ours, and its redirect URI must be on the default
//!   allowlist ([`OAuthSettings::redirect_allowlist`]). It selects **direct**
//!   mode (the id is the user's own Podio client_id, whose secret arrives
//!   at `/oauth/token`) when it looks like a Podio client id (2 to 64 of
//!   `a-z`, `0-9`, `-`) and is not one of the placeholder ids
//!   ([`OAuthSettings::default_mode_client_ids`]); otherwise (blank, a
//!   placeholder, anything else) **default** mode, with the server's shared
//!   Podio key.

mod access;
mod authorize;
mod clients;
mod register;
mod rekey;
mod token;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use portico_proto::auth::OAuthEndpoints;
use portico_proto::auth::v1::{
    AuthorizeRequest, CallbackRequest, NavigationResponse, OAuthError, Param,
    RegisterClientRequest, RegisterClientResponse, RevokeRequest, RevokeResponse, ServerInfo,
    TokenRequest, TokenResponse, navigation_response::Next,
};
use portico_proto::error::ServiceError;
use portico_proto::vocab::CredentialMode;
use portico_runtime::env::{ConfigError, Env};
use portico_runtime::secret::Secret;

use crate::client_metadata::{ClientMetadataFetcher, FetchPolicy, MetadataError};
use crate::crypto::Keyring;
use crate::error::AuthError;
use crate::service::AuthService;
use crate::store::{OAuthStore, PendingStore};
use crate::upstream::Upstream;
use crate::upstream::podio::PodioKey;

pub(crate) use access::{introspect_oauth, upstream_token};
pub use clients::{
    AUTHORIZATION_CODE, CLIENT_CREDENTIALS, CreatedClient, NewClient, REFRESH_TOKEN,
};
pub use rekey::{
    CLIENT_PODIO_SECRET, RekeyCounts, RekeyReport, UPSTREAM_ACCESS_TOKEN, UPSTREAM_PODIO_SECRET,
    UPSTREAM_REFRESH_TOKEN,
};

/// The server's public base URL (issuer and base of every endpoint).
pub const PUBLIC_URL_VAR: &str = "PORTICO_PUBLIC_URL";
/// [`PUBLIC_URL_VAR`] unless set.
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";
/// Podio's authorize page.
pub const PODIO_AUTHORIZE_URL_VAR: &str = "PORTICO_PODIO_AUTHORIZE_URL";
/// [`PODIO_AUTHORIZE_URL_VAR`] unless set.
pub const DEFAULT_PODIO_AUTHORIZE_URL: &str = "https://podio.com/oauth/authorize";
/// Redirect URIs clients that are not registered here may use.
pub const REDIRECT_ALLOWLIST_VAR: &str = "PORTICO_DEFAULT_REDIRECT_ALLOWLIST";
/// Client ids that always mean the default mode.
pub const DEFAULT_MODE_CLIENT_IDS_VAR: &str = "PORTICO_DEFAULT_MODE_CLIENT_IDS";
/// The default redirect allowlist: entries ending in `/` are prefixes, the
/// others exact; loopback (`http://localhost:<port>`, `http://127.0.0.1:<port>`)
/// is always allowed.
pub const DEFAULT_REDIRECT_ALLOWLIST: [&str; 4] = [
    "https://chatgpt.com/connector_platform_oauth_redirect",
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
    "https://global.consent.azure-apim.net/redirect/",
];
/// The placeholder client ids that mean the default mode.
pub const DEFAULT_MODE_CLIENT_IDS: [&str; 6] =
    ["", "chatgpt", "placeholder", "client", "default", "portico"];
/// Prefix of registered client ids.
pub const CLIENT_ID_PREFIX: &str = "mcp-client-";
/// Prefix of access tokens.
pub const ACCESS_TOKEN_PREFIX: &str = "portico_at_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "portico_rt_";
/// Prefix of authorization codes.
pub const CODE_PREFIX: &str = "portico_ac_";
/// Prefix of client secrets.
pub const CLIENT_SECRET_PREFIX: &str = "portico_cs_";
/// The `kind` of a principal authenticated by an OAuth access token.
pub const KIND_OAUTH: &str = "oauth";

/// How the authorization server behaves. [`OAuthSettings::new`] gives the
/// defaults for a base URL; every field may be changed after.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// The public base URL, no trailing slash: the issuer.
    pub public_url: String,
    /// Podio's authorize page.
    pub podio_authorize_url: String,
    /// The server's shared Podio key (default mode); `None` refuses it.
    pub shared_key: Option<PodioKey>,
    /// Redirect URIs of clients not registered here (see
    /// [`DEFAULT_REDIRECT_ALLOWLIST`] for the matching rule).
    pub redirect_allowlist: Vec<String>,
    /// Client ids that always mean the default mode.
    pub default_mode_client_ids: Vec<String>,
    /// Access token lifetime.
    pub access_ttl: Duration,
    /// Refresh token lifetime.
    pub refresh_ttl: Duration,
    /// How long a rotated refresh token may still be used.
    pub refresh_grace: Duration,
    /// Authorization code lifetime.
    pub code_ttl: Duration,
    /// How long a sign-in at Podio may take.
    pub pending_ttl: Duration,
    /// What the Client ID Metadata Document fetcher may reach (default: the
    /// public https internet only).
    pub client_metadata: FetchPolicy,
}

impl OAuthSettings {
    /// The defaults for `public_url` (trailing slashes dropped).
    pub fn new(public_url: &str) -> OAuthSettings {
        OAuthSettings {
            public_url: public_url.trim_end_matches('/').to_owned(),
            podio_authorize_url: DEFAULT_PODIO_AUTHORIZE_URL.to_owned(),
            shared_key: None,
            redirect_allowlist: DEFAULT_REDIRECT_ALLOWLIST.map(str::to_owned).to_vec(),
            default_mode_client_ids: DEFAULT_MODE_CLIENT_IDS.map(str::to_owned).to_vec(),
            access_ttl: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            refresh_grace: Duration::from_secs(30),
            code_ttl: Duration::from_secs(300),
            pending_ttl: Duration::from_secs(600),
            client_metadata: FetchPolicy::default(),
        }
    }

    /// Reads [`PUBLIC_URL_VAR`], [`PODIO_AUTHORIZE_URL_VAR`],
    /// [`REDIRECT_ALLOWLIST_VAR`] and [`DEFAULT_MODE_CLIENT_IDS_VAR`];
    /// `shared_key` comes from the Podio settings.
    pub fn from_env(
        env: &HashMap<String, String>,
        shared_key: Option<PodioKey>,
    ) -> Result<OAuthSettings, ConfigError> {
        let env = Env(env);
        let public_url = env.string_or(PUBLIC_URL_VAR, DEFAULT_PUBLIC_URL);
        let public_url = public_url.trim().trim_end_matches('/').to_owned();
        check_base(PUBLIC_URL_VAR, &public_url)?;
        let authorize = env
            .string_or(PODIO_AUTHORIZE_URL_VAR, DEFAULT_PODIO_AUTHORIZE_URL)
            .trim()
            .to_owned();
        check_base(PODIO_AUTHORIZE_URL_VAR, &authorize)?;
        let mut settings = OAuthSettings::new(&public_url);
        settings.podio_authorize_url = authorize;
        settings.shared_key = shared_key;
        if let Some(list) = env.get(REDIRECT_ALLOWLIST_VAR) {
            let entries: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect();
            for entry in &entries {
                if !(entry.starts_with("https://") || entry.starts_with("http://")) {
                    return Err(ConfigError::Invalid {
                        name: REDIRECT_ALLOWLIST_VAR.to_owned(),
                        value: entry.clone(),
                        expected: "comma-separated https:// URLs (a trailing / makes a prefix)"
                            .to_owned(),
                    });
                }
            }
            settings.redirect_allowlist = entries;
        }
        if let Some(list) = env.get(DEFAULT_MODE_CLIENT_IDS_VAR) {
            settings.default_mode_client_ids =
                list.split(',').map(|e| e.trim().to_owned()).collect();
            settings.default_mode_client_ids.push(String::new());
        }
        Ok(settings)
    }

    /// The canonical resource (RFC 8707) and token audience: `<base>/mcp`.
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.public_url)
    }

    /// Where Podio sends users back: `<base>/oauth/callback`.
    pub fn callback_url(&self) -> String {
        format!("{}/oauth/callback", self.public_url)
    }
}

fn check_base(name: &str, url: &str) -> Result<(), ConfigError> {
    let parsed = url::Url::parse(url).ok();
    let ok = parsed.as_ref().is_some_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.query().is_none()
            && u.fragment().is_none()
    });
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            name: name.to_owned(),
            value: url.to_owned(),
            expected: "an http:// or https:// URL without query or fragment".to_owned(),
        })
    }
}

/// The authorization server's parts, shared by clones of the service.
pub(crate) struct OAuth {
    pub(crate) settings: OAuthSettings,
    pub(crate) store: Arc<dyn OAuthStore>,
    pub(crate) pending: Arc<dyn PendingStore>,
    pub(crate) keyring: Keyring,
    /// Built once, from [`OAuthSettings::client_metadata`]; if it could not
    /// be built, why (metadata clients then get an error page saying so).
    pub(crate) client_metadata: Result<ClientMetadataFetcher, MetadataError>,
    /// The service's audit log, for grant changes.
    pub(crate) audit: Arc<dyn crate::store::AuditStore>,
}

impl OAuth {
    pub(crate) fn new(
        settings: OAuthSettings,
        store: Arc<dyn OAuthStore>,
        pending: Arc<dyn PendingStore>,
        keyring: Keyring,
        audit: Arc<dyn crate::store::AuditStore>,
    ) -> OAuth {
        let client_metadata = ClientMetadataFetcher::new(settings.client_metadata);
        if let Err(e) = &client_metadata {
            tracing::error!(
                error = %e,
                "the client metadata document fetcher could not be built: clients identified by a metadata document url are refused"
            );
        }
        OAuth {
            settings,
            store,
            pending,
            keyring,
            client_metadata,
            audit,
        }
    }

    pub(crate) fn encrypt(&self, secret: &Secret, aad: &str) -> Result<Vec<u8>, AuthError> {
        self.keyring
            .encrypt_str(secret, aad.as_bytes())
            .map_err(|e| AuthError::Store(crate::store::StoreError::Internal(e.to_string())))
    }

    pub(crate) fn decrypt(&self, ciphertext: &[u8], aad: &str) -> Result<Secret, AuthError> {
        self.keyring
            .decrypt_str(ciphertext, aad.as_bytes())
            .map_err(|e| AuthError::Store(crate::store::StoreError::Internal(e.to_string())))
    }
}

/// Unix seconds now.
/// Records a change of `grant` (`action`, e.g. "grant.create") in the
/// audit log, as done by the grant's own subject through its client. A
/// failure to record is logged; the change stands.
pub(crate) async fn audit_grant(oauth: &OAuth, grant: &crate::store::GrantRecord, action: &str) {
    let event = portico_proto::auth::v1::AuditEvent {
        at: now(),
        subject: grant.subject.clone(),
        client_id: grant.client_id.clone(),
        credential_mode: grant.credential_mode.clone(),
        action: action.to_owned(),
        target: format!("grant:{}", grant.id),
        outcome: "ok".to_owned(),
        trace_id: portico_runtime::trace::current_trace_id().unwrap_or_default(),
        ..Default::default()
    };
    if let Err(err) = oauth.audit.record(&event).await {
        tracing::error!(error = %err, action, "could not record an audit event");
    }
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

pub(crate) fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

pub(crate) fn oauth_error(error: &str, description: impl Into<String>) -> OAuthError {
    OAuthError {
        error: error.to_owned(),
        error_description: description.into(),
    }
}

/// A token or code with `prefix`, 32 random bytes in base64url.
pub(crate) fn mint(prefix: &str) -> Result<Secret, AuthError> {
    let token = crate::tokens::generate()?;
    let body = token
        .expose()
        .strip_prefix(crate::tokens::TOKEN_PREFIX)
        .unwrap_or(token.expose());
    Ok(Secret::new(format!("{prefix}{body}")))
}

/// HTTP parameters by name; a repeated name is refused, as OAuth requires.
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    pub(crate) fn parse(params: &[Param]) -> Result<Params, OAuthError> {
        let mut map = HashMap::new();
        for p in params {
            if map.insert(p.name.clone(), p.value.clone()).is_some() {
                return Err(oauth_error(
                    "invalid_request",
                    format!("the parameter {:?} is repeated: send it once", cut(&p.name)),
                ));
            }
        }
        Ok(Params(map))
    }

    /// The value of `name`; an empty value counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// At most 100 characters of hostile input, for error descriptions.
pub(crate) fn cut(text: &str) -> String {
    text.chars().take(100).collect()
}

fn not_yet() -> OAuthError {
    oauth_error(
        "temporarily_unavailable",
        "this portico server does not offer oauth sign-in yet: use a personal api token (portico admin token create)",
    )
}

/// HTTP 503, which OAuth clients read as "try again later".
const UNAVAILABLE_STATUS: u32 = 503;

fn not_yet_page() -> NavigationResponse {
    NavigationResponse {
        next: Some(Next::ErrorPage(not_yet())),
        http_status: UNAVAILABLE_STATUS,
    }
}

#[async_trait::async_trait]
impl OAuthEndpoints for AuthService {
    async fn register_client(
        &self,
        request: RegisterClientRequest,
    ) -> Result<RegisterClientResponse, ServiceError> {
        let Some(oauth) = self.oauth() else {
            return Ok(RegisterClientResponse {
                error: Some(not_yet()),
                client_information_json: String::new(),
            });
        };
        Ok(register::register(oauth, &request.metadata_json).await?)
    }

    async fn authorize(
        &self,
        request: AuthorizeRequest,
    ) -> Result<NavigationResponse, ServiceError> {
        let Some(oauth) = self.oauth() else {
            return Ok(not_yet_page());
        };
        Ok(authorize::authorize(oauth, &request.params).await?)
    }

    async fn callback(&self, request: CallbackRequest) -> Result<NavigationResponse, ServiceError> {
        let Some(oauth) = self.oauth() else {
            return Ok(not_yet_page());
        };
        Ok(authorize::callback(oauth, self.podio(), &request.params).await?)
    }

    async fn token(&self, request: TokenRequest) -> Result<TokenResponse, ServiceError> {
        let Some(oauth) = self.oauth() else {
            return Ok(TokenResponse {
                error: Some(not_yet()),
                http_status: UNAVAILABLE_STATUS,
                token_json: String::new(),
            });
        };
        Ok(token::token(oauth, self.podio(), &request).await?)
    }

    async fn revoke(&self, request: RevokeRequest) -> Result<RevokeResponse, ServiceError> {
        let Some(oauth) = self.oauth() else {
            return Ok(RevokeResponse {
                error: Some(not_yet()),
                http_status: UNAVAILABLE_STATUS,
            });
        };
        Ok(token::revoke(oauth, &request).await?)
    }

    async fn server_info(&self) -> Result<ServerInfo, ServiceError> {
        let oauth = self.oauth();
        let service_account = self.upstream().is_some_and(Upstream::has_service_account);
        let modes = [
            (CredentialMode::Service, service_account),
            (
                CredentialMode::Default,
                oauth.is_some_and(|o| o.settings.shared_key.is_some()),
            ),
            (CredentialMode::Direct, oauth.is_some()),
            (CredentialMode::Registered, oauth.is_some()),
        ];
        Ok(ServerInfo {
            oauth: oauth.is_some(),
            credential_modes: modes
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(mode, _)| mode as i32)
                .collect(),
            admin: self.admin_enabled(),
        })
    }
}
