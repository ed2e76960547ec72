//! A site's login pages: steps, forms and what a form does with wrong values.

use std::time::Duration;

use super::{Field, MfaChoice, SignInChoice, SsoChoice};

/// One login page or event of a [`Site`](super::Site).
#[derive(Clone, Debug)]
pub struct Step {
    pub(crate) kind: StepKind,
}

#[derive(Clone, Debug)]
pub(crate) enum StepKind {
    Form(Form),
    ChooseMfa(Vec<MfaChoice>),
    ChooseSso(Vec<SsoChoice>),
    ChooseSignIn(Vec<SignInChoice>),
    ExternalAction {
        message: String,
        after: Option<Duration>,
    },
    Fail {
        code: String,
        message: String,
    },
    Hang,
}

impl Step {
    /// A form page: `AWAITING_INPUT` with `discovered_fields` (the fields a
    /// stored credential cannot fill).
    pub fn form(form: Form) -> Step {
        Step {
            kind: StepKind::Form(form),
        }
    }

    /// An MFA method choice: `AWAITING_INPUT` with `mfa_options`; the chosen
    /// option's steps run next. A `totp` option is chosen automatically when
    /// the credential has a `totp_secret`.
    pub fn choose_mfa(options: impl IntoIterator<Item = MfaChoice>) -> Step {
        Step {
            kind: StepKind::ChooseMfa(options.into_iter().collect()),
        }
    }

    /// SSO buttons: `AWAITING_INPUT` with `pending_sso_buttons`; the chosen
    /// button's steps run next. The button matching the credential's
    /// `sso_provider` is clicked automatically.
    pub fn choose_sso(buttons: impl IntoIterator<Item = SsoChoice>) -> Step {
        Step {
            kind: StepKind::ChooseSso(buttons.into_iter().collect()),
        }
    }

    /// A non-MFA choice (account or org picker): `AWAITING_INPUT` with
    /// `sign_in_options`; the chosen option's steps run next.
    pub fn choose_sign_in(options: impl IntoIterator<Item = SignInChoice>) -> Step {
        Step {
            kind: StepKind::ChooseSignIn(options.into_iter().collect()),
        }
    }

    /// `AWAITING_EXTERNAL_ACTION` with `external_action_message`, completing
    /// by itself after five step delays.
    pub fn external_action(message: impl Into<String>) -> Step {
        Step {
            kind: StepKind::ExternalAction {
                message: message.into(),
                after: None,
            },
        }
    }

    /// Like [`Step::external_action`], completing after `after`.
    pub fn external_action_after(message: impl Into<String>, after: Duration) -> Step {
        Step {
            kind: StepKind::ExternalAction {
                message: message.into(),
                after: Some(after),
            },
        }
    }

    /// Ends the flow as `FAILED` with `error_code` (use a `ManagedAuthError`
    /// code of the spec, e.g. `bot_detected`) and `error_message`.
    pub fn fail(code: impl Into<String>, message: impl Into<String>) -> Step {
        Step {
            kind: StepKind::Fail {
                code: code.into(),
                message: message.into(),
            },
        }
    }

    /// Never progresses: the flow ends `EXPIRED` at `flow_expires_at`.
    pub fn hang() -> Step {
        Step {
            kind: StepKind::Hang,
        }
    }
}

/// A login form: fields and what happens on wrong values.
#[derive(Clone, Debug)]
pub struct Form {
    pub(crate) fields: Vec<Field>,
    pub(crate) on_wrong: OnWrong,
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl Form {
    /// An empty form; wrong values fail the flow with `credentials_invalid`.
    pub fn new() -> Self {
        Form {
            fields: Vec::new(),
            on_wrong: OnWrong::fail("credentials_invalid", "Invalid credentials"),
        }
    }

    /// Adds a field.
    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    /// What happens when a submitted value is wrong.
    pub fn on_wrong(mut self, on_wrong: OnWrong) -> Self {
        self.on_wrong = on_wrong;
        self
    }
}

/// What a [`Form`] does with a wrong value.
#[derive(Clone, Debug)]
pub struct OnWrong {
    pub(crate) kind: OnWrongKind,
}

#[derive(Clone, Debug)]
pub(crate) enum OnWrongKind {
    Retry {
        website_error: String,
        max_attempts: Option<u32>,
    },
    Fail {
        code: String,
        message: String,
    },
}

impl OnWrong {
    /// Shows `website_error` and asks for the form's fields again, without
    /// limit.
    pub fn retry(website_error: impl Into<String>) -> Self {
        OnWrong {
            kind: OnWrongKind::Retry {
                website_error: website_error.into(),
                max_attempts: None,
            },
        }
    }

    /// Like [`OnWrong::retry`]; the `max_attempts`-th wrong attempt fails the
    /// flow with `max_attempts_reached`.
    pub fn retry_at_most(website_error: impl Into<String>, max_attempts: u32) -> Self {
        OnWrong {
            kind: OnWrongKind::Retry {
                website_error: website_error.into(),
                max_attempts: Some(max_attempts.max(1)),
            },
        }
    }

    /// Fails the flow with `code` and `message`.
    pub fn fail(code: impl Into<String>, message: impl Into<String>) -> Self {
        OnWrong {
            kind: OnWrongKind::Fail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}
