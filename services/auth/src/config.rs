//! The auth service's configuration, read from an environment map and checked
//! at startup so a bad value stops the process with a message naming the
//! variable. Secret values are held in [`Secret`] and never echoed, not even in
//! error messages.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use portico_runtime::env::{ConfigError, Env};

use portico_runtime::secret::Secret;

use crate::client_metadata::FetchPolicy;
use crate::crypto::{ENCRYPTION_KEYS_VAR, Keyring};
use crate::oauth::OAuthSettings;
use crate::upstream::podio::PodioKey;
use crate::upstream::service_account::ServiceAccount;

/// Address the auth service listens on.
pub const LISTEN_VAR: &str = "PORTICO_AUTH_LISTEN";
/// Postgres URL of the token store.
pub const DATABASE_URL_VAR: &str = "DATABASE_URL";
/// Secret required on admin RPCs.
pub const ADMIN_SECRET_VAR: &str = "PORTICO_ADMIN_SECRET";
/// The default gRPC port of the auth service.
pub const DEFAULT_PORT: u16 = 50051;
/// The Podio API base, whose token endpoint the auth service calls.
pub const PODIO_API_URL_VAR: &str = "PORTICO_PODIO_API_URL";
/// The Podio API base unless [`PODIO_API_URL_VAR`] says otherwise.
pub const DEFAULT_PODIO_API_URL: &str = "https://api.podio.com";
/// Timeout of one request to Podio's token endpoint.
pub const PODIO_TIMEOUT_VAR: &str = "PORTICO_PODIO_TIMEOUT_SECS";
/// The server's shared Podio API key and its service account.
pub const PODIO_CREDENTIAL_VARS: [&str; 4] = [
    "PORTICO_PODIO_CLIENT_ID",
    "PORTICO_PODIO_CLIENT_SECRET",
    "PORTICO_PODIO_USERNAME",
    "PORTICO_PODIO_PASSWORD",
];
/// Whether Client ID Metadata Documents may be fetched over plain http from
/// loopback addresses (`true`/`false`, default `false`): for tests and
/// `portico dev` only; a warning is logged when on.
pub const CLIENT_METADATA_ALLOW_LOOPBACK_HTTP_VAR: &str =
    "PORTICO_CLIENT_METADATA_ALLOW_LOOPBACK_HTTP";
const DEFAULT_PODIO_TIMEOUT: Duration = Duration::from_secs(20);

const DATABASE_URL_EXPECTED: &str = "a postgres:// or postgresql:// URL";

/// Every environment variable the auth service reads (besides the common ones of
/// `portico_runtime::telemetry::VARIABLES`): what `portico auth --help`
/// lists, and what the README's configuration table must document.
pub const VARIABLES: &[&str] = &[
    "PORTICO_AUTH_LISTEN",
    "DATABASE_URL",
    "PORTICO_ADMIN_SECRET",
    "PORTICO_AUDIT_RETENTION_DAYS",
    "PORTICO_INTROSPECTION_GRACE_SECS",
    "PORTICO_PUBLIC_URL",
    "PORTICO_ENCRYPTION_KEYS",
    "REDIS_URL",
    "PORTICO_REDIS_PREFIX",
    "PORTICO_PODIO_AUTHORIZE_URL",
    "PORTICO_DEFAULT_REDIRECT_ALLOWLIST",
    "PORTICO_DEFAULT_MODE_CLIENT_IDS",
    "PORTICO_CLIENT_METADATA_ALLOW_LOOPBACK_HTTP",
    "PORTICO_PODIO_API_URL",
    "PORTICO_PODIO_CLIENT_ID",
    "PORTICO_PODIO_CLIENT_SECRET",
    "PORTICO_PODIO_USERNAME",
    "PORTICO_PODIO_PASSWORD",
    "PORTICO_PODIO_TIMEOUT_SECS",
];

