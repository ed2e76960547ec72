//! The login-flow engine shared by auth connections and the legacy agent
//! invocations: a background task per flow ([`run`]) walks the site's steps
//! on a timer, fills fields from the connection's credential
//! ([`credential`]), waits for submissions and publishes every state change
//! to the connection's event channel; [`render`] builds the response bodies
//! and [`handoff`] exchanges handoff codes.

mod credential;
mod handoff;
mod render;
mod run;

use chrono::Utc;
use tokio::sync::mpsc;

use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::connections::Connection;
use crate::store::flows::{
    Flow, FlowStatus, FlowStep, FlowType, FlowView, Pending, Submission, SubmitInput,
};
use crate::store::{new_id, Store};

pub(crate) use handoff::{exchange, Exchange};
pub(crate) use render::{legacy_invocation, non_empty, pending_lists, state_event};

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
        step: FlowStep::Discovering,
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
            handoff_used: false,
            submissions: tx,
            task: None,
        },
    );
    store.connections[index].current_flow = Some(id.clone());
    publish(store, &id);
    let run = run::FlowRun::new(
        state.clone(),
        id.clone(),
        site,
        rx,
        tokio::time::Instant::now() + ttl,
    );
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
    if flow.view.is_terminal() {
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
    if flow.view.is_terminal() {
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
            format!("the login flow is {}, not AWAITING_INPUT", flow.view.step),
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
