//! A stateful in-memory fake of the [Kernel](https://onkernel.com) API, on
//! axum and tokio, for offline examples, end-to-end tests, and testing your
//! own agent's login handling without touching real sites.
//!
//! [`KernelMock::start`] serves the API on `127.0.0.1` with an ephemeral port;
//! point any Kernel client at [`KernelMock::base_url`] with
//! [`KernelMock::api_key`]. Responses follow the vendored OpenAPI spec
//! (`openapi/kernel-openapi.yaml`): bodies are built from the generated
//! `kernel-sys` types, status codes and pagination headers are the spec's, and
//! every spec operation the mock does not implement answers `501` with an
//! `Error` body naming it (`{"code":"not_implemented","message":"kernel-mock
//! does not implement getProxies (GET /proxies)"}`), never a fake success.
//!
//! # What is implemented
//!
//! - Managed Auth: `/auth/connections` (create, list, get, patch, delete),
//!   `/login`, `/submit` and the `/events` stream; logins run against
//!   scripted fake [`sites`].
//! - The deprecated `/agents/auth` API (agents and invocations).
//! - `/credentials` (values are never returned) and `/totp-code` ([`totp`]).
//! - `/profiles`, `/browsers` (with telemetry streams) and `/invocations`
//!   (with event streams).
//!
//! # Event streams
//!
//! - `GET /auth/connections/{id}/events`: `event: managed_auth_state` frames
//!   whose `data:` is a `ManagedAuthStateEvent` (the current state first),
//!   `event: sse_heartbeat` frames every [`KernelMockBuilder::heartbeat_interval`]
//!   (default 15 s); the stream ends after a terminal `flow_status`.
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

pub mod faults;
mod flows;
mod http;
pub mod overrides;
mod requests;
mod routes;
mod server;
pub mod sites;
pub mod spec;
mod state;
mod store;
pub mod totp;
mod vm;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::{FaultRule, Faults};
pub use kernel_sys::types;
pub use overrides::{MockResponse, UnknownOperation};
pub use requests::RecordedRequest;
pub use sites::{
    Field, Form, MfaChoice, OnWrong, SignInChoice, Site, SiteBuilder, SsoChoice, Step,
};

use overrides::{Overrides, Rule};
use requests::RecordedRequest as Request;
use state::{AppState, Config, Shared};

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
/// // Unimplemented operations say so.
/// let proxies = http.get(api("/proxies")).bearer_auth(mock.api_key()).send().await?;
/// assert_eq!(proxies.status(), 501);
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

    /// Stops the server: streams end, background tasks stop, and the call
    /// returns once the listener is closed.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        self.shared.abort_tasks();
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
    }
}

/// Configures a [`KernelMock`].
#[derive(Clone, Debug)]
pub struct KernelMockBuilder {
    api_key: String,
    host: IpAddr,
    port: u16,
    step_delay: Duration,
    flow_ttl: Duration,
    heartbeat_interval: Duration,
    telemetry_interval: Duration,
    sse_retry: Duration,
    sites: Vec<Site>,
    default_sites: bool,
    overrides: Vec<(String, Rule)>,
}

impl Default for KernelMockBuilder {
    fn default() -> Self {
        KernelMockBuilder {
            api_key: DEFAULT_API_KEY.to_owned(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            step_delay: Duration::from_millis(200),
            flow_ttl: Duration::from_secs(300),
            heartbeat_interval: Duration::from_secs(15),
            telemetry_interval: Duration::from_millis(500),
            sse_retry: Duration::from_secs(3),
            sites: Vec::new(),
            default_sites: true,
            overrides: Vec::new(),
        }
    }
}

impl KernelMockBuilder {
    /// The accepted API key (default [`DEFAULT_API_KEY`]).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = api_key.into();
        self
    }

    /// The port (default 0: an ephemeral port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The address to listen on (default `127.0.0.1`).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Registers a scripted site; it replaces a default site with the same
    /// domain.
    pub fn site(mut self, site: Site) -> Self {
        self.sites.push(site);
        self
    }

    /// Registers several sites.
    pub fn sites(mut self, sites: impl IntoIterator<Item = Site>) -> Self {
        self.sites.extend(sites);
        self
    }

