//! Managed Auth: log a browser profile into a site and keep it logged in.
//!
//! - [`Connections::ensure_logged_in`]: create or reuse the connection and
//!   log in only if needed.
//! - [`Connections::start_login`] → [`LoginFlow`]: a typed state machine
//!   driven by the event stream, used with a [`LoginHandler`]
//!   ([`LoginFlow::run`]) or as a stream of [`FlowState`]s with
//!   [`LoginFlow::submit`].
//! - [`Credentials`](CredentialAnswers): answers pauses from a map of values, a TOTP
//!   secret or a Kernel credential.
//! - [`Connections::start_hosted`]: the hosted page flow.
//! - [`legacy`]: the same for the deprecated `/agents/auth` invocations.
//!
//! ```no_run
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! use kernel::auth::{CredentialAnswers, Outcome};
//! let mut answers = CredentialAnswers::new()
//!     .value("username", "me@example.com")
//!     .value("password", "correct-horse")
//!     .totp_secret("JBSWY3DPEHPK3PXP")?;
//! match kernel.auth().connections().ensure_logged_in("example.com", "my-profile", None, &mut answers).await? {
//!     Outcome::Success(connection) => println!("logged in: {}", connection.id),
//!     other => println!("not logged in: {other:?}"),
//! }
//! # Ok(()) }
//! ```

mod answers;
mod flow;
pub mod legacy;
mod totp;

pub use answers::{Answer, CredentialAnswers};
pub use flow::{
    CancelHandle, Failure, FlowOptions, FlowState, InputRequest, LoginFlow, LoginHandler, Outcome,
};
pub use totp::Totp;

use crate::sys::{builder, types};
use crate::Kernel;

/// Managed Auth: [`Connections`] (and the deprecated [`Agents`]).
#[derive(Clone, Copy, Debug)]
pub struct Auth<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Auth<'a> {
    /// Auth connections: a profile kept logged in to a domain.
    pub fn connections(&self) -> Connections<'a> {
        Connections {
            kernel: self.kernel,
        }
    }

    /// The legacy auth agents and their invocations (`/agents/auth`).
    #[deprecated(note = "`/agents/auth` is deprecated in favour of `connections()`")]
    pub fn agents(&self) -> Agents<'a> {
        Agents {
            kernel: self.kernel,
        }
    }
}

/// Managed Auth connections (`Managed Auth` tag).
#[derive(Clone, Copy, Debug)]
pub struct Connections<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Connections<'a> {
    /// List auth connections: `GET /auth/connections` (`getAuthConnections`).
    pub fn list(&self) -> builder::GetAuthConnections<'a> {
        self.kernel.sys().get_auth_connections()
    }

    /// Create auth connection: `POST /auth/connections` (`postAuthConnections`).
    pub fn create(&self) -> builder::PostAuthConnections<'a> {
        self.kernel.sys().post_auth_connections()
    }

    /// Get auth connection: `GET /auth/connections/{id}` (`getAuthConnectionsById`).
    pub fn get(&self, id: &str) -> builder::GetAuthConnectionsById<'a> {
        self.kernel.sys().get_auth_connections_by_id().id(id)
    }

    /// Update auth connection: `PATCH /auth/connections/{id}` (`patchAuthConnectionsById`).
    pub fn update(&self, id: &str) -> builder::PatchAuthConnectionsById<'a> {
        self.kernel.sys().patch_auth_connections_by_id().id(id)
    }

    /// Delete auth connection: `DELETE /auth/connections/{id}` (`deleteAuthConnectionsById`).
    pub fn delete(&self, id: &str) -> builder::DeleteAuthConnectionsById<'a> {
        self.kernel.sys().delete_auth_connections_by_id().id(id)
    }

    /// Start login flow: `POST /auth/connections/{id}/login` (`postAuthConnectionsLogin`).
    pub fn login(&self, id: &str) -> builder::PostAuthConnectionsLogin<'a> {
        self.kernel.sys().post_auth_connections_login().id(id)
    }

    /// Submit field values: `POST /auth/connections/{id}/submit` (`postAuthConnectionsSubmit`).
    pub fn submit(&self, id: &str) -> builder::PostAuthConnectionsSubmit<'a> {
        self.kernel.sys().post_auth_connections_submit().id(id)
    }

    /// Exchange handoff code for JWT: `POST /auth/connections/{id}/exchange` (`postAuthConnectionsExchange`).
    pub fn exchange(&self, id: &str) -> builder::PostAuthConnectionsExchange<'a> {
        self.kernel.sys().post_auth_connections_exchange().id(id)
    }
}

