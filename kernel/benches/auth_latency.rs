//! Reaction latency of a login flow: the time from the server publishing a
//! new state (AWAITING_INPUT) to the `LoginHandler` being asked for input.
//!
//! A hand-scripted server (axum, on its own thread and runtime) holds each
//! flow at DISCOVERING until the bench publishes AWAITING_INPUT, recording
//! the instant; the handler records when `on_input` is called. Three ways
//! of following the flow are measured:
//!
//! - **SSE**: `LoginFlow::run` following `GET /auth/connections/{id}/events`
//!   (one flow at a time);
//! - **polling fallback**: the events endpoint answers 404, so the flow reads
//!   `GET /auth/connections/{id}` every `poll_interval` (default 1 s); the
//!   state is published at a random moment so the poll phase is uniform;
//! - **seed loop**: for scale, the documented programmatic-flow loop (read,
//!   submit if awaiting input, sleep 2000 ms, repeat), written out by hand.
//!
//! The server sets `TCP_NODELAY` (as it should for event streams); the SSE
//! case is also measured against a server that does not, where Nagle's
//! algorithm and the client's delayed ACKs add up to ~40 ms.
//!
//! Polling runs are concurrent (each flow has its own connection) since each
//! takes seconds. Goal: SSE median <= 50 ms.
//!
//! `cargo bench -p kernel --bench auth_latency` (50 runs each; give another
//! count as an argument: `-- 100`). `cargo test --benches` runs a short
//! smoke version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kernel::auth::{Answer, FlowOptions, FlowState, InputRequest, LoginHandler};
use kernel::Kernel;
use serde_json::{json, Value};
use tokio::sync::{oneshot, watch, Notify};

/// Where a scripted flow is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Discovering,
    AwaitingInput,
    Done,
}

struct Flow {
    stage: watch::Sender<Stage>,
    /// When AWAITING_INPUT was published.
    published: Mutex<Option<Instant>>,
    /// Signalled when an event stream for this flow is open.
    streaming: Notify,
}

impl Flow {
    fn publish(&self) -> Instant {
        let now = Instant::now();
        *self.published.lock().unwrap() = Some(now);
        self.stage.send_replace(Stage::AwaitingInput);
        now
    }
}

#[derive(Default)]
struct Server {
    flows: Mutex<HashMap<String, Arc<Flow>>>,
    /// The events endpoint answers 404 when false.
    sse: std::sync::atomic::AtomicBool,
}

impl Server {
    fn flow(&self, id: &str) -> Option<Arc<Flow>> {
        self.flows.lock().unwrap().get(id).cloned()
    }

    fn add(&self, id: &str) -> Arc<Flow> {
        let flow = Arc::new(Flow {
            stage: watch::channel(Stage::Discovering).0,
            published: Mutex::new(None),
            streaming: Notify::new(),
        });
        self.flows
            .lock()
            .unwrap()
            .insert(id.to_string(), flow.clone());
        flow
    }
}

fn fields() -> Value {
    json!([{"name": "password", "type": "password", "label": "Password", "selector": "#password", "required": true}])
}

fn state_event(stage: Stage) -> Value {
    let (status, step) = match stage {
        Stage::Discovering => ("IN_PROGRESS", "DISCOVERING"),
        Stage::AwaitingInput => ("IN_PROGRESS", "AWAITING_INPUT"),
        Stage::Done => ("SUCCESS", "COMPLETED"),
    };
    let mut event = json!({
        "event": "managed_auth_state",
        "timestamp": chrono::Utc::now(),
        "flow_status": status,
        "flow_step": step,
    });
    if stage == Stage::AwaitingInput {
        event["discovered_fields"] = fields();
    }
    event
}

fn connection(id: &str, stage: Stage) -> Value {
    let event = state_event(stage);
    let mut connection = json!({
        "id": id,
        "profile_name": "bench",
        "domain": "bench.example",
        "status": if stage == Stage::Done { "AUTHENTICATED" } else { "NEEDS_AUTH" },
        "save_credentials": false,
        "record_session": false,
        "flow_status": event["flow_status"],
        "flow_step": event["flow_step"],
        "flow_type": "LOGIN",
    });
    if stage == Stage::AwaitingInput {
        connection["discovered_fields"] = fields();
    }
    connection
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"code": "not_found", "message": "not found"})),
    )
        .into_response()
}

async fn read(State(server): State<Arc<Server>>, Path(id): Path<String>) -> Response {
    match server.flow(&id) {
        Some(flow) => Json(connection(&id, *flow.stage.borrow())).into_response(),
        None => not_found(),
    }
}

async fn login(Path(id): Path<String>) -> Json<Value> {
    Json(json!({
        "id": id,
        "flow_type": "LOGIN",
        "hosted_url": "https://hosted.example/login/bench",
        "flow_expires_at": chrono::Utc::now() + chrono::Duration::minutes(10),
    }))
}

