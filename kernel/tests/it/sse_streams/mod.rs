//! The typed, resumable event streams end to end, against hand-written axum
//! SSE servers and `kernel-mock`.
//!
//! - [`typed`]: every event schema of the spec (every
//!   `BrowserTelemetryEvent` variant, every member of `InvocationEvent` /
//!   `DeploymentEvent` / `ManagedAuthEvent`, `FileSystemEvent`,
//!   `ProcessStreamEvent`, `LogEvent`), synthesized from the spec's property
//!   examples, comes out of the matching stream as the right typed variant.
//! - [`errors`]: unknown tags pass through as raw JSON; broken bodies,
//!   garbage and `error` events are error items and the stream carries on.
//! - [`heartbeats`]: heartbeats and keepalives are hidden (or shown on
//!   request); a silent connection is dropped after `idle_timeout` and
//!   retried `max_reconnects` times.
//! - [`resume`] and [`reconnects`]: 100 random drops, `Last-Event-ID`, gaps,
//!   `retry:`, terminal events, deleted browsers.
//! - [`no_total_timeout`]: no total timeout on streams.
//!
//! Here: the seven endpoints seen through one item type, the clients and
//! draining; the scriptable server is in [`server`].
//!
//! Servers count their connections, so "does not reconnect" is checked on
//! the server side. Every stream is drained under a deadline: a stream that
//! should end but does not fails the test instead of hanging it.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine as _;
use bytes::Bytes;
use futures::StreamExt;
use kernel::sse::{EventStream, ProcessOutput, StreamOptions, Telemetry};
use kernel::types::{
    BrowserTelemetryEvent, DeploymentEvent, InvocationEvent, LogsStreamSource, ManagedAuthEvent,
    ProcessStreamEventStream,
};
use kernel::types::{
    BrowserTelemetryEventKnown, DeploymentEventKnown, FileSystemEvent, InvocationEventKnown,
    LogEvent, ManagedAuthEventKnown,
};
use kernel::{Error, Kernel, RetryPolicy};
use kernel_testkit::examples::example_of;
use kernel_testkit::spec::{component, union_members};
use serde_json::{json, Value};

mod errors;
mod heartbeats;
mod no_total_timeout;
mod reconnects;
mod resume;
mod server;
mod typed;

use server::{Reply, Server, Sse};

// ---------------------------------------------------------------------------
// The seven endpoints, seen through one item type.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ep {
    Telemetry,
    Logs,
    Fs,
    Process,
    Invocation,
    Deployment,
    Auth,
}

/// An item of any of the seven streams.
#[derive(Clone, Debug, PartialEq)]
enum Item {
    Telemetry(Telemetry),
    Log(LogEvent),
    Fs(FileSystemEvent),
    Process(ProcessOutput),
    Invocation(InvocationEvent),
    Deployment(DeploymentEvent),
    Auth(ManagedAuthEvent),
}

const TS: &str = "2025-06-20T12:00:00Z";

impl Ep {
    const ALL: [Ep; 7] = [
        Ep::Telemetry,
        Ep::Logs,
        Ep::Fs,
        Ep::Process,
        Ep::Invocation,
        Ep::Deployment,
        Ep::Auth,
    ];
    /// The endpoints whose events are unions with an open tag.
    const UNIONS: [Ep; 4] = [Ep::Telemetry, Ep::Invocation, Ep::Deployment, Ep::Auth];
    /// The endpoints with terminal events and heartbeats.
    const STATES: [Ep; 3] = [Ep::Invocation, Ep::Deployment, Ep::Auth];

    /// The request path for resource `id` (spec paths).
    fn path(self, id: &str) -> String {
        match self {
            Ep::Telemetry => format!("/browsers/{id}/telemetry"),
            Ep::Logs => format!("/browsers/{id}/logs/stream"),
            Ep::Fs => format!("/browsers/{id}/fs/watch/w-{id}/events"),
            Ep::Process => format!("/browsers/{id}/process/{}/stdout/stream", process_id(id)),
            Ep::Invocation => format!("/invocations/{id}/events"),
            Ep::Deployment => format!("/deployments/{id}/events"),
            Ep::Auth => format!("/auth/connections/{id}/events"),
        }
    }

