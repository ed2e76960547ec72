//! The login-flow engine shared by auth connections and the legacy agent
//! invocations: a background task per flow walks the site's steps on a timer,
//! fills fields from the connection's credential, waits for submissions and
//! publishes every state change to the connection's event channel.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use kernel_sys::open;
use kernel_sys::types;
use tokio::sync::mpsc;

use crate::http::error::{build_error, ApiError, ApiResult};
use crate::sites::{
    Expect, Field, Form, MfaChoice, OnWrongKind, SignInChoice, Site, SsoChoice, Step, StepKind,
};
use crate::state::AppState;
use crate::store::connections::Connection;
use crate::store::flows::{
    Flow, FlowStatus, FlowStep, FlowType, FlowView, Pending, Submission, SubmitInput,
};
use crate::store::{credentials, profiles};
use crate::store::{new_id, Store};
use crate::totp;

/// Sends the state of flow `flow_id` to its connection's subscribers.
pub(crate) fn publish(store: &Store, flow_id: &str) {
    let Some(flow) = store.flows.get(flow_id) else {
        return;
    };
    if let Some(connection) = store
        .connections
        .iter()
        .find(|c| c.id == flow.view.connection_id)
    {
        // No subscriber is fine.
        let _ = connection.events.send(flow.view.clone());
    }
}

/// Starts a login flow on the connection at `index` (the caller checked that
/// none is in progress).
pub(crate) fn start(
    state: &AppState,
    store: &mut Store,
    index: usize,
    save_credential_as: Option<String>,
) -> FlowView {
    let connection = &store.connections[index];
    let site = state.site(&connection.domain);
    let mut ttl = state.config.flow_ttl;
    if let Some(site_ttl) = site.as_ref().and_then(|s| s.flow_ttl) {
        ttl = ttl.min(site_ttl);
    }
    let now = Utc::now();
    let expires_at =
        now + chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::minutes(5));
    let id = new_id("flow");
    let handoff_code = new_id("");
    let flow_type = if connection.ever_succeeded && connection.credential.is_some() {
        FlowType::Reauth
    } else {
        FlowType::Login
    };
    let view = FlowView {
        id: id.clone(),
        connection_id: connection.id.clone(),
        domain: connection.domain.clone(),
        flow_type,
        status: FlowStatus::InProgress,
        step: FlowStep::Initialized,
        expires_at,
        pending: Pending::None,
        external_action_message: None,
        website_error: None,
        sso_provider: None,
        error_code: None,
        error_message: None,
        post_login_url: None,
        submitted_fields: Vec::new(),
        hosted_url: format!("https://hosted.kernel-mock.invalid/login/{handoff_code}"),
        live_view_url: format!("https://live.kernel-mock.invalid/{id}"),
        handoff_code,
    };
    let (tx, rx) = mpsc::unbounded_channel();
    store.flows.insert(
        id.clone(),
        Flow {
            view: view.clone(),
            save_credential_as,
            submissions: tx,
            task: None,
        },
    );
    store.connections[index].current_flow = Some(id.clone());
    publish(store, &id);
    let run = FlowRun {
        state: state.clone(),
        flow_id: id.clone(),
        site,
        submissions: rx,
        collected: BTreeMap::new(),
        sso_provider: None,
        deadline: tokio::time::Instant::now() + ttl,
    };
    let task = state.spawn(run.run());
    if let Some(flow) = store.flows.get_mut(&id) {
        flow.task = Some(task);
    }
    view
}

/// Cancels flow `flow_id` if it is in progress.
pub(crate) fn cancel(store: &mut Store, flow_id: &str) {
    let Some(flow) = store.flows.get_mut(flow_id) else {
        return;
    };
    if flow.view.status.is_terminal() {
        return;
    }
    if let Some(task) = flow.task.take() {
        task.abort();
    }
    let view = &mut flow.view;
    view.status = FlowStatus::Canceled;
    view.step = FlowStep::Completed;
    view.pending = Pending::None;
    view.external_action_message = None;
    view.error_message = Some("The login flow was canceled".to_owned());
    publish(store, flow_id);
}

