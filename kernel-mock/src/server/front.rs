//! The middleware in front of every handler: the request log, faults, the API
//! key, per-operation overrides, and the JSON drills on the response.

use std::time::SystemTime;

use axum::body::{to_bytes, Body};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::faults;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::requests::RecordedRequest;
use crate::state::AppState;

use super::{BROWSER_PREFIX, VM_PREFIX};

/// Largest request body the mock reads (a zip or extension upload fits).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Logs the request, applies faults, checks the API key, answers from an
/// override or runs the handler, and applies the JSON drills to the response.
pub(super) async fn front(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return ApiError::bad_request(format!("cannot read the request body: {e}"))
                .into_response()
        }
    };
    // The router matched a spec path template; with the method it names the
    // operation.
    let matched = parts
        .extensions
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    // A VM endpoint is the browser subresource of the same path.
    let vm_tail = matched.and_then(|m| m.strip_prefix(VM_PREFIX));
    let operation = matched.and_then(|matched| {
        kernel_sys::OPERATIONS
            .iter()
            .find(|op| {
                op.method == parts.method.as_str()
                    && match vm_tail {
                        Some(tail) => op.path.strip_prefix(BROWSER_PREFIX) == Some(tail),
                        None => op.path == matched,
                    }
            })
            .map(|op| op.id)
    });
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        operation_id: operation.map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes.to_vec(),
        received_at: SystemTime::now(),
    };
    // Only a request an override may answer is copied.
    let for_override = operation
        .filter(|id| state.overrides.has(id))
        .map(|id| (id, recorded.clone()));
    state.requests.record(recorded);
    if vm_tail.is_none() && !state.config.control_plane_delay.is_zero() {
        tokio::time::sleep(state.config.control_plane_delay).await;
    }
    let injected = state.faults.on_request(operation);
    if !injected.delay.is_zero() {
        tokio::time::sleep(injected.delay).await;
    }
    if let Some(error) = injected.error {
        return error.into_response();
    }
    // The configured key, or an unexpired key created with `postApiKeys`
    // (a deleted one is gone from the store).
    let accepts = |token: &str| {
        auth::same_key(token, &state.config.api_key)
            || state.store().api_keys.iter().any(|key| {
                auth::same_key(token, &key.key)
                    && key.expires_at.is_none_or(|at| at > chrono::Utc::now())
            })
    };
    let checked = match vm_tail {
        Some(_) => vm_token(&state, parts.uri.path(), parts.uri.query()),
        None => auth::check(&parts.headers, accepts),
    };
    if let Err(error) = checked {
        return error.into_response();
    }
    if let Some((id, request)) = for_override {
        if let Some(response) = state.overrides.respond(id, &request) {
            return response.into_response();
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let drills = state.faults.drills();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !drills.mutates_json() || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return ApiError::internal("cannot buffer the response").into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    faults::mutate(&mut value, drills);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}

/// A VM endpoint takes the browser's token as `?jwt=` (Kernel's VMs do not
/// know API keys): a missing or wrong one is a `401`.
fn vm_token(state: &AppState, path: &str, query: Option<&str>) -> Result<(), ApiError> {
    let session_id = path.split('/').nth(2).unwrap_or("");
    let token = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("jwt="))
        .map(crate::http::extract::percent_decode);
    match token {
        Some(token) if state.store().direct.accepts(session_id, &token) => Ok(()),
        Some(_) => Err(ApiError::unauthorized("invalid browser token (`jwt`)")),
        None => Err(ApiError::unauthorized(
            "a browser's VM endpoints need its token as `?jwt=`",
        )),
    }
}
