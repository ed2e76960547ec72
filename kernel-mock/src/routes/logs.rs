//! `GET /browsers/{id}/logs/stream`: the log lines of one of the browser's
//! processes as server-sent events, each `data:` a `LogEvent`.
//!
//! Two processes log, chosen by `source=supervisor&supervisor_process=NAME`
//! or `source=path&path=/var/log/supervisord/NAME`:
//!
//! - `chromium`: the browser's start (viewport, start URL) and every
//!   `browserCurl` request with its status;
//! - `kernel-images-api`: every computer action (`clickMouse: left click x1
//!   at (5, 6)`), replay start and stop, and Playwright execution.
//!
//! The stream sends the lines so far, then (unless `follow=false`, which
//! ends it there) new lines as they are written, a `: keepalive` comment
//! after each heartbeat interval without lines (the spec's event schema is
//! `LogEvent` only, so no heartbeat events), and a last line when the
//! browser is deleted, then ends. A missing or unknown `source`, a missing
//! or relative `path`, a missing `supervisor_process` or a malformed
//! `follow` is a `400`; a process or path other than these two is a `404`.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use kernel_sys::{open, types};
use tokio::sync::broadcast::error::RecvError;

use crate::faults::Drills;
use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::QueryMap;
use crate::routes::sse::{self, Frame};
use crate::state::AppState;
use crate::store::devices::{devices, is_live, Process};

serves! {
    "logsStream" => stream,
}

/// How often a following stream checks that its browser still exists.
const LIVENESS_CHECK: Duration = Duration::from_millis(50);

/// The process a request's query names.
fn process(query: &QueryMap) -> ApiResult<Process> {
    let source = query
        .get("source")
        .ok_or_else(|| ApiError::bad_request("source is required (path or supervisor)"))?;
    match open::LogsStreamSource::from(source) {
        open::LogsStreamSource::Path => {
            let path = query
                .get("path")
                .filter(|p| !p.is_empty())
                .ok_or_else(|| ApiError::bad_request("path is required when source is path"))?;
            if !path.starts_with('/') {
                return Err(ApiError::bad_request(format!(
                    "path must be absolute (got {path:?})"
                )));
            }
            Process::ALL
                .into_iter()
                .find(|p| p.log_path() == path)
                .ok_or_else(|| ApiError::not_found("log file", path))
        }
        open::LogsStreamSource::Supervisor => {
            let name = query
                .get("supervisor_process")
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "supervisor_process is required when source is supervisor",
                    )
                })?;
            Process::ALL
                .into_iter()
                .find(|p| p.name() == name)
                .ok_or_else(|| ApiError::not_found("supervisor process", name))
        }
        other => Err(ApiError::bad_request(format!(
            "source must be one of {} (got {:?})",
            open::LogsStreamSource::VALUES.join(", "),
            other.as_str()
        ))),
    }
}

/// A line as a `data:` frame.
fn frame(timestamp: DateTime<Utc>, message: String, drills: Drills) -> Frame {
    let event = types::LogEvent {
        event: types::LogEventEvent::Log,
        message,
        timestamp,
    };
    match serde_json::to_value(event) {
        Ok(value) => Frame::json(None, None, value, drills),
        Err(e) => Frame::Comment(build_error("LogEvent", e).message),
    }
}

/// `GET /browsers/{id}/logs/stream`
async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryMap,
) -> ApiResult<Response> {
    let process = process(&query)?;
    let follow = query.bool("follow", true)?.unwrap_or(true);
    let (backlog, mut rx) = {
        let mut store = state.store();
        let devices = devices(&mut store, &id)?;
        // Under one lock: every line is in the backlog or comes through `rx`.
        (devices.log.after(process, 0), devices.log.subscribe())
    };
    let shared = state.clone();
    let frames = async_stream::stream! {
        let mut last = 0;
        for line in backlog {
            last = line.seq;
            yield frame(line.timestamp, line.message, shared.faults.drills());
        }
        if !follow {
            return;
        }
        let mut heartbeat = sse::heartbeat(shared.config.heartbeat_interval);
        let mut liveness = tokio::time::interval(LIVENESS_CHECK);
        loop {
            tokio::select! {
                message = rx.recv() => {
                    let lines = match message {
                        Ok(line) => vec![line],
                        Err(RecvError::Lagged(_)) => {
                            let mut store = shared.store();
                            match devices(&mut store, &id) {
                                Ok(devices) => devices.log.after(process, last),
                                Err(_) => Vec::new(),
                            }
                        }
                        Err(RecvError::Closed) => return,
                    };
                    for line in lines {
                        if line.process == process && line.seq > last {
                            last = line.seq;
                            heartbeat.reset();
                            yield frame(line.timestamp, line.message, shared.faults.drills());
                        }
                    }
                }
                _ = heartbeat.tick() => yield Frame::Comment("keepalive".to_owned()),
                _ = liveness.tick() => {
                    if !is_live(&shared.store(), &id) {
                        let message = format!("{}: browser session {id} deleted; stopping", process.name());
                        yield frame(Utc::now(), message, shared.faults.drills());
                        return;
                    }
                }
            }
        }
    };
    Ok(sse::response(&state, "logsStream", frames.boxed()))
}
