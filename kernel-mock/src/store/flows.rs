//! Login flows: the state clients see and the handle of the task that runs
//! the flow (the engine is `crate::flows`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::sites::{Field, MfaChoice, SignInChoice, SsoChoice};

/// `flow_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlowStatus {
    InProgress,
    Success,
    Failed,
    Expired,
    Canceled,
}

impl FlowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowStatus::InProgress => "IN_PROGRESS",
            FlowStatus::Success => "SUCCESS",
            FlowStatus::Failed => "FAILED",
            FlowStatus::Expired => "EXPIRED",
            FlowStatus::Canceled => "CANCELED",
        }
    }

    pub fn is_terminal(self) -> bool {
        self != FlowStatus::InProgress
    }
}

/// `flow_step` (legacy: `step`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlowStep {
    Initialized,
    Discovering,
    AwaitingInput,
    AwaitingExternalAction,
    Submitting,
    Completed,
}

impl FlowStep {
    /// The Managed Auth value (`initialized` has none: `DISCOVERING`).
    pub fn managed(self) -> &'static str {
        match self {
            FlowStep::Initialized | FlowStep::Discovering => "DISCOVERING",
            FlowStep::AwaitingInput => "AWAITING_INPUT",
            FlowStep::AwaitingExternalAction => "AWAITING_EXTERNAL_ACTION",
            FlowStep::Submitting => "SUBMITTING",
            FlowStep::Completed => "COMPLETED",
        }
    }

    /// The legacy invocation value; an expired flow's step is `expired`.
    pub fn legacy(self, status: FlowStatus) -> &'static str {
        if status == FlowStatus::Expired {
            return "expired";
        }
        match self {
            FlowStep::Initialized => "initialized",
            FlowStep::Discovering => "discovering",
            FlowStep::AwaitingInput => "awaiting_input",
            FlowStep::AwaitingExternalAction => "awaiting_external_action",
            FlowStep::Submitting => "submitting",
            FlowStep::Completed => "completed",
        }
    }
}

/// `flow_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlowType {
    Login,
    Reauth,
}

impl FlowType {
    pub fn upper(self) -> &'static str {
        match self {
            FlowType::Login => "LOGIN",
            FlowType::Reauth => "REAUTH",
        }
    }

    pub fn lower(self) -> &'static str {
        match self {
            FlowType::Login => "login",
            FlowType::Reauth => "reauth",
        }
    }
}

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

/// A flow and its task.
pub(crate) struct Flow {
    pub view: FlowView,
    pub save_credential_as: Option<String>,
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
