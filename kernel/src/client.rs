//! The client: built from a [`KernelBuilder`], it holds the connection pool,
//! the transport and the configuration every call reads.

use crate::call::Request;
use crate::config::KernelBuilder;
use crate::error::{Error, Result};
use crate::retry::{self, RetryPolicy};
use crate::{sse, transport};
use std::sync::Arc;

/// The Kernel client. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Kernel {
    sys: kernel_sys::Client,
    http: reqwest::Client,
    transport: Arc<transport::Transport>,
    streams: Arc<sse::Pools>,
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
        let gateway = reqwest::Url::parse(&config.base_url)
            .map_err(|e| Error::Config(format!("invalid base URL {:?}: {e}", config.base_url)))?;
        let http = match &config.http {
            Some(http) => http.clone(),
            None => http_client(config.connect_timeout, config.http2_prior_knowledge)?,
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
            router: transport::route::Router::new(config.routing.resolve(), gateway),
        };
        let transport = Arc::new(transport);
        let hooks = kernel_sys::Hooks::new(transport.clone());
        let sys =
            kernel_sys::Client::new_with_client(&config.base_url, http.clone(), hooks.clone());
        // More pools for event streams are built like the first: only
        // when this client built the first.
        let make: Option<sse::MakePool> = match config.http {
            Some(_) => None,
            None => {
                let (connect_timeout, h2) = (config.connect_timeout, config.http2_prior_knowledge);
                let base_url = config.base_url.clone();
                Some(Box::new(move || {
                    let http = http_client(connect_timeout, h2)?;
                    Ok(kernel_sys::Client::new_with_client(
                        &base_url,
                        http,
                        hooks.clone(),
                    ))
                }))
            }
        };
        let streams = sse::Pools::new(sys.clone(), config.stream.streams_per_connection, make);
        Ok(Self {
            sys,
            http,
            transport,
            streams: Arc::new(streams),
            config: Arc::new(config),
        })
    }

    /// The API base URL.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// The bound on a whole request ([`KernelBuilder::timeout`]).
    #[cfg_attr(not(feature = "cdp"), allow(dead_code))]
    pub(crate) fn request_timeout(&self) -> std::time::Duration {
        self.config.timeout
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.config.retry
    }

    /// The route cache of direct-to-VM routing ([`crate::routing`]), shared
    /// by every clone of this client: inspect, add or drop a browser's
    /// route. With routing off it is never filled nor read.
    pub fn browser_routes(&self) -> &crate::routing::BrowserRoutes {
        self.transport.router.routes()
    }

    /// The calls on one browser, from a browser the API returned; its
    /// route is cached (when routing is on), so its routed calls go to its
    /// VM even if this client did not create or fetch it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> kernel::Result<()> {
    /// # let fake = kernel_mock::KernelMock::start().await.unwrap();
    /// # let kernel = kernel::Kernel::builder().api_key(fake.api_key()).base_url(fake.base_url()).build()?;
    /// let created = kernel.browsers().create().send().await?;
    /// let browser = kernel.browser(&created);
    /// // `browser.process().exec()`, `browser.fs().list_files()`, ...
    /// let found = browser.get().send().await?;
    /// assert_eq!(found.session_id, created.session_id);
    /// browser.delete().send().await?;
    /// # Ok(()) }
    /// ```
    pub fn browser(&self, browser: &crate::types::Browser) -> crate::browsers::Session<'_> {
        if self.transport.router.enabled() {
            if let Some(route) = crate::routing::BrowserRoute::from_browser(browser) {
                self.browser_routes().insert(route);
            }
        }
        crate::browsers::Session::new(self, browser.session_id.clone())
    }

    /// Caches the route of a browser the call layer decoded (routing on).
    pub(crate) fn learn_route(&self, browser: &crate::types::Browser) {
        if self.transport.router.enabled() {
            self.browser_routes().learn(browser);
        }
    }

    /// The calls on the browser with this session id (routed through its
    /// VM once its route is cached: see [`browser`](Self::browser)).
    ///
    /// ```no_run
    /// # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
    /// let browser = kernel.browser_session("sess-1");
    /// let out = browser.process().exec().command("uname").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn browser_session(&self, id: impl crate::IntoId) -> crate::browsers::Session<'_> {
        crate::browsers::Session::new(self, id.into_id())
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

    /// The connection pool for one more event stream, held as long as
    /// the stream lives ([`sse::Pools`]).
    pub(crate) fn stream_pool(&self) -> sse::Lease {
        self.streams.lease()
    }

    /// The generated client, for any operation by its spec name
    /// (`kernel.sys().get_browsers()`); the same transport applies, and its
    /// errors convert with `kernel::Error::from` (which finds the transport's
    /// own failures, such as timeouts, inside them). Browsers it returns
    /// fill no route cache: pass them to [`browser`](Self::browser). An
    /// event stream opened through it shares the JSON calls' connections,
    /// where this crate's own streams open on pools of their own
    /// ([`StreamOptions::streams_per_connection`](crate::sse::StreamOptions::streams_per_connection)).
    pub fn sys(&self) -> &kernel_sys::Client {
        &self.sys
    }

    /// A request to `path` (relative to the base URL) for an endpoint the
    /// vendored spec does not have yet; see [`Request`].
    pub fn request(&self, method: reqwest::Method, path: impl Into<String>) -> Request<'_> {
        Request::new(self, method, path)
    }

    /// Sends `request` (for `op`; `None` for a hand-built request)
    /// through the transport and reads the answer whole.
    pub(crate) fn send_read(
        &self,
        request: reqwest::Request,
        op: Option<&'static kernel_sys::Operation>,
    ) -> impl std::future::Future<Output = Result<transport::Whole>> + Send + '_ {
        self.transport.send_read(&self.http, request, op)
    }

    /// Sends `request` for `op` through the transport; the body is left
    /// to read.
    pub(crate) fn send_open(
        &self,
        request: reqwest::Request,
        op: Option<&'static kernel_sys::Operation>,
    ) -> impl std::future::Future<Output = Result<reqwest::Response>> + Send + '_ {
        self.transport.send_open(&self.http, request, op)
    }
}

/// A `reqwest::Client` of the client's own, when the user gave none. No
/// total timeout: the transport sets one per JSON request, and streams
/// must not be cut off.
fn http_client(connect_timeout: std::time::Duration, h2: bool) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(transport::redirect_policy());
    let builder = if h2 {
        builder.http2_prior_knowledge()
    } else {
        builder
    };
    builder.build().map_err(|e| Error::Config(e.to_string()))
}
