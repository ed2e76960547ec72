//! A stateful in-memory fake of the [Kernel](https://onkernel.com) API, on
//! axum and tokio, for offline examples, end-to-end tests, and testing your
//! own agent's login handling without touching real sites.
//!
//! [`KernelMock::start`] serves the API on `127.0.0.1` with an ephemeral port;
//! point any Kernel client at [`KernelMock::base_url`] with
//! [`KernelMock::api_key`]. Every operation of the vendored OpenAPI spec
//! (`openapi/kernel-openapi.yaml`) is served, routed from the spec's
//! operation table: bodies are built from the generated `kernel-sys` types,
//! status codes and pagination headers are the spec's. An operation a newer
//! spec adds before the mock serves it answers `501` with an `Error` body
//! naming it, never a fake success.
//!
//! # What it serves
//!
//! - Managed Auth: `/auth/connections` (create, list, get, patch, delete),
//!   `/login`, `/submit`, `/exchange` and the `/events` stream; logins run
//!   against scripted fake [`sites`]. The deprecated `/agents/auth` API.
//! - `/credentials` (values are never returned) and `/totp-code` ([`totp`]);
//!   `/org/credential_providers` (1Password) with seeded vaults and items
//!   ([`providers`]); connections log in with `{provider, path}` or
//!   `{provider, auto: true}` credentials.
//! - `/browsers` with telemetry, and per browser: an in-memory filesystem
//!   (zip upload and download, watches), processes run by a small built-in
//!   shell (never the host's), computer controls (mouse, keyboard,
//!   clipboard, generated PNG screenshots of the viewport), replays (MP4),
//!   Playwright, curl (never the internet: scripted sites and an echo host)
//!   and log streams.
//! - `/browser_pools`: warm browsers, long-poll acquire, release, flush.
//! - `/profiles` (with downloads), `/proxies` (with checks), `/extensions`,
//!   `/deployments` (with event streams), `/apps`, `/invocations` (with
//!   event streams), `/org/projects` (and the deprecated `/projects`) with
//!   limits, and `/org/api_keys` (the key is shown once, and authenticates).
//!
//! [`KernelMockBuilder::on`] and [`KernelMockBuilder::on_sequence`] replace
//! one operation's answer for a test ([`MockResponse`]).
//!
//! # Real browsers
//!
//! [`KernelMockBuilder::chromium`] backs each browser with a headless
//! Chromium: `cdp_ws_url` reaches it through the mock (chromiumoxide,
//! Playwright's `connectOverCDP`), computer controls act on its page and
//! screenshots are real. Without it everything is simulated.
//!
//! # Event streams
//!
//! - `GET /auth/connections/{id}/events`: `event: managed_auth_state` frames
//!   whose `data:` is a `ManagedAuthStateEvent` (the current state first),
//!   `event: sse_heartbeat` frames every [`KernelMockBuilder::heartbeat_interval`]
//!   (default 15 s); the stream ends after a terminal `flow_status`. A stream
//!   opened before any login starts with a heartbeat.
//! - `GET /invocations/{id}/events`: `event: log` / `event: invocation_state`
//!   frames, heartbeats, ends after `succeeded`/`failed`.
//! - `GET /browsers/{id}/telemetry`: a `retry:` field first, then frames with
//!   `id: <seq>` (from 1) and `data: {"seq":..,"event":{..}}` and no `event:`
//!   line; `Last-Event-ID: N` resumes strictly after `N`; a `: keepalive`
//!   comment after each heartbeat interval without events; ends when the
//!   browser is deleted.
//!
//! # Testing your agent
//!
//! Create an auth connection for one of the default [`sites`]
//! (e.g. `totp.example`), start a login, and drive your agent against the
//! flow: it behaves like a real site, with wrong-password errors, MFA
//! choices, push approvals, bot detection and expiry. Use [`KernelMock::faults`]
//! to inject rate limits, outages, cut streams and forward-compatibility
//! drills, and [`KernelMock::requests`] to assert on what your code sent.

#![warn(missing_docs)]

mod builder;
mod chromium;
pub mod faults;
mod flows;
mod http;
mod media;
pub mod overrides;
pub mod providers;
mod requests;
mod routes;
mod server;
pub mod sites;
pub mod spec;
mod state;
mod store;
mod sync;
pub mod totp;
mod vm;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use builder::KernelMockBuilder;
pub use chromium::find_chromium;
pub use faults::{FaultRule, Faults};
pub use kernel_sys::types;
pub use overrides::{MockResponse, UnknownOperation};
pub use providers::ProviderItem;
pub use requests::RecordedRequest;
pub use sites::{
    Field, Form, MfaChoice, OnWrong, SignInChoice, Site, SiteBuilder, SsoChoice, Step,
};

use overrides::Rule;
use requests::RecordedRequest as Request;
use state::AppState;

/// The API key a mock accepts unless [`KernelMockBuilder::api_key`] sets one.
pub const DEFAULT_API_KEY: &str = "mock-api-key";

