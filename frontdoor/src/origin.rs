//! Origin validation against DNS rebinding (MCP Streamable HTTP: a request
//! whose `Origin` is present and not allowed MUST get 403). Requests without
//! `Origin` (non-browser clients) pass: they cannot be rebinding attacks.

use axum::extract::{Request, State};
use axum::http::header::ORIGIN;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::{Settings, normalize_origin};
use crate::errors::HttpError;
use crate::state::AppState;

/// Which browser origins may call the MCP endpoint.
#[derive(Debug, Clone)]
pub(crate) struct OriginPolicy {
    allowed: Vec<String>,
}

impl OriginPolicy {
    /// The public URL's own origin plus the configured extra ones; loopback
    /// origins are always allowed (local clients such as the Inspector).
    pub(crate) fn new(settings: &Settings) -> OriginPolicy {
        let mut allowed = settings.allowed_origins.clone();
        allowed.extend(normalize_origin(&settings.public_url));
        OriginPolicy { allowed }
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
    fn allows_own_origin_loopback_and_configured() -> Result<(), portico_proto::env::ConfigError> {
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
}
