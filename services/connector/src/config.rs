//! The connector's typed configuration, read from an environment map and
//! validated at start so a bad value stops startup with a message naming the
//! variable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use portico_proto::env::{ConfigError, Env};

use portico_proto::secret::Secret;

/// Where the connector listens unless `PORTICO_CONNECTOR_LISTEN` says otherwise.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:50053";
/// The Podio API base unless `PORTICO_PODIO_API_URL` says otherwise.
pub const DEFAULT_PODIO_API_URL: &str = "https://api.podio.com";
/// Default per-request timeout for Podio calls.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Default number of retries of a safe (GET) call.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Default first backoff delay between retries; it doubles per attempt.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// Upper bound on `max_retries`, so a typo cannot make a call retry for minutes.
pub const MAX_RETRIES_LIMIT: u32 = 10;

const CREDENTIAL_VARS: [&str; 4] = [
    "PORTICO_PODIO_CLIENT_ID",
    "PORTICO_PODIO_CLIENT_SECRET",
    "PORTICO_PODIO_USERNAME",
    "PORTICO_PODIO_PASSWORD",
];

/// Podio API credentials for the password grant: an API key (client id and
/// secret) and the Podio user it acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodioCredentials {
    /// The Podio API key's client id.
    pub client_id: String,
    /// The Podio API key's client secret.
    pub client_secret: Secret,
    /// The Podio user's login (e-mail).
    pub username: String,
    /// The Podio user's password.
    pub password: Secret,
}

impl PodioCredentials {
    /// Credentials from plain values.
    pub fn new(client_id: &str, client_secret: &str, username: &str, password: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret: Secret::new(client_secret),
            username: username.to_owned(),
            password: Secret::new(password),
        }
    }
}

/// The connector's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The gRPC listen address (`PORTICO_CONNECTOR_LISTEN`).
    pub listen: SocketAddr,
    /// The Podio API base URL, http or https, without query
    /// (`PORTICO_PODIO_API_URL`).
    pub podio_api_url: String,
    /// The server's default Podio credentials (`PORTICO_PODIO_CLIENT_ID`,
    /// `PORTICO_PODIO_CLIENT_SECRET`, `PORTICO_PODIO_USERNAME`,
    /// `PORTICO_PODIO_PASSWORD`); `None` when none are set.
    pub default_credentials: Option<PodioCredentials>,
    /// Timeout of one HTTP request to Podio (`PORTICO_PODIO_TIMEOUT_SECS`).
    pub timeout: Duration,
    /// How many times a GET is retried after a connection error, timeout or
    /// 502/503/504 (`PORTICO_PODIO_MAX_RETRIES`).
    pub max_retries: u32,
    /// The first retry delay; it doubles per attempt, with a little jitter.
    pub retry_backoff: Duration,
}

impl Config {
    /// A configuration for `podio_api_url` with the given default credentials
    /// and defaults for everything else (for tests and `portico dev`).
    pub fn new(
        podio_api_url: impl Into<String>,
        default_credentials: Option<PodioCredentials>,
    ) -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 50053)),
            podio_api_url: podio_api_url.into(),
            default_credentials,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
        }
    }

    /// Reads the configuration from an environment map.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let env = Env(env);
        let default_listen = SocketAddr::from(([0, 0, 0, 0], 50053));
        let listen = env.parse_or(
            "PORTICO_CONNECTOR_LISTEN",
            default_listen,
            "a socket address such as 0.0.0.0:50053",
        )?;
        let podio_api_url = env.string_or("PORTICO_PODIO_API_URL", DEFAULT_PODIO_API_URL);
        if let Err(expected) = check_base_url(&podio_api_url) {
            return Err(ConfigError::Invalid {
                name: "PORTICO_PODIO_API_URL".to_owned(),
                value: podio_api_url,
                expected: expected.to_owned(),
            });
        }
        let timeout = env.seconds_or("PORTICO_PODIO_TIMEOUT_SECS", DEFAULT_TIMEOUT)?;
        if timeout.is_zero() {
            return Err(ConfigError::Invalid {
                name: "PORTICO_PODIO_TIMEOUT_SECS".to_owned(),
                value: "0".to_owned(),
                expected: "a whole number of seconds greater than 0".to_owned(),
            });
        }
        let retries_expected = format!("a whole number from 0 to {MAX_RETRIES_LIMIT}");
        let max_retries = env.parse_or(
            "PORTICO_PODIO_MAX_RETRIES",
            DEFAULT_MAX_RETRIES,
            &retries_expected,
        )?;
        if max_retries > MAX_RETRIES_LIMIT {
            return Err(ConfigError::Invalid {
                name: "PORTICO_PODIO_MAX_RETRIES".to_owned(),
                value: max_retries.to_string(),
                expected: retries_expected,
            });
        }
        Ok(Config {
            listen,
            podio_api_url,
            default_credentials: credentials_from_env(env)?,
            timeout,
            max_retries,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
        })
    }
}

