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
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod api_keys;
pub mod apps;
pub mod auth;
pub mod browser_pools;
pub mod browsers;
pub mod call;
#[cfg(feature = "cdp")]
#[cfg_attr(docsrs, doc(cfg(feature = "cdp")))]
pub mod cdp;
mod client;
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
pub mod routing;
pub mod sse;
mod transport;
pub mod upload;

pub use call::{IntoId, Request, Response};
pub use client::Kernel;
pub use config::KernelBuilder;
pub use download::{Download, Readiness};
pub use error::{ApiError, Error, Result};
pub use kernel_sys as sys;
/// A URL carrying a browser's token (`cdp_ws_url`, `webdriver_ws_url`,
/// `browser_live_view_url`, `replay_view_url`): `Debug` and `Display` show
/// it with the token redacted; [`JwtUrl::expose`] gives the full URL to a
/// CDP or WebDriver client.
pub use kernel_sys::secret::JwtUrl;
/// A secret string, shown as `[redacted]` by `Debug` and `Display`: the
/// API key, and the same type the generated code uses for every secret the
/// spec carries.
pub use kernel_sys::secret::SecretString as Secret;
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

include!(concat!(env!("OUT_DIR"), "/calls/kernel.rs"));

/// The README's examples, compiled as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
