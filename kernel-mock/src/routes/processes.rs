//! `/browsers/{id}/process/*`: commands in the browser's simulated VM, run
//! by a small safe shell interpreter over the VM's in-memory filesystem
//! (never the host's shell). Time is simulated: `sleep 2` takes two real
//! seconds, and output appears when the command writes it.
//!
//! - `exec` answers when the command is done; past `timeout_sec` it answers
//!   exit code 124 with the output written until then.
//! - `spawn` runs in the background; the stdout stream replays the output
//!   from the start for every subscriber, then ends with an `exit` event.
//!   An exited process stays visible for 10 s.
//! - A shell without a script (`sh`, `bash -i`) runs each stdin line; `cat`
//!   echoes stdin. With `allocate_tty` output is one stream with `\r\n`
//!   line ends, input is echoed and a shell prompts `$ `.
//! - `kill` ends a process with 128 + the signal's number.

mod launch;
mod run;

use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use base64::Engine as _;
use futures::StreamExt;
use kernel_sys::{open, types};
use serde::Deserialize;
use serde_json::Value;

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::routes::sse::{self, Frame};
use crate::state::AppState;
use crate::store::processes::{
    new_uuid, parse_uuid, stdin_pipe, Output, ProcessRecord, TtySize, MAX_STDIN_QUEUED,
};
use crate::store::vms::{existing_vm, vm_mut, MAX_PROCESSES};
use launch::{Launch, RunRequest};
use run::{Target, TIMEOUT_EXIT};

serves! {
    "processExec" => exec,
    "processSpawn" => spawn,
    "processStatus" => status,
    "processStdoutStream" => stdout_stream,
    "processStdin" => stdin,
    "processKill" => kill,
    "processResize" => resize,
}

/// The longest `exec` waits without a `timeout_sec`; a longer command then
/// ends as if timed out, so a request never hangs on `sleep infinity`.
const EXEC_WAIT_CAP: Duration = Duration::from_secs(600);

/// The standard base64 of `data`.
fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The `process_id` path parameter: a UUID (400 otherwise), lower-cased.
fn process_id(raw: &str) -> ApiResult<String> {
    parse_uuid(raw)
        .ok_or_else(|| ApiError::bad_request(format!("process_id {raw:?} is not a UUID")))
}

/// `POST /browsers/{id}/process/exec`
pub(crate) async fn exec(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<RunRequest>,
) -> ApiResult<Json<types::ProcessExecResult>> {
    let launch = Launch::exec(req)?;
    let started = Instant::now();
    let outcome = {
        let mut store = state.store();
        let vm = vm_mut(&mut store, &id)?;
        launch.check_cwd(&vm.fs)?;
        let outcome = launch.run(&mut vm.fs, Vec::new());
        vm.notify(&outcome.events);
        outcome
    };
    let limit = launch.timeout.unwrap_or(EXEC_WAIT_CAP);
    let timed_out = outcome.sleep > limit;
    tokio::select! {
        _ = tokio::time::sleep(outcome.sleep.min(limit)) => {}
        _ = state.shutdown_signal() => {}
    }
    let (stdout, stderr, code) = if timed_out {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        for chunk in outcome.timeline.iter().take_while(|c| c.at <= limit) {
            if chunk.stderr { &mut err } else { &mut out }.extend_from_slice(&chunk.data);
        }
        (out, err, TIMEOUT_EXIT)
    } else {
        (outcome.stdout, outcome.stderr, outcome.exit_code)
    };
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let result = types::ProcessExecResult::builder()
        .exit_code(Some(i64::from(code)))
        .stdout_b64(Some(b64(&stdout)))
        .stderr_b64(Some(b64(&stderr)))
        .duration_ms(Some(duration_ms))
        .try_into()
        .map_err(|e| build_error("ProcessExecResult", e))?;
    Ok(Json(result))
}

