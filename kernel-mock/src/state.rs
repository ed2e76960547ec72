//! The mock's shared state: configuration, the in-memory store, background
//! tasks and ids.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::browsers::BrowserRecord;
use crate::connections::Connection;
use crate::credentials::CredentialRecord;
use crate::faults::FaultState;
use crate::flows::Flow;
use crate::invocations::InvocationRecord;
use crate::profiles::ProfileRecord;
use crate::requests::RequestLog;
use crate::sites::Site;

/// Timing and identity settings of one mock server.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub api_key: String,
    pub step_delay: Duration,
    pub flow_ttl: Duration,
    pub heartbeat_interval: Duration,
    pub telemetry_interval: Duration,
    pub sse_retry: Duration,
    pub sites: Vec<Arc<Site>>,
}

/// Everything the handlers share.
pub(crate) struct Shared {
    pub config: Config,
    pub store: Mutex<Store>,
    pub faults: Arc<FaultState>,
    pub requests: Arc<RequestLog>,
    pub shutdown: watch::Receiver<bool>,
    tasks: Mutex<Vec<AbortHandle>>,
}

/// The state handlers receive.
pub(crate) type AppState = Arc<Shared>;

/// The in-memory database.
#[derive(Default)]
pub(crate) struct Store {
    pub connections: Vec<Connection>,
    pub flows: HashMap<String, Flow>,
    pub credentials: Vec<CredentialRecord>,
    pub profiles: Vec<ProfileRecord>,
    pub browsers: Vec<BrowserRecord>,
    pub invocations: Vec<InvocationRecord>,
}

impl Shared {
    pub fn new(
        config: Config,
        faults: Arc<FaultState>,
        requests: Arc<RequestLog>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Shared {
            config,
            store: Mutex::new(Store::default()),
            faults,
            requests,
            shutdown,
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

/// Locks `mutex`, recovering from poisoning.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A new random-looking id such as `ma_k3j4...` (20 base-36 characters after
/// the prefix).
pub(crate) fn new_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = nanos ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(prefix.len() + 21);
    out.push_str(prefix);
    if !prefix.is_empty() {
        out.push('_');
    }
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    for _ in 0..20 {
        x = splitmix64(x);
        out.push(ALPHABET[(x % 36) as usize] as char);
    }
    out
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::new_id;

    #[test]
    fn ids_are_unique_and_prefixed() {
        let a = new_id("ma");
        let b = new_id("ma");
        assert_ne!(a, b);
        assert!(a.starts_with("ma_"));
        assert_eq!(a.len(), 23);
    }
}
