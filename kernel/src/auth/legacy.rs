//! The legacy auth-agent invocation flow (`/agents/auth`,
//! `/agents/auth/invocations`), deprecated in the spec in favour of
//! connections but the one the programmatic-flow guide documents.
//!
//! Same [`FlowState`]s and [`LoginHandler`] as [`LoginFlow`](super::LoginFlow),
//! over the legacy API's lowercase `step` values and its `field_values` /
//! `sso_button` / `selected_mfa_type` submit shapes. It works by polling (the
//! legacy API has no event stream) and stops at the invocation's
//! `expires_at` (5 minutes after creation).
//!
//! ```no_run
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! use kernel::auth::{legacy::LegacyFlow, CredentialAnswers};
//! let mut answers = CredentialAnswers::new().value("username", "me").value("password", "pw");
//! let flow = LegacyFlow::start(&kernel, "github.com", "github-profile", None).await?;
//! let outcome = flow.run(&mut answers).await?;
//! # Ok(()) }
//! ```
#![allow(deprecated)]

use super::driver::{drive, transient, wait_end, Driver, Tracker};
use super::state::{Failure, FlowOptions, FlowState, InputRequest, LoginHandler, Outcome};
use super::Answer;
use crate::error::{Error, Result};
use crate::types;
use crate::Kernel;
use std::time::Duration;
use tokio::sync::watch;

/// The state of a legacy invocation.
pub fn state_of(invocation: &types::AgentAuthInvocationResponse) -> FlowState {
    FlowState::from_parts(
        invocation.status.as_str(),
        invocation.step.as_str(),
        InputRequest {
            fields: invocation.pending_fields.clone().unwrap_or_default(),
            mfa_options: invocation.mfa_options.clone().unwrap_or_default(),
            sso_buttons: invocation.pending_sso_buttons.clone().unwrap_or_default(),
            sign_in_options: invocation.sign_in_options.clone().unwrap_or_default(),
            website_error: None,
        },
        invocation.external_action_message.clone(),
        Failure {
            code: None,
            message: invocation.error_message.clone(),
            recoverable: None,
        },
    )
}

/// A legacy auth-agent invocation, followed by polling.
#[derive(Debug)]
pub struct LegacyFlow {
    kernel: Kernel,
    invocation_id: String,
    options: FlowOptions,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    tracker: Tracker,
    last: Option<types::AgentAuthInvocationResponse>,
    first: bool,
    finished: bool,
    cancel: watch::Receiver<bool>,
    cancel_tx: watch::Sender<bool>,
    started: tokio::time::Instant,
}

impl LegacyFlow {
    /// Creates an auth agent for `domain` and `profile` and starts an
    /// invocation; credentials submitted are saved as `save_credential_as`.
    pub async fn start(
        kernel: &Kernel,
        domain: &str,
        profile: &str,
        save_credential_as: Option<&str>,
    ) -> Result<Self> {
        let agents = kernel.auth().agents();
        let agent = agents
            .create()
            .body(
                types::AuthAgentCreateRequest::builder()
                    .domain(domain)
                    .profile_name(profile),
            )
            .send()
            .await?;
        let mut body = types::AuthAgentInvocationCreateRequest::builder().auth_agent_id(agent.id);
        if let Some(name) = save_credential_as {
            body = body.save_credential_as(name.to_string());
        }
        let created = agents.create_invocation().body(body).send().await?;
        Ok(Self::follow(
            kernel,
            &created.invocation_id,
            Some(created.expires_at),
        ))
    }

    /// Follows invocation `invocation_id`.
    pub fn follow(
        kernel: &Kernel,
        invocation_id: &str,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        let (cancel_tx, cancel) = watch::channel(false);
        Self {
            kernel: kernel.clone(),
            invocation_id: invocation_id.to_string(),
            options: FlowOptions::default(),
            expires_at,
            tracker: Tracker::new(FlowOptions::default().poll_interval),
            last: None,
            first: true,
            finished: false,
            cancel,
            cancel_tx,
            started: tokio::time::Instant::now(),
        }
    }

    /// Replaces the flow's options (poll interval, input timeout).
    pub fn with_options(mut self, options: FlowOptions) -> Self {
        self.tracker = Tracker::new(options.poll_interval);
        self.options = options;
        self
    }