/// `POST /browsers/{id}/process/spawn`
pub(crate) async fn spawn(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<RunRequest>,
) -> ApiResult<Json<types::ProcessSpawnResult>> {
    let launch = Launch::spawn(req)?;
    let interactive = launch.interactive();
    let mut store = state.store();
    let vm = vm_mut(&mut store, &id)?;
    launch.check_cwd(&vm.fs)?;
    if vm.processes.len() >= MAX_PROCESSES {
        return Err(ApiError::bad_request(format!(
            "this browser already runs {MAX_PROCESSES} processes"
        )));
    }
    let process_id = new_uuid();
    let pid = vm.next_pid();
    let mut record = ProcessRecord::new(process_id.clone(), launch.tty);
    let started_at = record.started_at;
    let target = Target {
        state: state.clone(),
        session: id.clone(),
        id: process_id.clone(),
    };
    let task = match interactive {
        Some(kind) => {
            let (writer, reader) = stdin_pipe();
            record.stdin = Some(writer);
            run::greeting(kind, &mut record);
            let (cwd, env) = (launch.cwd.clone(), launch.env.clone());
            vm.processes.push(record);
            state.spawn(run::interactive(
                target,
                kind,
                reader,
                cwd,
                env,
                launch.timeout,
            ))
        }
        None => {
            let outcome = launch.run(&mut vm.fs, Vec::new());
            vm.notify(&outcome.events);
            vm.processes.push(record);
            state.spawn(run::play(target, outcome, launch.timeout))
        }
    };
    if let Ok(process) = vm.process(&process_id) {
        process.task = Some(task);
    }
    let process_id = serde_json::from_value(Value::String(process_id))
        .map_err(|e| build_error("ProcessSpawnResult", e))?;
    Ok(Json(types::ProcessSpawnResult {
        process_id: Some(process_id),
        pid: Some(pid),
        started_at: Some(started_at),
    }))
}

/// `GET /browsers/{id}/process/{process_id}/status`
pub(crate) async fn status(
    State(state): State<AppState>,
    Path((id, raw)): Path<(String, String)>,
) -> ApiResult<Json<types::ProcessStatus>> {
    let process_id = process_id(&raw)?;
    let mut store = state.store();
    let process = vm_mut(&mut store, &id)?.process(&process_id)?;
    Ok(Json(process.to_status()?))
}

/// A stream item as the spec's `ProcessStreamEvent`.
fn output_event(output: &Output) -> ApiResult<Value> {
    let builder = types::ProcessStreamEvent::builder();
    let builder = match output {
        Output::Data { stderr, data } => builder
            .stream(Some(if *stderr {
                open::ProcessStreamEventStream::Stderr
            } else {
                open::ProcessStreamEventStream::Stdout
            }))
            .data_b64(Some(b64(data))),
        Output::Exit(code) => builder
            .event(Some(open::ProcessStreamEventEvent::Exit))
            .exit_code(Some(i64::from(*code))),
    };
    let event: types::ProcessStreamEvent = builder
        .try_into()
        .map_err(|e| build_error("ProcessStreamEvent", e))?;
    serde_json::to_value(event).map_err(|e| build_error("ProcessStreamEvent", e))
}

/// `GET /browsers/{id}/process/{process_id}/stdout/stream`: every output
/// item from the start, then live ones, ending after the `exit` event.
pub(crate) async fn stdout_stream(
    State(state): State<AppState>,
    Path((id, raw)): Path<(String, String)>,
) -> ApiResult<Response> {
    let process_id = process_id(&raw)?;
    let (mut items, mut rx) = {
        let mut store = state.store();
        let process = vm_mut(&mut store, &id)?.process(&process_id)?;
        (process.since(0), process.subscribe())
    };
    let shared = state.clone();
    let stream = async_stream::stream! {
        let mut heartbeat = sse::heartbeat(shared.config.heartbeat_interval);
        let mut next = 0;
        loop {
            for (seq, output) in &items {
                next = seq + 1;
                let Ok(value) = output_event(output) else { continue };
                yield Frame::json(None, None, value, shared.faults.drills());
                if matches!(output, Output::Exit(_)) {
                    return;
                }
            }
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { return },
                _ = heartbeat.tick() => yield Frame::Comment("keepalive".into()),
            }
            let found = {
                let mut store = shared.store();
                existing_vm(&mut store, &id)
                    .and_then(|vm| vm.process(&process_id).ok())
                    .map(|p| p.since(next))
            };
            let Some(found) = found else { return };
            items = found;
        }
    };
    Ok(sse::response(&state, "processStdoutStream", stream.boxed()))
}

/// The spec's `ProcessStdinRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StdinRequest {
    data_b64: String,
}

