//! Driving a Kernel browser over the Chrome DevTools Protocol (feature
//! `cdp`), with [chromiumoxide](https://docs.rs/chromiumoxide).
//!
//! A [`Session`] ties the Kernel browser's lifetime to its CDP connection:
//! `kernel.browsers().create()…connect()` creates the browser and connects
//! to its `cdp_ws_url`, retrying while the browser warms up, within a
//! deadline; [`Session::close`] disconnects and deletes the browser. A
//! session dropped without `close` logs a warning and deletes the browser
//! in a background task (it never blocks; see [`Session`] for when that
//! task cannot run). For a browser you got elsewhere (a pool's, say),
//! [`Kernel::cdp`](crate::Kernel::cdp) connects to it, and
//! [`Connect::keep_browser`] leaves it running on close.
//!
//! The browser's token (the `jwt` in `cdp_ws_url`) is passed to the
//! websocket; [`Session`]'s `Debug`, this crate's errors and its traces
//! leave it out. Two things outside this crate show it: the `Debug` of
//! chromiumoxide's [`Browser`](chromiumoxide::Browser)
//! ([`Session::cdp`]), and tungstenite's TRACE-level `log` record of the
//! handshake request (target `tungstenite`), if a program forwards `log`
//! records at that level.
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let kernel = kernel::Kernel::from_env()?;
//! let session = kernel.browsers().create().headless(true).connect().await?;
//! let page = session.page().await?;
//! page.goto("data:text/html,<title>Hello</title>").await?;
//! assert_eq!(page.get_title().await?.as_deref(), Some("Hello"));
//! session.close().await?; // deletes the Kernel browser
//! # Ok(()) }
//! ```

mod connect;
mod session;

pub use connect::{Connect, DEFAULT_DEADLINE};
pub use session::Session;

/// The CDP crate this module drives, re-exported so a page's types
/// ([`Page`](chromiumoxide::Page), elements, CDP commands) are the same
/// version as the session's.
pub use chromiumoxide;

use crate::{Error, Kernel};

impl Kernel {
    /// Connects over CDP to `browser`, an existing Kernel browser (from
    /// `create().send()`, a pool, `list`): retried until it answers or the
    /// [deadline](Connect::deadline) passes. Closing the session deletes the
    /// browser unless [`Connect::keep_browser`] is set.
    pub fn cdp(&self, browser: &crate::types::Browser) -> Connect {
        Connect::new(self.clone(), browser.clone())
    }
}

impl crate::browsers::Create<'_> {
    /// Creates the browser, then connects to it over CDP ([`Kernel::cdp`]'s
    /// defaults). If it cannot connect, the browser just created is deleted
    /// and the error returned.
    pub async fn connect(self) -> crate::Result<Session> {
        let kernel = self.kernel().clone();
        let browser = self.send().await?;
        // Nobody else knows this browser: left behind (a failed connection,
        // or this future dropped while connecting), it would bill until its
        // timeout.
        let mut orphan = Orphan {
            kernel: kernel.clone(),
            session_id: Some(browser.session_id.clone()),
        };
        let session = kernel.cdp(&browser).send().await;
        match session {
            Ok(session) => {
                orphan.session_id = None;
                Ok(session)
            }
            Err(e) => {
                let deleted = kernel.browsers().delete(&browser.session_id).send().await;
                orphan.session_id = None;
                if let Err(delete) = deleted {
                    tracing::warn!(
                        session_id = %browser.session_id,
                        error = %delete,
                        "could not delete a browser whose CDP connection failed"
                    );
                }
                Err(e)
            }
        }
    }
}

/// A browser [`Create::connect`](crate::browsers::Create::connect) made
/// and nobody else holds yet: deleted in the background if the future is
/// dropped before it hands the browser over.
struct Orphan {
    kernel: Kernel,
    session_id: Option<String>,
}

impl Drop for Orphan {
    fn drop(&mut self) {
        if let Some(id) = self.session_id.take() {
            session::delete_in_background(&self.kernel, id);
        }
    }
}

impl From<chromiumoxide::error::CdpError> for Error {
    fn from(e: chromiumoxide::error::CdpError) -> Self {
        Error::Cdp(Box::new(e))
    }
}
