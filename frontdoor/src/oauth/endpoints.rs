//! The OAuth endpoints' handlers: each reads its HTTP request into the auth
//! service's message (bounded, unchanged, repeated parameters kept), calls
//! it, and renders the answer. No OAuth decision is made here.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use portico_proto::auth::v1::{
    AuthorizeRequest, CallbackRequest, Param, RegisterClientRequest, RegisterClientResponse,
    RevokeRequest, RevokeResponse, TokenRequest, TokenResponse,
};

use crate::oauth::params::{self, FORM, JSON, MAX_BODY_BYTES};
use crate::oauth::refusal::Refusal;
use crate::oauth::{basic, page, reply};
use crate::state::AppState;

/// `GET /oauth/authorize`: the start of sign-in, a browser navigation.
pub(crate) async fn authorize(State(state): State<AppState>, uri: Uri) -> Response {
    let params = match params::from_query(uri.query()) {
        Ok(params) => params,
        Err(refusal) => return page::refusal(&refusal),
    };
    let answer = state
        .deps
        .oauth
        .authorize(AuthorizeRequest { params })
        .await;
    page::navigation(answer, "Authorize")
}

/// `GET /oauth/callback`: where Podio sends the user back.
pub(crate) async fn callback(State(state): State<AppState>, uri: Uri) -> Response {
    let params = match params::from_query(uri.query()) {
        Ok(params) => params,
        Err(refusal) => return page::refusal(&refusal),
    };
    let answer = state.deps.oauth.callback(CallbackRequest { params }).await;
    page::navigation(answer, "Callback")
}

/// `POST /oauth/token`.
pub(crate) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match form(&state, &headers, body).await {
        Ok(params) => exchange(&state, &headers, params).await,
        Err(refusal) => reply::refusal(&refusal),
    }
}

/// `POST /oauth/authorize`: a token request only. Copilot Studio's guide
/// gives this URL as the "Refresh URL", so refresh grants arrive here and
/// must work as at `/oauth/token`; anything else is refused with 405.
pub(crate) async fn authorize_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !params::is_media_type(&headers, FORM) {
        return reply::refusal(&Refusal::NotATokenRequest);
    }
    match form(&state, &headers, body).await {
        Ok(params) if params::has(&params, "grant_type") => {
            exchange(&state, &headers, params).await
        }
        Ok(_) => reply::refusal(&Refusal::NotATokenRequest),
        Err(refusal) => reply::refusal(&refusal),
    }
}

/// `POST /oauth/register` (RFC 7591): the metadata object passed on as sent.
pub(crate) async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let metadata_json = match metadata(&state, &headers, body).await {
        Ok(json) => json,
        Err(refusal) => return reply::refusal(&refusal),
    };
    let answer = state
        .deps
        .oauth
        .register_client(RegisterClientRequest { metadata_json })
        .await;
    match answer {
        Err(err) => reply::refusal(&Refusal::from_service(&err, "RegisterClient")),
        Ok(RegisterClientResponse {
            error: Some(error), ..
        }) => reply::oauth_error(StatusCode::BAD_REQUEST, &error, false),
        Ok(RegisterClientResponse {
            error: None,
            client_information_json,
        }) if client_information_json.is_empty() => reply::refusal(&Refusal::broken_response(
            "RegisterClient",
            "neither an error nor client information",
        )),
        Ok(RegisterClientResponse {
            error: None,
            client_information_json,
        }) => reply::json(StatusCode::CREATED, client_information_json),
    }
}

/// `POST /oauth/revoke` (RFC 7009): 200 with an empty body when done.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request = match form(&state, &headers, body).await.and_then(|params| {
        Ok(RevokeRequest {
            params,
            basic: basic::credentials(&headers)?,
        })
    }) {
        Ok(request) => request,
        Err(refusal) => return reply::refusal(&refusal),
    };
    let basic_used = request.basic.is_some();
    match state.deps.oauth.revoke(request).await {
        Err(err) => reply::refusal(&Refusal::from_service(&err, "Revoke")),
        Ok(RevokeResponse {
            error: Some(error),
            http_status,
        }) => reply::oauth_error(reply::error_status(http_status), &error, basic_used),
        Ok(RevokeResponse { error: None, .. }) => reply::empty(StatusCode::OK),
    }
}

/// A token request, wherever it arrived.
async fn exchange(state: &AppState, headers: &HeaderMap, params: Vec<Param>) -> Response {
    let basic = match basic::credentials(headers) {
        Ok(basic) => basic,
        Err(refusal) => return reply::refusal(&refusal),
    };
    let basic_used = basic.is_some();
    match state.deps.oauth.token(TokenRequest { params, basic }).await {
        Err(err) => reply::refusal(&Refusal::from_service(&err, "Token")),
        Ok(TokenResponse {
            error: Some(error),
            http_status,
            ..
        }) => reply::oauth_error(reply::error_status(http_status), &error, basic_used),
        Ok(TokenResponse {
            error: None,
            token_json,
            ..
        }) if token_json.is_empty() => reply::refusal(&Refusal::broken_response(
            "Token",
            "neither an error nor a token",
        )),
        Ok(TokenResponse {
            error: None,
            token_json,
            ..
        }) => reply::json(StatusCode::OK, token_json),
    }
}

/// The parameters of a form body.
async fn form(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Vec<Param>, Refusal> {
    if !params::is_media_type(headers, FORM) {
        return Err(Refusal::NotForm);
    }
    let body = params::read_body(body, body_limit(state)).await?;
    params::parse(&body)
}

/// A registration body: UTF-8 text that is a JSON object.
async fn metadata(state: &AppState, headers: &HeaderMap, body: Body) -> Result<String, Refusal> {
    if !params::is_media_type(headers, JSON) {
        return Err(Refusal::NotJson);
    }
    let body = params::read_body(body, body_limit(state)).await?;
    params::metadata_json(&body)
}

/// OAuth bodies are small: the OAuth cap, or the operator's lower one.
fn body_limit(state: &AppState) -> usize {
    state.settings.max_body_bytes.min(MAX_BODY_BYTES)
}
