//! What a page asks for: form fields and the MFA, SSO and sign-in choices.

use super::Step;

/// A form field (rendered as a `DiscoveredField`).
#[derive(Clone, Debug)]
pub struct Field {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) label: String,
    pub(crate) placeholder: Option<String>,
    pub(crate) hint: Option<String>,
    pub(crate) expect: Expect,
    pub(crate) one_time: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Expect {
    Exact(String),
    Any,
    Totp,
}

impl Field {
    /// A field named `name` of `DiscoveredField` type `kind` (`text`,
    /// `email`, `password`, `tel`, `number`, `url`, `code` or `totp`)
    /// accepting any value. `code` and `totp` fields are one-time codes, never
    /// saved to credentials.
    pub fn new(name: impl Into<String>, kind: impl Into<String>, label: impl Into<String>) -> Self {
        let kind = kind.into();
        Field {
            name: name.into(),
            one_time: kind == "code" || kind == "totp",
            expect: if kind == "totp" {
                Expect::Totp
            } else {
                Expect::Any
            },
            kind,
            label: label.into(),
            placeholder: None,
            hint: None,
        }
    }

    /// A `text` field.
    pub fn text(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, "text", label)
    }

    /// An `email` field.
    pub fn email(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, "email", label)
    }

    /// A `password` field.
    pub fn password(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, "password", label)
    }

    /// A one-time `code` field (SMS, email codes); set the valid code with
    /// [`Field::expect`].
    pub fn code(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, "code", label)
    }

    /// A `totp` field, valid for the current RFC 6238 code (±1 step) of the
    /// credential's `totp_secret` or the site's secret; filled by the mock
    /// when the credential has a `totp_secret`.
    pub fn totp(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, "totp", label)
    }

    /// Only `value` is accepted.
    pub fn expect(mut self, value: impl Into<String>) -> Self {
        self.expect = Expect::Exact(value.into());
        self
    }

    /// Any value is accepted.
    pub fn any(mut self) -> Self {
        self.expect = Expect::Any;
        self
    }

    /// The field's placeholder.
    pub fn placeholder(mut self, placeholder: impl Into<String>) -> Self {
        self.placeholder = Some(placeholder.into());
        self
    }

    /// Help text shown near the field.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn selector(&self) -> String {
        format!("input[name=\"{}\"]", self.name)
    }
}

/// An MFA option of [`Step::choose_mfa`].
#[derive(Clone, Debug)]
pub struct MfaChoice {
    pub(crate) kind: String,
    pub(crate) label: String,
    pub(crate) target: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) then: Vec<Step>,
}

impl MfaChoice {
    /// An option of `MFAType` `kind` (`sms`, `call`, `email`, `totp`, `push`,
    /// `password`, `switch`), submitted as `mfa_option_id` (legacy:
    /// `selected_mfa_type`).
    pub fn new(kind: impl Into<String>, label: impl Into<String>) -> Self {
        MfaChoice {
            kind: kind.into(),
            label: label.into(),
            target: None,
            description: None,
            then: Vec::new(),
        }
    }

    /// The masked destination (`***-***-0123`).
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Instructions shown with the option.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// A step run when this option is chosen (call repeatedly for several).
    pub fn then(mut self, step: Step) -> Self {
        self.then.push(step);
        self
    }
}

/// An SSO button of [`Step::choose_sso`].
#[derive(Clone, Debug)]
pub struct SsoChoice {
    pub(crate) provider: String,
    pub(crate) label: String,
    pub(crate) then: Vec<Step>,
}

impl SsoChoice {
    /// A button for `provider` (`google`, `github`, ...) labelled `label`;
    /// its selector is `xpath=//button[contains(text(), '<label>')]`.
    pub fn new(provider: impl Into<String>, label: impl Into<String>) -> Self {
        SsoChoice {
            provider: provider.into(),
            label: label.into(),
            then: Vec::new(),
        }
    }

    /// A step run when this button is chosen (call repeatedly for several).
    pub fn then(mut self, step: Step) -> Self {
        self.then.push(step);
        self
    }

    pub(crate) fn selector(&self) -> String {
        format!("xpath=//button[contains(text(), '{}')]", self.label)
    }
}

/// A sign-in option (account or org) of [`Step::choose_sign_in`].
#[derive(Clone, Debug)]
pub struct SignInChoice {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) description: Option<String>,
    pub(crate) then: Vec<Step>,
}

impl SignInChoice {
    /// An option submitted as `sign_in_option_id` = `id`.
    pub fn new(id: impl Into<String>, label: impl Into<String>) -> Self {
        SignInChoice {
            id: id.into(),
            label: label.into(),
            description: None,
            then: Vec::new(),
        }
    }

    /// Additional context (an email address, an org name).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// A step run when this option is chosen (call repeatedly for several).
    pub fn then(mut self, step: Step) -> Self {
        self.then.push(step);
        self
    }
}
