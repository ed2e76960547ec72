//! Managed Auth login flows, one test per path, through the `kernel` crate
//! against the in-process `kernel_mock::KernelMock` (its scripted sites, fast
//! step delays, fault knobs and request log).
//!
//! Paths that need exact control over what the server sends (repeated
//! events, unknown steps, stale readings) are in `auth_scripted.rs`; tracing
//! and `Debug` redaction in `auth_secrets.rs`.

use kernel_testkit::client::{on_fake, within};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use kernel::auth::legacy::LegacyFlow;
use kernel::auth::{
    Answer, CredentialAnswers, FlowOptions, FlowState, InputRequest, LoginFlow, LoginHandler,
    Outcome, Totp,
};
use kernel::{types, Kernel};
use kernel_mock::sites::{PASSWORD, SMS_CODE, TOTP_SECRET, USERNAME};
use kernel_mock::{FaultRule, Field, Form, KernelMock, OnWrong, Site, Step};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

const STEP: Duration = Duration::from_millis(20);
const EVENTS_OP: &str = "getAuthConnectionsEventsById";

// ---- helpers ---------------------------------------------------------------

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

// ---- happy paths -------------------------------------------------------------

#[tokio::test]
async fn username_and_password() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "pw").await;
    let mut handler = Recording::new(credentials());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    let connection = success(outcome);
    assert_eq!(connection.id, id);
    assert_eq!(
        connection.status,
        kernel::types::ManagedAuthStatus::Authenticated
    );
    assert!(mock.profile_has_auth_state("pw"));
    assert_eq!(handler.inputs.len(), 1);
    let names: Vec<&str> = handler.inputs[0]
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["username", "password"]);
    assert_eq!(
        handler.names(),
        ["DISCOVERING", "AWAITING_INPUT", "SUBMITTING", "SUCCESS"]
    );
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["fields"]["username"], USERNAME);
    assert_eq!(bodies[0]["fields"]["password"], PASSWORD);
}

#[tokio::test]
async fn password_then_totp_from_a_secret() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "totp.example", "totp").await;
    let mut handler = Recording::new(credentials().totp_secret(TOTP_SECRET).unwrap());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    assert_eq!(handler.inputs.len(), 2, "login form, then the code");
    assert_eq!(handler.inputs[1].fields[0].name, "totp_code");
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 2);
    let code = bodies[1]["fields"]["totp_code"]
        .as_str()
        .unwrap()
        .to_string();
    // The code is the RFC 6238 code of the secret (this or the previous step).
    let totp = Totp::from_base32(TOTP_SECRET).unwrap();
    let now = std::time::SystemTime::now();
    assert!(
        code == totp.code_at(now) || code == totp.code_at(now - Duration::from_secs(30)),
        "{code} is not the current code"
    );
    handler.assert_no_repeats();
}

/// Asks "the user" for codes over a channel, like a UI would.
struct Typist {
    prompts: mpsc::UnboundedSender<InputRequest>,
    codes: mpsc::UnboundedReceiver<String>,
}

impl LoginHandler for Typist {
    async fn on_input(&mut self, request: &InputRequest) -> kernel::Result<Answer> {
        if !request.mfa_options.is_empty() {
            return Ok(Answer::MfaOption("sms".into()));
        }
        if request.fields.iter().any(|f| f.name == "username") {
            return Ok(Answer::fields([
                ("username", USERNAME),
                ("password", PASSWORD),
            ]));
        }
        let field = request.fields[0].name.clone();
        self.prompts
            .send(request.clone())
            .expect("the user is there");
        let code = self.codes.recv().await.expect("the user typed a code");
        Ok(Answer::fields([(field, code)]))
    }
}

