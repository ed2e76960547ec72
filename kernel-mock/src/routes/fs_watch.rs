//! `/browsers/{id}/fs/watch`: watches on the browser VM's filesystem. A
//! watch buffers the changes below its path (made through the filesystem
//! operations, uploads, or processes) from its start; its event stream
//! delivers each once, as `data:` frames holding a `FileSystemEvent`, with
//! `: keepalive` comments in between, and ends when the watch is stopped or
//! the browser deleted.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use futures::StreamExt;
use kernel_sys::{open, types};
use serde::Deserialize;

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::JsonBody;
use crate::routes::fs::absolute;
use crate::routes::sse::{self, Frame};
use crate::state::AppState;
use crate::store::new_id;
use crate::store::vms::{existing_vm, vm_mut, WatchRecord, MAX_WATCHES};
use crate::vm::{normalize, FsEvent, FsEventKind};

serves! {
    "startFsWatch" => start,
    "streamFsEvents" => events,
    "stopFsWatch" => stop,
}

/// The spec's `StartFsWatchRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartFsWatchRequest {
    path: String,
    recursive: Option<bool>,
}

/// `POST /browsers/{id}/fs/watch`: watches an existing path (a directory's
/// direct children, or everything below it when `recursive`).
pub(crate) async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<StartFsWatchRequest>,
) -> ApiResult<(StatusCode, Json<types::StartFsWatchResponse>)> {
    let path = normalize(&absolute("path", &req.path)?)?;
    let mut store = state.store();
    let vm = vm_mut(&mut store, &id)?;
    vm.fs.info(&path)?;
    if vm.watches.len() >= MAX_WATCHES {
        return Err(ApiError::bad_request(format!(
            "this browser already has {MAX_WATCHES} watches; stop one first"
        )));
    }
    let watch_id = new_id("fsw");
    vm.watches.insert(
        watch_id.clone(),
        WatchRecord::new(path, req.recursive.unwrap_or(false)),
    );
    let body = types::StartFsWatchResponse::builder()
        .watch_id(Some(watch_id))
        .try_into()
        .map_err(|e| build_error("StartFsWatchResponse", e))?;
    Ok((StatusCode::CREATED, Json(body)))
}

/// The spec's `FileSystemEvent` of a change.
fn event_json(event: &FsEvent) -> ApiResult<serde_json::Value> {
    let kind = match event.kind {
        FsEventKind::Create => open::FileSystemEventType::Create,
        FsEventKind::Write => open::FileSystemEventType::Write,
        FsEventKind::Delete => open::FileSystemEventType::Delete,
        FsEventKind::Rename => open::FileSystemEventType::Rename,
    };
    let value: types::FileSystemEvent = types::FileSystemEvent::builder()
        .type_(kind)
        .path(event.path.clone())
        .name(Some(event.name.clone()))
        .is_dir(Some(event.is_dir))
        .try_into()
        .map_err(|e| build_error("FileSystemEvent", e))?;
    serde_json::to_value(value).map_err(|e| build_error("FileSystemEvent", e))
}

/// `GET /browsers/{id}/fs/watch/{watch_id}/events`
pub(crate) async fn events(
    State(state): State<AppState>,
    Path((id, watch_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let mut rx = {
        let mut store = state.store();
        vm_mut(&mut store, &id)?.watch(&watch_id)?.subscribe()
    };
    let shared = state.clone();
    let stream = async_stream::stream! {
        let mut heartbeat = sse::heartbeat(shared.config.heartbeat_interval);
        loop {
            rx.borrow_and_update();
            let batch = {
                let mut store = shared.store();
                existing_vm(&mut store, &id)
                    .and_then(|vm| vm.watches.get_mut(&watch_id))
                    .map(WatchRecord::drain)
            };
            let Some(batch) = batch else { return };
            for event in &batch {
                let Ok(value) = event_json(event) else { continue };
                yield Frame::json(None, None, value, shared.faults.drills());
            }
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { return },
                _ = heartbeat.tick() => yield Frame::Comment("keepalive".into()),
            }
        }
    };
    Ok(sse::response(&state, "streamFsEvents", stream.boxed()))
}

/// `DELETE /browsers/{id}/fs/watch/{watch_id}`: stops the watch and ends its
/// streams.
pub(crate) async fn stop(
    State(state): State<AppState>,
    Path((id, watch_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    vm_mut(&mut store, &id)?
        .watches
        .remove(&watch_id)
        .ok_or_else(|| ApiError::not_found("watch", &watch_id))?;
    Ok(StatusCode::NO_CONTENT)
}
