//! Which connection pool an event stream opens on.
//!
//! An HTTP/2 server caps the streams open at once on one connection (its
//! `SETTINGS_MAX_CONCURRENT_STREAMS`; RFC 9113 asks for at least 100), and
//! reqwest's pool opens no second connection past the cap: a request over
//! it waits for a free slot and, with none, times out. So a client keeps
//! its event streams off the pool of its JSON calls, which a hundred open
//! streams would otherwise starve, and spreads them: each stream pool (a
//! `reqwest::Client` built like the client's own, and its connections)
//! carries at most [`StreamOptions::streams_per_connection`] at once, and
//! the next stream gets a pool of its own. A pool no stream uses is dropped
//! once an earlier one has room, and its connections close with it. Over
//! HTTP/1.1 every stream has a connection of its own anyway; the spreading
//! only adds a pool per that many streams.
//!
//! [`StreamOptions::streams_per_connection`]: super::StreamOptions::streams_per_connection

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Builds one more pool: the generated client over a new `reqwest::Client`.
pub(crate) type MakePool = Box<dyn Fn() -> crate::Result<kernel_sys::Client> + Send + Sync>;

/// The stream pools of one [`Kernel`](crate::Kernel) and its clones.
pub(crate) struct Pools {
    /// Streams one pool carries before the next gets another pool.
    per_pool: usize,
    /// `None` when the user gave the `reqwest::Client`: there is no other
    /// built like it, so every stream shares it.
    make: Option<MakePool>,
    /// The client's own generated client: the one pool when `make` is
    /// `None`, and the last resort when it fails.
    first: kernel_sys::Client,
    /// Busy pools, and idle ones not yet dropped, oldest first.
    pools: Mutex<Vec<Arc<Pool>>>,
}

struct Pool {
    sys: kernel_sys::Client,
    /// Streams holding a [`Lease`] on this pool.
    open: AtomicUsize,
}

impl Pool {
    fn new(sys: kernel_sys::Client) -> Arc<Self> {
        Arc::new(Self {
            sys,
            open: AtomicUsize::new(0),
        })
    }
}

/// An event stream's hold on its pool, for as long as the stream lives
/// (reconnects included).
pub(crate) struct Lease(Arc<Pool>);

impl Lease {
    fn new(pool: Arc<Pool>) -> Self {
        pool.open.fetch_add(1, Ordering::AcqRel);
        Self(pool)
    }

    /// The generated client whose connections the stream uses.
    pub(crate) fn sys(&self) -> &kernel_sys::Client {
        &self.0.sys
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Release);
    }
}

impl Pools {
    /// `first` is the client's own generated client; `make` builds another
    /// like it.
    pub(crate) fn new(first: kernel_sys::Client, per_pool: usize, make: Option<MakePool>) -> Self {
        let pools = match make {
            Some(_) => Vec::new(),
            None => vec![Pool::new(first.clone())],
        };
        Self {
            per_pool: per_pool.max(1),
            make,
            first,
            pools: Mutex::new(pools),
        }
    }

    /// A pool for one more stream: the first with room, else a new one.
    pub(crate) fn lease(&self) -> Lease {
        if let Some(lease) = self.lease_in(&mut self.lock()) {
            return lease;
        }
        // Built with the lock released: building a client loads the root
        // certificates, which must not hold up every other stream opening.
        let made = match &self.make {
            Some(make) => make(),
            // The user's one pool always has room, so this is not reached;
            // it would be the same client anyway.
            None => return Lease::new(Pool::new(self.first.clone())),
        };
        let mut pools = self.lock();
        // Another stream may have made room meanwhile; the new pool then
        // goes unused and is dropped.
        if let Some(lease) = self.lease_in(&mut pools) {
            return lease;
        }
        let pool = match made {
            Ok(sys) => {
                let pool = Pool::new(sys);
                pools.push(pool.clone());
                pool
            }
            // A client like the first failed to build (it built once, so
            // this is rare): crowd the least busy pool, or the JSON calls'
            // own, rather than fail the stream.
            Err(error) => {
                tracing::warn!(%error, "could not build a connection pool for an event stream");
                pools
                    .iter()
                    .min_by_key(|p| p.open.load(Ordering::Acquire))
                    .cloned()
                    .unwrap_or_else(|| Pool::new(self.first.clone()))
            }
        };
        Lease::new(pool)
    }