#[tokio::test]
async fn two_factor_code_typed_by_the_user() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "mfa-choice.example", "typed").await;
    let (prompts_tx, mut prompts) = mpsc::unbounded_channel();
    let (codes, codes_rx) = mpsc::unbounded_channel();
    let flow = start(&kernel, &id).await;
    let run = tokio::spawn(async move {
        flow.run(&mut Typist {
            prompts: prompts_tx,
            codes: codes_rx,
        })
        .await
    });
    // The user sees the prompt, reads the SMS and types the code.
    let prompt = within(Duration::from_secs(10), prompts.recv())
        .await
        .expect("a prompt");
    assert_eq!(prompt.fields.len(), 1);
    assert_eq!(prompt.fields[0].name, "sms_code");
    assert_eq!(
        prompt.fields[0].type_,
        kernel::types::DiscoveredFieldType::Code
    );
    assert!(
        prompt.fields[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("0123"),
        "{prompt:?}"
    );
    codes.send(SMS_CODE.to_string()).unwrap();
    let outcome = within(Duration::from_secs(10), run).await.unwrap().unwrap();
    success(outcome);
    assert!(prompts.try_recv().is_err(), "asked only once");
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[2]["fields"]["sms_code"], SMS_CODE);
}

#[tokio::test]
async fn sso_button_by_provider() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "sso.example", "sso").await;
    let mut handler = Recording::new(CredentialAnswers::new().sso("github"));
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    let connection = success(outcome);
    assert_eq!(connection.sso_provider.as_deref(), Some("github"));
    assert_eq!(handler.inputs.len(), 1);
    let providers: Vec<&str> = handler.inputs[0]
        .sso_buttons
        .iter()
        .map(|b| b.provider.as_str())
        .collect();
    assert_eq!(providers, ["google", "github"]);
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["sso_provider"], "github");
    assert!(
        bodies[0]
            .get("sso_button_selector")
            .is_none_or(Value::is_null),
        "{}",
        bodies[0]
    );
}

#[tokio::test]
async fn sso_button_by_selector_with_the_stream_api() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "sso.example", "sso-selector").await;
    let mut flow = start(&kernel, &id).await;
    let mut seen = Vec::new();
    let mut selector = None;
    within(Duration::from_secs(10), async {
        while let Some(state) = flow.next_state().await {
            let state = state.unwrap();
            seen.push(state.name());
            if let FlowState::AwaitingInput(request) = &state {
                let button = request
                    .sso_buttons
                    .iter()
                    .find(|b| b.provider == "google")
                    .expect("a google button");
                selector = Some(button.selector.clone());
                flow.submit(Answer::SsoButton(button.selector.clone()))
                    .await
                    .unwrap();
            }
        }
    })
    .await;
    assert_eq!(seen.last().map(String::as_str), Some("SUCCESS"), "{seen:?}");
    assert_eq!(
        seen.iter().filter(|s| *s == "AWAITING_INPUT").count(),
        1,
        "{seen:?}"
    );
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["sso_button_selector"].as_str(),
        selector.as_deref()
    );
    let connection = kernel.auth().connections().get(&id).send().await.unwrap();
    assert_eq!(connection.sso_provider.as_deref(), Some("google"));
}

#[tokio::test]
async fn mfa_selection_then_a_code() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "mfa-choice.example", "mfa").await;
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = asked.clone();
    let answers = credentials().mfa("sms").on_missing(move |field| {
        log.lock().unwrap().push(field.name.clone());
        Ok(SMS_CODE.to_string())
    });
    let mut handler = Recording::new(answers);
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    assert_eq!(
        *asked.lock().unwrap(),
        ["sms_code"],
        "only the code was prompted"
    );
    assert_eq!(handler.inputs.len(), 3);
    let offered: Vec<&str> = handler.inputs[1]
        .mfa_options
        .iter()
        .map(|o| o.type_.as_str())
        .collect();
    assert_eq!(offered, ["sms", "totp", "push"]);
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert_eq!(
        field_names(&bodies[0]),
        BTreeSet::from(["username".to_string(), "password".to_string()])
    );
    assert_eq!(bodies[1]["mfa_option_id"], "sms");
    assert_eq!(bodies[2]["fields"]["sms_code"], SMS_CODE);
    handler.assert_no_repeats();
}

