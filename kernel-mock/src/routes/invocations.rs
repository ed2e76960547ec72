//! `/invocations`: action invocations that go `queued` → `running` →
//! `succeeded` (or `failed` when the payload has `"mock_fail": true`) on a
//! timer, with log events, and their event stream; the browsers created
//! within an invocation are listed and deleted by it.
//!
//! An app that has deployments (`routes::deployments`) is checked: the
//! version must be served by a running deployment (`latest` is its newest)
//! and have the action, otherwise the invocation is a `404`. An app the
//! mock never saw deployed is accepted with any version and action, so
//! invocations work without deploying first.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use kernel_sys::types;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::{parse_since, JsonBody, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::routes::sse::{self, Frame};
use crate::state::AppState;
use crate::store::deployments;
use crate::store::invocations::InvocationRecord;
use crate::store::{browsers, new_id, Store};

serves! {
    "postInvocations" => create,
    "getInvocations" => list,
    "getInvocationsById" => get,
    "patchInvocationsById" => update,
    "getInvocationsEventsById" => events,
    "getInvocationsBrowsersById" => list_browsers,
    "deleteInvocationsBrowsersById" => delete_browsers,
}

fn find_index(store: &Store, id: &str) -> ApiResult<usize> {
    store
        .invocations
        .iter()
        .position(|i| i.id == id)
        .ok_or_else(|| ApiError::not_found("invocation", id))
}

/// Applies `change` to invocation `id`; `false` once it is gone or finished.
fn step(state: &AppState, id: &str, change: impl FnOnce(&mut InvocationRecord)) -> bool {
    let mut store = state.store();
    let Some(record) = store.invocations.iter_mut().find(|i| i.id == id) else {
        return false;
    };
    if record.is_terminal() {
        return false;
    }
    change(record);
    true
}

async fn run(state: AppState, id: String) {
    let delay = state.config.step_delay;
    tokio::time::sleep(delay).await;
    if !step(&state, &id, |r| {
        r.status = "running";
        r.emit_state();
        r.log(format!(
            "Starting action {:?} of {}@{}",
            r.action_name, r.app_name, r.version
        ));
    }) {
        return;
    }
    tokio::time::sleep(delay).await;
    if !step(&state, &id, |r| {
        let payload = r.payload.clone().unwrap_or_else(|| "null".to_owned());
        r.log(format!("Received payload: {payload}"));
    }) {
        return;
    }
    tokio::time::sleep(delay).await;
    if !step(&state, &id, |r| {
        r.log("Launching browser and running the action…")
    }) {
        return;
    }
    tokio::time::sleep(delay).await;
    step(&state, &id, |r| {
        let payload: Value = r
            .payload
            .as_deref()
            .map(|p| serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.to_owned())))
            .unwrap_or(Value::Null);
        let fail = payload
            .get("mock_fail")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        r.finished_at = Some(Utc::now());
        r.task = None;
        if fail {
            r.log("Action raised an error: mock_fail was set in the payload");
            r.status = "failed";
            r.status_reason = Some("Action raised an error (mock_fail)".to_owned());
        } else {
            r.log("Action finished");
            r.status = "succeeded";
            r.output =
                Some(serde_json::json!({ "action": r.action_name, "echo": payload }).to_string());
        }
        r.emit_state();
    });
}

#[derive(Deserialize)]
pub(crate) struct InvokeRequest {
    app_name: String,
    version: String,
    action_name: String,
    payload: Option<String>,
    #[serde(rename = "async")]
    is_async: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    async_timeout_seconds: Option<i64>,
}

/// `POST /invocations`: `202` with `queued` when `async`, otherwise waits for
/// the end and answers `200`.
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<InvokeRequest>,
) -> ApiResult<Response> {
    for (name, value) in [
        ("app_name", &req.app_name),
        ("version", &req.version),
        ("action_name", &req.action_name),
    ] {
        if value.trim().is_empty() {
            return Err(ApiError::bad_request(format!("{name} must not be empty")));
        }
    }
    if req
        .async_timeout_seconds
        .is_some_and(|t| !(10..=3600).contains(&t))
    {
        return Err(ApiError::bad_request(
            "async_timeout_seconds must be between 10 and 3600",
        ));
    }
    deployments::check_action(
        &state.store(),
        &req.app_name,
        &req.version,
        &req.action_name,
    )?;
    let id = new_id("inv");
    let (sender, mut rx) = broadcast::channel(256);
    let mut record = InvocationRecord {
        id: id.clone(),
        app_name: req.app_name,
        version: req.version,
        action_name: req.action_name,
        payload: req.payload,
        output: None,
        started_at: Utc::now(),
        finished_at: None,
        status: "queued",
        status_reason: None,
        events: Vec::new(),
        sender: Some(sender),
        task: None,
    };
    record.emit_state();
    let queued = record.invoke_response()?;
    {
        let mut store = state.store();
        store.invocations.push(record);
        let task = state.spawn(run(state.clone(), id.clone()));
        if let Some(record) = store.invocations.iter_mut().find(|i| i.id == id) {
            record.task = Some(task);
        }
    }
    if req.is_async.unwrap_or(false) {
        return Ok((StatusCode::ACCEPTED, Json(queued)).into_response());
    }
    // Synchronous: wait for the terminal state (the sender closes then).
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    };
    let shutdown = state.shutdown_signal();
    tokio::select! {
        _ = tokio::time::timeout(std::time::Duration::from_secs(120), wait) => {}
        _ = shutdown => {}
    }
    let store = state.store();
    let index = find_index(&store, &id)?;
    Ok((
        StatusCode::OK,
        Json(store.invocations[index].invoke_response()?),
    )
        .into_response())
}

