//! [`Connect`]: reaching a browser's DevTools websocket while it warms up.

use std::time::Duration;

use chromiumoxide::error::CdpError;
use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::Browser;
use tokio::time::Instant;
use tracing::Instrument;

use super::Session;
use crate::{types, ApiError, Error, Kernel};

/// How long [`Connect`] keeps trying by default: a new browser answers in
/// seconds; a minute covers a slow start without hiding a dead one.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

/// The longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Connects to a browser's `cdp_ws_url`, from [`Kernel::cdp`] (or
/// [`Create::connect`](crate::browsers::Create::connect)).
#[must_use = "nothing connects until `.send().await`"]
pub struct Connect {
    kernel: Kernel,
    browser: types::Browser,
    deadline: Duration,
    request_timeout: Duration,
    delete_on_close: bool,
}

impl std::fmt::Debug for Connect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("session_id", &self.browser.session_id)
            .field("deadline", &self.deadline)
            .field("request_timeout", &self.request_timeout)
            .field("delete_on_close", &self.delete_on_close)
            .finish()
    }
}

impl Connect {
    pub(super) fn new(kernel: Kernel, browser: types::Browser) -> Self {
        let request_timeout = kernel.request_timeout();
        Self {
            kernel,
            browser,
            deadline: DEFAULT_DEADLINE,
            request_timeout,
            delete_on_close: true,
        }
    }

    /// How long to keep trying while the browser does not answer yet
    /// (default [`DEFAULT_DEADLINE`]). A refusal that retrying cannot
    /// change (a wrong token, a browser that is gone) ends it at once.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The bound on each CDP command once connected (default: the client's
    /// request timeout).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// [`Session::close`] disconnects but leaves the Kernel browser running
    /// (a pooled or shared browser), and a drop does not warn.
    pub fn keep_browser(mut self) -> Self {
        self.delete_on_close = false;
        self
    }

    /// Connects: retried with backoff until the browser answers or the
    /// deadline passes ([`Error::Timeout`], with the last failure).
    pub async fn send(self) -> crate::Result<Session> {
        let span = tracing::debug_span!("cdp.connect", session_id = %self.browser.session_id);
        self.attempt().instrument(span).await
    }

    async fn attempt(self) -> crate::Result<Session> {
        let url = self.browser.cdp_ws_url.expose().to_owned();
        let config = HandlerConfig {
            request_timeout: self.request_timeout,
            // chromiumoxide's default turns certificate checks off on every
            // page; a browser agent should see what a user would.
            ignore_https_errors: false,
            ..HandlerConfig::default()
        };
        default_tls_provider();
        let started = Instant::now();
        let until = started + self.deadline;
        let mut backoff = Duration::from_millis(100);
        let mut attempts = 0u32;
        let mut last: Option<CdpError> = None;
        loop {
            attempts += 1;
            let failure = match tokio::time::timeout_at(
                until,
                Browser::connect_with_config(url.clone(), config.clone()),
            )
            .await
            {
                Ok(Ok((cdp, handler))) => {
                    tracing::debug!(attempts, elapsed = ?started.elapsed(), "CDP connected");
                    return Ok(Session::start(
                        self.kernel,
                        self.browser,
                        cdp,
                        handler,
                        self.delete_on_close,
                    ));
                }
                Ok(Err(e)) => match refusal(&e) {
                    Some(refused) => return Err(refused),
                    None => Some(e),
                },
                Err(_elapsed) => None,
            };
            if failure.is_some() {
                last = failure;
            }
            let now = Instant::now();
            if now >= until {
                break;
            }
            if let Some(e) = &last {
                let error = crate::sys::secret::redact_jwts(&e.to_string()).into_owned();
                tracing::debug!(attempts, %error, "CDP not ready; retrying");
            }
            tokio::time::sleep(backoff.min(until - now)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        let why = match last {
            Some(e) => format!(": last attempt: {}", Error::from(e)),
            None => String::new(),
        };
        Err(Error::Timeout(format!(
            "browser {}'s CDP endpoint did not answer within {:?} ({attempts} attempts){why}",
            self.browser.session_id, self.deadline
        )))
    }
}

/// Installs rustls's aws-lc-rs provider as the process default when none
/// is: the websocket's TLS (`wss://`) builds its configuration from the
/// default, which rustls cannot choose by itself when a program's
/// dependencies enable more than one provider. A provider the program
/// installed first is kept.
fn default_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}

/// A refusal that a retry would meet again, as the error to return: the
/// handshake answered with a client error (401/403 for a wrong token, 404
/// for a browser that is gone; not 408 or 429) or 501 (an endpoint that
/// does not do CDP), with the server's body; or the URL is not one.
fn refusal(e: &CdpError) -> Option<Error> {
    use async_tungstenite::tungstenite::Error as Ws;
    use reqwest::StatusCode;
    match e {
        CdpError::Ws(Ws::Http(response)) => {
            let status = response.status();
            let retried = matches!(
                status,
                StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS
            );
            let last =
                status.is_client_error() && !retried || status == StatusCode::NOT_IMPLEMENTED;
            last.then(|| {
                let body = response.body().as_deref().unwrap_or_default();
                Error::Api(Box::new(ApiError::new(
                    status,
                    response.headers().clone(),
                    body,
                )))
            })
        }
        CdpError::Ws(Ws::Url(e)) => Some(Error::InvalidRequest(format!("cdp_ws_url: {e}"))),
        _ => None,
    }
}
