//! Typed configuration of the front door, read from an environment map so
//! tests never touch the process environment. [`Config`] is everything
//! `serve` needs (addresses of Redis and the gRPC services included);
//! [`Settings`] is the runtime subset the HTTP surface itself uses, so
//! `portico dev` can build one without any network addresses.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use portico_runtime::env::{ConfigError, Env};
use url::Url;

const LISTEN: &str = "PORTICO_FRONTDOOR_LISTEN";
const PUBLIC_URL: &str = "PORTICO_PUBLIC_URL";
const REDIS_URL: &str = "REDIS_URL";
const REDIS_PREFIX: &str = "PORTICO_REDIS_PREFIX";
const AUTH_URL: &str = "PORTICO_AUTH_URL";
const TOOLS_URL: &str = "PORTICO_TOOLS_URL";
const RATE_LIMIT: &str = "PORTICO_RATE_LIMIT_PER_MINUTE";
const SESSION_TTL: &str = "PORTICO_SESSION_TTL_SECS";
const ALLOWED_ORIGINS: &str = "PORTICO_ALLOWED_ORIGINS";
const MAX_BODY: &str = "PORTICO_MAX_BODY_BYTES";
const DEFAULT_MODE_QUOTA: &str = "PORTICO_DEFAULT_MODE_REQUESTS_PER_HOUR";
const CLIENT_RATE_LIMIT: &str = "PORTICO_RATE_LIMIT_PER_CLIENT_PER_MINUTE";
const ALLOWED_HOSTS: &str = "PORTICO_ALLOWED_HOSTS";
const MAX_CONNECTIONS: &str = "PORTICO_MAX_CONNECTIONS";
const HEADER_TIMEOUT: &str = "PORTICO_HEADER_TIMEOUT_SECS";
const REQUEST_TIMEOUT: &str = "PORTICO_REQUEST_TIMEOUT_SECS";
const MAX_CALLS: &str = "PORTICO_MAX_CALLS_PER_PRINCIPAL";
const SHUTDOWN_DELAY: &str = "PORTICO_SHUTDOWN_DELAY_SECS";
const AUTH_FAILURES: &str = "PORTICO_AUTH_FAILURES_PER_MINUTE";
const TRUSTED_PROXIES: &str = "PORTICO_TRUSTED_PROXIES";
const IDEMPOTENCY_WINDOW: &str = "PORTICO_IDEMPOTENCY_WINDOW_SECS";
const IDEMPOTENCY_KEY_TTL: &str = "PORTICO_IDEMPOTENCY_KEY_TTL_SECS";

/// Default requests per minute per principal.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u64 = 300;
/// Default requests per hour per user in the default credential mode (the
/// server's shared Podio key): the guide's "approximately 30-40 requests".
pub const DEFAULT_DEFAULT_MODE_REQUESTS_PER_HOUR: u64 = 40;

/// Default requests per minute of all the users of one OAuth client
/// together: ten busy users' worth.
pub const DEFAULT_RATE_LIMIT_PER_CLIENT_PER_MINUTE: u64 = 3000;
/// Default sliding lifetime of an MCP session.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(3600);
/// Default largest accepted request body (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Every environment variable the front door reads (besides the common ones of
/// `portico_runtime::telemetry::VARIABLES`): what `portico frontdoor --help`
/// lists, and what the README's configuration table must document.
pub const VARIABLES: &[&str] = &[
    "PORTICO_FRONTDOOR_LISTEN",
    "PORTICO_PUBLIC_URL",
    "REDIS_URL",
    "PORTICO_REDIS_PREFIX",
    "PORTICO_AUTH_URL",
    "PORTICO_TOOLS_URL",
    "PORTICO_RATE_LIMIT_PER_MINUTE",
    "PORTICO_DEFAULT_MODE_REQUESTS_PER_HOUR",
    "PORTICO_RATE_LIMIT_PER_CLIENT_PER_MINUTE",
    "PORTICO_SESSION_TTL_SECS",
    "PORTICO_ALLOWED_ORIGINS",
    "PORTICO_MAX_BODY_BYTES",
    "PORTICO_ALLOWED_HOSTS",
    "PORTICO_MAX_CONNECTIONS",
    "PORTICO_HEADER_TIMEOUT_SECS",
    "PORTICO_REQUEST_TIMEOUT_SECS",
    "PORTICO_MAX_CALLS_PER_PRINCIPAL",
    "PORTICO_AUTH_FAILURES_PER_MINUTE",
    "PORTICO_TRUSTED_PROXIES",
    "PORTICO_SHUTDOWN_DELAY_SECS",
    "PORTICO_IDEMPOTENCY_WINDOW_SECS",
    "PORTICO_IDEMPOTENCY_KEY_TTL_SECS",
];

