//! Rust SDK for the [Kernel](https://onkernel.com) API: cloud browsers for AI
//! agents.
//!
//! - One client, [`Kernel`], with an accessor per API area
//!   (`kernel.browsers()`, `kernel.auth().connections()`, ...) and a builder
//!   per operation, generated from the OpenAPI spec: a setter per body
//!   property and query parameter, named as in the spec, and `send().await`
//!   returning [`Result<T>`](Result) with the spec's own type. Every call
//!   goes through one transport: timeouts, retries that never duplicate a
//!   POST, typed [`Error`]s and a tracing span per request.
//! - Lists are [`Stream`](futures::Stream)s via [`Paginate`]; downloads are
//!   streamed ([`Download::save_to`]); event streams are typed and resumable
//!   ([`sse`]).
//! - Managed Auth logins run as state machines ([`auth`]): no polling loop.
//! - [`Kernel::request`] reaches endpoints newer than the vendored spec
//!   through the same transport.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let fake = kernel_mock::KernelMock::start().await?;
//! # let kernel = kernel::Kernel::builder().api_key(fake.api_key()).base_url(fake.base_url()).build()?;
//! use kernel::prelude::*;
//!
//! // let kernel = Kernel::from_env()?;
//! let browser = kernel.browsers().create().stealth(true).timeout_seconds(120).send().await?;
//! match kernel.browsers().get(&browser.session_id).send().await {
//!     // Shown as `wss://…/browser/cdp?jwt=[redacted]`; a CDP client gets
//!     // the whole URL from `found.cdp_ws_url.expose()`.
//!     Ok(found) => println!("CDP: {}", found.cdp_ws_url),
//!     Err(e) if e.is_not_found() => println!("already gone"),
//!     Err(e) => return Err(e.into()),
//! }
//! kernel.browsers().delete(&browser.session_id).send().await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod api_keys;
pub mod apps;
pub mod auth;
pub mod browser_pools;
pub mod browsers;
pub mod call;
pub mod config;
pub mod credential_providers;
pub mod credentials;
pub mod deployments;
pub mod download;
pub mod error;
pub mod extensions;
pub mod invocations;
pub mod legacy_projects;
pub mod multipart;
pub mod pagination;
pub mod profiles;
pub mod projects;
pub mod proxies;
pub mod retry;
pub mod sse;
mod transport;
pub mod upload;

pub use call::{IntoId, Request, Response};
pub use config::{KernelBuilder, Secret};
pub use download::{Download, Readiness};
pub use error::{ApiError, Error, Result};
pub use kernel_sys as sys;
/// A URL carrying a browser's token (`cdp_ws_url`, `webdriver_ws_url`,
/// `browser_live_view_url`, `replay_view_url`): `Debug` and `Display` show
/// it with the token redacted; [`JwtUrl::expose`] gives the full URL to a
/// CDP or WebDriver client.
pub use kernel_sys::secret::JwtUrl;
pub use pagination::{Page, Paginate};
pub use retry::RetryPolicy;
pub use upload::Upload;
pub use uuid::Uuid;

/// Every type of the spec, open or closed: request and response bodies,
/// enums (open: unknown values are kept as `Unknown(..)`) and event unions.
///
/// Open enums and unions are `#[non_exhaustive]`: a value the spec adds
/// later is a minor release, so a `match` needs a wildcard arm.
///
/// ```
/// use kernel::types::ManagedAuthStatus;
/// fn label(status: &ManagedAuthStatus) -> &'static str {
///     match status {
///         ManagedAuthStatus::Authenticated => "logged in",
///         ManagedAuthStatus::NeedsAuth => "needs a login",
///         _ => "something newer",
///     }
/// }
/// assert_eq!(label(&"AUTHENTICATED".into()), "logged in");
/// assert_eq!(label(&"AWAITING_HUMAN".into()), "something newer");
/// ```
///
/// Without the wildcard it does not compile, even naming every known value
/// and `Unknown`:
///
/// ```compile_fail,E0004
/// use kernel::types::ManagedAuthStatus;
/// fn label(status: &ManagedAuthStatus) -> &'static str {
///     match status {
///         ManagedAuthStatus::Authenticated => "logged in",
///         ManagedAuthStatus::NeedsAuth => "needs a login",
///         ManagedAuthStatus::Unknown(_) => "something newer",
///     }
/// }
/// ```
pub mod types {
    pub use kernel_sys::open::*;
    pub use kernel_sys::types::*;
}

/// What a typical program needs: `use kernel::prelude::*;`.
pub mod prelude {
    pub use crate::auth::{CredentialAnswers, FlowState, LoginHandler, Outcome};
    pub use crate::sse::{ProcessOutput, Telemetry};
    pub use crate::{types, Download, Error, IntoId, Kernel, Paginate, Readiness, Result, Upload};
    pub use futures::{StreamExt as _, TryStreamExt as _};
}

use std::sync::Arc;

/// The Kernel client. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Kernel {
    sys: kernel_sys::Client,
    http: reqwest::Client,
    transport: Arc<transport::Transport>,
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
                .redirect(transport::redirect_policy())
                .build()
                .map_err(|e| Error::Config(e.to_string()))?,
        };
        let transport = transport::Transport {
            policy: config.retry.clone(),
            limits: transport::Limits {
                timeout: config.timeout,
                read_timeout: config.read_timeout,
                max_response_bytes: config.max_response_bytes,
            },
            headers,
            quota: retry::Quota::new(config.retry.retry_quota),
        };
        let transport = Arc::new(transport);
        let hooks = kernel_sys::Hooks::new(transport.clone());
        let sys = kernel_sys::Client::new_with_client(&config.base_url, http.clone(), hooks);
        Ok(Self {
            sys,
            http,
            transport,
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
    /// (`kernel.sys().get_browsers()`); the same transport applies, and its
    /// errors convert with `kernel::Error::from` (which finds the transport's
    /// own failures, such as timeouts, inside them).
    pub fn sys(&self) -> &kernel_sys::Client {
        &self.sys
    }

    /// A request to `path` (relative to the base URL) for an endpoint the
    /// vendored spec does not have yet; see [`Request`].
    pub fn request(&self, method: reqwest::Method, path: impl Into<String>) -> Request<'_> {
        Request::new(self, method, path)
    }

    /// Sends `request` through the transport.
    pub(crate) async fn execute(&self, request: reqwest::Request) -> Result<reqwest::Response> {
        use kernel_sys::Exec;
        let info = progenitor_client::OperationInfo {
            operation_id: "request",
        };
        self.transport
            .exec(&self.http, request, &info)
            .await
            .map_err(Error::from_reqwest)
    }
}

include!(concat!(env!("OUT_DIR"), "/calls/kernel.rs"));

/// The README's examples, compiled as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