/// The in-progress flow of `connection`, if any (an expired-but-not-yet-
/// processed flow does not count).
pub(crate) fn active_flow<'a>(store: &'a Store, connection: &Connection) -> Option<&'a Flow> {
    let flow = store.flows.get(connection.current_flow.as_deref()?)?;
    (flow.view.status == FlowStatus::InProgress && flow.view.expires_at > Utc::now())
        .then_some(flow)
}

/// Validates `input` against what flow `flow_id` waits for and hands it to
/// the flow task.
pub(crate) fn submit(store: &mut Store, flow_id: &str, input: SubmitInput) -> ApiResult<()> {
    let flow = store.flows.get_mut(flow_id).ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "no_active_flow",
            "no login flow in progress",
        )
    })?;
    if flow.view.status.is_terminal() {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "no_active_flow",
            format!(
                "no login flow in progress (the last flow ended {})",
                flow.view.status.as_str()
            ),
        ));
    }
    if flow.view.step != FlowStep::AwaitingInput {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "not_awaiting_input",
            format!(
                "the login flow is {}, not AWAITING_INPUT",
                flow.view.step.managed()
            ),
        ));
    }
    let mismatch = |pending: &Pending| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_submission",
            format!("the login flow is waiting for {}", pending.describe()),
        )
    };
    let submission = match (&flow.view.pending, input) {
        (Pending::Fields(fields), SubmitInput::Fields(values)) => {
            let missing: Vec<&str> = fields
                .iter()
                .filter(|f| values.get(&f.name).is_none_or(|v| v.is_empty()))
                .map(|f| f.name.as_str())
                .collect();
            if !missing.is_empty() {
                return Err(ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "missing_fields",
                    format!("missing values for: {}", missing.join(", ")),
                ));
            }
            let wanted: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            Submission::Fields(
                values
                    .into_iter()
                    .filter(|(k, _)| wanted.contains(&k.as_str()))
                    .collect(),
            )
        }
        (Pending::Mfa(options), SubmitInput::MfaOption(kind)) => {
            let option = options
                .iter()
                .find(|o| o.kind.eq_ignore_ascii_case(&kind))
                .ok_or_else(|| {
                    let known: Vec<&str> = options.iter().map(|o| o.kind.as_str()).collect();
                    ApiError::bad_request(format!(
                        "unknown MFA option {kind:?}; offered: {}",
                        known.join(", ")
                    ))
                })?;
            Submission::Mfa(option.kind.clone())
        }
        (Pending::Sso(buttons), SubmitInput::SsoProvider(provider)) => {
            let button = buttons
                .iter()
                .find(|b| b.provider.eq_ignore_ascii_case(&provider))
                .ok_or_else(|| {
                    let known: Vec<&str> = buttons.iter().map(|b| b.provider.as_str()).collect();
                    ApiError::bad_request(format!(
                        "unknown SSO provider {provider:?}; offered: {}",
                        known.join(", ")
                    ))
                })?;
            Submission::Sso(button.provider.clone())
        }
        (Pending::Sso(buttons), SubmitInput::SsoSelector(selector)) => {
            // The legacy `sso_button` also accepts a provider name.
            let button = buttons
                .iter()
                .find(|b| b.selector() == selector)
                .or_else(|| {
                    buttons
                        .iter()
                        .find(|b| b.provider.eq_ignore_ascii_case(&selector))
                })
                .ok_or_else(|| {
                    ApiError::bad_request(format!("no SSO button matches selector {selector:?}"))
                })?;
            Submission::Sso(button.provider.clone())
        }
        (Pending::SignIn(options), SubmitInput::SignInOption(id)) => {
            let option = options
                .iter()
                .find(|o| o.id == id)
                .ok_or_else(|| ApiError::bad_request(format!("unknown sign-in option {id:?}")))?;
            Submission::SignIn(option.id.clone())
        }
        (pending, _) => return Err(mismatch(pending)),
    };
    if let Submission::Fields(values) = &submission {
        let mut names: Vec<&String> = values.keys().collect();
        names.sort();
        for name in names {
            if !flow.view.submitted_fields.contains(name) {
                flow.view.submitted_fields.push(name.clone());
            }
        }
    }
    if flow.submissions.send(submission).is_err() {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "no_active_flow",
            "the login flow has ended",
        ));
    }
    flow.view.step = FlowStep::Submitting;
    flow.view.pending = Pending::None;
    flow.view.website_error = None;
    publish(store, flow_id);
    Ok(())
}

