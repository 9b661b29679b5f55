//! The connector's typed configuration, read from an environment map and
//! validated at start so a bad value stops startup with a message naming the
//! variable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use portico_runtime::env::{ConfigError, Env};

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
/// The auth service unless `PORTICO_AUTH_URL` says otherwise.
pub const DEFAULT_AUTH_URL: &str = "http://127.0.0.1:50051";
/// Upper bound on `max_retries`, so a typo cannot make a call retry for minutes.
pub const MAX_RETRIES_LIMIT: u32 = 10;
/// Podio calls per hour kept unused per credential unless
/// `PORTICO_PODIO_QUOTA_RESERVE` says otherwise.
pub const DEFAULT_QUOTA_RESERVE: u32 = 2;

/// Every environment variable the connector reads (besides the common ones of
/// `portico_runtime::telemetry::VARIABLES`): what `portico connector --help`
/// lists, and what the README's configuration table must document.
pub const VARIABLES: &[&str] = &[
    "PORTICO_CONNECTOR_LISTEN",
    "PORTICO_PODIO_API_URL",
    "PORTICO_AUTH_URL",
    "PORTICO_PODIO_TIMEOUT_SECS",
    "PORTICO_PODIO_MAX_RETRIES",
    "PORTICO_PODIO_QUOTA_RESERVE",
    "REDIS_URL",
    "PORTICO_REDIS_PREFIX",
];

/// The connector's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The gRPC listen address (`PORTICO_CONNECTOR_LISTEN`).
    pub listen: SocketAddr,
    /// The Podio API base URL, http or https, without query
    /// (`PORTICO_PODIO_API_URL`).
    pub podio_api_url: String,
    /// The auth service, which hands out every Podio access token
    /// (`PORTICO_AUTH_URL`).
    pub auth_url: String,
    /// Timeout of one HTTP request to Podio (`PORTICO_PODIO_TIMEOUT_SECS`).
    pub timeout: Duration,
    /// How many times a GET is retried after a connection error, timeout or
    /// 502/503/504 (`PORTICO_PODIO_MAX_RETRIES`).
    pub max_retries: u32,
    /// The first retry delay; it doubles per attempt, with a little jitter.
    pub retry_backoff: Duration,
    /// Redis, where every replica shares what Podio said of each
    /// credential's hourly budget (`REDIS_URL`); without it each replica
    /// keeps its own.
    pub redis_url: Option<String>,
    /// Prefix of the connector's Redis keys (`PORTICO_REDIS_PREFIX`).
    pub redis_prefix: String,
    /// Calls per hour left unused per credential: when Podio reports this
    /// many or fewer remaining, calls pause for a minute instead of meeting
    /// Podio's 420 (`PORTICO_PODIO_QUOTA_RESERVE`, default 2).
    pub quota_reserve: u32,
}

impl Config {
    /// A configuration for `podio_api_url` with defaults for everything else
    /// (for tests and `portico dev`).
    pub fn new(podio_api_url: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 50053)),
            podio_api_url: podio_api_url.into(),
            auth_url: DEFAULT_AUTH_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            redis_url: None,
            redis_prefix: "portico:".to_owned(),
            quota_reserve: DEFAULT_QUOTA_RESERVE,
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
        let auth_url = env.string_or("PORTICO_AUTH_URL", DEFAULT_AUTH_URL);
        if check_service_url(&auth_url).is_err() {
            return Err(ConfigError::Invalid {
                name: "PORTICO_AUTH_URL".to_owned(),
                value: auth_url,
                expected: format!("an http:// or https:// URL such as {DEFAULT_AUTH_URL}"),
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
        let quota_reserve = env.parse_or(
            "PORTICO_PODIO_QUOTA_RESERVE",
            DEFAULT_QUOTA_RESERVE,
            "a whole number of podio calls per hour, 0 or more",
        )?;
        Ok(Config {
            listen,
            podio_api_url,
            auth_url,
            timeout,
            max_retries,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            redis_url: env.get("REDIS_URL").map(str::to_owned),
            redis_prefix: env.string_or("PORTICO_REDIS_PREFIX", "portico:"),
            quota_reserve,
        })
    }
}

/// Checks that `url` can name a Portico service: http or https, with a host.
fn check_service_url(url: &str) -> Result<(), ()> {
    let parsed = url::Url::parse(url).map_err(|_| ())?;
    if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() {
        Ok(())
    } else {
        Err(())
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
    use portico_runtime::env::map as env;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = Config::from_env(&HashMap::new()).expect("defaults are valid");
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.podio_api_url, DEFAULT_PODIO_API_URL);
        assert_eq!(config.auth_url, DEFAULT_AUTH_URL);
        assert_eq!(config.timeout, Duration::from_secs(20));
        assert_eq!(config.max_retries, 2);
    }

    #[test]
    fn all_values_are_read() {
        let config = Config::from_env(&env(&[
            ("PORTICO_CONNECTOR_LISTEN", "127.0.0.1:6000"),
            ("PORTICO_PODIO_API_URL", "http://localhost:8090"),
            ("PORTICO_AUTH_URL", "http://auth:50051"),
            ("PORTICO_PODIO_TIMEOUT_SECS", "5"),
            ("PORTICO_PODIO_MAX_RETRIES", "0"),
        ]))
        .expect("valid");
        assert_eq!(config.listen.to_string(), "127.0.0.1:6000");
        assert_eq!(config.podio_api_url, "http://localhost:8090");
        assert_eq!(config.auth_url, "http://auth:50051");
        assert_eq!(config.timeout, Duration::from_secs(5));
        assert_eq!(config.max_retries, 0);
    }

    #[test]
    fn podio_credential_variables_are_no_longer_read() {
        // They belong to the auth service now; the connector holds no credential.
        let config = Config::from_env(&env(&[
            ("PORTICO_PODIO_CLIENT_ID", "id"),
            ("PORTICO_PODIO_USERNAME", "me@example.com"),
        ]))
        .expect("ignored, not an error");
        let debug = format!("{config:?}");
        assert!(!debug.contains("me@example.com"), "{debug}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("PORTICO_CONNECTOR_LISTEN", "nowhere"),
            ("PORTICO_PODIO_API_URL", "ftp://api.podio.com"),
            ("PORTICO_AUTH_URL", "auth:50051"),
            ("PORTICO_PODIO_TIMEOUT_SECS", "0"),
            ("PORTICO_PODIO_MAX_RETRIES", "99"),
        ] {
            let err = Config::from_env(&env(&[(name, value)])).expect_err(name);
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }
}
