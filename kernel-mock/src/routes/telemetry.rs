//! Browser telemetry: a generator per browser producing realistic events on a
//! timer, a bounded log of `{seq, event}` envelopes, and the SSE stream
//! `GET /browsers/{id}/telemetry` with `Last-Event-ID` resume.
//!
//! Framing follows the spec: every frame has `id: <seq>` and one
//! `data: <BrowserTelemetryEventEnvelope>` line, never an `event:` line;
//! `seq` starts at 1; a `retry:` field opens the stream; a `: keepalive`
//! comment is sent after each heartbeat interval without events.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::http::error::{ApiError, ApiResult};
use crate::routes::sse::{self, Frame};
use crate::state::AppState;
use crate::store::Store;

serves! {
    "streamBrowserTelemetry" => stream,
}

/// Appends the next scripted event(s) to the log of browser `session_id`;
/// `false` once the browser is gone.
fn tick(store: &mut Store, session_id: &str, unknown_events: bool) -> bool {
    let Some(browser) = store
        .browsers
        .iter_mut()
        .find(|b| b.session_id == session_id && b.deleted_at.is_none())
    else {
        return false;
    };
    let start_url = browser.start_url.clone();
    let log = &mut browser.telemetry;
    let Some(categories) = log.categories else {
        return true;
    };
    // Skip events of disabled categories, at most one cycle.
    for _ in 0..CYCLE {
        let step = log.cursor;
        log.cursor += 1;
        let event = scripted_event(step, start_url.as_deref(), session_id);
        let event_type = event["type"].as_str().unwrap_or_default().to_owned();
        if categories.allows(&event_type) {
            log.push(event);
            break;
        }
    }
    if unknown_events && log.cursor % 5 == 0 {
        log.push(json!({
            "ts": now_micros(),
            "type": "x_mock_unknown_event",
            "source": { "kind": "kernel_api", "event": "XMock.unknown" },
            "data": { "note": "kernel-mock forward-compatibility drill" },
        }));
    }
    true
}

/// Runs the generator of browser `session_id` until it is deleted.
pub(crate) async fn run(state: AppState, session_id: String) {
    let period = state
        .config
        .telemetry_interval
        .max(std::time::Duration::from_millis(1));
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        interval.tick().await;
        let unknown_events = state.faults.drills().unknown_events;
        if !tick(&mut state.store(), &session_id, unknown_events) {
            return;
        }
    }
}

const CYCLE: u64 = 16;
const PAGES: &[&str] = &["/", "/login", "/dashboard", "/settings"];

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Event `step` of the endless scripted browsing session.
fn scripted_event(step: u64, start_url: Option<&str>, session_id: &str) -> Value {
    let base = start_url
        .and_then(|u| {
            let rest = u.split_once("://")?;
            let host = rest.1.split('/').next()?;
            Some(format!("{}://{}", rest.0, host))
        })
        .unwrap_or_else(|| "https://example.com".to_owned());
    let nav = step / CYCLE + 1;
    let page = PAGES[(nav as usize - 1) % PAGES.len()];
    let url = format!("{base}{page}");
    let target_id = format!(
        "T{}",
        &session_id
            .chars()
            .rev()
            .take(8)
            .collect::<String>()
            .to_ascii_uppercase()
    );
    let frame_id = target_id.clone();
    let loader_id = format!("L{nav:04}");
    let request_id = format!("{}.{}", 1000 + nav, step % CYCLE);
    let context = |extra: Value| {
        let mut data = json!({
            "session_id": "S1",
            "target_id": target_id,
            "target_type": "page",
            "frame_id": frame_id,
            "loader_id": loader_id,
            "url": url,
            "nav_seq": nav,
        });
        if let (Some(map), Value::Object(extra)) = (data.as_object_mut(), extra) {
            map.extend(extra);
        }
        data
    };
    let cdp = |event: &str| json!({ "kind": "cdp", "event": event, "metadata": { "target_id": target_id } });
    let ts = now_micros();
    let (event_type, source, data) = match step % CYCLE {
        0 => (
            "page_navigation",
            cdp("Page.frameNavigated"),
            json!({
                "url": url, "frame_id": frame_id, "loader_id": loader_id,
                "session_id": "S1", "target_id": target_id, "target_type": "page"
            }),
        ),
        1 => (
            "network_request",
            cdp("Network.requestWillBeSent"),
            context(json!({
                "request_id": request_id, "method": "GET", "document_url": url,
                "headers": { "Accept": "text/html", "User-Agent": "Mozilla/5.0 (kernel-mock)" },
                "resource_type": "Document", "initiator_type": "other"
            })),
        ),
        2 => (
            "network_response",
            cdp("Network.loadingFinished"),
            context(json!({
                "request_id": format!("{}.1", 1000 + nav), "method": "GET", "status": 200, "status_text": "OK",
                "headers": { "content-type": "text/html; charset=utf-8" },
                "mime_type": "text/html", "resource_type": "Document",
                "body": "<!doctype html><html><head><title>Example</title></head><body>…</body></html>"
            })),
        ),
        3 => (
            "page_dom_content_loaded",
            cdp("Page.domContentEventFired"),
            context(json!({ "cdp_timestamp": 1000.25 + nav as f64 })),
        ),
        4 => (
            "console_log",
            cdp("Runtime.consoleAPICalled"),
            context(
                json!({ "level": "log", "text": format!("app booted on {page}"), "args": [format!("app booted on {page}")] }),
            ),
        ),
        5 => (
            "network_request",
            cdp("Network.requestWillBeSent"),
            context(json!({
                "request_id": request_id, "method": "POST", "document_url": url,
                "headers": { "content-type": "application/json" },
                "resource_type": "Fetch", "initiator_type": "script", "post_data": "{\"query\":\"session\"}"
            })),
        ),
        6 => (
            "network_response",
            cdp("Network.loadingFinished"),
            context(json!({
                "request_id": format!("{}.5", 1000 + nav), "method": "POST", "status": 200, "status_text": "OK",
                "headers": { "content-type": "application/json" },
                "mime_type": "application/json", "resource_type": "Fetch", "body": "{\"signed_in\":true}"
            })),
        ),
        7 => (
            "page_load",
            cdp("Page.loadEventFired"),
            context(json!({ "cdp_timestamp": 1001.5 + nav as f64 })),
        ),
        8 => (
            "page_lcp",
            cdp("PerformanceTimeline.timelineEventAdded"),
            context(json!({
                "source_frame_id": frame_id, "time": 812.4,
                "lcp_details": { "render_time": 812.4, "load_time": 640.0, "size": 48000.0, "element_id": "hero" }
            })),
        ),
        9 => (
            "network_idle",
            json!({ "kind": "kernel_api", "event": "network_idle" }),
            context(json!({})),
        ),
        10 => (
            "interaction_click",
            json!({ "kind": "extension", "event": "click" }),
            context(
                json!({ "x": 640, "y": 360, "selector": "button#continue", "tag": "BUTTON", "text": "Continue" }),
            ),
        ),
        11 => (
            "interaction_key",
            json!({ "kind": "extension", "event": "keydown" }),
            context(json!({ "key": "Enter", "selector": "input#search", "tag": "INPUT" })),
        ),
        12 => (
            "console_error",
            cdp("Runtime.exceptionThrown"),
            context(json!({
                "text": "Uncaught TypeError: Cannot read properties of undefined (reading 'id')",
                "line": 42, "column": 17, "source_url": format!("{base}/static/app.js"),
                "stack_trace": { "callFrames": [
                    { "functionName": "render", "scriptId": "12", "url": format!("{base}/static/app.js"), "lineNumber": 41, "columnNumber": 16 }
                ] }
            })),
        ),
        13 => (
            "interaction_scroll_settled",
            json!({ "kind": "extension", "event": "scroll" }),
            context(
                json!({ "from_x": 0, "from_y": 0, "to_x": 0, "to_y": 900, "target_selector": "html" }),
            ),
        ),
        14 => (
            "page_layout_settled",
            json!({ "kind": "kernel_api", "event": "layout_settled" }),
            context(json!({})),
        ),
        _ => (
            "page_navigation_settled",
            json!({ "kind": "kernel_api", "event": "navigation_settled" }),
            context(json!({})),
        ),
    };
    json!({ "ts": ts, "type": event_type, "source": source, "data": data })
}

