//! Projects (`/org/projects`) and their limits.
//!
//! ```no_run
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! let project = kernel.projects().create().name("agents").send().await?;
//! let limits = kernel.projects().limits(&project.id).send().await?;
//! # Ok(()) }
//! ```
// Spec descriptions are prose: bare URLs and brackets are not links.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/calls/projects.rs"));
