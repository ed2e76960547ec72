//! The deprecated `/projects` paths; use [`projects`](crate::projects).
//!
//! ```no_run
//! # #![allow(deprecated)]
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! let projects = kernel.legacy_projects().list().send().await?;
//! # Ok(()) }
//! ```
// Spec descriptions are prose: bare URLs and brackets are not links.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/calls/legacy_projects.rs"));
