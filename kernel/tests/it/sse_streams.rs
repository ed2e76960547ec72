//! The typed, resumable event streams end to end, against hand-written axum
//! SSE servers and `kernel-mock`.
//!
//! 1. Every event schema of the spec (every `BrowserTelemetryEvent` variant,
//!    every member of `InvocationEvent` / `DeploymentEvent` /
//!    `ManagedAuthEvent`, `FileSystemEvent`, `ProcessStreamEvent`,
//!    `LogEvent`), synthesized from the spec's property examples, comes out of
//!    the matching stream as the right typed variant.
//! 2. Unknown tags pass through as raw JSON; broken bodies, garbage and
//!    `error` events are error items and the stream carries on.
//! 3. Heartbeats and keepalives are hidden (or shown on request); a silent
//!    connection is dropped after `idle_timeout` and retried
//!    `max_reconnects` times.
//! 4. Resumption: 100 random drops, `Last-Event-ID`, gaps, `retry:`,
//!    terminal events, deleted browsers.
//! 5. No total timeout on streams.
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

// ---------------------------------------------------------------------------
// A scriptable SSE server.
// ---------------------------------------------------------------------------

/// One request the server received.
#[derive(Clone, Debug)]
struct Conn {
    path: String,
    query: String,
    last_event_id: Option<String>,
    /// 0-based number of this request among the requests for `path`.
    index: usize,
    at: Instant,
}

/// What the body of a response does, in order.
#[derive(Clone, Debug)]
enum Step {
    Send(Bytes),
    Sleep(Duration),
    /// Aborts the connection: no clean end of the chunked body.
    Abort,
    /// Keeps the connection open, sending nothing, until the client leaves.
    Hold,
}

#[derive(Clone, Debug)]
enum Reply {
    Sse(Vec<Step>),
    /// A JSON error response with this status.
    Status(u16),
}

type Script = dyn Fn(&Conn) -> Reply + Send + Sync;

struct ServerState {
    script: Box<Script>,
    log: Mutex<Vec<Conn>>,
}

struct Server {
    url: String,
    state: Arc<ServerState>,
}

impl Server {
    /// Serves every request with `script`.
    async fn start(script: impl Fn(&Conn) -> Reply + Send + Sync + 'static) -> Server {
        let state = Arc::new(ServerState {
            script: Box::new(script),
            log: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, state }
    }

    /// Serves request `i` of each path with the `i`-th reply of its list;
    /// requests beyond the list (and unknown paths) get a 404.
    async fn table(routes: Vec<(String, Vec<Reply>)>) -> Server {
        Server::start(move |conn| {
            routes
                .iter()
                .find(|(path, _)| *path == conn.path)
                .and_then(|(_, replies)| replies.get(conn.index).cloned())
                .unwrap_or(Reply::Status(404))
        })
        .await
    }

    fn conns(&self, path: &str) -> Vec<Conn> {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.path == path)
            .cloned()
            .collect()
    }

    fn count(&self, path: &str) -> usize {
        self.conns(path).len()
    }
}

async fn handle(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let last_event_id = request
        .headers()
        .get("last-event-id")
        .map(|v| v.to_str().expect("ASCII Last-Event-ID").to_owned());
    let conn = {
        let mut log = state.log.lock().unwrap();
        let index = log.iter().filter(|c| c.path == path).count();
        let conn = Conn {
            path,
            query,
            last_event_id,
            index,
            at: Instant::now(),
        };
        log.push(conn.clone());
        conn
    };
    match (state.script)(&conn) {
        Reply::Status(status) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"code": "not_found", "message": "gone"}).to_string(),
            ))
            .unwrap(),
        Reply::Sse(steps) => {
            let body = futures::stream::unfold(steps.into_iter(), |mut steps| async move {
                loop {
                    match steps.next()? {
                        Step::Send(bytes) => return Some((Ok(bytes), steps)),
                        Step::Sleep(pause) => tokio::time::sleep(pause).await,
                        Step::Abort => {
                            let cut = std::io::Error::new(
                                std::io::ErrorKind::ConnectionAborted,
                                "test: cut",
                            );
                            return Some((Err(cut), steps));
                        }
                        Step::Hold => std::future::pending::<()>().await,
                    }
                }
            });
            Response::builder()
                .header("content-type", "text/event-stream")
                .header("cache-control", "no-cache")
                .body(Body::from_stream(body))
                .unwrap()
        }
    }
}

/// Builds the body of an SSE response.
#[derive(Clone, Debug, Default)]
struct Sse(Vec<Step>);

impl Sse {
    fn new() -> Sse {
        Sse::default()
    }

    fn raw(mut self, bytes: impl Into<Bytes>) -> Sse {
        self.0.push(Step::Send(bytes.into()));
        self
    }

    /// One event frame of endpoint `ep` carrying `value` (see [`Ep::frame`]).
    fn ev(self, ep: Ep, value: &Value) -> Sse {
        self.raw(ep.frame(value))
    }

    fn evs<'a>(mut self, ep: Ep, values: impl IntoIterator<Item = &'a Value>) -> Sse {
        for value in values {
            self = self.ev(ep, value);
        }
        self
    }

    fn keepalive(self) -> Sse {
        self.raw(": keepalive\n\n")
    }

    fn retry(self, ms: u64) -> Sse {
        self.raw(format!("retry: {ms}\n\n"))
    }

    fn sleep(mut self, ms: u64) -> Sse {
        self.0.push(Step::Sleep(Duration::from_millis(ms)));
        self
    }

    /// Cuts the connection; the pause lets the server flush what it sent.
    fn abort(mut self) -> Sse {
        self.0.push(Step::Sleep(Duration::from_millis(10)));
        self.0.push(Step::Abort);
        self
    }

    fn hold(mut self) -> Sse {
        self.0.push(Step::Hold);
        self
    }

    /// The whole body as one write (one chunk on the wire).
    fn one_chunk(self) -> Sse {
        let mut all = Vec::new();
        let mut rest = Vec::new();
        for step in self.0 {
            match step {
                Step::Send(bytes) if rest.is_empty() => all.extend_from_slice(&bytes),
                other => rest.push(other),
            }
        }
        let mut steps = vec![Step::Send(all.into())];
        steps.extend(rest);
        Sse(steps)
    }

    fn reply(self) -> Reply {
        Reply::Sse(self.0)
    }
}

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

