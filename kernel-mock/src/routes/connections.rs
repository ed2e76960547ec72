//! `/auth/connections`: Managed Auth connections, their login flows and the
//! flow event stream.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use futures::StreamExt;
use kernel_sys::open;
use kernel_sys::types;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::flows::{self, non_empty, Exchange};
use crate::http::error::{build_error, ApiError, ApiResult};
use crate::http::extract::{JsonBody, OptionalJsonBody, QueryMap};
use crate::http::paging::{paged_response, Page};
use crate::routes::sse::{self, Frame};
use crate::state::AppState;
use crate::store::connections::{matching, Connection, CredentialRef};
use crate::store::flows::{FlowStatus, FlowView, SubmitInput};
use crate::store::Store;
use crate::store::{profiles, proxies};

serves! {
    "postAuthConnections" => create,
    "getAuthConnections" => list,
    "getAuthConnectionsById" => get,
    "patchAuthConnectionsById" => update,
    "deleteAuthConnectionsById" => delete,
    "postAuthConnectionsLogin" => login,
    "postAuthConnectionsSubmit" => submit,
    "getAuthConnectionsEventsById" => events,
    "postAuthConnectionsExchange" => exchange,
}

/// The spec's `ProxyRef`: a proxy by id or name.
#[derive(Deserialize)]
pub(crate) struct ProxyRef {
    id: Option<String>,
    name: Option<String>,
}

impl ProxyRef {
    /// The id of the proxy it names, or a 400.
    pub(crate) fn resolve(&self, store: &Store) -> ApiResult<String> {
        let what = self.id.as_deref().or(self.name.as_deref()).unwrap_or("");
        proxies::find_proxy(store, what)
            .map(|proxy| proxy.id.clone())
            .ok_or_else(|| ApiError::bad_request(format!("proxy {what:?} not found")))
    }
}

fn check_url(field: &str, url: &str) -> ApiResult<()> {
    let valid = (url.starts_with("https://") || url.starts_with("http://"))
        && url
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{field}: {url:?} is not an absolute http(s) URL"
        )))
    }
}

fn check_interval(interval: Option<i64>) -> ApiResult<()> {
    match interval {
        Some(i) if !(300..=86400).contains(&i) => Err(ApiError::bad_request(
            "health_check_interval must be between 300 and 86400 seconds",
        )),
        _ => Ok(()),
    }
}

/// The spec's `ManagedAuth` for `connection` and its latest flow.
pub(crate) fn to_json(store: &Store, connection: &Connection) -> ApiResult<Value> {
    let (can_reauth, reason) = connection.can_reauth();
    let mut builder = types::ManagedAuth::builder()
        .id(connection.id.clone())
        .profile_name(connection.profile_name.clone())
        .domain(connection.domain.clone())
        .status(open::ManagedAuthStatus::from(if connection.authenticated {
            "AUTHENTICATED"
        } else {
            "NEEDS_AUTH"
        }))
        .last_auth_at(connection.last_auth_at)
        .last_auth_check_at(connection.last_auth_check_at)
        .credential(connection.credential.as_ref().map(CredentialRef::to_spec))
        .can_reauth(Some(can_reauth))
        .can_reauth_reason(Some(open::ManagedAuthCanReauthReason::from(reason)))
        .proxy_id(connection.proxy_id.clone())
        .allowed_domains(connection.allowed_domains.clone())
        .login_url(connection.login_url.clone())
        .post_login_url(connection.post_login_url.clone())
        .health_check_interval(connection.health_check_interval)
        .health_checks(Some(connection.health_checks))
        .auto_reauth(Some(connection.auto_reauth))
        .save_credentials(connection.save_credentials)
        .record_session(connection.record_session);
    if let Some(flow) = connection
        .current_flow
        .as_deref()
        .and_then(|id| store.flows.get(id))
    {
        let view = &flow.view;
        let lists = flows::pending_lists(view)?;
        let in_progress = view.status == FlowStatus::InProgress;
        builder = builder
            // The same spec values as the state event's enums: converted
            // through the wire value.
            .flow_status(Some(open::ManagedAuthFlowStatus::from(
                view.status.as_str(),
            )))
            .flow_step(Some(open::ManagedAuthFlowStep::from(view.step.as_str())))
            .flow_type(Some(open::ManagedAuthFlowType::from(
                view.flow_type.as_str(),
            )))
            .flow_expires_at(Some(view.expires_at))
            .discovered_fields(non_empty(lists.fields))
            .mfa_options(non_empty(lists.mfa_options))
            .pending_sso_buttons(non_empty(lists.sso_buttons))
            .sign_in_options(non_empty(lists.sign_in_options))
            .external_action_message(view.external_action_message.clone())
            .website_error(view.website_error.clone())
            .sso_provider(view.sso_provider.clone())
            .error_code(view.error_code.clone())
            .error_message(if view.status == FlowStatus::Failed {
                view.error_message.clone()
            } else {
                None
            })
            .hosted_url(in_progress.then(|| view.hosted_url.clone()))
            .live_view_url(in_progress.then(|| view.live_view_url.clone()));
    }
    let managed: types::ManagedAuth = builder
        .try_into()
        .map_err(|e| build_error("ManagedAuth", e))?;
    serde_json::to_value(managed).map_err(|e| build_error("ManagedAuth", e))
}