/// How the steps of a flow ended.
#[derive(Debug)]
enum Outcome {
    Success,
    Failed {
        code: String,
        message: String,
    },
    /// The flow was canceled or deleted: nothing to do.
    Gone,
}

fn failed(code: impl Into<String>, message: impl Into<String>) -> Outcome {
    Outcome::Failed {
        code: code.into(),
        message: message.into(),
    }
}

/// What the connection's credential provides.
#[derive(Clone, Debug, Default)]
struct CredentialSnapshot {
    values: BTreeMap<String, String>,
    totp_secret: Option<String>,
    sso_provider: Option<String>,
}

impl CredentialSnapshot {
    fn fill(&self, field: &Field) -> Option<String> {
        if matches!(field.expect, Expect::Totp) || field.kind == "totp" {
            return self
                .totp_secret
                .as_deref()
                .and_then(|s| totp::code_now(s).ok());
        }
        self.values
            .get(&field.name)
            .filter(|v| !v.is_empty())
            .cloned()
    }
}

/// The background task of one flow.
struct FlowRun {
    state: AppState,
    flow_id: String,
    site: Option<Arc<Site>>,
    submissions: mpsc::UnboundedReceiver<Submission>,
    /// Non-one-time values that were accepted, saved on success.
    collected: BTreeMap<String, String>,
    sso_provider: Option<String>,
    deadline: tokio::time::Instant,
}

impl FlowRun {
    async fn run(mut self) {
        let deadline = self.deadline;
        let outcome = match tokio::time::timeout_at(deadline, self.steps()).await {
            Ok(outcome) => outcome,
            Err(_) => {
                self.finish(|view| {
                    view.status = FlowStatus::Expired;
                    view.error_message =
                        Some("The login flow expired before it completed".to_owned());
                });
                return;
            }
        };
        match outcome {
            Outcome::Success => self.succeed(),
            Outcome::Failed { code, message } => self.finish(|view| {
                view.status = FlowStatus::Failed;
                view.error_code = Some(code);
                view.error_message = Some(message);
            }),
            Outcome::Gone => {}
        }
    }

    async fn steps(&mut self) -> Outcome {
        match self.walk().await {
            Ok(()) => Outcome::Success,
            Err(outcome) => outcome,
        }
    }

    async fn walk(&mut self) -> Result<(), Outcome> {
        self.update(|view| view.step = FlowStep::Discovering)?;
        self.pause().await;
        let Some(site) = self.site.clone() else {
            let domain = self.view_domain();
            return Err(failed(
                "login_form_not_found",
                format!(
                    "No login form found on {domain} (kernel-mock has no site for this domain)"
                ),
            ));
        };
        let mut stack: Vec<std::vec::IntoIter<Step>> = vec![site.steps.clone().into_iter()];
        loop {
            let Some(step) = next_step(&mut stack) else {
                return Ok(());
            };
            match step.kind {
                StepKind::Form(form) => self.form(&form, &site).await?,
                StepKind::ChooseMfa(options) => {
                    let choice = self.choose_mfa(options).await?;
                    stack.push(choice.then.into_iter());
                }
                StepKind::ChooseSso(buttons) => {
                    let choice = self.choose_sso(buttons).await?;
                    stack.push(choice.then.into_iter());
                }
                StepKind::ChooseSignIn(options) => {
                    let choice = self.choose_sign_in(options).await?;
                    stack.push(choice.then.into_iter());
                }
                StepKind::ExternalAction { message, after } => {
                    self.update(|view| {
                        view.step = FlowStep::AwaitingExternalAction;
                        view.external_action_message = Some(message);
                        view.pending = Pending::None;
                    })?;
                    let wait = after.unwrap_or(self.state.config.step_delay * 5);
                    tokio::time::sleep(wait).await;
                    self.update(|view| {
                        view.step = FlowStep::Submitting;
                        view.external_action_message = None;
                    })?;
                    self.pause().await;
                }
                StepKind::Fail { code, message } => return Err(failed(code, message)),
                StepKind::Hang => futures::future::pending::<()>().await,
            }
        }
    }