    /// Opens the stream of resource `id` with the `kernel` accessor.
    async fn open(self, kernel: &Kernel, id: &str) -> EventStream<Item> {
        fn wrap<T: Send + 'static>(
            stream: kernel::Result<EventStream<T>>,
            f: fn(T) -> Item,
        ) -> EventStream<Item> {
            Box::pin(
                stream
                    .expect("open the stream")
                    .map(move |item| item.map(f)),
            )
        }
        match self {
            Ep::Telemetry => wrap(
                kernel.browsers().telemetry(id).send().await,
                Item::Telemetry,
            ),
            Ep::Logs => wrap(
                kernel
                    .browsers()
                    .logs(id)
                    .source(LogsStreamSource::Supervisor)
                    .send()
                    .await,
                Item::Log,
            ),
            Ep::Fs => wrap(
                kernel
                    .browsers()
                    .fs(id)
                    .watch_events(format!("w-{id}"))
                    .send()
                    .await,
                Item::Fs,
            ),
            Ep::Process => wrap(
                kernel
                    .browsers()
                    .process(id)
                    .output(process_id(id))
                    .send()
                    .await,
                Item::Process,
            ),
            Ep::Invocation => wrap(
                kernel.invocations().events(id).send().await,
                Item::Invocation,
            ),
            Ep::Deployment => wrap(
                kernel.deployments().events(id).send().await,
                Item::Deployment,
            ),
            Ep::Auth => wrap(
                kernel.auth().connections().events(id).send().await,
                Item::Auth,
            ),
        }
    }

    /// The SSE frame for `value`, framed like the API: telemetry frames carry
    /// `id: <seq>` and no `event:`; union events carry `event: <tag>`.
    fn frame(self, value: &Value) -> String {
        let data = value.to_string();
        match self {
            Ep::Telemetry => match value.get("seq").and_then(Value::as_u64) {
                Some(seq) => format!("id: {seq}\ndata: {data}\n\n"),
                None => format!("data: {data}\n\n"),
            },
            Ep::Invocation | Ep::Deployment | Ep::Auth => {
                match value.get("event").and_then(Value::as_str) {
                    Some(tag) => format!("event: {tag}\ndata: {data}\n\n"),
                    None => format!("data: {data}\n\n"),
                }
            }
            Ep::Logs | Ep::Fs | Ep::Process => format!("data: {data}\n\n"),
        }
    }

    /// An ordinary, non-terminal event; `n` numbers it (the `seq` of
    /// telemetry).
    fn normal(self, n: u64) -> Value {
        match self {
            Ep::Telemetry => envelope(n),
            Ep::Logs => json!({"event": "log", "timestamp": TS, "message": format!("line {n}")}),
            Ep::Fs => json!({"type": "WRITE", "path": format!("/tmp/file-{n}")}),
            Ep::Process => {
                json!({"stream": "stdout", "data_b64": b64(format!("out {n}\n").as_bytes())})
            }
            Ep::Invocation => invocation_state(if n.is_multiple_of(2) {
                "running"
            } else {
                "queued"
            }),
            Ep::Deployment => deployment_state(if n.is_multiple_of(2) {
                "in_progress"
            } else {
                "queued"
            }),
            Ep::Auth => auth_state("IN_PROGRESS"),
        }
    }

    /// The event after which the stream ends, if the endpoint has one.
    fn terminal(self) -> Option<Value> {
        match self {
            Ep::Invocation => Some(invocation_state("succeeded")),
            Ep::Deployment => Some(deployment_state("running")),
            Ep::Auth => Some(auth_state("SUCCESS")),
            Ep::Process => Some(json!({"event": "exit", "exit_code": 0})),
            Ep::Telemetry | Ep::Logs | Ep::Fs => None,
        }
    }

    /// A documented tag whose body does not match its schema.
    fn broken(self) -> Value {
        match self {
            Ep::Telemetry => {
                json!({"seq": 2, "event": {"type": "page_load", "ts": "soon", "source": {"kind": "cdp"}}})
            }
            Ep::Logs => json!({"event": "log", "timestamp": TS, "message": 42}),
            Ep::Fs => json!({"type": "CREATE"}),
            Ep::Process => json!({"stream": "stdout", "data_b64": 17}),
            Ep::Invocation => {
                json!({"event": "invocation_state", "timestamp": TS, "invocation": {"status": "running"}})
            }
            Ep::Deployment => json!({"event": "deployment_state", "timestamp": TS}),
            Ep::Auth => json!({"event": "managed_auth_state", "timestamp": TS, "flow_status": 42}),
        }
    }
}

