//! Login flows as typed state machines.
//!
//! A Managed Auth login moves through server-side steps (discovering the
//! form, waiting for input, submitting, waiting for a push approval...) until
//! it succeeds, fails, expires or is canceled. [`LoginFlow`] turns those into
//! [`FlowState`]s driven by the connection's event stream, falls back to
//! polling `GET /auth/connections/{id}` when the stream is unavailable or
//! drops, and reconciles the two so no state is missed or seen twice.
//!
//! Use it either with a [`LoginHandler`] ([`LoginFlow::run`]) or as a
//! [`Stream`] of states plus [`LoginFlow::submit`] for a custom UI.

use super::Answer;
use crate::error::{Error, Result};
use crate::sse::EventStream;
use crate::types;
use crate::Kernel;
use futures::{Stream, StreamExt};
use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// What the flow is asking for while paused for input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InputRequest {
    /// Form fields to fill (`discovered_fields`).
    pub fields: Vec<types::DiscoveredField>,
    /// MFA methods to choose from.
    pub mfa_options: Vec<types::MfaOption>,
    /// SSO buttons that can be clicked.
    pub sso_buttons: Vec<types::SsoButton>,
    /// Non-MFA choices such as account or organization pickers.
    pub sign_in_options: Vec<types::SignInOption>,
    /// The error the website shows, e.g. "Incorrect password".
    pub website_error: Option<String>,
}

impl InputRequest {
    /// Nothing is being asked.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
            && self.mfa_options.is_empty()
            && self.sso_buttons.is_empty()
            && self.sign_in_options.is_empty()
    }
}

/// Why a flow failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Machine-readable code (`error_code`), e.g. `bot_detected`.
    pub code: Option<String>,
    /// Human-readable message (`error_message`).
    pub message: Option<String>,
    /// Whether retrying may help, when the server says.
    pub recoverable: Option<bool>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            self.code.as_deref().unwrap_or("unknown"),
            self.message.as_deref().unwrap_or("login failed")
        )
    }
}

/// A state of a login flow. `#[non_exhaustive]`: new flow steps are a
/// minor release.
///
/// ```compile_fail,E0004
/// fn done(state: &kernel::auth::FlowState) -> bool {
///     use kernel::auth::FlowState::*;
///     match state {
///         Discovering | AwaitingInput(_) | AwaitingExternalAction { .. } | Submitting => false,
///         Success | Failed(_) | Expired | Canceled | Unknown { .. } => true,
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FlowState {
    /// Finding and analysing the login page.
    Discovering,
    /// Paused until [`Answer`]ed.
    AwaitingInput(InputRequest),
    /// Waiting for something outside the browser (a push approval, a
    /// security key); resumes by itself. Fallback inputs may be offered.
    AwaitingExternalAction {
        /// What the user must do, e.g. "Check your phone".
        message: Option<String>,
        /// Inputs that can be used instead (e.g. "enter a code instead").
        fallback: InputRequest,
    },
    /// Processing submitted values.
    Submitting,
    /// Logged in; the profile holds the session.
    Success,
    /// The flow failed.
    Failed(Failure),
    /// The flow expired before it finished.
    Expired,
    /// The flow was canceled.
    Canceled,
    /// A status or step this version does not know, kept verbatim. The flow
    /// does not act on it.
    Unknown {
        /// `flow_status` as sent.
        status: String,
        /// `flow_step` as sent.
        step: String,
    },
}

