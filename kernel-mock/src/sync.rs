//! The one way the fake locks a mutex.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering from poisoning: a handler that panicked while
/// holding it leaves records a test can still inspect, and the fake must
/// keep answering the other requests.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
