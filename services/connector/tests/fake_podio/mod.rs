//! A tiny fake of the Podio API for the connector's tests: the two token
//! endpoints and a handful of API paths with scripted failures. Podio is the
//! one thing Portico does not own, so faking it here is the right seam.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What the fake saw and how it should misbehave.
#[derive(Default)]
pub struct FakeState {
    /// Answer 404 on /oauth/token/v2, like a Podio that only has the legacy endpoint.
    pub no_v2: AtomicBool,
    /// Refuse refresh grants with 400 invalid_grant.
    pub reject_refresh: AtomicBool,
    /// Refuse password grants with 400 invalid_grant.
    pub reject_password: AtomicBool,
    /// Issue tokens with `expires_in: 0`, so they are due for renewal at once.
    pub short_lived: AtomicBool,
    /// Access tokens the API answers 401 expired_token to.
    pub expired: Mutex<HashSet<String>>,
    /// Every token request: (endpoint path, grant_type, content type).
    pub token_requests: Mutex<Vec<(String, String, String)>>,
    /// Every API request: (method, path, Authorization header).
    pub api_requests: Mutex<Vec<(String, String, String)>>,
    issued: AtomicUsize,
}

impl FakeState {
    pub fn token_hits(&self) -> usize {
        self.token_requests.lock().expect("lock").len()
    }

    /// Makes Podio answer 401 expired_token for `token` from now on.
    pub fn expire(&self, token: &str) {
        self.expired.lock().expect("lock").insert(token.to_owned());
    }

    pub fn grant_types(&self) -> Vec<String> {
        self.token_requests
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, grant, _)| grant.clone())
            .collect()
    }

    pub fn api_hits(&self, path: &str) -> usize {
        self.api_requests
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, p, _)| p == path)
            .count()
    }

    pub fn auth_headers(&self) -> Vec<String> {
        self.api_requests
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, _, auth)| auth.clone())
            .collect()
    }
}

/// A running fake; the server stops when the test's runtime ends.
pub struct FakePodio {
    pub url: String,
    pub state: Arc<FakeState>,
}

impl FakePodio {
    pub async fn start() -> Self {
        let state = Arc::new(FakeState::default());
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake podio serves");
        });
        Self {
            url: format!("http://{addr}"),
            state,
        }
    }
}

fn json_response(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).expect("status");
    (status, axum::Json(body)).into_response()
}

fn podio_error(status: u16, error: &str, description: &str) -> Response {
    json_response(
        status,
        json!({"error": error, "error_description": description, "error_detail": null,
               "error_parameters": {}, "error_propagate": false}),
    )
}

async fn handle(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if path == "/oauth/token/v2" || path == "/oauth/token" {
        return token(&state, &path, &content_type, &body);
    }
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    state
        .api_requests
        .lock()
        .expect("lock")
        .push((method.to_string(), path.clone(), auth.clone()));
    let Some(token) = auth.strip_prefix("OAuth2 ") else {
        return podio_error(401, "unauthorized", "missing OAuth2 authorization");
    };
    if state.expired.lock().expect("lock").contains(token) {
        return podio_error(401, "invalid_token", "expired_token");
    }
    match (method.as_str(), path.as_str()) {
        ("GET", "/item/1") => {
            let mut response = json_response(200, json!({"item_id": 1, "title": "Acme"}));
            let h = response.headers_mut();
            h.insert("x-rate-limit-limit", "1000".parse().expect("hv"));
            h.insert("x-rate-limit-remaining", "998".parse().expect("hv"));
            response
        }
        ("GET", "/item/404") => podio_error(404, "not_found", "Object not found"),
        ("GET", "/limited") => podio_error(
            420,
            "rate_limit",
            "You have hit the rate limit. Please wait 42 seconds before trying again",
        ),
        ("DELETE", "/item/1") => StatusCode::NO_CONTENT.into_response(),
        (_, "/flaky") => (StatusCode::SERVICE_UNAVAILABLE, "<html>down</html>").into_response(),
        (_, "/echo") => {
            let query: Vec<(String, String)> =
                url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                    .into_owned()
                    .collect();
            json_response(
                200,
                json!({
                    "method": method.as_str(),
                    "query": query,
                    "content_type": content_type,
                    "body": String::from_utf8_lossy(&body),
                }),
            )
        }
        _ => podio_error(404, "not_found", "No such path"),
    }
}

fn token(state: &FakeState, path: &str, content_type: &str, body: &[u8]) -> Response {
    let v2 = path == "/oauth/token/v2";
    let params: HashMap<String, String> = if v2 {
        serde_json::from_slice(body).unwrap_or_default()
    } else {
        url::form_urlencoded::parse(body).into_owned().collect()
    };
    let grant = params.get("grant_type").cloned().unwrap_or_default();
    state.token_requests.lock().expect("lock").push((
        path.to_owned(),
        grant.clone(),
        content_type.to_owned(),
    ));
    if v2 && state.no_v2.load(Ordering::SeqCst) {
        return (StatusCode::NOT_FOUND, "not here").into_response();
    }
    if params.get("client_id").map(String::as_str) != Some("cid")
        || params.get("client_secret").map(String::as_str) != Some("csecret")
    {
        return podio_error(400, "invalid_client", "bad client");
    }
    let ok = match grant.as_str() {
        "password" => {
            !state.reject_password.load(Ordering::SeqCst)
                && params.get("username").map(String::as_str) == Some("me@example.com")
                && params.get("password").map(String::as_str) == Some("pw")
        }
        "refresh_token" => {
            !state.reject_refresh.load(Ordering::SeqCst)
                && params
                    .get("refresh_token")
                    .is_some_and(|t| t.starts_with("refresh-"))
        }
        _ => false,
    };
    if !ok {
        return podio_error(400, "invalid_grant", "Invalid user credentials");
    }
    let n = state.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let expires_in = if state.short_lived.load(Ordering::SeqCst) {
        0
    } else {
        28800
    };
    json_response(
        200,
        json!({"access_token": format!("token-{n}"), "token_type": "bearer",
               "expires_in": expires_in, "refresh_token": format!("refresh-{n}"),
               "ref": {"type": "user", "id": 1}, "scope": "global:all"}),
    )
}
