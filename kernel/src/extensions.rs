//! Browser extensions.
//!
//! ```no_run
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! let zip = kernel::Upload::path("my-extension.zip").await?;
//! let extension = kernel.extensions().upload().file(zip).name("my-extension").send().await?;
//! kernel.extensions().download(&extension.id).send().await?.save_to("copy.zip").await?;
//! # Ok(()) }
//! ```
// Spec descriptions are prose: bare URLs and brackets are not links.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/calls/extensions.rs"));
