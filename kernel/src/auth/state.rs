//! What a login flow is in, what it asks for and how it ends: the types a
//! [`LoginHandler`] sees.

use super::Answer;
use crate::error::Result;
use crate::types;
use std::future::Future;
use std::time::Duration;

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
    /// The flow was canceled (server-side, or by [`LoginFlow::cancel`](super::LoginFlow::cancel)).
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

/// Tuning of a [`LoginFlow`](super::LoginFlow).
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
