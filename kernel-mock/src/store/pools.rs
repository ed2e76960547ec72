//! Browser pools: the configuration their browsers are warmed with, which
//! warm browsers are idle and which are leased, and the signals that wake
//! waiting acquirers and the pool's filler.
//!
//! A pool of `size` holds at most `size` browsers, idle and leased
//! together: a leased browser still counts, so a full pool whose browsers
//! are all leased makes acquirers wait for a release.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kernel_sys::types;
use serde_json::Value;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::Store;
use crate::http::error::{build_error, ApiResult};

/// `fill_rate_per_minute` when the request gives none (the spec's default).
pub(crate) const DEFAULT_FILL_RATE: i64 = 10;
/// `timeout_seconds` when the request gives none (the spec's default).
pub(crate) const DEFAULT_TIMEOUT_SECONDS: i64 = 600;

/// A browser pool.
pub(crate) struct PoolRecord {
    pub id: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The configuration with the spec's defaults filled in, shown as
    /// `browser_pool_config`.
    pub config: types::BrowserPoolRequest,
    /// Warm browsers nobody holds, the longest idle first.
    pub idle: VecDeque<String>,
    /// Browsers handed out by `acquire` and not released yet.
    pub leased: Vec<String>,
    /// Woken when a browser turns idle or the pool is deleted.
    pub available: Arc<Notify>,
    /// Woken when the pool may lack browsers or its fill rate changed.
    pub refill: Arc<Notify>,
    /// The background task that warms browsers.
    pub filler: Option<AbortHandle>,
}

impl PoolRecord {
    /// The configured `size`.
    pub(crate) fn size(&self) -> usize {
        usize::try_from(self.config.size.get()).unwrap_or(usize::MAX)
    }

    /// The configured fill rate, percent of `size` per minute.
    pub(crate) fn fill_rate(&self) -> i64 {
        self.config
            .fill_rate_per_minute
            .unwrap_or(DEFAULT_FILL_RATE)
    }

    /// The idle timeout acquired browsers get.
    pub(crate) fn timeout_seconds(&self) -> i64 {
        self.config
            .timeout_seconds
            .unwrap_or(DEFAULT_TIMEOUT_SECONDS)
    }

    /// How many browsers the pool lacks.
    pub(crate) fn deficit(&self) -> usize {
        self.size()
            .saturating_sub(self.idle.len() + self.leased.len())
    }

    /// Browsers warmed per mock second (one `step_delay`): the documented
    /// rate, `fill_rate_per_minute` percent of `size` per minute, but at
    /// least one (none at rate 0).
    pub(crate) fn per_step(&self) -> usize {
        let rate = usize::try_from(self.fill_rate()).unwrap_or(0);
        if rate == 0 {
            return 0;
        }
        self.size().saturating_mul(rate).div_ceil(100 * 60).max(1)
    }

    /// Mock seconds (steps) an empty pool takes to fill, `None` when it
    /// does not fill (rate 0).
    pub(crate) fn fill_steps(&self) -> Option<usize> {
        let per_step = self.per_step();
        (per_step > 0).then(|| self.size().div_ceil(per_step))
    }

    /// The spec's `BrowserPool` body.
    pub(crate) fn to_json(&self) -> ApiResult<Value> {
        let pool: types::BrowserPool = types::BrowserPool::builder()
            .id(self.id.clone())
            .name(self.name.clone())
            .created_at(self.created_at)
            .available_count(count(self.idle.len()))
            .acquired_count(count(self.leased.len()))
            .browser_pool_config(self.config.clone())
            .try_into()
            .map_err(|e| build_error("BrowserPool", e))?;
        serde_json::to_value(pool).map_err(|e| build_error("BrowserPool", e))
    }
}

/// A count as the spec's integer.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The index of the pool with id or name `id_or_name` (ids first), its
/// lists cleared of sessions that ended elsewhere.
pub(crate) fn find_index(store: &mut Store, id_or_name: &str) -> Option<usize> {
    let index = store
        .pools
        .iter()
        .position(|p| p.id == id_or_name)
        .or_else(|| {
            store
                .pools
                .iter()
                .position(|p| p.name.as_deref() == Some(id_or_name))
        })?;
    prune(store, index);
    Some(index)
}

/// Drops sessions that are no longer live from pool `index`'s lists (every
/// ending goes through `browsers::end`, which tells the pool; this keeps
/// the counts right whatever ends a session).
fn prune(store: &mut Store, index: usize) {
    let Store {
        pools, browsers, ..
    } = store;
    let pool = &mut pools[index];
    let live = |id: &String| browsers.iter().any(|b| &b.session_id == id && b.is_live());
    let before = pool.idle.len() + pool.leased.len();
    pool.idle.retain(live);
    pool.leased.retain(live);
    if pool.idle.len() + pool.leased.len() != before {
        pool.refill.notify_waiters();
    }
}

/// Lets session `session_id` go from pool `pool_id` (it ended) and wakes
/// the filler to replace it.
pub(crate) fn forget(store: &mut Store, pool_id: &str, session_id: &str) {
    if let Some(pool) = store.pools.iter_mut().find(|p| p.id == pool_id) {
        pool.idle.retain(|id| id != session_id);
        pool.leased.retain(|id| id != session_id);
        pool.refill.notify_waiters();
    }
}