/// The legacy auth agents (`/agents/auth`), deprecated in favour of [`Connections`].
#[derive(Clone, Copy, Debug)]
pub struct Agents<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Agents<'a> {
    /// List auth agents: `GET /agents/auth` (`getAgentsAuth`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn list(&self) -> builder::GetAgentsAuth<'a> {
        self.kernel.sys().get_agents_auth()
    }

    /// Create or find an auth agent: `POST /agents/auth` (`postAgentsAuth`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn create(&self) -> builder::PostAgentsAuth<'a> {
        self.kernel.sys().post_agents_auth()
    }

    /// Get auth agent by ID: `GET /agents/auth/{id}` (`getAgentsAuthById`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn get(&self, id: &str) -> builder::GetAgentsAuthById<'a> {
        self.kernel.sys().get_agents_auth_by_id().id(id)
    }

    /// Delete auth agent: `DELETE /agents/auth/{id}` (`deleteAgentsAuthById`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn delete(&self, id: &str) -> builder::DeleteAgentsAuthById<'a> {
        self.kernel.sys().delete_agents_auth_by_id().id(id)
    }

    /// Create an auth invocation: `POST /agents/auth/invocations` (`postAgentsAuthInvocations`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn create_invocation(&self) -> builder::PostAgentsAuthInvocations<'a> {
        self.kernel.sys().post_agents_auth_invocations()
    }

    /// Get invocation details: `GET /agents/auth/invocations/{invocation_id}` (`getAgentsAuthInvocationsInvocationId`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn get_invocation(
        &self,
        invocation_id: &str,
    ) -> builder::GetAgentsAuthInvocationsInvocationId<'a> {
        self.kernel
            .sys()
            .get_agents_auth_invocations_invocation_id()
            .invocation_id(invocation_id)
    }

    /// Submit field values: `POST /agents/auth/invocations/{invocation_id}/submit` (`postAgentsAuthInvocationsSubmit`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn submit_invocation(
        &self,
        invocation_id: &str,
    ) -> builder::PostAgentsAuthInvocationsSubmit<'a> {
        self.kernel
            .sys()
            .post_agents_auth_invocations_submit()
            .invocation_id(invocation_id)
    }

    /// Exchange handoff code for JWT: `POST /agents/auth/invocations/{invocation_id}/exchange` (`postAgentsAuthInvocationsExchange`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn exchange_invocation(
        &self,
        invocation_id: &str,
    ) -> builder::PostAgentsAuthInvocationsExchange<'a> {
        self.kernel
            .sys()
            .post_agents_auth_invocations_exchange()
            .invocation_id(invocation_id)
    }
}

impl Connections<'_> {
    /// Streams the events of `id` (`get_auth_connections_events_by_id`): ends when the flow succeeds, fails, expires or is canceled.
    /// Heartbeats are hidden unless [`StreamOptions::heartbeats`](crate::sse::StreamOptions::heartbeats)
    /// is set; an `error` event is an [`Error::Event`](crate::Error::Event) item.
    pub fn events(&self, id: &str) -> crate::sse::EventStream<crate::open::ManagedAuthEvent> {
        self.event_stream(id, true)
    }

    /// The events of `id`, reconnecting after a drop or not.
    pub(crate) fn event_stream(
        &self,
        id: &str,
        reconnect: bool,
    ) -> crate::sse::EventStream<crate::open::ManagedAuthEvent> {
        crate::sse::state_events(self.kernel, id, reconnect, |sys, id| async move {
            sys.get_auth_connections_events_by_id().id(id).send().await
        })
    }
}

/// A hosted login: send the user to [`url`](Self::url).
#[derive(Debug)]
pub struct HostedLogin {
    /// The hosted page URL (`hosted_url`).
    pub hosted_url: String,
    /// The login response.
    pub response: types::LoginResponse,
    flow: LoginFlow,
}