/// Everything the front door needs to start, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on (`PORTICO_FRONTDOOR_LISTEN`, default `0.0.0.0:8080`).
    pub listen: SocketAddr,
    /// Canonical external base URL without a trailing slash
    /// (`PORTICO_PUBLIC_URL`, default `http://localhost:8080`).
    pub public_url: String,
    /// Redis for sessions and rate limits (`REDIS_URL`); `serve` requires it.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key (`PORTICO_REDIS_PREFIX`, default `portico:`).
    pub redis_prefix: String,
    /// The auth service (`PORTICO_AUTH_URL`, default `http://127.0.0.1:50051`).
    pub auth_url: String,
    /// The tools service (`PORTICO_TOOLS_URL`, default `http://127.0.0.1:50052`).
    pub tools_url: String,
    /// Requests per minute per principal (`PORTICO_RATE_LIMIT_PER_MINUTE`, default 300).
    pub rate_limit_per_minute: u64,
    /// Requests per hour per user signed in through the server's shared
    /// Podio key (`PORTICO_DEFAULT_MODE_REQUESTS_PER_HOUR`, default 40).
    pub default_mode_requests_per_hour: u64,
    /// Requests per minute of all the tokens of one OAuth client together
    /// (`PORTICO_RATE_LIMIT_PER_CLIENT_PER_MINUTE`, default 3000; 0 turns
    /// the tier off).
    pub rate_limit_per_client_per_minute: u64,
    /// Sliding session lifetime (`PORTICO_SESSION_TTL_SECS`, default 3600).
    pub session_ttl: Duration,
    /// Extra browser origins allowed to call `/mcp`, normalized
    /// (`PORTICO_ALLOWED_ORIGINS`, comma-separated).
    pub allowed_origins: Vec<String>,
    /// Largest accepted request body (`PORTICO_MAX_BODY_BYTES`, default 1048576).
    pub max_body_bytes: usize,
    /// Extra `Host` names `/mcp` answers to besides the public URL's host
    /// and loopback (`PORTICO_ALLOWED_HOSTS`, comma-separated, lowercase).
    pub allowed_hosts: Vec<String>,
    /// Bounds on connections and requests.
    pub limits: Limits,
    /// Proxies whose `X-Forwarded-For` is believed when counting failed
    /// authentications per source address (`PORTICO_TRUSTED_PROXIES`,
    /// comma-separated addresses or CIDR ranges; none by default, so the
    /// TCP peer is the source).
    pub trusted_proxies: Vec<IpRange>,
    /// Safe retries of write tool calls.
    pub idempotency: Idempotency,
}

/// Bounds on connections and requests, so slow, idle or greedy clients
/// cannot make the server unreachable for others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open connections at most (`PORTICO_MAX_CONNECTIONS`, default 1024);
    /// more wait in the listen backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and how long
    /// an idle keep-alive connection stays open
    /// (`PORTICO_HEADER_TIMEOUT_SECS`, default 10).
    pub header_timeout: Duration,
    /// How long a request may take, body included, before the server
    /// answers 408 (`PORTICO_REQUEST_TIMEOUT_SECS`, default 120; an SSE
    /// stream, once started, is bounded by the call it streams).
    pub request_timeout: Duration,
    /// MCP requests one principal may have in flight at once
    /// (`PORTICO_MAX_CALLS_PER_PRINCIPAL`, default 16); more get 429.
    pub max_calls_per_principal: usize,
    /// How long `/ready` reports "shutting down" before the listener stops
    /// accepting, so load balancers stop routing here first
    /// (`PORTICO_SHUTDOWN_DELAY_SECS`, default 0).
    pub shutdown_delay: Duration,
    /// Failed bearer authentications (unknown, revoked or expired tokens)
    /// one source address may make per minute, across replicas, before its
    /// requests get 429 without reaching the auth service
    /// (`PORTICO_AUTH_FAILURES_PER_MINUTE`, default 30).
    pub auth_failures_per_minute: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            max_calls_per_principal: 16,
            shutdown_delay: Duration::ZERO,
            auth_failures_per_minute: 30,
        }
    }
}