impl Item {
    /// The item as JSON, for comparisons with what was sent.
    fn json(&self) -> Value {
        match self {
            Item::Telemetry(Telemetry::Event(e)) => serde_json::to_value(e).unwrap(),
            Item::Telemetry(Telemetry::Gap { from, to }) => json!({"gap": [from, to]}),
            Item::Telemetry(other) => panic!("unexpected telemetry item {other:?}"),
            Item::Log(e) => serde_json::to_value(e).unwrap(),
            Item::Fs(e) => serde_json::to_value(e).unwrap(),
            Item::Process(ProcessOutput::Output { stream, data }) => {
                json!({"stream": stream.as_str(), "data_b64": b64(data)})
            }
            Item::Process(ProcessOutput::Exit { code }) => {
                json!({"event": "exit", "exit_code": code})
            }
            Item::Process(ProcessOutput::Other(e)) => json!({"other": e}),
            Item::Invocation(e) => serde_json::to_value(e).unwrap(),
            Item::Deployment(e) => serde_json::to_value(e).unwrap(),
            Item::Auth(e) => serde_json::to_value(e).unwrap(),
        }
    }

    /// Whether this is the raw-JSON variant of an open union.
    fn unknown(&self) -> Option<&Value> {
        match self {
            Item::Telemetry(Telemetry::Event(e)) => match &e.event {
                BrowserTelemetryEvent::Unknown(raw) => Some(raw),
                BrowserTelemetryEvent::Known(_) => None,
                _ => None,
            },
            Item::Invocation(InvocationEvent::Unknown(raw))
            | Item::Deployment(DeploymentEvent::Unknown(raw))
            | Item::Auth(ManagedAuthEvent::Unknown(raw)) => Some(raw),
            _ => None,
        }
    }

    fn is_heartbeat(&self) -> bool {
        matches!(
            self,
            Item::Invocation(InvocationEvent::Known(
                InvocationEventKnown::SseHeartbeatEvent(_)
            )) | Item::Deployment(DeploymentEvent::Known(
                DeploymentEventKnown::SseHeartbeatEvent(_)
            )) | Item::Auth(ManagedAuthEvent::Known(
                ManagedAuthEventKnown::SseHeartbeatEvent(_)
            ))
        )
    }

    fn seq(&self) -> Option<u64> {
        match self {
            Item::Telemetry(Telemetry::Event(e)) => Some(e.seq.get()),
            _ => None,
        }
    }
}

/// The process id (a UUID, as the spec requires) used with browser `id`.
fn process_id(id: &str) -> String {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("00000000-0000-4000-8000-{:012x}", hash & 0xffff_ffff_ffff)
}

fn envelope(seq: u64) -> Value {
    json!({"seq": seq, "event": {"ts": 1_750_000_000_000_000u64 + seq, "type": "page_load", "source": {"kind": "cdp"}}})
}

fn auth_state(status: &str) -> Value {
    let step = if status == "IN_PROGRESS" {
        "DISCOVERING"
    } else {
        "COMPLETED"
    };
    json!({"event": "managed_auth_state", "timestamp": TS, "flow_status": status, "flow_step": step})
}

fn invocation_state(status: &str) -> Value {
    json!({"event": "invocation_state", "timestamp": TS, "invocation": {
        "id": "inv", "app_name": "app", "version": "1", "action_name": "act", "started_at": TS, "status": status
    }})
}

fn deployment_state(status: &str) -> Value {
    json!({"event": "deployment_state", "timestamp": TS, "deployment": {
        "id": "dep", "status": status, "region": "aws.us-east-1a", "created_at": TS
    }})
}

fn heartbeat() -> Value {
    json!({"event": "sse_heartbeat", "timestamp": TS})
}

fn error_event(code: &str) -> Value {
    json!({"event": "error", "timestamp": TS, "error": {"code": code, "message": "it broke"}})
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// ---------------------------------------------------------------------------
// Clients and draining.
// ---------------------------------------------------------------------------

/// Fast reconnects, a generous idle timeout.
fn options() -> StreamOptions {
    StreamOptions {
        idle_timeout: Duration::from_secs(5),
        max_reconnects: 5,
        backoff: RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            min_backoff: Duration::from_millis(1),
            ..RetryPolicy::default()
        },
        ..StreamOptions::default()
    }
}

/// A client without request retries, so every connection the server sees is
/// one the stream engine made.
fn client(url: &str, options: StreamOptions) -> Kernel {
    Kernel::builder()
        .api_key("sk_test")
        .base_url(url)
        .max_retries(0)
        .stream_options(options)
        .build()
        .unwrap()
}

/// Every item until the stream ends; fails if it does not end `within`.
async fn drain<T: std::fmt::Debug>(
    mut stream: EventStream<T>,
    within: Duration,
) -> Vec<kernel::Result<T>> {
    let deadline = tokio::time::Instant::now() + within;
    let mut items = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return items,
            Err(_) => panic!("the stream did not end within {within:?}; items so far: {items:#?}"),
        }
    }
}