    async fn form(&mut self, form: &Form, site: &Site) -> Result<(), Outcome> {
        let mut attempts = 0u32;
        let mut website_error: Option<String> = None;
        let mut autofill = true;
        loop {
            let credential = self.credential();
            let mut values: BTreeMap<String, String> = BTreeMap::new();
            let mut missing: Vec<Field> = Vec::new();
            for field in &form.fields {
                let filled = if autofill {
                    credential.as_ref().and_then(|c| c.fill(field))
                } else {
                    None
                };
                match filled {
                    Some(value) => {
                        values.insert(field.name.clone(), value);
                    }
                    None => missing.push(field.clone()),
                }
            }
            if missing.is_empty() {
                let names: Vec<String> = values.keys().cloned().collect();
                self.update(|view| {
                    view.step = FlowStep::Submitting;
                    view.pending = Pending::None;
                    view.website_error = None;
                    for name in names {
                        if !view.submitted_fields.contains(&name) {
                            view.submitted_fields.push(name);
                        }
                    }
                })?;
            } else {
                let error = website_error.clone();
                self.update(|view| {
                    view.step = FlowStep::AwaitingInput;
                    view.pending = Pending::Fields(missing);
                    view.website_error = error;
                })?;
                loop {
                    if let Submission::Fields(submitted) = self.next_submission().await? {
                        values.extend(submitted);
                        break;
                    }
                }
            }
            self.pause().await;
            let secret = credential
                .as_ref()
                .and_then(|c| c.totp_secret.clone())
                .unwrap_or_else(|| site.totp_secret.clone());
            let all_valid = form
                .fields
                .iter()
                .all(|field| check(field, values.get(&field.name), &secret));
            if all_valid {
                for field in form.fields.iter().filter(|f| !f.one_time) {
                    if let Some(value) = values.get(&field.name) {
                        self.collected.insert(field.name.clone(), value.clone());
                    }
                }
                return Ok(());
            }
            attempts += 1;
            match &form.on_wrong.kind {
                OnWrongKind::Retry {
                    website_error: message,
                    max_attempts,
                } => {
                    if max_attempts.is_some_and(|max| attempts >= max) {
                        return Err(failed(
                            "max_attempts_reached",
                            format!("Gave up after {attempts} failed attempts: {message}"),
                        ));
                    }
                    website_error = Some(message.clone());
                    autofill = false;
                }
                OnWrongKind::Fail { code, message } => {
                    return Err(failed(code.clone(), message.clone()))
                }
            }
        }
    }

    async fn choose_mfa(&mut self, options: Vec<MfaChoice>) -> Result<MfaChoice, Outcome> {
        let has_secret = self.credential().is_some_and(|c| c.totp_secret.is_some());
        if has_secret {
            if let Some(totp) = options.iter().find(|o| o.kind == "totp") {
                let choice = totp.clone();
                self.update(|view| {
                    view.step = FlowStep::Submitting;
                    view.pending = Pending::None;
                })?;
                self.pause().await;
                return Ok(choice);
            }
        }
        self.update(|view| {
            view.step = FlowStep::AwaitingInput;
            view.pending = Pending::Mfa(options.clone());
            view.website_error = None;
        })?;
        loop {
            if let Submission::Mfa(kind) = self.next_submission().await? {
                if let Some(choice) = options.iter().find(|o| o.kind == kind) {
                    self.pause().await;
                    return Ok(choice.clone());
                }
            }
        }
    }

    async fn choose_sso(&mut self, buttons: Vec<SsoChoice>) -> Result<SsoChoice, Outcome> {
        let preferred = self.credential().and_then(|c| c.sso_provider);
        let automatic = preferred.and_then(|p| {
            buttons
                .iter()
                .find(|b| b.provider.eq_ignore_ascii_case(&p))
                .cloned()
        });
        let choice = match automatic {
            Some(choice) => choice,
            None => {
                self.update(|view| {
                    view.step = FlowStep::AwaitingInput;
                    view.pending = Pending::Sso(buttons.clone());
                    view.website_error = None;
                })?;
                loop {
                    if let Submission::Sso(provider) = self.next_submission().await? {
                        if let Some(choice) = buttons.iter().find(|b| b.provider == provider) {
                            break choice.clone();
                        }
                    }
                }
            }
        };
        let provider = choice.provider.clone();
        self.sso_provider = Some(provider.clone());
        self.update(|view| {
            view.step = FlowStep::Submitting;
            view.pending = Pending::None;
            view.sso_provider = Some(provider);
        })?;
        self.pause().await;
        Ok(choice)
    }