fn find_index(store: &Store, id: &str) -> ApiResult<usize> {
    store
        .connections
        .iter()
        .position(|c| c.id == id)
        .ok_or_else(|| ApiError::not_found("auth connection", id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequest {
    domain: String,
    profile_name: String,
    login_url: Option<String>,
    proxy: Option<ProxyRef>,
    credential: Option<CredentialRef>,
    allowed_domains: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    health_check_interval: Option<i64>,
    health_checks: Option<bool>,
    auto_reauth: Option<bool>,
    save_credentials: Option<bool>,
    record_session: Option<bool>,
}

/// `POST /auth/connections`
pub(crate) async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CreateRequest>,
) -> ApiResult<Response> {
    let domain = req.domain.trim().trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() {
        return Err(ApiError::bad_request("domain must not be empty"));
    }
    if req.profile_name.trim().is_empty() {
        return Err(ApiError::bad_request("profile_name must not be empty"));
    }
    if let Some(url) = &req.login_url {
        check_url("login_url", url)?;
    }
    check_interval(req.health_check_interval)?;
    let mut store = state.store();
    let proxy_id = req
        .proxy
        .as_ref()
        .map(|proxy| proxy.resolve(&store))
        .transpose()?;
    if let Some(reference) = &req.credential {
        reference.validate(&store)?;
    }
    if let Some(existing) = store
        .connections
        .iter()
        .find(|c| c.domain == domain && c.profile_name == req.profile_name)
    {
        return Err(ApiError::conflict(
            "already_exists",
            "Auth connection already exists for this profile and domain",
        )
        .with("existing_id", existing.id.clone()));
    }
    profiles::ensure(&mut store, &req.profile_name);
    let mut connection = Connection::new(req.profile_name, domain);
    connection.proxy_id = proxy_id;
    connection.login_url = req.login_url;
    connection.credential = req.credential;
    connection.allowed_domains = req.allowed_domains.unwrap_or_default();
    connection.health_check_interval = req.health_check_interval;
    connection.health_checks = req.health_checks.unwrap_or(true);
    connection.auto_reauth = req.auto_reauth.unwrap_or(true);
    connection.save_credentials = req.save_credentials.unwrap_or(true);
    connection.record_session = req.record_session.unwrap_or(false);
    let body = to_json(&store, &connection)?;
    store.connections.push(connection);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /auth/connections`
pub(crate) async fn list(State(state): State<AppState>, query: QueryMap) -> ApiResult<Response> {
    let page = Page::parse(&query, false)?;
    let store = state.store();
    let items = matching(&store, query.get("profile_name"), query.get("domain"))
        .map(|c| to_json(&store, c))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(paged_response(page, items))
}

/// `GET /auth/connections/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let index = find_index(&store, &id)?;
    Ok(Json(to_json(&store, &store.connections[index])?))
}

/// `Some(None)` for an explicit `null`, `None` when absent.
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRequest {
    login_url: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    credential: Option<Option<CredentialRef>>,
    allowed_domains: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::http::extract::opt_int")]
    health_check_interval: Option<i64>,
    health_checks: Option<bool>,
    auto_reauth: Option<bool>,
    save_credentials: Option<bool>,
    record_session: Option<bool>,
    proxy: Option<ProxyRef>,
}

/// `PATCH /auth/connections/{id}`
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateRequest>,
) -> ApiResult<Json<Value>> {
    let mut store = state.store();
    let index = find_index(&store, &id)?;
    if let Some(url) = req.login_url.as_deref().filter(|u| !u.is_empty()) {
        check_url("login_url", url)?;
    }
    check_interval(req.health_check_interval)?;
    let proxy_id = req
        .proxy
        .as_ref()
        .map(|proxy| proxy.resolve(&store))
        .transpose()?;
    if let Some(Some(reference)) = &req.credential {
        reference.validate(&store)?;
    }
    let connection = &mut store.connections[index];
    if proxy_id.is_some() {
        connection.proxy_id = proxy_id;
    }
    if let Some(url) = req.login_url {
        connection.login_url = (!url.is_empty()).then_some(url);
    }
    if let Some(reference) = req.credential {
        connection.credential = reference;
    }
    if let Some(domains) = req.allowed_domains {
        connection.allowed_domains = domains;
    }
    if let Some(interval) = req.health_check_interval {
        connection.health_check_interval = Some(interval);
    }
    if let Some(v) = req.health_checks {
        connection.health_checks = v;
    }
    if let Some(v) = req.auto_reauth {
        connection.auto_reauth = v;
    }
    if let Some(v) = req.save_credentials {
        connection.save_credentials = v;
    }
    if let Some(v) = req.record_session {
        connection.record_session = v;
    }
    Ok(Json(to_json(&store, &store.connections[index])?))
}

/// Removes the connection at `index`, canceling its flow (subscribers see
/// `CANCELED`, then their stream ends).
pub(crate) fn remove(store: &mut Store, index: usize) {
    if let Some(flow_id) = store.connections[index].current_flow.clone() {
        flows::cancel(store, &flow_id);
    }
    store.connections.remove(index);
}

/// `DELETE /auth/connections/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = state.store();
    let index = find_index(&store, &id)?;
    remove(&mut store, index);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    proxy: Option<ProxyRef>,
    #[allow(dead_code)]
    record_session: Option<bool>,
}

