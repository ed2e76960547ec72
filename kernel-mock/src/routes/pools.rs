//! `/browser_pools`: pools of identically configured, pre-warmed browsers.
//!
//! A pool keeps `size` browsers, idle and leased together; its filler task
//! warms the missing ones at the fill rate, `acquire` leases an idle one
//! (long-polling while none is idle), `release` returns one (or, with
//! `reuse: false`, replaces it with a fresh one), `flush` destroys the idle
//! ones. Pool browsers are ordinary sessions: `GET /browsers/{id}` shows them
//! with their `pool`.
//!
//! Time runs on the mock's clock, where one second of the API is one
//! `step_delay`: `acquire_timeout_seconds: 5` waits five steps. The filler
//! warms browsers at the documented rate, `fill_rate_per_minute` percent of
//! `size` per minute, but never slower than one browser per step, so pools
//! warm within a test's patience; rate 0 stops it. Without
//! `acquire_timeout_seconds`, acquire waits as long as filling the whole
//! pool takes; a long poll never lasts longer than [`MAX_WAIT_SECONDS`].

mod lease;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use kernel_sys::types;
use serde_json::Value;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{JsonBody, OptionalJsonBody};
use crate::routes::browsers::{check_references, check_viewport, resolve_profile};
use crate::state::AppState;
use crate::store::pools::{self, PoolRecord, DEFAULT_FILL_RATE, DEFAULT_TIMEOUT_SECONDS};
use crate::store::{browsers, new_id, Store};

serves! {
    "postBrowserPools" => create,
    "getBrowserPools" => list,
    "getBrowserPoolsByIdOrName" => get,
    "updateBrowserPoolsByIdOrName" => update,
    "deleteBrowserPoolsByIdOrName" => delete,
    "acquireFromBrowserPoolByIdOrName" => lease::acquire,
    "releaseToBrowserPoolByIdOrName" => lease::release,
    "flushBrowserPoolByIdOrName" => lease::flush,
}

/// The organization's pooled sessions limit: the sum of all pool sizes.
pub(crate) const MAX_POOLED_SESSIONS: u64 = 100;
/// The longest an acquire long-polls, in API seconds (mock steps).
pub(crate) const MAX_WAIT_SECONDS: i64 = 60;

/// The index of pool `id_or_name`, or a 404.
pub(crate) fn find(store: &mut Store, id_or_name: &str) -> ApiResult<usize> {
    pools::find_index(store, id_or_name)
        .ok_or_else(|| ApiError::not_found("browser pool", id_or_name))
}

/// Checks a pool configuration (defaults filled in) for pool `own_id`
/// (`None` when creating): bounds, a profile that exists, a unique name, and
/// the pooled sessions limit.
fn validate(
    store: &Store,
    config: &types::BrowserPoolRequest,
    own_id: Option<&str>,
) -> ApiResult<()> {
    if !(0..=25).contains(&config.fill_rate_per_minute.unwrap_or(DEFAULT_FILL_RATE)) {
        return Err(ApiError::bad_request(
            "fill_rate_per_minute must be between 0 and 25",
        ));
    }
    if !(60..=86_400).contains(&config.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS)) {
        return Err(ApiError::bad_request(
            "timeout_seconds must be between 60 and 86400",
        ));
    }
    if let Some(viewport) = &config.viewport {
        check_viewport(viewport)?;
    }
    let extensions: Vec<Value> = config
        .extensions
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect();
    check_references(store, config.proxy_id.as_deref(), &extensions)?;
    if let Some(profile) = &config.profile {
        let name = profile.name.as_ref().map(|n| n.as_str());
        resolve_profile(store, profile.id.as_deref(), name)?;
    }
    let others = store.pools.iter().filter(|p| Some(p.id.as_str()) != own_id);
    if let Some(name) = &config.name {
        if others
            .clone()
            .any(|p| p.name.as_deref() == Some(name.as_str()))
        {
            return Err(ApiError::conflict(
                "already_exists",
                format!("a browser pool named {:?} already exists", name.as_str()),
            ));
        }
    }
    let pooled = others
        .map(|p| p.config.size.get())
        .fold(config.size.get(), u64::saturating_add);
    if pooled > MAX_POOLED_SESSIONS {
        return Err(ApiError::bad_request(format!(
            "the pools' sizes would add up to {pooled}, above the pooled sessions limit of {MAX_POOLED_SESSIONS}"
        )));
    }
    Ok(())
}

