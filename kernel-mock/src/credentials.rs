//! `/credentials`: stored login values (never returned) and TOTP secrets.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{build_error, ApiError, ApiResult};
use crate::extract::{JsonBody, QueryMap};
use crate::paging::{paged_response, Page};
use crate::state::{new_id, AppState, Store};
use crate::totp;

/// A stored credential.
#[derive(Clone, Debug)]
pub(crate) struct CredentialRecord {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub values: BTreeMap<String, String>,
    pub totp_secret: Option<String>,
    pub sso_provider: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CredentialRecord {
    /// The spec's `Credential` (never the values); with `with_code`, the
    /// current `totp_code` and its expiry.
    pub fn to_json(&self, with_code: bool) -> ApiResult<Value> {
        let mut builder = kernel_sys::types::Credential::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .domain(self.domain.clone())
            .created_at(self.created_at)
            .updated_at(self.updated_at)
            .has_values(Some(!self.values.is_empty()))
            .has_totp_secret(Some(self.totp_secret.is_some()))
            .sso_provider(self.sso_provider.clone());
        if with_code {
            if let Some(secret) = &self.totp_secret {
                let now = totp::now_unix();
                if let Ok(code) = totp::code_at(secret, now) {
                    builder = builder
                        .totp_code(Some(code.into()))
                        .totp_code_expires_at(Some(unix_to_datetime(totp::current_expiry(now))));
                }
            }
        }
        let credential: kernel_sys::types::Credential = builder
            .try_into()
            .map_err(|e| build_error("Credential", e))?;
        serde_json::to_value(credential).map_err(|e| build_error("Credential", e))
    }
}

pub(crate) fn unix_to_datetime(secs: u64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs as i64, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// The credential with id or name `id_or_name`.
pub(crate) fn find<'a>(store: &'a Store, id_or_name: &str) -> Option<&'a CredentialRecord> {
    store
        .credentials
        .iter()
        .find(|c| c.id == id_or_name)
        .or_else(|| store.credentials.iter().find(|c| c.name == id_or_name))
}

fn find_index(store: &Store, id_or_name: &str) -> Option<usize> {
    store
        .credentials
        .iter()
        .position(|c| c.id == id_or_name)
        .or_else(|| store.credentials.iter().position(|c| c.name == id_or_name))
}

/// Merges `values` into the credential `name` (created for `domain` if
/// missing), as a successful login with saving enabled does.
pub(crate) fn save_values(
    store: &mut Store,
    name: &str,
    domain: &str,
    values: &BTreeMap<String, String>,
    sso_provider: Option<&str>,
) {
    let now = Utc::now();
    match find_index(store, name) {
        Some(i) => {
            let credential = &mut store.credentials[i];
            credential
                .values
                .extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
            if let Some(provider) = sso_provider {
                credential.sso_provider = Some(provider.to_owned());
            }
            credential.updated_at = now;
        }
        None => store.credentials.push(CredentialRecord {
            id: new_id("cred"),
            name: name.to_owned(),
            domain: domain.to_owned(),
            values: values.clone(),
            totp_secret: None,
            sso_provider: sso_provider.map(str::to_owned),
            created_at: now,
            updated_at: now,
        }),
    }
}

/// Normalizes a base32 secret (spaces removed, upper case, no padding),
/// rejecting invalid ones with a 400.
fn normalize_secret(secret: &str) -> ApiResult<String> {
    totp::decode_base32(secret).map_err(|e| ApiError::bad_request(format!("totp_secret: {e}")))?;
    Ok(secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
        .collect::<String>()
        .to_ascii_uppercase())
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