#[tokio::test]
async fn mfa_selection_picks_totp_when_a_secret_is_known() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "mfa-choice.example", "mfa-totp").await;
    let mut handler = Recording::new(credentials().totp_secret(TOTP_SECRET).unwrap());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert_eq!(bodies[1]["mfa_option_id"], "totp");
    assert_eq!(
        bodies[2]["fields"]["totp_code"].as_str().map(str::len),
        Some(6)
    );
}

#[tokio::test]
async fn push_approval_completes_by_itself() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "push.example", "push").await;
    let mut handler = Recording::new(credentials());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    assert_eq!(
        handler.external,
        [Some(
            "Tap 'Yes' on the sign-in prompt on your phone".to_string()
        )]
    );
    assert_eq!(handler.inputs.len(), 1, "only the login form was asked");
    assert_eq!(
        submits(&mock, &id).len(),
        1,
        "nothing was submitted for the push"
    );
    let names = handler.names();
    let at = names
        .iter()
        .position(|n| n == "AWAITING_EXTERNAL_ACTION")
        .expect("the push pause");
    assert_eq!(names.last().map(String::as_str), Some("SUCCESS"));
    assert!(at < names.len() - 1);
}

// ---- wrong input and failures ---------------------------------------------------

#[tokio::test]
async fn wrong_password_then_the_right_one() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "wrong-password.example", "wrong").await;
    let answers = CredentialAnswers::new()
        .value("username", USERNAME)
        .value("password", "not-the-password")
        .on_missing(|field| {
            Ok(if field.name == "password" {
                PASSWORD.to_string()
            } else {
                panic!("asked for {}", field.name)
            })
        });
    let mut handler = Recording::new(answers);
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    assert_eq!(
        handler.inputs.len(),
        2,
        "the re-asked form is a new pause: {:#?}",
        handler.states
    );
    assert_eq!(handler.inputs[0].website_error, None);
    assert_eq!(
        handler.inputs[1].website_error.as_deref(),
        Some("Incorrect password")
    );
    let bodies = submits(&mock, &id);
    assert_eq!(bodies.len(), 2, "exactly two submits: {bodies:?}");
    assert_eq!(mock.request_count("postAuthConnectionsSubmit"), 2);
    assert_eq!(bodies[0]["fields"]["password"], "not-the-password");
    assert_eq!(bodies[1]["fields"]["password"], PASSWORD);
    assert_eq!(
        bodies[1]["fields"]["username"], USERNAME,
        "the username is kept"
    );
}

async fn fails_with(domain: &str, handler: CredentialAnswers, code: &str) {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, domain, "failing").await;
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut { handler }),
    )
    .await
    .unwrap();
    match outcome {
        Outcome::Failed(failure) => {
            assert_eq!(failure.code.as_deref(), Some(code), "{failure:?}");
            assert!(
                failure.message.as_deref().is_some_and(|m| !m.is_empty()),
                "{failure:?}"
            );
        }
        other => panic!("expected {code}, got {other:?}"),
    }
    assert!(!mock.profile_has_auth_state("failing"));
}

#[tokio::test]
async fn failure_credentials_invalid() {
    let answers = CredentialAnswers::new()
        .value("username", USERNAME)
        .value("password", "nope");
    fails_with("password.example", answers, "credentials_invalid").await;
}

#[tokio::test]
async fn failure_bot_detected() {
    fails_with("bot.example", CredentialAnswers::new(), "bot_detected").await;
}

#[tokio::test]
async fn failure_captcha_blocked() {
    fails_with("captcha.example", credentials(), "captcha_blocked").await;
}

// ---- expiry, cancellation, dropped futures ------------------------------------------

