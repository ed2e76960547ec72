//! Managed Auth: log a browser profile into a site and keep it logged in.
//!
//! - [`ensure_logged_in`](connections::Connections::ensure_logged_in):
//!   create or reuse the connection and log in only if needed.
//! - [`start_login`](connections::Connections::start_login) → [`LoginFlow`]:
//!   a typed state machine driven by the event stream, used with a
//!   [`LoginHandler`] ([`LoginFlow::run`]) or as a stream of [`FlowState`]s
//!   with [`LoginFlow::submit`].
//! - [`CredentialAnswers`]: answers pauses from a map of values, a TOTP
//!   secret or a Kernel credential.
//! - [`start_hosted`](connections::Connections::start_hosted): the hosted
//!   page flow.
//! - [`legacy`]: the same for the deprecated `/agents/auth` invocations.
//! - [`connections`] and [`agents`]: every operation, as builders.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> kernel::Result<()> {
//! # let fake = kernel_mock::KernelMock::start().await.unwrap();
//! # let kernel = kernel::Kernel::builder().api_key(fake.api_key()).base_url(fake.base_url()).build()?;
//! use kernel::prelude::*;
//! let mut answers = CredentialAnswers::new()
//!     .value("username", "user@example.com")
//!     .value("password", "correct-horse")
//!     .totp_secret("JBSWY3DPEHPK3PXP")?;
//! let outcome = kernel
//!     .auth()
//!     .connections()
//!     .ensure_logged_in("totp.example", "my-profile", &mut answers)
//!     .send()
//!     .await?;
//! match outcome {
//!     Outcome::Success(connection) => println!("logged in: {}", connection.id),
//!     other => println!("not logged in: {other:?}"),
//! }
//! # Ok(()) }
//! ```

mod answers;
mod driver;
pub mod legacy;
mod login;
mod state;
mod totp;

pub use answers::{Answer, CredentialAnswers};
pub use login::{CancelHandle, LoginFlow};
pub use state::{Failure, FlowOptions, FlowState, InputRequest, LoginHandler, Outcome};
pub use totp::Totp;

use crate::types;
use crate::Kernel;

// Spec descriptions are prose: bare URLs and brackets are not links.
#[allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/calls/auth.rs"));
}
pub use generated::*;

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

impl<'a> connections::Connections<'a> {
    /// Starts a login of connection `id` and follows it: `.send().await`
    /// gives the [`LoginFlow`]. If a flow is already in progress it is
    /// followed instead; if that flow is stale (past its
    /// `flow_expires_at`), a new login supersedes it.
    pub fn start_login(&self, id: impl crate::IntoId) -> StartLogin<'a> {
        StartLogin {
            kernel: self.kernel(),
            id: id.into_id(),
            options: FlowOptions::default(),
        }
    }

    /// Starts a hosted login of connection `id`: `.send().await` gives the
    /// [`HostedLogin`] with the page to send the user to.
    pub fn start_hosted(&self, id: impl crate::IntoId) -> StartHosted<'a> {
        StartHosted {
            kernel: self.kernel(),
            id: id.into_id(),
            options: FlowOptions::default(),
        }
    }

    /// Makes sure profile `profile_name` is logged in to `domain`, with
    /// `handler` answering the pauses; set more of the connection (a
    /// credential, a proxy, ...) on the builder, then `.send().await`.
    ///
    /// It creates the connection (or reuses it on 409 `already_exists`),
    /// returns at once if it is authenticated with no flow in progress,
    /// follows a flow already in progress (a re-auth makes an
    /// `AUTHENTICATED` reading stale), and otherwise logs in.
    pub fn ensure_logged_in<'h, H: LoginHandler>(
        &self,
        domain: impl Into<String>,
        profile_name: impl Into<String>,
        handler: &'h mut H,
    ) -> EnsureLoggedIn<'a, 'h, H> {
        EnsureLoggedIn {
            kernel: self.kernel(),
            create: self.create().domain(domain).profile_name(profile_name),
            handler,
            options: FlowOptions::default(),
        }
    }
}

/// Starts a login and follows it; from
/// [`Connections::start_login`](connections::Connections::start_login).
#[must_use = "a request does nothing until `.send().await`"]
#[derive(Debug)]
pub struct StartLogin<'a> {
    kernel: &'a Kernel,
    id: String,
    options: FlowOptions,
}

impl StartLogin<'_> {
    /// Deadlines and intervals of the flow.
    pub fn options(mut self, options: FlowOptions) -> Self {
        self.options = options;
        self
    }

    /// Starts (or joins) the login.
    pub async fn send(self) -> crate::Result<LoginFlow> {
        Ok(start(self.kernel, &self.id)
            .await?
            .1
            .with_options(self.options))
    }
}

