//! `/deployments`: app deployments (multipart create, list, get, delete) and
//! their event stream.
//!
//! A deployment goes `queued` → `in_progress` → `running`, one
//! `step_delay` apart, with `log` events on the way and an
//! `app_version_summary` event just before `running`; from then on its app
//! version is listed by `getApps` and its actions can be invoked. A zip
//! whose entrypoint is not in the archive fails the build instead (`error`
//! event, then `failed`). Deleting stops the deployment (`stopped`) and
//! keeps the record; a terminal one is left as it is. Deploying an
//! `app@version` that is already deployed needs `force`, which stops the
//! previous deployment. The event stream replays the history (filtered by
//! `since`, the latest state always included) and ends once the deployment
//! is `running`, `failed` or `stopped`.
//!
//! The mock runs no code, so a deployment's app comes from its request:
//!
//! - app name: the env var `KERNEL_MOCK_APP_NAME` if set; otherwise the
//!   repository name of a `source`, or the file name of the uploaded zip
//!   without `.zip` (unless it is the generic `file`); otherwise the
//!   entrypoint's file stem (`src/app.py` → `app`);
//! - actions: the comma-separated env var `KERNEL_MOCK_ACTIONS` if set,
//!   otherwise one action named `run`;
//! - version: the form's `version` (default `latest`).
//!
//! Those env vars are kept with the others and reported like them. A
//! `source` is never fetched: it must name a `https://github.com/<owner>/<repo>`
//! repository and then builds like a zip that has its entrypoint.

mod request;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use kernel_sys::open;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_since, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::routes::form::Form;
use crate::routes::sse::{self, Frame};
use crate::state::AppState;
use crate::store::deployments::{is_settled, is_terminal, DeploymentRecord};
use crate::store::{new_id, Store};

// Uploads may exceed axum's 2 MB default; the front middleware already caps
// every body at 64 MiB.
serves! {
    "postDeployments" => create.layer(DefaultBodyLimit::disable()),
    "getDeployments" => list,
    "getDeploymentsById" => get,
    "deleteDeploymentsById" => delete,
    "getDeploymentsEventsById" => events,
}

/// Applies `change` to deployment `id`; `false` once it is gone or terminal.
fn step(state: &AppState, id: &str, change: impl FnOnce(&mut DeploymentRecord)) -> bool {
    let mut store = state.store();
    let Some(record) = store.deployments.iter_mut().find(|d| d.id == id) else {
        return false;
    };
    if is_terminal(&record.status) {
        return false;
    }
    change(record);
    true
}

/// The build: `in_progress`, then `running` (or `failed`).
async fn run(state: AppState, id: String) {
    let delay = state.config.step_delay;
    tokio::time::sleep(delay).await;
    if !step(&state, &id, |d| {
        d.set_status(open::DeploymentStatus::InProgress, "Building");
        d.log(format!(
            "Building {}@{} from {}",
            d.app_name, d.version, d.entrypoint_rel_path
        ));
    }) {
        return;
    }
    tokio::time::sleep(delay).await;
    if !step(&state, &id, |d| d.log("Installing dependencies")) {
        return;
    }
    tokio::time::sleep(delay).await;
    step(&state, &id, |d| {
        d.task = None;
        match d.build_error.take() {
            Some(why) => {
                d.log(format!("Build failed: {why}"));
                d.error(&ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "build_failed",
                    why.clone(),
                ));
                d.set_status(open::DeploymentStatus::Failed, &why);
            }
            None => {
                d.log(format!("Registered actions: {}", d.actions.join(", ")));
                d.announce_app();
                d.set_status(open::DeploymentStatus::Running, "Deployment running");
            }
        }
    });
}

