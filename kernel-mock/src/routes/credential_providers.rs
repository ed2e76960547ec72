//! `/org/credential_providers`: external credential providers (1Password).
//!
//! A new provider holds the items seeded for its name or type, or the
//! default items ([`crate::providers`]). Names are unique (`409`); the
//! token is never returned. The connection test succeeds, listing the
//! vaults, for a 1Password service-account token (`ops_...`), and reports
//! `success: false` with `error: "Invalid token"` for any other.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use kernel_sys::{open, types};
use serde::Deserialize;
use serde_json::Value;

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::state::AppState;
use crate::store::credential_providers::{find_index, ProviderRecord};
use crate::store::Store;

serves! {
    "postCredentialProviders" => create,
    "getCredentialProviders" => list,
    "getCredentialProvidersById" => get,
    "patchCredentialProvidersById" => update,
    "deleteCredentialProvidersById" => delete,
    "testCredentialProviderById" => test,
    "getCredentialProviderItems" => items,
}

/// The cache TTL of a provider created without one.
const DEFAULT_CACHE_TTL_SECS: i64 = 300;

/// Provider `id`'s index (by id or name), or a 404.
fn index_of(store: &Store, id: &str) -> ApiResult<usize> {
    find_index(store, id).ok_or_else(|| ApiError::not_found("credential provider", id))
}

/// A 409 when a provider other than `except` is named `name`.
fn check_unique(store: &Store, name: &str, except: Option<usize>) -> ApiResult<()> {
    let taken = store
        .credential_providers
        .iter()
        .enumerate()
        .any(|(i, p)| Some(i) != except && p.name == name);
    if taken {
        return Err(ApiError::conflict(
            "already_exists",
            format!("a credential provider named {name:?} already exists"),
        ));
    }
    Ok(())
}

/// Rejects a blank value of `field`.
fn non_blank(field: &str, value: &str) -> ApiResult<()> {
    if value.trim().is_empty() {
        return Err(ApiError::bad_request(format!("{field} must not be empty")));
    }
    Ok(())
}

/// Rejects a negative cache TTL.
fn check_ttl(ttl: Option<i64>) -> ApiResult<()> {
    match ttl {
        Some(t) if t < 0 => Err(ApiError::bad_request(
            "cache_ttl_seconds must not be negative",
        )),
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequest {
    provider_type: open::CreateCredentialProviderRequestProviderType,
    name: String,
    token: String,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    cache_ttl_seconds: Option<i64>,
}

/// `POST /org/credential_providers`
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CreateRequest>,
) -> ApiResult<Response> {
    let provider_type = match req.provider_type {
        open::CreateCredentialProviderRequestProviderType::Onepassword => {
            open::CredentialProviderProviderType::Onepassword
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "provider_type: {:?} is not one of {:?}",
                other.as_str(),
                open::CreateCredentialProviderRequestProviderType::VALUES
            )))
        }
    };
    non_blank("name", &req.name)?;
    non_blank("token", &req.token)?;
    check_ttl(req.cache_ttl_seconds)?;
    let mut store = state.store();
    check_unique(&store, &req.name, None)?;
    let items = store
        .provider_seeds
        .items_for(&req.name, provider_type.as_str());
    let record = ProviderRecord::new(
        req.name,
        provider_type,
        req.token,
        req.cache_ttl_seconds.unwrap_or(DEFAULT_CACHE_TTL_SECS),
        items,
    );
    let body = record.to_json()?;
    store.credential_providers.push(record);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /org/credential_providers`: every provider, by `priority` (lower
/// first), then creation (the spec's list has no pagination).
pub(crate) async fn list(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let store = state.store();
    let mut providers: Vec<&ProviderRecord> = store.credential_providers.iter().collect();
    providers.sort_by_key(|p| p.priority);
    let items = providers
        .into_iter()
        .map(ProviderRecord::to_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(Value::Array(items)))
}

/// `GET /org/credential_providers/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let index = index_of(&store, &id)?;
    Ok(Json(store.credential_providers[index].to_json()?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRequest {
    name: Option<String>,
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    priority: Option<i64>,
    token: Option<String>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    cache_ttl_seconds: Option<i64>,
}

/// `PATCH /org/credential_providers/{id}`; connections that reference the
/// provider by name follow a rename.
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateRequest>,
) -> ApiResult<Json<Value>> {
    if let Some(name) = &req.name {
        non_blank("name", name)?;
    }
    if let Some(token) = &req.token {
        non_blank("token", token)?;
    }
    check_ttl(req.cache_ttl_seconds)?;
    let mut store = state.store();
    let index = index_of(&store, &id)?;
    if let Some(name) = &req.name {
        check_unique(&store, name, Some(index))?;
    }
    let provider = &mut store.credential_providers[index];
    let old_name = provider.name.clone();
    if let Some(name) = req.name {
        provider.name = name;
    }
    if let Some(enabled) = req.enabled {
        provider.enabled = enabled;
    }
    if let Some(priority) = req.priority {
        provider.priority = priority;
    }
    if let Some(token) = req.token {
        provider.token = token;
    }
    if let Some(ttl) = req.cache_ttl_seconds {
        provider.cache_ttl_seconds = ttl;
    }
    provider.updated_at = Utc::now();
    let body = provider.to_json()?;
    let new_name = provider.name.clone();
    if new_name != old_name {
        for connection in &mut store.connections {
            if let Some(reference) = &mut connection.credential {
                if reference.provider.as_deref() == Some(old_name.as_str()) {
                    reference.provider = Some(new_name.clone());
                }
            }
        }
    }
    Ok(Json(body))
}

/// `DELETE /org/credential_providers/{id}`; logins of connections that
/// still reference it find no credential.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = index_of(&store, &id)?;
    store.credential_providers.remove(index);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /org/credential_providers/{id}/test`: the token check and the
/// provider's vaults.
pub(crate) async fn test(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let provider = &store.credential_providers[index_of(&store, &id)?];
    let valid = provider.token_is_valid();
    let vaults = if valid {
        provider
            .vaults
            .iter()
            .map(|v| {
                types::CredentialProviderTestResultVaultsItem::builder()
                    .id(v.id.clone())
                    .name(v.name.clone())
                    .try_into()
                    .map_err(|e| build_error("CredentialProviderTestResult", e))
            })
            .collect::<ApiResult<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let result: types::CredentialProviderTestResult =
        types::CredentialProviderTestResult::builder()
            .success(valid)
            .vaults(vaults)
            .error((!valid).then(|| "Invalid token".to_owned()))
            .try_into()
            .map_err(|e| build_error("CredentialProviderTestResult", e))?;
    Ok(Json(serde_json::to_value(result).map_err(|e| {
        build_error("CredentialProviderTestResult", e)
    })?))
}

/// `GET /org/credential_providers/{id}/items`
pub(crate) async fn items(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let provider = &store.credential_providers[index_of(&store, &id)?];
    let items = provider
        .items
        .iter()
        .map(|i| i.to_spec())
        .collect::<ApiResult<Vec<_>>>()?;
    let response: types::GetCredentialProviderItemsResponse =
        types::GetCredentialProviderItemsResponse::builder()
            .items(items)
            .try_into()
            .map_err(|e| build_error("GetCredentialProviderItemsResponse", e))?;
    Ok(Json(serde_json::to_value(response).map_err(|e| {
        build_error("GetCredentialProviderItemsResponse", e)
    })?))
}
