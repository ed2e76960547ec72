//! The optional real-Chromium backing ([`crate::KernelMockBuilder::chromium`]):
//! each browser session is a headless Chromium process, so code that drives
//! a browser over CDP (chromiumoxide, Playwright's `connectOverCDP`) can be
//! tested offline against real pages.
//!
//! - A browser's `cdp_ws_url` is `ws://{mock}/browser/cdp?jwt=…`, proxied
//!   frame for frame to its Chromium's browser endpoint (`routes::cdp`, at
//!   [`PROXY_PATH`]).
//! - Computer controls keep their checks and logs and also act on the
//!   newest page (the tab a screen would show): input through `Input.*`,
//!   screenshots through `Page.captureScreenshot` ([`input`], [`keys`]).
//! - Profiles keep cookies and local storage between browsers ([`profiles`]).
//! - A browser ends after its `timeout_seconds` without a CDP connection,
//!   as Kernel's do (the spec counts CDP and live-view connections as
//!   activity; the fake has no live view), when its time is up.
//! - Ending a browser, a pool's flush or delete, [`crate::KernelMock::shutdown`]
//!   and dropping the mock end its Chromium; the process-group and
//!   death-signal set-up of [`launch`] covers a panicking test, and on
//!   Linux a killed one.
//! - `playwright/execute` answers a failed execution: no Playwright
//!   executor ships with the fake (it would need Node and a Playwright
//!   install); connect Playwright to `cdp_ws_url` instead.
//!
//! The fake's own CDP client ([`cdp`]) is a small JSON-RPC over
//! tokio-tungstenite, not a CDP library, so users of the fake do not compile
//! one.

pub(crate) mod cdp;
pub(crate) mod input;
mod keys;
mod launch;
mod profiles;
mod running;

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::sync::lock;
pub use launch::find_chromium;
use launch::Process;
use profiles::{Profiles, Saving};
pub(crate) use running::Running;

/// Longest a graceful close (`Browser.close`, so cookies reach the disk)
/// may take before the browser is killed.
/// Where the fake serves each browser's CDP websocket (its `cdp_ws_url`),
/// the real API's path.
pub(crate) const PROXY_PATH: &str = "/browser/cdp";

const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// The Chromium backing of one mock: the executable, the mock's temp root
/// (browsers' user-data dirs and profiles) and every process started.
pub(crate) struct Chromium {
    /// The executable.
    binary: PathBuf,
    /// `kernel-mock-chromium-<pid>-<n>` in the temp dir.
    root: PathBuf,
    /// The profiles' saved user data.
    profiles: Arc<Profiles>,
    /// Every process started, for [`Chromium::shutdown`].
    processes: Mutex<Vec<Weak<Process>>>,
    /// Set by [`Chromium::shutdown`]: no more launches.
    closed: AtomicBool,
}

/// What a browser's Chromium starts with.
pub(crate) struct LaunchSpec {
    /// The browser session.
    pub session_id: String,
    /// Width and height in pixels.
    pub viewport: (u32, u32),
    /// Opened once the page is ready.
    pub start_url: Option<String>,
    /// The profile whose saved state it starts from.
    pub profile_id: Option<String>,
}

impl Chromium {
    /// A backing running `binary`, with a fresh temp root (roots left by
    /// dead processes are removed).
    pub(crate) fn new(binary: PathBuf) -> io::Result<Arc<Chromium>> {
        static ROOTS: AtomicU64 = AtomicU64::new(0);
        remove_stale_roots();
        let root = std::env::temp_dir().join(format!(
            "{ROOT_PREFIX}{}-{}",
            std::process::id(),
            ROOTS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(root.join("browsers"))?;
        std::fs::create_dir_all(root.join("profiles"))?;
        Ok(Arc::new(Chromium {
            binary,
            profiles: Arc::new(Profiles::new(root.join("profiles"))),
            root,
            processes: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }))
    }

    /// Starts launching a browser's Chromium; the handle's
    /// [`Instance::ready`] waits for it.
    pub(crate) fn launch(self: &Arc<Self>, spec: LaunchSpec) -> Arc<Instance> {
        let instance = Arc::new(Instance {
            state: Mutex::new(Launch::Starting),
            changed: Notify::new(),
            task: Mutex::new(None),
            chromium: self.clone(),
            activity: Arc::new(Mutex::new(Activity {
                open: 0,
                quiet_since: std::time::Instant::now(),
            })),
        });
        let reporter = Reporter(instance.clone());
        let chromium = self.clone();
        let task = tokio::spawn(async move {
            let outcome = running::start(&chromium, spec).await;
            reporter.report(outcome);
        });
        *lock(&instance.task) = Some(task.abort_handle());
        instance
    }

    /// Tracks `process` so that [`Chromium::shutdown`] kills it; `false`
    /// (and killed) when the backing already shut down.
    fn register(&self, process: &Arc<Process>) -> bool {
        let mut processes = lock(&self.processes);
        if self.closed.load(Ordering::SeqCst) {
            drop(processes);
            process.kill();
            return false;
        }
        processes.retain(|p| p.strong_count() > 0);
        processes.push(Arc::downgrade(process));
        true
    }

    /// Kills every Chromium and removes the temp root; later launches fail.
    /// Never waits for a graceful close.
    pub(crate) fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let processes: Vec<_> = lock(&self.processes).drain(..).collect();
        for process in processes.iter().filter_map(Weak::upgrade) {
            process.kill();
        }
        launch::remove(std::slice::from_ref(&self.root));
    }
}

/// The temp roots' name: `kernel-mock-chromium-<pid>-<n>`.
const ROOT_PREFIX: &str = "kernel-mock-chromium-";

/// Removes the temp roots of processes that no longer run (a test process
/// killed before it could clean up).
fn remove_stale_roots() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(ROOT_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if cfg!(target_os = "linux") && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                launch::remove(&[entry.path()]);
            }
        }
    }
}

