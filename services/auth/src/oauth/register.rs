//! `POST /oauth/register`: RFC 7591 dynamic client registration, plus the
//! guide's `podio_client_id` / `podio_client_secret` extension (registered
//! credential mode). The Podio secret is stored encrypted and never echoed;
//! a minted client secret is returned once and stored hashed.

use portico_proto::auth::v1::{OAuthError, RegisterClientResponse};
use portico_proto::vocab::Scope;
use portico_runtime::secret::Secret;
use serde_json::{Map, Value, json};

use super::{CLIENT_ID_PREFIX, CLIENT_SECRET_PREFIX, OAuth, cut, mint, now, oauth_error};
use crate::error::AuthError;
use crate::store::{ClientKind, ClientRecord};
use crate::tokens;

/// Most redirect URIs one client may register.
pub const MAX_REDIRECT_URIS: usize = 10;
/// Longest redirect URI accepted.
pub const MAX_REDIRECT_URI_LEN: usize = 2000;
/// Longest `client_name`, in characters.
pub const MAX_CLIENT_NAME_CHARS: usize = 200;
/// Largest registration body.
const MAX_METADATA_BYTES: usize = 64 * 1024;
const GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];
const AUTH_METHODS: [&str; 3] = ["none", "client_secret_post", "client_secret_basic"];

/// The aad binding a client's encrypted Podio secret to its row.
pub(crate) fn client_secret_aad(client_id: &str) -> String {
    format!("oauth_clients:{client_id}:podio_client_secret_enc")
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    oauth_error("invalid_client_metadata", description)
}

/// Whether `uri` may be a redirect URI at all: https, or http on a loopback
/// host; no fragment, no user info.
pub(crate) fn check_redirect_uri(uri: &str) -> Result<url::Url, String> {
    if uri.len() > MAX_REDIRECT_URI_LEN {
        return Err(format!(
            "redirect uri is longer than {MAX_REDIRECT_URI_LEN} characters"
        ));
    }
    let parsed = url::Url::parse(uri)
        .map_err(|_| format!("redirect uri {:?} is not an absolute url", cut(uri)))?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err(format!(
            "redirect uri {:?} has a fragment, which is not allowed",
            cut(uri)
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("redirect uri {:?} carries user info", cut(uri)));
    }
    match parsed.scheme() {
        "https" if parsed.host_str().is_some() => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        _ => Err(format!(
            "redirect uri {:?} must use https, or http on localhost or 127.0.0.1",
            cut(uri)
        )),
    }
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    url.scheme() == "http"
        && matches!(
            url.host(),
            Some(url::Host::Domain("localhost"))
                | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
        )
}

fn strings(meta: &Map<String, Value>, field: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match meta.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| metadata_error(format!("{field} must be an array of strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(metadata_error(format!(
            "{field} must be an array of strings"
        ))),
    }
}

fn string(meta: &Map<String, Value>, field: &str) -> Result<Option<String>, OAuthError> {
    match meta.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(metadata_error(format!("{field} must be a string"))),
    }
}

struct Checked {
    name: String,
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    method: String,
    podio: Option<(String, Secret)>,
}

fn check(json: &str) -> Result<Checked, OAuthError> {
    if json.len() > MAX_METADATA_BYTES {
        return Err(metadata_error(format!(
            "the registration body is larger than {MAX_METADATA_BYTES} bytes"
        )));
    }
    let Ok(Value::Object(meta)) = serde_json::from_str::<Value>(json) else {
        return Err(metadata_error(
            "the registration body must be a json object of client metadata (RFC 7591)",
        ));
    };
    let name = string(&meta, "client_name")?.unwrap_or_default();
    let name = name.trim().to_owned();
    if name.chars().count() > MAX_CLIENT_NAME_CHARS {
        return Err(metadata_error(format!(
            "client_name is longer than {MAX_CLIENT_NAME_CHARS} characters"
        )));
    }
    let grant_types =
        strings(&meta, "grant_types")?.unwrap_or_else(|| GRANT_TYPES.map(str::to_owned).to_vec());
    if grant_types.is_empty() {
        return Err(metadata_error("grant_types must not be empty"));
    }
    if let Some(bad) = grant_types
        .iter()
        .find(|g| !GRANT_TYPES.contains(&g.as_str()))
    {
        return Err(metadata_error(format!(
            "grant type {:?} is not supported: accepted are authorization_code, refresh_token",
            cut(bad)
        )));
    }
    if let Some(types) = strings(&meta, "response_types")?
        && types.iter().any(|t| t != "code")
    {
        return Err(metadata_error(
            "response_types must be [\"code\"]: only the authorization code flow is offered",
        ));
    }
    let method = string(&meta, "token_endpoint_auth_method")?.unwrap_or_else(|| "none".to_owned());
    if !AUTH_METHODS.contains(&method.as_str()) {
        return Err(metadata_error(format!(
            "token_endpoint_auth_method {:?} is not supported: accepted are none, client_secret_post, client_secret_basic",
            cut(&method)
        )));
    }
    let redirect_uris = strings(&meta, "redirect_uris")?.unwrap_or_default();
    if grant_types.iter().any(|g| g == "authorization_code") && redirect_uris.is_empty() {
        return Err(oauth_error(
            "invalid_redirect_uri",
            "redirect_uris is required for the authorization_code grant: give at least one",
        ));
    }
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(oauth_error(
            "invalid_redirect_uri",
            format!("at most {MAX_REDIRECT_URIS} redirect_uris may be registered"),
        ));
    }
    for uri in &redirect_uris {
        check_redirect_uri(uri).map_err(|e| oauth_error("invalid_redirect_uri", e))?;
    }
    let podio_id = string(&meta, "podio_client_id")?.filter(|s| !s.trim().is_empty());
    let podio_secret = string(&meta, "podio_client_secret")?.filter(|s| !s.is_empty());
    let podio = match (podio_id, podio_secret) {
        (Some(id), Some(secret)) => {
            if id.len() > 200 || secret.len() > 500 {
                return Err(metadata_error(
                    "podio_client_id or podio_client_secret is too long",
                ));
            }
            Some((id.trim().to_owned(), Secret::new(secret)))
        }
        (None, None) => None,
        _ => {
            return Err(metadata_error(
                "give both podio_client_id and podio_client_secret, or neither",
            ));
        }
    };
    Ok(Checked {
        name,
        redirect_uris,
        grant_types,
        method,
        podio,
    })
}

