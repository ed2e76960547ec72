//! Login flows: the state clients see and the handle of the task that runs
//! the flow (the engine is `crate::flows`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kernel_sys::open;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::sites::{Field, MfaChoice, SignInChoice, SsoChoice};

/// `flow_status`: the spec's values, so a renamed value fails to compile.
pub(crate) type FlowStatus = open::ManagedAuthStateEventFlowStatus;

/// `flow_step` (the legacy `step` is derived: [`FlowView::legacy_step`]).
pub(crate) type FlowStep = open::ManagedAuthStateEventFlowStep;

/// `flow_type` (the legacy `type` is derived: [`FlowView::legacy_type`]).
pub(crate) type FlowType = open::ManagedAuthStateEventFlowType;

/// What an `AWAITING_INPUT` flow waits for.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    None,
    Fields(Vec<Field>),
    Mfa(Vec<MfaChoice>),
    Sso(Vec<SsoChoice>),
    SignIn(Vec<SignInChoice>),
}

impl Pending {
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Pending::None => "nothing",
            Pending::Fields(_) => "field values (`fields`)",
            Pending::Mfa(_) => "an MFA method (`mfa_option_id`)",
            Pending::Sso(_) => "an SSO button (`sso_provider` or `sso_button_selector`)",
            Pending::SignIn(_) => "a sign-in option (`sign_in_option_id`)",
        }
    }
}

/// The client-visible state of a flow.
#[derive(Clone, Debug)]
pub(crate) struct FlowView {
    pub id: String,
    pub connection_id: String,
    pub domain: String,
    pub flow_type: FlowType,
    pub status: FlowStatus,
    pub step: FlowStep,
    pub expires_at: DateTime<Utc>,
    pub pending: Pending,
    pub external_action_message: Option<String>,
    pub website_error: Option<String>,
    pub sso_provider: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub post_login_url: Option<String>,
    pub submitted_fields: Vec<String>,
    pub hosted_url: String,
    pub live_view_url: String,
    pub handoff_code: String,
}

impl FlowView {
    /// `true` once the flow ended (any status but `IN_PROGRESS`).
    pub fn is_terminal(&self) -> bool {
        self.status != FlowStatus::InProgress
    }

    /// The legacy invocation `step`: the managed step in lower case, and
    /// `expired` for an expired flow.
    pub fn legacy_step(&self) -> open::AgentAuthInvocationResponseStep {
        use open::AgentAuthInvocationResponseStep as Legacy;
        if self.status == FlowStatus::Expired {
            return Legacy::Expired;
        }
        match &self.step {
            FlowStep::Discovering => Legacy::Discovering,
            FlowStep::AwaitingInput => Legacy::AwaitingInput,
            FlowStep::AwaitingExternalAction => Legacy::AwaitingExternalAction,
            FlowStep::Submitting => Legacy::Submitting,
            FlowStep::Completed => Legacy::Completed,
            // The mock only sets documented steps.
            other => Legacy::Unknown(other.as_str().to_ascii_lowercase()),
        }
    }

    /// The legacy invocation `type`.
    pub fn legacy_type(&self) -> open::AgentAuthInvocationResponseType {
        use open::AgentAuthInvocationResponseType as Legacy;
        match &self.flow_type {
            FlowType::Login => Legacy::Login,
            FlowType::Reauth => Legacy::Reauth,
            other => Legacy::Unknown(other.as_str().to_ascii_lowercase()),
        }
    }
}

/// A flow and its task.
pub(crate) struct Flow {
    pub view: FlowView,
    pub save_credential_as: Option<String>,
    /// The handoff code was exchanged (it works once).
    pub handoff_used: bool,
    pub(crate) submissions: mpsc::UnboundedSender<Submission>,
    pub(crate) task: Option<AbortHandle>,
}

/// A validated submission.
#[derive(Debug)]
pub(crate) enum Submission {
    Fields(HashMap<String, String>),
    Mfa(String),
    Sso(String),
    SignIn(String),
}

/// A submission as the API received it.
#[derive(Debug)]
pub(crate) enum SubmitInput {
    Fields(HashMap<String, String>),
    MfaOption(String),
    SsoProvider(String),
    SsoSelector(String),
    SignInOption(String),
}
