//! [`KernelMockBuilder`]: the mock's settings, sites, overrides and seeded
//! credential-provider items, and [`KernelMockBuilder::start`].

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::chromium::Chromium;
use crate::overrides::{self, Overrides, Rule};
use crate::providers::{ProviderItem, ProviderSeeds};
use crate::requests::RecordedRequest as Request;
use crate::state::{Config, Shared};
use crate::store::{self, direct::Direct};
use crate::{server, Faults, KernelMock, MockResponse, Site, DEFAULT_API_KEY};

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
    control_plane_delay: Duration,
    sites: Vec<Site>,
    default_sites: bool,
    overrides: Vec<(String, Rule)>,
    provider_items: ProviderSeeds,
    chromium: Option<PathBuf>,
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
            control_plane_delay: Duration::ZERO,
            sites: Vec::new(),
            default_sites: true,
            overrides: Vec::new(),
            provider_items: ProviderSeeds::default(),
            chromium: None,
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

    /// The vaults and items of credential providers named `provider` (or,
    /// when no provider has items for its name, of type `provider`, e.g.
    /// `"onepassword"`), in place of the [default items](crate::providers::default_items).
    /// Calls for the same `provider` add up. [`KernelMockBuilder::start`]
    /// fails with `InvalidInput` for an item with an empty vault or title or
    /// an invalid TOTP secret. See [`crate::providers`].
    ///
    /// ```
    /// use kernel_mock::{KernelMock, ProviderItem};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let mock = KernelMock::builder()
    ///     .credential_provider_items(
    ///         "onepassword",
    ///         [ProviderItem::new("Shared", "Shop").url("shop.test").username("me").password("pw")],
    ///     )
    ///     .start()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn credential_provider_items(
        mut self,
        provider: impl Into<String>,
        items: impl IntoIterator<Item = ProviderItem>,
    ) -> Self {
        self.provider_items
            .add(provider.into(), items.into_iter().collect());
        self
    }

    /// Extra latency of every request through the API gateway (default
    /// none), like the hop to Kernel's control plane; requests a client
    /// sends straight to a browser's VM (`{base_url}/…?jwt=`) skip it. Makes
    /// direct-to-VM routing measurable.
    pub fn control_plane_delay(mut self, delay: Duration) -> Self {
        self.control_plane_delay = delay;
        self
    }

    /// Backs every browser with a real headless Chromium run from `path`
    /// (e.g. `/usr/bin/chromium`): a browser's `cdp_ws_url` is then
    /// `ws://{host}:{port}/browser/cdp?jwt=…`, proxied to its Chromium for
    /// any CDP client; computer controls act on its page and screenshots
    /// are real; profiles keep cookies and local storage; a browser ends
    /// after its `timeout_seconds` without a CDP connection. `postBrowsers`
    /// answers `500` when Chromium cannot start. Chromium processes end with
    /// their browser and with the mock, also when a test panics, and on
    /// Linux when its process is killed. `playwright/execute` then answers a failed
    /// execution: no Playwright executor is bundled.
    ///
    /// ```no_run
    /// use kernel_mock::KernelMock;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let mock = KernelMock::builder().chromium("/usr/bin/chromium").start().await?;
    /// # Ok(()) }
    /// ```
    pub fn chromium(mut self, path: impl Into<PathBuf>) -> Self {
        self.chromium = Some(path.into());
        self
    }

    /// Binds the listener and starts serving.
    pub async fn start(self) -> std::io::Result<KernelMock> {
        self.provider_items
            .check()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
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
            control_plane_delay: self.control_plane_delay,
            sites,
        };
        let overrides = Arc::new(Overrides::default());
        for (id, rule) in self.overrides {
            let id = overrides::operation_id(&id)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            overrides.add(id, rule);
        }
        let chromium = self.chromium.map(Chromium::new).transpose()?;
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
            chromium,
        ));
        shared.store().provider_seeds = self.provider_items;
        shared.store().direct = Direct::new(base_url.clone(), store::new_id("vm"));
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