/// `GET /invocations`
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, true)?;
    let status = match query.get("status") {
        None => None,
        Some(s @ ("queued" | "running" | "succeeded" | "failed")) => Some(s.to_owned()),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status: {other:?} is not a valid status"
            )))
        }
    };
    let since = query.get("since").map(parse_since).transpose()?;
    let store = state.store();
    let items = store
        .invocations
        .iter()
        .filter(|i| query.get("app_name").is_none_or(|v| i.app_name == v))
        .filter(|i| query.get("version").is_none_or(|v| i.version == v))
        .filter(|i| query.get("action_name").is_none_or(|v| i.action_name == v))
        .filter(|_| query.get("deployment_id").is_none())
        .filter(|i| status.as_deref().is_none_or(|s| i.status == s))
        .filter(|i| since.is_none_or(|t| i.started_at >= t))
        .map(InvocationRecord::to_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /invocations/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let index = find_index(&store, &id)?;
    Ok(Json(store.invocations[index].to_json()?))
}

#[derive(Deserialize)]
pub(crate) struct UpdateRequest {
    status: String,
    output: Option<String>,
}

/// `PATCH /invocations/{id}`: sets a terminal status (e.g. `failed` to
/// cancel).
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateRequest>,
) -> ApiResult<Json<Value>> {
    let status = match req.status.as_str() {
        "succeeded" => "succeeded",
        "failed" => "failed",
        other => {
            return Err(ApiError::bad_request(format!(
                "status: {other:?} must be succeeded or failed"
            )))
        }
    };
    let mut store = state.store();
    let index = find_index(&store, &id)?;
    let record = &mut store.invocations[index];
    if let Some(task) = record.task.take() {
        task.abort();
    }
    let was_terminal = record.is_terminal();
    record.status = status;
    if req.output.is_some() {
        record.output = req.output;
    }
    if record.finished_at.is_none() {
        record.finished_at = Some(Utc::now());
    }
    if !was_terminal {
        record.status_reason = Some(format!("set to {status} via PATCH"));
        record.emit_state();
    }
    Ok(Json(record.to_json()?))
}

/// `GET /invocations/{id}/browsers`: the invocation's active sessions.
pub(crate) async fn list_browsers(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    find_index(&store, &id)?;
    let browsers = store
        .browsers
        .iter()
        .filter(|b| b.is_live() && b.invocation_id.as_deref() == Some(id.as_str()))
        .map(|b| b.to_spec(&store))
        .collect::<ApiResult<Vec<_>>>()?;
    let body = types::GetInvocationsBrowsersByIdResponse { browsers };
    Ok(Json(
        serde_json::to_value(body).map_err(|e| build_error("browser list", e))?,
    ))
}

/// `DELETE /invocations/{id}/browsers`: ends every session of the
/// invocation.
pub(crate) async fn delete_browsers(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    find_index(&store, &id)?;
    let sessions: Vec<String> = store
        .browsers
        .iter()
        .filter(|b| b.is_live() && b.invocation_id.as_deref() == Some(id.as_str()))
        .map(|b| b.session_id.clone())
        .collect();
    for session_id in sessions {
        browsers::end(&mut store, &session_id);
    }
    Ok(StatusCode::NO_CONTENT)
}

fn is_terminal_event(value: &Value) -> bool {
    value.get("event").and_then(Value::as_str) == Some("invocation_state")
        && matches!(
            value.pointer("/invocation/status").and_then(Value::as_str),
            Some("succeeded" | "failed")
        )
}

enum Next {
    Event(Result<(DateTime<Utc>, Value), broadcast::error::RecvError>),
    Beat,
}

/// `GET /invocations/{id}/events`: the history (logs and states, filtered
/// by `since`), then live events until a terminal `invocation_state`.
pub(crate) async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryMap,
) -> ApiResult<Response> {
    let since = query.get("since").map(parse_since).transpose()?;
    let (rx, history) = {
        let store = state.store();
        let index = find_index(&store, &id)?;
        let record = &store.invocations[index];
        (
            record.sender.as_ref().map(broadcast::Sender::subscribe),
            record.events.clone(),
        )
    };
    let shared = state.clone();
    let stream = async_stream::stream! {
        if shared.faults.drills().unknown_events {
            yield sse::unknown_event_frame(shared.faults.drills());
        }
        for (at, event) in history {
            let terminal = is_terminal_event(&event);
            if since.is_none_or(|t| at >= t) || terminal {
                let name = event.get("event").and_then(Value::as_str).map(str::to_owned);
                yield Frame::json(None, name.as_deref(), event, shared.faults.drills());
            }
            if terminal {
                return;
            }
        }
        let Some(mut rx) = rx else { return };
        let mut heartbeat = sse::heartbeat(shared.config.heartbeat_interval);
        loop {
            let next = tokio::select! {
                message = rx.recv() => Next::Event(message),
                _ = heartbeat.tick() => Next::Beat,
            };
            match next {
                Next::Event(Ok((_, event))) => {
                    let terminal = is_terminal_event(&event);
                    let name = event.get("event").and_then(Value::as_str).map(str::to_owned);
                    yield Frame::json(None, name.as_deref(), event, shared.faults.drills());
                    if terminal {
                        return;
                    }
                }
                Next::Event(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Next::Event(Err(broadcast::error::RecvError::Closed)) => return,
                Next::Beat => yield sse::heartbeat_frame(shared.faults.drills()),
            }
        }
    };
    Ok(sse::response(
        &state,
        "getInvocationsEventsById",
        stream.boxed(),
    ))
}