// ---------------------------------------------------------------------------
// 1. Every event schema of the spec decodes as its typed variant.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_spec_event_schema_decodes_as_its_typed_variant_on_its_endpoint() {
    // Telemetry: one envelope per BrowserTelemetryEvent variant.
    let telemetry_members = union_members("BrowserTelemetryEvent", "type");
    let tags: BTreeSet<&str> = telemetry_members
        .iter()
        .map(|(tag, _)| tag.as_str())
        .collect();
    assert_eq!(
        tags,
        BrowserTelemetryEvent::TAGS.iter().copied().collect(),
        "spec and kernel-sys telemetry tags"
    );
    assert_eq!(telemetry_members.len(), 22);
    let envelopes: Vec<(String, Value)> = telemetry_members
        .iter()
        .enumerate()
        .map(|(i, (tag, schema))| {
            (
                tag.clone(),
                json!({"seq": i + 1, "event": example_of(schema)}),
            )
        })
        .collect();

    // The state unions: every member. The state event goes last: the
    // invocation example's `status` is `succeeded`, a terminal state.
    let union = |name: &str| -> Vec<(String, Value)> {
        let mut members: Vec<(String, Value)> = union_members(name, "event")
            .into_iter()
            .map(|(tag, schema)| (tag, example_of(&schema)))
            .collect();
        members.sort_by_key(|(tag, _)| tag.ends_with("_state"));
        members
    };
    let invocation = union("InvocationEvent");
    let deployment = union("DeploymentEvent");
    let auth = union("ManagedAuthEvent");
    assert_eq!(invocation.len(), 4);
    assert_eq!(deployment.len(), 5);
    assert_eq!(auth.len(), 3);

    // FileSystemEvent: one per `type`.
    let fs_example = example_of("FileSystemEvent");
    let fs_types = component("FileSystemEvent")["properties"]["type"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    let fs: Vec<Value> = fs_types
        .iter()
        .map(|t| {
            let mut event = fs_example.clone();
            event["type"] = t.clone();
            event
        })
        .collect();
    assert_eq!(fs.len(), 4);

    // ProcessStreamEvent: output on each stream (bytes that are not UTF-8),
    // then the exit.
    let process_example = example_of("ProcessStreamEvent");
    let streams = component("ProcessStreamEvent")["properties"]["stream"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    let outputs: Vec<(String, Vec<u8>)> = streams
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                s.as_str().unwrap().to_owned(),
                vec![0xff, 0x00, b'o', b'k', b'\n', 0x80 + i as u8],
            )
        })
        .collect();
    let mut process: Vec<Value> = outputs
        .iter()
        .map(|(stream, bytes)| {
            let mut event = process_example.clone();
            let map = event.as_object_mut().unwrap();
            map.remove("event");
            map.remove("exit_code");
            map.insert("stream".into(), json!(stream));
            map.insert("data_b64".into(), json!(b64(bytes)));
            event
        })
        .collect();
    let mut exit = process_example.clone();
    exit.as_object_mut()
        .unwrap()
        .retain(|k, _| k == "event" || k == "exit_code");
    let exit_code = exit["exit_code"].as_i64();
    assert_eq!(exit["event"], "exit");
    process.push(exit);

    let log = example_of("LogEvent");

    let routes = vec![
        (
            Ep::Telemetry.path("b"),
            vec![Sse::new()
                .evs(Ep::Telemetry, envelopes.iter().map(|(_, e)| e))
                .reply()],
        ),
        (
            Ep::Invocation.path("i"),
            vec![Sse::new()
                .evs(Ep::Invocation, invocation.iter().map(|(_, e)| e))
                .reply()],
        ),
        (
            Ep::Deployment.path("d"),
            vec![Sse::new()
                .evs(Ep::Deployment, deployment.iter().map(|(_, e)| e))
                .reply()],
        ),
        (
            Ep::Auth.path("c"),
            vec![Sse::new()
                .evs(Ep::Auth, auth.iter().map(|(_, e)| e))
                .reply()],
        ),
        (Ep::Fs.path("b"), vec![Sse::new().evs(Ep::Fs, &fs).reply()]),
        (
            Ep::Process.path("b"),
            vec![Sse::new().evs(Ep::Process, &process).reply()],
        ),
        (
            Ep::Logs.path("b"),
            vec![Sse::new().ev(Ep::Logs, &log).reply()],
        ),
    ];
    let server = Server::table(routes).await;
    // No reconnects (each server closes after its events), heartbeats shown.
    let kernel = client(
        &server.url,
        StreamOptions {
            reconnect: Some(false),
            heartbeats: true,
            ..options()
        },
    );
    let within = Duration::from_secs(10);

    // Telemetry.
    let items = drain(Ep::Telemetry.open(&kernel, "b").await, within).await;
    assert_eq!(items.len(), envelopes.len(), "{:#?}", describe(&items));
    for (item, (tag, sent)) in items.iter().zip(&envelopes) {
        let Ok(Item::Telemetry(Telemetry::Event(envelope))) = item else {
            panic!("{tag}: expected a telemetry event, got {item:?}");
        };
        let BrowserTelemetryEvent::Known(known) = &envelope.event else {
            panic!("{tag}: decoded as Unknown: {:?}", envelope.event);
        };
        assert_eq!(
            telemetry_tag(known),
            tag,
            "{tag}: decoded as the wrong variant"
        );
        assert_eq!(envelope.event.tag(), Some(tag.as_str()));
        assert_eq!(Some(envelope.seq.get()), sent["seq"].as_u64());
        assert_same_json(&serde_json::to_value(envelope).unwrap(), sent, tag);
    }

    // Invocation, deployment and auth events.
    for (ep, id, members) in [
        (Ep::Invocation, "i", &invocation),
        (Ep::Deployment, "d", &deployment),
        (Ep::Auth, "c", &auth),
    ] {
        let items = drain(ep.open(&kernel, id).await, within).await;
        assert_eq!(
            items.len(),
            members.len(),
            "{ep:?}: {:#?}",
            describe(&items)
        );
        for (item, (tag, sent)) in items.iter().zip(members) {
            match item {
                // An `error` event is an error item carrying its payload.
                Err(Error::Event(event)) => {
                    assert_eq!(tag, "error", "{ep:?}: unexpected error event");
                    assert_same_json(
                        &serde_json::to_value(event).unwrap(),
                        sent,
                        &format!("{ep:?} {tag}"),
                    );
                }
                Ok(item) => {
                    assert_eq!(
                        union_tag(item),
                        Some(tag.as_str()),
                        "{ep:?}: {tag} decoded as {item:?}"
                    );
                    assert_same_json(&item.json(), sent, &format!("{ep:?} {tag}"));
                }
                Err(e) => panic!("{ep:?} {tag}: {e}"),
            }
        }
    }

    // Filesystem events.
    let items = drain(Ep::Fs.open(&kernel, "b").await, within).await;
    assert_eq!(items.len(), fs.len(), "{:#?}", describe(&items));
    for (item, sent) in items.iter().zip(&fs) {
        let Ok(Item::Fs(event)) = item else {
            panic!("fs: {item:?}")
        };
        assert_eq!(event.type_.as_str(), sent["type"]);
        assert!(!event.type_.is_unknown());
        assert_same_json(&item.as_ref().unwrap().json(), sent, "FileSystemEvent");
    }

    // Process output, base64 decoded.
    let items = drain(Ep::Process.open(&kernel, "b").await, within).await;
    let mut expected: Vec<ProcessOutput> = outputs
        .iter()
        .map(|(stream, bytes)| ProcessOutput::Output {
            stream: ProcessStreamEventStream::from(stream.as_str()),
            data: Bytes::from(bytes.clone()),
        })
        .collect();
    expected.push(ProcessOutput::Exit { code: exit_code });
    let got: Vec<ProcessOutput> = items
        .into_iter()
        .map(|item| match item {
            Ok(Item::Process(output)) => output,
            other => panic!("process: {other:?}"),
        })
        .collect();
    assert_eq!(got, expected);
    assert!(matches!(
        &got[0],
        ProcessOutput::Output {
            stream: ProcessStreamEventStream::Stdout,
            ..
        }
    ));
    assert!(matches!(
        &got[1],
        ProcessOutput::Output {
            stream: ProcessStreamEventStream::Stderr,
            ..
        }
    ));

    // Logs.
    let items = drain(Ep::Logs.open(&kernel, "b").await, within).await;
    assert_eq!(items.len(), 1, "{:#?}", describe(&items));
    let Ok(Item::Log(event)) = &items[0] else {
        panic!("logs: {:?}", items[0])
    };
    assert_eq!(event.message, log["message"].as_str().unwrap());
    assert_same_json(&items[0].as_ref().unwrap().json(), &log, "LogEvent");

    // Every stream used exactly one connection, on the spec's path.
    for ep in Ep::ALL {
        let id = match ep {
            Ep::Invocation => "i",
            Ep::Deployment => "d",
            Ep::Auth => "c",
            _ => "b",
        };
        assert_eq!(server.count(&ep.path(id)), 1, "{ep:?} connections");
    }
    assert_eq!(
        server.conns(&Ep::Logs.path("b"))[0].query,
        "source=supervisor"
    );
}

