//! Action invocations.
//!
//! ```no_run
//! # async fn demo(kernel: kernel::Kernel) -> kernel::Result<()> {
//! use kernel::prelude::*;
//! let invocation = kernel.invocations().create().app_name("my-app").action_name("run").version("latest").send().await?;
//! let mut events = kernel.invocations().events(&invocation.id).send().await?;
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

include!(concat!(env!("OUT_DIR"), "/calls/invocations.rs"));
