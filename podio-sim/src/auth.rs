//! Authentication and rate limiting of API calls.
//!
//! Every API route sits behind [`require_token`]: it reads the access token
//! (`Authorization: OAuth2 <token>`, or `?oauth_token=`), refuses missing,
//! unknown and expired tokens the way Podio does (§2.5), counts the call
//! against the token's hourly budget, and stamps the rate-limit headers on
//! the response. The handler receives the [`Caller`] as an extension.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use crate::error::ApiError;
use crate::ratelimit::Verdict;
use crate::sim::Sim;
use crate::tokens::TokenError;

/// Header with the call ceiling of the current window.
pub const LIMIT_HEADER: &str = "x-rate-limit-limit";
/// Header with the calls left in the current window.
pub const REMAINING_HEADER: &str = "x-rate-limit-remaining";

/// The token from `Authorization: OAuth2 <token>` (Bearer is accepted too,
/// as Podio does), else from the `oauth_token` query parameter.
pub fn access_token(req: &Request) -> Option<String> {
    if let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.trim().split_once(' ')?;
        let token = token.trim();
        let known = scheme.eq_ignore_ascii_case("oauth2") || scheme.eq_ignore_ascii_case("bearer");
        return (known && !token.is_empty()).then(|| token.to_owned());
    }
    let query = req.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "oauth_token")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

fn set_limit_headers(headers: &mut HeaderMap, limit: u32, remaining: u32) {
    headers.insert(LIMIT_HEADER, HeaderValue::from(limit));
    headers.insert(REMAINING_HEADER, HeaderValue::from(remaining));
}

/// Middleware guarding every API route.
pub async fn require_token(State(sim): State<Sim>, mut req: Request, next: Next) -> Response {
    let Some(token) = access_token(&req) else {
        return ApiError::Unauthorized(
            "no access token: send the header \"Authorization: OAuth2 <token>\" or the query parameter oauth_token".to_owned(),
        )
        .into_response();
    };
    let now = Instant::now();
    let caller = match sim.check_token(&token, now) {
        Ok(caller) => caller,
        Err(TokenError::Expired) => return ApiError::ExpiredToken.into_response(),
        Err(TokenError::Unknown) => {
            return ApiError::Unauthorized("invalid access token".to_owned()).into_response();
        }
    };
    let (limit, verdict) = sim.count_call(&token, now);
    match verdict {
        Verdict::Limited { wait_secs } => {
            let mut response = ApiError::RateLimited { wait_secs }.into_response();
            set_limit_headers(response.headers_mut(), limit, 0);
            response
        }
        Verdict::Allowed { remaining } => {
            req.extensions_mut().insert(caller);
            let mut response = next.run(req).await;
            set_limit_headers(response.headers_mut(), limit, remaining);
            response
        }
    }
}