impl FlowState {
    /// Success, Failed, Expired or Canceled.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            FlowState::Success | FlowState::Failed(_) | FlowState::Expired | FlowState::Canceled
        )
    }

    /// A short name for logs: `AWAITING_INPUT`, `SUCCESS`, ...
    pub fn name(&self) -> String {
        match self {
            FlowState::Discovering => "DISCOVERING".into(),
            FlowState::AwaitingInput(_) => "AWAITING_INPUT".into(),
            FlowState::AwaitingExternalAction { .. } => "AWAITING_EXTERNAL_ACTION".into(),
            FlowState::Submitting => "SUBMITTING".into(),
            FlowState::Success => "SUCCESS".into(),
            FlowState::Failed(_) => "FAILED".into(),
            FlowState::Expired => "EXPIRED".into(),
            FlowState::Canceled => "CANCELED".into(),
            FlowState::Unknown { status, step } => format!("{status}/{step}"),
        }
    }

    /// The state for a status, step and pause contents (upper- or
    /// lower-case, as the two APIs send them).
    pub(crate) fn from_parts(
        status: &str,
        step: &str,
        input: InputRequest,
        external_message: Option<String>,
        failure: Failure,
    ) -> Self {
        match status.to_ascii_uppercase().as_str() {
            "SUCCESS" => return FlowState::Success,
            "FAILED" => return FlowState::Failed(failure),
            "EXPIRED" => return FlowState::Expired,
            "CANCELED" | "CANCELLED" => return FlowState::Canceled,
            "IN_PROGRESS" => {}
            _ => {
                return FlowState::Unknown {
                    status: status.into(),
                    step: step.into(),
                }
            }
        }
        match step.to_ascii_uppercase().as_str() {
            "DISCOVERING" | "INITIALIZED" => FlowState::Discovering,
            "AWAITING_INPUT" => FlowState::AwaitingInput(input),
            "AWAITING_EXTERNAL_ACTION" => FlowState::AwaitingExternalAction {
                message: external_message,
                fallback: input,
            },
            "SUBMITTING" => FlowState::Submitting,
            // COMPLETED while still IN_PROGRESS: the status has not caught up.
            "COMPLETED" => FlowState::Submitting,
            "EXPIRED" => FlowState::Expired,
            _ => FlowState::Unknown {
                status: status.into(),
                step: step.into(),
            },
        }
    }

    /// The state a `managed_auth_state` event describes.
    pub fn from_event(event: &types::ManagedAuthStateEvent) -> Self {
        Self::from_parts(
            event.flow_status.as_str(),
            event.flow_step.as_str(),
            InputRequest {
                fields: event.discovered_fields.clone(),
                mfa_options: event.mfa_options.clone(),
                sso_buttons: event.pending_sso_buttons.clone(),
                sign_in_options: event.sign_in_options.clone(),
                website_error: event.website_error.clone(),
            },
            event.external_action_message.clone(),
            Failure {
                code: event.error_code.clone(),
                message: event.error_message.clone(),
                recoverable: None,
            },
        )
    }

    /// The state of a connection's current flow; `None` when it has none.
    pub fn from_connection(connection: &types::ManagedAuth) -> Option<Self> {
        let status = connection.flow_status.as_ref()?;
        let step = connection
            .flow_step
            .as_ref()
            .map(|s| s.as_str())
            .unwrap_or("");
        Some(Self::from_parts(
            status.as_str(),
            step,
            InputRequest {
                fields: connection.discovered_fields.clone().unwrap_or_default(),
                mfa_options: connection.mfa_options.clone().unwrap_or_default(),
                sso_buttons: connection.pending_sso_buttons.clone().unwrap_or_default(),
                sign_in_options: connection.sign_in_options.clone().unwrap_or_default(),
                website_error: connection.website_error.clone(),
            },
            connection.external_action_message.clone(),
            Failure {
                code: connection.error_code.clone(),
                message: connection.error_message.clone(),
                recoverable: None,
            },
        ))
    }
}

/// How a flow ended. `T` is what a success returns: the auth connection
/// (or, for the legacy API, the invocation).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Outcome<T = types::ManagedAuth> {
    /// Logged in. The connection as it stands after the login.
    Success(Box<T>),
    /// The flow failed.
    Failed(Failure),
    /// The flow expired (server-side, or its `flow_expires_at` passed).
    Expired,
    /// The flow was canceled (server-side, or by [`LoginFlow::cancel`]).
    Canceled,
}

impl<T> Outcome<T> {
    /// Logged in.
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success(_))
    }
}

/// Reacts to a flow's pauses. Only [`on_input`](Self::on_input) is required.
///
/// ```
/// use kernel::auth::{Answer, InputRequest, LoginHandler};
/// struct Fixed;
/// impl LoginHandler for Fixed {
///     async fn on_input(&mut self, request: &InputRequest) -> kernel::Result<Answer> {
///         Ok(Answer::fields([("username", "me"), ("password", "secret")]))
///     }
/// }
/// ```
pub trait LoginHandler: Send {
    /// The flow paused for input: answer it. Called once per pause.
    fn on_input(&mut self, request: &InputRequest) -> impl Future<Output = Result<Answer>> + Send;

    /// The flow waits for an action outside the browser; it resumes by
    /// itself. Return `Some(answer)` to use a fallback input instead.
    fn on_external_action(
        &mut self,
        message: Option<&str>,
        fallback: &InputRequest,
    ) -> impl Future<Output = Result<Option<Answer>>> + Send {
        let _ = (message, fallback);
        async { Ok(None) }
    }

