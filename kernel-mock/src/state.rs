//! What every handler shares: the configuration, the store behind its lock,
//! faults, the request log, background tasks and the shutdown signal.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::chromium::Chromium;
use crate::faults::FaultState;
use crate::overrides::Overrides;
use crate::requests::RequestLog;
use crate::sites::Site;
use crate::store::Store;
use crate::sync::lock;

/// Timing and identity settings of one mock server.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub api_key: String,
    pub step_delay: Duration,
    pub flow_ttl: Duration,
    pub heartbeat_interval: Duration,
    pub telemetry_interval: Duration,
    pub sse_retry: Duration,
    /// Latency added to every request through the gateway (not `/vm/…`).
    pub control_plane_delay: Duration,
    pub sites: Vec<Arc<Site>>,
}

/// Everything the handlers share.
pub(crate) struct Shared {
    pub config: Config,
    pub store: Mutex<Store>,
    pub faults: Arc<FaultState>,
    pub requests: Arc<RequestLog>,
    pub overrides: Arc<Overrides>,
    pub shutdown: watch::Receiver<bool>,
    /// The real-Chromium backing, when the mock has one.
    pub chromium: Option<Arc<Chromium>>,
    tasks: Mutex<Vec<AbortHandle>>,
}

/// The state handlers receive.
pub(crate) type AppState = Arc<Shared>;

impl Shared {
    pub fn new(
        config: Config,
        faults: Arc<FaultState>,
        requests: Arc<RequestLog>,
        overrides: Arc<Overrides>,
        shutdown: watch::Receiver<bool>,
        chromium: Option<Arc<Chromium>>,
    ) -> Self {
        Shared {
            config,
            store: Mutex::new(Store::default()),
            faults,
            requests,
            overrides,
            shutdown,
            chromium,
            tasks: Mutex::new(Vec::new()),
        }
    }

    /// Locks the store (a poisoned lock is recovered: the store has no
    /// invariants a panicking handler could break half-way that matter more
    /// than staying up).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Spawns a background task that is aborted when the server stops.
    pub fn spawn<F>(&self, future: F) -> AbortHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(future).abort_handle();
        let mut tasks = lock(&self.tasks);
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle.clone());
        handle
    }

    /// Aborts every background task.
    pub fn abort_tasks(&self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }

    /// The site for `domain`, if one is registered.
    pub fn site(&self, domain: &str) -> Option<Arc<Site>> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        self.config
            .sites
            .iter()
            .find(|s| s.domain.eq_ignore_ascii_case(&domain))
            .cloned()
    }

    /// A future that resolves when the server shuts down.
    pub fn shutdown_signal(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.clone();
        async move {
            while !*rx.borrow_and_update() {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}