// ---------------------------------------------------------------------------
// 2. Unknown tags, broken bodies, garbage, `error` events.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn unknown_tags_pass_through_as_raw_json() {
    let unknown_for = |ep: Ep| -> Vec<Value> {
        match ep {
            Ep::Telemetry => vec![
                json!({"seq": 2, "event": {"type": "x_future_event", "ts": 5, "source": {"kind": "quantum"}, "data": {"a": [1, 2]}}}),
                json!({"seq": 3, "event": {"no_type": true}}),
            ],
            _ => vec![
                json!({"event": "x_future_event", "timestamp": TS, "detail": {"a": [1, 2]}}),
                json!({"event": 7, "weird": null}),
                json!({"no_tag": "at all"}),
            ],
        }
    };
    let mut routes = Vec::new();
    for ep in Ep::UNIONS {
        let unknown = unknown_for(ep);
        let after = ep.normal(unknown.len() as u64 + 2);
        let mut body = Sse::new()
            .ev(ep, &ep.normal(1))
            .evs(ep, &unknown)
            .ev(ep, &after);
        if let Some(terminal) = ep.terminal() {
            body = body.ev(ep, &terminal);
        }
        routes.push((ep.path("u"), vec![body.reply()]));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::UNIONS {
        let items = drain(ep.open(&kernel, "u").await, Duration::from_secs(5)).await;
        let unknown = unknown_for(ep);
        let mut expected = vec![ep.normal(1)];
        expected.extend(unknown.iter().cloned());
        expected.push(ep.normal(unknown.len() as u64 + 2));
        expected.extend(ep.terminal());
        let got = describe(&items);
        assert_eq!(got.len(), expected.len(), "{ep:?}: {got:#?}");
        for (i, (got, sent)) in got.iter().zip(&expected).enumerate() {
            assert_same_json(got, sent, &format!("{ep:?} item {i}"));
        }
        for (i, raw) in unknown.iter().enumerate() {
            let item = items[1 + i].as_ref().unwrap();
            let raw_got = item
                .unknown()
                .unwrap_or_else(|| panic!("{ep:?}: not Unknown: {item:?}"));
            let raw_sent = if ep == Ep::Telemetry {
                &raw["event"]
            } else {
                raw
            };
            assert_eq!(raw_got, raw_sent, "{ep:?}: the raw JSON is kept as sent");
        }
        // Telemetry ends when the browser is gone (404 on reconnect).
        let expected_connections = if ep == Ep::Telemetry { 2 } else { 1 };
        assert_eq!(server.count(&ep.path("u")), expected_connections, "{ep:?}");
    }
}

#[tokio::test]
async fn a_known_tag_with_a_broken_body_is_a_decode_error_and_the_stream_continues() {
    let mut routes = Vec::new();
    for ep in Ep::ALL {
        let mut body = Sse::new()
            .ev(ep, &ep.normal(1))
            .ev(ep, &ep.broken())
            .ev(ep, &ep.normal(3));
        if let Some(terminal) = ep.terminal() {
            body = body.ev(ep, &terminal);
        }
        routes.push((ep.path("x"), vec![body.reply()]));
    }
    // Process output whose base64 is invalid: a protocol error item.
    let bad_b64 = json!({"stream": "stderr", "data_b64": "%%% not base64 %%%"});
    routes.push((
        Ep::Process.path("y"),
        vec![Sse::new()
            .ev(Ep::Process, &bad_b64)
            .ev(Ep::Process, &Ep::Process.normal(2))
            .reply()],
    ));
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::ALL {
        let items = drain(ep.open(&kernel, "x").await, Duration::from_secs(5)).await;
        // Whether the broken telemetry event is also reported as a gap is
        // checked by `telemetry_decode_errors_are_not_gaps`.
        let items: Vec<_> = items
            .into_iter()
            .filter(|i| !matches!(i, Ok(Item::Telemetry(Telemetry::Gap { .. }))))
            .collect();
        let got = describe(&items);
        let mut expected = vec![ep.normal(1), json!({"error": "decode"}), ep.normal(3)];
        expected.extend(ep.terminal());
        assert_eq!(got.len(), expected.len(), "{ep:?}: {got:#?}");
        for (i, (got, sent)) in got.iter().zip(&expected).enumerate() {
            assert_same_json(got, sent, &format!("{ep:?} item {i}"));
        }
        let Err(Error::Decode(decode)) = &items[1] else {
            unreachable!()
        };
        assert_eq!(
            decode.body,
            ep.broken().to_string().into_bytes(),
            "{ep:?}: the raw data is kept"
        );
    }
    let items = drain(Ep::Process.open(&kernel, "y").await, Duration::from_secs(5)).await;
    assert_eq!(
        describe(&items),
        vec![json!({"error": "protocol"}), Ep::Process.normal(2)]
    );
}

#[tokio::test]
async fn garbage_truncated_and_oversized_data_are_error_items_and_the_stream_continues() {
    let auth = Ep::Auth.path("g");
    let body = Sse::new()
        .raw(&b"data: \xff\xfe\xfd garbage\n\n"[..]) // not UTF-8
        .raw("data: not json at all\n\n")
        .raw("data: {\"event\":\"managed_auth_state\",\"flow_st\n\n") // truncated JSON
        .raw("data:\n\n") // empty data
        .raw(format!(
            "data: {{\"event\":\"log\",\"pad\":\"{}\"}}\n\n",
            "a".repeat(8000)
        )) // over the size limit
        .raw(&b"\x00\x01 rubbish line\n:\xff comment\n\n"[..]) // no data: nothing
        .ev(Ep::Auth, &auth_state("IN_PROGRESS"))
        .ev(Ep::Auth, &auth_state("SUCCESS"));
    // A non-reconnecting stream that ends in the middle of a block: the
    // unterminated block is discarded and the stream ends cleanly.
    let fs = Ep::Fs.path("g");
    let fs_body = Sse::new()
        .ev(Ep::Fs, &Ep::Fs.normal(1))
        .raw("data: {\"type\":\"CRE");
    // Same, cut by an abort: the drop is reported, no reconnect.
    let fs_cut = Ep::Fs.path("h");
    let fs_cut_body = Sse::new()
        .ev(Ep::Fs, &Ep::Fs.normal(1))
        .raw("data: {\"type\":\"CRE")
        .abort();
    let server = Server::table(vec![
        (auth.clone(), vec![body.reply()]),
        (fs.clone(), vec![fs_body.reply()]),
        (fs_cut.clone(), vec![fs_cut_body.reply()]),
    ])
    .await;
    let kernel = client(
        &server.url,
        StreamOptions {
            max_event_size: 4096,
            ..options()
        },
    );

    let items = drain(Ep::Auth.open(&kernel, "g").await, Duration::from_secs(5)).await;
    let got = describe(&items);
    let expected = vec![
        json!({"error": "protocol"}),
        json!({"error": "decode"}),
        json!({"error": "decode"}),
        json!({"error": "decode"}),
        json!({"error": "protocol"}),
        auth_state("IN_PROGRESS"),
        auth_state("SUCCESS"),
    ];
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (i, (got, sent)) in got.iter().zip(&expected).enumerate() {
        assert_same_json(got, sent, &format!("item {i}"));
    }

    let items = drain(Ep::Fs.open(&kernel, "g").await, Duration::from_secs(5)).await;
    assert_eq!(describe(&items), vec![Ep::Fs.normal(1)]);

    let items = drain(Ep::Fs.open(&kernel, "h").await, Duration::from_secs(5)).await;
    assert_eq!(items.len(), 2, "{:#?}", describe(&items));
    assert_eq!(items[0].as_ref().unwrap().json(), Ep::Fs.normal(1));
    assert!(
        matches!(items[1], Err(Error::Connection(_) | Error::Protocol(_))),
        "{:?}",
        items[1]
    );

    tokio::time::sleep(Duration::from_millis(150)).await;
    for path in [&auth, &fs, &fs_cut] {
        assert_eq!(server.count(path), 1, "{path}");
    }
}