    /// The first pool with room, pruning the empty ones after it: nothing
    /// would use them before every earlier pool is full again.
    fn lease_in(&self, pools: &mut Vec<Arc<Pool>>) -> Option<Lease> {
        // Counts only grow under the lock, so a pool seen empty here stays
        // empty until it is dropped.
        let i = pools
            .iter()
            .position(|p| self.make.is_none() || p.open.load(Ordering::Acquire) < self.per_pool)?;
        let mut j = 0;
        pools.retain(|p| {
            j += 1;
            j <= i + 1 || p.open.load(Ordering::Acquire) > 0
        });
        Some(Lease::new(pools[i].clone()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Pool>>> {
        // Nothing panics while the lock is held, and the counts stay right
        // if something did: take the vector back from a poisoned lock.
        self.pools.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many pools exist now and the streams each holds, first first.
    #[cfg(test)]
    fn counts(&self) -> Vec<usize> {
        let pools = self.pools.lock().unwrap();
        pools
            .iter()
            .map(|p| p.open.load(Ordering::Acquire))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sys() -> kernel_sys::Client {
        kernel_sys::Client::new_with_client(
            "http://127.0.0.1:1",
            reqwest::Client::new(),
            kernel_sys::Hooks::default(),
        )
    }

    fn pools(per_pool: usize, spread: bool) -> Pools {
        let make: Option<MakePool> = if spread {
            Some(Box::new(|| Ok(sys())))
        } else {
            None
        };
        Pools::new(sys(), per_pool, make)
    }

    #[test]
    fn a_full_pool_sends_the_next_stream_to_a_new_one() {
        let pools = pools(2, true);
        assert_eq!(pools.counts(), [0; 0], "no pool before the first stream");
        let a = [pools.lease(), pools.lease()];
        assert_eq!(pools.counts(), [2]);
        let b = pools.lease();
        assert_eq!(pools.counts(), [2, 1]);
        let c = [pools.lease(), pools.lease()];
        assert_eq!(pools.counts(), [2, 2, 1]);
        drop((a, b, c));
        assert_eq!(pools.counts(), [0, 0, 0], "leases give their slot back");
    }

    #[test]
    fn a_freed_slot_is_reused_before_a_new_pool_is_built() {
        let pools = pools(2, true);
        let mut held: Vec<Lease> = (0..4).map(|_| pools.lease()).collect();
        assert_eq!(pools.counts(), [2, 2]);
        held.remove(0);
        assert_eq!(pools.counts(), [1, 2]);
        held.push(pools.lease());
        assert_eq!(
            pools.counts(),
            [2, 2],
            "the first pool's slot, no third pool"
        );
    }

    #[test]
    fn empty_pools_after_the_one_chosen_are_dropped() {
        let pools = pools(1, true);
        let held: Vec<Lease> = (0..3).map(|_| pools.lease()).collect();
        assert_eq!(pools.counts(), [1, 1, 1]);
        drop(held);
        let again = pools.lease();
        assert_eq!(pools.counts(), [1], "the idle pools after the first went");
        drop(again);
        assert_eq!(pools.counts(), [0]);
    }

    #[test]
    fn an_empty_pool_between_busy_ones_is_kept_for_the_next_stream() {
        let pools = pools(1, true);
        let mut held: Vec<Lease> = (0..3).map(|_| pools.lease()).collect();
        held.remove(1);
        assert_eq!(pools.counts(), [1, 0, 1]);
        held.push(pools.lease());
        assert_eq!(pools.counts(), [1, 1, 1], "the second pool took it");
    }

    #[test]
    fn a_users_own_client_carries_every_stream() {
        let pools = pools(1, false);
        let held: Vec<Lease> = (0..3).map(|_| pools.lease()).collect();
        assert_eq!(pools.counts(), [3]);
        drop(held);
    }

    #[test]
    fn a_pool_that_fails_to_build_leaves_the_stream_on_an_existing_one() {
        let built = std::sync::atomic::AtomicBool::new(false);
        let make: MakePool = Box::new(move || {
            // The first build works, every later one fails.
            if built.swap(true, Ordering::SeqCst) {
                Err(crate::Error::Config("no TLS".into()))
            } else {
                Ok(sys())
            }
        });
        let pools = Pools::new(sys(), 1, Some(make));
        let held: Vec<Lease> = (0..3).map(|_| pools.lease()).collect();
        assert_eq!(pools.counts(), [3], "crowded onto the one pool built");
        drop(held);

        let failing: MakePool = Box::new(|| Err(crate::Error::Config("no TLS".into())));
        let pools = Pools::new(sys(), 1, Some(failing));
        let lease = pools.lease();
        assert_eq!(
            pools.counts(),
            [0; 0],
            "on the JSON calls' own pool, not kept"
        );
        assert_eq!(lease.0.open.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_pool_is_built_with_the_lock_released_and_unused_if_room_freed_up_meanwhile() {
        use std::sync::{OnceLock, Weak};
        let me: Arc<OnceLock<Weak<Pools>>> = Arc::new(OnceLock::new());
        // A stream that ends while the next pool is being built.
        let ending: Arc<Mutex<Option<Lease>>> = Arc::new(Mutex::new(None));
        let unlocked = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let make: MakePool = Box::new({
            let (me, ending, unlocked) = (me.clone(), ending.clone(), unlocked.clone());
            move || {
                let pools = me.get().and_then(Weak::upgrade).expect("set before use");
                unlocked.store(pools.pools.try_lock().is_ok(), Ordering::SeqCst);
                drop(ending.lock().unwrap().take());
                Ok(sys())
            }
        });
        let pools = Arc::new(Pools::new(sys(), 1, Some(make)));
        me.set(Arc::downgrade(&pools)).ok();
        // The first pool is built with nothing to end yet.
        *ending.lock().unwrap() = Some(pools.lease());
        assert_eq!(pools.counts(), [1]);
        let next = pools.lease();
        assert!(
            unlocked.load(Ordering::SeqCst),
            "the lock was held while building"
        );
        assert_eq!(
            pools.counts(),
            [1],
            "the freed slot, not the pool just built"
        );
        drop(next);
    }
}
