//! `/org/api_keys`: API keys. The plaintext `key` is in the create response
//! only; list, get and patch show `masked_key`. A key may be scoped to a
//! live project (`project_id`, else `404`) and expire after
//! `days_to_expire` days (1-3650; absent or `null`: never).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{JsonBody, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::state::AppState;
use crate::store::api_keys::{find_index, ApiKeyRecord};
use crate::store::{new_id, projects, Store};

serves! {
    "listApiKeys" => list,
    "postApiKeys" => create,
    "getApiKeysById" => get,
    "patchApiKeysById" => update,
    "deleteApiKeysById" => delete,
}

/// Longest key lifetime, in days.
const MAX_DAYS_TO_EXPIRE: i64 = 3650;

/// Key `id`'s index, or a 404.
fn index_of(store: &Store, id: &str) -> ApiResult<usize> {
    find_index(store, id).ok_or_else(|| ApiError::not_found("API key", id))
}

/// Checks a key name: 1-255 characters, not blank.
fn check_name(name: &str) -> ApiResult<()> {
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(ApiError::bad_request(
            "name must be 1-255 characters and not blank",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequest {
    name: String,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    days_to_expire: Option<i64>,
    project_id: Option<String>,
}

/// `POST /org/api_keys`
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CreateRequest>,
) -> ApiResult<Response> {
    check_name(&req.name)?;
    let now = Utc::now();
    let expires_at = match req.days_to_expire {
        None => None,
        Some(days) if (1..=MAX_DAYS_TO_EXPIRE).contains(&days) => {
            Some(now + chrono::Duration::days(days))
        }
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "days_to_expire must be between 1 and {MAX_DAYS_TO_EXPIRE} (or null for never)"
            )))
        }
    };
    let mut store = state.store();
    if let Some(project) = &req.project_id {
        if projects::find(&store, project).is_none() {
            return Err(ApiError::not_found("project", project));
        }
    }
    let record = ApiKeyRecord {
        id: new_id("key"),
        name: req.name,
        key: new_id("sk"),
        created_at: now,
        expires_at,
        project_id: req.project_id,
    };
    let body = record.to_created_json(&store)?;
    store.api_keys.push(record);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /org/api_keys`
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, false)?;
    let store = state.store();
    let items = store
        .api_keys
        .iter()
        .map(|k| k.to_json(&store))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /org/api_keys/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let index = index_of(&store, &id)?;
    Ok(Json(store.api_keys[index].to_json(&store)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRequest {
    name: String,
}

/// `PATCH /org/api_keys/{id}`: renames the key.
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateRequest>,
) -> ApiResult<Json<Value>> {
    check_name(&req.name)?;
    let mut store = state.store();
    let index = index_of(&store, &id)?;
    store.api_keys[index].name = req.name;
    Ok(Json(store.api_keys[index].to_json(&store)?))
}

/// `DELETE /org/api_keys/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = index_of(&store, &id)?;
    store.api_keys.remove(index);
    Ok(StatusCode::NO_CONTENT)
}
