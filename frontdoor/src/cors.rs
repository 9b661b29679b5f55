//! CORS for the endpoints browser-based OAuth clients (the MCP Inspector's
//! UI, web apps) call from JavaScript: the metadata documents, token,
//! registration and revocation. Any origin may read them, without
//! credentials (cookies): they carry nothing ambient a foreign page could
//! abuse, since every secret travels in the request itself.
//!
//! Not used on `/oauth/authorize` and `/oauth/callback` (browser navigations,
//! which CORS does not govern). `/mcp` has its own policy
//! ([`allowed_origins`]): only the origins `origin.rs` allows may read its
//! answers, and its preflight is answered before authentication (browsers
//! send no credentials on a preflight).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ALLOW,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Request headers a cross-origin caller may send.
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, MCP-Protocol-Version";
/// Response headers a cross-origin caller may read (the Basic challenge of
/// a 401, and when to retry a 503).
const EXPOSED_HEADERS: &str = "WWW-Authenticate, Retry-After";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE_SECS: &str = "86400";

/// The methods a route answers, as the `Allow` / preflight header lists them.
#[derive(Debug, Clone, Copy)]
struct Methods(&'static str);

/// `router`'s routes with CORS: preflight `OPTIONS` is answered here, and
/// every other answer is marked readable by any origin. `methods` are the
/// routes' own methods, e.g. `"POST, OPTIONS"`.
pub(crate) fn any_origin(router: Router<AppState>, methods: &'static str) -> Router<AppState> {
    // A route layer runs before method routing, so OPTIONS reaches it even
    // though no route declares an OPTIONS handler.
    router.route_layer(from_fn_with_state(Methods(methods), handle))
}

async fn handle(State(methods): State<Methods>, request: Request, next: Next) -> Response {
    if request.method() == Method::OPTIONS {
        return preflight(methods);
    }
    let mut response = next.run(request).await;
    allow_any_origin(response.headers_mut());
    response
}

/// 204 to a preflight (or a plain `OPTIONS`): which methods and headers a
/// cross-origin request may use here.
fn preflight(Methods(methods): Methods) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    allow_any_origin(headers);
    let methods = HeaderValue::from_static(methods);
    headers.insert(ACCESS_CONTROL_ALLOW_METHODS, methods.clone());
    headers.insert(ALLOW, methods);
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE_SECS),
    );
    response
}

fn allow_any_origin(headers: &mut HeaderMap) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
}

/// Request headers a browser-based MCP client may send to `/mcp`.
const MCP_ALLOWED_HEADERS: &str = "Authorization, Content-Type, Accept, Mcp-Session-Id, \
     MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID";
/// Response headers it may read: the session id, the OAuth challenge, and
/// when to retry.
const MCP_EXPOSED_HEADERS: &str = "Mcp-Session-Id, WWW-Authenticate, Retry-After, \
     RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset";
/// The methods `/mcp` answers.
const MCP_METHODS: &str = "GET, POST, DELETE, OPTIONS";
/// How long a browser may cache an `/mcp` preflight answer, in seconds.
const MCP_MAX_AGE_SECS: &str = "600";

/// Middleware for `/mcp` (outermost): a preflight from an allowed origin is
/// answered 204 here, unauthenticated; every answer to an allowed origin
/// names it (never `*`, since requests carry a bearer token) and exposes
/// the headers a client needs. A disallowed origin gets no CORS headers, so
/// the browser hides the answer (and `origin.rs` refuses the request).
pub(crate) async fn allowed_origins(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let origin = request
        .headers()
        .get(axum::http::header::ORIGIN)
        .filter(|o| o.to_str().is_ok_and(|o| state.origins.allows(o)))
        .cloned();
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    if request.method() == Method::OPTIONS {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        decorate(headers, origin);
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(MCP_METHODS),
        );
        headers.insert(ALLOW, HeaderValue::from_static(MCP_METHODS));
        headers.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(MCP_ALLOWED_HEADERS),
        );
        headers.insert(
            ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MCP_MAX_AGE_SECS),
        );
        return response;
    }
    let mut response = next.run(request).await;
    decorate(response.headers_mut(), origin);
    response
}

fn decorate(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(MCP_EXPOSED_HEADERS),
    );
    headers.append(axum::http::header::VARY, HeaderValue::from_static("Origin"));
}
