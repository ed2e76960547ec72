//! Starting and ending Chromium processes so that none outlives its browser
//! or the mock.
//!
//! Each Chromium leads its own process group, so one `kill(-pgid)` ends it
//! with its zygotes, renderers and helpers. On Linux each also gets
//! `PR_SET_PDEATHSIG(SIGKILL)`: the kernel kills it when the thread that
//! forked it dies, which is why every Chromium is forked by one launcher
//! thread that lives as long as the process (a tokio worker or blocking
//! thread may exit while the browser runs). A test process that panics or
//! is killed with `SIGKILL` thus takes its browsers with it.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::sync::lock;

/// How long [`Process::kill`] waits for the killed leader to be reaped
/// before leaving that to a thread of its own.
const REAP_WAIT: Duration = Duration::from_millis(500);

/// A request to the launcher thread: a command to spawn and where to answer.
struct Job {
    /// What to spawn.
    command: Command,
    /// Where the spawned child (or the error) goes.
    reply: oneshot::Sender<io::Result<Child>>,
}

/// The launcher thread's queue, started on first use.
fn launcher() -> io::Result<&'static Mutex<mpsc::Sender<Job>>> {
    static LAUNCHER: OnceLock<Option<Mutex<mpsc::Sender<Job>>>> = OnceLock::new();
    LAUNCHER
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("kernel-mock-chromium-launcher".into())
                .spawn(move || {
                    // The queue's sender is static, so this loop (and the
                    // thread the death signal is tied to) lasts as long as
                    // the process.
                    for mut job in rx {
                        let _ = job.reply.send(job.command.spawn());
                    }
                })
                .ok()
                .map(|_| Mutex::new(tx))
        })
        .as_ref()
        .ok_or_else(|| io::Error::other("cannot start the Chromium launcher thread"))
}

/// What one Chromium process is started with.
pub(crate) struct Spawn<'a> {
    /// The Chromium executable.
    pub binary: &'a Path,
    /// Command-line arguments.
    pub args: Vec<String>,
    /// Where Chromium's stdout and stderr go.
    pub log: &'a Path,
}

