//! The simulator's configuration, read from an environment map. The
//! simulator stands alone: it shares no code with the Portico it is used to
//! check, configuration parsing included.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use crate::faults::{FAULTS_VAR, Rule};

/// Every environment variable the simulator reads (besides the logging ones
/// of the process it runs in): what `portico podio-sim --help`
/// lists, and what the README's configuration table must document.
pub const VARIABLES: &[&str] = &[
    "PODIO_SIM_LISTEN",
    "PODIO_SIM_RATE_LIMIT_PER_HOUR",
    "PODIO_SIM_TOKEN_TTL_SECS",
    "PODIO_SIM_LATENCY_MS",
    "PODIO_SIM_FAULTS",
];

/// A variable set to a value the simulator cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?} is invalid: expected {expected}")]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// The value as given.
    pub value: String,
    /// What is accepted.
    pub expected: String,
}

/// `name`'s value parsed, `default` when unset or empty.
fn parse_or<T: FromStr>(
    env: &HashMap<String, String>,
    name: &'static str,
    default: T,
    expected: &'static str,
) -> Result<T, ConfigError> {
    match env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(value) => value.parse().map_err(|_| ConfigError {
            name,
            value: value.to_owned(),
            expected: expected.to_owned(),
        }),
    }
}

/// Variable holding the per-token hourly call budget.
pub const RATE_LIMIT_VAR: &str = "PODIO_SIM_RATE_LIMIT_PER_HOUR";
/// Variable holding the access-token lifetime in seconds.
pub const TOKEN_TTL_VAR: &str = "PODIO_SIM_TOKEN_TTL_SECS";
/// Variable holding the added latency of every API answer, in milliseconds.
pub const LATENCY_VAR: &str = "PODIO_SIM_LATENCY_MS";
/// The longest latency accepted.
const MAX_LATENCY_MS: u64 = 60_000;

/// How the simulator behaves where Podio's behaviour depends on the account.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// API calls one access token may make per hour before getting HTTP 420.
    pub rate_limit_per_hour: u32,
    /// Lifetime of an access token (Podio: 8 hours). Zero issues tokens that
    /// are already expired, which lets tests exercise the refresh path.
    pub token_ttl: Duration,
    /// How long every API answer is held back, as a distant Podio's would be
    /// (for benchmarks); zero by default.
    pub latency: Duration,
    /// Fault-injection rules in force from the start (see
    /// [`crate::faults`]); none by default.
    pub faults: Vec<Rule>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rate_limit_per_hour: 5000,
            token_ttl: Duration::from_secs(28_800),
            latency: Duration::ZERO,
            faults: Vec::new(),
        }
    }
}

impl Config {
    /// Reads `PODIO_SIM_RATE_LIMIT_PER_HOUR`, `PODIO_SIM_TOKEN_TTL_SECS`,
    /// `PODIO_SIM_LATENCY_MS` and `PODIO_SIM_FAULTS`, defaulting each one
    /// that is unset.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let defaults = Config::default();
        const LATENCY: &str = "a whole number of milliseconds, at most 60000";
        let latency_ms = parse_or(env, LATENCY_VAR, 0u64, LATENCY)?;
        if latency_ms > MAX_LATENCY_MS {
            return Err(ConfigError {
                name: LATENCY_VAR,
                value: latency_ms.to_string(),
                expected: LATENCY.to_owned(),
            });
        }
        let faults = match env
            .get(FAULTS_VAR)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            None => Vec::new(),
            Some(value) => crate::faults::parse_rules(value).map_err(|e| ConfigError {
                name: FAULTS_VAR,
                // A long value is cut: the reason names what is wrong.
                value: value.chars().take(200).collect(),
                expected: e.to_string(),
            })?,
        };
        Ok(Config {
            faults,
            latency: Duration::from_millis(latency_ms),
            rate_limit_per_hour: parse_or(
                env,
                RATE_LIMIT_VAR,
                defaults.rate_limit_per_hour,
                "a whole number of calls per hour",
            )?,
            token_ttl: Duration::from_secs(parse_or(
                env,
                TOKEN_TTL_VAR,
                defaults.token_ttl.as_secs(),
                "a whole number of seconds",
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_and_bad_values_name_the_variable() {
        assert_eq!(Config::from_env(&HashMap::new()), Ok(Config::default()));
        let env = HashMap::from([
            (RATE_LIMIT_VAR.to_owned(), "10".to_owned()),
            (TOKEN_TTL_VAR.to_owned(), "0".to_owned()),
        ]);
        assert_eq!(
            Config::from_env(&env),
            Ok(Config {
                rate_limit_per_hour: 10,
                token_ttl: Duration::ZERO,
                latency: Duration::ZERO,
                faults: Vec::new(),
            })
        );
        let slow = HashMap::from([(LATENCY_VAR.to_owned(), "50".to_owned())]);
        assert_eq!(
            Config::from_env(&slow).map(|c| c.latency),
            Ok(Duration::from_millis(50))
        );
        let too_slow = HashMap::from([(LATENCY_VAR.to_owned(), "60001".to_owned())]);
        let err = Config::from_env(&too_slow).expect_err("over a minute");
        assert!(err.to_string().contains("at most 60000"), "{err}");
        let faulty = HashMap::from([(
            FAULTS_VAR.to_owned(),
            r#"[{"path_prefix": "/item/", "fault": {"kind": "status", "status": 503}}]"#.to_owned(),
        )]);
        assert_eq!(Config::from_env(&faulty).map(|c| c.faults.len()), Ok(1));
        let broken = HashMap::from([(FAULTS_VAR.to_owned(), "[{}]".to_owned())]);
        let err = Config::from_env(&broken).expect_err("a rule without a fault");
        assert!(err.to_string().contains(FAULTS_VAR), "{err}");
        assert!(err.to_string().contains("fault"), "{err}");
        let bad = HashMap::from([(RATE_LIMIT_VAR.to_owned(), "lots".to_owned())]);
        let err = Config::from_env(&bad).expect_err("non-numeric limit");
        assert!(err.to_string().contains(RATE_LIMIT_VAR), "{err}");
    }
}