impl Limits {
    fn from_env(env: &Env<'_>) -> Result<Limits, ConfigError> {
        let d = Limits::default();
        let limits = Limits {
            max_connections: env.parse_or(
                MAX_CONNECTIONS,
                d.max_connections,
                "a whole number of connections, at least 1",
            )?,
            header_timeout: env.seconds_or(HEADER_TIMEOUT, d.header_timeout)?,
            request_timeout: env.seconds_or(REQUEST_TIMEOUT, d.request_timeout)?,
            max_calls_per_principal: env.parse_or(
                MAX_CALLS,
                d.max_calls_per_principal,
                "a whole number of requests, at least 1",
            )?,
            shutdown_delay: env.seconds_or(SHUTDOWN_DELAY, d.shutdown_delay)?,
            auth_failures_per_minute: env.parse_or(
                AUTH_FAILURES,
                d.auth_failures_per_minute,
                "a whole number of failed authentications per minute, at least 1",
            )?,
        };
        positive(
            AUTH_FAILURES,
            limits.auth_failures_per_minute,
            "at least 1 failed authentication per minute",
        )?;
        positive(
            MAX_CONNECTIONS,
            limits.max_connections as u64,
            "at least 1 connection",
        )?;
        positive(
            HEADER_TIMEOUT,
            limits.header_timeout.as_secs(),
            "at least 1 second",
        )?;
        positive(
            REQUEST_TIMEOUT,
            limits.request_timeout.as_secs(),
            "at least 1 second",
        )?;
        positive(
            MAX_CALLS,
            limits.max_calls_per_principal as u64,
            "at least 1 request",
        )?;
        Ok(limits)
    }
}