    async fn choose_sign_in(
        &mut self,
        options: Vec<SignInChoice>,
    ) -> Result<SignInChoice, Outcome> {
        self.update(|view| {
            view.step = FlowStep::AwaitingInput;
            view.pending = Pending::SignIn(options.clone());
            view.website_error = None;
        })?;
        loop {
            if let Submission::SignIn(id) = self.next_submission().await? {
                if let Some(choice) = options.iter().find(|o| o.id == id) {
                    self.pause().await;
                    return Ok(choice.clone());
                }
            }
        }
    }

    async fn next_submission(&mut self) -> Result<Submission, Outcome> {
        self.submissions.recv().await.ok_or(Outcome::Gone)
    }

    async fn pause(&self) {
        tokio::time::sleep(self.state.config.step_delay).await;
    }

    fn view_domain(&self) -> String {
        let store = self.state.store();
        store
            .flows
            .get(&self.flow_id)
            .map(|f| f.view.domain.clone())
            .unwrap_or_default()
    }

    /// The connection's Kernel credential, read fresh (it may be edited
    /// during the flow).
    fn credential(&self) -> Option<CredentialSnapshot> {
        let store = self.state.store();
        let flow = store.flows.get(&self.flow_id)?;
        let connection = store
            .connections
            .iter()
            .find(|c| c.id == flow.view.connection_id)?;
        let name = connection.credential.as_ref()?.name.as_deref()?;
        let credential = credentials::find(&store, name)?;
        Some(CredentialSnapshot {
            values: credential.values.clone(),
            totp_secret: credential.totp_secret.clone(),
            sso_provider: credential.sso_provider.clone(),
        })
    }

    /// Applies `change` to the flow's view and publishes it; `Err(Gone)` once
    /// the flow was canceled or deleted.
    fn update(&self, change: impl FnOnce(&mut FlowView)) -> Result<(), Outcome> {
        let mut store = self.state.store();
        let flow = store.flows.get_mut(&self.flow_id).ok_or(Outcome::Gone)?;
        if flow.view.status.is_terminal() {
            return Err(Outcome::Gone);
        }
        change(&mut flow.view);
        publish(&store, &self.flow_id);
        Ok(())
    }

    /// Ends the flow (terminal status set by `change`).
    fn finish(&self, change: impl FnOnce(&mut FlowView)) {
        let mut store = self.state.store();
        let Some(flow) = store.flows.get_mut(&self.flow_id) else {
            return;
        };
        if flow.view.status.is_terminal() {
            return;
        }
        flow.task = None;
        let view = &mut flow.view;
        view.step = FlowStep::Completed;
        view.pending = Pending::None;
        view.external_action_message = None;
        change(view);
        publish(&store, &self.flow_id);
    }

