//! Answers to login pauses, and a handler that answers from credentials.

use super::state::{FlowState, InputRequest, LoginHandler};
use super::totp::Totp;
use crate::error::{Error, Result};
use crate::types;
use crate::types::{DiscoveredFieldType as FieldType, MfaType};
use crate::Kernel;
use crate::Secret;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// An answer to a pause. Field values are [`Secret`]s: `Debug` never shows
/// them.
#[derive(Clone, PartialEq)]
pub enum Answer {
    /// Values for the discovered fields, by field name.
    Fields(BTreeMap<String, Secret>),
    /// Click the SSO button of this provider (`google`, `github`, ...).
    SsoProvider(String),
    /// Click the SSO button with this selector.
    SsoButton(String),
    /// Choose this MFA method (`sms`, `totp`, `push`, ...).
    MfaOption(String),
    /// Choose this sign-in option (account or organization), by id.
    SignInOption(String),
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Fields(values) => f
                .debug_tuple("Fields")
                .field(&values.keys().map(|k| (k, "[redacted]")).collect::<Vec<_>>())
                .finish(),
            Answer::SsoProvider(p) => f.debug_tuple("SsoProvider").field(p).finish(),
            Answer::SsoButton(s) => f.debug_tuple("SsoButton").field(s).finish(),
            Answer::MfaOption(m) => f.debug_tuple("MfaOption").field(m).finish(),
            Answer::SignInOption(o) => f.debug_tuple("SignInOption").field(o).finish(),
        }
    }
}

impl Answer {
    /// Field values from `(name, value)` pairs.
    pub fn fields<K: Into<String>, V: Into<Secret>>(
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Answer::Fields(
            values
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The `POST /auth/connections/{id}/submit` body.
    pub fn to_submit_request(&self) -> types::SubmitFieldsRequest {
        let mut body = types::SubmitFieldsRequest {
            fields: Default::default(),
            mfa_option_id: None,
            sign_in_option_id: None,
            sso_button_selector: None,
            sso_provider: None,
        };
        match self {
            Answer::Fields(values) => {
                body.fields = Some(
                    values
                        .iter()
                        .map(|(k, v)| (k.clone(), v.expose().to_string()))
                        .collect(),
                );
            }
            Answer::SsoProvider(provider) => body.sso_provider = Some(provider.clone()),
            Answer::SsoButton(selector) => body.sso_button_selector = Some(selector.clone()),
            Answer::MfaOption(option) => body.mfa_option_id = Some(option.clone()),
            Answer::SignInOption(option) => body.sign_in_option_id = Some(option.clone()),
        }
        body
    }

    /// The legacy `POST /agents/auth/invocations/{id}/submit` body. The
    /// legacy API has no sign-in options and clicks SSO buttons by selector.
    pub fn to_legacy_request(&self) -> Result<types::AgentAuthSubmitRequest> {
        Ok(match self {
            Answer::Fields(values) => types::AgentAuthSubmitRequest::FieldValues(
                values
                    .iter()
                    .map(|(k, v)| (k.clone(), v.expose().to_string()))
                    .collect(),
            ),
            Answer::SsoButton(selector) => {
                types::AgentAuthSubmitRequest::SsoButton(selector.clone())
            }
            Answer::MfaOption(option) => {
                types::AgentAuthSubmitRequest::SelectedMfaType(MfaType::from(option.as_str()))
            }
            Answer::SsoProvider(_) | Answer::SignInOption(_) => {
                return Err(Error::InvalidRequest(format!(
                    "the legacy auth API cannot take {self:?}"
                )))
            }
        })
    }
}

/// Where TOTP codes come from.
#[derive(Clone, Debug)]
enum TotpSource {
    Local(Totp),
    Kernel {
        kernel: Box<Kernel>,
        credential: String,
    },
}

type Prompt<T> = Box<dyn FnMut(&T) -> Result<String> + Send + Sync>;

/// A [`LoginHandler`] that answers from credentials: a map of values, a
/// TOTP secret (or a Kernel credential's TOTP), and preferences for MFA,
/// SSO and sign-in choices. Only what is asked is answered: with a partial
/// credential stored in Kernel, the flow asks only for the missing fields.
///
/// Values are matched to fields by name, then by type (`email` and
/// `password` fields, `code`/`totp` fields get a TOTP code). When a value is
/// missing, or the site rejected the submitted one (`website_error`), the
/// `on_missing` prompt is asked; without one the login fails with a clear
/// error rather than submitting the same wrong values again.
pub struct CredentialAnswers {
    values: BTreeMap<String, Secret>,
    totp: Option<TotpSource>,
    mfa: Option<String>,
    sso: Option<String>,
    sign_in: Option<String>,
    on_missing: Option<Prompt<types::DiscoveredField>>,
    on_mfa: Option<Prompt<Vec<types::MfaOption>>>,
    /// Fields submitted at the last pause.
    submitted: BTreeSet<String>,
}

impl fmt::Debug for CredentialAnswers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialAnswers")
            .field("values", &self.values.keys().collect::<Vec<_>>())
            .field("totp", &self.totp.is_some())
            .field("mfa", &self.mfa)
            .field("sso", &self.sso)
            .field("sign_in", &self.sign_in)
            .finish_non_exhaustive()
    }
}