/// Where a browser's Chromium is in its life.
enum Launch {
    /// Launching.
    Starting,
    /// Running, its page ready.
    Ready(Arc<Running>),
    /// It could not start, and why.
    Failed(String),
    /// The browser ended.
    Retired,
}

/// One browser's Chromium: starting, running, failed or retired.
pub(crate) struct Instance {
    /// Where it is in its life.
    state: Mutex<Launch>,
    /// Woken when `state` leaves `Starting`.
    changed: Notify,
    /// The launch, aborted if the browser ends first.
    task: Mutex<Option<AbortHandle>>,
    /// The backing it belongs to (its profiles).
    chromium: Arc<Chromium>,
    /// Its CDP connections, which are what keeps a browser active.
    activity: Arc<Mutex<Activity>>,
}

/// The CDP connections open through the proxy, and since when there has
/// been none.
struct Activity {
    /// Connections open now.
    open: usize,
    /// When the last one closed, or the browser started.
    quiet_since: std::time::Instant,
}

/// Counts one proxied CDP connection as the browser's activity until it
/// drops ([`Instance::connection`]).
pub(crate) struct Connection(Arc<Mutex<Activity>>);

impl Drop for Connection {
    fn drop(&mut self) {
        let mut activity = lock(&self.0);
        activity.open -= 1;
        activity.quiet_since = std::time::Instant::now();
    }
}

/// Hands a launch's outcome to its instance; a launch dropped half-way
/// (aborted) reports a failure, so no waiter hangs.
struct Reporter(Arc<Instance>);

impl Reporter {
    /// Reports `outcome`; a browser that ended meanwhile is killed at once.
    fn report(self, outcome: Result<Running, String>) {
        let running = {
            let mut state = lock(&self.0.state);
            match (&*state, outcome) {
                (Launch::Starting, Ok(running)) => {
                    *state = Launch::Ready(Arc::new(running));
                    None
                }
                (Launch::Starting, Err(message)) => {
                    *state = Launch::Failed(message);
                    None
                }
                (_, outcome) => outcome.ok(),
            }
        };
        if let Some(running) = running {
            running.process.kill();
        }
        self.0.changed.notify_waiters();
    }
}

impl Drop for Reporter {
    /// Marks a launch that never reported as failed.
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        if matches!(*state, Launch::Starting) {
            *state = Launch::Failed("the Chromium launch was abandoned".into());
        }
        drop(state);
        self.0.changed.notify_waiters();
    }
}

impl Instance {
    /// A proxied CDP connection, counted as activity while it is held.
    pub(crate) fn connection(&self) -> Connection {
        lock(&self.activity).open += 1;
        Connection(self.activity.clone())
    }

    /// How long the browser has gone without a CDP connection: zero while
    /// one is open.
    pub(crate) fn idle(&self) -> Duration {
        let activity = lock(&self.activity);
        match activity.open {
            0 => activity.quiet_since.elapsed(),
            _ => Duration::ZERO,
        }
    }

    /// The running Chromium once it is ready, or why there is none.
    pub(crate) async fn ready(&self) -> Result<Arc<Running>, String> {
        loop {
            let woken = self.changed.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match &*lock(&self.state) {
                Launch::Ready(running) => return Ok(running.clone()),
                Launch::Failed(message) => return Err(message.clone()),
                Launch::Retired => return Err("the browser session has ended".into()),
                Launch::Starting => {}
            }
            woken.await;
        }
    }

    /// Ends the browser's Chromium. With `save_to` (a profile id) it is
    /// closed gracefully first and its user-data dir copied into that
    /// profile, in the background (a launch on that profile waits for it);
    /// otherwise it is killed now.
    pub(crate) fn retire(&self, save_to: Option<&str>) {
        let previous = std::mem::replace(&mut *lock(&self.state), Launch::Retired);
        self.changed.notify_waiters();
        let running = match previous {
            Launch::Ready(running) => running,
            Launch::Starting => {
                if let Some(task) = lock(&self.task).take() {
                    task.abort();
                }
                return;
            }
            Launch::Failed(_) | Launch::Retired => return,
        };
        let runtime = tokio::runtime::Handle::try_current();
        match (save_to, runtime) {
            (Some(profile_id), Ok(runtime)) => {
                let saving = self.chromium.profiles.begin_save(profile_id);
                let profiles = self.chromium.profiles.clone();
                runtime.spawn(close_and_save(
                    running,
                    profiles,
                    saving,
                    profile_id.to_owned(),
                ));
            }
            // Killing reaps and removes a directory: off the async workers.
            (None, Ok(runtime)) => {
                runtime.spawn_blocking(move || running.process.kill());
            }
            (_, Err(_)) => running.process.kill(),
        }
    }
}

impl Drop for Instance {
    /// A dropped handle (the store going away) ends its Chromium, even while
    /// a proxied connection still holds it.
    fn drop(&mut self) {
        self.retire(None);
    }
}

/// Closes `running` gracefully (bounded), kills what is left, copies its
/// user-data dir into profile `profile_id` and removes it.
async fn close_and_save(
    running: Arc<Running>,
    profiles: Arc<Profiles>,
    saving: Saving,
    profile_id: String,
) {
    let _ = running.close().await;
    running.process.wait_exit(CLOSE_WAIT).await;
    running.process.stop();
    let _ = profiles.save(&profile_id, &running.data_dir).await;
    running.process.kill();
    drop(saving);
}
