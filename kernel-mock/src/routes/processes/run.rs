//! Spawned processes in the background: a command's output played out over
//! its simulated time, or an interactive program fed from stdin.

use std::time::Duration;

use tokio::time::Instant;

use super::launch::Interactive;
use crate::state::AppState;
use crate::store::processes::{ProcessRecord, StdinReader};
use crate::store::vms::{existing_vm, Vm};
use crate::vm::{Chunk, Outcome};

/// The exit code of a process stopped by its `timeout_sec`, as coreutils
/// `timeout` reports it.
pub(crate) const TIMEOUT_EXIT: i32 = 124;
/// The prompt an interactive shell on a terminal prints.
const PROMPT: &[u8] = b"$ ";

/// Which process a task runs.
pub(crate) struct Target {
    /// The server.
    pub state: AppState,
    /// The browser session.
    pub session: String,
    /// The process id.
    pub id: String,
}

impl Target {
    /// Runs `f` on the VM and the process; `None` once either is gone.
    fn with<T>(&self, f: impl FnOnce(&mut Vm, usize) -> T) -> Option<T> {
        let mut store = self.state.store();
        let vm = existing_vm(&mut store, &self.session)?;
        let index = vm.processes.iter().position(|p| p.id == self.id)?;
        Some(f(vm, index))
    }

    /// Runs `f` on the process; `false` once it is gone or exited.
    fn process(&self, f: impl FnOnce(&mut ProcessRecord)) -> bool {
        self.with(|vm, i| {
            let process = &mut vm.processes[i];
            if process.is_running() {
                f(process);
            }
            process.is_running()
        })
        .unwrap_or(false)
    }
}

/// `start + at`, or a far future when that overflows (`sleep infinity`).
fn deadline(start: Instant, at: Duration) -> Instant {
    start
        .checked_add(at)
        .unwrap_or_else(|| start + Duration::from_secs(30 * 365 * 86_400))
}

/// Writes `timeline` at its simulated times from `start`, up to `limit`;
/// `false` when the process ended meanwhile.
async fn play_chunks(target: &Target, start: Instant, timeline: &[Chunk], limit: Duration) -> bool {
    for chunk in timeline.iter().take_while(|c| c.at <= limit) {
        tokio::time::sleep_until(deadline(start, chunk.at)).await;
        if !target.process(|p| p.write(chunk.stderr, &chunk.data)) {
            return false;
        }
    }
    true
}

/// Plays a command's outcome: its output at its simulated times, then the
/// exit (124 at the timeout if it would run longer).
pub(crate) async fn play(target: Target, outcome: Outcome, timeout: Option<Duration>) {
    let start = Instant::now();
    let limit = timeout.unwrap_or(Duration::MAX);
    if !play_chunks(&target, start, &outcome.timeline, limit).await {
        return;
    }
    let timed_out = outcome.sleep > limit;
    tokio::time::sleep_until(deadline(start, outcome.sleep.min(limit))).await;
    let code = if timed_out {
        TIMEOUT_EXIT
    } else {
        outcome.exit_code
    };
    target.process(|p| {
        p.finish(code);
    });
}

/// Runs an interactive program until it exits, its stdin closes, or its
/// timeout: a shell runs each complete stdin line (keeping its directory and
/// variables), `cat` echoes what arrives.
pub(crate) async fn interactive(
    target: Target,
    kind: Interactive,
    mut stdin: StdinReader,
    mut cwd: String,
    mut env: std::collections::BTreeMap<String, String>,
    timeout: Option<Duration>,
) {
    let work = async {
        let mut pending = Vec::new();
        while let Some(data) = stdin.read().await {
            if kind == Interactive::Cat {
                if !target.process(|p| p.write(false, &data)) {
                    return;
                }
                continue;
            }
            pending.extend_from_slice(&data);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line[..end]).into_owned();
                let Some((outcome, tty)) = target.with(|vm, i| {
                    let mut ctx = crate::vm::ShellContext {
                        fs: &mut vm.fs,
                        cwd: std::mem::take(&mut cwd),
                        env: std::mem::take(&mut env),
                        stdin: Vec::new(),
                    };
                    let outcome = crate::vm::run(&line, &[], &mut ctx);
                    (cwd, env) = (ctx.cwd, ctx.env);
                    vm.notify(&outcome.events);
                    (outcome, vm.processes[i].tty.is_some())
                }) else {
                    return;
                };
                let start = Instant::now();
                if !play_chunks(&target, start, &outcome.timeline, Duration::MAX).await {
                    return;
                }
                tokio::time::sleep_until(deadline(start, outcome.sleep)).await;
                if outcome.exited {
                    target.process(|p| {
                        p.finish(outcome.exit_code);
                    });
                    return;
                }
                if tty && !target.process(|p| p.write(false, PROMPT)) {
                    return;
                }
            }
        }
    };
    match timeout {
        None => work.await,
        Some(limit) => {
            if tokio::time::timeout(limit, work).await.is_err() {
                target.process(|p| {
                    p.finish(TIMEOUT_EXIT);
                });
            }
        }
    }
}

/// The first output of an interactive program: a shell on a terminal
/// prompts.
pub(crate) fn greeting(kind: Interactive, process: &mut ProcessRecord) {
    if kind == Interactive::Shell && process.tty.is_some() {
        process.write(false, PROMPT);
    }
}