impl Default for CredentialAnswers {
    fn default() -> Self {
        Self::new()
    }
}

impl CredentialAnswers {
    /// No values yet.
    pub fn new() -> Self {
        Self {
            values: BTreeMap::new(),
            totp: None,
            mfa: None,
            sso: None,
            sign_in: None,
            on_missing: None,
            on_mfa: None,
            submitted: BTreeSet::new(),
        }
    }

    /// The value of field `name` (e.g. `username`, `email`, `password`).
    pub fn value(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Self {
        self.values.insert(name.into(), value.into());
        self
    }

    /// Values from a map.
    pub fn values<K: Into<String>, V: Into<Secret>>(
        mut self,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.values
            .extend(values.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Generates TOTP codes locally from a base32 secret.
    pub fn totp_secret(mut self, secret: &str) -> Result<Self> {
        self.totp = Some(TotpSource::Local(Totp::from_base32(secret)?));
        Ok(self)
    }

    /// Fetches TOTP codes from Kernel for the stored credential
    /// `credential` (`GET /credentials/{id_or_name}/totp-code`).
    pub fn totp_from_credential(mut self, kernel: &Kernel, credential: impl Into<String>) -> Self {
        self.totp = Some(TotpSource::Kernel {
            kernel: Box::new(kernel.clone()),
            credential: credential.into(),
        });
        self
    }

    /// The MFA method to choose when the site offers several.
    pub fn mfa(mut self, mfa_type: impl Into<String>) -> Self {
        self.mfa = Some(mfa_type.into());
        self
    }

    /// The SSO provider to click when the site offers SSO buttons.
    pub fn sso(mut self, provider: impl Into<String>) -> Self {
        self.sso = Some(provider.into());
        self
    }

    /// The sign-in option (account, organization) to choose, by id or label.
    pub fn sign_in(mut self, option: impl Into<String>) -> Self {
        self.sign_in = Some(option.into());
        self
    }

    /// Asked for a field with no value (or whose value the site rejected).
    pub fn on_missing(
        mut self,
        prompt: impl FnMut(&types::DiscoveredField) -> Result<String> + Send + Sync + 'static,
    ) -> Self {
        self.on_missing = Some(Box::new(prompt));
        self
    }

    /// Asked to choose among MFA options when no preference matches; returns
    /// the chosen option's type.
    pub fn on_mfa_choice(
        mut self,
        prompt: impl FnMut(&Vec<types::MfaOption>) -> Result<String> + Send + Sync + 'static,
    ) -> Self {
        self.on_mfa = Some(Box::new(prompt));
        self
    }

    async fn totp_code(&self) -> Result<Option<String>> {
        match &self.totp {
            None => Ok(None),
            Some(TotpSource::Local(totp)) => Ok(Some(totp.now())),
            Some(TotpSource::Kernel { kernel, credential }) => {
                let response = kernel.credentials().totp_code(credential).send().await?;
                Ok(Some(response.code.into_inner()))
            }
        }
    }

    fn stored(&self, field: &types::DiscoveredField) -> Option<&Secret> {
        if let Some(value) = self.values.get(&field.name) {
            return Some(value);
        }
        let aliases: &[&str] = match field.type_ {
            FieldType::Email => &["email", "username", "login"],
            FieldType::Password => &["password"],
            FieldType::Tel => &["phone", "tel"],
            FieldType::Text if field.name.contains("user") || field.name.contains("login") => {
                &["username", "email", "login"]
            }
            _ => &[],
        };
        aliases.iter().find_map(|alias| self.values.get(*alias))
    }

    fn wants_totp(field: &types::DiscoveredField) -> bool {
        matches!(field.type_, FieldType::Totp | FieldType::Code)
            && !matches!(field.linked_mfa_type, Some(ref t) if *t != MfaType::Totp)
            || matches!(field.linked_mfa_type, Some(MfaType::Totp))
    }

    async fn answer_fields(&mut self, request: &InputRequest) -> Result<Answer> {
        // After a website error, the secrets submitted last time (password,
        // code) are wrong; identifiers are kept unless no secret was sent.
        let rejected: BTreeSet<String> = if request.website_error.is_some() {
            let submitted = std::mem::take(&mut self.submitted);
            let secrets: BTreeSet<String> = request
                .fields
                .iter()
                .filter(|f| {
                    submitted.contains(&f.name)
                        && matches!(
                            f.type_,
                            FieldType::Password | FieldType::Code | FieldType::Totp
                        )
                })
                .map(|f| f.name.clone())
                .collect();
            if secrets.is_empty() {
                submitted
            } else {
                secrets
            }
        } else {
            BTreeSet::new()
        };
        let mut values = BTreeMap::new();
        for field in &request.fields {
            let stored = self
                .stored(field)
                .filter(|_| !rejected.contains(&field.name))
                .cloned();
            let value = match stored {
                Some(value) => Some(value),
                None if Self::wants_totp(field) && !rejected.contains(&field.name) => {
                    self.totp_code().await?.map(Secret::from)
                }
                None => None,
            };
            let value = match (value, &mut self.on_missing) {
                (Some(value), _) => value,
                (None, Some(prompt)) => Secret::from(prompt(field)?),
                // The spec's default for `required` is true.
                (None, None) if field.required == Some(false) => continue,
                (None, None) => {
                    return Err(Error::InvalidRequest(match &request.website_error {
                        Some(site) => format!(
                            "the site rejected the credentials ({site}) and no prompt is set"
                        ),
                        None => {
                            format!("no value for the field {:?} ({})", field.name, field.type_)
                        }
                    }))
                }
            };
            values.insert(field.name.clone(), value);
        }
        self.submitted = values.keys().cloned().collect();
        Ok(Answer::Fields(values))
    }
}

impl LoginHandler for CredentialAnswers {
    async fn on_input(&mut self, request: &InputRequest) -> Result<Answer> {
        if !request.sign_in_options.is_empty() {
            let wanted = self.sign_in.as_deref();
            let chosen = request
                .sign_in_options
                .iter()
                .find(|o| wanted.is_some_and(|w| o.id == w || o.label == w))
                .or_else(|| {
                    (request.sign_in_options.len() == 1).then(|| &request.sign_in_options[0])
                });
            if let Some(option) = chosen {
                return Ok(Answer::SignInOption(option.id.clone()));
            }
            if request.fields.is_empty() {
                return Err(Error::InvalidRequest(
                    "the site asks to choose a sign-in option; set one with .sign_in()".into(),
                ));
            }
        }
        if !request.mfa_options.is_empty() && request.fields.is_empty() {
            let have_totp = self.totp.is_some();
            let chosen = request
                .mfa_options
                .iter()
                .find(|o| self.mfa.as_deref() == Some(o.type_.as_str()))
                .or_else(|| {
                    request
                        .mfa_options
                        .iter()
                        .find(|o| have_totp && o.type_ == MfaType::Totp)
                })
                .map(|o| o.type_.to_string());
            let chosen = match (chosen, &mut self.on_mfa) {
                (Some(chosen), _) => chosen,
                (None, Some(prompt)) => prompt(&request.mfa_options)?,
                (None, None) => {
                    let offered: Vec<&str> = request
                        .mfa_options
                        .iter()
                        .map(|o| o.type_.as_str())
                        .collect();
                    return Err(Error::InvalidRequest(format!(
                        "choose an MFA method among {offered:?} with .mfa()"
                    )));
                }
            };
            return Ok(Answer::MfaOption(chosen));
        }
        if !request.sso_buttons.is_empty() && (request.fields.is_empty() || self.sso.is_some()) {
            if let Some(provider) = &self.sso {
                if let Some(button) = request
                    .sso_buttons
                    .iter()
                    .find(|b| b.provider.eq_ignore_ascii_case(provider))
                {
                    return Ok(Answer::SsoProvider(button.provider.clone()));
                }
            }
            if request.fields.is_empty() {
                let offered: Vec<&str> = request
                    .sso_buttons
                    .iter()
                    .map(|b| b.provider.as_str())
                    .collect();
                return Err(Error::InvalidRequest(format!(
                    "choose an SSO provider among {offered:?} with .sso()"
                )));
            }
        }
        self.answer_fields(request).await
    }

    async fn on_state(&mut self, state: &FlowState) {
        tracing::debug!(state = %state.name(), "login flow state");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, type_: FieldType) -> types::DiscoveredField {
        types::DiscoveredField {
            hint: None,
            label: name.into(),
            linked_mfa_type: None,
            name: name.into(),
            placeholder: None,
            required: Some(true),
            selector: format!("#{name}"),
            type_,
        }
    }

    #[test]
    fn answers_never_show_values() {
        let answer = Answer::fields([("password", "hunter2")]);
        assert!(!format!("{answer:?}").contains("hunter2"));
        let handler = CredentialAnswers::new().value("password", "hunter2");
        assert!(!format!("{handler:?}").contains("hunter2"));
    }

    #[test]
    fn submit_shapes() {
        let fields = Answer::fields([("email", "a@b.c")]).to_submit_request();
        assert_eq!(
            fields
                .fields
                .as_ref()
                .and_then(|f| f.expose().get("email"))
                .map(String::as_str),
            Some("a@b.c")
        );
        assert_eq!(
            Answer::SsoProvider("google".into())
                .to_submit_request()
                .sso_provider
                .as_deref(),
            Some("google")
        );
        assert_eq!(
            Answer::MfaOption("sms".into())
                .to_submit_request()
                .mfa_option_id
                .as_deref(),
            Some("sms")
        );
        assert_eq!(
            Answer::SignInOption("org1".into())
                .to_submit_request()
                .sign_in_option_id
                .as_deref(),
            Some("org1")
        );
        let json = serde_json::to_value(
            Answer::MfaOption("totp".into())
                .to_legacy_request()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json, serde_json::json!({"selected_mfa_type": "totp"}));
        let json = serde_json::to_value(
            Answer::fields([("otp", "123")])
                .to_legacy_request()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json, serde_json::json!({"field_values": {"otp": "123"}}));
        assert!(Answer::SignInOption("x".into())
            .to_legacy_request()
            .is_err());
    }

    #[tokio::test]
    async fn fills_by_name_type_and_totp() {
        let mut handler = CredentialAnswers::new()
            .value("username", "me@example.com")
            .value("password", "pw")
            .totp_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
            .unwrap();
        let request = InputRequest {
            fields: vec![
                field("login_email", FieldType::Email),
                field("password", FieldType::Password),
                field("otp", FieldType::Totp),
            ],
            ..Default::default()
        };
        let Answer::Fields(values) = handler.on_input(&request).await.unwrap() else {
            panic!("fields expected")
        };
        assert_eq!(values["login_email"].expose(), "me@example.com");
        assert_eq!(values["password"].expose(), "pw");
        assert_eq!(values["otp"].expose().len(), 6);
    }

    #[tokio::test]
    async fn a_rejected_password_is_not_resubmitted() {
        let mut handler = CredentialAnswers::new().value("password", "wrong");
        let first = InputRequest {
            fields: vec![field("password", FieldType::Password)],
            ..Default::default()
        };
        handler.on_input(&first).await.unwrap();
        let again = InputRequest {
            website_error: Some("Incorrect password".into()),
            ..first.clone()
        };
        let err = handler.on_input(&again).await.unwrap_err();
        assert!(err.to_string().contains("Incorrect password"), "{err}");

        let mut handler = CredentialAnswers::new()
            .value("password", "wrong")
            .on_missing(|_| Ok("right".into()));
        handler.on_input(&first).await.unwrap();
        let Answer::Fields(values) = handler.on_input(&again).await.unwrap() else {
            panic!()
        };
        assert_eq!(values["password"].expose(), "right");
    }

    #[tokio::test]
    async fn choices() {
        let mfa = |t: MfaType| types::MfaOption {
            description: None,
            label: t.to_string(),
            target: None,
            type_: t,
        };
        let request = InputRequest {
            mfa_options: vec![mfa(MfaType::Sms), mfa(MfaType::Totp)],
            ..Default::default()
        };
        let mut handler = CredentialAnswers::new().mfa("sms");
        assert_eq!(
            handler.on_input(&request).await.unwrap(),
            Answer::MfaOption("sms".into())
        );
        let mut handler = CredentialAnswers::new()
            .totp_secret("GEZDGNBVGY3TQOJQ")
            .unwrap();
        assert_eq!(
            handler.on_input(&request).await.unwrap(),
            Answer::MfaOption("totp".into())
        );
        assert!(CredentialAnswers::new().on_input(&request).await.is_err());

        let sso = InputRequest {
            sso_buttons: vec![types::SsoButton {
                label: "Google".into(),
                provider: "google".into(),
                selector: "//b".into(),
            }],
            ..Default::default()
        };
        let mut handler = CredentialAnswers::new().sso("Google");
        assert_eq!(
            handler.on_input(&sso).await.unwrap(),
            Answer::SsoProvider("google".into())
        );
    }
}