    /// Completes the flow: the connection turns `AUTHENTICATED`, values are
    /// saved to the credential, the profile holds auth state.
    fn succeed(&self) {
        let mut store = self.state.store();
        let Some(flow) = store.flows.get(&self.flow_id) else {
            return;
        };
        if flow.view.status.is_terminal() {
            return;
        }
        let connection_id = flow.view.connection_id.clone();
        let save_as = flow.save_credential_as.clone();
        let post_login_url = self.site.as_ref().map(|s| s.post_login_url.clone());
        let now = Utc::now();
        let Some(index) = store.connections.iter().position(|c| c.id == connection_id) else {
            return;
        };
        let (profile_name, domain, target) = {
            let connection = &mut store.connections[index];
            connection.authenticated = true;
            connection.ever_succeeded = true;
            connection.last_auth_at = Some(now);
            connection.last_auth_check_at = Some(now);
            connection.post_login_url = post_login_url.clone();
            let external = connection
                .credential
                .as_ref()
                .is_some_and(|c| c.provider.is_some());
            let target = match save_as {
                Some(name) => Some(name),
                None if connection.save_credentials && !external => Some(
                    connection
                        .credential
                        .as_ref()
                        .and_then(|c| c.name.clone())
                        .unwrap_or_else(|| {
                            format!("{}-{}", connection.profile_name, connection.domain)
                        }),
                ),
                None => None,
            };
            (
                connection.profile_name.clone(),
                connection.domain.clone(),
                target,
            )
        };
        if let Some(name) = target {
            if !self.collected.is_empty() || self.sso_provider.is_some() {
                credentials::save_values(
                    &mut store,
                    &name,
                    &domain,
                    &self.collected,
                    self.sso_provider.as_deref(),
                );
                let connection = &mut store.connections[index];
                if connection
                    .credential
                    .as_ref()
                    .and_then(|c| c.name.as_deref())
                    != Some(name.as_str())
                {
                    connection.credential =
                        Some(crate::store::connections::CredentialRef::named(name));
                }
            }
        }
        profiles::mark_authenticated(&mut store, &profile_name);
        if let Some(flow) = store.flows.get_mut(&self.flow_id) {
            flow.task = None;
            let view = &mut flow.view;
            view.status = FlowStatus::Success;
            view.step = FlowStep::Completed;
            view.pending = Pending::None;
            view.external_action_message = None;
            view.website_error = None;
            view.post_login_url = post_login_url;
        }
        publish(&store, &self.flow_id);
    }
}

fn next_step(stack: &mut Vec<std::vec::IntoIter<Step>>) -> Option<Step> {
    while let Some(top) = stack.last_mut() {
        if let Some(step) = top.next() {
            return Some(step);
        }
        stack.pop();
    }
    None
}

fn check(field: &Field, value: Option<&String>, totp_secret: &str) -> bool {
    let Some(value) = value else { return false };
    match &field.expect {
        Expect::Any => !value.is_empty(),
        Expect::Exact(expected) => value == expected,
        Expect::Totp => totp::verify(totp_secret, value, totp::now_unix()),
    }
}

// ---- Rendering -----------------------------------------------------------

/// `None` for an empty list (the spec's "present when ..." fields).
pub(crate) fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    if items.is_empty() {
        None
    } else {
        Some(items)
    }
}

pub(crate) fn discovered_field(field: &Field) -> ApiResult<types::DiscoveredField> {
    types::DiscoveredField::builder()
        .name(field.name.clone())
        .type_(open::DiscoveredFieldType::from(field.kind.as_str()))
        .label(field.label.clone())
        .placeholder(field.placeholder.clone())
        .hint(field.hint.clone())
        .required(true)
        .selector(field.selector())
        .try_into()
        .map_err(|e| build_error("DiscoveredField", e))
}

pub(crate) fn mfa_option(choice: &MfaChoice) -> ApiResult<types::MfaOption> {
    types::MfaOption::builder()
        .type_(open::MfaType::from(choice.kind.as_str()))
        .label(choice.label.clone())
        .target(choice.target.clone())
        .description(choice.description.clone())
        .try_into()
        .map_err(|e| build_error("MFAOption", e))
}

pub(crate) fn sso_button(choice: &SsoChoice) -> ApiResult<types::SsoButton> {
    types::SsoButton::builder()
        .selector(choice.selector())
        .provider(choice.provider.clone())
        .label(choice.label.clone())
        .try_into()
        .map_err(|e| build_error("SSOButton", e))
}

pub(crate) fn sign_in_option(choice: &SignInChoice) -> ApiResult<types::SignInOption> {
    types::SignInOption::builder()
        .id(choice.id.clone())
        .label(choice.label.clone())
        .description(choice.description.clone())
        .try_into()
        .map_err(|e| build_error("SignInOption", e))
}

/// The lists an `AWAITING_INPUT` view shows.
pub(crate) struct PendingLists {
    pub fields: Vec<types::DiscoveredField>,
    pub mfa_options: Vec<types::MfaOption>,
    pub sso_buttons: Vec<types::SsoButton>,
    pub sign_in_options: Vec<types::SignInOption>,
}