/// Configuration of the auth service.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen for gRPC (`PORTICO_AUTH_LISTEN`, default `0.0.0.0:50051`).
    pub listen: SocketAddr,
    /// The token store's Postgres URL (`DATABASE_URL`); may carry a password.
    pub database_url: Secret,
    /// The admin secret (`PORTICO_ADMIN_SECRET`); admin RPCs are refused
    /// without one.
    pub admin_secret: Option<Secret>,
    /// How to reach Podio's token endpoint.
    pub podio: PodioSettings,
    /// The OAuth authorization server (`PORTICO_PUBLIC_URL`, …); its
    /// `shared_key` is `podio.shared_key`, its `client_metadata` policy from
    /// [`CLIENT_METADATA_ALLOW_LOOPBACK_HTTP_VAR`].
    pub oauth: OAuthSettings,
    /// The keys encrypting Podio secrets at rest (`PORTICO_ENCRYPTION_KEYS`).
    /// The OAuth server runs only with these and [`Config::redis_url`].
    pub encryption_keys: Option<Keyring>,
    /// Redis, where sign-ins in progress wait (`REDIS_URL`); may carry a password.
    pub redis_url: Option<Secret>,
    /// Prefix of the auth service's Redis keys (`PORTICO_REDIS_PREFIX`,
    /// default `portico:`).
    pub redis_prefix: String,
    /// How long audit events are kept (`PORTICO_AUDIT_RETENTION_DAYS`,
    /// default 365).
    pub audit_retention: Duration,
    /// How long a token seen active is still answered active while Postgres
    /// is unavailable (`PORTICO_INTROSPECTION_GRACE_SECS`, default 300,
    /// at most 3600; 0 turns it off).
    pub introspection_grace: Duration,
}

/// Redis URL of the pending-authorization store.
pub const REDIS_URL_VAR: &str = "REDIS_URL";
/// Prefix of Redis keys.
pub const REDIS_PREFIX_VAR: &str = "PORTICO_REDIS_PREFIX";
/// The variable holding how many days audit events are kept.
pub const AUDIT_RETENTION_VAR: &str = "PORTICO_AUDIT_RETENTION_DAYS";
/// The variable holding the introspection grace through a store outage.
pub const INTROSPECTION_GRACE_VAR: &str = "PORTICO_INTROSPECTION_GRACE_SECS";
/// The longest introspection grace accepted.
const MAX_INTROSPECTION_GRACE_SECS: u64 = 3600;

/// How the auth service reaches Podio; also read by `portico dev` when it
/// runs against a real Podio.
#[derive(Debug, Clone)]
pub struct PodioSettings {
    /// The Podio API base URL (`PORTICO_PODIO_API_URL`).
    pub api_url: String,
    /// Timeout of one token-endpoint request (`PORTICO_PODIO_TIMEOUT_SECS`).
    pub timeout: Duration,
    /// The server's shared Podio API key (`PORTICO_PODIO_CLIENT_ID` and
    /// `…_CLIENT_SECRET`: both or neither), used by the default credential
    /// mode's sign-in and by the service account.
    pub shared_key: Option<PodioKey>,
    /// The server's own Podio account for the service mode: the shared key
    /// plus `PORTICO_PODIO_USERNAME` and `…_PASSWORD` (both or neither; they
    /// need the key).
    pub service_account: Option<ServiceAccount>,
}

impl PodioSettings {
    /// Reads the Podio variables from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<PodioSettings, ConfigError> {
        let env = Env(env);
        let api_url = env.string_or(PODIO_API_URL_VAR, DEFAULT_PODIO_API_URL);
        if let Err(expected) = portico_runtime::env::check_http_url(&api_url) {
            return Err(ConfigError::Invalid {
                name: PODIO_API_URL_VAR.to_owned(),
                value: api_url,
                expected: expected.to_owned(),
            });
        }
        let timeout = env.seconds_or(PODIO_TIMEOUT_VAR, DEFAULT_PODIO_TIMEOUT)?;
        if timeout.is_zero() {
            return Err(ConfigError::Invalid {
                name: PODIO_TIMEOUT_VAR.to_owned(),
                value: "0".to_owned(),
                expected: "a whole number of seconds greater than 0".to_owned(),
            });
        }
        let (shared_key, service_account) = podio_credentials(env)?;
        Ok(PodioSettings {
            api_url,
            timeout,
            shared_key,
            service_account,
        })
    }
}