#[tokio::test]
async fn error_events_are_error_items_and_do_not_end_the_stream() {
    let mut routes = Vec::new();
    for ep in Ep::STATES {
        let body = Sse::new()
            .ev(ep, &ep.normal(1))
            .ev(ep, &error_event("first"))
            .ev(ep, &ep.normal(2))
            .ev(ep, &error_event("second"))
            .ev(ep, &ep.terminal().unwrap());
        routes.push((ep.path("e"), vec![body.reply()]));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::STATES {
        let items = drain(ep.open(&kernel, "e").await, Duration::from_secs(5)).await;
        assert_eq!(items.len(), 5, "{ep:?}: {:#?}", describe(&items));
        for (i, code) in [(1, "first"), (3, "second")] {
            let Err(Error::Event(event)) = &items[i] else {
                panic!("{ep:?} item {i}: {:?}", items[i])
            };
            assert_eq!(event.error.code, code);
            assert_eq!(event.error.message, "it broke");
        }
        assert_eq!(items[4].as_ref().unwrap().json(), ep.terminal().unwrap());
        assert_eq!(server.count(&ep.path("e")), 1, "{ep:?}");
    }
}

/// A telemetry envelope that fails to decode was still sent by the server:
/// its `seq` is not a gap the server made, and a reconnect resumes after it
/// rather than replaying it (the server here honours Last-Event-ID).
#[tokio::test]
async fn telemetry_decode_errors_are_not_gaps() {
    let ep = Ep::Telemetry;
    let path = ep.path("t");
    // seq 2 is the broken one.
    let log = [envelope(1), ep.broken(), envelope(3)];
    let server = Server::start(move |conn| {
        let after: usize = conn
            .last_event_id
            .as_deref()
            .map_or(0, |id| id.parse().unwrap());
        match conn.index {
            // The first connection is cut after seq 2.
            0 => Sse::new().evs(ep, &log[..2]).abort().reply(),
            1 => Sse::new().evs(ep, &log[after.min(3)..]).reply(),
            _ => Reply::Status(404),
        }
    })
    .await;
    let kernel = client(&server.url, options());
    let items = drain(ep.open(&kernel, "t").await, Duration::from_secs(5)).await;
    let resumed_from: Vec<_> = server
        .conns(&path)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(
        (describe(&items), resumed_from),
        (
            vec![envelope(1), json!({"error": "decode"}), envelope(3)],
            vec![None, Some("2".into()), Some("3".into())]
        ),
        "(items, Last-Event-IDs): seq 2 is delivered once, as an error, and is neither a gap nor replayed"
    );
}

// ---------------------------------------------------------------------------
// 3. Heartbeats, keepalives and the idle timeout.
// ---------------------------------------------------------------------------

/// Five heartbeats and keepalive comments over ~200 ms, then the terminal event.
fn heartbeat_body(ep: Ep) -> Sse {
    let mut body = Sse::new();
    for _ in 0..5 {
        body = body.ev(ep, &heartbeat()).sleep(20).keepalive().sleep(20);
    }
    body.ev(ep, &ep.terminal().unwrap())
}

#[tokio::test]
async fn heartbeats_are_hidden_by_default() {
    let mut routes: Vec<_> = Ep::STATES
        .iter()
        .map(|&ep| (ep.path("h"), vec![heartbeat_body(ep).reply()]))
        .collect();
    // Telemetry: keepalive comments only, then the browser goes away.
    let mut telemetry = Sse::new();
    for _ in 0..5 {
        telemetry = telemetry.keepalive().sleep(20);
    }
    routes.push((Ep::Telemetry.path("h"), vec![telemetry.reply()]));
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::STATES {
        let items = drain(ep.open(&kernel, "h").await, Duration::from_secs(5)).await;
        assert_eq!(describe(&items), vec![ep.terminal().unwrap()], "{ep:?}");
        assert_eq!(server.count(&ep.path("h")), 1);
    }
    let items = drain(
        Ep::Telemetry.open(&kernel, "h").await,
        Duration::from_secs(5),
    )
    .await;
    assert!(items.is_empty(), "{items:?}");
    let conns = server.conns(&Ep::Telemetry.path("h"));
    assert_eq!(conns.len(), 2, "a close, then 404");
    assert_eq!(
        conns[1].last_event_id, None,
        "no event was delivered, so no resume point"
    );
}

#[tokio::test]
async fn heartbeats_are_yielded_when_asked() {
    let routes = Ep::STATES
        .iter()
        .map(|&ep| (ep.path("h"), vec![heartbeat_body(ep).reply()]))
        .collect();
    let server = Server::table(routes).await;
    let kernel = client(
        &server.url,
        StreamOptions {
            heartbeats: true,
            ..options()
        },
    );
    for ep in Ep::STATES {
        let items = drain(ep.open(&kernel, "h").await, Duration::from_secs(5)).await;
        assert_eq!(items.len(), 6, "{ep:?}: {:#?}", describe(&items));
        assert!(
            items[..5]
                .iter()
                .all(|i| i.as_ref().is_ok_and(Item::is_heartbeat)),
            "{ep:?}: {:#?}",
            describe(&items)
        );
        assert_eq!(items[5].as_ref().unwrap().json(), ep.terminal().unwrap());
    }
}

#[tokio::test]
async fn keepalive_comments_keep_a_quiet_stream_alive() {
    let ep = Ep::Auth;
    let mut body = Sse::new();
    for _ in 0..12 {
        body = body.sleep(50).keepalive();
    }
    let body = body.ev(ep, &ep.terminal().unwrap());
    let server = Server::table(vec![(ep.path("k"), vec![body.reply()])]).await;
    let kernel = client(
        &server.url,
        StreamOptions {
            idle_timeout: Duration::from_millis(300),
            ..options()
        },
    );
    let started = Instant::now();
    let items = drain(ep.open(&kernel, "k").await, Duration::from_secs(5)).await;
    assert_eq!(describe(&items), vec![ep.terminal().unwrap()]);
    assert_eq!(
        server.count(&ep.path("k")),
        1,
        "600 ms of keepalives every 50 ms, 300 ms idle timeout: no reconnect"
    );
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn a_silent_stream_reconnects_after_the_idle_timeout_then_gives_up() {
    let auth = Ep::Auth.path("s");
    let telemetry = Ep::Telemetry.path("s");
    let fs = Ep::Fs.path("s");
    let server = Server::start({
        let telemetry = telemetry.clone();
        move |conn| {
            if conn.path == telemetry && conn.index == 0 {
                Sse::new()
                    .ev(Ep::Telemetry, &envelope(1))
                    .ev(Ep::Telemetry, &envelope(2))
                    .hold()
                    .reply()
            } else {
                Sse::new().hold().reply()
            }
        }
    })
    .await;
    let idle = Duration::from_millis(100);
    let kernel = client(
        &server.url,
        StreamOptions {
            idle_timeout: idle,
            max_reconnects: 3,
            ..options()
        },
    );
    let (auth_items, telemetry_items, fs_items) = tokio::join!(
        drain(Ep::Auth.open(&kernel, "s").await, Duration::from_secs(5)),
        drain(
            Ep::Telemetry.open(&kernel, "s").await,
            Duration::from_secs(5)
        ),
        drain(Ep::Fs.open(&kernel, "s").await, Duration::from_secs(5)),
    );

    // Auth: the first connection and 3 reconnects time out, then one error.
    assert_eq!(describe(&auth_items), vec![json!({"error": "timeout"})]);
    let conns = server.conns(&auth);
    assert_eq!(conns.len(), 4, "1 connection + max_reconnects (3)");
    for pair in conns.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= idle,
            "each reconnect waits for the idle timeout"
        );
    }

    // Telemetry: the same, resuming from the last delivered seq each time.
    assert_eq!(
        describe(&telemetry_items),
        vec![envelope(1), envelope(2), json!({"error": "timeout"})]
    );
    let resumed: Vec<_> = server
        .conns(&telemetry)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(
        resumed,
        vec![None, Some("2".into()), Some("2".into()), Some("2".into())]
    );

    // Fs watch does not reconnect: one timeout error, one connection.
    assert_eq!(describe(&fs_items), vec![json!({"error": "timeout"})]);
    assert_eq!(server.count(&fs), 1);
}

