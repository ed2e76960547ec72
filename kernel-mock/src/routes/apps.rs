//! `/apps`: the app versions running deployments serve, with their actions
//! (see `routes::deployments` for where an app's name and actions come
//! from). A stopped or failed deployment serves none.

use axum::extract::State;
use axum::response::Response;
use kernel_sys::open;

use crate::http::error::ApiResult;
use crate::http::extract::QueryMap;
use crate::http::paging::{paged_response, Page};
use crate::state::AppState;

serves! {
    "getApps" => list,
}

/// `GET /apps` (filters `app_name`, `version`, `query`: a case-insensitive
/// search in the app name; paginated). The spec documents no `400`, so a
/// malformed `limit`/`offset` is clamped or ignored.
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, false)?;
    let search = query
        .get("query")
        .map(str::to_ascii_lowercase)
        .filter(|q| !q.is_empty());
    let store = state.store();
    let items = store
        .deployments
        .iter()
        .filter(|d| d.status == open::DeploymentStatus::Running)
        .filter(|d| query.get("app_name").is_none_or(|a| d.app_name == a))
        .filter(|d| query.get("version").is_none_or(|v| d.version == v))
        .filter(|d| {
            search
                .as_deref()
                .is_none_or(|q| d.app_name.to_ascii_lowercase().contains(q))
        })
        .map(|d| d.app_summary())
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}