/// All four credential variables, or none; a partial set is an error naming
/// the missing ones, because silently running without credentials would only
/// fail later, on the first call.
fn credentials_from_env(env: Env<'_>) -> Result<Option<PodioCredentials>, ConfigError> {
    let values = CREDENTIAL_VARS.map(|name| env.get(name));
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    match values {
        [Some(id), Some(secret), Some(user), Some(password)] => {
            Ok(Some(PodioCredentials::new(id, secret, user, password)))
        }
        _ => {
            let missing: Vec<&str> = CREDENTIAL_VARS
                .iter()
                .zip(values.iter())
                .filter(|(_, value)| value.is_none())
                .map(|(name, _)| *name)
                .collect();
            Err(ConfigError::Missing {
                name: missing.join(", "),
                expected: format!(
                    "set all four Podio credential variables ({}) or none",
                    CREDENTIAL_VARS.join(", ")
                ),
            })
        }
    }
}

/// Checks that `url` can be a Podio API base; the error says what is accepted.
pub(crate) fn check_base_url(url: &str) -> Result<url::Url, &'static str> {
    const EXPECTED: &str =
        "an http:// or https:// URL without query or fragment, e.g. https://api.podio.com";
    let parsed = url::Url::parse(url).map_err(|_| EXPECTED)?;
    let scheme_ok = matches!(parsed.scheme(), "http" | "https");
    if !scheme_ok
        || parsed.host_str().is_none()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
    {
        return Err(EXPECTED);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_proto::env::map as env;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = Config::from_env(&HashMap::new()).expect("defaults are valid");
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.podio_api_url, DEFAULT_PODIO_API_URL);
        assert_eq!(config.default_credentials, None);
        assert_eq!(config.timeout, Duration::from_secs(20));
        assert_eq!(config.max_retries, 2);
    }

    #[test]
    fn all_values_are_read() {
        let config = Config::from_env(&env(&[
            ("PORTICO_CONNECTOR_LISTEN", "127.0.0.1:6000"),
            ("PORTICO_PODIO_API_URL", "http://localhost:8090"),
            ("PORTICO_PODIO_CLIENT_ID", "id"),
            ("PORTICO_PODIO_CLIENT_SECRET", "secret"),
            ("PORTICO_PODIO_USERNAME", "me@example.com"),
            ("PORTICO_PODIO_PASSWORD", "pw"),
            ("PORTICO_PODIO_TIMEOUT_SECS", "5"),
            ("PORTICO_PODIO_MAX_RETRIES", "0"),
        ]))
        .expect("valid");
        assert_eq!(config.listen.to_string(), "127.0.0.1:6000");
        assert_eq!(config.podio_api_url, "http://localhost:8090");
        assert_eq!(
            config.default_credentials,
            Some(PodioCredentials::new(
                "id",
                "secret",
                "me@example.com",
                "pw"
            ))
        );
        assert_eq!(config.timeout, Duration::from_secs(5));
        assert_eq!(config.max_retries, 0);
        let debug = format!("{config:?}");
        assert!(!debug.contains("secret\""), "{debug}");
        assert!(!debug.contains("\"pw\""), "{debug}");
    }

    #[test]
    fn partial_credentials_name_the_missing_variables() {
        let err = Config::from_env(&env(&[
            ("PORTICO_PODIO_CLIENT_ID", "id"),
            ("PORTICO_PODIO_USERNAME", "me@example.com"),
        ]))
        .expect_err("partial credentials are rejected");
        let message = err.to_string();
        assert!(
            message.starts_with("PORTICO_PODIO_CLIENT_SECRET, PORTICO_PODIO_PASSWORD is required"),
            "{message}"
        );
        assert!(message.contains("or none"), "{message}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("PORTICO_CONNECTOR_LISTEN", "nowhere"),
            ("PORTICO_PODIO_API_URL", "ftp://api.podio.com"),
            ("PORTICO_PODIO_TIMEOUT_SECS", "0"),
            ("PORTICO_PODIO_MAX_RETRIES", "99"),
        ] {
            let err = Config::from_env(&env(&[(name, value)])).expect_err(name);
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }
}