/// `POST /auth/connections/{id}/login`
pub(crate) async fn login(
    State(state): State<AppState>,
    Path(id): Path<String>,
    OptionalJsonBody(req): OptionalJsonBody<LoginRequest>,
) -> ApiResult<Json<Value>> {
    let mut store = state.store();
    let index = find_index(&store, &id)?;
    // The login's own proxy; the mock's flows do not go through one.
    if let Some(proxy) = req.as_ref().and_then(|r| r.proxy.as_ref()) {
        proxy.resolve(&store)?;
    }
    if let Some(flow) = flows::active_flow(&store, &store.connections[index]) {
        return Err(ApiError::conflict(
            "flow_in_progress",
            format!(
                "a login flow is already in progress (expires at {})",
                flow.view.expires_at.to_rfc3339()
            ),
        ));
    }
    let view = flows::start(&state, &mut store, index, None);
    let response: types::LoginResponse = types::LoginResponse::builder()
        .id(id)
        .flow_type(open::LoginResponseFlowType::from(view.flow_type.as_str()))
        .hosted_url(view.hosted_url)
        .flow_expires_at(view.expires_at)
        .handoff_code(Some(view.handoff_code.into()))
        .live_view_url(Some(view.live_view_url))
        .try_into()
        .map_err(|e| build_error("LoginResponse", e))?;
    Ok(Json(
        serde_json::to_value(response).map_err(|e| build_error("LoginResponse", e))?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitRequest {
    fields: Option<HashMap<String, String>>,
    sso_button_selector: Option<String>,
    sso_provider: Option<String>,
    mfa_option_id: Option<String>,
    sign_in_option_id: Option<String>,
}

impl SubmitRequest {
    fn into_input(self) -> ApiResult<SubmitInput> {
        let mut inputs = Vec::new();
        if let Some(fields) = self.fields {
            inputs.push(SubmitInput::Fields(fields));
        }
        if let Some(selector) = self.sso_button_selector {
            inputs.push(SubmitInput::SsoSelector(selector));
        }
        if let Some(provider) = self.sso_provider {
            inputs.push(SubmitInput::SsoProvider(provider));
        }
        if let Some(option) = self.mfa_option_id {
            inputs.push(SubmitInput::MfaOption(option));
        }
        if let Some(option) = self.sign_in_option_id {
            inputs.push(SubmitInput::SignInOption(option));
        }
        match inputs.len() {
            1 => inputs.pop().ok_or_else(|| ApiError::internal("unreachable")),
            _ => Err(ApiError::bad_request(
                "provide exactly one of fields, sso_button_selector, sso_provider, mfa_option_id, sign_in_option_id",
            )),
        }
    }
}

/// `POST /auth/connections/{id}/submit`
pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<SubmitRequest>,
) -> ApiResult<Response> {
    let input = req.into_input()?;
    let mut store = state.store();
    let index = find_index(&store, &id)?;
    let flow_id = store.connections[index]
        .current_flow
        .clone()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "no_active_flow",
                "no login flow in progress; start one with /login",
            )
        })?;
    flows::submit(&mut store, &flow_id, input)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "accepted": true })),
    )
        .into_response())
}

