//! One simulated VM per browser session: its filesystem, processes and
//! filesystem watches, created on first use.

use std::collections::{HashMap, VecDeque};

use axum::http::StatusCode;
use tokio::sync::watch;

use super::processes::{ProcessRecord, EXITED_RETENTION};
use super::Store;
use crate::http::error::{ApiError, ApiResult};
use crate::vm::{watch_matches, FsError, FsEvent, FsTree};

/// Most bytes of file contents one VM holds (its "disk").
pub(crate) const MAX_FS_BYTES: u64 = 256 * 1024 * 1024;
/// Most files and directories one VM holds.
pub(crate) const MAX_FS_NODES: usize = 200_000;
/// Most processes one VM keeps (running, or exited within the retention).
pub(crate) const MAX_PROCESSES: usize = 256;
/// Most watches one VM keeps.
pub(crate) const MAX_WATCHES: usize = 64;
/// Events a watch buffers for its stream; newer ones are dropped when full,
/// as Kernel's VMs do.
pub(crate) const WATCH_BUFFER: usize = 1024;
/// The first pid handed out, above the VM's own services.
const FIRST_PID: i64 = 4200;

/// The simulated VM of one browser session.
pub(crate) struct Vm {
    /// Its filesystem.
    pub fs: FsTree,
    /// Its processes, oldest first.
    pub processes: Vec<ProcessRecord>,
    /// Its filesystem watches by id.
    pub watches: HashMap<String, WatchRecord>,
    /// The next pid.
    next_pid: i64,
}

impl Vm {
    /// A fresh VM.
    fn new() -> Self {
        Vm {
            fs: FsTree::with_limits(MAX_FS_BYTES, MAX_FS_NODES),
            processes: Vec::new(),
            watches: HashMap::new(),
            next_pid: FIRST_PID,
        }
    }

    /// A new pid.
    pub(crate) fn next_pid(&mut self) -> i64 {
        let pid = self.next_pid;
        self.next_pid += 1;
        pid
    }

    /// Process `id` (a lower-case UUID), or 404.
    pub(crate) fn process(&mut self, id: &str) -> ApiResult<&mut ProcessRecord> {
        self.processes
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| ApiError::not_found("process", id))
    }

    /// Watch `id`, or 404.
    pub(crate) fn watch(&mut self, id: &str) -> ApiResult<&mut WatchRecord> {
        self.watches
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("watch", id))
    }

    /// Hands filesystem changes to every watch they concern.
    pub(crate) fn notify(&mut self, events: &[FsEvent]) {
        for watch in self.watches.values_mut() {
            for event in events {
                if event.path == watch.path
                    || watch_matches(&watch.path, watch.recursive, &event.path)
                {
                    watch.offer(event.clone());
                }
            }
        }
    }

    /// Forgets processes that exited longer than the retention ago.
    fn prune(&mut self) {
        self.processes
            .retain(|p| p.exited_at.is_none_or(|at| at.elapsed() < EXITED_RETENTION));
    }
}

/// A filesystem watch: the events not streamed yet.
pub(crate) struct WatchRecord {
    /// The watched path (normalised).
    pub path: String,
    /// Whether subdirectories are watched too.
    pub recursive: bool,
    /// Events waiting for a stream, oldest first.
    pending: VecDeque<FsEvent>,
    /// Bumped on every event, to wake the stream; dropped with the watch,
    /// which ends the stream.
    notify: watch::Sender<u64>,
}

impl WatchRecord {
    /// A watch with nothing pending.
    pub(crate) fn new(path: String, recursive: bool) -> Self {
        WatchRecord {
            path,
            recursive,
            pending: VecDeque::new(),
            notify: watch::Sender::new(0),
        }
    }

    /// Buffers an event unless the buffer is full.
    fn offer(&mut self, event: FsEvent) {
        if self.pending.len() < WATCH_BUFFER {
            self.pending.push_back(event);
            self.notify.send_modify(|n| *n += 1);
        }
    }

    /// Takes the pending events: each event reaches one stream.
    pub(crate) fn drain(&mut self) -> Vec<FsEvent> {
        self.pending.drain(..).collect()
    }

    /// A receiver that wakes on every new event and fails once the watch is
    /// stopped.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.notify.subscribe()
    }
}

/// Whether browser `session_id` exists and is not deleted.
pub(crate) fn browser_alive(store: &Store, session_id: &str) -> bool {
    store
        .browsers
        .iter()
        .any(|b| b.session_id == session_id && b.deleted_at.is_none())
}

/// The VM of browser `session_id`, created on first use; 404 for an unknown
/// or deleted browser (whose VM is dropped, ending its processes, watches and
/// streams).
pub(crate) fn vm_mut<'a>(store: &'a mut Store, session_id: &str) -> ApiResult<&'a mut Vm> {
    if !browser_alive(store, session_id) {
        store.vms.remove(session_id);
        return Err(ApiError::not_found("browser session", session_id));
    }
    let vm = store
        .vms
        .entry(session_id.to_owned())
        .or_insert_with(Vm::new);
    vm.prune();
    Ok(vm)
}

/// The VM of `session_id` if it exists and its browser is alive, without
/// creating one (for background tasks and streams).
pub(crate) fn existing_vm<'a>(store: &'a mut Store, session_id: &str) -> Option<&'a mut Vm> {
    if !browser_alive(store, session_id) {
        store.vms.remove(session_id);
        return None;
    }
    store.vms.get_mut(session_id)
}

impl From<FsError> for ApiError {
    /// 404 for a missing path, 400 for everything else: the only statuses the
    /// filesystem operations document besides 403 and 500.
    fn from(error: FsError) -> Self {
        let (status, code) = match &error {
            FsError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            FsError::NoSpace(_) => (StatusCode::BAD_REQUEST, "no_space"),
            _ => (StatusCode::BAD_REQUEST, "bad_request"),
        };
        debug_assert_eq!(status.as_u16(), error.status_hint());
        ApiError::new(status, code, error.to_string())
    }
}
