//! Origin and Host validation against DNS rebinding (MCP Streamable HTTP: a
//! request whose `Origin` is present and not allowed MUST get 403).
//! Requests without `Origin` (non-browser clients) pass that check: they
//! cannot be rebinding attacks. The `Host` must name this server (its public
//! URL's host, loopback, or a configured name), so a page on a rebound
//! domain cannot reach a local server even where browsers omit `Origin`.

use axum::extract::{Request, State};
use axum::http::header::{HOST, ORIGIN};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::{Settings, normalize_origin};
use crate::errors::HttpError;
use crate::state::AppState;

/// Which browser origins may call the MCP endpoint, and by which host names.
#[derive(Debug, Clone)]
pub(crate) struct OriginPolicy {
    allowed: Vec<String>,
    /// Lowercase host names (a port, when given, must match too).
    hosts: Vec<String>,
}

impl OriginPolicy {
    /// The public URL's own origin plus the configured extra ones; loopback
    /// origins are always allowed (local clients such as the Inspector).
    pub(crate) fn new(settings: &Settings) -> OriginPolicy {
        let mut allowed = settings.allowed_origins.clone();
        allowed.extend(normalize_origin(&settings.public_url));
        let mut hosts = settings.allowed_hosts.clone();
        if let Some(host) = url::Url::parse(&settings.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        {
            hosts.push(host);
        }
        OriginPolicy { allowed, hosts }
    }

    /// Whether a `Host` header value (`name[:port]`) names this server.
    pub(crate) fn allows_host(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let name = match host.rsplit_once(':') {
            // An IPv6 literal keeps its colons inside the brackets.
            Some((name, port))
                if !port.contains(']') && port.chars().all(|c| c.is_ascii_digit()) =>
            {
                name
            }
            _ => host.as_str(),
        };
        matches!(name, "localhost" | "127.0.0.1" | "[::1]")
            || self.hosts.iter().any(|h| *h == host || *h == name)
    }

    /// Whether an `Origin` header value is allowed.
    pub(crate) fn allows(&self, origin: &str) -> bool {
        // "null" (sandboxed frames, file://) and garbage fail to parse: refused.
        let Some(normalized) = normalize_origin(origin) else {
            return false;
        };
        if self.allowed.contains(&normalized) {
            return true;
        }
        url::Url::parse(&normalized)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .is_some_and(|host| matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]"))
    }
}

/// Middleware: refuses requests from origins that are not allowed.
pub(crate) async fn check_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    // A request without any Host (HTTP/1.0, in-process callers) cannot come
    // from a browser on a rebound name, which always sends one.
    match host {
        None => {}
        Some(host) if state.origins.allows_host(host) => {}
        Some(host) => {
            let shown: String = host.chars().take(100).collect();
            tracing::info!(host = %shown.escape_debug(), "refused a request for a host this server is not");
            return HttpError::HostNotAllowed(shown).into_response();
        }
    }
    if let Some(origin) = request.headers().get(ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        if !state.origins.allows(origin) {
            tracing::info!(origin, "refused a request from a disallowed origin");
            return HttpError::OriginNotAllowed.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_own_origin_loopback_and_configured() -> Result<(), portico_runtime::env::ConfigError>
    {
        let mut settings = Settings::for_dev("https://portico.example.com")?;
        settings.allowed_origins = vec!["https://app.example.com".to_owned()];
        let policy = OriginPolicy::new(&settings);
        for ok in [
            "https://portico.example.com",
            "https://portico.example.com:443",
            "https://app.example.com",
            "http://localhost:6274",
            "https://localhost",
            "http://127.0.0.1:3000",
            "http://[::1]:8080",
        ] {
            assert!(policy.allows(ok), "{ok} should be allowed");
        }
        for bad in [
            "http://evil.example.com",
            "http://portico.example.com",
            "https://portico.example.com.evil.com",
            "http://localhost.evil.com",
            "null",
            "",
            "ftp://localhost",
        ] {
            assert!(!policy.allows(bad), "{bad} should be refused");
        }
        Ok(())
    }

    #[test]
    fn allows_own_host_loopback_and_configured_hosts()
    -> Result<(), portico_runtime::env::ConfigError> {
        let mut settings = Settings::for_dev("https://portico.example.com")?;
        settings.allowed_hosts = vec!["internal.svc".to_owned(), "proxy:8443".to_owned()];
        let policy = OriginPolicy::new(&settings);
        for ok in [
            "portico.example.com",
            "PORTICO.example.com:443",
            "localhost:8080",
            "127.0.0.1",
            "[::1]:3000",
            "internal.svc:80",
            "proxy:8443",
        ] {
            assert!(policy.allows_host(ok), "{ok} should be allowed");
        }
        for bad in [
            "evil.example.com",
            "portico.example.com.evil",
            "proxy:8444",
            "",
            "[::2]:80",
        ] {
            assert!(!policy.allows_host(bad), "{bad} should be refused");
        }
        Ok(())
    }
}
