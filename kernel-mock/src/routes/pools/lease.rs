//! The life of pool browsers: the filler that warms them, `acquire` (a
//! long poll woken by a `Notify`), `release` and `flush`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kernel_sys::types;

use super::{find, MAX_WAIT_SECONDS};
use crate::chromium::Chromium;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{JsonBody, OptionalJsonBody};
use crate::routes::browsers::launch_spec;
use crate::state::AppState;
use crate::store::browsers::{self, BrowserRecord};
use crate::store::{profiles, Store};

/// Warms `count` browsers with pool `index`'s configuration, idle, and
/// wakes the acquirers. With a `chromium` backing each starts launching its
/// Chromium (whoever uses it first waits for it to run).
pub(crate) fn warm(
    chromium: Option<&Arc<Chromium>>,
    store: &mut Store,
    index: usize,
    count: usize,
) {
    for _ in 0..count {
        let pool = &store.pools[index];
        let config = &pool.config;
        let mut record = BrowserRecord::new(
            config.headless.unwrap_or(false),
            config.stealth.unwrap_or(false),
            pool.timeout_seconds(),
        );
        record.viewport = config.viewport.clone();
        record.kiosk_mode = config.kiosk_mode.unwrap_or(false);
        record.start_url = config.start_url.clone();
        record.chrome_policy = config.chrome_policy.clone();
        record.pool_id = Some(pool.id.clone());
        record.proxy_id = config.proxy_id.clone();
        if let Some(profile) = &config.profile {
            let key = profile
                .id
                .as_deref()
                .or(profile.name.as_ref().map(|n| n.as_str()));
            // A profile deleted since the pool was configured is skipped.
            if let Some(found) = key.and_then(|k| profiles::find(store, k)) {
                record.profile_id = Some(found.id.clone());
                record.save_profile = profile.save_changes.unwrap_or(false);
            }
        }
        record.chromium = chromium.map(|c| c.launch(launch_spec(&record)));
        let session_id = record.session_id.clone();
        store.browsers.push(record);
        store.pools[index].idle.push_back(session_id);
    }
    if count > 0 {
        store.pools[index].available.notify_waiters();
    }
}

/// Keeps pool `pool_id` at its size: one step after a browser goes missing
/// it warms the next batch; while the pool is full (or its rate is 0) it
/// sleeps until woken. Ends with the pool.
pub(crate) async fn fill(state: AppState, pool_id: String) {
    let Some(refill) = state
        .store()
        .pools
        .iter()
        .find(|p| p.id == pool_id)
        .map(|p| p.refill.clone())
    else {
        return;
    };
    loop {
        let woken = refill.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let lacking = {
            let mut store = state.store();
            let Some(index) = crate::store::pools::find_index(&mut store, &pool_id) else {
                return;
            };
            let pool = &store.pools[index];
            pool.deficit() > 0 && pool.per_step() > 0
        };
        if !lacking {
            woken.await;
            continue;
        }
        tokio::time::sleep(state.config.step_delay).await;
        let mut store = state.store();
        let Some(index) = crate::store::pools::find_index(&mut store, &pool_id) else {
            return;
        };
        let pool = &store.pools[index];
        let count = pool.deficit().min(pool.per_step());
        warm(state.chromium.as_ref(), &mut store, index, count);
    }
}

/// Leases the longest-idle browser of pool `index`, if one is idle.
fn lease(store: &mut Store, index: usize) -> ApiResult<Option<types::Browser>> {
    let pool = &mut store.pools[index];
    let Some(session_id) = pool.idle.pop_front() else {
        return Ok(None);
    };
    pool.leased.push(session_id.clone());
    let timeout_seconds = pool.timeout_seconds();
    let browser = browsers::find_live_mut(store, &session_id)
        .ok_or_else(|| ApiError::internal("a pool listed an ended browser"))?;
    // Acquired browsers use the pool's idle timeout.
    browser.timeout_seconds = timeout_seconds;
    let browser = store
        .browsers
        .iter()
        .find(|b| b.session_id == session_id)
        .ok_or_else(|| ApiError::internal("a pool listed an unknown browser"))?;
    browser.to_spec(store).map(Some)
}