/// A running fake Kernel API. The server stops when the handle is dropped
/// (or on [`KernelMock::shutdown`]).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use kernel_mock::KernelMock;
/// use serde_json::{json, Value};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mock = KernelMock::builder()
///     .api_key("test-key")
///     .step_delay(Duration::from_millis(10))
///     .start()
///     .await?;
/// let http = reqwest::Client::new();
/// let api = |path: &str| format!("{}{path}", mock.base_url());
///
/// // An auth connection for the scripted site `password.example`.
/// let connection: Value = http
///     .post(api("/auth/connections"))
///     .bearer_auth(mock.api_key())
///     .json(&json!({ "domain": "password.example", "profile_name": "demo" }))
///     .send().await?.error_for_status()?.json().await?;
/// let id = connection["id"].as_str().unwrap();
/// assert_eq!(connection["status"], "NEEDS_AUTH");
///
/// // Start a login and poll until the site asks for its fields.
/// http.post(api(&format!("/auth/connections/{id}/login")))
///     .bearer_auth(mock.api_key())
///     .send().await?.error_for_status()?;
/// let mut state: Value;
/// loop {
///     state = http.get(api(&format!("/auth/connections/{id}")))
///         .bearer_auth(mock.api_key())
///         .send().await?.json().await?;
///     if state["flow_step"] == "AWAITING_INPUT" { break; }
///     tokio::time::sleep(Duration::from_millis(10)).await;
/// }
/// assert_eq!(state["discovered_fields"][0]["name"], "username");
///
/// // Submit the valid values; the flow completes.
/// let submit = http.post(api(&format!("/auth/connections/{id}/submit")))
///     .bearer_auth(mock.api_key())
///     .json(&json!({ "fields": { "username": "user@example.com", "password": "correct-horse" } }))
///     .send().await?;
/// assert_eq!(submit.status(), 202);
/// loop {
///     state = http.get(api(&format!("/auth/connections/{id}")))
///         .bearer_auth(mock.api_key())
///         .send().await?.json().await?;
///     if state["flow_status"] != "IN_PROGRESS" { break; }
///     tokio::time::sleep(Duration::from_millis(10)).await;
/// }
/// assert_eq!(state["flow_status"], "SUCCESS");
/// assert_eq!(state["status"], "AUTHENTICATED");
/// assert!(mock.profile_has_auth_state("demo"));
///
/// // Every operation is served, statefully.
/// let proxies: Value = http.get(api("/proxies")).bearer_auth(mock.api_key())
///     .send().await?.error_for_status()?.json().await?;
/// assert_eq!(proxies, json!([]));
/// # Ok(())
/// # }
/// ```
pub struct KernelMock {
    addr: SocketAddr,
    base_url: String,
    shared: AppState,
    faults: Faults,
    shutdown_tx: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for KernelMock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelMock")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl KernelMock {
    /// Starts a mock with the defaults: API key [`DEFAULT_API_KEY`], every
    /// default [`Site`], an ephemeral port on `127.0.0.1`.
    pub async fn start() -> std::io::Result<KernelMock> {
        KernelMock::builder().start().await
    }

    /// Configures a mock.
    pub fn builder() -> KernelMockBuilder {
        KernelMockBuilder::default()
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The API key requests must send as `Authorization: Bearer <key>`.
    pub fn api_key(&self) -> String {
        self.shared.config.api_key.clone()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The fault-injection knobs.
    pub fn faults(&self) -> Faults {
        self.faults.clone()
    }

    /// Every request received so far (the most recent 10 000), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.requests()
    }

    /// How many requests hit `route`: a spec `operationId` (e.g.
    /// `"postAuthConnections"`), or `"METHOD /path"` for requests matching no
    /// spec operation.
    pub fn request_count(&self, route: &str) -> u64 {
        self.shared.requests.count(route)
    }

    /// Request counts per route (see [`KernelMock::request_count`]).
    pub fn route_counts(&self) -> BTreeMap<String, u64> {
        self.shared.requests.counts()
    }

    /// Forgets recorded requests and counters.
    pub fn clear_requests(&self) {
        self.shared.requests.clear()
    }

    /// `true` once a login into profile `id_or_name` succeeded (the profile
    /// then holds the site's auth state).
    pub fn profile_has_auth_state(&self, id_or_name: &str) -> bool {
        let store = self.shared.store();
        store::profiles::find(&store, id_or_name).is_some_and(|p| p.has_auth_state)
    }

    /// The stored values of credential `id_or_name` (which the API never
    /// returns), e.g. to check what a login saved.
    pub fn credential_values(&self, id_or_name: &str) -> Option<BTreeMap<String, String>> {
        let store = self.shared.store();
        store::credentials::find(&store, id_or_name).map(|c| c.values.clone())
    }

    /// Adds an override to the running mock, like [`KernelMockBuilder::on`].
    pub fn on<F>(&self, operation_id: &str, handler: F) -> Result<(), UnknownOperation>
    where
        F: Fn(&Request) -> Option<MockResponse> + Send + Sync + 'static,
    {
        let id = overrides::operation_id(operation_id)?;
        self.shared
            .overrides
            .add(id, Rule::Handler(Arc::new(handler)));
        Ok(())
    }

    /// Adds a sequence override to the running mock, like
    /// [`KernelMockBuilder::on_sequence`].
    pub fn on_sequence(
        &self,
        operation_id: &str,
        responses: impl IntoIterator<Item = MockResponse>,
    ) -> Result<(), UnknownOperation> {
        let id = overrides::operation_id(operation_id)?;
        self.shared
            .overrides
            .add(id, Rule::Sequence(responses.into_iter().collect()));
        Ok(())
    }

    /// Removes every override: each operation is the mock's own again.
    pub fn clear_overrides(&self) {
        self.shared.overrides.clear();
    }

    /// The domains of the registered sites.
    pub fn sites(&self) -> Vec<String> {
        self.shared
            .config
            .sites
            .iter()
            .map(|s| s.domain.clone())
            .collect()
    }

    /// Stops the server: streams end, background tasks stop, Chromium
    /// processes (when Chromium-backed) are killed, and the call returns once
    /// the listener is closed.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        self.shared.abort_tasks();
        if let Some(chromium) = &self.shared.chromium {
            chromium.shutdown();
        }
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for KernelMock {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
        self.shared.abort_tasks();
        // Killed, not closed gracefully: dropping never waits.
        if let Some(chromium) = &self.shared.chromium {
            chromium.shutdown();
        }
    }
}

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