enum Next {
    State(Result<Box<FlowView>, broadcast::error::RecvError>),
    Beat,
}

/// The `ManagedAuthStateEvent` JSON of `view`, or an `ErrorEvent` if it
/// cannot be rendered.
fn state_value(view: &FlowView) -> (Value, &'static str) {
    match flows::state_event(view)
        .and_then(|e| serde_json::to_value(e).map_err(|e| build_error("event", e)))
    {
        Ok(value) => (value, "managed_auth_state"),
        Err(error) => (
            serde_json::json!({"event": "error", "timestamp": Utc::now(), "error": error.body()}),
            "error",
        ),
    }
}

/// `GET /auth/connections/{id}/events`
///
/// Sends the current flow state (if a flow exists), then every change, one
/// `event: managed_auth_state` frame each, with `event: sse_heartbeat`
/// frames in between; ends after a terminal state. A stream opened before
/// any login starts with a heartbeat, then waits for the next flow.
pub(crate) async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (mut rx, initial) = {
        let store = state.store();
        let index = find_index(&store, &id)?;
        let connection = &store.connections[index];
        let initial = connection
            .current_flow
            .as_deref()
            .and_then(|f| store.flows.get(f))
            .map(|f| f.view.clone());
        (connection.events.subscribe(), initial)
    };
    let shared = state.clone();
    let stream = async_stream::stream! {
        let mut last: Option<Value> = None;
        if shared.faults.drills().unknown_events {
            yield sse::unknown_event_frame(shared.faults.drills());
        }
        if initial.is_none() {
            // No state to send yet: a heartbeat starts the body at once, so
            // a client waiting for the first bytes does not hang.
            yield sse::heartbeat_frame(shared.faults.drills());
        }
        let mut current = initial;
        let mut heartbeat = sse::heartbeat(shared.config.heartbeat_interval);
        loop {
            if let Some(view) = current.take() {
                let (value, name) = state_value(&view);
                let mut key = value.clone();
                if let Some(map) = key.as_object_mut() {
                    map.remove("timestamp");
                }
                if last.as_ref() != Some(&key) {
                    last = Some(key);
                    yield Frame::json(None, Some(name), value, shared.faults.drills());
                }
                if view.is_terminal() {
                    return;
                }
            }
            let next = tokio::select! {
                message = rx.recv() => Next::State(message.map(Box::new)),
                _ = heartbeat.tick() => Next::Beat,
            };
            match next {
                Next::State(Ok(view)) => current = Some(*view),
                Next::State(Err(broadcast::error::RecvError::Lagged(_))) => {
                    let store = shared.store();
                    current = store
                        .connections
                        .iter()
                        .find(|c| c.id == id)
                        .and_then(|c| c.current_flow.as_deref())
                        .and_then(|f| store.flows.get(f))
                        .map(|f| f.view.clone());
                }
                Next::State(Err(broadcast::error::RecvError::Closed)) => return,
                Next::Beat => yield sse::heartbeat_frame(shared.faults.drills()),
            }
        }
    };
    Ok(sse::response(
        &state,
        "getAuthConnectionsEventsById",
        stream.boxed(),
    ))
}

/// The spec's `ManagedAuthExchangeRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExchangeRequest {
    pub(crate) code: String,
}

/// `POST /auth/connections/{id}/exchange`: the hosted login page trades the
/// flow's handoff code for a JWT (see `crate::flows::exchange`).
pub(crate) async fn exchange(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ExchangeRequest>,
) -> ApiResult<Json<Value>> {
    let mut store = state.store();
    let response = flows::exchange(&mut store, Exchange::Connection(&id), &req.code)?;
    Ok(Json(serde_json::to_value(response).map_err(|e| {
        build_error("ManagedAuthExchangeResponse", e)
    })?))
}
