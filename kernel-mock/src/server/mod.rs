//! The axum router, built from the spec's operation table
//! (`kernel_sys::OPERATIONS`): every operation is routed to its handler in
//! [`crate::routes`], or to a `501` naming it when no area serves it (an
//! operation a newer spec added). Requests matching no operation get `404`,
//! or `405` with `Allow` on a spec path with another method. A browser's
//! subresources are served twice: through the gateway (`/browsers/{id}/…`,
//! API key) and as its VM's endpoints (`/vm/{id}/…`, the browser's token).
//! It also serves browsers' CDP endpoint (`/browser/cdp`), proxied to
//! their Chromium when the mock has one.

mod front;

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, on, MethodFilter, MethodRouter};
use axum::Router;
use kernel_sys::Operation;

use crate::chromium;
use crate::http::error::ApiError;
use crate::routes;
use crate::spec;
use crate::state::AppState;

/// The full application.
pub(crate) fn router(state: AppState) -> Router {
    let mut paths: BTreeMap<String, MethodRouter<AppState>> = BTreeMap::new();
    for op in kernel_sys::OPERATIONS {
        let Some(filter) = method_filter(op.method) else {
            continue;
        };
        let handler =
            || routes::route(op.id, filter).unwrap_or_else(|| not_implemented(op, filter));
        add(&mut paths, op.path.to_owned(), handler());
        // A browser's own subresources are also its VM's endpoints, reached
        // at `{base_url}/…` with the browser's token.
        if let Some(tail) = op.path.strip_prefix(BROWSER_PREFIX) {
            add(&mut paths, format!("{VM_PREFIX}{tail}"), handler());
        }
    }
    let mut router = Router::new();
    for (path, methods) in paths {
        router = router.route(&path, methods);
    }
    let router = router
        .fallback(fallback)
        .method_not_allowed_fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), front::front));
    // Outside the spec's routes and their middleware: a websocket the
    // browser's token opens, not an API operation.
    let router = router.route(chromium::PROXY_PATH, get(routes::cdp::connect));
    router.with_state(state)
}

/// The spec's path prefix of a browser's own subresources.
pub(crate) const BROWSER_PREFIX: &str = "/browsers/{id}/";

/// Where this server serves a browser VM's endpoints: a browser's
/// `base_url` is `{origin}/vm/{id}`.
pub(crate) const VM_PREFIX: &str = "/vm/{id}/";

/// Adds `methods` to the routes of `path`.
fn add(
    paths: &mut BTreeMap<String, MethodRouter<AppState>>,
    path: String,
    methods: MethodRouter<AppState>,
) {
    let merged = match paths.remove(&path) {
        Some(existing) => existing.merge(methods),
        None => methods,
    };
    paths.insert(path, merged);
}

/// The axum method filter of an upper-case spec method.
pub(crate) fn method_filter(method: &str) -> Option<MethodFilter> {
    Some(match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        "HEAD" => MethodFilter::HEAD,
        "OPTIONS" => MethodFilter::OPTIONS,
        "TRACE" => MethodFilter::TRACE,
        _ => return None,
    })
}

/// A `501` naming `op`: never a fake success for an operation nobody wrote.
fn not_implemented(op: &'static Operation, filter: MethodFilter) -> MethodRouter<AppState> {
    on(filter, move || async move {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            format!(
                "kernel-mock does not implement {} ({} {})",
                op.id, op.method, op.path
            ),
        )
        .into_response()
    })
}

/// Every request that matches no route: `405` naming the allowed methods on a
/// spec path, `404` otherwise.
async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if spec::match_operation(method.as_str(), path).is_some() {
        // A literal segment in an id position, e.g. `GET
        // /agents/auth/invocations` is `getAgentsAuthById` with id
        // "invocations": the router prefers the literal route.
        return ApiError::not_found("resource", path).into_response();
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