impl Config {
    /// Reads the configuration from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let env = Env(env);
        let listen = env.parse_or(
            LISTEN_VAR,
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, DEFAULT_PORT)),
            "a socket address such as 0.0.0.0:50051",
        )?;
        let database_url = env.required(DATABASE_URL_VAR, DATABASE_URL_EXPECTED)?;
        let database_url = database_url.trim();
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid {
                name: DATABASE_URL_VAR.to_owned(),
                value: redact_url(database_url),
                expected: DATABASE_URL_EXPECTED.to_owned(),
            });
        }
        let podio = PodioSettings::from_env(env.0)?;
        let mut oauth = OAuthSettings::from_env(env.0, podio.shared_key.clone())?;
        oauth.client_metadata = FetchPolicy {
            allow_loopback_http: env.bool_or(CLIENT_METADATA_ALLOW_LOOPBACK_HTTP_VAR, false)?,
        };
        let encryption_keys = match env.get(ENCRYPTION_KEYS_VAR) {
            None => None,
            Some(value) => Some(Keyring::parse(value).map_err(|e| ConfigError::Invalid {
                name: ENCRYPTION_KEYS_VAR.to_owned(),
                value: "[redacted]".to_owned(),
                expected: e.to_string(),
            })?),
        };
        let redis_url = env.get(REDIS_URL_VAR).map(str::trim).map(Secret::new);
        if let Some(url) = &redis_url
            && !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://"))
        {
            return Err(ConfigError::Invalid {
                name: REDIS_URL_VAR.to_owned(),
                value: redact_url(url.expose()),
                expected: "a redis:// or rediss:// URL".to_owned(),
            });
        }
        const GRACE: &str = "a whole number of seconds, at most 3600 (0: off)";
        let grace = env.parse_or::<u64>(
            INTROSPECTION_GRACE_VAR,
            crate::service::DEFAULT_INTROSPECTION_GRACE.as_secs(),
            GRACE,
        )?;
        if grace > MAX_INTROSPECTION_GRACE_SECS {
            return Err(ConfigError::Invalid {
                name: INTROSPECTION_GRACE_VAR.to_owned(),
                value: grace.to_string(),
                expected: GRACE.to_owned(),
            });
        }
        Ok(Config {
            introspection_grace: Duration::from_secs(grace),
            listen,
            database_url: Secret::new(database_url),
            admin_secret: env.get(ADMIN_SECRET_VAR).map(Secret::new),
            podio,
            oauth,
            encryption_keys,
            redis_url,
            redis_prefix: env.string_or(REDIS_PREFIX_VAR, "portico:"),
            audit_retention: Duration::from_secs(
                86_400
                    * env
                        .parse_or::<u64>(
                            AUDIT_RETENTION_VAR,
                            365,
                            "a whole number of days, at least 1",
                        )?
                        .max(1),
            ),
        })
    }
}

/// The shared key when both of its variables are set and the service
/// account when its login is too; half a pair is an error naming the missing
/// variable (a typo, not a choice), and so is a login without a key.
fn podio_credentials(
    env: Env<'_>,
) -> Result<(Option<PodioKey>, Option<ServiceAccount>), ConfigError> {
    let [id_var, secret_var, user_var, password_var] = PODIO_CREDENTIAL_VARS;
    let pair = |a: &str, b: &str| -> Result<Option<(&str, &str)>, ConfigError> {
        match (env.get(a), env.get(b)) {
            (Some(x), Some(y)) => Ok(Some((x, y))),
            (None, None) => Ok(None),
            (x, _) => Err(ConfigError::Missing {
                name: if x.is_none() { a } else { b }.to_owned(),
                expected: format!("set both {a} and {b} or neither"),
            }),
        }
    };
    let key = pair(id_var, secret_var)?.map(|(id, secret)| PodioKey {
        client_id: id.trim().to_owned(),
        client_secret: Secret::new(secret),
    });
    let account = match (pair(user_var, password_var)?, &key) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(ConfigError::Missing {
                name: format!("{id_var}, {secret_var}"),
                expected: format!(
                    "{user_var} and {password_var} log in with the shared podio key: set {id_var} and {secret_var} too"
                ),
            });
        }
        (Some((username, password)), Some(key)) => Some(ServiceAccount {
            key: key.clone(),
            username: username.trim().to_owned(),
            password: Secret::new(password),
        }),
    };
    Ok((key, account))
}