/// Fills in the spec's defaults, so `browser_pool_config` shows them.
fn with_defaults(mut config: types::BrowserPoolRequest) -> types::BrowserPoolRequest {
    config.fill_rate_per_minute.get_or_insert(DEFAULT_FILL_RATE);
    config
        .timeout_seconds
        .get_or_insert(DEFAULT_TIMEOUT_SECONDS);
    config
}

/// `POST /browser_pools`: an empty pool whose filler starts warming.
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<types::BrowserPoolRequest>,
) -> ApiResult<Response> {
    let config = with_defaults(req);
    let mut store = state.store();
    validate(&store, &config, None)?;
    let id = new_id("");
    let pool = PoolRecord {
        id: id.clone(),
        name: config.name.as_ref().map(|n| n.to_string()),
        created_at: Utc::now(),
        config,
        idle: Default::default(),
        leased: Vec::new(),
        available: Default::default(),
        refill: Default::default(),
        filler: None,
    };
    let body = pool.to_json()?;
    let filler = state.spawn(lease::fill(state.clone(), id));
    store.pools.push(PoolRecord {
        filler: Some(filler),
        ..pool
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /browser_pools`: every pool (the spec pages nothing here).
pub(crate) async fn list(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let mut store = state.store();
    let ids: Vec<String> = store.pools.iter().map(|p| p.id.clone()).collect();
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let index = find(&mut store, &id)?;
        items.push(store.pools[index].to_json()?);
    }
    Ok(Json(Value::Array(items)))
}

/// `GET /browser_pools/{id_or_name}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut store = state.store();
    let index = find(&mut store, &id_or_name)?;
    Ok(Json(store.pools[index].to_json()?))
}

/// `PATCH /browser_pools/{id_or_name}`: the fields given replace the
/// configuration's (`size` is required, as the spec says). Browsers warmed
/// from now on use it; idle ones keep theirs unless `discard_all_idle`,
/// which destroys them and warms replacements at once. A smaller `size`
/// destroys idle browsers above it (leased ones go when released).
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
    JsonBody(req): JsonBody<Value>,
) -> ApiResult<Json<Value>> {
    let parsed: types::BrowserPoolUpdateRequest = serde_json::from_value(req.clone())
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    let discard = parsed.discard_all_idle.unwrap_or(false);
    let mut store = state.store();
    let index = find(&mut store, &id_or_name)?;
    let pool = &store.pools[index];
    let mut merged = serde_json::to_value(&pool.config)
        .map_err(|e| ApiError::internal(format!("pool configuration: {e}")))?;
    if let (Some(merged), Some(changes)) = (merged.as_object_mut(), req.as_object()) {
        for (key, value) in changes.iter().filter(|(k, _)| *k != "discard_all_idle") {
            merged.insert(key.clone(), value.clone());
        }
    }
    let config: types::BrowserPoolRequest = serde_json::from_value(merged)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    let config = with_defaults(config);
    let pool_id = pool.id.clone();
    validate(&store, &config, Some(&pool_id))?;
    let pool = &mut store.pools[index];
    pool.name = config.name.as_ref().map(|n| n.to_string());
    pool.config = config;
    let excess = (pool.idle.len() + pool.leased.len()).saturating_sub(pool.size());
    let doomed: Vec<String> = if discard {
        pool.idle.iter().cloned().collect()
    } else {
        pool.idle.iter().take(excess).cloned().collect()
    };
    pool.refill.notify_waiters();
    for session_id in doomed {
        browsers::end(&mut store, &session_id);
    }
    if discard {
        let deficit = store.pools[index].deficit();
        lease::warm(state.chromium.as_ref(), &mut store, index, deficit);
    }
    Ok(Json(store.pools[index].to_json()?))
}

/// `DELETE /browser_pools/{id_or_name}`: deletes the pool and its browsers;
/// refused (400) while browsers are leased unless `force`, which ends them.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
    OptionalJsonBody(req): OptionalJsonBody<types::BrowserPoolDeleteRequest>,
) -> ApiResult<StatusCode> {
    let force = req.and_then(|r| r.force).unwrap_or(false);
    let mut store = state.store();
    let index = find(&mut store, &id_or_name)?;
    let leased = store.pools[index].leased.len();
    if leased > 0 && !force {
        return Err(ApiError::bad_request(format!(
            "{leased} browser(s) of the pool are leased; release them or delete with force=true"
        )));
    }
    let pool = store.pools.remove(index);
    if let Some(filler) = &pool.filler {
        filler.abort();
    }
    // Waiting acquirers find the pool gone.
    pool.available.notify_waiters();
    for session_id in pool.idle.iter().chain(&pool.leased) {
        browsers::end(&mut store, session_id);
    }
    Ok(StatusCode::NO_CONTENT)
}
