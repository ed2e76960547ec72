//! `/browsers/{id}/computer/*`: the computer controls (mouse, keyboard,
//! screen, clipboard) and their batch.
//!
//! Each browser has a cursor (starting in the middle of its viewport, kept
//! on the screen), a cursor visibility and a clipboard. Moves, clicks,
//! scrolls and drags move the cursor; `getMousePosition` reads it;
//! `writeClipboard` / `readClipboard` round-trip text; `takeScreenshot`
//! answers an `image/png` of the viewport's size (or of the requested
//! region, clamped to the viewport) showing the cursor unless hidden.
//! Typing and key presses change nothing a later request can read. Every
//! action appears in the browser's `kernel-images-api` log (`logsStream`).
//! A batch runs its actions in order and stops at the first invalid one
//! with a `400` naming its index; the actions before it stay applied.
//! Durations and delays (`sleep`, `duration_ms`, `delay`) are checked but
//! not waited for. On a Chromium-backed mock the same checks and logs apply,
//! and the actions also act on the browser's page (`crate::chromium::input`):
//! screenshots are the page's.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kernel_sys::types;
use serde_json::Value;

use crate::chromium::input;
use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::OptionalJsonBody;
use crate::media::computer::{Action, ActionOutput};
use crate::state::AppState;
use crate::store::browsers;
use crate::store::devices::devices;

serves! {
    "clickMouse" => click_mouse,
    "moveMouse" => move_mouse,
    "takeScreenshot" => take_screenshot,
    "typeText" => type_text,
    "pressKey" => press_key,
    "scroll" => scroll,
    "dragMouse" => drag_mouse,
    "setCursor" => set_cursor,
    "readClipboard" => read_clipboard,
    "writeClipboard" => write_clipboard,
    "batchComputerAction" => batch,
    "getMousePosition" => get_mouse_position,
}

/// The JSON body of a computer-control request (absent for some).
type Body = OptionalJsonBody<Value>;

/// Runs operation `operation` with `body` on browser `id` and renders what
/// it answers. On a Chromium-backed browser the actions that ran (a batch's
/// up to a failing one) also act on its page, and a screenshot is the
/// page's.
async fn act(state: AppState, id: String, operation: &str, body: Body) -> ApiResult<Response> {
    let body = body.0.unwrap_or(Value::Null);
    let (ran, output, chromium) = {
        let mut store = state.store();
        let chromium = browsers::find_live_mut(&mut store, &id).and_then(|b| b.chromium.clone());
        let devices = devices(&mut store, &id)?;
        let action =
            Action::from_operation(operation, &body).map_err(|e| ApiError::bad_request(e.0))?;
        let copy = chromium.as_ref().map(|_| action.clone());
        let (count, output) = devices.apply(action);
        let ran = copy.map(|action| match action {
            Action::Batch(items) => items.into_iter().take(count).collect(),
            single => (count > 0)
                .then_some(single)
                .into_iter()
                .collect::<Vec<_>>(),
        });
        (ran, output, chromium)
    };
    let mut page_png = None;
    if let (Some(chromium), Some(ran)) = (chromium, ran) {
        let failed = |e: String| ApiError::internal(format!("the browser's Chromium: {e}"));
        let running = chromium.ready().await.map_err(failed)?;
        for action in &ran {
            input::perform(&running, action)
                .await
                .map_err(|e| failed(e.to_string()))?;
        }
        if let Ok(ActionOutput::Screenshot(capture)) = &output {
            let png = input::screenshot(&running, capture.clip())
                .await
                .map_err(|e| failed(e.to_string()))?;
            page_png = Some(png);
        }
    }
    let output = output.map_err(|e| ApiError::bad_request(e.0))?;
    match output {
        ActionOutput::None if operation == "setCursor" => {
            let ok: types::OkResponse = types::OkResponse::builder()
                .ok(true)
                .try_into()
                .map_err(|e| build_error("OkResponse", e))?;
            Ok(Json(ok).into_response())
        }
        ActionOutput::None => Ok(StatusCode::OK.into_response()),
        ActionOutput::MousePosition { x, y } => {
            let position: types::MousePositionResponse = types::MousePositionResponse::builder()
                .x(i64::from(x))
                .y(i64::from(y))
                .try_into()
                .map_err(|e| build_error("MousePositionResponse", e))?;
            Ok(Json(position).into_response())
        }
        ActionOutput::Clipboard(text) => {
            let content: types::ClipboardContent = types::ClipboardContent::builder()
                .text(text)
                .try_into()
                .map_err(|e| build_error("ClipboardContent", e))?;
            Ok(Json(content).into_response())
        }
        ActionOutput::Screenshot(capture) => {
            let png = match page_png {
                Some(png) => png,
                // Encoding a full-HD PNG takes a while: off the async workers.
                None => tokio::task::spawn_blocking(move || capture.png())
                    .await
                    .map_err(|e| ApiError::internal(format!("screenshot encoding failed: {e}")))?,
            };
            Ok((
                [(header::CONTENT_TYPE, HeaderValue::from_static("image/png"))],
                png,
            )
                .into_response())
        }
    }
}

/// `POST /browsers/{id}/computer/click_mouse`
async fn click_mouse(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "clickMouse", body).await
}

/// `POST /browsers/{id}/computer/move_mouse`
async fn move_mouse(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "moveMouse", body).await
}

/// `POST /browsers/{id}/computer/screenshot` (the body is optional).
async fn take_screenshot(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "takeScreenshot", body).await
}

/// `POST /browsers/{id}/computer/type`
async fn type_text(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "typeText", body).await
}

/// `POST /browsers/{id}/computer/press_key`
async fn press_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "pressKey", body).await
}

/// `POST /browsers/{id}/computer/scroll`
async fn scroll(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "scroll", body).await
}

/// `POST /browsers/{id}/computer/drag_mouse`
async fn drag_mouse(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "dragMouse", body).await
}

/// `POST /browsers/{id}/computer/cursor`
async fn set_cursor(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "setCursor", body).await
}

/// `POST /browsers/{id}/computer/clipboard/read` (no body; one sent is ignored).
async fn read_clipboard(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    act(state, id, "readClipboard", OptionalJsonBody(None)).await
}

/// `POST /browsers/{id}/computer/clipboard/write`
async fn write_clipboard(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "writeClipboard", body).await
}

/// `POST /browsers/{id}/computer/batch`
async fn batch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    act(state, id, "batchComputerAction", body).await
}

/// `POST /browsers/{id}/computer/get_mouse_position` (no body; one sent is
/// ignored).
async fn get_mouse_position(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    act(state, id, "getMousePosition", OptionalJsonBody(None)).await
}
