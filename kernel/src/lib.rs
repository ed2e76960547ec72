//! Rust SDK for the [Kernel](https://onkernel.com) API: cloud browsers for AI
//! agents.
//!
//! - One client, [`Kernel`], with an accessor per API area
//!   (`kernel.browsers()`, `kernel.auth().connections()`, ...). Accessors
//!   return the builders generated from the OpenAPI spec by `kernel-sys`;
//!   `.send().await?` runs them through the transport: timeouts, retries that
//!   never duplicate a POST, typed [`Error`]s and a tracing span per request.
//! - Lists are [`Stream`](futures::Stream)s via [`Paginate`]; downloads are
//!   streamed ([`Download::save_to`]); event streams are typed and resumable
//!   ([`sse`]).
//! - Managed Auth logins run as state machines ([`auth`]): no polling loop.
//!
//! ```no_run
//! # async fn demo() -> kernel::Result<()> {
//! let kernel = kernel::Kernel::from_env()?;
//! let browser = kernel.browsers().create().body_map(|b| b.stealth(true)).send().await?;
//! println!("CDP: {}", browser.cdp_ws_url);
//! kernel.browsers().delete(&browser.session_id).send().await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod api_keys;
pub mod auth;
pub mod browser_pools;
pub mod browsers;
pub mod config;
pub mod credentials;
pub mod deployments;
pub mod download;
pub mod error;
pub mod extensions;
pub mod invocations;
pub mod pagination;
pub mod profiles;
pub mod projects;
pub mod proxies;
pub mod retry;
pub mod sse;
pub mod upload;

pub use config::{KernelBuilder, Secret};
pub use download::{Download, Readiness};
pub use error::{ApiError, Error, Result};
pub use kernel_sys as sys;
pub use kernel_sys::{open, types, ResponseValue};
pub use pagination::{Page, Paginate};
pub use retry::RetryPolicy;
pub use upload::Upload;

use std::sync::Arc;

/// The Kernel client. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Kernel {
    sys: kernel_sys::Client,
    config: Arc<KernelBuilder>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("base_url", &self.config.base_url)
            .field("api_key", &self.config.api_key)
            .field("timeout", &self.config.timeout)
            .field("retry", &self.config.retry)
            .finish_non_exhaustive()
    }
}

impl Kernel {
    /// A builder for a client.
    pub fn builder() -> KernelBuilder {
        KernelBuilder::default()
    }

    /// A client configured from `KERNEL_API_KEY` and `KERNEL_BASE_URL`.
    pub fn from_env() -> Result<Self> {
        KernelBuilder::default().from_env()?.build()
    }

    pub(crate) fn from_builder(config: KernelBuilder) -> Result<Self> {
        use reqwest::header::{HeaderValue, AUTHORIZATION, USER_AGENT};
        if let Some(bad) = config.invalid_headers.first() {
            return Err(Error::Config(format!("invalid default header {bad:?}")));
        }
        let key = config.api_key.as_ref().ok_or_else(|| {
            Error::Config("no API key: call .api_key(..) or set KERNEL_API_KEY".into())
        })?;
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
                Error::Config("the API key contains characters not allowed in a header".into())
            })?;
        // Marked sensitive so reqwest and hyper never print it.
        auth.set_sensitive(true);
        let mut headers = config.headers.clone();
        headers.insert(AUTHORIZATION, auth);
        let agent = HeaderValue::from_str(&config.user_agent)
            .map_err(|_| Error::Config("invalid user agent".into()))?;
        headers.insert(USER_AGENT, agent);
        reqwest::Url::parse(&config.base_url)
            .map_err(|e| Error::Config(format!("invalid base URL {:?}: {e}", config.base_url)))?;
        let http = match &config.http {
            Some(http) => http.clone(),
            // No total timeout here: the transport sets one per JSON request,
            // and streams must not be cut off.
            None => reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .build()
                .map_err(|e| Error::Config(e.to_string()))?,
        };
        let transport = retry::Transport {
            policy: config.retry.clone(),
            timeout: config.timeout,
            headers,
        };
        let hooks = kernel_sys::Hooks::new(Arc::new(transport));
        let sys = kernel_sys::Client::new_with_client(&config.base_url, http, hooks);
        Ok(Self {
            sys,
            config: Arc::new(config),
        })
    }

    /// The API base URL.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.config.retry
    }

    /// The event stream options.
    pub fn stream_options(&self) -> &sse::StreamOptions {
        &self.config.stream
    }

    /// An event stream engine over `connect`.
    pub(crate) fn engine(
        &self,
        connect: sse::Connect,
        reconnect_default: bool,
        resumable: bool,
    ) -> sse::Engine {
        sse::Engine::new(
            connect,
            self.config.stream.clone(),
            reconnect_default,
            resumable,
        )
    }

    /// The generated client, for any operation by its spec name
    /// (`kernel.sys().get_browsers()`); the same transport applies.
    pub fn sys(&self) -> &kernel_sys::Client {
        &self.sys
    }

    /// Browser sessions, and per-browser replays, computer controls,
    /// filesystem, processes and Playwright.
    pub fn browsers(&self) -> browsers::Browsers<'_> {
        browsers::Browsers { kernel: self }
    }

    /// Browser profiles.
    pub fn profiles(&self) -> profiles::Profiles<'_> {
        profiles::Profiles { kernel: self }
    }

    /// Browser extensions.
    pub fn extensions(&self) -> extensions::Extensions<'_> {
        extensions::Extensions { kernel: self }
    }

    /// Proxy configurations.
    pub fn proxies(&self) -> proxies::Proxies<'_> {
        proxies::Proxies { kernel: self }
    }

    /// Browser pools.
    pub fn browser_pools(&self) -> browser_pools::BrowserPools<'_> {
        browser_pools::BrowserPools { kernel: self }
    }

    /// Managed Auth: connections, logins, and the legacy auth agents.
    pub fn auth(&self) -> auth::Auth<'_> {
        auth::Auth { kernel: self }
    }

    /// Stored credentials.
    pub fn credentials(&self) -> credentials::Credentials<'_> {
        credentials::Credentials { kernel: self }
    }

    /// External credential providers (1Password, ...).
    pub fn credential_providers(&self) -> credentials::CredentialProviders<'_> {
        credentials::CredentialProviders { kernel: self }
    }

    /// Deployed apps.
    pub fn apps(&self) -> deployments::Apps<'_> {
        deployments::Apps { kernel: self }
    }

    /// App deployments.
    pub fn deployments(&self) -> deployments::Deployments<'_> {
        deployments::Deployments { kernel: self }
    }

    /// Action invocations.
    pub fn invocations(&self) -> invocations::Invocations<'_> {
        invocations::Invocations { kernel: self }
    }

    /// Projects (`/org/projects`).
    pub fn projects(&self) -> projects::Projects<'_> {
        projects::Projects { kernel: self }
    }

    /// The deprecated `/projects` paths.
    #[deprecated(note = "use `projects()`: `/projects` is deprecated in favour of `/org/projects`")]
    pub fn legacy_projects(&self) -> projects::LegacyProjects<'_> {
        projects::LegacyProjects { kernel: self }
    }

    /// API keys.
    pub fn api_keys(&self) -> api_keys::ApiKeys<'_> {
        api_keys::ApiKeys { kernel: self }
    }
}

/// The README's examples, compiled as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
