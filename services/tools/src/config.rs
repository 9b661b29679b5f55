//! The tools service's configuration, read from an environment map so tests
//! never touch the process environment.

use std::collections::HashMap;
use std::net::SocketAddr;

use portico_runtime::env::{ConfigError, Env};

/// Every environment variable the tools service reads (besides the common ones of
/// `portico_runtime::telemetry::VARIABLES`): what `portico tools --help`
/// lists, and what the README's configuration table must document.
pub const VARIABLES: &[&str] = &[
    "PORTICO_TOOLS_LISTEN",
    "PORTICO_AUTH_URL",
    "PORTICO_CONNECTOR_URL",
];

/// Where the tools service listens and where it finds its dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address the gRPC server binds (`PORTICO_TOOLS_LISTEN`).
    pub listen: SocketAddr,
    /// URL of the auth service (`PORTICO_AUTH_URL`).
    pub auth_url: String,
    /// URL of the connector service (`PORTICO_CONNECTOR_URL`).
    pub connector_url: String,
}

impl Config {
    /// Reads `PORTICO_TOOLS_LISTEN` (default `0.0.0.0:50052`),
    /// `PORTICO_AUTH_URL` (default `http://127.0.0.1:50051`) and
    /// `PORTICO_CONNECTOR_URL` (default `http://127.0.0.1:50053`).
    pub fn from_env(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let env = Env(env);
        let listen = env.parse_or(
            "PORTICO_TOOLS_LISTEN",
            SocketAddr::from(([0, 0, 0, 0], 50052)),
            "a socket address such as 0.0.0.0:50052",
        )?;
        Ok(Config {
            listen,
            auth_url: env.string_or("PORTICO_AUTH_URL", "http://127.0.0.1:50051"),
            connector_url: env.string_or("PORTICO_CONNECTOR_URL", "http://127.0.0.1:50053"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let config = Config::from_env(&HashMap::new()).expect("defaults are valid");
        assert_eq!(config.listen.to_string(), "0.0.0.0:50052");
        assert_eq!(config.auth_url, "http://127.0.0.1:50051");
        assert_eq!(config.connector_url, "http://127.0.0.1:50053");

        let env = HashMap::from([
            (
                "PORTICO_TOOLS_LISTEN".to_owned(),
                "127.0.0.1:7000".to_owned(),
            ),
            (
                "PORTICO_CONNECTOR_URL".to_owned(),
                "http://connector:1".to_owned(),
            ),
        ]);
        let config = Config::from_env(&env).expect("valid");
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.connector_url, "http://connector:1");
    }

    #[test]
    fn bad_listen_address_names_the_variable() {
        let env = HashMap::from([("PORTICO_TOOLS_LISTEN".to_owned(), "nope".to_owned())]);
        let err = Config::from_env(&env).expect_err("invalid");
        assert!(err.to_string().starts_with("PORTICO_TOOLS_LISTEN=\"nope\""));
    }
}
