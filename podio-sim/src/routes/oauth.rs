//! `POST /oauth/token` and `POST /oauth/token/v2` (§2 of podio-api.md): the
//! authorization_code, password, refresh_token and app grants, for every
//! seeded API key.
//!
//! Both paths take the same parameters. The legacy path is documented with a
//! form-encoded body and v2 with JSON; whether each also accepts the other
//! encoding is unconfirmed, so both accept both, chosen by `Content-Type`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::clients::{self, ApiKey};
use crate::error::ApiError;
use crate::sim::Sim;
use crate::tokens::{Issued, Subject};
use crate::world::Caller;

/// Podio's scope when none is asked for (§2.4).
const DEFAULT_SCOPE: &str = "global:all";

/// The token routes.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/token/v2", post(token))
}

/// The request parameters as strings, from a JSON object or a form body.
fn params(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().starts_with("application/json"));
    if !is_json {
        return Ok(url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::InvalidRequest(format!("the body is not valid json: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::InvalidRequest(
            "the body must be a json object of oauth parameters".to_owned(),
        ));
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            Value::Number(n) => Some((k, n.to_string())),
            _ => None,
        })
        .collect())
}

fn required<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::InvalidRequest(format!("parameter {name} is required")))
}

fn response(sim: &Sim, issued: &Issued) -> Json<Value> {
    let (ref_type, ref_id) = match issued.subject.caller {
        Caller::User(id) => ("user", id),
        Caller::App(id) => ("app", id),
    };
    Json(json!({
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": sim.config().token_ttl.as_secs(),
        "refresh_token": issued.refresh_token,
        "scope": issued.subject.scope,
        "ref": { "type": ref_type, "id": ref_id },
    }))
}

/// A user's subject through `key`.
fn user_subject(key: &ApiKey, user_id: u64, scope: Option<String>) -> Subject {
    Subject {
        caller: Caller::User(user_id),
        client_id: key.client_id.to_owned(),
        scope: scope.unwrap_or_else(|| DEFAULT_SCOPE.to_owned()),
    }
}

async fn token(
    State(sim): State<Sim>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let params = params(&headers, &body)?;
    let grant_type = required(&params, "grant_type")?;
    let client_id = required(&params, "client_id")?;
    let client_secret = required(&params, "client_secret")?;
    let key = clients::authenticate(client_id, client_secret).ok_or(ApiError::InvalidClient)?;
    let issued = match grant_type {
        "authorization_code" => {
            let code = required(&params, "code")?;
            let redirect_uri = required(&params, "redirect_uri")?;
            let authorization = sim
                .take_code(code, key.client_id, redirect_uri)
                .map_err(|e| ApiError::InvalidGrant(e.to_string()))?;
            sim.issue_token(user_subject(
                key,
                authorization.user_id,
                authorization.scope,
            ))
        }
        "password" => {
            let username = required(&params, "username")?;
            let password = required(&params, "password")?;
            let user_id = sim
                .world()
                .user_by_login(username, password)
                .map(|u| u.user_id);
            let user_id = user_id
                .ok_or_else(|| ApiError::InvalidGrant("invalid username or password".to_owned()))?;
            sim.issue_token(user_subject(key, user_id, None))
        }
        "refresh_token" => {
            let refresh_token = required(&params, "refresh_token")?;
            sim.refresh_token(refresh_token, key.client_id)
                .ok_or_else(|| {
                    ApiError::InvalidGrant(
                        "the refresh token is unknown, expired, already used or issued to another client_id"
                            .to_owned(),
                    )
                })?
        }
        "app" => {
            let app_id = required(&params, "app_id")?;
            let app_token = required(&params, "app_token")?;
            let app_id = app_id.parse::<u64>().map_err(|_| {
                ApiError::InvalidRequest(format!("app_id must be a number, got {app_id:?}"))
            })?;
            let valid = sim
                .world()
                .apps
                .get(&app_id)
                .is_some_and(|a| a.token == app_token);
            if !valid {
                return Err(ApiError::InvalidGrant(
                    "invalid app_id or app_token".to_owned(),
                ));
            }
            sim.issue_token(Subject {
                caller: Caller::App(app_id),
                client_id: key.client_id.to_owned(),
                scope: format!("app_{app_id}:all"),
            })
        }
        other => return Err(ApiError::UnsupportedGrantType(other.to_owned())),
    };
    Ok(response(&sim, &issued))
}