impl Config {
    /// Reads and validates the configuration from an environment map.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let env = Env(env);
        let rate_limit_per_minute = env.parse_or(
            RATE_LIMIT,
            DEFAULT_RATE_LIMIT_PER_MINUTE,
            "a whole number of requests per minute, at least 1",
        )?;
        positive(
            RATE_LIMIT,
            rate_limit_per_minute,
            "at least 1 request per minute",
        )?;
        let default_mode_requests_per_hour = env.parse_or(
            DEFAULT_MODE_QUOTA,
            DEFAULT_DEFAULT_MODE_REQUESTS_PER_HOUR,
            "a whole number of requests per hour, at least 1",
        )?;
        positive(
            DEFAULT_MODE_QUOTA,
            default_mode_requests_per_hour,
            "at least 1 request per hour",
        )?;
        let rate_limit_per_client_per_minute = env.parse_or(
            CLIENT_RATE_LIMIT,
            DEFAULT_RATE_LIMIT_PER_CLIENT_PER_MINUTE,
            "a whole number of requests per minute (0 for no per-client limit)",
        )?;
        let session_ttl = env.seconds_or(SESSION_TTL, DEFAULT_SESSION_TTL)?;
        positive(SESSION_TTL, session_ttl.as_secs(), "at least 1 second")?;
        let max_body_bytes = env.parse_or(
            MAX_BODY,
            DEFAULT_MAX_BODY_BYTES,
            "a whole number of bytes, at least 1024",
        )?;
        if max_body_bytes < 1024 {
            return Err(invalid(
                MAX_BODY,
                &max_body_bytes.to_string(),
                "at least 1024 bytes",
            ));
        }
        let allowed_origins = env
            .get(ALLOWED_ORIGINS)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                normalize_origin(o).ok_or_else(|| {
                    invalid(
                        ALLOWED_ORIGINS,
                        o,
                        "comma-separated origins such as https://app.example.com",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let allowed_hosts = env
            .get(ALLOWED_HOSTS)
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .map(|h| {
                if h.len() <= 253 && h.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c)) {
                    Ok(h)
                } else {
                    Err(invalid(
                        ALLOWED_HOSTS,
                        &h,
                        "comma-separated host names such as mcp.example.com (optionally with :port)",
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let limits = Limits::from_env(&env)?;
        let trusted_proxies = env
            .get(TRUSTED_PROXIES)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                IpRange::parse(p).ok_or_else(|| {
                    invalid(
                        TRUSTED_PROXIES,
                        p,
                        "comma-separated addresses or CIDR ranges such as 10.0.0.0/8, fd00::/8",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {
            listen: env.parse_or(
                LISTEN,
                SocketAddr::from(([0, 0, 0, 0], 8080)),
                "an address such as 0.0.0.0:8080",
            )?,
            public_url: parse_public_url(&env.string_or(PUBLIC_URL, "http://localhost:8080"))?,
            redis_url: env.get(REDIS_URL).map(str::to_owned),
            redis_prefix: env.string_or(REDIS_PREFIX, "portico:"),
            auth_url: env.string_or(AUTH_URL, "http://127.0.0.1:50051"),
            tools_url: env.string_or(TOOLS_URL, "http://127.0.0.1:50052"),
            rate_limit_per_minute,
            default_mode_requests_per_hour,
            rate_limit_per_client_per_minute,
            session_ttl,
            allowed_origins,
            max_body_bytes,
            allowed_hosts,
            limits,
            trusted_proxies,
            idempotency: Idempotency::from_env(&env)?,
        })
    }
}

/// The runtime settings of the HTTP surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Canonical external base URL without a trailing slash, e.g.
    /// `https://portico.example.com`; the MCP resource is `<public_url>/mcp`.
    pub public_url: String,
    /// Requests per minute per principal.
    pub rate_limit_per_minute: u64,
    /// Requests per hour per user in the default credential mode.
    pub default_mode_requests_per_hour: u64,
    /// Requests per minute per OAuth client (all its tokens); 0: no limit.
    pub rate_limit_per_client_per_minute: u64,
    /// Sliding session lifetime.
    pub session_ttl: Duration,
    /// Extra allowed browser origins, normalized (`scheme://host[:port]`).
    pub allowed_origins: Vec<String>,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Extra `Host` names `/mcp` answers to (lowercase, optional port).
    pub allowed_hosts: Vec<String>,
    /// Bounds on connections and requests.
    pub limits: Limits,
    /// Proxies whose `X-Forwarded-For` is believed (none: the TCP peer).
    pub trusted_proxies: Vec<IpRange>,
    /// Safe retries of write tool calls.
    pub idempotency: Idempotency,
}

impl Settings {
    /// The runtime subset of a validated [`Config`].
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            public_url: config.public_url.clone(),
            rate_limit_per_minute: config.rate_limit_per_minute,
            default_mode_requests_per_hour: config.default_mode_requests_per_hour,
            rate_limit_per_client_per_minute: config.rate_limit_per_client_per_minute,
            session_ttl: config.session_ttl,
            allowed_origins: config.allowed_origins.clone(),
            max_body_bytes: config.max_body_bytes,
            allowed_hosts: config.allowed_hosts.clone(),
            limits: config.limits,
            trusted_proxies: config.trusted_proxies.clone(),
            idempotency: config.idempotency,
        }
    }

    /// Defaults for `portico dev` with the given public URL (e.g.
    /// `http://127.0.0.1:8080`). Fails if that URL is not an http(s) URL
    /// without path or query.
    pub fn for_dev(public_url: &str) -> Result<Settings, ConfigError> {
        Ok(Settings {
            public_url: parse_public_url(public_url)?,
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            default_mode_requests_per_hour: DEFAULT_DEFAULT_MODE_REQUESTS_PER_HOUR,
            rate_limit_per_client_per_minute: DEFAULT_RATE_LIMIT_PER_CLIENT_PER_MINUTE,
            session_ttl: DEFAULT_SESSION_TTL,
            allowed_origins: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            allowed_hosts: Vec::new(),
            limits: Limits::default(),
            trusted_proxies: Vec::new(),
            idempotency: Idempotency::default(),
        })
    }

    /// The OAuth issuer identifier (RFC 8414 §2): the public URL exactly, so
    /// it equals the URL clients derived the metadata's well-known URI from
    /// and the `authorization_servers` entry of the resource metadata.
    pub fn issuer(&self) -> &str {
        &self.public_url
    }

    /// The MCP endpoint's canonical URL, the OAuth resource identifier.
    pub fn resource_url(&self) -> String {
        format!("{}/mcp", self.public_url)
    }

    /// The protected resource metadata URL advertised in `WWW-Authenticate`.
    pub fn resource_metadata_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            self.public_url
        )
    }
}

/// Safe retries of write tool calls: a write repeated with the same
/// idempotency key gets the first call's result instead of writing twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idempotency {
    /// How long a write sent without an explicit key is recognised by its
    /// principal, tool and arguments (`PORTICO_IDEMPOTENCY_WINDOW_SECS`,
    /// default 60; 0 turns derived keys off, explicit keys still work).
    pub window: Duration,
    /// How long a write sent with an explicit key (`_meta`
    /// `io.portico/idempotencyKey`) is remembered
    /// (`PORTICO_IDEMPOTENCY_KEY_TTL_SECS`, default 86400).
    pub key_ttl: Duration,
    /// Largest result kept for a replay, in bytes of JSON (256 KiB). A
    /// larger one is not kept: a repeat then gets an error saying the call
    /// already ran, rather than writing again.
    pub max_result_bytes: usize,
}

/// Default window of derived idempotency keys.
pub const DEFAULT_IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(60);
/// Default lifetime of explicit idempotency keys.
pub const DEFAULT_IDEMPOTENCY_KEY_TTL: Duration = Duration::from_secs(24 * 3600);

impl Default for Idempotency {
    fn default() -> Idempotency {
        Idempotency {
            window: DEFAULT_IDEMPOTENCY_WINDOW,
            key_ttl: DEFAULT_IDEMPOTENCY_KEY_TTL,
            max_result_bytes: 256 * 1024,
        }
    }
}

impl Idempotency {
    fn from_env(env: &Env<'_>) -> Result<Idempotency, ConfigError> {
        let d = Idempotency::default();
        let idempotency = Idempotency {
            window: env.seconds_or(IDEMPOTENCY_WINDOW, d.window)?,
            key_ttl: env.seconds_or(IDEMPOTENCY_KEY_TTL, d.key_ttl)?,
            max_result_bytes: d.max_result_bytes,
        };
        positive(
            IDEMPOTENCY_KEY_TTL,
            idempotency.key_ttl.as_secs(),
            "at least 1 second",
        )?;
        Ok(idempotency)
    }
}

/// An address or CIDR range, e.g. `10.0.0.0/8`, `192.0.2.7`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Parses `addr` or `addr/prefix`; `None` if it is neither.
    pub fn parse(raw: &str) -> Option<IpRange> {
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix.parse::<u8>().ok()?)),
            None => (raw, None),
        };
        let network = addr.trim().parse::<IpAddr>().ok()?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpRange { network, prefix })
    }

    /// Whether `ip` is in the range (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (net, ip, width) = match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                (u128::from(u32::from(net)), u128::from(u32::from(ip)), 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => (u128::from(net), u128::from(ip), 128),
            _ => return false,
        };
        // Compare the first `prefix` bits.
        let host = width - u32::from(self.prefix);
        host >= 128 || net >> host == ip >> host
    }
}

