//! Browser sessions, and everything on one browser: replays, computer controls,
//! filesystem, processes, Playwright, telemetry and logs. [`Session`]
//! (`kernel.browser(&browser)`) holds one browser's id for those calls.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> kernel::Result<()> {
//! # let fake = kernel_mock::KernelMock::start().await.unwrap();
//! # let kernel = kernel::Kernel::builder().api_key(fake.api_key()).base_url(fake.base_url()).build()?;
//! use kernel::prelude::*;
//! let browser = kernel.browsers().create().headless(true).timeout_seconds(300).send().await?;
//! let all: Vec<types::Browser> = kernel.browsers().list().items().try_collect().await?;
//! assert!(all.iter().any(|b| b.session_id == browser.session_id));
//! kernel.browsers().delete(&browser.session_id).send().await?;
//! # Ok(()) }
//! ```
// Spec descriptions are prose: bare URLs and brackets are not links.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

mod session;
pub use session::Session;

include!(concat!(env!("OUT_DIR"), "/calls/browsers.rs"));

#[cfg(feature = "cdp")]
impl<'a> Create<'a> {
    /// The client, for [`Create::connect`](crate::cdp).
    pub(crate) fn kernel(&self) -> &'a crate::Kernel {
        self.kernel
    }
}