// ---------------------------------------------------------------------------
// 4. Resumption, gaps, `retry:`, terminal events.
// ---------------------------------------------------------------------------

/// The telemetry stream is cut 100 times at random byte offsets (in the
/// middle of a line, between frames, before the first byte), half of the
/// time by an abort and half by a clean close, in random chunks. The client
/// gets every seq exactly once and in order, and each reconnect sends the
/// last seq it delivered.
#[tokio::test]
async fn telemetry_survives_100_random_drops_exactly_once_in_order() {
    const DROPS: usize = 100;
    const TOTAL: u64 = 700;
    const SEED: u64 = 0x5EED_0005_5E57;
    let path = Ep::Telemetry.path("r");
    // expected[i]: the Last-Event-ID request i must send.
    let expected: Arc<Mutex<Vec<Option<u64>>>> = Arc::new(Mutex::new(vec![None]));
    let rng = Arc::new(Mutex::new(Rng(SEED)));
    let server = Server::start({
        let (expected, rng) = (expected.clone(), rng.clone());
        move |conn| {
            let after: u64 = conn
                .last_event_id
                .as_deref()
                .map(|id| id.parse().expect("a numeric Last-Event-ID"))
                .unwrap_or(0);
            if after >= TOTAL {
                return Reply::Status(404);
            }
            let mut rng = rng.lock().unwrap();
            let mut body = b"retry: 5\n\n".to_vec();
            let mut ends = Vec::new(); // (offset after the frame, its seq)
            let last = if conn.index < DROPS {
                (after + 8).min(TOTAL)
            } else {
                TOTAL
            };
            for seq in after + 1..=last {
                if rng.below(4) == 0 {
                    body.extend_from_slice(b": keepalive\n\n");
                }
                body.extend_from_slice(Ep::Telemetry.frame(&envelope(seq)).as_bytes());
                ends.push((body.len(), seq));
            }
            let cut = if conn.index < DROPS {
                rng.below(body.len() + 1)
            } else {
                body.len()
            };
            let delivered = ends
                .iter()
                .filter(|(end, _)| *end <= cut)
                .map(|(_, seq)| *seq)
                .max();
            expected
                .lock()
                .unwrap()
                .push(delivered.or((after > 0).then_some(after)));
            // Send the first `cut` bytes in up to 3 random pieces.
            let mut sse = Sse::new();
            let mut start = 0;
            for _ in 0..3 {
                let end = start + rng.below(cut - start + 1);
                if end > start {
                    sse = sse.raw(body[start..end].to_vec());
                }
                start = end;
            }
            if cut > start {
                sse = sse.raw(body[start..cut].to_vec());
            }
            if conn.index < DROPS && rng.below(2) == 0 {
                sse = sse.abort();
            }
            sse.reply()
        }
    })
    .await;
    let kernel = client(
        &server.url,
        StreamOptions {
            max_reconnects: 20,
            ..options()
        },
    );
    let items = drain(
        Ep::Telemetry.open(&kernel, "r").await,
        Duration::from_secs(30),
    )
    .await;

    let seqs: Vec<u64> = items
        .iter()
        .map(|item| match item {
            Ok(item) => item
                .seq()
                .unwrap_or_else(|| panic!("not an event: {item:?}")),
            Err(e) => panic!(
                "error item after {} events (seed {SEED:#x}): {e}",
                items.len()
            ),
        })
        .collect();
    assert_eq!(
        seqs,
        (1..=TOTAL).collect::<Vec<_>>(),
        "every seq exactly once, in order (seed {SEED:#x})"
    );

    let conns = server.conns(&path);
    let expected = expected.lock().unwrap().clone();
    assert!(conns.len() > DROPS + 1, "{} connections", conns.len());
    // The last request (the 404) has no recorded successor.
    for (i, conn) in conns.iter().enumerate() {
        let sent = conn
            .last_event_id
            .as_deref()
            .map(|id| id.parse::<u64>().unwrap());
        assert_eq!(
            sent, expected[i],
            "request {i}: Last-Event-ID (seed {SEED:#x})"
        );
    }
    assert_eq!(
        conns.last().unwrap().last_event_id.as_deref(),
        Some(TOTAL.to_string().as_str())
    );
}