    /// Every new state, for progress display.
    fn on_state(&mut self, state: &FlowState) -> impl Future<Output = ()> + Send {
        let _ = state;
        async {}
    }
}

/// Tuning of a [`LoginFlow`].
#[derive(Clone, Debug)]
pub struct FlowOptions {
    /// Poll interval when the event stream is unavailable (default 1 s).
    pub poll_interval: Duration,
    /// Longest wait for the handler to answer one pause (default none).
    pub input_timeout: Option<Duration>,
    /// Stop waiting after this long even if the server set no expiry.
    pub max_duration: Duration,
    /// While the event stream is healthy, also read the connection this
    /// often (default 5 s), in case the stream missed a state.
    pub reconcile_interval: Duration,
}

impl Default for FlowOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            input_timeout: None,
            max_duration: Duration::from_secs(15 * 60),
            reconcile_interval: Duration::from_secs(5),
        }
    }
}

/// Filters states so each is seen once and each pause answered once.
#[derive(Debug)]
pub(crate) struct Tracker {
    last: Option<FlowState>,
    /// The pause last answered, whether another state was seen since, and
    /// when it was answered.
    answered: Option<(FlowState, bool, tokio::time::Instant)>,
    /// How long a repeat of an answered pause counts as a duplicate of it.
    grace: Duration,
}

impl Tracker {
    /// `Some(state)` if it is new: not the last state seen, and not a repeat
    /// of a pause already answered with nothing else in between. A pause
    /// that comes back with a (different) `website_error` is a new pause.
    ///
    /// The same pause seen again long after it was answered (past `grace`)
    /// is the site asking again, e.g. a form re-shown after a rejection
    /// whose SUBMITTING step a poll did not catch: it is a new pause.
    pub(crate) fn accept(&mut self, state: FlowState) -> Option<FlowState> {
        if let Some((answered, moved_on, at)) = &mut self.answered {
            if *answered == state && !*moved_on {
                if at.elapsed() < self.grace {
                    return None;
                }
                // Asked again: forget the answer so it is a fresh pause.
                self.answered = None;
                self.last = Some(state.clone());
                return Some(state);
            }
            if *answered != state {
                *moved_on = true;
            }
        }
        if self.last.as_ref() == Some(&state) {
            return None;
        }
        self.last = Some(state.clone());
        Some(state)
    }

    /// Records that the current pause was answered.
    pub(crate) fn answered(&mut self) {
        if let Some(
            pause @ (FlowState::AwaitingInput(_) | FlowState::AwaitingExternalAction { .. }),
        ) = &self.last
        {
            self.answered = Some((pause.clone(), false, tokio::time::Instant::now()));
        }
    }

    /// Whether any state was seen.
    pub(crate) fn seen_any(&self) -> bool {
        self.last.is_some()
    }

    /// A tracker for a flow whose state is read every `interval`: a repeat
    /// of an answered pause within two reads is a stale reading, not a new
    /// pause.
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            last: None,
            answered: None,
            grace: Self::grace_for(interval),
        }
    }

    /// The flow now reads its state every `interval`.
    pub(crate) fn set_interval(&mut self, interval: Duration) {
        self.grace = Self::grace_for(interval);
    }

    fn grace_for(interval: Duration) -> Duration {
        (interval * 2).max(Duration::from_millis(500))
    }
}

/// Whether a failed read is worth repeating at the next poll: the server or
/// the network had a moment, the flow goes on.
pub(crate) fn transient(e: &Error) -> bool {
    matches!(e, Error::Connection(_) | Error::Timeout(_))
        || e.status()
            .is_some_and(|s| s.is_server_error() || matches!(s.as_u16(), 408 | 429))
}

/// What both the Managed Auth and the legacy flow provide to the shared
/// handler loop.
pub(crate) trait Driver: Send {
    /// What a success returns.
    type Done: Send;
    fn next_state(&mut self) -> impl Future<Output = Option<Result<FlowState>>> + Send;
    fn submit(&mut self, answer: Answer) -> impl Future<Output = Result<()>> + Send;
    fn outcome(
        &mut self,
        state: FlowState,
    ) -> impl Future<Output = Result<Outcome<Self::Done>>> + Send;
    fn input_timeout(&self) -> Option<Duration>;
    fn cancel_signal(&self) -> watch::Receiver<bool>;
}

