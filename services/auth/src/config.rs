//! The auth service's configuration, read from an environment map and checked
//! at startup so a bad value stops the process with a message naming the
//! variable. Secret values are held in [`Secret`] and never echoed, not even in
//! error messages.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

use portico_proto::env::{ConfigError, Env};

use portico_proto::secret::Secret;

/// Address the auth service listens on.
pub const LISTEN_VAR: &str = "PORTICO_AUTH_LISTEN";
/// Postgres URL of the token store.
pub const DATABASE_URL_VAR: &str = "DATABASE_URL";
/// Secret required on admin RPCs.
pub const ADMIN_SECRET_VAR: &str = "PORTICO_ADMIN_SECRET";
/// The default gRPC port of the auth service.
pub const DEFAULT_PORT: u16 = 50051;

const DATABASE_URL_EXPECTED: &str = "a postgres:// or postgresql:// URL";

/// Configuration of the auth service.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen for gRPC (`PORTICO_AUTH_LISTEN`, default `0.0.0.0:50051`).
    pub listen: SocketAddr,
    /// The token store's Postgres URL (`DATABASE_URL`); may carry a password.
    pub database_url: Secret,
    /// The admin secret (`PORTICO_ADMIN_SECRET`); admin RPCs are open without one.
    pub admin_secret: Option<Secret>,
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
        Ok(Config {
            listen,
            database_url: Secret::new(database_url),
            admin_secret: env.get(ADMIN_SECRET_VAR).map(Secret::new),
        })
    }
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
    use portico_proto::env::map as env;

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
