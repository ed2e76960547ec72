//! The axum router: implemented routes, the front middleware (request log,
//! faults, auth, JSON drills) and the `501` fallback for every other spec
//! operation.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::time::SystemTime;

use crate::error::ApiError;
use crate::requests::RecordedRequest;
use crate::state::AppState;
use crate::{
    agents, auth, browsers, connections, credentials, faults, invocations, profiles, spec,
    telemetry,
};

/// Largest request body the mock reads.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The full application.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/auth/connections",
            post(connections::create).get(connections::list),
        )
        .route(
            "/auth/connections/{id}",
            get(connections::get)
                .patch(connections::update)
                .delete(connections::delete),
        )
        .route("/auth/connections/{id}/login", post(connections::login))
        .route("/auth/connections/{id}/submit", post(connections::submit))
        .route("/auth/connections/{id}/events", get(connections::events))
        .route("/agents/auth", post(agents::create).get(agents::list))
        .route("/agents/auth/{id}", get(agents::get).delete(agents::delete))
        .route("/agents/auth/invocations", post(agents::create_invocation))
        .route(
            "/agents/auth/invocations/{invocation_id}",
            get(agents::get_invocation),
        )
        .route(
            "/agents/auth/invocations/{invocation_id}/submit",
            post(agents::submit),
        )
        .route(
            "/credentials",
            post(credentials::create).get(credentials::list),
        )
        .route(
            "/credentials/{id_or_name}",
            get(credentials::get)
                .patch(credentials::update)
                .delete(credentials::delete),
        )
        .route(
            "/credentials/{id_or_name}/totp-code",
            get(credentials::totp_code),
        )
        .route("/profiles", post(profiles::create).get(profiles::list))
        .route(
            "/profiles/{id_or_name}",
            get(profiles::get).delete(profiles::delete),
        )
        .route("/browsers", post(browsers::create).get(browsers::list))
        .route(
            "/browsers/{id}",
            get(browsers::get).delete(browsers::delete),
        )
        .route("/browsers/{id}/telemetry", get(telemetry::stream))
        .route(
            "/invocations",
            post(invocations::create).get(invocations::list),
        )
        .route(
            "/invocations/{id}",
            get(invocations::get).patch(invocations::update),
        )
        .route("/invocations/{id}/events", get(invocations::events))
        .fallback(fallback)
        .method_not_allowed_fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), front))
        .with_state(state)
}

/// Every request that matches no implemented route: `501` naming the spec
/// operation, `405` for a spec path with another method, `404` otherwise.
async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if let Some(op) = spec::match_operation(method.as_str(), path) {
        if spec::is_implemented(op.id) {
            // e.g. `GET /agents/auth/invocations` is `getAgentsAuthById`
            // with id "invocations".
            return ApiError::not_found("resource", path).into_response();
        }
        return ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            format!(
                "kernel-mock does not implement {} ({} {})",
                op.id, op.method, op.path
            ),
        )
        .into_response();
    }
    let ops = spec::operations_for_path(path);
    if !ops.is_empty() {
        let mut allowed: Vec<&str> = ops.iter().map(|op| op.method).collect();
        allowed.sort_unstable();
        allowed.dedup();
        let allow = allowed.join(", ");
        let mut error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed on {path} (allowed: {allow})"),
        );
        if let Ok(value) = HeaderValue::from_str(&allow) {
            error = error.with_header(header::ALLOW, value);
        }
        return error.into_response();
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {method} {path}"),
    )
    .into_response()
}

/// Logs the request, applies faults, checks the API key, runs the handler
/// and applies the JSON drills to the response.
async fn front(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return ApiError::bad_request(format!("cannot read the request body: {e}"))
                .into_response()
        }
    };
    let operation = spec::match_operation(parts.method.as_str(), parts.uri.path()).map(|op| op.id);
    state.requests.record(RecordedRequest {
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
    });
    let injected = state.faults.on_request(operation);
    if !injected.delay.is_zero() {
        tokio::time::sleep(injected.delay).await;
    }
    if let Some(error) = injected.error {
        return error.into_response();
    }
    if let Err(error) = auth::check(&parts.headers, &state.config.api_key) {
        return error.into_response();
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
