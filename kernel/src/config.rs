//! Client configuration: API key, base URL, timeouts, retries, headers.

use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::routing::BrowserRouting;
use crate::sse::StreamOptions;
use crate::Secret;
use std::time::Duration;

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.onkernel.com";

/// Default timeout of a JSON request (not of streams or downloads).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Default TCP + TLS connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default longest wait for the response head of a stream, download or
/// upload, and between chunks of a download or of an upload's answer.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Default cap on a JSON response body: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// Builds a [`Kernel`](crate::Kernel) client.
///
/// ```
/// # fn main() -> Result<(), kernel::Error> {
/// use std::time::Duration;
/// let kernel = kernel::Kernel::builder()
///     .api_key("sk_test")
///     .base_url("http://127.0.0.1:4020")
///     .timeout(Duration::from_secs(30))
///     .max_retries(3)
///     .build()?;
/// assert_eq!(kernel.base_url(), "http://127.0.0.1:4020");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct KernelBuilder {
    pub(crate) api_key: Option<Secret>,
    pub(crate) base_url: String,
    pub(crate) http: Option<reqwest::Client>,
    pub(crate) http2_prior_knowledge: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) read_timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: String,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) invalid_headers: Vec<String>,
    pub(crate) stream: StreamOptions,
    pub(crate) routing: BrowserRouting,
}

impl Default for KernelBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            http: None,
            http2_prior_knowledge: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
            user_agent: format!("kernel-rs/{}", env!("CARGO_PKG_VERSION")),
            headers: reqwest::header::HeaderMap::new(),
            invalid_headers: Vec::new(),
            stream: StreamOptions::default(),
            routing: BrowserRouting::default(),
        }
    }
}

impl KernelBuilder {
    /// The API key sent as `Authorization: Bearer <key>`. Required.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The API base URL (default [`DEFAULT_BASE_URL`]).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_string();
        self
    }

    /// Use this `reqwest::Client` for all requests (its own timeouts, proxy,
    /// TLS and redirect settings apply; the connect timeout here is then
    /// ignored). Authentication, user agent, default headers, the other
    /// timeouts, caps and retries still apply per request. Give it
    /// `redirect(reqwest::redirect::Policy::none())` to keep the guarantee
    /// that no body follows a redirect to another host: the transport then
    /// returns every redirect as [`Error::Redirect`]. Keep the API key out
    /// of its default headers: reqwest would add them to the direct calls
    /// that go to a browser's VM ([`crate::routing`]) too. Its one pool
    /// carries every event stream: over HTTP/2, streams past the server's
    /// cap wait for a slot (see
    /// [`StreamOptions::streams_per_connection`]).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Speak HTTP/2 from the first byte, without TLS negotiating it (h2c),
    /// to every server, `https` ones too, with no HTTP/1.1 fallback: for a
    /// gateway or local server that speaks only HTTP/2. Over TLS the client
    /// already picks HTTP/2 when the server offers it. Ignored with
    /// [`http_client`](Self::http_client).
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.http2_prior_knowledge = true;
        self
    }

    /// TCP + TLS connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Timeout of one attempt of a JSON request, from connecting to the
    /// last byte of the answer (default 60 s). Event streams, downloads and
    /// uploads have no total timeout, so large transfers finish; they use
    /// [`read_timeout`](Self::read_timeout) instead.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Longest wait for the response head of an event stream, download or
    /// upload (for an upload, counted from the last byte sent), and between
    /// chunks of a download (default 60 s). Event streams then follow
    /// [`StreamOptions::idle_timeout`].
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Largest JSON response body accepted (default 64 MiB); a larger one
    /// fails with [`Error::TooLarge`] without being read whole. Downloads
    /// and event streams have no cap.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Retries after the first attempt (default 2). `0` disables retries.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// Replaces the whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How event streams time out, reconnect and report heartbeats.
    pub fn stream_options(mut self, options: StreamOptions) -> Self {
        self.stream = options;
        self
    }

    /// Which calls on a browser go straight to its VM ([`crate::routing`]).
    /// Default [`BrowserRouting::FromEnv`]: the
    /// `KERNEL_BROWSER_ROUTING_SUBRESOURCES` variable when the client is
    /// built, else [`DEFAULT_SUBRESOURCES`](crate::routing::DEFAULT_SUBRESOURCES).
    /// A setting here wins over the variable.
    ///
    /// ```
    /// # fn main() -> kernel::Result<()> {
    /// use kernel::routing::BrowserRouting;
    /// let everything_through_the_api = kernel::Kernel::builder()
    ///     .api_key("sk_test")
    ///     .browser_routing(BrowserRouting::Off)
    ///     .build()?;
    /// let streams_too = kernel::Kernel::builder()
    ///     .api_key("sk_test")
    ///     .browser_routing(BrowserRouting::subresources(["process", "fs", "telemetry"]))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn browser_routing(mut self, routing: BrowserRouting) -> Self {
        self.routing = routing;
        self
    }

    /// The `User-Agent` header (default `kernel-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// A header sent with every request. Invalid names or values are
    /// reported by [`build`](Self::build).
    pub fn default_header(mut self, name: &str, value: &str) -> Self {
        match (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            reqwest::header::HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            // Reported by `build`, so the builder chain stays infallible.
            _ => self.invalid_headers.push(name.to_string()),
        }
        self
    }

    /// Reads `KERNEL_API_KEY` (required) and `KERNEL_BASE_URL` (optional).
    pub fn from_env(self) -> Result<Self, Error> {
        let key = std::env::var("KERNEL_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| Error::Config("KERNEL_API_KEY is not set: create an API key in the Kernel dashboard and export it".into()))?;
        let mut builder = self.api_key(key);
        if let Ok(url) = std::env::var("KERNEL_BASE_URL") {
            if !url.trim().is_empty() {
                builder = builder.base_url(url);
            }
        }
        Ok(builder)
    }

    /// Builds the client.
    pub fn build(self) -> Result<crate::Kernel, Error> {
        crate::Kernel::from_builder(self)
    }
}
