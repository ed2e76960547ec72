//! Server-sent events: frame encoding and streaming responses with the
//! `drop_sse_after` fault and server shutdown.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use serde_json::Value;

use crate::faults::{self, Drills};
use crate::state::AppState;

/// One SSE frame.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Frame {
    /// An event: optional `id:` and `event:` lines and one `data:` line.
    Event {
        id: Option<String>,
        event: Option<String>,
        data: String,
    },
    /// A comment line (`: text`), used as keepalive.
    Comment(String),
    /// A `retry:` field (milliseconds).
    Retry(u64),
}

impl Frame {
    /// An event whose data is `value` (after the JSON drills), with the
    /// `event:` line set to `event`.
    pub fn json(
        id: Option<String>,
        event: Option<&str>,
        mut value: Value,
        drills: Drills,
    ) -> Frame {
        if drills.mutates_json() {
            faults::mutate(&mut value, drills);
        }
        Frame::Event {
            id,
            event: event.map(str::to_owned),
            data: value.to_string(),
        }
    }

    pub fn encode(&self) -> Bytes {
        let mut out = String::new();
        match self {
            Frame::Event { id, event, data } => {
                if let Some(id) = id {
                    out.push_str("id: ");
                    out.push_str(id);
                    out.push('\n');
                }
                if let Some(event) = event {
                    out.push_str("event: ");
                    out.push_str(event);
                    out.push('\n');
                }
                for line in data.split('\n') {
                    out.push_str("data: ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Frame::Comment(text) => {
                out.push_str(": ");
                out.push_str(text);
                out.push('\n');
            }
            Frame::Retry(ms) => {
                out.push_str("retry: ");
                out.push_str(&ms.to_string());
                out.push('\n');
            }
        }
        out.push('\n');
        Bytes::from(out)
    }

    fn is_event(&self) -> bool {
        matches!(self, Frame::Event { .. })
    }
}

/// How long a cut stream waits so hyper flushes the bytes before the abort.
const FLUSH_PAUSE: Duration = Duration::from_millis(30);

/// A `200 text/event-stream` response streaming `frames` until they end, the
/// server shuts down, or the `drop_sse_after` fault for `operation` cuts it.
pub(crate) fn response(
    state: &AppState,
    operation: &str,
    frames: BoxStream<'static, Frame>,
) -> Response {
    let cut = state.faults.take_sse_cut(operation);
    let shutdown = state.shutdown_signal();
    let body = async_stream::stream! {
        let mut frames = frames.take_until(Box::pin(shutdown));
        let mut events = 0usize;
        if cut == Some(0) {
            yield Ok(Bytes::from_static(b"data: {\"x_mock_trunc"));
            tokio::time::sleep(FLUSH_PAUSE).await;
            yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "kernel-mock: stream cut (fault)"));
            return;
        }
        while let Some(frame) = frames.next().await {
            let is_event = frame.is_event();
            yield Ok::<Bytes, std::io::Error>(frame.encode());
            if is_event {
                events += 1;
                if Some(events) == cut {
                    // Half a frame, then abort the connection: no terminal
                    // event, no clean end of the chunked body. The pauses
                    // let hyper flush what was sent before the abort.
                    tokio::time::sleep(FLUSH_PAUSE).await;
                    yield Ok(Bytes::from_static(b"data: {\"x_mock_trunc"));
                    tokio::time::sleep(FLUSH_PAUSE).await;
                    yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "kernel-mock: stream cut (fault)"));
                    return;
                }
            }
        }
    };
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        HeaderName::from_static("x-sse-content-type"),
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    response
}

/// A heartbeat timer whose first tick is one `period` from now.
pub(crate) fn heartbeat(period: Duration) -> tokio::time::Interval {
    let period = period.max(Duration::from_millis(1));
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval
}

/// The spec's `SSEHeartbeatEvent` as a frame (`event: sse_heartbeat`).
pub(crate) fn heartbeat_frame(drills: Drills) -> Frame {
    let event = kernel_sys::types::SseHeartbeatEvent {
        event: kernel_sys::types::SseHeartbeatEventEvent::SseHeartbeat,
        timestamp: chrono::Utc::now(),
    };
    let value = serde_json::to_value(event).unwrap_or_else(|_| {
        serde_json::json!({"event": "sse_heartbeat", "timestamp": chrono::Utc::now().to_rfc3339()})
    });
    Frame::json(None, Some("sse_heartbeat"), value, drills)
}

/// An event of a type the spec does not know (the `unknown_events` drill).
pub(crate) fn unknown_event_frame(drills: Drills) -> Frame {
    let value = serde_json::json!({
        "event": "x_mock_unknown_event",
        "timestamp": chrono::Utc::now(),
        "detail": "kernel-mock forward-compatibility drill",
    });
    Frame::json(None, Some("x_mock_unknown_event"), value, drills)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_frames() {
        let frame = Frame::Event {
            id: Some("7".into()),
            event: Some("x".into()),
            data: "{\"a\":1}".into(),
        };
        assert_eq!(
            frame.encode(),
            Bytes::from("id: 7\nevent: x\ndata: {\"a\":1}\n\n")
        );
        assert_eq!(
            Frame::Comment("keepalive".into()).encode(),
            Bytes::from(": keepalive\n\n")
        );
        assert_eq!(Frame::Retry(3000).encode(), Bytes::from("retry: 3000\n\n"));
        let multi = Frame::Event {
            id: None,
            event: None,
            data: "a\nb".into(),
        };
        assert_eq!(multi.encode(), Bytes::from("data: a\ndata: b\n\n"));
    }

    #[test]
    fn heartbeat_matches_the_spec_shape() {
        let Frame::Event { event, data, .. } = heartbeat_frame(Drills::default()) else {
            panic!("not an event")
        };
        assert_eq!(event.as_deref(), Some("sse_heartbeat"));
        let value: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(value["event"], "sse_heartbeat");
        assert!(value["timestamp"].is_string());
    }
}