/// Validates a public base URL and returns it without a trailing slash.
fn parse_public_url(raw: &str) -> Result<String, ConfigError> {
    let expected =
        "an http(s) URL without path, query or fragment, e.g. https://portico.example.com";
    let url = Url::parse(raw.trim()).map_err(|_| invalid(PUBLIC_URL, raw, expected))?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !ok {
        return Err(invalid(PUBLIC_URL, raw, expected));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `scheme://host[:port]` of an http(s) origin, with default ports dropped,
/// or `None` if `raw` is not one.
pub(crate) fn normalize_origin(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

fn positive(name: &str, value: u64, expected: &str) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(invalid(name, "0", expected));
    }
    Ok(())
}

fn invalid(name: &str, value: &str, expected: &str) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_runtime::env::map as env;

    #[test]
    fn defaults_apply_when_unset() -> Result<(), ConfigError> {
        let config = Config::from_env(&HashMap::new())?;
        assert_eq!(config.listen, SocketAddr::from(([0, 0, 0, 0], 8080)));
        assert_eq!(config.public_url, "http://localhost:8080");
        assert_eq!(config.redis_url, None);
        assert_eq!(config.redis_prefix, "portico:");
        assert_eq!(config.auth_url, "http://127.0.0.1:50051");
        assert_eq!(config.tools_url, "http://127.0.0.1:50052");
        assert_eq!(config.rate_limit_per_minute, 300);
        assert_eq!(config.session_ttl, Duration::from_secs(3600));
        assert!(config.allowed_origins.is_empty());
        assert_eq!(config.max_body_bytes, 1_048_576);
        Ok(())
    }

    #[test]
    fn public_url_is_normalized_and_origins_parsed() -> Result<(), ConfigError> {
        let config = Config::from_env(&env(&[
            (PUBLIC_URL, "https://portico.example.com/"),
            (
                ALLOWED_ORIGINS,
                "https://a.example.com:443, http://b.example.com:8000",
            ),
        ]))?;
        assert_eq!(config.public_url, "https://portico.example.com");
        assert_eq!(
            config.allowed_origins,
            vec!["https://a.example.com", "http://b.example.com:8000"]
        );
        let settings = Settings::from_config(&config);
        assert_eq!(settings.resource_url(), "https://portico.example.com/mcp");
        Ok(())
    }

    #[test]
    fn auth_failures_and_trusted_proxies_are_read() -> Result<(), ConfigError> {
        let config = Config::from_env(&HashMap::new())?;
        assert_eq!(config.limits.auth_failures_per_minute, 30);
        assert!(config.trusted_proxies.is_empty());
        let config = Config::from_env(&env(&[
            (AUTH_FAILURES, "5"),
            (TRUSTED_PROXIES, "10.0.0.0/8, 192.0.2.7 ,fd00::/8"),
        ]))?;
        assert_eq!(config.limits.auth_failures_per_minute, 5);
        let proxies = Settings::from_config(&config).trusted_proxies;
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert!(proxies[0].contains(ip("10.255.0.1")));
        assert!(!proxies[0].contains(ip("11.0.0.1")));
        assert!(proxies[0].contains(ip("::ffff:10.1.2.3")), "mapped v4");
        assert!(proxies[1].contains(ip("192.0.2.7")));
        assert!(!proxies[1].contains(ip("192.0.2.8")));
        assert!(proxies[2].contains(ip("fd12::1")));
        assert!(!proxies[2].contains(ip("fe80::1")));
        assert!(!proxies[2].contains(ip("10.0.0.1")));
        assert!(IpRange::parse("0.0.0.0/0").is_some_and(|r| r.contains(ip("8.8.8.8"))));
        assert!(IpRange::parse("::/0").is_some_and(|r| r.contains(ip("2001:db8::1"))));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "example.com",
            "10.0.0.0/x",
            "10.0.0.0/",
        ] {
            assert_eq!(IpRange::parse(bad), None, "{bad}");
        }
        Ok(())
    }

    #[test]
    fn idempotency_windows_are_read() -> Result<(), ConfigError> {
        let config = Config::from_env(&HashMap::new())?;
        assert_eq!(config.idempotency, Idempotency::default());
        assert_eq!(config.idempotency.window, Duration::from_secs(60));
        assert_eq!(config.idempotency.key_ttl, Duration::from_secs(86_400));
        let config = Config::from_env(&env(&[
            (IDEMPOTENCY_WINDOW, "0"),
            (IDEMPOTENCY_KEY_TTL, "600"),
        ]))?;
        let settings = Settings::from_config(&config);
        assert_eq!(settings.idempotency.window, Duration::ZERO);
        assert_eq!(settings.idempotency.key_ttl, Duration::from_secs(600));
        Ok(())
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            (PUBLIC_URL, "https://portico.example.com/mcp"),
            (PUBLIC_URL, "ftp://portico.example.com"),
            (PUBLIC_URL, "https://portico.example.com/?a=b"),
            (RATE_LIMIT, "0"),
            (RATE_LIMIT, "many"),
            (SESSION_TTL, "0"),
            (MAX_BODY, "10"),
            (ALLOWED_ORIGINS, "not a url"),
            (LISTEN, "8080"),
            (AUTH_FAILURES, "0"),
            (TRUSTED_PROXIES, "10.0.0.0/40"),
            (IDEMPOTENCY_KEY_TTL, "0"),
            (IDEMPOTENCY_WINDOW, "soon"),
        ] {
            let err = Config::from_env(&env(&[(name, value)]));
            match err {
                Err(e) => assert!(e.to_string().starts_with(name), "{e}"),
                Ok(_) => panic!("{name}={value} was accepted"),
            }
        }
    }
}
