//! App deployments.
//!
//! ```no_run
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! use kernel::prelude::*;
//! let zip = kernel::Upload::path("app.zip").await?;
//! let deployment = kernel.deployments().create().file(zip).entrypoint_rel_path("src/app.py").send().await?;
//! let mut events = kernel.deployments().events(&deployment.id).send().await?;
//! while let Some(event) = events.next().await {
//!     println!("{:?}", event?);
//! }
//! # Ok(()) }
//! ```
// Spec descriptions are prose: bare URLs and brackets are not links.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/calls/deployments.rs"));
