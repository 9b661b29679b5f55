//! Link embeds: `POST /embed/` turns a URL into an embed whose id embed
//! (link) fields accept.

use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json, Router};
use bytes::Bytes;
use serde_json::Value;

use super::Auth;
use super::input::json_body;
use crate::error::ApiError;
use crate::sim::Sim;
use crate::world::model::Embed;
use crate::world::render;

/// The embed routes.
pub fn router() -> Router<Sim> {
    Router::new().route("/embed/", post(create))
}

/// The URL of a create request, checked to be an absolute http(s) URL.
fn link(body: &Value) -> Result<url::Url, ApiError> {
    let raw = body.get("url").and_then(Value::as_str).ok_or_else(|| {
        ApiError::InvalidValue(format!(
            "the body must be {{\"url\": \"https://…\"}}, got {body}"
        ))
    })?;
    url::Url::parse(raw.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            ApiError::InvalidValue(format!(
                "url must be an absolute http or https URL such as https://example.com/, got {raw:?}"
            ))
        })
}

/// Creates the embed for a URL; the same URL again answers the existing
/// embed, as Podio resolves each URL once.
async fn create(
    State(sim): State<Sim>,
    Extension(_caller): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(&body, "\"url\"")?;
    let url = link(&body)?.to_string();
    let mut world = sim.world_mut();
    if let Some(existing) = world.embeds.values().find(|e| e.url == url) {
        return Ok(Json(render::embed(existing)));
    }
    let embed_id = world.embeds.keys().next_back().map_or(1, |id| id + 1);
    let host = url.split('/').nth(2).unwrap_or_default().to_owned();
    let embed = Embed {
        embed_id,
        url,
        title: host,
        description: String::new(),
    };
    let rendered = render::embed(&embed);
    world.embeds.insert(embed_id, embed);
    Ok(Json(rendered))
}