enum Next {
    Event(Result<(u64, Value), broadcast::error::RecvError>),
    Beat,
}

/// `GET /browsers/{id}/telemetry`
pub(crate) async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let (mut rx, backlog) = {
        let store = state.store();
        let browser = store
            .browsers
            .iter()
            .find(|b| b.session_id == id && b.deleted_at.is_none())
            .ok_or_else(|| ApiError::not_found("browser session", &id))?;
        let sender = browser
            .telemetry
            .sender
            .as_ref()
            .ok_or_else(|| ApiError::not_found("browser session", &id))?;
        (sender.subscribe(), browser.telemetry.after(after))
    };
    let shared = state.clone();
    let stream = async_stream::stream! {
        yield Frame::Retry(shared.config.sse_retry.as_millis() as u64);
        let mut last = after;
        for (seq, envelope) in backlog {
            last = seq;
            yield Frame::json(Some(seq.to_string()), None, envelope, shared.faults.drills());
        }
        let mut heartbeat = sse::heartbeat(shared.config.heartbeat_interval);
        loop {
            let next = tokio::select! {
                message = rx.recv() => Next::Event(message),
                _ = heartbeat.tick() => Next::Beat,
            };
            match next {
                Next::Event(Ok((seq, envelope))) => {
                    if seq > last {
                        last = seq;
                        heartbeat.reset();
                        yield Frame::json(Some(seq.to_string()), None, envelope, shared.faults.drills());
                    }
                }
                Next::Event(Err(broadcast::error::RecvError::Lagged(_))) => {
                    let missed = {
                        let store = shared.store();
                        store.browsers.iter().find(|b| b.session_id == id).map(|b| b.telemetry.after(last)).unwrap_or_default()
                    };
                    for (seq, envelope) in missed {
                        last = seq;
                        yield Frame::json(Some(seq.to_string()), None, envelope, shared.faults.drills());
                    }
                }
                Next::Event(Err(broadcast::error::RecvError::Closed)) => return,
                Next::Beat => yield Frame::Comment("keepalive".to_owned()),
            }
        }
    };
    Ok(sse::response(
        &state,
        "streamBrowserTelemetry",
        stream.boxed(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_events_are_known_telemetry_events() {
        for step in 0..CYCLE * 2 {
            let event = scripted_event(step, Some("https://shop.example/cart"), "sess_abc");
            let parsed: kernel_sys::open::BrowserTelemetryEvent =
                serde_json::from_value(event.clone())
                    .unwrap_or_else(|e| panic!("step {step}: {e}\n{event:#}"));
            assert!(
                matches!(parsed, kernel_sys::open::BrowserTelemetryEvent::Known(_)),
                "step {step}: {event:#}"
            );
        }
    }
}
