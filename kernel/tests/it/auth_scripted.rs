//! Login flows against hand-scripted servers (axum) that send exactly the
//! events a test needs: the same state several times, a step this version
//! does not know, an `AUTHENTICATED` reading while a re-auth runs, a flow
//! the server never ends.
//!
//! The server replays the script on every event-stream connection: phase
//! `i` of [`Script::phases`] is sent once `i` submits were received. `GET
//! /auth/connections/{id}` answers [`Script::connection`] of the number of
//! submits so far.

use kernel_testkit::client::within;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use kernel::auth::{Answer, FlowOptions, FlowState, InputRequest, LoginHandler, Outcome};
use kernel::Kernel;
use serde_json::{json, Value};
use tokio::sync::watch;

const ID: &str = "ma_scripted";

type ConnectionFn = Arc<dyn Fn(usize) -> Value + Send + Sync>;

struct Script {
    /// Events per phase; phase `i` is sent once `i` submits were received.
    phases: Vec<Vec<Value>>,
    /// `GET /auth/connections/{id}` for a number of submits.
    connection: ConnectionFn,
    /// `POST /auth/connections` answers 409 `already_exists` with this id.
    conflict: bool,
    /// The `flow_expires_at` of `POST /login`.
    expires_at: DateTime<Utc>,
    /// Keep the event stream open after the last phase.
    hang: bool,
}

impl Script {
    fn new(
        phases: Vec<Vec<Value>>,
        connection: impl Fn(usize) -> Value + Send + Sync + 'static,
    ) -> Self {
        Script {
            phases,
            connection: Arc::new(connection),
            conflict: false,
            expires_at: Utc::now() + chrono::Duration::minutes(10),
            hang: false,
        }
    }
}

struct Shared {
    script: Script,
    submits: watch::Sender<usize>,
    bodies: Mutex<Vec<Value>>,
    requests: Mutex<Vec<String>>,
}

impl Shared {
    fn log(&self, line: String) {
        self.requests.lock().unwrap().push(line);
    }
}

struct Server {
    base: String,
    shared: Arc<Shared>,
}

impl Server {
    fn kernel(&self) -> Kernel {
        Kernel::builder()
            .api_key("sk_test")
            .base_url(&self.base)
            .build()
            .unwrap()
    }

    fn submits(&self) -> Vec<Value> {
        self.shared.bodies.lock().unwrap().clone()
    }

    fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().unwrap().clone()
    }

    fn count(&self, line: &str) -> usize {
        self.requests().iter().filter(|r| *r == line).count()
    }
}

async fn serve(script: Script) -> Server {
    let shared = Arc::new(Shared {
        script,
        submits: watch::channel(0).0,
        bodies: Mutex::default(),
        requests: Mutex::default(),
    });
    let app = Router::new()
        .route("/auth/connections", post(create))
        .route("/auth/connections/{id}", get(read))
        .route("/auth/connections/{id}/login", post(login))
        .route("/auth/connections/{id}/submit", post(submit))
        .route("/auth/connections/{id}/events", get(events))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    Server { base, shared }
}

async fn create(State(shared): State<Arc<Shared>>) -> Response {
    shared.log("POST /auth/connections".into());
    if shared.script.conflict {
        let body = json!({"code": "already_exists", "message": "Auth connection already exists", "existing_id": ID});
        return (StatusCode::CONFLICT, Json(body)).into_response();
    }
    (StatusCode::CREATED, Json((shared.script.connection)(0))).into_response()
}

