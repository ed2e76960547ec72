//! `/browsers/{id}/replays`: replay recordings of a browser session.
//!
//! - `startBrowserReplayRecording` answers `201` with the `BrowserReplay`;
//!   a browser records one replay at a time, so starting another while one
//!   records is a `409`. `framerate` is 1..=60 and above 20 needs a browser
//!   created with `gpu: true` (else `400`); `max_duration_in_seconds`
//!   (at least 1) ends the recording by itself.
//! - `stopBrowserReplayRecording` answers `200`; stopping a replay that no
//!   longer records is a `400`.
//! - `getBrowsersReplaysById` answers `202` with `Retry-After` (seconds)
//!   while the replay records and while it "encodes" for three step delays
//!   ([`KernelMockBuilder::step_delay`](crate::KernelMockBuilder::step_delay))
//!   after it ended, then `200` with a small valid `video/mp4` of the
//!   viewport's size lasting as long as the recording.
//! - `listBrowsersReplays` answers every replay of the browser, oldest first.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::OptionalJsonBody;
use crate::media::mp4::replay_mp4;
use crate::state::AppState;
use crate::store::devices::{devices, Process, Replay};
use crate::store::new_id;

serves! {
    "startBrowserReplayRecording" => start,
    "listBrowsersReplays" => list,
    "getBrowsersReplaysById" => download,
    "stopBrowserReplayRecording" => stop,
}

/// Step delays a stopped replay takes to "encode".
const ENCODE_STEPS: u32 = 3;

/// The body of `startBrowserReplayRecording`.
#[derive(Deserialize, Default)]
struct StartRequest {
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    framerate: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    max_duration_in_seconds: Option<i64>,
}

/// `POST /browsers/{id}/replays`
async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<StartRequest>,
) -> ApiResult<Response> {
    let body = body.unwrap_or_default();
    let mut store = state.store();
    let gpu = store.browsers.iter().any(|b| b.session_id == id && b.gpu);
    let jwt = store.direct.jwt(&id);
    let devices = devices(&mut store, &id)?;
    let framerate = body.framerate.unwrap_or(10);
    if !(1..=60).contains(&framerate) {
        return Err(ApiError::bad_request(format!(
            "framerate must be between 1 and 60 (got {framerate})"
        )));
    }
    if framerate > 20 && !gpu {
        return Err(ApiError::bad_request(format!(
            "framerate {framerate} needs a browser with gpu enabled (at most 20 without)"
        )));
    }
    let max_duration = match body.max_duration_in_seconds {
        Some(secs) if secs < 1 => {
            return Err(ApiError::bad_request(format!(
                "max_duration_in_seconds must be at least 1 (got {secs})"
            )))
        }
        Some(secs) => Some(chrono::Duration::try_seconds(secs).ok_or_else(|| {
            ApiError::bad_request(format!("max_duration_in_seconds {secs} is too large"))
        })?),
        None => None,
    };
    let now = Utc::now();
    if let Some(recording) = devices
        .replays
        .iter()
        .find(|r| r.finished_at(now).is_none())
    {
        return Err(ApiError::conflict(
            "conflict",
            format!(
                "replay {} is already recording this browser; stop it first",
                recording.id
            ),
        ));
    }
    let replay = Replay {
        id: new_id("replay"),
        started_at: now,
        stopped_at: None,
        max_duration,
        framerate,
    };
    let spec = replay.to_spec(&jwt)?;
    devices.log.push(
        Process::Api,
        format!("replay {} started at {} fps", replay.id, replay.framerate),
    );
    devices.replays.push(replay);
    Ok((StatusCode::CREATED, Json(spec)).into_response())
}

/// `GET /browsers/{id}/replays`
async fn list(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let mut store = state.store();
    let jwt = store.direct.jwt(&id);
    let devices = devices(&mut store, &id)?;
    let replays = devices
        .replays
        .iter()
        .map(|r| r.to_spec(&jwt))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(replays).into_response())
}

/// `GET /browsers/{id}/replays/{replay_id}`
async fn download(
    State(state): State<AppState>,
    Path((id, replay_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (size, duration) = {
        let mut store = state.store();
        let devices = devices(&mut store, &id)?;
        let viewport = devices.viewport();
        let replay = devices
            .replays
            .iter()
            .find(|r| r.id == replay_id)
            .ok_or_else(|| ApiError::not_found("replay", &replay_id))?;
        let now = Utc::now();
        let Some(finished) = replay.finished_at(now) else {
            return Ok(in_progress(1));
        };
        let encoded = finished
            + chrono::Duration::from_std(state.config.step_delay * ENCODE_STEPS)
                .unwrap_or_default();
        if now < encoded {
            let left = (encoded - now).num_milliseconds();
            return Ok(in_progress((left + 999) / 1000));
        }
        let duration = (finished - replay.started_at).num_milliseconds();
        (viewport, duration)
    };
    let side = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    let millis = u32::try_from(duration.max(1)).unwrap_or(u32::MAX);
    let video = replay_mp4(side(size.0), side(size.1), millis);
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"))],
        video,
    )
        .into_response())
}

/// `202` with `Retry-After: <secs>` (at least 1, as the spec says).
fn in_progress(secs: i64) -> Response {
    let mut response = StatusCode::ACCEPTED.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    response
}

/// `POST /browsers/{id}/replays/{replay_id}/stop`
async fn stop(
    State(state): State<AppState>,
    Path((id, replay_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let devices = devices(&mut store, &id)?;
    let now = Utc::now();
    let replay = devices
        .replays
        .iter_mut()
        .find(|r| r.id == replay_id)
        .ok_or_else(|| ApiError::not_found("replay", &replay_id))?;
    if let Some(finished) = replay.finished_at(now) {
        return Err(ApiError::bad_request(format!(
            "replay {replay_id} is not recording (it finished at {})",
            finished.to_rfc3339()
        )));
    }
    replay.stopped_at = Some(now);
    devices
        .log
        .push(Process::Api, format!("replay {replay_id} stopped"));
    Ok(StatusCode::OK)
}
