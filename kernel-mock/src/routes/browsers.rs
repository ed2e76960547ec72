//! `/browsers`: browser sessions (create, list, get, update, delete).
//! Deleting a session ends its telemetry streams. The checks of a browser
//! configuration are shared with browser pools. A Chromium-backed mock
//! answers `postBrowsers` once the browser's Chromium runs, or `500` saying
//! why it could not start.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use kernel_sys::types;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::chromium::LaunchSpec;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{JsonBody, OptionalJsonBody, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::routes::telemetry;
use crate::state::AppState;
use crate::store::browsers::{self, BrowserRecord};
use crate::store::telemetry::{Categories, TelemetryLog};
use crate::store::Store;
use crate::store::{devices, extensions, profiles, proxies};

serves! {
    "postBrowsers" => create,
    "getBrowsers" => list,
    "getBrowsersById" => get,
    "patchBrowsersById" => update,
    "deleteBrowsersById" => delete,
}

#[derive(Deserialize)]
pub(crate) struct ProfileSelection {
    id: Option<String>,
    name: Option<String>,
    save_changes: Option<bool>,
}

#[derive(Deserialize, Default)]
pub(crate) struct BrowserRequest {
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

/// Checks a requested viewport against the spec's bounds.
pub(crate) fn check_viewport(viewport: &types::BrowserViewport) -> ApiResult<()> {
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
    Ok(())
}

/// Checks that the proxy and the extensions (`{id}` or `{name}`) a browser
/// names exist; the proxy's id.
pub(crate) fn check_references(
    store: &Store,
    proxy_id: Option<&str>,
    extensions: &[Value],
) -> ApiResult<Option<String>> {
    let proxy = match proxy_id {
        None => None,
        Some(proxy_id) => match proxies::find_proxy(store, proxy_id) {
            Some(proxy) => Some(proxy.id.clone()),
            None => {
                return Err(ApiError::bad_request(format!(
                    "proxy {proxy_id:?} not found"
                )))
            }
        },
    };
    for extension in extensions {
        let key = ["id", "name"]
            .iter()
            .find_map(|k| extension.get(*k).and_then(Value::as_str));
        match key {
            Some(key) if extensions::find(store, key).is_some() => {}
            Some(key) => {
                return Err(ApiError::bad_request(format!(
                    "extension {key:?} not found"
                )))
            }
            None => return Err(ApiError::bad_request("an extension needs an id or a name")),
        }
    }
    Ok(proxy)
}

/// The index of the profile a `BrowserProfile` selection (exactly one of
/// `id` or `name`) names; an unknown profile is a 400.
pub(crate) fn resolve_profile(
    store: &Store,
    id: Option<&str>,
    name: Option<&str>,
) -> ApiResult<usize> {
    let key = match (id, name) {
        (Some(id), None) => id,
        (None, Some(name)) if valid_profile_name(name) => name,
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
    profiles::find_index(store, key)
        .ok_or_else(|| ApiError::bad_request(format!("profile {key:?} not found")))
}

/// Marks profile `index` used now and returns its id.
fn use_profile(store: &mut Store, index: usize) -> String {
    let profile = &mut store.profiles[index];
    profile.last_used_at = Some(Utc::now());
    profile.id.clone()
}

/// Starts the telemetry generator of live session `session_id` unless it runs.
fn start_telemetry(state: &AppState, store: &mut Store, session_id: &str) {
    let Some(browser) = browsers::find_live_mut(store, session_id) else {
        return;
    };
    if browser.generator.is_none() {
        let handle = state.spawn(telemetry::run(state.clone(), session_id.to_owned()));
        browser.generator = Some(handle);
    }
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
    let viewport = req.viewport.map(|v| types::BrowserViewport {
        width: v.width,
        height: v.height,
        refresh_rate: v.refresh_rate,
    });
    if let Some(viewport) = &viewport {
        check_viewport(viewport)?;
    }
    // The lock is released before a Chromium starts.
    let (mut record, categories) = {
        let mut store = state.store();
        let proxy_id = check_references(
            &store,
            req.proxy_id.as_deref(),
            req.extensions.as_deref().unwrap_or_default(),
        )?;
        if let Some(id) = &req.invocation_id {
            if !store.invocations.iter().any(|i| &i.id == id) {
                return Err(ApiError::bad_request(format!(
                    "invocation {id:?} not found"
                )));
            }
        }
        let profile = match &req.profile {
            None => None,
            Some(selection) => {
                let index =
                    resolve_profile(&store, selection.id.as_deref(), selection.name.as_deref())?;
                Some((
                    use_profile(&mut store, index),
                    selection.save_changes.unwrap_or(false),
                ))
            }
        };
        let categories = req.telemetry.as_ref().map(Categories::from_config);
        let mut record =
            BrowserRecord::new(headless, req.stealth.unwrap_or(false), timeout_seconds);
        record.gpu = gpu;
        if let Some((profile_id, save)) = profile {
            record.profile_id = Some(profile_id);
            record.save_profile = save;
        }
        record.viewport = viewport;
        record.kiosk_mode = req.kiosk_mode.unwrap_or(false);
        record.start_url = req.start_url;
        record.chrome_policy = req.chrome_policy.unwrap_or_default();
        record.telemetry_config = req.telemetry;
        record.telemetry = TelemetryLog::new(categories);
        record.invocation_id = req.invocation_id;
        record.proxy_id = proxy_id;
        (record, categories)
    };
    if let Some(chromium) = &state.chromium {
        // The browser exists once its Chromium runs.
        let instance = chromium.launch(launch_spec(&record));
        if let Err(message) = instance.ready().await {
            instance.retire(None);
            return Err(ApiError::internal(format!(
                "cannot start the browser's Chromium: {message}"
            )));
        }
        record.chromium = Some(instance);
    }
    let idle_watch = record.chromium.as_ref().map(|instance| {
        let timeout = Duration::from_secs(record.timeout_seconds.unsigned_abs());
        end_when_idle(
            state.clone(),
            record.session_id.clone(),
            timeout,
            Arc::downgrade(instance),
        )
    });
    let mut store = state.store();
    let session_id = record.session_id.clone();
    let body = record.to_json(&store)?;
    store.browsers.push(record);
    if categories.is_some() {
        start_telemetry(&state, &mut store, &session_id);
    }
    drop(store);
    if let Some(watch) = idle_watch {
        state.spawn(watch);
    }
    Ok(Json(body))
}

/// Ends browser `session_id` once its Chromium has gone `timeout` without
/// a CDP connection, as `timeout_seconds` says; stops when the browser
/// ends otherwise (its instance is dropped). It sleeps until the earliest
/// moment the browser could be idle that long, so an idle fake does no
/// work (Kernel checks every 5 s).
async fn end_when_idle(
    state: AppState,
    session_id: String,
    timeout: Duration,
    instance: std::sync::Weak<crate::chromium::Instance>,
) {
    loop {
        let Some(idle) = instance.upgrade().map(|i| i.idle()) else {
            return;
        };
        if idle >= timeout {
            browsers::end(&mut state.store(), &session_id);
            return;
        }
        tokio::time::sleep(timeout - idle).await;
    }
}

/// What `record`'s Chromium starts with: its viewport, start URL and profile.
pub(crate) fn launch_spec(record: &BrowserRecord) -> LaunchSpec {
    LaunchSpec {
        session_id: record.session_id.clone(),
        viewport: devices::viewport(record),
        start_url: record.start_url.clone(),
        profile_id: record.profile_id.clone(),
    }
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

/// Applies a `telemetry` update to `browser`: `{}` keeps the configuration,
/// a `browser` object replaces it, and every category disabled stops
/// capture. `true` when capture is (still) on and the generator must run.
fn update_telemetry(browser: &mut BrowserRecord, config: types::BrowserTelemetryConfig) -> bool {
    if config.browser.is_none() {
        return false;
    }
    let categories = Categories::from_config(&config);
    let capturing =
        categories.console || categories.page || categories.interaction || categories.network;
    if capturing {
        browser.telemetry.categories = Some(categories);
        browser.telemetry_config = Some(config);
    } else {
        browser.telemetry.categories = None;
        browser.telemetry_config = None;
        if let Some(generator) = browser.generator.take() {
            generator.abort();
        }
    }
    capturing
}

/// `PATCH /browsers/{id}`: loads a profile into a session without one,
/// resizes the viewport, changes telemetry and the proxy (`""` removes it);
/// `disable_default_proxy` has nothing to show.
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<types::BrowserUpdateRequest>,
) -> ApiResult<Json<Value>> {
    let mut store = state.store();
    let browser = browsers::find_live_mut(&mut store, &id)
        .ok_or_else(|| ApiError::not_found("browser session", &id))?;
    let has_profile = browser.profile_id.is_some();
    let viewport = req.viewport.map(|v| types::BrowserViewport {
        width: v.width,
        height: v.height,
        refresh_rate: v.refresh_rate,
    });
    if let Some(viewport) = &viewport {
        check_viewport(viewport)?;
    }
    let proxy_id = check_references(
        &store,
        req.proxy_id.as_deref().filter(|p| !p.is_empty()),
        &[],
    )?;
    let profile = match &req.profile {
        None => None,
        Some(_) if has_profile => {
            return Err(ApiError::bad_request(
                "the session already has a profile loaded",
            ))
        }
        Some(selection) => {
            let name = selection.name.as_ref().map(|n| n.as_str());
            let index = resolve_profile(&store, selection.id.as_deref(), name)?;
            Some((
                use_profile(&mut store, index),
                selection.save_changes.unwrap_or(false),
            ))
        }
    };
    let browser = browsers::find_live_mut(&mut store, &id)
        .ok_or_else(|| ApiError::not_found("browser session", &id))?;
    if let Some((profile_id, save)) = profile {
        browser.profile_id = Some(profile_id);
        browser.save_profile = save;
    }
    if viewport.is_some() {
        browser.viewport = viewport;
    }
    // Omitted: unchanged; empty: no proxy.
    if req.proxy_id.is_some() {
        browser.proxy_id = proxy_id;
    }
    let capture = req
        .telemetry
        .is_some_and(|config| update_telemetry(browser, config));
    if capture {
        start_telemetry(&state, &mut store, &id);
    }
    let browser = store
        .browsers
        .iter()
        .find(|b| b.session_id == id)
        .ok_or_else(|| ApiError::not_found("browser session", &id))?;
    Ok(Json(browser.to_json(&store)?))
}

/// `DELETE /browsers/{id}`: soft-deletes the session and ends its telemetry.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if browsers::end(&mut state.store(), &id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("browser session", &id))
    }
}