/// `POST /deployments` (multipart, the spec's `DeploymentRequest`): `201`
/// with the `queued` deployment.
pub(crate) async fn create(State(state): State<AppState>, form: Form) -> ApiResult<Response> {
    let request::Deployment {
        app_name,
        actions,
        version,
        force,
        env_vars,
        entrypoint,
        build_error,
    } = request::parse(form)?;
    let id = new_id("dep");
    let mut store = state.store();
    let current: Vec<usize> = store
        .deployments
        .iter()
        .enumerate()
        .filter(|(_, d)| d.app_name == app_name && d.version == version && !is_terminal(&d.status))
        .map(|(i, _)| i)
        .collect();
    if let (Some(&first), false) = (current.first(), force) {
        return Err(ApiError::bad_request(format!(
            "{app_name}@{version} is already deployed (deployment {}); set force to replace it",
            store.deployments[first].id
        )));
    }
    for index in current {
        store.deployments[index].stop(&format!("Replaced by deployment {id}"));
    }
    let now = Utc::now();
    let (sender, _) = broadcast::channel(256);
    let mut record = DeploymentRecord {
        id: id.clone(),
        app_name,
        version,
        actions,
        app_version_id: new_id("appv"),
        entrypoint_rel_path: entrypoint,
        env_vars,
        created_at: now,
        updated_at: now,
        status: open::DeploymentStatus::Queued,
        status_reason: None,
        build_error,
        events: Vec::new(),
        sender: Some(sender),
        task: None,
    };
    record.set_status(open::DeploymentStatus::Queued, "Deployment queued");
    record.task = Some(state.spawn(run(state.clone(), id)));
    let body = record.to_json()?;
    store.deployments.push(record);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn find_index(store: &Store, id: &str) -> ApiResult<usize> {
    store
        .deployments
        .iter()
        .position(|d| d.id == id)
        .ok_or_else(|| ApiError::not_found("deployment", id))
}

/// `GET /deployments` (filters `app_name`, `app_version`; paginated).
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, true)?;
    let app = query.get("app_name");
    let version = query.get("app_version");
    if version.is_some() && app.is_none() {
        return Err(ApiError::bad_request("app_version requires app_name"));
    }
    let store = state.store();
    let items = store
        .deployments
        .iter()
        .filter(|d| app.is_none_or(|a| d.app_name == a))
        .filter(|d| version.is_none_or(|v| d.version == v))
        .map(DeploymentRecord::to_json)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /deployments/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let index = find_index(&store, &id)?;
    Ok(Json(store.deployments[index].to_json()?))
}

/// `DELETE /deployments/{id}`: stops the deployment; `204` also when it
/// already was terminal.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find_index(&store, &id)?;
    store.deployments[index].stop("Stopped by request");
    Ok(StatusCode::NO_CONTENT)
}

/// The status a `deployment_state` event reports.
fn state_of(event: &Value) -> Option<open::DeploymentStatus> {
    if event.get("event").and_then(Value::as_str) != Some("deployment_state") {
        return None;
    }
    event
        .pointer("/deployment/status")
        .and_then(Value::as_str)
        .map(open::DeploymentStatus::from)
}

fn frame(event: Value, state: &AppState) -> Frame {
    let name = event
        .get("event")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Frame::json(None, name.as_deref(), event, state.faults.drills())
}

enum Next {
    Event(Result<(DateTime<Utc>, Value), broadcast::error::RecvError>),
    Beat,
}

/// `GET /deployments/{id}/events`: the history, then live events until the
/// deployment settles (`running`, `failed` or `stopped`).
pub(crate) async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryMap,
) -> ApiResult<Response> {
    let since = query.get("since").map(parse_since).transpose()?;
    let (rx, history, settled) = {
        let store = state.store();
        let record = &store.deployments[find_index(&store, &id)?];
        let settled = is_settled(&record.status);
        let rx = match &record.sender {
            Some(sender) if !settled => Some(sender.subscribe()),
            _ => None,
        };
        (rx, record.events.clone(), settled)
    };
    let latest_state = history.iter().rposition(|(_, e)| state_of(e).is_some());
    let shared = state.clone();
    let stream = async_stream::stream! {
        if shared.faults.drills().unknown_events {
            yield sse::unknown_event_frame(shared.faults.drills());
        }
        for (index, (at, event)) in history.into_iter().enumerate() {
            if since.is_none_or(|t| at >= t) || Some(index) == latest_state {
                yield frame(event, &shared);
            }
        }
        if settled {
            return;
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
                    let done = state_of(&event).is_some_and(|s| is_settled(&s));
                    yield frame(event, &shared);
                    if done {
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
        "getDeploymentsEventsById",
        stream.boxed(),
    ))
}
