//! Response bodies of a flow: the Managed Auth state event, the legacy
//! invocation, and the pending lists both show.

use chrono::Utc;
use kernel_sys::open;
use kernel_sys::types;

use crate::http::error::{build_error, ApiResult};
use crate::sites::{Field, MfaChoice, SignInChoice, SsoChoice};
use crate::store::flows::{FlowStatus, FlowView, Pending};

/// `None` for an empty list (the spec's "present when ..." fields).
pub(crate) fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    if items.is_empty() {
        None
    } else {
        Some(items)
    }
}

/// The spec's `DiscoveredField` for a form field.
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

/// The spec's `MFAOption` for an MFA choice.
pub(crate) fn mfa_option(choice: &MfaChoice) -> ApiResult<types::MfaOption> {
    types::MfaOption::builder()
        .type_(open::MfaType::from(choice.kind.as_str()))
        .label(choice.label.clone())
        .target(choice.target.clone())
        .description(choice.description.clone())
        .try_into()
        .map_err(|e| build_error("MFAOption", e))
}

/// The spec's `SSOButton` for an SSO choice.
pub(crate) fn sso_button(choice: &SsoChoice) -> ApiResult<types::SsoButton> {
    types::SsoButton::builder()
        .selector(choice.selector())
        .provider(choice.provider.clone())
        .label(choice.label.clone())
        .try_into()
        .map_err(|e| build_error("SSOButton", e))
}

/// The spec's `SignInOption` for a sign-in choice.
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

/// What `view` waits for, rendered.
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
        .flow_status(view.status.clone())
        .flow_step(view.step.clone())
        .flow_type(Some(view.flow_type.clone()))
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
        // Same values as `flow_status`: converted through the wire value.
        .status(open::AgentAuthInvocationResponseStatus::from(
            view.status.as_str(),
        ))
        .step(view.legacy_step())
        .type_(view.legacy_type())
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
            if view.is_terminal() && view.status != FlowStatus::Success {
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