    /// Leaves out the default sites of [`Site::defaults`].
    pub fn without_default_sites(mut self) -> Self {
        self.default_sites = false;
        self
    }

    /// Time between login-flow and invocation steps (default 200 ms, so a
    /// login takes about a second). Tests usually set a few milliseconds.
    pub fn step_delay(mut self, delay: Duration) -> Self {
        self.step_delay = delay;
        self
    }

    /// Lifetime of login flows and legacy invocations (default 5 minutes);
    /// a flow still in progress then ends `EXPIRED`.
    pub fn flow_ttl(mut self, ttl: Duration) -> Self {
        self.flow_ttl = ttl;
        self
    }

    /// Period of `sse_heartbeat` events and telemetry keepalive comments
    /// (default 15 s, like the real API).
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// Time between generated browser telemetry events (default 500 ms).
    pub fn telemetry_interval(mut self, interval: Duration) -> Self {
        self.telemetry_interval = interval;
        self
    }

    /// The `retry:` value sent at the start of telemetry streams (default 3 s).
    pub fn sse_retry(mut self, retry: Duration) -> Self {
        self.sse_retry = retry;
        self
    }

    /// Answers operation `operation_id` (the spec's `operationId`, e.g.
    /// `"getBrowsersById"`) with `handler` where it returns `Some`; `None`
    /// passes the request to the mock's own handler. [`KernelMockBuilder::start`]
    /// fails with `InvalidInput` for an id the spec does not have.
    ///
    /// ```
    /// use kernel_mock::{KernelMock, MockResponse};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let mock = KernelMock::builder()
    ///     .on("getBrowsersById", |request| {
    ///         request.path.ends_with("/gone").then(|| MockResponse::error(404, "not_found", "gone"))
    ///     })
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn on<F>(mut self, operation_id: &str, handler: F) -> Self
    where
        F: Fn(&Request) -> Option<MockResponse> + Send + Sync + 'static,
    {
        self.overrides
            .push((operation_id.to_owned(), Rule::Handler(Arc::new(handler))));
        self
    }

    /// Answers the next requests for `operation_id` with `responses`, one
    /// each, then hands the operation back to the mock's own handler: e.g.
    /// two `503`s, then the real answer.
    ///
    /// ```
    /// use kernel_mock::{KernelMock, MockResponse};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let mock = KernelMock::builder()
    ///     .on_sequence("postBrowsers", vec![MockResponse::error(503, "unavailable", "busy"); 2])
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn on_sequence(
        mut self,
        operation_id: &str,
        responses: impl IntoIterator<Item = MockResponse>,
    ) -> Self {
        self.overrides.push((
            operation_id.to_owned(),
            Rule::Sequence(responses.into_iter().collect()),
        ));
        self
    }

    /// Binds the listener and starts serving.
    pub async fn start(self) -> std::io::Result<KernelMock> {
        let listener = TcpListener::bind((self.host, self.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = match addr.ip() {
            IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
            IpAddr::V4(ip) => format!("http://{ip}:{}", addr.port()),
        };
        let mut sites: Vec<Arc<Site>> = self.sites.into_iter().map(Arc::new).collect();
        if self.default_sites {
            sites.extend(Site::defaults().into_iter().map(Arc::new));
        }
        let config = Config {
            api_key: self.api_key,
            step_delay: self.step_delay,
            flow_ttl: self.flow_ttl,
            heartbeat_interval: self.heartbeat_interval,
            telemetry_interval: self.telemetry_interval,
            sse_retry: self.sse_retry,
            sites,
        };
        let overrides = Arc::new(Overrides::default());
        for (id, rule) in self.overrides {
            let id = overrides::operation_id(&id)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            overrides.add(id, rule);
        }
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let faults = Faults {
            state: Arc::default(),
        };
        let shared = Arc::new(Shared::new(
            config,
            faults.state.clone(),
            Arc::default(),
            overrides,
            shutdown_rx,
        ));
        let app = server::router(shared.clone());
        let signal = shared.shutdown_signal();
        let server = tokio::spawn(async move {
            // TCP_NODELAY: an SSE frame must not wait for Nagle's algorithm
            // (20-40 ms per event otherwise).
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await;
        });
        Ok(KernelMock {
            addr,
            base_url,
            shared,
            faults,
            shutdown_tx,
            server: Some(server),
        })
    }
}

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