/// The same against `kernel-mock`'s live telemetry, cut by the mock's own
/// `drop_sse_streams` fault after a random number of events, 25 times; the
/// stream then ends when the browser is deleted (404 on reconnect).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kernel_mock_telemetry_resumes_across_cuts_and_ends_when_the_browser_is_deleted() {
    const CUTS: usize = 25;
    let mock = kernel_mock::KernelMock::builder()
        .telemetry_interval(Duration::from_millis(2))
        .sse_retry(Duration::from_millis(5))
        .start()
        .await
        .unwrap();
    let kernel = kernel_testkit::client::builder(&mock)
        .max_retries(0)
        .stream_options(options())
        .build()
        .unwrap();
    let config = kernel::types::BrowserTelemetryConfig::try_from(
        kernel::types::BrowserTelemetryConfig::builder(),
    )
    .unwrap();
    let browser = kernel
        .browsers()
        .create()
        .telemetry(config)
        .send()
        .await
        .unwrap();
    let id = browser.session_id.clone();
    let mut rng = Rng(0xC0FFEE);
    let cuts: Vec<usize> = (0..CUTS).map(|_| rng.below(5)).collect();
    for &k in &cuts {
        mock.faults()
            .drop_sse_streams(k, 1, Some("streamBrowserTelemetry"));
    }
    let mut stream = kernel.browsers().telemetry(&id).send().await.unwrap();
    let mut seqs = Vec::new();
    let target = cuts.iter().sum::<usize>() as u64 + 10;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut deleted = false;
    loop {
        let item = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(_) => panic!("telemetry did not end; {} events", seqs.len()),
        };
        match item {
            Ok(Telemetry::Event(e)) => seqs.push(e.seq.get()),
            other => panic!("unexpected item after seq {:?}: {other:?}", seqs.last()),
        }
        if !deleted && seqs.len() as u64 >= target {
            kernel.browsers().delete(&id).send().await.unwrap();
            deleted = true;
        }
    }
    assert!(
        deleted,
        "the stream ended before the browser was deleted, after {} events",
        seqs.len()
    );
    let last = *seqs.last().unwrap();
    assert_eq!(
        seqs,
        (1..=last).collect::<Vec<_>>(),
        "every seq exactly once, in order"
    );

    let requests: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.operation_id.as_deref() == Some("streamBrowserTelemetry"))
        .collect();
    assert!(
        requests.len() >= CUTS + 2,
        "{} telemetry requests",
        requests.len()
    );
    let sent: Vec<Option<u64>> = requests
        .iter()
        .map(|r| r.header("last-event-id").map(|v| v.parse().unwrap()))
        .collect();
    let mut resume = 0u64;
    for (i, &k) in cuts.iter().enumerate() {
        assert_eq!(sent[i].unwrap_or(0), resume, "request {i}: Last-Event-ID");
        resume += k as u64;
    }
    assert_eq!(sent[CUTS].unwrap_or(0), resume, "first uncut request");
    assert_eq!(
        *sent.last().unwrap(),
        Some(last),
        "the reconnect after the delete resumes from the last seq"
    );
}

#[tokio::test]
async fn the_resume_point_survives_idless_empty_and_zero_ids() {
    let ep = Ep::Telemetry;
    let data = |seq: u64| envelope(seq).to_string();
    let first = Sse::new()
        .raw(format!("id: 1\ndata: {}\n\n", data(1)))
        .raw(format!("data: {}\n\n", data(2))) // no id
        .raw(format!("id\ndata: {}\n\n", data(3))) // `id` with no value: resets the SSE last event ID
        .raw(format!("id: 0\ndata: {}\n\n", data(4))) // a falsy id
        .raw(format!("id: 99\ndata: {}\n\n", data(5))) // an id that disagrees with the seq
        .raw("id:\n\n") // an id-only block resetting the id, no event
        .abort();
    let second = Sse::new()
        .raw(format!("id:\ndata: {}\n\n", data(6)))
        .raw("id:\n\n");
    let path = ep.path("z");
    let server = Server::table(vec![(path.clone(), vec![first.reply(), second.reply()])]).await;
    let kernel = client(&server.url, options());
    let items = drain(ep.open(&kernel, "z").await, Duration::from_secs(5)).await;
    assert_eq!(describe(&items), (1..=6).map(envelope).collect::<Vec<_>>());
    let resumed: Vec<_> = server
        .conns(&path)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(
        resumed,
        vec![None, Some("5".into()), Some("6".into())],
        "Last-Event-ID is the last delivered seq"
    );
}

#[tokio::test]
async fn skipped_seqs_are_reported_as_gaps_and_replays_are_dropped() {
    let ep = Ep::Telemetry;
    let gaps = ep.path("gap");
    let replay = ep.path("replay");
    let server = Server::table(vec![
        (
            gaps.clone(),
            vec![
                Sse::new()
                    .evs(ep, &[envelope(1), envelope(2), envelope(5), envelope(6)])
                    .abort()
                    .reply(),
                // Resumes after 6 but the server lost 7 and 8.
                Sse::new().evs(ep, &[envelope(9), envelope(10)]).reply(),
            ],
        ),
        (
            replay.clone(),
            vec![
                // A server that ignores Last-Event-ID and replays from the start.
                Sse::new()
                    .evs(ep, &[envelope(1), envelope(2), envelope(3)])
                    .reply(),
                Sse::new()
                    .evs(ep, &(1..=5).map(envelope).collect::<Vec<_>>())
                    .abort()
                    .reply(),
                Sse::new()
                    .evs(ep, &(1..=7).map(envelope).collect::<Vec<_>>())
                    .reply(),
            ],
        ),
    ])
    .await;
    let kernel = client(&server.url, options());
    let items = drain(ep.open(&kernel, "gap").await, Duration::from_secs(5)).await;
    let items: Vec<Telemetry> = items
        .into_iter()
        .map(|i| match i {
            Ok(Item::Telemetry(t)) => t,
            other => panic!("{other:?}"),
        })
        .collect();
    let shape: Vec<String> = items
        .iter()
        .map(|t| match t {
            Telemetry::Event(e) => e.seq.to_string(),
            Telemetry::Gap { from, to } => format!("gap {from}..={to}"),
            other => panic!("unexpected telemetry item {other:?}"),
        })
        .collect();
    assert_eq!(
        shape,
        ["1", "2", "gap 3..=4", "5", "6", "gap 7..=8", "9", "10"]
    );
    let resumed: Vec<_> = server
        .conns(&gaps)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(resumed, vec![None, Some("6".into()), Some("10".into())]);

    let items = drain(ep.open(&kernel, "replay").await, Duration::from_secs(5)).await;
    let seqs: Vec<u64> = items
        .iter()
        .map(|i| i.as_ref().unwrap().seq().unwrap())
        .collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "no duplicates, no gaps");
    let resumed: Vec<_> = server
        .conns(&replay)
        .iter()
        .map(|c| c.last_event_id.clone())
        .collect();
    assert_eq!(
        resumed,
        vec![None, Some("3".into()), Some("5".into()), Some("7".into())]
    );
}

#[tokio::test]
async fn the_server_retry_field_sets_the_reconnect_delay() {
    let ep = Ep::Auth;
    let body = |retry: u64| {
        vec![
            Sse::new()
                .retry(retry)
                .ev(ep, &auth_state("IN_PROGRESS"))
                .reply(),
            Sse::new().ev(ep, &auth_state("SUCCESS")).reply(),
        ]
    };
    let server = Server::table(vec![
        (ep.path("slow"), body(300)),
        (ep.path("fast"), body(20)),
    ])
    .await;
    // `retry: 300` against a 10-50 ms backoff.
    let quick_backoff = client(&server.url, options());
    // `retry: 20` against a 3 s backoff.
    let slow_backoff = client(
        &server.url,
        StreamOptions {
            backoff: RetryPolicy {
                initial_backoff: Duration::from_secs(3),
                max_backoff: Duration::from_secs(3),
                ..RetryPolicy::default()
            },
            ..options()
        },
    );
    let (slow, fast) = tokio::join!(
        drain(
            ep.open(&quick_backoff, "slow").await,
            Duration::from_secs(5)
        ),
        drain(ep.open(&slow_backoff, "fast").await, Duration::from_secs(5)),
    );
    for items in [&slow, &fast] {
        assert_eq!(
            describe(items),
            vec![auth_state("IN_PROGRESS"), auth_state("SUCCESS")]
        );
    }
    let delay = |path: &str| {
        let conns = server.conns(path);
        assert_eq!(conns.len(), 2, "{path}");
        conns[1].at - conns[0].at
    };
    let slow = delay(&ep.path("slow"));
    assert!(
        slow >= Duration::from_millis(300) && slow < Duration::from_secs(5),
        "retry: 300 → reconnected after {slow:?}"
    );
    let fast = delay(&ep.path("fast"));
    assert!(
        fast >= Duration::from_millis(20) && fast < Duration::from_secs(2),
        "retry: 20 → reconnected after {fast:?}"
    );
}

