//! The deprecated `/agents/auth` API: auth agents (the same records as auth
//! connections) and auth invocations (their login flows, polled with
//! lower-case `step` values).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kernel_sys::open;
use kernel_sys::types;
use serde::Deserialize;
use serde_json::Value;

use crate::flows::{self, Exchange};
use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::{JsonBody, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::routes::connections::{self, ExchangeRequest};
use crate::state::AppState;
use crate::store::connections::{matching, Connection, CredentialRef};
use crate::store::flows::SubmitInput;
use crate::store::Store;
use crate::store::{credentials, profiles, proxies};

serves! {
    "postAgentsAuth" => create,
    "getAgentsAuth" => list,
    "getAgentsAuthById" => get,
    "deleteAgentsAuthById" => delete,
    "postAgentsAuthInvocations" => create_invocation,
    "getAgentsAuthInvocationsInvocationId" => get_invocation,
    "postAgentsAuthInvocationsSubmit" => submit,
    "postAgentsAuthInvocationsExchange" => exchange,
}

/// The spec's `AuthAgent` for `connection`.
fn to_json(store: &Store, connection: &Connection) -> ApiResult<Value> {
    let (can_reauth, reason) = connection.can_reauth();
    let credential_id = connection
        .credential
        .as_ref()
        .and_then(|c| c.name.as_deref())
        .and_then(|name| credentials::find(store, name))
        .map(|c| c.id.clone());
    let agent: types::AuthAgent = types::AuthAgent::builder()
        .id(connection.id.clone())
        .profile_name(connection.profile_name.clone())
        .domain(connection.domain.clone())
        .status(open::AuthAgentStatus::from(if connection.authenticated {
            "AUTHENTICATED"
        } else {
            "NEEDS_AUTH"
        }))
        .last_auth_check_at(connection.last_auth_check_at)
        .credential_id(credential_id)
        .credential(connection.credential.as_ref().map(CredentialRef::to_spec))
        .has_selectors(Some(connection.ever_succeeded))
        .can_reauth(Some(can_reauth))
        .can_reauth_reason(Some(reason.to_owned()))
        .allowed_domains(connection.allowed_domains.clone())
        .post_login_url(connection.post_login_url.clone())
        .try_into()
        .map_err(|e| build_error("AuthAgent", e))?;
    serde_json::to_value(agent).map_err(|e| build_error("AuthAgent", e))
}

fn find_index(store: &Store, id: &str) -> ApiResult<usize> {
    store
        .connections
        .iter()
        .position(|c| c.id == id)
        .ok_or_else(|| ApiError::not_found("auth agent", id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyProxy {
    proxy_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAgentRequest {
    domain: String,
    profile_name: String,
    login_url: Option<String>,
    proxy: Option<LegacyProxy>,
    credential_name: Option<String>,
    allowed_domains: Option<Vec<String>>,
}

/// `POST /agents/auth` (idempotent: returns the existing agent for the same
/// domain and profile).
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CreateAgentRequest>,
) -> ApiResult<Json<Value>> {
    let domain = req.domain.trim().trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() {
        return Err(ApiError::bad_request("domain must not be empty"));
    }
    if req.profile_name.trim().is_empty() {
        return Err(ApiError::bad_request("profile_name must not be empty"));
    }
    if let Some(url) = &req.login_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ApiError::bad_request(format!(
                "login_url: {url:?} is not an absolute http(s) URL"
            )));
        }
    }
    let mut store = state.store();
    let proxy_id = req.proxy.as_ref().and_then(|p| p.proxy_id.clone());
    if let Some(proxy_id) = &proxy_id {
        if proxies::find_proxy(&store, proxy_id).is_none() {
            return Err(ApiError::bad_request(format!(
                "proxy {proxy_id:?} not found"
            )));
        }
    }
    let reference = req.credential_name.map(CredentialRef::named);
    if let Some(reference) = &reference {
        reference.validate(&store)?;
    }
    let index = match store
        .connections
        .iter()
        .position(|c| c.domain == domain && c.profile_name == req.profile_name)
    {
        Some(index) => {
            let connection = &mut store.connections[index];
            if reference.is_some() {
                connection.credential = reference;
            }
            index
        }
        None => {
            profiles::ensure(&mut store, &req.profile_name);
            let mut connection = Connection::new(req.profile_name, domain);
            connection.proxy_id = proxy_id;
            connection.login_url = req.login_url;
            connection.credential = reference;
            connection.allowed_domains = req.allowed_domains.unwrap_or_default();
            // The legacy API saves credentials only with `save_credential_as`.
            connection.save_credentials = false;
            store.connections.push(connection);
            store.connections.len() - 1
        }
    };
    Ok(Json(to_json(&store, &store.connections[index])?))
}

/// `GET /agents/auth`
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, false)?;
    let store = state.store();
    let items = matching(&store, query.get("profile_name"), query.get("domain"))
        .map(|c| to_json(&store, c))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /agents/auth/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let index = find_index(&store, &id)?;
    Ok(Json(to_json(&store, &store.connections[index])?))
}