/// Drives a flow to its end with `handler` answering each pause once.
pub(crate) async fn drive<D: Driver, H: LoginHandler>(
    driver: &mut D,
    handler: &mut H,
) -> Result<Outcome<D::Done>> {
    while let Some(state) = driver.next_state().await {
        let state = state?;
        handler.on_state(&state).await;
        let answer = match &state {
            FlowState::AwaitingInput(request) if !request.is_empty() => ask(
                driver.input_timeout(),
                driver.cancel_signal(),
                handler.on_input(request),
            )
            .await
            .map(Some),
            FlowState::AwaitingExternalAction { message, fallback } => {
                let call = handler.on_external_action(message.as_deref(), fallback);
                ask(driver.input_timeout(), driver.cancel_signal(), call).await
            }
            _ => Ok(None),
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(_) if *driver.cancel_signal().borrow() => return Ok(Outcome::Canceled),
            Err(e) => return Err(e),
        };
        if let Some(answer) = answer {
            driver.submit(answer).await?;
        }
        if state.is_terminal() {
            return driver.outcome(state).await;
        }
    }
    Err(Error::Protocol(
        "the login flow ended without a final state".into(),
    ))
}

/// Follows a flow to its end without answering anything.
pub(crate) async fn wait_end<D: Driver>(driver: &mut D) -> Result<Outcome<D::Done>> {
    while let Some(state) = driver.next_state().await {
        let state = state?;
        if state.is_terminal() {
            return driver.outcome(state).await;
        }
    }
    Err(Error::Protocol(
        "the login flow ended without a final state".into(),
    ))
}

/// Runs a handler call under the per-input timeout and cancellation.
async fn ask<T>(
    limit: Option<Duration>,
    mut cancel: watch::Receiver<bool>,
    call: impl Future<Output = Result<T>>,
) -> Result<T> {
    let timed = async {
        match limit {
            Some(limit) => tokio::time::timeout(limit, call).await.map_err(|_| {
                Error::Timeout(format!("no answer to the login prompt within {limit:?}"))
            })?,
            None => call.await,
        }
    };
    tokio::select! {
        result = timed => result,
        _ = cancel.wait_for(|c| *c) => Err(Error::InvalidRequest("the login flow was canceled".into())),
    }
}

/// What woke the flow up. Short-lived: the event is not worth boxing.
#[allow(clippy::large_enum_variant)]
enum Wake {
    Event(Option<Result<crate::types::ManagedAuthEvent>>),
    Poll,
    Deadline,
}

/// The connection as it stands. A free function: the flow itself is not
/// `Sync`, so its futures must not hold `&LoginFlow`.
async fn read_connection(kernel: &Kernel, id: &str) -> Result<types::ManagedAuth> {
    kernel.auth().connections().get(id).send().await
}

/// Event streams a flow reopens before it settles for polling.
const MAX_STREAM_DROPS: u32 = 3;

/// Where states come from: the event stream, or polling after it failed.
enum Source {
    Events(EventStream<crate::types::ManagedAuthEvent>),
    Polling,
}

/// A running login of one auth connection.
///
/// As a [`Stream`] it yields each new [`FlowState`] once: repeated events
/// and the state re-read after a reconnect are filtered out. It ends after a
/// terminal state.
pub struct LoginFlow {
    kernel: Kernel,
    connection_id: String,
    options: FlowOptions,
    expires_at: Option<tokio::time::Instant>,
    source: Source,
    queue: VecDeque<FlowState>,
    tracker: Tracker,
    /// Event streams lost so far; after [`MAX_STREAM_DROPS`] the flow polls.
    drops: u32,
    cancel: watch::Receiver<bool>,
    cancel_tx: watch::Sender<bool>,
    finished: bool,
    /// Whether the initial read was done: events published before the
    /// stream connected would otherwise be missed.
    primed: bool,
    started: tokio::time::Instant,
}

impl std::fmt::Debug for LoginFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginFlow")
            .field("connection_id", &self.connection_id)
            .field("tracker", &self.tracker)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// Cancels a [`LoginFlow`] from elsewhere (another task, a signal handler).
#[derive(Clone, Debug)]
pub struct CancelHandle(watch::Sender<bool>);

impl CancelHandle {
    pub(crate) fn new(sender: watch::Sender<bool>) -> Self {
        Self(sender)
    }