async fn read(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Json<Value> {
    shared.log(format!("GET /auth/connections/{id}"));
    let submits = *shared.submits.borrow();
    Json((shared.script.connection)(submits))
}

async fn login(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Json<Value> {
    shared.log(format!("POST /auth/connections/{id}/login"));
    Json(json!({
        "id": id,
        "flow_type": "LOGIN",
        "hosted_url": "https://hosted.example/login/abc",
        "flow_expires_at": shared.script.expires_at,
    }))
}

async fn submit(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    shared.log(format!("POST /auth/connections/{id}/submit"));
    shared.bodies.lock().unwrap().push(body);
    shared.submits.send_modify(|n| *n += 1);
    (StatusCode::ACCEPTED, Json(json!({"accepted": true}))).into_response()
}

async fn events(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    shared.log(format!("GET /auth/connections/{id}/events"));
    struct Cursor {
        shared: Arc<Shared>,
        phase: usize,
        queue: std::collections::VecDeque<Value>,
    }
    let cursor = Cursor {
        shared,
        phase: 0,
        queue: Default::default(),
    };
    let stream = futures::stream::unfold(cursor, |mut cursor| async move {
        loop {
            if let Some(event) = cursor.queue.pop_front() {
                let name = event["event"]
                    .as_str()
                    .unwrap_or("managed_auth_state")
                    .to_string();
                let frame = format!("event: {name}\ndata: {event}\n\n");
                return Some((
                    Ok::<_, std::convert::Infallible>(Bytes::from(frame)),
                    cursor,
                ));
            }
            if cursor.phase >= cursor.shared.script.phases.len() {
                if cursor.shared.script.hang {
                    futures::future::pending::<()>().await;
                }
                return None;
            }
            let mut submits = cursor.shared.submits.subscribe();
            let phase = cursor.phase;
            submits.wait_for(|n| *n >= phase).await.ok()?;
            cursor
                .queue
                .extend(cursor.shared.script.phases[phase].iter().cloned());
            cursor.phase += 1;
        }
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// A `managed_auth_state` event.
fn event(status: &str, step: &str, extra: Value) -> Value {
    let mut event = json!({
        "event": "managed_auth_state",
        "timestamp": Utc::now(),
        "flow_status": status,
        "flow_step": step,
    });
    if let (Some(map), Value::Object(extra)) = (event.as_object_mut(), extra) {
        map.extend(extra);
    }
    event
}

fn password_field() -> Value {
    json!([{"name": "password", "type": "password", "label": "Password", "selector": "#password", "required": true}])
}

fn awaiting_password() -> Value {
    event(
        "IN_PROGRESS",
        "AWAITING_INPUT",
        json!({"discovered_fields": password_field()}),
    )
}

/// A `ManagedAuth`: `status`, and the flow's `(flow_status, flow_step)`.
fn connection(status: &str, flow: Option<(&str, &str)>, extra: Value) -> Value {
    let mut connection = json!({
        "id": ID,
        "profile_name": "scripted",
        "domain": "scripted.example",
        "status": status,
        "save_credentials": true,
        "record_session": false,
    });
    let map = connection.as_object_mut().unwrap();
    if let Some((flow_status, flow_step)) = flow {
        map.insert("flow_status".into(), flow_status.into());
        map.insert("flow_step".into(), flow_step.into());
        map.insert("flow_type".into(), "LOGIN".into());
    }
    if let Value::Object(extra) = extra {
        map.extend(extra);
    }
    connection
}

fn fast() -> FlowOptions {
    FlowOptions {
        poll_interval: Duration::from_millis(50),
        ..FlowOptions::default()
    }
}

/// Answers every pause with a password and counts the calls.
#[derive(Default)]
struct Counting {
    inputs: Vec<InputRequest>,
    states: Vec<FlowState>,
}

impl LoginHandler for Counting {
    async fn on_input(&mut self, request: &InputRequest) -> kernel::Result<Answer> {
        self.inputs.push(request.clone());
        Ok(Answer::fields([("password", "pw")]))
    }

    async fn on_state(&mut self, state: &FlowState) {
        self.states.push(state.clone());
    }
}

// ---- tests -------------------------------------------------------------------------

/// The server sends the same AWAITING_INPUT three times: one pause, one
/// handler call, one submit.
#[tokio::test]
async fn repeated_state_events_are_answered_once() {
    let script = Script::new(
        vec![
            vec![
                awaiting_password(),
                awaiting_password(),
                awaiting_password(),
            ],
            vec![
                event("IN_PROGRESS", "SUBMITTING", json!({})),
                event("SUCCESS", "COMPLETED", json!({})),
            ],
        ],
        // Reads lag behind (still DISCOVERING): the pause comes from the
        // three events only.
        |submits| match submits {
            0 => connection(
                "NEEDS_AUTH",
                Some(("IN_PROGRESS", "DISCOVERING")),
                json!({}),
            ),
            _ => connection("AUTHENTICATED", Some(("SUCCESS", "COMPLETED")), json!({})),
        },
    );
    let server = serve(script).await;
    let kernel = server.kernel();
    let flow = kernel
        .auth()
        .connections()
        .start_login(ID)
        .send()
        .await
        .unwrap()
        .with_options(fast());
    let mut handler = Counting::default();
    let outcome = within(Duration::from_secs(10), flow.run(&mut handler))
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(handler.inputs.len(), 1, "{:#?}", handler.states);
    assert_eq!(server.submits().len(), 1);
    assert_eq!(
        server.count(&format!("POST /auth/connections/{ID}/submit")),
        1
    );
    let names: Vec<String> = handler.states.iter().map(FlowState::name).collect();
    assert_eq!(
        names,
        ["DISCOVERING", "AWAITING_INPUT", "SUBMITTING", "SUCCESS"]
    );
}

/// An unknown `flow_step` is yielded as `FlowState::Unknown`, not acted on.
#[tokio::test]
async fn unknown_step_is_yielded_and_not_acted_on() {
    let unknown = || {
        event(
            "IN_PROGRESS",
            "AWAITING_HUMAN_INTERVENTION",
            json!({"x_new_field": {"nested": true}}),
        )
    };
    // Reads show the flow in the unknown step; only the stream says it ended.
    let script = Script::new(
        vec![vec![unknown(), event("SUCCESS", "COMPLETED", json!({}))]],
        |_| {
            connection(
                "NEEDS_AUTH",
                Some(("IN_PROGRESS", "AWAITING_HUMAN_INTERVENTION")),
                json!({}),
            )
        },
    );
    let server = serve(script).await;
    let kernel = server.kernel();
    let mut flow = kernel
        .auth()
        .connections()
        .start_login(ID)
        .send()
        .await
        .unwrap()
        .with_options(fast());
    let mut states = Vec::new();
    within(Duration::from_secs(10), async {
        while let Some(state) = flow.next_state().await {
            states.push(state.unwrap());
        }
    })
    .await;
    let expected = FlowState::Unknown {
        status: "IN_PROGRESS".into(),
        step: "AWAITING_HUMAN_INTERVENTION".into(),
    };
    assert_eq!(states, [expected, FlowState::Success]);
    assert!(server.submits().is_empty(), "nothing was submitted");

    // The same with a handler: never asked, success.
    let flow = kernel
        .auth()
        .connections()
        .start_login(ID)
        .send()
        .await
        .unwrap()
        .with_options(fast());
    let mut handler = Counting::default();
    let outcome = within(Duration::from_secs(10), flow.run(&mut handler))
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert!(handler.inputs.is_empty());
    assert!(server.submits().is_empty());
}

/// `ensure_logged_in` on a connection that reads `AUTHENTICATED` while a
/// re-auth flow is in progress follows that flow to its end.
#[tokio::test]
async fn stale_authenticated_reading_during_a_reauth_is_not_done() {
    let expires = Utc::now() + chrono::Duration::minutes(5);
    let mut script = Script::new(
        vec![
            vec![awaiting_password()],
            vec![
                event("IN_PROGRESS", "SUBMITTING", json!({})),
                event("SUCCESS", "COMPLETED", json!({})),
            ],
        ],
        move |submits| match submits {
            0 => connection(
                "AUTHENTICATED",
                Some(("IN_PROGRESS", "AWAITING_INPUT")),
                json!({"flow_expires_at": expires, "flow_type": "REAUTH", "discovered_fields": password_field()}),
            ),
            _ => connection(
                "AUTHENTICATED",
                Some(("SUCCESS", "COMPLETED")),
                json!({"flow_type": "REAUTH"}),
            ),
        },
    );
    script.conflict = true;
    let server = serve(script).await;
    let kernel = server.kernel();
    let mut handler = Counting::default();
    let outcome = within(
        Duration::from_secs(10),
        kernel
            .auth()
            .connections()
            .ensure_logged_in("scripted.example", "scripted", &mut handler)
            .send(),
    )
    .await
    .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        handler.inputs.len(),
        1,
        "the re-auth's pause was answered: {:?}",
        server.requests()
    );
    assert_eq!(server.submits().len(), 1);
    assert_eq!(
        server.count(&format!("POST /auth/connections/{ID}/login")),
        0,
        "the running flow was followed"
    );
}

/// An `AUTHENTICATED` connection whose last flow is over needs nothing.
#[tokio::test]
async fn authenticated_without_a_running_flow_returns_at_once() {
    let past = Utc::now() - chrono::Duration::minutes(5);
    let mut script = Script::new(vec![], move |_| {
        // A flow still marked IN_PROGRESS but long expired is stale too.
        connection(
            "AUTHENTICATED",
            Some(("IN_PROGRESS", "AWAITING_INPUT")),
            json!({"flow_expires_at": past}),
        )
    });
    script.conflict = true;
    let server = serve(script).await;
    let kernel = server.kernel();
    let started = Instant::now();
    let mut handler = Counting::default();
    let outcome = within(
        Duration::from_secs(10),
        kernel
            .auth()
            .connections()
            .ensure_logged_in("scripted.example", "scripted", &mut handler)
            .send(),
    )
    .await
    .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        server.requests(),
        [
            "POST /auth/connections".to_string(),
            format!("GET /auth/connections/{ID}")
        ]
    );
}

/// A server that never ends the flow: the flow expires client-side shortly
/// after `flow_expires_at`.
#[tokio::test]
async fn flow_the_server_never_ends_expires_client_side() {
    let mut script = Script::new(
        vec![vec![event("IN_PROGRESS", "DISCOVERING", json!({}))]],
        |_| {
            connection(
                "NEEDS_AUTH",
                Some(("IN_PROGRESS", "DISCOVERING")),
                json!({}),
            )
        },
    );
    script.expires_at = Utc::now() + chrono::Duration::milliseconds(500);
    script.hang = true;
    let server = serve(script).await;
    let kernel = server.kernel();
    let flow = kernel
        .auth()
        .connections()
        .start_login(ID)
        .send()
        .await
        .unwrap()
        .with_options(fast());
    let started = Instant::now();
    let outcome = within(Duration::from_secs(10), flow.run(&mut Counting::default()))
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Expired);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(8),
        "{elapsed:?}"
    );
}

/// A state the event stream never sends is caught by the reconcile read.
#[tokio::test]
async fn state_missed_by_the_stream_is_caught_by_a_read() {
    let mut script = Script::new(
        vec![
            vec![event("IN_PROGRESS", "DISCOVERING", json!({}))],
            vec![event("SUCCESS", "COMPLETED", json!({}))],
        ],
        |submits| match submits {
            0 => connection(
                "NEEDS_AUTH",
                Some(("IN_PROGRESS", "AWAITING_INPUT")),
                json!({"discovered_fields": password_field()}),
            ),
            _ => connection("AUTHENTICATED", Some(("SUCCESS", "COMPLETED")), json!({})),
        },
    );
    script.hang = true;
    let server = serve(script).await;
    let kernel = server.kernel();
    let options = FlowOptions {
        reconcile_interval: Duration::from_millis(200),
        ..fast()
    };
    let flow = kernel
        .auth()
        .connections()
        .start_login(ID)
        .send()
        .await
        .unwrap()
        .with_options(options);
    let mut handler = Counting::default();
    let outcome = within(Duration::from_secs(10), flow.run(&mut handler))
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(handler.inputs.len(), 1);
    assert_eq!(server.submits().len(), 1);
}

/// The event stream closes at once, without an event, every time: the
/// flow must fall back on reads at `poll_interval` rather than wait on
/// reconnects.
#[tokio::test]
async fn stream_closing_without_events_falls_back_to_polling() {
    let script = Script::new(vec![], |submits| match submits {
        0 => connection(
            "NEEDS_AUTH",
            Some(("IN_PROGRESS", "AWAITING_INPUT")),
            json!({"discovered_fields": password_field()}),
        ),
        _ => connection("AUTHENTICATED", Some(("SUCCESS", "COMPLETED")), json!({})),
    });
    let server = serve(script).await;
    let kernel = server.kernel();
    let flow = kernel
        .auth()
        .connections()
        .start_login(ID)
        .send()
        .await
        .unwrap()
        .with_options(fast());
    let mut handler = Counting::default();
    let started = Instant::now();
    let outcome = within(Duration::from_secs(10), flow.run(&mut handler))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(handler.inputs.len(), 1);
    assert_eq!(server.submits().len(), 1);
    let streams = server.count(&format!("GET /auth/connections/{ID}/events"));
    let reads = server.count(&format!("GET /auth/connections/{ID}"));
    assert!(
        elapsed < Duration::from_secs(3),
        "took {elapsed:?} with a 50 ms poll interval ({streams} event streams, {reads} reads)"
    );
}