#[tokio::test]
async fn expiry() {
    let mock = KernelMock::builder()
        .step_delay(STEP)
        .flow_ttl(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "slow.example", "slow").await;
    let started = Instant::now();
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut NeverAsked),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::Expired);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cancel_while_waiting_for_input() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "cancel").await;
    let flow = start(&kernel, &id).await;
    let cancel = flow.cancel_handle();
    let (asked, asked_rx) = oneshot::channel();
    tokio::spawn(async move {
        asked_rx.await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        cancel.cancel();
    });
    let outcome = within(
        Duration::from_secs(10),
        flow.run(&mut NeverAnswers(Some(asked))),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::Canceled);
    assert!(submits(&mock, &id).is_empty());
}

#[tokio::test]
async fn cancel_the_stream_api() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "slow.example", "cancel-stream").await;
    let mut flow = start(&kernel, &id).await;
    let cancel = flow.cancel_handle();
    let first = within(Duration::from_secs(10), flow.next_state())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, FlowState::Discovering);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        cancel.cancel();
    });
    let next = within(Duration::from_secs(5), flow.next_state())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next, FlowState::Canceled);
    assert!(
        flow.next_state().await.is_none(),
        "the stream ends after CANCELED"
    );
}

/// Dropping `run` (here through a timeout) stops everything: no task left
/// on the client's runtime, no more requests, no panic. The mock runs on its
/// own runtime so the client runtime's tasks can be counted.
#[test]
fn dropping_the_run_future_leaves_nothing_running() {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mock = server
        .block_on(KernelMock::builder().step_delay(STEP).start())
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        let kernel = kernel_testkit::client::builder(&mock).http_client(http).build().unwrap();
        // While following the event stream and waiting in the handler.
        let id = connection(&kernel, "password.example", "dropped-sse").await;
        let flow = start(&kernel, &id).await;
        let (asked, asked_rx) = oneshot::channel();
        let mut handler = NeverAnswers(Some(asked));
        let run = flow.run(&mut handler);
        let timed = tokio::time::timeout(Duration::from_secs(5), async {
            tokio::select! {
                result = run => panic!("run ended: {result:?}"),
                _ = async { asked_rx.await.unwrap(); tokio::time::sleep(Duration::from_millis(50)).await } => {}
            }
        });
        timed.await.expect("asked for input");
        // While polling (the event stream is unavailable).
        let id = connection(&kernel, "slow.example", "dropped-poll").await;
        mock.faults().inject(FaultRule::status(404).operation(EVENTS_OP));
        let flow = start(&kernel, &id).await;
        assert!(tokio::time::timeout(Duration::from_millis(400), flow.run(&mut NeverAsked)).await.is_err());
        let polls = count(&mock, "GET", &format!("/auth/connections/{id}"));
        assert!(polls >= 2, "it was polling: {polls}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = mock.requests().len();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(mock.requests().len(), before, "no request after the flow was dropped");
        assert_eq!(tokio::runtime::Handle::current().metrics().num_alive_tasks(), 0, "no task left running");
    });
    drop(runtime);
    drop(mock);
    drop(server);
}

// ---- the event stream failing -----------------------------------------------------

#[tokio::test]
async fn event_stream_dropped_mid_flow() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "totp.example", "dropped").await;
    // Cut after DISCOVERING and the first AWAITING_INPUT.
    mock.faults().drop_sse_after(2);
    let mut handler = Recording::new(credentials().totp_secret(TOTP_SECRET).unwrap());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    handler.assert_no_repeats();
    assert_eq!(handler.inputs.len(), 2, "{:#?}", handler.states);
    assert_eq!(submits(&mock, &id).len(), 2);
    let streams = count(&mock, "GET", &format!("/auth/connections/{id}/events"));
    let reads = count(&mock, "GET", &format!("/auth/connections/{id}"));
    assert!(
        streams >= 2 || reads >= 2,
        "the flow reconciled after the cut (streams {streams}, reads {reads})"
    );
}