    /// Stops the flow: its stream ends with [`FlowState::Canceled`] and
    /// [`LoginFlow::run`] returns [`Outcome::Canceled`].
    pub fn cancel(&self) {
        let _ = self.0.send(true);
    }
}

impl LoginFlow {
    /// Follows the current (or next) flow of connection `connection_id`.
    /// `expires_at` is the flow's `flow_expires_at`, when known.
    pub fn follow(
        kernel: &Kernel,
        connection_id: &str,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        // The flow handles drops itself (a read, then a new stream), so the
        // engine must not retry on its own behind its back.
        let events = kernel
            .auth()
            .connections()
            .events(connection_id)
            .without_reconnect()
            .open();
        let events = crate::sse::or_failed(events);
        let (cancel_tx, cancel) = watch::channel(false);
        let now = tokio::time::Instant::now();
        let expires_at = expires_at.map(|at| {
            let left = (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
            now + left
        });
        Self {
            kernel: kernel.clone(),
            connection_id: connection_id.to_string(),
            options: FlowOptions::default(),
            expires_at,
            source: Source::Events(events),
            queue: VecDeque::new(),
            tracker: Tracker::new(FlowOptions::default().reconcile_interval),
            drops: 0,
            cancel,
            cancel_tx,
            finished: false,
            primed: false,
            started: now,
        }
    }

    /// Replaces the flow's options.
    pub fn with_options(mut self, options: FlowOptions) -> Self {
        self.tracker = Tracker::new(options.poll_interval.max(options.reconcile_interval));
        self.options = options;
        self
    }

    /// The auth connection id.
    pub fn connection_id(&self) -> &str {
        &self.connection_id
    }

    /// A handle that cancels this flow.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.cancel_tx.clone())
    }

    /// Cancels the flow (same as [`CancelHandle::cancel`]).
    pub fn cancel(&self) {
        let _ = self.cancel_tx.send(true);
    }

    /// Submits an answer to the current pause: fields, an SSO provider or
    /// button, an MFA option or a sign-in option. A repeat of the same pause
    /// is not yielded again afterwards, so the pause is answered only once.
    pub async fn submit(&mut self, answer: Answer) -> Result<()> {
        let body = answer.to_submit_request();
        self.kernel
            .auth()
            .connections()
            .submit(&self.connection_id)
            .body(body)
            .send()
            .await?;
        self.tracker.answered();
        Ok(())
    }

    /// Reads the connection once and queues its state if new.
    async fn poll_once(&mut self) -> Result<()> {
        let connection = read_connection(&self.kernel, &self.connection_id).await?;
        match FlowState::from_connection(&connection) {
            Some(state) => self.queue.push_back(state),
            // The flow we followed is gone from the connection: it ended,
            // and the connection's status says how.
            None if self.tracker.seen_any() => self.queue.push_back(match connection.status {
                crate::types::ManagedAuthStatus::Authenticated => FlowState::Success,
                _ => FlowState::Failed(Failure {
                    code: connection.error_code.clone(),
                    message: connection
                        .error_message
                        .clone()
                        .or(Some("the login flow ended".into())),
                    recoverable: None,
                }),
            }),
            None => {}
        }
        Ok(())
    }

    fn deadline(&self) -> tokio::time::Instant {
        let cap = self.started + self.options.max_duration;
        // A little grace: the server decides expiry and may report it late.
        self.expires_at
            .map(|at| (at + Duration::from_secs(5)).min(cap))
            .unwrap_or(cap)
    }

