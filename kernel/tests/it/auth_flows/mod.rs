//! Managed Auth login flows, one test per path, through the `kernel` crate
//! against the in-process `kernel_mock::KernelMock` (its scripted sites, fast
//! step delays, fault knobs and request log).
//!
//! Paths that need exact control over what the server sends (repeated
//! events, unknown steps, stale readings) are in `auth_scripted.rs`; tracing
//! and `Debug` redaction in `auth_secrets.rs`.
//!
//! Here: the helpers and recording handlers the tests share; the tests, by
//! path, in the submodules.

mod ensure_logged_in;
mod event_stream_failures;
mod expiry_and_cancellation;
mod failures;
mod happy_paths;
mod hosted;
mod legacy;
mod stream_api;

use kernel::auth::{
    Answer, CredentialAnswers, FlowOptions, FlowState, InputRequest, LoginFlow, LoginHandler,
    Outcome,
};
use kernel::{types, Kernel};
use kernel_mock::sites::{PASSWORD, USERNAME};
use kernel_mock::KernelMock;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::oneshot;

const STEP: Duration = Duration::from_millis(20);
const EVENTS_OP: &str = "getAuthConnectionsEventsById";

async fn mock() -> KernelMock {
    KernelMock::builder()
        .step_delay(STEP)
        .start()
        .await
        .expect("mock")
}

fn fast() -> FlowOptions {
    FlowOptions {
        poll_interval: Duration::from_millis(50),
        ..FlowOptions::default()
    }
}

async fn connection(kernel: &Kernel, domain: &str, profile: &str) -> String {
    kernel
        .auth()
        .connections()
        .create()
        .body(
            types::ManagedAuthCreateRequest::builder()
                .domain(domain)
                .profile_name(profile),
        )
        .send()
        .await
        .expect("create connection")
        .id
}

async fn start(kernel: &Kernel, id: &str) -> LoginFlow {
    kernel
        .auth()
        .connections()
        .start_login(id)
        .send()
        .await
        .expect("start login")
        .with_options(fast())
}

/// The bodies of the `POST /auth/connections/{id}/submit` requests the mock
/// received, oldest first.
fn submits(mock: &KernelMock, id: &str) -> Vec<Value> {
    let path = format!("/auth/connections/{id}/submit");
    mock.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .map(|r| r.body_json().unwrap_or(Value::Null))
        .collect()
}

/// Requests to `path` with `method`.
fn count(mock: &KernelMock, method: &str, path: &str) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .count()
}

fn field_names(body: &Value) -> BTreeSet<String> {
    body["fields"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn credentials() -> CredentialAnswers {
    CredentialAnswers::new()
        .value("username", USERNAME)
        .value("password", PASSWORD)
}

fn success(outcome: Outcome) -> types::ManagedAuth {
    match outcome {
        Outcome::Success(connection) => *connection,
        other => panic!("expected a success, got {other:?}"),
    }
}

/// Wraps a handler and records what it saw.
struct Recording<H> {
    inner: H,
    states: Vec<FlowState>,
    inputs: Vec<InputRequest>,
    external: Vec<Option<String>>,
}

impl<H> Recording<H> {
    fn new(inner: H) -> Self {
        Self {
            inner,
            states: Vec::new(),
            inputs: Vec::new(),
            external: Vec::new(),
        }
    }

    fn names(&self) -> Vec<String> {
        self.states.iter().map(FlowState::name).collect()
    }

    /// No state was yielded twice in a row, and no pause twice at all.
    fn assert_no_repeats(&self) {
        for pair in self.states.windows(2) {
            assert_ne!(
                pair[0], pair[1],
                "a state was yielded twice in a row: {:#?}",
                self.states
            );
        }
        let pauses: Vec<&FlowState> = self
            .states
            .iter()
            .filter(|s| matches!(s, FlowState::AwaitingInput(_)))
            .collect();
        for (i, a) in pauses.iter().enumerate() {
            for b in &pauses[i + 1..] {
                assert_ne!(a, b, "a pause was yielded twice: {:#?}", self.states);
            }
        }
    }
}

impl<H: LoginHandler> LoginHandler for Recording<H> {
    async fn on_input(&mut self, request: &InputRequest) -> kernel::Result<Answer> {
        self.inputs.push(request.clone());
        self.inner.on_input(request).await
    }

    async fn on_external_action(
        &mut self,
        message: Option<&str>,
        fallback: &InputRequest,
    ) -> kernel::Result<Option<Answer>> {
        self.external.push(message.map(str::to_string));
        self.inner.on_external_action(message, fallback).await
    }

    async fn on_state(&mut self, state: &FlowState) {
        self.states.push(state.clone());
        self.inner.on_state(state).await
    }
}

/// A handler that must never be asked anything.
struct NeverAsked;

impl LoginHandler for NeverAsked {
    async fn on_input(&mut self, request: &InputRequest) -> kernel::Result<Answer> {
        panic!("the handler was asked for input: {request:?}")
    }
}

/// A handler that never answers (a user who walked away); tells the test
/// when it is first asked.
struct NeverAnswers(Option<oneshot::Sender<()>>);

impl LoginHandler for NeverAnswers {
    async fn on_input(&mut self, _: &InputRequest) -> kernel::Result<Answer> {
        if let Some(asked) = self.0.take() {
            let _ = asked.send(());
        }
        futures::future::pending().await
    }
}

/// Answers each login form with the next of these passwords.
struct Attempts(std::collections::VecDeque<&'static str>);

impl Attempts {
    fn new(passwords: &[&'static str]) -> Self {
        Self(passwords.iter().copied().collect())
    }
}

impl LoginHandler for Attempts {
    async fn on_input(&mut self, _: &InputRequest) -> kernel::Result<Answer> {
        let password = self.0.pop_front().expect("asked more often than expected");
        Ok(Answer::fields([
            ("username", USERNAME),
            ("password", password),
        ]))
    }
}