/// WHATWG: the reconnection time set by `retry:` belongs to the event
/// source, not to one connection; a later connection that sends no `retry:`
/// keeps it.
#[tokio::test]
async fn the_retry_field_persists_across_connections() {
    let ep = Ep::Auth;
    let path = ep.path("p");
    let server = Server::table(vec![(
        path.clone(),
        vec![
            Sse::new()
                .retry(300)
                .ev(ep, &auth_state("IN_PROGRESS"))
                .reply(),
            Sse::new().ev(ep, &auth_state("IN_PROGRESS")).reply(),
            Sse::new().ev(ep, &auth_state("SUCCESS")).reply(),
        ],
    )])
    .await;
    let kernel = client(&server.url, options());
    let items = drain(ep.open(&kernel, "p").await, Duration::from_secs(5)).await;
    assert_eq!(items.len(), 3, "{:#?}", describe(&items));
    let conns = server.conns(&path);
    assert_eq!(conns.len(), 3);
    let first = conns[1].at - conns[0].at;
    let second = conns[2].at - conns[1].at;
    assert!(
        first >= Duration::from_millis(300),
        "first reconnect after {first:?}"
    );
    assert!(
        second >= Duration::from_millis(300),
        "second reconnect after {second:?}: `retry: 300` was forgotten"
    );
}

/// The terminal states of each endpoint, after the non-terminal ones.
fn terminal_cases() -> Vec<(Ep, &'static str, Vec<Value>, Value)> {
    let mut cases = Vec::new();
    for status in ["SUCCESS", "FAILED", "EXPIRED", "CANCELED"] {
        cases.push((
            Ep::Auth,
            status,
            vec![auth_state("IN_PROGRESS")],
            auth_state(status),
        ));
    }
    for status in ["succeeded", "failed"] {
        let before = vec![invocation_state("queued"), invocation_state("running")];
        cases.push((Ep::Invocation, status, before, invocation_state(status)));
    }
    for status in ["running", "failed", "stopped"] {
        let before = vec![deployment_state("queued"), deployment_state("in_progress")];
        cases.push((Ep::Deployment, status, before, deployment_state(status)));
    }
    cases.push((
        Ep::Process,
        "exit",
        vec![Ep::Process.normal(1)],
        json!({"event": "exit", "exit_code": 3}),
    ));
    cases
}