/// `Ok` items as JSON, `Err` items as a short description.
fn describe(items: &[kernel::Result<Item>]) -> Vec<Value> {
    items
        .iter()
        .map(|item| match item {
            Ok(item) => item.json(),
            Err(e) => json!({"error": error_kind(e)}),
        })
        .collect()
}

fn error_kind(e: &Error) -> String {
    match e {
        Error::Api(api) => format!("api {}", api.status.as_u16()),
        Error::Timeout(_) => "timeout".into(),
        Error::Connection(_) => "connection".into(),
        Error::Decode(_) => "decode".into(),
        Error::Protocol(_) => "protocol".into(),
        Error::Event(_) => "event".into(),
        other => format!("other: {other}"),
    }
}

/// A small deterministic RNG (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Structural JSON equality where numbers compare by value (`1` = `1.0`) and
/// RFC 3339 strings by instant.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => {
            x == y
                || matches!(
                    (chrono::DateTime::parse_from_rfc3339(x), chrono::DateTime::parse_from_rfc3339(y)),
                    (Ok(p), Ok(q)) if p == q
                )
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fn assert_same_json(got: &Value, sent: &Value, what: &str) {
    assert!(
        same_json(got, sent),
        "{what}: decoded value differs from what was sent\n sent: {sent:#}\n  got: {got:#}"
    );
}

fn telemetry_tag(known: &BrowserTelemetryEventKnown) -> &'static str {
    use BrowserTelemetryEventKnown as K;
    match known {
        K::ConsoleLogEvent(_) => "console_log",
        K::ConsoleErrorEvent(_) => "console_error",
        K::NetworkRequestEvent(_) => "network_request",
        K::NetworkResponseEvent(_) => "network_response",
        K::NetworkLoadingFailedEvent(_) => "network_loading_failed",
        K::NetworkIdleEvent(_) => "network_idle",
        K::PageNavigationEvent(_) => "page_navigation",
        K::PageDomContentLoadedEvent(_) => "page_dom_content_loaded",
        K::PageLoadEvent(_) => "page_load",
        K::PageTabOpenedEvent(_) => "page_tab_opened",
        K::PageLayoutShiftEvent(_) => "page_layout_shift",
        K::PageLcpEvent(_) => "page_lcp",
        K::PageLayoutSettledEvent(_) => "page_layout_settled",
        K::PageNavigationSettledEvent(_) => "page_navigation_settled",
        K::InteractionClickEvent(_) => "interaction_click",
        K::InteractionKeyEvent(_) => "interaction_key",
        K::InteractionScrollSettledEvent(_) => "interaction_scroll_settled",
        K::MonitorScreenshotEvent(_) => "monitor_screenshot",
        K::MonitorDisconnectedEvent(_) => "monitor_disconnected",
        K::MonitorReconnectedEvent(_) => "monitor_reconnected",
        K::MonitorReconnectFailedEvent(_) => "monitor_reconnect_failed",
        K::MonitorInitFailedEvent(_) => "monitor_init_failed",
        // The generated enum is `#[non_exhaustive]`: a variant newer than
        // this table fails the test that sends every spec event.
        other => panic!("no tag in this table for {other:?}"),
    }
}

/// The tag of a decoded union member, from its Rust variant (not from the
/// payload), so a payload decoded as the wrong member is caught.
fn union_tag(item: &Item) -> Option<&'static str> {
    Some(match item {
        Item::Invocation(InvocationEvent::Known(k)) => match k {
            InvocationEventKnown::LogEvent(_) => "log",
            InvocationEventKnown::InvocationStateEvent(_) => "invocation_state",
            InvocationEventKnown::ErrorEvent(_) => "error",
            InvocationEventKnown::SseHeartbeatEvent(_) => "sse_heartbeat",
            _ => return None,
        },
        Item::Deployment(DeploymentEvent::Known(k)) => match k {
            DeploymentEventKnown::LogEvent(_) => "log",
            DeploymentEventKnown::DeploymentStateEvent(_) => "deployment_state",
            DeploymentEventKnown::AppVersionSummaryEvent(_) => "app_version_summary",
            DeploymentEventKnown::ErrorEvent(_) => "error",
            DeploymentEventKnown::SseHeartbeatEvent(_) => "sse_heartbeat",
            _ => return None,
        },
        Item::Auth(ManagedAuthEvent::Known(k)) => match k {
            ManagedAuthEventKnown::ManagedAuthStateEvent(_) => "managed_auth_state",
            ManagedAuthEventKnown::ErrorEvent(_) => "error",
            ManagedAuthEventKnown::SseHeartbeatEvent(_) => "sse_heartbeat",
            _ => return None,
        },
        _ => return None,
    })
}