pub(crate) fn pending_lists(view: &FlowView) -> ApiResult<PendingLists> {
    let mut lists = PendingLists {
        fields: Vec::new(),
        mfa_options: Vec::new(),
        sso_buttons: Vec::new(),
        sign_in_options: Vec::new(),
    };
    match &view.pending {
        Pending::None => {}
        Pending::Fields(fields) => {
            lists.fields = fields
                .iter()
                .map(discovered_field)
                .collect::<ApiResult<_>>()?
        }
        Pending::Mfa(options) => {
            lists.mfa_options = options.iter().map(mfa_option).collect::<ApiResult<_>>()?
        }
        Pending::Sso(buttons) => {
            lists.sso_buttons = buttons.iter().map(sso_button).collect::<ApiResult<_>>()?
        }
        Pending::SignIn(options) => {
            lists.sign_in_options = options
                .iter()
                .map(sign_in_option)
                .collect::<ApiResult<_>>()?
        }
    }
    Ok(lists)
}

/// The spec's `ManagedAuthStateEvent` for `view`.
pub(crate) fn state_event(view: &FlowView) -> ApiResult<types::ManagedAuthStateEvent> {
    let lists = pending_lists(view)?;
    let in_progress = view.status == FlowStatus::InProgress;
    types::ManagedAuthStateEvent::builder()
        .event(types::ManagedAuthStateEventEvent::ManagedAuthState)
        .timestamp(Utc::now())
        .flow_status(open::ManagedAuthStateEventFlowStatus::from(
            view.status.as_str(),
        ))
        .flow_step(open::ManagedAuthStateEventFlowStep::from(
            view.step.managed(),
        ))
        .flow_type(Some(open::ManagedAuthStateEventFlowType::from(
            view.flow_type.upper(),
        )))
        .discovered_fields(lists.fields)
        .mfa_options(lists.mfa_options)
        .pending_sso_buttons(lists.sso_buttons)
        .sign_in_options(lists.sign_in_options)
        .external_action_message(view.external_action_message.clone())
        .website_error(view.website_error.clone())
        .error_code(view.error_code.clone())
        .error_message(if view.status == FlowStatus::Failed {
            view.error_message.clone()
        } else {
            None
        })
        .post_login_url(view.post_login_url.clone())
        .live_view_url(in_progress.then(|| view.live_view_url.clone()))
        .hosted_url(in_progress.then(|| view.hosted_url.clone()))
        .try_into()
        .map_err(|e| build_error("ManagedAuthStateEvent", e))
}

/// The legacy `AgentAuthInvocationResponse` for `view`.
pub(crate) fn legacy_invocation(view: &FlowView) -> ApiResult<types::AgentAuthInvocationResponse> {
    let lists = pending_lists(view)?;
    let in_progress = view.status == FlowStatus::InProgress;
    types::AgentAuthInvocationResponse::builder()
        .app_name(view.domain.clone())
        .domain(view.domain.clone())
        .status(open::AgentAuthInvocationResponseStatus::from(
            view.status.as_str(),
        ))
        .step(open::AgentAuthInvocationResponseStep::from(
            view.step.legacy(view.status),
        ))
        .type_(open::AgentAuthInvocationResponseType::from(
            view.flow_type.lower(),
        ))
        .expires_at(view.expires_at)
        .pending_fields(non_empty(lists.fields))
        .mfa_options(non_empty(lists.mfa_options))
        .pending_sso_buttons(non_empty(lists.sso_buttons))
        .sign_in_options(non_empty(lists.sign_in_options))
        .submitted_fields(if view.submitted_fields.is_empty() {
            None
        } else {
            Some(view.submitted_fields.clone())
        })
        .error_message(
            if view.status.is_terminal() && view.status != FlowStatus::Success {
                view.error_message.clone()
            } else {
                None
            },
        )
        .live_view_url(in_progress.then(|| view.live_view_url.clone()))
        .external_action_message(view.external_action_message.clone())
        .sso_provider(view.sso_provider.clone())
        .try_into()
        .map_err(|e| build_error("AgentAuthInvocationResponse", e))
}