async fn submit(State(server): State<Arc<Server>>, Path(id): Path<String>) -> Response {
    match server.flow(&id) {
        Some(flow) => {
            flow.stage.send_replace(Stage::Done);
            (StatusCode::ACCEPTED, Json(json!({"accepted": true}))).into_response()
        }
        None => not_found(),
    }
}

async fn events(State(server): State<Arc<Server>>, Path(id): Path<String>) -> Response {
    let Some(flow) = server
        .flow(&id)
        .filter(|_| server.sse.load(std::sync::atomic::Ordering::SeqCst))
    else {
        return not_found();
    };
    let stage = flow.stage.subscribe();
    // The current stage, then each change; ends after the terminal one.
    let stream = futures::stream::unfold(Some((flow, stage, true)), |cursor| async move {
        let (flow, mut stage, first) = cursor?;
        if !first {
            stage.changed().await.ok()?;
        }
        let current = *stage.borrow_and_update();
        if first {
            flow.streaming.notify_one();
        }
        let frame = format!(
            "event: managed_auth_state\ndata: {}\n\n",
            state_event(current)
        );
        let next = (current != Stage::Done).then_some((flow, stage, false));
        Some((Ok::<_, std::convert::Infallible>(Bytes::from(frame)), next))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// Starts the server on its own thread and runtime; `nodelay` sets
/// `TCP_NODELAY` on accepted connections (axum's default leaves Nagle's
/// algorithm on).
fn start_server(nodelay: bool) -> (String, Arc<Server>) {
    let server = Arc::new(Server::default());
    let state = server.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = Router::new()
                .route("/auth/connections/{id}", get(read))
                .route("/auth/connections/{id}/login", post(login))
                .route("/auth/connections/{id}/submit", post(submit))
                .route("/auth/connections/{id}/events", get(events))
                .with_state(state);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            let listener = axum::serve::ListenerExt::tap_io(listener, move |tcp| {
                if nodelay {
                    let _ = tcp.set_nodelay(true);
                }
            });
            axum::serve(listener, app).await.unwrap();
        });
    });
    (rx.recv().unwrap(), server)
}

/// Records when it is asked for input.
struct Probe {
    asked: Option<oneshot::Sender<Instant>>,
}

impl LoginHandler for Probe {
    async fn on_input(&mut self, _: &InputRequest) -> kernel::Result<Answer> {
        let now = Instant::now();
        if let Some(asked) = self.asked.take() {
            let _ = asked.send(now);
        }
        Ok(Answer::fields([("password", "pw")]))
    }

    async fn on_state(&mut self, _: &FlowState) {}
}