/// `DELETE /agents/auth/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find_index(&store, &id)?;
    connections::remove(&mut store, index);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInvocationRequest {
    auth_agent_id: String,
    save_credential_as: Option<String>,
}

/// `POST /agents/auth/invocations`: starts a flow, canceling one in
/// progress.
pub(crate) async fn create_invocation(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CreateInvocationRequest>,
) -> ApiResult<Json<Value>> {
    if req
        .save_credential_as
        .as_deref()
        .is_some_and(|n| n.trim().is_empty())
    {
        return Err(ApiError::bad_request(
            "save_credential_as must not be empty",
        ));
    }
    let mut store = state.store();
    let index = find_index(&store, &req.auth_agent_id)?;
    if let Some(flow_id) = store.connections[index].current_flow.clone() {
        flows::cancel(&mut store, &flow_id);
    }
    let view = flows::start(&state, &mut store, index, req.save_credential_as);
    let flow_type = view.legacy_type();
    let response: types::AuthAgentInvocationCreateResponse =
        types::AuthAgentInvocationCreateResponse::builder()
            .invocation_id(view.id)
            .type_(open::AuthAgentInvocationCreateResponseType::from(
                flow_type.as_str(),
            ))
            .handoff_code(view.handoff_code)
            .hosted_url(view.hosted_url)
            .expires_at(view.expires_at)
            .try_into()
            .map_err(|e| build_error("AuthAgentInvocationCreateResponse", e))?;
    Ok(Json(serde_json::to_value(response).map_err(|e| {
        build_error("AuthAgentInvocationCreateResponse", e)
    })?))
}

/// `GET /agents/auth/invocations/{invocation_id}`
pub(crate) async fn get_invocation(
    State(state): State<AppState>,
    Path(invocation_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let flow = store
        .flows
        .get(&invocation_id)
        .ok_or_else(|| ApiError::not_found("invocation", &invocation_id))?;
    let response = flows::legacy_invocation(&flow.view)?;
    Ok(Json(serde_json::to_value(response).map_err(|e| {
        build_error("AgentAuthInvocationResponse", e)
    })?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LegacySubmitRequest {
    field_values: Option<HashMap<String, String>>,
    sso_button: Option<String>,
    selected_mfa_type: Option<String>,
}

/// `POST /agents/auth/invocations/{invocation_id}/submit`
pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(invocation_id): Path<String>,
    JsonBody(req): JsonBody<LegacySubmitRequest>,
) -> ApiResult<Response> {
    let mut inputs = Vec::new();
    if let Some(values) = req.field_values {
        inputs.push(SubmitInput::Fields(values));
    }
    if let Some(selector) = req.sso_button {
        inputs.push(SubmitInput::SsoSelector(selector));
    }
    if let Some(kind) = req.selected_mfa_type {
        inputs.push(SubmitInput::MfaOption(kind));
    }
    if inputs.len() != 1 {
        return Err(ApiError::bad_request(
            "provide exactly one of field_values, sso_button, selected_mfa_type",
        ));
    }
    let mut store = state.store();
    if !store.flows.contains_key(&invocation_id) {
        return Err(ApiError::not_found("invocation", &invocation_id));
    }
    if let Some(input) = inputs.pop() {
        flows::submit(&mut store, &invocation_id, input)?;
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "accepted": true })),
    )
        .into_response())
}

/// `POST /agents/auth/invocations/{invocation_id}/exchange`: the legacy
/// handoff-code exchange (see `crate::flows::exchange`).
pub(crate) async fn exchange(
    State(state): State<AppState>,
    Path(invocation_id): Path<String>,
    JsonBody(req): JsonBody<ExchangeRequest>,
) -> ApiResult<Json<Value>> {
    let mut store = state.store();
    let response = flows::exchange(&mut store, Exchange::Invocation(&invocation_id), &req.code)?;
    Ok(Json(serde_json::to_value(response).map_err(|e| {
        build_error("ManagedAuthExchangeResponse", e)
    })?))
}