#[tokio::test]
async fn event_stream_unavailable_falls_back_to_polling() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "totp.example", "polling").await;
    mock.faults()
        .inject(FaultRule::status(404).operation(EVENTS_OP));
    let mut handler = Recording::new(credentials().totp_secret(TOTP_SECRET).unwrap());
    let outcome = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await
    .unwrap();
    success(outcome);
    handler.assert_no_repeats();
    assert_eq!(handler.inputs.len(), 2);
    assert_eq!(submits(&mock, &id).len(), 2);
    assert!(
        count(&mock, "GET", &format!("/auth/connections/{id}")) >= 3,
        "it polled"
    );
}

/// Every event stream is cut before its first event: the flow must not
/// wait on the stream forever but reach the end by polling.
#[tokio::test]
async fn event_stream_cut_every_time_falls_back_to_polling() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "always-cut").await;
    mock.faults().drop_sse_streams(0, 10_000, Some(EVENTS_OP));
    let mut handler = Recording::new(credentials());
    let result = tokio::time::timeout(
        Duration::from_secs(8),
        start(&kernel, &id).await.run(&mut handler),
    )
    .await;
    let streams = count(&mock, "GET", &format!("/auth/connections/{id}/events"));
    let reads = count(&mock, "GET", &format!("/auth/connections/{id}"));
    let outcome = result.unwrap_or_else(|_| {
        panic!(
            "no outcome after 8 s: {streams} event streams opened, {reads} reads, states seen {:?}",
            handler.names()
        )
    });
    success(outcome.unwrap());
    assert_eq!(submits(&mock, &id).len(), 1);
}

/// While polling, a burst of server errors (more than the transport's
/// retries absorb) is transient: the flow polls again rather than fail.
#[tokio::test]
async fn polling_rides_out_a_burst_of_server_errors() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "burst").await;
    mock.faults()
        .inject(FaultRule::status(404).operation(EVENTS_OP));
    // The first read passes; the next one fails with its two retries.
    mock.faults().inject(
        FaultRule::status(503)
            .operation("getAuthConnectionsById")
            .on_nth(2)
            .times(3),
    );
    let result = within(
        Duration::from_secs(10),
        start(&kernel, &id).await.run(&mut credentials()),
    )
    .await;
    let outcome =
        result.unwrap_or_else(|e| panic!("the flow failed on a transient server error: {e:?}"));
    success(outcome);
}

#[tokio::test]
async fn legacy_polling_rides_out_a_burst_of_server_errors() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let flow = LegacyFlow::start(&kernel, "password.example", "legacy-burst", None)
        .await
        .unwrap()
        .with_options(fast());
    mock.faults().inject(
        FaultRule::status(503)
            .operation("getAgentsAuthInvocationsInvocationId")
            .on_nth(2)
            .times(3),
    );
    let result = within(Duration::from_secs(10), flow.run(&mut credentials())).await;
    let outcome =
        result.unwrap_or_else(|e| panic!("the flow failed on a transient server error: {e:?}"));
    assert!(outcome.is_success(), "{outcome:?}");
}

/// With polling, a rejected form comes back identical (same fields, same
/// `website_error`) if the poll missed the short SUBMITTING phase; it is
/// still a new pause and must be answered.
#[tokio::test]
async fn polling_sees_a_repeated_rejection_as_a_new_pause() {
    let site = Site::builder("retry.example")
        .form(
            Form::new()
                .field(Field::text("username", "Username").expect(USERNAME))
                .field(Field::password("password", "Password").expect(PASSWORD))
                .on_wrong(OnWrong::retry("Incorrect password")),
        )
        .build();
    let mock = KernelMock::builder()
        .step_delay(STEP)
        .site(site)
        .start()
        .await
        .unwrap();
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "retry.example", "retry").await;
    mock.faults()
        .inject(FaultRule::status(404).operation(EVENTS_OP));
    let flow = start(&kernel, &id).await.with_options(FlowOptions {
        poll_interval: Duration::from_millis(200),
        ..fast()
    });
    let mut handler = Recording::new(Attempts::new(&["wrong-1", "wrong-2", PASSWORD]));
    let result = tokio::time::timeout(Duration::from_secs(8), flow.run(&mut handler)).await;
    let outcome = result.unwrap_or_else(|_| {
        panic!(
            "no outcome after 8 s: {} submits reached the server, the handler was asked {} times, states {:?}",
            submits(&mock, &id).len(),
            handler.inputs.len(),
            handler.names()
        )
    });
    success(outcome.unwrap());
    assert_eq!(submits(&mock, &id).len(), 3);
}

