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

use super::driver::*;
use super::state::*;
use super::Answer;
use crate::error::{Error, Result};
use crate::sse::EventStream;
use crate::types;
use crate::Kernel;
use futures::{Stream, StreamExt};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::watch;

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