/// Spawns `spec` from the launcher thread, in a process group of its own.
pub(crate) async fn spawn(spec: Spawn<'_>) -> io::Result<Child> {
    let mut command = Command::new(spec.binary);
    let log = File::create(spec.log)?;
    command
        .args(&spec.args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    configure(&mut command);
    let (reply, answer) = oneshot::channel();
    lock(launcher()?)
        .send(Job { command, reply })
        .map_err(|_| io::Error::other("the Chromium launcher thread has stopped"))?;
    answer
        .await
        .map_err(|_| io::Error::other("the Chromium launcher thread dropped the launch"))?
}

/// Own process group, and (Linux) killed with the launcher thread.
#[cfg(unix)]
fn configure(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
    #[cfg(target_os = "linux")]
    {
        let parent = std::process::id();
        // SAFETY: the closure only makes async-signal-safe system calls and
        // allocates nothing.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                ) == -1
                {
                    return Err(io::Error::last_os_error());
                }
                // The launcher died between the fork and the prctl: the
                // signal will never come, so do not start at all.
                if u32::try_from(libc::getppid()).ok() != Some(parent) {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
}

/// No process groups here: the leader alone is killed.
#[cfg(not(unix))]
fn configure(_command: &mut Command) {}

/// A running Chromium, its group killed and its directories removed by
/// [`Process::kill`] or on drop.
pub(crate) struct Process {
    /// The leader's pid, which is also the group id.
    pid: u32,
    /// The leader until it is reaped.
    child: Mutex<Option<Child>>,
    /// Directories and files removed once it is dead.
    leftovers: Vec<PathBuf>,
}

impl Process {
    /// Takes ownership of `child`; `leftovers` go when it is killed.
    pub(crate) fn new(child: Child, leftovers: Vec<PathBuf>) -> Self {
        Process {
            pid: child.id(),
            child: Mutex::new(Some(child)),
            leftovers,
        }
    }

    /// Why the leader exited, if it has (it is not reaped, so its group id
    /// stays reserved until [`Process::kill`]).
    pub(crate) fn exited(&self) -> Option<String> {
        lock(&self.child).as_mut().and_then(wait_id)
    }

    /// Waits up to `limit` for the leader to exit by itself.
    pub(crate) async fn wait_exit(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.exited().is_some() || lock(&self.child).is_none() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the whole group and reaps the leader (briefly; a thread
    /// finishes the job if it takes longer), keeping the leftovers.
    /// Idempotent.
    pub(crate) fn stop(&self) {
        let Some(mut child) = lock(&self.child).take() else {
            return;
        };
        kill_group(self.pid, &mut child);
        let deadline = Instant::now() + REAP_WAIT;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_)) | Err(_)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = std::thread::Builder::new()
            .name("kernel-mock-chromium-reaper".into())
            .spawn(move || child.wait());
    }

    /// [`Process::stop`], then removes the leftovers. Idempotent.
    pub(crate) fn kill(&self) {
        self.stop();
        remove(&self.leftovers);
    }
}

impl Drop for Process {
    /// Kills it: a browser never outlives its handle.
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether `child` has exited, as a description of its status, without
/// reaping it (`waitid` with `WNOWAIT`), so its group id stays its own.
#[cfg(target_os = "linux")]
fn wait_id(child: &mut Child) -> Option<String> {
    let pid = libc::id_t::from(child.id());
    // SAFETY: `info` is a plain C struct that waitid fills in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid only writes into `info`.
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            pid,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    // SAFETY: reading si_pid/si_status of a waitid answer.
    let (found, status) = unsafe { (info.si_pid(), info.si_status()) };
    if rc != 0 || found == 0 {
        return None;
    }
    Some(match info.si_code {
        libc::CLD_EXITED => format!("exit status {status}"),
        _ => format!("signal {status}"),
    })
}

/// Whether `child` has exited (reaping it).
#[cfg(not(target_os = "linux"))]
fn wait_id(child: &mut Child) -> Option<String> {
    child.try_wait().ok().flatten().map(|s| s.to_string())
}

/// SIGKILLs process group `pgid` (the leader's children included).
#[cfg(unix)]
fn kill_group(pgid: u32, child: &mut Child) {
    match i32::try_from(pgid) {
        // SAFETY: kill(2) with a negative pid signals that process group.
        Ok(pgid) if pgid > 0 => unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        },
        _ => {
            let _ = child.kill();
        }
    }
}

/// Kills the leader (no process groups here).
#[cfg(not(unix))]
fn kill_group(_pgid: u32, child: &mut Child) {
    let _ = child.kill();
}

/// Removes files and directories, retrying once: a dying process may still
/// create a file while the directory is emptied.
pub(crate) fn remove(paths: &[PathBuf]) {
    for path in paths {
        for _ in 0..2 {
            let result = if path.is_dir() {
                std::fs::remove_dir_all(path)
            } else {
                std::fs::remove_file(path)
            };
            match result {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => break,
            }
        }
    }
}

/// The names a Chromium goes by on `PATH`, most specific first.
const CHROMIUM_NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// Finds a Chromium for [`KernelMockBuilder::chromium`](crate::KernelMockBuilder::chromium):
/// `KERNEL_MOCK_CHROMIUM` when it is set (and `None` if that is not a
/// file, rather than another Chromium than the one asked for), else the
/// first of `chromium`, `chromium-browser`, `google-chrome` and
/// `google-chrome-stable` on `PATH`.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let chromium = kernel_mock::find_chromium().expect("apt-get install chromium");
/// let mock = kernel_mock::KernelMock::builder().chromium(chromium).start().await?;
/// # Ok(()) }
/// ```
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KERNEL_MOCK_CHROMIUM").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs).find_map(|dir| {
        CHROMIUM_NAMES
            .iter()
            .map(|name| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}
