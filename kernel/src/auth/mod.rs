//! Managed Auth: connections, the legacy auth agents, credentials helpers.

use crate::sys::builder;
use crate::Kernel;

/// Managed Auth: [`Connections`] (and the deprecated [`Agents`]).
#[derive(Clone, Copy, Debug)]
pub struct Auth<'a> {
    pub(crate) kernel: &'a Kernel,
}

impl<'a> Auth<'a> {
    /// Auth connections: a profile kept logged in to a domain.
    pub fn connections(&self) -> Connections<'a> {
        Connections { kernel: self.kernel }
    }

    /// The legacy auth agents and their invocations (`/agents/auth`).
    #[deprecated(note = "`/agents/auth` is deprecated in favour of `connections()`")]
    pub fn agents(&self) -> Agents<'a> {
        Agents { kernel: self.kernel }
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
    pub fn get_invocation(&self, invocation_id: &str) -> builder::GetAgentsAuthInvocationsInvocationId<'a> {
        self.kernel.sys().get_agents_auth_invocations_invocation_id().invocation_id(invocation_id)
    }

    /// Submit field values: `POST /agents/auth/invocations/{invocation_id}/submit` (`postAgentsAuthInvocationsSubmit`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn submit_invocation(&self, invocation_id: &str) -> builder::PostAgentsAuthInvocationsSubmit<'a> {
        self.kernel.sys().post_agents_auth_invocations_submit().invocation_id(invocation_id)
    }

    /// Exchange handoff code for JWT: `POST /agents/auth/invocations/{invocation_id}/exchange` (`postAgentsAuthInvocationsExchange`).
    #[deprecated(note = "deprecated in the Kernel API")]
    pub fn exchange_invocation(&self, invocation_id: &str) -> builder::PostAgentsAuthInvocationsExchange<'a> {
        self.kernel.sys().post_agents_auth_invocations_exchange().invocation_id(invocation_id)
    }
}

impl Connections<'_> {
    /// Streams the events of `id` (`get_auth_connections_events_by_id`): ends when the flow succeeds, fails, expires or is canceled.
    /// Heartbeats are hidden unless [`StreamOptions::heartbeats`](crate::sse::StreamOptions::heartbeats)
    /// is set; an `error` event is an [`Error::Event`](crate::Error::Event) item.
    pub fn events(&self, id: &str) -> crate::sse::EventStream<crate::open::ManagedAuthEvent> {
        let sys = self.kernel.sys().clone();
        let id = id.to_string();
        let connect = crate::sse::connector(move |_| {
            let (sys, id) = (sys.clone(), id.clone());
            async move { sys.get_auth_connections_events_by_id().id(id).send().await }
        });
        crate::sse::typed(self.kernel.engine(connect, true, false), self.kernel.stream_options().heartbeats)
    }
}
