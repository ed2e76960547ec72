//! [`Session`]: a Kernel browser and its CDP connection, ended together.

use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::target::CreateTargetParams;
use chromiumoxide::{Browser, Handler, Page};
use futures::StreamExt;
use tokio::task::JoinHandle;

use crate::{types, Kernel};

/// How long [`Session::page`] waits for the browser's first page to be
/// reported before opening one: targets arrive just after connecting.
const FIRST_PAGE_WAIT: Duration = Duration::from_secs(2);

/// A Kernel browser driven over CDP, from
/// [`Create::connect`](crate::browsers::Create::connect) or
/// [`Kernel::cdp`]. [`close`](Session::close) disconnects and deletes the
/// browser (unless [kept](super::Connect::keep_browser)). Dropped without
/// `close`, it logs a warning and deletes the browser in a background
/// task, which runs only while the tokio runtime does: at the end of
/// `main`, or on an early `?` out of it, the runtime stops first and the
/// browser stays until its timeout. Close sessions on every path.
pub struct Session {
    kernel: Kernel,
    browser: types::Browser,
    cdp: Browser,
    // Drives chromiumoxide's connection: every command and event goes
    // through it, so it runs as long as the session.
    driver: JoinHandle<()>,
    delete_on_close: bool,
    closed: bool,
}

impl std::fmt::Debug for Session {
    // chromiumoxide's own `Debug` shows the websocket URL, token and all.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("session_id", &self.browser.session_id)
            .field("delete_on_close", &self.delete_on_close)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(super) fn start(
        kernel: Kernel,
        browser: types::Browser,
        cdp: Browser,
        mut handler: Handler,
        delete_on_close: bool,
    ) -> Self {
        let session_id = browser.session_id.clone();
        let driver = tokio::spawn(async move {
            // An item is an error only when the connection broke; messages
            // chromiumoxide cannot parse (newer CDP events) are skipped.
            // After a close frame the handler stays pending instead, and
            // commands then fail at their request timeout.
            while let Some(item) = handler.next().await {
                if let Err(e) = item {
                    tracing::debug!(%session_id, error = %crate::Error::from(e), "CDP connection ended");
                    break;
                }
            }
        });
        Self {
            kernel,
            browser,
            cdp,
            driver,
            delete_on_close,
            closed: false,
        }
    }

    /// The browser's session id.
    pub fn id(&self) -> &str {
        &self.browser.session_id
    }

    /// The Kernel browser as created or fetched (its `live_view_url`,
    /// `base_url`, …).
    pub fn browser(&self) -> &types::Browser {
        &self.browser
    }

    /// The CDP connection, for everything a [`Browser`] does (contexts,
    /// cookies, raw commands with `execute`). Its `Debug` shows the
    /// websocket URL, token included: do not log it.
    pub fn cdp(&self) -> &Browser {
        &self.cdp
    }

    /// The browser's first open page, or a new blank one if it has none.
    pub async fn page(&self) -> crate::Result<Page> {
        let waited = tokio::time::Instant::now() + FIRST_PAGE_WAIT;
        loop {
            let mut pages = self.cdp.pages().await?;
            if !pages.is_empty() {
                return Ok(pages.swap_remove(0));
            }
            if tokio::time::Instant::now() >= waited {
                return self.new_page("about:blank").await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens a new page at `url`.
    pub async fn new_page(&self, url: &str) -> crate::Result<Page> {
        Ok(self.cdp.new_page(CreateTargetParams::new(url)).await?)
    }

    /// Disconnects, then deletes the Kernel browser (unless
    /// [kept](super::Connect::keep_browser)). A browser that is already gone
    /// is not an error.
    pub async fn close(mut self) -> crate::Result<()> {
        self.driver.abort();
        if !self.delete_on_close {
            self.closed = true;
            return Ok(());
        }
        let deleted = self
            .kernel
            .browsers()
            .delete(&self.browser.session_id)
            .send()
            .await;
        // Only now: a `close` cancelled or failed before the browser is
        // gone leaves the drop to try again.
        match deleted {
            Err(e) if !e.is_not_found() => Err(e),
            _ => {
                self.closed = true;
                Ok(())
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.driver.abort();
        if self.closed || !self.delete_on_close {
            return;
        }
        let id = &self.browser.session_id;
        if delete_in_background(&self.kernel, id.clone()) {
            tracing::warn!(session_id = %id, "kernel::cdp::Session dropped without close(); deleting the browser in the background");
        } else {
            tracing::warn!(session_id = %id, "kernel::cdp::Session dropped without close() outside a runtime; the browser stays until its timeout");
        }
    }
}

/// Deletes browser `id` in a task on the current runtime, for a drop that
/// cannot wait; `false` when there is no runtime (it is shutting down),
/// and the browser stays until its timeout.
pub(super) fn delete_in_background(kernel: &Kernel, id: String) -> bool {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return false;
    };
    let kernel = kernel.clone();
    runtime.spawn(async move {
        if let Err(e) = kernel.browsers().delete(&id).send().await {
            tracing::warn!(session_id = %id, error = %e, "background delete failed; the browser stays until its timeout");
        }
    });
    true
}