// ---- the stream API ---------------------------------------------------------------

/// The seed's programmatic flow, without a handler: `next_state()` and
/// `submit()` from the caller.
#[tokio::test]
async fn stream_api_programmatic_flow() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "totp.example", "programmatic").await;
    let totp = Totp::from_base32(TOTP_SECRET).unwrap();
    let mut flow = start(&kernel, &id).await;
    let mut seen = Vec::new();
    within(Duration::from_secs(10), async {
        while let Some(state) = flow.next_state().await {
            let state = state.unwrap();
            if let FlowState::AwaitingInput(request) = &state {
                let names: Vec<&str> = request.fields.iter().map(|f| f.name.as_str()).collect();
                let answer = if names.contains(&"username") {
                    Answer::fields([("username", USERNAME), ("password", PASSWORD)])
                } else {
                    Answer::fields([(names[0], totp.now())])
                };
                flow.submit(answer).await.unwrap();
            }
            seen.push(state);
        }
    })
    .await;
    assert_eq!(seen.last(), Some(&FlowState::Success), "{seen:#?}");
    assert_eq!(
        seen.iter()
            .filter(|s| matches!(s, FlowState::AwaitingInput(_)))
            .count(),
        2,
        "{seen:#?}"
    );
    for pair in seen.windows(2) {
        assert_ne!(pair[0], pair[1]);
    }
    assert_eq!(submits(&mock, &id).len(), 2);
    assert!(flow.next_state().await.is_none());
}

