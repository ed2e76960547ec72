//! The background task of one flow: walks the site's steps on a timer,
//! fills fields from the connection's credential, waits for submissions and
//! publishes every change.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::mpsc;

use super::credential::CredentialSnapshot;
use super::publish;
use crate::sites::{
    Expect, Field, Form, MfaChoice, OnWrongKind, SignInChoice, Site, SsoChoice, Step, StepKind,
};
use crate::state::AppState;
use crate::store::connections::CredentialRef;
use crate::store::flows::{FlowStatus, FlowStep, FlowView, Pending, Submission};
use crate::store::{credentials, profiles};
use crate::totp;

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

/// A failed outcome.
fn failed(code: impl Into<String>, message: impl Into<String>) -> Outcome {
    Outcome::Failed {
        code: code.into(),
        message: message.into(),
    }
}

/// The background task of one flow.
pub(super) struct FlowRun {
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
    /// The task of flow `flow_id` on `site`, ending `EXPIRED` at `deadline`.
    pub fn new(
        state: AppState,
        flow_id: String,
        site: Option<Arc<Site>>,
        submissions: mpsc::UnboundedReceiver<Submission>,
        deadline: tokio::time::Instant,
    ) -> Self {
        FlowRun {
            state,
            flow_id,
            site,
            submissions,
            collected: BTreeMap::new(),
            sso_provider: None,
            deadline,
        }
    }

    /// Runs the flow to its end.
    pub async fn run(mut self) {
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
        // The flow starts `DISCOVERING`.
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

    /// The connection's credential, read fresh (it may be edited during the
    /// flow).
    fn credential(&self) -> Option<CredentialSnapshot> {
        let store = self.state.store();
        let flow = store.flows.get(&self.flow_id)?;
        let connection = store
            .connections
            .iter()
            .find(|c| c.id == flow.view.connection_id)?;
        CredentialSnapshot::of(&store, connection)
    }

    /// Applies `change` to the flow's view and publishes it; `Err(Gone)` once
    /// the flow was canceled or deleted.
    fn update(&self, change: impl FnOnce(&mut FlowView)) -> Result<(), Outcome> {
        let mut store = self.state.store();
        let flow = store.flows.get_mut(&self.flow_id).ok_or(Outcome::Gone)?;
        if flow.view.is_terminal() {
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
        if flow.view.is_terminal() {
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
        if flow.view.is_terminal() {
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
                    connection.credential = Some(CredentialRef::named(name));
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

/// The next step of the innermost unfinished step list.
fn next_step(stack: &mut Vec<std::vec::IntoIter<Step>>) -> Option<Step> {
    while let Some(top) = stack.last_mut() {
        if let Some(step) = top.next() {
            return Some(step);
        }
        stack.pop();
    }
    None
}

/// Whether `value` is valid for `field`.
fn check(field: &Field, value: Option<&String>, totp_secret: &str) -> bool {
    let Some(value) = value else { return false };
    match &field.expect {
        Expect::Any => !value.is_empty(),
        Expect::Exact(expected) => value == expected,
        Expect::Totp => totp::verify(totp_secret, value, totp::now_unix()),
    }
}
