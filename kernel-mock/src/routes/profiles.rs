//! `/profiles`: browser profiles. A successful login marks its profile as
//! holding auth state ([`KernelMock::profile_has_auth_state`](crate::KernelMock::profile_has_auth_state)).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{OptionalJsonBody, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::state::AppState;
use crate::store::new_id;
use crate::store::profiles::{find, find_index, ProfileRecord};

serves! {
    "postProfiles" => create,
    "getProfiles" => list,
    "getProfileByIdOrName" => get,
    "deleteProfileByIdOrName" => delete,
}

#[derive(Deserialize, Default)]
pub(crate) struct ProfileRequest {
    name: Option<String>,
}

fn valid_name(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= 255
}

/// `POST /profiles`
pub(crate) async fn create(
    State(state): State<AppState>,
    OptionalJsonBody(req): OptionalJsonBody<ProfileRequest>,
) -> ApiResult<Response> {
    let req = req.unwrap_or_default();
    if let Some(name) = &req.name {
        if !valid_name(name) {
            return Err(ApiError::bad_request(
                "name must be 1-255 characters and not blank",
            ));
        }
    }
    let mut store = state.store();
    if let Some(name) = &req.name {
        if store
            .profiles
            .iter()
            .any(|p| p.name.as_deref() == Some(name))
        {
            return Err(ApiError::conflict(
                "already_exists",
                format!("a profile named {name:?} already exists"),
            ));
        }
    }
    let now = Utc::now();
    let record = ProfileRecord {
        id: new_id("prof"),
        name: req.name,
        created_at: now,
        updated_at: now,
        last_used_at: None,
        has_auth_state: false,
    };
    let body = record.to_json()?;
    store.profiles.push(record);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /profiles`
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, true)?;
    let search = query
        .get("query")
        .map(str::to_ascii_lowercase)
        .filter(|q| !q.is_empty());
    let store = state.store();
    let items = store
        .profiles
        .iter()
        .filter(|p| {
            search.as_deref().is_none_or(|q| {
                p.id.to_ascii_lowercase().contains(q)
                    || p.name
                        .as_deref()
                        .is_some_and(|n| n.to_ascii_lowercase().contains(q))
            })
        })
        .map(ProfileRecord::to_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /profiles/{id_or_name}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let profile =
        find(&store, &id_or_name).ok_or_else(|| ApiError::not_found("profile", &id_or_name))?;
    Ok(Json(profile.to_json()?))
}

/// `DELETE /profiles/{id_or_name}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find_index(&store, &id_or_name)
        .ok_or_else(|| ApiError::not_found("profile", &id_or_name))?;
    store.profiles.remove(index);
    Ok(StatusCode::NO_CONTENT)
}