/// `POST /browser_pools/{id_or_name}/acquire`: an idle browser at once, or
/// the first to turn idle within the timeout, or `204` after it.
pub(crate) async fn acquire(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
    OptionalJsonBody(req): OptionalJsonBody<types::BrowserPoolAcquireRequest>,
) -> ApiResult<Response> {
    let requested = req.and_then(|r| r.acquire_timeout_seconds);
    if requested.is_some_and(|t| t < 0) {
        return Err(ApiError::bad_request(
            "acquire_timeout_seconds must not be negative",
        ));
    }
    let (pool_id, available, wait_seconds) = {
        let mut store = state.store();
        let index = find(&mut store, &id_or_name)?;
        let pool = &store.pools[index];
        let fill_seconds = pool
            .fill_steps()
            .and_then(|s| i64::try_from(s).ok())
            .unwrap_or(MAX_WAIT_SECONDS);
        (
            pool.id.clone(),
            pool.available.clone(),
            requested.unwrap_or(fill_seconds).min(MAX_WAIT_SECONDS),
        )
    };
    let wait = state
        .config
        .step_delay
        .saturating_mul(u32::try_from(wait_seconds).unwrap_or(0));
    let deadline = tokio::time::Instant::now() + wait;
    let shutdown = state.shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        // Registered before looking, so a browser turning idle after the
        // look wakes this poll.
        let woken = available.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        {
            let mut store = state.store();
            let index = find(&mut store, &pool_id)?;
            if let Some(browser) = lease(&mut store, index)? {
                return Ok(Json(browser).into_response());
            }
        }
        tokio::select! {
            () = &mut woken => {}
            () = tokio::time::sleep_until(deadline) => break,
            () = &mut shutdown => break,
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /browser_pools/{id_or_name}/release`: returns a leased browser to
/// the idle ones (the longest-idle go first), or with `reuse: false` ends
/// it and warms a fresh one in its place. A browser above a shrunk `size`
/// is ended.
pub(crate) async fn release(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
    JsonBody(req): JsonBody<types::BrowserPoolReleaseRequest>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find(&mut store, &id_or_name)?;
    let session_id = req.session_id;
    let pool = &mut store.pools[index];
    let Some(position) = pool.leased.iter().position(|id| *id == session_id) else {
        let pool_id = pool.id.clone();
        let known = store
            .browsers
            .iter()
            .any(|b| b.session_id == session_id && b.is_live());
        return Err(if known {
            ApiError::bad_request(format!(
                "browser session {session_id:?} is not leased from pool {pool_id:?}"
            ))
        } else {
            ApiError::not_found("browser session", &session_id)
        });
    };
    pool.leased.remove(position);
    let over_size = pool.idle.len() + pool.leased.len() >= pool.size();
    if req.reuse.unwrap_or(true) && !over_size {
        pool.idle.push_back(session_id);
        pool.available.notify_waiters();
        return Ok(StatusCode::NO_CONTENT);
    }
    browsers::end(&mut store, &session_id);
    let deficit = store.pools[index].deficit();
    warm(state.chromium.as_ref(), &mut store, index, deficit.min(1));
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /browser_pools/{id_or_name}/flush`: ends every idle browser; the
/// filler warms replacements.
pub(crate) async fn flush(
    State(state): State<AppState>,
    Path(id_or_name): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find(&mut store, &id_or_name)?;
    let idle: Vec<String> = store.pools[index].idle.iter().cloned().collect();
    for session_id in idle {
        browsers::end(&mut store, &session_id);
    }
    Ok(StatusCode::NO_CONTENT)
}
