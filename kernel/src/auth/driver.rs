//! The loop shared by every login flow (Managed Auth connections and the
//! legacy auth agents): states seen once, pauses answered once through the
//! handler, within the flow's deadlines.

use super::state::*;
use super::Answer;
use crate::error::{Error, Result};
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

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
