//! What the server offers beside tools, as the tools service reports it:
//! the `resources`, `prompts` and `completions` capabilities are added to
//! `initialize` and `server/discover` only when the service serves them (a
//! normal build serves none, the `conformance-fixtures` build the suite's
//! fixtures), so what is advertised stays true whichever tools service is
//! behind the front door; and their methods are answered only when served
//! (otherwise they are unknown methods). Also the one mapping of the tools service's
//! errors for resources, prompts and completion into MCP terms.

use axum::http::StatusCode;
use portico_proto::error::{ErrorCode, ServiceError};
use portico_proto::tools::v1::Features;
use rmcp::model::{ErrorData, RequestId};
use serde_json::{Map, Value, json};

use crate::auth::{Caller, unauthorized};
use crate::errors::{HttpError, SERVER_ERROR, Unauthorized};
use crate::mcp::McpError;
use crate::mcp::jsonrpc::RpcError;
use crate::state::AppState;

/// Which generation the capabilities are for: legacy sessions may
/// subscribe to resources; 2026-07-28 has no `resources/subscribe`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum For {
    Legacy,
    Modern,
}

/// `result` (an `initialize` or `server/discover` result) with the
/// capabilities the tools service's features call for added to its
/// `capabilities`. If the service cannot say, nothing is added: a client
/// then sees tools only, which is never a false promise.
pub(crate) async fn advertise(state: &AppState, caller: &Caller, era: For, result: Value) -> Value {
    let features = match state.deps.tools.features(&caller.token).await {
        Ok(features) => features,
        Err(err) => {
            tracing::warn!(code = ?err.code, message = %err.message, "the tools service did not report its features; advertising tools only");
            return result;
        }
    };
    let Value::Object(mut result) = result else {
        return result;
    };
    if let Some(Value::Object(capabilities)) = result.get_mut("capabilities") {
        add(capabilities, &features, era);
    }
    Value::Object(result)
}

fn add(
    capabilities: &mut Map<String, Value>,
    features: &portico_proto::tools::v1::Features,
    era: For,
) {
    if features.resources {
        let subscribe = features.resource_subscriptions && matches!(era, For::Legacy);
        capabilities.insert(
            "resources".to_owned(),
            json!({"subscribe": subscribe, "listChanged": false}),
        );
    }
    if features.prompts {
        capabilities.insert("prompts".to_owned(), json!({"listChanged": false}));
    }
    if features.completions {
        capabilities.insert("completions".to_owned(), json!({}));
    }
}

/// What the dispatch matches in place of a method of a feature the tools
/// service does not offer: no arm has it, so the method is answered as
/// unknown (-32601; 404 on 2026-07-28).
pub(crate) const NOT_OFFERED: &str = "(not offered)";

/// `method`, or [`NOT_OFFERED`] when it belongs to resources, prompts or
/// completion and the tools service does not serve that feature: a server
/// handles only what it declares (the conformance suite checks that an
/// undeclared `prompts/list` is -32601). Costs one `GetFeatures` call, for
/// those methods only.
pub(crate) async fn route<'a>(state: &AppState, caller: &Caller, method: &'a str) -> &'a str {
    let offered: fn(&Features) -> bool = match method {
        "resources/list" | "resources/templates/list" | "resources/read" => |f| f.resources,
        "resources/subscribe" | "resources/unsubscribe" => |f| f.resource_subscriptions,
        "prompts/list" | "prompts/get" => |f| f.prompts,
        "completion/complete" => |f| f.completions,
        _ => return method,
    };
    match state.deps.tools.features(&caller.token).await {
        Ok(features) if offered(&features) => method,
        Ok(_) => NOT_OFFERED,
        Err(err) => {
            tracing::warn!(code = ?err.code, message = %err.message, "the tools service did not report its features");
            NOT_OFFERED
        }
    }
}

/// A tools service error for request `id`, in MCP terms. `not_found_data`
/// goes with a NOT_FOUND (e.g. `{"uri": …}` for a resource, as SEP-2164
/// asks). Exhaustive: a new code must be placed here.
pub(crate) fn failure(
    state: &AppState,
    id: RequestId,
    err: ServiceError,
    not_found_data: Option<Value>,
) -> McpError {
    match err.code {
        ErrorCode::NotFound => RpcError::new(
            StatusCode::OK,
            Some(id),
            ErrorData::invalid_params(err.message, not_found_data),
        )
        .into(),
        ErrorCode::InvalidArgument => RpcError::invalid_params(id, err.message).into(),
        ErrorCode::RateLimited | ErrorCode::Conflict | ErrorCode::FailedPrecondition => {
            RpcError::new(
                StatusCode::OK,
                Some(id),
                ErrorData::new(SERVER_ERROR, err.message, None),
            )
            .into()
        }
        ErrorCode::Unauthenticated => unauthorized(state, Unauthorized::InvalidToken).into(),
        ErrorCode::PermissionDenied => {
            let scope = err
                .required_scope
                .unwrap_or_else(|| "podio:read".to_owned());
            HttpError::InsufficientScope {
                message: format!("this token lacks the scope {scope} that the request needs"),
                scope,
                resource_metadata: state.settings.resource_metadata_url(),
            }
            .into()
        }
        ErrorCode::Unavailable => {
            tracing::warn!(message = %err.message, "the tools service is unavailable");
            RpcError::unavailable(id).into()
        }
        ErrorCode::Internal => {
            let request_id = crate::trace::request_id();
            tracing::error!(%request_id, message = %err.message, "the tools service failed");
            RpcError::internal(id, &request_id).into()
        }
    }
}

/// `params.<field>` as a string, or -32602 naming what is expected.
pub(crate) fn string_param<'a>(
    id: &RequestId,
    params: Option<&'a Value>,
    field: &str,
    method: &str,
) -> Result<&'a str, McpError> {
    params
        .and_then(|p| p.get(field))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RpcError::invalid_params(
                id.clone(),
                format!("{method} expects params.{field}, a string"),
            )
            .into()
        })
}

/// `value` when non-empty, for optional MCP fields.
pub(crate) fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_offered_features_are_advertised() {
        let mut none = Map::new();
        add(&mut none, &Features::default(), For::Legacy);
        assert!(none.is_empty());
        let all = Features {
            resources: true,
            resource_subscriptions: true,
            prompts: true,
            completions: true,
        };
        let mut legacy = Map::new();
        add(&mut legacy, &all, For::Legacy);
        assert_eq!(legacy["resources"]["subscribe"], true);
        assert!(legacy.contains_key("prompts") && legacy.contains_key("completions"));
        let mut modern = Map::new();
        add(&mut modern, &all, For::Modern);
        assert_eq!(modern["resources"]["subscribe"], false);
    }
}
