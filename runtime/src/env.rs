//! Typed reading of configuration from an environment map.
//!
//! Every service's `Config::from_env` takes a `&HashMap<String, String>` (the
//! process environment in the binary, a literal map in tests, so tests never
//! call `set_var`) and reads it through [`Env`], so a bad value stops startup
//! with a message naming the variable and what is accepted.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

/// Builds an environment map from literal pairs: how tests, and programs that
/// embed a service, configure it without touching the process environment.
pub fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Checks that `url` is an absolute http(s) URL with a host and without query
/// or fragment (a base URL that paths are appended to); the error says what
/// is accepted.
pub fn check_http_url(url: &str) -> Result<(), &'static str> {
    const EXPECTED: &str =
        "an http:// or https:// URL without query or fragment, e.g. https://api.podio.com";
    let (scheme, rest) = url.split_once("://").ok_or(EXPECTED)?;
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    let ok = matches!(scheme, "http" | "https")
        && !host.is_empty()
        && !rest.contains(['?', '#', ' '])
        && !rest.contains('@');
    if ok { Ok(()) } else { Err(EXPECTED) }
}

/// A configuration value that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set (or is empty).
    #[error("{name} is required: {expected}")]
    Missing {
        /// The variable name.
        name: String,
        /// What is accepted, e.g. "a postgres:// URL".
        expected: String,
    },
    /// A variable is set to a value that cannot be used.
    #[error("{name}={value:?} is invalid: expected {expected}")]
    Invalid {
        /// The variable name.
        name: String,
        /// The value as given (never a secret: secrets are not parsed here).
        value: String,
        /// What is accepted.
        expected: String,
    },
}

/// A view of an environment map with typed getters.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a>(pub &'a HashMap<String, String>);

impl<'a> Env<'a> {
    /// The value of `name`, or `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The value of `name`, or `default`.
    pub fn string_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    /// The value of `name`, which must be set.
    pub fn required(&self, name: &str, expected: &str) -> Result<String, ConfigError> {
        self.get(name)
            .map(str::to_owned)
            .ok_or_else(|| ConfigError::Missing {
                name: name.to_owned(),
                expected: expected.to_owned(),
            })
    }

    /// `name` parsed as `T`, or `default` when unset.
    pub fn parse_or<T>(&self, name: &str, default: T, expected: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                name: name.to_owned(),
                value: raw.to_owned(),
                expected: expected.to_owned(),
            }),
        }
    }

    /// `name` as a whole number of seconds, or `default`.
    pub fn seconds_or(&self, name: &str, default: Duration) -> Result<Duration, ConfigError> {
        self.parse_or(name, default.as_secs(), "a whole number of seconds")
            .map(Duration::from_secs)
    }

    /// `name` as a boolean (`true/false/1/0/yes/no`), or `default`.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => Ok(false),
            Some(v) => Err(ConfigError::Invalid {
                name: name.to_owned(),
                value: v,
                expected: "true or false".to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::map as env;

    #[test]
    fn http_urls_are_checked() {
        for good in [
            "https://api.podio.com",
            "http://127.0.0.1:8090/",
            "http://[::1]:80",
        ] {
            assert_eq!(check_http_url(good), Ok(()), "{good}");
        }
        for bad in [
            "ftp://x",
            "api.podio.com",
            "http://",
            "https://h/?q=1",
            "https://u:p@h",
        ] {
            assert!(check_http_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_variable_and_what_is_accepted() {
        let map = env(&[("PORT", "eighty"), ("EMPTY", " ")]);
        let e = Env(&map);
        let err = e
            .parse_or::<u16>("PORT", 1, "a port number")
            .expect_err("not a number");
        assert_eq!(
            err.to_string(),
            "PORT=\"eighty\" is invalid: expected a port number"
        );
        let err = e.required("EMPTY", "a URL").expect_err("blank");
        assert_eq!(err.to_string(), "EMPTY is required: a URL");
        assert_eq!(e.parse_or::<u16>("UNSET", 7, "x"), Ok(7));
        assert!(e.bool_or("PORT", false).is_err());
    }
}
