//! One browser's calls without repeating its id.

use super::{computer, fs, playwright, process, replays};
use super::{Curl, Delete, Get, Logs, Telemetry, Update, UploadExtensionsToBrowser};

/// The calls on one browser, from [`Kernel::browser`](crate::Kernel::browser)
/// or [`Kernel::browser_session`](crate::Kernel::browser_session): each
/// returns the same builder as `kernel.browsers().<area>(id)`, so
/// `browser.process().exec()` is `kernel.browsers().process(id).exec()`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> kernel::Result<()> {
/// # let fake = kernel_mock::KernelMock::start().await.unwrap();
/// # let kernel = kernel::Kernel::builder().api_key(fake.api_key()).base_url(fake.base_url()).build()?;
/// let browser = kernel.browser(&kernel.browsers().create().send().await?);
/// let found = browser.get().send().await?;
/// assert_eq!(found.session_id, browser.id());
/// browser.delete().send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Session<'a> {
    kernel: &'a crate::Kernel,
    id: String,
}

impl<'a> Session<'a> {
    pub(crate) fn new(kernel: &'a crate::Kernel, id: String) -> Self {
        Self { kernel, id }
    }

    /// The browser's session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The route its direct calls take, if cached ([`crate::routing`]).
    pub fn route(&self) -> Option<crate::routing::BrowserRoute> {
        self.kernel.browser_routes().get(&self.id)
    }

    fn browsers(&self) -> super::Browsers<'a> {
        self.kernel.browsers()
    }

    /// [`Browsers::get`](super::Browsers::get).
    pub fn get(&self) -> Get<'a> {
        self.browsers().get(&self.id)
    }

    /// [`Browsers::update`](super::Browsers::update).
    pub fn update(&self) -> Update<'a> {
        self.browsers().update(&self.id)
    }

    /// [`Browsers::delete`](super::Browsers::delete).
    pub fn delete(&self) -> Delete<'a> {
        self.browsers().delete(&self.id)
    }

    /// [`Browsers::telemetry`](super::Browsers::telemetry).
    pub fn telemetry(&self) -> Telemetry<'a> {
        self.browsers().telemetry(&self.id)
    }

    /// [`Browsers::logs`](super::Browsers::logs).
    pub fn logs(&self) -> Logs<'a> {
        self.browsers().logs(&self.id)
    }

    /// [`Browsers::curl`](super::Browsers::curl).
    pub fn curl(&self) -> Curl<'a> {
        self.browsers().curl(&self.id)
    }

    /// [`Browsers::upload_extensions`](super::Browsers::upload_extensions).
    pub fn upload_extensions(&self) -> UploadExtensionsToBrowser<'a> {
        self.browsers().upload_extensions(&self.id)
    }

    /// [`Browsers::replays`](super::Browsers::replays).
    pub fn replays(&self) -> replays::Replays<'a> {
        self.browsers().replays(&self.id)
    }

    /// [`Browsers::computer`](super::Browsers::computer).
    pub fn computer(&self) -> computer::Computer<'a> {
        self.browsers().computer(&self.id)
    }

    /// [`Browsers::fs`](super::Browsers::fs).
    pub fn fs(&self) -> fs::Fs<'a> {
        self.browsers().fs(&self.id)
    }

    /// [`Browsers::process`](super::Browsers::process).
    pub fn process(&self) -> process::Process<'a> {
        self.browsers().process(&self.id)
    }

    /// [`Browsers::playwright`](super::Browsers::playwright).
    pub fn playwright(&self) -> playwright::Playwright<'a> {
        self.browsers().playwright(&self.id)
    }
}
