//! Projects and their limits. `/org/projects…` and the deprecated
//! `/projects…` are the same handlers on the same records.
//!
//! Names are unique among live projects (`409` otherwise). Deleting is a
//! soft delete (the project disappears from the API) and needs the project
//! to be empty: a project that still has API keys is a `409`. Limits start
//! unset (no project-level cap); a patch changes only the fields it has, `0`
//! removes a cap, and `null` leaves the field unchanged like an absent one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use kernel_sys::open;
use serde::Deserialize;
use serde_json::Value;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{JsonBody, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::state::AppState;
use crate::store::projects::{find_index, Limits, ProjectRecord};
use crate::store::{new_id, Store};

serves! {
    "getOrgProjects" => list,
    "getProjects" => list,
    "postOrgProjects" => create,
    "postProjects" => create,
    "getOrgProjectsId" => get,
    "getProjectsId" => get,
    "patchOrgProjectsId" => update,
    "patchProjectsId" => update,
    "deleteOrgProjectsId" => delete,
    "deleteProjectsId" => delete,
    "getOrgProjectLimits" => get_limits,
    "getProjectLimits" => get_limits,
    "patchOrgProjectLimits" => update_limits,
    "patchProjectLimits" => update_limits,
}

/// The live project `id`'s index, or a 404.
fn index_of(store: &Store, id: &str) -> ApiResult<usize> {
    find_index(store, id).ok_or_else(|| ApiError::not_found("project", id))
}

/// Checks a project name: 1-255 characters, not blank.
fn check_name(name: &str) -> ApiResult<()> {
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(ApiError::bad_request(
            "name must be 1-255 characters and not blank",
        ));
    }
    Ok(())
}

/// A 409 when a live project other than `except` is named `name`.
fn check_unique(store: &Store, name: &str, except: Option<usize>) -> ApiResult<()> {
    let taken = store
        .projects
        .iter()
        .enumerate()
        .any(|(i, p)| Some(i) != except && p.deleted_at.is_none() && p.name == name);
    if taken {
        return Err(ApiError::conflict(
            "already_exists",
            format!("a project named {name:?} already exists"),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequest {
    name: String,
}

/// `POST /org/projects` (and `/projects`)
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CreateRequest>,
) -> ApiResult<Response> {
    check_name(&req.name)?;
    let mut store = state.store();
    check_unique(&store, &req.name, None)?;
    let now = Utc::now();
    let record = ProjectRecord {
        id: new_id("proj"),
        name: req.name,
        status: open::ProjectStatus::Active,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        limits: Limits::default(),
    };
    let body = record.to_json()?;
    store.projects.push(record);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /org/projects` (and `/projects`): `query` matches names
/// case-insensitively.
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, false)?;
    let search = query
        .get("query")
        .map(str::to_lowercase)
        .filter(|q| !q.is_empty());
    let store = state.store();
    let items = store
        .projects
        .iter()
        .filter(|p| p.deleted_at.is_none())
        .filter(|p| {
            search
                .as_deref()
                .is_none_or(|q| p.name.to_lowercase().contains(q))
        })
        .map(ProjectRecord::to_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /org/projects/{id}` (and `/projects/{id}`)
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let index = index_of(&store, &id)?;
    Ok(Json(store.projects[index].to_json()?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRequest {
    name: Option<String>,
    status: Option<open::UpdateProjectRequestStatus>,
}

/// `PATCH /org/projects/{id}` (and `/projects/{id}`): name and status.
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateRequest>,
) -> ApiResult<Json<Value>> {
    let status = match req.status {
        None => None,
        Some(open::UpdateProjectRequestStatus::Active) => Some(open::ProjectStatus::Active),
        Some(open::UpdateProjectRequestStatus::Archived) => Some(open::ProjectStatus::Archived),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status: {:?} is not one of {:?}",
                other.as_str(),
                open::UpdateProjectRequestStatus::VALUES
            )))
        }
    };
    let mut store = state.store();
    let index = index_of(&store, &id)?;
    if let Some(name) = &req.name {
        check_name(name)?;
        check_unique(&store, name, Some(index))?;
    }
    let project = &mut store.projects[index];
    if let Some(name) = req.name {
        project.name = name;
    }
    if let Some(status) = status {
        project.status = status;
    }
    project.updated_at = Utc::now();
    Ok(Json(project.to_json()?))
}

/// `DELETE /org/projects/{id}` (and `/projects/{id}`): a soft delete of an
/// empty project.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = index_of(&store, &id)?;
    let keys = store
        .api_keys
        .iter()
        .filter(|k| k.project_id.as_deref() == Some(id.as_str()))
        .count();
    if keys > 0 {
        return Err(ApiError::conflict(
            "project_not_empty",
            format!("project {id:?} still has {keys} API key(s); delete them first"),
        ));
    }
    let now = Utc::now();
    let project = &mut store.projects[index];
    project.deleted_at = Some(now);
    project.updated_at = now;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /org/projects/{id}/limits` (and `/projects/{id}/limits`)
pub(crate) async fn get_limits(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let index = index_of(&store, &id)?;
    Ok(Json(store.projects[index].limits.to_json()?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LimitsRequest {
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    max_concurrent_sessions: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    max_concurrent_invocations: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    max_pooled_sessions: Option<i64>,
}

/// Applies a patched limit: `0` removes the cap, a negative value is a 400.
fn patch_limit(field: &str, current: &mut Option<i64>, patch: Option<i64>) -> ApiResult<()> {
    match patch {
        None => {}
        Some(n) if n < 0 => {
            return Err(ApiError::bad_request(format!(
                "{field} must be 0 (no cap) or positive"
            )))
        }
        Some(0) => *current = None,
        Some(n) => *current = Some(n),
    }
    Ok(())
}

/// `PATCH /org/projects/{id}/limits` (and `/projects/{id}/limits`)
pub(crate) async fn update_limits(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<LimitsRequest>,
) -> ApiResult<Json<Value>> {
    let mut store = state.store();
    let index = index_of(&store, &id)?;
    // Validate every field before changing any.
    let mut limits = store.projects[index].limits;
    patch_limit(
        "max_concurrent_sessions",
        &mut limits.max_concurrent_sessions,
        req.max_concurrent_sessions,
    )?;
    patch_limit(
        "max_concurrent_invocations",
        &mut limits.max_concurrent_invocations,
        req.max_concurrent_invocations,
    )?;
    patch_limit(
        "max_pooled_sessions",
        &mut limits.max_pooled_sessions,
        req.max_pooled_sessions,
    )?;
    let project = &mut store.projects[index];
    project.limits = limits;
    project.updated_at = Utc::now();
    Ok(Json(limits.to_json()?))
}