#[tokio::test]
async fn terminal_events_end_the_stream_without_reconnecting() {
    let cases = terminal_cases();
    let mut routes = Vec::new();
    for (ep, status, before, terminal) in &cases {
        let body = Sse::new().evs(*ep, before).ev(*ep, terminal);
        // The server closes after the terminal event, or keeps the
        // connection open: either way the stream ends on the event itself.
        routes.push((
            ep.path(&format!("close-{status}")),
            vec![body.clone().reply()],
        ));
        routes.push((
            ep.path(&format!("hold-{status}")),
            vec![body.hold().reply()],
        ));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    let kernel = &kernel;
    let runs = cases.iter().flat_map(|(ep, status, before, terminal)| {
        ["close", "hold"].map(|how| {
            let id = format!("{how}-{status}");
            let mut expected = before.clone();
            expected.push(terminal.clone());
            async move {
                let stream = ep.open(kernel, &id).await;
                (
                    *ep,
                    id,
                    expected,
                    drain(stream, Duration::from_secs(3)).await,
                )
            }
        })
    });
    let results = futures::future::join_all(runs).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // time for a (wrong) reconnect
    for (ep, id, expected, items) in results {
        assert_eq!(describe(&items), expected, "{ep:?} {id}");
        assert_eq!(
            server.count(&ep.path(&id)),
            1,
            "{ep:?} {id}: no reconnect after the terminal event"
        );
    }
}

/// The terminal event is the last item even when more events follow it in
/// the same read.
#[tokio::test]
async fn nothing_is_yielded_after_a_terminal_event() {
    let after = |ep: Ep| match ep {
        Ep::Auth => auth_state("IN_PROGRESS"),
        Ep::Invocation => json!({"event": "log", "timestamp": TS, "message": "late log line"}),
        Ep::Deployment => json!({"event": "log", "timestamp": TS, "message": "late log line"}),
        _ => Ep::Process.normal(9),
    };
    let eps = [Ep::Auth, Ep::Invocation, Ep::Deployment, Ep::Process];
    let routes = eps
        .iter()
        .map(|&ep| {
            let body = Sse::new()
                .ev(ep, &ep.normal(1))
                .ev(ep, &ep.terminal().unwrap())
                .ev(ep, &after(ep))
                .one_chunk()
                .hold();
            (ep.path("late"), vec![body.reply()])
        })
        .collect();
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    let mut failures = Vec::new();
    for ep in eps {
        let items = drain(ep.open(&kernel, "late").await, Duration::from_secs(3)).await;
        let expected = vec![ep.normal(1), ep.terminal().unwrap()];
        let got = describe(&items);
        if got != expected {
            failures.push(format!("{ep:?}: expected {expected:?}\n   got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "events after the terminal one were yielded:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn state_streams_that_drop_before_a_terminal_event_reconnect() {
    let mut routes = Vec::new();
    for ep in Ep::STATES {
        // The frames carry SSE ids; these endpoints do not take
        // Last-Event-ID, so none is sent.
        let first = Sse::new()
            .raw(format!("id: evt-1\n{}", ep.frame(&ep.normal(1))))
            .raw(format!("id: evt-2\n{}", ep.frame(&ep.normal(2))));
        let second = Sse::new().ev(ep, &ep.terminal().unwrap());
        routes.push((
            ep.path("abort"),
            vec![first.clone().abort().reply(), second.clone().reply()],
        ));
        routes.push((ep.path("close"), vec![first.reply(), second.reply()]));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in Ep::STATES {
        for how in ["abort", "close"] {
            let items = drain(ep.open(&kernel, how).await, Duration::from_secs(5)).await;
            assert_eq!(
                describe(&items),
                vec![ep.normal(1), ep.normal(2), ep.terminal().unwrap()],
                "{ep:?} {how}"
            );
            let conns = server.conns(&ep.path(how));
            assert_eq!(conns.len(), 2, "{ep:?} {how}: one reconnect");
            assert_eq!(conns[1].last_event_id, None, "{ep:?} {how}");
        }
    }
}

#[tokio::test]
async fn output_streams_do_not_reconnect() {
    let eps = [Ep::Fs, Ep::Logs, Ep::Process];
    let mut routes = Vec::new();
    for ep in eps {
        let body = Sse::new().ev(ep, &ep.normal(1)).ev(ep, &ep.normal(2));
        routes.push((
            ep.path("close"),
            vec![body.clone().reply(), body.clone().reply()],
        ));
        routes.push((
            ep.path("abort"),
            vec![body.clone().abort().reply(), body.reply()],
        ));
    }
    let server = Server::table(routes).await;
    let kernel = client(&server.url, options());
    for ep in eps {
        // A clean close is the normal end.
        let items = drain(ep.open(&kernel, "close").await, Duration::from_secs(5)).await;
        assert_eq!(describe(&items), vec![ep.normal(1), ep.normal(2)], "{ep:?}");
        // A cut is reported, then the stream ends.
        let items = drain(ep.open(&kernel, "abort").await, Duration::from_secs(5)).await;
        let got = describe(&items);
        assert_eq!(got.len(), 3, "{ep:?}: {got:#?}");
        assert_eq!(got[..2], [ep.normal(1), ep.normal(2)], "{ep:?}");
        assert!(
            matches!(items[2], Err(Error::Connection(_) | Error::Protocol(_))),
            "{ep:?}: {:?}",
            items[2]
        );
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    for ep in eps {
        for how in ["close", "abort"] {
            assert_eq!(server.count(&ep.path(how)), 1, "{ep:?} {how}");
        }
    }
}

#[tokio::test]
async fn telemetry_ends_cleanly_when_the_browser_is_gone() {
    let ep = Ep::Telemetry;
    let three = [envelope(1), envelope(2), envelope(3)];
    let server = Server::table(vec![
        (
            ep.path("close"),
            vec![Sse::new().evs(ep, &three).reply(), Reply::Status(404)],
        ),
        (
            ep.path("abort"),
            vec![
                Sse::new().evs(ep, &three).abort().reply(),
                Reply::Status(404),
            ],
        ),
        (
            ep.path("gone"),
            vec![Sse::new().evs(ep, &three).reply(), Reply::Status(410)],
        ),
        // Not found on the first request: an error, not a silent end.
        (ep.path("never"), vec![Reply::Status(404)]),
    ])
    .await;
    let kernel = client(&server.url, options());
    for id in ["close", "abort", "gone"] {
        let items = drain(ep.open(&kernel, id).await, Duration::from_secs(5)).await;
        assert_eq!(describe(&items), three.to_vec(), "{id}");
        let resumed: Vec<_> = server
            .conns(&ep.path(id))
            .iter()
            .map(|c| c.last_event_id.clone())
            .collect();
        assert_eq!(resumed, vec![None, Some("3".into())], "{id}");
    }
    let items = drain(ep.open(&kernel, "never").await, Duration::from_secs(5)).await;
    assert_eq!(items.len(), 1, "{:#?}", describe(&items));
    assert!(
        items[0].as_ref().is_err_and(Error::is_not_found),
        "{:?}",
        items[0]
    );
    assert_eq!(server.count(&ep.path("never")), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kernel_mock_invocation_events_reconnect_after_a_cut_and_hide_heartbeats() {
    let mock = kernel_mock::KernelMock::builder()
        .step_delay(Duration::from_millis(60))
        .heartbeat_interval(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let created: Value = http
            .post(format!("{}/invocations", mock.base_url()))
            .bearer_auth(mock.api_key())
            .json(&json!({"app_name": "app", "version": "1", "action_name": "act", "async": true}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    // Both streams are cut after their first event (the `queued` state).
    mock.faults()
        .drop_sse_streams(1, 2, Some("getInvocationsEventsById"));
    let kernel = |heartbeats: bool| {
        kernel_testkit::client::builder(&mock)
            .max_retries(0)
            .stream_options(StreamOptions {
                heartbeats,
                ..options()
            })
            .build()
            .unwrap()
    };
    let (hidden, shown) = (kernel(false), kernel(true));
    let (hidden, shown) = tokio::join!(
        drain(
            hidden.invocations().events(&ids[0]).send().await.unwrap(),
            Duration::from_secs(10)
        ),
        drain(
            shown.invocations().events(&ids[1]).send().await.unwrap(),
            Duration::from_secs(10)
        ),
    );
    assert_eq!(
        mock.request_count("getInvocationsEventsById"),
        4,
        "one reconnect per stream after the cut"
    );
    let is_heartbeat = |e: &InvocationEvent| {
        matches!(
            e,
            InvocationEvent::Known(InvocationEventKnown::SseHeartbeatEvent(_))
        )
    };
    for (items, heartbeats) in [(hidden, false), (shown, true)] {
        let events: Vec<InvocationEvent> = items
            .into_iter()
            .map(|i| i.expect("no error items"))
            .collect();
        assert_eq!(
            events.iter().any(is_heartbeat),
            heartbeats,
            "heartbeats shown: {heartbeats}: {events:#?}"
        );
        let Some(InvocationEvent::Known(InvocationEventKnown::InvocationStateEvent(last))) =
            events.last()
        else {
            panic!("the stream ends with a state: {events:#?}");
        };
        assert_eq!(last.invocation.status.as_str(), "succeeded");
    }
}

// ---------------------------------------------------------------------------
// 5. No total timeout.
// ---------------------------------------------------------------------------

/// Every stream keeps sending for 3 s through a client whose JSON request
/// timeout is 1 s: none is cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_outlive_the_json_request_timeout() {
    const EVENTS: u64 = 30; // one every 100 ms
    let mut routes = Vec::new();
    for ep in Ep::ALL {
        let mut body = Sse::new();
        for n in 1..=EVENTS {
            body = body.ev(ep, &ep.normal(n)).sleep(100);
        }
        if let Some(terminal) = ep.terminal() {
            body = body.ev(ep, &terminal);
        }
        // A second connection (a cut stream reconnecting) ends at once.
        let again = match ep.terminal() {
            Some(terminal) => Sse::new().ev(ep, &terminal).reply(),
            None => Reply::Status(404),
        };
        routes.push((ep.path("long"), vec![body.reply(), again]));
    }
    let server = Server::table(routes).await;
    let kernel = Kernel::builder()
        .api_key("sk_test")
        .base_url(&server.url)
        .max_retries(0)
        .timeout(Duration::from_secs(1))
        .stream_options(options())
        .build()
        .unwrap();
    let started = Instant::now();
    let kernel = &kernel;
    let runs = Ep::ALL.map(|ep| async move {
        let stream = ep.open(kernel, "long").await;
        (ep, drain(stream, Duration::from_secs(15)).await)
    });
    let results = futures::future::join_all(runs).await;
    let mut failures = Vec::new();
    for (ep, items) in results {
        let errors: Vec<String> = items
            .iter()
            .filter_map(|i| i.as_ref().err().map(|e| e.to_string()))
            .collect();
        let events = items.iter().filter(|i| i.is_ok()).count() as u64;
        let expected = EVENTS + ep.terminal().map_or(0, |_| 1);
        // Telemetry ends with a reconnect that gets 404; the others end on
        // their terminal event or the server's close.
        let connections = server.count(&ep.path("long"));
        let expected_connections = if ep == Ep::Telemetry { 2 } else { 1 };
        if events != expected || !errors.is_empty() || connections != expected_connections {
            failures.push(format!(
                "{ep:?}: {events}/{expected} events, {connections} connection(s) (expected {expected_connections}), errors {errors:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "streams cut by the 1 s request timeout:\n{}",
        failures.join("\n")
    );
    assert!(started.elapsed() >= Duration::from_secs(3));
}
