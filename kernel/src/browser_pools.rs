//! Pools of pre-warmed browsers.
//!
//! ```no_run
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! let pool = kernel.browser_pools().create().name("agents").size(2).send().await?;
//! if let Some(browser) = kernel.browser_pools().acquire(&pool.id).acquire_timeout_seconds(30).send().await? {
//!     // ... drive the browser ...
//!     kernel.browser_pools().release(&pool.id).session_id(&browser.session_id).send().await?;
//! }
//! # Ok(()) }
//! ```
// Spec descriptions are prose: bare URLs and brackets are not links.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/calls/browser_pools.rs"));