impl HostedLogin {
    /// The hosted URL with `success_url` and `error_url` query parameters,
    /// where the page sends the user when it is done.
    pub fn url(&self, success_url: Option<&str>, error_url: Option<&str>) -> String {
        let mut url = match reqwest::Url::parse(&self.hosted_url) {
            Ok(url) => url,
            Err(_) => return self.hosted_url.clone(),
        };
        // Touch the query only when there is something to add: an empty
        // `query_pairs_mut` leaves a stray `?`.
        if success_url.is_some() || error_url.is_some() {
            let mut query = url.query_pairs_mut();
            if let Some(success) = success_url {
                query.append_pair("success_url", success);
            }
            if let Some(error) = error_url {
                query.append_pair("error_url", error);
            }
        }
        url.into()
    }

    /// Resolves when the flow reaches a terminal state.
    pub async fn wait(self) -> crate::Result<Outcome> {
        self.flow.wait().await
    }
}

impl<'a> Connections<'a> {
    /// Starts a login of connection `id` and follows it. If a flow is
    /// already in progress it is followed instead; if that flow is stale
    /// (past its `flow_expires_at`), a new login supersedes it.
    pub async fn start_login(&self, id: &str) -> crate::Result<LoginFlow> {
        Ok(self.start(id).await?.1)
    }

    async fn start(&self, id: &str) -> crate::Result<(Option<types::LoginResponse>, LoginFlow)> {
        let mut superseded = false;
        loop {
            match self.login(id).send().await {
                Ok(response) => {
                    let response = response.into_inner();
                    let flow = LoginFlow::follow(self.kernel, id, Some(response.flow_expires_at));
                    return Ok((Some(response), flow));
                }
                Err(e) => {
                    let e = crate::Error::from(e);
                    if !e.is_conflict() {
                        return Err(e);
                    }
                    let connection = self.get(id).send().await?.into_inner();
                    let expires = connection.flow_expires_at;
                    let stale = expires.is_some_and(|at| at < chrono::Utc::now());
                    if !stale || superseded {
                        // A live flow: follow it rather than fail.
                        return Ok((None, LoginFlow::follow(self.kernel, id, expires)));
                    }
                    superseded = true;
                    tracing::info!(connection = id, "superseding a stale login flow");
                }
            }
        }
    }

    /// Starts a hosted login of connection `id`.
    pub async fn start_hosted(&self, id: &str) -> crate::Result<HostedLogin> {
        let response = self.login(id).send().await?.into_inner();
        let flow = LoginFlow::follow(self.kernel, id, Some(response.flow_expires_at));
        Ok(HostedLogin {
            hosted_url: response.hosted_url.clone(),
            response,
            flow,
        })
    }

    /// Makes sure profile `profile` is logged in to `domain`: creates the
    /// connection (or reuses it on 409 `already_exists`), returns at once if
    /// it is authenticated with no flow in progress, follows a flow already
    /// in progress (a re-auth makes an `AUTHENTICATED` reading stale), and
    /// otherwise logs in with `handler` answering the pauses.
    pub async fn ensure_logged_in<H: LoginHandler>(
        &self,
        domain: &str,
        profile: &str,
        credential: Option<types::CredentialReference>,
        handler: &mut H,
    ) -> crate::Result<Outcome> {
        let mut body = types::ManagedAuthCreateRequest::builder()
            .domain(domain)
            .profile_name(profile);
        if let Some(credential) = credential {
            body = body.credential(credential);
        }
        let connection = match self.create().body(body).send().await {
            Ok(created) => created.into_inner(),
            Err(e) => {
                let e = crate::Error::from(e);
                match e.api().and_then(|api| api.existing_id()) {
                    Some(existing) => self.get(existing).send().await?.into_inner(),
                    None => return Err(e),
                }
            }
        };
        let in_progress = matches!(
            connection.flow_status,
            Some(crate::open::ManagedAuthFlowStatus::InProgress)
        );
        let live = in_progress
            && connection
                .flow_expires_at
                .is_none_or(|at| at > chrono::Utc::now());
        if matches!(
            connection.status,
            crate::open::ManagedAuthStatus::Authenticated
        ) && !live
        {
            return Ok(Outcome::Success(Box::new(connection)));
        }
        let flow = if live {
            LoginFlow::follow(self.kernel, &connection.id, connection.flow_expires_at)
        } else {
            self.start_login(&connection.id).await?
        };
        flow.run(handler).await
    }
}