    /// The invocation id.
    pub fn invocation_id(&self) -> &str {
        &self.invocation_id
    }

    /// Stops the flow: it ends as canceled.
    pub fn cancel(&self) {
        let _ = self.cancel_tx.send(true);
    }

    /// A handle that cancels this flow from elsewhere, e.g. while
    /// [`run`](Self::run) owns it.
    pub fn cancel_handle(&self) -> super::CancelHandle {
        super::CancelHandle::new(self.cancel_tx.clone())
    }

    /// Submits an answer to the current pause.
    pub async fn submit(&mut self, answer: Answer) -> Result<()> {
        let body = answer.to_legacy_request()?;
        self.kernel
            .auth()
            .agents()
            .submit_invocation(&self.invocation_id)
            .body(body)
            .send()
            .await?;
        self.tracker.answered();
        Ok(())
    }

    /// The next new state, `None` after a terminal one.
    pub async fn next_state(&mut self) -> Option<Result<FlowState>> {
        loop {
            if self.finished {
                return None;
            }
            if *self.cancel.borrow() {
                self.finished = true;
                return Some(Ok(FlowState::Canceled));
            }
            // Past the invocation's expiry (or the flow's longest wait) with
            // no final state, even if every read failed: it expired.
            let expired = self
                .expires_at
                .is_some_and(|at| at + chrono::Duration::seconds(5) < chrono::Utc::now());
            if expired || self.started.elapsed() > self.options.max_duration {
                self.finished = true;
                return Some(Ok(FlowState::Expired));
            }
            if !self.first {
                let mut cancel = self.cancel.clone();
                tokio::select! {
                    _ = tokio::time::sleep(self.options.poll_interval) => {}
                    _ = cancel.changed() => continue,
                }
            }
            self.first = false;
            let state = match self
                .kernel
                .auth()
                .agents()
                .get_invocation(&self.invocation_id)
                .send()
                .await
            {
                Ok(invocation) => {
                    self.expires_at = Some(invocation.expires_at);
                    let state = state_of(&invocation);
                    self.last = Some(invocation);
                    state
                }
                Err(e) => {
                    if transient(&e) {
                        continue;
                    }
                    return Some(Err(e));
                }
            };
            // The documented 5-minute expiry, enforced client-side too.
            let state = match self.expires_at {
                Some(at)
                    if !state.is_terminal()
                        && at + chrono::Duration::seconds(5) < chrono::Utc::now() =>
                {
                    FlowState::Expired
                }
                _ => state,
            };
            if let Some(state) = self.tracker.accept(state) {
                self.finished = state.is_terminal();
                return Some(Ok(state));
            }
        }
    }

    /// Drives the flow to its end with `handler` answering each pause once.
    pub async fn run<H: LoginHandler>(
        mut self,
        handler: &mut H,
    ) -> Result<Outcome<types::AgentAuthInvocationResponse>> {
        drive(&mut self, handler).await
    }

    /// Follows the flow to its end without answering.
    pub async fn wait(mut self) -> Result<Outcome<types::AgentAuthInvocationResponse>> {
        wait_end(&mut self).await
    }
}

impl Driver for LegacyFlow {
    type Done = types::AgentAuthInvocationResponse;
    async fn next_state(&mut self) -> Option<Result<FlowState>> {
        LegacyFlow::next_state(self).await
    }
    async fn submit(&mut self, answer: Answer) -> Result<()> {
        LegacyFlow::submit(self, answer).await
    }
    async fn outcome(
        &mut self,
        state: FlowState,
    ) -> Result<Outcome<types::AgentAuthInvocationResponse>> {
        Ok(match state {
            FlowState::Success => match &self.last {
                Some(last) => Outcome::Success(Box::new(last.clone())),
                None => return Err(Error::Protocol("success without an invocation".into())),
            },
            FlowState::Failed(failure) => Outcome::Failed(failure),
            FlowState::Expired => Outcome::Expired,
            _ => Outcome::Canceled,
        })
    }
    fn input_timeout(&self) -> Option<Duration> {
        self.options.input_timeout
    }
    fn cancel_signal(&self) -> watch::Receiver<bool> {
        self.cancel.clone()
    }
}
