//! `/profiles`: browser profiles. A successful login marks its profile as
//! holding auth state ([`KernelMock::profile_has_auth_state`](crate::KernelMock::profile_has_auth_state)).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{build_error, ApiError, ApiResult};
use crate::extract::{OptionalJsonBody, QueryMap};
use crate::paging::{paged_response, Page};
use crate::state::{new_id, AppState, Store};

/// A stored profile.
#[derive(Clone, Debug)]
pub(crate) struct ProfileRecord {
    pub id: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub has_auth_state: bool,
}

impl ProfileRecord {
    pub fn to_spec(&self) -> ApiResult<kernel_sys::types::Profile> {
        kernel_sys::types::Profile::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .created_at(self.created_at)
            .updated_at(Some(self.updated_at))
            .last_used_at(self.last_used_at)
            .try_into()
            .map_err(|e| build_error("Profile", e))
    }

    pub fn to_json(&self) -> ApiResult<Value> {
        serde_json::to_value(self.to_spec()?).map_err(|e| build_error("Profile", e))
    }
}

/// The profile with id or name `id_or_name`.
pub(crate) fn find<'a>(store: &'a Store, id_or_name: &str) -> Option<&'a ProfileRecord> {
    find_index(store, id_or_name).map(|i| &store.profiles[i])
}

pub(crate) fn find_index(store: &Store, id_or_name: &str) -> Option<usize> {
    store
        .profiles
        .iter()
        .position(|p| p.id == id_or_name)
        .or_else(|| {
            store
                .profiles
                .iter()
                .position(|p| p.name.as_deref() == Some(id_or_name))
        })
}

/// The profile named `name`, created if missing (as `postAuthConnections`
/// does).
pub(crate) fn ensure(store: &mut Store, name: &str) -> usize {
    if let Some(i) = store
        .profiles
        .iter()
        .position(|p| p.name.as_deref() == Some(name))
    {
        return i;
    }
    let now = Utc::now();
    store.profiles.push(ProfileRecord {
        id: new_id("prof"),
        name: Some(name.to_owned()),
        created_at: now,
        updated_at: now,
        last_used_at: None,
        has_auth_state: false,
    });
    store.profiles.len() - 1
}

/// Records a successful login into profile `name`.
pub(crate) fn mark_authenticated(store: &mut Store, name: &str) {
    let i = ensure(store, name);
    let profile = &mut store.profiles[i];
    let now = Utc::now();
    profile.has_auth_state = true;
    profile.updated_at = now;
    profile.last_used_at = Some(now);
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