/// A small xorshift generator: uniform poll phases without a dependency.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Rng(seed | 1)
    }

    /// Uniform in `[0, max)`.
    fn below(&mut self, max: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        max.mul_f64((self.0 >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// One flow followed by `LoginFlow::run`; the state is published `delay`
/// after the flow starts (for SSE: after the stream is open).
async fn run_flow(
    kernel: &Kernel,
    server: &Server,
    id: String,
    delay: Duration,
    sse: bool,
) -> Duration {
    let flow_state = server.add(&id);
    let flow = kernel
        .auth()
        .connections()
        .start_login(&id)
        .send()
        .await
        .expect("login")
        .with_options(FlowOptions::default());
    let (asked_tx, asked) = oneshot::channel();
    let run = tokio::spawn(async move {
        flow.run(&mut Probe {
            asked: Some(asked_tx),
        })
        .await
    });
    if sse {
        tokio::time::timeout(Duration::from_secs(10), flow_state.streaming.notified())
            .await
            .expect("the stream opened");
    }
    tokio::time::sleep(delay).await;
    let published = flow_state.publish();
    let asked = tokio::time::timeout(Duration::from_secs(30), asked)
        .await
        .expect("asked in time")
        .expect("asked");
    let outcome = run.await.unwrap().expect("the flow ran");
    assert!(outcome.is_success(), "{outcome:?}");
    server.flows.lock().unwrap().remove(&id);
    asked.saturating_duration_since(published)
}

/// The seed's loop: read, submit if awaiting input, sleep 2000 ms, repeat.
async fn seed_loop(kernel: &Kernel, server: &Server, id: String, delay: Duration) -> Duration {
    let flow_state = server.add(&id);
    let connections = kernel.auth().connections();
    connections.login(&id).send().await.expect("login");
    let publisher = {
        let flow_state = flow_state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            flow_state.publish()
        })
    };
    let mut seen = None;
    loop {
        let state = connections.get(&id).send().await.expect("read");
        if state.flow_status.as_ref().map(|s| s.as_str()) != Some("IN_PROGRESS") {
            break;
        }
        let awaiting = state.flow_step.as_ref().map(|s| s.as_str()) == Some("AWAITING_INPUT");
        if awaiting
            && state
                .discovered_fields
                .as_ref()
                .is_some_and(|f| !f.is_empty())
        {
            seen = Some(Instant::now());
            let body = Answer::fields([("password", "pw")]).to_submit_request();
            connections
                .submit(&id)
                .body(body)
                .send()
                .await
                .expect("submit");
        }
        tokio::time::sleep(Duration::from_millis(2000)).await;
    }
    let published = publisher.await.unwrap();
    server.flows.lock().unwrap().remove(&id);
    seen.expect("the loop saw the pause")
        .saturating_duration_since(published)
}

struct Summary {
    median: Duration,
    p95: Duration,
    min: Duration,
    max: Duration,
}

fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort();
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    };
    let p95 = samples[((n as f64 * 0.95).ceil() as usize).clamp(1, n) - 1];
    Summary {
        median,
        p95,
        min: samples[0],
        max: samples[n - 1],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, samples: Vec<Duration>) -> Summary {
    let n = samples.len();
    let s = summarize(samples);
    println!(
        "{name:<32} n={n:<4} median {:>10}   p95 {:>10}   min {:>10}   max {:>10}",
        ms(s.median),
        ms(s.p95),
        ms(s.min),
        ms(s.max)
    );
    s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then
    // a short smoke run.
    let benching = args.iter().any(|a| a == "--bench");
    let runs: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(if benching { 50 } else { 5 });
    let (base, server) = start_server(true);
    let (nagle_base, nagle_server) = start_server(false);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let kernel = Kernel::builder().api_key("sk_bench").base_url(&base).build().unwrap();
        let mut rng = Rng::new();
        println!("auth reaction latency: server publishes AWAITING_INPUT -> LoginHandler::on_input, {runs} runs each");

        // Warm-up: connections, code paths.
        server.sse.store(true, std::sync::atomic::Ordering::SeqCst);
        for i in 0..3 {
            run_flow(&kernel, &server, format!("warm-{i}"), Duration::from_millis(5), true).await;
        }

        let mut sse = Vec::new();
        for i in 0..runs {
            let delay = Duration::from_millis(5) + rng.below(Duration::from_millis(20));
            sse.push(run_flow(&kernel, &server, format!("sse-{i}"), delay, true).await);
        }
        let sse = report("SSE (event stream)", sse);

        // The same against a server that leaves Nagle's algorithm on: a
        // small frame written while the previous one is unacknowledged
        // waits for the client's delayed ACK.
        let nagle_kernel = Kernel::builder().api_key("sk_bench").base_url(&nagle_base).build().unwrap();
        nagle_server.sse.store(true, std::sync::atomic::Ordering::SeqCst);
        run_flow(&nagle_kernel, &nagle_server, "warm".into(), Duration::from_millis(5), true).await;
        let mut nagle = Vec::new();
        for i in 0..runs {
            let delay = Duration::from_millis(5) + rng.below(Duration::from_millis(20));
            nagle.push(run_flow(&nagle_kernel, &nagle_server, format!("sse-{i}"), delay, true).await);
        }
        report("SSE, server without TCP_NODELAY", nagle);

        server.sse.store(false, std::sync::atomic::Ordering::SeqCst);
        let poll = FlowOptions::default().poll_interval;
        let flows: Vec<_> = (0..runs)
            .map(|i| {
                let delay = rng.below(poll * 2);
                let (kernel, server) = (kernel.clone(), server.clone());
                tokio::spawn(async move { run_flow(&kernel, &server, format!("poll-{i}"), delay, false).await })
            })
            .collect();
        let mut polled = Vec::new();
        for flow in flows {
            polled.push(flow.await.unwrap());
        }
        let polled = report(&format!("polling fallback ({} ms)", poll.as_millis()), polled);

        let loops: Vec<_> = (0..runs)
            .map(|i| {
                let delay = rng.below(Duration::from_millis(4000));
                let (kernel, server) = (kernel.clone(), server.clone());
                tokio::spawn(async move { seed_loop(&kernel, &server, format!("seed-{i}"), delay).await })
            })
            .collect();
        let mut seed = Vec::new();
        for flow in loops {
            seed.push(flow.await.unwrap());
        }
        report("seed loop (2000 ms polling)", seed);

        let goal = Duration::from_millis(50);
        println!(
            "goal: SSE median <= {} -> {} ({}x faster than the polling fallback's median)",
            ms(goal),
            if sse.median <= goal { "met" } else { "NOT MET" },
            (polled.median.as_secs_f64() / sse.median.as_secs_f64().max(1e-6)).round()
        );
    });
}