/// `POST /browsers/{id}/process/{process_id}/stdin`: the bytes go to the
/// program (a process that does not read stdin leaves them unread).
pub(crate) async fn stdin(
    State(state): State<AppState>,
    Path((id, raw)): Path<(String, String)>,
    JsonBody(req): JsonBody<StdinRequest>,
) -> ApiResult<Json<types::ProcessStdinResult>> {
    let process_id = process_id(&raw)?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(req.data_b64.as_bytes())
        .map_err(|e| ApiError::bad_request(format!("data_b64 is not base64: {e}")))?;
    let mut store = state.store();
    let process = vm_mut(&mut store, &id)?.process(&process_id)?;
    if !process.is_running() {
        return Err(ApiError::bad_request(
            "the process has exited; its stdin is closed",
        ));
    }
    if let Some(queue) = &process.stdin {
        if !queue.write(data.clone()) {
            return Err(ApiError::bad_request(format!(
                "the process has {MAX_STDIN_QUEUED} bytes of unread stdin; retry later"
            )));
        }
    }
    if process.tty.is_some() {
        // The terminal echoes what is typed.
        process.write(false, &data);
    }
    let result = types::ProcessStdinResult::builder()
        .written_bytes(Some(i64::try_from(data.len()).unwrap_or(i64::MAX)))
        .try_into()
        .map_err(|e| build_error("ProcessStdinResult", e))?;
    Ok(Json(result))
}

/// The spec's `ProcessKillRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KillRequest {
    signal: open::ProcessKillRequestSignal,
}

/// The `OkResponse` body.
fn ok() -> ApiResult<Json<types::OkResponse>> {
    types::OkResponse::builder()
        .ok(true)
        .try_into()
        .map(Json)
        .map_err(|e| build_error("OkResponse", e))
}

/// `POST /browsers/{id}/process/{process_id}/kill`: the process ends at
/// once with 128 + the signal number (TERM 15, KILL 9, INT 2, HUP 1).
pub(crate) async fn kill(
    State(state): State<AppState>,
    Path((id, raw)): Path<(String, String)>,
    JsonBody(req): JsonBody<KillRequest>,
) -> ApiResult<Json<types::OkResponse>> {
    let process_id = process_id(&raw)?;
    let number = match req.signal {
        open::ProcessKillRequestSignal::Term => 15,
        open::ProcessKillRequestSignal::Kill => 9,
        open::ProcessKillRequestSignal::Int => 2,
        open::ProcessKillRequestSignal::Hup => 1,
        other => {
            return Err(ApiError::bad_request(format!(
                "signal {other:?} is not one of {:?}",
                open::ProcessKillRequestSignal::VALUES
            )))
        }
    };
    let mut store = state.store();
    let process = vm_mut(&mut store, &id)?.process(&process_id)?;
    if let Some(task) = process.task.take() {
        task.abort();
    }
    if !process.finish(128 + number) {
        return Err(ApiError::bad_request("the process has already exited"));
    }
    ok()
}

/// The spec's `ProcessResizeRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResizeRequest {
    #[serde(deserialize_with = "crate::http::extract::int")]
    rows: i64,
    #[serde(deserialize_with = "crate::http::extract::int")]
    cols: i64,
}

/// `POST /browsers/{id}/process/{process_id}/resize`: a terminal's new size
/// (400 for a process without one).
pub(crate) async fn resize(
    State(state): State<AppState>,
    Path((id, raw)): Path<(String, String)>,
    JsonBody(req): JsonBody<ResizeRequest>,
) -> ApiResult<Json<types::OkResponse>> {
    let process_id = process_id(&raw)?;
    let size = match (u16::try_from(req.rows), u16::try_from(req.cols)) {
        (Ok(rows @ 1..), Ok(cols @ 1..)) => TtySize { rows, cols },
        _ => {
            return Err(ApiError::bad_request(
                "rows and cols must be between 1 and 65535",
            ))
        }
    };
    let mut store = state.store();
    let process = vm_mut(&mut store, &id)?.process(&process_id)?;
    if process.tty.is_none() {
        return Err(ApiError::bad_request("the process is not PTY-backed"));
    }
    if !process.is_running() {
        return Err(ApiError::bad_request("the process has exited"));
    }
    process.tty = Some(size);
    ok()
}
