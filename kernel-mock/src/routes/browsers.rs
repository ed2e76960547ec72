//! `/browsers`: browser sessions (create, list, get, delete). Deleting a
//! session ends its telemetry streams.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use kernel_sys::types;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{OptionalJsonBody, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::routes::telemetry;
use crate::state::AppState;
use crate::store::browsers::BrowserRecord;
use crate::store::new_id;
use crate::store::profiles;
use crate::store::telemetry::{Categories, TelemetryLog};

serves! {
    "postBrowsers" => create,
    "getBrowsers" => list,
    "getBrowsersById" => get,
    "deleteBrowsersById" => delete,
}

#[derive(Deserialize)]
pub(crate) struct ProfileSelection {
    id: Option<String>,
    name: Option<String>,
    #[allow(dead_code)]
    save_changes: Option<bool>,
}

#[derive(Deserialize, Default)]
pub(crate) struct BrowserRequest {
    #[allow(dead_code)]
    invocation_id: Option<String>,
    stealth: Option<bool>,
    headless: Option<bool>,
    gpu: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    timeout_seconds: Option<i64>,
    profile: Option<ProfileSelection>,
    extensions: Option<Vec<Value>>,
    proxy_id: Option<String>,
    viewport: Option<ViewportRequest>,
    kiosk_mode: Option<bool>,
    start_url: Option<String>,
    chrome_policy: Option<Map<String, Value>>,
    telemetry: Option<types::BrowserTelemetryConfig>,
}

/// The spec's `BrowserViewport` (integers may be written as `1024.0`).
#[derive(Deserialize)]
pub(crate) struct ViewportRequest {
    #[serde(deserialize_with = "crate::http::extract::int")]
    width: i64,
    #[serde(deserialize_with = "crate::http::extract::int")]
    height: i64,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    refresh_rate: Option<i64>,
}

fn valid_profile_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// `POST /browsers` (answers `200`, as the spec says).
pub(crate) async fn create(
    State(state): State<AppState>,
    OptionalJsonBody(req): OptionalJsonBody<BrowserRequest>,
) -> ApiResult<Json<Value>> {
    let req = req.unwrap_or_default();
    let headless = req.headless.unwrap_or(false);
    let gpu = req.gpu.unwrap_or(false);
    if gpu && headless {
        return Err(ApiError::bad_request("gpu requires headless=false"));
    }
    let timeout_seconds = req.timeout_seconds.unwrap_or(60);
    if !(10..=259_200).contains(&timeout_seconds) {
        return Err(ApiError::bad_request(
            "timeout_seconds must be between 10 and 259200",
        ));
    }
    if let Some(viewport) = &req.viewport {
        if !(320..=7680).contains(&viewport.width) || !(240..=4320).contains(&viewport.height) {
            return Err(ApiError::bad_request(
                "viewport: width must be 320-7680 and height 240-4320",
            ));
        }
        if viewport.refresh_rate.is_some_and(|r| r <= 0) {
            return Err(ApiError::bad_request(
                "viewport: refresh_rate must be positive",
            ));
        }
    }
    if let Some(proxy_id) = &req.proxy_id {
        return Err(ApiError::bad_request(format!(
            "proxy {proxy_id:?} not found (kernel-mock does not implement proxies)"
        )));
    }
    if req.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
        return Err(ApiError::bad_request(
            "extension not found (kernel-mock does not implement extensions)",
        ));
    }
    let mut store = state.store();
    let profile_id = match &req.profile {
        None => None,
        Some(selection) => {
            let key = match (&selection.id, &selection.name) {
                (Some(id), None) => id.clone(),
                (None, Some(name)) if valid_profile_name(name) => name.clone(),
                (None, Some(name)) => {
                    return Err(ApiError::bad_request(format!(
                        "profile.name {name:?} must be 1-255 letters, digits, '.', '_' or '-'"
                    )))
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "profile: give exactly one of id or name",
                    ))
                }
            };
            let index = profiles::find_index(&store, &key)
                .ok_or_else(|| ApiError::bad_request(format!("profile {key:?} not found")))?;
            let profile = &mut store.profiles[index];
            profile.last_used_at = Some(Utc::now());
            Some(profile.id.clone())
        }
    };
    let session_id = new_id("");
    let categories = req.telemetry.as_ref().map(Categories::from_config);
    let record = BrowserRecord {
        session_id: session_id.clone(),
        created_at: Utc::now(),
        deleted_at: None,
        headless,
        stealth: req.stealth.unwrap_or(false),
        gpu,
        timeout_seconds,
        profile_id,
        viewport: req.viewport.map(|v| types::BrowserViewport {
            width: v.width,
            height: v.height,
            refresh_rate: v.refresh_rate,
        }),
        kiosk_mode: req.kiosk_mode.unwrap_or(false),
        start_url: req.start_url,
        chrome_policy: req.chrome_policy.unwrap_or_default(),
        telemetry_config: req.telemetry,
        telemetry: TelemetryLog::new(categories),
        generator: None,
    };
    let body = record.to_json(&store)?;
    store.browsers.push(record);
    if categories.is_some() {
        let handle = state.spawn(telemetry::run(state.clone(), session_id.clone()));
        if let Some(browser) = store
            .browsers
            .iter_mut()
            .find(|b| b.session_id == session_id)
        {
            browser.generator = Some(handle);
        }
    }
    Ok(Json(body))
}

/// `GET /browsers`
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, false)?;
    let include_deleted = query.bool("include_deleted", false)?.unwrap_or(false);
    let status = match query.get("status") {
        Some("deleted") => "deleted",
        Some("all") => "all",
        Some("active") => "active",
        _ if include_deleted => "all",
        _ => "active",
    };
    let search = query
        .get("query")
        .filter(|q| !q.is_empty())
        .map(str::to_ascii_lowercase);
    let store = state.store();
    let items = store
        .browsers
        .iter()
        .filter(|b| match status {
            "deleted" => b.deleted_at.is_some(),
            "all" => true,
            _ => b.deleted_at.is_none(),
        })
        .filter(|b| {
            search.as_deref().is_none_or(|q| {
                b.session_id.to_ascii_lowercase().contains(q)
                    || b.profile_id
                        .as_deref()
                        .is_some_and(|p| p.to_ascii_lowercase().contains(q))
            })
        })
        .map(|b| b.to_json(&store))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /browsers/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryMap,
) -> ApiResult<Json<Value>> {
    let include_deleted = query.bool("include_deleted", false)?.unwrap_or(false);
    let store = state.store();
    let browser = store
        .browsers
        .iter()
        .find(|b| b.session_id == id && (include_deleted || b.deleted_at.is_none()))
        .ok_or_else(|| ApiError::not_found("browser session", &id))?;
    Ok(Json(browser.to_json(&store)?))
}

/// `DELETE /browsers/{id}`: soft-deletes the session and ends its telemetry.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let browser = store
        .browsers
        .iter_mut()
        .find(|b| b.session_id == id && b.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("browser session", &id))?;
    browser.deleted_at = Some(Utc::now());
    if let Some(generator) = browser.generator.take() {
        generator.abort();
    }
    browser.telemetry.close();
    Ok(StatusCode::NO_CONTENT)
}