/// `url` with the password of its user info and its whole query (which may
/// hold `password=`) replaced by `[redacted]`, so it can appear in an error.
fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, _)) => (base, "?[redacted]"),
        None => (url, ""),
    };
    let (scheme, rest) = match base.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), base),
    };
    let redacted = match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:[redacted]@{host}"),
            None => rest.to_owned(),
        },
        None => rest.to_owned(),
    };
    format!("{scheme}{redacted}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_runtime::env::map as env;

    #[test]
    fn defaults_apply_when_only_the_database_url_is_set() {
        let config = Config::from_env(&env(&[("DATABASE_URL", "postgres://db/portico")]))
            .expect("valid config");
        assert_eq!(config.listen, "0.0.0.0:50051".parse().expect("addr"));
        assert_eq!(config.database_url.expose(), "postgres://db/portico");
        assert!(config.admin_secret.is_none());
    }

    #[test]
    fn every_variable_is_read() {
        let config = Config::from_env(&env(&[
            ("DATABASE_URL", "postgresql://u:pw@db/portico"),
            ("PORTICO_AUTH_LISTEN", "127.0.0.1:7000"),
            ("PORTICO_ADMIN_SECRET", "admin-secret-value"),
        ]))
        .expect("valid config");
        assert_eq!(config.listen, "127.0.0.1:7000".parse().expect("addr"));
        assert_eq!(
            config.admin_secret.as_ref().map(Secret::expose),
            Some("admin-secret-value")
        );
        let debug = format!("{config:?}");
        assert!(!debug.contains("pw@"), "{debug}");
        assert!(!debug.contains("admin-secret-value"), "{debug}");
    }

    #[test]
    fn the_service_account_needs_all_four_variables() {
        let config = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_PODIO_CLIENT_ID", "id"),
            ("PORTICO_PODIO_CLIENT_SECRET", "s3cret-value"),
            ("PORTICO_PODIO_USERNAME", "me@example.com"),
            ("PORTICO_PODIO_PASSWORD", "pw-value"),
        ]))
        .expect("valid config");
        let account = config.podio.service_account.as_ref().expect("account");
        assert_eq!(account.key.client_id, "id");
        assert_eq!(account.username, "me@example.com");
        assert!(!format!("{config:?}").contains("s3cret-value"));
        assert!(!format!("{config:?}").contains("pw-value"));

        let err = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_PODIO_CLIENT_ID", "id"),
        ]))
        .expect_err("half a credential");
        let ConfigError::Missing { name, .. } = &err else {
            panic!("expected Missing, got {err:?}");
        };
        assert_eq!(name, "PORTICO_PODIO_CLIENT_SECRET");

        let err = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_PODIO_USERNAME", "me@example.com"),
            ("PORTICO_PODIO_PASSWORD", "pw-value"),
        ]))
        .expect_err("a login without a key");
        assert!(err.to_string().contains("PORTICO_PODIO_CLIENT_ID"), "{err}");
        assert!(!err.to_string().contains("pw-value"), "{err}");
    }

    #[test]
    fn the_shared_key_works_without_the_service_account() {
        let config = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_PODIO_CLIENT_ID", "id"),
            ("PORTICO_PODIO_CLIENT_SECRET", "s3cret-value"),
        ]))
        .expect("valid config");
        assert_eq!(
            config
                .podio
                .shared_key
                .as_ref()
                .map(|k| k.client_id.as_str()),
            Some("id")
        );
        assert!(config.podio.service_account.is_none());
    }

    #[test]
    fn oauth_variables_are_read_and_bad_keys_not_echoed() {
        let config = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_PUBLIC_URL", "https://mcp.example.com/"),
            (
                "PORTICO_DEFAULT_REDIRECT_ALLOWLIST",
                "https://a.example/cb, https://b.example/",
            ),
        ]))
        .expect("valid config");
        assert_eq!(config.oauth.public_url, "https://mcp.example.com");
        assert_eq!(config.oauth.resource(), "https://mcp.example.com/mcp");
        assert_eq!(
            config.oauth.redirect_allowlist,
            ["https://a.example/cb", "https://b.example/"]
        );
        assert!(config.encryption_keys.is_none());
        assert_eq!(config.redis_prefix, "portico:");
        assert!(!config.oauth.client_metadata.allow_loopback_http);

        let err = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_ENCRYPTION_KEYS", "k1:not-a-key-s3cret"),
        ]))
        .expect_err("bad keys");
        assert!(err.to_string().contains("PORTICO_ENCRYPTION_KEYS"), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");

        let err = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_PUBLIC_URL", "not a url"),
        ]))
        .expect_err("bad url");
        assert!(err.to_string().contains("PORTICO_PUBLIC_URL"), "{err}");
    }

    #[test]
    fn loopback_http_metadata_fetches_are_opt_in() {
        let config = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_CLIENT_METADATA_ALLOW_LOOPBACK_HTTP", "true"),
        ]))
        .expect("valid config");
        assert!(config.oauth.client_metadata.allow_loopback_http);
        let err = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_CLIENT_METADATA_ALLOW_LOOPBACK_HTTP", "maybe"),
        ]))
        .expect_err("not a bool");
        assert!(
            err.to_string()
                .contains("PORTICO_CLIENT_METADATA_ALLOW_LOOPBACK_HTTP"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_podio_url_is_rejected() {
        let err = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_PODIO_API_URL", "ftp://podio"),
        ]))
        .expect_err("bad url");
        assert!(err.to_string().contains("PORTICO_PODIO_API_URL"), "{err}");
    }

    #[test]
    fn a_missing_database_url_names_the_variable() {
        let err = Config::from_env(&env(&[])).expect_err("missing");
        assert!(
            matches!(&err, ConfigError::Missing { name, .. } if name == "DATABASE_URL"),
            "{err:?}"
        );
        assert!(err.to_string().contains("DATABASE_URL"), "{err}");
    }

    #[test]
    fn a_non_postgres_url_is_rejected_without_echoing_the_password() {
        let err = Config::from_env(&env(&[(
            "DATABASE_URL",
            "mysql://admin:sup3rs3cret@db:3306/portico?password=sup3rs3cret",
        )]))
        .expect_err("wrong scheme");
        let ConfigError::Invalid { name, value, .. } = &err else {
            panic!("expected Invalid, got {err:?}");
        };
        assert_eq!(name, "DATABASE_URL");
        assert_eq!(value, "mysql://admin:[redacted]@db:3306/portico?[redacted]");
        assert!(!err.to_string().contains("sup3rs3cret"), "{err}");
        assert!(err.to_string().contains("postgres://"), "{err}");
    }

    #[test]
    fn a_bad_listen_address_is_rejected() {
        let err = Config::from_env(&env(&[
            ("DATABASE_URL", "postgres://db/portico"),
            ("PORTICO_AUTH_LISTEN", "not-an-address"),
        ]))
        .expect_err("bad address");
        assert!(err.to_string().contains("PORTICO_AUTH_LISTEN"), "{err}");
    }

    #[test]
    fn redaction_leaves_password_free_urls_alone() {
        assert_eq!(redact_url("redis://host:1/x"), "redis://host:1/x");
        assert_eq!(redact_url("u@host"), "u@host");
        assert_eq!(redact_url("u:p@host"), "u:[redacted]@host");
    }
}