#[tokio::test]
async fn stream_api_as_a_stream() {
    use futures::StreamExt;
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "bot.example", "states").await;
    let states: Vec<FlowState> = within(
        Duration::from_secs(10),
        start(&kernel, &id)
            .await
            .states()
            .map(Result::unwrap)
            .collect(),
    )
    .await;
    assert_eq!(states.first(), Some(&FlowState::Discovering));
    match states.last() {
        Some(FlowState::Failed(failure)) => {
            assert_eq!(failure.code.as_deref(), Some("bot_detected"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(states.len(), 2, "{states:#?}");
}

// ---- ensure_logged_in -----------------------------------------------------------

#[tokio::test]
async fn ensure_logged_in_twice_logs_in_once() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let connections = kernel.auth().connections();
    let first = within(
        Duration::from_secs(10),
        connections
            .ensure_logged_in("password.example", "ensure", &mut credentials())
            .send(),
    )
    .await
    .unwrap();
    let first = success(first);
    assert_eq!(mock.request_count("postAuthConnectionsLogin"), 1);
    let before = mock.requests().len();
    let started = Instant::now();
    let second = within(
        Duration::from_secs(10),
        connections
            .ensure_logged_in("password.example", "ensure", &mut NeverAsked)
            .send(),
    )
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(success(second).id, first.id);
    let after: Vec<String> = mock.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        mock.request_count("postAuthConnectionsLogin"),
        1,
        "no second login: {after:?}"
    );
    assert!(
        !after
            .iter()
            .any(|r| r.ends_with("/events") || r.ends_with("/submit")),
        "{after:?}"
    );
    assert_eq!(
        after,
        [
            "POST /auth/connections".to_string(),
            format!("GET /auth/connections/{}", first.id)
        ]
    );
    assert!(
        elapsed < Duration::from_secs(1),
        "returned at once: {elapsed:?}"
    );
}

#[tokio::test]
async fn ensure_logged_in_reuses_the_existing_connection_on_409() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let existing = connection(&kernel, "password.example", "existing").await;
    let outcome = within(
        Duration::from_secs(10),
        kernel
            .auth()
            .connections()
            .ensure_logged_in("password.example", "existing", &mut credentials())
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(success(outcome).id, existing);
    assert_eq!(
        mock.request_count("postAuthConnections"),
        2,
        "created once, then the 409"
    );
    assert_eq!(
        count(
            &mock,
            "POST",
            &format!("/auth/connections/{existing}/login")
        ),
        1
    );
    let all = kernel.auth().connections().list().send().await.unwrap();
    assert_eq!(all.len(), 1, "no second connection");
}

/// Seed 001: the credential has the email and the TOTP secret but no
/// password; only the password is asked, the code is filled by Kernel.
#[tokio::test]
async fn partial_credentials_ask_only_for_the_password() {
    let site = Site::builder("partial.example")
        .form(
            Form::new()
                .field(Field::email("email", "Email").expect(USERNAME))
                .field(Field::password("password", "Password").expect(PASSWORD))
                .on_wrong(OnWrong::retry("Incorrect email or password")),
        )
        .step(Step::form(
            Form::new().field(Field::totp("totp_code", "Code")),
        ))
        .build();
    let mock = KernelMock::builder()
        .step_delay(STEP)
        .site(site)
        .start()
        .await
        .unwrap();
    let kernel = on_fake(&mock);
    let values = std::collections::HashMap::from([("email".to_string(), USERNAME.to_string())]);
    kernel
        .credentials()
        .create()
        .body(
            types::CreateCredentialRequest::builder()
                .name("my-login")
                .domain("partial.example")
                .values(values)
                .totp_secret(Some(TOTP_SECRET.into())),
        )
        .send()
        .await
        .unwrap();
    let reference = types::CredentialReference {
        name: Some("my-login".into()),
        auto: None,
        path: None,
        provider: None,
    };
    let mut handler = Recording::new(CredentialAnswers::new().value("password", PASSWORD));
    let outcome = within(
        Duration::from_secs(10),
        kernel
            .auth()
            .connections()
            .ensure_logged_in("partial.example", "partial", &mut handler)
            .credential(reference)
            .send(),
    )
    .await
    .unwrap();
    let connection = success(outcome);
    assert_eq!(handler.inputs.len(), 1, "{:#?}", handler.states);
    let asked: Vec<&str> = handler.inputs[0]
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(asked, ["password"]);
    let bodies = submits(&mock, &connection.id);
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        field_names(&bodies[0]),
        BTreeSet::from(["password".to_string()])
    );
}

// ---- hosted -------------------------------------------------------------------