    /// The next new state, `None` after a terminal one.
    pub async fn next_state(&mut self) -> Option<Result<FlowState>> {
        if !self.primed {
            self.primed = true;
            if let Err(e) = self.poll_once().await {
                if !transient(&e) {
                    return Some(Err(e));
                }
            }
        }
        loop {
            if self.finished {
                return None;
            }
            while let Some(state) = self.queue.pop_front() {
                if let Some(state) = self.tracker.accept(state) {
                    if state.is_terminal() {
                        self.finished = true;
                    }
                    return Some(Ok(state));
                }
            }
            if *self.cancel.borrow() {
                self.finished = true;
                return Some(Ok(FlowState::Canceled));
            }
            let deadline = self.deadline();
            let mut cancel = self.cancel.clone();
            let poll_interval = self.options.poll_interval;
            let source = &mut self.source;
            let next = async move {
                match source {
                    Source::Events(events) => Wake::Event(events.next().await),
                    Source::Polling => {
                        tokio::time::sleep(poll_interval).await;
                        Wake::Poll
                    }
                }
            };
            // While events flow, a read every `reconcile_interval` still
            // catches a state the stream missed (e.g. one published before
            // it connected).
            let reconcile = tokio::time::sleep(self.options.reconcile_interval);
            let wake = tokio::select! {
                _ = cancel.changed() => continue,
                _ = tokio::time::sleep_until(deadline) => Wake::Deadline,
                wake = next => wake,
                _ = reconcile => Wake::Poll,
            };
            match wake {
                Wake::Deadline => {
                    // One last look: the server may have finished meanwhile.
                    // Its errors do not matter: the flow is over either way.
                    let _ = self.poll_once().await;
                    if !self.queue.iter().any(FlowState::is_terminal) {
                        self.queue.push_back(FlowState::Expired);
                    }
                }
                Wake::Event(Some(Ok(crate::types::ManagedAuthEvent::Known(
                    types::ManagedAuthEventKnown::ManagedAuthStateEvent(event),
                )))) => self.queue.push_back(FlowState::from_event(&event)),
                // Unknown events and heartbeats carry no state.
                Wake::Event(Some(Ok(_))) => {}
                Wake::Event(Some(Err(Error::Event(event)))) => {
                    tracing::warn!(code = %event.error.code, "error event on the auth connection stream");
                }
                Wake::Event(Some(Err(Error::Decode(e)))) => {
                    tracing::warn!(path = %e.path, "undecodable auth event");
                }
                Wake::Event(other) => {
                    // The stream ended or failed before a terminal state:
                    // reconcile with a read, then reopen it, or poll once it
                    // has dropped too often.
                    if let Some(Err(e)) = other {
                        tracing::info!(error = %e, "auth event stream dropped");
                    }
                    self.drops += 1;
                    self.source = if self.drops <= MAX_STREAM_DROPS {
                        Source::Events(crate::sse::or_failed(
                            self.kernel
                                .auth()
                                .connections()
                                .events(&self.connection_id)
                                .without_reconnect()
                                .open(),
                        ))
                    } else {
                        tracing::info!(
                            drops = self.drops,
                            "auth event stream unavailable; polling"
                        );
                        self.tracker.set_interval(self.options.poll_interval);
                        Source::Polling
                    };
                    if let Err(e) = self.poll_once().await {
                        if !transient(&e) {
                            return Some(Err(e));
                        }
                    }
                }
                Wake::Poll => {
                    if let Err(e) = self.poll_once().await {
                        // Transient errors are retried at the next poll.
                        if !transient(&e) {
                            return Some(Err(e));
                        }
                    }
                }
            }
        }
    }

    /// The states as a [`Stream`].
    pub fn states(self) -> impl Stream<Item = Result<FlowState>> + Send {
        futures::stream::unfold(self, |mut flow| async move {
            flow.next_state().await.map(|item| (item, flow))
        })
    }

    /// Drives the flow to its end with `handler` answering each pause once.
    pub async fn run<H: LoginHandler>(mut self, handler: &mut H) -> Result<Outcome> {
        drive(&mut self, handler).await
    }

    /// Follows the flow to its end without answering anything (the user
    /// answers elsewhere, e.g. on the hosted page).
    pub async fn wait(mut self) -> Result<Outcome> {
        wait_end(&mut self).await
    }

    async fn final_outcome(&mut self, state: FlowState) -> Result<Outcome> {
        Ok(match state {
            FlowState::Success => Outcome::Success(Box::new(
                read_connection(&self.kernel, &self.connection_id).await?,
            )),
            FlowState::Failed(failure) => Outcome::Failed(failure),
            FlowState::Expired => Outcome::Expired,
            _ => Outcome::Canceled,
        })
    }
}

impl Driver for LoginFlow {
    type Done = types::ManagedAuth;
    async fn next_state(&mut self) -> Option<Result<FlowState>> {
        LoginFlow::next_state(self).await
    }
    async fn submit(&mut self, answer: Answer) -> Result<()> {
        LoginFlow::submit(self, answer).await
    }
    async fn outcome(&mut self, state: FlowState) -> Result<Outcome> {
        self.final_outcome(state).await
    }
    fn input_timeout(&self) -> Option<Duration> {
        self.options.input_timeout
    }
    fn cancel_signal(&self) -> watch::Receiver<bool> {
        self.cancel.clone()
    }
}