pub(crate) async fn register(
    oauth: &OAuth,
    metadata_json: &str,
) -> Result<RegisterClientResponse, AuthError> {
    let checked = match check(metadata_json) {
        Ok(checked) => checked,
        Err(error) => {
            return Ok(RegisterClientResponse {
                error: Some(error),
                client_information_json: String::new(),
            });
        }
    };
    let client_id = format!("{CLIENT_ID_PREFIX}{}", uuid::Uuid::new_v4());
    let secret = if checked.method == "none" {
        None
    } else {
        Some(mint(CLIENT_SECRET_PREFIX)?)
    };
    let podio_client_secret_enc = match &checked.podio {
        Some((_, secret)) => Some(oauth.encrypt(secret, &client_secret_aad(&client_id))?),
        None => None,
    };
    let issued_at = now();
    let record = ClientRecord {
        client_id: client_id.clone(),
        kind: ClientKind::Registered,
        name: checked.name.clone(),
        redirect_uris: checked.redirect_uris.clone(),
        grant_types: checked.grant_types.clone(),
        token_endpoint_auth_method: checked.method.clone(),
        secret_hash: secret.as_ref().map(|s| tokens::hash(s.expose())),
        secret_hint: secret.as_ref().map(|s| tokens::hint(s.expose())),
        owner_subject: None,
        scopes: Scope::all_names().iter().map(|s| (*s).to_owned()).collect(),
        podio_client_id: checked.podio.as_ref().map(|(id, _)| id.clone()),
        podio_client_secret_enc,
        metadata_json: "{}".to_owned(),
        created_at: issued_at,
        revoked_at: None,
    };
    oauth.store.insert_client(&record).await?;
    tracing::info!(client_id = %client_id, podio_key = record.podio_client_id.is_some(), "oauth client registered");
    let mut info = json!({
        "client_id": client_id,
        "client_id_issued_at": issued_at,
        "client_name": checked.name,
        "redirect_uris": checked.redirect_uris,
        "grant_types": checked.grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": checked.method,
        "registration_client_uri": format!("{}/oauth/register/{client_id}", oauth.settings.public_url),
        "podio_credentials_provided": checked.podio.is_some(),
    });
    if let (Some(secret), Some(map)) = (&secret, info.as_object_mut()) {
        map.insert("client_secret".to_owned(), json!(secret.expose()));
        map.insert("client_secret_expires_at".to_owned(), json!(0));
    }
    Ok(RegisterClientResponse {
        error: None,
        client_information_json: info.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_https_or_loopback_without_fragments() {
        assert!(check_redirect_uri("https://claude.ai/api/mcp/auth_callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:3000/cb").is_ok());
        assert!(check_redirect_uri("http://localhost/cb").is_ok());
        assert!(check_redirect_uri("http://example.com/cb").is_err());
        assert!(check_redirect_uri("https://a.example/cb#x").is_err());
        assert!(check_redirect_uri("https://u:p@a.example/cb").is_err());
        assert!(check_redirect_uri(&format!("https://a.example/{}", "x".repeat(3000))).is_err());
    }

    #[test]
    fn metadata_is_checked_with_sentences() {
        let err = check(r#"{"redirect_uris":[]}"#).err().expect("refused");
        assert_eq!(err.error, "invalid_redirect_uri");
        let err = check(r#"{"redirect_uris":["https://a.example/cb"],"podio_client_id":"x"}"#)
            .err()
            .expect("refused");
        assert_eq!(err.error, "invalid_client_metadata");
        assert!(err.error_description.contains("both"));
        let ok = check(r#"{"redirect_uris":["https://a.example/cb"]}"#).expect("valid metadata");
        assert_eq!(ok.method, "none");
        assert_eq!(ok.grant_types, GRANT_TYPES);
    }
}