#[tokio::test]
async fn hosted_flow() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "hosted").await;
    let hosted = kernel
        .auth()
        .connections()
        .start_hosted(&id)
        .send()
        .await
        .unwrap();
    assert!(
        hosted
            .hosted_url
            .starts_with("https://hosted.kernel-mock.invalid/login/"),
        "{}",
        hosted.hosted_url
    );

    let success_url = "https://app.example/done?next=/home&x=1 2";
    let error_url = "https://app.example/error#frag";
    let url = reqwest::Url::parse(&hosted.url(Some(success_url), Some(error_url))).unwrap();
    let base = reqwest::Url::parse(&hosted.hosted_url).unwrap();
    assert_eq!((url.host_str(), url.path()), (base.host_str(), base.path()));
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        [
            ("success_url".to_string(), success_url.to_string()),
            ("error_url".to_string(), error_url.to_string())
        ]
    );
    let only_error = reqwest::Url::parse(&hosted.url(None, Some(error_url))).unwrap();
    assert_eq!(
        only_error.query_pairs().into_owned().collect::<Vec<_>>(),
        [("error_url".to_string(), error_url.to_string())]
    );

    // The user logs in on the hosted page while the app waits.
    let waiting = tokio::spawn(hosted.wait());
    let connections = kernel.auth().connections();
    within(Duration::from_secs(10), async {
        loop {
            let connection = connections.get(&id).send().await.unwrap();
            if connection.flow_step.as_ref().map(|s| s.as_str()) == Some("AWAITING_INPUT") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(!waiting.is_finished());
    let body = Answer::fields([("username", USERNAME), ("password", PASSWORD)]).to_submit_request();
    connections.submit(&id).body(body).send().await.unwrap();
    let outcome = within(Duration::from_secs(10), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(success(outcome).id, id);
}

/// Without redirect URLs the hosted URL is returned as it is (no stray `?`).
#[tokio::test]
async fn hosted_url_without_redirects_is_unchanged() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let id = connection(&kernel, "password.example", "hosted-plain").await;
    let hosted = kernel
        .auth()
        .connections()
        .start_hosted(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(hosted.url(None, None), hosted.hosted_url);
}

// ---- the legacy invocation flow ------------------------------------------------------

#[tokio::test]
async fn legacy_flow_with_two_factor() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let flow = LegacyFlow::start(&kernel, "mfa-choice.example", "legacy", None)
        .await
        .unwrap()
        .with_options(fast());
    let invocation = flow.invocation_id().to_string();
    let mut handler = Recording::new(
        credentials()
            .mfa("sms")
            .on_missing(|_| Ok(SMS_CODE.to_string())),
    );
    let outcome = within(Duration::from_secs(10), flow.run(&mut handler))
        .await
        .unwrap();
    let done = match outcome {
        Outcome::Success(done) => done,
        other => panic!("{other:?}"),
    };
    assert_eq!(done.status.as_str(), "SUCCESS");
    let path = format!("/agents/auth/invocations/{invocation}/submit");
    let bodies: Vec<Value> = mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .filter_map(|r| r.body_json())
        .collect();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert_eq!(bodies[0]["field_values"]["username"], USERNAME);
    assert_eq!(bodies[0]["field_values"]["password"], PASSWORD);
    assert_eq!(bodies[1], serde_json::json!({"selected_mfa_type": "sms"}));
    assert_eq!(
        bodies[2],
        serde_json::json!({"field_values": {"sms_code": SMS_CODE}})
    );
    assert_eq!(handler.inputs.len(), 3);
    handler.assert_no_repeats();
}

#[tokio::test]
async fn legacy_flow_expiry() {
    let mock = KernelMock::builder()
        .step_delay(STEP)
        .flow_ttl(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let kernel = on_fake(&mock);
    let flow = LegacyFlow::start(&kernel, "slow.example", "legacy-slow", None)
        .await
        .unwrap()
        .with_options(fast());
    let outcome = within(Duration::from_secs(10), flow.run(&mut NeverAsked))
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Expired);
}

/// The legacy API has no `website_error`: a rejected form comes back exactly
/// as it was. It is still a new pause and must be answered again.
#[tokio::test]
async fn legacy_flow_wrong_password_then_the_right_one() {
    let mock = mock().await;
    let kernel = on_fake(&mock);
    let flow = LegacyFlow::start(&kernel, "wrong-password.example", "legacy-wrong", None)
        .await
        .unwrap()
        .with_options(fast());
    let invocation = flow.invocation_id().to_string();
    let mut handler = Recording::new(Attempts::new(&["wrong", PASSWORD]));
    let result = tokio::time::timeout(Duration::from_secs(8), flow.run(&mut handler)).await;
    let outcome = result.unwrap_or_else(|_| {
        panic!(
            "no outcome after 8 s: {} submits reached the server, the handler was asked {} times, states {:?}",
            count(&mock, "POST", &format!("/agents/auth/invocations/{invocation}/submit")),
            handler.inputs.len(),
            handler.names()
        )
    });
    let outcome = outcome.unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        count(
            &mock,
            "POST",
            &format!("/agents/auth/invocations/{invocation}/submit")
        ),
        2
    );
}