/// Starts a hosted login; from
/// [`Connections::start_hosted`](connections::Connections::start_hosted).
#[must_use = "a request does nothing until `.send().await`"]
#[derive(Debug)]
pub struct StartHosted<'a> {
    kernel: &'a Kernel,
    id: String,
    options: FlowOptions,
}

impl StartHosted<'_> {
    /// Deadlines and intervals of the flow.
    pub fn options(mut self, options: FlowOptions) -> Self {
        self.options = options;
        self
    }

    /// Starts the hosted login.
    pub async fn send(self) -> crate::Result<HostedLogin> {
        let connections = self.kernel.auth().connections();
        let response = connections.login(&self.id).send().await?;
        let flow = LoginFlow::follow(self.kernel, &self.id, Some(response.flow_expires_at))
            .with_options(self.options);
        Ok(HostedLogin {
            hosted_url: response.hosted_url.clone(),
            response,
            flow,
        })
    }
}

/// Logs a profile in only if needed; from
/// [`Connections::ensure_logged_in`](connections::Connections::ensure_logged_in).
#[must_use = "a request does nothing until `.send().await`"]
pub struct EnsureLoggedIn<'a, 'h, H> {
    kernel: &'a Kernel,
    create: connections::Create<'a>,
    handler: &'h mut H,
    options: FlowOptions,
}

impl<H> std::fmt::Debug for EnsureLoggedIn<'_, '_, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnsureLoggedIn")
            .field("create", &self.create)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a, H: LoginHandler> EnsureLoggedIn<'a, '_, H> {
    /// The credential to log in with (a Kernel credential or a provider
    /// item): a [`CredentialReference`](types::CredentialReference) or its
    /// builder.
    pub fn credential<V>(mut self, value: V) -> Self
    where
        V: TryInto<types::CredentialReference>,
        V::Error: std::fmt::Display,
    {
        self.create = self.create.credential(value);
        self
    }

    /// Sets anything else of the connection on its create builder
    /// (`allowed_domains`, `proxy`, `health_check_interval`, ...).
    pub fn connection(
        mut self,
        configure: impl FnOnce(connections::Create<'a>) -> connections::Create<'a>,
    ) -> Self {
        self.create = configure(self.create);
        self
    }

    /// Deadlines and intervals of the flow.
    pub fn options(mut self, options: FlowOptions) -> Self {
        self.options = options;
        self
    }

    /// Runs it: the outcome of the login, or `Success` at once when the
    /// profile is already logged in.
    pub async fn send(self) -> crate::Result<Outcome> {
        let kernel = self.kernel;
        let connections = kernel.auth().connections();
        let connection = match self.create.send().await {
            Ok(created) => created,
            Err(e) => match e.api().and_then(|api| api.existing_id()) {
                Some(existing) => connections.get(existing).send().await?,
                None => return Err(e),
            },
        };
        let in_progress = matches!(
            connection.flow_status,
            Some(types::ManagedAuthFlowStatus::InProgress)
        );
        let live = in_progress
            && connection
                .flow_expires_at
                .is_none_or(|at| at > chrono::Utc::now());
        if matches!(connection.status, types::ManagedAuthStatus::Authenticated) && !live {
            return Ok(Outcome::Success(Box::new(connection)));
        }
        let flow = if live {
            LoginFlow::follow(kernel, &connection.id, connection.flow_expires_at)
        } else {
            start(kernel, &connection.id).await?.1
        };
        flow.with_options(self.options).run(self.handler).await
    }
}

/// Starts a login of `id`, joining a live flow on 409 and superseding a
/// stale one.
async fn start(
    kernel: &Kernel,
    id: &str,
) -> crate::Result<(Option<types::LoginResponse>, LoginFlow)> {
    let connections = kernel.auth().connections();
    let mut superseded = false;
    loop {
        match connections.login(id).send().await {
            Ok(response) => {
                let flow = LoginFlow::follow(kernel, id, Some(response.flow_expires_at));
                return Ok((Some(response), flow));
            }
            Err(e) => {
                if !e.is_conflict() {
                    return Err(e);
                }
                let connection = connections.get(id).send().await?;
                let expires = connection.flow_expires_at;
                let stale = expires.is_some_and(|at| at < chrono::Utc::now());
                if !stale || superseded {
                    // A live flow: follow it rather than fail.
                    return Ok((None, LoginFlow::follow(kernel, id, expires)));
                }
                superseded = true;
                tracing::info!(connection = id, "superseding a stale login flow");
            }
        }
    }
}
