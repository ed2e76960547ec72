//! `/credentials`: stored login values (never returned) and TOTP secrets.

use std::collections::BTreeMap;

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
use crate::store::credentials::{
    find, find_index, normalize_secret, unix_to_datetime, CredentialRecord,
};
use crate::store::new_id;
use crate::totp;

serves! {
    "postCredentials" => create,
    "getCredentials" => list,
    "getCredentialByIdOrName" => get,
    "patchCredentialByIdOrName" => update,
    "deleteCredentialByIdOrName" => delete,
    "getCredentialTotpCodeByIdOrName" => totp_code,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateCredentialRequest {
    name: String,
    domain: String,
    values: BTreeMap<String, String>,
    totp_secret: Option<String>,
    sso_provider: Option<String>,
}

/// `Some(None)` for an explicit `null`, `None` when absent.
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateCredentialRequest {
    name: Option<String>,
    values: Option<BTreeMap<String, String>>,
    totp_secret: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    sso_provider: Option<Option<String>>,
}

/// `POST /credentials`
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CreateCredentialRequest>,
) -> ApiResult<Response> {
    if req.name.trim().is_empty() {
        return Err(ApiError::bad_request("name must not be empty"));
    }
    if req.domain.trim().is_empty() {
        return Err(ApiError::bad_request("domain must not be empty"));
    }
    let totp_secret = match req.totp_secret.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(secret) => Some(normalize_secret(secret)?),
    };
    let mut store = state.store();
    if store.credentials.iter().any(|c| c.name == req.name) {
        return Err(ApiError::conflict(
            "already_exists",
            format!("a credential named {:?} already exists", req.name),
        ));
    }
    let now = Utc::now();
    let record = CredentialRecord {
        id: new_id("cred"),
        name: req.name,
        domain: req.domain.trim().to_ascii_lowercase(),
        values: req.values,
        totp_secret,
        sso_provider: req.sso_provider.filter(|p| !p.is_empty()),
        created_at: now,
        updated_at: now,
    };
    let body = record.to_json(record.totp_secret.is_some())?;
    store.credentials.push(record);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /credentials`
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, false)?;
    let domain = query.get("domain").map(str::to_ascii_lowercase);
    let store = state.store();
    let items = store
        .credentials
        .iter()
        .filter(|c| domain.as_deref().is_none_or(|d| c.domain == d))
        .map(|c| c.to_json(false))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /credentials/{id_or_name}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let credential =
        find(&store, &id_or_name).ok_or_else(|| ApiError::not_found("credential", &id_or_name))?;
    Ok(Json(credential.to_json(false)?))
}

/// `PATCH /credentials/{id_or_name}`
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
    JsonBody(req): JsonBody<UpdateCredentialRequest>,
) -> ApiResult<Json<Value>> {
    let new_secret = match req.totp_secret.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(secret) => Some(Some(normalize_secret(secret)?)),
    };
    let mut store = state.store();
    let index = find_index(&store, &id_or_name)
        .ok_or_else(|| ApiError::not_found("credential", &id_or_name))?;
    if let Some(name) = &req.name {
        if name.trim().is_empty() {
            return Err(ApiError::bad_request("name must not be empty"));
        }
        if store
            .credentials
            .iter()
            .enumerate()
            .any(|(i, c)| i != index && &c.name == name)
        {
            return Err(ApiError::conflict(
                "already_exists",
                format!("a credential named {name:?} already exists"),
            ));
        }
    }
    let old_name = store.credentials[index].name.clone();
    let credential = &mut store.credentials[index];
    if let Some(name) = req.name {
        credential.name = name;
    }
    if let Some(values) = req.values {
        credential.values.extend(values);
    }
    let mut with_code = false;
    if let Some(secret) = new_secret {
        with_code = secret.is_some();
        credential.totp_secret = secret;
    }
    if let Some(provider) = req.sso_provider {
        credential.sso_provider = provider.filter(|p| !p.is_empty());
    }
    credential.updated_at = Utc::now();
    let body = credential.to_json(with_code)?;
    let new_name = credential.name.clone();
    if new_name != old_name {
        // Connections refer to credentials by name: follow the rename.
        for connection in &mut store.connections {
            if let Some(reference) = &mut connection.credential {
                if reference.name.as_deref() == Some(old_name.as_str()) {
                    reference.name = Some(new_name.clone());
                }
            }
        }
    }
    Ok(Json(body))
}

/// `DELETE /credentials/{id_or_name}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find_index(&store, &id_or_name)
        .ok_or_else(|| ApiError::not_found("credential", &id_or_name))?;
    store.credentials.remove(index);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /credentials/{id_or_name}/totp-code`
pub(crate) async fn totp_code(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let credential =
        find(&store, &id_or_name).ok_or_else(|| ApiError::not_found("credential", &id_or_name))?;
    let secret = credential.totp_secret.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("credential {id_or_name:?} has no TOTP secret configured"),
        )
    })?;
    let now = totp::now_unix();
    let code = totp::code_at(secret, now).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(serde_json::json!({
        "code": code,
        "expires_at": unix_to_datetime(totp::current_expiry(now)),
    })))
}
